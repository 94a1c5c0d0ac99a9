"""Checks and times a compiled projection (scripts/gpu/matmul.mlir, built
with --target cuda) on the GPU machine against torch: y = x @ w^T in bf16.

    matmul_check.py --exe .device/perf/matmul_6656 --n 6656 --batch 2 --tokens 1000
Prints rel_err vs a float64 reference of the bf16 inputs, our --bench median
and torch.matmul's (CUDA events), and TFLOP/s. Exits 1 above --rtol.
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--k", type=int, default=2048)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=1000)
    ap.add_argument("--bench", type=int, default=0)
    ap.add_argument("--rtol", type=float, default=5e-3)
    ap.add_argument("--work", default="/tmp")
    a = ap.parse_args()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(a.batch, a.tokens, a.k, generator=g).to(torch.bfloat16)
    w = (torch.randn(a.n, a.k, generator=g) * 0.02).to(torch.bfloat16)
    xp, wp, yp = (os.path.join(a.work, f) for f in ("mm_x.npy", "mm_w.npy", "mm_y.npy"))
    np.save(xp, x.float().numpy())
    np.save(wp, w.float().numpy())
    cmd = [a.exe, "--arg", xp, "--arg", wp, "--result", yp]
    if a.bench:
        cmd += ["--bench", str(a.bench)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print("FAIL executable exit %d: %s %s" % (r.returncode, r.stdout[-800:], r.stderr[-800:]))
        return 1
    y = torch.from_numpy(np.load(yp)).double()
    ref = (x.cuda().double() @ w.cuda().double().T).cpu()
    rel = ((y - ref).norm() / ref.norm()).item()
    ok = rel <= a.rtol and bool(torch.isfinite(y).all())
    line = "M=%d N=%d K=%d rel_err=%.2e %s" % (a.batch * a.tokens, a.n, a.k, rel, "OK" if ok else "FAIL")
    if a.bench:
        m = re.search(r"median ([0-9.]+) ms", r.stdout)
        ours = float(m.group(1)) if m else float("nan")
        xc, wc = x.cuda(), w.cuda()
        for _ in range(3):
            xc @ wc.T
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        times = []
        for _ in range(a.bench):
            s.record()
            xc @ wc.T
            e.record()
            torch.cuda.synchronize()
            times.append(s.elapsed_time(e))
        theirs = sorted(times)[len(times) // 2]
        flop = 2.0 * a.batch * a.tokens * a.n * a.k
        line += "  ours %.3f ms (%.0f TFLOP/s)  torch %.3f ms (%.0f TFLOP/s)  ratio %.2f" % (
            ours, flop / ours / 1e9, theirs, flop / theirs / 1e9, theirs / ours)
    print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
