#!/usr/bin/env python3
"""Decode-step logits of compiled LM libraries against a reference (runs on
the GPU machine; numpy only, through python-bindings/ over the C API).

Each library (`rat-compile --emit shared`) runs the prompt, then one decode
step per remaining token of the sequence, fed the sequence's own token
(teacher forcing), and returns each step's logits. They are compared with
the reference logits at the same positions: the golden's logits.npy
(--golden DIR, the f32 reference of the RAT authors' code), or the float64
numpy reference of test/Integration/reference/ratref.py on seeded random
weights (--random CONFIG.json). Prints, per library, the relative L2 error
of the prompt logits and of the decode-step logits and the share of
positions whose argmax matches the reference; then every pair of libraries
against each other. Exit 1 when an error is above --rtol, or, with
--baseline NAME, when another library's decode error exceeds the
baseline's by more than --slack (relative): a change in how a kernel
rounds may move greedy tokens of a tiny random model, but must not make
the logits worse.

  decode_logits_check.py --golden test/golden/lm_tiny_rat \
      --library new=liblm.so --library old=liblm.old.so --baseline old
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "python-bindings"))
sys.path.insert(0, os.path.join(ROOT, "test", "Integration", "reference"))
sys.path.insert(0, os.path.join(HERE, "..", "shared"))


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm((a - b).ravel()) / max(np.linalg.norm(b.ravel()), 1e-300))


def main():
    ap = argparse.ArgumentParser()
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--golden", help="golden folder (meta.json, weights, tokens.npy, logits.npy)")
    src.add_argument("--random", help="model config JSON: seeded random weights, float64 reference")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=48, help="--random: sequence length")
    ap.add_argument("--prompt", type=int, default=0, help="prompt length (default: golden's greedy_prompt_len, else T/2)")
    ap.add_argument("--library", action="append", required=True, help="NAME=PATH")
    ap.add_argument("--rtol", type=float, default=2e-2)
    ap.add_argument("--baseline", help="NAME of the library the others must not be worse than")
    ap.add_argument("--slack", type=float, default=0.1)
    ap.add_argument("--work", default="/tmp/decode_logits_check")
    args = ap.parse_args()
    import rat
    import ratref

    if args.golden:
        meta = json.load(open(os.path.join(args.golden, "meta.json")))
        weights = os.path.join(args.golden, "weights.safetensors")
        tokens = np.load(os.path.join(args.golden, "tokens.npy")).astype(np.int32)
        want = np.load(os.path.join(args.golden, "logits.npy"))
        prompt = args.prompt or int(meta.get("greedy_prompt_len", tokens.shape[1] // 2))
        what = os.path.basename(os.path.normpath(args.golden))
    else:
        import random_weights
        meta = json.load(open(args.random))
        os.makedirs(args.work, exist_ok=True)
        w = random_weights.random_lm_np(meta, args.seed)
        weights = os.path.join(args.work, "random_lm.safetensors")
        ratref.write_safetensors(weights, w)
        rng = np.random.default_rng(args.seed)
        tokens = rng.integers(0, meta["vocab_size"], (1, args.tokens)).astype(np.int32)
        want = ratref.lm_forward(tokens, w, ratref.Cfg(meta))
        prompt = args.prompt or args.tokens // 2
        what = "random %s (%d layers, D %d)" % (os.path.basename(args.random), meta["num_layers"], meta["d_model"])
    T = tokens.shape[1]
    print("%s: prompt %d, decode steps at positions %d..%d" % (what, prompt, prompt, T - 1))
    fail = 0
    steps = {}
    for spec in args.library:
        name, path = spec.split("=", 1)
        with rat.load(path, weights) as model:
            pre = model.logits(tokens, prompt)
            got = []
            for t in range(prompt, T):
                _, lg = model.decode_step(tokens[:, t], t, logits=True)
                got.append(np.asarray(lg)[:, 0])
        got = np.stack(got, axis=1)
        steps[name] = got
        ref = want[:, prompt:T]
        e_pre, e_dec = rel(pre, want[:, :prompt]), rel(got, ref)
        top1 = float((got.argmax(-1) == ref.argmax(-1)).mean())
        bad = e_dec > args.rtol or e_pre > args.rtol
        fail |= bad
        print("%-10s prompt logits rel_err %.3e  decode-step logits rel_err %.3e  top-1 vs reference %5.1f%%  %s"
              % (name, e_pre, e_dec, 100 * top1, "FAIL (rtol %g)" % args.rtol if bad else "OK"))
    names = list(steps)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            print("%-10s vs %-10s decode-step logits rel_err %.3e, top-1 equal %5.1f%%"
                  % (a, b, rel(steps[a], steps[b]), 100 * float((steps[a].argmax(-1) == steps[b].argmax(-1)).mean())))
    if args.baseline:
        ref = want[:, prompt:T]
        base = rel(steps[args.baseline], ref)
        for name in names:
            e = rel(steps[name], ref)
            if name != args.baseline and e > base * (1 + args.slack):
                print("FAIL %s decode error %.3e > %s's %.3e by more than %g" % (name, e, args.baseline, base, args.slack))
                fail = 1
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
