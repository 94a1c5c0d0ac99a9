"""A PyTorch implementation of the RAT layer (spec sections 1-4), used on the
GPU machine as the float64 reference for large random layers and as the
PyTorch baseline of the benchmarks, and seeded random weights for both.

    rat_layer(x, w, cfg)   x [B,T,D]; w: dict of the checkpoint tensors;
                           cfg: dict with num_head, d_head, ngroups,
                           chunk_size, rms_eps, rope_base
    random_rat_layer(...)  one layer's weights; random_lm_weights(cfg, seed)
                           an LM's, with the reference names
Runs in the dtype of its inputs (float64 for references, bf16 for speed).
"""
import math

import torch

from model_shapes import lm_weight_shapes


def rms_norm(x, w, eps):
    xf = x.float() if x.dtype != torch.float64 else x
    y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return (y * w.to(y.dtype)).to(x.dtype)


def chunk_scan(gate, x, L):
    """h[t] = g h[t-1] + (1-g) x within chunks of L (state restarts)."""
    B, T, N = x.shape
    C = (T + L - 1) // L
    pad = C * L - T
    if pad:
        gate = torch.nn.functional.pad(gate, (0, 0, 0, pad), value=0.0)
        x = torch.nn.functional.pad(x, (0, 0, 0, pad))
    g = gate.view(B, C, L, N)
    u = (1 - g) * x.view(B, C, L, N)
    h = torch.empty_like(u)
    state = torch.zeros_like(u[:, :, 0])
    for i in range(L):
        state = g[:, :, i] * state + u[:, :, i]
        h[:, :, i] = state
    return h.view(B, C * L, N)[:, :T]


def rope(x, L, base):
    """x [B,H,T,Dh] rotated at position t // L (rotate-half)."""
    B, H, T, Dh = x.shape
    pos = (torch.arange(T, device=x.device) // L).to(torch.float64)
    inv = 1.0 / (base ** (torch.arange(0, Dh, 2, device=x.device, dtype=torch.float64) / Dh))
    f = pos[:, None] * inv[None, :]
    cos = torch.cat([f.cos(), f.cos()], -1).to(x.dtype)
    sin = torch.cat([f.sin(), f.sin()], -1).to(x.dtype)
    rot = torch.cat([-x[..., Dh // 2:], x[..., :Dh // 2]], -1)
    return x * cos + rot * sin


def chunk_attention(q, k, v, L, scale):
    """Token t attends to the chunk-final states of earlier chunks and its own."""
    B, H, T, Dh = k.shape
    C = (T + L - 1) // L
    last = torch.clamp(torch.arange(C, device=k.device) * L + L - 1, max=T - 1)
    kc, vc = k[:, :, last], v[:, :, last]                     # [B,H,C,Dh]
    s_chunks = torch.einsum("bhtd,bhcd->bhtc", q, kc) * scale  # [B,H,T,C]
    s_own = (q * k).sum(-1, keepdim=True) * scale              # [B,H,T,1]
    chunk_of = torch.arange(T, device=k.device) // L
    mask = torch.arange(C, device=k.device)[None, :] < chunk_of[:, None]
    s_chunks = s_chunks.masked_fill(~mask, float("-inf"))
    p = torch.softmax(torch.cat([s_chunks, s_own], -1).float() if q.dtype != torch.float64
                      else torch.cat([s_chunks, s_own], -1), -1).to(q.dtype)
    return torch.einsum("bhtc,bhcd->bhtd", p[..., :C], vc) + p[..., C:] * v


def rat_layer(x, w, cfg, prefix=""):
    B, T, D = x.shape
    H, Dh, G, L = cfg["num_head"], cfg["d_head"], cfg["ngroups"], cfg["chunk_size"]
    a = rms_norm(x, w[prefix + "input_norm.weight"], cfg.get("rms_eps", 1e-6))
    proj = a @ w[prefix + "in_proj.weight"].t()
    z, v, g, q, k = torch.split(proj, [D, D, D, G * Dh, G * Dh], -1)
    z = torch.sigmoid(z)
    gate = torch.sigmoid(g + w[prefix + "gate_bias"])
    q = q.repeat(1, 1, H // G)
    k = k.repeat(1, 1, H // G)
    vs, ks = chunk_scan(gate, v, L), chunk_scan(gate, k, L)
    heads = lambda t: t.view(B, T, H, Dh).transpose(1, 2)
    base = cfg.get("rope_base", 10000.0)
    o = chunk_attention(rope(heads(q), L, base), rope(heads(ks), L, base), heads(vs),
                        L, 1.0 / math.sqrt(Dh))
    o = o.transpose(1, 2).reshape(B, T, D)
    return x + (z * o) @ w[prefix + "out_proj.weight"].t()


def random_rat_layer(D, H, Dh, G, seed, device, dtype=torch.float32):
    gen = torch.Generator(device="cpu").manual_seed(seed)
    def r(*shape, scale):
        return (torch.randn(*shape, generator=gen) * scale).to(device=device, dtype=dtype)
    return {
        "input_norm.weight": (1 + 0.1 * torch.randn(D, generator=gen)).to(device=device, dtype=dtype),
        "in_proj.weight": r(3 * D + 2 * G * Dh, D, scale=D ** -0.5),
        "gate_bias": r(D, scale=1.0),
        "out_proj.weight": r(D, D, scale=D ** -0.5),
    }


def random_lm_weights(cfg, seed, device="cuda", dtype=torch.bfloat16):
    """Seeded random weights: norms 1 + 0.1 N(0,1), gate_bias N(0,1),
    matrices N(0, 1/fan_in), embedding N(0, 1). Same seed, same weights."""
    gen = torch.Generator(device=device).manual_seed(seed)
    out = {}
    for name, shape in sorted(lm_weight_shapes(cfg).items()):
        t = torch.randn(*shape, generator=gen, device=device, dtype=torch.float32)
        if len(shape) == 1:
            t = t if name.endswith("gate_bias") else 1 + 0.1 * t
        elif not name.startswith("embedding"):
            t = t * shape[1] ** -0.5
        out[name] = t.to(dtype)
    return out
