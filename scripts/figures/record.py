#!/usr/bin/env python3
"""Keeps a benchmark's result as a file the docs quote from: docs/results/NAME-CPU.json.

    python3 scripts/figures/record.py RESULT.json NAME --command "scripts/bench.sh"

The file holds the CPU (model name, family/model, the short name the docs use, the flags that
decide speed), the command that measured it, the date, and every number of RESULT.json under
its dotted key ("weak_scaling_efficiency.np2"). Under MNIST_MPI_MAX_ISA (the paths of a narrower
CPU) the file is docs/results/NAME-CPU-max-LIMIT.json and says the limit. A figure in README.md or docs/*.md cites it as
`0.79<!-- figure bench-amd-epyc-zen-4 weak_scaling_efficiency.np2 -->`; check_figures.py
(scripts/test.sh's static checks) fails when the two differ.
"""
import argparse
import datetime
import json
import os
import re
import sys

SPEED_FLAGS = ["avx2", "fma", "f16c", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"]


def cpu():
    """The CPU as /proc/cpuinfo has it, with the short name the docs use."""
    fields = {}
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if not line.strip():
                break
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    model_name = fields.get("model name", "unknown")
    family, model = int(fields.get("cpu family", "0")), int(fields.get("model", "0"))
    flags = set(fields.get("flags", "").split())
    short = model_name
    if fields.get("vendor_id") == "AuthenticAMD" and family == 25:
        # Family 19h: models 00h-0Fh and 20h-5Fh are Zen 3, 10h-1Fh and 60h-AFh Zen 4.
        short = "AMD EPYC Zen 4" if (0x10 <= model <= 0x1F or 0x60 <= model <= 0xAF) else "AMD EPYC Zen 3"
    elif fields.get("vendor_id") == "AuthenticAMD" and family == 26:
        short = "AMD EPYC Zen 5"
    return {
        "model_name": model_name, "family": family, "model": model, "short": short,
        "flags": [flag for flag in SPEED_FLAGS if flag in flags],
    }


def key_part(name):
    """A key part a citation can carry: "default kernels (onednn)" -> "default-kernels-onednn"."""
    return re.sub(r"[^A-Za-z0-9_+-]+", "-", str(name)).strip("-")


def flatten(value, prefix=""):
    """Every number in `value` by its dotted key."""
    if isinstance(value, bool):
        return {}
    if isinstance(value, (int, float)):
        return {prefix: value}
    out = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key_part(key)}" if prefix else key_part(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    return out


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("result")
    parser.add_argument("name")
    parser.add_argument("--command", required=True)
    parser.add_argument("--folder", default="docs/results")
    arguments = parser.parse_args()
    with open(arguments.result) as handle:
        result = json.load(handle)
    machine = cpu()
    # MNIST_MPI_MAX_ISA (the narrow paths of an AVX2-only CPU on a wider one): a file of its own,
    # named for the limit, and the limit in the command that measured it.
    limit = os.environ.get("MNIST_MPI_MAX_ISA")
    command = f"MNIST_MPI_MAX_ISA={limit} {arguments.command}" if limit else arguments.command
    record = {
        "cpu": machine, "command": command,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "figures": flatten(result),
    }
    os.makedirs(arguments.folder, exist_ok=True)
    if limit:
        record["isa_limit"] = limit
    suffix = f"-max-{slug(limit)}" if limit else ""
    path = os.path.join(arguments.folder, f"{arguments.name}-{slug(machine['short'])}{suffix}.json")
    with open(path, "w") as handle:
        json.dump(record, handle, indent=1, sort_keys=True)
        handle.write("\n")
    print(f"recorded {len(record['figures'])} figures of {arguments.result} for {machine['short']} in {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
