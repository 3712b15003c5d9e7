#!/usr/bin/env python3
"""Times scikit-learn's multiplicative-update NMF at the benchmark shapes (100 iterations,
float32, custom start, tol=0) on matrices built like bench_data.hpp's (uniform random V and
start; score-like start). Prints JSON: {"K/N/R/div/start": seconds}."""
import json
import sys
import time
import warnings

import numpy as np
from sklearn.decomposition import NMF

warnings.filterwarnings("ignore")


def score_like(K, N, R, wd=0.15, hd=0.05):
    W = np.zeros((K, R), np.float32)
    for r in range(R):
        f0 = 3.0 + r * (K / 4.0) / R
        partials = np.floor((K - 1) / f0)
        half = max(0.5, wd * K / (2 * partials))
        m = 1
        while m * f0 < K:
            lo, hi = max(0, round(m * f0 - half)), min(K - 1, round(m * f0 + half))
            W[lo:hi + 1, r] = 1.0 / m
            m += 1
    H = np.zeros((R, N), np.float32)
    window = 40
    period = int(window / hd)
    for r in range(R):
        for n in range((r * 37) % period, N, period):
            H[r, n:n + window] = 0.5 + 0.5 * ((np.arange(n, min(N, n + window)) * 7 + r) % 11) / 11.0
    return W, H


def main():
    quick = "--quick" in sys.argv
    rng = np.random.default_rng(1)
    out = {}
    shapes = [(1025, 4000, 100)] if quick else [(1025, 4000, 100), (1025, 4000, 200), (2049, 4000, 100), (2049, 4000, 200)]
    for K, N, R in shapes:
        V = (rng.random((K, N)) + 0.01).astype(np.float32)
        starts = {0: ((rng.random((K, R)) + 0.01).astype(np.float32), (rng.random((R, N)) + 0.01).astype(np.float32)),
                  1: score_like(K, N, R)}
        for div, loss in ((0, "frobenius"), (1, "kullback-leibler")):
            for start, (W0, H0) in starts.items():
                model = NMF(n_components=R, solver="mu", beta_loss=loss, init="custom", tol=0, max_iter=100)
                t = time.perf_counter()
                model.fit_transform(V, W=W0.copy(), H=H0.copy())
                out[f"{K}/{N}/{R}/{div}/{start}"] = time.perf_counter() - t
    print(json.dumps(out))


if __name__ == "__main__":
    main()
