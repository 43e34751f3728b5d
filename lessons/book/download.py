"""Each lesson as files a reader takes away: the notebook of this run, and the script.

``DIR/download/NN_name.ipynb`` is the lesson as jupytext reads it, with the outputs of the run
that built the book (nbformat 4, validated before it is written); ``DIR/download/NN_name.py``
is the lesson's file itself. Both are written atomically.
"""
from __future__ import annotations

import copy
import os

from cae_scratch import atomic
from lessons.__main__ import LESSON_DIR

FOLDER = "download"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def executed_notebook(notebook):
    """A copy of an executed lesson's notebook, ready to open in Jupyter: a python3 kernelspec,
    nbformat 4's current minor version, and every cell's id and metadata in place."""
    import nbformat
    nb = copy.deepcopy(notebook)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.setdefault("language_info", {"name": "python"})
    nb.nbformat, nb.nbformat_minor = 4, max(int(nb.get("nbformat_minor", 5)), 5)
    for cell in nb.cells:
        cell.setdefault("metadata", {})
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    nbformat.validate(nb)
    return nb


def write_downloads(out, name, notebook):
    """Write ``out/download/<name>.ipynb`` and ``.py``; returns [(href relative to a page, label)]."""
    import nbformat
    folder = os.path.join(out, FOLDER)
    os.makedirs(folder, exist_ok=True)
    text = nbformat.writes(executed_notebook(notebook))
    atomic.write_text(os.path.join(folder, f"{name}.ipynb"), text)
    with open(os.path.join(LESSON_DIR, f"{name}.py"), encoding="utf-8") as f:
        atomic.write_text(os.path.join(folder, f"{name}.py"), f.read())
    return [(f"{FOLDER}/{name}.ipynb", "the notebook (.ipynb, with this run's output)"),
            (f"{FOLDER}/{name}.py", "the script (.py)")]
