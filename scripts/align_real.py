#!/usr/bin/python3
"""Measures notewise align on the real Disklavier recording of ../shared/data/real (Chopin,
Prelude op. 28/4, SMD; its score hand-labelled and synchronised in the FMP notebooks): the
score is distorted (10 % slower, 1 s late), aligned back to the recording with `notewise align`
(defaults, plus any options after --), and every onset compared with the synchronised score.
The synchronised score is itself within about 15 ms (median) of the audible onsets; its first
note is marked at 0.0 s but sounds at about 0.45 s.

  /usr/bin/python3 scripts/align_real.py [PIECE_DIR] [-- extra align options]
"""
import csv
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NOTEWISE = os.environ.get("NOTEWISE", os.path.join(HERE, "..", "build", "notewise"))
DEFAULT = os.path.join(HERE, "..", "..", "shared", "data", "real", "fmp_chopin_op28no4_smd")


def main():
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    piece = argv[0] if argv else DEFAULT
    rows = list(csv.DictReader(open(os.path.join(piece, "score.csv"))))
    with tempfile.TemporaryDirectory() as tmp:
        distorted, out = os.path.join(tmp, "distorted.csv"), os.path.join(tmp, "aligned.csv")
        with open(distorted, "w") as f:
            f.write("start,duration,pitch,velocity,label\n")
            for r in rows:
                f.write(f"{1 + 1.1 * float(r['start']):.4f},{1.1 * float(r['duration']):.4f},{r['pitch']},{r['velocity']},{r['label']}\n")
        p = subprocess.run([NOTEWISE, "--force", "align", os.path.join(piece, "mix.wav"), "--score", distorted, "--out", out] + extra,
                           capture_output=True, text=True)
        if p.returncode not in (0, 1):
            sys.exit(f"notewise align failed ({p.returncode}): {p.stderr.strip()}")
        print(p.stderr.strip())
        got = list(csv.DictReader(open(out)))
    truth = np.array([float(r["start"]) for r in rows])
    err = np.array([float(r["start"]) for r in got]) - truth
    a = np.abs(err)
    print(f"{len(a)} notes: mean {1000 * a.mean():.1f} ms, median {1000 * np.median(a):.1f} ms, "
          f"{100 * np.mean(a <= 0.05):.1f} % within 50 ms, {100 * np.mean(a > 0.2):.1f} % beyond 200 ms, max {1000 * a.max():.0f} ms")
    seen = set()
    for t, e in zip(truth, err):
        if abs(e) > 0.2 and t not in seen:
            seen.add(t)
            print(f"  onset at {t:.2f} s: {1000 * e:+.0f} ms")


if __name__ == "__main__":
    main()
