#!/usr/bin/env python3
"""The study behind the README's fastest recipe to a target test accuracy: a staged search
(one knob at a time, the winner of each round kept for the next), every trial a real run with
`--target-accuracy`, ranked by `time_to_target_seconds` (wall time from launch: start-up, data
loading, training and the evaluations on the way). Then the winner and the starting point are
run again, REPEATS times each, side by side, and the medians compared.

  time_to_accuracy.py --binary BIN --data DIR --out DIR [--target 0.98] [--repeats 2] [--bf16] [--quick]

The launcher comes from the environment: MPI_LAUNCHER (mpirun, mpirun.openmpi or
mpiexec.mpich) and MPI (openmpi or mpich), as scripts/time-to-accuracy.sh sets them.
Writes runs.csv (every trial) and report.md (the rounds, the winner, the command).
"""
import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

# The starting point: the improved preset on 2 ranks.
BASE = {"ranks": 2, "hidden": "256,256", "batch": 100, "lr": 0.001, "optimizer": "adam",
        "lr-decay": "cosine", "warmup-epochs": "default", "epochs": 12, "precision": "fp32"}

ROUNDS = [
    ("ranks", [1, 2]),
    ("hidden", ["64,64", "96,96", "128,128", "256,256", "512,512", "1024", "512"]),
    ("batch", [50, 100, 200, 400]),
    ("lr", [0.0005, 0.001, 0.002, 0.004]),
    ("warmup-epochs", ["default", 0, 0.5]),
    ("lr-decay", ["none", "cosine"]),
    # The run's length is the cosine decay's span (and the cap on the time).
    ("epochs", [6, 8, 12]),
    ("optimizer", ["adam", "lamb"]),
    # The rank count again, for the recipe the rounds found (the first round judged the start).
    ("ranks", [1, 2]),
]
QUICK_ROUNDS = [("ranks", [1, 2]), ("batch", [100, 200])]


def command_line(recipe, args, summary):
    launcher = os.environ.get("MPI_LAUNCHER", "mpirun")
    ranks = int(recipe["ranks"])
    cores = os.cpu_count() or 1
    if os.environ.get("MPI", "openmpi") == "mpich":
        prefix = [launcher, "-n", str(ranks), "-bind-to", "core" if ranks <= cores else "none",
                  "-genv", "OPENBLAS_NUM_THREADS", "1"]
    else:
        placement = ["--bind-to", "core"] if ranks <= cores else ["--oversubscribe", "--bind-to", "none"]
        prefix = [launcher, "--quiet", "-np", str(ranks)] + placement + ["-x", "OPENBLAS_NUM_THREADS=1"]
    options = ["train", "--preset", "improved", "--data", args.data, "--epochs", str(recipe["epochs"]),
               "--target-accuracy", str(args.target), "--hidden", recipe["hidden"],
               "--batch-size", str(recipe["batch"]), "--lr", str(recipe["lr"]), "--optimizer", recipe["optimizer"],
               "--lr-decay", recipe["lr-decay"], "--precision", recipe["precision"], "--summary", summary]
    if recipe["warmup-epochs"] != "default":
        options += ["--warmup-epochs", str(recipe["warmup-epochs"])]
    return prefix + [args.binary] + options


def run_once(recipe, args):
    """One real run; its summary."""
    with tempfile.TemporaryDirectory() as folder:
        summary_path = os.path.join(folder, "summary.json")
        command = command_line(recipe, args, summary_path)
        result = subprocess.run(command, capture_output=True, text=True, timeout=60 * int(recipe["epochs"]) + 120)
        if result.returncode != 0:
            sys.exit(f"time_to_accuracy: a trial failed ({' '.join(command)}): {result.stderr.strip()}")
        with open(summary_path) as handle:
            return json.load(handle)


def trial(recipe, args, label, runs=None):
    """`runs` runs of `recipe` (default --trial-runs); the row holds their medians (a run that
    does not reach the target counts as infinitely slow)."""
    summaries = [run_once(recipe, args) for _ in range(runs or args.trial_runs)]

    def median(key, unreached):
        return statistics.median(s.get(key) if s.get("target_reached") else unreached for s in summaries)

    row = dict(recipe)
    row.update({
        "label": label,
        "runs": len(summaries),
        "reached": sum(bool(s.get("target_reached")) for s in summaries),
        "time_to_target_s": median("time_to_target_seconds", math.inf),
        "all_times_s": " ".join(f"{s['time_to_target_seconds']:.2f}" if s.get("target_reached") else "inf"
                                for s in summaries),
        "training_s": median("time_to_target_training_seconds", math.inf),
        "epochs_to_target": median("target_epochs", math.inf),
        "evaluations": statistics.median(s.get("target_evaluations") or 0 for s in summaries),
        "evaluation_s": statistics.median(s.get("target_evaluation_seconds") or 0 for s in summaries),
        "accuracy": statistics.median(s["test_accuracy"] for s in summaries),
        "seconds_per_epoch": statistics.median(s["seconds_per_epoch"] for s in summaries),
        "kernels": f"{summaries[0].get('kernels')} {summaries[0].get('precision')}",
    })
    shown = f"{row['time_to_target_s']:.2f} s" if math.isfinite(row["time_to_target_s"]) else "not reached"
    print(f"  {label}: {describe(recipe)} -> {shown} (runs {row['all_times_s']}; {row['epochs_to_target']:.2f} epochs, "
          f"test {100 * row['accuracy']:.2f}%)", flush=True)
    return row


def describe(recipe):
    return " ".join(f"{key} {value}" for key, value in recipe.items())


def flags(recipe):
    """The recipe as mnist-mpi train options (and the rank count for mpirun)."""
    parts = [f"--hidden {recipe['hidden']}", f"--batch-size {recipe['batch']}", f"--lr {recipe['lr']}",
             f"--optimizer {recipe['optimizer']}", f"--lr-decay {recipe['lr-decay']}", f"--epochs {recipe['epochs']}"]
    if recipe["warmup-epochs"] != "default":
        parts.append(f"--warmup-epochs {recipe['warmup-epochs']}")
    if recipe["precision"] != "fp32":
        parts.append(f"--precision {recipe['precision']}")
    return " ".join(parts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--target", type=float, default=0.98)
    parser.add_argument("--repeats", type=int, default=3, help="runs of the winner and the start, side by side")
    parser.add_argument("--trial-runs", type=int, default=2, help="runs per trial (the median counts)")
    parser.add_argument("--bf16", action="store_true", help="the CPU computes bfloat16: add a precision round")
    parser.add_argument("--quick", action="store_true", help="two small rounds, one run per trial")
    args = parser.parse_args()
    if args.quick:
        args.trial_runs, args.repeats = 1, 1
    os.makedirs(args.out, exist_ok=True)
    rounds = list(QUICK_ROUNDS if args.quick else ROUNDS)
    if args.bf16 and not args.quick:
        rounds.append(("precision", ["fp32", "bf16"]))

    best = dict(BASE)
    rows, report = [], []
    for knob, values in rounds:
        print(f"round {knob}: {values}", flush=True)
        results = []
        for value in values:
            recipe = dict(best, **{knob: value})
            results.append((trial(recipe, args, f"round {knob}"), recipe))
        rows += [row for row, _ in results]
        winner_row, winner = min(results, key=lambda pair: pair[0]["time_to_target_s"])
        if math.isfinite(winner_row["time_to_target_s"]):
            best = winner
        report.append((knob, [(r[knob], r["time_to_target_s"], r["epochs_to_target"]) for r, _ in results], best[knob]))

    print(f"confirming: the winner and the starting point, {args.repeats} runs each, alternating", flush=True)
    confirm = {"start": [], "winner": []}
    for _ in range(args.repeats):
        for name, recipe in (("start", BASE), ("winner", best)):
            row = trial(recipe, args, f"confirm {name}", runs=1)
            rows.append(row)
            confirm[name].append(row["time_to_target_s"])
    medians = {name: statistics.median(times) for name, times in confirm.items()}

    fields = ["label"] + list(BASE) + ["runs", "reached", "time_to_target_s", "all_times_s", "training_s",
                                       "epochs_to_target", "evaluations", "evaluation_s", "accuracy",
                                       "seconds_per_epoch", "kernels"]
    with open(os.path.join(args.out, "runs.csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    lines = [f"# Time to {100 * args.target:.1f}% test accuracy: the study", "",
             f"Every trial: `mnist-mpi train --preset improved --target-accuracy {args.target}` with the knobs below; the measure is `time_to_target_seconds` (from launch).", "",
             "| round | value: seconds to target (epochs) | kept |", "|---|---|---|"]
    for knob, values, kept in report:
        cells = ", ".join(f"{value}: {'%.2f s (%.2f)' % (seconds, epochs) if math.isfinite(seconds) else 'not reached'}"
                          for value, seconds, epochs in values)
        lines.append(f"| {knob} | {cells} | {kept} |")
    lines += ["", f"Winner: `mpirun -np {best['ranks']} mnist-mpi train --preset improved {flags(best)} "
              f"--target-accuracy {args.target}`", "",
              f"Confirmed side by side ({args.repeats} runs each, medians): winner {medians['winner']:.2f} s, "
              f"starting point (improved preset, 2 ranks) {medians['start']:.2f} s, "
              f"ratio {medians['start'] / medians['winner']:.2f}x."]
    with open(os.path.join(args.out, "report.md"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    with open(os.path.join(args.out, "winner.json"), "w") as handle:
        json.dump({"recipe": best, "flags": flags(best), "median_seconds": medians}, handle, indent=2)


if __name__ == "__main__":
    main()
