"""A synthetic 1-D manifold with known tangents: an elongated blob rotated about the centre of an image."""
from __future__ import annotations

import math

import numpy as np

from ..validation import positive_int


def rotated_blob(theta, side=10):
    """Images x(theta) of the synthetic manifold and their unit tangents dx/dtheta / ||dx/dtheta||.

    With pixel offsets p = (col - c, row - c) from the centre c = (side-1)/2 and
    q = R(-theta) p (the pixel seen in the blob's frame)::

        x[p]   = exp(-(q1 - m)^2 / (2 sa^2) - q2^2 / (2 sb^2))     m = side/4, sa = side/5, sb = side/12
        dx/dtheta[p] = x[p] (q1 q2 / sb^2 - (q1 - m) q2 / sa^2)     as dq/dtheta = (q2, -q1)

    theta: (n,) angles -> X, T: each (n, side*side); X in (0, 1], rows of T unit-norm.
    """
    theta = np.asarray(theta, dtype=np.float64).reshape(-1, 1)
    c = (side - 1) / 2.0
    rows, cols = np.divmod(np.arange(side * side), side)
    p1, p2 = cols - c, rows - c
    q1 = np.cos(theta) * p1 + np.sin(theta) * p2             # (n, side*side)
    q2 = -np.sin(theta) * p1 + np.cos(theta) * p2
    m, sa, sb = side / 4.0, side / 5.0, side / 12.0
    X = np.exp(-(q1 - m) ** 2 / (2 * sa ** 2) - q2 ** 2 / (2 * sb ** 2))
    dX = X * (q1 * q2 / sb ** 2 - (q1 - m) * q2 / sa ** 2)
    return X, dX / np.linalg.norm(dX, axis=1, keepdims=True)


def load_synthetic(n=500, side=10, seed=0, return_tangents=False, return_angles=False):
    """X: (n, side*side) points of the rotated-blob manifold at angles theta ~ U[0, 2 pi) from ``seed``.

    With ``return_tangents`` also T: (n, side*side), the true unit tangent at
    each point; with ``return_angles`` also theta: (n,).
    """
    n, side = positive_int("n", n), positive_int("side", side)
    if side < 4:
        raise ValueError(f"side must be at least 4 pixels for the blob to fit, got {side}")
    theta = np.random.default_rng(seed).uniform(0.0, 2.0 * math.pi, size=n)
    X, T = rotated_blob(theta, side)
    out = (X,) + ((T,) if return_tangents else ()) + ((theta,) if return_angles else ())
    return out if len(out) > 1 else X
