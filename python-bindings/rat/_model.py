"""rat.compile and CompiledModel.

Compilation runs in-process (the native module ``rat._rat`` over
lib/Compiler). Running does not: ``run``/``logits``/``generate`` write
``.npy`` inputs (and a safetensors file for dict weights) to a scratch
directory and start the compiled executable with its documented command line
(docs/Runtime.md), then read its ``.npy`` outputs. The standalone executable
is the product of the compiler; driving it exactly as a user would keeps the
Python results identical to the command line's, keeps a crash or a CUDA
error in the model out of the Python process, and needs no second runtime.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
import weakref

import numpy as np

from . import _rat
from ._errors import CompileError, CompileWarning, RuntimeError as RatRuntimeError
from ._manifest import parse_manifest
from .safetensors import save_safetensors

#: Phases ``CompiledModel.ir`` can return.
STAGES = ("mlir", "rat", "tiled", "kernel", "llvm", "ptx")
_IR_SUFFIX = {"llvm": ".ll", "ptx": ".ptx"}


_MLIR_START = re.compile(r"(module|func\.func|func)(\s|\{|@|$)")


def _looks_like_mlir(text):
    s = text.lstrip()
    while s.startswith("//"):  # leading comment lines
        s = s.split("\n", 1)[1].lstrip() if "\n" in s else ""
    return bool(_MLIR_START.match(s)) or "func.func" in text


def _json_default(value):
    """numpy scalars and arrays in a config dict."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _read_source(model):
    """(is_config, text, name) for a config dict, a path (.json config or
    .mlir), MLIR text or config JSON text."""
    if isinstance(model, dict):
        try:
            return True, json.dumps(model, default=_json_default), "<model config>"
        except (TypeError, ValueError) as e:
            raise TypeError(f"rat.compile: the model config dict is not JSON "
                            f"serializable: {e}") from None
    if isinstance(model, os.PathLike):
        path = os.fspath(model)
    elif isinstance(model, str):
        if "\n" not in model and os.path.isfile(model):
            path = model
        elif _looks_like_mlir(model):
            return False, model, "<string>"
        elif model.lstrip().startswith("{"):
            return True, model, "<string>"
        else:
            path = model
    else:
        raise TypeError("rat.compile: model must be a config dict, a path to a "
                        "config .json (or .mlir) file, or MLIR text; got "
                        f"{type(model).__name__}")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"rat.compile: '{path}' is not a file (model must be a config dict, "
            "a path to a config .json or .mlir file, or MLIR text)")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json"):
        is_config = True
    elif path.endswith(".mlir"):
        is_config = False
    else:
        is_config = text.lstrip().startswith("{")
    return is_config, text, path


def compile(model, *, target="cpu", chip=None, dtype="f32",
            max_seq_len=None, workdir=None, decode=None, intermediates=None,
            pipeline_options="", opt_level=3, verbose=False):
    """Compiles a model into an executable and returns a CompiledModel.

    model: a model config dict (the fields of the golden meta.json files), a
      path to a config .json (or a graph-level .mlir) file, or MLIR text (a
      str starting with ``module``/``func`` or containing ``func.func``).
    target: "cpu" or "cuda"; chip: the GPU architecture for cuda (default
      sm_90).
    dtype: storage type of weights and activations, "f32", "bf16" or "f16".
    max_seq_len: longest sequence (prompt + generated) the decode state holds
      (model configs only; default 4096).
    workdir: directory for the executable and scratch files; default a
      temporary directory removed with the returned object.
    decode: also build the decode entry (configs only; default True);
      intermediates: rat_layer configs only, prefill also returns gate, z, q,
      k, v, v_scan and k_scan (a ``function`` model, without decode).
    pipeline_options, opt_level, verbose: as rat-compile's
      --pipeline-options, -O and -v (verbose prints the phase times).

    Options that do not apply (max_seq_len, decode or intermediates for
    MLIR input, chip for the cpu target) or contradict each other raise
    ValueError, like malformed ones. Raises CompileError (the compiler's
    diagnostics) on failure.
    """
    is_config, text, name = _read_source(model)
    def given(value, kind):
        return None if value is None else kind(value)
    request = dict(source=text, is_config=is_config, source_name=name,
                   target=str(target), chip=given(chip, str), dtype=str(dtype),
                   max_seq_len=given(max_seq_len, int),
                   decode=given(decode, bool),
                   intermediates=given(intermediates, bool),
                   pipeline_options=str(pipeline_options or ""),
                   opt_level=int(opt_level), verbose=bool(verbose))
    return CompiledModel(request, workdir)


def _report(log, verbose, stacklevel):
    if not log:
        return
    if verbose:
        print(log, file=sys.stderr)
    else:
        warnings.warn(log, CompileWarning, stacklevel=stacklevel + 1)


def _npy_array(value, what):
    """A C-ordered, little-endian array of a dtype the runtime reads."""
    a = np.asarray(value)
    if a.dtype.name == "bfloat16":
        a = a.astype(np.float32)
    elif a.dtype.kind == "f":
        if a.dtype.itemsize not in (2, 4, 8):
            a = a.astype(np.float64)
    elif a.dtype.kind in "iub":
        if not (a.dtype.kind == "i" and a.dtype.itemsize in (4, 8)):
            a = a.astype(np.int64)
    else:
        raise TypeError(f"{what}: unsupported dtype {a.dtype} (give float or "
                        "integer arrays)")
    return np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))


class CompiledModel:
    """A compiled executable and the source it came from.

    Attributes: ``path`` (the executable), ``workdir``, ``target``, ``dtype``,
    ``manifest`` (its embedded manifest text), ``kind`` (rat_layer, lm or
    function). Keep the object alive while the executable is needed: with the
    default temporary workdir, the directory is removed when the object is
    collected or ``close()`` is called (also a context manager).
    """

    def __init__(self, request, workdir):
        self._request = request
        self._ir = {}
        self._manifest = None
        if workdir is None:
            self.workdir = tempfile.mkdtemp(prefix="rat-")
            # Removed when the object is collected (or at exit), silently.
            self._tmp = weakref.finalize(self, shutil.rmtree, self.workdir,
                                         ignore_errors=True)
        else:
            self._tmp = None
            self.workdir = os.path.abspath(os.fspath(workdir))
            os.makedirs(self.workdir, exist_ok=True)
        self.target = request["target"]
        self.dtype = request["dtype"]
        self.path = os.path.join(self.workdir, "model")
        log = _rat.compile_source(output=self.path, emit="exe", **request)
        _report(log, request["verbose"], stacklevel=3)  # rat.compile's caller

    # -- lifetime ----------------------------------------------------------
    def close(self):
        """Removes the temporary workdir (not a workdir given to compile)."""
        if self._tmp is not None:
            self._tmp()
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        try:
            kind = self.kind
        except Exception:  # closed, or the compilation failed
            kind = "(no executable)"
        return (f"<rat.CompiledModel {kind} target={self.target} "
                f"dtype={self.dtype} path={self.path!r}>")

    # -- introspection -----------------------------------------------------
    @property
    def manifest(self):
        """The manifest embedded in the executable (``--print-manifest``)."""
        if self._manifest is None:
            out = self._exec(["--print-manifest"])
            self._manifest = parse_manifest(out)
        return self._manifest.text

    @property
    def kind(self):
        """The model kind of the manifest: rat_layer, lm or function."""
        self.manifest  # noqa: B018 (loads it)
        return self._manifest.model

    def ir(self, stage):
        """The text of phase ``stage`` (mlir, rat, tiled, kernel, llvm, ptx),
        compiled from the same source and options (cached). ptx needs the
        cuda target."""
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {', '.join(STAGES)}; got "
                             f"{stage!r}")
        if stage not in self._ir:
            os.makedirs(os.path.join(self.workdir, "ir"), exist_ok=True)
            out = os.path.join(self.workdir, "ir",
                               stage + _IR_SUFFIX.get(stage, ".mlir"))
            log = _rat.compile_source(output=out, emit=stage, **self._request)
            _report(log, self._request["verbose"], stacklevel=2)
            with open(out, encoding="utf-8") as f:
                self._ir[stage] = f.read()
        return self._ir[stage]

    # -- running -----------------------------------------------------------
    def run(self, weights, *inputs, decode=False, entry=None, indices=(),
            device=None, allow_extra_weights=False):
        """Runs the model on arrays.

        rat_layer: ``run(weights, x)`` with x ``[B, T, D]`` returns y
        ``[B, T, D]`` (float32); ``decode=True`` runs the decode entry token by
        token instead of prefill.
        function: ``run(weights, *args, entry=None, indices=())`` feeds the
        entry's ``input`` args in order and ``index`` args from ``indices``;
        returns the result array, or a dict ``{name: array}`` when the entry
        has several results.

        weights: a .safetensors path, a dict of name -> array, or None when
        the model takes no weight. Raises rat.RuntimeError when the
        executable fails (stderr in the message).
        """
        kind = self.kind
        with self._scratch() as d:
            args = self._weights_args(weights, d, allow_extra_weights, device)
            if kind == "rat_layer":
                if len(inputs) != 1 or entry is not None or indices:
                    raise TypeError("a rat_layer model takes run(weights, x)")
                x = os.path.join(d, "x.npy")
                np.save(x, _npy_array(inputs[0], "x"), allow_pickle=False)
                y = os.path.join(d, "y.npy")
                args += ["--input", x, "--output", y]
                if decode:
                    args.append("--decode")
                self._exec(args)
                return np.load(y)
            if kind != "function":
                raise TypeError(f"run() does not apply to a {kind} model; use "
                                "logits() or generate()")
            if decode:
                raise TypeError("decode=True applies to rat_layer models")
            e = self._manifest.entry(entry)
            args += ["--entry", e.name]
            for i, value in enumerate(inputs):
                path = os.path.join(d, f"arg{i}.npy")
                np.save(path, _npy_array(value, f"argument {i}"),
                        allow_pickle=False)
                args += ["--arg", path]
            for index in indices:
                args += ["--index", str(int(index))]
            outs = []
            for i, r in enumerate(e.results):
                path = os.path.join(d, f"result{i}.npy")
                args += ["--result", path]
                outs.append((r.name, path))
            self._exec(args)
            results = {name: np.load(path) for name, path in outs}
            if len(outs) == 1:
                return results[outs[0][0]]
            return results

    def logits(self, weights, tokens, prompt_len=None, *, device=None,
               allow_extra_weights=False):
        """lm: prefill logits ``[B, P, V]`` (float32) of ``tokens`` ``[B, T]``
        (P = prompt_len, default T). A 1-D ``tokens`` gives ``[P, V]``."""
        tokens, squeeze = self._tokens(tokens)
        with self._scratch() as d:
            args = self._weights_args(weights, d, allow_extra_weights, device)
            t = os.path.join(d, "tokens.npy")
            out = os.path.join(d, "logits.npy")
            np.save(t, tokens, allow_pickle=False)
            args += ["--tokens", t, "--logits", out]
            if prompt_len is not None:
                args += ["--prompt-len", str(int(prompt_len))]
            self._exec(args)
            result = np.load(out)
        return result[0] if squeeze else result

    def generate(self, weights, tokens, prompt_len, new_tokens, *, device=None,
                 allow_extra_weights=False):
        """lm: greedy generation. Prefill on the first ``prompt_len`` tokens of
        ``tokens`` ``[B, T]`` (None: all T), then ``new_tokens`` decode steps;
        returns ``[B, prompt_len + new_tokens]`` int32 (the prompt, then the
        generated tokens). A 1-D ``tokens`` gives a 1-D result."""
        tokens, squeeze = self._tokens(tokens)
        with self._scratch() as d:
            args = self._weights_args(weights, d, allow_extra_weights, device)
            t = os.path.join(d, "tokens.npy")
            out = os.path.join(d, "generated.npy")
            np.save(t, tokens, allow_pickle=False)
            if prompt_len is not None:
                args += ["--prompt-len", str(int(prompt_len))]
            args += ["--tokens", t, "--generate", str(int(new_tokens)),
                     "--output", out]
            self._exec(args)
            result = np.load(out)
        return result[0] if squeeze else result

    # -- helpers -----------------------------------------------------------
    def _tokens(self, tokens):
        a = np.asarray(tokens)
        if a.dtype.kind not in "iu":
            raise TypeError(f"tokens must be integers, got dtype {a.dtype}")
        squeeze = a.ndim == 1
        if squeeze:
            a = a[None, :]
        return _npy_array(a, "tokens"), squeeze

    def _scratch(self):
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"the executable {self.path} is gone "
                                    "(was the model closed?)")
        return _Scratch(self.workdir)

    def _weights_args(self, weights, scratch, allow_extra, device):
        args = []
        if weights is None:
            pass
        elif isinstance(weights, dict):
            path = os.path.join(scratch, "weights.safetensors")
            save_safetensors(weights, path)
            args += ["--weights", path]
        elif isinstance(weights, (str, os.PathLike)):
            path = os.fspath(weights)
            if not os.path.isfile(path):
                raise FileNotFoundError(f"weights file '{path}' does not exist")
            args += ["--weights", path]
        else:
            raise TypeError("weights must be a .safetensors path, a dict of "
                            "name -> array, or None")
        if allow_extra:
            args.append("--allow-extra-weights")
        if device is not None:
            args += ["--device", str(int(device))]
        return args

    def _exec(self, args):
        command = [self.path] + list(args)
        proc = subprocess.run(command, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, check=False)
        if proc.returncode != 0:
            stderr = proc.stderr.strip()
            message = stderr or f"the executable exited with status {proc.returncode}"
            if proc.returncode < 0:
                message += f" (killed by signal {-proc.returncode})"
            raise RatRuntimeError(message, returncode=proc.returncode,
                                  stderr=proc.stderr, command=command)
        return proc.stdout


class _Scratch:
    """A per-call directory under the workdir, removed afterwards."""

    def __init__(self, parent):
        self.path = tempfile.mkdtemp(prefix="run-", dir=parent)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


__all__ = ["compile", "CompiledModel", "STAGES", "CompileError"]
