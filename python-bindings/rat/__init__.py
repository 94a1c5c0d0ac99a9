"""rat: compile and run RAT models from Python (rat-mlir).

    import rat
    model = rat.compile("examples/tiny_rat_lm/model.json", max_seq_len=64)
    tokens = model.generate("examples/tiny_rat_lm/weights.safetensors",
                            prompt, prompt_len=16, new_tokens=16)

``rat.compile`` runs the rat-mlir compiler in-process and links a standalone
executable (docs/Runtime.md) into a working directory. ``CompiledModel.run``,
``.logits`` and ``.generate`` run that executable as a subprocess on ``.npy``
files; ``.ir(stage)`` returns the IR of any compiler phase.
Errors: ``rat.CompileError`` (compiler diagnostics) and ``rat.RuntimeError``
(the executable's stderr).
"""

from ._errors import CompileError, CompileWarning, RuntimeError
from ._manifest import Manifest, parse_manifest
from ._model import STAGES, CompiledModel, compile
from .safetensors import load_safetensors, save_safetensors

__all__ = [
    "compile", "CompiledModel", "STAGES", "CompileError", "CompileWarning",
    "RuntimeError", "load_safetensors", "save_safetensors", "Manifest",
    "parse_manifest",
]
