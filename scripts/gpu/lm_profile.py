#!/usr/bin/env python3
"""Where the time of a 1.3B LM decode step goes (runs on the GPU machine).

Writes seeded random bf16 weights (scripts/shared/rat_torch.py), times
generation at a few batch sizes (the executable's --bench medians), and runs
ncu over one short generation at one batch to list the device time of every
kernel of one decode step, grouped by kernel and labelled by the executable's
kernel map (NAME.kernels.tsv from benchmarks/build.sh). Builds nothing.

  python3 scripts/gpu/lm_profile.py --exe .device/bench/lm_rat_1p3b \
      --batches 1,64,256 --prompt 256 --ncu-batch 64 --out $OUT
"""
import argparse
import re
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "shared"))
import run_output  # noqa: E402  (parse_bench, parse_ncu_csv, read_kernel_map, find_ncu)


def run(cmd, log, timeout):
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    with open(log, "w") as f:
        f.write(" ".join(cmd) + "\n" + p.stdout)
    return p.returncode, p.stdout, time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--batches", default="1,64")
    ap.add_argument("--prompt", type=int, default=256)
    ap.add_argument("--generate", type=int, default=32)
    ap.add_argument("--ncu-batch", type=int, default=64)
    ap.add_argument("--ncu-prompt", type=int, default=0, help="prompt length of the ncu run (default --prompt)")
    ap.add_argument("--out", default="/tmp/lm_profile")
    ap.add_argument("--work", default="/tmp/lm_profile_work")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    import numpy as np
    import torch
    import rat_torch
    from safetensors.torch import save_file
    cfg = json.load(open(args.exe + ".config.json"))
    wpath = os.path.join(args.work, "w.safetensors")
    w = rat_torch.random_lm_weights(cfg, 11, "cuda", torch.bfloat16)
    save_file({k: v.cpu() for k, v in w.items()}, wpath)
    del w
    torch.cuda.empty_cache()
    name = os.path.basename(args.exe)
    print("| %s B | prompt | ms/step (median) | decode tok/s | prefill ms | peak |" % name)
    print("|---|---|---|---|---|---|")
    for B in [int(b) for b in args.batches.split(",")]:
        toks = np.random.default_rng(B).integers(0, cfg["vocab_size"], (B, args.prompt)).astype(np.int32)
        tp = os.path.join(args.work, "t.npy")
        np.save(tp, toks)
        rc, out, secs = run([args.exe, "--weights", wpath, "--tokens", tp, "--generate", str(args.generate),
                             "--output", os.path.join(args.work, "g.npy"), "-v", "--bench", "1",
                             "--warmup", "0"], os.path.join(args.out, "gen_B%d.log" % B), 300)
        b = run_output.parse_bench(out)
        peak = [l for l in out.splitlines() if "peak" in l.lower()]
        if rc != 0 or "decode" not in b:
            print("| %d | %d | FAIL rc=%d: %s | | | |" % (B, args.prompt, rc, out.strip().splitlines()[-1:]))
            continue
        step = b["decode"]["ms"]
        print("| %d | %d | %.4f | %.0f | %.1f | %s |" % (B, args.prompt, step, B / step * 1e3,
                                                        b.get("prefill", {}).get("ms", float("nan")),
                                                        peak[-1].split("]")[-1].strip() if peak else "-"))
        sys.stdout.flush()

    ncu = run_output.find_ncu()
    if args.ncu_batch <= 0:
        return
    if not ncu:
        print("ncu not found; no per-kernel table")
        return
    kmap = run_output.read_kernel_map(args.exe + ".kernels.tsv")
    B = args.ncu_batch
    # Kernels per decode step: the graph capture line of the timed run at B.
    per = None
    try:
        m = re.search(r"captured entry 'decode' \((\d+) kernels", open(os.path.join(args.out, "gen_B%d.log" % B)).read())
        per = int(m.group(1)) if m else None
    except OSError:
        pass
    if not per:
        print("no decode kernel count for B=%d (put it in --batches); no per-kernel table" % B)
        return
    P = args.ncu_prompt or args.prompt
    toks = np.random.default_rng(B).integers(0, cfg["vocab_size"], (B, P)).astype(np.int32)
    tp = os.path.join(args.work, "t.npy")
    np.save(tp, toks)
    cmd = [ncu, "--clock-control", "none", "--metrics", "gpu__time_duration.sum", "--csv",
           "--print-units", "base", args.exe, "--weights", wpath, "--tokens", tp, "--generate", "3",
           "--output", os.path.join(args.work, "g.npy"), "--no-graphs"]
    rc, out, secs = run(cmd, os.path.join(args.work, "ncu.log"), 500)
    ks = run_output.parse_ncu_csv(out)
    print("ncu: rc %d, %d kernels, %.0f s; the last %d are one decode step" % (rc, len(ks), secs, per))
    one = ks[-per:]
    total = sum(k["ns"] for k in one) / 1e3
    groups = {}
    for k in one:
        cls, detail = kmap.get(k["kernel"], ("?", ""))
        key = (k["kernel"], cls, detail, k["grid"], k["block"])
        g = groups.setdefault(key, [0.0, 0])
        g[0] += k["ns"] / 1e3
        g[1] += 1
    print("\nncu, one decode step at B=%d after a %d-token prompt: %d kernels, %.1f us of kernel time"
          % (B, P, len(one), total))
    print("| kernel | class | detail | grid | block | launches | us total | us each | share |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key, (us, n) in sorted(groups.items(), key=lambda kv: -kv[1][0]):
        print("| %s | %s | %s | %s | %s | %d | %.1f | %.2f | %.1f%% |" % (key + (n, us, us / n, 100 * us / total)))


if __name__ == "__main__":
    main()
