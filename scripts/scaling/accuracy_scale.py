"""Accuracy against the global batch (scripts/accuracy-scale.sh): collects run summaries into
runs.csv and writes report.md (one table per preset: global batch x recipe) and accuracy.png.

  python3 accuracy_scale.py add-run RUNS.csv SUMMARY.json --preset seed --recipe default
  python3 accuracy_scale.py report OUT_DIR
"""
import argparse
import csv
import json
import os
import sys

from scaling import gnuplot

FIELDS = ["preset", "recipe", "global_batch", "ranks", "epochs", "steps", "test_accuracy", "final_cost",
          "learning_rate_rule", "peak_learning_rate", "warmup_steps", "optimizer", "seconds_per_epoch"]
DROP_POINTS = 0.5


def row_from_summary(summary, preset, recipe):
    return {
        "preset": preset, "recipe": recipe, "global_batch": summary["global_batch"], "ranks": summary["ranks"],
        "epochs": summary["epochs"], "steps": summary["steps"], "test_accuracy": summary["test_accuracy"],
        "final_cost": summary["final_cost"], "learning_rate_rule": summary["learning_rate_rule"],
        "peak_learning_rate": summary["peak_learning_rate"], "warmup_steps": summary["warmup_steps"],
        "optimizer": summary["configuration"]["optimization"]["optimizer"]["kind"],
        "seconds_per_epoch": summary["seconds_per_epoch"],
    }


def read_rows(path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for key in ("global_batch", "ranks", "epochs", "steps", "warmup_steps"):
            row[key] = int(row[key])
        for key in ("test_accuracy", "final_cost", "peak_learning_rate", "seconds_per_epoch"):
            row[key] = float(row[key])
    return rows


def baseline(rows, preset):
    """The preset's reference: its smallest global batch under the original rule (recipe none,
    else any recipe at that batch)."""
    points = [r for r in rows if r["preset"] == preset]
    smallest = min(r["global_batch"] for r in points)
    at_smallest = [r for r in points if r["global_batch"] == smallest]
    return next((r for r in at_smallest if r["recipe"] == "none"), at_smallest[0])


def table_lines(rows, preset):
    points = [r for r in rows if r["preset"] == preset]
    recipes = list(dict.fromkeys(r["recipe"] for r in points))
    batches = sorted({r["global_batch"] for r in points})
    base = baseline(rows, preset)
    lines = [f"### {preset} ({base['epochs']} epochs; reference: global batch {base['global_batch']}, "
             f"{base['test_accuracy'] * 100:.2f}%)", "",
             "| global batch | steps | " + " | ".join(recipes) + " |",
             "|---|---|" + "---|" * len(recipes)]
    for batch in batches:
        cells, steps = [], ""
        for recipe in recipes:
            run = next((r for r in points if r["recipe"] == recipe and r["global_batch"] == batch), None)
            if run is None:
                cells.append("")
                continue
            steps = str(run["steps"])
            drop = (base["test_accuracy"] - run["test_accuracy"]) * 100
            flag = " **(-%.2f)**" % drop if drop > DROP_POINTS else ""
            cells.append(f"{run['test_accuracy'] * 100:.2f}%{flag} ({run['optimizer']} {run['peak_learning_rate']:.3g})")
        lines.append(f"| {batch} | {steps} | " + " | ".join(cells) + " |")
    return lines


def best_at_largest(rows, preset):
    points = [r for r in rows if r["preset"] == preset]
    largest = max(r["global_batch"] for r in points)
    return max((r for r in points if r["global_batch"] == largest), key=lambda r: r["test_accuracy"])


def plot(path, rows):
    presets = list(dict.fromkeys(r["preset"] for r in rows))
    script = [f"set terminal pngcairo size {560 * len(presets)},420 font ',10'", f"set output '{path}'",
              f"set multiplot layout 1,{len(presets)}", "set logscale x 2", "set grid",
              "set xlabel 'global batch'", "set ylabel 'test accuracy (%)'", "set key bottom left"]
    data = []
    for preset in presets:
        points = [r for r in rows if r["preset"] == preset]
        recipes = list(dict.fromkeys(r["recipe"] for r in points))
        script.append(f"set title '{preset}'")
        script.append("plot " + ", ".join(f"'-' using 1:2 with linespoints pointtype 7 title '{recipe}'"
                                          for recipe in recipes))
        for recipe in recipes:
            series = sorted((r["global_batch"], r["test_accuracy"] * 100) for r in points if r["recipe"] == recipe)
            data.append("\n".join(f"{b} {a}" for b, a in series) + "\ne")
        script.append("\n".join(data))
        data = []
    script.append("unset multiplot")
    gnuplot("\n".join(script) + "\n")


def report(out_dir):
    rows = read_rows(os.path.join(out_dir, "runs.csv"))
    presets = list(dict.fromkeys(r["preset"] for r in rows))
    lines = ["# Accuracy against the global batch", "",
             f"Each cell: test accuracy, then the optimizer and its peak learning rate. Runs more than "
             f"{DROP_POINTS} points below the preset's reference run are marked with the drop in bold.", ""]
    for preset in presets:
        lines += table_lines(rows, preset) + [""]
        best = best_at_largest(rows, preset)
        lines += [f"Best at global batch {best['global_batch']}: {best['recipe']} "
                  f"({best['test_accuracy'] * 100:.2f}%).", ""]
    plot(os.path.join(out_dir, "accuracy.png"), rows)
    lines += ["![accuracy against the global batch](accuracy.png)", ""]
    with open(os.path.join(out_dir, "report.md"), "w") as handle:
        handle.write("\n".join(lines))
    print("\n".join(lines))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-run")
    add.add_argument("csv")
    add.add_argument("summary")
    add.add_argument("--preset", required=True)
    add.add_argument("--recipe", required=True)
    make = commands.add_parser("report")
    make.add_argument("out_dir")
    args = parser.parse_args(argv)
    if args.command == "add-run":
        row = row_from_summary(json.load(open(args.summary)), args.preset, args.recipe)
        new = not os.path.exists(args.csv)
        with open(args.csv, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            if new:
                writer.writeheader()
            writer.writerow(row)
    else:
        report(args.out_dir)


if __name__ == "__main__":
    main(sys.argv[1:])
