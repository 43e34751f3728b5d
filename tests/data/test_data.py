"""data.py: the dataset registry and the synthetic manifold with known tangents (IDX files: test_idx.py)."""
import numpy as np
import pytest

from cae_scratch import data


def test_synthetic_manifold_points_and_tangents():
    X, T, theta = data.load_synthetic(n=50, side=10, seed=3, return_tangents=True, return_angles=True)
    assert X.shape == T.shape == (50, 100) and theta.shape == (50,)
    assert X.min() >= 0.0 and X.max() <= 1.0
    np.testing.assert_allclose(np.linalg.norm(T, axis=1), 1.0, rtol=1e-12)
    h = 1e-6                                                   # the tangent is d x(theta) / d theta, normalised
    dX = (data.rotated_blob(theta + h)[0] - data.rotated_blob(theta - h)[0]) / (2 * h)
    np.testing.assert_allclose(T, dX / np.linalg.norm(dX, axis=1, keepdims=True), atol=1e-8)


def test_synthetic_is_reproducible_and_a_closed_curve():
    np.testing.assert_array_equal(data.load_synthetic(n=20, seed=1), data.load_synthetic(n=20, seed=1))
    assert not np.array_equal(data.load_synthetic(n=20, seed=1), data.load_synthetic(n=20, seed=2))
    X0, X2pi = data.rotated_blob([0.0, 2 * np.pi], side=12)[0]
    np.testing.assert_allclose(X0, X2pi, atol=1e-12)
    quarter = data.rotated_blob([np.pi / 2], side=12)[0][0].reshape(12, 12)
    np.testing.assert_allclose(np.rot90(X0.reshape(12, 12), k=-1), quarter, atol=1e-12)   # a rotated pattern


def test_load_by_name_and_bad_names():
    assert data.load("digits").shape == (1797, 64)
    assert data.load("synthetic", n=10, side=6).shape == (10, 36)
    with pytest.raises(ValueError, match="choose one of"):
        data.load("imagenet")
    with pytest.raises(ValueError, match="at least 4"):
        data.load_synthetic(side=2)
    with pytest.raises(ValueError, match="positive"):
        data.load_synthetic(n=0)
