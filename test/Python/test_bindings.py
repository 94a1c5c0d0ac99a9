"""Tests of the rat Python package (python-bindings/), CPU target.

Run with the build's package on the path:
  PYTHONPATH=build/python_packages python3 -m pytest -q test/Python/test_bindings.py
(test/Python/bindings.test does this under lit.) Skipped as a whole when the
native module was not built (no pybind11 or Python headers at configure time).
"""

import glob
import importlib.util
import json
import os
import pathlib
import re

import numpy as np
import pytest

_spec = importlib.util.find_spec("rat")
_pkg_dirs = list(_spec.submodule_search_locations or []) if _spec else []
if not any(glob.glob(os.path.join(d, "_rat*.so")) for d in _pkg_dirs):
    pytest.skip("the rat Python module is not built (needs pybind11-dev and "
                "python3-dev at configure time, target RatPythonModule) or "
                "PYTHONPATH does not point at <build>/python_packages",
                allow_module_level=True)

import rat  # noqa: E402  (after the skip check on purpose)

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(SRC, "test", "golden")
LAYER = os.path.join(GOLDEN, "rat_layer_small")
LM = os.path.join(GOLDEN, "lm_tiny_rat")


def rel_err(actual, expected):
    actual = np.asarray(actual, np.float64)
    expected = np.asarray(expected, np.float64)
    assert actual.shape == expected.shape
    return np.linalg.norm(actual - expected) / np.linalg.norm(expected)


@pytest.fixture(scope="module")
def layer():
    return rat.compile(os.path.join(LAYER, "meta.json"))


@pytest.fixture(scope="module")
def lm():
    return rat.compile(os.path.join(LM, "meta.json"), max_seq_len=128)


def test_rat_layer_prefill(layer):
    assert layer.kind == "rat_layer"
    assert "entry prefill" in layer.manifest
    y = layer.run(os.path.join(LAYER, "weights.safetensors"),
                  np.load(os.path.join(LAYER, "x.npy")))
    assert y.dtype == np.float32
    assert rel_err(y, np.load(os.path.join(LAYER, "y.npy"))) <= 1e-5


def test_rat_layer_decode(layer):
    y = layer.run(os.path.join(LAYER, "weights.safetensors"),
                  np.load(os.path.join(LAYER, "x.npy")), decode=True)
    assert rel_err(y, np.load(os.path.join(LAYER, "y_decode.npy"))) <= 1e-5


def test_dict_model_and_dict_weights():
    """A config dict and weights as a dict of arrays (written to a
    safetensors file by the package)."""
    with open(os.path.join(LAYER, "meta.json")) as f:
        config = json.load(f)
    weights = rat.load_safetensors(os.path.join(LAYER, "weights.safetensors"))
    assert "in_proj.weight" in weights
    weights = {k: v.astype(np.float64) for k, v in weights.items()}
    with rat.compile(config, decode=False) as model:
        assert "entry decode" not in model.manifest
        y = model.run(weights, np.load(os.path.join(LAYER, "x.npy")))
        assert rel_err(y, np.load(os.path.join(LAYER, "y.npy"))) <= 1e-5
    assert not os.path.exists(model.workdir)


def test_safetensors_round_trip(tmp_path):
    tensors = {"a": np.arange(6, dtype=np.float32).reshape(2, 3),
               "b": np.array([1, -2], dtype=np.int64),
               "c": np.ones((2, 2), np.float16).T}  # not C-contiguous
    path = tmp_path / "t.safetensors"
    rat.save_safetensors(tensors, path)
    back = rat.load_safetensors(path)
    assert sorted(back) == ["a", "b", "c"]
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and np.array_equal(back[k], v)


def test_lm_logits(lm):
    meta = json.load(open(os.path.join(LM, "meta.json")))
    tokens = np.load(os.path.join(LM, "tokens.npy"))
    logits = lm.logits(os.path.join(LM, "weights.safetensors"), tokens)
    assert logits.shape == (meta["B"], meta["T"], meta["vocab_size"])
    assert rel_err(logits, np.load(os.path.join(LM, "logits.npy"))) <= 1e-4
    # A 1-D prompt gives [P, V]; prompt_len limits the positions.
    one = lm.logits(os.path.join(LM, "weights.safetensors"), tokens[0], 10)
    assert one.shape == (10, meta["vocab_size"])
    assert rel_err(one, logits[0, :10]) <= 1e-5


def test_lm_greedy_generate(lm):
    meta = json.load(open(os.path.join(LM, "meta.json")))
    prompt_len, new_tokens = meta["greedy_prompt_len"], meta["greedy_new_tokens"]
    tokens = np.load(os.path.join(LM, "tokens.npy"))
    out = lm.generate(os.path.join(LM, "weights.safetensors"), tokens,
                      prompt_len, new_tokens)
    expected = np.load(os.path.join(LM, "greedy.npy"))
    assert out.dtype == np.int32
    assert out.shape == (meta["B"], prompt_len + new_tokens)
    np.testing.assert_array_equal(out, expected)


def test_ir_stages(layer):
    assert "rat.chunk_scan" in layer.ir("rat")
    assert "func.func @prefill" in layer.ir("mlir")
    assert "scf.forall" in layer.ir("tiled")
    assert "define" in layer.ir("llvm")
    assert layer.ir("llvm") is layer.ir("llvm")  # cached
    with pytest.raises(ValueError, match="emit='ptx' needs target='cuda'"):
        layer.ir("ptx")
    with pytest.raises(ValueError, match="stage must be one of"):
        layer.ir("exe")


def test_mlir_text_function():
    src = """
func.func @add(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %e = tensor.empty() : tensor<2x3xf32>
  %0 = linalg.add ins(%a, %b : tensor<2x3xf32>, tensor<2x3xf32>)
                  outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
"""
    model = rat.compile(src)
    assert model.kind == "function"
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(model.run(None, a, 2 * a), 3 * a)


def test_mlir_file_path():
    model = rat.compile(os.path.join(SRC, "examples", "rat_layer.mlir"))
    assert model.kind == "function"
    assert "entry rat_mixer" in model.manifest


def test_source_forms(tmp_path, monkeypatch):
    """A pathlib.Path, config JSON text, a dict with numpy values, and a
    config file whose name starts like MLIR ("func...")."""
    meta = os.path.join(LAYER, "meta.json")
    assert rat.compile(pathlib.Path(meta), decode=False).kind == "rat_layer"
    text = open(meta).read()
    assert rat.compile(text, decode=False).kind == "rat_layer"
    config = json.loads(text)
    config["d_model"] = np.int64(config["d_model"])
    assert rat.compile(config, decode=False).kind == "rat_layer"
    odd = tmp_path / "func_model.json"
    odd.write_text(text)
    monkeypatch.chdir(tmp_path)
    assert rat.compile("func_model.json", decode=False).kind == "rat_layer"


def test_bad_config_key():
    config = json.load(open(os.path.join(LAYER, "meta.json")))
    config["bogus_key"] = 3
    with pytest.raises(rat.CompileError, match="bogus_key") as info:
        rat.compile(config)
    assert "unknown key" in info.value.diagnostics


def test_bad_config_value(tmp_path):
    config = json.load(open(os.path.join(LAYER, "meta.json")))
    config["num_head"] = 3
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(config))
    with pytest.raises(rat.CompileError, match=r"bad\.json: .*num_head"):
        rat.compile(str(path))


def test_config_limits(tmp_path):
    """Sizes past docs/Limits.md and malformed JSON: errors, not crashes."""
    config = json.load(open(os.path.join(LAYER, "meta.json")))
    with pytest.raises(ValueError, match="max_seq_len 1099511627776 is above "
                       "the limit of 16777216"):
        rat.compile(config, max_seq_len=2**40)
    config["d_model"] = 2**62
    with pytest.raises(rat.CompileError,
                       match=r"key 'd_model' \(4611686018427387904\) is above "
                       "the limit of 65536"):
        rat.compile(config)
    path = tmp_path / "dup.json"
    path.write_text('{"kind": "rat_layer", "kind": "lm"}')
    with pytest.raises(rat.CompileError, match='duplicate key "kind"'):
        rat.compile(str(path))


def test_bad_mlir_has_line_and_column():
    src = ("func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
           "  return %undefined : tensor<4xf32>\n"
           "}\n")
    with pytest.raises(rat.CompileError) as info:
        rat.compile(src)
    assert re.search(r"<string>:2:\d+: error: use of undeclared SSA value",
                     str(info.value)), str(info.value)


def test_bad_options():
    config = os.path.join(LAYER, "meta.json")
    with pytest.raises(ValueError, match="target must be"):
        rat.compile(config, target="tpu")
    with pytest.raises(ValueError, match="dtype must be"):
        rat.compile(config, dtype="f64")
    with pytest.raises(FileNotFoundError):
        rat.compile("/nonexistent/model.json")
    with pytest.raises(TypeError):
        rat.compile(42)


def test_contradicting_options():
    """The checks rat-compile makes, spelled the Python way (one compile
    entry, lib/Compiler/Driver.cpp)."""
    config = os.path.join(LAYER, "meta.json")
    mlir = os.path.join(SRC, "examples", "rat_layer.mlir")
    with pytest.raises(ValueError, match="max_seq_len applies to model "
                       "configs, not to graph-level MLIR"):
        rat.compile(mlir, max_seq_len=64)
    with pytest.raises(ValueError, match="decode applies to model configs"):
        rat.compile(mlir, decode=False)
    with pytest.raises(ValueError, match="chip needs target='cuda'"):
        rat.compile(config, chip="sm_80")
    with pytest.raises(ValueError, match="intermediates=True builds no "
                       "decode entry"):
        rat.compile(config, intermediates=True, decode=True)
    with pytest.raises(ValueError, match="pipeline_options: 'emulate-gpu' "
                       "needs target='cpu'"):
        rat.compile(config, target="cuda",
                    pipeline_options="emulate-gpu=true")
    with pytest.raises(rat.CompileError, match="intermediates=True needs a "
                       "rat_layer config"):
        rat.compile(os.path.join(LM, "meta.json"), intermediates=True)


def test_wrong_input_shape(layer):
    x = np.zeros((2, 64, 128), np.float32)
    with pytest.raises(rat.RuntimeError, match=r"has shape \[2, 64, 128\]") as info:
        layer.run(os.path.join(LAYER, "weights.safetensors"), x)
    assert info.value.status == "RAT_ERROR_INVALID_ARGUMENT"
    assert isinstance(info.value, RuntimeError)  # also the built-in one


def test_missing_weight(layer):
    weights = rat.load_safetensors(os.path.join(LAYER, "weights.safetensors"))
    del weights["gate_bias"]
    with pytest.raises(rat.RuntimeError, match="gate_bias"):
        layer.run(weights, np.load(os.path.join(LAYER, "x.npy")))


def test_wrong_method_for_kind(layer, lm):
    with pytest.raises(TypeError, match="logits"):
        lm.run(os.path.join(LM, "weights.safetensors"), np.zeros((1, 4)))
    with pytest.raises(TypeError, match="does not apply to a rat_layer model"):
        layer.logits(os.path.join(LAYER, "weights.safetensors"), [1, 2, 3])


def test_token_out_of_range(lm):
    with pytest.raises(rat.RuntimeError, match="300"):
        lm.generate(os.path.join(LM, "weights.safetensors"), [[1, 2, 300]], 3, 2)


def test_workdir(tmp_path):
    model = rat.compile(os.path.join(LAYER, "meta.json"),
                        workdir=tmp_path / "w", decode=False)
    assert model.path == str(tmp_path / "w" / "libmodel.so")
    assert os.path.isfile(model.path)
    model.close()  # a given workdir is kept
    assert os.path.exists(model.path)


_CUDA_TOOLKIT = (os.environ.get("CUDA_ROOT") or os.environ.get("CUDA_HOME") or
                 os.environ.get("CUDA_PATH") or "/usr/local/cuda")


@pytest.mark.skipif(
    not os.path.exists(os.path.join(_CUDA_TOOLKIT, "nvvm", "libdevice",
                                    "libdevice.10.bc")),
    reason="no CUDA toolkit (libdevice) to compile for cuda")
def test_cuda_compile_only(monkeypatch):
    """Compiling for CUDA needs the toolkit, not a GPU (running does)."""
    # MLIR's NVVM target finds ptxas only through these variables or PATH
    # (lit's environment has neither).
    monkeypatch.setenv("CUDA_ROOT", _CUDA_TOOLKIT)
    model = rat.compile(os.path.join(LAYER, "meta.json"), target="cuda",
                        decode=False)
    assert "target cuda" in model.manifest
    assert ".entry" in model.ir("ptx")


@pytest.mark.skipif(
    not os.path.exists(os.path.join(_CUDA_TOOLKIT, "nvvm", "libdevice",
                                    "libdevice.10.bc")) or
    not all(os.path.exists(os.path.join(_CUDA_TOOLKIT, "bin", tool))
            for tool in ("ptxas", "fatbinary")),
    reason="no CUDA toolkit (libdevice, ptxas, fatbinary) for a chip list")
def test_cuda_chip_list(monkeypatch):
    """chip takes a list: one executable with code for each chip."""
    monkeypatch.setenv("CUDA_ROOT", _CUDA_TOOLKIT)
    model = rat.compile(os.path.join(LAYER, "meta.json"), target="cuda",
                        chip=["sm_80", "sm_90a"], decode=False)
    ptx = model.ir("ptx")
    assert ".target sm_80" in ptx and ".target sm_90a" in ptx
    with open(model.path, "rb") as f:
        # One fatbin: its magic, version 1 and 16-byte header (the magic
        # alone is also in the runtime's code).
        assert f.read().count(bytes.fromhex("50ed55ba01001000")) == 1
    with pytest.raises(ValueError, match="'sm_99' is not a chip"):
        rat.compile(os.path.join(LAYER, "meta.json"), target="cuda",
                    chip="sm_80,sm_99")
