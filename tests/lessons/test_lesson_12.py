"""Lesson 12 (the paper's Manifold Tangent Classifier) runs quick, asserts its claims and writes its figures.

Bounds follow from the math the lesson derives: the tangents are orthonormal eigenvectors of J^T J to
rounding; the spectrum's cumulative share is non-decreasing and reaches 1; tangent propagation equals
V J_stack u from the explicit product to rounding and central differences to their truncation error; the
hand backward equals the library's to rounding and passes finite differences, and each dropped path fails
them; k and beta are the validation argmin; the MTC's tangent penalty is below that of the same network
trained without it. The order of the test errors is not asserted: the lesson measures that it varies.
"""
import os

import pytest

from lessons.__main__ import run_lesson

NAME = "12_train_the_manifold_tangent_classifier"


# array_api_strict (a device that refuses implicit NumPy conversion, as a GPU array does) takes about
# three times numpy's run here, so it runs with -m slow; the numpy run is the book build's (``lesson_run``,
# tests/conftest.py, which also checks that every announced figure is a drawn PNG and no other was written)
@pytest.mark.parametrize("backend", ["numpy", pytest.param("array_api_strict:device1", marks=pytest.mark.slow)])
def test_12_the_papers_mtc(lesson_run, backend):
    record = lesson_run(NAME, backend)
    assert {os.path.basename(f) for f in record["figures"]} == {"spectrum.png", "tangent_moves.png",
                                                                "test_errors.png"}
    r = record["result"]
    assert r["source"].startswith("bundled") and r["sizes"][0] == 64
    assert r["gram_error"] < 1e-10 and r["eig_error"] < 1e-10
    share = r["share"]
    assert all(b >= a - 1e-12 for a, b in zip(share, share[1:])) and abs(share[-1] - 1) < 1e-9
    k_grid = r["k_grid"]
    assert k_grid[0] == 1 and share[k_grid[-1] - 1] >= 0.8 > share[k_grid[-1] - 2]   # smallest such k
    assert r["forward_fd_error"] < 1e-8 and r["forward_explicit_error"] < 1e-12
    assert max(r["library_error"], r["one_layer_error"]) < 1e-12
    assert max(r["fd_error"], r["total_error"]) < 1e-7
    assert set(r["controls"]) == {"s'' path dropped", "W t path dropped", "s'' path not carried down"}
    assert min(r["controls"].values()) > 1e-2
    best, val = r["best"], r["validation"]
    assert best[1] in k_grid and val[f"beta={best[0]}, k={best[1]}"] == min(val.values())
    table = r["table"]
    random_mlp, stack_mlp, mtc = list(table)
    assert mtc.startswith("MTC") and stack_mlp == "MLP from the stack"
    assert all(0 <= v["test_error"] < 0.25 for v in table.values())
    assert table[mtc]["tangent_penalty"] < table[stack_mlp]["tangent_penalty"]
    gap = r["comparisons"][stack_mlp]["gap_points"]
    assert abs(gap - 100 * (table[mtc]["test_error"] - table[stack_mlp]["test_error"])) < 1e-9
    assert r["comparisons"][stack_mlp]["stderr_points"] >= 0
    on, pixels = r["on_region"], r["pixel_share"]
    assert abs(sum(on.values()) - 1) < 1e-9 and abs(sum(pixels.values()) - 1) < 1e-9
    assert on["stroke"] > pixels["stroke"] and on["rest"] < pixels["rest"]


def test_12_refuses_an_unknown_data_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CAE_LESSON_DATA", "cifar")
    with pytest.raises(SystemExit) as stop:
        run_lesson(NAME, backend="numpy", quick=True, seed=0, out_dir=str(tmp_path), quiet=True)
    assert stop.value.code == 2 and "CAE_LESSON_DATA='cifar'" in capsys.readouterr().err
