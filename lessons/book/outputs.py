"""What a code cell printed and drew, as a reader should see it on the page.

- The kernel sends printed text in pieces as it is flushed; consecutive pieces of one stream
  are one box (a table printed row by row stays one table).
- The opening banner (title, "You will learn", options and the figure folder) repeats what the
  page already says: the cell that calls ``start_lesson`` shows its code, not its banner.
- The closing ``lesson.finish(...)`` cell is plumbing (a dict of numbers for the tests): the page
  shows its headline as the lesson's result instead.
- The builder's own folders never appear: the book's figure folder is named as the page links
  it (``figures/<lesson>``), the repository's path is dropped.
- Every figure gets a caption: the one the lesson gave (``lesson.captions``), else the figure's
  own titles as drawn, else its file name.
"""
from __future__ import annotations

import base64
import html
import re

from lessons.book.execute import ANSI, ROOT

STARTS = "start_lesson("
FINISHES = "lesson.finish("
MAX_PANEL_TITLES = 4


def clean_stream(text):
    """Terminal text as a reader saw it: colours removed, each carriage-return line keeps its last state."""
    text = ANSI.sub("", text)
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def merged(outputs):
    """The outputs with consecutive pieces of one stream (stdout or stderr) joined into one."""
    out = []
    for o in outputs:
        if o.get("output_type") == "stream" and out and out[-1].get("output_type") == "stream" \
                and out[-1].get("name") == o.get("name"):
            out[-1] = {**out[-1], "text": out[-1]["text"] + o.get("text", "")}
        else:
            out.append(dict(o))
    return out


def shown_outputs(cell, made_figures):
    """The outputs of ``cell`` the page shows: streams merged, the banner dropped, and no inline
    image for a cell whose figures are shown from their files."""
    outputs = merged(cell.get("outputs", []))
    if STARTS in cell.source:
        outputs = [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stdout")]
    if made_figures:
        outputs = [o for o in outputs if "image/png" not in o.get("data", {})]
    return outputs


def is_finish_cell(cell):
    return cell.cell_type == "code" and FINISHES in cell.source


def scrub_paths(text, figure_dir, figure_href):
    """The builder's folders out of printed text: the figure folder as the page names it, the repository dropped."""
    text = text.replace(figure_dir.rstrip("/") + "/", figure_href + "/").replace(figure_dir, figure_href)
    return text.replace(ROOT.rstrip("/") + "/", "")


def output_html(output, save_image, figure_dir, figure_href):
    """One nbformat output -> HTML. PNGs are written with ``save_image(bytes) -> relative src``."""
    kind = output.get("output_type")
    if kind == "stream":
        css = "stderr" if output.get("name") == "stderr" else "stdout"
        text = scrub_paths(clean_stream(output.get("text", "")), figure_dir, figure_href).strip("\n")
        return f'<pre class="output {css}">{html.escape(text)}</pre>' if text.strip() else ""
    if kind in ("display_data", "execute_result"):
        data = output.get("data", {})
        if "image/png" in data:
            src = save_image(base64.b64decode(data["image/png"]))
            return f'<figure><img src="{src}" alt="a figure drawn by this cell"></figure>'
        if re.fullmatch(r"'[^']*\.png'", data.get("text/plain", "")):
            return ""                                     # a figure's path, returned by plots: the figure shows
        if "text/plain" in data:                          # never text/html: it could load anything
            text = scrub_paths(data["text/plain"], figure_dir, figure_href)
            return f'<pre class="output result">{html.escape(text)}</pre>'
    return ""


def caption(filename, executed):
    """A figure's caption (plain text): the lesson's, else the titles drawn on it, else its name."""
    given = executed.captions.get(filename)
    if given:
        return str(given)
    drawn = executed.titles.get(filename) or {}
    if drawn.get("suptitle"):
        return drawn["suptitle"]
    titles = list(dict.fromkeys(drawn.get("titles") or []))      # once each, in panel order
    if titles:
        more = len(titles) - MAX_PANEL_TITLES
        return "; ".join(titles[:MAX_PANEL_TITLES]) + (f"; and {more} more panels" if more > 0 else "")
    return filename.rsplit(".", 1)[0].replace("_", " ")


def caption_html(text):
    """A caption as HTML: its $math$ typeset (matplotlib titles use it too), else plain text."""
    if "$" in text:
        from lessons.book.render import MathError, markdown_renderer
        try:
            return markdown_renderer().renderInline(text)
        except MathError:
            text = text.replace("$", "")
    return html.escape(text)


def figure_html(number, filename, figure_href, executed):
    text = caption(filename, executed)
    return (f'<figure id="figure-{number}"><img src="{figure_href}/{html.escape(filename)}" '
            f'alt="{html.escape(text.replace("$", ""))}"><figcaption><strong>Figure {number}.</strong> '
            f'{caption_html(text)}</figcaption></figure>')


def result_html(headline):
    """The closing result of a lesson (its headline), in place of the finish cell."""
    if not headline:
        return ""
    return f'<aside class="result"><strong>What this lesson measured.</strong> {html.escape(headline)}</aside>'
