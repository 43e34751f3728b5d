"""Tangent propagation (Simard et al. 1992) for a one-hidden-layer classifier, by hand.

The Manifold Tangent Classifier (Rifai et al., NIPS 2011) trains, for an
example x with label y and tangents u_1..u_k (rows of U_b: (k, n_visible))::

    a = W x + b_h,  s = s(a),  o = V s + c                 (logits, (n_classes,))
    L = mean_b CE(softmax(o_b), y_b) + beta * mean_b sum_i ||(d o_b / d x) u_bi||^2

and for one hidden layer the directional derivative of the logits is

    (d o / d x) u = V diag(s'(a)) W u = V (s'(a) * (W u))          =: z   (n_classes,)

Names, batched (B examples, k tangents each)::

    G = U W^T             (B, k, n_hidden)    one product: (B*k, n_visible) @ W^T
    T = s'(A)[:, None] * G                    the code's change along each tangent
    Z = T V^T             (B, k, n_classes)   the logits' change along each tangent
    P = (1/B) sum_{b,i} ||Z_bi||^2            (the penalty without beta)

Backward of the penalty, upstream dZ = 2 beta Z / B::

    dV  += sum_{b,i} dZ_bi T_bi^T = dZ^T T          (flattened over (b, i))
    dT   = dZ V                                     (B, k, n_hidden)
    dG   = s'(A)[:, None] * dT   ->  dW += dG^T U   (the path through W u)
    ds'  = sum_i dT * G          ->  dA_extra = ds' * s''(A)   (the path through s'(a))

The network itself is built from the core's pairs: the hidden layer is ``layers.encoder_forward``,
the logits O = S V^T + c are ``layers.decoder_forward`` with W_r = V, b_r = c, the loss is
``losses.cross_entropy_forward``. The penalty's share of dA joins the encoder's backward as
``dA_extra``, exactly as the contractive penalty's does in the CAE, so both dA terms share one
product dW = dA^T X, db_h = sum_b dA; W gets two paths (through a and through W u) and b_h one,
via s''. No (B, n_hidden, n_visible) tensor is ever built. Every function is array-API code on
the namespace of its inputs; Y is one-hot (B, n_classes).
"""
from __future__ import annotations

from ..backend import namespace
from . import layers, losses


# ---- the tangent penalty ----------------------------------------------------------------
def tangent_forward(W, D1, U):
    """T = s'(A) * (W u) for every tangent: (B, k, n_hidden); also G = U W^T (the cache).

    D1 = s'(A): (B, n_hidden); U: (B, k, n_visible). W u for all B*k tangents is one
    (B*k, n_visible) @ W^T product.
    """
    xp = namespace(W, U)
    B, k, n_visible = U.shape
    G = xp.reshape(xp.reshape(U, (B * k, n_visible)) @ W.T, (B, k, W.shape[0]))
    return xp.expand_dims(D1, axis=1) * G, G


def tangent_backward(dT, G, D1, D2, U):
    """(dA_extra, {"W": dW_u}): the path through s'(a) (to s''(a)) and the path through W u.

    dT: (B, k, n_hidden) upstream; G = U W^T; D1, D2 = s'(A), s''(A): (B, n_hidden).
    dA_extra = s''(A) * sum_i dT * G joins the encoder's dA; dW_u = (s'(A) * dT)^T U, flattened.
    """
    xp = namespace(dT, U)
    B, k, n_visible = U.shape
    dA = D2 * xp.sum(dT * G, axis=1)
    dG = xp.expand_dims(D1, axis=1) * dT
    return dA, {"W": xp.reshape(dG, (B * k, dG.shape[2])).T @ xp.reshape(U, (B * k, n_visible))}


def tangent_logits_forward(V, T):
    """Z = T V^T: (B, k, n_classes), the logits' directional derivatives."""
    xp = namespace(V, T)
    B, k, n_hidden = T.shape
    return xp.reshape(xp.reshape(T, (B * k, n_hidden)) @ V.T, (B, k, V.shape[0]))


def tangent_logits_backward(dZ, V, T):
    """(dT, {"V": dV}) for Z = T V^T."""
    xp = namespace(dZ, V)
    B, k, n_classes = dZ.shape
    flat = xp.reshape(dZ, (B * k, n_classes))
    return xp.reshape(flat @ V, (B, k, V.shape[1])), {"V": flat.T @ xp.reshape(T, (B * k, T.shape[2]))}


def squared_norm_forward(Z):
    """P = (1/B) sum_{b,i} ||Z_bi||^2 as a 0-d array: the penalty mean_b sum_i ||.||^2."""
    return namespace(Z).sum(Z * Z) / Z.shape[0]


def squared_norm_backward(Z, scale=1.0):
    """d(scale * P)/dZ = 2 scale Z / B."""
    return Z * (2.0 * scale / Z.shape[0])


# ---- the whole loss ---------------------------------------------------------------------
def forward(params, X, Y, activation, U=None):
    """(terms without beta, caches): "cross_entropy" and "tangent" (P; 0 when U is None) as 0-d arrays."""
    S, enc = layers.encoder_forward(params["W"], params["b_h"], X, activation)
    O, dec = layers.decoder_forward(params["V"], params["c"], S)
    ce, ce_cache = losses.cross_entropy_forward(O, Y)
    if U is None:
        return {"cross_entropy": ce, "tangent": ce * 0.0}, (enc, dec, ce_cache, None)
    T, G = tangent_forward(params["W"], enc[3], U)
    Z = tangent_logits_forward(params["V"], T)
    return {"cross_entropy": ce, "tangent": squared_norm_forward(Z)}, (enc, dec, ce_cache, (T, G, Z, U))


def loss_terms(params, X, Y, activation, beta=0.0, U=None):
    """{"cross_entropy", "tangent" (P without beta; 0 when U is None), "total"} as 0-d arrays."""
    terms, _ = forward(params, X, Y, activation, U)
    total = terms["cross_entropy"] if U is None else terms["cross_entropy"] + beta * terms["tangent"]
    return {**terms, "total": total}


def loss_and_grads(params, X, Y, activation, beta=0.0, U=None):
    """(terms as in ``loss_terms``, grads {"W", "b_h", "V", "c"}) of L = CE + beta P.

    params: W (n_hidden, n_visible), b_h (n_hidden,), V (n_classes, n_hidden), c (n_classes,);
    X: (B, n_visible); Y: (B, n_classes) one-hot; U: (B, k, n_visible) or None (a plain MLP).
    """
    terms, (enc, dec, ce_cache, tan) = forward(params, X, Y, activation, U)
    dS, out = layers.decoder_backward(losses.cross_entropy_backward(ce_cache), dec)
    grads = {"V": out["W_r"], "c": out["b_r"]}
    dA_extra, extra = None, {}
    if tan is not None:
        T, G, Z, U = tan
        _, A, S, D1 = enc
        dT, v_path = tangent_logits_backward(squared_norm_backward(Z, beta), params["V"], T)
        dA_extra, extra = tangent_backward(dT, G, D1, activation.d2(A, S, D1), U)
        grads["V"] = grads["V"] + v_path["V"]
    _, enc_grads = layers.encoder_backward(dS, enc, dA_extra=dA_extra)
    grads.update(enc_grads)
    if extra:
        grads["W"] = grads["W"] + extra["W"]
    total = terms["cross_entropy"] if U is None else terms["cross_entropy"] + beta * terms["tangent"]
    return {**terms, "total": total}, {k: grads[k] for k in ("W", "b_h", "V", "c")}
