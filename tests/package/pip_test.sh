#!/usr/bin/env bash
# `pip install .` as a user runs it, offline: a fresh virtual environment (numpy from the
# system), Debian's pip with no index (anything it tried to download would fail the test), and
# setup.py's CMake build pointed at this build tree, which is only brought up to date (cheap).
# Checks the installed program and module, then that `pip uninstall` removes both.
# Arguments: BUILD_DIR SOURCE_DIR WORK_DIR. Exit 77 (skipped) without python3-venv/pip/setuptools/wheel.
set -euo pipefail
build=$1 src=$2 work=$3
py=/usr/bin/python3
if ! "$py" -c 'import setuptools, wheel, venv' 2>/dev/null || ! "$py" -m pip --version >/dev/null 2>&1; then
  echo "skipped: Debian's python3-venv, python3-pip, python3-setuptools and python3-wheel are needed"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work/src/python"
# What setup.py reads, copied, so that the source tree gets no build-pip/ or egg-info.
cp "$src/setup.py" "$src/CMakeLists.txt" "$src/README.md" "$src/LICENSE" "$work/src/"
cp -r "$src/python/notewise" "$work/src/python/"
[ ! -e "$work/src/pyproject.toml" ]  # its [build-system] would make pip download setuptools

"$py" -m venv --system-site-packages --without-pip "$work/venv"
venv=$work/venv
(cd "$work/src" && env -u PIP_FIND_LINKS PIP_NO_INDEX=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
   NOTEWISE_BUILD_DIR="$build" "$venv/bin/python" -m pip install . >"$work/pip.log" 2>&1) ||
  { cat "$work/pip.log"; echo "pip install . failed"; exit 1; }

[ -x "$venv/bin/notewise" ] || { echo "pip did not install the program into $venv/bin"; exit 1; }
want=$("$build/notewise" --version)
got=$("$venv/bin/notewise" --version)
[ "$got" = "$want" ] || { echo "installed program: '$got', expected '$want'"; exit 1; }
(cd "$work" && "$venv/bin/python" - "$venv" <<'PY'
import sys, numpy as np, notewise
venv = sys.argv[1]
assert notewise.__file__.startswith(venv + "/lib/"), "imported from %s, not the venv" % notewise.__file__
x = np.sin(np.arange(8192, dtype=np.float32) * 0.05).astype(np.float32)
y = notewise.istft(notewise.stft(x, n_fft=1024, hop=256), n_fft=1024, hop=256, length=len(x))
err = float(np.max(np.abs(y[1024:-1024] - x[1024:-1024])))  # window edges excluded: not overlapped fully
assert err < 1e-4, "STFT round trip through the installed module: max error %g" % err
print("pip-installed module", notewise.__version__, "from", notewise.__file__)
PY
)
"$venv/bin/python" -m pip uninstall -y notewise >"$work/uninstall.log" 2>&1
[ ! -e "$venv/bin/notewise" ] || { echo "pip uninstall left $venv/bin/notewise"; exit 1; }
if (cd "$work" && "$venv/bin/python" -c 'import notewise' 2>/dev/null); then echo "pip uninstall left the module"; exit 1; fi
echo "pip install . (offline, no index): program and module installed into a fresh venv, and uninstalled"
