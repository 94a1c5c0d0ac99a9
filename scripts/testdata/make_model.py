#!/usr/bin/python3
"""Write a random, seeded model with reference outputs, laid out like a golden.

  make_model.py PRESET --out DIR [--seed N] [overrides]
  make_model.py --list

Writes into DIR (created):
  meta.json            the config: the golden meta.json fields (kind,
                       vocab_size, d_model, num_head, d_head, ngroups,
                       chunk_size, window_size, num_layers, layer_pattern,
                       rms_eps, rope_base, B, T, seed, ...); this is the
                       model config JSON rat-compile --model reads
  weights.safetensors  float32, the reference checkpoint names (written here,
                       no external library)
  kind lm:        tokens.npy int32 [B,T], logits.npy float32 [B,T,V],
                  greedy.npy int32 [B, P+N] (the first greedy_prompt_len
                  tokens, then greedy_new_tokens argmax tokens)
  kind rat_layer: x.npy, y.npy, y_decode.npy [B,T,D] and the intermediates
                  gate, z, v, v_scan, k_scan [B,T,D], q, k [B,T,G*Dh]
                  (z here is sigmoid(z_proj), the spec's meaning; the
                  authors' goldens store sigmoid(sigmoid(z_proj)))
  kind swa_layer / attention_layer: x.npy, y.npy [B,T,D]; one sliding-window
                  (window_size) or full-causal attention layer, weight names
                  without the backbone.layers.i.seq_layer. prefix
All reference outputs come from test/Integration/reference/ratref.py
(float64), saved as float32.

Presets (override any field with the options below):
  attention-lm   small full-attention LM: layer_pattern ["attention"]
  swa-lm         small SWA-only LM: layer_pattern ["swa"], window 8
  swa-layer      one SWA layer (kind swa_layer), window 8
  tiny-rat-lm    examples/-sized RAT LM: d_model 64, 2 layers, vocab 256,
                 4 heads of 16, ngroups 2, chunk 8
  hybrid-lm      RAT + SWA interleaved (layer_pattern ["rat", "swa"])
  rat-layer      one RAT layer (kind rat_layer), T not a multiple of L

Examples:
  make_model.py tiny-rat-lm --out /tmp/tiny --seed 7
  make_model.py swa-lm --window 4 --T 48 --out /tmp/swa
  make_model.py rat-layer --d-model 128 --heads 2 --groups 1 --out /tmp/layer
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

_LM = dict(kind="lm", vocab_size=256, d_model=64, num_head=4, d_head=16,
           ngroups=2, chunk_size=8, window_size=0, num_layers=2,
           layer_pattern=["rat"], rms_eps=1e-6, rope_base=10000, B=2, T=40,
           greedy_prompt_len=16, greedy_new_tokens=8)
_FFN = "gelu(erf) 4*d_model, no bias, pre-RMSNorm"

PRESETS = {
    "attention-lm": dict(_LM, layer_pattern=["attention"], ngroups=1,
                         num_layers=2),
    "swa-lm": dict(_LM, layer_pattern=["swa"], ngroups=1, window_size=8),
    "swa-layer": dict(kind="swa_layer", d_model=64, num_head=4, d_head=16,
                      ngroups=1, chunk_size=8, window_size=8, rms_eps=1e-6,
                      rope_base=10000, B=2, T=33),
    "tiny-rat-lm": dict(_LM, B=1, T=48, greedy_prompt_len=16,
                        greedy_new_tokens=16),
    "hybrid-lm": dict(_LM, layer_pattern=["rat", "swa"], num_layers=4,
                      window_size=12, T=48),
    "rat-layer": dict(kind="rat_layer", d_model=64, num_head=4, d_head=16,
                      ngroups=2, chunk_size=8, rms_eps=1e-6, rope_base=10000,
                      B=2, T=37),
}


def make_weights(meta, rng):
    """Random float32 weights with the reference names. Scales keep the
    activations O(1) so logits are well separated (greedy is stable)."""
    D, H, Dh, G = meta["d_model"], meta["num_head"], meta["d_head"], meta["ngroups"]

    def lin(out, inp):
        return (rng.standard_normal((out, inp)) / np.sqrt(inp)).astype(np.float32)

    def norm(n):
        return (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

    def seq_layer(kind):
        if kind == "rat":
            return {"input_norm.weight": norm(D),
                    "in_proj.weight": lin(3 * D + 2 * G * Dh, D),
                    "gate_bias": (0.5 * rng.standard_normal(D)
                                  + 1.0).astype(np.float32),
                    "out_proj.weight": lin(D, D)}
        if kind in ("swa", "attention"):
            return {"input_norm.weight": norm(D),
                    "in_proj.weight": lin(3 * D, D),
                    "out_proj.weight": lin(D, D)}
        raise SystemExit(f"error: unknown layer kind {kind!r}")

    kind = meta["kind"]
    if kind == "rat_layer":
        return seq_layer("rat")
    if kind in ("swa_layer", "attention_layer"):
        return seq_layer("swa")
    w = {}
    V = meta["vocab_size"]
    w["embedding.wte.weight"] = rng.standard_normal((V, D)).astype(np.float32)
    pat = meta["layer_pattern"]
    for i in range(meta["num_layers"]):
        pre = f"backbone.layers.{i}."
        for n, a in seq_layer(pat[i % len(pat)]).items():
            w[pre + "seq_layer." + n] = a
        w[pre + "hidden_layer.ln.weight"] = norm(D)
        w[pre + "hidden_layer.fc1.weight"] = lin(4 * D, D)
        w[pre + "hidden_layer.fc2.weight"] = lin(D, 4 * D)
    w["backbone.ln.weight"] = norm(D)
    w["head.lm_head.weight"] = lin(V, D)
    return w


def greedy_margin(tokens, w, cfg, P, N):
    """Smallest top-1 minus top-2 logit gap over the greedy steps."""
    seq = np.asarray(tokens)[:, :P].astype(np.int64)
    margin = np.inf
    for _ in range(N):
        last = R.lm_forward(seq, w, cfg)[:, -1]
        top = np.sort(last, axis=-1)
        margin = min(margin, float(np.min(top[:, -1] - top[:, -2])))
        seq = np.concatenate([seq, np.argmax(last, -1)[:, None]], axis=1)
    return margin


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("preset", nargs="?", help=" | ".join(PRESETS))
    ap.add_argument("--out", help="output folder (created)")
    ap.add_argument("--list", action="store_true", help="print the presets")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vocab", type=int, dest="vocab_size")
    ap.add_argument("--d-model", type=int, dest="d_model")
    ap.add_argument("--heads", type=int, dest="num_head")
    ap.add_argument("--groups", type=int, dest="ngroups")
    ap.add_argument("--chunk", type=int, dest="chunk_size")
    ap.add_argument("--window", type=int, dest="window_size")
    ap.add_argument("--layers", type=int, dest="num_layers")
    ap.add_argument("--pattern", help="comma-separated layer kinds "
                    "(rat, swa, attention), cycled over the layers")
    ap.add_argument("--B", type=int, dest="B")
    ap.add_argument("--T", type=int, dest="T")
    ap.add_argument("--prompt-len", type=int, dest="greedy_prompt_len")
    ap.add_argument("--new-tokens", type=int, dest="greedy_new_tokens")
    a = ap.parse_args(argv)
    if a.list:
        for k, v in PRESETS.items():
            print(f"{k}: {json.dumps(v)}")
        return 0
    if a.preset not in PRESETS or not a.out:
        ap.error("need a PRESET (" + ", ".join(PRESETS) + ") and --out")
    meta = dict(PRESETS[a.preset])
    for key in ("vocab_size", "d_model", "num_head", "ngroups", "chunk_size",
                "window_size", "num_layers", "B", "T", "greedy_prompt_len",
                "greedy_new_tokens"):
        if getattr(a, key) is not None:
            meta[key] = getattr(a, key)
    if a.pattern:
        meta["layer_pattern"] = [p.strip() for p in a.pattern.split(",")]
    if a.d_model is not None or a.num_head is not None:
        if meta["d_model"] % meta["num_head"]:
            ap.error("d_model must be a multiple of the number of heads")
        meta["d_head"] = meta["d_model"] // meta["num_head"]
    if meta["num_head"] % meta["ngroups"]:
        ap.error("ngroups must divide num_head")
    if meta["kind"] == "lm":
        meta["ffn"] = _FFN
        if meta["greedy_prompt_len"] > meta["T"]:
            ap.error("--prompt-len must be <= T")
    meta["seed"] = a.seed
    meta["generator"] = "scripts/testdata/make_model.py " + a.preset

    rng = np.random.default_rng(a.seed)
    w = make_weights(meta, rng)
    cfg = R.Cfg(meta)
    B, T, D = meta["B"], meta["T"], meta["d_model"]
    out = {}
    if meta["kind"] == "lm":
        tokens = rng.integers(0, meta["vocab_size"], (B, T)).astype(np.int32)
        out["tokens"] = tokens
        out["logits"] = R.lm_forward(tokens, w, cfg).astype(np.float32)
        P, N = meta["greedy_prompt_len"], meta["greedy_new_tokens"]
        out["greedy"] = R.lm_greedy(tokens, w, cfg, P, N)
        meta["greedy_min_margin"] = greedy_margin(tokens, w, cfg, P, N)
        if meta["greedy_min_margin"] < 1e-3:
            print(f"warning: greedy top-2 logit margin "
                  f"{meta['greedy_min_margin']:.2e} is small; a float32 build "
                  f"may pick another token (try another --seed)",
                  file=sys.stderr)
    else:
        x = rng.standard_normal((B, T, D)).astype(np.float32)
        out["x"] = x
        if meta["kind"] == "rat_layer":
            r = R.rat_layer(x, w, cfg)
            for n in ("gate", "z", "q", "k", "v", "v_scan", "k_scan", "y"):
                out[n] = r[n]
            yd = R.rat_layer_decode(x, w, cfg)
            meta["decode_vs_prefill_max_abs"] = R.max_abs(yd, r["y"])
            out["y_decode"] = yd
        else:
            win = meta["window_size"] if meta["kind"] == "swa_layer" else 0
            out["y"] = R.attention_layer(x, w, cfg, win)

    os.makedirs(a.out, exist_ok=True)
    R.write_safetensors(os.path.join(a.out, "weights.safetensors"), w)
    for n, arr in out.items():
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        np.save(os.path.join(a.out, n + ".npy"), arr)
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"wrote {meta['kind']} ({a.preset}, seed {a.seed}) to {a.out}: "
          f"{len(w)} weights, " + ", ".join(
              f"{n}{list(v.shape)}" for n, v in out.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
