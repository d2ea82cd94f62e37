"""The trainer's step under SimGrid's SMPI: schedules from recorded calls, platform files, and
the report of scripts/simulate-scaling.sh.

    simulate.py schedule TRACE_PREFIX OUT_SCHEDULE [cpu] # TRACE_PREFIX.R (mpi_call_trace.c) -> OUT_SCHEDULE(.R) + .json
                                                         # cpu: local work as the thread's CPU time (ranks sharing cores)
    simulate.py scaled NODES_JSON ONE_NODE_JSON OUT      # a step across nodes, its local work as on one node's
    simulate.py platform RANKS BANDWIDTH LATENCY TOPOLOGY OUT_XML OUT_HOSTFILE [LOOPBACK_JSON]
                                                         # TOPOLOGY: flat, fattree, or either :C (nodes of C ranks)
    simulate.py fit ALLREDUCE_SWEEP_JSON RATE            # a namespace link as a platform: tc's rate, the sweep's latency
    simulate.py fit ALLREDUCE_SWEEP_JSON shm             # a node's shared memory: the sweep's largest sum and latency
    simulate.py report OUT_DIR                           # OUT_DIR/points.csv -> report.md, simulated.json, efficiency-MODEL.png

Standard library only (the report's plot needs gnuplot).
"""
import csv
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scaling"))
import scaling  # noqa: E402  (fit_ring, gnuplot)

# Calls the replay knows (step_replay.c); others in a trace (none seen in a step) stop the schedule.
REPLAYED = {"allreduce", "iallreduce", "wait", "allgather", "allgatherv", "bcast", "barrier", "exchange"}
# The communicators the replay makes (mpi_call_trace.c's roles): the whole job, this rank's node,
# the ranks of equal node rank (one per node); "none" for a wait.
ROLES = {"world", "node", "cross", "none"}


# MARK: - Schedules from recorded calls

def read_trace(path):
    """[(start, end, call, elements, bytes, communicator size, role, cpu start, cpu end)] of one
    rank's trace file (a trace without roles and CPU times: the whole job's, the wall clock's)."""
    events = []
    with open(path) as handle:
        for line in handle:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split()
            start, end, call, elements, size, ranks = fields[:6]
            role, cpu_start, cpu_end = fields[6:9] if len(fields) >= 9 else ("world", start, end)
            events.append((float(start), float(end), call, int(elements), int(size), int(ranks), role,
                           float(cpu_start), float(cpu_end)))
    return events


def ranks_per_node(path):
    """The ranks of the recorded rank's node (the trace's header; 1 when it has none)."""
    with open(path) as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            fields = line.split()
            if "ranks_per_node" in fields:
                return int(fields[fields.index("ranks_per_node") + 1])
    return 1


def full(event):
    """An event with its role and CPU times (synthetic traces give the first six fields)."""
    return event if len(event) >= 9 else tuple(event) + ("world", event[0], event[1])


def period(signatures, tolerance=0.9):
    """The smallest p (up to 32) with signatures[i] == signatures[i + p] for at least `tolerance`
    of the positions: the number of calls a step makes."""
    for p in range(1, 33):
        pairs = len(signatures) - p
        if pairs < 3 * p:
            break
        same = sum(1 for i in range(pairs) if signatures[i] == signatures[i + p])
        if same >= tolerance * pairs:
            return p
    return None


def repeating_gaps(steady, p, most=4):
    """`p`, or the smallest multiple of it (up to `most` times) whose every position sees about
    the same local time before its call: calls alike in name and size can still be different
    points of a step (the shared-memory reducer's two node barriers a step, one after the
    compute, one after the chunk's additions)."""
    gaps = [steady[i][0] - steady[i - 1][1] for i in range(1, len(steady))]
    for multiple in range(1, most + 1):
        q = multiple * p
        if len(gaps) < 4 * q:
            break
        spread = total = 0.0
        for k in range(q):
            values = gaps[k::q]
            middle = statistics.median(values)
            deviations = sorted(abs(v - middle) for v in values)
            spread += deviations[3 * len(deviations) // 4]  # the upper quartile: a few outliers do not count
            total += middle
        if total > 0 and spread <= 0.2 * total:
            return q
    return p


def schedule(events, steady_fraction=0.6, cpu=False):
    """The steady step of a trace: the last `steady_fraction` of its calls (past start-up,
    warm-ups such as PowerSGD's first uncompressed steps), cut into periods of the calls a step
    makes; per call of the step, the median local time before it (wall clock, or with `cpu` the
    thread's CPU time: the work as a core of its own runs it, where ranks shared cores) and the
    median time in it, and the median whole step. Returns None when no period is found."""
    events = [full(e) for e in events]
    steady = events[int(len(events) * (1 - steady_fraction)):]
    signatures = [(e[2], e[3], e[4], e[5], e[6]) for e in steady]
    p = period(signatures)
    if p is None:
        return None
    p = repeating_gaps(steady, p)
    # Start each period at the call after the step's longest local stretch (forward and most of
    # backward), so that the step's calls keep the trainer's order: nonblocking sums started in
    # backward are waited for before the next step's forward, as in the run.
    gaps = [statistics.median(steady[i][0] - steady[i - 1][1] for i in range(k if k else p, len(steady), p))
            for k in range(p)]
    first = max(range(p), key=lambda k: gaps[k])
    cycles = [steady[i:i + p] for i in range(first, len(steady) - p + 1, p)]
    cycles = [c for c in cycles if [(e[2], e[3], e[4], e[5], e[6]) for e in c] == signatures[first:first + p]]
    befores = [[] for _ in range(p)]
    durations = [[] for _ in range(p)]
    steps = []
    for index, cycle in enumerate(cycles):
        if index == 0:
            continue
        previous_end = cycles[index - 1][-1][1]
        steps.append(cycle[-1][1] - previous_end)
        for k, event in enumerate(cycle):
            if cpu:
                befores[k].append(event[7] - (cycles[index - 1][-1][8] if k == 0 else cycle[k - 1][8]))
            else:
                befores[k].append(event[0] - (previous_end if k == 0 else cycle[k - 1][1]))
            durations[k].append(event[1] - event[0])
    calls = []
    for k, event in enumerate(cycles[0]):
        calls.append({"call": event[2], "elements": event[3], "bytes": event[4], "communicator_size": event[5],
                      "role": event[6], "before_seconds": statistics.median(befores[k]), "seconds": statistics.median(durations[k])})
    calls = merged_exchanges(calls)
    return {"calls": calls, "steps_seen": len(steps), "local_clock": "cpu" if cpu else "wall",
            "measured_step_seconds": statistics.median(steps),
            "local_seconds": sum(c["before_seconds"] for c in calls),
            "communication_seconds": sum(c["seconds"] for c in calls)}


def merged_exchanges(calls):
    """Each run of point-to-point calls (isend, irecv) and the waitall after it as one "exchange"
    with every other member of the communicator, of the bytes sent to each (their mean): the
    deterministic reducer sends each other node that node's part of its rows, so on more nodes
    there are more peers, each sent less (step_replay.c scales by the nodes)."""
    merged, run = [], []
    for call in calls:
        if call["call"] in ("isend", "irecv"):
            run.append(call)
            continue
        if run and call["call"] == "waitall":
            sends = [c["elements"] for c in run if c["call"] == "isend"] or [c["elements"] for c in run]
            merged.append({"call": "exchange", "elements": round(statistics.mean(sends)), "bytes": 1,
                           "communicator_size": run[0]["communicator_size"], "role": run[0]["role"],
                           "before_seconds": sum(c["before_seconds"] for c in run + [call]),
                           "seconds": sum(c["seconds"] for c in run + [call])})
            run = []
            continue
        merged.extend(run)
        run = []
        merged.append(call)
    return merged + run


def check_replayable(step, world, name):
    for call in step["calls"]:
        if call["call"] not in REPLAYED:
            sys.exit(f"error: {name}: the step calls {call['call']}, which step_replay.c does not replay")
        if call.get("role", "world") not in ROLES:
            sys.exit(f"error: {name}: the step calls {call['call']} on a communicator of {call['communicator_size']} "
                     f"ranks of {world} that is neither the whole job, a node, nor one rank a node: the replay does "
                     "not make it")


def write_steps(path, step, per_node, world):
    with open(path, "w") as handle:
        handle.write(f"# ranks_per_node {per_node} nodes {max(1, world // per_node)}\n")
        handle.write("# before_seconds call elements bytes_per_element role (one step; simulate.py schedule)\n")
        for call in step["calls"]:
            handle.write(f"{call['before_seconds']:.9f} {call['call']} {call['elements']} {call['bytes']} "
                         f"{call.get('role', 'world')}\n")


def same_call(a, b):
    """The same call on the same communicator, of the same size but for a node's chunks being cut
    on 16-float lines (ranks of a node sum chunks a few dozen elements apart)."""
    return (a["call"], a.get("role"), a["bytes"]) == (b["call"], b.get("role"), b["bytes"]) and \
        abs(a["elements"] - b["elements"]) <= max(64, a["elements"] // 100)


def aligned(own, reference):
    """`own` (a rank's steady step) started where `reference` (rank 0's) starts: each rank cuts its
    step after its own longest local stretch, which on an oversubscribed machine need not be rank
    0's; the calls are a cycle, so a rotation (each call with the local time before it) is the
    same step. None when no rotation gives the reference's calls and sizes."""
    if own is None or len(own["calls"]) != len(reference["calls"]):
        return None
    calls = own["calls"]
    for shift in range(len(calls)):
        rotated = calls[shift:] + calls[:shift]
        if all(same_call(mine, theirs) for mine, theirs in zip(rotated, reference["calls"])):
            return dict(own, calls=rotated)
    return None


def write_schedule(trace_prefix, out, clock="wall"):
    """Rank 0's steady step as OUT (every simulated rank replays it: weak scaling), and where the
    run had more than 2 ranks, each rank's own as OUT.R (step_replay.c takes OUT.R when it exists:
    a validation run's ranks do not compute equally, e.g. 4 ranks on 2 cores). `clock` "cpu":
    the local work as the thread's CPU time."""
    if clock not in ("wall", "cpu"):
        sys.exit(f"error: schedule: clock {clock}: give wall or cpu")
    cpu = clock == "cpu"
    events = read_trace(trace_prefix + ".0")
    per_node = ranks_per_node(trace_prefix + ".0")
    step = schedule(events, cpu=cpu)
    if step is None:
        sys.exit(f"error: {trace_prefix}.0 has no repeating step (fewer than a few steps recorded?): "
                 "record at least one full epoch")
    world = max(e[5] for e in events)
    check_replayable(step, world, f"{trace_prefix}.0")
    write_steps(out, step, per_node, world)
    for rank in range(1, world):
        stale = f"{out}.{rank}"
        if os.path.exists(stale):
            os.remove(stale)
    if world > 2:
        for rank in range(1, world):
            own = aligned(schedule(read_trace(f"{trace_prefix}.{rank}"), cpu=cpu), step)
            if own is None:
                sys.exit(f"error: {trace_prefix}.{rank}: its steady step does not match rank 0's calls")
            check_replayable(own, world, f"{trace_prefix}.{rank}")
            write_steps(f"{out}.{rank}", own, per_node, world)
    step["ranks_per_node"] = per_node
    step["nodes"] = max(1, world // per_node)
    with open(out + ".json", "w") as handle:
        json.dump(step, handle, indent=1)
    print(json.dumps({k: v for k, v in step.items() if k != "calls"}))


def write_scaled(nodes_json, one_node_json, out):
    """A step recorded across nodes (nodes_json: 2 namespace hosts of 2 ranks, sharing this
    machine's 2 cores) with its local work scaled to the same reducer's on one node of 2 ranks
    (one_node_json: a core each) as OUT, for every simulated rank. Ranks that take turns on a core
    evict each other's caches, so their CPU time is more than the work (measured: +5% for the
    hierarchical reducer's step, +40% for the deterministic one's, whose tree sums in cache)."""
    with open(nodes_json) as handle:
        step = json.load(handle)
    with open(one_node_json) as handle:
        reference = json.load(handle)
    scale = reference["local_seconds"] / step["local_seconds"]
    calls = [dict(c, before_seconds=c["before_seconds"] * scale) for c in step["calls"]]
    scaled = dict(step, calls=calls, local_seconds=reference["local_seconds"], local_scale=scale)
    write_steps(out, scaled, step["ranks_per_node"], step["ranks_per_node"] * step["nodes"])
    with open(out + ".json", "w") as handle:
        json.dump(scaled, handle, indent=1)
    print(json.dumps({"local_scale": scale, "local_seconds": reference["local_seconds"]}))


# MARK: - Platforms

def topology_parts(topology):
    """'fattree:8' -> ('fattree', 8): the switch and the ranks a node holds (1 when not given)."""
    name, _, cores = topology.partition(":")
    if name not in ("flat", "fattree") or (cores and (not cores.isdigit() or int(cores) < 1)):
        sys.exit(f"error: topology {topology}: give flat or fattree, with :C for nodes of C ranks (fattree:8)")
    return name, int(cores) if cores else 1


def platform(nodes, bandwidth, latency, topology, cores=1, loopback=None):
    """A SimGrid platform of `nodes` hosts at 1 Gflop/s (smpi/host-speed:1Gf, so that
    smpi_execute's seconds are seconds) of `cores` cores each, every host with its own
    full-duplex link of `bandwidth` and `latency` (SimGrid units: "10Gbps", "5us"), and, with
    several cores, a loopback (bandwidth, latency) carrying the messages between its ranks.
    flat: one non-blocking switch. fattree: a two-level fat tree, leaf switches of up to 32 hosts,
    each with 4 uplinks of the same link to the spine (oversubscribed 8:1 at full leaves)."""
    last = nodes - 1
    extra = f' core="{cores}"' if cores > 1 else ""
    if loopback is not None:
        extra += f' loopback_bw="{loopback[0]}" loopback_lat="{loopback[1]}"'
    if topology == "flat":
        body = (f'  <cluster id="flat" prefix="host-" radical="0-{last}" suffix="" speed="1Gf"{extra} bw="{bandwidth}" '
                f'lat="{latency}" sharing_policy="SPLITDUPLEX" bb_bw="{nodes * 100}Gbps" bb_lat="0us"/>')
    elif topology == "fattree":
        leaves = max(1, -(-nodes // 32))
        per_leaf = min(nodes, 32)
        spines = 4 if leaves > 1 else 1
        body = (f'  <cluster id="fattree" prefix="host-" radical="0-{leaves * per_leaf - 1}" suffix="" speed="1Gf"{extra} '
                f'bw="{bandwidth}" lat="{latency}" sharing_policy="SPLITDUPLEX" topology="FAT_TREE" '
                f'topo_parameters="2;{per_leaf},{leaves};1,{spines};1,1"/>')
    else:
        sys.exit(f"error: topology {topology}: give flat or fattree")
    return ("<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
            f"<platform version=\"4.1\">\n{body}\n</platform>\n")


def write_platform(ranks, bandwidth, latency, topology, out_xml, out_hostfile, loopback_json=None):
    """The platform for `ranks` ranks: nodes of C ranks (topology 'flat:C'), consecutive ranks on
    one node as mpirun places them; the loopback from `loopback_json` (simulate.py fit ... shm).
    Exits 3 (nothing written) when the ranks do not fill whole nodes."""
    ranks = int(ranks)
    name, cores = topology_parts(topology)
    if ranks % cores:
        sys.exit(3)
    loopback = None
    if cores > 1:
        if not loopback_json:
            sys.exit(f"error: topology {topology}: nodes of several ranks need the node's loopback (fit ... shm)")
        with open(loopback_json) as handle:
            link = json.load(handle)
        loopback = (link["bandwidth"], link["latency"])
    nodes = ranks // cores
    with open(out_xml, "w") as handle:
        handle.write(platform(nodes, bandwidth, latency, name, cores, loopback))
    with open(out_hostfile, "w") as handle:
        handle.write("".join(f"host-{i}\n" * cores for i in range(nodes)))


def fit(sweep_path, rate):
    """A link as a platform, from a 2-rank allreduce sweep over it: the latency of the small
    messages (up to 1 KiB: half the median time, one message each way), and the bandwidth:
    - for namespace hosts (`rate` as tc takes it: "1gbit", "10gbit"), tc's rate. Not a fit of the
      sweep's large sums: back to back, they overflow the shaper's queue and TCP backs off, which
      a training step, with its compute between sums, does not (2 hosts at 10gbit: the sweep's
      4 MiB sum ran at 0.65 GB/s, the seed MLP's step sum at 1.22 GB/s, the rate's 98%);
    - for a node's shared memory (`rate` "shm"), the bandwidth that gives the sweep's largest sum
      its measured time (2 ranks: two latencies and each rank's whole buffer through the
      loopback; the additions and the copies included)."""
    sweep = json.load(open(sweep_path))
    small = [p["seconds"] for p in sweep["sweep"] if p["bytes"] <= 1024]
    latency = statistics.median(small) / 2
    if rate == "shm":
        largest = max(sweep["sweep"], key=lambda p: p["bytes"])
        seconds = largest["seconds"] - 2 * latency
        if seconds <= 0:
            sys.exit(f"error: {sweep_path}: the largest sum took no longer than two small ones")
        bytes_per_second = largest["bytes"] / seconds
    else:
        number, unit = rate[:-len("bit")].rstrip("kmg"), rate[len(rate.rstrip("kmgbit")):]
        scale = {"gbit": 1e9, "mbit": 1e6, "kbit": 1e3, "bit": 1}.get(unit)
        if scale is None or not number.replace(".", "", 1).isdigit():
            sys.exit(f"error: rate {rate}: give tc's form, e.g. 1gbit or 100mbit, or shm")
        bytes_per_second = float(number) * scale / 8
    print(json.dumps({"bandwidth": f"{bytes_per_second / 1e9:.4f}GBps", "latency": f"{latency * 1e6:.2f}us",
                      "latency_seconds": latency, "bytes_per_second": bytes_per_second}))


# MARK: - Report

FIELDS = ["model", "compression", "topology", "link", "ranks", "simulated_step_seconds", "local_seconds",
          "efficiency", "measured_step_seconds", "source"]


def read_points(path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["ranks"] = int(row["ranks"])
        for key in ("simulated_step_seconds", "local_seconds", "efficiency"):
            row[key] = float(row[key])
        row["measured_step_seconds"] = float(row["measured_step_seconds"]) if row.get("measured_step_seconds") else None
    return rows


def write_report(out_dir):
    rows = read_points(os.path.join(out_dir, "points.csv"))
    lines = ["# Simulated scaling (SimGrid SMPI)", "",
             "Each point replays the trainer's steady step, as recorded from a real run (its calls, their sizes and "
             "order, and the local compute before each, measured on this CPU), on a simulated platform of one rank per "
             "host (topology `flat` or `fattree`) or of nodes of C ranks (`fattree:C`: the node's ranks share its link, "
             "and talk through a loopback fitted to this machine's shared-memory sums): weak scaling, efficiency = the uncompressed step's local time (a step with nobody to wait for) "
             "/ the simulated step, so a compression's encoding counts against it. Collective algorithms: SMPI's "
             "copy of Open MPI's selection (`smpi/coll-selector:ompi`). --overlap's nonblocking sums start at their first "
             "wait, as Open MPI's (no progress thread) move only inside MPI calls; "
             "STEP_REPLAY_ASYNC_PROGRESS=1 simulates a network that progresses them alone.", ""]
    validation = [r for r in rows if r["source"] == "validation"]
    if validation:
        lines += ["## Simulated against measured", "",
                  "The namespace hosts' link as the platform (the rate tc caps it at, the latency of small allreduces "
                  "over it), or for `shm` one node of 2 ranks (the loopback fitted to the largest sum of a shared-memory "
                  "sweep); each rank's schedule recorded from the very run that was measured:", "",
                  "| model | compression | link | ranks | measured s/step | simulated s/step | error |", "|---|---|---|---|---|---|---|"]
        for r in validation:
            error = (r["simulated_step_seconds"] - r["measured_step_seconds"]) / r["measured_step_seconds"]
            lines.append(f"| {r['model']} | {r['compression']} | {r['link']} | {r['ranks']} | "
                         f"{r['measured_step_seconds'] * 1e3:.3f} ms | {r['simulated_step_seconds'] * 1e3:.3f} ms | {error * 100:+.1f}% |")
        lines.append("")
    predicted = [r for r in rows if r["source"] == "simulated"]
    figures = {}
    for model in sorted({r["model"] for r in predicted}):
        for topology in sorted({r["topology"] for r in predicted if r["model"] == model}):
            subset = [r for r in predicted if r["model"] == model and r["topology"] == topology]
            links = sorted({r["link"] for r in subset}, key=link_bits)
            compressions = sorted({r["compression"] for r in subset})
            ranks = sorted({r["ranks"] for r in subset})
            lines += [f"## {model}, {topology}", "",
                      "Efficiency by rank count (columns) for each compression and link; **bold**: the compression "
                      "with the shortest simulated step there, the one `--compression auto` (which times each way of "
                      "summing on the job's own links at start-up) would pick.", "",
                      "| link | compression | " + " | ".join(str(n) for n in ranks) + " |",
                      "|---|---|" + "---|" * len(ranks)]
            for link in links:
                best = {}
                for n in ranks:
                    candidates = [r for r in subset if r["link"] == link and r["ranks"] == n]
                    if candidates:
                        best[n] = max(candidates, key=lambda r: r["efficiency"])["compression"]
                for compression in compressions:
                    cells = []
                    for n in ranks:
                        point = next((r for r in subset if r["link"] == link and r["ranks"] == n
                                      and r["compression"] == compression), None)
                        if point is None:
                            cells.append("-")
                            continue
                        text = f"{point['efficiency']:.2f}"
                        cells.append(f"**{text}**" if best.get(n) == compression else text)
                        figures[f"{model}.{topology}.{link}.{compression}.np{n}"] = point["efficiency"]
                    lines.append(f"| {link} | {compression} | " + " | ".join(cells) + " |")
            lines.append("")
    with open(os.path.join(out_dir, "simulated.json"), "w") as handle:
        json.dump({"efficiency": figures, "validation": [
            {"model": r["model"], "compression": r["compression"], "link": r["link"], "ranks": r["ranks"],
             "measured_step_seconds": r["measured_step_seconds"], "simulated_step_seconds": r["simulated_step_seconds"],
             "relative_error": (r["simulated_step_seconds"] - r["measured_step_seconds"]) / r["measured_step_seconds"]}
            for r in validation], "validated": validated_figures(validation)}, handle, indent=1, sort_keys=True)
    for model in sorted({r["model"] for r in predicted}):
        plot_efficiency(os.path.join(out_dir, f"efficiency-{model}.png"), [r for r in predicted if r["model"] == model], model)
        lines += [f"![{model}](efficiency-{model}.png)", ""]
    with open(os.path.join(out_dir, "report.md"), "w") as handle:
        handle.write("\n".join(lines))
    print("\n".join(lines))


def validated_figures(validation):
    """Each validation point's measured and simulated milliseconds and its error in percent, by
    "model.compression.rate.npN" (rate: "shm", "1gbit"), the keys the docs cite."""
    figures = {}
    for r in validation:
        key = f"{r['model']}.{r['compression']}.{r['link'].split(':')[0].split()[0]}.np{r['ranks']}"
        figures[key] = {"measured_ms": r["measured_step_seconds"] * 1e3, "simulated_ms": r["simulated_step_seconds"] * 1e3,
                        "error_percent": (r["simulated_step_seconds"] - r["measured_step_seconds"]) / r["measured_step_seconds"] * 100}
    return figures


def link_bits(text):
    """'10Gbps' -> 1e10 (for sorting)."""
    for unit, factor in (("Gbps", 1e9), ("Mbps", 1e6), ("bps", 1)):
        if text.endswith(unit):
            try:
                return float(text[:-len(unit)]) * factor
            except ValueError:
                break
    return 0.0


def plot_efficiency(path, rows, model):
    """Efficiency against simulated ranks of one model, a line per compression and link (flat)."""
    series = {}
    for r in rows:
        if r["topology"] != "flat":
            continue
        series.setdefault(f"{r['compression']} {r['link']}", []).append((r["ranks"], r["efficiency"]))
    plots, data = [], []
    for label, points in sorted(series.items()):
        points.sort()
        data.append("\n".join(f"{n} {e}" for n, e in points))
        plots.append(f"'-' using 1:2 with linespoints linewidth 2 title '{label}'")
    top = max(r["ranks"] for r in rows)
    script = f"""set terminal pngcairo size 1000,650 font ',10'
set output '{path}'
set title 'Simulated weak-scaling efficiency of {model} (SimGrid SMPI, flat switch)'
set xlabel 'ranks (one per host)'
set ylabel 'efficiency'
set key outside right
set grid
set logscale x 2
set xrange [1:{max(top, 4)}]
set yrange [0:1.05]
plot {', '.join(plots)}
""" + "".join(d + "\ne\n" for d in data)
    scaling.gnuplot(script)


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "schedule" and len(argv) in (4, 5):
        write_schedule(*argv[2:])
    elif command == "scaled" and len(argv) == 5:
        write_scaled(*argv[2:])
    elif command == "platform" and len(argv) in (8, 9):
        write_platform(*argv[2:])
    elif command == "fit" and len(argv) == 4:
        fit(argv[2], argv[3])
    elif command == "report" and len(argv) == 3:
        write_report(argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
