"""The forward computations the grader differentiates (parent process only), and an activation nobody has seen.

The student's process never sees these functions: it gets the arguments and,
where an exercise hands it an activation, helpers whose calls come back here.
The "unknown" activation's formula is drawn at random for every run, so a
submission can only get it right by going through activation.f / d1 / d2 --
which the grader counts (finite differences need many calls, a derivation a
few).
"""
from __future__ import annotations

import numpy as np

from cae_scratch.core import layers, losses, penalty
from cae_scratch.core.activations import ACTIVATIONS, Activation, sigmoid, softplus


def unknown_activation(seed=None):
    """s(a) = u tanh(v a + w) + t softplus(a) with u, v, w, t drawn at random (smooth, increasing)."""
    g = np.random.default_rng(seed)
    u, v, w, t = g.uniform(0.6, 1.4), g.uniform(0.6, 1.4), g.uniform(-0.5, 0.5), g.uniform(0.2, 0.8)

    def d2(A, H, D1):
        T, S = np.tanh(v * A + w), sigmoid(A)
        return -2.0 * u * v * v * T * (1.0 - T * T) + t * S * (1.0 - S)

    def d3(A, H, D1, D2):
        T, S = np.tanh(v * A + w), sigmoid(A)
        return -2.0 * u * v ** 3 * (1.0 - T * T) * (1.0 - 3.0 * T * T) + t * S * (1.0 - S) * (1.0 - 2.0 * S)
    return Activation("unknown", lambda A: u * np.tanh(v * A + w) + t * softplus(A),
                      lambda A, H: u * v * (1.0 - np.tanh(v * A + w) ** 2) + t * sigmoid(A), d2, d3)


def activation(name):
    return unknown_activation() if name == "unknown" else ACTIVATIONS[name]


def encode(X, W, b_h, act):
    """H = s(X W^T + b_h): (B, n_hidden)."""
    return act.f(X @ W.T + b_h)


def penalty_value(W_a, b_h, W_q, X, act):
    """P = mean_b sum_k s'(a_bk)^2 q_k with a computed from W_a and q from W_q (freezing one isolates a path)."""
    D1 = layers.encoder_forward(W_a, b_h, X, act)[1][3]
    return float(np.sum((D1 * D1) @ penalty.row_norms_sq(W_q))) / X.shape[0]


def summed_then_squared_value(W, b_h, X, act):
    """mean_b sum_k s'(a_bk)^2 (sum_j W[k, j])^2: the 'weights summed then squared' bug's penalty."""
    D1 = layers.encoder_forward(W, b_h, X, act)[1][3]
    return float(np.sum((D1 * D1) @ np.sum(W, axis=1) ** 2)) / X.shape[0]


def jT1_value(W, b_h, X, act):
    """mean_b ||J(x_b)^T 1||^2: what penalising autograd's grad(h, x, ones) computes instead of ||J||_F^2."""
    V = layers.encoder_forward(W, b_h, X, act)[1][3] @ W
    return float(np.sum(V * V)) / X.shape[0]


def reconstruction(X, W_enc, b_h, W_dec, b_r, act, loss="bce"):
    """The reconstruction term with the encoder's W_enc and the decoder's W_dec (n_hidden, n_visible): Z = H W_dec + b_r."""
    Z = encode(X, W_enc, b_h, act) @ W_dec + b_r
    return float(losses.bce_forward(Z, X)[0]) if loss == "bce" else float(losses.mse_forward(Z, X, ACTIVATIONS["linear"])[0])


def cae_loss(params, X, lam, act):
    """bce reconstruction + lam * penalty; tied when params has no "W_r" (then W_r = W^T)."""
    W = params["W"]
    W_dec = W if "W_r" not in params else params["W_r"].T
    rec = reconstruction(X, W, params["b_h"], W_dec, params["b_r"], act)
    return rec + lam * penalty_value(W, params["b_h"], W, X, act)


def jacobian_fd(X, W, b_h, act, h=1e-6):
    """J[b, k, j] = dh_k/dx_j by central differences of the encoder, vectorised over the batch."""
    B, n_v = X.shape
    J = np.empty((B, W.shape[0], n_v))
    for j in range(n_v):
        E = np.zeros(n_v)
        E[j] = h
        J[:, :, j] = (encode(X + E, W, b_h, act) - encode(X - E, W, b_h, act)) / (2 * h)
    return J
