#!/usr/bin/env python3
"""Renders GM drum patterns with FluidSynth into true stems, mixes and scores.

  /usr/bin/python3 scripts/render_drums.py OUT_DIR [--soundfont SF2] [--rate 44100]

For each pattern OUT_DIR/<pattern>/ gets mix.wav, <class>.wav per drum class (the class's
notes rendered alone: the true stems; mix = their sum), score.csv and score.mid (channel 10),
OUT_DIR/templates/<class>.wav one stroke of each class (for `notewise drums --templates`), and
OUT_DIR/band/ the rock pattern with bass and piano (mix.wav, score.mid, score.csv, the true
stems bass.wav, piano.wav, <class>.wav, and pitched.wav, drums.wav: for `notewise separate`).
Reverb and chorus are off, so the stems add up to the mix exactly. Needs Debian `fluidsynth`,
`fluid-soundfont-gm` (FluidR3_GM) or `timgm6mb-soundfont`, python3-numpy, python3-soundfile.
"""
import argparse
import os
import random
import struct
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf

CLASSES = {"kick": (35, 36), "snare": (37, 38, 39, 40), "hihat": (42, 44, 46),
           "toms": (41, 43, 45, 47, 48, 50), "cymbals": (49, 51, 52, 53, 55, 57, 59)}
CLASS_OF = {p: c for c, ps in CLASSES.items() for p in ps}
ONE_SHOT = {"kick": 36, "snare": 38, "hihat": 42, "toms": 45, "cymbals": 49}


def pattern(name, bars, bpm, seed):
    """(onset s, pitch, velocity) of a GM drum pattern; timing and velocity vary a little."""
    rnd = random.Random(seed)
    step = 60.0 / bpm / 4  # sixteenths
    notes = []

    def hit(bar, six, pitch, vel):
        t = (bar * 16 + six) * step + 0.05 + rnd.uniform(-0.004, 0.004)
        notes.append((t, pitch, max(1, min(127, int(vel + rnd.uniform(-12, 12))))))

    for b in range(bars):
        fill = b % 4 == 3
        if name == "rock":
            for s in (0, 8) + ((10,) if b % 2 else ()):
                hit(b, s, 36, 110)
            for s in (4, 12):
                hit(b, s, 38, 105)
            for s in range(0, 16 if not fill else 8, 2):
                hit(b, s, 46 if s == 14 else 42, 80)
            if fill:
                for s, p in zip((8, 10, 12, 14), (50, 48, 45, 41)):
                    hit(b, s, p, 100)
            if b % 4 == 0:
                hit(b, 0, 49, 100)
        elif name == "funk":
            for s in (0, 3, 10) + ((7,) if b % 2 else ()):
                hit(b, s, 36, 105)
            for s in (4, 12):
                hit(b, s, 38, 110)
            if not fill:
                hit(b, 15, 38, 50)  # ghost note
            for s in range(16):
                if s % 2 == 0 or rnd.random() < 0.3:
                    hit(b, s, 42, 90 if s % 4 == 0 else 60)
            if fill:
                for s, p in zip((12, 13, 14, 15), (48, 48, 45, 45)):
                    hit(b, s, p, 95)
        elif name == "ride":  # jazz-like: ride cymbal, kick and snare comping, hi-hat pedal
            for s in (0, 4, 7, 8, 12, 15):
                hit(b, s, 51, 85)
            for s in (4, 12):
                hit(b, s, 44, 70)
            for s in (0,) + ((11,) if b % 2 else (6,)):
                hit(b, s, 36, 90)
            for s in ((14,) if b % 2 else (3, 10)):
                hit(b, s, 38, 80)
            if b % 4 == 0:
                hit(b, 0, 57, 95)
            if fill:
                for s, p in zip((8, 11, 14), (47, 43, 41)):
                    hit(b, s, p, 95)
    notes.sort()
    return notes


def vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def write_midi(path, notes, tail=2.0):
    """Type-0 SMF, 480 ticks per quarter at 120 bpm (1 tick = 1/960 s), channel 10."""
    events = []
    for t, p, v in notes:
        events.append((round(t * 960), 0x99, p, v))
        events.append((round((t + 0.1) * 960), 0x89, p, 0))
    end = round((max(t for t, _, _ in notes) + tail) * 960)
    events.sort(key=lambda e: (e[0], e[1] == 0x99))
    data, now = b"", 0
    data += vlq(0) + b"\xff\x51\x03" + (500000).to_bytes(3, "big")
    for tick, status, p, v in events:
        data += vlq(tick - now) + bytes([status, p, v])
        now = tick
    data += vlq(end - now) + b"\xff\x2f\x00"
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480) + b"MTrk" + struct.pack(">I", len(data)) + data)


def write_named_tracks(path, tracks, tail=2.0):
    """Type-1 SMF, one named track per part: tracks = [(name, channel, program, notes, note length s)]."""
    chunks = []
    end = max(round((t + length) * 960) for _, _, _, ns, length in tracks for t, _, _ in ns) + round(tail * 960)
    for name, ch, prog, notes, length in tracks:
        events = []
        for t, p, v in notes:
            events.append((round(t * 960), 0x90 | ch, p, v))
            events.append((round((t + length) * 960), 0x80 | ch, p, 0))
        events.sort(key=lambda e: (e[0], (e[1] & 0xF0) == 0x90))
        data = vlq(0) + b"\xff\x03" + vlq(len(name)) + name.encode() + vlq(0) + bytes([0xC0 | ch, prog])
        now = 0
        for tick, status, a, b in events:
            data += vlq(tick - now) + bytes([status, a, b])
            now = tick
        data += vlq(end - now) + b"\xff\x2f\x00"
        chunks.append(data)
    tempo = vlq(0) + b"\xff\x51\x03" + (500000).to_bytes(3, "big") + vlq(0) + b"\xff\x2f\x00"
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 1, len(chunks) + 1, 480))
        for c in [tempo] + chunks:
            f.write(b"MTrk" + struct.pack(">I", len(c)) + c)


def render_band(out, tmp, soundfont, rate, bars):
    """OUT/band/: the rock pattern with an electric bass (GM 34) and piano chords; mix.wav,
    score.mid (tracks bass, piano on channels 1, 2 and drums on channel 10), score.csv (the same,
    drum rows labelled drums), the true stems bass.wav, piano.wav and <class>.wav per drum
    class, and pitched.wav (bass + piano) and drums.wav (all drum classes)."""
    bpm = 110
    step = 60.0 / bpm / 4
    drums = pattern("rock", bars, bpm, seed=1)
    bass = [((b * 16 + s) * step + 0.05, p, 100) for b in range(bars) for s, p in ((0, 40), (6, 40), (8, 43), (12, 45))]
    piano = [((b * 16 + s) * step + 0.05, p, 80) for b in range(bars) for s in (0, 8)
             for p in ((64, 67, 71) if b % 2 == 0 else (62, 66, 69))]
    tracks = [("bass", 0, 33, bass, 0.5), ("piano", 1, 0, piano, 0.5), ("drums", 9, 0, drums, 0.1)]
    parts = {"bass": [tracks[0]], "piano": [tracks[1]]}
    for c in CLASSES:
        mine = [n for n in drums if CLASS_OF[n[1]] == c]
        if mine:
            parts[c] = [("drums", 9, 0, mine, 0.1)]
    d = os.path.join(out, "band")
    os.makedirs(d, exist_ok=True)
    write_named_tracks(os.path.join(d, "score.mid"), tracks)
    with open(os.path.join(d, "score.csv"), "w") as f:
        f.write("start,duration,pitch,velocity,label\n")
        for name, _, _, notes, length in tracks:
            for t, p, v in notes:
                f.write(f"{t:.4f},{length},{p},{v},{name}\n")
    stems = {}
    for k, part in parts.items():
        mid = os.path.join(tmp, f"band_{k}.mid")
        # The same end for every part (the tail after its last note makes up the difference).
        write_named_tracks(mid, part, tail=2.0 + max((t + l) for _, _, _, ns, l in tracks for t, _, _ in ns)
                           - max((t + l) for _, _, _, ns, l in part for t, _, _ in ns))
        stems[k] = render(mid, os.path.join(tmp, f"band_{k}.wav"), soundfont, rate)
    n = max(len(s) for s in stems.values())
    for k in stems:
        stems[k] = np.pad(stems[k], (0, n - len(stems[k])))
    mix = sum(stems.values())
    scale = min(1.0, 0.9 / np.abs(mix).max())
    for k in stems:
        sf.write(os.path.join(d, f"{k}.wav"), stems[k] * scale, rate, subtype="FLOAT")
    sf.write(os.path.join(d, "pitched.wav"), (stems["bass"] + stems["piano"]) * scale, rate, subtype="FLOAT")
    sf.write(os.path.join(d, "drums.wav"), sum(v for k, v in stems.items() if k in CLASSES) * scale, rate, subtype="FLOAT")
    sf.write(os.path.join(d, "mix.wav"), mix * scale, rate, subtype="FLOAT")
    print(f"{d}: bass, piano and drums ({', '.join(k for k in stems if k in CLASSES)})")


def render(midi, wav, soundfont, rate):
    subprocess.run(["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.6", "-r", str(rate), "-F", wav,
                    soundfont, midi], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    x, sr = sf.read(wav, dtype="float64", always_2d=True)
    assert sr == rate
    return x.mean(axis=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--soundfont", default="/usr/share/sounds/sf2/FluidR3_GM.sf2")
    ap.add_argument("--rate", type=int, default=44100)
    ap.add_argument("--bars", type=int, default=8)
    a = ap.parse_args()
    if not os.path.exists(a.soundfont):
        sys.exit(f"render_drums: no soundfont {a.soundfont} (apt install fluid-soundfont-gm)")
    os.makedirs(a.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, bpm) in enumerate((("rock", 110), ("funk", 96), ("ride", 140))):
            notes = pattern(name, a.bars, bpm, seed=i + 1)
            d = os.path.join(a.out, name)
            os.makedirs(d, exist_ok=True)
            write_midi(os.path.join(d, "score.mid"), notes)
            stems = {}
            for c in CLASSES:
                mine = [n for n in notes if CLASS_OF[n[1]] == c]
                if not mine:
                    continue
                mid = os.path.join(tmp, f"{name}_{c}.mid")
                write_midi(mid, mine, tail=2.0 + max(t for t, _, _ in notes) - max(t for t, _, _ in mine))
                stems[c] = render(mid, os.path.join(tmp, f"{name}_{c}.wav"), a.soundfont, a.rate)
            n = max(len(s) for s in stems.values())
            for c, s in stems.items():
                stems[c] = np.pad(s, (0, n - len(s)))
            mix = sum(stems.values())
            peak = np.abs(mix).max()
            scale = 0.9 / peak if peak > 0.9 else 1.0
            for c, s in stems.items():
                sf.write(os.path.join(d, f"{c}.wav"), s * scale, a.rate, subtype="FLOAT")
            sf.write(os.path.join(d, "mix.wav"), mix * scale, a.rate, subtype="FLOAT")
            with open(os.path.join(d, "score.csv"), "w") as f:
                f.write("start,duration,pitch,velocity,label\n")
                for t, p, v in notes:
                    f.write(f"{t:.4f},0.1,{p},{v},drums\n")
            print(f"{d}: {len(notes)} notes, classes {', '.join(stems)}")
        render_band(a.out, tmp, a.soundfont, a.rate, a.bars)
        t = os.path.join(a.out, "templates")
        os.makedirs(t, exist_ok=True)
        for c, p in ONE_SHOT.items():
            mid = os.path.join(tmp, f"one_{c}.mid")
            write_midi(mid, [(0.0, p, 100)], tail=1.0)
            sf.write(os.path.join(t, f"{c}.wav"), render(mid, os.path.join(tmp, f"one_{c}.wav"), a.soundfont, a.rate),
                     a.rate, subtype="FLOAT")
        print(f"{t}: one stroke per class")


if __name__ == "__main__":
    main()
