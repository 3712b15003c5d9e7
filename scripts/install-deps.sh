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
  libfftw3-dev libsndfile1-dev libsoxr-dev libpugixml-dev libzip-dev \
  libcli11-dev nlohmann-json3-dev \
  libgtest-dev libgmock-dev googletest libbenchmark-dev libcairo2-dev chromium \
  clang libclang-rt-14-dev \
  python3-numpy python3-soundfile python3-mir-eval >/dev/null
