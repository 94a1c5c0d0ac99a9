"""The in-process Python API over a model library (rat.Model, rat.load).

Run with the build's package on the path:
  PYTHONPATH=build/python_packages python3 -m pytest -q test/Python/test_library.py
(test/Python/library.test does this under lit.) CPU target. Skipped as a
whole when the native module was not built.
"""

import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

_spec = importlib.util.find_spec("rat")
_pkg_dirs = list(_spec.submodule_search_locations or []) if _spec else []
if not any(glob.glob(os.path.join(d, "_rat*.so")) for d in _pkg_dirs):
    pytest.skip("the rat Python module is not built or not on PYTHONPATH",
                allow_module_level=True)

import rat  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(SRC, "test", "golden")
LAYER = os.path.join(GOLDEN, "rat_layer_small")
LM = os.path.join(GOLDEN, "lm_tiny_rat")
TINY = os.path.join(SRC, "examples", "tiny_rat_lm")


def rel_err(actual, expected):
    actual = np.asarray(actual, np.float64)
    expected = np.asarray(expected, np.float64)
    assert actual.shape == expected.shape
    return np.linalg.norm(actual - expected) / np.linalg.norm(expected)


@pytest.fixture(scope="module")
def lm_library():
    return rat.compile(os.path.join(LM, "meta.json"), max_seq_len=128)


@pytest.fixture(scope="module")
def lm(lm_library):
    with lm_library.load(os.path.join(LM, "weights.safetensors")) as model:
        yield model


@pytest.fixture(scope="module")
def layer():
    compiled = rat.compile(os.path.join(LAYER, "meta.json"))
    with compiled.load(os.path.join(LAYER, "weights.safetensors")) as model:
        yield model


def test_generate_keeps_the_weights(lm_library, tmp_path):
    """The checkpoint is read once, when the model opens: with the file
    gone, the second and third generate still give the golden tokens, and
    they take a fraction of the open (which read and checked it)."""
    meta = json.load(open(os.path.join(LM, "meta.json")))
    p, n = meta["greedy_prompt_len"], meta["greedy_new_tokens"]
    tokens = np.load(os.path.join(LM, "tokens.npy"))
    expected = np.load(os.path.join(LM, "greedy.npy"))
    checkpoint = tmp_path / "weights.safetensors"
    shutil.copy(os.path.join(LM, "weights.safetensors"), checkpoint)
    start = time.perf_counter()
    model = lm_library.load(checkpoint)
    opened = time.perf_counter() - start
    first = model.generate(tokens, p, n)
    np.testing.assert_array_equal(first, expected)
    os.remove(checkpoint)
    start = time.perf_counter()
    second = model.generate(tokens, p, n)
    again = time.perf_counter() - start
    np.testing.assert_array_equal(second, expected)
    np.testing.assert_array_equal(model.generate(tokens, p, n), expected)
    # A new model cannot open the deleted checkpoint: nothing reads it later.
    with pytest.raises(FileNotFoundError):
        lm_library.load(checkpoint)
    model.close()
    print(f"open {opened * 1e3:.1f} ms, second generate {again * 1e3:.1f} ms")


def test_lm_logits_and_generate_match_the_goldens(lm):
    meta = json.load(open(os.path.join(LM, "meta.json")))
    tokens = np.load(os.path.join(LM, "tokens.npy"))
    logits = lm.logits(tokens)
    assert logits.dtype == np.float32
    assert logits.shape == (meta["B"], meta["T"], meta["vocab_size"])
    assert rel_err(logits, np.load(os.path.join(LM, "logits.npy"))) <= 1e-4
    one = lm.logits(tokens[0], 10)  # 1-D tokens: [P, V]
    assert one.shape == (10, meta["vocab_size"])
    assert rel_err(one, logits[0, :10]) <= 1e-5
    p, n = meta["greedy_prompt_len"], meta["greedy_new_tokens"]
    out, lengths = lm.generate(tokens, p, n, return_lengths=True)
    assert out.dtype == np.int32 and out.shape == (meta["B"], p + n)
    np.testing.assert_array_equal(out, np.load(os.path.join(LM, "greedy.npy")))
    np.testing.assert_array_equal(lengths, [n] * meta["B"])
    # int64 tokens and a 1-D prompt.
    np.testing.assert_array_equal(lm.generate(tokens[0].astype(np.int64), p, n),
                                  out[0])


def test_prefill_and_decode_steps_match_generate(lm):
    meta = json.load(open(os.path.join(LM, "meta.json")))
    p, n = meta["greedy_prompt_len"], meta["greedy_new_tokens"]
    tokens = np.load(os.path.join(LM, "tokens.npy"))
    expected = np.load(os.path.join(LM, "greedy.npy"))[:, p:]
    steps = [lm.prefill(tokens, p)]
    for i in range(1, n):
        steps.append(lm.decode_step(steps[-1], p + i - 1))
    np.testing.assert_array_equal(np.stack(steps, 1), expected)
    nxt, logits = lm.decode_step(steps[-1], p + n - 1, logits=True)
    assert logits.shape == (meta["B"], 1, meta["vocab_size"])
    np.testing.assert_array_equal(np.argmax(logits[:, 0], -1), nxt)


def test_run_any_entry(lm):
    tokens = np.load(os.path.join(LM, "tokens.npy"))
    lengths = np.full(len(tokens), tokens.shape[1], np.int32)
    results = lm.run(tokens, lengths, entry="prefill")
    assert set(results) >= {"logits", "gen.logits", "gen.position"}
    assert rel_err(results["logits"], lm.logits(tokens)) == 0
    np.testing.assert_array_equal(results["gen.position"], lengths)


def test_rat_layer_prefill_and_decode(layer):
    x = np.load(os.path.join(LAYER, "x.npy"))
    y = layer.run(x)
    assert y.dtype == np.float32
    assert rel_err(y, np.load(os.path.join(LAYER, "y.npy"))) <= 1e-5
    y_decode = layer.run(x, decode=True)
    assert rel_err(y_decode, np.load(os.path.join(LAYER, "y_decode.npy"))) <= 1e-5
    # float64 input is converted, as the executable converts .npy files.
    assert rel_err(layer.run(x.astype(np.float64)), y) == 0


def test_function_model_and_dict_weights():
    src = """
func.func @scale(%a: tensor<?x3xf32>, %w: tensor<3xf32> {rat.role = "weight", rat.name = "w"})
    -> tensor<?x3xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?x3xf32>
  %e = tensor.empty(%n) : tensor<?x3xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                        affine_map<(i, j) -> (j)>,
                                        affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a, %w : tensor<?x3xf32>, tensor<3xf32>) outs(%e : tensor<?x3xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.mulf %x, %y : f32
    linalg.yield %m : f32
  } -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
"""
    compiled = rat.compile(src)
    assert compiled.kind == "function"
    w = np.array([1.0, 2.0, 3.0], np.float32)
    # Weights as arrays: handed to the library in memory, no file.
    with compiled.load({"w": w}) as model:
        a = np.arange(12, dtype=np.float32).reshape(4, 3)
        # A `?` result dim: the library allocates the output.
        np.testing.assert_array_equal(model.run(a), a * w)
        np.testing.assert_array_equal(model.run(a[:1]), a[:1] * w)
    with pytest.raises(rat.RuntimeError, match="'w'") as info:
        compiled.load({"v": w})
    assert info.value.status == "RAT_ERROR_FAILED"


def test_errors_carry_the_runtime_message(lm, layer, lm_library):
    with pytest.raises(rat.RuntimeError, match=r"has shape \[2, 64, 128\]") as info:
        layer.run(np.zeros((2, 64, 128), np.float32))
    assert info.value.status == "RAT_ERROR_INVALID_ARGUMENT"
    assert isinstance(info.value, RuntimeError)  # also the built-in one
    with pytest.raises(rat.RuntimeError, match="token 300 at .0, 2. is out of "
                       "range for vocab_size 300"):
        lm.generate([[1, 2, 300]], 3, 2)
    with pytest.raises(rat.RuntimeError, match="exceeds the model's "
                       "max_seq_len 128") as info:
        lm.generate([[1, 2, 3]], 3, 200)
    assert info.value.status == "RAT_ERROR_INVALID_ARGUMENT"
    with pytest.raises(rat.RuntimeError, match="this model needs weights"):
        lm_library.load()
    with pytest.raises(TypeError, match="use run"):
        layer.logits([1, 2, 3])
    with pytest.raises(TypeError, match="logits"):
        lm.run(np.zeros((1, 4)))


def test_generation_options(lm):
    """The serving options reach the runtime's generation through the C
    API's rat_generate_options; bad values are RAT_ERROR_INVALID_ARGUMENT."""
    tokens = np.load(os.path.join(LM, "tokens.npy"))[:, :8]
    with pytest.raises(rat.RuntimeError, match="temperature must be >= 0") as info:
        lm.generate(tokens, 8, 4, temperature=-1)
    assert info.value.status == "RAT_ERROR_INVALID_ARGUMENT"
    # Greedy with the defaults written out equals greedy.
    greedy = lm.generate(tokens, 8, 4)
    np.testing.assert_array_equal(
        lm.generate(tokens, 8, 4, temperature=0, top_k=0, top_p=1.0, seed=7,
                    prefill_rows=1),
        greedy)
    # Ragged prompts: each row is its prompt alone, then -1.
    lens = [8] + [5] * (len(tokens) - 1)
    ragged, counts = lm.generate(tokens, None, 4, prompt_lens=lens,
                                 return_lengths=True)
    assert ragged.shape == (len(tokens), 12)
    np.testing.assert_array_equal(ragged[0], greedy[0])
    for b in range(1, len(tokens)):
        np.testing.assert_array_equal(ragged[b, :9], lm.generate(tokens[b], 5, 4))
        assert (ragged[b, 9:] == -1).all()
    np.testing.assert_array_equal(counts, [4] * len(tokens))
    # A stop id: the sequence ends after it.
    stop = int(greedy[0, 9])
    out, counts = lm.generate(tokens[:1], 8, 4, eos=[stop], return_lengths=True)
    first = list(greedy[0, 8:]).index(stop)
    assert counts[0] == first + 1 and (out[0, 9 + first:] == -1).all()
    # Sampling: a seed gives the same tokens again; streaming sees each step.
    seen = []
    a = lm.generate(tokens, 8, 4, temperature=1.0, seed=3,
                    on_token=lambda step, ids: seen.append(step))
    np.testing.assert_array_equal(
        a, lm.generate(tokens, 8, 4, temperature=1.0, seed=3))
    assert seen == [0, 1, 2, 3]


def test_threads_share_a_model(lm):
    """Calls release the GIL and run one at a time on a model (its lock)."""
    meta = json.load(open(os.path.join(LM, "meta.json")))
    p, n = meta["greedy_prompt_len"], meta["greedy_new_tokens"]
    tokens = np.load(os.path.join(LM, "tokens.npy"))
    expected = np.load(os.path.join(LM, "greedy.npy"))
    results = []

    def work():
        for _ in range(3):
            results.append(np.array_equal(lm.generate(tokens, p, n), expected))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 12


def test_load_a_library_without_the_compiler(tmp_path):
    """rat.load runs a library built by rat-compile --emit shared with only
    the pure-Python files of the package (no native compiler module, as on
    a machine without LLVM)."""
    rat_compile = os.path.join(os.path.dirname(os.path.dirname(
        os.path.dirname(rat.__file__))), "bin", "rat-compile")
    library = tmp_path / "libtiny.so"
    subprocess.run([rat_compile, "--model", os.path.join(TINY, "model.json"),
                    "--max-seq-len", "64", "--emit", "shared", "-o",
                    str(library)], check=True)
    package = tmp_path / "pkg" / "rat"
    shutil.copytree(os.path.dirname(rat.__file__), package,
                    ignore=shutil.ignore_patterns("_rat*.so", "__pycache__"))
    script = f"""
import numpy as np, rat
model = rat.load({str(library)!r}, {os.path.join(TINY, 'weights.safetensors')!r})
out = model.generate(np.load({os.path.join(TINY, 'prompt.npy')!r}), 16, 16)
assert np.array_equal(out, np.load({os.path.join(TINY, 'expected_greedy.npy')!r}))
try:
    rat.compile({os.path.join(TINY, 'model.json')!r})
except ImportError as e:
    print("compile:", e)
print(model.kind, model.target, "ok")
"""
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "pkg"))
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True,
                         capture_output=True, text=True).stdout
    assert "lm cpu ok" in out
    assert "rat.compile needs the native module rat._rat" in out


def test_recompiled_library_in_the_same_workdir(tmp_path):
    """A recompile into the same path loads the new library, not the one the
    dynamic loader has already."""
    a = rat.compile(os.path.join(LAYER, "meta.json"), workdir=tmp_path,
                    decode=False)
    assert "entry decode" not in a.manifest
    b = rat.compile(os.path.join(LAYER, "meta.json"), workdir=tmp_path)
    assert b.path == a.path
    assert "entry decode" in b.manifest
    with b.load(os.path.join(LAYER, "weights.safetensors")) as model:
        assert "entry decode" in model.manifest
