"""Seeded random weights with the reference checkpoint names, in numpy:
float32 arrays holding bf16 values (benchmarks/bench.py, scripts/gpu/).
The torch generator of the same recipe is rat_torch.random_lm_weights."""
from model_shapes import layer_dims, lm_weight_shapes


def round_bf16(a):
    """float32 array rounded to the nearest bfloat16 (ties to even), as float32."""
    import numpy as np
    a = np.ascontiguousarray(a, dtype=np.float32)
    u = a.view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    return r.view(np.float32)


def random_layer_np(cfg, seed):
    """Seeded random RAT layer weights (float32 arrays of bf16 values)."""
    import numpy as np
    D, H, Dh, G, L = layer_dims(cfg)
    rng = np.random.default_rng(seed)
    P = 3 * D + 2 * G * Dh
    w = {"input_norm.weight": 1 + 0.1 * rng.standard_normal(D, dtype=np.float32),
         "in_proj.weight": rng.standard_normal((P, D), dtype=np.float32) * D ** -0.5,
         "gate_bias": rng.standard_normal(D, dtype=np.float32),
         "out_proj.weight": rng.standard_normal((D, D), dtype=np.float32) * D ** -0.5}
    return {k: round_bf16(v) for k, v in w.items()}


def random_lm_np(cfg, seed):
    """Tiny-LM weights for the CPU dry run (same recipe as
    rat_torch.random_lm_weights, numpy generator)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    shapes = lm_weight_shapes(cfg)
    w = {}
    for name, shape in sorted(shapes.items()):
        t = rng.standard_normal(shape, dtype=np.float32)
        if len(shape) == 1:
            t = t if name.endswith("gate_bias") else 1 + 0.1 * t
        elif not name.startswith("embedding"):
            t = t * shape[1] ** -0.5
        w[name] = round_bf16(t)
    return w
