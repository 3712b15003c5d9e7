#!/usr/bin/env python3
"""Turns the benchmark JSON of bench/run.sh into ratio tables (all figures from one run)."""
import json
import os
import sys

d = sys.argv[1]


def load(name):
    with open(os.path.join(d, name)) as f:
        return json.load(f)


stft = load("stft.json")
print("## STFT / ISTFT (60 s at 22050 Hz, n_fft 2048, hop 512)\n")
print("| benchmark | threads | ms | speed-up over 1 thread |\n|---|---|---|---|")
base = {}
for b in stft["benchmarks"]:
    name, secs, threads = b["name"].split("/")[0], b["real_time"], b["name"].split("/")[2]
    if threads == "1":
        base[name] = secs
    print(f"| {name} | {threads} | {secs:.1f} | {base[name] / secs:.2f}x |")

for core in ("default", "SkylakeX"):
    path = os.path.join(d, f"nmf_{core}.json")
    if not os.path.exists(path):
        continue
    nmf = load(f"nmf_{core}.json")
    sk = load(f"sklearn_{core}.json")
    ctx = nmf["context"].get("blas", "?")
    print(f"\n## NMF, 100 iterations, float32, OpenBLAS kernels: {core} ({ctx})\n")
    gemm = {}
    rows = {}
    for b in nmf["benchmarks"]:
        parts = b["name"].split("/")
        if parts[0] == "BM_Sgemm":
            gemm[tuple(parts[1:4])] = b["gflops"]
        else:
            rows[tuple(parts[1:7])] = b
    print("| K | R | loss | start | path | s / 100 it | GFLOP/s (dense count) | of SGEMM | vs dense path | vs scikit-learn |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for key, b in rows.items():
        K, N, R, div, start, path = key
        secs = b["real_time"]
        gf = b["gflops_dense_equiv"]
        peak = gemm.get((K, N, R))
        dense_same_start = rows.get((K, N, R, div, start, "0"))
        skt = sk.get(f"{K}/{N}/{R}/{div}/{start}")
        print(f"| {K} | {R} | {'euclid' if div == '0' else 'KL'} | {'score-like' if start == '1' else 'dense'} | "
              f"{'sparse' if path == '1' else 'dense'} | {secs:.2f} | {gf:.0f} | "
              f"{(gf / peak * 100 if peak else float('nan')):.0f} % | "
              f"{dense_same_start['real_time'] / secs:.1f}x | {(skt / secs if skt else float('nan')):.2f}x |")
    print("\nSGEMM (W'V at the same shapes): " + ", ".join(f"K={k[0]} R={k[2]}: {v:.0f} GFLOP/s" for k, v in gemm.items()))

path = os.path.join(d, "nae.json")
if os.path.exists(path):
    nae = load("nae.json")
    print(f"\n## Autoencoder against NMF (float32, {nae['context'].get('blas', '?')})\n")
    print("One multiplicative training epoch against one dense NMF iteration, and the trained encoder's")
    print("forward pass against a whole 50-iteration NMF run; score-like start, same run.\n")
    print("| K | R | loss | NMF ms / iteration | NAE ms / epoch | epoch / iteration | forward pass ms | NMF 50 it. / forward |")
    print("|---|---|---|---|---|---|---|---|")
    runs = {}
    for b in nae["benchmarks"]:
        parts = b["name"].split("/")
        secs = b["real_time"] * (1e-3 if b["time_unit"] == "ms" else 1.0)
        runs[(parts[0],) + tuple(parts[1:5])] = secs
    for key, secs in runs.items():
        if key[0] != "BM_NmfIterations":
            continue
        K, N, R, loss = key[1:]
        it = secs / 20
        ep = runs[("BM_NaeEpochs", K, N, R, loss)] / 20
        fw = runs[("BM_NaeForward", K, N, R, loss)]
        print(f"| {K} | {R} | {'euclid' if loss == '0' else 'KL'} | {it * 1e3:.0f} | {ep * 1e3:.0f} | {ep / it:.2f} | "
              f"{fw * 1e3:.1f} | {50 * it / fw:.0f}x |")
