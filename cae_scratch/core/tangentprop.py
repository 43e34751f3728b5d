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
    ds'  = sum_i dT * G          ->  dA += ds' * s''(A)   (the path through s'(a))

and the cross-entropy, dO = (softmax(O) - Y) / B::

    dV += dO^T S,  dc = sum_b dO,  dA += (dO V) * s'(A)

after which both dA terms share one product dW += dA^T X, db_h = sum_b dA.
So W gets two paths (through a and through W u) and b_h one, via s''. No
(B, n_hidden, n_visible) tensor is ever built. Every function is array-API
code on the namespace of its inputs; Y is one-hot (B, n_classes).
"""
from __future__ import annotations

from ..backend import namespace
from .losses import log_softmax


# ---- the hidden layer -----------------------------------------------------------------
def hidden_forward(W, b_h, X, activation):
    """S = s(X W^T + b_h): (B, n_hidden); cache (X, A, S, s'(A)) for the backward."""
    A = X @ W.T + b_h
    S = activation.f(A)
    return S, (X, A, S, activation.d1(A, S))


def hidden_backward(dA, cache):
    """(dW, db_h) = (dA^T X, sum_b dA) for the pre-activation gradient dA: (B, n_hidden)."""
    X = cache[0]
    return dA.T @ X, namespace(dA).sum(dA, axis=0)


# ---- the logits and the cross-entropy ---------------------------------------------------
def logits_forward(V, c, S):
    """O = S V^T + c: (B, n_classes)."""
    return S @ V.T + c


def logits_backward(dO, V, S):
    """(dV, dc, dS) for O = S V^T + c."""
    return dO.T @ S, namespace(dO).sum(dO, axis=0), dO @ V


def cross_entropy_forward(O, Y):
    """(mean_b -log softmax(O_b)[y_b] as a 0-d array, log-probabilities) -- log-sum-exp stable."""
    xp = namespace(O, Y)
    logP = log_softmax(O)
    return -xp.sum(Y * logP) / O.shape[0], logP


def cross_entropy_backward(logP, Y):
    """dO = (softmax(O) - Y) / B."""
    return (namespace(logP).exp(logP) - Y) / logP.shape[0]


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
    """(dA, dW_u): the path through s'(a) (to s''(a)) and the path through W u.

    dT: (B, k, n_hidden) upstream; G = U W^T; D1, D2 = s'(A), s''(A): (B, n_hidden).
    dA = s''(A) * sum_i dT * G joins the encoder's dA; dW_u = (s'(A) * dT)^T U, flattened.
    """
    xp = namespace(dT, U)
    B, k, n_visible = U.shape
    dA = D2 * xp.sum(dT * G, axis=1)
    dG = xp.expand_dims(D1, axis=1) * dT
    return dA, xp.reshape(dG, (B * k, dG.shape[2])).T @ xp.reshape(U, (B * k, n_visible))


def tangent_logits_forward(V, T):
    """Z = T V^T: (B, k, n_classes), the logits' directional derivatives."""
    xp = namespace(V, T)
    B, k, n_hidden = T.shape
    return xp.reshape(xp.reshape(T, (B * k, n_hidden)) @ V.T, (B, k, V.shape[0]))


def tangent_logits_backward(dZ, V, T):
    """(dV, dT) for Z = T V^T."""
    xp = namespace(dZ, V)
    B, k, n_classes = dZ.shape
    flat = xp.reshape(dZ, (B * k, n_classes))
    return flat.T @ xp.reshape(T, (B * k, T.shape[2])), xp.reshape(flat @ V, (B, k, V.shape[1]))


def squared_norm_forward(Z):
    """P = (1/B) sum_{b,i} ||Z_bi||^2 as a 0-d array: the penalty mean_b sum_i ||.||^2."""
    return namespace(Z).sum(Z * Z) / Z.shape[0]


def squared_norm_backward(Z, scale=1.0):
    """d(scale * P)/dZ = 2 scale Z / B."""
    return Z * (2.0 * scale / Z.shape[0])


# ---- the whole loss ---------------------------------------------------------------------
def loss_terms(params, X, Y, activation, beta=0.0, U=None):
    """{"cross_entropy", "tangent" (P without beta; 0 when U is None), "total"} as 0-d arrays."""
    S, (_, A, _, D1) = hidden_forward(params["W"], params["b_h"], X, activation)
    ce, _ = cross_entropy_forward(logits_forward(params["V"], params["c"], S), Y)
    if U is None:
        return {"cross_entropy": ce, "tangent": ce * 0.0, "total": ce}
    T, _ = tangent_forward(params["W"], D1, U)
    P = squared_norm_forward(tangent_logits_forward(params["V"], T))
    return {"cross_entropy": ce, "tangent": P, "total": ce + beta * P}


def loss_and_grads(params, X, Y, activation, beta=0.0, U=None):
    """(terms as in ``loss_terms``, grads {"W", "b_h", "V", "c"}) of L = CE + beta P.

    params: W (n_hidden, n_visible), b_h (n_hidden,), V (n_classes, n_hidden), c (n_classes,);
    X: (B, n_visible); Y: (B, n_classes) one-hot; U: (B, k, n_visible) or None (a plain MLP).
    """
    W, V = params["W"], params["V"]
    S, cache = hidden_forward(W, params["b_h"], X, activation)
    _, A, _, D1 = cache
    O = logits_forward(V, params["c"], S)
    ce, logP = cross_entropy_forward(O, Y)
    dV, dc, dS = logits_backward(cross_entropy_backward(logP, Y), V, S)
    dA = dS * D1
    terms = {"cross_entropy": ce, "tangent": ce * 0.0, "total": ce}
    dW_u = None
    if U is not None:
        T, G = tangent_forward(W, D1, U)
        Z = tangent_logits_forward(V, T)
        P = squared_norm_forward(Z)
        terms = {"cross_entropy": ce, "tangent": P, "total": ce + beta * P}
        dV_t, dT = tangent_logits_backward(squared_norm_backward(Z, beta), V, T)
        dA_t, dW_u = tangent_backward(dT, G, D1, activation.d2(A, S, D1), U)
        dV = dV + dV_t
        dA = dA + dA_t
    dW, db_h = hidden_backward(dA, cache)
    if dW_u is not None:
        dW = dW + dW_u
    return terms, {"W": dW, "b_h": db_h, "V": dV, "c": dc}
