#!/usr/bin/python3
"""Inputs and the float64 reference output of Inputs/ops.mlir (@mix).

  ops_ref.py OUT_DIR OFFSET

Writes OUT_DIR/x.npy, w.npy, gate.npy and expected.npy =
chunk_scan(gate, rope(rms_norm(x, w), (OFFSET + t) // 4), 4).
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "..", "Integration", "reference"))
import ratref as R  # noqa: E402

out, offset = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 3, 10, 8)).astype(np.float32)
w = (1 + 0.3 * rng.standard_normal(8)).astype(np.float32)
g = R.sigmoid(rng.standard_normal((2, 3, 10, 8))).astype(np.float32)
y = R.chunk_scan(g, R.rope(R.rms_norm(x, w, 1e-6),
                           R.rope_positions(10, 4, offset), 10000.0), 4)
for name, a in (("x", x), ("w", w), ("gate", g), ("expected", y)):
    np.save(os.path.join(out, name + ".npy"), np.asarray(a, np.float32))
