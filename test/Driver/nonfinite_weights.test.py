"""Writes nan.safetensors (NaN, NaN and -Inf in in_proj.weight) and
big.safetensors (1e6, past the f16 range, in out_proj.weight) from a golden
checkpoint, for nonfinite_weights.test.

  nonfinite_weights.test.py WEIGHTS OUT_DIR REFERENCE_DIR
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[3])
import numpy as np  # noqa: E402
import ratref as R  # noqa: E402

weights, out = sys.argv[1], sys.argv[2]
tensors = R.read_safetensors(weights)
nan = {k: np.array(v) for k, v in tensors.items()}
w = nan["in_proj.weight"]
w[3, 5] = np.nan
w[3, 7] = -np.inf
w[10, 0] = np.nan
R.write_safetensors(os.path.join(out, "nan.safetensors"), nan)
big = {k: np.array(v) for k, v in tensors.items()}
big["out_proj.weight"][0, 1] = 1e6
R.write_safetensors(os.path.join(out, "big.safetensors"), big)
