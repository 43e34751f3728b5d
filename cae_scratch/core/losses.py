"""Reconstruction losses and their backward, as a mean over the batch of a per-example sum.

Shapes: X, Z, R: (B, n_visible). Each ``*_backward`` returns dL/dZ, the
gradient with respect to the decoder *pre-activation* Z, ready for the
decoder's matrix products.

bce (sigmoid decoder only), computed from Z, never from R = sigmoid(Z)::

    -[x log r + (1-x) log(1-r)] = softplus(z) - x z      (log-sum-exp stable)
    dL/dz = (sigmoid(z) - x) / B                          (the famous r - x)

mse (either decoder)::

    (r - x)^2,   dL/dz = 2 (r - x) g'(z) / B
"""
from __future__ import annotations

from .activations import softplus
from .backend import namespace

LOSSES = ("bce", "mse")


def bce(X, Z):
    """mean_b sum_j softplus(z_bj) - x_bj z_bj, as a 0-d array."""
    xp = namespace(X, Z)
    return xp.sum(softplus(Z) - X * Z) / X.shape[0]


def bce_backward(X, R):
    """dL/dZ for bce with a sigmoid decoder: (R - X) / B."""
    return (R - X) * (1.0 / X.shape[0])


def mse(X, R):
    """mean_b sum_j (r_bj - x_bj)^2, as a 0-d array."""
    xp = namespace(X, R)
    D = R - X
    return xp.sum(D * D) / X.shape[0]


def mse_backward(X, R, dR_dZ):
    """dL/dZ for mse: 2 (R - X) g'(Z) / B; ``dR_dZ`` is g'(Z) (None for a linear decoder)."""
    dZ = (R - X) * (2.0 / X.shape[0])
    return dZ if dR_dZ is None else dZ * dR_dZ
