"""PyTorch implementations that benchmarks/bench.py times beside our
executables and uses as references (GPU machine only: needs torch).

Builds on scripts/shared/rat_torch.py (the plain spec implementation, used here
as the float64/float32 reference) and adds:

  rat_layer_flex      the spec's RAT layer written the way the RAT authors
                      run theirs: chunk scan, then flex_attention over the
                      chunk-final states with a block-causal mask, merged
                      with each token's own state through the log-sum-exp;
                      meant for torch.compile, bf16.
  attention_layer     a causal softmax attention layer of the same width:
                      RMSNorm, in_proj 3D, RoPE, SDPA(is_causal) (flash),
                      out_proj.
  RatDecoder          one eager decode step of the spec (section 5): scan
                      state + chunk cache.
  AttnDecoder         one eager decode step of attention with a KV cache
                      (SDPA over the cache).
  lm_forward          float32 forward of a whole RAT / RAT-SWA LM (spec 6),
                      the reference of the LM correctness guard.
  lm_prefill_flex     the prompt phase of a whole RAT LM in bf16 (embedding,
                      rat_ffn_block_flex per block: rat_layer_flex_state +
                      feed-forward, final norm, head of the last token),
                      returning each layer's decode state; the block is
                      meant for torch.compile (one compile, every layer).
  RatLMDecoder        one decode step of a whole RAT LM in bf16 (embedding,
                      RAT step + feed-forward per block, norm, head, argmax)
                      as an nn.Module: eager with an int position, or
                      torch.compile(mode="reduce-overhead") with a tensor
                      position (one CUDA graph per step, as gpt-fast).
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts", "shared"))
import rat_torch  # noqa: E402

rms_norm = rat_torch.rms_norm


def _cfg(cfg):
    return (cfg["d_model"], cfg["num_head"], cfg["d_head"], cfg.get("ngroups", 1),
            cfg.get("chunk_size", 16), cfg.get("rms_eps", 1e-6), float(cfg.get("rope_base", 10000)))


def rope_tables(positions, Dh, base, dtype):
    """cos, sin [len(positions), Dh] (rotate-half layout) in `dtype`."""
    inv = 1.0 / (base ** (torch.arange(0, Dh, 2, device=positions.device, dtype=torch.float64) / Dh))
    f = positions.to(torch.float64)[:, None] * inv[None, :]
    cos = torch.cat([f.cos(), f.cos()], -1).to(dtype)
    sin = torch.cat([f.sin(), f.sin()], -1).to(dtype)
    return cos, sin


def apply_rope(x, cos, sin):
    """x [..., T, Dh] with cos/sin [T, Dh] (float32 math, result in x's dtype)."""
    h = x.shape[-1] // 2
    xf = x.float()
    rot = torch.cat([-xf[..., h:], xf[..., :h]], -1)
    return (xf * cos + rot * sin).to(x.dtype)


# ---------------------------------------------------------------------------
# Prefill: the RAT layer with flex_attention (the authors' approach)
# ---------------------------------------------------------------------------

def chunk_scan_f32(gate, x, L):
    """chunk_scan with float32 state; gate float32, x any float; result in
    x's dtype. Unrolled over the L positions of a chunk (torch.compile turns
    it into one fused kernel)."""
    B, T, N = x.shape
    C = T // L
    assert C * L == T, "the benchmark's torch layer needs T % L == 0"
    g = gate.view(B, C, L, N)
    u = (1 - g) * x.view(B, C, L, N).float()
    state = u[:, :, 0]
    out = [state]
    for i in range(1, L):
        state = g[:, :, i] * state + u[:, :, i]
        out.append(state)
    return torch.stack(out, 2).view(B, T, N).to(x.dtype)


_BLOCK_MASKS = {}


def chunk_block_mask(T, L, device):
    """flex_attention block mask: query t sees chunk-final key j iff j < t // L.
    Built with _compile=True where available, so that the [T, T/L] mask is
    never materialised (it would be 1G elements at T = 131072)."""
    from torch.nn.attention.flex_attention import create_block_mask
    key = (T, L, str(device))
    if key not in _BLOCK_MASKS:
        def mask_mod(b, h, q_idx, kv_idx):
            return (q_idx // L) > kv_idx
        try:
            bm = create_block_mask(mask_mod, B=None, H=None, Q_LEN=T, KV_LEN=T // L, device=device,
                                   _compile=True)
        except TypeError:
            bm = create_block_mask(mask_mod, B=None, H=None, Q_LEN=T, KV_LEN=T // L, device=device)
        _BLOCK_MASKS[key] = bm
    return _BLOCK_MASKS[key]


def _flex_lse_api():
    """'aux' (torch >= 2.8: return_aux=AuxRequest(lse=True)) or 'lse' (the
    older return_lse=True). Decided once, outside any compiled region."""
    import inspect
    from torch.nn.attention import flex_attention as fla
    try:
        params = inspect.signature(fla.flex_attention).parameters
    except (TypeError, ValueError):
        params = {}
    return "aux" if "return_aux" in params and hasattr(fla, "AuxRequest") else "lse"


_FLEX_API = None


def flex_with_lse(q, k, v, block_mask, scale):
    """flex_attention returning (out, lse), natural-log log-sum-exp [B,H,T]
    (-inf for a query with no key: its out is 0)."""
    from torch.nn.attention import flex_attention as fla
    if _FLEX_API == "aux":
        out, aux = fla.flex_attention(q, k, v, block_mask=block_mask, scale=scale,
                                      return_aux=fla.AuxRequest(lse=True))
        return out, aux.lse
    return fla.flex_attention(q, k, v, block_mask=block_mask, scale=scale, return_lse=True)


def rat_layer_flex(x, w_norm, w_in, gate_bias, w_out, cos, sin, block_mask, cfg):
    """The RAT layer (spec 4) for x [B,T,D] in bf16; cos/sin [T, Dh] at the
    chunk index; block_mask from chunk_block_mask(T, L)."""
    return rat_layer_flex_state(x, w_norm, w_in, gate_bias, w_out, cos, sin, block_mask, cfg)[0]


def rat_layer_flex_state(x, w_norm, w_in, gate_bias, w_out, cos, sin, block_mask, cfg):
    """rat_layer_flex that also returns the decode state a prompt leaves
    (spec 5): (y, chunk cache of rope'd keys [B,H,C,Dh], of values
    [B,H,C,Dh], last scanned v [B,D], last scanned k [B,D])."""
    D, H, Dh, G, L, eps, _ = _cfg(cfg)
    B, T, _ = x.shape
    a = rms_norm(x, w_norm, eps)
    proj = a @ w_in.t()
    z, v, g, q, k = torch.split(proj, [D, D, D, G * Dh, G * Dh], -1)
    gate = torch.sigmoid(g.float() + gate_bias.float())
    q = q.repeat(1, 1, H // G)
    k = k.repeat(1, 1, H // G)
    vs = chunk_scan_f32(gate, v, L)
    ks = chunk_scan_f32(gate, k, L)
    heads = lambda t: t.view(B, T, H, Dh).transpose(1, 2)
    qh, kh, vh = apply_rope(heads(q), cos, sin), apply_rope(heads(ks), cos, sin), heads(vs)
    scale = 1.0 / math.sqrt(Dh)
    kc, vc = kh[:, :, L - 1::L].contiguous(), vh[:, :, L - 1::L].contiguous()  # chunk-final states
    inter, lse = flex_with_lse(qh, kc, vc, block_mask, scale)
    own = (qh.float() * kh.float()).sum(-1) * scale           # each token's own key
    lse = lse.float()
    m = torch.maximum(lse, own)
    wi, wo = torch.exp(lse - m), torch.exp(own - m)
    inter = torch.where((wi > 0)[..., None], inter.float(), 0.0)
    o = (inter * wi[..., None] + vh.float() * wo[..., None]) / (wi + wo)[..., None]
    o = o.to(x.dtype).transpose(1, 2).reshape(B, T, D)
    y = x + (torch.sigmoid(z.float()).to(x.dtype) * o) @ w_out.t()
    return y, kc, vc, vs[:, -1], ks[:, -1]


def rat_layer_flex_args(x, w, cfg):
    """Arguments of rat_layer_flex for x and a dict of checkpoint tensors."""
    global _FLEX_API
    if _FLEX_API is None:
        _FLEX_API = _flex_lse_api()
    D, H, Dh, G, L, eps, base = _cfg(cfg)
    T = x.shape[1]
    pos = torch.arange(T, device=x.device) // L
    cos, sin = rope_tables(pos, Dh, base, torch.float32)
    return (x, w["input_norm.weight"], w["in_proj.weight"], w["gate_bias"], w["out_proj.weight"],
            cos, sin, chunk_block_mask(T, L, x.device), cfg)


# ---------------------------------------------------------------------------
# Prefill: a causal attention layer of the same width
# ---------------------------------------------------------------------------

def attention_layer(x, w_norm, w_in, w_out, cos, sin, H, eps=1e-6):
    """RMSNorm, in_proj [3D, D] split [v, q, k], RoPE at the token index,
    SDPA(is_causal=True), out_proj, residual. Call under
    sdpa_kernel(FLASH_ATTENTION) to pin the flash kernel."""
    B, T, D = x.shape
    Dh = D // H
    a = rms_norm(x, w_norm, eps)
    v, q, k = torch.split(a @ w_in.t(), [D, D, D], -1)
    heads = lambda t: t.view(B, T, H, Dh).transpose(1, 2)
    q, k, v = apply_rope(heads(q), cos, sin), apply_rope(heads(k), cos, sin), heads(v)
    o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    return x + o.transpose(1, 2).reshape(B, T, D) @ w_out.t()


def random_attention_layer(D, seed, device, dtype):
    gen = torch.Generator(device="cpu").manual_seed(seed)
    r = lambda *s, scale: (torch.randn(*s, generator=gen) * scale).to(device=device, dtype=dtype)
    return {"input_norm.weight": (1 + 0.1 * torch.randn(D, generator=gen)).to(device=device, dtype=dtype),
            "in_proj.weight": r(3 * D, D, scale=D ** -0.5),
            "out_proj.weight": r(D, D, scale=D ** -0.5)}


# ---------------------------------------------------------------------------
# Decode: eager steps
# ---------------------------------------------------------------------------

class RatDecoder:
    """Eager decode step of one RAT layer (spec 5). State: running scanned
    v and k [B, D] (float32) and the chunk caches [B, H, Cmax, Dh] (the
    layer's dtype) of rope'd keys and values."""

    def __init__(self, w, cfg, B, max_len, dtype, device):
        D, H, Dh, G, L, eps, base = _cfg(cfg)
        self.w, self.cfg, self.B = w, cfg, B
        self.Cmax = -(-max_len // L)
        self.sv = torch.zeros(B, D, device=device)
        self.sk = torch.zeros(B, D, device=device)
        self.kc = torch.zeros(B, H, self.Cmax, Dh, device=device, dtype=dtype)
        self.vc = torch.zeros(B, H, self.Cmax, Dh, device=device, dtype=dtype)
        self.cos, self.sin = rope_tables(torch.arange(self.Cmax, device=device), Dh, base, torch.float32)

    def fill_random(self, upto_chunk, gen=None):
        """Random cache rows [0, upto_chunk) (a context to time a step at)."""
        self.kc[:, :, :upto_chunk].normal_(generator=gen)
        self.vc[:, :, :upto_chunk].normal_(generator=gen)

    def step(self, x, p):
        """x [B, 1, D] at position p -> y [B, 1, D]."""
        D, H, Dh, G, L, eps, _ = _cfg(self.cfg)
        w, B = self.w, x.shape[0]
        a = rms_norm(x[:, 0], w["input_norm.weight"], eps)
        z, v, g, q, k = torch.split(a @ w["in_proj.weight"].t(), [D, D, D, G * Dh, G * Dh], -1)
        gate = torch.sigmoid(g.float() + w["gate_bias"].float())
        kt = k.repeat(1, H // G).float()
        if p % L == 0:
            self.sv = (1 - gate) * v.float()
            self.sk = (1 - gate) * kt
        else:
            self.sv = gate * self.sv + (1 - gate) * v.float()
            self.sk = gate * self.sk + (1 - gate) * kt
        c = p // L
        cos, sin = self.cos[c], self.sin[c]
        kr = apply_rope(self.sk.view(B, H, Dh), cos, sin)
        qr = apply_rope(q.repeat(1, H // G).view(B, H, Dh).float(), cos, sin)
        self.kc[:, :, c] = kr.to(self.kc.dtype)
        self.vc[:, :, c] = self.sv.view(B, H, Dh).to(self.vc.dtype)
        kc, vc = self.kc[:, :, :c + 1].float(), self.vc[:, :, :c + 1].float()
        s = torch.einsum("bhd,bhcd->bhc", qr, kc) / math.sqrt(Dh)
        o = torch.einsum("bhc,bhcd->bhd", torch.softmax(s, -1), vc).reshape(B, D)
        out = (torch.sigmoid(z.float()) * o).to(x.dtype) @ w["out_proj.weight"].t()
        return x + out[:, None]


class AttnDecoder:
    """Eager decode step of the attention layer with a KV cache
    [B, H, max_len, Dh]; SDPA over the cache rows [0, p]."""

    def __init__(self, w, H, B, max_len, dtype, device, base=10000.0, eps=1e-6):
        D = w["out_proj.weight"].shape[0]
        Dh = D // H
        self.w, self.H, self.eps = w, H, eps
        self.kc = torch.zeros(B, H, max_len, Dh, device=device, dtype=dtype)
        self.vc = torch.zeros(B, H, max_len, Dh, device=device, dtype=dtype)
        self.cos, self.sin = rope_tables(torch.arange(max_len, device=device), Dh, base, torch.float32)

    def fill_random(self, upto, gen=None):
        self.kc[:, :, :upto].normal_(generator=gen)
        self.vc[:, :, :upto].normal_(generator=gen)

    def step(self, x, p):
        w, H = self.w, self.H
        B, _, D = x.shape
        Dh = D // H
        a = rms_norm(x[:, 0], w["input_norm.weight"], self.eps)
        v, q, k = torch.split(a @ w["in_proj.weight"].t(), [D, D, D], -1)
        cos, sin = self.cos[p], self.sin[p]
        q = apply_rope(q.view(B, H, 1, Dh), cos, sin)
        self.kc[:, :, p] = apply_rope(k.view(B, H, Dh), cos, sin)
        self.vc[:, :, p] = v.view(B, H, Dh)
        o = F.scaled_dot_product_attention(q, self.kc[:, :, :p + 1], self.vc[:, :, :p + 1])
        return x + (o.reshape(B, D) @ w["out_proj.weight"].t())[:, None]


# ---------------------------------------------------------------------------
# Whole LM: float32 reference and seeded random weights
# ---------------------------------------------------------------------------

def swa_layer_ref(x, w, cfg, window):
    """Sliding-window attention layer (spec 6) in x's dtype: token t sees
    s with t - window <= s <= t (window 0: full causal)."""
    D, H = cfg["d_model"], cfg["num_head"]
    Dh = D // H
    B, T, _ = x.shape
    a = rms_norm(x, w["input_norm.weight"], cfg.get("rms_eps", 1e-6))
    v, q, k = torch.split(a @ w["in_proj.weight"].t(), [D, D, D], -1)
    cos, sin = rope_tables(torch.arange(T, device=x.device), Dh, float(cfg.get("rope_base", 10000)), x.dtype)
    heads = lambda t: t.view(B, T, H, Dh).transpose(1, 2)
    rot = lambda t: t * cos + torch.cat([-t[..., Dh // 2:], t[..., :Dh // 2]], -1) * sin
    q, k, v = rot(heads(q)), rot(heads(k)), heads(v)
    t = torch.arange(T, device=x.device)
    allowed = t[None, :] <= t[:, None]
    if window:
        allowed &= t[None, :] >= t[:, None] - window
    s = (q @ k.transpose(-1, -2)) / math.sqrt(Dh)
    s = s.masked_fill(~allowed, float("-inf"))
    o = torch.softmax(s, -1) @ v
    return x + o.transpose(1, 2).reshape(B, T, D) @ w["out_proj.weight"].t()


def ffn_ref(x, w, cfg):
    a = rms_norm(x, w["ln.weight"], cfg.get("rms_eps", 1e-6))
    return x + F.gelu(a @ w["fc1.weight"].t(), approximate="none") @ w["fc2.weight"].t()


def lm_forward(tokens, w, cfg):
    """tokens [B, T] (long) -> logits [B, T, V] in the weights' dtype."""
    x = w["embedding.wte.weight"][tokens]
    pattern = cfg.get("layer_pattern", ["rat"])
    for i in range(cfg["num_layers"]):
        pre = "backbone.layers.%d." % i
        kind = pattern[i % len(pattern)]
        if kind == "rat":
            x = rat_torch.rat_layer(x, w, cfg, prefix=pre + "seq_layer.")
        else:
            sub = {n[len(pre + "seq_layer."):]: t for n, t in w.items() if n.startswith(pre + "seq_layer.")}
            x = swa_layer_ref(x, sub, cfg, cfg.get("window_size", 0) if kind == "swa" else 0)
        sub = {n[len(pre + "hidden_layer."):]: t for n, t in w.items() if n.startswith(pre + "hidden_layer.")}
        x = ffn_ref(x, sub, cfg)
    x = rms_norm(x, w["backbone.ln.weight"], cfg.get("rms_eps", 1e-6))
    return x @ w["head.lm_head.weight"].t()


# ---------------------------------------------------------------------------
# Whole RAT LM in bf16: prompt phase (torch.compile per block) and decode step
# ---------------------------------------------------------------------------

_BLOCK_NAMES = (("norm", "seq_layer.input_norm.weight"), ("w_in", "seq_layer.in_proj.weight"),
                ("gate_bias", "seq_layer.gate_bias"), ("w_out", "seq_layer.out_proj.weight"),
                ("ffn_ln", "hidden_layer.ln.weight"), ("fc1", "hidden_layer.fc1.weight"),
                ("fc2", "hidden_layer.fc2.weight"))


def _rat_only(cfg):
    pattern = cfg.get("layer_pattern", ["rat"])
    if any(k != "rat" for k in pattern):
        raise ValueError("the torch LM of the benchmark is RAT-only (layer_pattern %s)" % pattern)


def rat_ffn_block_flex(x, norm, w_in, gate_bias, w_out, ffn_ln, fc1, fc2, cos, sin, block_mask, cfg):
    """One block of the LM (spec 6) over a prompt: the RAT layer
    (rat_layer_flex_state) then the feed-forward layer. Returns (x_out, the
    layer's decode state: chunk caches k, v [B,H,C,Dh], last scanned v, k)."""
    eps = cfg.get("rms_eps", 1e-6)
    y, kc, vc, sv, sk = rat_layer_flex_state(x, norm, w_in, gate_bias, w_out, cos, sin, block_mask, cfg)
    a = rms_norm(y, ffn_ln, eps)
    return y + F.gelu(a @ fc1.t(), approximate="none") @ fc2.t(), kc, vc, sv, sk


def lm_prefill_flex(tokens, w, cfg, block=rat_ffn_block_flex, all_logits=False):
    """The prompt phase of a RAT LM in the weights' dtype: tokens [B, T]
    (T % L == 0) -> (logits of the last token [B, V] (all_logits: [B, T, V]),
    the decode state of every layer [(kc, vc, sv, sk)]). `block` is
    rat_ffn_block_flex or its torch.compile (one compile serves every layer:
    the weights are arguments)."""
    global _FLEX_API
    if _FLEX_API is None:
        _FLEX_API = _flex_lse_api()
    _rat_only(cfg)
    D, H, Dh, G, L, eps, base = _cfg(cfg)
    T = tokens.shape[1]
    pos = torch.arange(T, device=tokens.device) // L
    cos, sin = rope_tables(pos, Dh, base, torch.float32)
    bm = chunk_block_mask(T, L, tokens.device)
    x = F.embedding(tokens, w["embedding.wte.weight"])
    states = []
    for i in range(cfg["num_layers"]):
        pre = "backbone.layers.%d." % i
        x, *st = block(x, *(w[pre + n] for _, n in _BLOCK_NAMES), cos, sin, bm, cfg)
        states.append(st)
    h = x if all_logits else x[:, -1]
    return rms_norm(h, w["backbone.ln.weight"], eps) @ w["head.lm_head.weight"].t(), states


class RatLMDecoder(torch.nn.Module):
    """One decode step of a whole RAT LM (spec 5 and 6): embedding, each
    block's RAT step (scan state, chunk cache of Cmax = ceil(max_len / L)
    rows) and feed-forward layer, final norm, head and the greedy argmax.
    Weights are parameters (shared with the dict, not copied) and the state
    is buffers, so that torch.compile(mode="reduce-overhead") replays the
    whole step as one CUDA graph with the state updated in place (the
    gpt-fast recipe).

    forward(tok [B] int64, pos) -> (next token [B], logits [B, V]):
      pos an int      eager: the cache rows [0, pos // L] are sliced;
      pos a 0-d int64 tensor on the device: the compiled step, every
                      position in one graph: the attention reads all Cmax
                      rows with rows > pos // L masked (size max_len to the
                      context, as gpt-fast sizes its KV cache)."""

    def __init__(self, w, cfg, B, max_len, device="cuda", dtype=torch.bfloat16):
        super().__init__()
        _rat_only(cfg)
        D, H, Dh, G, L, eps, base = _cfg(cfg)
        self.dims = (D, H, Dh, G, L, eps)
        self.Cmax = -(-max_len // L)
        par = lambda t: torch.nn.Parameter(t, requires_grad=False)
        self.wte = par(w["embedding.wte.weight"])
        self.lnf = par(w["backbone.ln.weight"])
        self.head = par(w["head.lm_head.weight"])
        self.blocks = torch.nn.ModuleList()
        for i in range(cfg["num_layers"]):
            pre = "backbone.layers.%d." % i
            m = torch.nn.Module()
            for attr, name in _BLOCK_NAMES:
                setattr(m, attr, par(w[pre + name]))
            m.register_buffer("sv", torch.zeros(B, D, device=device))
            m.register_buffer("sk", torch.zeros(B, D, device=device))
            m.register_buffer("kc", torch.zeros(B, H, self.Cmax, Dh, device=device, dtype=dtype))
            m.register_buffer("vc", torch.zeros(B, H, self.Cmax, Dh, device=device, dtype=dtype))
            self.blocks.append(m)
        cos, sin = rope_tables(torch.arange(self.Cmax, device=device), Dh, base, torch.float32)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)
        self.register_buffer("rows", torch.arange(self.Cmax, device=device))

    def state_bytes(self):
        return sum(b.numel() * b.element_size() for m in self.blocks for b in m.buffers())

    def mark_static(self):
        """Marks the state buffers as static addresses (CUDA graphs may then
        update them in place)."""
        mark = getattr(torch._dynamo, "mark_static_address", None)
        if mark is not None:
            for m in self.blocks:
                for b in m.buffers():
                    mark(b)

    def fill_random(self, upto_chunk, gen=None):
        """Cache rows [0, upto_chunk) and the scan states at random (a
        context to time a step at)."""
        for m in self.blocks:
            m.kc[:, :, :upto_chunk].normal_(generator=gen)
            m.vc[:, :, :upto_chunk].normal_(generator=gen)
            m.sv.normal_(generator=gen)
            m.sk.normal_(generator=gen)

    def save_state(self):
        return [[b.clone() for b in m.buffers()] for m in self.blocks]

    def load_state(self, saved):
        for m, bs in zip(self.blocks, saved):
            for b, s in zip(m.buffers(), bs):
                b.copy_(s)

    def forward(self, tok, pos):
        D, H, Dh, G, L, eps = self.dims
        B = tok.shape[0]
        x = F.embedding(tok, self.wte)
        c = pos // L
        if isinstance(pos, int):
            cos, sin = self.cos[c], self.sin[c]
            keep = 0.0 if pos % L == 0 else 1.0
            mask = None
        else:
            # index_select, not cos[c]: indexing with a 0-d tensor is an
            # .item() to dynamo (a graph break)
            cos, sin = self.cos.index_select(0, c.reshape(1)), self.sin.index_select(0, c.reshape(1))
            keep = (pos % L != 0).float()
            mask = (self.rows <= c).view(1, 1, 1, -1)
        for m in self.blocks:
            a = rms_norm(x, m.norm, eps)
            z, v, g, q, k = torch.split(a @ m.w_in.t(), [D, D, D, G * Dh, G * Dh], -1)
            gate = torch.sigmoid(g.float() + m.gate_bias.float())
            sv = gate * m.sv * keep + (1 - gate) * v.float()
            sk = gate * m.sk * keep + (1 - gate) * k.float().repeat(1, H // G)
            m.sv.copy_(sv)
            m.sk.copy_(sk)
            kr = apply_rope(sk.view(B, H, 1, Dh), cos, sin).to(m.kc.dtype)
            qr = apply_rope(q.float().repeat(1, H // G).view(B, H, 1, Dh), cos, sin).to(m.kc.dtype)
            vr = sv.view(B, H, 1, Dh).to(m.vc.dtype)
            if mask is None:
                m.kc[:, :, c:c + 1] = kr
                m.vc[:, :, c:c + 1] = vr
                kc, vc = m.kc[:, :, :c + 1], m.vc[:, :, :c + 1]
            else:
                m.kc.index_copy_(2, c.reshape(1), kr)
                m.vc.index_copy_(2, c.reshape(1), vr)
                kc, vc = m.kc, m.vc
            o = F.scaled_dot_product_attention(qr, kc, vc, attn_mask=mask).reshape(B, D)
            x = x + (torch.sigmoid(z.float()) * o.float()).to(x.dtype) @ m.w_out.t()
            a = rms_norm(x, m.ffn_ln, eps)
            x = x + F.gelu(a @ m.fc1.t(), approximate="none") @ m.fc2.t()
        logits = rms_norm(x, self.lnf, eps) @ self.head.t()
        return logits.argmax(-1), logits
