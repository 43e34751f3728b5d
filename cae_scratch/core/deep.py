"""A deep encoder built from the one-layer pairs, and the stack unrolled as a deep autoencoder with the
probe estimate of its Jacobian penalty (the deep tangent classifier, the paper's MTC, is ``tangentprop``).

Deep autoencoder (a greedily trained stack is its initialisation): encoder layers 1..L,
then the tied decoders in reverse, each layer with its own decoder activation g_l and b_r::

    h_l = s_l(W_l h_{l-1} + b_h_l)  (h_0 = x)      r_L = h_L,   r_{l-1} = g_l(W_l^T r_l + b_r_l)
    L = mean_n rec(x_n, r_0(x_n)) + lam * P_hat,   P_hat = (1/(B k)) sum_{n,i} ||J_stack(x_n) u_ni||^2

with probes U: (B, k, n_0), E[u u^T] = I, so E_U P_hat = mean_n ||J_stack(x_n)||_F^2
(``forward_mode``). Parameters are keyed as the stack's file: "layer{l}_W", "layer{l}_b_h",
"layer{l}_b_r" (l = 0 for the bottom layer).

Each W_l collects its uses: the encoder's dA_l^T h_{l-1} (dA_l with the tangent path's share as
dA_extra), the decoder's (tied), and the tangent recursion's dG_l^T t_{l-1}.
"""
from __future__ import annotations

from . import forward_mode, layers, losses
from .activations import get_activation


def encoder_forward(Ws, bs, X, activations):
    """(H_L, [cache_l]): the codes of every layer composed; caches from ``layers.encoder_forward``."""
    H, caches = X, []
    for W, b, act in zip(Ws, bs, activations):
        H, cache = layers.encoder_forward(W, b, H, act)
        caches.append(cache)
    return H, caches


def encoder_backward(dH, Ws, caches, dA_extra):
    """[{"W", "b_h"}] per layer (bottom first) for the upstream dH = dLoss/dH_L and per-layer dA_extra."""
    grads = [None] * len(Ws)
    for l in reversed(range(len(Ws))):
        dA, grads[l] = layers.encoder_backward(dH, caches[l], dA_extra=dA_extra[l])
        if l > 0:
            dH = dA @ Ws[l]
    return grads


def _unpack(params, n_layers):
    Ws = [params[f"layer{l}_W"] for l in range(n_layers)]
    return Ws, [params[f"layer{l}_b_h"] for l in range(n_layers)], [params[f"layer{l}_b_r"] for l in range(n_layers)]


def autoencoder_loss_and_grads(params, X, specs, U=None, lam=0.0):
    """(terms, grads) of the unrolled stack: terms "reconstruction", "contractive" (P_hat without lam; 0
    without probes) and "total" as 0-d arrays; grads keyed like params. ``specs``: each layer's Spec
    (activation, decoder_activation; the bottom layer's loss). U: (B, k, n_0) probes, needed when lam > 0."""
    L = len(specs)
    Ws, bs, brs = _unpack(params, L)
    acts = [get_activation(s.activation) for s in specs]
    outs = [get_activation(s.decoder_activation) for s in specs]
    H, enc = encoder_forward(Ws, bs, X, acts)
    R, dec, upper = H, [None] * L, [None] * L
    for l in reversed(range(L)):                       # r_{l-1} = g_l(W_l^T r_l + b_r_l)
        Z, dec[l] = layers.decoder_forward(Ws[l].T, brs[l], R)
        if l > 0:
            R = outs[l].f(Z)
            upper[l] = (Z, R)
    rec, rec_cache = losses.reconstruction_forward(Z, X, specs[0].loss, outs[0])
    terms = {"reconstruction": rec, "contractive": rec * 0.0, "total": rec}
    dA_extra, dW_t = [None] * L, [None] * L
    if U is not None:
        T, tan_cache = forward_mode.tangents_forward(Ws, enc, U)
        P = forward_mode.probe_penalty_forward(T)
        terms = {"reconstruction": rec, "contractive": P, "total": rec + lam * P}
        if lam != 0.0:
            dA_extra, dW_t = forward_mode.tangents_backward(forward_mode.probe_penalty_backward(T, lam), Ws,
                                                            enc, tan_cache, acts)
    elif lam != 0.0:
        raise ValueError("lam > 0 needs probes U: (B, k, n_visible)")
    grads, dZ = {}, losses.reconstruction_backward(rec_cache, specs[0].loss)
    for l in range(L):                                  # the decoders, bottom to top
        dR, g = layers.decoder_backward(dZ, dec[l])
        grads[f"layer{l}_W"], grads[f"layer{l}_b_r"] = g["W_r"].T, g["b_r"]
        if l + 1 < L:
            Z_up, R_up = upper[l + 1]
            dZ = dR * outs[l + 1].d1(Z_up, R_up)
    for l, g in enumerate(encoder_backward(dR, Ws, enc, dA_extra)):
        grads[f"layer{l}_W"] = grads[f"layer{l}_W"] + g["W"] + (0.0 if dW_t[l] is None else dW_t[l])
        grads[f"layer{l}_b_h"] = g["b_h"]
    return terms, grads
