#!/usr/bin/python3
"""Write a randomized per-op test case: .npy inputs + float64-reference outputs.

  make_case.py OP [--shape S] [--chunk L] [--seed N] [options] --out DIR
  make_case.py suite --out DIR [--seed N]

The inputs are drawn with numpy's default_rng(seed), rounded to float32 and
saved; the expected outputs are computed in float64 by
test/Integration/reference/ratref.py from those float32 values and saved as
float32. DIR/case.json describes the case: op, attributes (names as in
RatOps.td), input and output files with shapes, and the seed. Compare a
result with test/Integration/reference/compare.py OUT.npy DIR/output.npy.

Ops and their files (shapes use --shape; all float32):

  rms_norm          --shape ...,D [--eps 1e-6]
                    in: input [...,D], weight [D]          out: output
  rope              --shape ...,T,Dh [--chunk L] [--offset P] [--base B]
                    position of token t = (P + t) // L  (L = 1: token index,
                    L > 1: chunk index)
                    in: input                              out: output
  chunk_scan        --shape ...,T,N --chunk L
                    in: gate (sigmoid of randn, in (0,1)), input  out: output
  chunk_attention   --shape B,H,T,Dh --chunk L [--q-heads Hq] [--k-heads Hk]
                    [--dv Dv] [--offset P] [--tq Tq] [--scale S]
                    in: query [B,Hq,Tq,Dh], key [B,Hk,T,Dh], value [B,H,T,Dv]
                    out: output [B,H,Tq,Dv]; query t sits at position P + t
                    (Tq defaults to T - P); head h uses query head h % Hq and
                    key head h % Hk
  window_attention  as chunk_attention with --window W instead of --chunk
                    (W = 0: full causal; query s sees keys s-W <= r <= s)
  chunk_scan_step   --shape ...,T,N --chunk L [--offset P]
                    T decode steps at positions P..P+T-1.
                    in: gate, input [...,T,N] (step i uses [..., i, :]),
                        state0 [...,N] (the scan state at position P-1; zeros
                        when P = 0)
                    out: output [...,T,N] (the new state after step i at
                    [..., i, :]); equals chunk_scan over the whole sequence
                    (checked here in float64)
  chunk_attention_step  --shape B,H,T,Dh --chunk L [--q-heads Hq] [--dv Dv]
                    [--offset P] [--cache-rows C] [--scale S]
                    T decode steps at positions P..P+T-1.
                    in: query [B,Hq,T,Dh], key [B,H,T,Dh], value [B,H,T,Dv]
                        (step i uses [:, :, i]), key_cache0 [B,H,C,Dh],
                        value_cache0 [B,H,C,Dv] (the caches after position
                        P-1; rows not yet written hold random garbage that a
                        correct step never reads)
                    out: output [B,H,T,Dv] (step i at [:, :, i]),
                        key_cache [B,H,C,Dh], value_cache [B,H,C,Dv] (after
                        the last step); output equals chunk_attention over
                        the whole sequence with offset P (checked here)
  window_attention_step --shape B,H,T,Dh --window W [--q-heads Hq] [--dv Dv]
                    [--offset P] [--cache-rows R] [--scale S]
                    T decode steps at positions P..P+T-1 with ring caches of
                    R rows (default W + 1, or P + T for W = 0): token s in
                    row s mod R. in: query, key, value as above, key_cache0
                    [B,H,R,Dh], value_cache0 [B,H,R,Dv] (the ring after
                    position P-1). out: output [B,H,T,Dv] (equals
                    window_attention over the sequence), key_cache,
                    value_cache.

  suite             writes DIR/<op>_L<l>_T<t>/ for every op, chunk sizes 1, 3,
                    16 and T < L, T = L, T = C*L + 1 (plus offset cases).

Examples:
  make_case.py chunk_scan --shape 2,37,24 --chunk 3 --seed 5 --out /tmp/cs
  make_case.py chunk_attention --shape 2,4,33,16 --q-heads 2 --chunk 16 --out D
  make_case.py rope --shape 2,4,20,16 --chunk 1 --offset 7 --out D
"""

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(
    os.path.join(HERE, "..", "..", "test", "Integration", "reference")))
import ratref as R  # noqa: E402

OPS = ["rms_norm", "rope", "chunk_scan", "chunk_attention", "window_attention",
       "chunk_scan_step", "chunk_attention_step", "window_attention_step"]


def f32(a):
    return np.asarray(a, dtype=np.float32)


def parse_shape(s):
    try:
        shape = [int(v) for v in s.split(",") if v.strip()]
    except ValueError:
        raise SystemExit(f"error: --shape {s!r}: expected comma-separated ints")
    if not shape or any(v <= 0 for v in shape):
        raise SystemExit(f"error: --shape {s!r}: dimensions must be positive")
    return shape


def _need_rank(op, shape, rank=None, min_rank=None):
    if rank is not None and len(shape) != rank:
        raise SystemExit(f"error: {op}: --shape needs {rank} dims, got {shape}")
    if min_rank is not None and len(shape) < min_rank:
        raise SystemExit(f"error: {op}: --shape needs >= {min_rank} dims")


def build(op, a, rng):
    """Returns (attrs, inputs {name: f32 array}, outputs {name: f32 array})."""
    shape = parse_shape(a.shape)
    L = a.chunk
    if L < 1:
        raise SystemExit("error: --chunk must be >= 1")
    if op == "rms_norm":
        x = f32(rng.standard_normal(shape) * 2.0)
        w = f32(1.0 + 0.3 * rng.standard_normal(shape[-1:]))
        y = R.rms_norm(x, w, a.eps)
        return {"epsilon": a.eps}, {"input": x, "weight": w}, {"output": y}

    if op == "rope":
        _need_rank(op, shape, min_rank=2)
        if shape[-1] % 2:
            raise SystemExit("error: rope: Dh (last dim) must be even")
        x = f32(rng.standard_normal(shape))
        pos = R.rope_positions(shape[-2], L, a.offset)
        y = R.rope(x, pos, a.base)
        return ({"chunk_size": L, "base": a.base, "offset": a.offset},
                {"input": x}, {"output": y})

    if op == "chunk_scan":
        _need_rank(op, shape, min_rank=2)
        g = f32(R.sigmoid(rng.standard_normal(shape)))
        x = f32(rng.standard_normal(shape))
        return ({"chunk_size": L}, {"gate": g, "input": x},
                {"output": R.chunk_scan(g, x, L)})

    if op in ("chunk_attention", "window_attention"):
        _need_rank(op, shape, rank=4)
        B, H, T, Dh = shape
        Hq, Hk = a.q_heads or H, a.k_heads or H
        Dv = a.dv or Dh
        if H % Hq or H % Hk:
            raise SystemExit("error: --q-heads and --k-heads must divide H")
        P = a.offset
        Tq = a.tq if a.tq is not None else T - P
        if P < 0 or Tq < 1 or P + Tq > T:
            raise SystemExit("error: need 0 <= offset, 1 <= tq, offset+tq <= T")
        q = f32(rng.standard_normal((B, Hq, Tq, Dh)))
        k = f32(rng.standard_normal((B, Hk, T, Dh)))
        v = f32(rng.standard_normal((B, H, T, Dv)))
        scale = a.scale if a.scale is not None else Dh ** -0.5
        attrs = {"scale": scale, "offset": P}
        if op == "chunk_attention":
            attrs["chunk_size"] = L
            o = R.chunk_attention(q, k, v, L, scale, P)
        else:
            attrs["window"] = a.window
            o = R.window_attention(q, k, v, a.window, scale, P)
        return attrs, {"query": q, "key": k, "value": v}, {"output": o}

    if op == "chunk_scan_step":
        _need_rank(op, shape, min_rank=2)
        P, T = a.offset, shape[-2]
        full = list(shape)
        full[-2] = P + T
        g = f32(R.sigmoid(rng.standard_normal(full)))
        x = f32(rng.standard_normal(full))
        ref = R.chunk_scan(g, x, L)  # prefill semantics, whole sequence
        state = np.zeros(shape[:-2] + shape[-1:])
        for p in range(P):
            state = R.chunk_scan_step(g[..., p, :], x[..., p, :], state, p, L)
        state0 = state
        outs = []
        for p in range(P, P + T):
            state = R.chunk_scan_step(g[..., p, :], x[..., p, :], state, p, L)
            outs.append(state)
        out = np.stack(outs, axis=-2)
        err = np.max(np.abs(out - ref[..., P:, :]))
        assert err < 1e-12, f"step vs prefill mismatch {err}"
        return ({"chunk_size": L, "offset": P, "steps": T,
                 "positions": f"{P}..{P + T - 1}"},
                {"gate": g[..., P:, :], "input": x[..., P:, :],
                 "state0": state0},
                {"output": out})

    if op == "chunk_attention_step":
        _need_rank(op, shape, rank=4)
        B, H, T, Dh = shape
        Hq = a.q_heads or H
        Dv = a.dv or Dh
        if H % Hq:
            raise SystemExit("error: --q-heads must divide H")
        P = a.offset
        N = P + T
        C = a.cache_rows or -(-N // L)
        if (N - 1) // L >= C:
            raise SystemExit(f"error: --cache-rows {C} < chunks needed "
                             f"{(N - 1) // L + 1}")
        q = f32(rng.standard_normal((B, Hq, N, Dh)))
        k = f32(rng.standard_normal((B, H, N, Dh)))
        v = f32(rng.standard_normal((B, H, N, Dv)))
        scale = a.scale if a.scale is not None else Dh ** -0.5
        ref = R.chunk_attention(q[:, :, P:], k, v, L, scale, P)
        kc = f32(rng.standard_normal((B, H, C, Dh)) * 10.0)  # garbage rows
        vc = f32(rng.standard_normal((B, H, C, Dv)) * 10.0)
        kc, vc = R.f64(kc), R.f64(vc)
        for p in range(P):
            _, kc, vc = R.chunk_attention_step(q[:, :, p], k[:, :, p],
                                               v[:, :, p], kc, vc, p, L, scale)
        kc0, vc0 = kc, vc
        outs = []
        for p in range(P, N):
            o, kc, vc = R.chunk_attention_step(q[:, :, p], k[:, :, p],
                                               v[:, :, p], kc, vc, p, L, scale)
            outs.append(o)
        out = np.stack(outs, axis=2)
        err = np.max(np.abs(out - ref))
        assert err < 1e-12, f"step vs prefill mismatch {err}"
        return ({"chunk_size": L, "scale": scale, "offset": P, "steps": T,
                 "cache_rows": C, "positions": f"{P}..{N - 1}"},
                {"query": q[:, :, P:], "key": k[:, :, P:], "value": v[:, :, P:],
                 "key_cache0": kc0, "value_cache0": vc0},
                {"output": out, "key_cache": kc, "value_cache": vc})

    if op == "window_attention_step":
        # Decode with a ring cache of R rows (token s in row s mod R): T
        # steps at positions P..P+T-1 must equal window_attention (float64).
        _need_rank(op, shape, rank=4)
        B, H, T, Dh = shape
        Hq = a.q_heads or H
        Dv = a.dv or Dh
        W = a.window
        P = a.offset
        N = P + T
        Rows = a.cache_rows or (W + 1 if W else N)
        if (W and Rows < W + 1) or (not W and Rows < N):
            raise SystemExit(f"error: --cache-rows {Rows} cannot hold the "
                             "attended tokens")
        q = f32(rng.standard_normal((B, Hq, N, Dh)))
        k = f32(rng.standard_normal((B, H, N, Dh)))
        v = f32(rng.standard_normal((B, H, N, Dv)))
        scale = a.scale if a.scale is not None else Dh ** -0.5
        ref = R.window_attention(q[:, :, P:], k, v, W, scale, P)
        kc = R.f64(f32(rng.standard_normal((B, H, Rows, Dh)) * 10.0))
        vc = R.f64(f32(rng.standard_normal((B, H, Rows, Dv)) * 10.0))
        for p in range(P):  # the ring after the first P tokens
            kc[:, :, p % Rows], vc[:, :, p % Rows] = k[:, :, p], v[:, :, p]
        kc0, vc0 = kc.copy(), vc.copy()
        for p in range(P, N):
            kc[:, :, p % Rows], vc[:, :, p % Rows] = k[:, :, p], v[:, :, p]
        return ({"window": W, "scale": scale, "offset": P, "steps": T,
                 "cache_rows": Rows, "positions": f"{P}..{N - 1}"},
                {"query": q[:, :, P:], "key": k[:, :, P:], "value": v[:, :, P:],
                 "key_cache0": kc0, "value_cache0": vc0},
                {"output": ref, "key_cache": kc, "value_cache": vc})

    raise SystemExit(f"error: unknown op {op!r} (one of {', '.join(OPS)}, suite)")


def write_case(op, a, out_dir):
    rng = np.random.default_rng(a.seed)
    attrs, ins, outs = build(op, a, rng)
    os.makedirs(out_dir, exist_ok=True)
    desc = {"op": op, "seed": a.seed, "shape": parse_shape(a.shape),
            "attrs": attrs, "inputs": {}, "outputs": {},
            "reference": "test/Integration/reference/ratref.py (float64), "
                         "saved as float32"}
    for kind, group in (("inputs", ins), ("outputs", outs)):
        for name, arr in group.items():
            arr = f32(arr)
            np.save(os.path.join(out_dir, name + ".npy"), arr)
            desc[kind][name] = {"file": name + ".npy", "shape": list(arr.shape)}
    with open(os.path.join(out_dir, "case.json"), "w") as f:
        json.dump(desc, f, indent=1)
        f.write("\n")
    return desc


def suite(a):
    """Standard grid: chunk 1, 3, 16; T < L, T = L, T = C*L + 1."""
    n = 0
    base = vars(a).copy()

    def run(op, name, **kw):
        nonlocal n
        args = argparse.Namespace(**{**base, **kw})
        args.seed = a.seed + n
        write_case(op, args, os.path.join(a.out, name))
        n += 1

    for L in (1, 3, 16):
        Ts = sorted({t for t in (L - 1, L, 2 * L + 1) if t >= 1})
        for T in Ts:
            tag = f"L{L}_T{T}"
            run("rope", f"rope_chunk_{tag}", shape=f"2,3,{T},8", chunk=L)
            run("chunk_scan", f"chunk_scan_{tag}", shape=f"2,{T},12", chunk=L)
            run("chunk_attention", f"chunk_attention_{tag}",
                shape=f"2,4,{T},8", chunk=L, q_heads=2, k_heads=4)
            run("chunk_scan_step", f"chunk_scan_step_{tag}",
                shape=f"2,{T},12", chunk=L)
            run("chunk_attention_step", f"chunk_attention_step_{tag}",
                shape=f"2,4,{T},8", chunk=L, q_heads=2)
        # mid-sequence starts (decode after a prefill, tiles inside T)
        run("rope", f"rope_chunk_L{L}_offset", shape="2,3,7,8", chunk=L,
            offset=L + 2)
        run("chunk_attention", f"chunk_attention_L{L}_offset",
            shape=f"1,4,{3 * L + 2},8", chunk=L, q_heads=1, k_heads=2,
            offset=L + 1, tq=L + 1)
        run("chunk_scan_step", f"chunk_scan_step_L{L}_offset",
            shape="2,5,12", chunk=L, offset=L + 1)
        run("chunk_attention_step", f"chunk_attention_step_L{L}_offset",
            shape="1,4,5,8", chunk=L, q_heads=2, offset=L + 1)
    run("rms_norm", "rms_norm_3d", shape="2,7,48")
    run("rms_norm", "rms_norm_1d", shape="33")
    run("rope", "rope_token_offset", shape="2,4,9,16", chunk=1, offset=13)
    for W, T in ((0, 19), (4, 19), (1, 6), (30, 19)):
        run("window_attention", f"window_attention_W{W}_T{T}",
            shape=f"2,4,{T},8", window=W, q_heads=2, k_heads=2)
    run("window_attention", "window_attention_W4_offset", shape="1,2,12,8",
        window=4, offset=5, tq=3)
    # Ring caches: exactly W + 1 rows, more rows than the window, full
    # attention, and decode after a prefill.
    run("window_attention_step", "window_attention_step_W4_T13",
        shape="2,4,13,8", window=4, q_heads=2)
    run("window_attention_step", "window_attention_step_W4_R7_T13",
        shape="2,4,13,8", window=4, q_heads=2, cache_rows=7)
    run("window_attention_step", "window_attention_step_W0_T9",
        shape="1,2,9,8", window=0)
    run("window_attention_step", "window_attention_step_W3_offset",
        shape="1,2,6,8", window=3, offset=9)
    return n


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("op", help=" | ".join(OPS + ["suite"]))
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--shape", default="2,37,24", help="comma-separated dims")
    ap.add_argument("--chunk", type=int, default=16, help="chunk size L")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--offset", type=int, default=0,
                    help="position of the first token (rope, attention, steps)")
    ap.add_argument("--tq", type=int, default=None,
                    help="query tokens for attention (default T - offset)")
    ap.add_argument("--q-heads", type=int, default=None, help="Hq (default H)")
    ap.add_argument("--k-heads", type=int, default=None, help="Hk (default H)")
    ap.add_argument("--dv", type=int, default=None, help="value width (default Dh)")
    ap.add_argument("--window", type=int, default=0, help="window W (0: full)")
    ap.add_argument("--scale", type=float, default=None,
                    help="softmax scale (default Dh^-0.5)")
    ap.add_argument("--cache-rows", type=int, default=None,
                    help="chunk cache rows C (default ceil((offset+T)/L))")
    ap.add_argument("--eps", type=float, default=1e-6)
    ap.add_argument("--base", type=float, default=10000.0)
    a = ap.parse_args(argv)
    if a.op == "suite":
        n = suite(a)
        print(f"wrote {n} cases under {a.out}")
        return 0
    if a.op not in OPS:
        ap.error(f"unknown op {a.op!r}")
    desc = write_case(a.op, a, a.out)
    print(f"wrote {a.op} case to {a.out}: inputs "
          + ", ".join(f"{k}{v['shape']}" for k, v in desc["inputs"].items())
          + "; outputs "
          + ", ".join(f"{k}{v['shape']}" for k, v in desc["outputs"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
