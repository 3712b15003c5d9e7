#!/usr/bin/env python3
"""Scores `notewise drums` on a set rendered by render_drums.py, beside the ideal ratio mask.

  /usr/bin/python3 scripts/eval_drums.py SET_DIR OUT_DIR [--notewise build/notewise] [-- drums options]

Per pattern: `notewise drums mix.wav --score score.mid --reference PATTERN` into OUT_DIR/<pattern>/,
and the ideal ratio mask's stems (|S_c|^2 / sum_j |S_j|^2 on the mix's STFT, n_fft 4096, hop 1024
at 44.1 kHz: the analysis frames of notewise at the input's rate) into OUT_DIR/<pattern>_irm/,
scored by `notewise eval` (BSS Eval v3 as mir_eval). Prints a Markdown table of SDR per class.
"""
import argparse
import json
import os
import subprocess

import numpy as np
import soundfile as sf


def stft(x, n, h):
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
    x = np.pad(x, n // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(x, n)[::h] * w
    return np.fft.rfft(frames, axis=1)


def istft(X, n, h, length):
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
    frames = np.fft.irfft(X, n=n, axis=1) * w
    y = np.zeros(length + n)
    norm = np.zeros(length + n)
    for i, f in enumerate(frames):
        y[i * h:i * h + n] += f
        norm[i * h:i * h + n] += w * w
    y = y[n // 2:n // 2 + length]
    norm = norm[n // 2:n // 2 + length]
    return y / np.maximum(norm, 1e-10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("set")
    ap.add_argument("out")
    ap.add_argument("--notewise", default="build/notewise")
    ap.add_argument("rest", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    extra = [x for x in a.rest if x != "--"]
    rows = []
    for p in sorted(os.listdir(a.set)):
        d = os.path.join(a.set, p)
        if p == "band" or not os.path.exists(os.path.join(d, "mix.wav")):
            continue
        out = os.path.join(a.out, p)
        subprocess.run([a.notewise, "-q", "--force", "drums", os.path.join(d, "mix.wav"), "--score",
                        os.path.join(d, "score.mid"), "--out", out, "--reference", d] + extra, check=True)
        ours = json.load(open(os.path.join(out, "report.json")))
        classes = [c["name"] for c in ours["classes"]]
        mix, sr = sf.read(os.path.join(d, "mix.wav"))
        n, h = 4096 * sr // 44100 // 2 * 2, 1024 * sr // 44100
        X = stft(mix, n, h)
        P = {c: np.abs(stft(sf.read(os.path.join(d, c + ".wav"))[0], n, h)) ** 2 for c in classes}
        total = sum(P.values()) + 1e-20
        irm = os.path.join(a.out, p + "_irm")
        os.makedirs(irm, exist_ok=True)
        for c in classes:
            sf.write(os.path.join(irm, c + ".wav"), istft(X * P[c] / total, n, h, len(mix)), sr, subtype="FLOAT")
        res = subprocess.run([a.notewise, "-q", "eval", "--reference", d, "--estimate", irm, "--json"],
                             check=True, capture_output=True, text=True)
        ideal = json.loads(res.stdout)
        for c in classes:
            rows.append((p, c, ours["scores"]["stems"][c]["SDR"], ideal["stems"][c]["SDR"], ours["seconds"]))
    print("| pattern | class | SDR (dB) | ideal ratio mask SDR (dB) |")
    print("|---|---|---:|---:|")
    for p, c, s, i, _ in rows:
        print(f"| {p} | {c} | {s:.2f} | {i:.2f} |")
    by = {}
    for _, c, s, i, _ in rows:
        by.setdefault(c, []).append((s, i))
    for c, v in by.items():
        print(f"| mean | {c} | {np.mean([s for s, _ in v]):.2f} | {np.mean([i for _, i in v]):.2f} |")


if __name__ == "__main__":
    main()
