#!/usr/bin/python3
"""Renders two-hand piano test pieces from MIDI files, to check that quality claims generalise
beyond the development pieces (another soundfont = another piano sound, other excerpts).

  /usr/bin/python3 scripts/render_pieces.py OUT_DIR [--soundfont /usr/share/sounds/sf2/FluidR3_GM.sf2]

Needs Debian's fluidsynth, fluid-soundfont-gm and python3-mido, python3-soundfile. For each
excerpt it writes OUT_DIR/NAME/{mix,left,right}.wav (22050 Hz mono 16-bit, mix = left + right
exactly) and score.csv (start,duration,pitch,velocity,label: the rendered note times), the layout
of ../shared/data/pieces, so that scripts/eval_pieces.sh and score_sep.py --set apply.
Each hand is rendered on its own (reverb on, chorus off); the sustain pedal applies to both.
"""
import argparse
import os
import subprocess
import tempfile

import mido
import numpy as np
import soundfile as sf

MIDI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "scores")
# (name, file, right-hand track, left-hand track, excerpt start in seconds)
EXCERPTS = [
    ("chopin_op64_1_at25", "chopin_op64_1_mutopia.mid", "rh:", "lh:", 25.0),
    ("chopin_op64_1_at50", "chopin_op64_1_mutopia.mid", "rh:", "lh:", 50.0),
    ("mozart_k545_1_at60", "mz_545_1.mid", "Piano right", "Piano left", 60.0),
    ("mozart_k545_1_at150", "mz_545_1.mid", "Piano right", "Piano left", 150.0),
    ("mozart_k545_1_at0", "mz_545_1.mid", "Piano right", "Piano left", 0.0),
]
LENGTH, TAIL, RATE = 25.0, 1.0, 22050


def timed_events(mid):
    """(seconds, track name, message) for every channel message, in time order, through the
    file's tempo map (tempo events of any track)."""
    tempi = sorted((tick, msg.tempo) for track in mid.tracks for tick, msg in absolute(track) if msg.type == "set_tempo")
    def seconds(tick):
        sec, last, tempo = 0.0, 0, 500000
        for t, new in tempi:
            if t >= tick:
                break
            sec += mido.tick2second(t - last, mid.ticks_per_beat, tempo)
            last, tempo = t, new
        return sec + mido.tick2second(tick - last, mid.ticks_per_beat, tempo)
    out = [(seconds(tick), track.name, msg) for track in mid.tracks for tick, msg in absolute(track) if not msg.is_meta]
    out.sort(key=lambda e: e[0])
    return out


def absolute(track):
    tick = 0
    for msg in track:
        tick += msg.time
        yield tick, msg


def hand_midi(events, track, start, path):
    """A MIDI file (120 bpm, 960 ticks/s) of one hand's notes and every sustain-pedal event in
    [start, start + LENGTH]; notes still sounding at the end are released there."""
    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.Message("program_change", program=0, channel=0, time=0))
    last = 0
    notes, sounding = [], {}
    for sec, name, msg in events:
        if sec < start or sec > start + LENGTH:
            continue
        is_pedal = msg.type == "control_change" and msg.control == 64
        if not is_pedal and name != track:
            continue
        if msg.type not in ("note_on", "note_off", "control_change"):
            continue
        if msg.type == "note_on" and msg.velocity > 0:
            sounding.setdefault(msg.note, []).append((sec - start, msg.velocity))
        elif msg.type in ("note_on", "note_off"):
            if not sounding.get(msg.note):
                continue  # its note-on was before the excerpt
            on, vel = sounding[msg.note].pop(0)
            notes.append((on, sec - start - on, msg.note, vel))
        # Delta times only between the events written (a skipped event must not shift the rest).
        t = int(round((sec - start) * 960))
        tr.append(msg.copy(channel=0, time=t - last))
        last = t
    end = int(round(LENGTH * 960))
    for note, lst in sounding.items():
        for on, vel in lst:
            tr.append(mido.Message("note_off", note=note, velocity=0, channel=0, time=max(0, end - last)))
            last = max(last, end)
            notes.append((on, LENGTH - on, note, vel))
    tr.append(mido.Message("control_change", control=64, value=0, channel=0, time=max(0, end - last)))
    mid.save(path)
    return notes


def render(midi_path, wav_path, soundfont):
    subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", str(RATE), "-R", "1", "-C", "0", "-O", "float",
                    "-F", wav_path, soundfont, midi_path], check=True)
    x, sr = sf.read(wav_path, dtype="float64", always_2d=True)
    assert sr == RATE
    x = x.mean(axis=1)
    n = int((LENGTH + TAIL) * RATE)
    return np.pad(x, (0, max(0, n - len(x))))[:n]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--soundfont", default="/usr/share/sounds/sf2/FluidR3_GM.sf2")
    a = ap.parse_args()
    for name, file, rh, lh, start in EXCERPTS:
        mid = mido.MidiFile(os.path.join(MIDI, file))
        events = timed_events(mid)
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        stems, rows = {}, []
        with tempfile.TemporaryDirectory() as tmp:
            for label, track in (("right", rh), ("left", lh)):
                notes = hand_midi(events, track, start, os.path.join(tmp, label + ".mid"))
                stems[label] = render(os.path.join(tmp, label + ".mid"), os.path.join(tmp, label + ".wav"), a.soundfont)
                rows += [(on, dur, p, v, label) for on, dur, p, v in notes]
        scale = 10 ** (-1 / 20) / np.abs(stems["left"] + stems["right"]).max()
        ints = {k: np.round(v * scale * 32767).astype(np.int32) for k, v in stems.items()}
        mix = ints["left"] + ints["right"]
        assert np.abs(mix).max() <= 32767
        for k, v in (("left", ints["left"]), ("right", ints["right"]), ("mix", mix)):
            sf.write(os.path.join(d, k + ".wav"), v.astype(np.int16), RATE, subtype="PCM_16")
        rows.sort()
        with open(os.path.join(d, "score.csv"), "w") as f:
            f.write("start,duration,pitch,velocity,label\n")
            for on, dur, p, v, label in rows:
                f.write(f"{on:.3f},{dur:.3f},{p},{v},{label}\n")
        print(name, len(rows), "notes")


if __name__ == "__main__":
    main()
