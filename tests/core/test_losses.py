"""losses.py: each forward against its textbook formula, each backward against finite differences, on every backend."""
import numpy as np
import pytest

from cae_scratch import backend
from cae_scratch.core import losses
from cae_scratch.core.activations import get_activation
from _helpers import assert_close, on


def bce_textbook(X, Z):
    R = 1 / (1 + np.exp(-Z))
    return -np.sum(X * np.log(R) + (1 - X) * np.log(1 - R)) / X.shape[0]


def test_bce_matches_textbook_formula(xp):
    rng = np.random.default_rng(0)
    X, Z = rng.random((5, 7)), rng.normal(size=(5, 7))
    value, _ = losses.bce_forward(on(xp, Z), on(xp, X))
    assert float(value) == pytest.approx(bce_textbook(X, Z), rel=1e-12)


def test_bce_is_finite_for_saturated_logits(xp):
    X = np.array([[0.0, 1.0, 1.0, 0.0]])
    Z = np.array([[-1e4, 1e4, -50.0, 50.0]])
    value, _ = losses.bce_forward(on(xp, Z), on(xp, X))
    assert float(value) == pytest.approx(100.0, rel=1e-12)   # two terms of 50, two of ~0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_is_never_negative_and_accurate_when_outputs_saturate(xp, dtype):
    """The old form sum z + sum log(1+e^-z) - sum t z came out negative (-5.7e-4 for 4.2e-6) in float32."""
    gen = np.random.default_rng(3)
    for _ in range(20):
        T = (gen.random((8, 50)) > 0.5).astype(float)
        Z = np.where(T > 0, 1, -1) * gen.uniform(12, 30, (8, 50))     # confident and right: tiny loss
        exact = float(np.sum(np.logaddexp(0, -np.abs(Z)))) / 8        # = log(1 + e^-|z|) summed
        value = float(losses.bce_forward(on(xp, Z, dtype), on(xp, T, dtype))[0])
        assert value >= 0.0
        assert value == pytest.approx(exact, rel=1e-4 if dtype == "float32" else 1e-12)


def test_mse_matches_explicit_sum(xp):
    X, Z = np.arange(6.0).reshape(2, 3) / 6, np.linspace(-1, 1, 6).reshape(2, 3)
    value, _ = losses.mse_forward(on(xp, Z), on(xp, X), get_activation("linear"))
    assert float(value) == pytest.approx(np.sum((Z - X) ** 2) / 2, rel=1e-12)


@pytest.mark.parametrize("kind", ["bce", "mse_sigmoid", "mse_linear"])
def test_backward_matches_finite_differences(xp, kind):
    rng = np.random.default_rng(1)
    X, Z = rng.random((3, 4)), rng.normal(size=(3, 4))
    loss = "bce" if kind == "bce" else "mse"
    decoder = get_activation("linear" if kind == "mse_linear" else "sigmoid")

    def f(z):
        return float(losses.reconstruction_forward(on(xp, z), on(xp, X), loss, decoder)[0])
    _, cache = losses.reconstruction_forward(on(xp, Z), on(xp, X), loss, decoder)
    dZ = losses.reconstruction_backward(cache, loss)
    h, fd = 1e-6, np.zeros_like(Z)
    for i in np.ndindex(Z.shape):
        e = np.zeros_like(Z)
        e[i] = h
        fd[i] = (f(Z + e) - f(Z - e)) / (2 * h)
    assert_close(dZ, fd, rtol=1e-7, atol=1e-10, xp=xp[0])
    assert backend.dtype_name(dZ) == "float64"
