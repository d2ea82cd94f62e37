#!/usr/bin/env python3
"""Combines the runs of scripts/bench-deterministic.sh into a table and a JSON file.

Usage: deterministic_report.py WORK_DIR OUT_JSON [--link-rate RATE]

Each run's summary is WORK_DIR/{mode}-{where}-np{ranks}-g{global}-{repeat}.json with mode one of
default, float32 (the default with --compression none), deterministic and micro-batch-passes
(--deterministic with MNIST_MPI_LEAF_PASSES=off). A ratio is taken within each repetition (runs
back to back) and the median over the repetitions is reported.
"""
import argparse
import collections
import glob
import json
import os
import re
import statistics
import sys

NAME = re.compile(r"^(default|float32|deterministic|micro-batch-passes)-(local|netns)-np(\d+)-g(\d+)-(\d+)\.json$")
TARGETS = {"local-np1-g200": 1.10, "local-np2-g200": 1.15, "local-np2-g600": 1.15, "netns-np2-g200": 1.20, "netns-np2-g600": 1.20}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("work")
    parser.add_argument("out")
    parser.add_argument("--link-rate", default="")
    args = parser.parse_args()
    runs = collections.defaultdict(dict)  # config -> repeat -> mode -> summary
    for path in sorted(glob.glob(os.path.join(args.work, "*.json"))):
        match = NAME.match(os.path.basename(path))
        if not match:
            continue
        mode, where, ranks, global_batch, repeat = match.groups()
        with open(path) as handle:
            runs[f"{where}-np{ranks}-g{global_batch}"].setdefault(int(repeat), {})[mode] = json.load(handle)
    if not runs:
        sys.exit(f"error: no runs in {args.work}: run scripts/bench-deterministic.sh")

    figures = {"link_rate": args.link_rate, "configurations": sorted(runs)}
    rows = []
    for config in sorted(runs):
        repeats = runs[config]
        seconds = collections.defaultdict(list)
        ratios = collections.defaultdict(list)
        for by_mode in repeats.values():
            epoch = {mode: s["train_seconds"] / s["epochs_run"] for mode, s in by_mode.items()}
            for mode, value in epoch.items():
                seconds[mode].append(value)
            for mode in ("deterministic", "micro-batch-passes"):
                for base in ("default", "float32"):
                    if mode in epoch and base in epoch:
                        ratios[f"{mode}_over_{base}"].append(epoch[mode] / epoch[base])
        for mode, values in seconds.items():
            figures.setdefault("epoch_seconds", {}).setdefault(config, {})[mode] = statistics.median(values)
        for name, values in ratios.items():
            figures.setdefault(name, {})[config] = statistics.median(values)
        last = repeats[max(repeats)]
        deterministic = last.get("deterministic", {})
        figures.setdefault("fingerprint", {})[config] = deterministic.get("parameter_fingerprint")
        figures.setdefault("leaf_passes", {})[config] = deterministic.get("leaf_passes")
        same_bits = {r.get("micro-batch-passes", {}).get("parameter_fingerprint") for r in repeats.values()} | {
            r.get("deterministic", {}).get("parameter_fingerprint") for r in repeats.values()}
        same = len(same_bits - {None}) == 1
        figures.setdefault("same_bits_both_passes", {})[config] = same
        compression = last.get("default", {}).get("compression")
        figures.setdefault("default_compression", {})[config] = compression
        rows.append((config, seconds, figures.get("deterministic_over_default", {}).get(config),
                     figures.get("deterministic_over_float32", {}).get(config),
                     figures.get("micro-batch-passes_over_default", {}).get(config), compression,
                     deterministic.get("leaf_passes"), same))

    def cell(value, digits=3):
        return "-" if value is None else f"{value:.{digits}f}"

    print(f"| runs ({len(next(iter(runs.values())))} repetitions; link {args.link_rate or '-'} for netns) | default s/epoch "
          "| deterministic | det / default | det / float32 sum | micro-batch passes / default | default's compression "
          "| leaf passes | same bits both ways |")
    print("|---|---|---|---|---|---|---|---|---|")
    for config, seconds, over_default, over_float32, old_over_default, compression, leaf, same in rows:
        median = lambda mode: statistics.median(seconds[mode]) if seconds.get(mode) else None
        print(f"| {config} | {cell(median('default'))} | {cell(median('deterministic'))} | {cell(over_default)} "
              f"| {cell(over_float32)} | {cell(old_over_default)} | {compression} | {leaf} | {same} |")
    print()
    for config, target in TARGETS.items():
        # Against the float32 sum where the default compresses (it cannot be bit-exact).
        value = figures.get("deterministic_over_float32", {}).get(config) or figures.get("deterministic_over_default", {}).get(config)
        if value is None:
            continue
        verdict = "met     " if value <= target else "NOT MET "
        print(f"{verdict} --deterministic epoch <= {target:.2f} x the default's float32 sum, {config}: {value:.3f} x")
    with open(args.out, "w") as handle:
        json.dump(figures, handle, indent=1, sort_keys=True)
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()
