#!/usr/bin/env python3
"""Checks and times compiled projections y = x @ w^T (bf16, f32 accumulation)
beside torch.matmul on the GPU machine.

Each executable is `rat-compile` of scripts/gpu/matmul.mlir with N and K
substituted (benchmarks/build.sh builds them as gemm_<N>_<K>); its shape is
read from the name. For every executable:
  - correctness at the --check row counts: rel_err of our result vs a
    float64 product of the same bf16 inputs (fresh random inputs per case);
  - speed at the --time row counts: our --bench median (CUDA events) and
    torch.matmul's median over the same number of runs, TFLOP/s, GB/s (w, x
    and y moved once: the bound of few-row products), ratio.

    gemm_check.py --dir .device/gemm --check 1998,16384 --time 16384,262144
Prints a markdown table; exits 1 if a check fails.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import time

import numpy as np
import torch


def run(cmd, timeout=600):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def torch_ms(x, w, iters):
    for _ in range(3):
        x @ w.T
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(iters):
        s.record()
        x @ w.T
        e.record()
        torch.cuda.synchronize()
        times.append(s.elapsed_time(e))
    return sorted(times)[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--prefix", default="gemm_")
    ap.add_argument("--check", default="1998,16384")
    ap.add_argument("--time", default="16384,262144")
    ap.add_argument("--bench", type=int, default=10)
    ap.add_argument("--rtol", type=float, default=5e-3)
    ap.add_argument("--work", default="/tmp/gemm_check")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    exes = sorted(glob.glob(os.path.join(a.dir, a.prefix + "*")))
    exes = [e for e in exes if re.search(r"_(\d+)_(\d+)$", e)]
    fail = 0
    rows = []
    gen = torch.Generator(device="cuda").manual_seed(0)
    xp, wp, yp = (os.path.join(a.work, f) for f in ("x.npy", "w.npy", "y.npy"))
    for exe in exes:
        n, k = (int(v) for v in re.search(r"_(\d+)_(\d+)$", exe).groups())
        name = os.path.basename(exe)
        w = (torch.randn(n, k, device="cuda", generator=gen) * 0.02).to(torch.bfloat16)
        np.save(wp, w.float().cpu().numpy())
        for m in [int(v) for v in a.check.split(",") if v]:
            x = torch.randn(m, k, device="cuda", generator=gen).to(torch.bfloat16)
            np.save(xp, x.float().cpu().numpy().reshape(1, m, k))
            r = run([exe, "--arg", xp, "--arg", wp, "--result", yp])
            if r.returncode:
                print("FAIL %s M=%d: exit %d %s %s" % (name, m, r.returncode, r.stdout[-600:], r.stderr[-600:]))
                fail = 1
                continue
            y = torch.from_numpy(np.load(yp)).reshape(m, n).cuda().double()
            ref = x.double() @ w.double().T
            rel = ((y - ref).norm() / ref.norm()).item()
            ok = rel <= a.rtol and bool(torch.isfinite(y).all())
            fail |= not ok
            print("check %s M=%d N=%d K=%d rel_err=%.2e %s" % (name, m, n, k, rel, "OK" if ok else "FAIL"))
            sys.stdout.flush()
        for m in [int(v) for v in a.time.split(",") if v]:
            x = torch.randn(m, k, device="cuda", generator=gen).to(torch.bfloat16)
            # float16 on disk halves the file; the values are random either way.
            np.save(xp, x.half().cpu().numpy().reshape(1, m, k))
            t0 = time.time()
            r = run([exe, "--arg", xp, "--arg", wp, "--bench", str(a.bench), "--warmup", "2"])
            mm = re.search(r"median ([0-9.]+) ms", r.stdout)
            if r.returncode or not mm:
                print("FAIL time %s M=%d: exit %d %s %s" % (name, m, r.returncode, r.stdout[-400:], r.stderr[-400:]))
                fail = 1
                continue
            ours = float(mm.group(1))
            theirs = torch_ms(x, w, a.bench)
            flop = 2.0 * m * n * k
            # Bytes a kernel must move at least: w, x and y once (bf16).
            nbytes = 2.0 * (n * k + m * k + m * n)
            rows.append((name, m, n, k, ours, flop / ours / 1e9, nbytes / ours / 1e6, theirs, flop / theirs / 1e9,
                         nbytes / theirs / 1e6, theirs / ours))
            print("time %s M=%d ours %.3f ms torch %.3f ms ratio %.2f (%.0fs)" % (name, m, ours, theirs, theirs / ours, time.time() - t0))
            sys.stdout.flush()
            del x
            torch.cuda.empty_cache()
    print()
    print("| exe | M | N | K | ours ms | ours TFLOP/s | ours GB/s | torch ms | torch TFLOP/s | torch GB/s | ours/torch |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %d | %d | %d | %.4f | %.1f | %.0f | %.4f | %.1f | %.0f | %.2f |" % r)
    return fail


if __name__ == "__main__":
    sys.exit(int(main()))
