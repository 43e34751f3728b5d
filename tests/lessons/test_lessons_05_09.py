"""Lessons 05-09 assert their claims in quick mode and write their figures.

Each check bounds the numbers a lesson reports in ``lesson.result`` (sanity bounds and the
values a derivation predicts, not hard-coded measurements); each would fail on a real bug:
a gradient path dropped, a checker that accepts a known-wrong gradient, an error model that
misplaces the best step, a penalty that does not contract, a backend that disagrees with NumPy.
The numpy run is the book build's (``lesson_run``, tests/conftest.py, which also checks every
figure is a drawn PNG); lessons 05 and 08 also run in this process on array_api_strict's
Device("device1"), which refuses implicit conversion to NumPy the way a GPU array does.
"""
import math

import pytest


def run(lesson_run, name, backend="numpy"):
    """The record of one quick run of a lesson that saves figures (see ``lesson_run``)."""
    record = lesson_run(name, backend)
    assert record["figures"], f"{name} saved no figure"
    return record


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict:device1"])
def test_05_both_paths_pass_and_every_bug_fails_with_its_predicted_error(lesson_run, backend):
    r = run(lesson_run, "05_backprop_the_penalty", backend)["result"]
    assert max(r["path_a_error"], r["path_q_error"], r["errors"]["hand-derived (both paths)"]) < 1e-7
    assert r["library_error"] < 1e-12 and r["pieces_error"] < 1e-12 and r["fused_error"] < 1e-10
    bugs = {k: v for k, v in r["errors"].items() if k != "hand-derived (both paths)"}
    assert len(bugs) == 5 and min(bugs.values()) > 1e-2
    assert r["errors"]["missing factor 2"] == pytest.approx(1 / 3, abs=1e-6)
    B = r["B"]
    assert r["errors"]["batch sum, not mean"] == pytest.approx((B - 1) / (B + 1), abs=1e-6)
    assert abs(r["jT1_value"] - r["penalty_value"]) > 1e-3 * r["penalty_value"]


def test_06_error_model_predicts_the_best_step(lesson_run):
    r = run(lesson_run, "06_check_gradients_as_a_method")["result"]
    best, pred = r["best"], r["predicted_h"]
    assert best["central, float64"][0] < 1e-9 < best["forward, float64"][0]
    assert best["central, float32"][0] > 100 * best["central, float64"][0]
    for rule in ("central", "forward"):                   # the measured best h within 10x of the formula
        assert 0.1 < best[f"{rule}, float64"][1] / pred[rule] < 10
    assert pred["central"] > 10 * 2.2e-16 ** (1 / 3)      # the loss's scale moves it off eps^(1/3)
    s = r["slopes"]
    assert s["central truncation"] == pytest.approx(2, abs=0.3)
    assert s["forward truncation"] == pytest.approx(1, abs=0.3)
    assert s["central rounding"] == pytest.approx(-1, abs=0.5)
    assert max(r["directional_correct"]) < 1e-7 < 1e-4 < min(r["directional_bug"])


def test_07_training_and_the_lam_trade_off(lesson_run):
    r = run(lesson_run, "07_train_a_cae_on_digits")["result"]
    assert r["adam_error"] < 1e-12
    assert r["after"]["reconstruction"] < 0.5 * r["before"]["reconstruction"]
    history = r["history"]
    assert history["epoch"] == list(range(1, len(history["epoch"]) + 1))
    assert history["total"][-1] < history["total"][0]
    assert all(math.isfinite(v) for v in history["total"])
    pen, rec, lams = r["test_penalty"], r["test_reconstruction"], r["lams"]
    assert lams[0] == 0.0 and pen[-1] < 0.5 * pen[0] and rec[-1] > rec[0]
    assert pen[0] > r["before"]["contractive"] > pen[-1]
    assert 0.5 < r["generalisation_gap"] < 1.5


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict:device1"])
def test_08_contraction_aligns_the_code_with_the_manifold(lesson_run, backend):
    r = run(lesson_run, "08_measure_what_contraction_buys", backend)["result"]
    assert r["tangent_error"] < 1e-6 and r["svd_error"] < 1e-8
    angles, chance = r["angles"], r["chance_angle"]
    assert 80 < chance < 90                               # a random direction in R^100
    assert angles["CAE"] < angles["AE"] - 15 and angles["CAE"] < chance - 15
    assert angles["CAE"] < angles["DAE"]
    norms = r["jacobian_norms"]
    assert norms["CAE"] < norms["DAE"] < norms["AE"]
    assert r["along_across"]["CAE"] > 1.5 * r["along_across"]["AE"] > 1.5
    sampled, closed = r["noise_identity"]
    assert sampled == pytest.approx(closed, rel=0.05)
    ratios = r["shift_noise_ratios"]
    assert min(ratios["CAE"]) > 1.2 and all(c > 1.2 * a for c, a in zip(ratios["CAE"], ratios["AE"]))


def test_09_other_backend_matches_numpy_and_says_when_cupy_is_missing(lesson_run):
    record = run(lesson_run, "09_run_on_cupy")
    r = record["result"]
    parity = r["parity"]
    assert parity["initial W"] == 0.0 and max(parity["loss"], parity["gradients"]) < 1e-10
    assert parity["W after 2 epochs"] < 1e-8
    assert r["float32_loss_difference"] < 1e-5 and r["float32_grad_difference"] < 1e-4
    sizes, times = r["sizes"], r["step_seconds"]
    assert all(len(ts) == len(sizes) for ts in times.values())
    assert set(times) == {"numpy float64", "numpy float32", f"{r['other_backend'].split(':')[0]} float64",
                          f"{r['other_backend'].split(':')[0]} float32"}
    if r["cupy_usable"]:
        assert r["other_backend"] == "cupy" and r["refused"] is not None
    else:
        assert "CuPy is not usable" in record["headline"] and r["other_backend"] == "array_api_strict:device1"
        assert r["refused"] is not None                   # the stand-in refused np.asarray like a GPU array
