#!/usr/bin/python3
"""Renders small mixed ensembles with piano (piano + violin, piano + clarinet, piano + cello, and a
trio piano + violin + cello) from generated scores, to measure how a struck instrument's model
takes the sound of sustained ones (docs/RESULTS.md, "Mixed ensembles with piano").

  /usr/bin/python3 scripts/render_mixed.py OUT_DIR [--seconds 20]

Needs Debian's fluidsynth, timgm6mb-soundfont, musescore-general-soundfont-small and
python3-soundfile (and numpy). Never the fluid-soundfont-gm/-gs renderings (kept for evaluation).
For each ensemble and soundfont it writes OUT_DIR/NAME/{mix,<label>...}.wav (22050 Hz mono 16-bit,
mix = the sum of the stems exactly) and score.csv (start,duration,pitch,velocity,label), the
layout of ../shared/data/pieces, so that scripts/eval_set.py applies:
  /usr/bin/python3 scripts/eval_set.py OUT_DIR
The scores are generated from a fixed seed (same files every run): a chord progression, the piano
playing a bass note and broken chords or repeated chords on the beats, the sustained parts long
legato notes from the chords' tones (violin and clarinet above the piano, the cello below and
among it). Each part is rendered on its own (reverb on, chorus off); the stems are scaled to one
RMS each (the parts equally loud), then together to a mix peak of -1 dBFS.
"""
import argparse
import os
import random
import struct
import subprocess
import tempfile

import numpy as np
import soundfile as sf

RATE = 22050
SOUNDFONTS = [("tim", "/usr/share/sounds/sf2/TimGM6mb.sf2"),
              ("msg", "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3")]
PROGRAMS = {"piano": 0, "violin": 40, "cello": 42, "clarinet": 71}
# (name, parts, piano figuration)
ENSEMBLES = [("piano_violin", ["piano", "violin"], "broken"),
             ("piano_clarinet", ["piano", "clarinet"], "chords"),
             ("piano_cello", ["piano", "cello"], "broken"),
             ("trio", ["piano", "violin", "cello"], "chords")]
# Range of each sustained part (MIDI pitches).
RANGES = {"violin": (67, 88), "clarinet": (62, 82), "cello": (43, 62)}
# A progression in C major: root pitch class and chord tones (pitch classes).
CHORDS = [(0, (0, 4, 7)), (9, (9, 0, 4)), (5, (5, 9, 0)), (7, (7, 11, 2)), (2, (2, 5, 9)), (7, (7, 11, 2, 5)),
          (4, (4, 7, 11)), (9, (9, 0, 4)), (5, (5, 9, 0)), (0, (0, 4, 7))]


def generate(parts, figure, seconds, seed):
    """Notes (start s, duration s, pitch, velocity, label) of one generated piece."""
    rng = random.Random(seed)
    beat = 60.0 / rng.choice([84, 92, 100])
    bar = 4 * beat
    transpose = rng.choice([-2, 0, 3, 5])
    notes = []
    t, k = 0.0, 0
    while t + bar <= seconds:
        root, tones = CHORDS[k % len(CHORDS)]
        k += 1
        pcs = [(p + transpose) % 12 for p in tones]
        bass = 36 + (root + transpose) % 12
        notes.append((t, bar * 0.95, bass, rng.randint(60, 75), "piano"))
        mid = sorted(p for p in range(52, 76) if p % 12 in pcs)
        if figure == "broken":  # eighth notes up and down the chord
            seq = mid[:4] + mid[1:3][::-1]
            for i in range(8):
                notes.append((t + i * beat / 2, beat / 2 * 0.9, seq[i % len(seq)], rng.randint(55, 80), "piano"))
        else:  # the chord repeated on each beat
            chord = [p for p in mid if 55 <= p <= 72][:3]
            for i in range(4):
                for p in chord:
                    notes.append((t + i * beat, beat * 0.8, p, rng.randint(55, 80), "piano"))
        for label in parts[1:]:
            lo, hi = RANGES[label]
            cand = [p for p in range(lo, hi + 1) if p % 12 in pcs]
            # Two half notes or one whole note, legato (the next starts as this one stops).
            lengths = [2, 2] if rng.random() < 0.5 else [4]
            s = t
            for n in lengths:
                notes.append((s, n * beat * 0.98, rng.choice(cand), rng.randint(70, 95), label))
                s += n * beat
        t += bar
    return sorted(notes)


def midi_file(notes, program, path):
    """A one-track MIDI file (120 bpm, 960 ticks per second) of these notes on channel 0."""
    events = [(0, bytes([0xC0, program]))]
    for start, dur, pitch, vel, _ in notes:
        events.append((int(round(start * 960)), bytes([0x90, pitch, vel])))
        events.append((int(round((start + dur) * 960)) - 1, bytes([0x80, pitch, 0])))
    events.sort(key=lambda e: (e[0], e[1][0] == 0x90))
    data, last = b"", 0
    for tick, msg in events:
        delta, var = tick - last, b""
        last = tick
        var = bytes([delta & 0x7F])
        delta >>= 7
        while delta:
            var = bytes([0x80 | (delta & 0x7F)]) + var
            delta >>= 7
        data += var + msg
    data += b"\x00\xFF\x2F\x00"
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480) + b"MTrk" + struct.pack(">I", len(data)) + data)


def render(midi_path, wav_path, soundfont, n):
    subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", str(RATE), "-R", "1", "-C", "0", "-O", "float",
                    "-F", wav_path, soundfont, midi_path], check=True)
    x, sr = sf.read(wav_path, dtype="float64", always_2d=True)
    assert sr == RATE
    x = x.mean(axis=1)
    return np.pad(x, (0, max(0, n - len(x))))[:n]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seconds", type=float, default=20.0)
    a = ap.parse_args()
    n = int((a.seconds + 1.5) * RATE)
    for e, (name, parts, figure) in enumerate(ENSEMBLES):
        notes = generate(parts, figure, a.seconds, seed=35 + e)
        for font, path in SOUNDFONTS:
            d = os.path.join(a.out, name + "_" + font)
            os.makedirs(d, exist_ok=True)
            stems = {}
            with tempfile.TemporaryDirectory() as tmp:
                for label in parts:
                    mine = [x for x in notes if x[4] == label]
                    midi_file(mine, PROGRAMS[label], os.path.join(tmp, label + ".mid"))
                    x = render(os.path.join(tmp, label + ".mid"), os.path.join(tmp, label + ".wav"), path, n)
                    stems[label] = x / np.sqrt(np.mean(x ** 2))
            total = sum(stems.values())
            scale = 10 ** (-1 / 20) / np.abs(total).max()
            ints = {k: np.round(v * scale * 32767).astype(np.int32) for k, v in stems.items()}
            mix = sum(ints.values())
            assert np.abs(mix).max() <= 32767
            for k, v in list(ints.items()) + [("mix", mix)]:
                sf.write(os.path.join(d, k + ".wav"), v.astype(np.int16), RATE, subtype="PCM_16")
            with open(os.path.join(d, "score.csv"), "w") as f:
                f.write("start,duration,pitch,velocity,label\n")
                for start, dur, pitch, vel, label in notes:
                    f.write("%.4f,%.4f,%d,%d,%s\n" % (start, dur, pitch, vel, label))
            print(d, ", ".join(parts), "%.1f s" % (n / RATE))


if __name__ == "__main__":
    main()
