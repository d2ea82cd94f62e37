"""Efficiency against link rate for each gradient compression, and the cost model on each link.

    network_compare.py add-run RUNS_CSV SUMMARY_JSON METRICS_JSONL --rate RATE --compression C
    network_compare.py report OUT_DIR    # OUT_DIR/runs.csv + allreduce-RATE.json -> report.md, efficiency.png

A run's speed is its last epoch's (PowerSGD's uncompressed warm-up falls in the first). Weak
scaling: efficiency = samples/s at 2 ranks / (2 x samples/s at 1 rank), with the median of the
1-rank runs made in the same session. The cost model per step: the 1-rank compute per step, plus
the ring allreduce time of what each compression sends (latency and bandwidth fitted on that
link's `bench allreduce --sweep` by scaling.fit_ring), plus the compression's own compute (encode and decode, from
`mnist-mpi bench compression`, OUT_DIR/compression.json).

Standard library only; the plot needs gnuplot.
"""
import csv
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scaling  # noqa: E402  (the ring model, its fit and the gnuplot helper)

FIELDS = ["rate", "compression", "ranks", "steps_per_epoch", "step_seconds", "compute_step_seconds",
          "allreduce_step_seconds", "samples_per_second", "test_accuracy", "exchanged_bytes_per_step",
          "parameter_count", "floats_first_sum", "floats_second_sum"]
COMPRESSIONS = ["none", "bf16", "powersgd"]


def rate_bits(rate):
    """Bits/s of a tc rate; unlimited sorts last."""
    units = {"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9}
    for unit in sorted(units, key=len, reverse=True):
        if rate.endswith(unit) and rate[: -len(unit)].isdigit():
            return int(rate[: -len(unit)]) * units[unit]
    return float("inf")


def rate_label(rate):
    bits = rate_bits(rate)
    return "unlimited" if bits == float("inf") else f"{bits / 1e9:g} Gbit/s"


def sums_of(summary):
    """Values in each allreduce of a step: (first, second); second is 0 without PowerSGD."""
    sums = summary["exchanged_values_per_sum"] + [0, 0]
    return sums[0], sums[1]


def row(summary, metrics, rate, compression):
    last = metrics[-1]
    steps = summary["steps_per_epoch"]
    first, second = sums_of(summary)
    return {
        "rate": rate, "compression": compression, "ranks": summary["ranks"], "steps_per_epoch": steps,
        "step_seconds": last["seconds"] / steps, "compute_step_seconds": last["compute_seconds"] / steps,
        "allreduce_step_seconds": last["allreduce_seconds"] / steps,
        "samples_per_second": last["samples_per_second"], "test_accuracy": summary["test_accuracy"],
        "exchanged_bytes_per_step": summary["exchanged_bytes_per_step"],
        "parameter_count": summary["parameter_count"], "floats_first_sum": first, "floats_second_sum": second,
    }


def add_run(csv_path, summary_path, metrics_path, rate, compression):
    with open(summary_path) as handle:
        summary = json.load(handle)
    with open(metrics_path) as handle:
        metrics = [json.loads(line) for line in handle if line.strip()]
    new = not os.path.exists(csv_path)
    with open(csv_path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        writer.writerow(row(summary, metrics, rate, compression))


def read_rows(csv_path):
    with open(csv_path) as handle:
        rows = list(csv.DictReader(handle))
    for r in rows:
        for key in FIELDS:
            if key not in ("rate", "compression"):
                r[key] = float(r[key])
    return rows


def transfer_seconds(bytes_by_sum, latency, bandwidth):
    return sum(scaling.ring_time(2, b, latency, bandwidth) for b in bytes_by_sum if b > 0)


def bytes_by_sum(r):
    width = 2 if r["compression"] == "bf16" else 4
    return [r["floats_first_sum"] * width, r["floats_second_sum"] * 4]


def analyse(out_dir):
    rows = read_rows(os.path.join(out_dir, "runs.csv"))
    singles = [r for r in rows if r["ranks"] == 1]
    pairs = [r for r in rows if r["ranks"] == 2]
    if not singles or not pairs:
        raise SystemExit("network_compare: runs.csv needs 1-rank and 2-rank runs")
    one_rank_sps = statistics.median(r["samples_per_second"] for r in singles)
    compute_per_step = statistics.median(r["compute_step_seconds"] for r in singles)
    rates = sorted({r["rate"] for r in pairs}, key=rate_bits)
    fits = {}
    for rate in rates:
        path = os.path.join(out_dir, f"allreduce-{rate}.json")
        if os.path.exists(path):
            with open(path) as handle:
                sweep = json.load(handle)
            fits[rate] = scaling.fit_ring(sweep["sweep"], sweep["ranks"])
    overhead = {"none": 0.0}
    cost_path = os.path.join(out_dir, "compression.json")
    if os.path.exists(cost_path):
        with open(cost_path) as handle:
            overhead.update(json.load(handle)["seconds_per_step"])
    results = []
    for r in pairs:
        result = {"rate": r["rate"], "compression": r["compression"],
                  "efficiency": r["samples_per_second"] / (2 * one_rank_sps),
                  "step_seconds": r["step_seconds"], "allreduce_step_seconds": r["allreduce_step_seconds"],
                  "test_accuracy": r["test_accuracy"], "bytes_per_step": r["exchanged_bytes_per_step"]}
        if r["rate"] in fits:
            latency, bandwidth = fits[r["rate"]]
            predicted = compute_per_step + transfer_seconds(bytes_by_sum(r), latency, bandwidth) \
                + overhead.get(r["compression"], 0.0)
            result.update(predicted_step_seconds=predicted,
                          relative_error=(predicted - r["step_seconds"]) / r["step_seconds"],
                          latency_seconds=latency, bandwidth_bytes_per_second=bandwidth)
        results.append(result)
    return {"one_rank_samples_per_second": one_rank_sps, "compute_seconds_per_step": compute_per_step,
            "compression_overhead_seconds": overhead, "results": results, "rates": rates}


def markdown(analysis):
    lines = ["| link | compression | bytes/step | efficiency | step ms (measured) | step ms (model) | model error | allreduce ms | fitted bandwidth | test accuracy |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    order = {c: i for i, c in enumerate(COMPRESSIONS)}
    for r in sorted(analysis["results"], key=lambda x: (rate_bits(x["rate"]), order.get(x["compression"], 9))):
        model = f"{r['predicted_step_seconds'] * 1e3:.2f}" if "predicted_step_seconds" in r else "-"
        error = f"{r['relative_error'] * 100:+.0f}%" if "relative_error" in r else "-"
        bandwidth = f"{r['bandwidth_bytes_per_second'] * 8 / 1e9:.2f} Gbit/s" if "bandwidth_bytes_per_second" in r else "-"
        lines.append(f"| {rate_label(r['rate'])} | {r['compression']} | {int(r['bytes_per_step']):,} | "
                     f"{r['efficiency']:.2f} | {r['step_seconds'] * 1e3:.2f} | {model} | {error} | "
                     f"{r['allreduce_step_seconds'] * 1e3:.2f} | {bandwidth} | {r['test_accuracy'] * 100:.2f}% |")
    return "\n".join(lines)


def plot(path, analysis):
    rates = analysis["rates"]
    script = ["set terminal pngcairo size 900,560 font ',11'", f"set output '{path}'",
              "set title 'Weak-scaling efficiency, 2 hosts x 1 rank, by link rate'",
              "set ylabel 'efficiency (2-rank samples/s / 2 x 1-rank)'", "set xlabel 'link rate (tc tbf on each host)'",
              "set yrange [0:1.05]", "set grid", "set key bottom right",
              "set xtics (" + ", ".join(f"'{rate_label(rate)}' {i}" for i, rate in enumerate(rates)) + ")",
              f"set xrange [-0.3:{len(rates) - 0.7}]"]
    plots, data = [], []
    for compression in COMPRESSIONS:
        points = [(rates.index(r["rate"]), r["efficiency"]) for r in analysis["results"] if r["compression"] == compression]
        if points:
            plots.append(f"'-' using 1:2 with linespoints linewidth 2 pointtype 7 title '{compression}'")
            data.append("\n".join(f"{x} {y}" for x, y in sorted(points)) + "\ne")
    script.append("plot " + ", ".join(plots))
    scaling.gnuplot("\n".join(script + data) + "\n")


def report(out_dir):
    analysis = analyse(out_dir)
    with open(os.path.join(out_dir, "analysis.json"), "w") as handle:
        json.dump(analysis, handle, indent=2)
    plot(os.path.join(out_dir, "efficiency.png"), analysis)
    overhead = ", ".join(f"{c} {s * 1e3:.2f} ms" for c, s in analysis["compression_overhead_seconds"].items())
    text = f"""# Efficiency against link rate, by gradient compression

2 network-namespace hosts x 1 rank over TCP, each host's link capped in both directions by tc tbf;
weak scaling against {analysis['one_rank_samples_per_second']:,.0f} samples/s at 1 rank (median of this
session's 1-rank runs); speeds from each run's last epoch.

{markdown(analysis)}

Model: {analysis['compute_seconds_per_step'] * 1e3:.2f} ms compute per step (1 rank) + the ring allreduce
of each sum (latency and bandwidth fitted per link on `bench allreduce --sweep`) + the compression's own
compute from `mnist-mpi bench compression` ({overhead}).

![efficiency](efficiency.png)
"""
    with open(os.path.join(out_dir, "report.md"), "w") as handle:
        handle.write(text)
    print(text)


def main(argv):
    if len(argv) >= 2 and argv[1] == "add-run":
        args = argv[2:]
        rate = args[args.index("--rate") + 1]
        compression = args[args.index("--compression") + 1]
        add_run(args[0], args[1], args[2], rate, compression)
    elif len(argv) == 3 and argv[1] == "report":
        report(argv[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
