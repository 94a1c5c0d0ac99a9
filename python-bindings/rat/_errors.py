"""Exceptions of the rat package."""

import builtins

try:
    from ._rat import CompileError
except ImportError:
    # Without the compiler's native module nothing compiles (rat.compile says
    # why); libraries built elsewhere still run (rat.load).
    class CompileError(Exception):
        """Compilation failed; str(e) is the compiler's diagnostic text."""

CompileError.__module__ = "rat"
CompileError.diagnostics = property(
    lambda self: str(self.args[0]) if self.args else "",
    doc="The compiler's diagnostic text (same as str(e)).")


class RuntimeError(builtins.RuntimeError):
    """A call into a compiled model failed.

    ``str(e)`` is the runtime's message (what the executable prints after
    ``error: ``: shapes, dtypes, weights, token ids, the device ...);
    ``e.status`` the C API's status name (``RAT_ERROR_INVALID_ARGUMENT``,
    ``RAT_ERROR_UNSUPPORTED``, ``RAT_ERROR_FAILED``, ...). Also a subclass
    of the built-in RuntimeError.
    """

    __module__ = "rat"

    def __init__(self, message, *, status=None):
        super().__init__(message)
        self.status = status


class CompileWarning(UserWarning):
    """Diagnostics (warnings, remarks) of a compilation that succeeded."""

    __module__ = "rat"


__all__ = ["CompileError", "CompileWarning", "RuntimeError"]
