"""The book: built once (quick, with its PDF) per run in the background (the ``book`` fixture, tests/conftest.py,
and tests/_book_build.py; its run of each lesson is also the one the lessons' numeric tests check), then every
page opened in headless Chromium, one test per page.

Each page must render (a body of real height, a screenshot that is not blank), have its
math typeset (MathML laid out as math, no raw ``$$`` or ``\\(`` left in the text) and drawn as
TeX would (``MATH_PROBE``: no backslash left, big delimiters stretched, under-braces as wide as
their base with a readable label, display sums at display size, no punctuation wrapping alone
after inline math), keep its code within the page, show only images that exist on disk and
loaded, fetch nothing but file: and data: URLs, and log no console error. Chromium is Debian's
``chromium`` (``.ci/run`` installs it); without it these tests skip, except under CI, where they
fail. The math needs an OpenType MATH font (Debian's ``fonts-dejavu-extra``).
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from _chromium import Browser, find_chromium

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROBE = r"""JSON.stringify((() => {
  const prose = document.querySelector('main').cloneNode(true);      // the text a reader sees, minus code
  prose.querySelectorAll('pre, code, math').forEach(e => e.remove());
  const text = prose.textContent;
  const maths = Array.from(document.querySelectorAll('math'));
  return {
    text: text,
    height: document.body.scrollHeight,
    math: maths.length,
    math_laid_out: maths.filter(m => getComputedStyle(m).display.includes('math')
                                     && m.getBoundingClientRect().width > 0).length,
    images: Array.from(document.images).map(i => ({src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0})),
    fetched_refs: Array.from(document.querySelectorAll('[src], link[href], script, iframe, object, embed'))
        .map(e => e.getAttribute('src') || e.getAttribute('href') || e.getAttribute('data') || ''),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
  };
})())"""


MATH_PROBE = r"""JSON.stringify((() => {
  const problems = [], braces = [];
  const box = e => e.getBoundingClientRect();
  const size = e => parseFloat(getComputedStyle(e).fontSize);
  for (const m of document.querySelectorAll('math')) {
    if (m.textContent.includes('\\')) problems.push('raw LaTeX: ' + m.textContent.trim().slice(0, 60));
    const after = m.nextSibling;
    if (m.getAttribute('display') !== 'block' && after && after.nodeType === 3 && /^[,.;:!?]/.test(after.data)
        && !getComputedStyle(m.parentElement).whiteSpace.includes('nowrap'))
      problems.push('punctuation may wrap alone after: ' + m.textContent.trim().slice(0, 40));
  }
  for (const mo of document.querySelectorAll('math mo[minsize]')) {       // \big, \Big, ...: stretched
    const least = parseFloat(mo.getAttribute('minsize')) * size(mo), h = box(mo).height;
    if (h < 0.9 * least) problems.push(`delimiter ${mo.textContent} ${h.toFixed(1)}px < \\Big's ${least.toFixed(1)}px`);
    if (parseFloat(mo.getAttribute('minsize')) >= 1.3) {                 // \Big and up cover their row
      const others = Array.from(mo.parentElement.children).filter(e => !e.hasAttribute('minsize'));
      const tallest = Math.max(0, ...others.map(e => box(e).height));
      if (h < 0.85 * tallest) problems.push(`delimiter ${mo.textContent} ${h.toFixed(1)}px around ${tallest.toFixed(1)}px`);
    }
  }
  for (const mo of document.querySelectorAll('math mo')) {
    const text = mo.textContent.trim();
    if (text === '\u23DF') {           // \underbrace: the band its glyph is drawn in, under the whole base
      const base = box(mo.previousElementSibling), brace = box(mo), label = mo.parentElement.nextElementSibling;

      const below = label ? box(label).top : brace.bottom + 2;        // between the base and the label
      braces.push({x: base.left + scrollX, width: base.width, y: base.bottom + scrollY, height: below - base.bottom});
      if (label && (size(label) < 10 || size(label) < 0.6 * size(mo.closest('math'))))
        problems.push(`under-brace label at ${size(label)}px`);
    }
    if (text === '\u2211' && getComputedStyle(mo).getPropertyValue('math-style') === 'normal'
        && box(mo).height < 1.3 * size(mo))
      problems.push(`display sum ${box(mo).height.toFixed(1)}px at font ${size(mo)}px`);
  }
  const wide = Array.from(document.querySelectorAll('pre')).filter(p => p.scrollWidth > p.clientWidth + 1);
  if (wide.length) problems.push(`${wide.length} code blocks wider than the page`);
  if (document.documentElement.scrollWidth > window.innerWidth + 1) problems.push('the page scrolls sideways');
  return {problems: problems, braces: braces};
})())"""


def math_problems(seen):
    """MATH_PROBE's problems, and an under-brace drawn narrower than its base in the screenshot: Chromium
    reports a stretched operator's box at its unstretched size, so the ink is measured instead."""
    import io

    from PIL import Image
    probe = seen["probe"] if isinstance(seen["probe"], dict) else json.loads(seen["probe"][1])
    problems = list(probe["problems"])
    page = Image.open(io.BytesIO(seen["png"])).convert("L")
    for b in probe["braces"]:
        band = page.crop((round(b["x"]), round(b["y"]), round(b["x"] + b["width"]), round(b["y"] + b["height"])))
        inked = sum(1 for x in range(band.width) if min(band.getpixel((x, y)) for y in range(band.height)) < 128)
        if inked < 0.8 * band.width:
            problems.append(f"under-brace narrower than its base: {inked} of {band.width} px")
    return problems


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    executable = find_chromium()
    if executable is None:
        message = "no chromium: `apt-get install -y chromium` (.ci/run does)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    b = Browser(executable, str(tmp_path_factory.mktemp("chromium-profile")))
    yield b
    b.close()


def test_the_book_has_an_index_a_page_per_lesson_and_the_exercises(book):
    out, report = book
    expected = book_pages()
    assert report["pages"] == expected
    assert all((out / page).is_file() for page in expected) and (out / "book.css").is_file()
    index = (out / "index.html").read_text()
    for page in expected[1:]:
        assert f'href="{page}"' in index


def book_pages():
    """The pages the book must have: the index, one per lesson, the exercises (and the notation page)."""
    from lessons.__main__ import discover
    from lessons.book import NOTATION
    return (["index.html"] + [f"{name}.html" for _, name in discover()] + ["exercises.html"]
            + (["notation.html"] if os.path.isfile(NOTATION) else []))


@pytest.mark.parametrize("page", book_pages())                 # one test per page: they spread over workers
def test_every_page_renders_offline_in_chromium(book, browser, tmp_path, page):
    out, report = book
    assert page in report["pages"]
    url = (out / page).as_uri()
    seen = browser.open(url, f"JSON.stringify([{PROBE}, {MATH_PROBE}])")
    probe, where = json.loads(seen["probe"][0]), f"{page}:"
    assert math_problems(seen) == [], (where, math_problems(seen)[:10])
    assert probe["height"] > 300 and len(probe["text"]) > 200, where
    assert len(seen["png"]) > 10_000, f"{where} blank screenshot"
    (tmp_path / f"{page}.png").write_bytes(seen["png"])
    # math: typeset as MathML and laid out by the browser; no TeX left in the prose
    assert probe["math_laid_out"] == probe["math"], where
    if page.startswith("0") or page.startswith("1"):
        assert probe["math"] > 0, f"{where} a lesson without typeset math"
    assert "$$" not in probe["text"] and "\\(" not in probe["text"] and "\\[" not in probe["text"], where
    assert not re.search(r"\$[^$\n]{1,80}\$", probe["text"]), f"{where} raw inline math"
    # images: local files that exist and loaded
    for image in probe["images"]:
        src = image["src"]
        assert not urlparse(src).scheme and not src.startswith("//"), f"{where} remote image {src}"
        assert (out / unquote(src)).is_file() and image["loaded"], f"{where} missing image {src}"
    # nothing fetched from the network; nothing referenced that would be
    assert all(urlparse(r).scheme in ("file", "data") for r in seen["requests"]), (where, seen["requests"])
    for ref in probe["fetched_refs"]:
        assert not urlparse(ref).scheme or ref.startswith("data:"), f"{where} remote reference {ref}"
    for link in probe["links"]:                       # links between pages point at pages that exist
        if not urlparse(link).scheme and not link.startswith("#"):
            assert (out / link.split("#")[0]).is_file(), f"{where} broken link {link}"
    assert seen["failed"] == [] and seen["errors"] == [], (where, seen["failed"], seen["errors"])


FORMULAS = [r"\Big\|\frac{\partial^2 h}{\partial x^2}(x)\Big\|_F^2 = \sum_k s''(a_k)^2\, q_k^2",
            r"dW = \underbrace{dA^\top X}_\text{encoder use} + \underbrace{H^\top dZ}_\text{decoder use}",
            r"\Big(\frac{\partial P}{\partial W}\Big)_{\!q} = 2\,\operatorname{diag}\!\Big(\frac1B\sum_b s'(a_b)^2\Big) W",
            r"P = \frac{1}{B}\sum_{n=1}^{B}\sum_{k=1}^{n_h} s'(a_{nk})^2\, q_k"]


def formula_page(tmp_path, name, mathml, css):
    body = "".join(f'<div class="math-block">{m}</div>' for m in mathml)
    body += '<p>inline <math display="inline"><mi>q</mi></math>, then text.</p>'
    page = tmp_path / name
    page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{css}</style></head>'
                    f'<body><main>{body}</main></body></html>')
    return page.as_uri()


def test_the_math_probe_rejects_what_latex2mathml_and_a_plain_font_draw(browser, tmp_path):
    """A negative control: the converter's own MathML, in the browser's default font, fails every check of
    MATH_PROBE; the same formulas through the book's repair and stylesheet pass them all."""
    from latex2mathml.converter import convert
    from lessons.book import BOOK_DIR
    from lessons.book.mathml import keep_punctuation_with_math, math_to_mathml
    raw = math_problems(browser.open(formula_page(tmp_path, "raw.html", [convert(f, display="block") for f in FORMULAS],
                                                  ""), MATH_PROBE))
    for needle in ["raw LaTeX", "delimiter", "under-brace narrower", "display sum", "punctuation may wrap"]:
        assert any(p.startswith(needle) for p in raw), (needle, raw)
    css = (Path(BOOK_DIR) / "book.css").read_text()
    page = formula_page(tmp_path, "book.html", [math_to_mathml(f, True) for f in FORMULAS], css)
    Path(urlparse(page).path).write_text(keep_punctuation_with_math(Path(urlparse(page).path).read_text()))
    assert math_problems(browser.open(page, MATH_PROBE)) == []


def lesson_pages(report):
    return [p for p in report["pages"] if p[:2].isdigit()]


def test_lesson_pages_show_code_output_and_their_figures_inline(book):
    out, report = book
    for page in lesson_pages(report):
        html = (out / page).read_text()
        assert 'class="highlight"' in html and 'class="output' in html, page
        name = page[:-len(".html")]
        for png in sorted((out / "figures" / name).glob("*.png")):
            assert f'src="figures/{name}/{png.name}"' in html, f"{page} does not show {png.name}"
        for caption in re.findall(r"<figcaption>(.*?)</figcaption>", html, flags=re.S):
            assert re.fullmatch(r"<strong>Figure \d+\.</strong> \S.{3,}", caption, flags=re.S), (page, caption)


def test_a_page_shows_each_cells_output_in_one_box_without_banner_or_builder_paths(book):
    from lessons.book.execute import ROOT as REPO
    out, report = book
    for page in lesson_pages(report):
        html = (out / page).read_text()
        for cell in re.findall(r'<section class="cell">(.*?)</section>', html, flags=re.S):
            kinds = re.findall(r'<pre class="output (\w+)', cell)
            assert all(a != b for a, b in zip(kinds, kinds[1:])), f"{page}: one stream split into boxes"
        assert "You will learn:" not in html and "=" * 72 not in html, f"{page}: the banner"
        assert str(out) not in html and REPO not in html, f"{page}: the builder's folders"
        assert "lesson.finish(" not in html and html.count('<aside class="result">') == 1, page


def test_answers_are_folded_under_their_questions_and_the_lesson_links_its_exercise(book):
    from lessons.book import exercise_lessons
    from lessons.exercises.grader import EXERCISES
    out, report = book
    practise = exercise_lessons(EXERCISES.values())
    for page in lesson_pages(report):
        html = (out / page).read_text()
        asked = len(re.findall(r"<strong>Question \d+\.</strong>", html))
        assert asked and html.count('<details class="answer"><summary>Answer</summary>') == asked, page
        assert not re.search(r"<h2>Answers", html), f"{page}: an Answers section left"
        for number, _ in practise.get(int(page[:2]), []):
            assert f'href="exercises.html#exercise-{number}"' in html, page
    exercises = (out / "exercises.html").read_text()
    for number in EXERCISES:
        assert re.search(rf'id="exercise-{number}".*?It practises <a href="\d\d_\w+\.html">lesson \d\d</a>',
                         exercises, flags=re.S), number


def test_every_lesson_downloads_as_a_valid_notebook_and_a_script(book):
    import nbformat
    out, report = book
    for page in lesson_pages(report):
        name = page[:-len(".html")]
        html = (out / page).read_text()
        assert f'href="download/{name}.ipynb" download' in html and f'href="download/{name}.py" download' in html
        nb = nbformat.read(str(out / "download" / f"{name}.ipynb"), as_version=4)
        nbformat.validate(nb)
        assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{name}: no outputs"
        assert (out / "download" / f"{name}.py").read_text() == (Path(ROOT) / "lessons" / f"{name}.py").read_text()


def test_the_index_gives_one_line_per_lesson(book):
    out, report = book
    index = (out / "index.html").read_text()
    descriptions = re.findall(r'<span class="description">(.*?)</span></li>', index, flags=re.S)
    assert len(descriptions) == len(lesson_pages(report)) and all(len(d) > 20 for d in descriptions)


def test_the_pdf_holds_every_page_of_the_book(book):
    from lessons.book.pdf import count_pages
    out, report = book
    if "pdf" not in report:
        pytest.fail("no chromium: apt-get install -y chromium") if os.environ.get("CI") else pytest.skip("no chromium")
    path, pages = report["pdf"]
    data = Path(path).read_bytes()
    assert data.startswith(b"%PDF-") and count_pages(data) == pages
    trees = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
    assert trees and max(trees) == pages, "the page tree's root counts every page object"
    assert pages > len(report["pages"]), "every page of the book starts a sheet, and lessons run over several"


def test_the_exercises_page_says_how_to_copy_and_check_each(book):
    from lessons.exercises.grader import EXERCISES
    html = (book[0] / "exercises.html").read_text()
    for number in EXERCISES:
        assert f"python -m lessons.exercises copy {number}" in html
        assert f"python -m lessons.exercises check {number}" in html
    assert html.count("Derive first:") == len(EXERCISES)


def test_a_failing_cell_fails_the_build_naming_the_lesson_and_the_cell(tmp_path, monkeypatch):
    import lessons.book.execute as execute
    (tmp_path / "50_broken.py").write_text(
        "# %% [markdown]\n# # Broken\n\n# %%\nx = 1\n\n# %% [markdown]\n# Next, a mistake.\n\n"
        "# %%\ny = x / 0\n")
    monkeypatch.setattr(execute, "LESSON_DIR", str(tmp_path))
    with pytest.raises(execute.LessonCellError) as error:
        execute.execute_lesson("50_broken", str(tmp_path / "figures"))
    message = str(error.value)
    assert "lesson 50_broken failed in cell 4" in message and "line 11" in message
    assert "ZeroDivisionError" in message and "y = x / 0" in message


def test_math_that_cannot_be_typeset_is_an_error_that_quotes_it():
    from lessons.book.render import MathError, markdown_renderer
    md = markdown_renderer()
    assert "<math" in md.render(r"the closed form $\sum_k s'(a_k)^2 q_k$") and "$" not in md.render(r"$x^2$")
    assert "costs $5 and $6" in md.render("costs $5 and $6")     # money is not math
    from lessons.book.render import join_display_math
    formula = md.render(join_display_math("the two paths:\n$$a =\n+ b\n- c$$\nand the end"))
    assert "<ul>" not in formula and formula.count("<math") == 1 and "$" not in formula
    with pytest.raises(MathError, match=r"\\frac\{a\}"):
        md.render(r"broken $$\frac{a}{$$")
    with pytest.raises(MathError, match=r"unknown command \\foo"):
        md.render(r"an unknown $\foo x$")


@pytest.mark.parametrize("argv, needle", [(["--backend", "nosuch"], "nosuch"), (["--only", "99"], "no lesson"),
                                          (["--only", "x"], "not a lesson number"),
                                          (["--out", "/dev/null/book"], "cannot create --out")])
def test_the_book_command_refuses_bad_options_with_status_2(argv, needle, tmp_path):
    done = subprocess.run([sys.executable, "-m", "lessons.book", "--out", str(tmp_path / "b"), *argv],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 2 and needle in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "b" / "index.html").exists()
