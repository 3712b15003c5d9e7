#!/usr/bin/env bash
# Builds the score-parser fuzzer with clang (libFuzzer + AddressSanitizer + UBSan) and runs it.
#   bash fuzz/run.sh [SECONDS]     (default 60)
# The corpus starts from the MIDI and CSV fixtures; crashes are written to build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
mkdir -p build-fuzz/corpus
cp tests/fixtures/scores/*.mid tests/fixtures/scores/*.csv build-fuzz/corpus/
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Iinclude \
  fuzz/fuzz_midi.cpp src/io/score_midi.cpp src/io/score_csv.cpp src/io/atomic_file.cpp src/score/score.cpp src/score/instrument.cpp \
  src/core/error.cpp -o build-fuzz/fuzz_midi
cd build-fuzz
./fuzz_midi -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1 corpus 2>&1 | tail -15
