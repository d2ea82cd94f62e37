#!/usr/bin/env bash
# Which oneDNN, in which layout, computes LeNet-5's convolutions fastest on this CPU, natively
# and limited to AVX2 (ONEDNN_MAX_CPU_ISA=AVX2, what an AVX2-only CPU runs): one thread, batch
# 100, forward (bias and ReLU fused), backward data and backward weights per step
# (scripts/bench/conv_layouts.cpp), for Debian's oneDNN 2.6 (libdnnl-dev) and Intel's oneDNN 3.2
# from PyPI (onednn-cpu-gomp and onednn-devel-cpu-gomp 2023.2.0, unpacked into the tool cache;
# nothing installed into the system Python), each with the images channels last (nhwc, the
# trainer's layout) and in oneDNN's preferred blocked layout (plus the reorders from and to
# nhwc that a channels-last trainer would add). Configurations interleaved, REPEATS rounds,
# medians. Writes results/conv-layouts.json (RECORD=1: also docs/results/conv-layouts-CPU.json,
# which docs/models.md cites).
#   scripts/bench-conv-layouts.sh        # about 1 minute
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

REPEATS=${REPEATS:-5}
OUT=${OUT:-results/conv-layouts.json}
WORK=.build/conv-layouts
mkdir -p "$WORK" "$(dirname "$OUT")"

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  ensure_packages g++ python3 python3-pip unzip
  ensure_onednn
fi
ONEDNN3=$(tool_cache_dir)/onednn-3.2
if [ ! -e "$ONEDNN3/lib/libdnnl.so.3" ]; then
  say "oneDNN 3.2 from PyPI (onednn-cpu-gomp, onednn-devel-cpu-gomp 2023.2.0) into $ONEDNN3"
  rm -rf "$WORK/wheels" && mkdir -p "$WORK/wheels" "$ONEDNN3"
  python3 -m pip download --quiet --no-deps -d "$WORK/wheels" onednn-cpu-gomp==2023.2.0 onednn-devel-cpu-gomp==2023.2.0
  for wheel in "$WORK"/wheels/*.whl; do unzip -q -o "$wheel" -d "$WORK/wheels/unpacked"; done
  cp -r "$WORK"/wheels/unpacked/*.data/data/include "$WORK"/wheels/unpacked/*.data/data/lib "$ONEDNN3/"
fi
say "building the benchmark against oneDNN 2.6 (Debian) and 3.2 ($ONEDNN3)"
g++ -O2 -std=c++17 scripts/bench/conv_layouts.cpp -o "$WORK/conv-2" -ldnnl
g++ -O2 -std=c++17 -I"$ONEDNN3/include" scripts/bench/conv_layouts.cpp -o "$WORK/conv-3" \
  -L"$ONEDNN3/lib" -l:libdnnl.so.3 -Wl,-rpath,"$ONEDNN3/lib"

: > "$WORK/runs.jsonl"
for repeat in $(seq 1 "$REPEATS"); do
  say "round $repeat of $REPEATS"
  for isa in native AVX2; do
    for version in 2 3; do
      for layout in nhwc any; do
        limit=()
        [ "$isa" = native ] || limit=(ONEDNN_MAX_CPU_ISA="$isa")
        line=$(env OMP_NUM_THREADS=1 ${limit[@]+"${limit[@]}"} "$WORK/conv-$version" "$layout" 100)
        printf '{"isa": "%s", "round": %d, %s\n' "$isa" "$repeat" "${line#\{}" >> "$WORK/runs.jsonl"
      done
    done
  done
done

python3 - "$WORK/runs.jsonl" "$OUT" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
result, rows = {}, []
for isa in ["native", "AVX2"]:
    for version in sorted({run["onednn"] for run in runs}):
        for layout in ["nhwc", "any"]:
            chosen = [run for run in runs if (run["isa"], run["onednn"], run["layout"]) == (isa, version, layout)]
            convolutions = statistics.median(run["convolutions_ms"] for run in chosen)
            reorders = statistics.median(run["reorders_ms"] for run in chosen)
            key = f"{isa}.onednn-{version.split('.')[0]}.{layout}"
            result[key] = {"convolutions_ms": round(convolutions, 4), "reorders_ms": round(reorders, 4),
                           "with_reorders_ms": round(convolutions + reorders, 4), "onednn": version,
                           "implementations": chosen[0]["implementations"]}
            rows.append((isa, version, layout, convolutions, reorders, ", ".join(sorted(set(chosen[0]["implementations"])))))
json.dump(result, open(sys.argv[2], "w"), indent=2)
print(f"{'ISA':7s} {'oneDNN':7s} {'layout':7s} {'conv ms/step':>12s} {'+ reorders':>10s}  implementations")
for isa, version, layout, convolutions, reorders, names in rows:
    print(f"{isa:7s} {version:7s} {layout:7s} {convolutions:12.3f} {convolutions + reorders:10.3f}  {names}")
PY
if [ "${RECORD:-0}" = 1 ]; then
  python3 scripts/figures/record.py "$OUT" conv-layouts --command "RECORD=1 scripts/bench-conv-layouts.sh"
fi
