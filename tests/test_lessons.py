"""Every lesson runs with quick=True, returns sane numbers, and writes its figures as PNG files.

Lessons are discovered on disk (lessons/NN_*.py), so a new lesson is tested
as soon as it exists. Checks are sanity bounds on the returned numbers, not
hard-coded answers. Every lesson of this file's CHECKS also runs on
array_api_strict's Device("device1"), which refuses implicit NumPy
conversion like a GPU array (their figures are drawn from host copies).
"""
import importlib
import os
import re
import subprocess
import sys

import pytest

from lessons.__main__ import discover

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LESSONS = discover()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(name, out_dir, backend="numpy"):
    module = importlib.import_module(f"lessons.{name}")
    return module.main(backend=backend, quick=True, seed=0, out_dir=str(out_dir))


# ---- per-lesson sanity checks on the returned numbers ---------------------------------------------
def check_01(r):
    assert r["forward_error"] < 1e-12
    assert r["bce_untrained"] > r["bce_mean_image"] > 0
    assert r["n_params_untied"] > r["n_params_tied"] > 0


def check_02(r):
    assert r["library_error"] < 1e-12 and r["dZ_error"] < 1e-7 and r["finite_difference_error"] < 1e-7
    assert min(r["bug_errors"].values()) > 1e-2


def check_03(r):
    assert r["fd_error"] < 1e-8 and r["library_error"] < 1e-12
    assert r["frobenius_sq"] > 0 and r["singular_values"][0] >= r["singular_values"][-1] >= 0


def check_04(r):
    assert r["closed_vs_explicit"] < 1e-12
    assert all(me > mc for me, mc in zip(r["memory_explicit_mb"], r["memory_closed_mb"]))
    assert all(t > 0 for t in r["time_closed"] + r["time_explicit"])
    assert r["linear_penalty"] == pytest.approx(r["weight_decay"], rel=1e-12)


def check_05(r):
    assert max(r["path_a_error"], r["path_q_error"], r["errors"]["hand-derived (both paths)"]) < 1e-7
    bugs = {k: v for k, v in r["errors"].items() if k != "hand-derived (both paths)"}
    assert len(bugs) >= 4 and min(bugs.values()) > 1e-2
    assert r["errors"]["missing factor 2"] == pytest.approx(1 / 3, abs=1e-6)


def check_06(r):
    best = r["best"]
    assert best["central, float64"][0] < 1e-9 < best["forward, float64"][0]
    assert best["central, float32"][0] > best["central, float64"][0]
    assert max(r["directional_correct"]) < 1e-7 < min(r["directional_bug"])


def check_07(r):
    assert r["after"]["total"] < r["before"]["total"]
    assert r["history"]["total"][-1] < r["history"]["total"][0]
    assert r["test_penalty"][-1] < r["test_penalty"][0] and r["test_reconstruction"][-1] > r["test_reconstruction"][0]


def check_09(r):
    assert r["float32_loss_difference"] < 1e-5 and r["float32_grad_difference"] < 1e-4
    assert all(t > 0 for t in r["step_seconds"].values())
    if r["cupy_usable"] or r["other_backend"]:
        assert r["parity"] < 1e-10
    else:
        assert "CuPy not usable" in r["headline"]


CHECKS = {1: check_01, 2: check_02, 3: check_03, 4: check_04, 5: check_05, 6: check_06, 7: check_07, 9: check_09}


def assert_result(number, result, out_dir):
    assert isinstance(result["headline"], str) and result["headline"].strip()
    assert "\n" not in result["headline"]
    assert result["figures"], "every lesson saves at least one figure"
    for path in result["figures"]:
        assert os.path.abspath(path).startswith(str(out_dir)), f"{path} is not under out_dir"
        with open(path, "rb") as f:
            assert f.read(8) == PNG_MAGIC, f"{path} is not a PNG file"
    if number in CHECKS:
        CHECKS[number](result)


@pytest.mark.parametrize("number, name", LESSONS, ids=[n for _, n in LESSONS])
def test_lesson_runs_quick_on_numpy(tmp_path, number, name):
    assert_result(number, run(name, tmp_path), tmp_path)


DEVICE1 = [(n, name) for n, name in LESSONS if n in CHECKS]


@pytest.mark.parametrize("number, name", DEVICE1, ids=[n for _, n in DEVICE1])
def test_lesson_runs_quick_off_host(tmp_path, number, name):
    """array_api_strict:device1 refuses implicit NumPy conversion: a stray np.* call on device data fails here."""
    assert_result(number, run(name, tmp_path, backend="array_api_strict:device1"), tmp_path)


# ---- the course as a whole -------------------------------------------------------------------------
def test_lesson_numbering_has_no_gaps():
    numbers = [n for n, _ in LESSONS]
    assert numbers == list(range(1, len(numbers) + 1)), (
        f"lesson numbers {numbers} have a gap or a duplicate: expected 01..{len(numbers):02d}")


@pytest.mark.parametrize("number, name", LESSONS, ids=[n for _, n in LESSONS])
def test_lesson_file_follows_the_convention(number, name):
    """NN_verb_phrase.py; a docstring saying what you do, learn, need, and how to run it; # %% cells; main()."""
    assert re.fullmatch(r"\d\d_[a-z0-9]+(_[a-z0-9]+)+", name)
    module = importlib.import_module(f"lessons.{name}")
    doc = module.__doc__ or ""
    for part in ("What you will do", "What you will learn", "What you need", f"python lessons/{name}.py"):
        assert part in doc, f"{name}'s docstring lacks {part!r}"
    assert "# %%" in open(module.__file__).read()
    assert callable(module.main)


def test_a_lesson_runs_as_a_file(tmp_path):
    """`python lessons/NN_name.py --quick --out DIR` works from any directory (the file finds the package)."""
    name = LESSONS[0][1]
    done = subprocess.run([sys.executable, os.path.join(ROOT, "lessons", f"{name}.py"), "--quick", "--out", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert any(p.endswith(".png") for p in os.listdir(tmp_path))


def runner(*args):
    return subprocess.run([sys.executable, "-m", "lessons", *args], cwd=ROOT, capture_output=True, text=True)


def test_runner_runs_selected_lessons(tmp_path):
    done = runner("--quick", "--quiet", "--only", "01", "02", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("2/2 lessons ran in")
    for (number, name), line in zip(LESSONS[:2], lines):
        assert line.startswith(name) and os.path.join(str(tmp_path), name) in line
        assert any(f.endswith(".png") for f in os.listdir(tmp_path / name))


def test_runner_reports_failures_and_bad_arguments(tmp_path):
    failed = runner("--quick", "--quiet", "--only", "01", "--backend", "no_such_backend", "--out", str(tmp_path))
    assert failed.returncode == 1 and "FAILED" in failed.stdout and "unknown backend" in failed.stderr
    assert runner("--only", "99").returncode == 2


def test_runner_without_a_gpu_says_how_to_get_cupy():
    import cae_scratch as cs
    if cs.cupy_usable():
        pytest.skip("CuPy works here")
    done = runner("--quick", "--backend", "cupy")
    assert done.returncode == 2 and "cupy-cuda12x" in done.stderr
