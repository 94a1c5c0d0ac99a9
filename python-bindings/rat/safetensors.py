"""Minimal safetensors reader and writer (numpy only, no extra package).

Format: an 8-byte little-endian header length N, N bytes of JSON mapping
each tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}``
(offsets into the data that follows the header), then the raw little-endian
C-order data. ``__metadata__`` holds optional string -> string metadata.
"""

import json
import os
import struct

import numpy as np

# numpy dtype -> safetensors dtype, for what the rat runtime reads (F32, BF16,
# F16, F64, I32, I64) plus a few more that other tools may want.
_TO_ST = {
    np.dtype("float32"): "F32",
    np.dtype("float64"): "F64",
    np.dtype("float16"): "F16",
    np.dtype("int32"): "I32",
    np.dtype("int64"): "I64",
    np.dtype("int16"): "I16",
    np.dtype("int8"): "I8",
    np.dtype("uint8"): "U8",
    np.dtype("bool"): "BOOL",
}
_FROM_ST = {v: k for k, v in _TO_ST.items()}


def _st_dtype(array):
    dt = array.dtype
    if dt.name == "bfloat16":  # ml_dtypes.bfloat16, if the user has it
        return "BF16"
    try:
        return _TO_ST[dt.newbyteorder("=")]
    except KeyError:
        raise TypeError(f"safetensors: unsupported dtype {dt}") from None


def encode_safetensors(tensors, metadata=None):
    """``{name: array}`` as the bytes of a safetensors file (arrays
    converted with ``np.asarray``; little-endian, C order)."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"safetensors: tensor names must be str, got {name!r}")
        array = np.asarray(value)
        kind = _st_dtype(array)
        if kind != "BF16":
            array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": kind, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # data starts 8-byte aligned
    return b"".join([struct.pack("<Q", len(text)), text] + blobs)


def save_safetensors(tensors, path, metadata=None):
    """Writes ``{name: array}`` to ``path`` (encode_safetensors), through
    ``path.tmp`` and a rename."""
    tmp = os.fspath(path) + ".tmp"
    with open(tmp, "wb") as f:
        f.write(encode_safetensors(tensors, metadata))
    os.replace(tmp, path)


def load_safetensors(path):
    """Reads a safetensors file into ``{name: numpy array}`` (BF16 tensors
    are returned as float32)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: not a safetensors file (too short)")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} exceeds the file size")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = memoryview(raw)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        kind = info["dtype"]
        if kind == "BF16":
            bits = np.frombuffer(data[begin:end], dtype="<u2").astype(np.uint32)
            array = (bits << 16).view(np.float32)
        elif kind in _FROM_ST:
            array = np.frombuffer(data[begin:end],
                                  dtype=_FROM_ST[kind].newbyteorder("<"))
        else:
            raise ValueError(f"{path}: tensor '{name}' has unsupported dtype {kind}")
        out[name] = array.reshape(shape).copy()
    return out


__all__ = ["encode_safetensors", "save_safetensors", "load_safetensors"]
