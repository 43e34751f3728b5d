"""Markdown and code as HTML: the renderer every page uses, titles, one-line descriptions.

Prose is CommonMark (markdown-it-py, with tables). Math between ``$...$`` and
``$$...$$`` is found by mdit-py-plugins' dollarmath and converted at build time
to MathML (``mathml.py``); Chromium, Firefox and Safari draw MathML natively, so a
page needs no script and nothing from the network. Code is highlighted by Pygments.
"""
from __future__ import annotations

import html
import re

from lessons.book.mathml import MathError, math_to_mathml

__all__ = ["MathError", "markdown_renderer", "render_markdown", "join_display_math", "highlight_python",
           "pygments_css", "first_heading", "normalized_title", "first_sentence"]


def markdown_renderer():
    """A markdown-it renderer with tables and dollar math typeset to MathML."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.use(dollarmath_plugin, double_inline=True, allow_digits=False)
    md.add_render_rule("math_inline", lambda self, t, i, o, e: math_to_mathml(t[i].content, False))
    md.add_render_rule("math_inline_double", lambda self, t, i, o, e: math_to_mathml(t[i].content, True))
    md.add_render_rule("math_block", lambda self, t, i, o, e:
                       f'<div class="math-block">{math_to_mathml(t[i].content, True)}</div>\n')
    md.add_render_rule("math_block_label", lambda self, t, i, o, e:
                       f'<div class="math-block" id="eq-{html.escape(t[i].info)}">'
                       f'{math_to_mathml(t[i].content, True)}</div>\n')
    return md


DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", flags=re.S)


def join_display_math(source):
    """Each $$...$$ on one line, as Jupyter protects math before it parses markdown: a formula's
    continuation line that begins with "+ " or "- " must not start a list, nor "# " a heading."""
    return DISPLAY_MATH.sub(lambda m: "$$" + " ".join(m.group(1).split("\n")) + "$$", source)


def highlight_python(source):
    """Pygments HTML for Python source (classes styled by book.css)."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer
    return highlight(source, PythonLexer(), HtmlFormatter(cssclass="highlight"))


def pygments_css():
    from pygments.formatters import HtmlFormatter
    return HtmlFormatter(style="friendly").get_style_defs(".highlight")


def first_heading(notebook):
    """The text of the first '# ' heading of the first markdown cell, or ''."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if match:
                return match.group(1).strip()
    return ""


def render_markdown(md, source):
    """One markdown cell -> HTML, its display math joined first."""
    return md.render(join_display_math(source))


LESSON_HEADING = re.compile(r"^\s*Lesson\s+(\d+)\s*(?:[:.\-\u2013\u2014]\s*)?(.*)$")


def normalized_title(heading, number):
    """(the page's h1, the title without its number): one style, "Lesson 05: Backprop the penalty"."""
    match = LESSON_HEADING.match(heading or "")
    rest = (match.group(2) if match else heading or "").strip() or f"Lesson {number:02d}"
    rest = rest[:1].upper() + rest[1:]
    return f"Lesson {number:02d}: {rest}", rest


SUMMARY = re.compile(r"<!--\s*summary:\s*(.+?)\s*-->", flags=re.S)
MATH_SPAN = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", flags=re.S)
SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bal)(?<!\bcf)\.(?=\s+[A-Z\"'(*]|\s*$)")


def first_sentence(notebook):
    """A lesson's one-line description (markdown): its ``<!-- summary: ... -->`` line, else the first
    sentence of the prose under its title."""
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        given = SUMMARY.search(cell.source)
        if given:
            return " ".join(given.group(1).split())
        body = re.sub(r"^#.*$", "", cell.source, flags=re.M).strip()
        paragraph = " ".join(re.split(r"\n\s*\n", body)[0].split()) if body else ""
        if not paragraph:
            continue
        masked = MATH_SPAN.sub(lambda m: "x" * len(m.group(0)), paragraph)     # no sentence ends in math
        end = SENTENCE_END.search(masked)
        return paragraph[:end.end()] if end else paragraph
    return ""
