"""Exceptions of the rat package."""

import builtins

from ._rat import CompileError

CompileError.__module__ = "rat"
CompileError.diagnostics = property(
    lambda self: str(self.args[0]) if self.args else "",
    doc="The compiler's diagnostic text (same as str(e)).")


class RuntimeError(builtins.RuntimeError):
    """The compiled executable failed (non-zero exit status).

    ``str(e)`` is the executable's stderr (one ``error: ...`` line for the
    runtime's own checks: shapes, dtypes, weights, token ids ...). Also a
    subclass of the built-in RuntimeError.
    """

    __module__ = "rat"

    def __init__(self, message, *, returncode=None, stderr="", command=()):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr
        self.command = list(command)


class CompileWarning(UserWarning):
    """Diagnostics (warnings, remarks) of a compilation that succeeded."""

    __module__ = "rat"


__all__ = ["CompileError", "CompileWarning", "RuntimeError"]
