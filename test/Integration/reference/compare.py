#!/usr/bin/python3
"""Compare an actual .npy tensor with an expected one.

  compare.py ACTUAL.npy EXPECTED.npy [--rtol 1e-5] [--atol X] [--name NAME]
  compare.py ACTUAL.npy EXPECTED.npy --exact [--name NAME]

Prints one line
  NAME: rel_err=<|a-b|_2/|b|_2> max_abs=<max|a-b|> shape=<shape> [OK|FAIL ...]
and exits 1 when the shapes differ, when either tensor holds a NaN or Inf,
when rel_err > rtol, or (with --atol) when max_abs > atol. With --exact
(integer tensors such as greedy tokens) every element must be equal and the
line reports the number of differing elements and the first one.
When |b| = 0, rel_err is the plain |a-b|_2.

Reads little-endian or big-endian .npy (format 1.0/2.0/3.0, C or Fortran
order) of float16/32/64, int8..int64, uint8..uint64 and bool. Uses numpy
when it is importable, otherwise a pure-Python reader, so any python3 works.
Exit status: 0 match, 1 mismatch, 2 usage or file error.
"""

import argparse
import ast
import math
import struct
import sys

try:
    import numpy as _np
except ImportError:  # pragma: no cover - exercised where numpy is absent
    _np = None

_KINDS = {"f2": "e", "f4": "f", "f8": "d", "i1": "b", "i2": "h", "i4": "i",
          "i8": "q", "u1": "B", "u2": "H", "u4": "I", "u8": "Q", "b1": "?"}


class NpyError(Exception):
    pass


def _read_npy_pure(path):
    """Returns (shape, flat list of Python numbers in C order, is_float)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:6] != b"\x93NUMPY":
        raise NpyError(f"{path}: not a .npy file")
    major = raw[6]
    if major == 1:
        (hlen,) = struct.unpack("<H", raw[8:10])
        start = 10
    elif major in (2, 3):
        (hlen,) = struct.unpack("<I", raw[8:12])
        start = 12
    else:
        raise NpyError(f"{path}: unsupported .npy version {major}")
    header = ast.literal_eval(raw[start:start + hlen].decode("latin1"))
    descr, fortran = header["descr"], header["fortran_order"]
    shape = tuple(header["shape"])
    if not isinstance(descr, str) or len(descr) < 3:
        raise NpyError(f"{path}: unsupported dtype {descr!r}")
    order, kind = descr[0], descr[1:]
    if kind not in _KINDS or order not in "<>|=":
        raise NpyError(f"{path}: unsupported dtype {descr!r}")
    n = 1
    for s in shape:
        n *= s
    fmt = (">" if order == ">" else "<") + str(n) + _KINDS[kind]
    data = raw[start + hlen:]
    need = struct.calcsize(fmt)
    if len(data) < need:
        raise NpyError(f"{path}: truncated data")
    vals = list(struct.unpack(fmt, data[:need]))
    if fortran and len(shape) > 1:
        # element (i0..ik) sits at sum(i_j * stride_j) with Fortran strides
        fstr, acc = [], 1
        for s in shape:
            fstr.append(acc)
            acc *= s
        out = []

        def rec(d, off):
            if d == len(shape):
                out.append(vals[off])
                return
            for i in range(shape[d]):
                rec(d + 1, off + i * fstr[d])
        rec(0, 0)
        vals = out
    return shape, vals, kind[0] == "f"


def load(path):
    """Returns (shape, values, is_float); values is a numpy array (float64
    or int64) when numpy is available, else a flat list."""
    if _np is not None:
        try:
            a = _np.load(path, allow_pickle=False)
        except Exception as e:  # noqa: BLE001 - report any reader failure
            raise NpyError(f"{path}: {e}")
        isf = a.dtype.kind == "f"
        if a.dtype.kind not in "fiub":
            raise NpyError(f"{path}: unsupported dtype {a.dtype}")
        return tuple(a.shape), a.astype(_np.float64 if isf else _np.int64), isf
    return _read_npy_pure(path)


def _fmt_shape(shape):
    return "[" + ",".join(str(s) for s in shape) + "]"


def compare(actual, expected, rtol=1e-5, atol=None, exact=False, name=None):
    """Compare two .npy files (paths). Returns (ok, message line)."""
    name = name or actual
    sa, a, fa = load(actual)
    sb, b, fb = load(expected)
    if sa != sb:
        return False, (f"{name}: shape mismatch actual={_fmt_shape(sa)} "
                       f"expected={_fmt_shape(sb)} FAIL")
    if _np is not None:
        a_nf = int(_np.count_nonzero(~_np.isfinite(a))) if fa else 0
        b_nf = int(_np.count_nonzero(~_np.isfinite(b))) if fb else 0
        if exact:
            diff = _np.flatnonzero(a.ravel() != b.ravel())
            ndiff = int(diff.size)
            first = int(diff[0]) if ndiff else -1
            av = a.ravel()[first] if ndiff else None
            bv = b.ravel()[first] if ndiff else None
        d = (a - b).astype(_np.float64).ravel()
        bb = b.astype(_np.float64).ravel()
        nd = float(_np.sqrt(_np.dot(d, d))) if d.size else 0.0
        nb = float(_np.sqrt(_np.dot(bb, bb))) if bb.size else 0.0
        mx = float(_np.max(_np.abs(d))) if d.size else 0.0
    else:
        a_nf = sum(1 for x in a if fa and not math.isfinite(x))
        b_nf = sum(1 for x in b if fb and not math.isfinite(x))
        if exact:
            diffs = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
            ndiff = len(diffs)
            first = diffs[0] if ndiff else -1
            av = a[first] if ndiff else None
            bv = b[first] if ndiff else None
        nd = nb = mx = 0.0
        if not (a_nf or b_nf):
            sd = sb2 = 0.0
            for x, y in zip(a, b):
                e = float(x) - float(y)
                sd += e * e
                sb2 += float(y) * float(y)
                mx = max(mx, abs(e))
            nd, nb = math.sqrt(sd), math.sqrt(sb2)
    if a_nf or b_nf:
        return False, (f"{name}: non-finite values actual={a_nf} "
                       f"expected={b_nf} shape={_fmt_shape(sa)} FAIL")
    rel = nd / nb if nb > 0 else nd
    line = f"{name}: rel_err={rel:.3e} max_abs={mx:.3e} shape={_fmt_shape(sa)}"
    if exact:
        if ndiff:
            idx, rem = [], first
            for s in reversed(sa):
                idx.append(rem % s)
                rem //= s
            idx = tuple(reversed(idx))
            return False, (line + f" mismatches={ndiff} first at {idx}: "
                           f"actual={av} expected={bv} FAIL")
        return True, line + " exact OK"
    if rel > rtol:
        return False, line + f" FAIL (rtol {rtol:g})"
    if atol is not None and mx > atol:
        return False, line + f" FAIL (atol {atol:g})"
    return True, line + " OK"


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("actual")
    ap.add_argument("expected")
    ap.add_argument("--rtol", type=float, default=1e-5,
                    help="bound on |a-b|_2/|b|_2 (default 1e-5)")
    ap.add_argument("--atol", type=float, default=None,
                    help="optional bound on max|a-b|")
    ap.add_argument("--exact", action="store_true",
                    help="require equality (integer tensors, greedy tokens)")
    ap.add_argument("--name", default=None, help="label for the output line")
    args = ap.parse_args(argv)
    try:
        ok, line = compare(args.actual, args.expected, args.rtol, args.atol,
                           args.exact, args.name)
    except (OSError, NpyError, KeyError, ValueError, SyntaxError) as e:
        print(f"{args.name or args.actual}: error: {e}", file=sys.stderr)
        return 2
    print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
