"""``python3 -m notewise ARGS``: the ``notewise`` command-line program with ARGS.

The program is found, first match wins:
  1. $NOTEWISE_BINARY, when set;
  2. beside this package as installed: ``PREFIX/bin/notewise`` for a package in
     ``PREFIX/lib/pythonX.Y/site-packages/notewise`` (``cmake --install``, a virtual
     environment, a wheel's scripts) or ``/usr/lib/python3/dist-packages/notewise`` (a .deb);
  3. the build tree's: ``BUILD/notewise`` for the package in ``BUILD/python/notewise``;
  4. the interpreter's scripts folder (``sysconfig``), then PATH.
It replaces this process (its exit status, signals and standard streams are the program's own).
"""

import os
import shutil
import subprocess
import sys
import sysconfig

_NAME = "notewise.exe" if os.name == "nt" else "notewise"


def _candidates():
    env = os.environ.get("NOTEWISE_BINARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    site = os.path.dirname(here)
    yield os.path.join(site, "..", "..", "..", "bin", _NAME)  # PREFIX/lib/pythonX.Y/site-packages
    yield os.path.join(site, "..", _NAME)  # BUILD/python -> BUILD/notewise
    yield os.path.join(sysconfig.get_path("scripts"), _NAME)
    found = shutil.which("notewise")
    if found:
        yield found


def find_program():
    """The path of the notewise program, or None."""
    for path in _candidates():
        path = os.path.normpath(path)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    program = find_program()
    if program is None and os.environ.get("NOTEWISE_BINARY"):
        sys.stderr.write("notewise: NOTEWISE_BINARY=%s is not an executable file\n" % os.environ["NOTEWISE_BINARY"])
        return 1
    if program is None:
        sys.stderr.write("notewise: the notewise program was not found (not beside the Python package, not in %s, "
                         "not on PATH); install it, or set NOTEWISE_BINARY to its path\n"
                         % sysconfig.get_path("scripts"))
        return 1
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(program, ["notewise"] + argv)  # does not return
    return subprocess.call([program] + argv)


if __name__ == "__main__":
    sys.exit(main())
