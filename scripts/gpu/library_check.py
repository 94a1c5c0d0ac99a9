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

    def run(name, check):
        """Reports `check()` -> (ok, detail); an exception is a failure."""
        try:
            ok, detail = check()
        except Exception as e:  # noqa: BLE001 (reported, counted)
            ok, detail = False, f"{type(e).__name__}: {e}"
        report(name, ok, detail)

    greedy = np.load(os.path.join(g, "greedy.npy"))
    want = np.load(os.path.join(g, "logits.npy"))

    def logits():
        err = np.linalg.norm(model.logits(tokens) - want) / np.linalg.norm(want)
        return err <= args.rtol, f"rel_err={err:.3e} ({model.target})"

    def generate():
        out = model.generate(tokens, p, n)
        return np.array_equal(out, greedy), f"{int((out != greedy).sum())} tokens differ from the golden"

    def steps():
        # Every sequence of the golden's batch, one decode step at a time.
        got = [np.asarray(model.prefill(tokens, p)).reshape(-1).astype(np.int32)]
        for i in range(1, n):
            got.append(np.asarray(model.decode_step(got[-1], p + i - 1)).reshape(-1).astype(np.int32))
        got = np.stack(got, axis=1)
        return np.array_equal(got, greedy[:, p:]), f"{got[0, :4].tolist()}... vs the golden {greedy[0, p:p + 4].tolist()}..."

    def argument_error():
        try:
            model.generate(np.full((1, 4), 10**6, np.int32), 4, 2)
        except rat.RuntimeError as e:
            return e.status == "RAT_ERROR_INVALID_ARGUMENT", f"{e.status}: {e}"
        return False, "no error"

    with rat.load(args.library, os.path.join(g, "weights.safetensors")) as model:
        run("library logits", logits)
        run("library greedy", generate)
        run("library greedy again (graph)", generate)
        run("library decode steps", steps)
        run("library argument error", argument_error)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
