"""One atomic writer for every output file: a temporary beside the target, fsync, rename.

A crash, a full disk or Ctrl-C never leaves a half-written file where the user
expects a whole one, and never truncates the file that was there: the old
file stays until the new one is complete. The target's rules:

- a symlink is followed (the link stays, its target is replaced);
- a directory, FIFO, device or socket is refused, and left alone;
- the new file gets the mode ``open()`` would give it (0666 & ~umask), or the
  old file's mode when it replaces one;
- the temporary is removed on any exception; a temporary orphaned by SIGKILL
  or a power cut is removed by the next write into that directory once stale.

``check_target(path)`` runs the same checks without writing, so a command line
can refuse a bad output path before any work (and ``write`` checks again).
"""
from __future__ import annotations

import os
import re
import secrets
import stat
import time

TMP_PREFIX = ".tmp-cae-scratch-"
TMP_NAME = re.compile(r"\.tmp-cae-scratch-[0-9a-f]{16}(\.[A-Za-z0-9]{1,8})?\Z")
STALE_SECONDS = 15 * 60             # a live write touches its temporary far more often than this


def check_target(path) -> tuple[str, os.stat_result | None]:
    """(real path to replace, its os.stat or None) for the path a user gave, or a ValueError naming it.

    Checks that the name is a file name, that an existing target is a regular
    file, and that its directory exists and is writable.
    """
    user = os.fspath(path)
    if not isinstance(user, str):
        user = os.fsdecode(user)
    if user == "" or user.endswith(("/", os.sep)):
        raise ValueError(f"cannot write {user!r}: give a file name such as 'out.json'")
    target = os.path.realpath(user)         # a symlink is followed: its target is replaced, the link stays
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    except OSError as e:
        raise ValueError(f"cannot write {user!r}: {e.strerror}") from None
    if old is not None and stat.S_ISDIR(old.st_mode):
        raise ValueError(f"cannot write {user!r}: it is a directory; give a file name inside it")
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise ValueError(f"cannot write {user!r}: it exists and is not a regular file (a device, "
                         "FIFO or socket); it is left alone: choose another path")
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        what = "is not a directory" if os.path.exists(directory) else "does not exist; create it first"
        raise ValueError(f"cannot write {user!r}: directory {directory!r} {what}")
    if not can_create_in(directory):
        raise ValueError(f"cannot write {user!r}: no file can be created in {directory!r}; "
                         "choose a writable place")
    name_max = _name_max(directory)
    if len(os.fsencode(os.path.basename(target))) > name_max:
        raise ValueError(f"cannot write {user!r}: the file name is longer than this file system's "
                         f"{name_max} bytes; choose a shorter name")
    return target, old


def write(path, write_to, binary=True) -> str:
    """Call ``write_to(fh)`` on a temporary beside ``path``, fsync it, rename it over ``path``.

    ``write_to`` receives an open binary (or text, newline="") file object.
    Returns ``path`` as given (a str). Raises ValueError for a bad target and
    OSError (naming ``path``, not the temporary) when the write fails.
    """
    user = os.fspath(path)
    target, old = check_target(user)
    directory = os.path.dirname(target)
    remove_stale_temporaries(directory)
    suffix = os.path.splitext(target)[1]
    suffix = suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix) else ""
    tmp = os.path.join(directory, f"{TMP_PREFIX}{secrets.token_hex(8)}{suffix}")
    try:        # mode 0o666: the kernel applies the umask, exactly as for open(path, "w")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as e:
        raise ValueError(f"cannot write {user!r}: cannot create a file in {directory!r} "
                         f"({e.strerror}); choose a writable place") from None
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as fh:
            if old is not None and hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), stat.S_IMODE(old.st_mode))      # replacing keeps the file's mode
            write_to(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as e:      # KeyboardInterrupt too: never leave the temporary behind
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):      # name the user's path, not the temporary file
            message = f"cannot write {user!r}: {e.strerror or e}"
            raise (OSError(e.errno, message) if e.errno else OSError(message)) from e
        raise
    return user


def write_text(path, text: str) -> str:
    """``write`` for a whole text (UTF-8)."""
    return write(path, lambda fh: fh.write(text), binary=False)


def write_bytes(path, data: bytes) -> str:
    """``write`` for a whole byte string."""
    return write(path, lambda fh: fh.write(data), binary=True)


def remove_stale_temporaries(directory, max_age=STALE_SECONDS):
    """Remove our own temporary files (by name) in ``directory`` untouched for ``max_age`` seconds.

    ``write`` removes its temporary on every exception, but a SIGKILL or a
    power cut cannot run cleanup; the next write in the directory does.
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


def can_create_in(directory):
    """Whether a file can really be created in ``directory``: tried, then removed. ``os.access`` alone
    says yes to root in /proc or on a read-only mount, where the write would fail after the work."""
    probe = os.path.join(directory, f"{TMP_PREFIX}{secrets.token_hex(8)}")   # a name this module cleans up
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        return False
    os.unlink(probe)
    return True


def _name_max(directory):
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255
