"""The reconstruction-contractive penalty ||dr/dx||_F^2 for a linear decoder, as a forward/backward pair.

For one example with a linear decoder r = W_r s(W x + b_h) + b_r, the reconstruction's Jacobian is
J_r = dr/dx = W_r diag(d) W, d = s'(a): (n_visible, n_visible). Its squared Frobenius norm is a trace:

    ||J_r||_F^2 = tr(W^T diag(d) W_r^T W_r diag(d) W) = tr(diag(d) C_r diag(d) C)
                = sum_{k,l} d_k d_l (C_r)_{kl} C_{kl} = d^T M d,
    C = W W^T,  C_r = W_r^T W_r  (both (n_hidden, n_hidden)),  M = C_r * C  (element-wise)

(the trace is cyclic, and tr(diag(d) C_r diag(d) C) = sum_kl d_k (C_r)_kl d_l C_lk with C symmetric).
On a batch, P_r = (1/B) sum_n d_n^T M d_n = (1/B) sum((D1 M) * D1): the two Gram matrices cost
O(n_hidden^2 n_visible) once, the batch O(B n_hidden^2), and no (B, n_visible, n_visible) tensor.

Backward, by hand. M is symmetric, so dP_r/dD1 = (2/B) D1 M and the path through a is

    dA_P = (2/B) (D1 M) * D2,   D2 = s''(A)      (joins the encoder's dA: dW += dA_P^T X, db_h = sum_n dA_P)

The Grams: dP_r/dM = S = (1/B) D1^T D1 (symmetric), so dP_r/dC = S * C_r and dP_r/dC_r = S * C. For
C = W W^T, dC = dW W^T + W dW^T gives dP_r/dW = 2 (S * C_r) W; for C_r = W_r^T W_r, dP_r/dW_r = 2 W_r (S * C).
Tied (W_r = W^T, so C_r = C): the decoder's use folds into W as dW += dW_r^T = 2 (S * C) W (``layers.tie``).
Only the linear decoder has this closed form: a sigmoid decoder puts g'(z) between W_r and the Gram.
"""
from __future__ import annotations

from ..backend import namespace
from .layers import decoder_weight, encoder_forward, tie


def gram_product(W, W_r):
    """M = (W_r^T W_r) * (W W^T): (n_hidden, n_hidden), and the two Grams (C, C_r)."""
    C, C_r = W @ W.T, W_r.T @ W_r
    return C_r * C, C, C_r


def reconstruction_contractive_forward(W, W_r, encoder_cache):
    """(P_r = mean_n ||J_r(x_n)||_F^2 as a 0-d array, cache) from the encoder's cache (X, A, H, D1)."""
    xp = namespace(W)
    _, A, H, D1 = encoder_cache
    M, C, C_r = gram_product(W, W_r)
    DM = D1 @ M                                                   # (B, n_hidden)
    return xp.sum(DM * D1) / D1.shape[0], (W, W_r, A, H, D1, DM, C, C_r)


def reconstruction_contractive_backward(cache, activation):
    """(dA_P, {"W": the Gram path, "W_r": the decoder's Gram path}); dA_P: (B, n_hidden)."""
    W, W_r, A, H, D1, DM, C, C_r = cache
    B = D1.shape[0]
    D2 = activation.d2(A, H, D1)
    dA_P = DM * D2 * (2.0 / B)
    S = (D1.T @ D1) * (1.0 / B)                                  # dP_r/dM: (n_hidden, n_hidden)
    return dA_P, {"W": 2.0 * ((S * C_r) @ W), "W_r": 2.0 * (W_r @ (S * C))}


def penalty_and_grads(params, X, activation, tied):
    """P_r = mean_n ||J_r(x_n)||_F^2 for a linear decoder and its gradient {"W", "b_h"[, "W_r"]}.

    params: "W", "b_h" (and "W_r" when untied); "b_r" does not enter P_r. Tied: W_r = W^T.
    """
    xp = namespace(params["W"], X)
    _, enc = encoder_forward(params["W"], params["b_h"], X, activation)
    P, cache = reconstruction_contractive_forward(params["W"], decoder_weight(params, tied), enc)
    dA_P, gram = reconstruction_contractive_backward(cache, activation)
    grads = tie({"W": dA_P.T @ X + gram["W"], "W_r": gram["W_r"], "b_h": xp.sum(dA_P, axis=0)}, tied)
    return P, grads


def reconstruction_jacobian(params, X, activation, tied):
    """The explicit J_r(x_n) = W_r diag(s'(a_n)) W: (B, n_visible, n_visible); for small n_visible (2-D lessons)."""
    xp = namespace(params["W"], X)
    W = params["W"]
    _, (_, _, _, D1) = encoder_forward(W, params["b_h"], X, activation)
    return decoder_weight(params, tied) @ (xp.expand_dims(D1, axis=2) * xp.expand_dims(W, axis=0))
