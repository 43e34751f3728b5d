"""Lessons 01-04: each runs (quick) once in process through ``run_lesson``, its numbers are sane and its
figures are PNGs. (The literate shape of every lesson and its run as a script are ``test_runner.py``'s;
its run as a notebook, cell by cell, is the book build's, ``test_book.py``.)

The numbers are checked against bounds that follow from the math each lesson
derives (a gradient check passes below 1e-7, a forgotten 1/B gives exactly
(B-1)/(B+1), sum of sigma_i^2 = ||J||_F^2, the explicit Jacobian needs n_visible
times the memory of the closed form, ...), never against hard-coded answers, and
never against timings. Lessons 01, 03 and 04 also run on array_api_strict's
Device("device1"), which refuses implicit NumPy conversion as a GPU array does.
"""
import math
import os

import pytest

from lessons.__main__ import run_lesson

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIGURES = {
    "01_run_the_forward_pass": {"before_training.png", "filters.png"},
    "02_backprop_the_reconstruction": {"reconstruction_error.png", "dL_dz.png",
                                       "backprop_vs_finite_differences.png", "training_step_graph.png"},
    "03_build_the_jacobian": {"jacobian.png", "jacobian_rows.png"},
    "04_compute_the_penalty": {"penalty_cost.png", "penalty_per_example.png", "penalty_a_path.png"},
}


def check_01(r):
    n_h = r["n_hidden"]
    assert r["forward_error"] < 1e-12
    assert r["n_params_tied"] == n_h * 64 + n_h + 64
    assert r["n_params_untied"] == r["n_params_tied"] + 64 * n_h
    assert r["bce_half"] == pytest.approx(64 * math.log(2), rel=1e-12)
    assert r["bce_library"] == pytest.approx(r["bce_untrained"], rel=1e-9)
    assert 0 < r["bce_floor"] < r["bce_mean_image"] < r["bce_half"] < r["bce_untrained"]


def check_02(r):
    assert r["dZ_library_error"] < 1e-14 and r["dZ_error"] < 1e-7
    assert r["library_error"] < 1e-12 and r["finite_difference_error"] < 1e-7
    bugs = r["bug_errors"]
    assert len(bugs) == 3 and min(bugs.values()) > 1e-2
    B = r["B"]
    assert bugs["1/B forgotten"] == pytest.approx((B - 1) / (B + 1), abs=1e-6)


def check_03(r):
    s = r["singular_values"]
    assert r["fd_error"] < 1e-8 and r["library_error"] < 1e-12
    assert len(s) == r["n_hidden"] and all(a >= b >= 0 for a, b in zip(s, s[1:]))
    assert sum(v * v for v in s) == pytest.approx(r["frobenius_sq"], rel=1e-10)
    assert r["penalty_library"] == pytest.approx(r["frobenius_sq"], rel=1e-10)
    assert r["speed_top"] == pytest.approx(s[0], rel=1e-6)
    assert r["speed_null"] < 1e-6 * s[0]
    assert 0 < r["d1_max"] <= 0.25


def check_04(r):
    assert r["closed_vs_explicit"] < 1e-12
    assert r["penalty_library"] == pytest.approx(r["penalty_closed"], rel=1e-12)
    assert len(r["sizes"]) == len(r["time_closed"]) == len(r["time_explicit"]) == len(r["memory_closed_mb"])
    for n, mc, me in zip(r["sizes"], r["memory_closed_mb"], r["memory_explicit_mb"]):
        assert n / 2 < me / mc <= n                         # the explicit Jacobian costs ~n_visible times more
    for me_measured, me in zip(r["measured_explicit_mb"], r["memory_explicit_mb"]):
        assert me_measured is None or me_measured >= me     # J must really have been allocated
    assert r["linear_penalty"] == pytest.approx(r["weight_decay"], rel=1e-12)
    assert r["linear_penalty_others"] == pytest.approx(r["weight_decay"], rel=1e-12)
    assert r["linear_grad_error"] < 1e-14
    assert 0 < r["sigmoid_max_per_example"] <= r["weight_decay"] / 16


CHECKS = {"01_run_the_forward_pass": check_01, "02_backprop_the_reconstruction": check_02,
          "03_build_the_jacobian": check_03, "04_compute_the_penalty": check_04}
OFF_HOST = ["01_run_the_forward_pass", "03_build_the_jacobian", "04_compute_the_penalty"]


def run_and_check(name, tmp_path, backend):
    lesson = run_lesson(name, backend=backend, quick=True, seed=0, out_dir=str(tmp_path), quiet=True)
    assert lesson.quick and lesson.backend == backend and lesson.headline
    CHECKS[name](lesson.result)
    assert {os.path.basename(f) for f in lesson.figures} == FIGURES[name]
    for path in lesson.figures:
        assert os.path.dirname(path) == str(tmp_path)
        with open(path, "rb") as f:
            assert f.read(8) == PNG_MAGIC, path
        assert os.path.getsize(path) > 10_000, path          # a drawn figure, not an empty canvas


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_lesson_runs_and_its_numbers_are_sane(name, tmp_path):
    run_and_check(name, tmp_path, "numpy")


@pytest.mark.parametrize("name", OFF_HOST)
def test_lesson_runs_off_host(name, tmp_path):
    run_and_check(name, tmp_path, "array_api_strict:device1")

