#!/usr/bin/env bash
# The Debian package as `cpack -G DEB` makes it from this build tree: its control data (name,
# runtime dependencies found by dpkg-shlibdeps, all resolvable by apt here), its contents
# (program, every library, headers, CMake and pkg-config files, the Python module in Debian's
# dist-packages, man page, bash completion, licence), nothing in it naming the build tree, and
# the program and module extracted elsewhere (dpkg -x) running from there.
# Arguments: BUILD_DIR SOURCE_DIR WORK_DIR LIBDIR (the library folder under /usr, e.g. lib/x86_64-linux-gnu). Exit 77 (skipped) without dpkg-deb, dpkg-shlibdeps, file.
set -euo pipefail
build=$1 src=$2 work=$3 libdir=$4
for tool in cpack dpkg-deb dpkg-shlibdeps file; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool is needed (Debian: dpkg-dev, file)"; exit 77; }
done
rm -rf "$work" && mkdir -p "$work"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; echo "cpack failed"; exit 1; }
debs=("$work"/notewise_*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || { ls "$work"; echo "expected one notewise_*.deb"; exit 1; }
deb=${debs[0]}
fail() { echo "$deb: $*"; exit 1; }

dpkg-deb -f "$deb" Package | grep -qx notewise || fail "package name is not notewise"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for want in libsndfile1 libfftw3-single3 librubberband2 libcairo2 python3-numpy 'python3 (>= 3'; do
  grep -qF "$want" <<<"$depends" || fail "Depends lacks $want"
done
grep -qE 'libopenblas0' <<<"$depends" || fail "Depends lacks OpenBLAS"
if grep -q 'openblas-openmp' "$build/CMakeCache.txt"; then  # linked to the OpenMP build's folder
  grep -qF libopenblas0-openmp <<<"$depends" || fail "Depends lacks libopenblas0-openmp"
fi
# Every dependency resolvable on this machine (no download, no root: apt-get --simulate).
if command -v apt-get >/dev/null; then
  apt-get --simulate -o Debug::NoLocking=1 install "$deb" >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log"; fail "apt-get cannot resolve its dependencies"; }
fi

dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$work/contents"
need=(/usr/bin/notewise /usr/include/notewise/version.hpp /usr/include/notewise/mosaic/mosaic.hpp
      /usr/include/notewise/separation/pitch_edit.hpp /usr/$libdir/pkgconfig/notewise.pc
      /usr/$libdir/cmake/notewise/notewiseConfig.cmake /usr/$libdir/cmake/notewise/notewiseTargets.cmake
      /usr/lib/python3/dist-packages/notewise/__init__.py /usr/share/bash-completion/completions/notewise
      /usr/share/doc/notewise/LICENSE /usr/share/doc/notewise/CHANGELOG.md)
for layer in core nmf nae score separation align pipeline live edit mosaic eval plot io report; do
  need+=("/usr/$libdir/libnotewise_$layer.a")
done
[ -e "$build/notewise.1" ] && need+=(/usr/share/man/man1/notewise.1)
for f in "${need[@]}"; do grep -qxF "$f" "$work/contents" || fail "does not hold $f"; done
grep -qE '^/usr/lib/python3/dist-packages/notewise/_notewise\..*\.so$' "$work/contents" || fail "no Python extension"
! grep -q 'site-packages' "$work/contents" || fail "holds a site-packages folder (Debian's is dist-packages)"
! grep -qE "^/usr/lib/libnotewise" "$work/contents" || fail "holds libraries outside the multiarch folder /usr/$libdir"

dpkg-deb -x "$deb" "$work/root"
root=$work/root
! grep -rlF "$build" "$root/usr/$libdir/cmake" "$root/usr/$libdir/pkgconfig" || fail "files name the build tree"
PKG_CONFIG_PATH=$root/usr/$libdir/pkgconfig pkg-config --libs notewise >"$work/libs"
for layer in report edit mosaic io core; do grep -q -- "-lnotewise_$layer" "$work/libs" || fail "notewise.pc lacks -lnotewise_$layer"; done
[ "$("$root/usr/bin/notewise" --version)" = "$("$build/notewise" --version)" ] || fail "the extracted program's version differs"
(cd "$work" && PYTHONPATH=$root/usr/lib/python3/dist-packages /usr/bin/python3 - "$root" <<'PY'
import sys, numpy as np, notewise
assert notewise.__file__.startswith(sys.argv[1]), notewise.__file__
x = np.sin(np.arange(8192, dtype=np.float32) * 0.05).astype(np.float32)
y = notewise.istft(notewise.stft(x, n_fft=1024, hop=256), n_fft=1024, hop=256, length=len(x))
assert float(np.max(np.abs(y[1024:-1024] - x[1024:-1024]))) < 1e-4, "STFT round trip"  # edges: partial overlap
print("module from the package:", notewise.__version__)
PY
)
echo "$(basename "$deb"): $(wc -l <"$work/contents") paths, dependencies resolvable, program and module run from dpkg -x"
