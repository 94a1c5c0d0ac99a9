#!/usr/bin/env python3
"""Compile the bundled tiny RAT LM from Python and generate greedily.

    PYTHONPATH=build/python_packages python3 examples/python/generate.py
        [--target cpu|cuda] [--new-tokens 16]

Compiles examples/tiny_rat_lm/model.json into a model library (in-process,
with the rat package), loads it with its weights into this process,
generates 16 tokens after the 16-token prompt
examples/tiny_rat_lm/prompt.npy, prints them and compares the whole
sequence with examples/tiny_rat_lm/expected_greedy.npy (the float64
reference's greedy tokens). Exit status 0 when they match.
"""

import argparse
import os
import sys

import numpy as np

try:
    import rat
except ImportError as e:
    sys.exit(f"error: cannot import the rat package ({e}); build the "
             "RatPythonModule target and set PYTHONPATH=<build>/python_packages "
             "(python-bindings/README.md)")

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "tiny_rat_lm")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--new-tokens", type=int, default=16)
    args = parser.parse_args()

    model = rat.compile(os.path.join(MODEL, "model.json"), target=args.target,
                        max_seq_len=64)
    print(f"compiled: {model.kind} model, target {model.target}, "
          f"library {os.path.basename(model.path)}")

    prompt = np.load(os.path.join(MODEL, "prompt.npy"))  # [1, 16] int32
    prompt_len = prompt.shape[1]
    with model.load(os.path.join(MODEL, "weights.safetensors")) as loaded:
        out = loaded.generate(prompt, prompt_len, args.new_tokens)
    print("prompt:   ", " ".join(map(str, out[0, :prompt_len])))
    print("generated:", " ".join(map(str, out[0, prompt_len:])))

    expected = np.load(os.path.join(MODEL, "expected_greedy.npy"))
    n = min(out.shape[1], expected.shape[1])
    if out.shape[1] > expected.shape[1]:
        print(f"note: the reference has only {expected.shape[1] - prompt_len} "
              "generated tokens; comparing those")
    if np.array_equal(out[:, :n], expected[:, :n]):
        print(f"match: {n - prompt_len} generated tokens equal the reference")
        return 0
    print("MISMATCH with expected_greedy.npy:",
          " ".join(map(str, expected[0, prompt_len:n])))
    return 1


if __name__ == "__main__":
    sys.exit(main())
