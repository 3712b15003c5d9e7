#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (libFuzzer + AddressSanitizer + UBSan) and runs each
# for its share of the time:
#   bash fuzz/run.sh [SECONDS] [TARGET...]    (default 60 s in all, split evenly; all targets)
# Targets: midi (MIDI, CSV and MusicXML/.mxl scores), npy (.npy reader), selection (group/selection language),
# model (piano-model folder: model.json + .npy), audio (read_audio: WAV/FLAC/OGG/MP3/... through
# libsndfile). Seeds are generated (fuzz/make_seeds.cpp) plus the score fixtures; crashes are
# written to build-fuzz/. The model target links the Release build's libraries for the code it
# does not exercise (training); they are built here if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(midi npy selection model audio)
root=$PWD
mkdir -p build-fuzz
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Iinclude -isystem /usr/include/eigen3)
io=(src/io/npy.cpp src/io/atomic_file.cpp src/io/output_run.cpp src/core/error.cpp)

clang++ -std=c++20 -O1 fuzz/make_seeds.cpp -lsndfile -o build-fuzz/make_seeds
build-fuzz/make_seeds build-fuzz/seeds
mkdir -p build-fuzz/seeds/midi
cp tests/fixtures/scores/*.mid tests/fixtures/scores/*.csv tests/fixtures/scores/dialects/* tests/fixtures/scores/musicxml/*.musicxml \
  tests/fixtures/scores/musicxml/*.mxl build-fuzz/seeds/midi/

build() {
  local t=$1
  [ -x build-fuzz/fuzz_$t ] && [ -z "$(find fuzz src include -newer build-fuzz/fuzz_$t -name '*.[ch]pp' | head -1)" ] && return
  case $t in
    midi) clang++ "${flags[@]}" fuzz/fuzz_midi.cpp src/io/score_midi.cpp src/io/score_csv.cpp src/io/score_musicxml.cpp src/score/score.cpp \
            src/score/instrument.cpp "${io[@]}" -lpugixml -lzip -o build-fuzz/fuzz_midi ;;
    npy) clang++ "${flags[@]}" fuzz/fuzz_npy.cpp "${io[@]}" -o build-fuzz/fuzz_npy ;;
    selection) clang++ "${flags[@]}" fuzz/fuzz_selection.cpp src/separation/groups.cpp src/score/score.cpp src/core/error.cpp \
                 -o build-fuzz/fuzz_selection ;;
    audio) clang++ "${flags[@]}" fuzz/fuzz_audio.cpp src/io/audio.cpp src/core/resample.cpp "${io[@]}" -lsndfile -lsoxr -o build-fuzz/fuzz_audio ;;
    model)
      if [ ! -f build/libnotewise_nae.a ]; then
        cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNOTEWISE_BUILD_BENCH=OFF >/dev/null
        cmake --build build -j2 --target notewise_nae notewise_nmf notewise_core
      fi
      clang++ "${flags[@]}" fuzz/fuzz_model.cpp src/io/model_io.cpp src/score/pretrained.cpp src/score/constraints.cpp src/score/instrument.cpp \
        src/score/score.cpp "${io[@]}" build/libnotewise_nae.a build/libnotewise_nmf.a build/libnotewise_core.a \
        -fopenmp -lopenblas -lfftw3f -lfftw3 -o build-fuzz/fuzz_model ;;
  esac
}

share=$(( seconds / ${#targets[@]} ))
[ "$share" -ge 1 ] || share=1
for t in "${targets[@]}"; do
  build "$t"
  mkdir -p build-fuzz/corpus/$t
  echo "== fuzz_$t: ${share} s"
  (cd build-fuzz && LSAN_OPTIONS=suppressions=$root/.ci/lsan.supp ./fuzz_$t -max_total_time="$share" -max_len=65536 -timeout=10 -rss_limit_mb=2560 \
     -print_final_stats=1 -artifact_prefix="$root/build-fuzz/crash-$t-" corpus/$t seeds/$t 2>&1 | \
     grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done|==[0-9]+==ERROR|SUMMARY)" || true)
  if ls build-fuzz/crash-$t-* >/dev/null 2>&1; then echo "fuzz_$t: crash found (build-fuzz/crash-$t-*)"; exit 1; fi
done
