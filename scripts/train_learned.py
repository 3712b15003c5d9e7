#!/usr/bin/python3
"""A small network that refines notewise's NMF masks (issue #35), trained on the allowed data only.

Three steps, each one command (a work folder outside the repository holds everything made):

  # 1. Training examples: remixes of Bach10's real, isolated stems (pieces given by --pieces;
  #    random gains, per-voice shifts, varispeed, stems of different pieces combined) and/or
  #    renderings of those pieces' scores (TimGM6mb, MuseScore General Lite; never FluidR3).
  #    notewise separates each one with its score; its masks (from W.npy, H.npy, index.json)
  #    are kept beside |mix| and the true stems' magnitudes.
  /usr/bin/python3 scripts/train_learned.py prepare WORK/foldA --pieces 01,02,03 --remixes 16 --renders 2
  # 2. Training (CPU, one thread, nice): --kinds remix, render or remix,render.
  nice -n 10 /usr/bin/python3 scripts/train_learned.py train WORK/foldA --kinds remix --minutes 8 --model WORK/a_remix.pt
  #    (--loss mse --max-bin 800 was the only loss whose gain crossed to real mixes, in one fold of two)
  # 3. Held-out real pieces: NMF masks vs refined masks, same STFT and resynthesis, scored by notewise eval.
  /usr/bin/python3 scripts/train_learned.py eval WORK/a_remix.pt --pieces 04,05 --work WORK/eval
  #    (--top B: refine the bins below B only; use the --max-bin the model was trained with)

Data rules (docs/RESULTS.md, issue #35): Bach10 pieces 01-05 only (their real stems and scores);
never 06-10 in training or tuning; never the fluid-soundfont renderings. Nothing is copied into
the repository. Needs numpy, python3-soundfile, python3-torch, fluidsynth and the two soundfonts
(scripts/install-deps.sh --all), and build/notewise.

Analysis as notewise's default: 22050 Hz, STFT 4096/512 (periodic Hann, librosa's center=True).
The model, per source g (weights shared by all sources, so any number of sources and instruments):
inputs log|mix| (scaled by the piece's mean), the NMF mask m_g, the largest other mask, the
log-frequency position; 5 dilated 3x3 convolutions over (frequency, time), 16 channels, ReLU; a
1x1 output c_g initialised at zero; refined masks softmax_g(log(m_g + 1e-4) + c_g) (they sum to 1
and start equal to the NMF masks). Loss: L1 between the masked mix magnitudes and the true stems'
magnitudes, over random crops.
"""
import argparse
import glob
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
NOTEWISE = os.path.join(HERE, '..', 'build', 'notewise')
BACH10 = os.path.join(HERE, '..', '..', 'shared', 'data', 'bach10')
RATE, NFFT, HOP = 22050, 4096, 512
LABELS = ['violin', 'clarinet', 'saxophone', 'bassoon']
PROGRAMS = {'violin': 40, 'clarinet': 71, 'saxophone': 66, 'bassoon': 70}
SOUNDFONTS = [('tim', '/usr/share/sounds/sf2/TimGM6mb.sf2'),
              ('msg', '/usr/share/sounds/sf3/MuseScore_General_Lite.sf3')]


# ---------------------------------------------------------------- signals
def fft_resample(x, n):
    """x resampled to n samples (band-limited, by the FFT)."""
    X = np.fft.rfft(x)
    m = n // 2 + 1
    Y = np.zeros(m, dtype=complex)
    k = min(m, len(X))
    Y[:k] = X[:k]
    return np.fft.irfft(Y, n) * (n / len(x))


def load(path):
    x, sr = sf.read(path, dtype='float64', always_2d=True)
    x = x.mean(axis=1)
    if sr != RATE:
        x = fft_resample(x, int(round(len(x) * RATE / sr)))
    return x


def window():
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(NFFT) / NFFT)


def stft(x):
    p = np.pad(x, NFFT // 2, mode='reflect')
    n = 1 + len(x) // HOP
    idx = np.arange(NFFT)[None, :] + HOP * np.arange(n)[:, None]
    return np.fft.rfft(p[idx] * window()[None, :], axis=1).T.astype(np.complex64)  # K x N


def istft(X, length):
    w = window()
    n = X.shape[1]
    frames = np.fft.irfft(X.T, NFFT, axis=1) * w[None, :]
    total = NFFT + HOP * (n - 1)
    y = np.zeros(total)
    ws = np.zeros(total)
    for t in range(n):
        y[t * HOP:t * HOP + NFFT] += frames[t]
        ws[t * HOP:t * HOP + NFFT] += w ** 2
    y = y / np.maximum(ws, 1e-8)
    return y[NFFT // 2:NFFT // 2 + length]


# ---------------------------------------------------------------- scores and notewise
def read_score(path):
    notes = []
    with open(path) as f:
        head = f.readline().strip().split(',')
        for line in f:
            v = dict(zip(head, line.strip().split(',')))
            notes.append([float(v['start']), float(v['duration']), int(v['pitch']), int(v.get('velocity', 90)),
                          v['label']])
    return notes


def write_score(path, notes):
    with open(path, 'w') as f:
        f.write('start,duration,pitch,velocity,label\n')
        for s, d, p, v, l in sorted(notes):
            f.write('%.4f,%.4f,%d,%d,%s\n' % (s, d, p, v, l))


def nmf_masks(mix_path, score_path, out, extra=()):
    """notewise's masks at the analysis rate: {group: K x N}, as separate.cpp's group_masks computes them."""
    r = subprocess.run([NOTEWISE, '-q', '--force', 'separate', mix_path, '--score', score_path, '--out', out,
                        '--no-report'] + list(extra), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit('%s: separate failed: %s' % (mix_path, r.stderr.strip()))
    W = np.load(os.path.join(out, 'W.npy')).astype(np.float64)
    H = np.load(os.path.join(out, 'H.npy')).astype(np.float64)
    index = json.load(open(os.path.join(out, 'index.json')))
    alpha = json.load(open(os.path.join(out, 'report.json')))['parameters']['alpha_used']
    names = [g['name'] for g in index['groups']]
    powers = {}
    for g in names:
        rows = [r['row'] for r in index['rows'] if r.get('source') == g]
        m = W[:, rows] @ H[rows] if rows else np.zeros((W.shape[0], H.shape[1]))
        powers[g] = np.maximum(m, 0) ** alpha
    total = sum(powers.values())
    floor = max(1e-9 * total.max(), 1e-37)
    denom = total + len(names) * floor
    return {g: ((p + floor) / denom).astype(np.float32) for g, p in powers.items()}


def save_example(d, mix, stems, masks):
    """|mix|, the masks and the stems' magnitudes (same order) as float16 .npy files in folder d."""
    os.makedirs(d, exist_ok=True)
    X = stft(mix)
    n = min(X.shape[1], min(m.shape[1] for m in masks.values()))
    names = sorted(masks)
    np.save(os.path.join(d, 'mag.npy'), np.abs(X[:, :n]).astype(np.float16))
    np.save(os.path.join(d, 'masks.npy'), np.stack([masks[g][:, :n] for g in names]).astype(np.float16))
    np.save(os.path.join(d, 'target.npy'), np.stack([np.abs(stft(stems[g]))[:, :n] for g in names]).astype(np.float16))
    json.dump({'groups': names}, open(os.path.join(d, 'meta.json'), 'w'))


# ---------------------------------------------------------------- training examples
def piece_dirs(prefixes):
    out = []
    for p in prefixes:
        if p[:2] not in ('01', '02', '03', '04', '05'):
            sys.exit('train_learned: piece %s: only Bach10 01-05 may be used for training' % p)
        out += sorted(glob.glob(os.path.join(BACH10, p + '-*')))
    return out


def remix(rng, pieces, stems, scores, a):
    """One mixture of real stems: per instrument a piece (the same for all with probability
    a.same), gain +-a.gain dB, shift +-a.shift_ms (the score is not shifted), varispeed
    1 +- a.varispeed (score times too). Defaults: 0.4, 6 dB, 30 ms, 0.015."""
    same = rng.random() < a.same
    base = rng.choice(pieces)
    r = rng.uniform(1 - a.varispeed, 1 + a.varispeed)
    out, notes = {}, []
    for l in LABELS:
        p = base if same else rng.choice(pieces)
        x = stems[p][l]
        x = fft_resample(x, int(round(len(x) / r)))
        d = int(round(rng.uniform(-a.shift_ms, a.shift_ms) / 1000 * RATE))
        x = np.concatenate([np.zeros(d), x])[:len(x)] if d >= 0 else np.concatenate([x[-d:], np.zeros(-d)])
        out[l] = x * 10 ** (rng.uniform(-a.gain, a.gain) / 20)
        notes += [[s / r, du / r, pi, v, la] for s, du, pi, v, la in scores[p] if la == l]
    n = min(len(x) for x in out.values())
    out = {l: x[:n] for l, x in out.items()}
    secs = n / RATE
    notes = [[s, min(d, secs - s), p, v, l] for s, d, p, v, l in notes if s < secs - 0.05]
    return out, notes


def midi_file(notes, program, path):
    """A one-track MIDI file (960 ticks per second) of these notes on channel 0."""
    events = [(0, bytes([0xC0, program]))]
    for start, dur, pitch, vel, _ in notes:
        events.append((int(round(start * 960)), bytes([0x90, pitch, vel])))
        events.append((max(int(round((start + dur) * 960)) - 1, int(round(start * 960))), bytes([0x80, pitch, 0])))
    events.sort(key=lambda e: (e[0], e[1][0] == 0x90))
    data, last = b'', 0
    for tick, msg in events:
        delta = tick - last
        last = tick
        var = bytes([delta & 0x7F])
        delta >>= 7
        while delta:
            var = bytes([0x80 | (delta & 0x7F)]) + var
            delta >>= 7
        data += var + msg
    data += b'\x00\xFF\x2F\x00'
    import struct
    with open(path, 'wb') as f:
        f.write(b'MThd' + struct.pack('>IHHH', 6, 0, 1, 480) + b'MTrk' + struct.pack('>I', len(data)) + data)


def rendering(rng, piece_score, font, tmp):
    """The piece's score rendered voice by voice with per-note onset (+-30 ms), duration and velocity
    jitter, per-voice gain +-6 dB, reverb on or off; the score given to notewise is the unjittered one."""
    reverb = '1' if rng.random() < 0.5 else '0'
    length = max(s + d for s, d, _, _, _ in piece_score) + 1.0
    n = int(length * RATE)
    out = {}
    for l in LABELS:
        mine = [[max(0.0, s + rng.uniform(-0.03, 0.03)), d * rng.uniform(0.9, 1.05), p,
                 int(np.clip(v + rng.randint(-20, 10), 30, 127)), l] for s, d, p, v, ll in piece_score if ll == l]
        mid, wav = os.path.join(tmp, l + '.mid'), os.path.join(tmp, l + '.wav')
        midi_file(mine, PROGRAMS[l], mid)
        subprocess.run(['fluidsynth', '-ni', '-q', '-g', '0.5', '-r', str(RATE), '-R', reverb, '-C', '0', '-O',
                        'float', '-F', wav, font, mid], check=True, capture_output=True)
        x, sr = sf.read(wav, dtype='float64', always_2d=True)
        x = np.pad(x.mean(axis=1), (0, max(0, n - len(x))))[:n]
        out[l] = x / max(np.sqrt(np.mean(x ** 2)), 1e-9) * 0.05 * 10 ** (rng.uniform(-6, 6) / 20)
    return out


def cmd_prepare(a):
    rng = random.Random(a.seed)
    pieces = piece_dirs(a.pieces.split(','))
    stems = {p: {l: load(os.path.join(p, l + '.flac')) for l in LABELS} for p in pieces}
    scores = {p: read_score(os.path.join(p, 'score_aligned.csv')) for p in pieces}
    os.makedirs(a.work, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [('remix', i) for i in range(a.remixes)] + [('render', i) for i in range(a.renders * len(pieces))]
        for kind, i in jobs:
            d = os.path.join(a.work, '%s%03d' % (kind, i))
            if os.path.isfile(os.path.join(d, 'meta.json')):
                continue
            t = time.monotonic()
            if kind == 'remix':
                parts, notes = remix(rng, pieces, stems, scores, a)
            else:
                p = pieces[i % len(pieces)]
                font = SOUNDFONTS[(i // len(pieces)) % len(SOUNDFONTS)][1]
                parts, notes = rendering(rng, scores[p], font, tmp), scores[p]
            mix = sum(parts.values())
            peak = np.abs(mix).max()
            if peak > 0.99:
                parts = {l: x * 0.99 / peak for l, x in parts.items()}
                mix = mix * 0.99 / peak
            sf.write(os.path.join(tmp, 'mix.wav'), mix.astype(np.float32), RATE, subtype='FLOAT')
            write_score(os.path.join(tmp, 'score.csv'), notes)
            masks = nmf_masks(os.path.join(tmp, 'mix.wav'), os.path.join(tmp, 'score.csv'), os.path.join(tmp, 'out'))
            save_example(d, mix, parts, masks)
            print('%s  %.1f s of audio  %.1f s' % (d, len(mix) / RATE, time.monotonic() - t), flush=True)


# ---------------------------------------------------------------- the model
def model_class():
    import torch
    import torch.nn as nn

    class Refiner(nn.Module):
        DILATIONS = (1, 2, 4, 8, 16)

        def __init__(self, channels=16):
            super().__init__()
            layers, c = [], 4
            for d in self.DILATIONS:
                layers += [nn.Conv2d(c, channels, 3, padding=d, dilation=d), nn.ReLU()]
                c = channels
            self.body = nn.Sequential(*layers)
            self.out = nn.Conv2d(channels, 1, 1)
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)

        def forward(self, logmag, masks, freqpos):
            # logmag B x 1 x K x T, masks B x G x K x T, freqpos K
            B, G, K, T = masks.shape
            x = masks.reshape(B * G, 1, K, T)
            others = torch.stack([torch.cat([masks[:, :g], masks[:, g + 1:]], 1).amax(1) if G > 1
                                  else torch.zeros_like(masks[:, 0]) for g in range(G)], 1).reshape(B * G, 1, K, T)
            lm = logmag.repeat_interleave(G, 0)
            fp = freqpos.view(1, 1, K, 1).expand(B * G, 1, K, T)
            c = self.out(self.body(torch.cat([lm, x, others, fp], 1))).view(B, G, K, T)
            return torch.softmax(torch.log(masks + 1e-4) + c, 1)

    return Refiner


def features(mag, scale):
    return np.log(mag / scale + 1e-3).astype(np.float32) / 4.0


def freq_position(k0, k):
    return (np.log2(1.0 + np.arange(k0, k0 + k)) / 11.0).astype(np.float32)


def objective(masks, mag, target, kind):
    """l1: L1 between the masked mix and the true magnitudes, relative to the mix's; sdr: per crop
    and source -10 log10(|S|^2 / |m X - S|^2) on magnitudes (every audible source counts alike); l2: squared error relative
    to the crop's energy; mse: squared error in units of the piece's mean magnitude (loud crops count most)."""
    import torch
    if kind == 'l1':
        return (masks * mag - target).abs().sum() / mag.sum().clamp_min(1e-6)
    if kind == 'mse':  # in units of the piece's mean magnitude: loud crops weigh more, as in BSS Eval's SDR
        return ((masks * mag - target) ** 2).mean()
    if kind == 'l2':  # energy-weighted within the crop
        return ((masks * mag - target) ** 2).sum() / (mag ** 2).sum().clamp_min(1e-12)
    err = ((masks * mag - target) ** 2).sum((2, 3))
    ref = (target ** 2).sum((2, 3))
    keep = ref > 1e-4 * ref.max()
    return (10 * torch.log10((err + 1e-8) / (ref + 1e-8)))[keep].mean()


def cmd_train(a):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    kinds = a.kinds.split(',')
    ex = []
    for w in a.work.split(','):
        for d in sorted(glob.glob(os.path.join(w, '*'))):
            if os.path.basename(d).rstrip('0123456789') in kinds and os.path.isfile(os.path.join(d, 'meta.json')):
                mag = np.load(os.path.join(d, 'mag.npy'), mmap_mode='r')
                ex.append((mag, np.load(os.path.join(d, 'masks.npy'), mmap_mode='r'),
                           np.load(os.path.join(d, 'target.npy'), mmap_mode='r'), float(np.mean(mag, dtype=np.float64))))
    if not ex:
        sys.exit('train_learned: no examples of kinds %s in %s' % (a.kinds, a.work))
    print('%d examples' % len(ex), flush=True)
    model = model_class()()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    KC, TC = a.crop_bins, a.crop_frames
    t0, step, hist = time.monotonic(), 0, []
    while time.monotonic() - t0 < a.minutes * 60:
        lm, mk, tg, fp = [], [], [], []
        k0 = int(rng.integers(0, a.max_bin - KC))
        for _ in range(a.batch):
            mag, masks, target, scale = ex[int(rng.integers(len(ex)))]
            t = int(rng.integers(0, mag.shape[1] - TC))
            lm.append(features(np.asarray(mag[k0:k0 + KC, t:t + TC], np.float32), scale)[None])
            mk.append(np.asarray(masks[:, k0:k0 + KC, t:t + TC], np.float32))
            tg.append(np.asarray(target[:, k0:k0 + KC, t:t + TC], np.float32) / scale)
        lm, mk, tg = torch.from_numpy(np.stack(lm)), torch.from_numpy(np.stack(mk)), torch.from_numpy(np.stack(tg))
        mag = torch.exp(lm * 4.0) - 1e-3
        out = model(lm, mk, torch.from_numpy(freq_position(k0, KC)))
        loss, base = objective(out, mag, tg, a.loss), objective(mk, mag, tg, a.loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append((loss.item(), base.item()))
        step += 1
        if step % 50 == 0:
            l, b = np.mean(hist[-50:], axis=0)
            print('step %d  %.0f s  loss %.4f  (NMF masks %.4f)' % (step, time.monotonic() - t0, l, b), flush=True)
    torch.save({'state': model.state_dict(), 'kinds': a.kinds, 'steps': step}, a.model)
    print('saved %s after %d steps' % (a.model, step))


# ---------------------------------------------------------------- evaluation on real pieces
def refine(model, mag, masks, top):
    """Refined masks of a whole piece below bin `top` (the bins the crops covered; above it the NMF
    masks stay), in blocks of frames (with context)."""
    import torch
    scale = float(np.mean(mag, dtype=np.float64))
    out = masks.copy()
    mag, masks = mag[:top], masks[:, :top]
    K, T = mag.shape
    block, ctx = 512, 40
    with torch.no_grad():
        for t0 in range(0, T, block):
            a, b = max(0, t0 - ctx), min(T, t0 + block + ctx)
            lm = torch.from_numpy(features(mag[:, a:b], scale))[None, None]
            mk = torch.from_numpy(masks[None, :, :, a:b].astype(np.float32))
            r = model(lm, mk, torch.from_numpy(freq_position(0, K)))[0].numpy()
            out[:, :top, t0:min(T, t0 + block)] = r[:, :, t0 - a:t0 - a + min(block, T - t0)]
    return out


def score(piece, est_dir, stems):
    r = subprocess.run([NOTEWISE, 'eval', '--reference', piece, '--estimate', est_dir, '--json', '--stems',
                        ','.join(stems)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit('eval failed: ' + r.stderr)
    return json.loads(r.stdout)['stems']


def cmd_eval(a):
    import torch
    torch.set_num_threads(1)
    models = []
    for path in a.models:
        m = model_class()()
        m.load_state_dict(torch.load(path)['state'])
        m.eval()
        models.append((os.path.basename(path), m))
    pieces = piece_dirs(a.pieces.split(',')) if not a.final else sorted(glob.glob(os.path.join(BACH10, '*')))
    if a.final:
        pieces = [p for p in pieces if os.path.basename(p)[:2] in a.pieces.split(',')]
    rows = []
    for piece in pieces:
        name = os.path.basename(piece)
        w = os.path.join(a.work, name)
        cache = os.path.join(w, 'masks.npz')
        if not os.path.isfile(cache):
            m = nmf_masks(os.path.join(piece, 'mix.flac'), os.path.join(piece, 'score_aligned.csv'), os.path.join(w, 'nmf'))
            np.savez(cache, **m)
        m = dict(np.load(cache))
        names = sorted(m)
        mix = load(os.path.join(piece, 'mix.flac'))
        X = stft(mix)
        n = min(X.shape[1], m[names[0]].shape[1])
        X = X[:, :n]
        masks = np.stack([m[g][:, :n] for g in names])
        variants = [('nmf', masks)] + [(mn, refine(mod, np.abs(X), masks, a.top)) for mn, mod in models]
        for vn, mm in variants:
            d = os.path.join(w, vn)
            os.makedirs(d, exist_ok=True)
            for i, g in enumerate(names):
                sf.write(os.path.join(d, g + '.wav'), istft(X * mm[i], len(mix)).astype(np.float32), RATE,
                         subtype='FLOAT')
            s = score(piece, d, names)
            for g in names:
                rows.append((name, vn, g, s[g]['SDR'], s[g]['SIR'], s[g]['SAR'], s[g]['SI_SDR']))
            print('%-32s %-22s SDR %6.2f' % (name, vn, np.mean([s[g]['SDR'] for g in names])), flush=True)
    print()
    vnames = ['nmf'] + [mn for mn, _ in models]
    print('%-22s %7s %7s %7s %7s   per source SDR' % ('variant', 'SDR', 'SIR', 'SAR', 'SI-SDR'))
    for vn in vnames:
        rs = [r for r in rows if r[1] == vn]
        per = ' '.join('%s %.2f' % (g, np.mean([r[3] for r in rs if r[2] == g])) for g in LABELS)
        print('%-22s %7.2f %7.2f %7.2f %7.2f   %s' % (vn, *[np.mean([r[i] for r in rs]) for i in (3, 4, 5, 6)], per))
    print('per piece SDR:')
    for piece in pieces:
        name = os.path.basename(piece)
        print('  %-32s %s' % (name, '  '.join('%s %.2f' % (vn, np.mean([r[3] for r in rows if r[0] == name and
                                                                         r[1] == vn])) for vn in vnames)))
    if a.json:
        json.dump(rows, open(a.json, 'w'), indent=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('prepare')
    p.add_argument('work')
    p.add_argument('--pieces', required=True, help='Bach10 piece numbers, e.g. 01,02,03 (01-05 only)')
    p.add_argument('--remixes', type=int, default=16)
    p.add_argument('--renders', type=int, default=2, help='renderings per piece (soundfonts in turn)')
    p.add_argument('--same', type=float, default=0.4, help='remixes: probability that all stems come from one piece')
    p.add_argument('--gain', type=float, default=6.0, help='remixes: per-stem gain range, +- dB')
    p.add_argument('--shift-ms', type=float, default=30.0, help='remixes: per-stem shift range, +- ms')
    p.add_argument('--varispeed', type=float, default=0.015, help='remixes: speed (and pitch) factor range, 1 +- this')
    p.add_argument('--seed', type=int, default=35)
    p = sub.add_parser('train')
    p.add_argument('work', help='example folders, comma-separated')
    p.add_argument('--kinds', default='remix')
    p.add_argument('--model', required=True)
    p.add_argument('--minutes', type=float, default=8)
    p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--loss', choices=['l1', 'l2', 'mse', 'sdr'], default='l1')
    p.add_argument('--batch', type=int, default=4)
    p.add_argument('--crop-bins', type=int, default=160)
    p.add_argument('--crop-frames', type=int, default=64)
    p.add_argument('--max-bin', type=int, default=1200, help='crops lie below this bin (most energy is there)')
    p.add_argument('--seed', type=int, default=35)
    p = sub.add_parser('eval')
    p.add_argument('models', nargs='*')
    p.add_argument('--pieces', required=True)
    p.add_argument('--work', required=True)
    p.add_argument('--json')
    p.add_argument('--top', type=int, default=1200, help='refine the bins below this one (training: --max-bin)')
    p.add_argument('--final', action='store_true', help='allow 06-10 (the once-only report, never for choices)')
    a = ap.parse_args()
    {'prepare': cmd_prepare, 'train': cmd_train, 'eval': cmd_eval}[a.cmd](a)


if __name__ == '__main__':
    main()
