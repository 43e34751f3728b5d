"""The contractive penalty as a forward/backward pair, and the explicit Jacobian that proves it.

For one example, J(x) = dh/dx = diag(s'(a)) W has shape (n_hidden, n_visible) and

    ||J(x)||_F^2 = sum_kj s'(a_k)^2 W[k, j]^2 = sum_k s'(a_k)^2 q_k,      q_k = sum_j W[k, j]^2

so the penalty on a batch, P = mean_b sum_k s'(a_bk)^2 q_k, costs O(B n_hidden)
once q is known -- never a (B, n_hidden, n_visible) tensor. W appears twice in
P, inside a = W x + b_h and inside q, so its gradient has two paths:

    through a:   dP/da_bk = (2/B) s'(a_bk) s''(a_bk) q_k      (joins the encoder's dA)
    through q:   dP/dW   += 2 diag(mean_b s'(a_b)^2) W

The first rides on the encoder's ``dA^T X`` (``layers.encoder_backward``'s
dA_extra), so a training step adds no matrix product. ``explicit_jacobian``
builds J entry by entry in bounded chunks: the oracle for tests, the tool for
analysis.
"""
from __future__ import annotations

from .. import backend
from ..backend import namespace
from .layers import encoder_forward

DEFAULT_MAX_BYTES = 256 * 2**20  # memory cap of one Jacobian chunk


def row_norms_sq(W):
    """q_k = sum_j W[k, j]^2.  W: (n_hidden, n_visible) -> (n_hidden,)."""
    return namespace(W).sum(W * W, axis=1)


def contractive_forward(W, encoder_cache, activation):
    """(P = mean_b sum_k s'(a_bk)^2 q_k as a 0-d array, cache) from the encoder's cache (X, A, H, D1)."""
    xp = namespace(W)
    _, A, H, D1 = encoder_cache
    q = row_norms_sq(W)
    return xp.sum((D1 * D1) @ q) / D1.shape[0], (W, A, H, D1, q, activation)


def contractive_backward(cache):
    """(dA_P, {"W": dW_q}): the path through a, (B, n_hidden), and the path through q, (n_hidden, n_visible)."""
    W, A, H, D1, q, activation = cache
    xp, B = namespace(D1, W), D1.shape[0]
    D2 = activation.d2(A, H, D1)
    dA_P = D1 * D2 * (q * (2.0 / B))
    mean_d1_sq = xp.sum(D1 * D1, axis=0) * (2.0 / B)        # 2 mean_b s'(a_b)^2: (n_hidden,)
    return dA_P, {"W": xp.expand_dims(mean_d1_sq, axis=1) * W}


def contractive_penalty(W, b_h, X, activation):
    """P(W, b_h) = mean_b ||J(x_b)||_F^2 as a 0-d array, by the closed form (the forward alone)."""
    _, enc = encoder_forward(W, b_h, X, activation)
    return contractive_forward(W, enc, activation)[0]


def penalty_and_grads(W, b_h, X, activation):
    """The penalty alone, P(W, b_h) = mean_b ||J(x_b)||_F^2, and its gradient {"W", "b_h"}.

    For checking the penalty's gradient on its own; a training step folds the
    same dA_P into its one dA^T X instead (``network.loss_and_grads``).
    """
    xp = namespace(W, X)
    _, enc = encoder_forward(W, b_h, X, activation)
    P, cache = contractive_forward(W, enc, activation)
    dA_P, q_path = contractive_backward(cache)
    return P, {"W": dA_P.T @ X + q_path["W"], "b_h": xp.sum(dA_P, axis=0)}


def jacobian_chunks(W, b_h, X, activation, max_bytes=DEFAULT_MAX_BYTES):
    """Yield (start, J) with J = dH/dX for rows start:start+len(J) of X, each chunk <= max_bytes.

    J: (chunk, n_hidden, n_visible), J[b, k, j] = s'(a_bk) W[k, j].
    """
    xp = namespace(W, X)
    n_hidden, n_visible = W.shape
    chunk = max(1, int(max_bytes) // max(1, n_hidden * n_visible * backend.itemsize(X)))
    for start in range(0, X.shape[0], chunk):
        _, (_, _, _, D1) = encoder_forward(W, b_h, X[start:min(start + chunk, X.shape[0]), :], activation)
        yield start, xp.expand_dims(D1, axis=2) * xp.expand_dims(W, axis=0)


def explicit_jacobian(W, b_h, X, activation, max_bytes=DEFAULT_MAX_BYTES):
    """The full Jacobian (B, n_hidden, n_visible), built from bounded chunks."""
    xp = namespace(W, X)
    return xp.concat([J for _, J in jacobian_chunks(W, b_h, X, activation, max_bytes)], axis=0)
