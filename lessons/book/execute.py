"""Run one lesson as a notebook, cell by cell, and keep what each cell printed and drew.

jupytext reads ``lessons/NN_*.py`` (percent format) into a notebook; nbclient runs
its code cells one at a time in a fresh ``python3`` kernel (ipykernel), exactly as a
student would in Jupyter. Lessons save their figures as PNG files (matplotlib's Agg
backend, through ``cae_scratch.plots``), so after each cell the lesson's figure folder
is compared with its state before the cell: files that appeared or changed belong to
that cell and are shown right under it in the book. After the last cell the lesson's record
(``lesson_record``: its ``result`` numbers, the figures it announced, its options) is read back
as JSON, so the tests check every lesson's numbers on the book's run instead of running it again.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field

from lessons.__main__ import LESSON_DIR, lesson_environment

ROOT = os.path.dirname(LESSON_DIR)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Run before the lesson, not shown: tqdm.auto warns in a kernel without ipywidgets, which says
# nothing about the lesson (progress bars then fall back to text); every saved figure's titles are
# noted, the captions' fallback when the lesson gives none.
SETUP = """import warnings
warnings.filterwarnings('ignore', message='IProgress not found')
import os as _os
import matplotlib.figure as _mfig
_book_titles, _book_savefig = {}, _mfig.Figure.savefig
def _book_noting_savefig(fig, fname, *args, **kwargs):
    # a path names the figure; a file object (the atomic writer's temporary) is the lesson's latest figure
    _lesson = globals().get('lesson')
    key = (_os.path.basename(_os.fspath(fname)) if isinstance(fname, (str, _os.PathLike)) else
           _os.path.basename(_lesson.figures[-1]) if getattr(_lesson, 'figures', None) else None)
    if key:
        sup = getattr(fig, '_suptitle', None)
        _book_titles[key] = {
            'suptitle': sup.get_text() if sup is not None else '',
            'titles': [t for ax in fig.axes for loc in ('left', 'center', 'right') if (t := ax.get_title(loc))]}
    return _book_savefig(fig, fname, *args, **kwargs)
_mfig.Figure.savefig = _book_noting_savefig
"""
PROBE = ("import json as _json\n"
         "print(_json.dumps({'title': lesson.title, 'headline': lesson.headline, 'titles': _book_titles,\n"
         "                   'captions': dict(getattr(lesson, 'captions', None) or {})}))")
RECORD_PROBE = "from lessons.book.execute import lesson_record as _book_record\nprint(_book_record(lesson))"


class LessonCellError(RuntimeError):
    """A lesson's cell raised: the message names the lesson, the cell, its line and the error."""


@dataclass
class ExecutedLesson:
    """A lesson after running: its notebook (outputs filled in), the figures each cell made, its headline."""
    name: str
    notebook: object
    figures: dict = field(default_factory=dict)       # cell index -> [file names in the figure folder]
    title: str = ""
    headline: str = ""
    seconds: float = 0.0
    titles: dict = field(default_factory=dict)        # figure file name -> {"suptitle", "titles"} drawn
    captions: dict = field(default_factory=dict)      # figure file name -> the caption the lesson gave
    record: dict = field(default_factory=dict)        # lesson_record's fields, or {"error": why there is none}


def _plain(value):
    """json.dumps' fallback: NumPy (or CuPy) scalars and arrays as Python numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"a lesson's result holds a {type(value).__name__!r}, which JSON cannot hold: record numbers, "
                    "strings, lists or dicts")


def lesson_record(lesson):
    """One JSON line: the lesson's ``result``, the figures it announced (paths), title, headline, options.

    Run in the lesson's kernel after its last cell; the tests read the same record from an in-process
    run (``json.loads``), so a check sees the same types (lists, string keys) on either run.
    """
    return json.dumps({"result": lesson.result, "figures": list(lesson.figures), "title": lesson.title,
                       "headline": lesson.headline, "quick": lesson.quick, "backend": lesson.backend,
                       "seed": lesson.seed, "out": lesson.out}, default=_plain)


def read_lesson(name):
    """The notebook of lessons/<name>.py (jupytext percent format)."""
    import jupytext
    return jupytext.read(os.path.join(LESSON_DIR, f"{name}.py"))


def _snapshot(folder):
    """{png file name: (size, mtime)} in ``folder``."""
    if not os.path.isdir(folder):
        return {}
    return {f: (os.stat(p).st_size, os.stat(p).st_mtime_ns) for f in sorted(os.listdir(folder))
            if f.lower().endswith(".png") and os.path.isfile(p := os.path.join(folder, f))}


def _line_of(source, text):
    """The 1-based line of lessons/<name>.py where a cell's first line appears (0 if not found)."""
    first = next((ln for ln in source.splitlines() if ln.strip()), "")
    for number, line in enumerate(text.splitlines(), start=1):
        if first and line.rstrip() == first.rstrip():
            return number
    return 0


def cell_error(name, index, cell, error):
    """The build's message for a failed cell: lesson, cell number, line, first line, error and traceback."""
    with open(os.path.join(LESSON_DIR, f"{name}.py"), encoding="utf-8") as f:
        line = _line_of(cell.source, f.read())
    first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
    where = f"lessons/{name}.py" + (f", line {line}" if line else "")
    ename, evalue = getattr(error, "ename", type(error).__name__), getattr(error, "evalue", str(error))
    trace = ANSI.sub("", str(error)).strip()
    return LessonCellError(f"lesson {name} failed in cell {index + 1} ({where}: {first.strip()!r}):\n"
                           f"    {ename}: {evalue}\n\n{trace}")


def this_python_kernel():
    """A kernel-spec manager whose python3 is ipykernel on *this* interpreter (the one building the
    book), not whatever "python3" kernel a user's Jupyter setup registered for another Python."""
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())
    return ThisPython()


def _run_hidden(client, nb, source):
    """Run ``source`` in the lesson's kernel without adding it to the page; returns its stdout."""
    import nbformat
    cell = nbformat.v4.new_code_cell(source)
    nb.cells.append(cell)                                  # nbclient runs cells by their index in nb
    try:
        client.execute_cell(cell, len(nb.cells) - 1)
    finally:
        nb.cells.pop()
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")


def execute_lesson(name, figure_dir, quick=True, backend="numpy", seed=0, timeout=900):
    """Run lessons/<name>.py cell by cell with CAE_LESSON_* set so its figures go to ``figure_dir``.

    Returns an ExecutedLesson; raises LessonCellError naming the lesson and the cell on failure.
    """
    import time

    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = read_lesson(name)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    sockets = tempfile.mkdtemp(prefix="cae-book-kernel-")         # local sockets, not TCP ports
    km = KernelManager(kernel_name="python3", kernel_spec_manager=this_python_kernel(),
                       transport="ipc", ip=os.path.join(sockets, "kernel"))
    client = NotebookClient(nb, km=km, kernel_name="python3", timeout=timeout, allow_errors=False,
                            resources={"metadata": {"path": ROOT}})
    result = ExecutedLesson(name, nb)
    start = time.perf_counter()
    path = os.environ.get("PYTHONPATH", "")
    os.makedirs(figure_dir, exist_ok=True)
    with lesson_environment(backend, quick, seed, os.path.abspath(figure_dir)):
        os.environ["PYTHONPATH"] = ROOT + (os.pathsep + path if path else "")   # the kernel imports lessons/
        try:
            with client.setup_kernel():
                _run_hidden(client, nb, SETUP)
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    before = _snapshot(figure_dir)
                    try:
                        client.execute_cell(cell, index)
                    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
                        raise cell_error(name, index, cell, e) from None
                    after = _snapshot(figure_dir)
                    made = sorted((f for f in after if before.get(f) != after[f]), key=lambda f: after[f][1])
                    if made:
                        result.figures[index] = made
                try:                                       # the lesson's title and headline, not shown
                    info = json.loads(_run_hidden(client, nb, PROBE).strip().splitlines()[-1])
                    result.title, result.headline = info["title"], info["headline"]
                    result.titles, result.captions = info["titles"], info["captions"]
                except (CellExecutionError, ValueError, IndexError, KeyError):
                    pass                                   # no `lesson` object: the page still builds
                try:                                       # the numbers the tests check; the page needs none
                    result.record = json.loads(_run_hidden(client, nb, RECORD_PROBE).strip().splitlines()[-1])
                except (CellExecutionError, ValueError, IndexError) as e:
                    result.record = {"error": f"{type(e).__name__}: {ANSI.sub('', str(e)).strip()[-2000:]}"}
        finally:
            if km.has_kernel:                                  # we own the kernel manager: stop its kernel
                km.shutdown_kernel(now=True)
            shutil.rmtree(sockets, ignore_errors=True)
            if path:
                os.environ["PYTHONPATH"] = path
            else:
                os.environ.pop("PYTHONPATH", None)
    result.seconds = time.perf_counter() - start
    return result
