#!/usr/bin/env bash
# Runs every benchmark and prints the ratio tables of docs/PERFORMANCE.md.
#   bash bench/run.sh            # build (Release) if needed, then run all
#   QUICK=1 bash bench/run.sh    # smaller NMF shapes only (a minute)
# Needs the build dependencies (scripts/install-deps.sh --all) and, for the scikit-learn columns,
# Debian's python3-sklearn (installed here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2}
if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
  ${SUDO:-$( [ "$(id -u)" -ne 0 ] && echo sudo )} apt-get install -y -qq python3-sklearn >/dev/null
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target bench_stft bench_nmf bench_nae >/dev/null
out=build/bench-results
mkdir -p "$out"
filter=${QUICK:+--benchmark_filter=/1025/4000/100}
build/bench/bench_stft --benchmark_format=json --benchmark_out="$out/stft.json" --benchmark_out_format=json >/dev/null
for coretype in default SkylakeX; do
  if [ "$coretype" = default ]; then env_core="NOTEWISE_UNUSED=1"; else env_core="OPENBLAS_CORETYPE=$coretype"; fi
  env "$env_core" build/bench/bench_nmf $filter --benchmark_out="$out/nmf_$coretype.json" --benchmark_out_format=json >/dev/null
  env "$env_core" /usr/bin/python3 bench/sklearn_nmf.py ${QUICK:+--quick} > "$out/sklearn_$coretype.json"
done
# The autoencoder under the best kernels this CPU has (as the notewise program picks them).
nae_core=$(grep -q avx512f /proc/cpuinfo && echo OPENBLAS_CORETYPE=SkylakeX || echo NOTEWISE_UNUSED=1)
env "$nae_core" build/bench/bench_nae ${QUICK:+--benchmark_filter=/1025/4000/100/} \
  --benchmark_out="$out/nae.json" --benchmark_out_format=json >/dev/null
/usr/bin/python3 bench/report.py "$out"
