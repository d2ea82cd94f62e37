#!/usr/bin/env bash
# Fuzzes what crafted input reaches, with libFuzzer and AddressSanitizer, SECONDS each (default
# 60): the IDX reader, plain and gzip (Fuzz/IDXFuzz.swift compiled with the MNISTData sources),
# the checkpoint decoder and the training options' validation (the mnist-mpi-fuzz product,
# built with SwiftPM's fuzzer sanitizer). Seeds are small valid files written here. A crash
# leaves its input in .build-fuzz/crashes/ and fails the run; replay it with
# .build-fuzz/idx-fuzz FILE, or `swift run mnist-mpi-fuzz checkpoint|options FILE`.
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
mkdir -p "$OUT/corpus" "$OUT/crashes" "$OUT/tmp" "$OUT/corpus-checkpoint" "$OUT/corpus-options"
say "building the IDX harness (swiftc -sanitize=fuzzer,address)"
swiftc -O -sanitize=fuzzer,address -parse-as-library -use-ld=lld -module-name MNISTData \
  Sources/MNISTData/*.swift Fuzz/IDXFuzz.swift -I Sources/CZlib -o "$OUT/idx-fuzz" 2> "$OUT/build.log" \
  || { cat "$OUT/build.log" >&2; die "the fuzz harness did not build (above)"; }
python3 - "$OUT/corpus" <<'SEEDS'
import gzip, os, struct, sys
folder = sys.argv[1]
images = struct.pack(">IIII", 0x803, 3, 28, 28) + bytes(range(256)) * 9 + bytes(3 * 784 - 2304)
labels = struct.pack(">II", 0x801, 3) + bytes([1, 2, 3])
for name, data in [("images", images), ("labels", labels)]:
    open(os.path.join(folder, name), "wb").write(data)
    open(os.path.join(folder, name + ".gz"), "wb").write(gzip.compress(data))
SEEDS
say "building the checkpoint and options harnesses (swift build --sanitize fuzzer --sanitize address)"
swift build -c release --product mnist-mpi-fuzz --sanitize fuzzer --sanitize address \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --scratch-path "$OUT/spm" > "$OUT/build-spm.log" 2>&1 \
  || { tail -n 30 "$OUT/build-spm.log" >&2; die "the mnist-mpi-fuzz harness did not build (above)"; }
python3 - "$OUT/corpus-checkpoint" "$OUT/corpus-options" <<'SEEDS'
import json, os, struct, sys
checkpoints, options = sys.argv[1], sys.argv[2]
header = json.dumps({"activation": "relu", "fingerprint": "seed", "first_moment_count": 23, "layer_sizes": [4, 3, 2],
                     "next_epoch": 1, "next_step": 0, "optimizer": "momentum", "optimizer_steps": 10,
                     "parameter_count": 23, "partial_loss": 0.0, "ranks": 2, "second_moment_count": 0,
                     "seed": 42}, sort_keys=True).encode()
body = b"MNMPICKP" + struct.pack("<II", 1, len(header)) + header + struct.pack("<46f", *([0.25] * 46))
open(os.path.join(checkpoints, "seed-body"), "wb").write(body)   # the harness appends the checksum
open(os.path.join(options, "seed"), "wb").write(bytes(range(200)))
SEEDS

# Runs harness $2 (a command) on corpus $3 for SECONDS; $1 names it in the lines.
fuzz() {
  local name=$1 corpus=$3 log=$OUT/fuzz-$1.log status=0
  # The harnesses write scratch files under TMPDIR: keep them in the build folder.
  (cd "$OUT/crashes" && TMPDIR=$PWD/../tmp MNIST_MPI_FUZZ_TARGET=$name $2 -max_total_time="$SECONDS_TO_RUN" \
    -max_len=16384 -print_final_stats=1 "$corpus") > "$log" 2>&1 || status=$?
  local runs
  runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || echo "?")
  if [ "$status" -ne 0 ]; then
    grep -E 'ERROR|Fatal error|SUMMARY' "$log" | head -n 5 >&2
    die "fuzz: the $name harness crashed on an input (saved in $OUT/crashes/; log $log)"
  fi
  say "fuzz: $name, $runs executions in $SECONDS_TO_RUN s, no crash"
}
say "fuzzing the IDX reader, the checkpoint decoder and the options for $SECONDS_TO_RUN s each"
fuzz idx "$PWD/$OUT/idx-fuzz" "$PWD/$OUT/corpus"
fuzz checkpoint "$PWD/$OUT/spm/release/mnist-mpi-fuzz" "$PWD/$OUT/corpus-checkpoint"
fuzz options "$PWD/$OUT/spm/release/mnist-mpi-fuzz" "$PWD/$OUT/corpus-options"
