"""Every lesson on disk runs three ways, each once per mode, and reads as a literate lesson.

Parametrised over ``discover()``: a new lesson is tested as soon as it exists.
- as a notebook, cell by cell (jupytext + nbclient, as in Jupyter), with no arguments: the book build
  (the ``book`` fixture, tests/conftest.py) runs every lesson so; here each lesson's run there printed
  its title banner, what you will learn, where its figures go and its closing line, ran every code cell
  and wrote the figures it names as PNG. The lessons' numeric tests read the same run's record.
- as a script: ``python lessons/NN_x.py --quick --out DIR`` parses its options from argv, on one lesson
  (``SCRIPT_LESSON``: the options code is shared, ``lessons/_common.py``, so one lesson proves the path);
- from the runner: ``python -m lessons --quick --only 00``.
Bad options exit 2 with a message and no traceback.
"""
import os
import re
import subprocess
import sys

import pytest

from lessons.__main__ import discover

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LESSONS = [name for _, name in discover()]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MIN_WORDS = {"00_introduction": 600}
SCRIPT_LESSON = "01_run_the_forward_pass"      # a cheap lesson that draws figures


def run(args, **kwargs):
    env = {**os.environ, "PYTHONPATH": ROOT, "MPLBACKEND": "Agg"}
    for variable in ("CAE_LESSON_QUICK", "CAE_LESSON_BACKEND", "CAE_LESSON_SEED", "CAE_LESSON_OUT"):
        env.pop(variable, None)
    env.update(kwargs.pop("env", {}))
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=kwargs.pop("timeout", 600), **kwargs)


def prose_words(notebook):
    """Words of explanation in the markdown cells (formulas count as one word each)."""
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " formula ", text, flags=re.S)
    return len(re.findall(r"[A-Za-z][A-Za-z'-]*", text))


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_is_literate(name):
    """At least 8 cells, 4 of them prose, 400 words of explanation (600 for the introduction)."""
    import jupytext
    notebook = jupytext.read(os.path.join(ROOT, "lessons", f"{name}.py"))
    kinds = [c.cell_type for c in notebook.cells]
    assert len(kinds) >= 8 and kinds.count("markdown") >= 4 and kinds.count("code") >= 2, kinds
    assert kinds[0] == "markdown" and notebook.cells[0].source.lstrip().startswith("# "), "starts with a title"
    assert prose_words(notebook) >= MIN_WORDS.get(name, 400)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    assert any("start_lesson(" in c for c in code) and "lesson.finish(" in code[-1]
    assert "$$" in "".join(markdown), "a derivation in display math"
    if name != "00_introduction":                               # questions, answered at the end
        asked = max(i for i, m in enumerate(markdown) if "**Question" in m)
        answered = [i for i, m in enumerate(markdown) if "## Answers" in m]
        assert "".join(markdown).count("**Question") >= 2 and answered and answered[-1] > asked
        assert all("## Sources" not in m or i >= answered[-1] for i, m in enumerate(markdown)), "sources last"
    for text in code:                                           # cells run one by one: nothing hides in main()
        assert "def main(" not in text and "sys.path" not in text and "if __name__" not in text


def printed_figures(printed, out):
    """Check what a lesson prints in any mode (a title banner first, what you will learn, where its figures
    go); returns the figure files its closing line names (none if it names none)."""
    lines = printed.splitlines()
    assert lines[0] == "=" * 72 and lines[1].strip() and lines[2] == "=" * 72, "a title banner first"
    assert "You will learn:" in printed and f"figures go to {out}/" in printed
    named = re.search(r"Figures \((\d+)\) are in (.*)/: (.*)", printed)
    if named is None:
        return []
    files = named.group(3).split(", ")
    assert named.group(2) == str(out) and len(files) == int(named.group(1))
    return files


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_runs_as_a_notebook_cell_by_cell(name, book, lesson_run):
    """The book's run of the lesson (in a kernel, one cell at a time, options from the environment), read back
    from the notebook it saved; ``lesson_run`` checks each figure it announced is a drawn PNG, and no other."""
    import nbformat
    record = lesson_run(name)
    notebook = nbformat.read(str(book[0] / "download" / f"{name}.ipynb"), as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "every code cell ran"
    printed = "".join(o.get("text", "") for c in code for o in c.outputs if o.get("name") == "stdout")
    assert printed_figures(printed, record["out"]) == [os.path.basename(f) for f in record["figures"]]
    assert printed.splitlines()[1] == record["title"] and f"{record['title']}: {record['headline']}" in printed
    assert not [o for o in code[-1].outputs if o.get("output_type") == "execute_result"], "finish() shows no repr"


def test_a_lesson_runs_as_a_script(tmp_path):
    """Options from argv (``--quick``, ``--out``), on ``SCRIPT_LESSON``; every figure it names is a PNG."""
    out = tmp_path / "figures"
    done = run([f"lessons/{SCRIPT_LESSON}.py", "--quick", "--out", str(out)])
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Options: backend=numpy, quick=True, seed=0; figures go to {out}/" in done.stdout
    files = printed_figures(done.stdout, out)
    assert files, f"{SCRIPT_LESSON} names its figures"
    for f in files:
        assert (out / f).read_bytes()[:8] == PNG_MAGIC, f


def test_the_runner_runs_one_lesson(tmp_path):
    done = run(["-m", "lessons", "--quick", "--only", "00", "--out", str(tmp_path)])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "1/1 lessons ran" in done.stdout and f"(figures: {tmp_path}/00_introduction/)" in done.stdout
    assert (tmp_path / "00_introduction" / "manifold_directions.png").read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize("args", [["-m", "lessons", "--backend", "nosuch", "--quick"],
                                  ["lessons/00_introduction.py", "--backend", "nosuch", "--quick"]])
def test_an_unknown_backend_exits_2_with_a_message(args, tmp_path):
    done = run(args + ["--out", str(tmp_path)])
    assert done.returncode == 2
    assert "nosuch" in done.stderr and "numpy" in done.stderr and "Traceback" not in done.stderr


def test_a_bad_seed_in_the_environment_exits_2_with_a_message(tmp_path):
    done = run(["-c", "import runpy; runpy.run_path('lessons/00_introduction.py')"],
               env={"CAE_LESSON_SEED": "seven", "CAE_LESSON_OUT": str(tmp_path)})
    assert done.returncode == 2 and "CAE_LESSON_SEED='seven'" in done.stderr and "Traceback" not in done.stderr


def test_the_runner_refuses_an_unknown_lesson_number():
    done = run(["-m", "lessons", "--only", "77"])
    assert done.returncode == 2 and "no lesson numbered [77]" in done.stderr
