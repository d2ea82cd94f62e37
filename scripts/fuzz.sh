#!/usr/bin/env bash
# Fuzzes what crafted input reaches, with libFuzzer and AddressSanitizer, SECONDS each (default
# 60): the IDX reader (plain and gzip), the checkpoint decoder and the training options'
# validation: the three targets of the mnist-mpi-fuzz product, built with SwiftPM's fuzzer
# sanitizer. Seeds are small valid files written here. A crash leaves its input in
# .build-fuzz/crashes/ and fails the run; replay it with
# `swift run mnist-mpi-fuzz idx|checkpoint|options FILE`.
#   scripts/fuzz.sh            # 60 s each
#   scripts/fuzz.sh 20         # scripts/test.sh runs this
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

SECONDS_TO_RUN=${1:-60}
OUT=.build-fuzz
ensure_swift
ensure_packages zlib1g-dev python3
mkdir -p "$OUT/crashes" "$OUT/tmp" "$OUT/corpus-idx" "$OUT/corpus-checkpoint" "$OUT/corpus-options"
say "building mnist-mpi-fuzz (swift build --sanitize fuzzer --sanitize address)"
# -Xswiftc -sanitize=fuzzer as well: without it the library modules get no coverage counters.
swift build -c release --product mnist-mpi-fuzz --sanitize fuzzer --sanitize address \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --scratch-path "$OUT/spm" > "$OUT/build-spm.log" 2>&1 \
  || { tail -n 30 "$OUT/build-spm.log" >&2; die "the mnist-mpi-fuzz harness did not build (above)"; }
python3 - "$OUT/corpus-idx" "$OUT/corpus-checkpoint" "$OUT/corpus-options" <<'SEEDS'
import gzip, json, os, struct, sys
idx, checkpoints, options = sys.argv[1:4]
images = struct.pack(">IIII", 0x803, 3, 28, 28) + bytes(range(256)) * 9 + bytes(3 * 784 - 2304)
labels = struct.pack(">II", 0x801, 3) + bytes([1, 2, 3])
for name, data in [("images", images), ("labels", labels)]:
    open(os.path.join(idx, name), "wb").write(data)
    open(os.path.join(idx, name + ".gz"), "wb").write(gzip.compress(data))
header = json.dumps({"activation": "relu", "fingerprint": "seed", "first_moment_count": 23, "layer_sizes": [4, 3, 2],
                     "next_epoch": 1, "next_step": 0, "optimizer": "momentum", "optimizer_steps": 10,
                     "parameter_count": 23, "partial_loss": 0.0, "ranks": 2, "second_moment_count": 0,
                     "seed": 42}, sort_keys=True).encode()
body = b"MNMPICKP" + struct.pack("<II", 1, len(header)) + header + struct.pack("<46f", *([0.25] * 46))
open(os.path.join(checkpoints, "seed-body"), "wb").write(body)   # the harness appends the checksum
open(os.path.join(options, "seed"), "wb").write(bytes(range(200)))
SEEDS

# Runs target $1 on its corpus for SECONDS.
fuzz() {
  local name=$1 log=$OUT/fuzz-$1.log status=0
  # The idx target writes scratch files under TMPDIR: keep them in the build folder.
  (cd "$OUT/crashes" && TMPDIR=$PWD/../tmp MNIST_MPI_FUZZ_TARGET=$name ../spm/release/mnist-mpi-fuzz \
    -max_total_time="$SECONDS_TO_RUN" -max_len=16384 -print_final_stats=1 "../corpus-$name") > "$log" 2>&1 || status=$?
  local runs
  runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || echo "?")
  if [ "$status" -ne 0 ]; then
    grep -E 'ERROR|Fatal error|SUMMARY' "$log" | head -n 5 >&2
    die "fuzz: the $name harness crashed on an input (saved in $OUT/crashes/; log $log)"
  fi
  say "fuzz: $name, $runs executions in $SECONDS_TO_RUN s, no crash"
}
say "fuzzing the IDX reader, the checkpoint decoder and the options for $SECONDS_TO_RUN s each"
for target in idx checkpoint options; do fuzz "$target"; done
