"""Saving and loading models: one .npz file, written atomically, read strictly.

The file is an uncompressed zip of .npy members: ``header.npy`` (a JSON
string: format, version, sizes, spec, dtype) and ``param_<name>.npy``.

``save`` refuses non-finite parameters, follows a symlink (the link stays and
its target is updated), refuses a path that is not a regular file, and
writes a temporary file beside the target, then renames it over the target,
so a crash never leaves a half-written model. The new file gets the mode
``open()`` would give it (0666 & ~umask, or the old file's mode).

``load`` treats the file as hostile: it reads the zip's directory first,
refuses encrypted members, unknown compression, unexpected member names and
sizes a file of this size cannot hold (a forged header, a decompression
bomb), then reads each member's .npy header and exactly the bytes the model
header's sizes and dtype imply. Object (pickled) arrays are refused: a model
file can never run code. Every failure is a ValueError naming the file.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import zipfile
import zlib

import numpy as np

from . import atomic, backend, npz

FORMAT = "cae-scratch-model"
VERSION = 1
DTYPES = ("float32", "float64")


def save(path, header: dict, params: dict) -> str:
    """Write header + params to ``path`` (".npz" is not appended) atomically; returns ``path`` as a str."""
    user = os.fspath(path)
    try:
        atomic.check_target(user)
    except ValueError as e:
        raise ValueError(str(e).replace("cannot write", "cannot save to", 1)) from None
    arrays = {}
    for k, v in params.items():
        arrays[f"param_{k}"] = host = backend.to_numpy(v)
        if not np.all(np.isfinite(host)):
            raise ValueError(f"cannot save to {user!r}: parameter {k!r} contains NaN or inf (training "
                             "diverged?); a model file holds finite parameters only")
    meta = json.dumps({"format": FORMAT, "version": VERSION, **header}, allow_nan=False)
    try:
        atomic.write(user, lambda fh: np.savez(fh, header=np.array(meta), **arrays))
    except ValueError as e:
        raise ValueError(str(e).replace("cannot write", "cannot save to", 1)) from None
    except OSError as e:
        message = str(e).replace("cannot write", "cannot save to", 1)
        raise (OSError(e.errno, message) if e.errno else OSError(message)) from e
    return user


HOLDER = "ContractiveAutoencoder"      # the holder of a file whose header names none (the first format)
FIELD_KINDS = {"size": "a positive integer", "seed": "an integer >= 0", "flag": "true or false",
               "sizes": "a list of at least two positive integers", "list": "a non-empty list"}


def header_field(header, field, kind):
    """header[field] if it is of ``kind`` (``FIELD_KINDS``: "size", "seed", "flag", "sizes", "list"), else a
    ValueError naming the field; for the holders' ``expected_shapes`` and ``load``."""
    value = header.get(field)

    def size(v, low=1):
        return type(v) is int and v >= low
    ok = {"size": lambda v: size(v), "seed": lambda v: size(v, 0), "flag": lambda v: isinstance(v, bool),
          "sizes": lambda v: isinstance(v, list) and len(v) >= 2 and all(size(n) for n in v),
          "list": lambda v: isinstance(v, list) and len(v) >= 1}[kind](value)
    if not ok:
        raise ValueError(f"header field {field!r} must be {FIELD_KINDS[kind]}, got {value!r}")
    return value


@contextlib.contextmanager
def invalid_header(path, holder):
    """Turn a TypeError/ValueError raised while a holder builds itself from a file's header into a ValueError
    naming the file (the inner message names the field)."""
    try:
        yield
    except (TypeError, ValueError) as e:
        raise ValueError(f"{os.fspath(path)!r} is not a valid cae-scratch model file ({holder}): invalid header "
                         f"field: {e}") from None


def load(path, expected_shapes, holder=HOLDER) -> tuple[dict, dict]:
    """Read (header, host params) from ``path``, a file of ``holder`` (its header's "model", default
    ``HOLDER``); ``expected_shapes(header)`` gives {name: shape}."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"no model file at {path!r}; check the path (save writes it with model.save(path))")
    bad = f"{path!r} is not a valid cae-scratch model file"
    try:
        with open(path, "rb") as fh:
            if fh.read(6) == b"\x93NUMPY":
                raise ValueError(f"{bad}: it holds a single NumPy array (.npy, written by np.save), not a "
                                 "model (.npz written by model.save)")
        with zipfile.ZipFile(path) as zf:
            members = npz.checked_members(zf, os.path.getsize(path), bad)
            if "header.npy" not in members:
                raise ValueError(f"{bad} (missing cae-scratch header)")
            text = npz.read_npy(zf, members["header.npy"], None, None, bad)
            header = _parse_header(text, bad, path)
            if header.get("model", HOLDER) != holder:
                raise ValueError(f"{bad}: it holds a {header.get('model', HOLDER)!r}, not a {holder}")
            try:
                shapes = {k: tuple(s) for k, s in expected_shapes(header).items()}
            except (KeyError, TypeError, ValueError) as e:
                raise ValueError(f"{bad} (header is incomplete or invalid: {e})") from None
            names = {n[len("param_"):-len(".npy")] for n in members if n != "header.npy"}
            expected = {f"param_{k}.npy" for k in shapes} | {"header.npy"}
            if set(members) != expected:      # before reading any of them: an extra member may be a bomb
                raise ValueError(f"{bad}: members {sorted(members)} do not match the header's "
                                 f"{sorted(expected)} (parameters {sorted(names)} vs {sorted(shapes)})")
            dtype = np.dtype(header["dtype"])
            host = {k: npz.read_npy(zf, members[f"param_{k}.npy"], shapes[k], dtype, bad) for k in shapes}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError,
            RuntimeError, zlib.error, UnicodeDecodeError) as e:
        raise ValueError(f"{bad} (corrupt or truncated: {type(e).__name__}: {e}); save the model again") from None
    for k, arr in host.items():
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{bad}: parameter {k!r} contains NaN or inf")
    return header, host


def _parse_header(text, bad, path):
    """The JSON header as a dict whose format, version and dtype are checked (the rest is the caller's)."""
    def refuse(token):
        raise ValueError(f"the header holds {token}; a header's numbers are finite")

    def finite(token):
        return float(token) if math.isfinite(float(token)) else refuse(token)
    try:
        header = json.loads(text, parse_constant=refuse, parse_float=finite)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"{bad} (corrupt header: {e})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{bad} (missing cae-scratch header)")
    if header.get("version") != VERSION:
        raise ValueError(f"{path!r} has model format version {header.get('version')!r}; "
                         f"this cae-scratch reads version {VERSION}")
    if header.get("dtype") not in DTYPES:
        raise ValueError(f"{bad}: header field 'dtype' must be one of {list(DTYPES)}, "
                         f"got {header.get('dtype')!r}")
    return header
