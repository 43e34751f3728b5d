"""Saving and loading models: one .npz file, written atomically, read strictly.

The file holds the parameters as float arrays (host copies) and a JSON
header with the format version, sizes, spec and dtype. ``save`` writes a
temporary file in the same directory and renames it over the target, so a
crash never leaves a half-written model. ``load`` checks every key and shape
and raises ValueError naming the file for anything corrupt, truncated or
mismatched; ``allow_pickle=False`` means a file can never run code.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile

import numpy as np

from . import backend

FORMAT = "cae-scratch-model"
VERSION = 1


def save(path, header: dict, params: dict) -> str:
    """Write header + params to ``path`` (".npz" is not appended) atomically; returns the path."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValueError(f"cannot save to {path!r}: directory {directory!r} does not exist; create it first")
    arrays = {f"param_{k}": backend.to_numpy(v) for k, v in params.items()}
    meta = json.dumps({"format": FORMAT, "version": VERSION, **header})
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, header=np.array(meta), **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load(path, expected_shapes) -> tuple[dict, dict]:
    """Read (header, host params) from ``path``; ``expected_shapes(header)`` gives {name: shape}."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"no model file at {path!r}; check the path (save writes it with model.save(path))")
    bad = f"{path!r} is not a valid cae-scratch model file"
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"][()]))
            host = {k[len("param_"):]: np.array(data[k]) for k in data.files if k.startswith("param_")}
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, ValueError, json.JSONDecodeError) as e:
        raise ValueError(f"{bad} (corrupt or truncated: {type(e).__name__}: {e}); save the model again") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{bad} (missing cae-scratch header)")
    if header.get("version") != VERSION:
        raise ValueError(f"{path!r} has model format version {header.get('version')}; "
                         f"this cae-scratch reads version {VERSION}")
    try:
        shapes = expected_shapes(header)
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{bad} (header is incomplete or invalid: {e})") from None
    if set(host) != set(shapes):
        raise ValueError(f"{bad}: parameters {sorted(host)} do not match the header's {sorted(shapes)}")
    for k, shape in shapes.items():
        if host[k].shape != tuple(shape) or not np.issubdtype(host[k].dtype, np.floating):
            raise ValueError(f"{bad}: parameter {k!r} has shape {host[k].shape} and dtype "
                             f"{host[k].dtype}, expected {tuple(shape)} floats")
        if not np.all(np.isfinite(host[k])):
            raise ValueError(f"{bad}: parameter {k!r} contains NaN or inf")
    return header, host
