"""Checks mnist-mpi's --tensorboard and --timeline outputs with the readers people use.

    check_outputs.py timeline TRACE.json --ranks N --steps K
        Chrome trace JSON: one row per rank, spans that never overlap within a row, every
        recorded step complete on every rank (forward+backward, allreduce (wait, transfer),
        optimizer step), at most K steps. Needs only python3.
    check_outputs.py tensorboard RUN_DIR --metrics M.jsonl [M.jsonl ...] --steps-per-epoch S
                     --every N [--resumed-epoch E]
        TensorBoard's own loader (EventAccumulator) reads every scalar; each per-epoch value
        equals the --metrics line of the run that wrote it last (a resumed run replaces the
        epochs from E on), the step cost is at every N-th step, and no tag has a step twice.
    check_outputs.py http LOGDIR --run NAME --tensorboard BIN [--screenshot OUT.png]
        Starts `tensorboard --logdir` on loopback and checks that its HTTP API lists the run's
        scalars and serves train/cost; with --screenshot, saves a picture of the scalars page.
"""

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request

EPOCH_TAGS = {
    "train/cost": "cost",
    "train/learning_rate": "learning_rate",
    "speed/samples_per_second": "samples_per_second",
    "time/epoch_seconds": "seconds",
    "time/compute_seconds": "compute_seconds",
    "time/allreduce_seconds": "allreduce_seconds",
    "test/accuracy": "test_accuracy",
}


def fail(message):
    print(f"check_outputs: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def close(a, b):
    # Scalars are stored as float32.
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


def check_timeline(args):
    with open(args.trace) as handle:
        trace = json.load(handle)
    events = trace.get("traceEvents")
    if not isinstance(events, list):
        fail("no traceEvents list")
    rows = {}
    names = {}
    for event in events:
        if event.get("ph") == "M" and event.get("name") == "process_name":
            names[event["pid"]] = event["args"]["name"]
        elif event.get("ph") == "X":
            for key in ("name", "ts", "dur", "pid", "tid"):
                if key not in event:
                    fail(f"a span without {key}: {event}")
            if event["dur"] < 0:
                fail(f"a negative duration: {event}")
            rows.setdefault(event["pid"], []).append(event)
    if sorted(rows) != list(range(args.ranks)) or sorted(names) != list(range(args.ranks)):
        fail(f"rows {sorted(rows)} and names {sorted(names)}, expected ranks 0..{args.ranks - 1}")
    steps_per_rank = []
    for rank, spans in sorted(rows.items()):
        spans.sort(key=lambda e: (e["ts"], e["ts"] + e["dur"]))
        for before, after in zip(spans, spans[1:]):
            # Spans of one row follow each other (printed in microseconds with 3 decimals).
            if before["ts"] + before["dur"] > after["ts"] + 0.002:
                fail(f"rank {rank}: '{before['name']}' overlaps '{after['name']}' at {after['ts']} us")
        steps = {}
        for span in spans:
            key = (span["args"]["epoch"], span["args"]["step"])
            steps.setdefault(key, []).append(span["name"])
        step_spans = {k: v for k, v in steps.items() if "forward+backward" in v}
        for key, kinds in step_spans.items():
            communication = [k for k in kinds if k.startswith("allreduce")]
            if "optimizer step" not in kinds or not communication:
                fail(f"rank {rank} step {key} is incomplete: {kinds}")
            if "allreduce: wait for slowest rank" in kinds and "allreduce: transfer" not in kinds:
                fail(f"rank {rank} step {key}: a wait without its transfer: {kinds}")
        if len(step_spans) > args.steps:
            fail(f"rank {rank}: {len(step_spans)} steps recorded, more than --timeline-steps {args.steps}")
        steps_per_rank.append(set(step_spans))
    if any(s != steps_per_rank[0] for s in steps_per_rank):
        fail("the ranks recorded different steps")
    waits = sum(1 for spans in rows.values() for s in spans if s["name"] == "allreduce: wait for slowest rank")
    print(f"check_outputs: timeline OK: {args.ranks} ranks, {len(steps_per_rank[0])} steps each, "
          f"{sum(len(s) for s in rows.values())} spans, none overlapping within a rank, {waits} waits for a slower rank")


def load_metrics(paths):
    lines = []
    for path in paths:
        with open(path) as handle:
            lines.append([json.loads(line) for line in handle if line.strip()])
    return lines


def check_tensorboard(args):
    from tensorboard.backend.event_processing import event_accumulator

    accumulator = event_accumulator.EventAccumulator(args.run, size_guidance={event_accumulator.SCALARS: 0})
    accumulator.Reload()
    tags = set(accumulator.Tags()["scalars"])
    rank_tags = {f"ranks/{what}_seconds_rank_{rank}" for rank in range(args.ranks) for what in ("compute", "wait")} \
        if args.ranks > 1 else set()
    expected_tags = set(EPOCH_TAGS) | ({"train/step_cost"} if args.every > 0 else set()) | rank_tags
    if tags != expected_tags:
        fail(f"tags {sorted(tags)}, expected {sorted(expected_tags)}")
    # The epochs each run wrote last: a resumed run's lines replace the earlier ones from its epoch on.
    expected = {}
    for lines in load_metrics(args.metrics):
        for line in lines:
            expected[line["epoch"]] = line
    checked = 0
    for tag in sorted(tags):
        events = accumulator.Scalars(tag)
        steps = [e.step for e in events]
        if len(steps) != len(set(steps)):
            fail(f"{tag}: a step appears twice: {steps}")
        if steps != sorted(steps):
            fail(f"{tag}: steps out of order: {steps}")
        if tag == "train/step_cost":
            last = max(expected) + 1
            wanted = list(range(args.every, last * args.steps_per_epoch + 1, args.every))
            if steps != wanted:
                fail(f"train/step_cost at steps {steps[:5]}...{steps[-3:]}, expected every {args.every} to {wanted[-1]}")
            if not all(math.isfinite(e.value) and e.value > 0 for e in events):
                fail("train/step_cost has a non-positive or non-finite value")
            checked += len(events)
            continue
        if tag in rank_tags:
            # Each rank's seconds per epoch, at every epoch's end (not in --metrics: positive and finite).
            wanted = sorted((epoch + 1) * args.steps_per_epoch for epoch in expected)
            if steps != wanted:
                fail(f"{tag}: steps {steps}, expected {wanted}")
            if not all(math.isfinite(e.value) and e.value >= 0 for e in events):
                fail(f"{tag} has a negative or non-finite value")
            checked += len(events)
            continue
        key = EPOCH_TAGS[tag]
        wanted = {(epoch + 1) * args.steps_per_epoch: line[key] for epoch, line in expected.items()
                  if line.get(key) is not None}
        got = {e.step: e.value for e in events}
        if set(got) != set(wanted):
            fail(f"{tag}: steps {sorted(got)}, expected {sorted(wanted)}")
        for step, value in wanted.items():
            if not close(got[step], value):
                fail(f"{tag} at step {step}: {got[step]} in the event file, {value} in --metrics")
        checked += len(events)
    resumed = f", resumed at epoch {args.resumed_epoch} without duplicated steps" if args.resumed_epoch is not None else ""
    print(f"check_outputs: TensorBoard's EventAccumulator read {len(tags)} tags, {checked} values, "
          f"all equal to --metrics{resumed}")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def check_http(args):
    port = free_port()
    log = open(os.path.join(args.logdir, "..", "tensorboard-server.log"), "w")
    server = subprocess.Popen(
        [args.tensorboard, "--logdir", args.logdir, "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        tags = {}
        while time.time() < deadline:
            try:
                tags = get_json(f"{base}/data/plugin/scalars/tags").get(args.run, {})
                if len(tags) >= len(EPOCH_TAGS):
                    break
            except OSError:
                pass
            if server.poll() is not None:
                fail(f"tensorboard exited with {server.returncode} (see {log.name})")
            time.sleep(0.5)
        if not set(EPOCH_TAGS) <= set(tags):
            fail(f"the HTTP API lists {sorted(tags)} for run {args.run}, expected {sorted(EPOCH_TAGS)}")
        series = get_json(f"{base}/data/plugin/scalars/scalars?run={args.run}&tag=train/cost")
        if not series or any(len(point) != 3 for point in series):
            fail(f"/data/plugin/scalars/scalars gave {series!r}")
        print(f"check_outputs: tensorboard --logdir serves run '{args.run}': {len(tags)} scalar tags, "
              f"train/cost at {len(series)} steps (last {series[-1][2]:.4f} at step {series[-1][1]})")
        if args.screenshot:
            capture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser_capture.py")
            url = f"{base}/?darkMode=false#scalars&_smoothingWeight=0&tagFilter=train%2Fcost%7Ctest%7Cstep_cost%7Callreduce"
            subprocess.run([sys.executable, capture, url, args.screenshot, "--wait-for", "train/step_cost",
                            "--width", "1500", "--height", "1000", "--settle", "4"], check=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    timeline = sub.add_parser("timeline")
    timeline.add_argument("trace")
    timeline.add_argument("--ranks", type=int, required=True)
    timeline.add_argument("--steps", type=int, required=True)
    board = sub.add_parser("tensorboard")
    board.add_argument("run")
    board.add_argument("--metrics", nargs="+", required=True)
    board.add_argument("--steps-per-epoch", type=int, required=True)
    board.add_argument("--every", type=int, required=True)
    board.add_argument("--resumed-epoch", type=int)
    board.add_argument("--ranks", type=int, default=1, help="the run's ranks: with more than one, each rank's ranks/* curves")
    http = sub.add_parser("http")
    http.add_argument("logdir")
    http.add_argument("--run", required=True)
    http.add_argument("--tensorboard", required=True)
    http.add_argument("--screenshot")
    args = parser.parse_args()
    {"timeline": check_timeline, "tensorboard": check_tensorboard, "http": check_http}[args.command](args)


if __name__ == "__main__":
    main()
