import numpy as np
import pytest
from hypothesis import given

import cae_scratch as cs
from cae_scratch.core import penalty
from cae_scratch.core.activations import get_activation
from _helpers import cae_cases


def jacobian_by_loops(W, b_h, x, act):
    """J[k, j] = s'(a_k) W[k, j], one entry at a time: the definition, not the vectorised form."""
    a = W @ x + b_h
    d1 = act.d1(a, act.f(a))
    return np.array([[d1[k] * W[k, j] for j in range(W.shape[1])] for k in range(W.shape[0])])


@given(cae_cases())
def test_closed_form_equals_explicit_jacobian_norm(case):
    kw, X = case
    model = cs.ContractiveAutoencoder(**kw)
    W, b_h = model.params["W"], model.params["b_h"]
    act = get_activation(kw["activation"])
    explicit = np.mean([np.sum(jacobian_by_loops(W, b_h, x, act) ** 2) for x in X])
    np.testing.assert_allclose(model.contractive_penalty(X), explicit, rtol=1e-12, atol=1e-300)


@given(cae_cases())
def test_jacobian_equals_finite_differences_of_encode(case):
    kw, X = case
    model = cs.ContractiveAutoencoder(**kw)
    from _helpers import away_from_relu_kinks
    away_from_relu_kinks(model, X)
    J, h = model.jacobian(X), 1e-6
    fd = np.zeros_like(J)
    for j in range(X.shape[1]):
        e = np.zeros(X.shape[1])
        e[j] = h
        fd[:, :, j] = (model.encode(X + e) - model.encode(X - e)) / (2 * h)
    np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-8)


def test_jacobian_chunks_respect_the_memory_cap_and_agree():
    model = cs.ContractiveAutoencoder(20, 10, seed=3)
    X = np.random.default_rng(0).random((33, 20))
    cap = 7 * 10 * 20 * 8                                   # room for 7 examples per chunk
    chunks = list(penalty.jacobian_chunks(model.params["W"], model.params["b_h"], X,
                                          get_activation("sigmoid"), max_bytes=cap))
    assert [s for s, _ in chunks] == list(range(0, 33, 7))
    assert all(J.nbytes <= cap for _, J in chunks)
    # A chunk's X[s:e] @ W.T and the whole (X @ W.T)[s:e] are two different BLAS calls: they may
    # differ in the last bit (OpenBLAS's Haswell and Zen kernels do), so compare to rounding.
    np.testing.assert_allclose(model.jacobian(X, max_bytes=cap), model.jacobian(X), rtol=1e-12, atol=1e-15)


def test_linear_encoder_penalty_is_weight_decay():
    model = cs.ContractiveAutoencoder(9, 4, activation="linear", loss="mse", decoder_activation="linear")
    X = np.random.default_rng(0).random((6, 9))
    np.testing.assert_allclose(model.contractive_penalty(X), np.sum(model.params["W"] ** 2), rtol=1e-13)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "softplus", "relu", "linear"])
def test_penalty_backward_two_paths_against_finite_differences(act):
    model = cs.ContractiveAutoencoder(6, 5, activation=act, seed=1)
    X = np.random.default_rng(2).random((4, 6))
    from _helpers import away_from_relu_kinks
    away_from_relu_kinks(model, X)
    report = cs.check_model_gradients(model, X, term="contractive")
    cs.assert_gradients_close(report, tol=1e-7)
    assert set(report) == {"W", "b_h"}
