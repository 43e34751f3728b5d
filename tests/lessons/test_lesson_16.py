"""Lesson 16 (a convolutional CAE) runs quick, asserts its claims and writes its figures; also on
array_api_strict's Device("device1"), which refuses implicit NumPy conversion as a GPU array does.

Bounds follow from the math: the im2col convolution, its adjoint, q and the closed form equal their
explicit definitions to rounding; gradients pass finite differences below 1e-7; the flipped-kernel
decoder (not the adjoint) fails them above 1e-3.
"""
import os

import pytest

from lessons.__main__ import run_lesson

NAME = "16_a_convolutional_cae"


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict:device1"])
def test_16_conv_cae(tmp_path, backend):
    lesson = run_lesson(NAME, backend=backend, quick=True, seed=0, out_dir=str(tmp_path), quiet=True)
    assert {os.path.basename(f) for f in lesson.figures} == {"conv_matrix.png", "conv_cae.png"}
    for path in lesson.figures:
        with open(path, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    r = lesson.result
    assert max(r["err_matrix"], r["err_adjoint"], r["err_q"], r["err_P"]) < 1e-12
    assert r["err_q_path"] < 1e-7 and r["err_step"] < 1e-7 and r["err_flipped"] > 1e-3
    assert r["norm_J_cae"] < r["norm_J_ae"]
    assert r["n_params"]["conv (8 kernels 3x3)"] == 8 * 9 + 8 + 1
