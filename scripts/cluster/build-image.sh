#!/usr/bin/env bash
# Builds the cluster image (default mnist-mpi:latest) where no image registry is reachable:
#   1. a Debian base image made locally (debootstrap --variant=minbase of this host's release, from
#      the Debian package source apt already uses, then docker import), once;
#   2. mnist-mpi built on this host with a static Swift standard library;
#   3. scripts/cluster/Dockerfile, target `prebuilt`, on that base: the same Dockerfile that
#      `docker compose build` runs online (where the binary is compiled on the Swift image).
#   scripts/cluster/build-image.sh
#   RUNTIME_IMAGE=debian:bookworm-slim scripts/cluster/build-image.sh   # a base you already have
#   TARGET=slurm-prebuilt IMAGE=mnist-mpi-slurm:latest scripts/cluster/build-image.sh   # with Slurm
# The base must be the host's own release: the binary links the host's glibc, OpenMPI, OpenBLAS.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh

IMAGE=${IMAGE:-mnist-mpi:latest}
TARGET=${TARGET:-prebuilt}   # prebuilt, or slurm-prebuilt
# shellcheck disable=SC1091
. /etc/os-release
RELEASE=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release: set RUNTIME_IMAGE to a base image of this host\'s release}
RUNTIME_IMAGE=${RUNTIME_IMAGE:-mnist-mpi-base:$RELEASE}
STAGE=.build-docker

docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info): start dockerd, or see docs/cluster.md"

# The first package source apt uses for the release itself (not -updates or -security).
debian_mirror() {
  # shellcheck disable=SC2016  # apt-get's own $(FIELD) placeholders
  apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Identifier: Packages' 2>/dev/null \
    | awk -v release="$RELEASE" '$2 == release && $3 == "main" { print $1; exit }'
}

if ! docker image inspect "$RUNTIME_IMAGE" >/dev/null 2>&1; then
  [[ $RUNTIME_IMAGE == mnist-mpi-base:* ]] || die "base image $RUNTIME_IMAGE is not here: docker pull it, or leave RUNTIME_IMAGE unset to make one locally"
  ensure_packages debootstrap
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "apt has no source for '$RELEASE main' (apt-get indextargets): run apt-get update, or set RUNTIME_IMAGE"
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  say "base image $RUNTIME_IMAGE: debootstrap --variant=minbase $RELEASE from $mirror"
  started=$SECONDS
  debootstrap --variant=minbase "$RELEASE" "$root" "$mirror" > "$root.log" 2>&1 \
    || { tail -n 20 "$root.log" >&2; rm -f "$root.log"; die "debootstrap $RELEASE failed (above)"; }
  rm -f "$root.log"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import --change 'CMD ["/bin/bash"]' - "$RUNTIME_IMAGE" >/dev/null
  rm -rf "$root"
  trap - EXIT
  say "base image $RUNTIME_IMAGE made in $((SECONDS - started)) s"
fi

ensure_swift
ensure_packages "${SYSTEM_PACKAGES[@]}"
build release   # linked with --static-swift-stdlib: no Swift runtime needed in the image
binary=$(swift build -c release --show-bin-path)/mnist-mpi
if ldd "$binary" | grep -q 'libswiftCore'; then
  die "$binary links the Swift runtime dynamically: build it with swift build -c release --static-swift-stdlib"
fi
mkdir -p "$STAGE"
install -m 755 "$binary" "$STAGE/mnist-mpi"

# The classic builder (no buildx) also builds the prebuilt targets without the Swift image.
builder=()
docker buildx version >/dev/null 2>&1 || builder=(env DOCKER_BUILDKIT=0)
say "docker build --target $TARGET -t $IMAGE (base $RUNTIME_IMAGE)"
started=$SECONDS
log=$STAGE/docker-build.log
"${builder[@]}" docker build --target "$TARGET" --build-arg RUNTIME_IMAGE="$RUNTIME_IMAGE" \
  -f scripts/cluster/Dockerfile -t "$IMAGE" . > "$log" 2>&1 \
  || { tail -n 30 "$log" >&2; die "docker build failed (above; the whole log is $log)"; }
size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
say "image $IMAGE built in $((SECONDS - started)) s: $((size / 1000000)) MB"
