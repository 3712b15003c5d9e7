#!/usr/bin/env bash
# Installs the dependencies of notewise from Debian 12 packages. Idempotent: safe to run again.
# Needs root (or sudo).
#   bash scripts/install-deps.sh         what building and running need: the library, the program
#                                        and the Python module (the README's quick start)
#   bash scripts/install-deps.sh --all   that, and everything the tests, benchmarks, fuzzers,
#                                        packaging (man page, .deb, pip) and data scripts use
set -euo pipefail
all=0
case "${1:-}" in
  "") ;;
  --all) all=1 ;;
  *) echo "usage: bash scripts/install-deps.sh [--all]" >&2; exit 2 ;;
esac
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
apt_install() { $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null; }
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq

# Build and run: compiler, CMake, Ninja (it compiles each file as soon as it can, where make waits
# for whole libraries), the libraries notewise links, pybind11 and numpy for the module.
apt_install \
  build-essential cmake ninja-build pkg-config \
  libeigen3-dev libopenblas-dev libopenblas-openmp-dev \
  libfftw3-dev libsndfile1-dev libsoxr-dev libpugixml-dev libzip-dev zlib1g-dev \
  libcli11-dev nlohmann-json3-dev librubberband-dev libcairo2-dev libjpeg62-turbo-dev \
  python3-dev pybind11-dev python3-numpy
[ "$all" = 1 ] || exit 0

# Tests, benchmarks, MPI batches, sanitizers and fuzzing (clang), the JACK client of `live`
# (libjack-jackd2-dev; jackd2: its test starts a dummy server), the Python tests' references,
# packaging (help2man, dpkg-shlibdeps, pip in a venv, bash completion), scripts/render_drums.py and
# scripts/render_mixed.py (the last four), and scripts/train_learned.py (python3-torch, CPU).
apt_install \
  ccache libopenmpi-dev openmpi-bin \
  libgtest-dev libgmock-dev googletest libbenchmark-dev chromium \
  clang libclang-rt-14-dev libjack-jackd2-dev jackd2 \
  python3-soundfile python3-mir-eval python3-pybind11 python3-pytest python3-sklearn python3-matplotlib \
  help2man file dpkg-dev python3-pip python3-setuptools python3-wheel python3-venv bash-completion \
  fluidsynth fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont-small \
  python3-torch

# The report's browser test drives headless Chromium with playwright-core (npm registry):
# Node.js from Debian unless one is installed already (with its own npm).
if ! command -v node >/dev/null 2>&1; then apt_install nodejs; fi
if ! command -v npm >/dev/null 2>&1; then apt_install npm; fi
(cd "$(dirname "$0")/../tests/report" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
