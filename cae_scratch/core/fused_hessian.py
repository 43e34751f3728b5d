"""The fused step's CAE+H stages: the Hessian terms, in place, in the step's ``Workspace`` (``fused.py``).

Twins: ``hessian.exact_forward`` / ``exact_backward`` and ``hessian.stochastic_forward`` /
``stochastic_backward`` -- the same numbers (tests: rtol 1e-10 in float64). Each stage
returns (the term's value as a 0-d array, the q path's coefficient vector or None) and,
when gamma > 0, leaves its share of the clean dA in ``ws.G`` (added after the factor
s'(A), as it carries none) and, stochastic, dA~ in the perturbed rows of ``ws.AH``.

The stochastic term's C perturbed copies ride with the clean batch: their encoder
product is the clean one's ([X; X~] W^T, ONE product of (C+1) B rows, made by the step)
and their dA~^T X~ is part of the step's one dW product, so a step costs 2 (C + 1) + 3
products of the plain step's size and no Python loop over copies.

Buffers (C copies, B rows): AH rows B:(C+1)B hold X~ W^T, then s(a~), then 2 gamma q s''(a~) / (B C),
then dA~; St (C B, n_hidden) holds a~ (allocating activations), then e' = s'(a~) - s'(a);
Dt holds s'(a~), then e'^2; dA (rows :B of AH) is scratch until dH overwrites it.
"""
from __future__ import annotations

from ..backend import into, matmul_into


def perturbed_into(xp, Xt, X, eps):
    """Twin: ``hessian.perturbed_inputs``. Xt <- x_b + eps_cb at row c B + b.  Xt: (C B, n_visible) (a view of the stacked XZ); eps: (C, B, n_visible)."""
    into(xp.reshape(Xt, tuple(eps.shape)), xp.add, X, eps)


def exact_into(xp, q, H, dA, ws, gamma):
    """Twin: ``hessian.exact_forward`` and ``exact_backward``.

    E = mean_b sum_k s''(a_bk)^2 q_k^2; gamma > 0: ws.G = (2 gamma / B) q^2 s'' s''' (ws.D2 = s'' and
    ws.G = s''' from the step's prologue) and the q path's coefficient (4 gamma / B) q sum_b s''(a_b)^2."""
    B = H.shape[0]
    q_sq = q * q
    d2_sq_sum = ws.ones @ into(dA, xp.multiply, ws.D2, ws.D2)            # sum_b s''(a_b)^2: (n_hidden,)
    if gamma <= 0:
        return xp.vecdot(d2_sq_sum, q_sq) / B, None
    ws.G *= ws.D2
    ws.G *= q_sq * (2.0 * gamma / B)
    return xp.vecdot(d2_sq_sum, q_sq) / B, d2_sq_sum * q * (4.0 * gamma / B)


def stochastic_into(xp, q, b_h, ws, kernels, gamma):
    """Twin: ``hessian.stochastic_forward`` and ``stochastic_backward`` (``kernels``: ``inplace.Kernels``).

    S = mean_b mean_c sum_k e_bck^2 q_k, e = s'(a) - s'(a~), given AH's perturbed rows = X~ W^T;
    gamma > 0: dA~ = (2 gamma / (B C)) q s''(a~) e' in those rows (e' = -e), ws.G = -(2 gamma / (B C)) q s''(a)
    sum_c e', and the q path's coefficient (2 gamma / (B C)) sum_bc e^2."""
    B, C = ws.B, ws.C
    At = ws.AH[B:(C + 1) * B, :]                       # (C B, n_hidden), row c B + b
    n_hidden = At.shape[1]
    kernels.encode(xp, At, b_h, ws.Dt, ws.St)                  # At <- s(a~), Dt = s'(a~)  (allocating ones: St = a~)
    cq = q * (2.0 * gamma / (B * C))
    if gamma > 0:                                      # At <- cq s''(a~), the factor folded into s''
        kernels.second(xp, At, ws.St, At, ws.Dt, cq)
    E3 = xp.reshape(ws.St, (C, B, n_hidden))
    into(E3, xp.subtract, xp.reshape(ws.Dt, (C, B, n_hidden)), ws.D1)      # e' = s'(a~) - s'(a), broadcast over c
    e_sq_sum = ws.ones_stack[:C * B] @ into(ws.Dt, xp.multiply, ws.St, ws.St)   # sum_bc e^2: (n_hidden,)
    value = xp.vecdot(e_sq_sum, q) / (B * C)
    if gamma <= 0:
        At[...] = 0.0                                  # the stacked dW product still reads these rows
        return value, None
    At *= ws.St                                        # dA~ = cq s''(a~) e'
    matmul_into(xp.reshape(ws.G, (B * n_hidden,)), ws.ones_C, xp.reshape(ws.St, (C, B * n_hidden)))  # sum_c e'
    ws.G *= ws.D2
    ws.G *= -cq
    return value, e_sq_sum * (2.0 * gamma / (B * C))
