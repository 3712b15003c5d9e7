#!/usr/bin/python3
"""Measures the alignment defaults (docs/RESULTS.md, "Whether to align, and excerpts").

  /usr/bin/python3 scripts/align_default.py [fit|excerpt|whole] ...   (default: all three)

fit      Synchronised scores (the two pieces, the real piano, Bach10 01-05 with its annotated
         score): `separate` with the default (--align=auto) and with --align=no (the score as
         given); prints the fit check's decision, whether the stems are identical byte for byte,
         and the SDR of the default's stems (notewise eval; none for the real piano, which has no
         reference stems).
excerpt  Recordings of excerpts aligned to whole scores by `notewise align` (subsequence DTW):
         the two pieces (25 s openings) with their whole source MIDI (../shared/data/midi), and
         the real piano cut to 40-70 s with its whole synchronised score. Each aligned note is
         compared with the true onset of its pitch nearest it (the pieces' score.csv; the real
         score minus 40 s): mean error, % within 50 ms, notes aligned / notes in the excerpt.
whole    Bach10 01-05 (whole recordings, constant-tempo score_unaligned.csv) aligned with
         --excerpt no and --excerpt yes: mean onset error against the annotation, % within 50 ms.
         (06-10 are held out: not run.)
Runs one piece at a time (-q, --no-report). NOTEWISE: the binary (default build/notewise).
"""
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
NOTEWISE = os.environ.get("NOTEWISE", os.path.join(HERE, "..", "build", "notewise"))
DATA = os.path.join(HERE, "..", "..", "shared", "data")
BACH = ["01-AchGottundHerr", "02-AchLiebenChristen", "03-ChristederdubistTagundLicht", "04-ChristeDuBeistand", "05-DieNacht"]


def run(args):
    r = subprocess.run([NOTEWISE] + args, capture_output=True, text=True)
    return r.returncode, r.stderr


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def digest(folder):
    out = {}
    for n in sorted(os.listdir(folder)):
        if n.endswith(".wav"):
            with open(os.path.join(folder, n), "rb") as f:
                out[n] = hashlib.sha256(f.read()).hexdigest()
    return out


def fit(tmp):
    pieces = [(os.path.join(DATA, "pieces", p), "mix.wav", "score.csv") for p in ("chopin_op64_1", "mozart_k545_1")]
    pieces.append((os.path.join(DATA, "real", "fmp_chopin_op28no4_smd"), "mix.wav", "score.csv"))
    pieces += [(os.path.join(DATA, "bach10", p), "mix.flac", "score_aligned.csv") for p in BACH]
    print("piece                         fits  median shift  identical  SDR default  SDR --align=no")
    for d, mix, score in pieces:
        name = os.path.basename(d)
        out = {}
        for mode in ("auto", "no"):
            o = os.path.join(tmp, name + "-" + mode)
            code, err = run(["-q", "separate", os.path.join(d, mix), "--score", os.path.join(d, score), "--align=" + mode,
                             "--no-report", "--out", o])
            if code:
                sys.exit(name + ": " + err)
            out[mode] = o
        report = json.load(open(os.path.join(out["auto"], "report.json")))
        f = report["score_fit"]
        same = digest(out["auto"]) == digest(out["no"])
        sdr = []
        for mode in ("auto", "no"):
            refs = [n for n in os.listdir(d) if n.endswith((".wav", ".flac")) and not n.startswith("mix") and "_" not in n]
            if not refs:
                sdr.append(float("nan"))
                continue
            r = subprocess.run([NOTEWISE, "eval", "--reference", d, "--estimate", out[mode], "--json", "--stems"] +
                               [os.path.splitext(n)[0] for n in refs], capture_output=True, text=True)
            sdr.append(json.loads(r.stdout)["mean_SDR"])
        print("%-28s  %-5s %8.3f s     %-9s  %8.2f dB  %8.2f dB" % (name, f["fits"], f["median_onset_shift_s"], same, sdr[0], sdr[1]))
        sys.stdout.flush()


def nearest_errors(aligned, truth, shift=0.0, lo=-1e9, hi=1e9):
    by_pitch = {}
    for t in truth:
        by_pitch.setdefault(int(t["pitch"]), []).append(float(t["start"]) - shift)
    e = []
    for a in aligned:
        c = by_pitch.get(int(a["pitch"]), [])
        if c:
            e.append(min(abs(float(a["start"]) - x) for x in c))
    n_true = sum(1 for t in truth if lo <= float(t["start"]) < hi)
    return np.array(e), n_true


def excerpt(tmp):
    print("excerpt                        span found (score s)   notes aligned/in excerpt  mean error  within 50 ms")
    cases = []
    for p, midi in (("chopin_op64_1", "chopin_op64_1_mutopia.mid"), ("mozart_k545_1", "mz_545_1.mid")):
        d = os.path.join(DATA, "pieces", p)
        cases.append((p + " + whole MIDI", os.path.join(d, "mix.wav"), os.path.join(DATA, "midi", midi),
                      rows(os.path.join(d, "score.csv")), 0.0, -1e9, 1e9))
    real = os.path.join(DATA, "real", "fmp_chopin_op28no4_smd")
    x, sr = sf.read(os.path.join(real, "mix.wav"), dtype="float32")
    cut = os.path.join(tmp, "real_40_70.wav")
    sf.write(cut, x[40 * sr:70 * sr], sr)
    cases.append(("real piano 40-70 s + whole", cut, os.path.join(real, "score.csv"), rows(os.path.join(real, "score.csv")), 40.0, 40.0, 70.0))
    for name, audio, score, truth, shift, lo, hi in cases:
        out = os.path.join(tmp, name.split()[0] + "_aligned.csv")
        code, err = run(["align", audio, "--score", score, "--out", out])
        if code:
            sys.exit(name + ": " + err)
        span = [l for l in err.splitlines() if "plays the score's" in l]
        e, n_true = nearest_errors(rows(out), truth, shift, lo, hi)
        print("%-30s %-22s %5d / %-5d             %6.1f ms  %5.1f %%" % (
            name, span[0].split("score's ")[1].split(" (")[0] if span else "whole", len(e), n_true, 1000 * e.mean(),
            100 * np.mean(e <= 0.05)))
        sys.stdout.flush()


def whole(tmp):
    print("Bach10 (whole recordings)       --excerpt no: mean, within 50 ms    --excerpt yes: mean, within 50 ms")
    for p in BACH:
        d = os.path.join(DATA, "bach10", p)
        truth = rows(os.path.join(d, "score_aligned.csv"))
        res = []
        for mode in ("no", "yes"):
            out = os.path.join(tmp, p + "-" + mode + ".csv")
            code, err = run(["-q", "align", os.path.join(d, "mix.flac"), "--score", os.path.join(d, "score_unaligned.csv"),
                             "--excerpt", mode, "--out", out])
            if code:
                sys.exit(p + ": " + err)
            got = rows(out)
            if len(got) == len(truth):  # the same notes in the same order
                e = np.array([abs(float(a["start"]) - float(t["start"])) for a, t in zip(got, truth)])
            else:  # an excerpt's notes: against the nearest annotated onset of the pitch
                e, _ = nearest_errors(got, truth)
            res.append((1000 * e.mean(), 100 * np.mean(e <= 0.05), len(got), len(truth)))
        print("%-30s  %6.1f ms %5.1f %% (%d/%d notes)   %6.1f ms %5.1f %% (%d/%d notes)" % ((p,) + res[0] + res[1]))
        sys.stdout.flush()


def main():
    which = sys.argv[1:] or ["fit", "excerpt", "whole"]
    with tempfile.TemporaryDirectory() as tmp:
        for w in which:
            {"fit": fit, "excerpt": excerpt, "whole": whole}[w](tmp)
            print()


if __name__ == "__main__":
    main()
