"""The contractive penalty: closed form, fused backward, and the explicit Jacobian oracle.

For one example, J(x) = diag(s'(a)) W has shape (n_hidden, n_visible) and

    ||J(x)||_F^2 = sum_k s'(a_k)^2 q_k,      q_k = sum_j W[k, j]^2

so the penalty on a batch, P = mean_b sum_k s'(a_bk)^2 q_k, costs
O(B n_hidden) once q is known -- never a (B, n_hidden, n_visible) tensor.
Its gradient has two paths:

    through a:   dP/da_bk = (2/B) s'(a_bk) s''(a_bk) q_k      (joins the encoder's dA)
    through q:   dP/dW   += 2 diag(mean_b s'(a_b)^2) W

The first path rides on the reconstruction's ``dA.T @ X``, so the fused
training step adds no matrix product. ``explicit_jacobian`` builds J
element by element; it is the oracle for tests and the tool for analysis.
"""
from __future__ import annotations

from . import backend
from .backend import namespace

DEFAULT_MAX_BYTES = 256 * 2**20  # memory cap of one Jacobian chunk


def row_norms_sq(W):
    """q_k = sum_j W[k, j]^2.  W: (n_hidden, n_visible) -> (n_hidden,)."""
    return namespace(W).sum(W * W, axis=1)


def contractive_penalty(D1, q):
    """P = mean_b sum_k D1[b, k]^2 q[k] as a 0-d array.  D1 = s'(A): (B, n_hidden); q: (n_hidden,)."""
    xp = namespace(D1, q)
    return xp.sum((D1 * D1) @ q) / D1.shape[0]


def penalty_backward(D1, D2, W, q):
    """The two gradient paths of P (see the module docstring).

    D1, D2: s'(A), s''(A), each (B, n_hidden); W: (n_hidden, n_visible); q: (n_hidden,).
    Returns (dA_P, dW_q): dA_P (B, n_hidden) joins the encoder's dA (so that
    dW = dA.T @ X covers the first path), dW_q (n_hidden, n_visible) is the q path.
    """
    xp = namespace(D1, W)
    B = D1.shape[0]
    dA = D1 * D2 * (q * (2.0 / B))
    mean_d1_sq = xp.sum(D1 * D1, axis=0) * (2.0 / B)   # 2 mean_b s'(a_b)^2: (n_hidden,)
    dW_q = xp.expand_dims(mean_d1_sq, axis=1) * W
    return dA, dW_q


def encoder_derivatives(W, b_h, X, activation):
    """A, H, s'(A) of the encoder for X: (B, n_visible); each (B, n_hidden)."""
    A = X @ W.T + b_h
    H = activation.f(A)
    return A, H, activation.d1(A, H)


def penalty_and_grads(W, b_h, X, activation):
    """The penalty alone, P(W, b_h) = mean_b ||J(x_b)||_F^2, and its gradient {"W", "b_h"}.

    Used to check the penalty's gradient on its own; training uses the fused
    step in ``model.py`` instead (which saves this function's extra ``dA.T @ X``).
    """
    xp = namespace(W, X)
    A, H, D1 = encoder_derivatives(W, b_h, X, activation)
    D2 = activation.d2(A, H, D1)
    q = row_norms_sq(W)
    dA, dW_q = penalty_backward(D1, D2, W, q)
    return contractive_penalty(D1, q), {"W": dA.T @ X + dW_q, "b_h": xp.sum(dA, axis=0)}


def jacobian_chunks(W, b_h, X, activation, max_bytes=DEFAULT_MAX_BYTES):
    """Yield (start, J) with J = dH/dX for rows start:start+len(J) of X, each chunk <= max_bytes.

    J: (chunk, n_hidden, n_visible), J[b, k, j] = s'(a_bk) W[k, j].
    """
    xp = namespace(W, X)
    n_hidden, n_visible = W.shape
    chunk = max(1, int(max_bytes) // max(1, n_hidden * n_visible * backend.itemsize(X)))
    for start in range(0, X.shape[0], chunk):
        _, _, D1 = encoder_derivatives(W, b_h, X[start:min(start + chunk, X.shape[0]), :], activation)
        yield start, xp.expand_dims(D1, axis=2) * xp.expand_dims(W, axis=0)


def explicit_jacobian(W, b_h, X, activation, max_bytes=DEFAULT_MAX_BYTES):
    """The full Jacobian (B, n_hidden, n_visible), built from bounded chunks."""
    xp = namespace(W, X)
    return xp.concat([J for _, J in jacobian_chunks(W, b_h, X, activation, max_bytes)], axis=0)
