# shellcheck shell=bash
# Shared set-up for scripts/train.sh and scripts/test.sh: system packages, build, mpirun.
# Source it from the repository root; it defines functions and changes nothing by itself.

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Where the Python readers' virtual environments live: outside the checkout, so that a fresh
# clone (CI, a second worktree) takes them as they are instead of downloading them again
# (torch's wheels are ~5 GB). MNIST_MPI_CACHE overrides; .build when no cache folder is writable.
tool_cache_dir() {
  local dir=${MNIST_MPI_CACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/mnist-mpi}
  if mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ]; then echo "$dir"; else echo .build; fi
}

# Holds an exclusive lock on VENV.lock (file descriptor 9) until the calling script exits, so
# that two runs on one machine never build or repair the same environment at once.
lock_venv() {  # VENV
  exec 9> "$1.lock"
  flock 9
}

# The MPI implementation: MPI=openmpi (default) or MPI=mpich. Each has its Debian packages, its
# own build folder (both can be installed and built at once) and its own launcher, named
# explicitly: Debian's alternatives decide what a bare `mpirun` is.
MPI=${MPI:-openmpi}
case $MPI in
  openmpi) MPI_PACKAGES=(libopenmpi-dev openmpi-bin); BUILD_DIR=.build ;;
  mpich) MPI_PACKAGES=(libmpich-dev mpich); BUILD_DIR=.build-mpich ;;
  *) die "MPI=$MPI: choose openmpi (the default) or mpich" ;;
esac
export MPI
# shellcheck disable=SC2034  # read by the scripts that source this file
export RELEASE_BIN=$BUILD_DIR/release/mnist-mpi

# System packages the build and the runs need (Debian/Ubuntu names).
# shellcheck disable=SC2034  # read by the scripts that source this file
SYSTEM_PACKAGES=("${MPI_PACKAGES[@]}" libopenblas-dev zlib1g-dev libpng-dev pkg-config)

# The launcher of the chosen implementation.
mpi_launcher() {
  case $MPI in
    mpich) echo mpiexec.mpich ;;
    *) if command -v mpirun.openmpi >/dev/null; then echo mpirun.openmpi; else echo mpirun; fi ;;
  esac
}

# Installs whatever of the named packages dpkg does not list as installed.
ensure_packages() {
  local wanted=("$@") missing=() package
  command -v dpkg-query >/dev/null || die "not a Debian/Ubuntu system: install OpenMPI, OpenBLAS, zlib and pkg-config by hand (${wanted[*]})"
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "missing packages ${missing[*]}: run as root: apt-get install -y ${missing[*]}"
    sudo=(sudo)
  fi
  say "installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq || die "apt-get update failed: check the network, or install ${missing[*]} by hand"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# oneDNN (Debian's libdnnl-dev, 2.x): its header is compiled in and libdnnl.so.2 is opened at
# run time; the binary uses it for --kernels auto|onednn and --precision bf16. Optional: where it
# cannot be installed, the build has OpenBLAS kernels only, and this says so.
ensure_onednn() {
  dpkg-query -W -f='${Status}' libdnnl-dev 2>/dev/null | grep -q 'install ok installed' && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { say "oneDNN missing (apt-get install libdnnl-dev as root): OpenBLAS kernels only"; return 0; }
    sudo=(sudo)
  fi
  say "installing libdnnl-dev (oneDNN)"
  if ! { "${sudo[@]}" apt-get install -y -qq --no-install-recommends libdnnl-dev >/dev/null 2>&1 \
      || { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
             --no-install-recommends libdnnl-dev >/dev/null; }; }; then
    say "libdnnl-dev is not installable here: OpenBLAS kernels only (--kernels onednn will say so)"
    return 0
  fi
  # The header is found by __has_include: make an earlier build without it compile it in now.
  touch Sources/COneDNN/onednn_kernels.c
}

# Whether BINARY runs oneDNN's products here (in bfloat16 with PRECISION bf16): the exit status.
onednn_runs() {  # BINARY [PRECISION]
  "$1" bench floor --steps 1 --repeat 1 --kernels onednn --precision "${2:-fp32}" > /dev/null 2>&1
}

ensure_swift() {
  command -v swift >/dev/null || die "no Swift toolchain on PATH: install Swift 5.10 or later from swift.org"
}

# Builds the package in the given configuration (release by default). Release binaries carry
# the Swift standard library statically, so the same binary runs in the cluster image (no Swift
# runtime there) and on nodes that have no toolchain.
build() {
  local configuration=${1:-release} flags=() toolchain
  if [ "$configuration" = release ]; then
    flags=(--static-swift-stdlib)
    # gold warns about a mktemp inside the static Foundation; lld (shipped with the toolchain)
    # links the same objects without that warning.
    toolchain=$(dirname "$(readlink -f "$(command -v swift)")")
    [ -x "$toolchain/ld.lld" ] && flags+=(-Xswiftc -use-ld=lld)
  fi
  [ "$BUILD_DIR" = .build ] || flags+=(--scratch-path "$BUILD_DIR")
  ensure_onednn
  use_mpi_pkgconfig
  say "MPI=$MPI swift build -c $configuration ${flags[*]}"
  # Progress lines dropped; pipefail keeps swift build's status.
  swift build -c "$configuration" "${flags[@]}" 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\]' || true; } \
    || die "swift build -c $configuration ${flags[*]} failed (see above)"
}

# MPICH's pkg-config file carries a linker-only flag (-Wl,-z,relro) that SwiftPM refuses with a
# warning on every build; a copy without it in the build folder goes first on PKG_CONFIG_PATH.
use_mpi_pkgconfig() {
  [ "$MPI" = mpich ] || return 0
  local folder=$PWD/$BUILD_DIR/pkgconfig
  case ":${PKG_CONFIG_PATH:-}:" in *":$folder:"*) return 0 ;; esac  # done already
  mkdir -p "$folder"
  {
    echo "Name: mpich"
    echo "Description: MPICH, its flags for SwiftPM (written by scripts/lib/setup.sh)"
    echo "Version: $(pkg-config --modversion mpich)"
    echo "Cflags: $(pkg-config --cflags mpich)"
    echo "Libs: $(pkg-config --libs mpich | sed 's/-Wl,[^ ]*//g')"
  } > "$folder/mpich.pc"
  grep -q '^Cflags: -I' "$folder/mpich.pc" || die "pkg-config knows no mpich: install libmpich-dev"
  export PKG_CONFIG_PATH=$folder${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
}

# OpenMPI refuses to run as root unless told; containers and CI run as root.
allow_mpi_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  fi
}

# Runs "$@" on $1 ranks with mpirun: one rank per core, bound to it, one BLAS thread each;
# more ranks than cores run oversubscribed and unbound.
run_mpi() {
  local ranks=$1; shift
  local cores; cores=$(nproc)
  local placement=(--bind-to core)
  if [ "$ranks" -gt "$cores" ]; then
    say "$ranks ranks on $cores cores: oversubscribing"
    placement=(--oversubscribe --bind-to none)
  fi
  allow_mpi_as_root
  local status=0 launcher
  launcher=$(mpi_launcher)
  if [ "$MPI" = mpich ]; then
    # Hydra: -bind-to core|none, -genv for the environment (it oversubscribes as asked).
    local binding=core
    [ "$ranks" -le "$cores" ] || binding=none
    local hooks=()
    [ -z "${MNIST_MPI_TEST_HOOKS:-}" ] || hooks=(-genv MNIST_MPI_TEST_HOOKS "$MNIST_MPI_TEST_HOOKS")
    "$launcher" -n "$ranks" -bind-to "$binding" -genv OPENBLAS_NUM_THREADS 1 ${hooks[@]+"${hooks[@]}"} "$@" || status=$?
  else
    # --quiet keeps mpirun's banners out: the trainer prints its own one-line errors. A rank
    # killed from outside prints nothing, so say so below.
    local hooks=()
    [ -z "${MNIST_MPI_TEST_HOOKS:-}" ] || hooks=(-x MNIST_MPI_TEST_HOOKS)
    "$launcher" --quiet -np "$ranks" "${placement[@]}" -x OPENBLAS_NUM_THREADS=1 ${hooks[@]+"${hooks[@]}"} "$@" || status=$?
  fi
  if [ "$status" -ge 128 ]; then
    printf 'error: the job ended by signal %d (a rank was killed or mpirun was stopped); with --checkpoint, continue with --resume\n' \
      "$((status - 128))" >&2
  fi
  return "$status"
}
