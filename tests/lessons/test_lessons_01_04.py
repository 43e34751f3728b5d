"""Lessons 01-04: the numbers each records in ``lesson.result`` are sane, and its figures are PNGs.

The numpy/quick run is the book build's (``lesson_run``, tests/conftest.py: every lesson runs once per
mode); lessons 01, 03 and 04 also run in this process on array_api_strict's Device("device1"), which
refuses implicit NumPy conversion as a GPU array does. (The literate shape of every lesson and its run
as a script are ``test_runner.py``'s; the pages of the book, ``test_book.py``'s.)

The numbers are checked against bounds that follow from the math each lesson
derives (a gradient check passes below 1e-7, a forgotten 1/B gives exactly
(B-1)/(B+1), sum of sigma_i^2 = ||J||_F^2, the explicit Jacobian needs n_visible
times the memory of the closed form, ...), never against hard-coded answers, and
never against timings.
"""
import copy
import math
import os

import pytest

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


def run_and_check(lesson_run, name, backend):
    record = lesson_run(name, backend)
    CHECKS[name](record["result"])
    assert {os.path.basename(f) for f in record["figures"]} == FIGURES[name]


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_lesson_runs_and_its_numbers_are_sane(name, lesson_run):
    run_and_check(lesson_run, name, "numpy")


@pytest.mark.parametrize("name", OFF_HOST)
def test_lesson_runs_off_host(name, lesson_run):
    run_and_check(lesson_run, name, "array_api_strict:device1")


def test_the_checks_read_the_books_run_and_fail_on_a_wrong_number_or_a_missing_record(lesson_run, book,
                                                                                      monkeypatch):
    """A negative control: one number of the book's record nudged off its derived value fails the check;
    a PNG the lesson wrote without announcing it fails; a lesson the book did not record fails loudly
    instead of passing unchecked."""
    name, records = "02_backprop_the_reconstruction", book[1]["records"]
    stray = book[0] / "figures" / name / "stray.png"
    stray.write_bytes(b"\x89PNG\r\n\x1a\n")
    try:
        with pytest.raises(AssertionError, match="every PNG written was announced"):
            lesson_run(name)
    finally:
        stray.unlink()
    wrong = copy.deepcopy(records[name])
    wrong["result"]["bug_errors"]["1/B forgotten"] += 1e-3
    monkeypatch.setitem(records, name, wrong)
    with pytest.raises(AssertionError):
        run_and_check(lesson_run, name, "numpy")
    monkeypatch.setitem(records, name, {"error": "NameError: name 'lesson' is not defined"})
    with pytest.raises(pytest.fail.Exception, match="left no record: NameError"):
        lesson_run(name)
    monkeypatch.delitem(records, name)
    with pytest.raises(pytest.fail.Exception, match="recorded no run of 02_"):
        lesson_run(name)
