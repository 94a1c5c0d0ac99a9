#!/usr/bin/python3
"""Compile and run one golden (or make_model.py) folder and compare every tensor.

  run_golden.py --golden DIR --work DIR [--rat-compile PATH]
                [--target cpu|cuda] [--build-only | --run-only]
                [--rtol R] [--max-seq-len N]

DIR/meta.json is the model config (`rat-compile --model`). The executables
are written to --work:

  kind rat_layer: model.exe (prefill + decode) and intermediates.exe
                  (`--intermediates`, a function model returning y, gate, z,
                  q, k, v, v_scan, k_scan). Checked: y (prefill), y_decode
                  (`--decode`, compared with DIR/y_decode.npy) and every
                  intermediate the golden has (the intermediates entry's y as
                  `y_intermediates`).
  kind lm:        model.exe. Checked: logits (prefill on DIR/tokens.npy) and
                  greedy (prompt greedy_prompt_len, greedy_new_tokens new
                  tokens, compared exactly with DIR/greedy.npy).

z: the authors' goldens store sigmoid(sigmoid(z_proj)) (see
reference/README.md), so for a folder without a `generator` key in meta.json
sigmoid(our z) is compared with z.npy; make_model.py folders (which have
`generator`) store the spec's z and are compared directly.

Prints one line per tensor, `NAME: rel_err=... max_abs=... shape=[...] OK`
(or `... FAIL`), the compare.py format, then `N passed, M failed`; exits 1
on any failure. Default rtol: 1e-5 (rat_layer), 1e-4 (lm logits).

--build-only compiles and stops; --run-only runs the executables already in
--work (it needs only python3 with numpy and the executables, so the
executables can be built on one machine and run on another, e.g. a GPU
machine for --target cuda).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "reference"))
import compare as C  # noqa: E402


# Results of the --intermediates prefill entry (docs: rat-compile
# --intermediates); read from the manifest, this list is the fallback.
INTERMEDIATES = ["y", "gate", "z", "q", "k", "v", "v_scan", "k_scan"]


def find_rat_compile(given):
    if given:
        return given
    found = shutil.which("rat-compile")
    if found:
        return found
    return os.path.normpath(os.path.join(HERE, "..", "..", "build", "bin",
                                         "rat-compile"))


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def fail(self, name, why):
        print(f"{name}: {why} FAIL", flush=True)
        self.failed += 1

    def compare(self, name, actual, expected, rtol, exact=False):
        if not os.path.exists(actual):
            return self.fail(name, f"no result file {actual}")
        try:
            ok, line = C.compare(actual, expected, rtol=rtol, exact=exact,
                                 name=name)
        except (OSError, C.NpyError, KeyError, ValueError, SyntaxError) as e:
            return self.fail(name, f"error: {e}")
        print(line, flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def run(cmd, what):
    """Runs cmd; returns True on success, else prints the failure."""
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    except OSError as e:
        print(f"{what}: cannot run {cmd[0]}: {e}", file=sys.stderr, flush=True)
        return False
    if p.returncode != 0:
        print(f"{what}: command failed with exit code {p.returncode}:\n"
              f"  {' '.join(cmd)}\n{p.stdout}{p.stderr}", file=sys.stderr,
              flush=True)
        return False
    return True


def manifest_results(exe, entry):
    """Result names of `entry` from the executable's --print-manifest."""
    p = subprocess.run([exe, "--print-manifest"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)  # OSError: caller
    if p.returncode != 0:
        raise RuntimeError(f"{exe} --print-manifest failed: {p.stderr}")
    names, current = [], None
    for line in p.stdout.splitlines():
        f = line.split("#", 1)[0].split()
        if not f:
            continue
        if f[0] == "entry":
            current = f[1]
        elif f[0] == "result" and current == entry:
            names.append(f[2])
    return names


def sigmoid_file(src, dst):
    import numpy as np
    a = np.load(src).astype(np.float64)
    np.save(dst, (1.0 / (1.0 + np.exp(-a))).astype(np.float32))


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--golden", required=True, help="golden/model folder")
    ap.add_argument("--work", required=True, help="folder for executables "
                    "and results (created)")
    ap.add_argument("--rat-compile", default=None)
    ap.add_argument("--target", default="cpu", choices=["cpu", "cuda"])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--build-only", action="store_true")
    mode.add_argument("--run-only", action="store_true")
    ap.add_argument("--rtol", type=float, default=None,
                    help="default 1e-5 (rat_layer) / 1e-4 (lm)")
    ap.add_argument("--max-seq-len", type=int, default=None,
                    help="default: T (rat_layer), max(T, P+N) (lm)")
    a = ap.parse_args(argv)

    golden = os.path.abspath(a.golden)
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(golden, "meta.json")) as f:
        meta = json.load(f)
    kind = meta.get("kind")
    if kind not in ("rat_layer", "lm"):
        print(f"error: {golden}/meta.json: kind {kind!r} is not rat_layer "
              f"or lm", file=sys.stderr)
        return 2
    rtol = a.rtol if a.rtol is not None else (1e-4 if kind == "lm" else 1e-5)
    T = meta["T"]
    P = meta.get("greedy_prompt_len", T)
    N = meta.get("greedy_new_tokens", 0)
    max_seq_len = a.max_seq_len or (max(T, P + N) if kind == "lm" else T)
    rc_tool = find_rat_compile(a.rat_compile)
    meta_path = os.path.join(golden, "meta.json")
    weights = os.path.join(golden, "weights.safetensors")
    model_exe = os.path.join(work, "model.exe")
    inter_exe = os.path.join(work, "intermediates.exe")
    gpath = lambda n: os.path.join(golden, n + ".npy")  # noqa: E731
    wpath = lambda n: os.path.join(work, n + ".npy")  # noqa: E731

    if not a.run_only:
        base = [rc_tool, "--model", meta_path, "--target", a.target,
                "--max-seq-len", str(max_seq_len)]
        ok = run(base + ["-o", model_exe], "compile")
        if kind == "rat_layer":
            ok = run(base + ["--intermediates", "-o", inter_exe],
                     "compile --intermediates") and ok
        if not ok:
            print("build: FAIL")
            return 1
        print(f"built {model_exe}" +
              (f" and {inter_exe}" if kind == "rat_layer" else ""))
        if a.build_only:
            return 0

    ck = Checker()
    if kind == "rat_layer":
        x = gpath("x")
        for name, extra in (("y", []), ("y_decode", ["--decode"])):
            out = wpath(name)
            if os.path.exists(out):
                os.remove(out)
            if run([model_exe, "--weights", weights, "--input", x,
                    "--output", out] + extra, name):
                ck.compare(name, out, gpath(name), rtol)
            else:
                ck.fail(name, "executable failed")
        try:
            names = manifest_results(inter_exe, "prefill")
            readable = True
        except (OSError, RuntimeError) as e:
            print(f"intermediates: {e}", file=sys.stderr)
            names = INTERMEDIATES  # report each one as failed
            readable = False
        files = [wpath("inter_" + n) for n in names]
        for out in files:
            if os.path.exists(out):
                os.remove(out)
        cmd = [inter_exe, "--weights", weights, "--arg", x]
        for out in files:
            cmd += ["--result", out]
        ran = readable and run(cmd, "intermediates")
        for n, out in zip(names, files):
            label = "y_intermediates" if n == "y" else n
            expected = gpath(n)
            if not os.path.exists(expected):
                continue
            if not ran:
                ck.fail(label, "executable failed")
                continue
            if n == "z" and "generator" not in meta:
                # golden z.npy = sigmoid(sigmoid(z_proj)): compare sigmoid(z)
                sig = wpath("inter_z_sigmoid")
                sigmoid_file(out, sig)
                ck.compare("z", sig, expected, rtol)
            else:
                ck.compare(label, out, expected, rtol)
    else:
        tokens = gpath("tokens")
        out = wpath("logits")
        if os.path.exists(out):
            os.remove(out)
        if run([model_exe, "--weights", weights, "--tokens", tokens,
                "--logits", out], "logits"):
            ck.compare("logits", out, gpath("logits"), rtol)
        else:
            ck.fail("logits", "executable failed")
        if os.path.exists(gpath("greedy")):
            out = wpath("greedy")
            if os.path.exists(out):
                os.remove(out)
            if run([model_exe, "--weights", weights, "--tokens", tokens,
                    "--prompt-len", str(P), "--generate", str(N),
                    "--output", out], "greedy"):
                ck.compare("greedy", out, gpath("greedy"), rtol, exact=True)
            else:
                ck.fail("greedy", "executable failed")
    print(f"{ck.passed} passed, {ck.failed} failed")
    return 1 if ck.failed else 0


if __name__ == "__main__":
    sys.exit(main())
