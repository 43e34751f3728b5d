"""Forward-mode differentiation through a deep encoder (tangent propagation), and its backward, by hand.

For L layers h_l = s_l(a_l), a_l = W_l h_{l-1} + b_l (h_0 = x), the directional
derivative of the code along an input direction u is carried beside the
forward pass (Simard et al. 1992; the chain rule read from the input side)::

    t_0 = u,    t_l = s_l'(a_l) * (W_l t_{l-1}),    J_stack(x) u = t_L

so J u costs one extra product per layer and J = J_L ... J_1 is never built.
Batched over B examples and k directions each: U, T_l: (B, k, n_l).

Backward, for an upstream dT_L = dLoss/dT_L, layer by layer from the top
(with G_l = T_{l-1} W_l^T, so T_l = s'(A_l) * G_l)::

    dA_l  += s_l''(A_l) * sum_i dT_l * G_l       the path through s'(a_l): joins the encoder's dA_l
    dG_l   = s_l'(A_l) * dT_l
    dW_l  += dG_l^T T_{l-1}                      the path through W_l t_{l-1} (flattened over b, i)
    dT_{l-1} = dG_l W_l

W_l is used twice (in a_l and in t_l), so its gradient has two terms; the
first reaches it through the encoder's own backward (``layers.encoder_backward``
with ``dA_extra``). One layer is ``core.tangentprop``'s case.
"""
from __future__ import annotations

from ..backend import namespace


def times_weight_t(T, W):
    """T W^T for a batch of directions: (B, k, n_in) -> (B, k, n_out), one (B*k, n_in) product."""
    xp = namespace(T, W)
    B, k, n_in = T.shape
    return xp.reshape(xp.reshape(T, (B * k, n_in)) @ W.T, (B, k, W.shape[0]))


def tangents_forward(Ws, encoder_caches, U):
    """(T_L, cache): T_L = J_stack U, (B, k, n_L), for weights Ws and the encoder's per-layer caches
    (X, A, H, D1) from ``layers.encoder_forward``; U: (B, k, n_0)."""
    xp = namespace(U)
    T, cache = U, []
    for W, (_, _, _, D1) in zip(Ws, encoder_caches):
        G = times_weight_t(T, W)
        cache.append((T, G))
        T = xp.expand_dims(D1, axis=1) * G
    return T, cache


def tangents_backward(dT, Ws, encoder_caches, tangent_cache, activations):
    """([dA_extra_l], [dW_t_l]) for each layer (bottom first), from the upstream dT = dLoss/dT_L.

    dA_extra_l: (B, n_l), to add to the encoder's dA_l; dW_t_l: W_l's shape, the path through W_l t_{l-1}.
    """
    xp = namespace(dT)
    dA_extra, dW_t = [None] * len(Ws), [None] * len(Ws)
    for l in reversed(range(len(Ws))):
        (_, A, H, D1), (T_prev, G), act = encoder_caches[l], tangent_cache[l], activations[l]
        dA_extra[l] = act.d2(A, H, D1) * xp.sum(dT * G, axis=1)
        dG = xp.expand_dims(D1, axis=1) * dT
        B, k, n_out = dG.shape
        flat = xp.reshape(dG, (B * k, n_out))
        dW_t[l] = flat.T @ xp.reshape(T_prev, (B * k, T_prev.shape[2]))
        if l > 0:
            dT = xp.reshape(flat @ Ws[l], (B, k, Ws[l].shape[1]))
    return dA_extra, dW_t


def probe_penalty_forward(T):
    """P_hat = (1/(B k)) sum_{b,i} ||T_bi||^2 as a 0-d array: the unbiased estimate of mean_b ||J||_F^2
    when the probes have E[u u^T] = I."""
    B, k = T.shape[0], T.shape[1]
    return namespace(T).sum(T * T) / (B * k)


def probe_penalty_backward(T, scale=1.0):
    """d(scale * P_hat)/dT = 2 scale T / (B k)."""
    return T * (2.0 * scale / (T.shape[0] * T.shape[1]))
