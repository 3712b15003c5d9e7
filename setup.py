"""`pip install .` for notewise: builds the Python module and the `notewise` program with CMake
and installs both, the module into site-packages and the program into the environment's bin/.

Offline with Debian 12's pip, setuptools and wheel (python3-pip python3-setuptools python3-wheel)
and the build dependencies of `bash scripts/install-deps.sh`:

    python3 -m venv --system-site-packages ~/venv/notewise     # numpy from Debian
    ~/venv/notewise/bin/pip install .

There is deliberately no pyproject.toml: with one, pip builds in an isolated environment and
downloads setuptools and wheel into it first, which fails offline; without one, Debian's pip
23.0 builds with the setuptools and wheel already installed. (With a newer pip that isolates
every build, add --no-build-isolation.)

CMake builds in build-pip/ of the source (NOTEWISE_BUILD_DIR: another folder, e.g. an existing
build tree, which is then only brought up to date; it must have been configured for the same
Python). NOTEWISE_BUILD_JOBS sets the parallel jobs (default: 2).
"""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
BUILD = Path(os.environ.get("NOTEWISE_BUILD_DIR") or ROOT / "build-pip").resolve()
# setuptools' own files (its build folder, the egg-info) in build-pip/ of the source, away from
# the sources and from the CMake build/ folder of the README.
SETUPTOOLS_DIR = ROOT / "build-pip" / "setuptools"
SETUPTOOLS_DIR.mkdir(parents=True, exist_ok=True)


def version():
    m = re.search(r"project\(notewise VERSION ([0-9.]+)", (ROOT / "CMakeLists.txt").read_text())
    if not m:
        sys.exit("setup.py: no project(notewise VERSION ...) in CMakeLists.txt")
    return m.group(1)


def run(cmd):
    print(" ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


class CMakeBuild(build_ext):
    """Builds the targets `notewise` (program) and `notewise_python` (module) with CMake."""

    def run(self):
        if not (BUILD / "CMakeCache.txt").exists():
            run(["cmake", "-S", str(ROOT), "-B", str(BUILD), "-DCMAKE_BUILD_TYPE=Release",
                 "-DNOTEWISE_BUILD_TESTS=OFF", "-DNOTEWISE_BUILD_BENCH=OFF", "-DNOTEWISE_BUILD_PYTHON=ON",
                 "-DPython_EXECUTABLE=" + sys.executable])
        jobs = os.environ.get("NOTEWISE_BUILD_JOBS", "2")
        run(["cmake", "--build", str(BUILD), "-j", jobs, "--target", "notewise", "notewise_python"])
        module = BUILD / "python" / "notewise" / ("_notewise" + sysconfig.get_config_var("EXT_SUFFIX"))
        if not module.exists():
            sys.exit("setup.py: %s was not built: is %s configured for another Python than %s?"
                     % (module, BUILD, sys.executable))
        target = Path(self.get_ext_fullpath("notewise._notewise"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(module, target)


setup(
    name="notewise",
    version=version(),
    description="Score-informed music source separation: NMF constrained by the score, soft masks",
    long_description=(ROOT / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="GPL-2.0-or-later",
    classifiers=["License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)",
                 "Programming Language :: C++", "Programming Language :: Python :: 3",
                 "Topic :: Multimedia :: Sound/Audio :: Analysis"],
    python_requires=">=3.9",
    install_requires=["numpy"],
    packages=["notewise"],
    package_dir={"notewise": "python/notewise"},
    ext_modules=[Extension("notewise._notewise", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    # The program: the wheel's data/bin/ lands in the environment's bin/ (executable).
    data_files=[("bin", [str(BUILD / "notewise")])],
    options={"build": {"build_base": str(SETUPTOOLS_DIR)}, "egg_info": {"egg_base": str(SETUPTOOLS_DIR)}},
    zip_safe=False,
)
