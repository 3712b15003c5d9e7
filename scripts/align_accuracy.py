#!/usr/bin/python3
"""Measures notewise align on distorted scores: for each piece of a set (the layout of
../shared/data/pieces), five random distortions (global tempo factor 0.85-1.15, start offset
0-2 s, a smooth random tempo curve of +-10 %) and a plain 5 % tempo error; aligns each back to
the audio and reports the onset errors against the true score. With --separate it also
compares separation (mean SDR) with the aligned distorted score against the true score.

  /usr/bin/python3 scripts/align_accuracy.py ../shared/data/pieces [--separate]
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

NOTEWISE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "notewise")
SCORER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "eval", "score_sep.py")


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def write(path, rows, starts, durs):
    with open(path, "w") as f:
        f.write("start,duration,pitch,velocity,label\n")
        for r, s, d in zip(rows, starts, durs):
            f.write(f"{s:.4f},{d:.4f},{r['pitch']},{r['velocity']},{r['label']}\n")


def time_map(rng, factor, offset, curve):
    """score time -> distorted time: offset + integral of factor * (1 + curve(t))."""
    t = np.linspace(0, 40, 40001)
    rate = np.ones_like(t)
    if curve:
        for k in range(3):  # a smooth random curve: three slow sinusoids, scaled to +-10 %
            rate += rng.uniform(-1, 1) * np.sin(2 * np.pi * t / rng.uniform(6, 20) + rng.uniform(0, 2 * np.pi))
        rate = 1 + 0.10 * (rate - 1) / max(1e-9, np.abs(rate - 1).max())
    cum = np.concatenate([[0], np.cumsum(rate[1:] * np.diff(t))])
    return lambda x: offset + factor * np.interp(x, t, cum)


def main():
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []  # more `notewise align` options
    argv = argv[:argv.index("--")] if "--" in argv else argv
    set_dir = argv[0]
    separate = "--separate" in argv
    rng = np.random.default_rng(2026)
    all_err, table, sdr_rows = [], [], []
    for name in sorted(os.listdir(set_dir)):
        piece = os.path.join(set_dir, name)
        if not os.path.isfile(os.path.join(piece, "score.csv")):
            continue
        rows = read(os.path.join(piece, "score.csv"))
        on = np.array([float(r["start"]) for r in rows])
        off = on + np.array([float(r["duration"]) for r in rows])
        cases = [("tempo x1.05", 1.05, 0.0, False)]
        for k in range(5):
            cases.append((f"random {k + 1}", rng.uniform(0.85, 1.15), rng.uniform(0, 2), True))
        for label, factor, offset, curve in cases:
            m = time_map(rng, factor, offset, curve)
            with tempfile.TemporaryDirectory() as tmp:
                dist = os.path.join(tmp, "distorted.csv")
                write(dist, rows, m(on), m(off) - m(on))
                out = os.path.join(tmp, "aligned.csv")
                res = subprocess.run([NOTEWISE, "-q", "align", os.path.join(piece, "mix.wav"), "--score", dist, "--out", out] + extra,
                                     capture_output=True, text=True)
                if res.returncode != 0:
                    sys.exit(res.stderr)
                got = np.array([float(r["start"]) for r in read(out)])
                err = np.abs(got - on) * 1000
                all_err.append(err)
                table.append((name, label, err))
                if separate and label in ("tempo x1.05", "random 1"):
                    for kind, score in (("aligned", out), ("true", os.path.join(piece, "score.csv"))):
                        est = os.path.join(tmp, kind)
                        subprocess.run([NOTEWISE, "-q", "separate", os.path.join(piece, "mix.wav"), "--score", score,
                                        "--out", est, "--no-report"], check=True)
                        js = os.path.join(tmp, kind + ".json")
                        subprocess.run(["/usr/bin/python3", SCORER, piece, est, "--json", js], check=True, capture_output=True)
                        with open(js) as f:
                            sdr_rows.append((name, label, kind, json.load(f)[name]["mean_SDR"]))
    print("| piece | distortion | mean (ms) | median | 95th pct | max | within 50 ms |")
    print("|---|---|---|---|---|---|---|")
    for name, label, e in table:
        print(f"| {name} | {label} | {e.mean():.1f} | {np.median(e):.1f} | {np.percentile(e, 95):.1f} | {e.max():.0f} | {(e <= 50).mean() * 100:.1f} % |")
    e = np.concatenate(all_err)
    print(f"| **all** | | **{e.mean():.1f}** | {np.median(e):.1f} | **{np.percentile(e, 95):.1f}** | {e.max():.0f} | **{(e <= 50).mean() * 100:.1f} %** |")
    if sdr_rows:
        print("\n| piece | distortion | score used | mean SDR (dB) |\n|---|---|---|---|")
        for r in sdr_rows:
            print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.2f} |")


if __name__ == "__main__":
    main()
