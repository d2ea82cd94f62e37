#!/usr/bin/env python3
"""Fails when README.md or docs/*.md quote a figure that drifted from its result file, or
speak of a measurement without saying where it was made.

    python3 scripts/figures/check_figures.py [ROOT]

1. A figure cited as `0.79<!-- figure FILE KEY -->` must equal FILE's (docs/results/FILE.json)
   figures[KEY] at the quoted precision, and its paragraph or its section (from the heading
   above it) must name FILE's CPU ("AMD EPYC Zen 4").
2. No line says "here" beside a measured figure: name the CPU instead.
3. No line says when or by whom something was measured (which work period, which day): say what,
   on which CPU, with which command.
"""
import glob
import json
import os
import re
import sys

MARKER = re.compile(r"(-?[0-9][0-9,]*(?:\.[0-9]+)?)\s*(?:x|ms|s|%|GFLOP/s)?\s*<!-- figure (\S+) (\S+) -->")
FIGURE = re.compile(r"[0-9](?:\.[0-9]+)?\s?(?:ms|s|x|%|GB/s|MB/s|GFLOP/s|minutes|min)\b")
HERE = re.compile(r"\bhere\b", re.IGNORECASE)
# (Spelled in parts so that this file does not match itself.)
WHEN = re.compile(r"(earlier|previous|last|later|this|that|one|two|[0-9]) " + "sess" + r"ions?([^a-z]|$)|" + "to" + r"day's|half an hour " + "later",
                  re.IGNORECASE)


def paragraphs(text):
    """(first line number, paragraph text) for each blank-line-separated block."""
    start, lines = 1, []
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if not lines:
                start = number
            lines.append(line)
        elif lines:
            yield start, "\n".join(lines)
            lines = []
    if lines:
        yield start, "\n".join(lines)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    files = [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    problems, cited = [], 0
    for path in files:
        name = os.path.relpath(path, root)
        text = open(path, encoding="utf-8").read()
        lines = text.split("\n")
        for start, paragraph in paragraphs(text):
            # The section: from the nearest heading above the paragraph to the paragraph.
            heading = max((n for n in range(1, start) if lines[n - 1].startswith("#")), default=1)
            section = "\n".join(lines[heading - 1:start - 1]) + "\n" + paragraph
            for match in MARKER.finditer(paragraph):
                cited += 1
                quoted, source, key = match.groups()
                line = start + paragraph[:match.start()].count("\n")
                result_path = os.path.join(root, "docs", "results", source + ".json")
                if not os.path.exists(result_path):
                    problems.append(f"{name}:{line}: cites docs/results/{source}.json, which does not exist")
                    continue
                record = json.load(open(result_path))
                if key not in record.get("figures", {}):
                    problems.append(f"{name}:{line}: docs/results/{source}.json has no figure {key}")
                    continue
                decimals = len(quoted.split(".")[1]) if "." in quoted else 0
                expected = f"{record['figures'][key]:.{decimals}f}"
                if quoted.replace(",", "") != expected:
                    problems.append(f"{name}:{line}: quotes {quoted} for {source} {key}, the result file says {expected}")
                if record["cpu"]["short"] not in section:
                    problems.append(f"{name}:{line}: a figure of {source} in a paragraph that does not name its CPU ({record['cpu']['short']})")
        for number, line in enumerate(text.split("\n"), 1):
            plain = re.sub(r"`[^`]*`", "", line)
            if HERE.search(plain) and FIGURE.search(plain):
                problems.append(f"{name}:{number}: 'here' beside a measured figure: name the CPU: {line.strip()[:100]}")
            if WHEN.search(plain) and "ssh" not in plain.lower():
                problems.append(f"{name}:{number}: says when or by whom it was measured: {line.strip()[:100]}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"error: {len(problems)} figure problems in README.md and docs/ (above)", file=sys.stderr)
        return 1
    print(f"figures: {cited} cited figures match their result files; no 'here' beside a figure, no session talk")
    return 0


if __name__ == "__main__":
    sys.exit(main())
