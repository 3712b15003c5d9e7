#!/usr/bin/env python3
"""Scores `notewise separate` on the band rendered by render_drums.py, beside the ideal ratio mask.

  /usr/bin/python3 scripts/eval_band.py SET_DIR OUT_DIR [--notewise build/notewise] [--score score.mid]

On SET_DIR/band: `notewise separate mix.wav --score SCORE --reference band` twice, with the drums
modelled (--drums classes: a stem per drum class beside bass and piano) into OUT_DIR/classes/
and with them left out of the model (--drums ignore: their sound goes to bass and piano) into
OUT_DIR/ignore/; and the ideal ratio mask's stems (|S_c|^2 / sum_j |S_j|^2 over bass, piano
and the drum classes, on the mix's STFT with separate's analysis frames: n_fft 4096, hop 512 at
22.05 kHz, scaled to the set's rate) into OUT_DIR/irm/, scored by `notewise eval` (BSS Eval v3
as mir_eval). Prints a Markdown table of SDR per stem.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_drums import istft, stft  # noqa: E402  the same STFT as the drum set's ideal masks

DRUMS = ("kick", "snare", "hihat", "toms", "cymbals")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("set")
    ap.add_argument("out")
    ap.add_argument("--notewise", default="build/notewise")
    ap.add_argument("--score", default="score.mid", help="score.mid (drums on channel 10) or score.csv (drum rows)")
    a = ap.parse_args()
    d = os.path.join(a.set, "band")
    stems = ["bass", "piano"] + [c for c in DRUMS if os.path.exists(os.path.join(d, c + ".wav"))]
    # The reference: the per-part stems alone (pitched.wav and drums.wav are sums of them).
    truth = os.path.join(a.out, "truth")
    os.makedirs(truth, exist_ok=True)
    for c in stems:
        link = os.path.join(truth, c + ".wav")
        if not os.path.exists(link):
            os.symlink(os.path.abspath(os.path.join(d, c + ".wav")), link)
    runs = {}
    for mode in ("classes", "ignore"):
        out = os.path.join(a.out, mode)
        subprocess.run([a.notewise, "-q", "--force", "separate", os.path.join(d, "mix.wav"), "--score",
                        os.path.join(d, a.score), "--out", out, "--reference", truth, "--drums", mode, "--no-report"],
                       check=True)
        runs[mode] = json.load(open(os.path.join(out, "report.json")))
    mix, sr = sf.read(os.path.join(d, "mix.wav"))
    n, h = 4096 * sr // 22050 // 2 * 2, 512 * sr // 22050
    X = stft(mix, n, h)
    P = {c: np.abs(stft(sf.read(os.path.join(d, c + ".wav"))[0], n, h)) ** 2 for c in stems}
    total = sum(P.values()) + 1e-20
    irm = os.path.join(a.out, "irm")
    os.makedirs(irm, exist_ok=True)
    for c in stems:
        sf.write(os.path.join(irm, c + ".wav"), istft(X * P[c] / total, n, h, len(mix)), sr, subtype="FLOAT")
    res = subprocess.run([a.notewise, "-q", "eval", "--reference", truth, "--estimate", irm, "--json"],
                         check=True, capture_output=True, text=True)
    ideal = json.loads(res.stdout)
    print("| stem | SDR, drums modelled (dB) | SDR, drums ignored (dB) | ideal ratio mask SDR (dB) |")
    print("|---|---:|---:|---:|")
    for c in stems:
        ours = runs["classes"]["scores"]["stems"][c]["SDR"]
        ign = runs["ignore"]["scores"]["stems"].get(c, {}).get("SDR")
        print(f"| {c} | {ours:.2f} | {'' if ign is None else f'{ign:.2f}'} | {ideal['stems'][c]['SDR']:.2f} |")
    print(f"\ntime: {runs['classes']['timings_s']['total']:.1f} s (drums modelled), "
          f"{runs['ignore']['timings_s']['total']:.1f} s (ignored), without scoring")


if __name__ == "__main__":
    main()
