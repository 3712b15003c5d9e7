# The numpy reference pipeline of docs/PERFORMANCE.md ("3 minutes at 44.1 kHz"): what
# `notewise separate` does, written plainly with numpy and scipy, at the same sizes and the same
# number of iterations, so that notewise's time has a baseline measured in the same run.
#   /usr/bin/python3 bench/numpy_reference.py MIX.wav --rank R [--iterations 50] [--groups 2]
# Steps (CPU seconds of each printed, user + system of every thread, and wall seconds):
#   load      read the WAV, mix down, resample to 22 050 Hz (scipy's resample_poly)
#   stft      magnitude STFT, n_fft 4096, hop 512, periodic Hann, reflect padding (V: K x N)
#   nmf       KL multiplicative updates of W (K x R) and H (R x N), dense, float32, the loss
#             every iteration as notewise records it (no score: random nonnegative start)
#   masks     the groups' soft masks ((W_g H_g)^2 / sum), rows of W split into equal groups
#   resynth   per channel: STFT at 44.1 kHz (n_fft 8192, hop 1024), every group's mask
#             (analysis bins mapped to native bins by linear interpolation), inverse STFT
#   write     the stems as float32 WAV
# No score-fit check or alignment (notewise's load stage does one): the reference does less.
import argparse, os, sys, tempfile, time, wave

import numpy as np
from scipy.signal import resample_poly
import soundfile as sf


def clock():
    return time.process_time(), time.perf_counter()


def stft(x, n_fft, hop):
    w = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    xp = np.pad(x, n_fft // 2, mode="reflect")
    N = 1 + len(x) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(N)[:, None]
    out = np.empty((n_fft // 2 + 1, N), np.complex64)
    for j0 in range(0, N, 1024):  # in chunks: the frame matrix of the whole piece is large
        j1 = min(N, j0 + 1024)
        out[:, j0:j1] = np.fft.rfft(xp[idx[j0:j1]] * w, axis=1).T
    return out


def istft(X, n_fft, hop, length):
    w = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    N = X.shape[1]
    y = np.zeros((N - 1) * hop + n_fft, np.float32)
    ws = np.zeros_like(y)
    for j0 in range(0, N, 1024):
        j1 = min(N, j0 + 1024)
        frames = np.fft.irfft(X[:, j0:j1].T, n=n_fft, axis=1).astype(np.float32) * w
        for i, f in enumerate(frames):
            s = (j0 + i) * hop
            y[s:s + n_fft] += f
            ws[s:s + n_fft] += w * w
    h = n_fft // 2
    y, ws = y[h:h + length], ws[h:h + length]
    return np.where(ws > 1e-8, y / np.maximum(ws, 1e-8), 0).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mix")
    ap.add_argument("--rank", type=int, required=True)
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--groups", type=int, default=2)
    a = ap.parse_args()
    times = {}
    c0, t0 = clock()

    def stage(name):
        nonlocal c0, t0
        c, t = clock()
        times[name] = (c - c0, t - t0)
        c0, t0 = c, t

    with wave.open(a.mix) as f:
        rate, ch, n = f.getframerate(), f.getnchannels(), f.getnframes()
        x = np.frombuffer(f.readframes(n), "<i2").astype(np.float32).reshape(n, ch) / 32768
    mono = x.mean(axis=1)
    g = np.gcd(22050, rate)
    analysis = resample_poly(mono, 22050 // g, rate // g).astype(np.float32)
    stage("load")

    V = np.abs(stft(analysis, 4096, 512)).astype(np.float32)
    stage("stft")

    K, N, R = V.shape[0], V.shape[1], a.rank
    rng = np.random.default_rng(1)
    W = rng.random((K, R), np.float32) + 0.1
    H = rng.random((R, N), np.float32) + 0.1
    eps = np.float32(1e-10)
    loss = []
    for _ in range(a.iterations):
        WH = np.maximum(W @ H, eps)
        H *= (W.T @ (V / WH)) / np.maximum(W.sum(axis=0)[:, None], eps)
        WH = np.maximum(W @ H, eps)
        W *= ((V / WH) @ H.T) / np.maximum(H.sum(axis=1)[None, :], eps)
        WH = np.maximum(W @ H, eps)
        loss.append(float(np.sum(V * np.log(np.maximum(V, eps) / WH) - V + WH, dtype=np.float64)))
    stage("nmf")

    parts = np.array_split(np.arange(R), a.groups)
    powers = [(W[:, p] @ H[p]) ** 2 for p in parts]
    total = sum(powers) + 1e-20
    masks = [p / total for p in powers]
    del powers, total
    stage("masks")

    n_fft, hop = 4096 * rate // 22050, 512 * rate // 22050
    Kn = n_fft // 2 + 1
    src = np.linspace(0, K - 1, Kn)
    lo = np.minimum(src.astype(int), K - 2)
    fr = (src - lo).astype(np.float32)[:, None]
    stems = [np.empty((n, ch), np.float32) for _ in parts]
    for c in range(ch):
        X = stft(x[:, c], n_fft, hop)
        Nn = X.shape[1]
        cols = np.minimum(np.arange(Nn) * (hop / rate) / (512 / 22050), N - 1).astype(int)
        for k, m in enumerate(masks):
            mk = m[:, cols]
            mn = (1 - fr) * mk[lo] + fr * mk[lo + 1]
            stems[k][:, c] = istft(X * mn, n_fft, hop, n)
    stage("resynth")

    with tempfile.TemporaryDirectory() as d:
        for k, s in enumerate(stems):
            sf.write(os.path.join(d, f"stem{k}.wav"), s, rate, subtype="FLOAT")
    stage("write")

    total_c = sum(c for c, _ in times.values())
    total_t = sum(t for _, t in times.values())
    for k, (c, t) in times.items():
        print(f"{k:8s} cpu {c:7.2f} s  wall {t:7.2f} s")
    print(f"{'total':8s} cpu {total_c:7.2f} s  wall {total_t:7.2f} s  (K={K} N={N} R={R}, {a.iterations} iterations, "
          f"final loss {loss[-1]:.4g})")


if __name__ == "__main__":
    sys.exit(main())
