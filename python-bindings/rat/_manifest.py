"""Reads the runtime manifest an executable embeds (docs/Runtime.md)."""

from dataclasses import dataclass, field
from typing import Dict, List, Optional


@dataclass
class Slot:
    """One ``arg``/``result`` line: ROLE NAME [TYPE DIMS]."""
    role: str
    name: str
    type: Optional[str] = None
    dims: Optional[str] = None


@dataclass
class Entry:
    name: str
    args: List[Slot] = field(default_factory=list)
    results: List[Slot] = field(default_factory=list)


@dataclass
class Manifest:
    text: str
    model: str = "function"
    target: str = "cpu"
    dtype: str = "f32"
    params: Dict[str, str] = field(default_factory=dict)
    entries: List[Entry] = field(default_factory=list)

    def entry(self, name=None):
        """The entry called ``name`` (default: the first one)."""
        if name is None:
            if not self.entries:
                raise ValueError("the manifest has no entry")
            return self.entries[0]
        for e in self.entries:
            if e.name == name:
                return e
        names = ", ".join(e.name for e in self.entries)
        raise ValueError(f"no entry '{name}' (entries: {names})")


def parse_manifest(text):
    """Parses manifest text leniently (the executable already validated it)."""
    m = Manifest(text=text)
    current = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].split()
        if not line:
            continue
        key, rest = line[0], line[1:]
        if key == "model" and rest:
            m.model = rest[0]
        elif key == "target" and rest:
            m.target = rest[0]
        elif key == "dtype" and rest:
            m.dtype = rest[0]
        elif key == "param" and rest:
            m.params[rest[0]] = " ".join(rest[1:])
        elif key == "entry" and rest:
            current = Entry(rest[0])
            m.entries.append(current)
        elif key == "end":
            current = None
        elif key in ("arg", "result") and current is not None and len(rest) >= 2:
            slot = Slot(rest[0], rest[1], *(rest[2:4]))
            (current.args if key == "arg" else current.results).append(slot)
    return m


class ManifestView:
    """What a compiled model (``rat.CompiledModel``) and an opened one
    (``rat.Model``) both are: a context manager that calls their
    ``close()``, with the ``manifest`` text and ``kind`` of their
    ``_manifest``."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def manifest(self):
        """The manifest of the compiled model (docs/Runtime.md)."""
        return self._manifest.text

    @property
    def kind(self):
        """The model kind of the manifest: rat_layer, lm or function."""
        return self._manifest.model
