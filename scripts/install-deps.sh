#!/usr/bin/env bash
# Installs every build and test dependency of notewise from Debian 12 packages.
# Idempotent: safe to run again. Needs root (or sudo).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
  build-essential cmake pkg-config ccache \
  libeigen3-dev libopenblas-dev libopenblas-openmp-dev \
  libfftw3-dev libsndfile1-dev libsoxr-dev libpugixml-dev libzip-dev zlib1g-dev \
  libcli11-dev nlohmann-json3-dev librubberband-dev \
  libopenmpi-dev openmpi-bin \
  libgtest-dev libgmock-dev googletest libbenchmark-dev libcairo2-dev libjpeg62-turbo-dev chromium \
  clang libclang-rt-14-dev \
  python3-numpy python3-soundfile python3-mir-eval \
  python3-dev pybind11-dev python3-pybind11 python3-pytest python3-sklearn python3-matplotlib \
  fluidsynth fluid-soundfont-gm timgm6mb-soundfont >/dev/null  # the last three: scripts/render_drums.py

# The report's browser test drives headless Chromium with playwright-core (npm registry):
# Node.js from Debian unless one is installed already (with its own npm).
if ! command -v node >/dev/null 2>&1; then
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends nodejs >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends npm >/dev/null
fi
(cd "$(dirname "$0")/../tests/report" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
