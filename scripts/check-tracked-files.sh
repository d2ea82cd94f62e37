#!/usr/bin/env bash
# Fails when git tracks a file over MAX_TRACKED_BYTES (5 MB) or a core dump (by name or by
# content: `file` says "core file"), naming each. Run by .ci/run before the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_TRACKED_BYTES=${MAX_TRACKED_BYTES:-5000000}
bad=()
while IFS= read -r -d '' path; do
  [ -f "$path" ] || continue
  size=$(stat -c %s "$path")
  if [ "$size" -gt "$MAX_TRACKED_BYTES" ]; then
    bad+=("$path: $((size / 1000000)) MB (over $((MAX_TRACKED_BYTES / 1000000)) MB)")
  fi
  case ${path##*/} in
    core | core.[0-9]* | vgcore.*) bad+=("$path: named like a core dump") ; continue ;;
  esac
  # ELF core files begin with the ELF magic and have e_type 4 (bytes 16-17, little-endian).
  if [ "$size" -ge 18 ] && [ "$(head -c 4 "$path" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] \
     && [ "$(od -An -tx1 -j16 -N2 "$path" | tr -d ' ')" = 0400 ]; then
    bad+=("$path: an ELF core dump")
  fi
done < <(git ls-files -z)
if [ ${#bad[@]} -gt 0 ]; then
  printf 'error: tracked files that must not be in the repository (git rm --cached them; core files are ignored):\n' >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "==> tracked files: none over $((MAX_TRACKED_BYTES / 1000000)) MB, no core dump" >&2
