#!/usr/bin/env python3
"""Threads quiet and beside busy processes (issue #38): the same work run with notewise's thread
policy (the default), with one thread, and with the old behaviour (spinning waits: OMP_WAIT_POLICY
=ACTIVE and every CPU), first on a quiet machine, then beside BUSY (default 2) processes that
each keep a core busy. Prints one table; every figure is a minimum over REPEATS runs, and the
ratios are against one thread measured in the same phase, so they compare on a shared machine.

    /usr/bin/python3 bench/threads_under_load.py [--notewise build/notewise] [--repeats 3] [--busy 2]
        [--audio A.wav --score S.csv]      # a separation to time beside the estimator (default: the example)

Work timed: `notewise separate --no-report` on the audio, and the Python NMF estimator on a
300x400 matrix (rank 10, KL, 200 iterations; the small problem of issue #38) beside
scikit-learn's NMF(solver='mu') on the same matrix where scikit-learn is installed.
"""
import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ESTIMATOR = r"""
import sys, time, numpy as np
sys.path.insert(0, sys.argv[1])
which = sys.argv[2]
rng = np.random.default_rng(0)
X = rng.random((300, 400)).astype(np.float32)
if which == "sklearn":
    import warnings; warnings.filterwarnings("ignore")
    from sklearn.decomposition import NMF
    make = lambda: NMF(10, solver="mu", beta_loss="kullback-leibler", max_iter=200, tol=0, init="random", random_state=0)
else:
    import notewise
    make = lambda: notewise.NMF(10, beta_loss="kullback-leibler", max_iter=200, tol=0, init="random", random_state=0)
make().fit_transform(X)  # warm-up
t = time.perf_counter(); make().fit_transform(X); print(time.perf_counter() - t)
"""


def spin():
    while True:
        pass


def timed(cmd, env, repeats):
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if out.returncode != 0:
            sys.exit("failed: %s\n%s" % (" ".join(cmd), out.stderr))
        wall = time.perf_counter() - t
        try:
            wall = float(out.stdout.strip().splitlines()[-1])  # the script's own timing, without start-up
        except (ValueError, IndexError):
            pass
        best = min(best, wall)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notewise", default=os.path.join(ROOT, "build", "notewise"))
    ap.add_argument("--python", default=os.path.join(ROOT, "build", "python"))
    ap.add_argument("--audio", default=os.path.join(ROOT, "examples", "chopin_op64_1", "mix.wav"))
    ap.add_argument("--score", default=os.path.join(ROOT, "examples", "chopin_op64_1", "score.mid"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--busy", type=int, default=2)
    a = ap.parse_args()
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "NOTEWISE_THREADS")}
    ncpu = len(os.sched_getaffinity(0))
    configs = [("policy (default)", {}), ("one thread", {"NOTEWISE_THREADS": "1", "OMP_NUM_THREADS": "1"}),
               ("spinning, all CPUs", {"OMP_WAIT_POLICY": "ACTIVE", "NOTEWISE_THREADS": str(ncpu)})]
    tmp = tempfile.mkdtemp(prefix="nw-threads-")
    separate = [a.notewise, "-q", "--force", "separate", a.audio, "--score", a.score, "--out", os.path.join(tmp, "out"),
                "--no-report"]
    jobs = [("separate", separate), ("NMF estimator", [sys.executable, "-c", ESTIMATOR, a.python, "notewise"])]
    try:
        import sklearn  # noqa: F401
        have_sklearn = True
    except ImportError:
        have_sklearn = False
    rows = []
    for phase in ("quiet", "beside %d busy" % a.busy):
        procs = []
        if phase != "quiet":
            procs = [multiprocessing.Process(target=spin, daemon=True) for _ in range(a.busy)]
            for p in procs:
                p.start()
        try:
            for name, cmd in jobs:
                times = {c: timed(cmd, dict(base, **env), a.repeats) for c, env in configs}
                rows.append((phase, name, times))
            if have_sklearn:
                env = dict(base, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
                t = timed([sys.executable, "-c", ESTIMATOR, a.python, "sklearn"], env, a.repeats)
                rows.append((phase, "scikit-learn NMF (1 thread)", {"one thread": t}))
        finally:
            for p in procs:
                p.terminate()
    print("CPUs available: %d; minimum of %d runs; ratio = time / one thread's time in the same phase" % (ncpu, a.repeats))
    print("%-16s %-28s %s" % ("phase", "work", "   ".join("%-26s" % c for c, _ in configs)))
    for phase, name, times in rows:
        one = next((t for p, n, tt in rows if p == phase and n == name for c, t in tt.items() if c == "one thread"), None)
        cells = []
        for c, _ in configs:
            t = times.get(c)
            cells.append("%-26s" % ("" if t is None else "%.3f s (%.2fx)" % (t, t / one if one else 0)))
        print("%-16s %-28s %s" % (phase, name, "   ".join(cells)))


if __name__ == "__main__":
    main()
