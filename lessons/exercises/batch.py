"""For instructors: a student bundle without solutions, and a class's files graded into one score table."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

from .grader import DEFAULT_TIMEOUT, EXERCISES, grade_file

README = """Exercises: contractive autoencoders by hand
==========================================

Each file is one exercise: its docstring says what to derive on paper first,
the shapes, and how to check your answer. Fill in the function (numpy and math
only; keep its name), then check it:

    python -m lessons.exercises check N your_file.py

The grader runs your file in a separate process with a time limit and compares
what it returns with finite differences of the loss, never with a solution.
Exit status 0 means every quantity passed; the report names the likely mistake
when one fails.

{listing}
"""
COLUMNS = ("file", "exercise", "verdict", "correct", "total", "score", "first_hint")


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


def submissions(paths):
    """The .py files named, or found (recursively, sorted) under the directories named."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
                files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".py")]
        elif os.path.isfile(p):
            files.append(p)
        else:
            raise ValueError(f"no such file or directory: {p}")
    if not files:
        raise ValueError(f"no .py files in {', '.join(paths)}")
    return files


def row(result):
    return {"file": result.path, "exercise": result.number, "verdict": result.verdict, "correct": result.correct,
            "total": result.total, "score": f"{result.correct}/{result.total}",
            "first_hint": " ".join(result.first_hint.split())}


def grade_many(number, files, timeout=DEFAULT_TIMEOUT, jobs=2):
    """One row per file (in the order given), each file graded in its own process with the time limit."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return [row(r) for r in pool.map(lambda f: grade_file(number, f, timeout), files)]


def table(rows):
    width = max([len("file")] + [len(r["file"]) for r in rows])
    lines = [f"{'file':<{width}}  verdict  score   first hint"]
    for r in rows:
        hint = r["first_hint"] if len(r["first_hint"]) <= 100 else r["first_hint"][:97] + "..."
        lines.append(f"{r['file']:<{width}}  {r['verdict']:<7}  {r['score']:<6}  {hint}")
    passed = sum(r["verdict"] == "PASS" for r in rows)
    lines.append(f"{passed}/{len(rows)} files pass")
    return "\n".join(lines)


def write_rows(rows, path, kind):
    """The score table as strict JSON or CSV, written atomically (temporary file + rename)."""
    if kind == "json":
        text = json.dumps(rows, indent=1, allow_nan=False) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        text = buf.getvalue()
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", newline="") as f:
        f.write(text)
    os.replace(tmp, path)
