"""Lesson 16 (a convolutional CAE) runs quick, asserts its claims and writes its figures: the numpy run is
the book build's (``lesson_run``, tests/conftest.py, which also checks every figure is a drawn PNG), and it
also runs in this process on array_api_strict's Device("device1"), which refuses implicit NumPy conversion
as a GPU array does.

Bounds follow from the math: the im2col convolution, its adjoint, q and the closed form equal their
explicit definitions to rounding; gradients pass finite differences below 1e-7; the flipped-kernel
decoder (not the adjoint) fails them above 1e-3.
"""
import os

import pytest

NAME = "16_a_convolutional_cae"


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict:device1"])
def test_16_conv_cae(lesson_run, backend):
    record = lesson_run(NAME, backend)
    assert {os.path.basename(f) for f in record["figures"]} == {"conv_matrix.png", "conv_cae.png"}
    r = record["result"]
    assert max(r["err_matrix"], r["err_adjoint"], r["err_q"], r["err_P"]) < 1e-12
    assert r["err_q_path"] < 1e-7 and r["err_step"] < 1e-7 and r["err_flipped"] > 1e-3
    assert r["norm_J_cae"] < r["norm_J_ae"]
    assert r["n_params"]["conv (8 kernels 3x3)"] == 8 * 9 + 8 + 1
