#!/usr/bin/env bash
# The installed package as a user meets it: install the build into a fresh prefix, configure
# and build examples/cpp against it with find_package(notewise CONFIG), build the same program
# with pkg-config's flags alone, run both on the shipped example and check the stems.
# Arguments: BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for f in include/notewise/version.hpp include/notewise/pipeline/pipeline.hpp lib/cmake/notewise/notewiseConfig.cmake \
         lib/pkgconfig/notewise.pc bin/notewise; do
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
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
c++ -std=c++20 -O1 "$src/examples/cpp/separate_stems.cpp" -o "$work/separate_stems_pc" \
  $(pkg-config --cflags notewise) $(pkg-config --libs notewise)

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
