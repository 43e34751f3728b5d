"""The convolution, its adjoint and the conv CAE's step, against explicit computations.

The oracles: a direct convolution written with loops over output positions
(no index arrays), the matrix M(K) built column by column from basis images,
and the dense CAE's reference step with W = M(K), chained back to K through
M's linearity (dK_t = <dW, M(e_t)>). Finite differences check the step too.
"""
from __future__ import annotations

import numpy as np
import pytest

from cae_scratch.core import conv, conv_network, network
from cae_scratch.core.activations import get_activation

GEOMETRIES = [((1, 6, 7), 2, 3, 1, 0), ((1, 6, 7), 2, 3, 2, 1), ((2, 5, 5), 3, 2, 1, 1),
              ((2, 7, 6), 2, 3, 2, 0), ((1, 5, 6), 2, 3, 3, 2)]
ACTIVATIONS = ["sigmoid", "tanh", "softplus", "relu", "linear"]


def naive_conv(x, K, stride, padding):
    """x: (C_in, H, W) -> (C_out, H', W') by loops over output positions and a zero-padded copy."""
    C, H, W = x.shape
    k = K.shape[-1]
    xp_ = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    Ho, Wo = conv.out_size(H, k, stride, padding), conv.out_size(W, k, stride, padding)
    out = np.zeros((K.shape[0], Ho, Wo))
    for y in range(Ho):
        for x_ in range(Wo):
            patch = xp_[:, y * stride:y * stride + k, x_ * stride:x_ * stride + k]
            out[:, y, x_] = np.tensordot(K, patch, axes=([1, 2, 3], [0, 1, 2]))
    return out


def explicit_M(geo, K):
    """M(K): (C_out P, C_in H W), column j = the convolution of basis image e_j."""
    n = geo.n_visible
    return conv.conv_forward(geo, K, np.eye(n))[0].T


def setup(geometry, seed=0):
    in_shape, channels, kernel, stride, padding = geometry
    geo = conv.ConvGeometry(in_shape, channels, kernel, stride, padding)
    rng = np.random.default_rng(seed)
    K = rng.normal(size=(channels, in_shape[0], kernel, kernel))
    X = rng.uniform(0.05, 0.95, size=(4, geo.n_visible))
    return geo, K, X, rng


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_conv_equals_the_direct_loop_and_the_adjoint_is_exact(geometry):
    geo, K, X, rng = setup(geometry)
    A, _ = conv.conv_forward(geo, K, X)
    for b in range(X.shape[0]):
        direct = naive_conv(X[b].reshape(geo.in_shape), K, geo.stride, geo.padding)
        np.testing.assert_allclose(A[b], direct.reshape(-1), rtol=1e-12, atol=1e-12)
    M = explicit_M(geo, K)
    H = rng.normal(size=(3, geo.n_hidden))
    np.testing.assert_allclose(conv.conv_transpose(geo, K, H), H @ M, rtol=1e-11, atol=1e-12)
    # <conv(x), h> = <x, conv^T(h)>
    np.testing.assert_allclose(np.sum(A[:3] * H), np.sum(X[:3] * conv.conv_transpose(geo, K, H)), rtol=1e-12)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_q_is_the_squared_row_norms_of_M(geometry):
    geo, K, _, _ = setup(geometry)
    M = explicit_M(geo, K)
    np.testing.assert_allclose(conv.row_norms_sq(geo, K), np.sum(M * M, axis=1), rtol=1e-12)


def test_a_q_that_ignores_the_borders_is_wrong_with_padding():
    geo, K, _, _ = setup(((1, 6, 7), 2, 3, 1, 1))
    M = explicit_M(geo, K)
    ignores_borders = np.repeat(np.sum(K * K, axis=(1, 2, 3)), geo.n_positions)
    assert np.max(np.abs(ignores_borders - np.sum(M * M, axis=1))) > 0.1


def dense_reference(geo, K, b_h, b_r, X, spec):
    """The dense CAE's reference step with W = M(K), its gradient chained back to (K, b_h, b_r)."""
    M = explicit_M(geo, K)
    P = geo.n_positions
    C_in, Hh, Ww = geo.in_shape
    dense = {"W": M, "b_h": np.repeat(b_h, P), "b_r": np.repeat(b_r, Hh * Ww)}
    terms, g = network.loss_and_grads(dense, X, spec)
    dK = np.zeros_like(K)
    for t in np.ndindex(K.shape):               # M is linear in K: dK_t = <dW, M(e_t)>
        E = np.zeros_like(K)
        E[t] = 1.0
        dK[t] = np.sum(g["W"] * explicit_M(geo, E))
    return terms, {"K": dK, "b_h": g["b_h"].reshape(geo.channels, P).sum(1),
                   "b_r": g["b_r"].reshape(C_in, Hh * Ww).sum(1)}


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_step_equals_the_dense_cae_with_W_equal_M(geometry, activation):
    geo, K, X, rng = setup(geometry, seed=1)
    K = 0.5 * K
    b_h, b_r = rng.normal(size=geo.channels) * 0.1, rng.normal(size=geo.in_shape[0]) * 0.1
    for loss, dec in (("bce", "sigmoid"), ("mse", "linear")):
        spec = network.Spec(activation=activation, decoder_activation=dec, loss=loss, lam=0.3)
        params = {"K": K, "b_h": b_h, "b_r": b_r}
        terms, grads = conv_network.loss_and_grads(params, X, geo, spec)
        ref_terms, ref = dense_reference(geo, K, b_h, b_r, X, spec)
        for t in ("reconstruction", "contractive", "total"):
            np.testing.assert_allclose(float(terms[t]), float(ref_terms[t]), rtol=1e-10)
        for k in grads:
            np.testing.assert_allclose(grads[k], ref[k], rtol=1e-10, atol=1e-12, err_msg=k)
        # the closed form equals ||diag(s') M||_F^2 built explicitly
        act = get_activation(activation)
        A = conv.conv_forward(geo, K, X)[0] + np.repeat(b_h, geo.n_positions)
        D1 = act.d1(A, act.f(A))
        J = D1[:, :, None] * explicit_M(geo, K)[None]
        np.testing.assert_allclose(float(terms["contractive"]), np.mean(np.sum(J * J, axis=(1, 2))), rtol=1e-10)


def finite_difference(f, params, name, h=1e-6):
    out = np.zeros_like(params[name])
    for i in np.ndindex(out.shape):
        old = params[name][i]
        params[name][i] = old + h
        up = f()
        params[name][i] = old - h
        down = f()
        params[name][i] = old
        out[i] = (up - down) / (2 * h)
    return out


@pytest.mark.parametrize("geometry", GEOMETRIES[:3])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softplus"])
def test_step_passes_finite_differences_and_a_wrong_q_path_does_not(geometry, activation, monkeypatch):
    geo, K, X, rng = setup(geometry, seed=2)
    params = {"K": 0.5 * K, "b_h": rng.normal(size=geo.channels) * 0.1, "b_r": rng.normal(size=geo.in_shape[0]) * 0.1}
    spec = network.Spec(activation=activation, lam=0.5)
    f = lambda: float(conv_network.loss_and_grads(params, X, geo, spec)[0]["total"])
    _, grads = conv_network.loss_and_grads(params, X, geo, spec)
    for name in params:
        fd = finite_difference(f, params, name)
        err = np.max(np.abs(fd - grads[name])) / max(1e-12, np.max(np.abs(fd) + np.abs(grads[name])))
        assert err < 1e-7, (name, err)
    # negative control: the q path built from ||K_c||^2 everywhere (borders ignored) when there is padding
    real = conv.contractive_backward

    def no_border_q(geo_, K_, D1, D2, q):
        dA_P, _ = real(geo_, K_, D1, D2, q)
        mean_d1_sq = np.sum(D1 * D1, axis=0).reshape(geo_.channels, -1).sum(1) / D1.shape[0]
        return dA_P, 2.0 * K_ * mean_d1_sq[:, None, None, None]
    monkeypatch.setattr(conv, "contractive_backward", no_border_q)
    _, wrong = conv_network.loss_and_grads(params, X, geo, spec)
    if geo.padding == 0:                 # every tap lands inside: q is ||K_c||^2 everywhere
        np.testing.assert_allclose(wrong["K"], grads["K"], rtol=1e-12)   # no border: the same q
        return
    assert np.max(np.abs(wrong["K"] - grads["K"])) / np.max(np.abs(grads["K"])) > 1e-3


def test_a_decoder_that_is_not_the_exact_adjoint_fails_finite_differences(monkeypatch):
    geo, K, X, rng = setup(GEOMETRIES[1], seed=3)
    params = {"K": 0.5 * K, "b_h": np.zeros(geo.channels), "b_r": np.zeros(geo.in_shape[0])}
    spec = network.Spec(activation="sigmoid", lam=0.1)
    real = conv.conv_transpose
    flipped = lambda geo_, K_, H: real(geo_, K_[:, :, ::-1, ::-1], H)     # a common mistake: flipping K
    monkeypatch.setattr(conv, "conv_transpose", flipped)
    f = lambda: float(conv_network.loss_and_grads(params, X, geo, spec)[0]["total"])
    _, grads = conv_network.loss_and_grads(params, X, geo, spec)
    fd = finite_difference(f, params, "K")
    assert np.max(np.abs(fd - grads["K"])) / np.max(np.abs(fd) + np.abs(grads["K"])) > 1e-3


def test_a_kernel_that_does_not_fit_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        conv.ConvGeometry((1, 4, 4), 2, 5, 1, 0)
