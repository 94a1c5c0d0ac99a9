#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

  fuzz/make_corpus.py [--build BUILD_DIR]

Seeds are small, mostly valid inputs that reach deep into each reader:
  safetensors/  tiny checkpoints of every dtype (scalars, empty tensors,
                metadata, NaN) and a few malformed ones
  npy/          arrays of every dtype and byte order numpy writes, rank 0 to
                3, empty, Fortran order, format 2.0
  manifest/     the manifests of compiled models (rat_layer, lm, function;
                from BUILD_DIR/bin/rat-compile when given) and hand-written
                edge cases
  model-config/ the golden and example configs and variants of every layer
                kind
  rat-ir/       test/Dialect/Rat/{roundtrip,invalid,canonicalize}.mlir split
                into one function each
The corpora are committed; rerun after changing the readers' formats.
"""

import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")


def fresh(name):
    path = os.path.join(OUT, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def safetensors(header, data=b""):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def write(path, name, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(path, name), mode) as f:
        f.write(data)


def make_safetensors():
    out = fresh("safetensors")
    f32 = np.array([[1, 2], [3, 4]], "<f4").tobytes()
    bf16 = np.array([0x3f00, 0xbf80, 0x4100], "<u2").tobytes()
    f16 = np.array([0.25], "<f2").tobytes()
    write(out, "mixed.safetensors", safetensors({
        "__metadata__": {"format": "pt"},
        "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
        "b": {"dtype": "BF16", "shape": [3], "data_offsets": [16, 22]},
        "c": {"dtype": "F16", "shape": [], "data_offsets": [22, 24]}},
        f32 + bf16 + f16))
    ints = np.array([1, -2], "<i4").tobytes() + np.array([2**40], "<i8").tobytes()
    write(out, "ints.safetensors", safetensors({
        "i": {"dtype": "I32", "shape": [2], "data_offsets": [0, 8]},
        "l": {"dtype": "I64", "shape": [1, 1], "data_offsets": [8, 16]}},
        ints))
    f64 = np.array([np.nan, np.inf, 1e300], "<f8").tobytes()
    write(out, "f64_nonfinite.safetensors", safetensors({
        "d": {"dtype": "F64", "shape": [3], "data_offsets": [0, 24]}}, f64))
    write(out, "empty_tensor.safetensors", safetensors({
        "e": {"dtype": "F32", "shape": [0, 7], "data_offsets": [0, 0]}}))
    write(out, "empty_header.safetensors", safetensors({}))
    write(out, "overlap.safetensors", safetensors({
        "x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "y": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}},
        bytes(8)))
    write(out, "truncated.safetensors", safetensors({
        "x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}},
        bytes(8)))
    write(out, "dup_key.safetensors",
          struct.pack("<Q", 12) + b'{"a":1,"a":2}'[:12])


def make_npy():
    out = fresh("npy")
    arrays = {
        "f32_2d": np.arange(6, dtype="<f4").reshape(2, 3),
        "f64_3d": np.linspace(-1, 1, 24).reshape(2, 3, 4),
        "f16": np.array([0.5, -2, 65504], "<f2"),
        "i32_scalar": np.array(7, "<i4"),
        "i64": np.array([-1, 2**40], "<i8"),
        "empty": np.zeros((0, 3), "<f4"),
        "big_endian": np.arange(4, dtype=">f4"),
        "nonfinite": np.array([np.nan, np.inf, -np.inf], "<f4"),
        "tokens": np.array([[1, 2, 3]], "<i4"),
    }
    for name, a in arrays.items():
        path = os.path.join(out, name + ".npy")
        np.save(path, a)
    np.save(os.path.join(out, "fortran.npy"),
            np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
    with open(os.path.join(out, "v2.npy"), "wb") as f:
        np.lib.format.write_array(f, np.ones((2, 2), "<f4"), version=(2, 0))


MANIFEST_EDGES = {
    "function.txt": """rat-manifest 1
model function
target cpu
dtype f32
param note free text with spaces
entry f
arg input x f32 B,?,4
arg index offset
arg weight w f32 4
result output y f32 B,?,4
end
""",
    "lm_min.txt": """rat-manifest 1
model lm
target cuda
dtype bf16
param vocab_size 16
param max_seq_len 999999999999999999
entry prefill
arg input tokens i32 B,T
arg input lengths i32 B
arg weight wte bf16 16,2
result output logits f32 B,T,16
result state gen.logits f32 B,16
result state gen.position i32 B
end
entry decode
arg state_inout gen.logits f32 B,16
arg state_inout gen.position i32 B
arg state_inout gen.finished i32 B
arg state_inout gen.temperature f32 B
arg state_inout gen.top_k i32 B
arg state_inout gen.top_p f32 B
arg state_inout gen.seed i64 B
arg state_inout gen.eos i32 B,E
arg state_inout layers.0.cache_k bf16 B,1,8,2
result output token i32 B
end
""",
}


def make_manifests(build):
    out = fresh("manifest")
    for name, text in MANIFEST_EDGES.items():
        write(out, name, text)
    compiler = build and os.path.join(build, "bin", "rat-compile")
    if not compiler or not os.path.exists(compiler):
        return
    golden = os.path.join(ROOT, "test", "golden")
    models = {
        "rat_layer.txt": ["--model", os.path.join(golden, "rat_layer_small", "meta.json"),
                          "--max-seq-len", "64"],
        "lm_hybrid.txt": ["--model", os.path.join(golden, "lm_tiny_hybrid", "meta.json"),
                          "--max-seq-len", "64"],
        "lm_bf16.txt": ["--model", os.path.join(golden, "lm_tiny_rat", "meta.json"),
                        "--dtype", "bf16", "--max-seq-len", "64"],
        "ops_function.txt": [os.path.join(ROOT, "test", "Driver", "Inputs", "ops.mlir")],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in models.items():
            exe = os.path.join(tmp, "m")
            subprocess.run([compiler] + args + ["-o", exe], check=True)
            text = subprocess.run([exe, "--print-manifest"], check=True,
                                  capture_output=True, text=True).stdout
            write(out, name, text)


def make_configs():
    out = fresh("model-config")
    sources = [os.path.join(ROOT, "test", "golden", g, "meta.json")
               for g in ("rat_layer_small", "rat_layer_ragged", "lm_tiny_rat",
                         "lm_tiny_hybrid")]
    sources += [os.path.join(ROOT, "examples", "tiny_rat_lm", "model.json"),
                os.path.join(ROOT, "test", "Driver", "Inputs", "layer.json")]
    for path in sources:
        name = os.path.basename(os.path.dirname(path)) + ".json"
        if name == "Inputs.json":
            name = "layer.json"
        shutil.copy(path, os.path.join(out, name))
    small = {"kind": "lm", "vocab_size": 32, "d_model": 16, "num_head": 2,
             "d_head": 8, "ngroups": 1, "chunk_size": 4, "window_size": 3,
             "num_layers": 3, "rms_eps": 1e-5, "rope_base": 500000.0}
    for pattern in (["attention"], ["swa"], ["rat", "swa", "attention"]):
        cfg = dict(small, layer_pattern=pattern)
        write(out, "lm_" + "_".join(pattern) + ".json", json.dumps(cfg))
    write(out, "layer_groups.json", json.dumps(
        {"kind": "rat_layer", "d_model": 24, "num_head": 6, "d_head": 4,
         "ngroups": 3, "chunk_size": 1}))


def make_ir():
    out = fresh("rat-ir")
    dialect = os.path.join(ROOT, "test", "Dialect", "Rat")
    for file in ("roundtrip.mlir", "invalid.mlir", "canonicalize.mlir"):
        text = open(os.path.join(dialect, file)).read()
        pieces = re.split(r"^// -----$", text, flags=re.M)
        if len(pieces) == 1:
            pieces = re.split(r"^(?=func\.func)", text, flags=re.M)
        n = 0
        for piece in pieces:
            body = "\n".join(l for l in piece.splitlines()
                             if not l.lstrip().startswith("//"))
            if "func.func" not in body:
                continue
            n += 1
            write(out, "%s_%03d.mlir" % (file[:-5], n), body.strip() + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()
    make_safetensors()
    make_npy()
    make_manifests(a.build)
    make_configs()
    make_ir()


if __name__ == "__main__":
    main()
