#!/usr/bin/python3
"""Write malformed copies of checkpoints and .npy files for exe_errors.test.

  malform.py truncate IN OUT BYTES          first BYTES bytes of IN
  malform.py weights IN OUT [--drop NAME] [--add NAME=D0,D1] [--reshape NAME=D0,D1]
                            [--int NAME]    safetensors edits (via ratref)
  malform.py header IN OUT                  safetensors with a broken JSON header
  malform.py npy IN OUT [--reshape D0,D1,..] [--fortran] [--int] [--float]
  malform.py set IN OUT INDEX VALUE         IN with element INDEX (i,j,..) = VALUE
"""

import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "..", "Integration", "reference"))
import ratref as R  # noqa: E402


def dims(text):
    return tuple(int(d) for d in text.split(",") if d)


def main(argv):
    cmd, src, dst = argv[0], argv[1], argv[2]
    rest = argv[3:]
    if cmd == "truncate":
        with open(src, "rb") as f:
            data = f.read(int(rest[0]))
        with open(dst, "wb") as f:
            f.write(data)
    elif cmd == "header":
        with open(src, "rb") as f:
            raw = f.read()
        (n,) = struct.unpack("<Q", raw[:8])
        head = bytearray(raw[8:8 + n])
        head[0:1] = b"["  # no longer a JSON object
        with open(dst, "wb") as f:
            f.write(raw[:8] + bytes(head) + raw[8 + n:])
    elif cmd == "weights":
        w = R.read_safetensors(src)
        it = iter(rest)
        for opt in it:
            val = next(it)
            if opt == "--drop":
                del w[val]
            elif opt == "--add":
                name, shape = val.split("=")
                w[name] = np.zeros(dims(shape), np.float32)
            elif opt == "--reshape":
                name, shape = val.split("=")
                w[name] = np.zeros(dims(shape), np.float32)
            elif opt == "--int":
                w[val] = w[val].astype(np.int32)
            else:
                raise SystemExit(f"unknown option {opt}")
        R.write_safetensors(dst, w)
    elif cmd == "npy":
        a = np.load(src)
        it = iter(rest)
        fortran = False
        for opt in it:
            if opt == "--reshape":
                shape = dims(next(it))
                a = np.resize(a, shape)
            elif opt == "--fortran":
                fortran = True
            elif opt == "--int":
                a = a.astype(np.int32)
            elif opt == "--float":
                a = a.astype(np.float32)
            else:
                raise SystemExit(f"unknown option {opt}")
        if fortran:
            a = np.asfortranarray(a)
            assert a.ndim < 2 or not a.flags.c_contiguous
        np.save(dst, a)
    elif cmd == "set":
        a = np.load(src)
        a[dims(rest[0])] = int(rest[1]) if a.dtype.kind in "iu" else float(rest[1])
        np.save(dst, a)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
