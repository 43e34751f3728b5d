"""Lessons 10 and 11 (CAE+H, stacked CAEs) assert their claims in quick mode and write their figures. Their
numpy runs are the book build's (``lesson_run``, tests/conftest.py, which also checks every figure is a drawn
PNG); lesson 12 has its own file (test_lesson_12.py). (Their literate shape and the script mode:
``test_runner.py``; their pages: ``test_book.py``.)

The bounds follow from the math each lesson derives (closed form = explicit tensor, gradient checks
below 1e-7 and known-wrong gradients above 1e-2, a Monte Carlo estimate whose bias matches Taylor's
sigma^2 K and whose spread falls like 1/sqrt(C), ||AB||_F <= ||A||_F ||B||_F, nested spans give
non-increasing angles), never hard-coded measurements and never timings. Lesson 10 also runs on
array_api_strict's Device("device1"), which refuses implicit NumPy conversion as a GPU array does.
"""
import os

import pytest

FIGURES = {
    "10_add_the_hessian_penalty": {"stochastic_limit.png", "curve.png", "contraction.png", "tangents.png"},
    "11_stack_contractive_autoencoders": {"cost.png", "spectrum.png"},
}


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict:device1"])
def test_10_hessian_closed_form_limit_and_effect(lesson_run, backend):
    record = lesson_run("10_add_the_hessian_penalty", backend)
    assert {os.path.basename(f) for f in record["figures"]} == FIGURES["10_add_the_hessian_penalty"]
    r = record["result"]
    assert r["explicit_error"] < 1e-12 and r["model_error"] < 1e-12 and r["slice_error"] < 1e-8
    assert max(r["s3_error"], r["s4_error"]) < 1e-8 and r["backward_error"] < 1e-12
    assert max(r["grad_error"], r["stochastic_grad_error"], r["total_error"]) < 1e-7
    assert r["stochastic_error"] < 1e-12
    assert min(r["no_q_error"], r["redrawn_error"]) > 1e-2      # the checker rejects both known-wrong gradients
    sigmas, bias = r["sigmas"], r["bias"]
    assert sigmas == sorted(sigmas, reverse=True)
    assert abs(bias[-1] - 1.0) < 0.03 and abs(bias[0] - 1.0) > 0.1   # -> the exact term as sigma -> 0
    assert all(0.7 < v < 1.3 for v in r["taylor_ratio"])             # the bias is Taylor's sigma^2 K
    cv = r["bias_control_variate"]
    assert all(abs(a - 1) <= abs(b - 1) + 1e-12 for a, b in zip(cv[1:], cv))   # shrinks with sigma
    assert r["copies"] == [1, 4, 16, 64] and -0.75 < r["slope"] < -0.25         # std ~ 1/sqrt(C)
    assert r["spread"][-1] < 0.5 * r["spread"][0]
    c, h = r["curve"]["CAE"], r["curve"]["CAE+H"]
    assert h["hessian"] < 0.5 * c["hessian"] and h["dJ"] < c["dJ"] and h["across"] < c["across"]
    hp, jn = r["hessian_penalty"], r["jacobian_norms"]
    assert hp["CAE+H"] < 0.5 * hp["CAE"]
    for name, curve in r["contraction"].items():
        assert curve[0] <= jn[name] / 8 * 1.001                   # Jensen: E||Ju|| <= ||J||_F / sqrt(64)
    assert all(a < b for a, b in zip(r["contraction"]["CAE+H"], r["contraction"]["CAE"]))
    assert r["gram_error"] < 1e-10


def test_11_stack_jacobian_no_closed_form_and_contraction(lesson_run):
    record = lesson_run("11_stack_contractive_autoencoders")
    assert {os.path.basename(f) for f in record["figures"]} == FIGURES["11_stack_contractive_autoencoders"]
    r = record["result"]
    assert r["library_error"] < 1e-12 and r["fd_error"] < 1e-8 and r["penalty_error"] < 1e-10
    assert r["diagonal_gap"] > 0.05 and r["orthogonal_gap"] < 1e-12    # cross terms matter, vanish if G = I
    assert r["exact_mean"] <= r["bound_mean"]
    assert all(fj == 64 * fe for fe, fj in zip(r["flops_encode"], r["flops_jacobian"]))
    assert set(r["seconds"]) == {"encode", "jacobian"}
    assert all(len(v) == len(r["depths"]) and min(v) > 0 for v in r["seconds"].values())
    norms, bounds = r["norms"], r["per_layer_bound"]
    for name in norms:
        assert len(norms[name]) == len(r["sizes"]) - 1
        assert all(n <= b * (1 + 1e-12) for n, b in zip(norms[name], bounds[name]))   # ||AB|| <= ||A|| ||B||
        assert all(deeper < shallower for shallower, deeper in zip(norms[name], norms[name][1:]))
        for spectrum, width in zip(r["spectra"][name], r["sizes"][1:]):
            assert len(spectrum) == width and all(a >= b for a, b in zip(spectrum, spectrum[1:]))
    assert all(c < a for c, a in zip(norms["CAE stack"], norms["AE stack"]))
    eff = r["effective_directions"]
    assert 1.0 <= eff["CAE stack"] < eff["AE stack"] <= r["sizes"][-1]
