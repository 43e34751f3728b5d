"""One executed lesson -> the HTML of its page body: prose, math, code, output, figures, links.

Reading order on the page: the title (one style for every lesson), the lesson's own downloads
(.ipynb with this run's outputs, and the .py), then its cells. Each question is followed by
its answer, folded (``questions.py``); the closing ``lesson.finish`` cell becomes the lesson's
result; the page ends with the exercises that practise this lesson.
"""
from __future__ import annotations

import html
import os
import re

from cae_scratch import atomic
from lessons.book.mathml import MathError
from lessons.book.outputs import (figure_html, is_finish_cell, output_html, result_html,
                                  shown_outputs)
from lessons.book.questions import pair_answers
from lessons.book.render import highlight_python, markdown_renderer, render_markdown


def with_title(source, h1):
    """The markdown of the first cell with its first '# ' heading replaced by the book's ``h1``."""
    return re.sub(r"^#\s+.+$", lambda _: f"# {h1}", source, count=1, flags=re.M)


def downloads_html(downloads):
    """Links to the lesson as a notebook and as a script: [(href, label)]."""
    if not downloads:
        return ""
    links = " &middot; ".join(f'<a href="{html.escape(href)}" download>{html.escape(label)}</a>'
                              for href, label in downloads)
    return f'<p class="downloads">Run it yourself: {links}</p>'


def exercises_html(exercises):
    """"Now do exercise N" for each exercise that practises this lesson: [(number, title)]."""
    if not exercises:
        return ""
    md = markdown_renderer()
    items = "".join(f'<li><a href="exercises.html#exercise-{n}">Exercise {n}</a>: '
                    f'{md.renderInline(str(t)) if "$" in str(t) else html.escape(str(t))}</li>'
                    for n, t in exercises)
    heading, it = ("Now do the exercise", "it") if len(exercises) == 1 else ("Now do the exercises", "them")
    return (f'<section class="next-exercise"><h2>{heading}</h2><p>Write {it} yourself, '
            f'graded by finite differences:</p><ul>{items}</ul></section>')


def lesson_body(executed, figure_href, figure_dir, where, h1="", downloads=(), exercises=()):
    """The HTML of one lesson's page body; ``where`` names the lesson for error messages.

    ``figure_href``: the folder of its figures relative to the page; ``figure_dir``: the same on disk.
    """
    md = markdown_renderer()
    cells = executed.notebook.cells
    prose = [i for i, c in enumerate(cells) if c.cell_type == "markdown"]
    sources, _ = pair_answers([cells[i].source for i in prose])
    if prose and h1:
        sources[0] = with_title(sources[0], h1)
    markdown = dict(zip(prose, sources))
    figure_dir_abs = os.path.abspath(figure_dir)
    parts, images, figures = [], [0], [0]

    def save_image(data):
        images[0] += 1
        name = f"output_{images[0]:02d}.png"
        atomic.write_bytes(os.path.join(figure_dir, name), data)
        return f"{figure_href}/{name}"

    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            if not markdown[index].strip():
                continue
            try:
                parts.append(f'<section class="prose">{render_markdown(md, markdown[index])}</section>')
            except MathError as e:
                raise MathError(f"{where}, cell {index + 1} (markdown): {e}") from None
            if index == prose[0]:
                parts.append(downloads_html(downloads))
        elif cell.cell_type == "code":
            if is_finish_cell(cell):
                parts.append(result_html(executed.headline))
                continue
            made = executed.figures.get(index, [])
            outputs = "".join(output_html(o, save_image, figure_dir_abs, figure_href)
                              for o in shown_outputs(cell, made))
            shown = []
            for f in made:
                figures[0] += 1
                shown.append(figure_html(figures[0], f, figure_href, executed))
            parts.append(f'<section class="cell"><div class="code">{highlight_python(cell.source)}</div>'
                         f'{outputs}{"".join(shown)}</section>')
    parts.append(exercises_html(exercises))
    return "\n".join(p for p in parts if p)
