"""One executed lesson -> the HTML of its page body: prose, math, code, output, figures.

Prose is CommonMark (markdown-it-py, with tables). Math between ``$...$`` and
``$$...$$`` is found by mdit-py-plugins' dollarmath and converted at build time
to MathML by latex2mathml; Chromium, Firefox and Safari draw MathML natively, so a
page needs no script and no font from anywhere. Code is highlighted by Pygments.
"""
from __future__ import annotations

import base64
import html
import os
import re

from lessons.book.execute import ANSI


class MathError(ValueError):
    """A formula latex2mathml cannot convert; the message quotes it."""


def math_to_mathml(latex, display):
    """LaTeX -> a <math> element (display="block" or "inline")."""
    from latex2mathml.converter import convert
    source = latex.strip().replace(r"\begin{aligned}", r"\begin{align*}").replace(r"\end{aligned}", r"\end{align*}")
    try:
        mathml = convert(source, display="block" if display else "inline")
    except Exception as e:                                # the converter raises many kinds; report the formula
        raise MathError(f"cannot typeset ${latex.strip()}$: {type(e).__name__}: {e}") from None
    unknown = re.findall(r">(\\[A-Za-z]+)<", mathml)     # latex2mathml passes unknown commands through as text
    if unknown:
        raise MathError(f"cannot typeset ${latex.strip()}$: unknown command {', '.join(sorted(set(unknown)))}")
    # a prime as a superscript <mi> is drawn tiny; the prime glyph is already raised, so set it inline
    return PRIME_SUP.sub(r"\1<mo>\2</mo>", mathml)


PRIME_SUP = re.compile(r"<msup>(<mi>[^<]*</mi>)<mi>(&#x0203[234];)</mi></msup>")     # s', s'', s'''


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


def clean_stream(text):
    """Terminal text as a reader saw it: colours removed, each carriage-return line keeps its last state."""
    text = ANSI.sub("", text)
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def _output_html(output, save_image):
    """One nbformat output -> HTML. PNGs are written with ``save_image(bytes) -> relative src``."""
    kind = output.get("output_type")
    if kind == "stream":
        css = "stderr" if output.get("name") == "stderr" else "stdout"
        return f'<pre class="output {css}">{html.escape(clean_stream(output.get("text", "")))}</pre>'
    if kind in ("display_data", "execute_result"):
        data = output.get("data", {})
        if "image/png" in data:
            src = save_image(base64.b64decode(data["image/png"]))
            return f'<figure><img src="{src}" alt="a figure drawn by this cell"></figure>'
        if re.fullmatch(r"'[^']*\.png'", data.get("text/plain", "")):
            return ""                                     # a figure's path, returned by plots: the figure shows
        if "text/plain" in data:                          # never text/html: it could load anything
            return f'<pre class="output result">{html.escape(data["text/plain"])}</pre>'
    return ""


def lesson_body(executed, figure_href, figure_dir, where):
    """The HTML of one lesson's page body; ``where`` names the lesson for error messages.

    ``figure_href``: the folder of its figures relative to the page; ``figure_dir``: the same on disk.
    """
    md = markdown_renderer()
    parts, counter = [], [0]

    def save_image(data):
        counter[0] += 1
        name = f"output_{counter[0]:02d}.png"
        with open(os.path.join(figure_dir, name), "wb") as f:
            f.write(data)
        return f"{figure_href}/{name}"

    for index, cell in enumerate(executed.notebook.cells):
        if cell.cell_type == "markdown":
            try:
                parts.append(f'<section class="prose">{md.render(join_display_math(cell.source))}</section>')
            except MathError as e:
                raise MathError(f"{where}, cell {index + 1} (markdown): {e}") from None
        elif cell.cell_type == "code":
            outputs = "".join(_output_html(o, save_image) for o in cell.get("outputs", []))
            figures = "".join(f'<figure><img src="{figure_href}/{html.escape(f)}" alt="{html.escape(f)}">'
                              f'<figcaption>{html.escape(f)}</figcaption></figure>'
                              for f in executed.figures.get(index, []))
            parts.append(f'<section class="cell"><div class="code">{highlight_python(cell.source)}</div>'
                         f'{outputs}{figures}</section>')
    return "\n".join(parts)


def first_heading(notebook):
    """The text of the first '# ' heading of the first markdown cell, or ''."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if match:
                return match.group(1).strip()
    return ""
