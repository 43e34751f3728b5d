"""The book's pages as plain HTML5: one shared frame, the contents page, the exercises page.

No script, no web font, no stylesheet but the book's own ``book.css``: every page
opens offline, from a file:// URL, in any browser that draws MathML.
"""
from __future__ import annotations

import html
import os

from lessons.book.mathml import keep_punctuation_with_math
from lessons.book.render import highlight_python, markdown_renderer, render_markdown

HOW_TO_RUN = """
<h2 id="run">How to run the lessons (three ways)</h2>
<ol>
<li><strong>As a script</strong>, from the repository root:
<pre>python lessons/03_build_the_jacobian.py --quick --out runs/03   # options: --backend numpy|cupy, --seed N</pre>
It prints its title, what you will learn, every check, and where its figures went.</li>
<li><strong>Cell by cell</strong> in Jupyter or VS Code: every page offers its lesson as a notebook
(<code>.ipynb</code>, with the output of the run that built this book) and as the script it is. The
script is a jupytext "percent" file (<code># %%</code> cells): in VS Code, open it and press
<em>Run Cell</em>; in Jupyter, open it with jupytext (<code>pip install jupytext</code>, then
<em>Open With &rarr; Notebook</em>) or convert it:
<pre>jupytext --to notebook lessons/03_build_the_jacobian.py</pre>
With no arguments the options come from the environment: <code>CAE_LESSON_QUICK=1</code>,
<code>CAE_LESSON_BACKEND</code>, <code>CAE_LESSON_SEED</code>, <code>CAE_LESSON_OUT</code>.</li>
<li><strong>All of them</strong>, in order, with one summary line each:
<pre>python -m lessons --quick            # or: python -m lessons --only 03 05</pre></li>
</ol>
<p>Rebuild this book (it runs every lesson, cell by cell): <code>python -m lessons.book --out book --quick</code>
(drop <code>--quick</code> for the full sizes; add <code>--pdf</code> for <code>book.pdf</code>, the
whole book to print). Its tools are the optional extra <code>pip install -e ".[book]"</code>.</p>
"""

DERIVE_FALLBACK = ("Derive the gradient on paper first, as lessons 02 and 05 do: write the forward "
                   "computation, then apply the chain rule one stage at a time, and check the shapes.")


def frame(title, body, nav=""):
    """A whole page: head (the book's CSS only), a navigation bar, the body (inline math kept with the
    punctuation after it)."""
    body = keep_punctuation_with_math(body)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<link rel=\"stylesheet\" href=\"book.css\">\n</head>\n"
            f"<body>\n<nav class=\"top\">{nav}</nav>\n<main>\n{body}\n</main>\n"
            f"<nav class=\"bottom\">{nav}</nav>\n</body>\n</html>\n")


def lesson_nav(prev_page, next_page, notation=False):
    """Links: contents, the notation (when the book has it), the previous and the next page ((href, label) or None)."""
    links = ['<a href="index.html">Contents</a>'] + (['<a href="notation.html">Notation</a>'] if notation else [])
    if prev_page:
        links.append(f'<a href="{prev_page[0]}" rel="prev">&larr; {html.escape(prev_page[1])}</a>')
    if next_page:
        links.append(f'<a href="{next_page[0]}" rel="next">{html.escape(next_page[1])} &rarr;</a>')
    return " | ".join(links)


def plain_title(title):
    """A title for <title>: the markdown heading without its dollar signs."""
    return title.replace("$", "")


def index_page(entries, settings, notation=False):
    """The contents page. entries: dicts with href, number, title, description (markdown), seconds."""
    md = markdown_renderer()
    rows = "\n".join(
        f'<li><span class="num">{e["number"]:02d}</span> <a href="{e["href"]}">{md.renderInline(e["title"])}</a>'
        + (f'<br><span class="description">{md.renderInline(e["description"])}</span>' if e["description"] else "")
        + "</li>" for e in entries)
    notation_item = ('<li><span class="num">&#931;</span> <a href="notation.html">Notation: every symbol '
                     'of the book, once</a></li>' if notation else "")
    first = entries[0]["href"] if entries else "index.html"
    body = f"""
<h1>Contractive autoencoders from scratch: the book</h1>
<p>A read-along course: every lesson is a Python file that derives one piece of a contractive
autoencoder (CAE) step by step, computes it by hand in NumPy, and checks it against the library
and against finite differences. This book is those files, executed: prose, typeset math, the code,
what it printed, and the figures it drew.</p>
<h2>What to read first</h2>
<p>Start with <a href="{first}">the introduction</a>: what an autoencoder is, the manifold picture, what
"contractive" means, the penalty and its cost, and how a CAE differs from a denoising autoencoder. Then
read the lessons in order; each one builds on the previous ones. After lessons 02 and 05, try
<a href="exercises.html">the exercises</a>.</p>
<h2>Contents</h2>
<ul class="contents">
{rows}
<li><span class="num">&#9998;</span> <a href="exercises.html">Exercises: write the backward passes yourself</a></li>
{notation_item}
</ul>
{HOW_TO_RUN}
<p class="built">Built with {html.escape(settings)}.</p>
"""
    return frame("Contractive autoencoders from scratch: the book", body)


def exercises_page(exercises, template_dir, lesson_of=None):
    """The exercises page: how to copy and check, then each exercise with what to derive first and
    the lesson it practises (``lesson_of``: {exercise number: (lesson number, page href)})."""
    lesson_of = lesson_of or {}
    md = markdown_renderer()

    def prose(text):                 # the grader's texts are plain (terminal) text unless they hold $math$
        return md.renderInline(str(text)) if "$" in str(text) else html.escape(str(text))

    sections = []
    for ex in exercises:
        template = getattr(ex, "template", None) or getattr(ex, "filename", "")
        filename = os.path.basename(str(template))
        title = getattr(ex, "title", "") or ex.function
        derive = getattr(ex, "derive_first", "") or DERIVE_FALLBACK
        graded_by = getattr(ex, "graded_by", "")
        path = str(template) if os.path.isfile(str(template)) else os.path.join(template_dir, filename)
        code = ""
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                code = f"<details><summary>The template, {html.escape(filename)}</summary>" \
                       f"{highlight_python(f.read())}</details>"
        sections.append(f"""
<section class="exercise" id="exercise-{ex.number}">
<h2>Exercise {ex.number}: {prose(title)}</h2>
<p>Write <code>{html.escape(ex.function)}</code> in <code>{html.escape(filename)}</code>.{
    f' It practises <a href="{lesson_of[ex.number][1]}">lesson {lesson_of[ex.number][0]:02d}</a>.'
    if ex.number in lesson_of else ""}</p>
<p><strong>Derive first:</strong> {prose(derive)}</p>
{f"<p><strong>Graded by:</strong> {prose(graded_by)}</p>" if graded_by else ""}
<pre>python -m lessons.exercises copy {ex.number} mywork/
python -m lessons.exercises check {ex.number} mywork/{html.escape(filename)}</pre>
{code}
</section>""")
    body = f"""
<h1>Exercises: write the backward passes yourself</h1>
<p>Each exercise is a template: a function with its body removed. Copy it, derive the gradient on
paper, write it, and let the grader check it. The grader runs your file in a separate process and
compares your gradient with <em>central finite differences</em> of the forward loss, never with a
reference solution; it reports the relative error of each parameter and, when an answer is wrong,
a hint that names the likely mistake (a missing factor 2, one use of a tied W forgotten, ...).</p>
<pre>python -m lessons.exercises list              # the exercises
python -m lessons.exercises copy N [DIR]      # copy template N into DIR (default: here)
python -m lessons.exercises check N FILE      # grade FILE: exit status 0 pass, 1 fail, 2 cannot grade</pre>
{"".join(sections)}
"""
    return frame("Exercises", body, '<a href="index.html">Contents</a>')


def notation_page(markdown_text):
    """The notation page, rendered from lessons/notation.md."""
    md = markdown_renderer()
    body = f'<section class="prose">{render_markdown(md, markdown_text)}</section>'
    if "<h1" not in body:
        body = "<h1>Notation</h1>\n" + body
    return frame("Notation", body, '<a href="index.html">Contents</a>')
