#!/usr/bin/env bash
# Fuzzes the IDX reader (plain and gzip) with libFuzzer and AddressSanitizer for SECONDS
# (default 60): Fuzz/IDXFuzz.swift compiled with the MNISTData sources. Seeds are small valid
# image and label files (plain and gzip) written here. A crash leaves its input in
# .build-fuzz/crashes/ and fails the run; replay it with .build-fuzz/idx-fuzz FILE.
#   scripts/fuzz.sh            # 60 s
#   scripts/fuzz.sh 20         # scripts/test.sh runs this
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

SECONDS_TO_RUN=${1:-60}
OUT=.build-fuzz
ensure_swift
ensure_packages zlib1g-dev python3
mkdir -p "$OUT/corpus" "$OUT/crashes" "$OUT/tmp"
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
say "fuzzing the IDX reader for $SECONDS_TO_RUN s"
status=0
# The harness writes each input to a scratch file under TMPDIR: keep it in the build folder.
(cd "$OUT/crashes" && TMPDIR=$PWD/../tmp ../idx-fuzz -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -print_final_stats=1 ../corpus) \
  > "$OUT/fuzz.log" 2>&1 || status=$?
runs=$(grep -o 'Done [0-9]* runs' "$OUT/fuzz.log" | grep -o '[0-9]*' || echo "?")
if [ "$status" -ne 0 ]; then
  grep -E 'ERROR|Fatal error|SUMMARY' "$OUT/fuzz.log" | head -n 5 >&2
  die "the IDX reader crashed on an input (saved in $OUT/crashes/; log $OUT/fuzz.log)"
fi
say "fuzz: IDX reader, $runs executions in $SECONDS_TO_RUN s, no crash"
