"""Tests of the notewise Python module. Signals are generated here; the shipped example is used
for the comparison with the command-line program's stems."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
import warnings

import numpy as np
import pytest

import notewise

SR = 22050


def tone(pitch, t0, t1, n, sr=SR):
    """A decaying harmonic tone (4 partials, weights 1/m) from t0 to t1 seconds."""
    x = np.zeros(n)
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    i = np.arange(int(t0 * sr), min(n, int(t1 * sr)))
    t = i / sr - t0
    v = sum(np.sin(2 * np.pi * m * f0 * t) / m for m in range(1, 5))
    x[i] = 0.2 * v * np.exp(-t / 0.8) * np.minimum(1.0, t / 0.01)
    return x.astype(np.float32)


ROWS = [[0.1, 1.4, 60, 100, "l"], [0.5, 1.4, 67, 100, "r"]]
FAST = dict(iterations=20, check_fit=False)


def two_tones(n, sr=SR):
    return tone(60, 0.1, 1.5, n, sr), tone(67, 0.5, 1.9, n, sr)


# --- STFT -----------------------------------------------------------------------------------

def test_stft_matches_a_plain_numpy_frame_and_round_trips():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(5000).astype(np.float32)
    X = notewise.stft(x, n_fft=512, hop=128)
    assert X.shape == (257, 1 + 5000 // 128) and X.dtype == np.complex64
    # Frame 10 by hand: centred (reflect padding), periodic Hann, unnormalised DFT.
    pad = np.pad(x.astype(np.float64), 256, mode="reflect")
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(512) / 512)
    ref = np.fft.rfft(pad[10 * 128:10 * 128 + 512] * w)
    assert np.max(np.abs(X[:, 10] - ref)) <= 1e-4 * np.max(np.abs(ref))
    y = notewise.istft(X, n_fft=512, hop=128, length=5000)
    assert y.shape == (5000,)
    assert np.max(np.abs(y - x)) <= 1e-5


def test_stft_bad_arguments_are_value_errors():
    with pytest.raises(ValueError):
        notewise.stft(np.zeros((2, 100), np.float32))
    with pytest.raises(ValueError):
        notewise.stft(np.zeros(100, np.float32), n_fft=7)
    with pytest.raises(ValueError):
        notewise.istft(np.zeros((10, 4), np.complex64), n_fft=512, hop=128)


# --- scores ---------------------------------------------------------------------------------

def test_read_score_round_trip_and_the_three_score_forms_give_one_model(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("start,duration,pitch,velocity,label\n" + "".join("%g,%g,%d,%g,%s\n" % tuple(r) for r in ROWS))
    s = notewise.read_score(path)
    assert list(s["pitch"]) == [60, 67] and list(s["label"]) == ["l", "r"]
    assert np.allclose(s["start"], [0.1, 0.5]) and np.allclose(s["duration"], [1.4, 1.4])
    a, b = two_tones(2 * SR)
    mix = a + b
    runs = [notewise.decompose(mix, SR, score, **FAST) for score in (str(path), ROWS, s)]
    for r in runs[1:]:
        assert np.array_equal(r.W, runs[0].W) and np.array_equal(r.H, runs[0].H)


def test_score_errors_are_os_and_value_errors(tmp_path):
    with pytest.raises(OSError):
        notewise.read_score(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("start,duration,pitch,velocity,label\n0,1,300,100,x\n")
    with pytest.raises(ValueError, match="bad.csv"):
        notewise.read_score(bad)
    with pytest.raises(ValueError):
        notewise.separate(np.zeros(SR, np.float32), SR, [[0, 1, 200, 100, "x"]])
    with pytest.raises(ValueError):
        notewise.separate(np.zeros(SR, np.float32), SR, [[0, 1]])


# --- separate, decompose, edit ----------------------------------------------------------------

def test_separate_keeps_the_input_layout_and_rate_and_the_stems_sum_to_it():
    n = 2 * 44100
    a, b = two_tones(n, 44100)
    stereo = np.stack([0.8 * a + 0.3 * b, 0.2 * a + 0.9 * b])
    sep = notewise.separate(stereo, 44100, ROWS, **FAST)
    assert sep.names == ["l", "r"]
    for s in sep.stems.values():
        assert s.shape == stereo.shape and s.dtype == np.float32
    assert np.max(np.abs(sep.stems["l"] + sep.stems["r"] - stereo)) <= 1e-4
    # Separated: each stem is nearer its own tone than the other's (left channel).
    assert np.linalg.norm(sep.stems["l"][0] - 0.8 * a) < np.linalg.norm(sep.stems["l"][0] - 0.3 * b)
    assert sep.W.shape[1] == sep.H.shape[0] == len(sep.rows)
    assert sep.V.shape == (sep.geometry["bins"], sep.geometry["frames"]) == (2049, sep.H.shape[1])
    assert np.allclose(sum(sep.masks.values()), 1.0, atol=1e-5)
    kinds = {(r["kind"], r["pitch"]) for r in sep.rows}
    assert ("pitch", 60) in kinds and ("pitch", 67) in kinds
    mono = notewise.separate(a + b, 44100, ROWS, **FAST)
    assert mono.stems["l"].shape == (n,)


def test_separate_writes_the_report_the_cli_writes(tmp_path):
    # report=: the library writes the page, report.json with its verdict and the stems it plays.
    a, b = two_tones(2 * SR)
    out = tmp_path / "run"
    sep = notewise.separate(np.stack([a + b, a + 0.5 * b]), SR, ROWS, report=out, **FAST)
    for f in ("report.html", "report.json", "l.wav", "r.wav", "report/data.js", "report/viewer.js", "report/viewer.css",
              "report/audio.js", "report/mix.wav"):
        assert (out / f).is_file(), f
    assert (out / "plots" / "spectrogram.png").is_file()
    j = json.loads((out / "report.json").read_text())
    assert j == sep.report
    assert j["verdict"]["verdict"] in ("good", "doubtful", "poor") and j["verdict"]["reasons"]
    assert "quality" in j and j["input"]["channels"] == 2 and j["input"]["sample_rate"] == SR
    assert [g["name"] for g in j["groups"]] == ["l", "r"] and [g["file"] for g in j["groups"]] == ["l.wav", "r.wav"]
    assert j["parameters"]["iterations"] == 20
    html = (out / "report.html").read_text()
    assert 'id="nw-verdict"' in html and "notewise.separate(" in html
    # Without report= nothing is written and Separation.report is None.
    assert notewise.separate(a + b, SR, ROWS, **FAST).report is None


def test_groups_and_options_by_the_cli_names():
    a, b = two_tones(2 * SR)
    sep = notewise.separate(a + b, SR, ROWS, groups={"low": "pitch<64", "rest": "others"}, iterations=5,
                            loss="euclidean", check_fit=False)
    assert sep.names == ["low", "rest"] and sep.iterations == 5 and len(sep.loss) == 5
    assert sep.group_notes == {"low": [0], "rest": [1]}
    with pytest.raises(ValueError, match="iterations") as e:
        notewise.separate(a + b, SR, ROWS, iterations=-1)
    assert "--" not in str(e.value)
    with pytest.raises(ValueError, match="unknown keyword argument"):
        notewise.separate(a + b, SR, ROWS, no_such_option=3)
    with pytest.raises(ValueError, match="loss"):
        notewise.separate(a + b, SR, ROWS, loss="nope")
    with pytest.raises(ValueError):
        notewise.separate(a + b, SR, ROWS, groups={"x": "pitch>>3"})


def test_decompose_note_activations_add_up_to_the_pitch_rows():
    a, b = two_tones(2 * SR)
    d = notewise.decompose(a + b, SR, ROWS + [[1.6, 0.3, 60, 80, "l"]], **FAST)
    assert d.stems == {} and d.H_notes.shape == (3, d.H.shape[1])
    for r in d.rows:
        if r["kind"] == "pitch":
            assert np.allclose(d.H_notes[r["notes"]].sum(axis=0), d.H[r["row"]], rtol=1e-5, atol=1e-7)


def test_edit_unit_gains_give_the_input_and_mute_removes_notes():
    a, b = two_tones(2 * SR)
    mix = a + b
    same = notewise.edit(mix, SR, ROWS, gains={"l": 1.0, "r": "0dB"}, **FAST)
    assert same.shape == mix.shape and np.max(np.abs(same - mix)) <= 1e-4
    muted = notewise.edit(mix, SR, ROWS, mute="label==r", **FAST)
    sep = notewise.separate(mix, SR, ROWS, **FAST)
    # The same as the stem of the notes kept, but for the bins no note explains: an edit splits
    # them among three groups ("(muted)", l and the emptied r), separate among two.
    assert np.linalg.norm(muted - sep.stems["l"]) <= 0.01 * np.linalg.norm(sep.stems["l"])
    assert np.linalg.norm(muted - a) < np.linalg.norm(mix - a) / 3
    with pytest.raises(ValueError, match="no such group"):
        notewise.edit(mix, SR, ROWS, gains={"nope": 0.5}, **FAST)
    # A gain in words is read as the program reads --gain (the library's parse_group_gain).
    with pytest.raises(ValueError, match="use -6dB for decibels"):
        notewise.edit(mix, SR, ROWS, gains={"l": "-6"}, **FAST)
    with pytest.raises(ValueError):
        notewise.edit(mix, SR, ROWS)


def test_edit_transpose_changes_the_note_where_it_sounds_and_nowhere_else():
    # Two notes far apart: C4 moved up a whole tone; before its region and after it (the later G4)
    # the output is the input sample for sample, and where it sounds D4 replaces C4.
    n = 3 * SR
    mix = tone(60, 0.6, 1.0, n) + tone(67, 2.5, 2.9, n)
    rows = [[0.6, 0.4, 60, 100, "a"], [2.5, 0.4, 67, 100, "b"]]
    out = notewise.edit(mix, SR, rows, transpose={"pitch==60": 2}, **FAST)
    assert out.shape == mix.shape
    np.testing.assert_array_equal(out[:int(0.2 * SR)], mix[:int(0.2 * SR)])
    np.testing.assert_array_equal(out[int(2.4 * SR):], mix[int(2.4 * SR):])

    def level(x, pitch):  # magnitude at the fundamental, over the note's middle
        seg = x[int(0.65 * SR):int(0.95 * SR)]
        spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
        f = 440.0 * 2 ** ((pitch - 69) / 12)
        k = int(round(f * len(seg) / SR))
        return spec[k - 2:k + 3].max()
    assert level(mix, 60) > 10 * level(mix, 62)
    assert level(out, 62) > 3 * level(out, 60)
    # The same as the program's "SELECTION=SEMITONES" text; shift_time moves it in time instead.
    same = notewise.edit(mix, SR, rows, transpose="pitch==60=+2", **FAST)
    np.testing.assert_array_equal(same, out)
    with pytest.raises(ValueError, match="semitones must be in -24 .. 24"):
        notewise.edit(mix, SR, rows, transpose={"pitch==60": 25}, **FAST)
    with pytest.raises(ValueError, match="seconds must be in -60 .. 60"):
        notewise.edit(mix, SR, rows, shift_time={"pitch==60": 61}, **FAST)
    with pytest.raises(ValueError, match="not combined with gains="):
        notewise.edit(mix, SR, rows, transpose={"pitch==60": 2}, gains={"a": 0.5}, **FAST)


def test_separate_drums_keyword(tmp_path):
    # A drum row (label "drums", GM key 38: a snare) beside a pitched note, from a file and as
    # rows: drums="classes" (the default) gives the class its own stem, "kit" one stem "drums",
    # "ignore" leaves the note out (with a warning), as the program's --drums.
    n = 2 * SR
    rng = np.random.default_rng(3)
    noise = np.zeros(n, np.float32)
    i = np.arange(int(1.0 * SR), int(1.2 * SR))
    noise[i] = (0.3 * rng.standard_normal(len(i)) * np.exp(-(i - i[0]) / (0.05 * SR))).astype(np.float32)
    mix = tone(60, 0.1, 1.5, n) + noise
    path = tmp_path / "s.csv"
    path.write_text("start,duration,pitch,velocity,label\n0.1,1.4,60,100,piano\n1.0,0.2,38,100,drums\n")
    rows = [[0.1, 1.4, 60, 100, "piano"], [1.0, 0.2, 38, 100, "drums"]]
    for score in (path, rows):
        classes = notewise.separate(mix, SR, score, **FAST)
        kit = notewise.separate(mix, SR, score, drums="kit", **FAST)
        with pytest.warns(notewise.ScoreWarning, match="drum note"):
            ignored = notewise.separate(mix, SR, score, drums="ignore", **FAST)
        assert classes.names == ["piano", "snare"] and classes.decisions["drums"][0] == "classes"
        assert kit.names == ["piano", "drums"] and kit.decisions["drums"][0] == "kit"
        assert ignored.names == ["piano"] and ignored.decisions["drums"][0] == "ignored"
        for sep in (classes, kit, ignored):
            assert np.max(np.abs(sum(sep.stems[g] for g in sep.names) - mix)) <= 1e-4
    with pytest.raises(ValueError, match="drums"):
        notewise.separate(mix, SR, path, drums="nope", **FAST)


def test_a_score_past_the_end_warns_and_is_cut():
    a, b = two_tones(2 * SR)
    with pytest.warns(notewise.ScoreWarning, match="runs to"):
        sep = notewise.separate(a + b, SR, [[0.1, 1.4, 60, 100, "l"], [0.5, 3.0, 67, 100, "r"]], **FAST)
    assert np.isclose(sep.score["duration"][1] + sep.score["start"][1], 2.0)


def test_progress_callback_stops_early_and_the_gil_is_released():
    a, b = two_tones(4 * SR)
    calls = []
    sep = notewise.separate(a + b, SR, ROWS, iterations=40, check_fit=False,
                            progress=lambda stage, f, loss: calls.append((stage, f)) or len(calls) < 5)
    assert sep.cancelled and sep.iterations == 5
    assert [c[0] for c in calls[:5]] == ["decompose"] * 5 and calls[-1] == ("resynthesise", 1.0)
    # Another Python thread runs while a long call works.
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    try:
        before = len(ticks)
        notewise.separate(a + b, SR, ROWS, iterations=100, check_fit=False)
        during = len(ticks) - before
    finally:
        done.set()
        t.join()
    assert during >= 5


def test_an_exception_in_the_callback_propagates():
    a, b = two_tones(2 * SR)

    def boom(stage, f, loss):
        raise KeyError("stop here")

    with pytest.raises(KeyError, match="stop here"):
        notewise.separate(a + b, SR, ROWS, progress=boom, **FAST)


def test_align_moves_a_shifted_score_back():
    n = 6 * SR
    notes = [[0.3 + 0.7 * k, 0.6, p, 100, "x"] for k, p in enumerate([60, 64, 67, 72, 65, 69, 62, 71])]
    x = sum(tone(p, s, s + d, n) for s, d, p, _, _ in notes)
    shifted = [[s + 0.25, d, p, v, l] for s, d, p, v, l in notes]
    al = notewise.align(x, SR, shifted)
    true = np.array([r[0] for r in notes])
    assert np.mean(np.abs(al.score["start"] - true)) < 0.05
    assert np.mean(np.abs(np.array([r[0] for r in shifted]) - true)) == pytest.approx(0.25)
    assert al.warp.shape[1] == 2 and len(al.confidence) == len(notes)
    # Each note's event-level time beside its onset (a part of unknown instrument keeps it).
    assert len(al.event_onset) == len(notes) and np.allclose(al.event_onset, al.score["start"], atol=1e-6)
    with pytest.raises(ValueError, match="silent"):
        notewise.align(np.zeros(n, np.float32), SR, notes)
    # align's own settings (the library's table) as keywords: the DTW path alone (no refinement)
    # differs from the refined one; a setting of separate is not one of align's.
    plain = notewise.align(x, SR, shifted, refine=False, per_voice="no", step_weights=(1, 1, 1))
    assert np.mean(np.abs(plain.score["start"] - true)) < 0.1
    assert not np.array_equal(plain.score["start"], al.score["start"])
    assert len(plain.event_onset) == 0
    with pytest.raises(ValueError, match="unknown keyword"):
        notewise.align(x, SR, shifted, n_fft=1024)
    with pytest.raises(ValueError, match="feature_rate = 5"):
        notewise.align(x, SR, shifted, feature_rate=5)
    # separate(align="auto"): aligns the shifted score, leaves the synchronised one as given.
    auto = notewise.decompose(x, SR, shifted, align="auto", iterations=5)
    assert auto.alignment is not None and np.mean(np.abs(auto.score["start"] - true)) < 0.05
    given = notewise.decompose(x, SR, notes, align="auto", iterations=5)
    assert given.alignment is None and np.allclose(given.score["start"], true)
    with pytest.raises(ValueError, match="align"):
        notewise.decompose(x, SR, notes, align="sometimes")


# --- the shipped example: the same stems as the program ----------------------------------------

def test_separate_of_the_example_equals_the_cli_stems(tmp_path):
    sf = pytest.importorskip("soundfile")
    binary = os.environ.get("NOTEWISE_BINARY")
    examples = os.environ.get("NOTEWISE_EXAMPLES")
    if not binary or not examples:
        pytest.skip("NOTEWISE_BINARY / NOTEWISE_EXAMPLES not set (run through ctest)")
    ex = os.path.join(examples, "chopin_op64_1")
    out = tmp_path / "cli"
    subprocess.run([binary, "-q", "separate", os.path.join(ex, "mix.wav"), "--score", os.path.join(ex, "score.mid"),
                    "--out", str(out), "-n", "10", "--format", "float32", "--no-report"], check=True)
    audio, sr = sf.read(os.path.join(ex, "mix.wav"), dtype="float32", always_2d=True)
    sep = notewise.separate(audio.T, sr, os.path.join(ex, "score.mid"), iterations=10)
    index = json.loads((out / "index.json").read_text())
    assert sep.rows == [{k: r[k] for k in ("row", "kind", "pitch", "source", "notes", "labels")} for r in index["rows"]]
    assert sorted(sep.names) == ["left", "right"]
    for name in sep.names:
        cli, cli_sr = sf.read(str(out / (name + ".wav")), dtype="float32", always_2d=True)
        assert cli_sr == sr and cli.T.shape == sep.stems[name].shape
        assert np.max(np.abs(cli.T - sep.stems[name])) <= 1e-6
    assert np.array_equal(np.load(out / "H.npy"), sep.H)


# --- the estimator against scikit-learn ------------------------------------------------------

@pytest.mark.parametrize("beta_loss", ["frobenius", "kullback-leibler"])
def test_nmf_estimator_equals_sklearn_mu_from_the_same_start(beta_loss):
    sk = pytest.importorskip("sklearn.decomposition")
    rng = np.random.default_rng(3)
    X = rng.random((40, 30)) ** 2 + 0.01
    W0 = rng.random((40, 5)) + 0.1
    H0 = rng.random((5, 30)) + 0.1
    ours = notewise.NMF(5, init="custom", beta_loss=beta_loss, max_iter=150, tol=0)
    theirs = sk.NMF(5, init="custom", solver="mu", beta_loss=beta_loss, max_iter=150, tol=0)
    Wn = ours.fit_transform(X, W=W0.copy(), H=H0.copy())
    Ws = theirs.fit_transform(X, W=W0.copy(), H=H0.copy())
    assert np.allclose(Wn, Ws, rtol=1e-7, atol=1e-10)
    assert np.allclose(ours.components_, theirs.components_, rtol=1e-7, atol=1e-10)
    assert ours.n_iter_ == theirs.n_iter_ == 150
    assert ours.reconstruction_err_ == pytest.approx(theirs.reconstruction_err_, rel=1e-7)
    # transform with the learnt components held, from scikit-learn's constant start.
    Xn = rng.random((7, 30))
    assert np.allclose(ours.transform(Xn), theirs.transform(Xn), rtol=1e-6, atol=1e-9)


def test_nmf_estimator_random_start_and_tol_as_sklearn():
    sk = pytest.importorskip("sklearn.decomposition")
    X = np.random.default_rng(4).random((30, 20))
    ours = notewise.NMF(4, init="random", random_state=0, max_iter=500, tol=1e-3).fit(X)
    theirs = sk.NMF(4, init="random", random_state=0, solver="mu", max_iter=500, tol=1e-3).fit(X)
    assert ours.n_iter_ == theirs.n_iter_ < 500
    assert np.allclose(ours.components_, theirs.components_, rtol=1e-6, atol=1e-9)
    # float32 in, float32 out, near the float64 result.
    o32 = notewise.NMF(4, init="random", random_state=0, max_iter=100, tol=0).fit(X.astype(np.float32))
    s64 = sk.NMF(4, init="random", random_state=0, solver="mu", max_iter=100, tol=0).fit(X)
    assert o32.components_.dtype == np.float32
    assert np.allclose(o32.components_, s64.components_, rtol=1e-3, atol=1e-4)


def test_nmf_estimator_interface_and_errors():
    X = np.random.default_rng(5).random((12, 8))
    m = notewise.NMF(3, max_iter=20, random_state=1)
    assert m.get_params()["n_components"] == 3 and m.set_params(max_iter=30).max_iter == 30
    W = m.fit_transform(X)
    assert W.shape == (12, 3) and m.components_.shape == (3, 8) and m.n_components_ == 3
    assert m.inverse_transform(W).shape == X.shape
    by_number = notewise.NMF(3, beta_loss=1, max_iter=5, random_state=1).fit(X).components_
    by_name = notewise.NMF(3, beta_loss="kullback-leibler", max_iter=5, random_state=1).fit(X).components_
    assert np.array_equal(by_number, by_name)
    with pytest.raises(ValueError):
        notewise.NMF(3).fit(-X)
    with pytest.raises(ValueError):
        notewise.NMF(3, init="custom").fit(X)
    with pytest.raises(ValueError):
        notewise.NMF(3, beta_loss="nope").fit(X)
    with pytest.raises(ValueError):
        notewise.NMF(3).transform(X)


@pytest.mark.parametrize("beta_loss", [-0.5, 0.5, "kullback-leibler", "frobenius", 3.0])
def test_nmf_penalties_equal_sklearn_mu_from_the_same_start(beta_loss):
    # alpha_W, alpha_H, l1_ratio: scikit-learn's objective (scaled by n_features / n_samples) for
    # every beta, checked against scikit-learn itself from one start.
    sk = pytest.importorskip("sklearn.decomposition")
    rng = np.random.default_rng(8)
    X = rng.random((15, 12)) + 0.05
    W0, H0 = rng.random((15, 4)) + 0.1, rng.random((4, 12)) + 0.1
    kw = dict(init="custom", beta_loss=beta_loss, max_iter=60, tol=0, alpha_W=0.02, alpha_H=0.05, l1_ratio=0.3)
    ours = notewise.NMF(4, **kw)
    theirs = sk.NMF(4, solver="mu", **kw)
    Wn = ours.fit_transform(X, W=W0.copy(), H=H0.copy())
    Ws = theirs.fit_transform(X, W=W0.copy(), H=H0.copy())
    assert np.allclose(Wn, Ws, rtol=1e-7, atol=1e-12) and np.allclose(ours.components_, theirs.components_,
                                                                       rtol=1e-7, atol=1e-12)
    assert ours.reconstruction_err_ == pytest.approx(theirs.reconstruction_err_, rel=1e-9)
    # The penalty changed the result (the comparison above is not of two unpenalised runs).
    plain = notewise.NMF(4, **dict(kw, alpha_W=0.0, alpha_H=0.0)).fit_transform(X, W=W0.copy(), H=H0.copy())
    assert not np.allclose(plain, Wn, rtol=1e-3)


def test_nmf_sklearn_defaults_sparse_input_and_dtypes():
    m = notewise.NMF()
    assert m.get_params() == dict(n_components=None, init=None, solver="mu", beta_loss="frobenius", tol=1e-4,
                                  max_iter=200, random_state=None, alpha_W=0.0, alpha_H="same", l1_ratio=0.0,
                                  verbose=0, shuffle=False, progress=None)
    rng = np.random.default_rng(9)
    X = rng.random((10, 8))
    X[:, ::2] = 0
    # init=None: nndsvda (n_components <= min(n_samples, n_features)), whose zeros are mean(X).
    W0, H0 = notewise._nmf._initialize_nmf(X, 3)
    Wd, Hd = notewise._nmf._initialize_nmf(X, 3, init="nndsvd")
    assert np.all(W0[Wd == 0] == X.mean()) and np.array_equal(W0[Wd != 0], Wd[Wd != 0])
    assert np.all(Hd[:, ::2] == 0)  # zero columns of X give zero columns of H (exact SVD)
    with pytest.raises(ValueError, match=r"n_components <= min\(n_samples, n_features\)"):
        notewise.NMF(9, init="nndsvda").fit(X)
    dense = notewise.NMF(3, random_state=0, max_iter=50, tol=0, alpha_W=0.01)
    Wdense = dense.fit_transform(X)
    sparse = pytest.importorskip("scipy.sparse")
    for fmt in (sparse.csr_matrix, sparse.csc_matrix):
        s = notewise.NMF(3, random_state=0, max_iter=50, tol=0, alpha_W=0.01)
        assert np.array_equal(s.fit_transform(fmt(X)), Wdense) and np.array_equal(s.components_, dense.components_)
    # dtypes: float32 stays, the rest becomes float64; a custom start must match X's dtype.
    assert notewise.NMF(3, max_iter=5, tol=0).fit_transform(X.astype(np.float32)).dtype == np.float32
    assert notewise.NMF(3, max_iter=5, tol=0).fit((X * 10).astype(np.int64)).components_.dtype == np.float64
    with pytest.raises(TypeError, match="same dtype as X"):
        notewise.NMF(3, init="custom").fit(X, W=np.ones((10, 3), np.float32), H=np.ones((3, 8)))
    assert list(dense.get_feature_names_out()) == ["nmf0", "nmf1", "nmf2"] and dense.n_features_in_ == 8
    with pytest.raises(ValueError, match="solver='cd'"):
        notewise.NMF(3, solver="cd").fit(X)
    with pytest.raises(ValueError, match="l1_ratio=2"):
        notewise.NMF(3, l1_ratio=2).fit(X)
    with pytest.raises(ValueError, match="X has 5 features, but NMF is expecting 8"):
        dense.transform(X[:, :5])


@pytest.mark.parametrize("alpha_W", [0.0, 0.1])  # the library's engine, the NumPy solver
def test_nmf_progress_callback_stops_either_solver(alpha_W):
    X = np.random.default_rng(12).random((9, 7))
    calls = []
    m = notewise.NMF(3, alpha_W=alpha_W, max_iter=50,
                     progress=lambda stage, f, loss: calls.append((stage, f, loss)) or len(calls) < 6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stopped by the callback: no ConvergenceWarning
        m.fit(X)
    assert m.n_iter_ == 6 and len(calls) == 6 and calls[0][0] == "factorize"
    assert np.allclose([c[1] for c in calls], np.arange(1, 7) / 50)
    assert all(c[2] > 0 for c in calls) and calls[-1][2] < calls[0][2]


def test_nndsvd_of_a_large_matrix_uses_the_leading_triplets():
    # Above 300 rows and columns a few triplets come from a randomized subspace iteration: the
    # same singular values and (up to sign) vectors as the exact SVD on a matrix of rank ~8 plus
    # noise, and the same start from the same X.
    rng = np.random.default_rng(11)
    X = rng.random((420, 8)) @ rng.random((8, 380)) + 0.01 * rng.random((420, 380))
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    u, s, vt = notewise._nmf._leading_svd(X, 5)
    assert np.allclose(s, S[:5], rtol=1e-9)
    assert np.allclose(np.abs(np.sum(u * U[:, :5], axis=0)), 1, atol=1e-8)
    W1, H1 = notewise._nmf._initialize_nmf(X, 5, init="nndsvd")
    W2, H2 = notewise._nmf._initialize_nmf(X, 5, init="nndsvd")
    assert np.array_equal(W1, W2) and np.array_equal(H1, H2) and W1.min() >= 0 and H1.min() >= 0


# --- warnings point at the caller; messages name keywords -------------------------------------

def test_warnings_point_at_the_callers_line():
    X = np.random.default_rng(10).random((6, 5))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m = notewise.NMF(2, max_iter=1).fit(X)
        m.transform(X)
        notewise.non_negative_factorization(X, n_components=2, max_iter=1, alpha_W=0.1)
        notewise.NMF(2, init="nndsvd", max_iter=300, tol=1e-2).fit(X)
        a, b = two_tones(2 * SR)
        notewise.separate(a + b, SR, [[0.1, 1.4, 60, 100, "l"], [0.5, 3.0, 67, 100, "r"]], **FAST)
    kinds = [x.category.__name__ for x in w]
    assert kinds.count("ConvergenceWarning") == 3 and "UserWarning" in kinds and "ScoreWarning" in kinds
    assert all(x.filename == __file__ for x in w), [(x.filename, x.lineno) for x in w]
    assert "Maximum number of iterations 1 reached" in str(w[0].message)


def test_messages_name_keywords_not_command_line_flags(tmp_path):
    from notewise._messages import keyword_text
    assert keyword_text("use --align (or --align=auto)") == "use align=True (or align='auto')"
    assert keyword_text("a smaller --n-fft, a lower --sr, fewer --group") == "a smaller n_fft=, a lower analysis_sr=, fewer groups="
    assert keyword_text("--drums ignore") == "drums='ignore'" and keyword_text("x -- y") == "x -- y"
    assert keyword_text("--label-by chan: expected") == "label_by='chan': expected"
    assert keyword_text("give --instrument LABEL=FAMILY") == "give instruments={label: family}"
    # The library's own texts, as the module raises and warns them.
    a, b = two_tones(2 * SR)
    with pytest.raises(ValueError) as e:
        notewise.edit(a + b, SR, ROWS, mute="pitch==99", **FAST)
    assert "mute='pitch==99'" in str(e.value) and "--" not in str(e.value)
    late = [[s + 0.6, d, p, v, l] for s, d, p, v, l in ROWS]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        sep = notewise.decompose(a + b, SR, late, iterations=2)
    texts = [str(x.message) for x in w] + sep.messages
    # A late score is aligned by default (align='auto'): the notice says so, naming no flag.
    assert any("aligned it" in t for t in texts) and not any("--" in t for t in texts), texts
    with pytest.raises(ValueError, match="label_by='nope'"):
        notewise.read_score(tmp_path / "s.csv", label_by="nope")


def test_settings_table_is_every_keyword_with_its_default():
    """Each setting of the library's table (pipeline/settings.hpp) is a keyword argument of the
    commands that take it, with the table's default; a call giving every one at its default is
    accepted and gives the stems of a call giving none; the decisions say what was chosen."""
    import inspect
    from notewise import _notewise
    table = _notewise.settings()
    assert len(table) >= 35
    for fn in (notewise.separate, notewise.decompose, notewise.edit, notewise.align):
        params = inspect.signature(fn).parameters
        for s in table:
            if fn.__name__ not in s["commands"]:
                continue
            name = "analysis_sr" if s["name"] == "sr" else s["name"]
            assert name in params, (fn.__name__, name)
            p = params[name]
            assert p.kind == p.KEYWORD_ONLY, name
            t = s["type"]
            expected = (None if t == "list" or s["default"] == "" else s["default"] == "true" if t == "bool"
                        else int(s["default"]) if t == "int" else float(s["default"]) if t == "real" else s["default"])
            assert p.default == expected, (fn.__name__, name, p.default, s["default"])
            assert name in fn.__doc__, name
    for name in ("preset", "method", "drums", "model", "align", "timbre", "spectrogram", "max_memory"):
        assert name in inspect.signature(notewise.separate).parameters, name
    a, b = two_tones(2 * SR)
    params = inspect.signature(notewise.separate).parameters
    defaults = {k: p.default for k, p in params.items()
                if p.kind == p.KEYWORD_ONLY and p.default is not None and k not in ("progress",)}
    defaults.update(iterations=5, check_fit=False)
    every = notewise.separate(a + b, SR, ROWS, **defaults)
    none = notewise.separate(a + b, SR, ROWS, iterations=5, check_fit=False)
    for g in none.names:
        np.testing.assert_array_equal(every.stems[g], none.stems[g])
    assert every.decisions["alpha"][0] == "2" and every.decisions["align"][0] == "unchecked"
    assert every.decisions["timbre"][0] in ("shared", "per-label")
    with pytest.raises(ValueError, match="n_fft = 70000"):
        notewise.separate(a + b, SR, ROWS, n_fft=70000)
    with pytest.raises(ValueError, match="unknown keyword"):
        notewise.separate(a + b, SR, ROWS, no_such_setting=1)


# --- python3 -m notewise is the program -------------------------------------------------------

def _module_run(args, env, cwd):
    # cwd: `-m` puts the working folder first on sys.path (ctest's is build/python).
    return subprocess.run([sys.executable, "-m", "notewise"] + args, env=env, cwd=cwd, capture_output=True, text=True)


def test_python_m_notewise_runs_the_program_and_passes_its_exit_status(tmp_path):
    package = os.path.dirname(os.path.abspath(notewise.__file__))
    built = os.path.join(os.path.dirname(os.path.dirname(package)), "notewise")
    if not os.path.isfile(built):
        pytest.skip("not a build tree (no %s)" % built)
    env = {k: v for k, v in os.environ.items() if k != "NOTEWISE_BINARY"}
    env["PYTHONPATH"] = os.path.dirname(package)
    direct = subprocess.run([built, "--version"], capture_output=True, text=True)
    r = _module_run(["--version"], env, tmp_path)
    assert r.returncode == direct.returncode == 0 and r.stdout == direct.stdout and r.stdout.strip()
    for args in (["--no-such-option"], ["separate", str(tmp_path / "missing.wav"), "--score", str(tmp_path / "s.csv"),
                                        "--out", str(tmp_path / "out")]):
        direct = subprocess.run([built] + args, capture_output=True, text=True)
        r = _module_run(args, env, tmp_path)
        assert r.returncode == direct.returncode != 0 and r.stderr == direct.stderr
    # A copy of the package with no program beside it: PATH is searched; with none there, one line
    # on stderr and status 1.
    copy = tmp_path / "site" / "notewise"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    fake = tmp_path / "bin" / "notewise"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho \"fake $*\"\nexit 7\n")
    fake.chmod(0o755)
    env = dict(env, PYTHONPATH=str(copy.parent), PATH=str(fake.parent))
    r = _module_run(["a b", "c"], env, tmp_path)
    if os.path.isfile(os.path.join(sysconfig.get_path("scripts"), "notewise")):
        pytest.skip("a notewise program is installed in %s; the PATH case cannot be isolated" % sysconfig.get_path("scripts"))
    assert r.returncode == 7 and r.stdout == "fake a b c\n"
    r = _module_run(["--version"], dict(env, PATH=str(tmp_path / "empty")), tmp_path)
    assert r.returncode == 1 and r.stdout == "" and len(r.stderr.splitlines()) == 1 and "NOTEWISE_BINARY" in r.stderr
    r = _module_run(["--version"], dict(env, NOTEWISE_BINARY=str(tmp_path / "nope")), tmp_path)
    assert r.returncode == 1 and r.stderr == "notewise: NOTEWISE_BINARY=%s is not an executable file\n" % (tmp_path / "nope")


def test_every_option_of_separate_decompose_edit_align_is_a_keyword():
    """Each option of the program's separate, decompose, edit and align (its --help-all) is a keyword
    of the Python function of that name (--no-X as X, --instrument as instruments, --group as
    groups, --gain as gains), but for the files a program writes (their names, formats, the mix's
    copy), its scoring of those files against reference files, and its exit status."""
    import inspect
    import re
    package = os.path.dirname(os.path.abspath(notewise.__file__))
    built = os.path.join(os.path.dirname(os.path.dirname(package)), "notewise")
    if not os.path.isfile(built):
        pytest.skip("the notewise program is not built beside the module")
    files_only = {"help", "out", "ext", "format", "quality", "filename", "keep_spaces", "mix_copy", "warp", "reference",
                  "strict"}
    renamed = {"instrument": "instruments", "group": "groups", "gain": "gains"}
    for command in ("separate", "decompose", "edit", "align"):
        text = subprocess.run([built, command, "--help-all"], capture_output=True, text=True).stdout
        flags = set(re.findall(r"^\s+(?:-\w, ?)?--([a-z0-9-]+)", text, re.M))
        assert len(flags) > 8, (command, text)
        params = inspect.signature(getattr(notewise, command)).parameters
        for flag in sorted(flags):
            name = flag[3:] if flag.startswith("no-") else flag
            name = renamed.get(name, name.replace("-", "_"))
            if name == "sr":
                name = "analysis_sr"
            assert name in files_only or name in params, (command, flag)


def test_factorize_loss_never_rises_and_keeps_zeros():
    rng = np.random.default_rng(6)
    V = rng.random((50, 40)).astype(np.float32)
    r = notewise.factorize(V, 6, loss="kl", iterations=60, seed=2)
    assert r["W"].shape == (50, 6) and r["H"].shape == (6, 40) and r["iterations"] == 60
    loss = np.array([r["initial_loss"]] + r["loss"])
    assert np.all(np.diff(loss) <= 1e-6 * loss[:-1])
    W0 = rng.random((50, 6)).astype(np.float32)
    W0[:10, 0] = 0
    r = notewise.factorize(V, W=W0, H=rng.random((6, 40)), iterations=20)
    assert np.all(r["W"][:10, 0] == 0)
    with pytest.raises(ValueError):
        notewise.factorize(V)  # no rank, no start
    with pytest.raises(ValueError):
        notewise.factorize(-V, 3)


# --- BSS Eval against mir_eval -------------------------------------------------------------

def test_bss_eval_equals_mir_eval():
    mir_eval = pytest.importorskip("mir_eval")
    rng = np.random.default_rng(7)
    ref = rng.standard_normal((3, 6000))
    est = ref + 0.3 * rng.standard_normal((3, 6000)) + 0.2 * np.roll(ref, 1, axis=0)
    est[1] = np.convolve(est[1], [1.0, 0.4, 0.1])[:6000]
    ours = notewise.bss_eval(ref, est)
    sdr, sir, sar, _ = mir_eval.separation.bss_eval_sources(ref, est, compute_permutation=False)
    assert np.allclose(ours["sdr"], sdr, atol=1e-6)
    assert np.allclose(ours["sir"], sir, atol=1e-6)
    assert np.allclose(ours["sar"], sar, atol=1e-6)
    with pytest.raises(ValueError):
        notewise.bss_eval(ref, est[:2])


# --- the README's example runs as printed ----------------------------------------------------

def test_readme_example_runs(tmp_path):
    pytest.importorskip("matplotlib")
    sf = pytest.importorskip("soundfile")
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    text = open(os.path.join(root, "README.md")).read()
    block = text.split("### Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    os.symlink(os.path.join(root, "examples"), tmp_path / "examples")
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(notewise.__file__)))
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=package_dir)
    subprocess.run(["/usr/bin/python3", "-c", block], cwd=tmp_path, env=env, check=True)
    left, sr = sf.read(str(tmp_path / "left.wav"), always_2d=True)
    mix, mix_sr = sf.read(os.path.join(root, "examples", "chopin_op64_1", "mix.wav"), always_2d=True)
    assert sr == mix_sr and left.shape == mix.shape


def test_set_threads_limits_and_checks_its_argument():
    before = notewise.set_threads("auto")
    try:
        assert before >= 1
        assert notewise.set_threads(1) == 1
        X = np.abs(np.random.default_rng(3).standard_normal((40, 50))).astype(np.float32)
        one = notewise.NMF(3, init="random", random_state=0, max_iter=20, tol=0).fit_transform(X)
        assert notewise.set_threads(2) == 2
        two = notewise.NMF(3, init="random", random_state=0, max_iter=20, tol=0).fit_transform(X)
        np.testing.assert_array_equal(one, two)  # a small job runs on one thread either way
        for bad in (-1, 1025, 1.5, "two", True):
            with pytest.raises(ValueError, match="set_threads"):
                notewise.set_threads(bad)
    finally:
        notewise.set_threads("auto")


def test_threads_and_wait_policy_from_the_environment():
    code = ("import os, notewise; print(notewise.set_threads(notewise._notewise.threads()), "
            "os.environ['OMP_WAIT_POLICY'])")
    env = dict(os.environ, NOTEWISE_THREADS="3", PYTHONPATH=os.pathsep.join(sys.path))
    env.pop("OMP_WAIT_POLICY", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["3", "PASSIVE"]
    env["NOTEWISE_THREADS"] = "lots"
    out = subprocess.run([sys.executable, "-W", "always", "-c", "import notewise"], env=env, capture_output=True,
                         text=True, check=True)
    assert "NOTEWISE_THREADS" in out.stderr


# --- Live separation (issue #36) ------------------------------------------------------------

def test_live_blocks_of_any_size_give_the_same_stems_that_sum_to_the_delayed_mix():
    n = int(2.3 * SR)
    l, r = two_tones(n)
    x = l + r
    score = {"start": [0.1, 0.5], "duration": [1.4, 1.4], "pitch": [60, 67], "velocity": [100, 100], "label": ["l", "r"]}

    def run(block):
        parts = {}
        for d in notewise.live((x[i:i + block] for i in range(0, n, block)), SR, score):
            for k, v in d.items():
                parts.setdefault(k, []).append(v)
        return {k: np.concatenate(v) for k, v in parts.items()}

    a, b = run(100), run(n)
    sep = notewise.Live(SR, score)
    L = sep.latency_samples
    assert list(a) == ["l", "r"] and L <= 0.1 * SR
    for k in a:
        assert a[k].shape == (n + L,) and np.array_equal(a[k], b[k])
    delayed = np.concatenate([np.zeros(L, np.float32), x])
    assert np.abs(a["l"] + a["r"] - delayed).max() < 1e-5
    # Each stem holds mostly its own tone (the other's energy is far below its own).
    for k, own in (("l", l), ("r", r)):
        est = a[k][L:]
        assert np.sum((est - own) ** 2) < 0.1 * np.sum(own ** 2)
    p = sep.position
    assert set(p) == {"audio_time", "score_time", "bar", "beat", "tempo", "confidence", "lost"}
    assert p["bar"] == 0 and p["beat"] == 0  # a score without bars
    with pytest.raises(ValueError):
        sep.push(np.zeros((2, 10), np.float32))  # two channels to a mono stream


def test_live_out_writes_what_the_cli_writes_byte_for_byte(tmp_path):
    # Live(out=...) writes through the library's LiveFiles, as `notewise live` does: the same
    # samples in other blocks give the same files, byte for byte; the stems on disk are the ones
    # push/finish returned, less the latency.
    sf = pytest.importorskip("soundfile")
    binary = os.environ.get("NOTEWISE_BINARY")
    if not binary:
        pytest.skip("NOTEWISE_BINARY not set (run through ctest)")
    n = int(2.3 * SR)
    l, r = two_tones(n)
    x = (l + r).astype(np.float32)
    score = tmp_path / "score.csv"
    score.write_text("start,duration,pitch,velocity,label\n0.1,1.4,60,100,l\n0.5,1.4,67,100,r\n")
    sf.write(str(tmp_path / "mix.wav"), x, SR, subtype="FLOAT")
    subprocess.run([binary, "-q", "live", str(tmp_path / "mix.wav"), "--score", str(score), "--out", str(tmp_path / "cli"),
                    "--minus", "l"], check=True)
    sep = notewise.Live(SR, score, out=tmp_path / "py", minus=["l"])
    got = {}
    for i in range(0, n, 777):
        for k, v in sep.push(x[i:i + 777]).items():
            got.setdefault(k, []).append(v)
    assert sep.summary is None and sorted(os.listdir(tmp_path / "py")) == ["l.wav.part", "minus-l.wav.part", "r.wav.part"]
    for k, v in sep.finish().items():
        got[k].append(v)
    files = ["aligned.csv", "l.wav", "minus-l.wav", "r.wav"]
    assert sorted(os.listdir(tmp_path / "cli")) == files and sorted(os.listdir(tmp_path / "py")) == files
    for f in files:
        assert (tmp_path / "cli" / f).read_bytes() == (tmp_path / "py" / f).read_bytes(), f
    L = sep.latency_samples
    for k in ("l", "r"):
        disk, _ = sf.read(str(tmp_path / "py" / (k + ".wav")), dtype="float32")
        assert np.array_equal(disk, np.concatenate(got[k])[L:])
    assert sep.summary["files"] == 3 and sep.summary["notes"] == 2
    with pytest.raises(ValueError, match="no group 'x'"):
        notewise.Live(SR, score, out=tmp_path / "bad", minus=["x"])


def test_live_position_in_bars_from_a_musicxml_path(tmp_path):
    # A score file given by its path keeps its bars (columns have none): 3/4, the first bar's
    # number 7 as written.
    xml = tmp_path / "s.musicxml"
    xml.write_text('<?xml version="1.0"?><score-partwise><part-list><score-part id="P1"><part-name>Flute</part-name>'
                   '</score-part></part-list><part id="P1"><measure number="7"><attributes><divisions>1</divisions>'
                   '<time><beats>3</beats><beat-type>4</beat-type></time></attributes><note><pitch><step>C</step>'
                   '<octave>5</octave></pitch><duration>3</duration></note></measure></part></score-partwise>')
    sep = notewise.Live(SR, xml)
    sep.push(np.zeros(SR // 2, np.float32))
    p = sep.position
    assert p["bar"] == 7 and 1 <= p["beat"] < 4


def test_unknown_instrument_name_is_a_score_warning():
    # A name notewise knows in another language is placed silently; an unknown one gets the
    # neutral model and a ScoreWarning naming it and the keyword that fixes it.
    a, b = two_tones(2 * SR)
    rows = [[0.1, 1.4, 60, 100, "zork"], [0.5, 1.4, 67, 100, "Fagott"]]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        sep = notewise.separate(a + b, SR, rows, **FAST)
    texts = [str(x.message) for x in w if x.category is notewise.ScoreWarning]
    assert len([t for t in texts if "'zork'" in t]) == 1, texts
    assert not any("Fagott" in t for t in texts), texts
    assert not any("--" in t for t in texts), texts
    assert [s for s in sep.messages if "'zork'" in s]
