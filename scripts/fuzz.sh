#!/usr/bin/env bash
# Fuzzes what crafted input reaches, with libFuzzer and AddressSanitizer, SECONDS each (default
# 60): the IDX reader (plain and gzip), the checkpoint decoder, the training options'
# validation and predict's image decoders (PNG, PGM) with the fitting: the four targets of the
# mnist-mpi-fuzz product, built with SwiftPM's fuzzer
# sanitizer. Seeds are small valid files written here. A crash leaves its input in
# .build-fuzz/crashes/ and fails the run; replay it with
# `swift run mnist-mpi-fuzz idx|checkpoint|options|image FILE`.
#   scripts/fuzz.sh            # 60 s each
#   scripts/fuzz.sh 20         # scripts/test.sh runs this
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

SECONDS_TO_RUN=${1:-60}
OUT=.build-fuzz
ensure_swift
ensure_packages zlib1g-dev libpng-dev python3
mkdir -p "$OUT/crashes" "$OUT/tmp" "$OUT/corpus-idx" "$OUT/corpus-checkpoint" "$OUT/corpus-options" "$OUT/corpus-image"
say "building mnist-mpi-fuzz (swift build --sanitize fuzzer --sanitize address)"
# -Xswiftc -sanitize=fuzzer as well: without it the library modules get no coverage counters.
swift build -c release --product mnist-mpi-fuzz --sanitize fuzzer --sanitize address \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --scratch-path "$OUT/spm" > "$OUT/build-spm.log" 2>&1 \
  || { tail -n 30 "$OUT/build-spm.log" >&2; die "the mnist-mpi-fuzz harness did not build (above)"; }
python3 - "$OUT/corpus-idx" "$OUT/corpus-checkpoint" "$OUT/corpus-options" "$OUT/corpus-image" <<'SEEDS'
import gzip, json, os, struct, sys, zlib
idx, checkpoints, options, image = sys.argv[1:5]
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
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
for colour, channels in [(0, 1), (4, 2), (2, 3), (6, 4)]:   # grey, grey+alpha, RGB, RGBA; 12x10
    rows = b"".join(b"\0" + bytes((x * 20 + y * 7 + c * 50) % 256 for x in range(12) for c in range(channels)) for y in range(10))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 12, 10, 8, colour, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    open(os.path.join(image, f"seed-{colour}.png"), "wb").write(png)
open(os.path.join(image, "seed.pgm"), "wb").write(b"P5\n# c\n6 5\n255\n" + bytes(range(0, 240, 8)))
open(os.path.join(image, "seed-plain.pgm"), "wb").write(b"P2 3 2 65535\n0 1000 65535 7 9 300\n")
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
say "fuzzing the IDX reader, the checkpoint decoder, the options and the image decoders for $SECONDS_TO_RUN s each"
for target in idx checkpoint options image; do fuzz "$target"; done
