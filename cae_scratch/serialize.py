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

import json
import os
import re
import secrets
import stat
import time
import zipfile
import zlib

import numpy as np

from . import backend, npz

FORMAT = "cae-scratch-model"
VERSION = 1
DTYPES = ("float32", "float64")
TMP_PREFIX = ".tmp-cae-scratch-"
TMP_NAME = re.compile(r"\.tmp-cae-scratch-[0-9a-f]{16}\.npz\Z")
STALE_SECONDS = 15 * 60             # a live save writes (and so touches its temp file) far more often


def save(path, header: dict, params: dict) -> str:
    """Write header + params to ``path`` (".npz" is not appended) atomically; returns ``path`` as a str."""
    user = os.fspath(path)
    target, old = _writable_target(user)
    arrays = {}
    for k, v in params.items():
        arrays[f"param_{k}"] = host = backend.to_numpy(v)
        if not np.all(np.isfinite(host)):
            raise ValueError(f"cannot save to {user!r}: parameter {k!r} contains NaN or inf (training "
                             "diverged?); a model file holds finite parameters only")
    meta = json.dumps({"format": FORMAT, "version": VERSION, **header}, allow_nan=False)
    directory = os.path.dirname(target)
    remove_stale_temporaries(directory)
    tmp = os.path.join(directory, f"{TMP_PREFIX}{secrets.token_hex(8)}.npz")
    try:        # mode 0o666: the kernel applies the umask, exactly as for open(path, "w")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as e:
        raise ValueError(f"cannot save to {user!r}: cannot create a file in {directory!r} "
                         f"({e.strerror}); choose a writable place") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if old is not None and hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), stat.S_IMODE(old.st_mode))      # overwriting keeps the file's mode
            np.savez(fh, header=np.array(meta), **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as e:      # KeyboardInterrupt too: never leave the temporary behind
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):      # name the user's path, not the temporary file
            message = f"cannot save to {user!r}: {e.strerror or e}"
            raise (OSError(e.errno, message) if e.errno else OSError(message)) from e
        raise
    return user


def _writable_target(user):
    """(real path to replace, its os.stat or None) for the path a user gave, or a ValueError."""
    if user == "" or user.endswith(("/", os.sep)):
        raise ValueError(f"cannot save to {user!r}: give a file name such as 'model.npz'")
    target = os.path.realpath(user)         # a symlink is followed: its target is updated, the link stays
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    except OSError as e:
        raise ValueError(f"cannot save to {user!r}: {e.strerror}") from None
    if old is not None and stat.S_ISDIR(old.st_mode):
        raise ValueError(f"cannot save to {user!r}: it is a directory; give a file name inside it, "
                         f"such as {os.path.join(user, 'model.npz')!r}")
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise ValueError(f"cannot save to {user!r}: it exists and is not a regular file (a device, "
                         "FIFO or socket); it is left alone: choose another path")
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        what = "is not a directory" if os.path.exists(directory) else "does not exist; create it first"
        raise ValueError(f"cannot save to {user!r}: directory {directory!r} {what}")
    return target, old


def remove_stale_temporaries(directory, max_age=STALE_SECONDS):
    """Remove our own temporary files (by name) in ``directory`` untouched for ``max_age`` seconds.

    ``save`` removes its temporary on every exception, but a SIGKILL or a
    power cut cannot run cleanup; the next save in the directory does.
    """
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        try:
            if (TMP_NAME.match(entry.name) and entry.is_file(follow_symlinks=False)
                    and now - entry.stat(follow_symlinks=False).st_mtime > max_age):
                os.unlink(entry.path)
        except OSError:
            pass


def header_field(header, field, kind):
    """header[field] if it is a positive integer (kind "size") or a bool (kind "flag"), else a ValueError
    naming the field; for the callers' ``expected_shapes``."""
    value = header.get(field)
    ok = isinstance(value, bool) if kind == "flag" else (type(value) is int and value >= 1)
    if not ok:
        raise ValueError(f"header field {field!r} must be {'true or false' if kind == 'flag' else 'a positive integer'}, "
                         f"got {value!r}")
    return value


def load(path, expected_shapes) -> tuple[dict, dict]:
    """Read (header, host params) from ``path``; ``expected_shapes(header)`` gives {name: shape}."""
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
    try:
        header = json.loads(text)
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
