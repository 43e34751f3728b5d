"""Tangent propagation (Simard et al. 1992) for a classifier with L hidden layers, by hand.

The Manifold Tangent Classifier (Rifai et al., NIPS 2011) trains, for an
example x_n with label y_n and tangents u_n1..u_nk (rows of U[n]: (k, n_visible))::

    h_l = s(W_l h_{l-1} + b_l)  (h_0 = x),   o = V h_L + c        (logits, (n_classes,))
    L = mean_n CE(softmax(o_n), y_n) + beta * mean_n sum_i ||(d o_n / d x) u_ni||^2

and the directional derivative of the logits is carried beside the forward
pass (``forward_mode``): t_0 = u, t_l = s'(a_l) * (W_l t_{l-1}), and

    (d o / d x) u = V t_L                                          =: z   (n_classes,)

Names, batched (B examples, k tangents each)::

    T = T_L               (B, k, n_L)         the code's change along each tangent
    Z = T V^T             (B, k, n_classes)   the logits' change along each tangent
    P = (1/B) sum_{n,i} ||Z_ni||^2            (the penalty without beta)

Backward of the penalty, upstream dZ = 2 beta Z / B::

    dV  += dZ^T T  (flattened over (n, i)),    dT = dZ V        (B, k, n_L)

then ``forward_mode.tangents_backward`` runs the recursion in reverse: for each
layer the path through s'(a_l) (to s''(a_l), joining the encoder's dA_l as
``dA_extra``, exactly as the contractive penalty's does in the CAE) and the
path through W_l t_{l-1}. With one hidden layer: G = U W^T, T = s'(A) * G,
dW += (s'(A) * dT)^T U, dA_extra = s''(A) * sum_i dT * G.

The network is built from the core's pairs: the hidden layers are
``layers.encoder_forward`` (``deep.encoder_forward`` composes them), the
logits O = H_L V^T + c are ``layers.decoder_forward`` with W_r = V, b_r = c,
the loss is ``losses.cross_entropy_forward``. Parameters: "W", "b_h" (first
layer), "W_2", "b_h_2", ... (``names``), "V", "c". No (B, n_hidden, n_visible)
tensor is ever built. Every function is array-API code on the namespace of
its inputs; Y is one-hot (B, n_classes).
"""
from __future__ import annotations

from ..backend import namespace
from . import deep, forward_mode, layers, losses


def names(n_layers):
    """The hidden layers' weight and bias names, bottom first: ("W", "b_h"), ("W_2", "b_h_2"), ..."""
    return [("W", "b_h")] + [(f"W_{l}", f"b_h_{l}") for l in range(2, n_layers + 1)]


def n_layers(params):
    """How many hidden layers ``params`` hold."""
    return 1 + sum(1 for k in params if k.startswith("W_"))


# ---- the tangent penalty ----------------------------------------------------------------
def tangent_logits_forward(V, T):
    """Z = T V^T: (B, k, n_classes), the logits' directional derivatives (the recursion's product)."""
    return forward_mode.times_weight_t(T, V)


def tangent_logits_backward(dZ, V, T):
    """(dT, {"V": dV}) for Z = T V^T."""
    xp = namespace(dZ, V)
    B, k, n_classes = dZ.shape
    flat = xp.reshape(dZ, (B * k, n_classes))
    return xp.reshape(flat @ V, (B, k, V.shape[1])), {"V": flat.T @ xp.reshape(T, (B * k, T.shape[2]))}


def squared_norm_forward(Z):
    """P = (1/B) sum_{n,i} ||Z_ni||^2 as a 0-d array: the penalty mean_n sum_i ||.||^2."""
    return namespace(Z).sum(Z * Z) / Z.shape[0]


def squared_norm_backward(Z, scale=1.0):
    """d(scale * P)/dZ = 2 scale Z / B."""
    return Z * (2.0 * scale / Z.shape[0])


# ---- the whole loss ---------------------------------------------------------------------
def _activations(activation, L):
    return list(activation) if isinstance(activation, (list, tuple)) else [activation] * L


def forward(params, X, Y, activation, U=None):
    """(terms without beta, caches): "cross_entropy" and "tangent" (P; 0 when U is None) as 0-d arrays.

    ``activation``: one Activation for every hidden layer, or a list with one per layer."""
    pairs = names(n_layers(params))
    acts = _activations(activation, len(pairs))
    Ws = [params[w] for w, _ in pairs]
    H, enc = deep.encoder_forward(Ws, [params[b] for _, b in pairs], X, acts)
    O, dec = layers.decoder_forward(params["V"], params["c"], H)
    ce, ce_cache = losses.cross_entropy_forward(O, Y)
    if U is None:
        return {"cross_entropy": ce, "tangent": ce * 0.0}, (enc, dec, ce_cache, None)
    T, tan_cache = forward_mode.tangents_forward(Ws, enc, U)
    Z = tangent_logits_forward(params["V"], T)
    return {"cross_entropy": ce, "tangent": squared_norm_forward(Z)}, (enc, dec, ce_cache, (T, Z, tan_cache))


def loss_terms(params, X, Y, activation, beta=0.0, U=None):
    """{"cross_entropy", "tangent" (P without beta; 0 when U is None), "total"} as 0-d arrays."""
    terms, _ = forward(params, X, Y, activation, U)
    total = terms["cross_entropy"] if U is None else terms["cross_entropy"] + beta * terms["tangent"]
    return {**terms, "total": total}


def loss_and_grads(params, X, Y, activation, beta=0.0, U=None):
    """(terms as in ``loss_terms``, grads keyed like params) of L = CE + beta P.

    params: W (n_1, n_visible), b_h (n_1,), [W_2 (n_2, n_1), b_h_2, ...,] V (n_classes, n_L), c (n_classes,);
    X: (B, n_visible); Y: (B, n_classes) one-hot; U: (B, k, n_visible) or None (a plain MLP).
    """
    pairs = names(n_layers(params))
    acts = _activations(activation, len(pairs))
    Ws = [params[w] for w, _ in pairs]
    terms, (enc, dec, ce_cache, tan) = forward(params, X, Y, acts, U)
    dH, out = layers.decoder_backward(losses.cross_entropy_backward(ce_cache), dec)
    grads = {"V": out["W_r"], "c": out["b_r"]}
    dA_extra, dW_t = [None] * len(Ws), [None] * len(Ws)
    if tan is not None:
        T, Z, tan_cache = tan
        dT, v_path = tangent_logits_backward(squared_norm_backward(Z, beta), params["V"], T)
        dA_extra, dW_t = forward_mode.tangents_backward(dT, Ws, enc, tan_cache, acts)
        grads["V"] = grads["V"] + v_path["V"]
    for (w, b), g, extra in zip(pairs, deep.encoder_backward(dH, Ws, enc, dA_extra), dW_t):
        grads[w] = g["W"] if extra is None else g["W"] + extra
        grads[b] = g["b_h"]
    total = terms["cross_entropy"] if U is None else terms["cross_entropy"] + beta * terms["tangent"]
    return {**terms, "total": total}, {k: grads[k] for k in params}
