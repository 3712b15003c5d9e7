#!/usr/bin/python3
"""Measures notewise align on real performances: Bach10 (Duan & Pardo 2011), ten chorales played
by a violin, a clarinet, a saxophone and a bassoon. Each piece's constant-tempo score
(score_unaligned.csv) is aligned to its recording (mix.flac).

The primary figure: each aligned note against its own player's onset, pitch-tracked in the
isolated stems (score_gtnotes.csv; the measure of ../shared/eval/pervoice.py: a note is matched to
the tracked note of its label, pitch within a semitone, nearest its aligned onset, within 0.3 s;
notes without one are counted as unmatched), pooled over the notes, per part and overall, per
half (01-05 tuning, 06-10 held out). The secondary figure: every note's onset against the
human-annotated alignment (score_aligned.csv, the same notes in the same order; checked), which
gives all the notes of a score event one time (tapped beats, interpolated): it is compared with
each note's event time, align's event_onset column (written with the per-voice refinement; the
onsets of --per-voice no, unchanged), else with the start column; the start column against it is
printed too.

  /usr/bin/python3 scripts/align_bach10.py [../shared/data/bach10] [--keep DIR] [--tracked] [-- extra align options]

Prints per piece: mean onset error, % within 50 ms, % beyond 200 ms, max, the path cost and the
flags notewise raised; then the means over pieces 01-05 (tuning), 06-10 (held out) and all. The
means are means over pieces (each piece weighs the same), as the per-piece table.

--tracked also compares both the annotation and notewise's onsets with a second reference, the
onsets pitch-tracked in each isolated stem (score_gtnotes.csv; a note is matched to the tracked
note of its instrument and pitch nearest its annotated onset, within 0.3 s), split into onset
events of one note (a voice moving alone: the annotation interpolates these between tapped
beats) and of several notes; and measures notewise against the annotation on the notes where
the two references agree (annotation within 50 ms of the tracked onset); and prints notewise
against the tracked onsets per half (means over pieces, as the table); and counts the notes more
than 50 ms from the annotation that lie within 50 ms of their tracked onset. Notewise's path is set by
NOTEWISE (default build/notewise).
"""
import csv
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NOTEWISE = os.environ.get("NOTEWISE", os.path.join(HERE, "..", "build", "notewise"))


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def compare_tracked(piece, truth, unal, got, acc):
    path = os.path.join(piece, "score_gtnotes.csv")
    if not os.path.isfile(path):
        return
    notes = {}
    for r in read(path):
        notes.setdefault((r["label"], int(r["pitch"])), []).append(float(r["start"]))
    starts = [round(float(r["start"]), 3) for r in unal]
    size = {s: starts.count(s) for s in set(starts)}
    for i, (a, g) in enumerate(zip(truth, got)):
        cands = np.array(notes.get((a["label"], int(a["pitch"])), []))
        if cands.size == 0:
            acc["misses"]["no tracked note"] += abs(float(g["start"]) - float(a["start"])) > 0.05
            continue
        t = float(a["start"])
        j = int(np.argmin(np.abs(cands - t)))
        if abs(cands[j] - t) > 0.3:
            acc["misses"]["no tracked note"] += abs(float(g["start"]) - t) > 0.05
            continue
        ea, eg, eo = acc["one note" if size[starts[i]] == 1 else "several notes"]
        if abs(float(g["start"]) - t) > 0.05:  # a miss: is notewise near the played onset?
            acc["misses"]["near tracked" if abs(float(g["start"]) - cands[j]) <= 0.05 else "off both"] += 1
        if abs(cands[j] - t) <= 0.05:  # the two references agree on this note
            acc["agreed"].setdefault(os.path.basename(piece), []).append(abs(float(g["start"]) - t) * 1000)
        acc["vs tracked"].setdefault(os.path.basename(piece), []).append(abs(float(g["start"]) - cands[j]) * 1000)
        ea.append((t - cands[j]) * 1000)
        eg.append((float(g["start"]) - cands[j]) * 1000)
        eo.append((float(g["start"]) - t) * 1000)


def pervoice_errors(piece, got):
    """(label, |error| ms) of each aligned note matched to its tracked note (pervoice.py's rule), and the count of notes."""
    path = os.path.join(piece, "score_gtnotes.csv")
    if not os.path.isfile(path):
        return [], 0
    gt = read(path)
    out = []
    for g in got:
        s, p, lab = float(g["start"]), int(float(g["pitch"])), g["label"]
        c = [abs(float(t["start"]) - s) for t in gt if t["label"] == lab and abs(int(float(t["pitch"])) - p) <= 1]
        if c and min(c) <= 0.3:
            out.append((lab, 1000 * min(c)))
    return out, len(got)


def print_pervoice(per_piece):
    """per_piece: {name: ([(label, err_ms)], notes)}. Pooled over notes, as pervoice.py."""
    if not any(v[1] for v in per_piece.values()):
        return
    halves = [("01-05", [k for k in per_piece if k[:2] <= "05"]), ("06-10", [k for k in per_piece if k[:2] > "05"]),
              ("all", list(per_piece))]
    labels = sorted({lab for rows, _ in per_piece.values() for lab, _ in rows})
    print()
    print("Against the per-voice (pitch-tracked) onsets, score_gtnotes.csv (primary; pooled over the notes):")
    print("| pieces | part | matched notes | mean (ms) | within 50 ms | beyond 200 ms |")
    print("|---|---|---|---|---|---|")
    for half, keys in halves:
        if not keys:
            continue
        rows = [r for k in keys for r in per_piece[k][0]]
        total = sum(per_piece[k][1] for k in keys)
        for lab in labels + [None]:
            e = np.array([r[1] for r in rows if lab is None or r[0] == lab])
            if e.size == 0:
                continue
            name = f"**all parts** ({100 * len(rows) / max(total, 1):.1f} % matched)" if lab is None else lab
            print(f"| {half} | {name} | {e.size} | {e.mean():.1f} | {(e <= 50).mean() * 100:.1f} % | {(e > 200).mean() * 100:.1f} % |")


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    keep = None
    if "--keep" in argv:
        keep = argv[argv.index("--keep") + 1]
        del argv[argv.index("--keep"):argv.index("--keep") + 2]
        os.makedirs(keep, exist_ok=True)
    tracked = None
    if "--tracked" in argv:
        argv.remove("--tracked")
        tracked = {"one note": ([], [], []), "several notes": ([], [], []), "agreed": {}, "vs tracked": {},
                   "misses": {"near tracked": 0, "off both": 0, "no tracked note": 0}}
    root = argv[0] if argv else os.path.join(HERE, "..", "..", "shared", "data", "bach10")
    rows = []
    per_voice = {}
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = keep or tmp
        for name in sorted(os.listdir(root)):
            piece = os.path.join(root, name)
            if not os.path.isfile(os.path.join(piece, "score_aligned.csv")):
                continue
            truth = read(os.path.join(piece, "score_aligned.csv"))
            score = os.path.join(piece, "score_unaligned.csv")
            unal = read(score)
            if len(truth) != len(unal) or any(a["pitch"] != b["pitch"] or a["label"] != b["label"] for a, b in zip(truth, unal)):
                sys.exit(f"{name}: score_aligned.csv and score_unaligned.csv do not list the same notes in the same order")
            out = os.path.join(out_dir, name + ".csv")
            t0 = time.time()
            res = subprocess.run([NOTEWISE, "--force", "align", os.path.join(piece, "mix.flac"), "--score", score, "--out", out] + extra,
                                 capture_output=True, text=True)
            secs = time.time() - t0
            if res.returncode not in (0,):
                sys.exit(f"{name}: notewise align failed ({res.returncode}): {res.stderr}")
            got = read(out)
            if len(got) != len(truth) or any(a["pitch"] != b["pitch"] for a, b in zip(truth, got)):
                sys.exit(f"{name}: the aligned score does not keep the notes and their order")
            t = np.array([float(r["start"]) for r in truth])
            # The annotation gives one time per score event: it is answered by each note's event
            # time (align's event_onset column, written with the per-voice refinement), else by
            # the onsets themselves (--per-voice no: the same times).
            col = "event_onset" if got and "event_onset" in got[0] else "start"
            g = np.array([float(r[col]) for r in got])
            e = np.abs(g - t) * 1000
            own = np.abs(np.array([float(r["start"]) for r in got]) - t) * 1000
            msg = (res.stderr + res.stdout).strip().replace("\n", " / ")
            rows.append((name, e, secs, msg, own, col))
            per_voice[name] = pervoice_errors(piece, got)
            if tracked is not None:
                compare_tracked(piece, truth, unal, got, tracked)
    print_pervoice(per_voice)
    print()
    cols = sorted({r[5] for r in rows})
    print(f"Against the tapped annotation, score_aligned.csv (secondary; means over pieces), the aligned {' / '.join(cols)} column:")
    print("| piece | notes | mean (ms) | within 50 ms | beyond 200 ms | max (ms) | time (s) |")
    print("|---|---|---|---|---|---|---|")
    for name, e, secs, *_ in rows:
        print(f"| {name} | {len(e)} | {e.mean():.1f} | {(e <= 50).mean() * 100:.1f} % | {(e > 200).mean() * 100:.1f} % | {e.max():.0f} | {secs:.1f} |")
    groups = [("01-05", [r for r in rows if r[0][:2] <= "05"]), ("06-10", [r for r in rows if r[0][:2] > "05"]), ("all", rows)]
    for label, rs in groups:
        if not rs:
            continue
        m = np.mean([r[1].mean() for r in rs])
        w = np.mean([(r[1] <= 50).mean() for r in rs]) * 100
        b = np.mean([(r[1] > 200).mean() for r in rs]) * 100
        mx = max(r[1].max() for r in rs)
        print(f"| **mean {label}** | | **{m:.1f}** | **{w:.1f} %** | **{b:.1f} %** | {mx:.0f} | |")
    if "event_onset" in cols:
        print("The per-voice onsets (start) against the same annotation, means over pieces:", end="")
        for label, rs in groups:
            if rs:
                print(f" {label} {np.mean([r[4].mean() for r in rs]):.1f} ms, {np.mean([(r[4] <= 50).mean() for r in rs]) * 100:.1f} %;", end="")
        print()
    if tracked is not None:
        print()
        print("| onset events | notes | annotation vs tracked, within 50 ms | notewise vs tracked | notewise vs annotation |")
        print("|---|---|---|---|---|")
        agreed = tracked.pop("agreed")
        vs_tracked = tracked.pop("vs tracked")
        misses = tracked.pop("misses")
        for kind, (ea, eg, eo) in tracked.items():
            ea, eg, eo = (np.abs(np.array(v)) for v in (ea, eg, eo))
            print(f"| {kind} | {len(ea)} | {(ea <= 50).mean() * 100:.1f} % | {(eg <= 50).mean() * 100:.1f} % | {(eo <= 50).mean() * 100:.1f} % |")
        print()
        print("Notes on which the two references agree (annotation within 50 ms of the tracked onset):")
        print("| piece | notes agreed | notewise within 50 ms of the annotation on them |")
        print("|---|---|---|")
        for name, e in sorted(agreed.items()):
            print(f"| {name} | {len(e)} | {(np.array(e) <= 50).mean() * 100:.1f} % |")
        for label, keys in (("01-05", [k for k in agreed if k[:2] <= "05"]), ("06-10", [k for k in agreed if k[:2] > "05"]),
                            ("all", list(agreed))):
            if keys:
                w = np.mean([(np.array(agreed[k]) <= 50).mean() for k in keys]) * 100
                print(f"| **mean {label}** | {sum(len(agreed[k]) for k in keys)} | **{w:.1f} %** |")
        print()
        print("Notewise within 50 ms of the tracked onsets, mean over pieces:", end="")
        for label, keys in (("01-05", [k for k in vs_tracked if k[:2] <= "05"]), ("06-10", [k for k in vs_tracked if k[:2] > "05"]),
                            ("all", list(vs_tracked))):
            if keys:
                print(f" {label} {np.mean([(np.array(vs_tracked[k]) <= 50).mean() for k in keys]) * 100:.1f} %", end="")
        print()
        print(f"Notes more than 50 ms from the annotation, all pieces: {sum(misses.values())}; of them within 50 ms of "
              f"the tracked onset {misses['near tracked']}, off both {misses['off both']}, no tracked note {misses['no tracked note']}")
    if "-v" in extra or os.environ.get("ALIGN_VERBOSE"):
        for name, _, _, msg, *_ in rows:
            print(f"{name}: {msg}")


if __name__ == "__main__":
    main()
