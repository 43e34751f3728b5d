"""What an encoder does around the data: the measurements of Rifai et al. (ICML 2011).

For h = s(W x + b_h) the Jacobian is J(x) = diag(s'(a)) W, (n_hidden, n_visible), and

    ||J(x)||_F = sqrt(sum_k s'(a_k)^2 q_k),   q_k = sum_j W[k, j]^2      (closed form)

- ``jacobian_norms`` / ``mean_jacobian_norm``: ||J(x)||_F per example / averaged.
- ``saturation_fraction``: the share of (example, unit) pairs whose slope s'(a)
  is at most ``4 m (1 - m)`` times the activation's largest slope (m = margin,
  0.05). For a sigmoid that is exactly h < 0.05 or h > 0.95 (the paper's
  definition); for tanh, |h| > 0.9 (5 % of its range from a bound); for
  softplus, the flat side a < -1.45; for relu, the units that are off
  (a <= 0); a linear unit never saturates.
- ``contraction_curve``: for radii r, the mean over inputs x and random unit
  directions u (uniform on the sphere, drawn on the host from the seed) of
  ||h(x + r u) - h(x)|| / r. As r -> 0 it tends to the mean of ||J(x) u||.
- ``sensitivity``: ||h(x + d) - h(x)|| / ||d|| for given displacements d
  (a small shift of the image against noise of the same length).
- ``singular_values`` / ``singular_spectrum``: the singular values of J(x),
  per example / averaged (descending).
- ``tangent_directions``: the leading right singular vectors of J(x), the
  input directions the code is most sensitive to; ``angle_to_span`` measures
  how far a known tangent lies from their span. ``tangents`` returns just the
  vectors (the MTC's tangent plane); ``leading_singular_pairs`` does one chunk
  of any batch of Jacobians (the stack's too).

Every function takes (W, b_h, X, activation) like ``core.penalty.jacobian_chunks``,
gets its namespace from the arrays and works on any array-API backend.
Memory stays bounded: inputs are processed in row chunks of at most
``max_bytes`` (B x n_hidden x n_visible tensors only through
``core.penalty.jacobian_chunks``, a third of ``max_bytes`` each when an SVD's
U and V^T sit beside them). SVDs use ``xp.linalg.svd`` / ``svdvals`` (the
array API's linalg extension; without them, NumPy on a host copy of each
chunk), with the host BLAS on one thread: a stack of small SVDs gains
nothing from a second thread and waits on it when a core is busy.
"""
from __future__ import annotations

import math

import numpy as np

from . import backend, validation as check
from .threads import one_blas_thread
from .core.activations import Activation, get_activation
from .core.layers import encoder_forward
from .core.penalty import DEFAULT_MAX_BYTES, jacobian_chunks, row_norms_sq

SLOPE_MAX = {"sigmoid": 0.25, "tanh": 1.0, "softplus": 1.0, "relu": 1.0, "linear": 1.0}   # sup_a s'(a)
SATURATION_MARGIN = 0.05


def _inputs(W, b_h, X, activation):
    """(xp, X checked and cast to W's dtype, Activation): one validation per public call."""
    act = activation if isinstance(activation, Activation) else get_activation(activation)
    xp = backend.namespace(W, b_h)
    X = check.batch(X, xp, W.dtype, backend.device_of(W), W.shape[1], "X")
    return xp, X, act


def row_chunks(n_rows, bytes_per_row, max_bytes):
    """(start, stop) pairs covering range(n_rows), each holding <= max_bytes (at least one row)."""
    step = max(1, int(max_bytes) // max(1, int(bytes_per_row)))
    return [(s, min(s + step, n_rows)) for s in range(0, n_rows, step)]


def jacobian_norms(W, b_h, X, activation="sigmoid", max_bytes=DEFAULT_MAX_BYTES):
    """||J(x_b)||_F for every row of X: (B,) array of X's backend (closed form, no Jacobian built)."""
    xp, X, act = _inputs(W, b_h, X, activation)
    q = row_norms_sq(W)
    parts = []
    for start, stop in row_chunks(X.shape[0], 3 * W.shape[0] * backend.itemsize(X), max_bytes):
        _, (_, _, _, D1) = encoder_forward(W, b_h, X[start:stop, :], act)   # A, H, D1: 3 (chunk, n_hidden)
        parts.append(xp.sqrt((D1 * D1) @ q))
    return xp.concat(parts)


def mean_jacobian_norm(W, b_h, X, activation="sigmoid", max_bytes=DEFAULT_MAX_BYTES):
    """mean_b ||J(x_b)||_F as a float (the paper's "average ||J_f(x)||_F"; not squared)."""
    xp = backend.namespace(W)
    return float(xp.mean(jacobian_norms(W, b_h, X, activation, max_bytes)))


def saturation_fraction(W, b_h, X, activation="sigmoid", margin=SATURATION_MARGIN,
                        max_bytes=DEFAULT_MAX_BYTES):
    """Fraction of (example, unit) pairs with s'(a) <= 4 margin (1 - margin) max s' (see module docstring)."""
    xp, X, act = _inputs(W, b_h, X, activation)
    if not 0.0 < margin < 0.5:
        raise ValueError(f"margin must be between 0 and 0.5 (0.05 means h < 0.05 or h > 0.95 for a "
                         f"sigmoid), got {margin}")
    limit = 4.0 * margin * (1.0 - margin) * SLOPE_MAX[act.name]
    count = 0.0
    for start, stop in row_chunks(X.shape[0], 3 * W.shape[0] * backend.itemsize(X), max_bytes):
        _, (_, _, _, D1) = encoder_forward(W, b_h, X[start:stop, :], act)
        count = xp.sum(xp.astype(D1 <= limit, W.dtype)) + count      # summed on the device
    return float(count) / (X.shape[0] * W.shape[0])


def _code_distance(act, W, b_h, X, H0, D):
    """||h(x_b + d_b) - h(x_b)|| per row, given H0 = h(X): (B,)."""
    xp = backend.namespace(X)
    dH = act.f((X + D) @ W.T + b_h) - H0
    return xp.sqrt(xp.sum(dH * dH, axis=1))


def sensitivity(W, b_h, X, D, activation="sigmoid", max_bytes=DEFAULT_MAX_BYTES):
    """||h(x_b + d_b) - h(x_b)|| / ||d_b|| for every row: (B,) array of X's backend.

    D: (B, n_visible) displacements (a shift of the image, noise, ...), nonzero
    rows. X + D may leave [0, 1]: the encoder is evaluated as a function.
    """
    xp, X, act = _inputs(W, b_h, X, activation)
    D = check.batch(D, xp, W.dtype, backend.device_of(W), W.shape[1], "D")
    if tuple(D.shape) != tuple(X.shape):
        raise ValueError(f"D must have the shape of X {tuple(X.shape)}, got {tuple(D.shape)}")
    d_norm = xp.sqrt(xp.sum(D * D, axis=1))
    if not bool(xp.all(d_norm > 0.0)):
        raise ValueError("D has a zero row: every displacement must be nonzero to divide by its length")
    parts = []
    for start, stop in row_chunks(X.shape[0], 4 * max(W.shape) * backend.itemsize(X), max_bytes):
        Xc = X[start:stop, :]
        parts.append(_code_distance(act, W, b_h, Xc, act.f(Xc @ W.T + b_h), D[start:stop, :]))
    return xp.concat(parts) / d_norm


def unit_directions(gen, n, n_visible):
    """n directions uniform on the unit sphere of R^n_visible: normalised standard normals (host, float64)."""
    U = gen.standard_normal((n, n_visible))
    return U / np.linalg.norm(U, axis=1, keepdims=True)


def contraction_curve(W, b_h, X, activation="sigmoid", radii=(0.01, 0.1, 1.0), n_directions=4,
                      seed=0, max_bytes=DEFAULT_MAX_BYTES):
    """Contraction ratio per radius: mean over x and u of ||h(x + r u) - h(x)|| / r. Host array (len(radii),).

    Direction d (of ``n_directions``) draws one unit vector per row of X, in
    row order, from stream d of ``seed`` (``unit_directions``), so the result
    does not depend on the chunking; the same directions serve every radius.
    """
    xp, X, act = _inputs(W, b_h, X, activation)
    radii = [check.positive_float("radius", r) for r in radii]
    if not radii:
        raise ValueError("radii is empty; pass radii such as numpy.logspace(-2, 1, 10)")
    n_directions = check.positive_int("n_directions", n_directions)
    dtype, device, (n, n_visible) = X.dtype, backend.device_of(X), X.shape
    sums = [0.0] * len(radii)
    for stream in backend.spawn(check.seed(seed), n_directions):
        gen = backend.rng(stream)
        for start, stop in row_chunks(n, 4 * max(W.shape) * backend.itemsize(X), max_bytes):
            Xc = X[start:stop, :]
            U = backend.asarray(unit_directions(gen, stop - start, n_visible), xp, dtype, device)
            H0 = act.f(Xc @ W.T + b_h)
            for i, r in enumerate(radii):                   # summed on the device, read once at the end
                sums[i] = xp.sum(_code_distance(act, W, b_h, Xc, H0, r * U)) / r + sums[i]
    return np.array([float(s) for s in sums]) / (n * n_directions)


def _svd(xp, J, compute_uv):
    """Batched SVD of J: (chunk, m, n) via the linalg extension, or NumPy on the host as a fallback.

    A stack of small SVDs: the host BLAS runs on one thread meanwhile (``threads.one_blas_thread``).
    """
    linalg = getattr(xp, "linalg", None)
    name = "svd" if compute_uv else "svdvals"
    if linalg is not None and hasattr(linalg, name):
        with one_blas_thread():
            return linalg.svd(J, full_matrices=False) if compute_uv else linalg.svdvals(J)
    with one_blas_thread():
        host = np.linalg.svd(backend.to_numpy(J), full_matrices=False, compute_uv=compute_uv)
    move = lambda a: backend.asarray(a, xp, J.dtype, backend.device_of(J))
    return tuple(move(a) for a in host) if compute_uv else move(host)


def singular_values(W, b_h, X, activation="sigmoid", max_bytes=DEFAULT_MAX_BYTES):
    """Singular values of J(x_b), descending: (B, min(n_hidden, n_visible)) array of X's backend."""
    xp, X, act = _inputs(W, b_h, X, activation)
    return xp.concat([_svd(xp, J, False) for _, J in jacobian_chunks(W, b_h, X, act, max_bytes // 3)])


def singular_spectrum(W, b_h, X, activation="sigmoid", max_bytes=DEFAULT_MAX_BYTES):
    """The averaged spectrum: mean over rows of the sorted singular values of J(x). Host array."""
    return np.mean(backend.to_numpy(singular_values(W, b_h, X, activation, max_bytes)), axis=0)


def tangent_directions(W, b_h, X, activation="sigmoid", k=1, max_bytes=DEFAULT_MAX_BYTES):
    """The k leading right singular vectors of J(x_b) and their singular values.

    Returns (S, V): S (B, k), V (B, k, n_visible), rows of V orthonormal, each
    signed so that its largest entries are positive (sum of cubes > 0), since
    an SVD's signs are arbitrary. For images, reshape V[b, i] to the image.
    """
    xp, X, act = _inputs(W, b_h, X, activation)
    k = check.positive_int("k", k)
    if k > min(W.shape):
        raise ValueError(f"k must be at most min(n_hidden, n_visible) = {min(W.shape)}, got {k}")
    parts = [leading_singular_pairs(J, k) for _, J in jacobian_chunks(W, b_h, X, act, max_bytes // 3)]
    return xp.concat([S for S, _ in parts]), xp.concat([V for _, V in parts])


def leading_singular_pairs(J, k):
    """(S, V) = the k largest singular values (chunk, k) and right singular vectors (chunk, k, n) of J.

    J: (chunk, m, n), any backend (``_svd``). Rows of V are orthonormal, each signed
    so that its largest entries are positive (sum of cubes > 0).
    """
    xp = backend.namespace(J)
    _, S, Vh = _svd(xp, J, True)
    V = Vh[:, :k, :]
    negative = xp.astype(xp.sum(V * V * V, axis=2, keepdims=True) < 0.0, V.dtype)
    return S[:, :k], V * (1.0 - 2.0 * negative)


def angle_to_span(V, T):
    """Angle in degrees between each vector T[b] and the span of the orthonormal rows V[b].

    V: (B, k, n_visible); T: (B, n_visible). With p = V_b^T V_b t_b the projection,
    angle = atan2(||t - p||, ||p||) (0: t lies in the span, 90: orthogonal to
    it; atan2 stays accurate near 0, where arccos loses half the digits).
    Returns (B,) array of V's backend.
    """
    xp = backend.namespace(V, T)
    if V.ndim != 3 or T.ndim != 2 or V.shape[0] != T.shape[0] or V.shape[2] != T.shape[1]:
        raise ValueError(f"V must be (B, k, n_visible) and T (B, n_visible); got {tuple(V.shape)} and "
                         f"{tuple(T.shape)}")
    coords = xp.sum(V * xp.expand_dims(T, axis=1), axis=2)                  # (B, k): <v_i, t>
    residual = T - xp.sum(xp.expand_dims(coords, axis=2) * V, axis=1)       # t - p: (B, n_visible)
    off = xp.sqrt(xp.sum(residual * residual, axis=1))
    return xp.atan2(off, xp.sqrt(xp.sum(coords * coords, axis=1))) * (180.0 / math.pi)


def tangents(W, b_h, X, activation="sigmoid", k=1, max_bytes=DEFAULT_MAX_BYTES):
    """The encoder's estimate of the data manifold's tangent plane at each row of X: (B, k, n_visible).

    The top-k right singular vectors of J(x_b) = diag(s'(a_b)) W (orthonormal rows,
    the sign convention of ``tangent_directions``), computed in chunks of
    <= max_bytes -- the tangents of the Manifold Tangent Classifier (Rifai et al., 2011).
    """
    return tangent_directions(W, b_h, X, activation, k, max_bytes)[1]
