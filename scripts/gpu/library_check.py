"""Checks a cuda model library (rat-compile --emit shared) through the
in-process Python module on the GPU machine: the golden LM's logits and
greedy tokens, a second generate (its decode graph replayed) with the same
tokens, prefill + decode steps equal to generate, and an argument error
with its status. Needs numpy only (rat.load, python-bindings/ from the
source tree; no build on the GPU machine).

    library_check.py --library .device/library/liblm_tiny_rat.so --golden test/golden/lm_tiny_rat
Prints one line per check; exits 1 on any failure.
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python-bindings"))
import rat  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--library", required=True)
    ap.add_argument("--golden", required=True)
    ap.add_argument("--rtol", type=float, default=1e-4)
    args = ap.parse_args()
    g = args.golden
    meta = json.load(open(os.path.join(g, "meta.json")))
    p, n = meta["greedy_prompt_len"], meta["greedy_new_tokens"]
    tokens = np.load(os.path.join(g, "tokens.npy"))
    failures = 0

    def report(name, ok, detail):
        nonlocal failures
        failures += not ok
        print(f"{name:34s} {'' if ok else 'FAIL '}{detail}")

    with rat.load(args.library, os.path.join(g, "weights.safetensors")) as model:
        logits = model.logits(tokens)
        want = np.load(os.path.join(g, "logits.npy"))
        err = np.linalg.norm(logits - want) / np.linalg.norm(want)
        report("library logits", err <= args.rtol, f"rel_err={err:.3e} ({model.target})")
        greedy = np.load(os.path.join(g, "greedy.npy"))
        first = model.generate(tokens, p, n)
        report("library greedy", np.array_equal(first, greedy),
               f"{int((first != greedy).sum())} tokens differ from the golden")
        second = model.generate(tokens, p, n)
        report("library greedy again (graph)", np.array_equal(second, greedy),
               f"{int((second != greedy).sum())} tokens differ from the golden")
        steps = [int(model.prefill(tokens, p)[0])]
        for i in range(1, n):
            steps.append(int(model.decode_step(np.array([steps[-1]], np.int32), p + i - 1)[0]))
        report("library decode steps", steps == greedy[0, p:].tolist(),
               f"{steps[:4]}... vs generate")
        try:
            model.generate(np.full((1, 4), 10**6, np.int32), 4, 2)
            report("library argument error", False, "no error")
        except rat.RuntimeError as e:
            report("library argument error", e.status == "RAT_ERROR_INVALID_ARGUMENT",
                   f"{e.status}: {e}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
