"""The book's parts, each without building the book: outputs, answers, titles, notebooks, the PDF's
page count, the folder lock, a lesson's record, and a build with a gap in the lesson numbers (kernels
replaced by a fake)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def test_consecutive_pieces_of_one_stream_are_one_box():
    from lessons.book.outputs import merged
    pieces = [stream("   lam  bce\n"), stream("     0  18.7\n"), stream("     1  21.7\n"),
              stream("warn\n", "stderr"), stream("after\n")]
    out = merged(pieces)
    assert [o["name"] for o in out] == ["stdout", "stderr", "stdout"]
    assert out[0]["text"] == "   lam  bce\n     0  18.7\n     1  21.7\n"
    assert pieces[0]["text"] == "   lam  bce\n"                         # the notebook's outputs are untouched


def test_the_banner_cell_shows_code_and_no_banner_and_figures_show_once():
    import nbformat
    from lessons.book.outputs import shown_outputs
    start = nbformat.v4.new_code_cell("lesson = start_lesson('x', 'X')")
    start.outputs = [stream("=====\nX\n=====\nYou will learn:\n"), stream("oops\n", "stderr")]
    assert [o["name"] for o in shown_outputs(start, [])] == ["stderr"]
    plot = nbformat.v4.new_code_cell("plots.plot(...)")
    plot.outputs = [{"output_type": "display_data", "data": {"image/png": "AAAA"}, "metadata": {}}]
    assert shown_outputs(plot, ["a.png"]) == [] and len(shown_outputs(plot, [])) == 1


def test_printed_paths_of_the_builder_are_scrubbed():
    from lessons.book.execute import ROOT as REPO
    from lessons.book.outputs import output_html
    text = f"Figures (2) are in /tmp/b/figures/07/: a.png\n{REPO}/cae_scratch/x.py:3: Warning\n"
    html = output_html(stream(text), None, "/tmp/b/figures/07", "figures/07")
    assert "/tmp/b" not in html and REPO not in html
    assert "figures/07/: a.png" in html and "cae_scratch/x.py:3" in html


def test_a_caption_is_the_lessons_else_the_drawn_titles_else_the_name():
    from lessons.book.execute import ExecutedLesson
    from lessons.book.outputs import caption
    ex = ExecutedLesson("x", None, captions={"a.png": "Left: what to see."},
                        titles={"a.png": {"suptitle": "S", "titles": []}, "b.png": {"suptitle": "S", "titles": []},
                                "c.png": {"suptitle": "", "titles": ["p1", "p2", "p1", "p3", "p4", "p5", "p6"]}})
    assert caption("a.png", ex) == "Left: what to see."
    assert caption("b.png", ex) == "S"
    assert caption("c.png", ex) == "p1; p2; p3; p4; and 2 more panels"
    assert caption("loss_curve.png", ex) == "loss curve"


QUESTIONS = """## Questions

**Question 1.** Why?

> **Question 2.** How,
> exactly?

More prose."""
ANSWERS = """## Answers and what comes next

**1.** Because.

**Answer 2.** Like this:
$$x = 1$$

Next: lesson 03."""


def test_each_answer_moves_under_its_question_folded():
    from lessons.book.questions import pair_answers
    (questions, answers), unpaired = pair_answers([QUESTIONS, ANSWERS])
    assert unpaired == []
    assert questions.count('<details class="answer">') == 2 and "open" not in questions
    assert questions.index("Why?") < questions.index("Because.") < questions.index("How,")
    assert questions.index("exactly?") < questions.index("Like this:") < questions.index("More prose.")
    assert "$$x = 1$$" in questions
    assert "Answers" not in answers and "Because" not in answers
    assert answers.startswith("## What comes next") and "Next: lesson 03." in answers


def test_unpaired_questions_leave_the_lesson_as_written():
    from lessons.book.questions import pair_answers
    sources = [QUESTIONS + "\n\n**Question 3.** And?", ANSWERS]
    out, unpaired = pair_answers(sources)
    assert out == sources and unpaired == [3]


def test_every_lesson_pairs_its_questions_with_answers():
    from lessons.__main__ import discover
    from lessons.book.execute import read_lesson
    from lessons.book.questions import QUESTION, pair_answers
    for _, name in discover():
        sources = [c.source for c in read_lesson(name).cells if c.cell_type == "markdown"]
        out, unpaired = pair_answers(sources)
        asked = sum(len(QUESTION.findall(s)) for s in sources)
        assert unpaired == [], f"{name}: questions and answers unpaired: {unpaired}"
        assert sum(s.count("<details") for s in out) == asked, name


@pytest.mark.parametrize("heading, h1, title", [
    ("Lesson 00: what a contractive autoencoder is, and why", "Lesson 00: What a contractive autoencoder is, and why",
     "What a contractive autoencoder is, and why"),
    ("Lesson 05 - Backprop the penalty", "Lesson 05: Backprop the penalty", "Backprop the penalty"),
    ("Sampling from a CAE", "Lesson 14: Sampling from a CAE", "Sampling from a CAE")])
def test_one_title_style(heading, h1, title):
    from lessons.book.render import normalized_title
    number = int(h1.split()[1][:2])
    assert normalized_title(heading, number) == (h1, title)


def test_a_lessons_description_is_its_summary_line_else_its_first_sentence():
    import nbformat
    from lessons.book.render import first_sentence
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# Lesson 03\n\nThe Jacobian $J = \\operatorname{diag}(s'(a)) W$. measures, e.g. here. Then more.")])
    assert first_sentence(nb) == "The Jacobian $J = \\operatorname{diag}(s'(a)) W$. measures, e.g. here."
    nb.cells[0].source += "\n<!-- summary: what J is, and why it is cheap -->"
    assert first_sentence(nb) == "what J is, and why it is cheap"


def test_the_notebook_download_is_valid_nbformat_with_outputs(tmp_path):
    import nbformat
    from lessons.book.download import write_downloads
    from lessons.book.execute import read_lesson
    nb = read_lesson("03_build_the_jacobian")
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
    links = write_downloads(str(tmp_path), "03_build_the_jacobian", nb)
    assert [href for href, _ in links] == ["download/03_build_the_jacobian.ipynb", "download/03_build_the_jacobian.py"]
    back = nbformat.read(str(tmp_path / links[0][0]), as_version=4)
    nbformat.validate(back)
    assert back.metadata.kernelspec.name == "python3"
    assert any(o.get("text") == "ran\n" for c in back.cells if c.cell_type == "code" for o in c.outputs)
    with open(os.path.join(ROOT, "lessons", "03_build_the_jacobian.py"), encoding="utf-8") as f:
        assert (tmp_path / links[1][0]).read_text(encoding="utf-8") == f.read()


def test_the_page_count_counts_page_objects_not_the_page_tree():
    from lessons.book.pdf import count_pages
    pdf = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
           b"2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >> endobj\n"
           b"3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n4 0 obj <</Type/Page/Parent 2 0 R>> endobj\n"
           b"5 0 obj << /Type /Page\n/Parent 2 0 R >> endobj\n")
    assert count_pages(pdf) == 3
    assert count_pages(pdf.replace(b"/Type /Page /Parent", b"/Type /PageLabel /Parent")) == 2


def test_a_second_build_into_a_locked_folder_exits_2_at_once(tmp_path):
    from lessons.book import BookLocked, book_lock
    with book_lock(str(tmp_path)):
        with pytest.raises(BookLocked, match="another"):
            with book_lock(str(tmp_path)):
                pass
        done = subprocess.run([sys.executable, "-m", "lessons.book", "--out", str(tmp_path), "--only", "00"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 2 and "another" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "index.html").exists() and not (tmp_path / "figures").exists()
    with book_lock(str(tmp_path)):                      # released: the next build may go on
        pass


def test_pdf_without_chromium_exits_2_before_any_work(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lessons.book", "--out", str(tmp_path / "b"), "--pdf"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": ROOT, "PATH": os.path.dirname(sys.executable)})
    assert done.returncode == 2 and "Chromium" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "b").exists()


@pytest.fixture
def fake_execution(monkeypatch):
    """execute_lesson replaced: the lesson's notebook as read, no kernel, a made-up headline."""
    import lessons.book.execute as execute
    from lessons.book.execute import ExecutedLesson, read_lesson

    def fake(name, figure_dir, quick=True, backend="numpy", seed=0, timeout=900):
        os.makedirs(figure_dir, exist_ok=True)
        return ExecutedLesson(name, read_lesson(name), title=name, headline=f"{name} ran", seconds=0.1)
    monkeypatch.setattr(execute, "execute_lesson", fake)


def test_a_gap_in_the_lesson_numbers_and_a_notation_page(tmp_path, monkeypatch, fake_execution):
    import lessons.book as book
    notation = tmp_path / "notation.md"
    notation.write_text("# Notation\n\n| symbol | means |\n|---|---|\n| $q_k$ | $\\sum_j W_{kj}^2$ |\n")
    monkeypatch.setattr(book, "NOTATION", str(notation))
    out = tmp_path / "book"
    report = book.build(str(out), only={0, 2, 5}, log=lambda *a, **k: None)
    names = ["00_introduction", "02_backprop_the_reconstruction", "05_backprop_the_penalty"]
    assert report["pages"] == ["index.html", *(f"{n}.html" for n in names), "exercises.html", "notation.html"]
    second = (out / f"{names[1]}.html").read_text()
    assert f'href="{names[0]}.html" rel="prev"' in second and f'href="{names[2]}.html" rel="next"' in second
    assert 'href="notation.html"' in second and 'href="notation.html"' in (out / "index.html").read_text()
    assert "<math" in (out / "notation.html").read_text() and "$" not in (out / "notation.html").read_text()
    assert 'href="exercises.html#exercise-3"' in (out / f"{names[2]}.html").read_text()
    exercises = (out / "exercises.html").read_text()
    assert f'It practises <a href="{names[2]}.html">lesson 05</a>' in exercises
    assert "It practises <a href=\"10_" not in exercises    # a lesson not in this book is not linked
    monkeypatch.setattr(book, "NOTATION", str(tmp_path / "absent.md"))
    report = book.build(str(tmp_path / "b2"), only={0}, log=lambda *a, **k: None)
    assert "notation.html" not in report["pages"]
    assert 'href="notation.html"' not in (tmp_path / "b2" / "index.html").read_text()


def test_a_caption_typesets_its_math_and_never_shows_raw_dollars():
    from lessons.book.outputs import caption_html
    assert "<math" in caption_html(r"error of $\|J\|_F$ vs lam") and "$" not in caption_html(r"$x$")
    assert caption_html(r"broken $\frac{$ x") == r"broken \frac{ x"
    assert caption_html("a < b") == "a &lt; b"


def test_a_lessons_record_is_plain_json_and_refuses_what_json_cannot_hold():
    import json
    from types import SimpleNamespace

    import numpy as np
    from lessons.book.execute import lesson_record
    lesson = SimpleNamespace(result={"error": np.float32(0.25), "n": np.int64(3), "curve": np.arange(3.0),
                                     "pair": (1, 2), "table": {"CAE": {"rec": 1.5}}},
                             figures=["/f/a.png"], title="T", headline="h", quick=True, backend="numpy", seed=0,
                             out="/f")
    record = json.loads(lesson_record(lesson))
    assert record["result"] == {"error": 0.25, "n": 3, "curve": [0.0, 1.0, 2.0], "pair": [1, 2],
                                "table": {"CAE": {"rec": 1.5}}}
    assert type(record["result"]["n"]) is int and record["figures"] == ["/f/a.png"] and record["title"] == "T"
    lesson.result["model"] = object()
    with pytest.raises(TypeError, match="holds a .object., which JSON cannot"):
        lesson_record(lesson)


def test_a_lesson_without_a_lesson_object_builds_its_page_and_records_why_it_has_no_record(tmp_path, monkeypatch):
    import lessons.book.execute as execute
    (tmp_path / "50_plain.py").write_text("# %% [markdown]\n# # Plain\n\n# %%\nx = 1\n")
    monkeypatch.setattr(execute, "LESSON_DIR", str(tmp_path))
    executed = execute.execute_lesson("50_plain", str(tmp_path / "figures"))
    assert executed.headline == "" and "NameError" in executed.record["error"] and "lesson" in executed.record["error"]


class _Factory:
    """The one method of pytest's tmp_path_factory that tests/_book_build.py uses."""
    def __init__(self, base):
        self.base = base

    def getbasetemp(self):
        return self.base


def test_the_suites_background_build_hands_over_its_report_or_its_failure(tmp_path, monkeypatch):
    """tests/_book_build.py: the readers get the report, a build's traceback, or word that it died."""
    import json

    import _book_build
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    for case in ("report", "error", "died"):
        factory = _Factory(tmp_path / case)
        factory.base.mkdir()
        folder = _book_build.shared_folder(factory)
        if case == "died":                                 # a finished, reaped process: no report will come
            gone = subprocess.Popen([sys.executable, "-c", "pass"])
            gone.wait()
            (folder / "started").write_text(str(gone.pid))
        else:
            (folder / "started").write_text(str(os.getpid()))
        if case == "report":
            (folder / "report.json").write_text(json.dumps({"pages": ["index.html"]}))
            assert _book_build.wait(factory) == (folder / "book", {"pages": ["index.html"]})
        elif case == "error":
            (folder / "error.txt").write_text("Traceback (most recent call last): boom")
            with pytest.raises(pytest.fail.Exception, match="boom"):
                _book_build.wait(factory)
        else:
            with pytest.raises(pytest.fail.Exception, match="died without a report"):
                _book_build.wait(factory)
