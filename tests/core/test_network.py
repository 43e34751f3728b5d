"""The manual backward of the whole CAE against central finite differences (float64)."""
import numpy as np
import pytest
from hypothesis import given

import cae_scratch as cs
import dataclasses

from cae_scratch.core import fused, network, penalty
from cae_scratch.core.activations import get_activation
from _helpers import away_from_relu_kinks, cae_cases

TOL = 1e-7


@pytest.mark.parametrize("term", ["reconstruction", "contractive", "total"])
@given(case=cae_cases())
def test_gradients_equal_finite_differences(term, case):
    kw, X = case
    model = away_from_relu_kinks(cs.ContractiveAutoencoder(**kw), X)
    if term == "contractive" and kw["lam"] == 0:
        model.lam = 1.0                        # the penalty alone does not depend on lam
    report = cs.check_model_gradients(model, X, term=term, h=1e-6)
    cs.assert_gradients_close(report, tol=TOL)
    expected = {"W", "b_h"} if term == "contractive" else set(model.params)
    assert set(report) == expected


@given(case=cae_cases(lams=(0.05, 3.0)))
def test_the_step_is_reconstruction_plus_lam_penalty(case):
    """The reference step = itself at lam = 0 + lam * the penalty alone (``penalty.penalty_and_grads``):
    the penalty's dA_extra and q path add nothing else (the fused step is held to the reference elsewhere)."""
    kw, X = case
    model = cs.ContractiveAutoencoder(**kw)
    terms, grads = network.loss_and_grads(model.params, X, model.spec)
    rec_terms, rec_grads = network.loss_and_grads(model.params, X, dataclasses.replace(model.spec, lam=0.0))
    P, pen_grads = penalty.penalty_and_grads(model.params["W"], model.params["b_h"], X,
                                             get_activation(kw["activation"]))
    np.testing.assert_allclose(float(terms["total"]), float(rec_terms["total"]) + kw["lam"] * float(P), rtol=1e-10)
    for k, g in grads.items():
        expected = rec_grads[k] + kw["lam"] * pen_grads.get(k, 0.0)
        np.testing.assert_allclose(g, expected, rtol=1e-9, atol=1e-12)


@given(case=cae_cases())
def test_loss_and_grads_agrees_with_loss_terms_and_the_reference(case):
    kw, X = case
    model = cs.ContractiveAutoencoder(**kw)
    loss, grads = model.loss_and_grads(X)
    terms = model.loss_terms(X)
    np.testing.assert_allclose(loss, terms["total"], rtol=1e-12)
    _, ref = network.loss_and_grads(model.params, X, model.spec)
    assert set(grads) == set(model.params)
    for k in grads:
        assert grads[k].shape == model.params[k].shape and grads[k].dtype == model.params[k].dtype
        np.testing.assert_allclose(grads[k], ref[k], rtol=1e-10, atol=1e-13)


def test_forward_shapes_and_tied_decoder():
    model = cs.ContractiveAutoencoder(7, 3, seed=5)
    X = np.random.default_rng(0).random((4, 7))
    H = model.encode(X)
    assert H.shape == (4, 3) and model.reconstruct(X).shape == (4, 7)
    W, b_h, b_r = model.params["W"], model.params["b_h"], model.params["b_r"]
    np.testing.assert_allclose(model.reconstruct(X), 1 / (1 + np.exp(-(H @ W + b_r))), rtol=1e-14)
    np.testing.assert_allclose(H, 1 / (1 + np.exp(-(X @ W.T + b_h))), rtol=1e-14)


def test_init_is_glorot_uniform_with_sigmoid_scale():
    for act, factor in [("sigmoid", 4.0), ("tanh", 1.0)]:
        W = cs.ContractiveAutoencoder(300, 200, activation=act).params["W"]
        limit = factor * np.sqrt(6 / 500)
        assert np.max(np.abs(W)) <= limit and np.max(np.abs(W)) > 0.99 * limit
        assert abs(np.std(W) - limit / np.sqrt(3)) < 0.02 * limit


def test_lam_zero_still_measures_the_penalty_in_both_steps():
    """No NaN sentinel: at lam = 0 the penalty's value is computed (only its backward is skipped)."""
    model = cs.ContractiveAutoencoder(5, 4, lam=0.0)
    X = np.random.default_rng(0).random((3, 5))
    expected = model.contractive_penalty(X)
    assert expected > 0
    for step in (network.loss_and_grads, fused.loss_and_grads):
        terms, _ = step(model.params, X, model.spec)
        assert float(terms["contractive"]) == pytest.approx(expected, rel=1e-12)
    history = model.fit(X, epochs=2, batch_size=2, progress=False)
    assert all(np.isfinite(history["contractive"]))


def test_model_grads_belong_to_the_caller():
    """The model reuses its step's buffers between calls; the grads it hands out must not change."""
    model = cs.ContractiveAutoencoder(6, 4, lam=0.2)
    X1, X2 = np.random.default_rng(0).random((2, 5, 6))
    _, g1 = model.loss_and_grads(X1)
    kept = {k: v.copy() for k, v in g1.items()}
    _, g2 = model.loss_and_grads(X2)
    for k in g1:
        np.testing.assert_array_equal(g1[k], kept[k])
        assert not np.array_equal(g1[k], g2[k])
    _, ref = network.loss_and_grads(model.params, X1, model.spec)
    for k in ref:
        np.testing.assert_allclose(g1[k], ref[k], rtol=1e-10, atol=1e-14)
