"""The lessons' command lines and environment: a user's mistake exits 2 with one line before any lesson
runs; the BLAS thread policy is applied and said; a notebook shows the lesson's figures inline.

Subprocesses run with a clean CAE_LESSON_* environment. Nothing here times anything.
"""
import os
import subprocess
import sys

import pytest

import lessons.__main__ as runner
from cae_scratch import threads
from lessons._common import ENV, LESSON_THREADS, Lesson, _options_from_env
from test_threads import two_threads  # noqa: F401  (the fixture: two BLAS threads, one put back after)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(args, env=None):
    clean = {k: v for k, v in os.environ.items() if k not in ENV.values()}
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**clean, "PYTHONPATH": ROOT, "MPLBACKEND": "Agg", **(env or {})})


RUNNER_MISTAKES = {"--only xx": "'xx'", "--only ab": "'ab'", "--only 1x 02": "'1x'", "--only ²": "'²'",
                   "--only 99": "[99]", "--seed -1": "'-1'", "--seed seven": "'seven'",
                   "--backend array_api_strict:nodevice": "'array_api_strict:nodevice'",
                   "--threads 0": "'0'", "--threads two": "'two'"}


@pytest.mark.parametrize("args", RUNNER_MISTAKES)
def test_the_runner_refuses_a_mistake_with_one_line_before_any_lesson(args, tmp_path, capsys, monkeypatch):
    for variable in ENV.values():
        monkeypatch.delenv(variable, raising=False)
    try:                                                          # main() in this process
        code = runner.main(["--quick", *args.split(), "--out", str(tmp_path)])
    except SystemExit as e:                                       # argparse's own refusals
        code = e.code
    out, err = capsys.readouterr()
    assert code == 2, err[-2000:]
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert RUNNER_MISTAKES[args] in err, "the message names what was wrong"
    assert out == "" and not list(tmp_path.iterdir()), "nothing ran, nothing was written"


def test_the_runner_entry_point_refuses_a_mistake_with_one_line(tmp_path):
    """The same through ``python -m lessons`` (once: the parametrized test above calls its main())."""
    done = run(["-m", "lessons", "--quick", "--only", "ab", "--out", str(tmp_path)])
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "'ab'" in done.stderr and "Traceback" not in done.stderr and done.stdout == ""


def test_the_runner_refuses_an_out_that_cannot_be_a_folder(tmp_path):
    (tmp_path / "file").write_text("")
    done = run(["-m", "lessons", "--quick", "--out", str(tmp_path / "file" / "figures")])
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "--out" in done.stderr and "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize("args", [["--seed", "-1"], ["--backend", "array_api_strict:nodevice"], ["--threads", "0"]],
                         ids=" ".join)
def test_one_lesson_refuses_a_mistake_with_one_line(args, tmp_path):
    done = run(["lessons/00_introduction.py", "--quick", *args, "--out", str(tmp_path)])
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr and args[-1] in done.stderr and done.stdout == ""


@pytest.mark.parametrize("variable, value", [("seed", "-1"), ("seed", "1e3"), ("threads", "0"), ("threads", "all")])
def test_a_bad_variable_in_the_environment_exits_2(variable, value, tmp_path):
    done = run(["-c", "import runpy; runpy.run_path('lessons/00_introduction.py')"],
               env={ENV[variable]: value, ENV["out"]: str(tmp_path)})
    assert done.returncode == 2 and f"{ENV[variable]}={value!r}" in done.stderr and "Traceback" not in done.stderr


def test_only_is_checked_once_and_selects_in_order():
    lessons = runner.discover()
    assert runner.select(lessons, None) == lessons
    assert [n for n, _ in runner.select(lessons, [5, 0])] == [0, 5]
    with pytest.raises(ValueError, match=r"no lesson numbered \[77\]"):
        runner.select(lessons, [77, 0])


def test_the_runner_says_the_thread_count_it_chose(tmp_path):
    done = run(["-m", "lessons", "--quick", "--quiet", "--only", "00", "--out", str(tmp_path)])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[0].startswith(f"BLAS threads: {LESSON_THREADS} (the lessons' setting")
    asked = run(["-m", "lessons", "--quick", "--quiet", "--only", "00", "--threads", "2", "--out", str(tmp_path)])
    assert asked.returncode == 0 and asked.stdout.splitlines()[0].startswith("BLAS threads: 2 (as asked")


def test_a_lesson_sets_the_lessons_thread_count_and_default_leaves_it(two_threads, tmp_path):
    """start_lesson applies the policy wherever it runs (the book's kernels read only the environment)."""
    runner.run_lesson("00_introduction", quick=True, out_dir=str(tmp_path), quiet=True, threads=None)
    assert threads.blas_threads() == 2
    runner.run_lesson("00_introduction", quick=True, out_dir=str(tmp_path), quiet=True)
    assert threads.blas_threads() == LESSON_THREADS


def test_without_the_variable_a_kernel_gets_the_lessons_thread_count(monkeypatch):
    for variable in ENV.values():
        monkeypatch.delenv(variable, raising=False)
    assert _options_from_env()["threads"] == LESSON_THREADS
    monkeypatch.setenv(ENV["threads"], "default")
    assert _options_from_env()["threads"] is None


def test_the_runner_line_names_the_data_a_lesson_used(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(runner, "run_lesson", lambda name, *a: Lesson(name, "t", data="mnist-5k", headline="h"))
    assert runner.main(["--only", "00", "--quiet", "--out", str(tmp_path)]) == 0
    line = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("00_introduction  [")]
    assert len(line) == 1 and "data: mnist-5k; h" in line[0]


NOTEBOOK = [
    "from lessons._common import start_lesson\nlesson = start_lesson('00_introduction', 'T')",
    "from cae_scratch import plots\nplots.plot_tiles(__import__('numpy').eye(4), lesson.figure('a.png'))",
    "import os\nos.environ['CAE_LESSON_INLINE'] = '0'\nlesson = start_lesson('00_introduction', 'T')",
    "plots.plot_tiles(__import__('numpy').eye(4), lesson.figure('b.png'))",
]


def test_a_notebook_shows_each_figure_under_its_cell_and_no_warning(tmp_path):
    pytest.importorskip("nbclient")
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    from lessons.book.execute import this_python_kernel
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK])
    saved = {k: os.environ.get(k) for k in (*ENV.values(), "PYTHONPATH")}
    for variable in ENV.values():
        os.environ.pop(variable, None)
    os.environ.update({ENV["out"]: str(tmp_path), "PYTHONPATH": ROOT})
    try:
        km = KernelManager(kernel_name="python3", kernel_spec_manager=this_python_kernel())
        NotebookClient(nb, km=km, timeout=120, resources={"metadata": {"path": ROOT}}).execute()
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    images = [[o for o in c.outputs if "image/png" in o.get("data", {})] for c in nb.cells]
    assert [len(i) for i in images] == [0, 1, 0, 0], "shown once under the cell that drew it; not when asked off"
    assert not [o for o in nb.cells[0].outputs if o.get("name") == "stderr"], nb.cells[0].outputs
