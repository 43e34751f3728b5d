"""A command's output files: written whole (``atomic``), and what to tell the user when it stops midway.

Every file goes through ``atomic.write``, so a Ctrl-C or a full disk leaves each
output either new and whole or as it was; ``Outputs`` remembers each file's
identity before the work so that the one line printed afterwards can say which
ones the run replaced.
"""
from __future__ import annotations

import json
import os

from .. import atomic


def write_json(path, obj):
    """``obj`` as strict JSON (no NaN or inf), written atomically; returns the path."""
    return atomic.write_text(path, json.dumps(obj, indent=1, allow_nan=False))


def is_write_error(error):
    """Whether an OSError is ``atomic.write`` failing to write an output (a full disk, a lost mount)."""
    return isinstance(error, OSError) and str(error.strerror or "").startswith("cannot write ")


def identity(path):
    """(device, inode, mtime in ns) of the file at ``path``, None if there is none: a rename changes it."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns


class Outputs:
    """The output files of one command, remembered before its work begins."""

    def __init__(self, paths):
        self.before = {os.fspath(p): identity(p) for p in paths}

    def written(self):
        """The outputs replaced or created since: their paths, in the order given."""
        return [p for p, was in self.before.items() if identity(p) != was]

    def report(self):
        """One clause for the user: which outputs this run wrote, and that the rest are untouched."""
        new = self.written()
        if not new:
            return "nothing was written"
        kept = len(self.before) - len(new)
        return (f"wrote {', '.join(new)}" + (f"; the other {kept} output(s) are as they were" if kept else "")
                + " (every file is whole: old or new, never half-written)")
