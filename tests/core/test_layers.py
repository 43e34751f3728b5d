"""layers.py: every forward/backward pair against central finite differences, on every backend."""
import numpy as np
import pytest

from cae_scratch.backend import to_numpy
from cae_scratch.core import layers
from cae_scratch.core.activations import get_activation
from _helpers import SMOOTH_ACTS, assert_close, on


def numeric(f, x, h=1e-6):
    """Central differences of the scalar f at every entry of the host array x."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("act", SMOOTH_ACTS)
def test_encoder_pair_against_finite_differences(xp, act):
    """L = sum(G * H) + sum(E * A) (so dH = G and dA_extra = E); every gradient of the pair."""
    gen = np.random.default_rng(0)
    X, W, b_h = gen.random((4, 5)), gen.normal(size=(3, 5)), gen.normal(size=3)
    G, E = gen.normal(size=(4, 3)), gen.normal(size=(4, 3))
    activation = get_activation(act)

    def L(W_, b_, X_):
        H, (_, A, _, _) = layers.encoder_forward(on(xp, W_), on(xp, b_), on(xp, X_), activation)
        return float(np.sum(G * to_numpy(H)) + np.sum(E * to_numpy(A)))
    _, cache = layers.encoder_forward(on(xp, W), on(xp, b_h), on(xp, X), activation)
    dA, grads = layers.encoder_backward(on(xp, G), cache, dA_extra=on(xp, E))
    assert_close(grads["W"], numeric(lambda w: L(w, b_h, X), W), rtol=1e-7, atol=1e-9, xp=xp[0])
    assert_close(grads["b_h"], numeric(lambda b: L(W, b, X), b_h), rtol=1e-7, atol=1e-9)
    # dA^T X is dW, and dA itself is dL/dA for A moved directly: check it through X's own path
    dX = numeric(lambda x: L(W, b_h, x), X)
    assert_close(dA @ on(xp, W), dX, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("tied", [True, False])
def test_decoder_pair_and_tying_against_finite_differences(xp, tied):
    gen = np.random.default_rng(1)
    H, W, W_r, b_r = gen.random((4, 3)), gen.normal(size=(3, 5)), gen.normal(size=(5, 3)), gen.normal(size=5)
    G = gen.normal(size=(4, 5))

    def L(W_, W_r_, b_, H_):
        params = {"W": on(xp, W_), "W_r": on(xp, W_r_)}
        Z, _ = layers.decoder_forward(layers.decoder_weight(params, tied), on(xp, b_), on(xp, H_))
        return float(np.sum(G * to_numpy(Z)))
    params = {"W": on(xp, W), "W_r": on(xp, W_r)}
    _, cache = layers.decoder_forward(layers.decoder_weight(params, tied), on(xp, b_r), on(xp, H))
    dH, grads = layers.decoder_backward(on(xp, G), cache)
    assert_close(dH, numeric(lambda h: L(W, W_r, b_r, h), H), rtol=1e-7, atol=1e-9, xp=xp[0])
    assert_close(grads["b_r"], numeric(lambda b: L(W, W_r, b, H), b_r), rtol=1e-7, atol=1e-9)
    grads = layers.tie({"W": on(xp, np.zeros_like(W)), **grads}, tied)
    if tied:
        assert set(grads) == {"W", "b_r"}
        assert_close(grads["W"], numeric(lambda w: L(w, W_r, b_r, H), W), rtol=1e-7, atol=1e-9)
    else:
        assert_close(grads["W_r"], numeric(lambda w: L(W, w, b_r, H), W_r), rtol=1e-7, atol=1e-9)
