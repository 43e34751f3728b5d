"""The reconstruction-contractive penalty: closed form = ||W_r J||_F^2 built from the explicit Jacobian,
hand gradient = central differences (float64), and the checker rejects the known-wrong gradients."""
import numpy as np
import pytest

from cae_scratch import gradcheck
from cae_scratch.core import penalty, reconstruction_penalty as rp
from cae_scratch.core.activations import get_activation
from _helpers import SMOOTH_ACTS, assert_close, on


def draw(seed, B=5, n_v=7, n_h=4, tied=True):
    gen = np.random.default_rng(seed)
    params = {"W": gen.uniform(-1, 1, (n_h, n_v)), "b_h": 0.3 * gen.standard_normal(n_h)}
    if not tied:
        params["W_r"] = gen.uniform(-1, 1, (n_v, n_h))
    return params, gen.random((B, n_v))


def explicit_value(params, X, act, tied):
    """mean_n ||W_r J(x_n)||_F^2 with J from ``penalty.explicit_jacobian``: the definition, no Gram."""
    J = penalty.explicit_jacobian(params["W"], params["b_h"], X, act)          # (B, n_h, n_v)
    W_r = params["W"].T if tied else params["W_r"]
    J_r = np.stack([W_r @ J_n for J_n in J])                                    # (B, n_v, n_v), one by one
    return float(np.mean(np.sum(J_r ** 2, axis=(1, 2))))


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("name", sorted(SMOOTH_ACTS) + ["relu"])
def test_closed_form_equals_explicit_reconstruction_jacobian(name, tied):
    act = get_activation(name)
    params, X = draw(1, tied=tied)
    P, _ = rp.penalty_and_grads(params, X, act, tied)
    np.testing.assert_allclose(float(P), explicit_value(params, X, act, tied), rtol=1e-12)
    J_r = rp.reconstruction_jacobian(params, X, act, tied)
    np.testing.assert_allclose(float(P), float(np.mean(np.sum(J_r ** 2, axis=(1, 2)))), rtol=1e-12)


@pytest.mark.parametrize("tied", [True, False])
def test_reconstruction_jacobian_equals_finite_differences_of_r(tied):
    act = get_activation("tanh")
    params, X = draw(2, tied=tied)
    W_r = params["W"].T if tied else params["W_r"]

    def r(X):
        return act.f(X @ params["W"].T + params["b_h"]) @ W_r.T                # linear decoder (b_r drops out)
    h, n_v = 1e-6, X.shape[1]
    fd = np.stack([(r(X + h * e) - r(X - h * e)) / (2 * h) for e in np.eye(n_v)], axis=2)
    np.testing.assert_allclose(rp.reconstruction_jacobian(params, X, act, tied), fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("name", sorted(SMOOTH_ACTS))
def test_hand_gradient_passes_finite_differences(name, tied):
    act = get_activation(name)
    params, X = draw(3, tied=tied)
    _, grads = rp.penalty_and_grads(params, X, act, tied)
    assert set(grads) == set(params)
    report = gradcheck.check_gradients(lambda p: rp.penalty_and_grads(p, X, act, tied)[0], params, grads)
    gradcheck.assert_gradients_close(report)


@pytest.mark.parametrize("tied", [True, False])
def test_checker_rejects_known_wrong_gradients(tied):
    """Negative controls: the decoder's Gram path dropped, a factor 2 missing on the a path, s' for s''."""
    act = get_activation("sigmoid")
    params, X = draw(4, tied=tied)
    _, enc = rp.encoder_forward(params["W"], params["b_h"], X, act)
    W_r = params["W"].T if tied else params["W_r"]
    P, cache = rp.reconstruction_contractive_forward(params["W"], W_r, enc)
    dA, gram = rp.reconstruction_contractive_backward(cache, act)
    _, _, A, H, D1, DM, _, _ = cache
    s_for_s2 = DM * D1 * (2.0 / X.shape[0])
    wrong = {
        "W_r path dropped": {"W": dA.T @ X + gram["W"], "b_h": dA.sum(0)} if tied else
                            {"W": dA.T @ X + gram["W"], "b_h": dA.sum(0), "W_r": 0 * gram["W_r"]},
        "half the a path": {"W": 0.5 * dA.T @ X + gram["W"] + (gram["W_r"].T if tied else 0), "b_h": 0.5 * dA.sum(0),
                            **({} if tied else {"W_r": gram["W_r"]})},
        "s' for s''": {"W": s_for_s2.T @ X + gram["W"] + (gram["W_r"].T if tied else 0), "b_h": s_for_s2.sum(0),
                       **({} if tied else {"W_r": gram["W_r"]})},
    }
    for what, grads in wrong.items():
        report = gradcheck.check_gradients(lambda p: rp.penalty_and_grads(p, X, act, tied)[0], params, grads)
        assert gradcheck.max_error(report) > 1e-2, what
        with pytest.raises(AssertionError):
            gradcheck.assert_gradients_close(report)


@pytest.mark.parametrize("tied", [True, False])
def test_every_backend_matches_numpy(xp, tied):
    act = get_activation("softplus")
    params, X = draw(5, tied=tied)
    P, grads = rp.penalty_and_grads(params, X, act, tied)
    P_b, grads_b = rp.penalty_and_grads({k: on(xp, v) for k, v in params.items()}, on(xp, X), act, tied)
    assert_close(P_b, P, rtol=1e-12, xp=xp[0], dtype="float64")
    for k in grads:
        assert_close(grads_b[k], grads[k], rtol=1e-12, atol=1e-15, xp=xp[0], dtype="float64")
    P32, _ = rp.penalty_and_grads({k: on(xp, v, "float32") for k, v in params.items()}, on(xp, X, "float32"),
                                  act, tied)
    assert_close(P32, P, rtol=1e-4, xp=xp[0], dtype="float32")
