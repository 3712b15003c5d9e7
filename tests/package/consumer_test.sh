#!/usr/bin/env bash
# The installed package as a user meets it: install the build into a fresh prefix, configure
# and build examples/cpp against it with find_package(notewise CONFIG), build the same program
# with pkg-config's flags alone, run both on the shipped example and check the stems. Then a
# program that calls every installed library (every_layer/) linked through notewise::notewise,
# through each library's own target, and through pkg-config: all three must link and agree.
# Arguments: BUILD_DIR SOURCE_DIR WORK_DIR LIBDIR (the install's library folder, e.g. lib/x86_64-linux-gnu)
set -euo pipefail
build=$1 src=$2 work=$3 libdir=$4
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for f in include/notewise/version.hpp include/notewise/pipeline/pipeline.hpp $libdir/cmake/notewise/notewiseConfig.cmake \
         $libdir/pkgconfig/notewise.pc bin/notewise; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
grep -q "NOTEWISE_VERSION_MAJOR" "$prefix/include/notewise/version.hpp"

# The Python package, where it was built: importable from the installed site-packages alone.
for site in "$prefix"/lib/python3*/site-packages; do
  [ -d "$site/notewise" ] || continue
  (cd "$work" && PYTHONPATH=$site /usr/bin/python3 -c "import notewise, sys; assert notewise.__file__.startswith(sys.argv[1]), notewise.__file__; print('installed python module', notewise.__version__)" "$site")
done

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$src/examples/cpp" -B "$work/example" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}" \
  >"$work/configure.log"
cmake --build "$work/example" >"$work/build.log"

# pkg-config: the same program from the .pc file's flags alone.
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
c++ -std=c++20 -O1 "$src/examples/cpp/separate_stems.cpp" -o "$work/separate_stems_pc" \
  $(pkg-config --cflags notewise) $(pkg-config --libs notewise)

# Every library through both: one compile for CMake (two links), one for pkg-config.
cmake -S "$src/tests/package/every_layer" -B "$work/every_layer" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  "${launcher[@]}" >"$work/every_layer_configure.log"
cmake --build "$work/every_layer" >"$work/every_layer_build.log"
compile=(c++)
command -v ccache >/dev/null && compile=(ccache c++)
"${compile[@]}" -std=c++20 -O1 -c "$src/tests/package/every_layer/every_layer.cpp" \
  -o "$work/every_layer_pc.o" $(pkg-config --cflags notewise)
c++ "$work/every_layer_pc.o" -o "$work/every_layer_pc" $(pkg-config --libs notewise)
mkdir -p "$work/layers"
expected="core 4.000
nmf 20
nae 1
score 440.0
separation 1
align 3
pipeline 8.0
edit 22050
mosaic 5
eval 1
plot 1.00
io 1
report 1"
for variant in all each pc; do
  [ "$variant" = pc ] && program=$work/every_layer_pc || program=$work/every_layer/every_layer_$variant
  got=$("$program" "$work/layers")
  [ "$got" = "$expected" ] || { echo "every_layer ($variant) printed:"; echo "$got"; echo "expected:"; echo "$expected"; exit 1; }
done
echo "every library links and runs through notewise::notewise, its own target and pkg-config"

ex=$src/examples/chopin_op64_1
mkdir -p "$work/stems_cmake" "$work/stems_pc"
"$work/example/separate_stems" "$ex/mix.wav" "$ex/score.mid" "$work/stems_cmake"
"$work/separate_stems_pc" "$ex/mix.wav" "$ex/score.mid" "$work/stems_pc"
/usr/bin/python3 - "$ex/mix.wav" "$work" <<'PY'
import sys, numpy as np, soundfile as sf
mix, sr = sf.read(sys.argv[1], dtype="float32", always_2d=True)
work = sys.argv[2]
stems = {}
for build in ("stems_cmake", "stems_pc"):
    s = [sf.read("%s/%s/%s.wav" % (work, build, n), dtype="float32", always_2d=True) for n in ("left", "right")]
    assert all(r == sr and x.shape == mix.shape for x, r in s), "stems of %s: wrong shape or rate" % build
    err = np.max(np.abs(s[0][0] + s[1][0] - mix))
    assert err <= 1e-4, "%s: the stems do not sum to the mix (max error %g)" % (build, err)
    assert np.sqrt(np.mean(s[0][0] ** 2)) > 0.01 and np.sqrt(np.mean(s[1][0] ** 2)) > 0.01, "a silent stem"
    stems[build] = s
assert all(np.array_equal(a[0], b[0]) for a, b in zip(stems["stems_cmake"], stems["stems_pc"])), "the two builds differ"
print("installed package: find_package and pkg-config consumers give the same stems, summing to the mix")
PY
