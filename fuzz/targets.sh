# Sourced by fuzz/run.sh and fuzz/coverage.sh: the fuzz targets and what each is linked from.
#   fuzz_targets        all targets, in the order they run
#   fuzz_link TARGET    sets the array `link` to the sources and libraries TARGET needs besides
#                       fuzz/fuzz_target.cpp (the model target uses the libraries of build/, made
#                       here if missing, for the code it does not exercise: training)
fuzz_targets=(midi csv musicxml npy selection model audio)

fuzz_link() {
  local io=(src/io/npy.cpp src/io/atomic_file.cpp src/io/output_run.cpp src/core/error.cpp)
  local scores=(src/io/score_midi.cpp src/io/score_csv.cpp src/io/score_musicxml.cpp src/score/score.cpp
                src/score/instrument.cpp "${io[@]}" -lpugixml -lzip)
  case $1 in
    midi|csv|musicxml) link=("${scores[@]}") ;;
    npy) link=("${io[@]}") ;;
    selection) link=(src/separation/groups.cpp src/score/score.cpp src/core/error.cpp) ;;
    audio) link=(src/io/audio.cpp src/core/resample.cpp "${io[@]}" -lsndfile -lsoxr) ;;
    model)
      if [ ! -f build/libnotewise_nae.a ] || [ ! -f build/libnotewise_nmf.a ] || [ ! -f build/libnotewise_core.a ]; then
        cmake -S . -B build -DNOTEWISE_BUILD_BENCH=OFF >/dev/null
        cmake --build build -j2 --target notewise_nae notewise_nmf notewise_core
      fi
      # core's error.cpp comes from libnotewise_core.a here: the library compiles it in one unity
      # batch with the rest of core, which the archives below need, so listing it too would
      # define it twice.
      link=(src/io/model_io.cpp src/score/pretrained.cpp src/score/constraints.cpp src/score/instrument.cpp src/score/score.cpp
            src/io/npy.cpp src/io/atomic_file.cpp src/io/output_run.cpp build/libnotewise_nae.a build/libnotewise_nmf.a build/libnotewise_core.a
            -fopenmp -lopenblas -lfftw3f -lfftw3) ;;
    *) echo "unknown fuzz target: $1 (${fuzz_targets[*]})" >&2; return 1 ;;
  esac
}

# Writes the generated seeds (fuzz/make_seeds.cpp) and the score fixtures of at most 11 KiB to
# $1/<target>/ (the larger ones, 13 and 31 KiB MIDI files, reach nothing new and their mutants
# made most of the kept corpus's bytes).
fuzz_seeds() {
  local out=$1 f
  mkdir -p build-fuzz
  clang++ -std=c++20 -O1 fuzz/make_seeds.cpp -lsndfile -lzip -o build-fuzz/make_seeds
  build-fuzz/make_seeds "$out"
  for f in tests/fixtures/scores/*.* tests/fixtures/scores/dialects/* tests/fixtures/scores/musicxml/*.*; do
    [ "$(stat -c %s "$f")" -le 11264 ] || continue
    case $f in
      *.mid) cp "$f" "$out/midi/" ;;
      *.musicxml|*.mxl) cp "$f" "$out/musicxml/" ;;
      */dialects/*|*.csv) cp "$f" "$out/csv/" ;;
    esac
  done
}
