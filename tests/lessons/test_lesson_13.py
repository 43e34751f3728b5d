"""Lesson 13 (penalise a deep encoder) runs quick, asserts its claims and writes its figure.

Bounds follow from the derivation: forward mode equals the explicit product to rounding; the deep step
passes finite differences; unit-norm probes are off by exactly 1/n_0 in expectation; at a = 0 the weights'
product overstates ||J||^2 by exactly 4^(2L); the last layer's closed form is another quantity.
"""
import os

import pytest

from lessons.__main__ import run_lesson


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict:device1"])
def test_13_deep_penalty(tmp_path, backend):
    lesson = run_lesson("13_penalise_a_deep_encoder", backend=backend, quick=True, seed=0, out_dir=str(tmp_path),
                        quiet=True)
    assert [os.path.basename(f) for f in lesson.figures] == ["joint_vs_greedy.png"]
    r = lesson.result
    assert r["err_forward"] < 1e-12 and r["err_step"] < 1e-7
    assert abs(r["ratio_1"] * 64 - 1) < 0.05 and abs(r["ratio_2_control"] - 256) < 1e-6
    assert abs(r["ratio_3"] - 1) > 0.2
    for _, mean_ratio, var_ratio, _ in r["spread"]:
        assert abs(mean_ratio - 1) < 0.05 and 0.8 < var_ratio < 1.25
    n = r["norms"]
    assert n["joint, lam = 0.5"] < min(n["greedy stack"], n["fine-tuned, lam = 0"])
