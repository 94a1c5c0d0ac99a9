"""Parsers of what compiled executables and Nsight Compute print: the
`bench:` lines of --bench, the `[rat]` lines of -v, ncu's CSV, and the kernel
map benchmarks/build.sh writes. Used by benchmarks/bench.py and the
scripts of scripts/gpu/. No numpy or torch needed."""
import csv
import glob
import os
import re
import shutil

BENCH_RE = re.compile(
    r"^bench:\s+(\w+)\s+median\s+([0-9.]+(?:[eE][-+]?\d+)?)\s+(ms/step|ms)\s+over\s+(\d+)\s+(runs|steps)"
    r"(?:,\s+([0-9.]+(?:[eE][-+]?\d+)?)\s+tokens/s)?", re.M)
PHASE_RE = re.compile(r"^\[rat\]\s+(\S.*?)\s+([0-9.]+) ms(?:\s{2}(.*))?$", re.M)
NOTE_RE = re.compile(r"^\[rat\]\s+(.*)$", re.M)
PEAK_RE = re.compile(r"peak[^\n]*?([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)\b", re.I)
UNITS = {"b": 1, "kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3, "kb": 1e3, "mb": 1e6, "gb": 1e9}


def parse_bench(text):
    """`bench:` lines -> {phase: {ms, count, per_step, tokens_per_s}}."""
    out = {}
    for m in BENCH_RE.finditer(text or ""):
        out[m.group(1)] = {"ms": float(m.group(2)), "count": int(m.group(4)),
                           "per_step": m.group(3) == "ms/step",
                           "tokens_per_s": float(m.group(6)) if m.group(6) else None}
    return out


def parse_verbose(text):
    """`[rat]` lines of -v -> {phases: {name: {ms, detail}}, notes, device,
    peak_mem_bytes (None unless the runtime prints a 'peak ... MiB' line)}."""
    phases, notes = {}, []
    for m in PHASE_RE.finditer(text or ""):
        phases[m.group(1).strip()] = {"ms": float(m.group(2)), "detail": (m.group(3) or "").strip()}
    for m in NOTE_RE.finditer(text or ""):
        if not PHASE_RE.match(m.group(0)):
            notes.append(m.group(1).strip())
    device = phases.get("init device", {}).get("detail") or None
    peak = None
    for line in (text or "").splitlines():
        if line.startswith("[rat]"):
            m = PEAK_RE.search(line)
            if m:
                peak = int(float(m.group(1)) * UNITS[m.group(2).lower()])
    return {"phases": phases, "notes": notes, "device": device, "peak_mem_bytes": peak}


STATE_RE = re.compile(r"decode state: .*?, ([0-9.]+) MiB per sequence")


def state_per_sequence(res):
    """Bytes of decode state per sequence (-v `decode state:` line), or None."""
    m = STATE_RE.search((res.get("stderr") or "") + (res.get("stdout") or ""))
    return float(m.group(1)) * 1024 ** 2 if m else None


def decode_steps_from_verbose(verbose):
    """(steps, ms) of the -v decode phase ('N steps' in its detail), or None."""
    d = verbose["phases"].get("decode")
    if not d:
        return None
    m = re.search(r"(\d+) steps", d["detail"])
    return (int(m.group(1)), d["ms"]) if m else None


def parse_ncu_csv(text):
    """ncu --csv --metrics gpu__time_duration.sum -> [{kernel, ns, grid, block}]."""
    lines = (text or "").splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith('"ID"')), None)
    if start is None:
        return []
    rows = []
    scale = {"ns": 1, "nsecond": 1, "us": 1e3, "usecond": 1e3, "ms": 1e6, "msecond": 1e6,
             "s": 1e9, "second": 1e9}
    for r in csv.DictReader(lines[start:]):
        if r.get("Metric Name") != "gpu__time_duration.sum":
            continue
        try:
            v = float((r.get("Metric Value") or "").replace(",", ""))
        except ValueError:
            continue
        unit = (r.get("Metric Unit") or "ns").strip().lower()
        name = re.sub(r"\(.*$", "", r.get("Kernel Name") or "").strip()
        rows.append({"kernel": name, "ns": v * scale.get(unit, 1), "grid": r.get("Grid Size"),
                     "block": r.get("Block Size")})
    return rows


def find_ncu():
    """Nsight Compute's command line: on the PATH, in the CUDA toolkit, or
    in /opt/nvidia/nsight-compute; None if absent."""
    for p in [shutil.which("ncu"), "/usr/local/cuda/bin/ncu"] + sorted(
            glob.glob("/opt/nvidia/nsight-compute/*/ncu")):
        if p and os.path.exists(p):
            return p
    return None


def read_kernel_map(path):
    """NAME.kernels.tsv (benchmarks/kernel_map.py) -> {kernel: (class, detail)}."""
    out = {}
    if not os.path.exists(path):
        return out
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 4 and parts[0] != "entry":
            out[parts[1]] = (parts[2], parts[3])
    return out
