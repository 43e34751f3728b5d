"""For instructors: a student bundle without solutions, and a class's files graded into one score table."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor

from cae_scratch import atomic

from . import runner
from .grader import DEFAULT_MEMORY_MIB, DEFAULT_TIMEOUT, EXERCISES, SANDBOXED, grade_file

README = """Exercises: contractive autoencoders by hand
==========================================

Each file is one exercise: its docstring says what to derive on paper first,
the shapes, and how to check your answer. Fill in the function (numpy and math
only; keep its name), then check it:

    python -m lessons.exercises check N your_file.py

To run the grader you need a copy of the cae-scratch project (your instructor
says where to get it) installed with Python 3.10 or newer; in its folder:

    python -m venv .venv && . .venv/bin/activate && pip install -e .

The grader runs your file in a separate process with a time limit (inside an
operating-system sandbox, bubblewrap, where the machine has one: Linux with
`apt-get install bubblewrap`; elsewhere it says so and still grades your own
file) and compares what it returns with finite differences of the loss, never
with a solution. Exit status 0 means every quantity passed; the report names
the likely mistake when one fails.

{listing}
"""
COLUMNS = ("file", "exercise", "verdict", "correct", "total", "percent", "isolation", "first_hint")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def bundle(directory):
    """Write every template and a README into ``directory`` (new or empty); returns the paths written."""
    if os.path.exists(directory) and (not os.path.isdir(directory) or os.listdir(directory)):
        raise ValueError(f"{directory} exists and is not an empty directory; not overwriting anything "
                         "(choose a new directory)")
    os.makedirs(directory, exist_ok=True)
    written = []
    for ex in EXERCISES.values():
        target = os.path.join(directory, ex.filename)
        shutil.copyfile(ex.template, target)
        written.append(target)
    listing = "\n".join(f"  {ex.number:>2}  {ex.filename:<32} {ex.title}" for ex in EXERCISES.values())
    with open(os.path.join(directory, "README.txt"), "w") as f:
        f.write(README.format(listing=listing))
    return written + [os.path.join(directory, "README.txt")]


def natural_key(path):
    """Sort key: digits compare as numbers (s2 before s10)."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", path)]


def submissions(paths):
    """The .py entries named, or found under the folders named (recursively, in natural order).

    Symlinks, FIFOs and other non-regular entries are kept: grading reports each as such, never follows it.
    """
    files = []
    for p in paths:
        if os.path.isdir(p) and not os.path.islink(p):
            found = []
            for root, dirs, names in os.walk(p):
                dirs[:] = [d for d in dirs if not d.startswith((".", "__"))]
                found += [os.path.join(root, n) for n in names if n.endswith(".py")]
            files += sorted(found, key=natural_key)
        elif os.path.lexists(p):
            files.append(p)
        else:
            raise ValueError(f"no such file or directory: {printable(p)}")
    if not files:
        raise ValueError(f"no .py files in {printable(', '.join(paths))}")
    return files


def printable(text):
    """``text`` on one line: bytes that are not UTF-8 and every control or invisible character escaped."""
    text = str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def csv_cell(value):
    """A spreadsheet must not run a cell as a formula: text that starts like one gets a leading quote."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def row(result):
    percent = round(100.0 * result.correct / result.total, 1) if result.total else 0.0
    return {"file": printable(result.path), "exercise": result.number, "verdict": result.verdict,
            "correct": result.correct, "total": result.total, "percent": percent,
            "isolation": result.isolation, "first_hint": printable(" ".join(result.first_hint.split()))}


def grade_many(number, files, timeout=DEFAULT_TIMEOUT, jobs=2, sandboxed=True, memory_mib=DEFAULT_MEMORY_MIB):
    """One row per file (in the order given), each file graded in its own process with the time limit.

    Ctrl-C kills the running processes, starts no new one, and raises KeyboardInterrupt once they are gone.
    """
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = [pool.submit(grade_file, number, f, timeout, sandboxed, memory_mib) for f in files]
        return [row(f.result()) for f in futures]
    except KeyboardInterrupt:
        runner.stop_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def table(rows):
    width = min(60, max([len("file")] + [len(r["file"]) for r in rows]))
    lines = []
    if any(r["isolation"] != SANDBOXED for r in rows):
        lines.append("NOT ISOLATED: these files ran as plain processes of your user (--unsandboxed); the "
                     "in-process guards only catch honest mistakes")
    lines.append(f"{'file':<{width}}  verdict  score   first hint")
    for r in rows:
        hint = r["first_hint"] if len(r["first_hint"]) <= 100 else r["first_hint"][:97] + "..."
        score = f"{r['correct']}/{r['total']}"
        lines.append(f"{r['file']:<{width}}  {r['verdict']:<7}  {score:<6}  {hint}")
    passed = sum(r["verdict"] == "PASS" for r in rows)
    lines.append(f"{passed}/{len(rows)} files pass")
    return "\n".join(lines)


def check_output(path):
    """Refuse an output path before any grading: a ValueError naming it (``atomic.check_target``, which
    tries to create a file beside it: /proc and read-only mounts pass the permission bits)."""
    try:
        atomic.check_target(path)
    except ValueError as e:
        raise ValueError(str(e).replace(repr(os.fspath(path)), repr(printable(path)), 1)) from None


def write_rows(rows, path, kind):
    """The score table as strict JSON or CSV (formula-like cells quoted), through the one atomic writer."""
    if kind == "json":
        text = json.dumps(rows, indent=1, allow_nan=False) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in r.items()} for r in rows)
        text = buf.getvalue()
    atomic.write_text(path, text)
