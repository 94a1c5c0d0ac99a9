"""Checks a compiled rat_layer executable on a random layer against a float64
PyTorch reference (scripts/shared/rat_torch.py), on the GPU machine.

    random_layer_check.py --exe .device/rat_layer_2048 --batch 2 --tokens 1000
        [--config benchmarks/configs/rat_layer_2048.json] [--seed 0] [--work DIR]
Prints `rel_err=... max_abs=... OK` last; exits 1 above --rtol.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "shared"))
import rat_torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--config", default=os.path.join(HERE, "..", "..", "benchmarks", "configs",
                                                     "rat_layer_2048.json"))
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rtol", type=float, default=1e-5)
    ap.add_argument("--work", default="/tmp")
    a = ap.parse_args()
    cfg = json.load(open(a.config))
    D, H, Dh, G = cfg["d_model"], cfg["num_head"], cfg["d_head"], cfg["ngroups"]
    w = rat_torch.random_rat_layer(D, H, Dh, G, a.seed, "cpu")
    tag = "%d_%d_%d" % (a.batch, a.tokens, a.seed)
    wpath = os.path.join(a.work, "w_%s.safetensors" % tag)
    xpath = os.path.join(a.work, "x_%s.npy" % tag)
    ypath = os.path.join(a.work, "y_%s.npy" % tag)
    save_file({k: v.contiguous() for k, v in w.items()}, wpath)
    gen = torch.Generator().manual_seed(a.seed + 1)
    x = torch.randn(a.batch, a.tokens, D, generator=gen)
    np.save(xpath, x.numpy())
    r = subprocess.run([a.exe, "--weights", wpath, "--input", xpath, "--output", ypath, "-v"],
                       capture_output=True, text=True)
    print(r.stdout[-2000:], r.stderr[-2000:])
    if r.returncode != 0:
        print("executable failed with exit code", r.returncode)
        return 1
    dev = "cuda"
    w64 = {k: v.to(dev, torch.float64) for k, v in w.items()}
    ref = rat_torch.rat_layer(x.to(dev, torch.float64), w64, cfg).cpu().numpy()
    y = np.load(ypath).astype(np.float64)
    if y.shape != ref.shape or not np.isfinite(y).all():
        print("bad output: shape", y.shape, "finite", np.isfinite(y).all())
        return 1
    rel = np.linalg.norm(y - ref) / np.linalg.norm(ref)
    mx = np.abs(y - ref).max()
    ok = rel <= a.rtol
    print("B=%d T=%d D=%d: rel_err=%.3e max_abs=%.3e %s" % (a.batch, a.tokens, D, rel, mx, "OK" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
