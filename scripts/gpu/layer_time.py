#!/usr/bin/env python3
"""Times our paper-scale layer prefill alone (runs on the GPU machine):
seeded random bf16 weights, random inputs, the executable's --bench median
and its -v peak device memory, per (B, T). Builds nothing; no PyTorch needed.

  python3 scripts/gpu/layer_time.py --exe .device/bench/rat_layer_prefill \
      --cases 16x16384,2x131072 --bench 5
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "shared"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "Integration", "reference"))
from random_weights import random_layer_np  # noqa: E402
from run_output import parse_bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--cases", default="16x16384,2x131072")
    ap.add_argument("--bench", type=int, default=5)
    ap.add_argument("--work", default="/tmp/layer_time")
    args = ap.parse_args()
    import json
    import numpy as np
    import ratref
    os.makedirs(args.work, exist_ok=True)
    cfg = json.load(open(args.exe + ".config.json"))
    D = cfg["d_model"]
    wpath = os.path.join(args.work, "w.safetensors")
    ratref.write_safetensors(wpath, random_layer_np(cfg, 0))
    print("| B x T | median ms | tokens/s | peak device memory |")
    print("|---|---|---|---|")
    for case in args.cases.split(","):
        B, T = (int(v) for v in case.split("x"))
        x = os.path.join(args.work, "x.npy")
        np.save(x, np.random.default_rng(B * T).standard_normal((B, T, D), dtype=np.float32).astype(np.float16))
        y = os.path.join(args.work, "y.npy")
        p = subprocess.run([args.exe, "--weights", wpath, "--input", x, "--output", y, "-v", "--bench",
                            str(args.bench), "--warmup", "1"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=400)
        b = parse_bench(p.stdout).get("prefill")
        peak = [l for l in p.stdout.splitlines() if "peak" in l]
        if p.returncode or not b:
            print("| %d x %d | FAIL rc=%d %s | | |" % (B, T, p.returncode, p.stdout.strip().splitlines()[-1:]))
            continue
        yv = np.load(y)
        ok = np.isfinite(yv).all()
        print("| %d x %d | %.2f | %.0f | %s%s |" % (B, T, b["ms"], b["tokens_per_s"] or 0,
                                                   peak[-1].split("]")[-1].strip() if peak else "-",
                                                   "" if ok else " (NON-FINITE OUTPUT)"))
        sys.stdout.flush()
        for f in (x, y):
            os.remove(f)


if __name__ == "__main__":
    main()
