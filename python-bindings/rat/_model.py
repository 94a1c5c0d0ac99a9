"""rat.compile and CompiledModel.

Compilation runs in-process (the native module ``rat._rat`` over
lib/Compiler) and links the model with the runtime into a shared library
(``--emit shared``, the C API of rat/Runtime/rat_model.h). Running is
in-process too: ``CompiledModel.load(weights)`` opens the library with a
checkpoint and returns a ``rat.Model`` (``_library.py``) whose weights stay
loaded across calls.
"""

import json
import os
import re
import shutil
import sys
import tempfile
import warnings
import weakref

import numpy as np

from ._errors import CompileWarning
from ._library import Model, _load_library
from ._manifest import ManifestView

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
      sm_90a), or several as a list or a comma-separated string
      (``["sm_80", "sm_90a"]``): one executable with code for each.
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
    if isinstance(chip, (list, tuple)):
        chip = ",".join(str(c) for c in chip)
    request = dict(source=text, is_config=is_config, source_name=name,
                   target=str(target), chip=given(chip, str), dtype=str(dtype),
                   max_seq_len=given(max_seq_len, int),
                   decode=given(decode, bool),
                   intermediates=given(intermediates, bool),
                   pipeline_options=str(pipeline_options or ""),
                   opt_level=int(opt_level), verbose=bool(verbose))
    return CompiledModel(request, workdir)


def _native():
    """The compiler's native module (imported on first use: running a
    library needs numpy only)."""
    try:
        from . import _rat
    except ImportError as e:
        raise ImportError(f"rat.compile needs the native module rat._rat, "
                          f"which did not load: {e}") from e
    return _rat


def _runtime_dir():
    """The runtime archives rat-compile links with: lib/ relative to this
    package, in the build tree and the install tree (_paths.py)."""
    from . import _paths  # generated by the build (not in the source tree)
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, _paths.RUNTIME_DIR))


def _report(log, verbose, stacklevel):
    if not log:
        return
    if verbose:
        print(log, file=sys.stderr)
    else:
        warnings.warn(log, CompileWarning, stacklevel=stacklevel + 1)


class CompiledModel(ManifestView):
    """A compiled model library and the source it came from.

    Attributes: ``path`` (the shared library, ``workdir/libmodel.so``),
    ``workdir``, ``target``, ``dtype``, ``manifest`` (its manifest text),
    ``kind`` (rat_layer, lm or function). ``load(weights)`` opens it in this
    process. With the default temporary workdir, the directory is removed
    when the object is collected or ``close()`` is called (also a context
    manager); models already loaded keep working.
    """

    def __init__(self, request, workdir):
        self._request = request
        self._ir = {}
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
        self.path = os.path.join(self.workdir, "libmodel.so")
        log = _native().compile_source(output=self.path, emit="shared",
                                       runtime_dir=_runtime_dir(), **request)
        _report(log, request["verbose"], stacklevel=3)  # rat.compile's caller
        self._manifest = _load_library(self.path).manifest

    # -- lifetime ----------------------------------------------------------
    def close(self):
        """Removes the temporary workdir (not a workdir given to compile)."""
        if self._tmp is not None:
            self._tmp()
            self._tmp = None

    def __repr__(self):
        return (f"<rat.CompiledModel {self.kind} target={self.target} "
                f"dtype={self.dtype} path={self.path!r}>")

    # -- introspection (manifest, kind: ManifestView) -------------------------
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
            log = _native().compile_source(output=out, emit=stage,
                                           **self._request)
            _report(log, self._request["verbose"], stacklevel=2)
            with open(out, encoding="utf-8") as f:
                self._ir[stage] = f.read()
        return self._ir[stage]

    # -- running -----------------------------------------------------------
    def load(self, weights=None, *, device=None, allow_extra_weights=False,
             no_graphs=False, verbose=False):
        """Opens the model in this process with ``weights`` (a .safetensors
        path, a dict of name -> array, or None when the model takes none) and
        returns a ``rat.Model``: the weights are read once and stay in
        device (or host) memory until it is closed. ``device``: the CUDA
        device (None: $RAT_DEVICE or 0)."""
        return Model(self.path, weights, device=device,
                     allow_extra_weights=allow_extra_weights,
                     no_graphs=no_graphs, verbose=verbose)

    def run(self, weights, *inputs, decode=False, entry=None, indices=(),
            device=None, allow_extra_weights=False):
        """``load(weights).run(...)``: loads the weights for this call only
        (keep a ``load()``-ed model to reuse them). See ``Model.run``."""
        with self.load(weights, device=device,
                       allow_extra_weights=allow_extra_weights) as model:
            return model.run(*inputs, decode=decode, entry=entry,
                             indices=indices)

    def logits(self, weights, tokens, prompt_len=None, *, device=None,
               allow_extra_weights=False):
        """``load(weights).logits(...)`` for this call only (see
        ``Model.logits``): ``[B, P, V]`` float32."""
        with self.load(weights, device=device,
                       allow_extra_weights=allow_extra_weights) as model:
            return model.logits(tokens, prompt_len)

    def generate(self, weights, tokens, prompt_len, new_tokens, *, device=None,
                 allow_extra_weights=False, **options):
        """``load(weights).generate(...)`` for this call only (see
        ``Model.generate``): ``[B, prompt_len + new_tokens]`` int32."""
        with self.load(weights, device=device,
                       allow_extra_weights=allow_extra_weights) as model:
            return model.generate(tokens, prompt_len, new_tokens, **options)


__all__ = ["compile", "CompiledModel", "STAGES"]
