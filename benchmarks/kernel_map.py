#!/usr/bin/env python3
"""Classifies the GPU kernels of a compiled model, for the per-kernel
breakdown of benchmarks/bench.py.

    kernel_map.py MODEL.kernel.mlir > MODEL.kernels.tsv

Input: the output of `rat-compile ... --emit kernel` (host functions with
`gpu.launch_func`, kernels in `gpu.module`s, named by rat-name-kernels).
Output: one line per launch, tab-separated:

    entry  kernel  class  detail

class is one of gemm, rmsnorm, attention, scan, gelu, rope, elementwise
(fills, casts, copies, transposes, gating); detail names the weight a GEMM
reads (layer prefix stripped) or the ops that decided the class. The rules
are heuristics on the kernel body (see classify()); they only need to tell
the big parts of a layer apart. Standard library only.
"""
import re
import sys

FUNC_RE = re.compile(r"^\s*func\.func @([\w.$-]+)\((.*)\)\s*(->.*)?\{\s*$")
ARG_RE = re.compile(r"(%arg\d+): (memref<[^>]*>|[\w]+)(?: \{([^}]*)\})?")
LAUNCH_RE = re.compile(r"gpu\.launch_func\s+@([\w.$-]+)::@([\w.$-]+)(.*)$")
GPUFUNC_RE = re.compile(r"^\s*gpu\.func @([\w.$-]+)\(")


def memref_rank(t):
    m = re.match(r"memref<([^>]*)>", t)
    if not m:
        return 0
    dims = m.group(1).split(",")[0]  # "?x?x256xbf16" (before any layout)
    return max(len(dims.split("x")) - 1, 0)


def short_weight(name):
    """backbone.layers.3.seq_layer.in_proj.weight -> seq_layer.in_proj"""
    name = re.sub(r"^backbone\.layers\.\d+\.", "", name)
    name = re.sub(r"\.weight$", "", name)
    return name.replace("head.lm_head", "lm_head").replace("embedding.wte", "embedding")


def parse(text):
    """Returns (launches, bodies): launches is a list of
    (entry, kernel, [weight names of rank >= 2 among the launch args]);
    bodies maps kernel name -> body text."""
    launches, bodies = [], {}
    func, weights = None, {}
    lines = text.splitlines()
    current_kernel, body = None, []
    for line in lines:
        m = FUNC_RE.match(line)
        if m:
            func, weights = m.group(1), {}
            for am in ARG_RE.finditer(m.group(2)):
                attrs = am.group(3) or ""
                role = re.search(r'rat\.role = "(\w+)"', attrs)
                name = re.search(r'rat\.name = "([^"]+)"', attrs)
                if role and name and role.group(1) == "weight":
                    weights[am.group(1)] = (name.group(1), memref_rank(am.group(2)))
            continue
        m = LAUNCH_RE.search(line)
        if m and func is not None:
            args = m.group(3)
            used = []
            for ssa in re.findall(r"(%arg\d+) :", args):
                if ssa in weights and weights[ssa][1] >= 2:
                    used.append(weights[ssa][0])
            launches.append((func, m.group(2), used))
            continue
        m = GPUFUNC_RE.match(line)
        if m:
            if current_kernel:
                bodies[current_kernel] = "\n".join(body)
            current_kernel, body = m.group(1), []
            continue
        if current_kernel is not None:
            body.append(line)
    if current_kernel:
        bodies[current_kernel] = "\n".join(body)
    return launches, bodies


def classify(body, weights):
    count = lambda op: len(re.findall(r"\b" + re.escape(op) + r"\b", body))
    loops, carried = count("scf.for"), len(re.findall(r"iter_args", body))
    exps = count("math.exp") + count("math.exp2")
    if count("nvvm.wgmma.mma_async") and exps:
        return "attention", "wgmma + online softmax"
    if count("nvvm.wgmma.mma_async"):
        # Operands come as TMA descriptors, not weight buffers.
        return "gemm", "wgmma (TMA)"
    if weights:
        kinds = sorted({short_weight(w) for w in weights})
        if loops == 0 and all(k == "embedding" for k in kinds):
            return "elementwise", "embedding gather"
        return "gemm", ",".join(kinds)
    if count("math.rsqrt"):
        return "rmsnorm", "math.rsqrt"
    if count("nvvm.mma.sync") and exps:
        return "attention", "mma.sync + online softmax"
    if exps and count("arith.maximumf") and loops:
        return "attention", "exp+max in a loop"
    if loops and carried:
        return "scan", "loop-carried value"
    if count("math.erf"):
        return "gelu", "math.erf"
    if count("math.cos") or count("math.sin"):
        return "rope", "cos/sin"
    return "elementwise", "%d loops" % loops


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    launches, bodies = parse(open(argv[1]).read())
    if not launches:
        print("kernel_map.py: no gpu.launch_func in %s" % argv[1], file=sys.stderr)
        return 1
    print("entry\tkernel\tclass\tdetail")
    for entry, kernel, weights in launches:
        cls, detail = classify(bodies.get(kernel, ""), weights)
        print("%s\t%s\t%s\t%s" % (entry, kernel, cls, detail))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
