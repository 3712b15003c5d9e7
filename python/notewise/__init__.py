"""notewise: score-informed music audio decomposition, from Python.

The functions call notewise's C++ library (the same pipeline the ``notewise`` program runs),
with the command-line tool's names and defaults:

    import soundfile as sf, notewise
    audio, sr = sf.read("mix.wav", dtype="float32", always_2d=True)   # (samples, channels)
    sep = notewise.separate(audio.T, sr, "score.mid")                 # audio as (channels, samples)
    sf.write("left.wav", sep.stems["left"].T, sr)

Conventions (as librosa): audio is a 1-D array (mono) or ``(channels, samples)``, float, full
scale 1; spectrograms, masks and ``W`` are ``(bins, frames)`` / ``(bins, rows)``, ``H`` is
``(rows, frames)``; times in seconds, frequencies in Hz. Scores are a path (.csv or .mid), a
list of ``[start, duration, pitch, velocity, label]`` rows (the FMP notebooks' note list), or a
structured array with those fields (what :func:`read_score` returns).

Errors: ``ValueError`` for bad arguments and malformed content, ``OSError`` for files that
cannot be read; the message is the library's. Long calls release the GIL and take
``progress=callable(stage, fraction, loss)``: return ``False`` to stop the iterations early.
"""

import contextlib
import json
import os

import numpy as np

# OpenMP reads its wait policy once, when its runtime loads (with the extension below): threads
# that spin while they wait take the cores other processes need. Passive unless the user chose.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import _notewise  # noqa: E402
from ._messages import keyword_text, warn  # noqa: E402
from ._nmf import NMF, non_negative_factorization  # noqa: E402

__version__ = _notewise.__version__
version_info = _notewise.version_info



def set_threads(n=0):
    """Threads notewise may use from now on: a count, or 0 / "auto" for the CPUs this process may
    use (its affinity mask and cgroup CPU quota; fewer if OMP_NUM_THREADS says so). Small jobs
    run on one thread whatever the limit. Returns the limit now in force. The environment
    variable NOTEWISE_THREADS sets it when the module is imported."""
    if isinstance(n, str) and n == "auto":
        n = 0
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= int(n) <= 1024:
        raise ValueError("set_threads: n must be 'auto' or a count 0 .. 1024, not %r" % (n,))
    _notewise.set_threads(int(n))
    return _notewise.threads()


def _threads_from_environment():
    value = os.environ.get("NOTEWISE_THREADS", "").strip()
    if not value:
        return
    try:
        set_threads("auto" if value == "auto" else int(value))
    except ValueError:
        warn("NOTEWISE_THREADS=%r is not 'auto' or a count 0 .. 1024; ignored" % value, RuntimeWarning)


_threads_from_environment()

__all__ = ["separate", "decompose", "edit", "align", "factorize", "bss_eval", "read_score", "stft", "istft",
           "NMF", "non_negative_factorization", "Separation", "Alignment", "ScoreWarning", "score_array",
           "set_threads", "Live", "live"]


class ScoreWarning(UserWarning):
    """A score that does not seem to fit the recording, runs past its end, or a silent recording."""


_SCORE_DTYPE_FIELDS = ("start", "duration", "pitch", "velocity", "label")


def score_array(columns):
    """A structured array (start s, duration s, pitch MIDI, velocity 0..127, label) from columns."""
    labels = list(columns["label"])
    width = max([1] + [len(x) for x in labels])
    dtype = [("start", "f8"), ("duration", "f8"), ("pitch", "i4"), ("velocity", "f8"), ("label", "U%d" % width)]
    out = np.empty(len(labels), dtype=dtype)
    for f in _SCORE_DTYPE_FIELDS:
        out[f] = columns[f]
    return out


def read_score(path, *, label_by="auto", pedal=False):
    """Read a score file: a table (.csv .tsv .txt: start, duration or end, pitch, [velocity],
    [label], header optional), a Standard MIDI File, or MusicXML (.musicxml .xml .mxl).

    label_by: labels from "auto", "track", "channel", "program" or "staff" (MusicXML staves);
    pedal: extend notes held by the sustain pedal. Returns a structured array with fields start (s), duration (s), pitch (MIDI),
    velocity (0..127), label. OSError if the file cannot be read, ValueError if it is malformed.
    """
    with _keyword_errors():
        return score_array(_notewise.read_score(os.fspath(path), label_by, bool(pedal)))


def _score_columns(score, label_by="auto", pedal=False):
    if isinstance(score, (str, os.PathLike)):
        with _keyword_errors():
            score = _notewise.read_score(os.fspath(score), label_by, bool(pedal))
    if isinstance(score, np.ndarray) and score.dtype.names:
        names = score.dtype.names
        start = "start" if "start" in names else "onset" if "onset" in names else None
        if start is None or "duration" not in names or "pitch" not in names:
            raise ValueError("score: a structured array needs the fields start (or onset), duration, pitch")
        n = len(score)
        velocity = score["velocity"] if "velocity" in names else np.full(n, 100.0)
        label_field = "label" if "label" in names else "instrument" if "instrument" in names else None
        labels = [str(x) for x in score[label_field]] if label_field else ["notes"] * n
        drum = np.asarray(score["drum"]).astype(int).tolist() if "drum" in names else [-1] * n
        return (np.asarray(score[start], float).tolist(), np.asarray(score["duration"], float).tolist(),
                np.asarray(score["pitch"]).astype(int).tolist(), np.asarray(velocity, float).tolist(), labels, drum)
    if isinstance(score, dict):  # read_score's columns: "drum" says which notes are (MIDI channel 10 ...)
        return (list(map(float, score["start"])), list(map(float, score["duration"])), list(map(int, score["pitch"])),
                list(map(float, score["velocity"])), list(map(str, score["label"])),
                list(map(int, score["drum"])) if "drum" in score else [-1] * len(score["start"]))
    rows = list(score)
    cols = ([], [], [], [], [], [])
    for i, row in enumerate(rows):
        row = list(row)
        if len(row) < 3 or len(row) > 5:
            raise ValueError("score row %d: expected [start, duration, pitch, velocity, label], got %r" % (i, row))
        pitch = float(row[2])
        if pitch != int(pitch):
            raise ValueError("score row %d: pitch %r is not a whole MIDI number" % (i, row[2]))
        cols[0].append(float(row[0]))
        cols[1].append(float(row[1]))
        cols[2].append(int(pitch))
        cols[3].append(float(row[3]) if len(row) > 3 else 100.0)
        cols[4].append(str(row[4]) if len(row) > 4 else "notes")
        cols[5].append(-1)  # a drum note if its label names a kit ("drums"), as a table's row
    return cols


def _audio(audio):
    """(array (channels, samples) float32 C-ordered, was it 1-D). No copy if it already is."""
    a = np.asarray(audio)
    if a.ndim == 1:
        return np.ascontiguousarray(a[np.newaxis, :], dtype=np.float32), True
    if a.ndim == 2:
        return np.ascontiguousarray(a, dtype=np.float32), False
    raise ValueError("audio: expected a 1-D array or (channels, samples), got shape %r" % (a.shape,))


def _pairs(name, v, what):
    v = list(v.items()) if isinstance(v, dict) else [tuple(g.split("=", 1)) if isinstance(g, str) else tuple(g) for g in v]
    for g in v:
        if len(g) != 2:
            raise ValueError("%s=: expected {%s} or ['%s', ...]" % (name, what, what.replace(": ", "=")))
    return [(str(a), str(b)) for a, b in v]


def _options(kw):
    """Keyword arguments -> the library's settings (the table's names); None: not given (the
    default). The analysis rate is analysis_sr here (sr is the audio's rate)."""
    out = {}
    if kw.pop("as_given", None):  # the older spelling of align="no"
        kw.setdefault("align", "no")
    for k, v in kw.items():
        if v is None:
            continue
        if k == "analysis_sr":
            k = "sr"
        elif k == "sr":
            raise ValueError("unknown keyword argument(s): sr (the analysis rate is analysis_sr)")
        if k == "align":
            if v is True or v is False:
                v = "yes" if v else "no"
            if v not in ("auto", "yes", "no"):
                raise ValueError("align=%r: expected True, False, 'auto', 'yes' or 'no'" % (v,))
        if k == "groups":
            v = _pairs(k, v, "name: selection")
        if k == "instruments":
            v = _pairs(k, v, "label: family")
        if k == "step_weights" and isinstance(v, (list, tuple)):
            v = ",".join(repr(float(x)) for x in v)
        if isinstance(v, os.PathLike):
            v = os.fspath(v)
        out[k] = v
    return out


def _warn(messages):
    for level, text in messages:
        if level == "warning":
            warn(keyword_text(text), ScoreWarning)


@contextlib.contextmanager
def _keyword_errors():
    """The library's ValueError/OSError messages with its flag names as this module's keywords."""
    try:
        yield
    except (ValueError, OSError) as e:
        text = str(e)
        if "--" not in text or len(e.args) != 1:
            raise
        raise type(e)(keyword_text(text)) from None


class Separation:
    """The result of :func:`separate` (and, without stems, of :func:`decompose`).

    stems:   {group: array}, each like the input audio (1-D, or (channels, samples)) at its rate
    names:   the groups in order; group_notes: {group: indices of its notes in ``score``}
    W:       templates, (bins, rows);  H: activations, (rows, frames);  V: |STFT| (bins, frames)
             of the mono analysis signal at ``geometry['sample_rate']`` Hz
    rows:    what each row of W/H is: dicts of row, kind ("pitch"|"onset"), pitch, source,
             notes (indices into ``score``), labels (as ``index.json`` of the CLI)
    masks:   {group: soft mask (bins, frames)}, summing to one over the groups
    H_notes: (decompose) each note's activation in its pitch row, (notes, frames)
    score:   the score as the model used it (aligned with ``align=True``, cut at the audio's end)
    geometry: sample_rate, n_fft, hop, bins, frames, bin_hz, frame_seconds of V/W/H
    loss, initial_loss, iterations: the fit's loss history;  alignment, score_fit, timbre,
    alpha_used, messages: what the CLI's report.json says of them
    decisions: {name: (value, reason)} for alpha, align, drums, timbre, spectrogram: what the
    library chose where the settings leave a choice, and why (report.json "decisions")
    report:  report.json's content (a dict) with ``separate(..., report=DIR)``, else None
    """

    def __init__(self, r, mono):
        self.report = json.loads(r["report"]) if r.get("report") else None
        self.names = list(r["names"])
        self.group_notes = dict(zip(self.names, [list(x) for x in r["group_notes"]]))
        if "stems" in r:
            stems = [s[0] if mono else s for s in r["stems"]]
            self.stems = dict(zip(self.names, stems))
            self.masks = dict(zip(self.names, r["masks"]))
        else:
            self.stems = {}
            self.masks = {}
        for k in ("W", "H", "V", "H_notes"):
            setattr(self, k, r.get(k))
        self.rows = list(r["rows"])
        self.score = score_array(r["score"])
        self.geometry = dict(r["geometry"])
        self.loss = list(r["loss"])
        self.initial_loss = r["initial_loss"]
        self.iterations = r["iterations"]
        self.cancelled = r["cancelled"]
        self.alignment = Alignment(r["alignment"]) if r["alignment"] is not None else None
        self.score_fit = r["score_fit"]
        self.timbre = dict(r["timbre"], reason=keyword_text(r["timbre"]["reason"]))
        self.alpha_used = r["alpha_used"]
        # What the library chose where the settings leave a choice: {name: (value, reason)}.
        self.decisions = {k: (v, keyword_text(why)) for k, (v, why) in r["decisions"].items()}
        self.messages = [keyword_text(text) for _, text in r["messages"]]

    def __repr__(self):
        shape = None if self.W is None else self.W.shape
        return "<notewise.Separation groups=%r W=%r iterations=%d>" % (self.names, shape, self.iterations)


class Alignment:
    """A score synchronised with a recording.

    score: the aligned score (structured array); warp: (points, 2) array of (score s, audio s);
    cost: normalised chroma path cost; poor / problem: flagged as doubtful, and why;
    confidence: per note 0..1; mean_confidence; voice_confidence: per note 0..1 at its own
    (per-voice) onset, empty without the per-voice refinement; part_confidence: per label, the
    mean of its notes' voice_confidence; event_onset: per note, its score event's time before
    the per-voice refinement (s; empty without it); issues: flagged passages (dicts).
    """

    def __init__(self, d):
        self.score = score_array(d["score"])
        self.warp = np.column_stack([d["warp_score_s"], d["warp_audio_s"]]) if d["warp_score_s"] else np.zeros((0, 2))
        self.cost = d["cost"]
        self.poor = d["poor"]
        self.problem = d["problem"]
        self.confidence = np.asarray(d["confidence"], dtype=float)
        self.mean_confidence = d["mean_confidence"]
        self.voice_confidence = np.asarray(d.get("voice_confidence", []), dtype=float)
        self.part_confidence = dict(d.get("part_confidence", {}))
        self.event_onset = np.asarray(d.get("event_onset", []), dtype=float)
        self.issues = list(d["issues"])

    def __repr__(self):
        return "<notewise.Alignment notes=%d cost=%.3f poor=%s>" % (len(self.score), self.cost, self.poor)


def _settings_doc(command, run_options=True):
    lines = ["", "    Settings (the library's table, as ``notewise %s --help-all`` lists them; None: the default):" % command]
    for s in _notewise.settings():
        if command not in s["commands"]:
            continue
        name = "analysis_sr" if s["name"] == "sr" else s["name"]
        kind = "|".join(repr(c) for c in s["choices"]) if s["choices"] else s["type"]
        rng = ""
        if s["min"] is not None:
            rng = " >= %g" % s["min"] if s["max"] == float("inf") else " in %g .. %g" % (s["min"], s["max"])
        unit = " " + s["unit"] if s["unit"] else ""
        default = (" = %s" % s["default"]) if s["default"] else ""
        text = keyword_text(" ".join(s["help"].split()))
        lines.append("    %s (%s%s%s)%s: %s" % (name, kind, rng, unit, default, text))
    if run_options:
        lines.append("    check_fit (True: a score that does not fit as given is aligned, or refused with ValueError where it")
        lines.append("    matches neither as given nor aligned; False: used as given, unchecked).")
    return "\n".join(lines) + "\n"


def _default(s):
    t = s["default"]
    if s["type"] == "list" or t == "":
        return None
    if s["type"] == "bool":
        return t == "true"
    if s["type"] == "int":
        return int(t)
    if s["type"] == "real":
        return float(t)
    return t


def _with_settings(fn, command, first, run_options=True):
    """fn's signature with the settings of `command` as keyword-only arguments (the table's
    names and defaults) after the parameters named in `first`; run_options: with check_fit and
    progress (a separation's)."""
    import inspect
    sig = inspect.signature(fn)
    params = [p for p in sig.parameters.values() if p.kind != p.VAR_KEYWORD and p.name not in ("progress",)]
    names = {p.name for p in params}
    for s in _notewise.settings():
        name = "analysis_sr" if s["name"] == "sr" else s["name"]
        if command in s["commands"] and name not in names:
            params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=_default(s)))
            names.add(name)
    if run_options:
        params.append(inspect.Parameter("check_fit", inspect.Parameter.KEYWORD_ONLY, default=True))
        params.append(inspect.Parameter("progress", inspect.Parameter.KEYWORD_ONLY, default=None))
    fn.__signature__ = sig.replace(parameters=params)
    fn.__doc__ += _settings_doc(command, run_options)
    return fn


def _report_args(report, sr, score, options):
    """report= -> (folder, report.json's parameters as JSON, the call the page shows)."""
    if report is None:
        return "", "", ""
    params = {k: v for k, v in options.items()}
    params["score"] = os.fspath(score) if isinstance(score, (str, os.PathLike)) else "(rows given in Python)"
    given = ", ".join("%s=%r" % (k, v) for k, v in sorted(options.items()))
    call = "notewise.separate(audio, %d, %r%s, report=%r)" % (int(sr), params["score"], ", " + given if given else "",
                                                             os.fspath(report))
    return os.fspath(report), json.dumps(params, default=str), call


def _run(mode, audio, sr, score, gains, progress, kw, report=None, transpositions=()):
    a, mono = _audio(audio)
    label_by = kw.pop("label_by", None) or "auto"
    pedal = kw.pop("pedal", None) or False
    cols = _score_columns(score, label_by, pedal)
    options = _options(kw)
    with _keyword_errors():
        r = _notewise.run(a, int(sr), cols, options, mode, gains, progress, *_report_args(report, sr, score, options),
                          transpositions=list(transpositions))
    _warn(r["messages"])
    return r, mono


def separate(audio, sr, score, *, groups=None, align="auto", progress=None, report=None, **options):
    """Split a recording into one stem per group of notes (``notewise separate``).

    audio: 1-D or (channels, samples), at ``sr`` Hz (any rate, any channel count);
    score: a path, a list of [start, duration, pitch, velocity, label] rows, or a structured
    array; groups: {name: selection} (e.g. {"melody": "label==right && pitch>=72",
    "rest": "others"}), default one group per label; align: synchronise the score first
    ("yes" or True), "auto" (the default): only if it does not fit the recording as given, or
    "no" (False): use it as given.
    Returns a :class:`Separation`; its stems have the input's rate and layout and sum to it.
    report: a folder to write the report into, as ``notewise separate`` does (the library writes
    both): report.html with plots/ and report/ (the interactive views, the mix), report.json with
    the verdict (good, doubtful or poor, and why), and the stems as <group>.wav (float), which
    the page plays. Written as one run (nothing of it is left on an error); an earlier report in
    the folder is replaced. ``Separation.report`` holds report.json's content.
    """
    r, mono = _run("separate", audio, sr, score, {}, progress, dict(options, groups=groups, align=align), report)
    return Separation(r, mono)


_with_settings(separate, "separate", ())


def decompose(audio, sr, score, *, align="auto", progress=None, **options):
    """The score-informed decomposition alone (``notewise decompose``): a :class:`Separation`
    with W, H, the row index, H_notes (notes, frames), label masks and no stems."""
    r, mono = _run("decompose", audio, sr, score, {}, progress, dict(options, align=align))
    return Separation(r, mono)


_with_settings(decompose, "decompose", ())


def _gain(name, g):
    if isinstance(g, str):  # "-6dB", "+3 dB", "0.5": read as the program reads --gain
        try:
            return _notewise.parse_gain("g=" + g.strip())
        except ValueError as e:
            raise ValueError("gains[%r] = %r: %s" % (name, g, e)) from None
    return float(g)


def _moves(kind, moves):
    # {selection: number} or "SELECTION=N" strings (as the program's --transpose/--shift-time)
    # -> (kind, "SELECTION=N"), read and range-checked by the library.
    if moves is None:
        return []
    if isinstance(moves, str):
        moves = [moves]
    if isinstance(moves, dict):
        out = []
        for sel, n in moves.items():
            if isinstance(n, bool) or not isinstance(n, (int, float)):
                raise TypeError("%s[%r]: expected a number, got %r" % (kind, sel, n))
            out.append((kind, "%s=%r" % (sel, float(n))))
        return out
    return [(kind, str(m)) for m in moves]


def edit(audio, sr, score, *, gains=None, mute=None, transpose=None, shift_time=None, groups=None, align="auto",
         progress=None, **options):
    """Re-mix a recording's note groups, or move notes in pitch or time (``notewise edit``).

    gains: {group: gain}, a linear factor or a string in dB ("-6dB"); mute: a selection of notes
    to remove (e.g. "pitch==60 && start<5"). With every gain 1 the output equals the input.
    transpose: {selection: semitones} (-24 .. 24, fractions allowed) or "SELECTION=SEMITONES"
    strings, as ``--transpose``: the selected notes' share is separated, pitch-shifted and put
    back; shift_time: {selection: seconds} (-60 .. 60, later for > 0), as ``--shift-time``.
    Outside the moved notes' regions the output is the input. Not combined with gains, mute or
    groups. Returns the edited audio, shaped like the input.
    """
    moves = _moves("transpose", transpose) + _moves("shift_time", shift_time)
    if moves and (gains or mute or groups):
        raise ValueError("transpose= and shift_time= are not combined with gains=, mute= or groups=")
    if not gains and not mute and not moves:
        raise ValueError("nothing to do: give gains=, mute=, transpose= or shift_time=")
    g = {str(k): _gain(k, v) for k, v in (gains or {}).items()}
    r, mono = _run("edit", audio, sr, score, g, progress, dict(options, groups=groups, align=align, mute=mute),
                   transpositions=moves)
    out = r["edited"]
    return out[0] if mono else out


_with_settings(edit, "edit", ())


def align(audio, sr, score, *, label_by="auto", pedal=False, **options):
    """Synchronise a score with a recording (``notewise align``): an :class:`Alignment`.

    The keyword arguments are align's settings, as ``notewise align --help`` lists them (e.g.
    ``per_voice="no"``, ``step_weights="1,1,1"``, ``refine=False``).
    """
    a, _ = _audio(audio)
    cols = _score_columns(score, label_by, pedal)
    with _keyword_errors():
        return Alignment(_notewise.align(a, int(sr), cols, _options(options)))


_with_settings(align, "align", (), run_options=False)


def factorize(V, rank=None, *, W=None, H=None, loss="euclidean", iterations=100, tol=0.0, rel_loss_tol=0.0,
              seed=0, fix_w=False, fix_h=False, path="auto", float64=False, progress=None):
    """Plain NMF V ~ W H by multiplicative updates (``notewise factorize``).

    V: (K, N) nonnegative; W (K, R) and H (R, N): the start (zeros stay zero), else a seeded
    random start of ``rank`` scaled to V's level. loss: "euclidean" (||V - WH||_F^2), "kl",
    "is" or "beta=B". Returns a dict: W, H, loss (per iteration), initial_loss, iterations,
    converged, cancelled, sparse_path.
    """
    V = np.asarray(V)
    if V.ndim != 2:
        raise ValueError("V: expected a 2-D array, got shape %r" % (V.shape,))
    return _notewise.factorize(V, W, H, int(rank or 0), int(seed), loss, int(iterations), float(tol),
                               float(rel_loss_tol), path, bool(fix_w), bool(fix_h), bool(float64), progress)


def bss_eval(reference, estimate, *, filter_length=512):
    """BSS Eval v3 as ``mir_eval.separation.bss_eval_sources(reference, estimate,
    compute_permutation=False)``, plus SI-SDR.

    reference, estimate: (sources, samples) (or 1-D for one source). Returns a dict of arrays
    (dB, per source): sdr, sir, sar, si_sdr.
    """
    R = np.atleast_2d(np.asarray(reference, dtype=np.float64))
    E = np.atleast_2d(np.asarray(estimate, dtype=np.float64))
    if R.ndim != 2 or R.shape != E.shape:
        raise ValueError("bss_eval: reference %r and estimate %r must have one shape (sources, samples)"
                         % (R.shape, E.shape))
    d = _notewise.bss_eval(R, E, int(filter_length))
    return {k: np.asarray(v) for k, v in d.items()}


def stft(x, *, n_fft=2048, hop=512):
    """STFT of a 1-D signal: complex64 (bins, frames), bins = n_fft/2 + 1, frames = 1 + len/hop;
    periodic Hann window, unnormalised DFT, centred frames with reflect padding (librosa
    ``stft(x, n_fft, hop, center=True)``)."""
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError("stft: expected a 1-D signal, got shape %r" % (x.shape,))
    return _notewise.stft(np.ascontiguousarray(x, dtype=np.float32), int(n_fft), int(hop))


def istft(X, *, n_fft=2048, hop=512, length=None):
    """Inverse of :func:`stft` (istft(stft(x)) == x): float32, ``length`` samples (default
    hop * (frames - 1))."""
    return _notewise.istft(np.asarray(X), int(n_fft), int(hop), -1 if length is None else int(length))


class Live:
    """Live separation (issue #36): push blocks of samples as they arrive, get blocks of stems.

    ``Live(sr, score, channels=1, groups=None, latency=0.1)``; ``push(block)`` takes a 1-D block
    (mono) or (channels, samples) of any length and returns a dict {group: array} of the stems
    finished so far (whole hops; 1-D for a mono stream), delayed by ``latency_samples``;
    ``finish()`` returns the rest. The same samples give the same stems whatever the block sizes.
    ``position`` says where the follower is (score_time; bar and beat where the score has bars,
    a MusicXML or MIDI file given by its path; tempo, confidence, lost); ``onsets`` the audio
    time each note's onset was passed (NaN if not yet).

    With ``out=DIR`` it also writes what ``notewise live`` writes, by the same code: each stem
    (and the ``minus``/``only`` practice mixes) growing in DIR/NAME.wav.part, renamed to
    DIR/NAME.wav by ``finish()``, then DIR/aligned.csv; ``summary`` says what it followed.
    """

    def __init__(self, sr, score, *, channels=1, groups=None, latency=0.1, label_by="auto", pedal=False, out=None,
                 minus=(), only=(), overwrite=False):
        self._mono = channels == 1
        path = os.fspath(score) if isinstance(score, (str, os.PathLike)) else ""
        columns = None if path else _score_columns(score, label_by, pedal)
        with _keyword_errors():
            self._live = _notewise.Live(columns, path, str(label_by), bool(pedal), float(sr), int(channels), float(latency),
                                        list(groups or []), "" if out is None else os.fspath(out), bool(overwrite),
                                        [str(m) for m in minus], [str(o) for o in only])

    def _stems(self, result):
        _, stems = result
        return {n: (s[0] if self._mono else s) for n, s in zip(self._live.names, stems)}

    def push(self, block):
        a, _ = _audio(block)
        return self._stems(self._live.push(a))

    def finish(self):
        return self._stems(self._live.finish())

    names = property(lambda self: list(self._live.names))
    latency_samples = property(lambda self: self._live.latency_samples)
    position = property(lambda self: self._live.position)
    onsets = property(lambda self: np.asarray(self._live.onsets))
    summary = property(lambda self: self._live.summary)


def live(blocks, sr, score, **options):
    """Generator over ``Live``: for each block of ``blocks`` (an iterable of arrays), yields the
    dict of stems it finished; after the last, the rest (``Live.finish``)."""
    sep = Live(sr, score, **options)
    for b in blocks:
        yield sep.push(b)
    yield sep.finish()
