"""rat: compile and run RAT models from Python (rat-mlir).

    import rat
    compiled = rat.compile("examples/tiny_rat_lm/model.json", max_seq_len=64)
    model = compiled.load("examples/tiny_rat_lm/weights.safetensors")
    tokens = model.generate(prompt, prompt_len=16, new_tokens=16)

``rat.compile`` runs the rat-mlir compiler in-process and links the model
with the runtime into a shared library (the C API of rat_model.h, docs/CApi.md)
in a working directory; ``.ir(stage)`` returns the IR of any compiler phase.
``CompiledModel.load(weights)`` (or ``rat.load(path, weights)`` for a library
built with ``rat-compile --emit shared``) opens it in this process: a
``rat.Model`` keeps its weights loaded, and ``generate``, ``logits``,
``run``, ``prefill`` and ``decode_step`` take and return numpy arrays.
Errors: ``rat.CompileError`` (compiler diagnostics) and ``rat.RuntimeError``
(the runtime's message).
"""

from ._errors import CompileError, CompileWarning, RuntimeError
from ._library import Model, load
from ._manifest import Manifest, parse_manifest
from ._model import STAGES, CompiledModel, compile
from .safetensors import encode_safetensors, load_safetensors, save_safetensors

__all__ = [
    "compile", "CompiledModel", "load", "Model", "STAGES", "CompileError",
    "CompileWarning", "RuntimeError", "load_safetensors", "save_safetensors",
    "encode_safetensors", "Manifest", "parse_manifest",
]
