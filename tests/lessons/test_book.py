"""The book: built once (quick) per session, then every page opened in headless Chromium.

Each page must render (a body of real height, a screenshot that is not blank), have its
math typeset (MathML laid out as math, no raw ``$$`` or ``\\(`` left in the text), show
only images that exist on disk and loaded, fetch nothing but file: and data: URLs, and log
no console error. Chromium is Debian's ``chromium`` (``.ci/run`` installs it); without it
these tests skip, except under CI, where they fail.
"""
import os
import re
import subprocess
import sys
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


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """The quick book of every lesson on disk, built once for this module."""
    from lessons.book import build
    out = tmp_path_factory.mktemp("book")
    report = build(str(out), quick=True, log=lambda *a, **k: None)
    return out, report


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
    from lessons.__main__ import discover
    out, report = book
    expected = ["index.html"] + [f"{name}.html" for _, name in discover()] + ["exercises.html"]
    assert report["pages"] == expected
    assert all((out / page).is_file() for page in expected) and (out / "book.css").is_file()
    index = (out / "index.html").read_text()
    for page in expected[1:]:
        assert f'href="{page}"' in index


def test_every_page_renders_offline_in_chromium(book, browser, tmp_path):
    out, report = book
    for page in report["pages"]:
        url = (out / page).as_uri()
        seen = browser.open(url, PROBE)
        probe, where = seen["probe"], f"{page}:"
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


def test_lesson_pages_show_code_output_and_their_figures_inline(book):
    out, report = book
    for page in report["pages"][1:-1]:
        html = (out / page).read_text()
        assert 'class="highlight"' in html and 'class="output' in html, page
        name = page[:-len(".html")]
        for png in sorted((out / "figures" / name).glob("*.png")):
            assert f'src="figures/{name}/{png.name}"' in html, f"{page} does not show {png.name}"


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
                                          (["--only", "x"], "lesson numbers"),
                                          (["--out", "/dev/null/book"], "cannot create --out")])
def test_the_book_command_refuses_bad_options_with_status_2(argv, needle, tmp_path):
    done = subprocess.run([sys.executable, "-m", "lessons.book", "--out", str(tmp_path / "b"), *argv],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 2 and needle in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "b" / "index.html").exists()
