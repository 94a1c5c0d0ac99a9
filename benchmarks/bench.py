#!/usr/bin/env python3
"""The rat-mlir benchmark: our compiled executables beside PyTorch, on one GPU.

    python3 benchmarks/bench.py [--quick]            # on the GPU machine
    /usr/bin/python3 benchmarks/bench.py --selftest  # parsers/writers, anywhere
    /usr/bin/python3 benchmarks/bench.py --dry-run-cpu   # CPU executables from
                                                     # `benchmarks/build.sh --cpu`

Runs the executables that benchmarks/build.sh put in .device/bench/ and
measures, side by side (see benchmarks/README.md for what each number means):

  guard      every executable (and every PyTorch implementation) against a
             float64/float32 reference on a small input; a failing one is
             reported FAIL and not timed
  prefill    one paper-scale RAT layer (D 2048, 16x128 heads, G 2, L 16) at
             (B,T) = (16,16384) and (2,131072): ours (--bench), the spec in
             PyTorch (torch.compile, flex_attention, bf16), a causal
             attention layer of the same width (SDPA flash)
  breakdown  torch.matmul at the projection shapes, the device-to-device
             copy ceiling, the FLOP/byte floors of the chunk part; per-kernel
             times of our layer from ncu, grouped by kernel class
  decode     one layer's decode step at (B, context) = (64, 4096), (16, 16384):
             ours (--decode --bench), an eager PyTorch step of the spec, and
             attention with a KV cache
  lm         1.3B RAT and RAT-SWA (random seeded weights): generation
             throughput, 3072-token prompt + 1024 new tokens, at the largest
             batch that fits
  serving    1.3B RAT decode steps at B 256 and 1 after a 3072-token prompt,
             four ways: uniform greedy, ragged prompts (--prompt-lens),
             sampling (--temperature/--top-k/--top-p), both; the cost of
             each against uniform greedy, and the outputs checked
  peers      1.3B RAT decode step at a 3072-token context: ours beside the
             PyTorch LM step of the spec, eager at the largest batch that
             fits and at B 1, 64, and torch.compile(mode="reduce-overhead")
             (one CUDA graph per step) at B 1, 64
  lmprefill  1.3B RAT prompt phase (B x 3072 tokens): ours beside the spec's
             LM in torch.compile (flex_attention), tokens/s and peak memory
(serving, peers and lmprefill are not in the default list: name them in
--sections; they share one weights file and one check of the 1.3B RAT,
ours and the torch LM against float32, before any timing.)

Prints one table at the end and writes $OUT/bench.md and $OUT/bench.json
(rewritten after every measurement, so a run that is cut short still leaves
what it measured). Every measurement has its own time limit, and the whole
run stays within --budget seconds. Big temporary files go to --work, never
to $OUT.
"""
import argparse
import datetime
import gc
import glob
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "test", "Integration", "reference"))
# Python shared with scripts/gpu/: output parsers, weights, the torch layer.
sys.path.insert(0, os.path.join(ROOT, "scripts", "shared"))
from model_shapes import layer_dims  # noqa: E402
from random_weights import random_layer_np, random_lm_np, round_bf16  # noqa: E402
from run_output import (decode_steps_from_verbose, find_ncu,  # noqa: E402
                        parse_bench, parse_ncu_csv, parse_verbose,
                        read_kernel_map, state_per_sequence)

T0 = time.time()

# Reference points quoted in the issue (the RAT authors' PyTorch code on an
# H100; the 1.3B throughput is the paper's). Shown beside our numbers, never
# measured here.
REPORTED = {
    ("prefill", 16, 16384): 45.7,      # ms, authors' layer
    ("prefill", 2, 131072): 63.6,      # ms
    ("decode", 64, 4096): 1.09,        # ms per step
    ("lm", "rat"): 31170.0,            # tokens/s, paper, 1.3B RAT
}

SIZES = {
    "full": dict(prefill=[(16, 16384), (2, 131072)], decode=[(64, 4096), (16, 16384)],
                 lm_prompt=3072, lm_new=1024,
                 lm_batches=[2560, 2048, 1536, 1024, 768, 512, 384, 256, 192, 128, 96, 64, 48, 32, 16, 8, 4, 2, 1],
                 guard_layer=(2, 512), guard_decode=(2, 100), guard_lm_tokens=1040, budget=500,
                 serving_batches=[256, 1], serving_prompt=3072, serving_new=256,
                 peers_prompt=3072, peers_steps=32, peers_batches=[1, 64],
                 peers_max=[2560, 2048, 1536, 1024, 768, 512, 256, 128], peers_max_len=4096,
                 lmprefill=[(32, 3072)], lm_check_tokens=128),
    "quick": dict(prefill=[(2, 2048), (1, 8192)], decode=[(8, 512), (4, 2048)], gemm_rows=(64, 16384),
                  lm_prompt=256, lm_new=64, lm_batches=[16, 8, 4, 2, 1],
                  guard_layer=(2, 512), guard_decode=(2, 100), guard_lm_tokens=1040, budget=300,
                  serving_batches=[16, 1], serving_prompt=512, serving_new=64,
                  peers_prompt=512, peers_steps=16, peers_batches=[1, 8],
                  peers_max=[64, 32, 16], peers_max_len=1024,
                  lmprefill=[(4, 512)], lm_check_tokens=128),
    "cpu": dict(prefill=[(2, 64), (1, 256)], decode=[(2, 32), (1, 64)],
                lm_prompt=96, lm_new=32, lm_batches=[16, 8, 4, 2, 1],
                guard_layer=(2, 64), guard_decode=(2, 40), guard_lm_tokens=80, budget=150,
                serving_batches=[8, 1], serving_prompt=96, serving_new=32,
                peers_prompt=96, peers_steps=16, peers_batches=[1, 4],
                peers_max=[8], peers_max_len=160,
                lmprefill=[(4, 96)], lm_check_tokens=48),
}

EXES = {
    "layer_prefill": "rat_layer_prefill",
    "layer_decode": "rat_layer_decode",
    "lm_rat": "lm_rat_1p3b",
    "lm_ratswa": "lm_ratswa_1p3b",
}

BF16_RTOL = 2e-2


def log(*parts):
    print("[%6.1fs] %s" % (time.time() - T0, " ".join(str(p) for p in parts)), flush=True)


# ===========================================================================
# Parsers of the executable's output (pure Python; unit-run by --selftest)
# ===========================================================================

# ===========================================================================
# Work and byte counts (pure Python)
# ===========================================================================

def keys_per_head(T, L):
    """sum over tokens t < T of the keys t attends to: t // L earlier chunk
    states plus its own."""
    C = -(-T // L)
    full = T // L
    s = L * full * (full + 1) // 2
    if C > full:
        s += (T - full * L) * C
    return s


def layer_counts(B, T, cfg, elem=2):
    """FLOPs and minimal bytes of one RAT layer prefill (bf16 storage)."""
    D, H, Dh, G, L = layer_dims(cfg)
    N, P = B * T, 3 * D + 2 * G * Dh
    keys = keys_per_head(T, L)
    c = {
        "tokens": N,
        "in_proj_flops": 2 * N * D * P,
        "out_proj_flops": 2 * N * D * D,
        "attn_flops": 4 * Dh * B * H * keys,            # q.k and p.v, 2 FLOPs a MAC
        # scan, unfused: read gate, v, k (G*Dh, tiled on the fly), write v_scan, k_scan
        "scan_bytes": elem * N * (4 * D + G * Dh),
        # chunk attention, unfused: read q (G*Dh), k_scan, v_scan, write o
        "attn_bytes": elem * N * (3 * D + G * Dh),
        # scan + rope + attention fused: read v, g, q, k once, write o
        "chunk_fused_bytes": elem * N * (3 * D + 2 * G * Dh),
        "weight_bytes": elem * (P * D + D * D + 2 * D),
        "io_bytes": elem * N * 2 * D,                    # x in, y out
    }
    c["proj_flops"] = c["in_proj_flops"] + c["out_proj_flops"]
    c["flops"] = c["proj_flops"] + c["attn_flops"]
    c["min_bytes"] = c["io_bytes"] + c["weight_bytes"]
    return c


def attention_layer_counts(B, T, D, H, elem=2):
    Dh, N = D // H, B * T
    return {"proj_flops": 2 * N * D * 4 * D, "attn_flops": 4 * Dh * B * H * (T * (T + 1) // 2),
            "min_bytes": elem * (N * 2 * D + 4 * D * D)}


def decode_counts(B, ctx, cfg, elem=2):
    """One RAT decode step at position ctx: weights, the chunk cache rows
    [0, ctx // L] of k and v, and the scan state."""
    D, H, Dh, G, L = layer_dims(cfg)
    P, rows = 3 * D + 2 * G * Dh, ctx // L + 1
    return {"flops": 2 * B * D * (P + D) + 4 * B * H * rows * Dh,
            "bytes": elem * (P * D + D * D + 2 * D) + elem * 2 * B * H * rows * Dh + 4 * 2 * B * D * 2}


def attn_decode_counts(B, ctx, D, H, elem=2):
    Dh = D // H
    return {"flops": 2 * B * D * 4 * D + 4 * B * H * (ctx + 1) * Dh,
            "bytes": elem * 4 * D * D + elem * 2 * B * H * (ctx + 1) * Dh}


def floor_ms(flops, nbytes, tflops, gbps):
    """max(FLOPs / rate, bytes / bandwidth) in ms (None where a rate is unknown)."""
    t = []
    if flops and tflops:
        t.append(flops / (tflops * 1e12) * 1e3)
    if nbytes and gbps:
        t.append(nbytes / (gbps * 1e9) * 1e3)
    return max(t) if t else None


# ===========================================================================
# Checks of generated tokens (pure Python + numpy; unit-run by --selftest)
# ===========================================================================

SAMPLING = ["--temperature", "0.8", "--top-k", "50", "--top-p", "0.9", "--seed", "1"]
DIAGNOSTIC = "uniform, temperature only (diagnostic)"


def ragged_lengths(B, P, seed):
    """Prompt lengths uniform over [P/2, P], the first one P (so that row 0
    of a ragged run can be compared with the uniform run's row 0)."""
    import numpy as np
    lens = np.random.default_rng(seed).integers(max(1, P // 2), P + 1, B).astype(np.int32)
    lens[0] = P
    return lens


def generation_problems(out, tokens, lens, N, V, limit=3):
    """What is wrong with an executable's --output of a generation: [B,
    max(L) + N] int32 where row b is its prompt tokens[b, :L[b]] copied back,
    N generated ids in [0, V), then -1 (lens None: every row L = P, the width
    of tokens). Returns a list of problems (at most `limit`), empty if sane."""
    import numpy as np
    B, P = tokens.shape
    L = np.full(B, P) if lens is None else np.asarray(lens)
    want = (B, int(L.max()) + N)
    if tuple(out.shape) != want:
        return ["output shape %s, expected %s" % (tuple(out.shape), want)]
    probs = []
    for b in range(B):
        l = int(L[b])
        if not np.array_equal(out[b, :l], tokens[b, :l]):
            probs.append("row %d: its %d prompt tokens not copied back unchanged" % (b, l))
        gen = out[b, l:l + N]
        if gen.size and (gen.min() < 0 or gen.max() >= V):
            probs.append("row %d: a generated id outside [0, %d)" % (b, V))
        if (out[b, l + N:] != -1).any():
            probs.append("row %d: not -1 after its prompt and %d tokens" % (b, N))
        if len(probs) >= limit:
            break
    return probs


def generated_part(out, lens, P, N):
    """[B, N] generated tokens of a generation output (lens None: uniform P)."""
    import numpy as np
    L = np.full(out.shape[0], P) if lens is None else np.asarray(lens)
    return np.stack([out[b, int(L[b]):int(L[b]) + N] for b in range(out.shape[0])])


def relative_costs(steps, base="uniform greedy"):
    """{label: ms/step} -> [(label, step / base step - 1)] for every label but
    the base, in the dict's order (empty without the base)."""
    if not steps.get(base):
        return []
    return [(k, v / steps[base] - 1) for k, v in steps.items() if k != base]


# ===========================================================================
# Report: rows, the text table, bench.md, bench.json (pure Python)
# ===========================================================================

SECTION_TITLES = {
    "env": "Machine and ceilings",
    "guard": "Correctness guard (before any timing)",
    "prefill": "Layer prefill (one RAT layer, bf16)",
    "breakdown": "Breakdown of the prefill",
    "decode": "Decode step of one layer (bf16)",
    "lm": "Whole model generation (bf16, random weights)",
    "gemm": "GEMMs: our rat.matmul kernels beside torch.matmul (bf16)",
    "serving": "Serving: ragged prompts and sampling against uniform greedy decode (1.3B RAT, bf16)",
    "peers": "Decode step of the whole 1.3B RAT LM beside PyTorch (bf16)",
    "lmprefill": "Prompt phase of the whole 1.3B RAT LM beside torch.compile (bf16)",
}


def fmt_ms(ms):
    if ms is None:
        return "n/a"
    if ms >= 100:
        return "%.1f ms" % ms
    if ms >= 1:
        return "%.2f ms" % ms
    return "%.4f ms" % ms


def fmt_flops(f):
    for unit, scale in (("PFLOP", 1e15), ("TFLOP", 1e12), ("GFLOP", 1e9), ("MFLOP", 1e6)):
        if f >= scale:
            return "%.2f %s" % (f / scale, unit)
    return "%.0f FLOP" % f


def fmt_rate(flops, ms):
    """FLOPs over ms as a rate with a unit."""
    r = flops / (ms * 1e-3)
    for unit, scale in (("TFLOP/s", 1e12), ("GFLOP/s", 1e9), ("MFLOP/s", 1e6)):
        if r >= scale:
            return "%.1f %s" % (r / scale, unit)
    return "%.0f FLOP/s" % r


def fmt_si_bytes(b):
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= scale:
            return "%.3g %s" % (b / scale, unit)
    return "%d B" % b


def fmt_bytes(b):
    if b is None:
        return "n/a"
    return "%.2f GiB" % (b / 1024 ** 3) if b >= 1024 ** 3 else "%.0f MiB" % (b / 1024 ** 2)


class Report:
    """Rows: section, case, impl, value (ms for time rows, tokens/s for
    throughput rows), kind ('time' | 'tput' | 'info'), mem (bytes or a
    string), status ('ok', 'FAIL', 'timeout', 'error', 'skipped', 'reported'),
    note. The 'ours speedup' of a row is computed against the row of the
    same section and case whose impl starts with 'ours'."""

    def __init__(self, out_dir, meta=None):
        self.out_dir, self.rows, self.meta, self.notes = out_dir, [], dict(meta or {}), []

    def add(self, section, case, impl, value=None, kind="time", mem=None, status="ok", note="", **extra):
        row = dict(section=section, case=case, impl=impl, value=value, kind=kind, mem=mem,
                   status=status, note=note)
        row.update(extra)
        self.rows.append(row)
        shown = self.value_text(row)
        log("  %-9s %-24s %-38s %s %s" % (section, case, impl, shown, ("" if status == "ok" else status)))
        return row

    @staticmethod
    def value_text(r):
        v = r["value"]
        if v is None:
            return "-" if r["status"] == "ok" else r["status"]
        if r["kind"] in ("time", "floor"):
            return fmt_ms(v)
        if r["kind"] == "tput":
            return "%.0f tok/s" % v
        return str(v)

    SPEEDUP_SECTIONS = ("prefill", "decode", "lm", "gemm", "peers", "lmprefill")

    def speedup(self, r):
        if r["value"] is None or r["kind"] not in ("time", "tput") or r["section"] not in self.SPEEDUP_SECTIONS:
            return None
        ours = [o for o in self.rows if o["section"] == r["section"] and o["case"] == r["case"]
                and o["impl"].startswith("ours") and o["kind"] == r["kind"] and o["value"]
                and o["status"] == "ok"]
        if not ours or not r["value"] or (r["impl"].startswith("ours") and r is not ours[0]):
            return None
        o = ours[0]["value"]
        return r["value"] / o if r["kind"] == "time" else o / r["value"]

    def cells(self, r):
        sp = self.speedup(r)
        mem = r["mem"]
        mem = fmt_bytes(mem) if isinstance(mem, (int, float)) else (mem or "")
        status = r["status"]
        value = self.value_text(r)
        if status not in ("ok",) and r["value"] is not None:
            value += " (%s)" % status
        return [r["case"], r["impl"], value, "" if sp is None else "%.2fx" % sp, mem, r["note"]]

    HEAD = ["case", "implementation", "time / value", "ours speedup", "peak GPU mem", "notes"]

    def text_table(self):
        lines = []
        for sec in SECTION_TITLES:
            rows = [self.cells(r) for r in self.rows if r["section"] == sec]
            if not rows:
                continue
            w = [max(len(self.HEAD[i]), *(len(c[i]) for c in rows)) for i in range(5)]
            lines.append("== %s ==" % SECTION_TITLES[sec])
            fmt = "  ".join("%%-%ds" % x for x in w) + "  %s"
            lines.append(fmt % tuple(self.HEAD))
            for c in rows:
                c = list(c)
                if len(c[5]) > 80:   # full notes are in bench.md / bench.json
                    c[5] = c[5][:77] + "..."
                lines.append(fmt % tuple(c))
            lines.append("")
        return "\n".join(lines)

    def markdown(self):
        m = self.meta
        out = ["# rat-mlir benchmark", ""]
        out.append("- date (UTC): %s" % m.get("date", "?"))
        out.append("- machine: %s" % m.get("machine", "?"))
        for k in ("mode", "torch", "driver", "executables", "compiled_from", "budget_s", "elapsed_s"):
            if k in m:
                out.append("- %s: %s" % (k, m[k]))
        out.append("")
        out.append("'ours speedup' = the row's time / our time (throughput rows: our tokens/s / "
                   "the row's): above 1 means the rat-compile executable is faster. "
                   "Rows marked *reported* are quoted from the issue/paper, not measured here.")
        out.append("")
        for sec, title in SECTION_TITLES.items():
            rows = [r for r in self.rows if r["section"] == sec]
            if not rows:
                continue
            out.append("## " + title)
            out.append("")
            out.append("| " + " | ".join(self.HEAD) + " |")
            out.append("|" + "---|" * len(self.HEAD))
            for r in rows:
                out.append("| " + " | ".join(c.replace("|", "\\|") for c in self.cells(r)) + " |")
            out.append("")
        if self.notes:
            out.append("## Notes")
            out.append("")
            out.extend("- " + n for n in self.notes)
            out.append("")
        return "\n".join(out)

    def save(self):
        if not self.out_dir:
            return
        os.makedirs(self.out_dir, exist_ok=True)
        self.meta["elapsed_s"] = round(time.time() - T0, 1)
        for name, text in (("bench.md", self.markdown()),
                           ("bench.json", json.dumps({"meta": self.meta, "rows": self.rows,
                                                      "notes": self.notes}, indent=1, default=str))):
            tmp = os.path.join(self.out_dir, name + ".tmp")
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, os.path.join(self.out_dir, name))


# ===========================================================================
# Time limits
# ===========================================================================

class Budget:
    """The run's deadline; later sections keep a reserve."""

    def __init__(self, total):
        self.total = total

    def left(self):
        return self.total - (time.time() - T0)


class TimeLimit:
    """Raises TimeoutError in this (main) thread after `seconds` (Python
    code only: a running CUDA kernel finishes first)."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        if self.seconds <= 0:
            raise TimeoutError("no time left in the budget")
        self.old = signal.signal(signal.SIGALRM, self._fire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def _fire(self, *_):
        raise TimeoutError("over its %.0f s limit" % self.seconds)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.old)
        return False


def short_error(e):
    s = "%s: %s" % (type(e).__name__, e)
    s = " ".join(s.split())
    return s[:300]


# ===========================================================================
# Running our executables
# ===========================================================================

class MemSampler:
    """Samples device memory in use (cudaMemGetInfo through torch) while an
    executable runs; peak minus the level before it started. None without
    torch/CUDA."""

    def __init__(self, torch_mod):
        self.torch = torch_mod
        self.peak = None

    def __enter__(self):
        self.stop = threading.Event()
        if self.torch is None:
            return self
        self.torch.cuda.synchronize()
        self.torch.cuda.empty_cache()
        free, total = self.torch.cuda.mem_get_info()
        self.base = total - free
        self.max_used = self.base

        def loop():
            try:
                self.torch.cuda.set_device(0)
                while not self.stop.is_set():
                    f, t = self.torch.cuda.mem_get_info()
                    self.max_used = max(self.max_used, t - f)
                    self.stop.wait(0.01)
            except Exception:
                pass
        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        if self.torch is not None:
            self.thread.join(timeout=2)
            self.peak = self.max_used - self.base
        return False


def run_exe(cmd, timeout, torch_mod=None, log_path=None):
    """Runs an executable; returns {rc, stdout, stderr, wall_s, timed_out,
    bench, verbose, sampled_peak}."""
    t = time.time()
    res = {"cmd": " ".join(cmd), "timed_out": False}
    if timeout <= 1:
        res.update(rc=None, stdout="", stderr="not run: no time left in the budget", timed_out=True,
                   wall_s=0.0)
    else:
        with MemSampler(torch_mod) as ms:
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
                res.update(rc=p.returncode, stdout=p.stdout, stderr=p.stderr)
            except subprocess.TimeoutExpired as e:
                out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
                err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
                res.update(rc=None, stdout=out, stderr=err + "\n(timed out after %.0f s)" % timeout,
                           timed_out=True)
            except OSError as e:
                res.update(rc=None, stdout="", stderr=short_error(e))
        res["sampled_peak"] = ms.peak
        res["wall_s"] = time.time() - t
    res["bench"] = parse_bench(res["stdout"])
    res["verbose"] = parse_verbose(res["stderr"])
    if log_path:
        with open(log_path, "w") as f:
            f.write("$ %s\n# rc=%s wall=%.1fs\n--- stdout\n%s\n--- stderr\n%s\n" % (
                res["cmd"], res["rc"], res["wall_s"], res["stdout"], res["stderr"]))
    return res


def exe_error(res):
    if res["timed_out"]:
        if res["stderr"].startswith("not run"):
            return res["stderr"]
        return "timeout after %.0f s" % res.get("wall_s", 0)
    lines = [l for l in res["stderr"].splitlines() if l.startswith("error") or "rat runtime" in l]
    return (lines[-1] if lines else (res["stderr"].strip().splitlines() or ["exit %s" % res["rc"]])[-1])[:200]


def is_oom(res):
    s = (res.get("stderr") or "").lower()
    return "out of memory" in s or "cuda_error_out_of_memory" in s


def mem_of(res):
    """Peak device memory of an executable run: the runtime's own -v line if
    it prints one, else the sampled value (marked '~'), else 'n/a'."""
    if res["verbose"]["peak_mem_bytes"]:
        return res["verbose"]["peak_mem_bytes"]
    if res.get("sampled_peak"):
        return "~" + fmt_bytes(res["sampled_peak"]) + " (sampled)"
    return "n/a"


# ===========================================================================
# Data: weights and inputs (numpy here; torch on the GPU machine)
# ===========================================================================

def rel_err(a, b):
    import numpy as np
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return float("inf")
    if not np.isfinite(a).all():
        return float("nan")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


# ===========================================================================
# The benchmark
# ===========================================================================

def parse_gemm_check(out):
    """scripts/gpu/gemm_check.py output -> [("check", (M, N, K, rel_err, ok)) |
    ("time", (M, N, K, ours_ms, torch_ms)) | ("fail", line)]."""
    rows = []
    for line in out.splitlines():
        c = re.match(r"check \S+ M=(\d+) N=(\d+) K=(\d+) rel_err=(\S+) (OK|FAIL)", line)
        t = re.match(r"time \S+?_(\d+)_(\d+) M=(\d+) ours ([0-9.]+) ms torch ([0-9.]+) ms", line)
        if c:
            rows.append(("check", (int(c.group(1)), int(c.group(2)), int(c.group(3)), c.group(4),
                                   c.group(5) == "OK")))
        elif t:
            n, k, m = (int(v) for v in t.group(1, 2, 3))
            rows.append(("time", (m, n, k, float(t.group(4)), float(t.group(5)))))
        elif line.startswith("FAIL"):
            rows.append(("fail", line))
    return rows


class Bench:
    def __init__(self, args):
        self.args = args
        self.mode = "cpu" if args.dry_run_cpu else ("quick" if args.quick else "full")
        self.S = dict(SIZES[self.mode])
        self.forced_lm_batches = bool(getattr(args, "lm_batches", None))
        if self.forced_lm_batches:
            self.S["lm_batches"] = sorted((int(b) for b in args.lm_batches.split(",")), reverse=True)
        self.exe_dir = args.exe_dir or os.path.join(ROOT, ".device", "bench-cpu" if args.dry_run_cpu else "bench")
        self.out = args.out or os.environ.get("OUT") or "/tmp/rat-bench-out"
        self.work = args.work or "/tmp/rat-bench-work"
        os.makedirs(self.work, exist_ok=True)
        os.makedirs(os.path.join(self.out, "logs"), exist_ok=True)
        self.budget = Budget(args.budget or self.S["budget"])
        self.sections = args.sections.split(",") if args.sections else \
            ["guard", "prefill", "decode", "lm", "breakdown", "gemm"]
        self.report = Report(self.out, {"mode": self.mode, "budget_s": self.budget.total})
        self.torch = None
        self.ti = None            # torch_impls
        self.ceil = {}            # measured ceilings: copy_gbps, mm_tflops
        self.guard_ok = {}        # exe key -> bool
        self.layer_w = None       # numpy weights of the paper-scale layer
        self.ours_prefill = {}    # (B, T) -> ms

    # -- helpers ----------------------------------------------------------
    def exe(self, key):
        p = os.path.join(self.exe_dir, EXES[key])
        return p if os.path.exists(p) else None

    def config(self, key):
        p = os.path.join(self.exe_dir, EXES[key] + ".config.json")
        if os.path.exists(p):
            return json.load(open(p))
        fallback = {"layer_prefill": "rat_layer_2048.json", "layer_decode": "rat_layer_2048.json",
                    "lm_rat": "lm_rat_1p3b.json", "lm_ratswa": "lm_ratswa_1p3b.json"}[key]
        return json.load(open(os.path.join(HERE, "configs", fallback)))

    def logp(self, name):
        return os.path.join(self.out, "logs", re.sub(r"[^\w.-]+", "_", name) + ".log")

    # Steps in run order, the --sections name each belongs to, and the share
    # of the budget kept for it while earlier steps run.
    # A step whose section is a tuple runs when any of them is enabled.
    STEPS = [("guard", "guard", 0.06), ("prefill", "prefill", 0.40), ("decode", "decode", 0.18),
             ("mm", "breakdown", 0.02), ("lm", "lm", 0.28), ("ncu", "breakdown", 0.06),
             ("gemm", "gemm", 0.08), ("lmcheck", ("serving", "peers", "lmprefill"), 0.06),
             ("serving", "serving", 0.24), ("lmprefill", "lmprefill", 0.12), ("peers", "peers", 0.40)]

    def enabled(self, sec):
        return any(x in self.sections for x in ((sec,) if isinstance(sec, str) else sec))

    def reserve_after(self, step):
        """Seconds kept for the enabled steps after `step`."""
        order = [(k, share) for k, sec, share in self.STEPS if self.enabled(sec)]
        keys = [k for k, _ in order]
        later = order[keys.index(step) + 1:] if step in keys else []
        return sum(share for _, share in later) * self.budget.total

    def allow(self, section, want):
        return max(0.0, min(want, self.budget.left() - self.reserve_after(section)))

    def free_gpu(self):
        gc.collect()
        if self.torch is not None:
            self.torch.cuda.synchronize()
            self.torch.cuda.empty_cache()

    def can_time(self, key):
        return self.guard_ok.get(key, False) or self.args.time_failing

    # -- setup --------------------------------------------------------------
    def setup(self):
        m = self.report.meta
        m["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        m["executables"] = self.exe_dir
        cpath = os.path.join(self.exe_dir, "compiler.txt")
        if os.path.exists(cpath):
            m["compiled_from"] = " | ".join(l.strip() for l in open(cpath) if l.strip())
        missing = [n for k, n in EXES.items() if not self.exe(k)]
        if missing:
            self.report.notes.append("missing executables in %s: %s (run benchmarks/build.sh)" % (
                self.exe_dir, ", ".join(missing)))
        if self.mode == "cpu":
            m["machine"] = "%s (CPU dry run: no torch, toy widths)" % platform.node()
            return
        try:
            import torch
            if not torch.cuda.is_available():
                raise RuntimeError("torch sees no CUDA device")
            self.torch = torch
            import torch_impls
            self.ti = torch_impls
        except Exception as e:
            self.report.notes.append("PyTorch/CUDA unavailable (%s): torch rows skipped" % short_error(e))
            m["machine"] = platform.node()
            return
        # References in float32 must not use TF32.
        torch.backends.cuda.matmul.allow_tf32 = False
        p = torch.cuda.get_device_properties(0)
        m["machine"] = "%s, %d SMs, %.0f GiB, host %s" % (p.name, p.multi_processor_count,
                                                          p.total_memory / 1024 ** 3, platform.node())
        m["torch"] = "%s (CUDA %s)" % (torch.__version__, torch.version.cuda)
        try:
            smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,clocks.max.sm,power.limit",
                                  "--format=csv,noheader"], capture_output=True, text=True, timeout=20)
            m["driver"] = smi.stdout.strip()
        except Exception:
            pass
        self.ceilings()

    def cuda_time(self, fn, warmup=2, reps=10, max_s=None):
        """Median ms of fn() over reps, CUDA events around each call."""
        torch = self.torch
        for _ in range(warmup):
            fn()
        torch.cuda.synchronize()
        times, start = [], time.time()
        for _ in range(reps):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
            if max_s and time.time() - start > max_s and len(times) >= 3:
                break
        times.sort()
        n = len(times)
        return (times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2), n

    def ceilings(self):
        torch = self.torch
        log("ceilings: device-to-device copy, 8192^3 bf16 matmul")
        try:
            with TimeLimit(60):
                n = 2 * 1024 ** 3
                a = torch.empty(n, dtype=torch.uint8, device="cuda").random_(0, 255)
                b = torch.empty_like(a)
                ms, _ = self.cuda_time(lambda: b.copy_(a), warmup=3, reps=20)
                self.ceil["copy_gbps"] = 2 * n / (ms * 1e-3) / 1e9
                a = b = None
                x = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
                y = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
                ms, _ = self.cuda_time(lambda: x @ y, warmup=3, reps=20)
                self.ceil["mm_tflops"] = 2 * 8192 ** 3 / (ms * 1e-3) / 1e12
                x = y = None
            self.report.add("env", "ceilings", "device-to-device copy (read+write)",
                            value="%.0f GB/s" % self.ceil["copy_gbps"], kind="info")
            self.report.add("env", "ceilings", "torch.matmul 8192^3 bf16 (random data)",
                            value="%.0f TFLOP/s" % self.ceil["mm_tflops"], kind="info")
        except Exception as e:
            self.report.add("env", "ceilings", "ceilings", status="error", note=short_error(e))
        self.free_gpu()
        self.report.save()

    # -- guard --------------------------------------------------------------
    def layer_weights(self):
        if self.layer_w is None:
            cfg = self.config("layer_prefill")
            self.layer_w = random_layer_np(cfg, seed=self.args.seed)
            import ratref
            self.layer_w_path = os.path.join(self.work, "layer_w.safetensors")
            ratref.write_safetensors(self.layer_w_path, self.layer_w)
        return self.layer_w

    def layer_reference(self, x, cfg, w):
        """float64 prefill of the RAT layer."""
        if self.torch is not None:
            torch, rt = self.torch, self.ti.rat_torch
            w64 = {k: torch.from_numpy(v).to("cuda", torch.float64) for k, v in w.items()}
            return rt.rat_layer(torch.from_numpy(x).to("cuda", torch.float64), w64, cfg).cpu().numpy()
        import ratref
        return ratref.rat_layer(x, w, ratref.Cfg(cfg))["y"]

    def guard(self):
        import numpy as np
        log("guard: small inputs against the float64 reference")
        for key, decode in (("layer_prefill", False), ("layer_decode", True)):
            exe, name = self.exe(key), EXES[key]
            case = "B=%d T=%d" % (self.S["guard_decode"] if decode else self.S["guard_layer"])
            impl = "ours %s%s vs f64" % (name, " --decode" if decode else "")
            if not exe:
                self.report.add("guard", case, impl, status="skipped", note="not built")
                continue
            try:
                cfg = self.config(key)
                w = self.layer_weights()
                B, T = self.S["guard_decode"] if decode else self.S["guard_layer"]
                x = round_bf16(np.random.default_rng(self.args.seed + 7).standard_normal(
                    (B, T, cfg["d_model"]), dtype=np.float32))
                xp, yp = os.path.join(self.work, "gx.npy"), os.path.join(self.work, "gy.npy")
                np.save(xp, x)
                cmd = [exe, "--weights", self.layer_w_path, "--input", xp, "--output", yp]
                res = run_exe(cmd + (["--decode"] if decode else []), self.allow("guard", 120),
                              log_path=self.logp("guard_" + name))
                if res["rc"] != 0:
                    self.guard_ok[key] = False
                    self.report.add("guard", case, impl, status="FAIL", note=exe_error(res))
                    continue
                err = rel_err(np.load(yp), self.layer_reference(x, cfg, w))
                self.guard_ok[key] = err < BF16_RTOL
                self.report.add("guard", case, impl, value="rel err %.2e" % err, kind="info",
                                status="ok" if self.guard_ok[key] else "FAIL",
                                note="tolerance %.0e" % BF16_RTOL)
            except Exception as e:
                self.guard_ok[key] = False
                self.report.add("guard", case, impl, status="error", note=short_error(e))
            self.report.save()
        if self.torch is not None:
            self.guard_torch()
        self.free_gpu()

    def guard_torch(self):
        """The PyTorch implementations we time, against the same reference."""
        import numpy as np
        torch, ti = self.torch, self.ti
        cfg = self.config("layer_prefill")
        w = self.layer_weights()
        wb = {k: torch.from_numpy(v).to("cuda", torch.bfloat16) for k, v in w.items()}
        B, T = self.S["guard_layer"]
        x = round_bf16(np.random.default_rng(self.args.seed + 8).standard_normal(
            (B, T, cfg["d_model"]), dtype=np.float32))
        ref = None
        try:
            with TimeLimit(self.allow("guard", 120)):
                ref = self.layer_reference(x, cfg, w)
                y = ti.rat_layer_flex(*ti.rat_layer_flex_args(torch.from_numpy(x).to("cuda", torch.bfloat16),
                                                              wb, cfg))
                err = rel_err(y.float().cpu().numpy(), ref)
                self.guard_ok["torch_rat"] = err < BF16_RTOL
                self.report.add("guard", "B=%d T=%d" % (B, T), "torch rat_layer_flex (eager) vs f64",
                                value="rel err %.2e" % err, kind="info",
                                status="ok" if err < BF16_RTOL else "FAIL")
        except Exception as e:
            self.report.add("guard", "B=%d T=%d" % (B, T), "torch rat_layer_flex (eager) vs f64",
                            status="error", note=short_error(e))
        try:
            with TimeLimit(self.allow("guard", 120)):
                Bd, Td = self.S["guard_decode"]
                xd = x[:Bd, :Td] if Td <= T else None
                refd = self.layer_reference(xd, cfg, w)
                dec = ti.RatDecoder(wb, cfg, Bd, Td, torch.bfloat16, "cuda")
                xt = torch.from_numpy(xd).to("cuda", torch.bfloat16)
                y = torch.cat([dec.step(xt[:, p:p + 1], p) for p in range(Td)], 1)
                err = rel_err(y.float().cpu().numpy(), refd)
                self.guard_ok["torch_rat_decode"] = err < BF16_RTOL
                self.report.add("guard", "B=%d T=%d" % (Bd, Td), "torch RatDecoder steps vs f64 prefill",
                                value="rel err %.2e" % err, kind="info",
                                status="ok" if err < BF16_RTOL else "FAIL")
                wa = ti.random_attention_layer(cfg["d_model"], self.args.seed + 3, "cuda", torch.bfloat16)
                H, Dh = cfg["num_head"], cfg["d_model"] // cfg["num_head"]
                cos, sin = ti.rope_tables(torch.arange(Td, device="cuda"), Dh, 10000.0, torch.float32)
                full = ti.attention_layer(xt, wa["input_norm.weight"], wa["in_proj.weight"],
                                          wa["out_proj.weight"], cos, sin, H)
                ad = ti.AttnDecoder(wa, H, Bd, Td, torch.bfloat16, "cuda")
                ys = torch.cat([ad.step(xt[:, p:p + 1], p) for p in range(Td)], 1)
                err = rel_err(ys.float().cpu().numpy(), full.float().cpu().numpy())
                self.report.add("guard", "B=%d T=%d" % (Bd, Td), "torch AttnDecoder steps vs its prefill",
                                value="rel err %.2e" % err, kind="info",
                                status="ok" if err < BF16_RTOL else "FAIL")
        except Exception as e:
            self.report.add("guard", "decode", "torch decoders", status="error", note=short_error(e))
        self.report.save()

    # -- prefill ------------------------------------------------------------
    def make_input(self, B, T, D, seed):
        """x [B,T,D]: a float16 .npy for our executable (converted to bf16 on
        load) and, with torch, the same values on the GPU in bf16."""
        import numpy as np
        path = os.path.join(self.work, "x_%d_%d.npy" % (B, T))
        if self.torch is not None:
            torch = self.torch
            g = torch.Generator(device="cuda").manual_seed(seed)
            xg = torch.randn(B, T, D, device="cuda", generator=g, dtype=torch.float32).to(torch.bfloat16)
            np.save(path, xg.to(torch.float16).cpu().numpy())
            return path, xg
        np.save(path, np.random.default_rng(seed).standard_normal((B, T, D), dtype=np.float32).astype(np.float16))
        return path, None

    def run_ours_timed(self, section, cmd, phase, want_s, logname):
        """Times our executable in two steps, so that a slow one still gives
        a number: (1) one plain run with -v (the wall-clock time of its
        `phase`: a prefill, or a whole decode pass); (2) if what is left
        allows, `--bench N --warmup W` (CUDA-event medians). Returns (res,
        timing) where timing = {ms, count, per_step, source} (ms per run,
        or per step for decode), or (res, None) when even (1) failed."""
        start = time.time()
        left = lambda: self.allow(section, want_s - (time.time() - start))
        first = run_exe(cmd + ["-v"], left(), self.torch, self.logp(logname))
        if first["rc"] != 0:
            return first, None
        ph = first["verbose"]["phases"].get(phase)
        if not ph:
            return first, None
        one = ph["ms"] / 1e3                      # one prefill, or one whole decode pass
        overhead = max(first["wall_s"] - one, 0)  # start, weights, I/O
        timing = {"ms": ph["ms"], "count": 1, "per_step": False,
                  "source": "wall clock of one run (-v): no time left for --bench"}
        if phase == "decode":
            vs = decode_steps_from_verbose(first["verbose"])
            if not vs:
                return first, None
            timing.update(ms=vs[1] / vs[0], count=vs[0], per_step=True,
                          source="mean wall clock per step of one pass (-v): no time left for --bench")
            n, warm = 1, 0                        # each timed iteration is a whole pass
        else:
            n = int(max(3, min(20, 15.0 / max(one, 1e-3))))
            warm = 2 if one < 1 else 1
        need = overhead + one * (1 + warm + n) + 5
        while n > 3 and need > left():
            n -= 1
            need = overhead + one * (1 + warm + n) + 5
        if need > left():
            return first, timing
        res = run_exe(cmd + ["--bench", str(n), "--warmup", str(warm), "-v"], left(), self.torch,
                      self.logp(logname + "_bench"))
        b = res["bench"].get(phase)
        if res["rc"] != 0 or not b:
            timing["source"] += " (the --bench run failed: %s)" % exe_error(res)
            return first, timing
        if first.get("sampled_peak") and res.get("sampled_peak"):
            res["sampled_peak"] = max(first["sampled_peak"], res["sampled_peak"])
        b = dict(b)
        b["source"] = "median of %d %s (--bench)" % (b["count"], "steps" if b["per_step"] else "runs")
        return res, b

    def prefill(self):
        cfg = self.config("layer_prefill")
        exe = self.exe("layer_prefill")
        D, H, Dh, G, L = layer_dims(cfg)
        cases = self.S["prefill"]
        for i, (B, T) in enumerate(cases):
            case = "B=%d T=%d" % (B, T)
            log("prefill %s" % case)
            per_case = (self.budget.left() - self.reserve_after("prefill")) / (len(cases) - i)
            xpath, xg = None, None
            try:
                xpath, xg = self.make_input(B, T, D, self.args.seed + 100 + i)
            except Exception as e:
                self.report.add("prefill", case, "input", status="error", note=short_error(e))
                continue
            # ours
            impl = "ours (rat-compile, --bench)"
            if not exe:
                self.report.add("prefill", case, impl, status="skipped", note="not built")
            elif not self.can_time("layer_prefill"):
                self.report.add("prefill", case, impl, status="FAIL", note="correctness guard failed; not timed")
            else:
                self.layer_weights()
                ypath = os.path.join(self.work, "y.npy")
                cmd = [exe, "--weights", self.layer_w_path, "--input", xpath, "--output", ypath]
                res, b = self.run_ours_timed("prefill", cmd, "prefill", per_case * 0.4, "prefill_ours_%d_%d" % (B, T))
                if res["rc"] == 0 and b:
                    self.ours_prefill[(B, T)] = b["ms"]
                    c = layer_counts(B, T, cfg)
                    self.report.add("prefill", case, impl, b["ms"], mem=mem_of(res),
                                    note="%s; %s on the layer's %s" % (
                                        b["source"], fmt_rate(c["flops"], b["ms"]), fmt_flops(c["flops"])))
                else:
                    self.report.add("prefill", case, impl, status="timeout" if res["timed_out"] else "error",
                                    note=exe_error(res))
                if os.path.exists(ypath):
                    os.remove(ypath)
            # torch
            if self.torch is not None and xg is not None:
                self.torch_prefill(B, T, cfg, xg, per_case)
            elif self.torch is None:
                self.report.add("prefill", case, "torch rows", status="skipped", note="no torch here")
            rep = REPORTED.get(("prefill", B, T))
            if rep:
                self.report.add("prefill", case, "RAT authors' layer (reported)", rep, status="reported",
                                note="quoted in the issue, H100; not measured here")
            del xg
            if xpath and os.path.exists(xpath):
                os.remove(xpath)
            self.free_gpu()
            self.report.save()

    def torch_prefill(self, B, T, cfg, x, per_case):
        torch, ti = self.torch, self.ti
        case = "B=%d T=%d" % (B, T)
        D, H = cfg["d_model"], cfg["num_head"]
        w = {k: torch.from_numpy(v).to("cuda", torch.bfloat16) for k, v in self.layer_weights().items()}
        if not hasattr(self, "compiled_rat"):
            self.compiled_rat = torch.compile(ti.rat_layer_flex, dynamic=False)
            self.compiled_attn = torch.compile(ti.attention_layer, dynamic=False)
        from torch.nn.attention import sdpa_kernel, SDPBackend

        def measure(impl, fn, limit):
            try:
                with TimeLimit(limit), torch.no_grad():
                    t = time.time()
                    fn()                      # compiles
                    torch.cuda.synchronize()
                    compile_s = time.time() - t
                    one, _ = self.cuda_time(fn, warmup=1, reps=1)
                    reps = int(max(3, min(20, (limit - (time.time() - t)) * 0.5 / max(one * 1e-3, 1e-4))))
                    ms, n = self.cuda_time(fn, warmup=1, reps=reps, max_s=max(limit - (time.time() - t) - 5, 1))
                    torch.cuda.reset_peak_memory_stats()
                    fn()
                    torch.cuda.synchronize()
                    peak = torch.cuda.max_memory_allocated()
                self.report.add("prefill", case, impl, ms, mem=peak,
                                note="median of %d; compile+first call %.0f s" % (n, compile_s))
            except torch.cuda.OutOfMemoryError as e:
                self.report.add("prefill", case, impl, status="OOM", note=short_error(e)[:120])
            except TimeoutError as e:
                self.report.add("prefill", case, impl, status="timeout", note=str(e))
            except Exception as e:
                self.report.add("prefill", case, impl, status="error", note=short_error(e))
            self.free_gpu()

        args = ti.rat_layer_flex_args(x, w, cfg)
        ok = self.guard_ok.get("torch_rat", True)
        measure("torch spec, torch.compile + flex_attention" + ("" if ok else " (guard FAILED)"),
                lambda: self.compiled_rat(*args), self.allow("prefill", per_case * 0.35))
        args = None
        self.free_gpu()
        wa = ti.random_attention_layer(D, self.args.seed + 3, "cuda", torch.bfloat16)
        cos, sin = ti.rope_tables(torch.arange(T, device="cuda"), D // H, 10000.0, torch.float32)

        def attn():
            with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
                return self.compiled_attn(x, wa["input_norm.weight"], wa["in_proj.weight"],
                                          wa["out_proj.weight"], cos, sin, H)
        measure("torch causal attention (SDPA flash), torch.compile", attn, self.allow("prefill", per_case * 0.25))
        w = wa = cos = sin = None

    # -- breakdown ----------------------------------------------------------
    def breakdown_torch(self):
        """Projection GEMMs in torch at the prefill shapes, and the floors."""
        cfg = self.config("layer_prefill")
        D, H, Dh, G, L = layer_dims(cfg)
        P = 3 * D + 2 * G * Dh
        mm, bw = self.ceil.get("mm_tflops"), self.ceil.get("copy_gbps")
        for (B, T) in self.S["prefill"]:
            case = "B=%d T=%d" % (B, T)
            c = layer_counts(B, T, cfg)
            if self.torch is not None:
                torch = self.torch
                try:
                    with TimeLimit(self.allow("mm", 60)), torch.no_grad():
                        a = torch.randn(B * T, D, device="cuda", dtype=torch.bfloat16)
                        for name, rows, flops in (("in_proj", P, c["in_proj_flops"]),
                                                  ("out_proj", D, c["out_proj_flops"])):
                            wt = torch.randn(rows, D, device="cuda", dtype=torch.bfloat16) * D ** -0.5
                            ms, n = self.cuda_time(lambda: a @ wt.t(), warmup=2, reps=10)
                            self.report.add("breakdown", case, "torch.matmul %s [%d,%d]x[%d,%d]^T" % (
                                name, B * T, D, rows, D), ms,
                                note="%s (%s)" % (fmt_rate(flops, ms), fmt_flops(flops)))
                            del wt
                        del a
                except Exception as e:
                    self.report.add("breakdown", case, "torch.matmul projections", status="error",
                                    note=short_error(e))
                self.free_gpu()
            rate = lambda: ("at the measured %.0f TFLOP/s / %.0f GB/s" % (mm, bw)) if mm and bw else \
                "(no measured ceilings: floors not computed)"
            for name, fl, by in (("floor: projections (FLOPs)", c["proj_flops"], 0),
                                 ("floor: chunk scan, unfused (bytes)", 0, c["scan_bytes"]),
                                 ("floor: chunk attention (FLOPs, bytes)", c["attn_flops"], c["attn_bytes"]),
                                 ("floor: scan+attention fused (FLOPs, bytes)", c["attn_flops"],
                                  c["chunk_fused_bytes"]),
                                 ("floor: whole layer", c["flops"], c["min_bytes"])):
                detail = []
                if fl:
                    detail.append(fmt_flops(fl))
                if by:
                    detail.append(fmt_si_bytes(by))
                self.report.add("breakdown", case, name, floor_ms(fl, by, mm, bw), kind="floor",
                                status="ok" if mm and bw else "skipped",
                                note=", ".join(detail) + " " + rate())
            self.report.save()

    def breakdown_ncu(self):
        """Per-kernel device times of our prefill (ncu), grouped by class."""
        exe = self.exe("layer_prefill")
        ncu = find_ncu()
        cfg = self.config("layer_prefill")
        D = cfg["d_model"]
        kmap = read_kernel_map(os.path.join(self.exe_dir, EXES["layer_prefill"] + ".kernels.tsv"))
        if not exe or not ncu or self.torch is None:
            self.report.add("breakdown", "-", "ours per kernel (ncu)", status="skipped",
                            note="needs the executable, ncu and a GPU" + ("" if ncu else " (ncu not found)"))
            return
        if not self.can_time("layer_prefill"):
            return
        mm, bw = self.ceil.get("mm_tflops"), self.ceil.get("copy_gbps")
        for (B, T) in self.S["prefill"]:
            t_ours = self.ours_prefill.get((B, T))
            left = self.allow("ncu", 240)
            # ncu serialises and replays nothing for one metric; shrink the batch
            # until one profiled prefill fits a third of what is left.
            Bn = B
            cost = lambda b: t_ours * 1e-3 * b / B * 3 + 20
            while t_ours and Bn > 1 and cost(Bn) > left / 3:
                Bn //= 2
            case = "B=%d T=%d" % (Bn, T)
            if not t_ours:
                self.report.add("breakdown", case, "ours per kernel (ncu)", status="skipped",
                                note="our prefill at B=%d T=%d was not timed" % (B, T))
                continue
            if left < 30 or cost(Bn) > left:
                self.report.add("breakdown", case, "ours per kernel (ncu)", status="skipped", note="no time left")
                continue
            log("breakdown: ncu on our prefill at %s" % case)
            try:
                xpath, xg = self.make_input(Bn, T, D, self.args.seed + 200)
                del xg
                ypath = os.path.join(self.work, "y.npy")
                cmd = [ncu, "--clock-control", "none", "--metrics", "gpu__time_duration.sum", "--csv",
                       "--print-units", "base", exe, "--weights", self.layer_w_path, "--input", xpath,
                       "--output", ypath]
                res = run_exe(cmd, left, None, self.logp("ncu_%d_%d" % (Bn, T)))
                for p in (xpath, ypath):
                    if os.path.exists(p):
                        os.remove(p)
                ks = parse_ncu_csv(res["stdout"] + "\n" + res["stderr"])
                if not ks:
                    self.report.add("breakdown", case, "ours per kernel (ncu)", status="error",
                                    note=exe_error(res) if res["rc"] else "no ncu rows parsed")
                    continue
                c = layer_counts(Bn, T, cfg)
                groups = {}
                for k in ks:
                    cls, detail = kmap.get(k["kernel"], ("unmapped", ""))
                    key = cls + (" " + detail if cls == "gemm" else "")
                    groups.setdefault(key, [0.0, 0])
                    groups[key][0] += k["ns"] / 1e6
                    groups[key][1] += 1
                total = sum(v[0] for v in groups.values())
                self.report.add("breakdown", case, "ours: all kernels (ncu)", total,
                                note="%d launches; whole-layer floor %s" % (
                                    len(ks), fmt_ms(floor_ms(c["flops"], c["min_bytes"], mm, bw))))
                for key, (ms, n) in sorted(groups.items(), key=lambda kv: -kv[1][0]):
                    note = "%d launch%s, %.0f%%" % (n, "" if n == 1 else "es", 100 * ms / total)
                    if key == "gemm in_proj":
                        note += "; " + fmt_rate(c["in_proj_flops"], ms)
                    elif key == "gemm out_proj":
                        note += "; " + fmt_rate(c["out_proj_flops"], ms)
                    elif key == "scan":
                        note += "; %.0f GB/s of the unfused scan bytes (copy ceiling %s)" % (
                            c["scan_bytes"] / (ms * 1e-3) / 1e9, "%.0f GB/s" % bw if bw else "n/a")
                    elif key == "attention":
                        note += "; %s; floor %s" % (
                            fmt_rate(c["attn_flops"], ms),
                            fmt_ms(floor_ms(c["attn_flops"], c["attn_bytes"], mm, bw)))
                    self.report.add("breakdown", case, "ours: " + key, ms, note=note)
            except Exception as e:
                self.report.add("breakdown", case, "ours per kernel (ncu)", status="error", note=short_error(e))
            self.report.save()

    # -- decode -------------------------------------------------------------
    def decode(self):
        cfg = self.config("layer_decode")
        exe = self.exe("layer_decode")
        D, H, Dh, G, L = layer_dims(cfg)
        cases = self.S["decode"]
        for i, (B, ctx) in enumerate(cases):
            case = "B=%d ctx=%d" % (B, ctx)
            log("decode %s" % case)
            per_case = (self.budget.left() - self.reserve_after("decode")) / (len(cases) - i)
            impl = "ours (--decode --bench)"
            if not exe:
                self.report.add("decode", case, impl, status="skipped", note="not built")
            elif not self.can_time("layer_decode"):
                self.report.add("decode", case, impl, status="FAIL", note="correctness guard failed; not timed")
            else:
                try:
                    self.layer_weights()
                    xpath, xg = self.make_input(B, ctx, D, self.args.seed + 300 + i)
                    del xg
                    ypath = os.path.join(self.work, "yd.npy")
                    cmd = [exe, "--weights", self.layer_w_path, "--input", xpath, "--output", ypath, "--decode"]
                    res, b = self.run_ours_timed("decode", cmd, "decode", per_case * 0.6,
                                                 "decode_ours_%d_%d" % (B, ctx))
                    for p in (xpath, ypath):
                        if os.path.exists(p):
                            os.remove(p)
                    if res["rc"] == 0 and b:
                        vs = decode_steps_from_verbose(res["verbose"])
                        mean = "; first pass, wall clock: %.4f ms/step mean" % (vs[1] / vs[0]) if vs else ""
                        self.report.add(
                            "decode", case, impl, b["ms"], mem=mem_of(res),
                            note="%s over the steps of a pass from position 0, i.e. contexts 0..%d (about a "
                                 "step at context %d): the runtime cannot time one step at a given context%s" % (
                                     b["source"], ctx - 1, ctx // 2, mean))
                    else:
                        self.report.add("decode", case, impl, status="timeout" if res["timed_out"] else "error",
                                        note=exe_error(res))
                except Exception as e:
                    self.report.add("decode", case, impl, status="error", note=short_error(e))
            if self.torch is not None:
                self.torch_decode(B, ctx, cfg, per_case)
            else:
                self.report.add("decode", case, "torch rows", status="skipped", note="no torch here")
            rep = REPORTED.get(("decode", B, ctx))
            if rep:
                self.report.add("decode", case, "RAT authors' step (reported)", rep, status="reported",
                                note="quoted in the issue, at position %d; not measured here" % ctx)
            mm, bw = self.ceil.get("mm_tflops"), self.ceil.get("copy_gbps")
            c = decode_counts(B, ctx, cfg)
            self.report.add("decode", case, "floor of a RAT step at ctx", floor_ms(c["flops"], c["bytes"], mm, bw),
                            kind="floor", status="ok" if bw else "skipped",
                            note="%s (weights + %d cache rows of k,v + state), %s" % (
                                fmt_si_bytes(c["bytes"]), ctx // L + 1, fmt_flops(c["flops"])))
            self.free_gpu()
            self.report.save()

    def torch_decode(self, B, ctx, cfg, per_case):
        torch, ti = self.torch, self.ti
        case = "B=%d ctx=%d" % (B, ctx)
        D, H, Dh, G, L = layer_dims(cfg)
        w = {k: torch.from_numpy(v).to("cuda", torch.bfloat16) for k, v in self.layer_weights().items()}
        wa = ti.random_attention_layer(D, self.args.seed + 3, "cuda", torch.bfloat16)
        g = torch.Generator(device="cuda").manual_seed(self.args.seed + 400)
        x1 = torch.randn(B, 1, D, device="cuda", generator=g).to(torch.bfloat16)
        limit = self.allow("decode", per_case * 0.35)
        try:
            with TimeLimit(limit), torch.no_grad():
                dec = ti.RatDecoder(w, cfg, B, ctx + L, torch.bfloat16, "cuda")
                dec.fill_random(ctx // L + 1, g)
                for pos in (ctx, ctx // 2):
                    ms, n = self.cuda_time(lambda: dec.step(x1, pos), warmup=5, reps=50, max_s=limit / 6)
                    self.report.add("decode", case, "torch spec, eager step @%d" % pos, ms,
                                    note="median of %d steps at position %d (cache rows filled at random)" % (n, pos))
                dec = None
                self.free_gpu()
                ad = ti.AttnDecoder(wa, H, B, ctx + 1, torch.bfloat16, "cuda")
                ad.fill_random(ctx + 1, g)
                for pos in (ctx, ctx // 2):
                    ms, n = self.cuda_time(lambda: ad.step(x1, pos), warmup=5, reps=50, max_s=limit / 6)
                    c = attn_decode_counts(B, pos, D, H)
                    self.report.add("decode", case, "torch attention + KV cache (SDPA) @%d" % pos, ms,
                                    note="median of %d; %s moved at least (%.0f GB/s)" % (
                                        n, fmt_si_bytes(c["bytes"]), c["bytes"] / (ms * 1e-3) / 1e9))
                ad = None
        except torch.cuda.OutOfMemoryError as e:
            self.report.add("decode", case, "torch decode steps", status="OOM", note=short_error(e)[:120])
        except TimeoutError as e:
            self.report.add("decode", case, "torch decode steps", status="timeout", note=str(e))
        except Exception as e:
            self.report.add("decode", case, "torch decode steps", status="error", note=short_error(e))
        del w, wa
        self.free_gpu()

    # -- whole LM -------------------------------------------------------------
    def lm(self):
        models = [("lm_rat", "rat"), ("lm_ratswa", "ratswa")]
        for i, (key, tag) in enumerate(models):
            per_model = (self.budget.left() - self.reserve_after("lm")) / (len(models) - i)
            try:
                self.lm_one(key, tag, per_model)
            except Exception as e:
                self.report.add("lm", EXES[key], "ours", status="error", note=short_error(e))
                traceback.print_exc()
            self.free_gpu()
            self.report.save()

    def lm_weights(self, key, cfg, path=None):
        """Writes the seeded random weights; returns (path, reference weights
        (torch bf16 on the GPU, or numpy), bytes on disk)."""
        path = path or os.path.join(self.work, EXES[key] + ".safetensors")
        seed = self.args.seed + (11 if key == "lm_rat" else 12)
        if self.torch is not None:
            from safetensors.torch import save_file
            w = self.ti.rat_torch.random_lm_weights(cfg, seed, "cuda", self.torch.bfloat16)
            save_file({k: v.cpu() for k, v in w.items()}, path)
            return path, w, os.path.getsize(path)
        import ratref
        w = random_lm_np(cfg, seed)
        ratref.write_safetensors(path, w)
        return path, w, sum(v.size * 2 for v in w.values())

    def lm_guard(self, key, cfg, wpath, w, step="lm"):
        import numpy as np
        exe = self.exe(key)
        T = self.S["guard_lm_tokens"]
        case = "B=1 T=%d" % T
        impl = "ours %s logits vs f32 reference" % EXES[key]
        tokens = np.random.default_rng(self.args.seed + 21).integers(0, cfg["vocab_size"], (1, T)).astype(np.int32)
        tp, lp = os.path.join(self.work, "gt.npy"), os.path.join(self.work, "gl.npy")
        np.save(tp, tokens)
        res = run_exe([exe, "--weights", wpath, "--tokens", tp, "--logits", lp, "-v"],
                      self.allow(step, 150), log_path=self.logp("guard_" + EXES[key]))
        if res["rc"] != 0:
            self.report.add("guard", case, impl, status="FAIL", note=exe_error(res))
            return False
        got = np.load(lp)
        os.remove(lp)
        if self.torch is not None:
            torch = self.torch
            with torch.no_grad():
                w32 = {k: v.float() for k, v in w.items()}
                ref = self.ti.lm_forward(torch.from_numpy(tokens).long().cuda(), w32, cfg).cpu().numpy()
                del w32
        else:
            import ratref
            ref = ratref.lm_forward(tokens, w, ratref.Cfg(cfg))
        err = rel_err(got, ref)
        top1 = float((got.argmax(-1) == ref.argmax(-1)).mean())
        ok = err < self.args.lm_rtol
        self.report.add("guard", case, impl, value="rel err %.2e" % err, kind="info",
                        status="ok" if ok else "FAIL",
                        note="tolerance %.0e; top-1 agreement %.1f%%; prefill %.0f ms (-v)" % (
                            self.args.lm_rtol, 100 * top1, res["verbose"]["phases"].get("prefill", {}).get("ms", float("nan"))))
        return ok

    def lm_one(self, key, tag, allowance):
        import numpy as np
        exe = self.exe(key)
        cfg = self.config(key)
        P, N = self.S["lm_prompt"], self.S["lm_new"]
        name = "1.3B RAT" if tag == "rat" else "1.3B RAT-SWA"
        if self.mode == "cpu":
            name = "toy " + tag
        case = "%s P=%d N=%d" % (name, P, N)
        start = time.time()
        deadline = lambda: allowance - (time.time() - start)
        if not exe:
            self.report.add("lm", case, "ours", status="skipped", note="not built")
            return
        log("lm %s: weights" % EXES[key])
        wpath, w, wbytes = self.lm_weights(key, cfg)
        log("lm %s: guard" % EXES[key])
        ok = self.lm_guard(key, cfg, wpath, w)
        del w
        self.free_gpu()
        if not ok and not self.args.time_failing:
            self.report.add("lm", case, "ours", status="FAIL", note="correctness guard failed; not timed")
            os.remove(wpath)
            return

        def attempt(B, bench):
            tokens = np.random.default_rng(self.args.seed + B).integers(0, cfg["vocab_size"], (B, P)).astype(np.int32)
            tp, gp = os.path.join(self.work, "lt.npy"), os.path.join(self.work, "lg.npy")
            np.save(tp, tokens)
            cmd = [exe, "--weights", wpath, "--tokens", tp, "--prompt-len", str(P), "--generate", str(N),
                   "--output", gp, "-v"] + (["--bench", "1", "--warmup", "0"] if bench else [])
            res = run_exe(cmd, max(deadline(), 0), self.torch, self.logp("lm_%s_B%d" % (tag, B)))
            if os.path.exists(gp):
                os.remove(gp)
            return res

        def summarize(B, res):
            """(decode tok/s, end-to-end tok/s, prefill ms, step ms, source)."""
            b = res["bench"]
            if "prefill" in b and "decode" in b:
                pre, step = b["prefill"]["ms"], b["decode"]["ms"]
                src = "--bench medians"
            else:
                ph = res["verbose"]["phases"]
                vs = decode_steps_from_verbose(res["verbose"])
                if "prefill" not in ph or not vs:
                    return None
                pre, step = ph["prefill"]["ms"], vs[1] / vs[0]
                src = "-v wall clock of the first run"
            total = pre + step * (N - 1)
            return B / (step * 1e-3), B * N / (total * 1e-3), pre, step, src

        log("lm %s: probe at batch 1" % EXES[key])
        probe = attempt(1, bench=False)
        s1 = summarize(1, probe) if probe["rc"] == 0 else None
        if not s1:
            self.report.add("lm", case, "ours B=1", status="timeout" if probe["timed_out"] else "error",
                            note=exe_error(probe))
            os.remove(wpath)
            return
        t1 = probe["wall_s"]
        total_mem = self.torch.cuda.mem_get_info()[1] if self.torch is not None else None
        peak1 = probe.get("sampled_peak")
        fixed = wbytes + 1024 ** 3
        per_row = max((peak1 or 0) - fixed, 64 * 1024 ** 2)
        # The prompt is prefilled in slices of sequences (the runtime's
        # --prefill-rows default), so beyond a slice only the decode state
        # (and the step's small temporaries) grows with the batch: memory is
        # about (the B=8 probe's peak - 8 states) + B states.
        state_row = state_per_sequence(probe)
        tried, best = [(1, probe, s1)], (1, probe, s1)
        # A second probe fits time(B) = a + b B.
        a_t, b_t = 0.0, t1
        if deadline() > 8 * t1 * 3:
            p8 = attempt(8, bench=False)
            if p8["rc"] == 0:
                s8 = summarize(8, p8)
                if s8:
                    tried.append((8, p8, s8))
                    best = (8, p8, s8)
                    b_t = max((p8["wall_s"] - t1) / 7, 1e-3)
                    a_t = max(t1 - b_t, 0)
                    if state_row and p8.get("sampled_peak"):
                        per_row = state_row * 1.05 + 2 * 1024 ** 2
                        fixed = max(p8["sampled_peak"] - 8 * per_row, fixed)
                    elif p8.get("sampled_peak"):
                        per_row = max((p8["sampled_peak"] - (peak1 or 0)) / 7, 16 * 1024 ** 2)
        skipped = []
        for B in self.S["lm_batches"]:
            if B <= best[0]:
                break
            pred_t = a_t + b_t * B
            pred_m = fixed + per_row * B if peak1 else None
            if total_mem and pred_m and pred_m > 0.95 * total_mem:
                skipped.append("%d (predicted %.0f GiB)" % (B, pred_m / 1024 ** 3))
                continue
            if pred_t > deadline() * 0.8 and not self.forced_lm_batches:
                skipped.append("%d (predicted %.0f s)" % (B, pred_t))
                continue
            log("lm %s: batch %d (predicted %.0f s, %s)" % (EXES[key], B, pred_t,
                                                             fmt_bytes(pred_m) if pred_m else "memory n/a"))
            res = attempt(B, bench=2 * pred_t < deadline() * 0.6)
            s = summarize(B, res) if res["rc"] == 0 else None
            if s:
                tried.append((B, res, s))
                best = (B, res, s)
                break
            why = "OOM" if is_oom(res) else ("timeout" if res["timed_out"] else exe_error(res))
            skipped.append("%d (%s)" % (B, why))
            if res["timed_out"]:
                continue
        B, res, (dec_tps, e2e_tps, pre, step, src) = best
        fit = "largest batch that ran" + (" (larger: %s)" % "; ".join(skipped) if skipped else "")
        self.report.add("lm", case, "ours B=%d, decode throughput" % B, dec_tps, kind="tput", mem=mem_of(res),
                        note="%.4f ms/step (%s); B / step time, prefill excluded (the paper's "
                             "measure); %s" % (step, src, fit))
        self.report.add("lm", case, "ours B=%d, end to end" % B, "%.0f tok/s" % e2e_tps, kind="info",
                        note="B x N generated tokens / (prefill %s + %d decode steps)" % (fmt_ms(pre), N - 1))
        for Bt, rt, st in tried:
            if Bt != B:
                self.report.add("lm", case, "ours B=%d (smaller try)" % Bt, st[0], kind="tput", mem=mem_of(rt),
                                note="%.4f ms/step, prefill %s; %s" % (st[3], fmt_ms(st[2]), st[4]))
        rep = REPORTED.get(("lm", tag))
        if rep and self.mode == "full":
            self.report.add("lm", case, "RAT paper, 1.3B (reported)", rep, kind="tput", status="reported",
                            note="quoted in the issue; the authors' public benchmark script times only the "
                                 "decode steps from position 3072 to 4096 (torch.compile, bf16) at its "
                                 "largest batch; not measured here")
        os.remove(wpath)

    # -- the 1.3B RAT LM: shared weights and checks (serving, peers, lmprefill) --
    def lm_rat_weights(self):
        """(path, weights, bytes) of the 1.3B RAT's seeded random weights
        (the lm section's seed), written once for serving, peers and
        lmprefill; the weights stay on the GPU (bf16) for the torch rows."""
        if getattr(self, "_lm_rat", None) is None:
            cfg = self.config("lm_rat")
            log("lm_rat weights")
            self._lm_rat = self.lm_weights("lm_rat", cfg, os.path.join(self.work, "shared_lm_rat.safetensors"))
        return self._lm_rat

    def lm_name(self):
        return "toy rat" if self.mode == "cpu" else ("1.3B RAT" if self.mode == "full" else "1.3B RAT (quick)")

    def lm_check(self):
        """Before any row of serving, peers or lmprefill: our 1.3B RAT logits
        against the float32 reference (the lm guard), and the torch LM of
        torch_impls (decode step, eager with an int position and with a
        tensor position, the path torch.compile runs; prompt phase) against
        the same reference on a short prompt, same bf16 weights."""
        key, cfg = "lm_rat", self.config("lm_rat")
        wpath, w, _ = self.lm_rat_weights()
        if self.exe(key):
            log("lmcheck: ours vs the f32 reference")
            try:
                self.guard_ok[key] = self.lm_guard(key, cfg, wpath, w, step="lmcheck")
            except Exception as e:
                self.guard_ok[key] = False
                self.report.add("guard", "-", "ours %s logits vs f32 reference" % EXES[key], status="error",
                                note=short_error(e))
        else:
            self.guard_ok[key] = False
            self.report.add("guard", "-", "ours %s" % EXES[key], status="skipped", note="not built")
        self.report.save()
        if self.torch is None:
            return
        import numpy as np
        torch, ti = self.torch, self.ti
        T = self.S["lm_check_tokens"]
        case = "B=1 T=%d" % T
        tokens = np.random.default_rng(self.args.seed + 22).integers(0, cfg["vocab_size"], (1, T))
        log("lmcheck: the torch LM (decode step, prompt phase) vs the f32 reference")
        try:
            with TimeLimit(self.allow("lmcheck", 180)), torch.no_grad():
                tok = torch.from_numpy(tokens).long().cuda()
                w32 = {k: v.float() for k, v in w.items()}
                ref = ti.lm_forward(tok, w32, cfg).float().cpu().numpy()
                del w32
                self.free_gpu()
                checks = []
                for mode in ("int", "tensor"):
                    dec = ti.RatLMDecoder(w, cfg, 1, T, "cuda", torch.bfloat16)
                    pos = (lambda p: p) if mode == "int" else (lambda p: torch.tensor(p, device="cuda"))
                    got = torch.stack([dec(tok[:, p], pos(p))[1] for p in range(T)], 1).float().cpu().numpy()
                    del dec
                    checks.append(("torch RatLMDecoder steps (eager, %s position) vs f32" % mode, got,
                                   "torch_lm_step"))
                got, _ = ti.lm_prefill_flex(tok, w, cfg, all_logits=True)
                checks.append(("torch lm_prefill_flex (eager) vs f32", got.float().cpu().numpy(),
                               "torch_lm_prefill"))
                for impl, got, gkey in checks:
                    err = rel_err(got, ref)
                    top1 = float((got.argmax(-1) == ref.argmax(-1)).mean())
                    ok = err < self.args.lm_rtol
                    self.guard_ok[gkey] = self.guard_ok.get(gkey, True) and ok
                    self.report.add("guard", case, impl, value="rel err %.2e" % err, kind="info",
                                    status="ok" if ok else "FAIL",
                                    note="logits at every position, bf16 weights; tolerance %.0e; top-1 "
                                         "agreement %.1f%%" % (self.args.lm_rtol, 100 * top1))
        except Exception as e:
            self.report.add("guard", case, "torch LM checks", status="error", note=short_error(e))
        self.report.save()

    def torch_failure(self, section, case, impl, e):
        """The row of a torch measurement that raised: OOM, timeout or error."""
        if isinstance(e, self.torch.cuda.OutOfMemoryError):
            status, note = "OOM", short_error(e)[:120]
        elif isinstance(e, TimeoutError):
            status, note = "timeout", str(e)
        else:
            traceback.print_exc()
            status, note = "error", short_error(e)
        self.report.add(section, case, impl, status=status, note=note)

    def lm_tokens(self, B, P, seed):
        import numpy as np
        cfg = self.config("lm_rat")
        tokens = np.random.default_rng(seed).integers(0, cfg["vocab_size"], (B, P)).astype(np.int32)
        path = os.path.join(self.work, "tokens_%d_%d.npy" % (B, P))
        np.save(path, tokens)
        return tokens, path

    @staticmethod
    def graph_note(res):
        m = re.search(r"^bench: decode .*\((CUDA graph replays|eager steps)\)", res.get("stdout") or "", re.M)
        return m.group(1) if m else None

    # -- serving: ragged prompts and sampling against uniform greedy --------
    def serving(self):
        """Issue 17's throughput row: the same executable at the same batch
        four ways, decode steps only (--bench medians), the cost of each
        against uniform greedy, and the outputs checked."""
        exe, cfg = self.exe("lm_rat"), self.config("lm_rat")
        P, N = self.S["serving_prompt"], self.S["serving_new"]
        batches = self.S["serving_batches"]
        if not exe:
            self.report.add("serving", "-", "ours", status="skipped", note="not built")
            return
        if not self.can_time("lm_rat"):
            self.report.add("serving", "-", "ours", status="FAIL", note="correctness guard failed; not timed")
            return
        wpath = self.lm_rat_weights()[0]
        self.serving_prefill = {}
        for i, B in enumerate(batches):
            avail = self.budget.left() - self.reserve_after("serving")
            share = 0.75 if (i == 0 and len(batches) > 1) else 1.0
            try:
                self.serving_batch(exe, cfg, wpath, B, P, N, avail * share)
            except Exception as e:
                traceback.print_exc()
                self.report.add("serving", "B=%d" % B, "ours", status="error", note=short_error(e))
            self.report.save()

    def serving_batch(self, exe, cfg, wpath, B, P, N, allowance):
        import numpy as np
        V = cfg["vocab_size"]
        case = "%s B=%d P=%d N=%d" % (self.lm_name(), B, P, N)
        log("serving %s" % case)
        start = time.time()
        left = lambda: self.allow("serving", allowance - (time.time() - start))
        tokens, tp = self.lm_tokens(B, P, self.args.seed + 500 + B)
        lens = ragged_lengths(B, P, self.args.seed + 501 + B)
        lp = os.path.join(self.work, "lens_%d.npy" % B)
        np.save(lp, lens)
        gp = os.path.join(self.work, "serving_out.npy")
        variants = [("uniform greedy", False, []), ("ragged greedy", True, []),
                    ("uniform sampled", False, SAMPLING), ("ragged sampled", True, SAMPLING),
                    (DIAGNOSTIC, False, SAMPLING[:2] + SAMPLING[-2:])]
        steps, outs, walls = {}, {}, {}
        for label, ragged, extra in variants:
            cmd = [exe, "--weights", wpath, "--tokens", tp, "--generate", str(N), "--output", gp, "-v",
                   "--bench", "1", "--warmup", "0"] + (["--prompt-lens", lp] if ragged else
                                                       ["--prompt-len", str(P)]) + extra
            impl = "ours, " + label
            res = run_exe(cmd, left(), self.torch, self.logp("serving_B%d_%s" % (B, label.replace(" ", "_"))))
            walls[label] = res["wall_s"]
            if res["rc"] != 0:
                self.report.add("serving", case, impl, status="timeout" if res["timed_out"] else "error",
                                note=exe_error(res))
                continue
            out = np.load(gp)
            os.remove(gp)
            probs = generation_problems(out, tokens, lens if ragged else None, N, V)
            outs[label] = generated_part(out, lens if ragged else None, P, N)
            b, pre = res["bench"].get("decode"), res["bench"].get("prefill")
            if not b:
                self.report.add("serving", case, impl, status="error", note="no bench: decode line")
                continue
            steps[label] = b["ms"]
            if pre and label == "uniform greedy":
                self.serving_prefill[B] = pre["ms"]
            lens_note = ("prompt lengths %d..%d (mean %.0f), uniform over [P/2, P], row 0 = P; " % (
                lens.min(), lens.max(), lens.mean())) if ragged else ""
            self.report.add(
                "serving", case, impl, b["ms"], mem=mem_of(res), status="FAIL" if probs else "ok",
                note="median of %d decode steps (--bench%s), %.0f tok/s (B / step); %sprefill %s (not in "
                     "the step); %s%s" % (
                         b["count"], ", " + self.graph_note(res) if self.graph_note(res) else "",
                         B / (b["ms"] * 1e-3), lens_note, fmt_ms(pre["ms"]) if pre else "n/a",
                         ("sampling " + " ".join(extra) + "; ") if extra else "",
                         "output checked: prompts copied back, ids in [0, %d), -1 after" % V if not probs
                         else "BAD OUTPUT: " + "; ".join(probs)))
            self.report.save()
        costs = relative_costs(steps)
        required = [c for k, c in costs if k != DIAGNOSTIC]
        if costs:
            worst = max(required or [0.0])
            self.report.add("serving", case, "cost vs uniform greedy (target <= +5%)",
                            value=", ".join("%s %+.1f%%" % (k, 100 * c) for k, c in costs), kind="info",
                            status="ok" if worst <= 0.05 else "over 5%",
                            note="ms/step of each run / ms/step of uniform greedy - 1 (decode steps only); the "
                                 "target applies to the three runs the issue names, not to the diagnostic one "
                                 "(temperature without top-k / top-p)")
        g, rg = outs.get("uniform greedy"), outs.get("ragged greedy")
        if g is not None and rg is not None:
            same = int((g[0] == rg[0]).sum())
            self.report.add("serving", case, "check: ragged row 0 (L = P) = uniform row 0",
                            value="%d of %d tokens equal" % (same, N), kind="info",
                            status="ok" if same == N else "differs",
                            note="the same prompt at the same position in a batch of other lengths")
        s = outs.get("uniform sampled")
        if g is not None and s is not None:
            self.report.add("serving", case, "check: sampled vs greedy tokens",
                            value="%.1f%% equal" % (100 * float((g == s).mean())), kind="info",
                            status="ok" if not np.array_equal(g, s) else "differs",
                            note="sampling must change some tokens (T 0.8, top-k 50, top-p 0.9, seed 1)")
        # T = 0 with the sampling options must be greedy bit for bit.
        if g is not None and left() > walls.get("uniform greedy", 0) * 0.75 + 5:
            cmd = [exe, "--weights", wpath, "--tokens", tp, "--prompt-len", str(P), "--generate", str(N),
                   "--output", gp, "-v", "--temperature", "0", "--top-k", "50", "--top-p", "0.9", "--seed", "1"]
            res = run_exe(cmd, left(), self.torch, self.logp("serving_B%d_T0" % B))
            if res["rc"] == 0:
                t0 = generated_part(np.load(gp), None, P, N)
                os.remove(gp)
                self.report.add("serving", case, "check: --temperature 0 (top-k 50, top-p 0.9) = greedy",
                                value="%s" % ("identical" if np.array_equal(t0, g) else "%d of %d tokens differ" % (
                                    int((t0 != g).sum()), t0.size)), kind="info",
                                status="ok" if np.array_equal(t0, g) else "FAIL")
            else:
                self.report.add("serving", case, "check: --temperature 0 = greedy",
                                status="timeout" if res["timed_out"] else "error", note=exe_error(res))
        for p in (tp, lp):
            if os.path.exists(p):
                os.remove(p)

    # -- peers: the whole LM's decode step beside PyTorch ---------------------
    def ours_steps(self, exe, wpath, B, P, n, bench, timeout, tag):
        """Our executable after a P-token prompt, n decode steps (positions
        P .. P+n-1). Returns (res, ms/step or None, source)."""
        tokens, tp = self.lm_tokens(B, P, self.args.seed + 700 + B)
        del tokens
        gp = os.path.join(self.work, "steps_out.npy")
        cmd = [exe, "--weights", wpath, "--tokens", tp, "--prompt-len", str(P), "--generate", str(n),
               "--output", gp, "-v"] + (["--bench", "1", "--warmup", "0"] if bench else [])
        res = run_exe(cmd, timeout, self.torch, self.logp("%s_B%d" % (tag, B)))
        for p in (tp, gp):
            if os.path.exists(p):
                os.remove(p)
        if res["rc"] != 0:
            return res, None, exe_error(res)
        b = res["bench"].get("decode")
        if b:
            g = self.graph_note(res)
            return res, b["ms"], "median of %d steps at positions %d..%d (--bench%s)" % (
                b["count"], P, P + n - 1, ", " + g if g else "")
        vs = decode_steps_from_verbose(res["verbose"])
        if vs:
            return res, vs[1] / vs[0], ("mean wall clock of %d steps at positions %d..%d (-v; includes the "
                                        "first step's CUDA graph capture)" % (vs[0], P, P + n - 1))
        return res, None, "no decode timing in the output"

    def peers(self):
        """Issue 20's peers: the whole 1.3B RAT decode step at a P-token
        context. Ours (P-token prompt, then n steps) and the torch LM step of
        torch_impls.RatLMDecoder (chunk caches filled with random rows up to
        P, then n steps from position P): eager at the largest batch that
        fits and at the small batches, torch.compile(mode="reduce-overhead")
        at the small batches."""
        exe, cfg = self.exe("lm_rat"), self.config("lm_rat")
        P, n = self.S["peers_prompt"], self.S["peers_steps"]
        batches = self.S["peers_batches"]
        wpath, w, wbytes = self.lm_rat_weights()
        ours_ok = bool(exe) and self.can_time("lm_rat")
        case = lambda B: "%s B=%d ctx=%d" % (self.lm_name(), B, P)
        self.peers_ours_runs = {}
        for B in batches:
            self.peers_ours(exe, wpath, B, P, n, ours_ok, case(B), 0.08)
        bmax = None
        if self.torch is not None:
            bmax = self.peers_torch_eager(cfg, w, P, n, batches, case)
            self.peers_torch_compiled(cfg, w, P, n, batches, case)
            try:
                self.torch._dynamo.reset()    # drops the CUDA graphs' memory pools
            except Exception:
                pass
        else:
            for B in batches:
                self.report.add("peers", case(B), "torch rows", status="skipped", note="no torch here")
        if bmax and bmax not in batches:
            self.peers_ours(exe, wpath, bmax, P, n, ours_ok, case(bmax), 1.0, big=True)

    def peers_ours(self, exe, wpath, B, P, n, ours_ok, case, share, big=False):
        impl = "ours (rat-compile executable)"
        if not exe:
            self.report.add("peers", case, impl, status="skipped", note="not built")
            return
        if not ours_ok:
            self.report.add("peers", case, impl, status="FAIL", note="correctness guard failed; not timed")
            return
        avail = self.allow("peers", (self.budget.left() - self.reserve_after("peers")) * share)
        bench = True
        if big:
            # One run prefills B x P tokens; --bench doubles that. Predict from
            # the largest batch timed so far (prefill per sequence, start-up).
            known = [(b, r) for b, r in self.peers_ours_runs.items() if r["bench"].get("prefill")]
            if known:
                b0, r0 = max(known)
                pre_s = r0["bench"]["prefill"]["ms"] / b0 * B / 1e3
                step_s = (r0["bench"].get("decode") or {}).get("ms", 0) / 1e3 * max(B / b0, 1)
                fixed = max(r0["wall_s"] - 2 * (r0["bench"]["prefill"]["ms"] / 1e3), 5)
                one = fixed + pre_s + n * step_s
                if 2 * one + pre_s * 0.2 > avail:
                    bench = False
                    if one * 1.2 > avail:
                        self.report.add("peers", case, impl, status="skipped",
                                        note="no time left: one run predicted %.0f s (prefill of %d x %d tokens), "
                                             "%.0f s left" % (one, B, P, avail))
                        return
        log("peers: ours at B=%d (%s)" % (B, "--bench" if bench else "-v only"))
        self.free_gpu()
        res, ms, src = self.ours_steps(exe, wpath, B, P, n, bench, avail, "peers_ours")
        if ms is None:
            self.report.add("peers", case, impl, status="timeout" if res["timed_out"] else "error", note=src)
            return
        self.peers_ours_runs[B] = res
        pre = (res["bench"].get("prefill") or {}).get("ms") or res["verbose"]["phases"].get("prefill", {}).get("ms")
        self.report.add("peers", case, impl, ms, mem=mem_of(res),
                        note="%s; %.0f tok/s (B / step); after a real %d-token prompt (prefill %s, not in the "
                             "step)" % (src, B / (ms * 1e-3), P, fmt_ms(pre)))

    def peers_time_steps(self, dec, B, P, reps, limit, step=None, pos_tensor=False):
        """Median ms of decode steps from position P on (each step feeds its
        argmax back), CUDA events around each step."""
        torch = self.torch
        cfg = self.config("lm_rat")
        g = torch.Generator(device="cuda").manual_seed(self.args.seed + 600 + B)
        tok = torch.randint(0, cfg["vocab_size"], (B,), device="cuda", generator=g)
        st = {"tok": tok, "p": P, "pos": torch.tensor(P, device="cuda")}
        mark = getattr(getattr(torch, "compiler", None), "cudagraph_mark_step_begin", None)

        def one():
            if step is None:
                st["tok"] = dec(st["tok"], st["p"])[0]
            else:
                if mark:
                    mark()
                nxt = step(st["tok"], st["pos"])[0]
                st["tok"] = nxt.clone()
                st["pos"].add_(1)
            st["p"] += 1
        return self.cuda_time(one, warmup=3, reps=reps, max_s=limit)

    def peers_torch_eager(self, cfg, w, P, n, batches, case):
        """The eager step at the largest batch that fits (caches of
        peers_max_len positions, as the authors' 4096-token benchmark), then
        at the small batches. Returns the largest batch that ran."""
        torch = self.torch
        D, H, Dh, G, L = layer_dims(cfg)
        max_len = self.S["peers_max_len"]
        Cmax = -(-max_len // L)
        per_seq = cfg["num_layers"] * (2 * H * Cmax * Dh * 2 + 2 * D * 4) + cfg["vocab_size"] * 6 + 32 * D * 4
        cap = self.args.peers_max_batch
        cands = [b for b in self.S["peers_max"] if not cap or b <= cap]
        impl = "torch spec LM step, eager" + ("" if self.guard_ok.get("torch_lm_step", True) else " (check FAILED)")
        note = lambda B, cnt, ms: (
            "median of %d steps from position %d (after 3 warm-up steps); chunk caches of %d rows (%d positions) "
            "filled with random states up to position %d, not a real prompt; %.0f tok/s (B / step)" % (
                cnt, P + 3, Cmax, max_len, P, B / (ms * 1e-3)))
        bmax, skipped = None, []
        for Bc in cands:
            self.free_gpu()
            free = torch.cuda.mem_get_info()[0]
            if Bc * per_seq > 0.92 * free:
                skipped.append("%d (predicted %.0f GiB, %.0f GiB free)" % (
                    Bc, Bc * per_seq / 1024 ** 3, free / 1024 ** 3))
                continue
            try:
                ms, cnt, peak = self.peers_eager_one(cfg, w, Bc, P, n, max_len)
            except torch.cuda.OutOfMemoryError:
                skipped.append("%d (OOM)" % Bc)
                continue
            except TimeoutError as e:
                self.report.add("peers", case(Bc), impl, status="timeout", note=str(e))
                break
            except Exception as e:
                traceback.print_exc()
                self.report.add("peers", case(Bc), impl, status="error", note=short_error(e))
                break
            finally:
                self.free_gpu()
            bmax = Bc
            self.report.add("peers", case(Bc), impl, ms, mem=peak,
                            note=note(Bc, cnt, ms) + "; the largest batch that fits of %s%s" % (
                                ", ".join(str(b) for b in cands),
                                " (larger: %s)" % "; ".join(skipped) if skipped else ""))
            self.report.save()
            break
        if bmax is None and skipped:
            self.report.add("peers", "-", impl + " at the largest batch", status="skipped",
                            note="none fits: " + "; ".join(skipped))
        for B in batches:
            if B == bmax:
                continue
            try:
                ms, cnt, peak = self.peers_eager_one(cfg, w, B, P, n, max_len)
                self.report.add("peers", case(B), impl, ms, mem=peak, note=note(B, cnt, ms))
            except Exception as e:
                self.torch_failure("peers", case(B), impl, e)
            finally:
                self.free_gpu()
            self.report.save()
        return bmax

    def peers_eager_one(self, cfg, w, B, P, n, max_len):
        """(median ms, steps, peak bytes) of the eager torch LM step at B."""
        torch, ti = self.torch, self.ti
        L = cfg.get("chunk_size", 16)
        limit = self.allow("peers", max(20.0, (self.budget.left() - self.reserve_after("peers")) * 0.12))
        log("peers: torch eager step at B=%d (limit %.0f s)" % (B, limit))
        dec = None
        try:
            with TimeLimit(limit), torch.no_grad():
                dec = ti.RatLMDecoder(w, cfg, B, max_len, "cuda", torch.bfloat16)
                dec.fill_random(P // L, torch.Generator(device="cuda").manual_seed(self.args.seed + 601))
                torch.cuda.reset_peak_memory_stats()
                ms, cnt = self.peers_time_steps(dec, B, P, n, limit * 0.6)
                peak = torch.cuda.max_memory_allocated()
            return ms, cnt, peak
        finally:
            dec = None

    def peers_torch_compiled(self, cfg, w, P, n, batches, case):
        """torch.compile(mode="reduce-overhead", fullgraph=True) of the whole
        step at each small batch: one CUDA graph per step, the position a
        device tensor, the caches sized to the context (rows rounded up to
        a multiple of 16; gpt-fast's recipe). Checked against the eager
        step on the same state first."""
        torch, ti = self.torch, self.ti
        D, H, Dh, G, L = layer_dims(cfg)
        impl = 'torch spec LM step, torch.compile(mode="reduce-overhead")' + (
            "" if self.guard_ok.get("torch_lm_step", True) else " (check FAILED)")
        counters = None
        try:
            from torch._dynamo.utils import counters
        except Exception:
            pass
        for i, B in enumerate(batches):
            limit = self.allow("peers", (self.budget.left() - self.reserve_after("peers")) * (0.45 if i == 0 else 0.65))
            # rows for the context, a multiple of 16 (SDPA's memory-efficient
            # kernel wants its mask's rows aligned; gpt-fast rounds to 8)
            rows = -(-(P + n + 16) // L)
            Cmax = -(-rows // 16) * 16
            max_len = Cmax * L
            dec = step = None
            try:
                log("peers: torch.compile(mode=reduce-overhead) step at B=%d" % B)
                skips0 = counters["inductor"].get("cudagraph_skips", 0) if counters else None
                with TimeLimit(limit), torch.no_grad():
                    dec = ti.RatLMDecoder(w, cfg, B, max_len, "cuda", torch.bfloat16)
                    dec.fill_random(P // L, torch.Generator(device="cuda").manual_seed(self.args.seed + 602))
                    dec.mark_static()
                    g = torch.Generator(device="cuda").manual_seed(self.args.seed + 603)
                    tok = torch.randint(0, cfg["vocab_size"], (B,), device="cuda", generator=g)
                    saved = dec.save_state()
                    eager = dec(tok, P)[1].float()
                    dec.load_state(saved)
                    # the reference of both: an f32 step (f32 weights) on the same state
                    w32 = {k: v.float() for k, v in w.items()}
                    d32 = ti.RatLMDecoder(w32, cfg, B, max_len, "cuda", torch.float32)
                    d32.load_state(saved)
                    ref = d32(tok, P)[1].float()
                    d32 = w32 = None
                    self.free_gpu()
                    err_eager = float((eager - ref).norm() / ref.norm())
                    del eager
                    t = time.time()
                    fullgraph = True
                    try:
                        step = torch.compile(dec, mode="reduce-overhead", fullgraph=True, dynamic=False)
                        got = step(tok, torch.tensor(P, device="cuda"))[1].float()
                    except (TimeoutError, torch.cuda.OutOfMemoryError):
                        raise
                    except Exception as e:
                        # a graph break: compile the pieces (then it is not one graph per step)
                        fullgraph = "fullgraph=True failed (%s); compiled with graph breaks" % short_error(e)[:150]
                        log("peers: " + fullgraph)
                        dec.load_state(saved)
                        step = torch.compile(dec, mode="reduce-overhead", dynamic=False)
                        got = step(tok, torch.tensor(P, device="cuda"))[1].float()
                    del saved
                    torch.cuda.synchronize()
                    compile_s = time.time() - t
                    err = float((got - ref).norm() / ref.norm())
                    del got, ref
                    # the state advanced to P + 1: time from there
                    ms, cnt = self.peers_time_steps(dec, B, P + 1, n, max(limit - (time.time() - t), 5) * 0.5,
                                                    step=step)
                skips = (counters["inductor"].get("cudagraph_skips", 0) - skips0) if counters else None
                self.report.add("peers", case(B), impl, ms,
                                status="ok" if err < self.args.lm_rtol else "FAIL",
                                note="median of %d steps from position %d (after 3 warm-up steps: CUDA graph "
                                     "recorded); %.0f tok/s (B / step); caches of %d rows filled at random up to "
                                     "position %d; compile + first call %.0f s; first step's logits vs an f32 "
                                     "step on the same state: rel err %.1e (the eager bf16 step: %.1e)%s" % (
                                         cnt, P + 4, B / (ms * 1e-3), Cmax, P, compile_s, err, err_eager,
                                         "" if skips is None else "; cudagraph skips: %d" % skips)
                                + ("" if fullgraph is True else "; " + fullgraph))
            except Exception as e:
                self.torch_failure("peers", case(B), impl, e)
            finally:
                dec = step = None
                self.free_gpu()
            self.report.save()

    # -- lmprefill: the whole LM's prompt phase beside torch.compile ----------
    def lmprefill(self):
        """Issue 14's whole-model prefill row: B x T prompt tokens through the
        1.3B RAT. Ours: the prompt entry (--bench median of the prefill
        phase; it also fills the decode state). torch: lm_prefill_flex with
        its block compiled once (last-token logits and every layer's decode
        state), checked against the float32 reference on sequence 0."""
        exe, cfg = self.exe("lm_rat"), self.config("lm_rat")
        cases = self.S["lmprefill"]
        for i, (B, T) in enumerate(cases):
            case = "%s B=%d T=%d" % (self.lm_name(), B, T)
            avail = (self.budget.left() - self.reserve_after("lmprefill")) / (len(cases) - i)
            start = time.time()
            tokens, tp = self.lm_tokens(B, T, self.args.seed + 800 + B)
            impl = "ours (prompt entry, --bench)"
            if not exe:
                self.report.add("lmprefill", case, impl, status="skipped", note="not built")
            elif not self.can_time("lm_rat"):
                self.report.add("lmprefill", case, impl, status="FAIL", note="correctness guard failed; not timed")
            else:
                log("lmprefill: ours %s" % case)
                wpath = self.lm_rat_weights()[0]
                gp = os.path.join(self.work, "prefill_out.npy")
                cmd = [exe, "--weights", wpath, "--tokens", tp, "--prompt-len", str(T), "--generate", "1",
                       "--output", gp, "-v", "--bench", "3", "--warmup", "1"]
                self.free_gpu()
                res = run_exe(cmd, self.allow("lmprefill", avail * 0.4), self.torch, self.logp("lmprefill_ours_B%d" % B))
                if os.path.exists(gp):
                    os.remove(gp)
                b = res["bench"].get("prefill")
                slices = re.search(r"prefill in slices of (\d+) sequence", res.get("stderr") or "")
                if res["rc"] == 0 and b:
                    self.report.add("lmprefill", case, impl, B * T / (b["ms"] * 1e-3), kind="tput", mem=mem_of(res),
                                    note="median of %d prefills: %s; %s; peak = the runtime's device memory in use "
                                         "(weights, the decode state of %d sequences at the executable's "
                                         "max_seq_len, activations)" % (
                                             b["count"], fmt_ms(b["ms"]),
                                             "in slices of %s sequences (--prefill-rows default)" % slices.group(1)
                                             if slices else "the whole batch in one call", B))
                else:
                    self.report.add("lmprefill", case, impl, status="timeout" if res["timed_out"] else "error",
                                    note=exe_error(res))
            if self.torch is not None:
                self.lmprefill_torch(cfg, tokens, B, T, case, avail - (time.time() - start))
            else:
                self.report.add("lmprefill", case, "torch rows", status="skipped", note="no torch here")
            if os.path.exists(tp):
                os.remove(tp)
            self.report.save()

    def lmprefill_torch(self, cfg, tokens, B, T, case, allowance):
        torch, ti = self.torch, self.ti
        impl = "torch spec LM, torch.compile per block + flex_attention" + (
            "" if self.guard_ok.get("torch_lm_prefill", True) else " (check FAILED)")
        w = self.lm_rat_weights()[1]
        limit = self.allow("lmprefill", allowance)
        try:
            log("lmprefill: torch.compile LM %s" % case)
            with TimeLimit(limit), torch.no_grad():
                if not hasattr(self, "compiled_block"):
                    self.compiled_block = torch.compile(self.ti.rat_ffn_block_flex, dynamic=False)
                tt = torch.from_numpy(tokens).long().cuda()
                fn = lambda: ti.lm_prefill_flex(tt, w, cfg, self.compiled_block)
                t = time.time()
                logits, states = fn()
                torch.cuda.synchronize()
                compile_s = time.time() - t
                # sequence 0's last-token logits against the float32 reference
                last = logits[0].float().cpu().numpy()
                del logits, states
                w32 = {k: v.float() for k, v in w.items()}
                ref = ti.lm_forward(tt[:1], w32, cfg)[0, -1].float().cpu().numpy()
                del w32
                self.free_gpu()
                err = rel_err(last, ref)
                one, _ = self.cuda_time(fn, warmup=1, reps=1)
                reps = int(max(3, min(10, (limit - (time.time() - t)) * 0.3 / max(one * 1e-3, 1e-4))))
                ms, cnt = self.cuda_time(fn, warmup=0, reps=reps, max_s=max(limit - (time.time() - t) - 10, 1) * 0.5)
                torch.cuda.reset_peak_memory_stats()
                out = fn()
                torch.cuda.synchronize()
                peak = torch.cuda.max_memory_allocated()
                del out
            self.report.add("lmprefill", case, impl, B * T / (ms * 1e-3), kind="tput", mem=peak,
                            status="ok" if err < self.args.lm_rtol else "FAIL",
                            note="median of %d: %s; compile + first call %.0f s; returns the last token's logits "
                                 "and every layer's decode state (chunk caches, last scan states); the whole batch "
                                 "at once; peak = torch.cuda.max_memory_allocated (weights included); sequence 0's "
                                 "logits vs f32 reference: rel err %.2e" % (cnt, fmt_ms(ms), compile_s, err))
        except Exception as e:
            self.torch_failure("lmprefill", case, impl, e)
        self.free_gpu()

    # -- gemm -----------------------------------------------------------------
    GEMM_ROWS = (1, 64, 1024, 16384, 262144)

    def gemm(self):
        """Our projection executables (gemm_<N>_<K>, benchmarks/build.sh)
        beside torch.matmul, through scripts/gpu/gemm_check.py: a check
        against a float64 product, then medians at the prefill and decode
        row counts."""
        exes = sorted(glob.glob(os.path.join(self.exe_dir, "gemm_*")))
        exes = [e for e in exes if re.search(r"_(\d+)_(\d+)$", e)]
        if not exes or self.mode == "cpu":
            self.report.add("gemm", "-", "ours rat.matmul", status="skipped",
                            note="no gemm_<N>_<K> executables" if not exes else "no GPU")
            return
        rows = self.S.get("gemm_rows", self.GEMM_ROWS)
        cmd = [sys.executable, os.path.join(ROOT, "scripts", "gpu", "gemm_check.py"), "--dir", self.exe_dir,
               "--prefix", "gemm_", "--check", "1998", "--time", ",".join(str(m) for m in rows),
               "--bench", "10", "--work", os.path.join(self.work, "gemm")]
        timeout = self.allow("gemm", 600)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            out = p.stdout
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            self.report.notes.append("gemm: gemm_check.py stopped after %.0f s" % timeout)
        with open(self.logp("gemm_check"), "w") as f:
            f.write(" ".join(cmd) + "\n" + out)
        for kind, v in parse_gemm_check(out):
            if kind == "check":
                m, n, k, err, ok = v
                self.report.add("gemm", "M=%d N=%d K=%d" % (m, n, k), "ours vs f64 product",
                                "rel err %s" % err, kind="value", status="ok" if ok else "FAIL")
            elif kind == "fail":
                self.report.add("gemm", "-", "gemm_check", status="error", note=v[:200])
            else:
                m, n, k, ours, theirs = v
                case = "M=%d N=%d K=%d" % (m, n, k)
                flop = 2.0 * m * n * k
                self.report.add("gemm", case, "ours rat.matmul", ours,
                                note="%s; %.0f%% of torch.matmul" % (fmt_rate(flop, ours), 100 * theirs / ours))
                self.report.add("gemm", case, "torch.matmul", theirs, note=fmt_rate(flop, theirs))

    # -- main ---------------------------------------------------------------
    def run(self):
        log("rat-mlir benchmark, mode %s, budget %.0f s, executables %s" % (self.mode, self.budget.total,
                                                                          self.exe_dir))
        self.setup()
        self.report.save()
        fns = {"guard": self.guard, "prefill": self.prefill, "decode": self.decode,
               "mm": self.breakdown_torch, "lm": self.lm, "ncu": self.breakdown_ncu,
               "gemm": self.gemm, "lmcheck": self.lm_check, "serving": self.serving,
               "lmprefill": self.lmprefill, "peers": self.peers}
        for step, sec, _ in self.STEPS:
            fn = fns[step]
            if not self.enabled(sec):
                continue
            secname = sec if isinstance(sec, str) else "guard"
            if sec != "guard" and "guard" not in self.sections and not self.guard_ok:
                # timing without the guard: trust the executables
                self.guard_ok = {k: True for k in EXES}
            if self.budget.left() < 5:
                self.report.add(secname, "-", fn.__name__, status="skipped", note="time budget spent")
                continue
            try:
                fn()
            except Exception as e:
                traceback.print_exc()
                self.report.add(secname, "-", fn.__name__, status="error", note=short_error(e))
            self.free_gpu()
            self.report.save()
        self.report.save()
        print("\n" + self.report.text_table(), flush=True)
        print("wrote %s/bench.md and bench.json (%.0f s)" % (self.out, time.time() - T0), flush=True)


# ===========================================================================
# Self-test of the parts that need no GPU (parsers, counts, writers)
# ===========================================================================

def selftest():
    import tempfile
    passed, failed = [0], [0]

    def check(name, cond, detail=""):
        if cond:
            passed[0] += 1
        else:
            failed[0] += 1
            print("FAIL %s %s" % (name, detail))

    out = ("bench: prefill  median 12.3456 ms over 10 runs, 51840.0 tokens/s\n"
           "bench: decode   median 0.1234 ms/step over 150 steps, 8103.7 tokens/s\n")
    b = parse_bench(out)
    check("bench prefill", b["prefill"]["ms"] == 12.3456 and b["prefill"]["count"] == 10
          and not b["prefill"]["per_step"] and b["prefill"]["tokens_per_s"] == 51840.0, b)
    check("bench decode", b["decode"]["ms"] == 0.1234 and b["decode"]["per_step"] and b["decode"]["count"] == 150)
    check("bench function", parse_bench("bench: f        median 1.5000 ms over 3 runs\n")["f"]["tokens_per_s"] is None)
    check("bench none", parse_bench("nothing\n") == {})
    g = parse_gemm_check("check gemm_6656_2048 M=1998 N=6656 K=2048 rel_err=1.66e-03 OK\n"
                         "time gemm_6656_2048 M=262144 ours 11.723 ms torch 10.694 ms ratio 0.91 (7s)\n"
                         "check gemm_2048_2048 M=1998 N=2048 K=2048 rel_err=9.00e-01 FAIL\n"
                         "FAIL time gemm_2048_8192 M=64: exit 1\n")
    check("gemm rows", g == [("check", (1998, 6656, 2048, "1.66e-03", True)),
                             ("time", (262144, 6656, 2048, 11.723, 10.694)),
                             ("check", (1998, 2048, 2048, "9.00e-01", False)),
                             ("fail", "FAIL time gemm_2048_8192 M=64: exit 1")], g)
    err = ("[rat] model rat_layer, target cuda, dtype bf16\n[rat] param chunk_size = 16\n"
           "[rat] init device       12.000 ms  NVIDIA H100 80GB HBM3 (sm_90, 132 SMs)\n"
           "[rat] load weights      3.250 ms  4 tensors, 35.2 MiB\n"
           "[rat] prefill         100.500 ms  2 x 3072 tokens\n"
           "[rat] decode         2000.000 ms  1023 steps, 1.955 ms/step\n"
           "[rat] write             1.000 ms  1 file(s)\n")
    v = parse_verbose(err)
    check("verbose phases", v["phases"]["prefill"]["ms"] == 100.5 and v["phases"]["write"]["ms"] == 1.0, v)
    check("verbose device", v["device"] and v["device"].startswith("NVIDIA H100"), v["device"])
    check("verbose no peak", v["peak_mem_bytes"] is None)
    check("verbose notes", "param chunk_size = 16" in v["notes"], v["notes"])
    check("decode steps", decode_steps_from_verbose(v) == (1023, 2000.0))
    st = {"stderr": err + "[rat] decode state: 24672.0 MiB for 512 sequence(s), 48.2 MiB per sequence\n",
          "stdout": ""}
    check("state per sequence", state_per_sequence(st) == 48.2 * 1024 ** 2, state_per_sequence(st))
    check("state absent", state_per_sequence({"stderr": err, "stdout": ""}) is None)
    v2 = parse_verbose(err + "[rat] peak device memory 1536.0 MiB\n")
    check("verbose peak", v2["peak_mem_bytes"] == 1536 * 1024 ** 2, v2["peak_mem_bytes"])
    ncu = ('==PROF== Connected to process 1\n"ID","Process ID","Process Name","Host Name","Kernel Name",'
           '"Context","Stream","Block Size","Grid Size","Device","CC","Section Name","Metric Name",'
           '"Metric Unit","Metric Value"\n'
           '"0","1","m","h","prefill_kernel_1","1","7","(256, 1, 1)","(4096, 1, 1)","0","9.0","Command line '
           'profiler metrics","gpu__time_duration.sum","nsecond","1,234,567"\n'
           '"1","1","m","h","prefill_kernel_8","1","7","(256, 1, 1)","(64, 1, 1)","0","9.0","Command line '
           'profiler metrics","gpu__time_duration.sum","usecond","250.5"\n')
    k = parse_ncu_csv(ncu)
    check("ncu rows", len(k) == 2 and k[0]["kernel"] == "prefill_kernel_1" and k[0]["ns"] == 1234567
          and abs(k[1]["ns"] - 250500) < 1e-6, k)
    check("ncu none", parse_ncu_csv("==PROF== nothing") == [])
    # counts
    cfg = {"d_model": 2048, "num_head": 16, "d_head": 128, "ngroups": 2, "chunk_size": 16}
    c = layer_counts(16, 16384, cfg)
    check("proj flops", c["proj_flops"] == 2 * 16 * 16384 * 2048 * (3 * 2048 + 2 * 2 * 128 + 2048))
    check("keys", keys_per_head(16384, 16) == 16 * 1024 * 1025 // 2 and keys_per_head(20, 16) == 16 + 4 * 2
          and keys_per_head(5, 16) == 5)
    check("keys brute", all(keys_per_head(T, 4) == sum(t // 4 + 1 for t in range(T)) for T in range(1, 40)))
    check("attn flops", c["attn_flops"] == 4 * 128 * 16 * 16 * keys_per_head(16384, 16))
    check("floor", abs(floor_ms(1e12, 1e9, 1000, 1000) - 1.0) < 1e-9 and floor_ms(1, 1, None, None) is None)
    check("round bf16", _bf16_ok())
    # report and writers
    with tempfile.TemporaryDirectory() as d:
        r = Report(d, {"date": "today", "machine": "test"})
        r.add("prefill", "B=1 T=2", "ours (x)", 10.0, mem=3 * 1024 ** 3, note="n")
        r.add("prefill", "B=1 T=2", "torch y", 25.0, mem="~1 GiB (sampled)")
        r.add("prefill", "B=1 T=2", "torch z", status="timeout", note="over 5 s")
        r.add("lm", "m", "ours B=4, decode throughput", 1000.0, kind="tput")
        r.add("lm", "m", "paper (reported)", 4000.0, kind="tput", status="reported")
        r.add("guard", "g", "ours", value="rel err 1e-3", kind="info")
        r.save()
        md = open(os.path.join(d, "bench.md")).read()
        js = json.load(open(os.path.join(d, "bench.json")))
        check("md speedup", "| 2.50x |" in md, md)
        check("md tput speedup", "0.25x" in md, md)
        check("md timeout", "timeout" in md)
        check("md mem", "3.00 GiB" in md)
        check("json rows", len(js["rows"]) == 6 and js["meta"]["machine"] == "test")
        t = r.text_table()
        check("text table", "== Layer prefill" in t and "2.50x" in t, t)
    # generation outputs (serving section)
    check("generation checks", _generation_checks_ok())
    costs = relative_costs({"uniform greedy": 10.0, "ragged greedy": 10.3, "uniform sampled": 9.9})
    check("relative costs", [(k, round(v, 6)) for k, v in costs] == [("ragged greedy", 0.03),
                                                                     ("uniform sampled", -0.01)], costs)
    check("relative costs no base", relative_costs({"ragged greedy": 1.0}) == [])
    check("serving sections", Bench.STEPS[-4][1] == ("serving", "peers", "lmprefill")
          and all(k in SECTION_TITLES for k in ("serving", "peers", "lmprefill")))
    # the LSE merge torch_impls.rat_layer_flex uses, in numpy, vs ratref
    check("lse merge", _lse_merge_ok())
    # kernel map on a real --emit kernel output, if build.sh left one
    ir = os.path.join(ROOT, ".device", "bench-ir", "rat_layer_prefill.kernel.mlir")
    if os.path.exists(ir):
        sys.path.insert(0, HERE)
        import kernel_map
        launches, bodies = kernel_map.parse(open(ir).read())
        classes = {kernel_map.classify(bodies.get(k, ""), w)[0] for _, k, w in launches}
        check("kernel map", {"gemm", "scan", "attention", "rmsnorm"} <= classes, classes)
    print("%d passed, %d failed" % (passed[0], failed[0]))
    return 1 if failed[0] else 0


def _generation_checks_ok():
    """generation_problems, ragged_lengths and generated_part on made-up
    outputs: a good uniform and ragged output pass; a changed prompt token,
    an id out of range, a missing -1 and a wrong shape are each found."""
    import numpy as np
    B, P, N, V = 4, 10, 3, 50
    rng = np.random.default_rng(1)
    tokens = rng.integers(0, V, (B, P)).astype(np.int32)
    lens = ragged_lengths(B, P, 5)
    if lens[0] != P or lens.min() < P // 2 or lens.max() > P:
        return False
    lens[1] = P // 2                         # a row shorter than the others
    gen = rng.integers(0, V, (B, N)).astype(np.int32)
    uni = np.concatenate([tokens, gen], 1)
    rag = np.full((B, P + N), -1, np.int32)
    for b in range(B):
        rag[b, :lens[b]] = tokens[b, :lens[b]]
        rag[b, lens[b]:lens[b] + N] = gen[b]
    ok = generation_problems(uni, tokens, None, N, V) == [] and generation_problems(rag, tokens, lens, N, V) == []
    ok &= np.array_equal(generated_part(rag, lens, P, N), gen) and np.array_equal(generated_part(uni, None, P, N), gen)
    bad = rag.copy()
    bad[1, 0] += 1
    ok &= "prompt" in " ".join(generation_problems(bad, tokens, lens, N, V))
    bad = rag.copy()
    bad[2, lens[2]] = V
    ok &= "outside" in " ".join(generation_problems(bad, tokens, lens, N, V))
    bad = rag.copy()
    bad[1, lens[1] + N] = 0
    ok &= "-1 after" in " ".join(generation_problems(bad, tokens, lens, N, V))
    ok &= "shape" in " ".join(generation_problems(uni[:, :-1], tokens, None, N, V))
    return bool(ok)


def _bf16_ok():
    import numpy as np
    a = np.array([1.0, 1.0 + 2 ** -8, 1.0 + 3 * 2 ** -8, -2.5, 3.0e-3], np.float32)
    r = round_bf16(a)
    # 1+2^-8 is a tie -> even (1.0); 1+3*2^-8 -> 1+2^-6... (ties to even upward)
    return r[0] == 1.0 and r[1] == 1.0 and r[2] == np.float32(1 + 2 ** -6) and r[3] == -2.5 and \
        abs(r[4] - 3.0e-3) / 3.0e-3 < 2 ** -8


def _lse_merge_ok():
    """chunk attention as (attention over the chunk-final states of earlier
    chunks, with its log-sum-exp) merged with each token's own key: the
    formulation of torch_impls.rat_layer_flex, checked against ratref."""
    import numpy as np
    import ratref
    rng = np.random.default_rng(0)
    B, H, T, Dh, L = 2, 3, 48, 8, 4
    q, k, v = (rng.standard_normal((B, H, T, Dh)) for _ in range(3))
    ref = ratref.chunk_attention(q, k, v, L)
    scale = Dh ** -0.5
    kc, vc = k[:, :, L - 1::L], v[:, :, L - 1::L]
    s = np.einsum("bhtd,bhcd->bhtc", q, kc) * scale
    mask = (np.arange(T)[:, None] // L) > np.arange(T // L)[None, :]
    s = np.where(mask, s, -np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = s.max(-1, keepdims=True)
        e = np.exp(s - np.where(np.isfinite(mx), mx, 0))
        lse = np.log(e.sum(-1)) + np.where(np.isfinite(mx[..., 0]), mx[..., 0], 0)
        inter = np.einsum("bhtc,bhcd->bhtd", e / e.sum(-1, keepdims=True), vc)
    own = (q * k).sum(-1) * scale
    m = np.maximum(lse, own)
    wi, wo = np.exp(lse - m), np.exp(own - m)
    inter = np.where((wi > 0)[..., None], inter, 0.0)
    o = (inter * wi[..., None] + v * wo[..., None]) / (wi + wo)[..., None]
    return rel_err(o, ref) < 1e-12


# ===========================================================================

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="reduced sizes (a first smoke run)")
    ap.add_argument("--dry-run-cpu", action="store_true",
                    help="run the executable paths here on CPU executables (build.sh --cpu), numpy references")
    ap.add_argument("--selftest", action="store_true", help="unit-run parsers, counts and writers; no GPU")
    ap.add_argument("--exe-dir", help="executables (default .device/bench, or .device/bench-cpu)")
    ap.add_argument("--out", help="results folder (default $OUT, else /tmp/rat-bench-out)")
    ap.add_argument("--work", help="big temporary files (default /tmp/rat-bench-work)")
    ap.add_argument("--budget", type=float, help="seconds for the whole run (default 500 full, 300 quick)")
    ap.add_argument("--sections", help="comma-separated subset of guard,prefill,decode,lm,breakdown,gemm "
                    "(the default list) and serving,peers,lmprefill (run only when named)")
    ap.add_argument("--peers-max-batch", type=int,
                    help="largest batch the peers section tries for the eager PyTorch step (and ours beside "
                         "it); default: the first of 2560, 2048, 1536, 1024, ... that fits")
    ap.add_argument("--lm-batches",
                    help="comma-separated batches the lm section tries, largest first, instead of its search "
                         "list; these are tried even when the B=1/8 probes predict more time than the budget "
                         "(the memory prediction still skips a batch that would not fit)")
    ap.add_argument("--time-failing", action="store_true", help="time executables that failed the guard too")
    ap.add_argument("--lm-rtol", type=float, default=BF16_RTOL,
                    help="tolerance of the LM logits guard (default 2e-2; a 24-layer bf16 CPU build at "
                         "D 256 measured 1.2e-2)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    sys.path.insert(0, HERE)
    bench = Bench(args)
    try:
        bench.run()
    finally:
        shutil.rmtree(bench.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
