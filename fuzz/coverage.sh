#!/usr/bin/env bash
# What the kept fuzz corpus reaches: builds each fuzz target without libFuzzer, with clang's
# source-based coverage (-fprofile-instr-generate -fcoverage-mapping) and fuzz/replay_main.cpp as
# its main, runs every file of fuzz/corpus/<target>/ through it once, and prints the line and
# branch coverage of the target's parser (llvm-cov):
#   bash fuzz/coverage.sh [THRESHOLD] [TARGET...]    (default 90 %; all targets)
#   CORPUS=DIR bash fuzz/coverage.sh ...             (replay DIR/<target>/ instead of fuzz/corpus/)
# Exits 1 if a parser's reader lines are below THRESHOLD %.
#
# "file" counts every function of the parser's source file; "readers" leaves out the functions
# that write (write_npy, the audio writers, the CSV rewriters ...) or only open a path and hand
# its bytes to the parser, which no fuzz input reaches: they are listed below the table and are
# tested by the unit tests instead. Lines and branches are summed over the reader functions
# (llvm-cov report -show-functions). Per-line detail: build-cov/<target>.txt (llvm-cov show).
set -euo pipefail
cd "$(dirname "$0")/.."
threshold=${1:-90}
shift || true
source fuzz/targets.sh
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${fuzz_targets[@]}")
corpus=${CORPUS:-fuzz/corpus}
cov=$(command -v llvm-cov-14 || command -v llvm-cov)
profdata=$(command -v llvm-profdata-14 || command -v llvm-profdata)
mkdir -p build-cov

# The parser each target measures, and the functions of its file that are not readers (an
# extended regex matched against the whole key: the function's name without namespaces).
parser_of() {
  case $1 in
    midi) echo src/io/score_midi.cpp ;;           csv) echo src/io/score_csv.cpp ;;
    musicxml) echo src/io/score_musicxml.cpp ;;   npy) echo src/io/npy.cpp ;;
    selection) echo src/separation/groups.cpp ;;  model) echo src/io/model_io.cpp ;;
    audio) echo src/io/audio.cpp ;;
  esac
}
not_readers() {
  case $1 in
    midi) echo 'write_midi_score|put_be|put_vlq|read_midi_file|read_midi_score' ;;
    csv) echo 'csv_score_text|write_csv_score|read_csv_score|read_score_file|read_score' ;;
    musicxml) echo 'read_musicxml_file' ;;
    npy) echo 'write_npy' ;;
    selection) echo '' ;;
    model) echo 'write_piano_model|constraints_json|piano_model_files' ;;
    audio) echo 'parse_sample_format|parse_file_format|file_format_of|extension_of|is_lossy|Encoding::validate|stored_rate|'\
'check_channels|open_for_writing|write_audio|write_wav|encode_mp3|mem_(length|seek|read|write|tell)|AudioWriter::.*' ;;
  esac
}

printf '%-28s %-9s %8s %8s %10s %10s\n' parser part lines "" branches ""
status=0
for t in "${targets[@]}"; do
  fuzz_link "$t"
  bin=build-cov/replay_$t
  if [ ! -x $bin ] || [ -n "$(find fuzz src include -newer $bin -name '*.[ch]pp' | head -1)" ]; then
    clang++ -std=c++20 -O1 -g -fprofile-instr-generate -fcoverage-mapping -Iinclude -Ifuzz -isystem /usr/include/eigen3 \
      -DNOTEWISE_FUZZ_TARGET="$t" fuzz/fuzz_target.cpp fuzz/replay_main.cpp "${link[@]}" -o $bin
  fi
  rm -f build-cov/$t.profraw
  LLVM_PROFILE_FILE=build-cov/$t.profraw $bin "$corpus/$t" > build-cov/$t.log 2>&1
  "$profdata" merge -sparse build-cov/$t.profraw -o build-cov/$t.profdata
  src=$(parser_of "$t")
  "$cov" show $bin -instr-profile=build-cov/$t.profdata -show-branches=count -Xdemangler=c++filt "$src" > build-cov/$t.txt
  "$cov" report $bin -instr-profile=build-cov/$t.profdata -show-functions -Xdemangler=c++filt "$src" > build-cov/$t.functions
  # Function rows: NAME REGIONS MISS COVER LINES MISS COVER BRANCHES MISS COVER (names may hold blanks).
  awk -v t="$t" -v src="$src" -v skip="$(not_readers "$t")" -v thr="$threshold" -v inputs="$(head -1 build-cov/$t.log)" '
    function pct(miss, all) { return all == 0 ? "-" : sprintf("%.1f%%", 100 * (all - miss) / all) }
    $NF ~ /%$/ && NF >= 10 && $1 != "Name" && $1 != "TOTAL" {
      n = NF; name = $1; for (i = 2; i <= n - 9; ++i) name = name " " $i
      fl += $(n-5); fm += $(n-4); fb += $(n-2); fbm += $(n-1)
      # The key of a function: its name up to its arguments, without file and namespaces
      # ("AudioWriter::write"; a lambda counts as the function it is in).
      k = name; sub(/^[a-z_]+\.cpp:/, "", k); gsub(/\(anonymous namespace\)::/, "", k); sub(/\(.*/, "", k)
      sub(/^notewise::(io::)?/, "", k); sub(/\[abi:cxx11\]/, "", k)
      if (skip != "" && k ~ ("^(" skip ")$")) { if (index(skipped, " " k ",") == 0) skipped = skipped " " k ","; next }
      rl += $(n-5); rm += $(n-4); rb += $(n-2); rbm += $(n-1)
    }
    END {
      printf "%-28s %-9s %8s %8s %10s %10s\n", src, "file", pct(fm, fl), (fl - fm) "/" fl, pct(fbm, fb), (fb - fbm) "/" fb
      printf "%-28s %-9s %8s %8s %10s %10s   (%s, fuzz_%s)\n", "", "readers", pct(rm, rl), (rl - rm) "/" rl, pct(rbm, rb), (rb - rbm) "/" rb, inputs, t
      if (skipped != "") { sub(/,$/, "", skipped); printf "%-28s not readers:%s\n", "", skipped }
      exit (rl > 0 && 100 * (rl - rm) / rl < thr) ? 1 : 0
    }' build-cov/$t.functions || status=1
done
[ $status = 0 ] || echo "coverage: a parser's reader lines are below ${threshold}%" >&2
exit $status
