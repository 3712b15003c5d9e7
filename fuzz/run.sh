#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (libFuzzer + AddressSanitizer + UBSan) and runs each
# for its share of the time:
#   bash fuzz/run.sh [--keep] [SECONDS] [TARGET...]    (default 60 s in all, split evenly; all targets)
# Targets: midi (Standard MIDI Files), csv (CSV/TSV/text score tables), musicxml (MusicXML and
# .mxl), npy (.npy reader), selection (group/selection language), model (piano-model folder:
# model.json + .npy), audio (read_audio, read_audio_info, AudioReader: WAV/FLAC/OGG/MP3/...
# through libsndfile); their bodies are in fuzz/fuzz_targets.hpp. Each starts from the kept
# corpus fuzz/corpus/<target>/ plus generated seeds (fuzz/make_seeds.cpp) and the score
# fixtures; new inputs go to build-fuzz/corpus/<target>/, crashes to build-fuzz/. With --keep,
# each target's kept corpus is then replaced by the minimised merge (libFuzzer -merge=1) of all
# three, inputs over 6 KiB left out: how fuzz/corpus/ is grown (see docs/HARDENING.md, "Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
if [ "${1:-}" = --keep ]; then keep=1; shift; fi
seconds=${1:-60}
shift || true
source fuzz/targets.sh
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${fuzz_targets[@]}")
root=$PWD
# Coverage feedback only from notewise's own code (src/, include/notewise/, fuzz/): the features
# of libstdc++, Eigen and nlohmann::json templates would otherwise keep hundreds of inputs in the
# merged corpus that reach no new line of a parser.
mkdir -p build-fuzz
# (A function is instrumented when both its file, src:, and its name, fun:, are allowed.)
printf 'src:*/src/*\nsrc:src/*\nsrc:*include/notewise/*\nsrc:*fuzz/*\nfun:*\n' > build-fuzz/allowlist.txt
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -fsanitize-coverage-allowlist=build-fuzz/allowlist.txt -Iinclude -Ifuzz -isystem /usr/include/eigen3)
fuzz_seeds build-fuzz/seeds

build() {
  local t=$1
  [ -x build-fuzz/fuzz_$t ] && [ -z "$(find fuzz src include \( -name '*.[ch]pp' -o -name '*.sh' \) -newer build-fuzz/fuzz_$t | head -1)" ] &&
    return
  fuzz_link "$t"
  clang++ "${flags[@]}" -DNOTEWISE_FUZZ_TARGET="$t" fuzz/fuzz_target.cpp "${link[@]}" -o build-fuzz/fuzz_$t
}

share=$(( seconds / ${#targets[@]} ))
[ "$share" -ge 1 ] || share=1
for t in "${targets[@]}"; do
  build "$t"
  mkdir -p build-fuzz/corpus/$t fuzz/corpus/$t
  echo "== fuzz_$t: ${share} s"
  (cd build-fuzz && LSAN_OPTIONS=suppressions=$root/.ci/lsan.supp ./fuzz_$t -max_total_time="$share" -max_len=65536 -timeout=10 -rss_limit_mb=2560 \
     -print_final_stats=1 -artifact_prefix="$root/build-fuzz/crash-$t-" corpus/$t "$root/fuzz/corpus/$t" seeds/$t 2>&1 | \
     grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done|==[0-9]+==ERROR|SUMMARY)" || true)
  if ls build-fuzz/crash-$t-* >/dev/null 2>&1; then echo "fuzz_$t: crash found (build-fuzz/crash-$t-*)"; exit 1; fi
  if [ $keep = 1 ]; then
    # Inputs over 6 KiB are left out of the kept corpus: mutants of large seeds reached no line
    # the small ones did not, and made most of its bytes.
    find build-fuzz/corpus/$t fuzz/corpus/$t -type f -size +6k -delete
    rm -rf build-fuzz/kept && mkdir build-fuzz/kept
    (cd build-fuzz && LSAN_OPTIONS=suppressions=$root/.ci/lsan.supp ./fuzz_$t -merge=1 -max_len=65536 -timeout=10 -rss_limit_mb=2560 \
       kept "$root/fuzz/corpus/$t" corpus/$t seeds/$t 2>&1 | grep -E "^MERGE-OUTER: [0-9]+ new files" || true)
    if [ -z "$(ls build-fuzz/kept)" ]; then echo "fuzz_$t: the merge kept nothing (no coverage?); fuzz/corpus/$t left as it was"; exit 1; fi
    rm -rf fuzz/corpus/$t && mv build-fuzz/kept fuzz/corpus/$t
    echo "fuzz/corpus/$t: $(ls fuzz/corpus/$t | wc -l) files, $(du -sk fuzz/corpus/$t | cut -f1) KiB"
  fi
done
