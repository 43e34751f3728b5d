"""Lesson 13 (penalise a deep encoder) runs quick, asserts its claims and writes its figure.

Bounds follow from the derivation: forward mode equals the explicit product to rounding; the deep step
passes finite differences; unit-norm probes are off by exactly 1/n_0 in expectation; at a = 0 the weights'
product overstates ||J||^2 by exactly 4^(2L); the last layer's closed form is another quantity. The numpy
run is the book build's (``lesson_run``, tests/conftest.py, which also checks its figure is a drawn PNG);
it also runs in this process on array_api_strict's Device("device1").
"""
import os

import pytest


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict:device1"])
def test_13_deep_penalty(lesson_run, backend):
    record = lesson_run("13_penalise_a_deep_encoder", backend)
    assert [os.path.basename(f) for f in record["figures"]] == ["joint_vs_greedy.png"]
    r = record["result"]
    assert r["err_forward"] < 1e-12 and r["err_step"] < 1e-7
    assert abs(r["ratio_1"] * 64 - 1) < 0.05 and abs(r["ratio_2_control"] - 256) < 1e-6
    assert abs(r["ratio_3"] - 1) > 0.2
    for _, mean_ratio, var_ratio, _ in r["spread"]:
        assert abs(mean_ratio - 1) < 0.05 and 0.8 < var_ratio < 1.25
    n = r["norms"]
    assert n["joint, lam = 0.5"] < min(n["greedy stack"], n["fine-tuned, lam = 0"])
