#!/usr/bin/env python3
"""The machine's fp32 GEMM rate as PyTorch sees it (the peer of `ferkit_bench step gemm`).
Usage: gemm_torch.py N REPS THREADS -> one JSON line."""
import json, statistics, sys, time

import torch

n, reps, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
a, b = torch.randn(n, n), torch.randn(n, n)
c = torch.mm(a, b)
rates = []
for _ in range(reps):
    t0 = time.perf_counter()
    torch.mm(a, b, out=c)
    rates.append(2 * n ** 3 / (time.perf_counter() - t0) / 1e9)
print(json.dumps({"tool": "pytorch", "bench": "gemm", "n": n, "threads": threads, "gflops": statistics.median(rates)}))
