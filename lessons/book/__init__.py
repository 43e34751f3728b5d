"""The lessons as an HTML book: ``python -m lessons.book --out DIR [--quick] [--pdf]``.

Every ``lessons/NN_*.py`` is read by jupytext, run cell by cell by nbclient in a
python3 kernel (ipykernel), and written as ``DIR/NN_....html``: prose, math,
code, printed output and figures inline (``DIR/figures/<lesson>/``), each answer folded
under its question, and the lesson as a notebook and a script to download (``DIR/download/``).
``DIR/index.html`` has the contents (one line per lesson), what to read first and how to run
the lessons; ``DIR/exercises.html`` how to copy and check each exercise, with links to and
from the lessons; ``DIR/notation.html`` the symbols (from ``lessons/notation.md``, when it
exists); ``--pdf`` adds ``DIR/book.pdf``. A failing cell fails the build with a message naming
the lesson, the cell and its line. One build at a time writes a folder: a second build into
it stops at once (``BookLocked``) instead of mixing its figures with the first one's.

Why these tools (the optional extra ``[book]``):
- jupytext: the lessons stay plain ``.py`` files (diffable, runnable as scripts) and
  still open as notebooks; the reference reader of the percent format.
- nbclient (with ipykernel): the Jupyter project's own executor, so a lesson is run
  exactly as a student runs it in Jupyter: one cell at a time, in a kernel.
- markdown-it-py + mdit-py-plugins (dollarmath): a CommonMark parser kept by the
  Executable Books project (it is MyST's and Jupyter Book's); the plugin finds ``$``/``$$`` math.
- latex2mathml: LaTeX -> MathML at build time, pure Python, repaired for MathML Core by
  ``mathml.py``. Browsers draw MathML natively, so no page loads MathJax or KaTeX from
  anywhere: the book works offline.
- Pygments: code highlighting, already a dependency of IPython.
nbconvert is not used: its lab/classic templates load MathJax and require.js from a CDN,
and its basic template leaves the math as raw ``$`` text for a script to typeset.
"""
from __future__ import annotations

import contextlib
import os
import time

from cae_scratch import atomic
from lessons.__main__ import LESSON_DIR, discover

BOOK_DIR = os.path.dirname(os.path.abspath(__file__))
NOTATION = os.path.join(LESSON_DIR, "notation.md")
LOCK_NAME = ".lessons-book.lock"
# Which lesson each exercise practises, for a registry whose exercises do not say (``Exercise.lesson``).
EXERCISE_LESSONS = {1: 2, 2: 2, 3: 5, 4: 5, 5: 6, 6: 3, 7: 4, 8: 2, 9: 2, 10: 2, 11: 10, 12: 12, 13: 15, 14: 13,
                    15: 16}


class BookLocked(RuntimeError):
    """Another build is writing the same folder."""


@contextlib.contextmanager
def book_lock(out):
    """Hold ``out/.lessons-book.lock`` (an advisory fcntl lock) for the whole build, or raise BookLocked.

    The lock dies with its process, so a killed build never leaves the folder locked."""
    try:
        import fcntl
    except ImportError:                     # Windows: no fcntl; builds there are not guarded
        yield
        return
    fd = os.open(os.path.join(out, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BookLocked(f"another `python -m lessons.book` is writing {out} now; wait for it to "
                             "finish or pass another --out") from None
        yield
    finally:
        os.close(fd)


def exercise_lessons(exercises):
    """{lesson number: [(exercise number, title)]} from the registry's ``lesson`` (else EXERCISE_LESSONS)."""
    found = {}
    for ex in exercises:
        lesson = getattr(ex, "lesson", None) or EXERCISE_LESSONS.get(ex.number)
        if lesson is not None:
            found.setdefault(int(lesson), []).append((ex.number, ex.title))
    return found


def build(out, quick=False, backend="numpy", seed=0, only=None, log=print, pdf=False):
    """Execute the lessons (all, or the numbers in ``only``) and write the book into ``out``.

    Returns {"pages": [file names], "seconds": build time, "lessons": {name: seconds},
    "records": {name: the lesson's record (execute.lesson_record: result, figures, options)}} and,
    with ``pdf``, "pdf": (path, pages). Raises BookLocked if another build holds ``out``.
    """
    os.makedirs(out, exist_ok=True)
    with book_lock(out):
        return _build(out, quick, backend, seed, only, log, pdf)


def _build(out, quick, backend, seed, only, log, pdf):
    import shutil

    from lessons.book.download import write_downloads
    from lessons.book.execute import execute_lesson
    from lessons.book.lesson_page import lesson_body
    from lessons.book.pages import exercises_page, frame, index_page, lesson_nav, notation_page, plain_title
    from lessons.book.render import first_heading, first_sentence, normalized_title, pygments_css
    from lessons.exercises.grader import EXERCISES, TEMPLATE_DIR

    start = time.perf_counter()
    lessons = [(n, name) for n, name in discover() if only is None or n in only]
    with open(os.path.join(BOOK_DIR, "book.css"), encoding="utf-8") as f:
        css = f.read()
    atomic.write_text(os.path.join(out, "book.css"),
                      css + "\n/* code highlighting (Pygments) */\n" + pygments_css() + "\n")

    done = []
    for number, name in lessons:
        figure_dir = os.path.join(out, "figures", name)
        shutil.rmtree(figure_dir, ignore_errors=True)              # only this build's figures
        log(f"running {name} ...", flush=True)
        executed = execute_lesson(name, figure_dir, quick, backend, seed)
        log(f"    {executed.seconds:.1f} s  {executed.headline}", flush=True)
        done.append((number, name, executed))

    has_notation = os.path.isfile(NOTATION)
    practise = exercise_lessons(EXERCISES.values())
    pages, entries, sections = [], [], []
    links = [(f"{name}.html", f"{number:02d}") for number, name, _ in done] + [("exercises.html", "Exercises")]
    for i, (number, name, executed) in enumerate(done):
        h1, title = normalized_title(first_heading(executed.notebook) or executed.title or name, number)
        downloads = write_downloads(out, name, executed.notebook)
        body = lesson_body(executed, f"figures/{name}", os.path.join(out, "figures", name), f"lessons/{name}.py",
                           h1, downloads, practise.get(number, []))
        nav = lesson_nav(links[i - 1] if i else None, links[i + 1], has_notation)
        atomic.write_text(os.path.join(out, f"{name}.html"), frame(plain_title(h1), body, nav))
        pages.append(f"{name}.html")
        sections.append(body)
        entries.append({"href": f"{name}.html", "number": number, "title": title,
                        "description": first_sentence(executed.notebook), "seconds": executed.seconds})
    lesson_of = {ex: (n, f"{name}.html") for n, name, _ in done for ex, _ in practise.get(n, [])}
    exercises = exercises_page(list(EXERCISES.values()), TEMPLATE_DIR, lesson_of)
    atomic.write_text(os.path.join(out, "exercises.html"), exercises)
    extra = ["exercises.html"]
    if has_notation:
        with open(NOTATION, encoding="utf-8") as f:
            atomic.write_text(os.path.join(out, "notation.html"), notation_page(f.read()))
        extra.append("notation.html")
    seconds = time.perf_counter() - start
    settings = (f"{'--quick' if quick else 'full sizes'}, backend {backend}, seed {seed}; "
                f"{len(done)} lessons executed in {seconds:.0f} s")
    atomic.write_text(os.path.join(out, "index.html"), index_page(entries, settings, has_notation))
    report = {"pages": ["index.html"] + pages + extra, "seconds": seconds,
              "lessons": {name: ex.seconds for _, name, ex in done},
              "records": {name: ex.record for _, name, ex in done}}
    if pdf:
        from lessons.book.pdf import write_pdf
        body_of = {p: _main_of(os.path.join(out, p)) for p in ["index.html", *extra]}
        report["pdf"] = write_pdf(out, [body_of["index.html"], *sections, *(body_of[p] for p in extra)], frame)
    return report


def _main_of(path):
    """The body of a page this build wrote (between <main> and </main>)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text[text.index("<main>") + len("<main>"):text.rindex("</main>")]
