"""In-process models: the C API of a compiled model's shared library.

``rat-compile --emit shared`` (and ``rat.compile``) link a model with the
runtime into a shared library that exports the C API of
``include/rat/Runtime/rat_model.h`` and nothing else. This module loads such
a library with ctypes and wraps an open model (``Model``): its weights stay
in device (or host) memory until it is closed, and every call passes numpy
arrays to the runtime directly, without files or subprocesses. Runtime
errors raise ``rat.RuntimeError`` with the runtime's message. ctypes releases
the GIL for the duration of every call into the library.

Needs numpy only: the compiler's native module is not imported, so a
library built elsewhere can be run with ``rat.load`` on a machine without
LLVM.
"""

import ctypes
import os
import shutil
import tempfile
import threading

import numpy as np

from ._errors import RuntimeError as RatRuntimeError
from ._manifest import ManifestView, parse_manifest
from .safetensors import encode_safetensors

#: RAT_MODEL_API_VERSION of the header this module follows.
API_VERSION = 1
_MAX_RANK = 8

# rat_dtype values.
_DEFAULT, _F32, _F64, _F16, _BF16, _I32, _I64 = range(7)
_NUMPY_OF = {_F32: np.float32, _F64: np.float64, _F16: np.float16,
             _I32: np.int32, _I64: np.int64}
_CODE_OF = {np.dtype(v): k for k, v in _NUMPY_OF.items()}
_MANIFEST_TYPES = {"f32": _F32, "bf16": _BF16, "f16": _F16, "i32": _I32,
                   "i64": _I64}


class _Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int32), ("shape", ctypes.c_int64 * _MAX_RANK)]


class _OpenOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("weights", ctypes.c_char_p),
                ("weights_data", ctypes.c_void_p),
                ("weights_size", ctypes.c_size_t), ("device", ctypes.c_int32),
                ("allow_extra_weights", ctypes.c_int32),
                ("no_graphs", ctypes.c_int32), ("verbose", ctypes.c_int32)]


_TOKEN_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64,
                                   ctypes.POINTER(ctypes.c_int32),
                                   ctypes.c_int64)


class _GenerateOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t),
                ("max_new_tokens", ctypes.c_int64),
                ("prompt_len", ctypes.c_int64),
                ("prompt_lens", ctypes.POINTER(ctypes.c_int64)),
                ("eos_ids", ctypes.POINTER(ctypes.c_int64)),
                ("num_eos", ctypes.c_int32),
                ("temperature", ctypes.c_float), ("top_k", ctypes.c_int64),
                ("top_p", ctypes.c_float), ("seed", ctypes.c_uint64),
                ("on_token", _TOKEN_CALLBACK), ("user_data", ctypes.c_void_p),
                ("prefill_rows", ctypes.c_int64)]


_P = ctypes.POINTER
_PROTOTYPES = {
    "rat_api_version": (ctypes.c_int32, []),
    "rat_last_error": (ctypes.c_char_p, []),
    "rat_status_name": (ctypes.c_char_p, [ctypes.c_int]),
    "rat_free": (None, [ctypes.c_void_p]),
    "rat_manifest": (ctypes.c_char_p, []),
    "rat_open_options_init": (None, [_P(_OpenOptions)]),
    "rat_model_open": (ctypes.c_int, [_P(_OpenOptions), _P(ctypes.c_void_p)]),
    "rat_model_close": (None, [ctypes.c_void_p]),
    "rat_model_run": (ctypes.c_int, [
        ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32, _P(_Tensor),
        ctypes.c_int32, _P(ctypes.c_int64), ctypes.c_int32, _P(_Tensor)]),
    "rat_model_prefill": (ctypes.c_int, [
        ctypes.c_void_p, _P(_Tensor), ctypes.c_int64, _P(_Tensor),
        _P(_Tensor)]),
    "rat_model_decode_step": (ctypes.c_int, [
        ctypes.c_void_p, _P(_Tensor), ctypes.c_int64, _P(_Tensor),
        _P(_Tensor)]),
    "rat_model_reset": (ctypes.c_int, [ctypes.c_void_p]),
    "rat_generate_options_init": (None, [_P(_GenerateOptions)]),
    "rat_model_generate": (ctypes.c_int, [
        ctypes.c_void_p, _P(_Tensor), _P(_GenerateOptions), _P(_Tensor),
        _P(_Tensor)]),
}


class _Library:
    """A loaded model library and its C functions."""

    def __init__(self, path):
        self.path = path
        # RTLD_LOCAL: two model libraries never see each other's symbols
        # (they export only the C API anyway).
        self.dll = ctypes.CDLL(path, mode=os.RTLD_LOCAL | os.RTLD_NOW)
        for name, (restype, argtypes) in _PROTOTYPES.items():
            try:
                fn = getattr(self.dll, name)
            except AttributeError:
                raise RatRuntimeError(
                    f"{path} is not a rat model library (no {name}; build it "
                    "with rat-compile --emit shared)") from None
            fn.restype, fn.argtypes = restype, argtypes
        version = self.dll.rat_api_version()
        if version != API_VERSION:
            raise RatRuntimeError(f"{path} implements C API version {version}; "
                                  f"this package needs {API_VERSION}")
        self.manifest = parse_manifest(self.dll.rat_manifest().decode())

    def check(self, status):
        if status != 0:
            message = self.dll.rat_last_error().decode(errors="replace")
            name = self.dll.rat_status_name(status).decode()
            raise RatRuntimeError(message, status=name)


_loaded = {}
_loaded_lock = threading.Lock()


def _load_library(path):
    """The loaded library at ``path``: once per file. A file replaced since
    it was loaded (a recompile into the same path) is loaded from a copy,
    because the dynamic loader would return the library loaded first."""
    path = os.path.realpath(os.fspath(path))
    if not os.path.isfile(path):
        raise FileNotFoundError(f"model library '{path}' does not exist")
    st = os.stat(path)
    ident = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
    with _loaded_lock:
        known = _loaded.get(path)
        if known and known[0] == ident:
            return known[1]
        load_from = path
        if known:
            copy_dir = tempfile.mkdtemp(prefix="rat-lib-")
            load_from = os.path.join(copy_dir, os.path.basename(path))
            shutil.copy2(path, load_from)
        library = _Library(load_from)
        _loaded[path] = (ident, library)
        return library


def _input(value, what):
    """A C-ordered array of a dtype the C API reads, and its rat_tensor."""
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
    a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))
    if a.ndim > _MAX_RANK:
        raise ValueError(f"{what} has rank {a.ndim}, more than {_MAX_RANK}")
    t = _Tensor()
    t.data = a.ctypes.data if a.size else None
    t.dtype = _CODE_OF[a.dtype]
    t.rank = a.ndim
    t.shape[:a.ndim] = a.shape
    return a, t


class _Output:
    """An output: a numpy array of a known shape the library writes into,
    or (shape unknown before the call) a buffer the library allocates."""

    def __init__(self, shape=None, dtype=np.float32):
        self.tensor = _Tensor()
        self.tensor.dtype = _CODE_OF[np.dtype(dtype)]
        self.array = None
        if shape is not None:
            self.array = np.empty(shape, dtype)
            self.tensor.data = self.array.ctypes.data if self.array.size else None
            self.tensor.rank = len(shape)
            self.tensor.shape[:len(shape)] = shape
            if self.array.size == 0:
                # A zero-size array: let the library allocate (and free) it.
                self.array = None

    def result(self, library):
        if self.array is not None:
            return self.array
        t = self.tensor
        shape = tuple(t.shape[:t.rank])
        dtype = _NUMPY_OF[t.dtype]
        if not t.data:
            return np.empty(shape, dtype)
        try:
            count = int(np.prod(shape, dtype=np.int64))
            buffer = (ctypes.c_char * (count * np.dtype(dtype).itemsize)) \
                .from_address(t.data)
            return np.frombuffer(buffer, dtype).reshape(shape).copy()
        finally:
            library.dll.rat_free(t.data)


def _float_or_int(slot_type):
    return np.int32 if slot_type in ("i32", "i64") else np.float32


def _expected_shapes(entry, inputs):
    """Result shapes the inputs determine (None where a dim is unknown):
    symbols bound from the input args in order, as the runtime binds them."""
    bound = {}
    ins = [s for s in entry.args if s.role == "input"]
    for slot, array in zip(ins, inputs):
        dims = (slot.dims or "-").split(",") if slot.dims != "-" else []
        if len(dims) == array.ndim:
            for d, size in zip(dims, array.shape):
                if d != "?" and not d.lstrip("-").isdigit():
                    bound.setdefault(d, size)
    shapes = []
    for slot in entry.results:
        dims = [] if slot.dims == "-" else (slot.dims or "").split(",")
        shape = []
        for d in dims:
            if d.isdigit():
                shape.append(int(d))
            elif d in bound:
                shape.append(bound[d])
            else:
                shape = None
                break
        shapes.append(tuple(shape) if shape is not None else None)
    return shapes


class Model(ManifestView):
    """A compiled model opened in this process, with its weights loaded.

    ``rat.load(path, weights)`` or ``CompiledModel.load(weights)`` open one.
    The weights are read once, when it opens; every call then runs on
    them. Close it (``close()``, ``with``) to free its memory; a CUDA model
    keeps its weights in device memory. Thread-safe: calls on one model run
    one at a time (rat_model.h says which calls may overlap).

    Attributes: ``manifest`` (text), ``kind`` (lm, rat_layer, function),
    ``target``, ``dtype``, ``params`` (dict), ``path`` (the library).
    """

    def __init__(self, path, weights=None, *, device=None,
                 allow_extra_weights=False, no_graphs=False, verbose=False):
        self._handle = None
        self._library = _load_library(path)
        self._manifest = self._library.manifest
        self.path = self._library.path
        options = _OpenOptions()
        self._library.dll.rat_open_options_init(ctypes.byref(options))
        image = None  # alive during rat_model_open
        if isinstance(weights, dict):
            image = encode_safetensors(weights)
            options.weights_data = ctypes.cast(ctypes.c_char_p(image),
                                               ctypes.c_void_p)
            options.weights_size = len(image)
        elif isinstance(weights, (str, os.PathLike)):
            weights = os.fspath(weights)
            if not os.path.isfile(weights):
                raise FileNotFoundError(f"weights file '{weights}' does not exist")
            options.weights = weights.encode()
        elif weights is not None:
            raise TypeError("weights must be a .safetensors path, a dict of "
                            "name -> array, or None")
        options.device = -1 if device is None else int(device)
        options.allow_extra_weights = int(bool(allow_extra_weights))
        options.no_graphs = int(bool(no_graphs))
        options.verbose = int(bool(verbose))
        handle = ctypes.c_void_p()
        self._library.check(self._library.dll.rat_model_open(
            ctypes.byref(options), ctypes.byref(handle)))
        self._handle = handle

    # -- lifetime ----------------------------------------------------------
    def close(self):
        """Frees the model's weights, state and device memory."""
        if self._handle is not None:
            self._library.dll.rat_model_close(self._handle)
            self._handle = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __repr__(self):
        state = "closed" if self._handle is None else "open"
        return (f"<rat.Model {self.kind} target={self.target} "
                f"dtype={self.dtype} {state} path={self.path!r}>")

    # -- the manifest (manifest, kind: ManifestView) -----------------------
    @property
    def target(self):
        return self._manifest.target

    @property
    def dtype(self):
        return self._manifest.dtype

    @property
    def params(self):
        return dict(self._manifest.params)

    # -- calls -------------------------------------------------------------
    def _h(self):
        if self._handle is None:
            raise ValueError("the model is closed")
        return self._handle

    def _check(self, status):
        self._library.check(status)

    def _need_kind(self, *kinds, use=None):
        if self.kind not in kinds:
            hint = f"; use {use}()" if use else ""
            raise TypeError(f"this does not apply to a {self.kind} model{hint}")

    def _tokens(self, tokens):
        a = np.asarray(tokens)
        if a.dtype.kind not in "iu":
            raise TypeError(f"tokens must be integers, got dtype {a.dtype}")
        squeeze = a.ndim == 1
        if squeeze:
            a = a[None, :]
        return a, squeeze

    def _vocab_dim(self, entry_name):
        """The constant last dim of the logits result of ``entry_name``."""
        entry = self._manifest.entry(entry_name)
        for slot in entry.results:
            if slot.name == "logits" and slot.dims:
                last = slot.dims.split(",")[-1]
                if last.isdigit():
                    return int(last)
        return None

    def run(self, *inputs, entry=None, indices=(), decode=False):
        """Runs an entry on arrays.

        rat_layer: ``run(x)`` with x ``[B, T, D]`` returns y ``[B, T, D]``
        (float32): prefill, or with ``decode=True`` the decode entry token by
        token from position 0 and zero state (decode steps; the model's
        decode state is reset before and after).
        function (and any entry of any model): ``run(*args, entry=None,
        indices=())`` feeds the entry's ``input`` args in order and its
        ``index`` args from ``indices``; state args start at zero. Returns
        the result, or a dict ``{name: array}`` when the entry has several
        results.
        """
        if decode:
            self._need_kind("rat_layer")
            if len(inputs) != 1 or entry is not None or indices:
                raise TypeError("decode=True takes run(x)")
            return self._decode_layer(inputs[0])
        if self.kind == "rat_layer" and (len(inputs) != 1 or entry is not None
                                         or indices):
            raise TypeError("a rat_layer model takes run(x)")
        if self.kind == "lm" and entry is None:
            raise TypeError("run() on an lm model needs entry=...; use "
                            "logits() or generate()")
        e = self._manifest.entry(entry)
        arrays, tensors = [], []
        for i, value in enumerate(inputs):
            a, t = _input(value, f"input {i}")
            arrays.append(a)
            tensors.append(t)
        shapes = _expected_shapes(e, arrays)
        outs = [_Output(shape, _float_or_int(slot.type))
                for slot, shape in zip(e.results, shapes)]
        in_array = (_Tensor * max(1, len(tensors)))(*tensors)
        out_array = (_Tensor * max(1, len(outs)))(*[o.tensor for o in outs])
        idx = (ctypes.c_int64 * max(1, len(indices)))(*[int(i) for i in indices])
        self._check(self._library.dll.rat_model_run(
            self._h(), e.name.encode(), len(tensors), in_array, len(indices),
            idx, len(outs), out_array))
        for o, t in zip(outs, out_array):
            o.tensor = t
        results = {slot.name: o.result(self._library)
                   for slot, o in zip(e.results, outs)}
        if self.kind == "rat_layer":
            return results[e.results[0].name]
        if len(results) == 1:
            return next(iter(results.values()))
        return results

    def _decode_layer(self, x):
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(f"x must be [B, T, D], got shape {x.shape}")
        batch, length, width = x.shape
        y = np.empty((batch, length, width), np.float32)
        self.reset()
        try:
            for t in range(length):
                step = self.decode_step(x[:, t:t + 1, :], t)
                y[:, t:t + 1, :] = step
        finally:
            self.reset()
        return y

    def logits(self, tokens, prompt_len=None):
        """lm: prefill logits ``[B, P, V]`` (float32) of ``tokens`` ``[B, T]``
        (P = prompt_len, default T). A 1-D ``tokens`` gives ``[P, V]``. Like
        ``prefill``, leaves the prompt's decode state in the model."""
        self._need_kind("lm", use="run")
        tokens, squeeze = self._tokens(tokens)
        a, t = _input(tokens, "tokens")
        p = tokens.shape[1] if prompt_len is None else int(prompt_len)
        vocab = self._vocab_dim("prefill")
        out = _Output((tokens.shape[0], p, vocab) if vocab else None)
        self._check(self._library.dll.rat_model_prefill(
            self._h(), ctypes.byref(t), 0 if prompt_len is None else p, None,
            ctypes.byref(out.tensor)))
        result = out.result(self._library)
        return result[0] if squeeze else result

    def prefill(self, tokens, prompt_len=None):
        """lm: prefill on the prompt; returns next_token ``[B]`` (int32) and
        keeps the prompt's decode state for ``decode_step``."""
        self._need_kind("lm", use="run")
        tokens, squeeze = self._tokens(tokens)
        a, t = _input(tokens, "tokens")
        out = _Output((tokens.shape[0],), np.int32)
        self._check(self._library.dll.rat_model_prefill(
            self._h(), ctypes.byref(t),
            0 if prompt_len is None else int(prompt_len),
            ctypes.byref(out.tensor), None))
        result = out.result(self._library)
        return result[0] if squeeze else result

    def decode_step(self, value, position, *, logits=False):
        """One decode step at ``position`` on the model's decode state.

        lm: ``value`` is the token ``[B]``; returns next_token ``[B]``
        (int32), and with ``logits=True`` also the logits ``[B, 1, V]``.
        rat_layer: ``value`` is x ``[B, 1, D]``; returns y ``[B, 1, D]``.
        """
        self._need_kind("lm", "rat_layer", use="run")
        a, t = _input(value, "token" if self.kind == "lm" else "x")
        if self.kind == "lm":
            if a.ndim != 1:
                raise ValueError(f"the token must be [B], got shape {a.shape}")
            out = _Output((a.shape[0],), np.int32)
            vocab = self._vocab_dim("decode")
            lout = _Output((a.shape[0], 1, vocab) if vocab else None) \
                if logits else None
        else:
            if logits:
                raise TypeError("a rat_layer step has no logits")
            out = _Output(a.shape if a.ndim == 3 else None)
            lout = None
        self._check(self._library.dll.rat_model_decode_step(
            self._h(), ctypes.byref(t), int(position), ctypes.byref(out.tensor),
            ctypes.byref(lout.tensor) if lout else None))
        result = out.result(self._library)
        if lout:
            return result, lout.result(self._library)
        return result

    def reset(self):
        """Drops the decode state: the next decode step starts from zero."""
        self._check(self._library.dll.rat_model_reset(self._h()))

    def generate(self, tokens, prompt_len=None, new_tokens=None, *,
                 prompt_lens=None, eos=(), temperature=0.0, top_k=0, top_p=1.0,
                 seed=0, on_token=None, prefill_rows=None,
                 return_lengths=False):
        """lm: generation. Prefill on the first ``prompt_len`` tokens (None:
        all T) of ``tokens`` ``[B, T]``, then ``new_tokens`` tokens; returns
        ``[B, P + N]`` int32 (each prompt, then its generated tokens). A 1-D
        ``tokens`` gives a 1-D result.

        ``prompt_lens`` (ragged prompts), ``eos``, ``temperature``,
        ``top_k``, ``top_p``, ``seed`` and ``on_token(step, tokens)``
        (streaming) are the serving options of rat_generate_options (with
        ``prompt_lens`` the result is ``[B, max(L) + N]``, -1 after each
        sequence's tokens). ``return_lengths=True`` also
        returns each sequence's number of generated tokens ``[B]``.
        """
        self._need_kind("lm", use="run")
        if new_tokens is None:
            raise TypeError("generate() needs new_tokens")
        tokens, squeeze = self._tokens(tokens)
        a, t = _input(tokens, "tokens")
        options = _GenerateOptions()
        self._library.dll.rat_generate_options_init(ctypes.byref(options))
        options.max_new_tokens = int(new_tokens)
        options.prompt_len = 0 if prompt_len is None else int(prompt_len)
        keep = []  # arrays the options point to, alive during the call
        if prompt_lens is not None:
            lens = np.ascontiguousarray(prompt_lens, np.int64)
            keep.append(lens)
            options.prompt_lens = lens.ctypes.data_as(_P(ctypes.c_int64))
        eos = np.ascontiguousarray(list(eos), np.int64)
        if eos.size:
            keep.append(eos)
            options.eos_ids = eos.ctypes.data_as(_P(ctypes.c_int64))
            options.num_eos = eos.size
        options.temperature = float(temperature)
        options.top_k = int(top_k)
        options.top_p = float(top_p)
        options.seed = int(seed)
        if prefill_rows is not None:
            options.prefill_rows = int(prefill_rows)
        errors = []
        if on_token is not None:
            def call(_, step, ids, batch):
                try:
                    on_token(int(step), np.ctypeslib.as_array(ids, (batch,)).copy())
                except Exception as e:  # noqa: BLE001 (raised after the call)
                    errors.append(e)
            options.on_token = _TOKEN_CALLBACK(call)
            keep.append(options.on_token)
        width = (int(np.max(prompt_lens)) if prompt_lens is not None
                 else (tokens.shape[1] if prompt_len is None else int(prompt_len)))
        out = _Output((tokens.shape[0], width + int(new_tokens)), np.int32)
        lens_out = _Output((tokens.shape[0],), np.int32)
        self._check(self._library.dll.rat_model_generate(
            self._h(), ctypes.byref(t), ctypes.byref(options),
            ctypes.byref(out.tensor), ctypes.byref(lens_out.tensor)))
        if errors:
            raise errors[0]
        result = out.result(self._library)
        lengths = lens_out.result(self._library)
        if squeeze:
            result, lengths = result[0], lengths[0]
        return (result, lengths) if return_lengths else result


def load(path, weights=None, *, device=None, allow_extra_weights=False,
         no_graphs=False, verbose=False):
    """Opens the model library at ``path`` (built with ``rat-compile --emit
    shared`` or ``rat.compile``) with the checkpoint ``weights`` (a
    .safetensors path; None when the model takes no weight). Returns a
    ``rat.Model``. ``device``: the CUDA device (None: $RAT_DEVICE or 0);
    ``no_graphs``: decode steps of generate() run eagerly on CUDA;
    ``verbose``: the runtime's [rat] lines on stderr."""
    return Model(path, weights, device=device,
                 allow_extra_weights=allow_extra_weights, no_graphs=no_graphs,
                 verbose=verbose)


__all__ = ["Model", "load", "API_VERSION"]
