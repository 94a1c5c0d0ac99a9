#!/usr/bin/python3
"""Inputs and float64 reference outputs of Inputs/dynamic_ops.mlir (@ops).

  dynamic_ops_ref.py OUT_DIR

Writes OUT_DIR/<arg>.npy for every tensor argument, args.txt (the executable's
--arg/--index/--result flags in order) and expected_<result>.npy. Shapes
exercise what the static tests do not: grouped heads whose counts are only
known at run time (H = 6 heads, 3 query groups, 2 key groups), ragged chunks
(T = 11, L = 4) and a decode step in the middle of a chunk.
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "..", "reference"))
import ratref as R  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
B, T, D, H, GQ, GK, DV, ROWS = 2, 11, 12, 6, 3, 2, 8, 5
OFFSET, POS = 3, 9


def randn(*shape):
    return rng.standard_normal(shape).astype(np.float32)


args = {
    "x": randn(B, T, D),
    "w": (1 + 0.3 * randn(D)).astype(np.float32),
    "gate": R.sigmoid(randn(B, T, D)).astype(np.float32),
    "r": randn(B, H, T, 16),
    "q": randn(B, GQ, T, 16),
    "k": randn(B, GK, T, 16),
    "v": randn(B, H, T, DV),
    "gs": R.sigmoid(randn(B, D)).astype(np.float32),
    "xs": randn(B, D),
    "ss": randn(B, D),
    "qt": randn(B, GQ, 16),
    "kt": randn(B, H, 16),
    "vt": randn(B, H, DV),
    "kc": randn(B, H, ROWS, 16),
    "vc": randn(B, H, ROWS, DV),
}


def window_attention_step(q, k, v, kc, vc, p, window):
    """Ring cache of R rows: token s lives in row s % R; the step writes row
    p % R and attends to tokens max(0, p - W) .. p."""
    kc, vc = R.f64(kc).copy(), R.f64(vc).copy()
    rows = kc.shape[2]
    kc[:, :, p % rows] = R.f64(k)
    vc[:, :, p % rows] = R.f64(v)
    lo = 0 if window == 0 else max(0, p - window)
    idx = [s % rows for s in range(lo, p + 1)]
    q = R.f64(q)
    outs = np.zeros((q.shape[0], kc.shape[1], vc.shape[-1]))
    for h in range(kc.shape[1]):
        outs[:, h] = R._softmax_attend(q[:, h % q.shape[1]], kc[:, h, idx],
                                       vc[:, h, idx], q.shape[-1] ** -0.5)
    return outs, kc, vc


a = args
chunk_step = R.chunk_attention_step(a["qt"], a["kt"], a["vt"], a["kc"],
                                    a["vc"], POS, 4)
window_step = window_attention_step(a["qt"], a["kt"], a["vt"], a["kc"],
                                    a["vc"], POS, 2)
expected = {
    "norm": R.rms_norm(a["x"], a["w"], 1e-6),
    "rope": R.rope(a["r"], R.rope_positions(T, 3, OFFSET), 10000.0),
    "scan": R.chunk_scan(a["gate"], a["x"], 4),
    "chunk_attention": R.chunk_attention(a["q"], a["k"], a["v"], 4),
    "window_attention": R.window_attention(a["q"], a["k"], a["v"], 3),
    "scan_step": R.chunk_scan_step(a["gs"], a["xs"], a["ss"], POS, 4),
    "chunk_step": chunk_step[0],
    "chunk_step_kc": chunk_step[1],
    "chunk_step_vc": chunk_step[2],
    "window_step": window_step[0],
    "window_step_kc": window_step[1],
    "window_step_vc": window_step[2],
}
flags = []
for name, value in args.items():
    path = os.path.join(out, name + ".npy")
    np.save(path, value)
    flags += ["--arg", path]
flags += ["--index", str(OFFSET), "--index", str(POS)]
for name, value in expected.items():
    np.save(os.path.join(out, "expected_" + name + ".npy"),
            np.asarray(value, np.float32))
    flags += ["--result", os.path.join(out, name + ".npy")]
with open(os.path.join(out, "args.txt"), "w") as f:
    f.write(" ".join(flags) + "\n")
