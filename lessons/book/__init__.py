"""The lessons as an HTML book: ``python -m lessons.book --out DIR [--quick]``.

Every ``lessons/NN_*.py`` is read by jupytext, run cell by cell by nbclient in a
python3 kernel (ipykernel), and written as ``DIR/NN_....html``: prose, math,
code, printed output and figures inline (``DIR/figures/<lesson>/``). ``DIR/index.html``
has the contents, what to read first and how to run the lessons; ``DIR/exercises.html``
how to copy and check each exercise. A failing cell fails the build with a message
naming the lesson, the cell and its line.

Why these tools (the optional extra ``[book]``):
- jupytext: the lessons stay plain ``.py`` files (diffable, runnable as scripts) and
  still open as notebooks; the reference reader of the percent format.
- nbclient (with ipykernel): the Jupyter project's own executor, so a lesson is run
  exactly as a student runs it in Jupyter: one cell at a time, in a kernel.
- markdown-it-py + mdit-py-plugins (dollarmath): a CommonMark parser kept by the
  Executable Books project (it is MyST's and Jupyter Book's); the plugin finds ``$``/``$$`` math.
- latex2mathml: LaTeX -> MathML at build time, pure Python. Browsers draw MathML
  natively, so no page loads MathJax or KaTeX from anywhere: the book works offline.
- Pygments: code highlighting, already a dependency of IPython.
nbconvert is not used: its lab/classic templates load MathJax and require.js from a CDN,
and its basic template leaves the math as raw ``$`` text for a script to typeset.
"""
from __future__ import annotations

import os
import shutil
import time

from lessons.__main__ import discover

BOOK_DIR = os.path.dirname(os.path.abspath(__file__))


def build(out, quick=False, backend="numpy", seed=0, only=None, log=print):
    """Execute the lessons (all, or the numbers in ``only``) and write the book into ``out``.

    Returns {"pages": [file names], "seconds": build time, "lessons": {name: seconds}}.
    """
    from lessons.book.execute import execute_lesson
    from lessons.book.pages import exercises_page, frame, index_page, lesson_nav, plain_title
    from lessons.book.render import first_heading, lesson_body, pygments_css
    from lessons.exercises.grader import EXERCISES, TEMPLATE_DIR

    start = time.perf_counter()
    lessons = [(n, name) for n, name in discover() if only is None or n in only]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(BOOK_DIR, "book.css"), encoding="utf-8") as f:
        css = f.read()
    with open(os.path.join(out, "book.css"), "w", encoding="utf-8") as f:
        f.write(css + "\n/* code highlighting (Pygments) */\n" + pygments_css() + "\n")

    done = []
    for number, name in lessons:
        figure_dir = os.path.join(out, "figures", name)
        shutil.rmtree(figure_dir, ignore_errors=True)              # only this build's figures
        log(f"running {name} ...", flush=True)
        executed = execute_lesson(name, figure_dir, quick, backend, seed)
        log(f"    {executed.seconds:.1f} s  {executed.headline}", flush=True)
        done.append((number, name, executed))

    pages, entries = [], []
    links = [(f"{name}.html", f"{number:02d}") for number, name, _ in done] + [("exercises.html", "Exercises")]
    for i, (number, name, executed) in enumerate(done):
        title = first_heading(executed.notebook) or executed.title or name
        body = lesson_body(executed, f"figures/{name}", os.path.join(out, "figures", name), f"lessons/{name}.py")
        nav = lesson_nav(links[i - 1] if i else None, links[i + 1])
        with open(os.path.join(out, f"{name}.html"), "w", encoding="utf-8") as f:
            f.write(frame(plain_title(title), body, nav))
        pages.append(f"{name}.html")
        entries.append({"href": f"{name}.html", "number": number, "title": title,
                        "headline": executed.headline, "seconds": executed.seconds})
    with open(os.path.join(out, "exercises.html"), "w", encoding="utf-8") as f:
        f.write(exercises_page(list(EXERCISES.values()), TEMPLATE_DIR))
    seconds = time.perf_counter() - start
    settings = (f"{'--quick' if quick else 'full sizes'}, backend {backend}, seed {seed}; "
                f"{len(done)} lessons executed in {seconds:.0f} s")
    with open(os.path.join(out, "index.html"), "w", encoding="utf-8") as f:
        f.write(index_page(entries, settings))
    return {"pages": ["index.html"] + pages + ["exercises.html"], "seconds": seconds,
            "lessons": {name: ex.seconds for _, name, ex in done}}
