"""Scaling runs: collect summaries into runs.csv, compute speed-up, efficiency and where the
time goes, fit the allreduce cost model, write report.md and PNG plots (gnuplot).

    scaling.py add-run RUNS_CSV SUMMARY_JSON --mode weak --repeat 1 --cores 2
    scaling.py report OUT_DIR            # OUT_DIR/runs.csv [+ allreduce.json] -> report.md, *.png
    scaling.py models OUT_DIR DIR...     # reports of one model each -> OUT_DIR/report.md, models.json
    scaling.py compare OUT_DIR A B ...   # saved result folders side by side
    scaling.py plot-metrics OUT_PNG METRICS.jsonl ...

Standard library only; plots need gnuplot (scripts/scaling.sh installs gnuplot-nox).
"""
import csv
import json
import os
import statistics
import subprocess
import sys

FIELDS = [
    "mode", "ranks", "repeat", "oversubscribed", "epochs", "batch_size", "global_batch",
    "steps_per_epoch", "seconds_per_epoch", "samples_per_second", "compute_seconds_per_epoch",
    "allreduce_seconds_per_epoch", "test_accuracy", "peak_rss_bytes", "parameter_count",
    "network_link_rate", "time_to_target_seconds", "compression",
]
# Text columns; older runs.csv files have no network_link_rate or compression column.
TEXT_FIELDS = {"mode": None, "network_link_rate": "not declared", "compression": "not recorded"}
# Columns that may be empty: runs without --target-accuracy (or older runs.csv files).
OPTIONAL_FIELDS = {"time_to_target_seconds"}
PREDICTED_RANKS = [2, 4, 8, 16, 32, 64]


# MARK: - Collecting runs

def row_from_summary(summary, mode, repeat, cores):
    epochs_run = max(summary["epochs_run"], 1)
    return {
        "mode": mode,
        "ranks": summary["ranks"],
        "repeat": repeat,
        "oversubscribed": int(summary["ranks"] > cores),
        "epochs": summary["epochs"],
        "batch_size": summary["batch_size"],
        "global_batch": summary["global_batch"],
        "steps_per_epoch": summary["steps_per_epoch"],
        "seconds_per_epoch": summary["train_seconds"] / epochs_run,
        "samples_per_second": summary["samples_per_second"],
        "compute_seconds_per_epoch": summary["compute_seconds"] / epochs_run,
        "allreduce_seconds_per_epoch": summary["allreduce_seconds"] / epochs_run,
        "test_accuracy": summary["test_accuracy"],
        "peak_rss_bytes": summary["peak_rss_bytes"],
        "parameter_count": summary["parameter_count"],
        "network_link_rate": summary.get("network_link_rate", "not declared"),
        # Wall time from launch to --target-accuracy (empty without one, or when not reached).
        "time_to_target_seconds": summary.get("time_to_target_seconds") if summary.get("target_reached") else "",
        # What --compression chose (auto may pick bf16 or PowerSGD on a slow link).
        "compression": summary.get("compression", "not recorded"),
    }


def append_row(path, row):
    new = not os.path.exists(path)
    with open(path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        writer.writerow(row)


def read_rows(path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for key in FIELDS:
            if key in TEXT_FIELDS:
                row[key] = row.get(key) or TEXT_FIELDS[key]
            elif key in OPTIONAL_FIELDS:
                row[key] = float(row[key]) if row.get(key) else None
            else:
                row[key] = float(row[key])
        for key in ("ranks", "repeat", "oversubscribed", "epochs", "batch_size", "global_batch",
                    "steps_per_epoch", "peak_rss_bytes", "parameter_count"):
            row[key] = int(row[key])
    return rows


# MARK: - Speed-up, efficiency, shares

def aggregate(rows):
    """Per (mode, ranks): the medians over repeats, then speed-up and efficiency against the
    same mode's 1-rank point (or its smallest rank count)."""
    points = {}
    for row in rows:
        points.setdefault((row["mode"], row["ranks"]), []).append(row)
    table = []
    for mode in sorted({m for m, _ in points}):
        ranks = sorted(r for m, r in points if m == mode)
        base = None
        for count in ranks:
            runs = points[(mode, count)]
            point = {
                "mode": mode,
                "ranks": count,
                "repeats": len(runs),
                "oversubscribed": any(r["oversubscribed"] for r in runs),
                "global_batch": runs[0]["global_batch"],
                "steps_per_epoch": runs[0]["steps_per_epoch"],
            }
            for key in ("seconds_per_epoch", "samples_per_second", "compute_seconds_per_epoch",
                        "allreduce_seconds_per_epoch", "test_accuracy"):
                point[key] = statistics.median(r[key] for r in runs)
            times = [r["time_to_target_seconds"] for r in runs if r.get("time_to_target_seconds") is not None]
            point["time_to_target_seconds"] = statistics.median(times) if times else None
            point["other_seconds_per_epoch"] = max(
                0.0, point["seconds_per_epoch"] - point["compute_seconds_per_epoch"]
                - point["allreduce_seconds_per_epoch"])
            point["communication_share"] = point["allreduce_seconds_per_epoch"] / point["seconds_per_epoch"]
            if base is None:
                base = point
            # Samples per second compares weak and strong alike (strong: same samples an epoch).
            point["speedup"] = (point["samples_per_second"] / base["samples_per_second"]) * base["ranks"]
            point["efficiency"] = point["speedup"] / count
            table.append(point)
    return table


# MARK: - The ring-allreduce cost model

def ring_time(ranks, message_bytes, latency, bandwidth):
    """2(P-1)/P x bytes / bandwidth + 2(P-1) x latency (seconds)."""
    if ranks <= 1:
        return 0.0
    return 2 * (ranks - 1) / ranks * message_bytes / bandwidth + 2 * (ranks - 1) * latency


def fit_ring(sweep, ranks):
    """Least-squares latency (s) and bandwidth (bytes/s) from allreduce timings measured on
    `ranks` ranks: time = a x (2(P-1)/P x bytes) + b, bandwidth = 1/a, latency = b / (2(P-1)).
    The squares are of the relative error (weights 1/time^2), so that every message size counts
    alike: an unweighted fit is ruled by the 4 MiB point, which a shaped link (tc tbf) and TCP's
    congestion control slow down more than the sizes a step sends (on a 1 Gbit/s link it gave
    0.57 Gbit/s and a +70% error, this fit 1.08 Gbit/s and -4%)."""
    xs = [2 * (ranks - 1) / ranks * p["bytes"] for p in sweep]
    ys = [p["seconds"] for p in sweep]
    weights = [1 / y ** 2 for y in ys]
    total = sum(weights)
    mean_x = sum(w * x for w, x in zip(weights, xs)) / total
    mean_y = sum(w * y for w, y in zip(weights, ys)) / total
    slope = sum(w * (x - mean_x) * (y - mean_y) for w, x, y in zip(weights, xs, ys)) \
        / sum(w * (x - mean_x) ** 2 for w, x in zip(weights, xs))
    intercept = mean_y - slope * mean_x
    return max(intercept, 0.0) / (2 * (ranks - 1)), 1 / slope


def predict(compute_per_step, message_bytes, latency, bandwidth, ranks_list=PREDICTED_RANKS):
    """Weak scaling: each rank computes its batch in `compute_per_step`, then waits for the
    allreduce; efficiency = compute / (compute + allreduce)."""
    rows = []
    for ranks in ranks_list:
        step = compute_per_step + ring_time(ranks, message_bytes, latency, bandwidth)
        rows.append({"ranks": ranks, "step_seconds": step, "efficiency": compute_per_step / step,
                     "speedup": ranks * compute_per_step / step})
    return rows


def model_for(table, rows, sweep_data):
    """The model fitted on this run's sweep and its 1-rank weak compute per step, with the
    prediction error at the sweep's rank count."""
    weak = [p for p in table if p["mode"] == "weak"]
    if not sweep_data or not weak or weak[0]["ranks"] != 1:
        return None
    sweep_ranks = sweep_data["ranks"]
    latency, bandwidth = fit_ring(sweep_data["sweep"], sweep_ranks)
    one = weak[0]
    compute_per_step = one["compute_seconds_per_epoch"] / one["steps_per_epoch"]
    message_bytes = (rows[0]["parameter_count"] + 3) * 4
    predictions = predict(compute_per_step, message_bytes, latency, bandwidth)
    measured = next((p for p in weak if p["ranks"] == sweep_ranks), None)
    error = None
    if measured:
        measured_step = measured["seconds_per_epoch"] / measured["steps_per_epoch"]
        predicted_step = compute_per_step + ring_time(sweep_ranks, message_bytes, latency, bandwidth)
        error = {"ranks": sweep_ranks, "measured_step_seconds": measured_step,
                 "predicted_step_seconds": predicted_step,
                 "relative_error": (predicted_step - measured_step) / measured_step}
    return {"latency_seconds": latency, "bandwidth_bytes_per_second": bandwidth,
            "message_bytes": message_bytes, "compute_seconds_per_step": compute_per_step,
            "fitted_on_ranks": sweep_ranks, "predictions": predictions, "prediction_error": error}


# MARK: - Report and plots

def markdown_table(table):
    """The report's table; a time-to-target column when any run had --target-accuracy."""
    target = any(p.get("time_to_target_seconds") is not None for p in table)
    lines = [
        "| ranks | mode | s/epoch | samples/s | speed-up | efficiency | compute s | allreduce s | other s | comm. share | test acc. |"
        + (" time to target s |" if target else ""),
        "|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if target else ""),
    ]
    for p in table:
        mark = " (oversubscribed)" if p["oversubscribed"] else ""
        line = (
            f"| {p['ranks']}{mark} | {p['mode']} (global {p['global_batch']}) | {p['seconds_per_epoch']:.3f} | "
            f"{p['samples_per_second']:,.0f} | {p['speedup']:.2f} | {p['efficiency']:.2f} | "
            f"{p['compute_seconds_per_epoch']:.3f} | {p['allreduce_seconds_per_epoch']:.3f} | "
            f"{p['other_seconds_per_epoch']:.3f} | {p['communication_share'] * 100:.1f}% | "
            f"{p['test_accuracy'] * 100:.2f}% |")
        if target:
            seconds = p.get("time_to_target_seconds")
            line += f" {seconds:.2f} |" if seconds is not None else " not reached |"
        lines.append(line)
    return "\n".join(lines)


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def plot_speedup(path, series, model=None, title="Speed-up"):
    """series: [(label, [(ranks, speedup)])]; model: predictions to draw as a line."""
    data = []
    plots = []
    top = 2
    for label, points in series:
        data.append("\n".join(f"{r} {s}" for r, s in points))
        plots.append(f"'-' using 1:2 with linespoints linewidth 2 pointtype 7 title '{label}'")
        top = max([top] + [r for r, _ in points])
    if model:
        data.append("\n".join(f"{p['ranks']} {p['speedup']}" for p in model["predictions"]))
        plots.append("'-' using 1:2 with lines dashtype 2 linewidth 2 title 'ring-allreduce model (weak)'")
        top = max(top, max(p["ranks"] for p in model["predictions"]))
    ideal = f"x with lines linecolor rgb 'gray' title 'ideal'"
    script = f"""set terminal pngcairo size 900,600 font ',11'
set output '{path}'
set title '{title}'
set xlabel 'ranks'
set ylabel 'speed-up'
set key left top
set grid
set logscale xy 2
set xrange [1:{top}]
set yrange [0.5:{top}]
plot {ideal}, {', '.join(plots)}
""" + "".join(d + "\ne\n" for d in data)
    gnuplot(script)


def plot_breakdown(path, table):
    rows = "\n".join(
        f"\"{p['ranks']}{'*' if p['oversubscribed'] else ''} {p['mode']}\" {p['compute_seconds_per_epoch']} "
        f"{p['allreduce_seconds_per_epoch']} {p['other_seconds_per_epoch']}" for p in table)
    gnuplot(f"""set terminal pngcairo size 900,600 font ',11'
set output '{path}'
set title 'Where an epoch goes (* = oversubscribed)'
set ylabel 'seconds per epoch'
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.6
set key left top
set grid ytics
set xtics rotate by -30
plot '-' using 2:xtic(1) title 'compute', '' using 3 title 'allreduce', '' using 4 title 'other'
{rows}
e
{rows}
e
{rows}
e
""")


def plot_accuracy(path, table):
    modes = sorted({p["mode"] for p in table})
    data = ["\n".join(f"{p['ranks']} {p['test_accuracy'] * 100}" for p in table if p["mode"] == m) for m in modes]
    plots = [f"'-' using 1:2 with linespoints linewidth 2 pointtype 7 title '{m}'" for m in modes]
    gnuplot(f"""set terminal pngcairo size 900,600 font ',11'
set output '{path}'
set title 'Test accuracy against ranks'
set xlabel 'ranks'
set ylabel 'test accuracy (%)'
set logscale x 2
set grid
plot {', '.join(plots)}
""" + "".join(d + "\ne\n" for d in data))


ACCURACY_DROP_POINTS = 0.5


def accuracy_drops(table, limit_points=ACCURACY_DROP_POINTS):
    """The points whose test accuracy is more than limit_points below their mode's 1-rank point,
    as (point, drop in points)."""
    drops = []
    for mode in sorted({p["mode"] for p in table}):
        points = [p for p in table if p["mode"] == mode]
        base = next((p for p in points if p["ranks"] == 1), None)
        if base is None:
            continue
        for p in points:
            drop = (base["test_accuracy"] - p["test_accuracy"]) * 100
            if drop > limit_points:
                drops.append((p, drop))
    return drops


def write_report(out_dir, plots=True):
    rows = read_rows(os.path.join(out_dir, "runs.csv"))
    table = aggregate(rows)
    sweep_path = os.path.join(out_dir, "allreduce.json")
    sweep = json.load(open(sweep_path)) if os.path.exists(sweep_path) else None
    model = model_for(table, rows, sweep)
    with open(os.path.join(out_dir, "aggregate.json"), "w") as handle:
        json.dump({"points": table, "model": model}, handle, indent=2)
    lines = [f"# Scaling report: {os.path.basename(os.path.abspath(out_dir))}", "",
             f"Medians of {max(p['repeats'] for p in table)} runs per point; {rows[0]['epochs']} epochs a run; "
             f"link rate (as the launcher declared it): {', '.join(sorted({r['network_link_rate'] for r in rows}))}. "
             "Speed-up and efficiency against each mode's 1-rank point (samples per second). "
             "Ranks marked oversubscribed share cores, so they measure contention, not scaling.", "",
             markdown_table(table), ""]
    drops = accuracy_drops(table)
    if drops:
        lines += [f"**Accuracy below the 1-rank run by more than {ACCURACY_DROP_POINTS} points:** "
                  + "; ".join(f"{p['mode']} at {p['ranks']} ranks (global batch {p['global_batch']}): "
                              f"{p['test_accuracy'] * 100:.2f}%, {drop:.2f} points below"
                              for p, drop in drops)
                  + ". The global batch grew: see docs/accuracy-at-scale.md for the recipes that hold.", ""]
    if model:
        lines += ["## Cost model for larger clusters", "",
                  f"Allreduce fitted on {model['fitted_on_ranks']} ranks (4 B to 4 MiB): latency "
                  f"{model['latency_seconds'] * 1e6:.2f} us, bandwidth {model['bandwidth_bytes_per_second'] / 1e9:.2f} GB/s. "
                  f"Compute per step (1 rank): {model['compute_seconds_per_step'] * 1e3:.3f} ms; "
                  f"gradient message {model['message_bytes']:,} bytes (float32, uncompressed: for --compression "
                  "see scripts/network-compare.sh). Ring allreduce: "
                  "2(P-1)/P x bytes / bandwidth + 2(P-1) x latency.", ""]
        error = model["prediction_error"]
        if error:
            lines += [f"At {error['ranks']} ranks the model predicts {error['predicted_step_seconds'] * 1e3:.3f} ms "
                      f"per step, measured {error['measured_step_seconds'] * 1e3:.3f} ms: "
                      f"error {error['relative_error'] * 100:+.1f}%.", ""]
        lines += ["| ranks | predicted s/step | predicted efficiency | predicted speed-up |", "|---|---|---|---|"]
        lines += [f"| {p['ranks']} | {p['step_seconds'] * 1e3:.3f} ms | {p['efficiency']:.2f} | {p['speedup']:.1f} |"
                  for p in model["predictions"]]
        lines.append("")
    if plots:
        series = [(m, [(p["ranks"], p["speedup"]) for p in table if p["mode"] == m])
                  for m in sorted({p["mode"] for p in table})]
        plot_speedup(os.path.join(out_dir, "speedup.png"), series, model)
        plot_breakdown(os.path.join(out_dir, "breakdown.png"), table)
        plot_accuracy(os.path.join(out_dir, "accuracy.png"), table)
        lines += ["![speed-up](speedup.png)", "", "![time per epoch](breakdown.png)", "",
                  "![accuracy](accuracy.png)", ""]
    with open(os.path.join(out_dir, "report.md"), "w") as handle:
        handle.write("\n".join(lines))
    return table, model


def compare(out_dir, folders):
    os.makedirs(out_dir, exist_ok=True)
    lines = ["# Scaling comparison", "",
             "| run | ranks | mode | s/epoch | samples/s | speed-up | efficiency | comm. share | test acc. |",
             "|---|---|---|---|---|---|---|---|---|"]
    series = []
    for folder in folders:
        name = os.path.basename(os.path.abspath(folder))
        table = aggregate(read_rows(os.path.join(folder, "runs.csv")))
        for p in table:
            lines.append(f"| {name} | {p['ranks']}{'*' if p['oversubscribed'] else ''} | {p['mode']} | "
                         f"{p['seconds_per_epoch']:.3f} | {p['samples_per_second']:,.0f} | {p['speedup']:.2f} | "
                         f"{p['efficiency']:.2f} | {p['communication_share'] * 100:.1f}% | {p['test_accuracy'] * 100:.2f}% |")
        for mode in sorted({p["mode"] for p in table}):
            series.append((f"{name} {mode}", [(p["ranks"], p["speedup"]) for p in table if p["mode"] == mode]))
    plot_speedup(os.path.join(out_dir, "speedup.png"), series, title="Speed-up, runs compared")
    lines += ["", "(* = oversubscribed)", "", "![speed-up](speedup.png)", ""]
    with open(os.path.join(out_dir, "comparison.md"), "w") as handle:
        handle.write("\n".join(lines))
    print("\n".join(lines))


def predicted_at(model, ranks):
    """The model's predicted weak-scaling efficiency at `ranks` (None where it predicts none)."""
    return next((p["efficiency"] for p in model["predictions"] if p["ranks"] == ranks), None)


def models_report(out_dir, folders, plots=True):
    """One model per folder (each written by `scaling.sh` and its report): their measured
    efficiencies side by side, each with its cost model's predictions, and why they differ (the
    exchange's predicted share of a step: message bytes over the link against compute per step)."""
    os.makedirs(out_dir, exist_ok=True)
    entries = []
    for folder in folders:
        with open(os.path.join(folder, "aggregate.json")) as handle:
            data = json.load(handle)
        rows = read_rows(os.path.join(folder, "runs.csv"))
        compressions = {}
        for row in rows:
            compressions.setdefault((row["mode"], row["ranks"]), set()).add(row["compression"])
        for point in data["points"]:
            point["compression"] = ", ".join(sorted(compressions.get((point["mode"], point["ranks"]), {"?"})))
        entries.append({"name": os.path.basename(os.path.abspath(folder)), "points": data["points"],
                        "model": data["model"], "parameters": rows[0]["parameter_count"],
                        "link": ", ".join(sorted({r["network_link_rate"] for r in rows}))})
    lines = [f"# Scaling report: {os.path.basename(os.path.abspath(out_dir))}, models side by side", "",
             "Each model's runs and cost model are in its folder's report.md; medians of the repeats. "
             f"Link rate (as the launcher declared it): {', '.join(sorted({e['link'] for e in entries}))}.", "",
             "| model | parameters | ranks | mode | compression | s/epoch | compute s | allreduce s | speed-up | efficiency | predicted efficiency | test acc. |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    summary = []
    for entry in entries:
        model = entry["model"]
        predicted = {p["ranks"]: p for p in model["predictions"]} if model else {}
        for p in entry["points"]:
            guess = predicted.get(p["ranks"]) if p["mode"] == "weak" else None
            guess_text = "1.00" if (p["mode"] == "weak" and p["ranks"] == 1 and model) else (f"{guess['efficiency']:.2f}" if guess else "-")
            lines.append(f"| {entry['name']} | {entry['parameters']:,} | {p['ranks']}{'*' if p['oversubscribed'] else ''} | "
                         f"{p['mode']} | {p['compression']} | {p['seconds_per_epoch']:.3f} | {p['compute_seconds_per_epoch']:.3f} | "
                         f"{p['allreduce_seconds_per_epoch']:.3f} | {p['speedup']:.2f} | {p['efficiency']:.2f} | {guess_text} | "
                         f"{p['test_accuracy'] * 100:.2f}% |")
        if model:
            ring = ring_time(2, model["message_bytes"], model["latency_seconds"], model["bandwidth_bytes_per_second"])
            summary.append((entry, model, ring))
    lines += ["", "(* = oversubscribed; predicted: the folder's ring-allreduce model, weak scaling, of float32 "
              "gradients: compare it with runs of --compression none)", ""]
    if summary:
        lines += ["## Why they differ", "",
                  "Weak-scaling efficiency is compute / (compute + exchange) per step. The exchange is the "
                  "gradient message through the fitted link (ring allreduce), the compute the model's own:",
                  "", "| model | message bytes | compute ms/step | exchange ms/step at 2 ranks | exchange / compute | "
                  + " | ".join(f"predicted eff. at {r}" for r in (8, 64)) + " |",
                  "|---|---|---|---|---|" + "---|" * 2]
        for entry, model, ring in summary:
            at = {p["ranks"]: p["efficiency"] for p in model["predictions"]}
            lines.append(f"| {entry['name']} | {model['message_bytes']:,} | {model['compute_seconds_per_step'] * 1e3:.3f} | "
                         f"{ring * 1e3:.3f} | {ring / model['compute_seconds_per_step']:.3f} | "
                         + " | ".join(f"{at[r]:.2f}" if r in at else "-" for r in (8, 64)) + " |")
        lines.append("")
        ordered = sorted(summary, key=lambda item: item[2] / item[1]["compute_seconds_per_step"])
        if len(ordered) > 1:
            best, worst = ordered[0], ordered[-1]
            lines += [f"{best[0]['name']} spends {best[2] / best[1]['compute_seconds_per_step']:.3f} of a step's compute "
                      f"on the exchange at 2 ranks, {worst[0]['name']} {worst[2] / worst[1]['compute_seconds_per_step']:.3f}: "
                      f"{best[0]['name']} sends {best[1]['message_bytes']:,} bytes a step for "
                      f"{best[1]['compute_seconds_per_step'] * 1e3:.2f} ms of compute, {worst[0]['name']} "
                      f"{worst[1]['message_bytes']:,} bytes for {worst[1]['compute_seconds_per_step'] * 1e3:.2f} ms.", ""]
    figures = {}
    for entry in entries:
        model = entry["model"]
        predicted = {p["ranks"]: p["efficiency"] for p in model["predictions"]} if model else {}
        figures[entry["name"]] = {
            "parameters": entry["parameters"],
            "points": {f"{p['mode']}_np{p['ranks']}": {
                "seconds_per_epoch": p["seconds_per_epoch"], "efficiency": p["efficiency"],
                "compression": p["compression"], "predicted_efficiency": predicted.get(p["ranks"])}
                for p in entry["points"]},
        }
    for entry, model, ring in summary:
        figures[entry["name"]].update({
            "message_bytes": model["message_bytes"], "compute_seconds_per_step": model["compute_seconds_per_step"],
            "exchange_seconds_np2": ring, "exchange_over_compute_np2": ring / model["compute_seconds_per_step"],
            "predicted_efficiency_np8": predicted_at(model, 8), "predicted_efficiency_np64": predicted_at(model, 64)})
    with open(os.path.join(out_dir, "models.json"), "w") as handle:
        json.dump(figures, handle, indent=1, sort_keys=True)
    if plots:
        series = [(f"{e['name']} {mode}", [(p["ranks"], p["speedup"]) for p in e["points"] if p["mode"] == mode])
                  for e in entries for mode in sorted({p["mode"] for p in e["points"]})]
        plot_speedup(os.path.join(out_dir, "speedup.png"), series, title="Speed-up by model")
        lines += ["![speed-up](speedup.png)", ""]
    with open(os.path.join(out_dir, "report.md"), "w") as handle:
        handle.write("\n".join(lines))
    print("\n".join(lines))


def plot_metrics(out_png, files):
    cost_plots, accuracy_plots, data_cost, data_accuracy = [], [], [], []
    for path in files:
        epochs = [json.loads(line) for line in open(path) if line.strip()]
        label = os.path.basename(path).replace("_", "-")
        data_cost.append("\n".join(f"{e['epoch']} {e['cost']}" for e in epochs))
        cost_plots.append(f"'-' using 1:2 with linespoints pointtype 7 title '{label}'")
        points = [e for e in epochs if e.get("test_accuracy") is not None]
        data_accuracy.append("\n".join(f"{e['epoch']} {e['test_accuracy'] * 100}" for e in points) or "0 0")
        accuracy_plots.append(f"'-' using 1:2 with linespoints pointtype 7 title '{label}'")
    gnuplot(f"""set terminal pngcairo size 1200,500 font ',11'
set output '{out_png}'
set multiplot layout 1,2
set title 'Training cost'
set xlabel 'epoch'
set logscale y
set grid
plot {', '.join(cost_plots)}
""" + "".join(d + "\ne\n" for d in data_cost) + f"""
unset logscale y
set title 'Test accuracy (%)'
plot {', '.join(accuracy_plots)}
""" + "".join(d + "\ne\n" for d in data_accuracy) + "unset multiplot\n")


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "add-run":
        args = dict(zip(argv[4::2], argv[5::2]))
        summary = json.load(open(argv[3]))
        append_row(argv[2], row_from_summary(summary, args["--mode"], int(args["--repeat"]), int(args["--cores"])))
    elif command == "report":
        table, model = write_report(argv[2])
        print(markdown_table(table))
        if model and model["prediction_error"]:
            print(f"\nmodel: prediction error at {model['prediction_error']['ranks']} ranks: "
                  f"{model['prediction_error']['relative_error'] * 100:+.1f}%")
    elif command == "models":
        models_report(argv[2], argv[3:])
    elif command == "compare":
        compare(argv[2], argv[3:])
    elif command == "plot-metrics":
        plot_metrics(argv[2], argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
