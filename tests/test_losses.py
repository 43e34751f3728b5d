import numpy as np
import pytest

from cae_scratch import losses
from cae_scratch.activations import sigmoid


def test_bce_matches_textbook_formula():
    rng = np.random.default_rng(0)
    X, Z = rng.random((5, 7)), rng.normal(size=(5, 7))
    R = 1 / (1 + np.exp(-Z))
    explicit = -np.sum(X * np.log(R) + (1 - X) * np.log(1 - R)) / 5
    np.testing.assert_allclose(float(losses.bce(X, Z)), explicit, rtol=1e-12)


def test_bce_is_finite_for_saturated_logits():
    X = np.array([[0.0, 1.0, 1.0, 0.0]])
    Z = np.array([[-1e4, 1e4, -50.0, 50.0]])
    np.testing.assert_allclose(float(losses.bce(X, Z)), 100.0, rtol=1e-12)   # two terms of 50, two of ~0


def test_mse_matches_explicit_sum():
    X, R = np.arange(6.0).reshape(2, 3) / 6, np.ones((2, 3)) / 2
    np.testing.assert_allclose(float(losses.mse(X, R)), np.sum((R - X) ** 2) / 2)


@pytest.mark.parametrize("kind", ["bce", "mse_sigmoid", "mse_linear"])
def test_backward_matches_finite_differences(kind):
    rng = np.random.default_rng(1)
    X, Z = rng.random((3, 4)), rng.normal(size=(3, 4))
    if kind == "bce":
        f, dZ = (lambda z: float(losses.bce(X, z))), losses.bce_backward(X, sigmoid(Z))
    elif kind == "mse_sigmoid":
        R = sigmoid(Z)
        f, dZ = (lambda z: float(losses.mse(X, sigmoid(z)))), losses.mse_backward(X, R, R * (1 - R))
    else:
        f, dZ = (lambda z: float(losses.mse(X, z))), losses.mse_backward(X, Z, None)
    h, fd = 1e-6, np.zeros_like(Z)
    for i in np.ndindex(Z.shape):
        e = np.zeros_like(Z)
        e[i] = h
        fd[i] = (f(Z + e) - f(Z - e)) / (2 * h)
    np.testing.assert_allclose(dZ, fd, rtol=1e-7, atol=1e-10)
