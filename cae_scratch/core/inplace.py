"""In-place element-wise kernels of the fused step: the encoder's s(A) and s'(A), the penalty's s''(A) share,
the Hessian terms' s''(A) and s'''(A), and bce's select and sum of logs.

Each writes into buffers the step owns (``backend.into``), using its
function's algebra: a sigmoid is exp, +1, 1/x on one buffer, and s'(a) = h(1-h);
tanh gives s' = 1 - h^2 and s'' = -2 h s'; softplus shares one e^-|a| between h and
s' = sigmoid(a). Other activations go through their
own (allocating) functions in ``activations``, with A kept in the step's S buffer.
"""
from __future__ import annotations

import numpy as np

from ..backend import into
from .activations import get_activation


# ---- encoder: H <- s(H + b_h) in place and D = s'(.), given H = X W^T (twin: layers.encoder_forward)

def sigmoid_(xp, Z, bias):
    """Z <- 1 / (1 + exp(-(Z + bias))) in place: four passes, no temporary."""
    into(Z, xp.subtract, -bias, Z)         # -(z + b)
    into(Z, xp.exp, Z)                     # inf for z < -88 in float32: 1/(1+inf) = 0, the limit
    Z += 1.0
    return into(Z, xp.divide, 1.0, Z)


def encode_sigmoid(xp, H, b_h, D, S):
    sigmoid_(xp, H, b_h)
    into(D, xp.subtract, 1.0, H)                       # s' = h (1 - h)
    D *= H


def encode_tanh(xp, H, b_h, D, S):
    H += b_h
    into(H, xp.tanh, H)
    into(D, xp.multiply, H, H)                         # s' = 1 - h^2
    into(D, xp.subtract, 1.0, D)


def encode_softplus(xp, H, b_h, D, S):
    """h = max(a, 0) + log(1 + E), s' = where(a >= 0, 1, E) / (1 + E), E = e^-|a|: one exp for both (log(1 + E)
    is within an ulp of 1 of the reference's log1p(E) and vectorised in NumPy where log1p is not); S keeps
    max(a, 0), which the softplus derivatives never read."""
    into(S, xp.add, H, b_h)                            # a
    into(H, xp.abs, S)
    into(H, xp.negative, H)
    into(H, xp.exp, H)                                 # E
    into(D, xp.sign, S)
    into(D, xp.maximum, H, D)                          # where(a >= 0, 1, E): sign(a) = -1 < E; E = 1 at a = 0
    into(S, xp.maximum, S, 0.0)
    H += 1.0
    D /= H                                             # s' = sigmoid(a)
    into(H, xp.log, H)
    H += S


def encode_any(act, xp, H, b_h, D, S):
    """Any activation through its own functions (allocating); S keeps A = X W^T + b_h for s''."""
    A = into(S, xp.add, H, b_h)
    H[...] = act.f(A)
    D[...] = act.d1(A, H)


# ---- the penalty's share of dA: S = c q s''(A), c = 2 lam / B (twin: penalty.contractive_backward) ----

def d2_sigmoid(xp, S, H, D, cq):
    """s'' = s'(1 - 2h):  S = (cq - 2 cq h) s'."""
    into(S, xp.multiply, H, -2.0 * cq)
    S += cq
    S *= D


def d2_tanh(xp, S, H, D, cq):
    """s'' = -2 h s':  S = (-2 cq h) s'."""
    into(S, xp.multiply, H, -2.0 * cq)
    S *= D


def d2_softplus(xp, S, H, D, cq):
    """s'' = s'(1 - s'):  S = cq (1 - s') s'."""
    into(S, xp.subtract, 1.0, D)
    S *= D
    S *= cq


FAST = {"sigmoid": (encode_sigmoid, d2_sigmoid), "tanh": (encode_tanh, d2_tanh),
        "softplus": (encode_softplus, d2_softplus)}


def encoder_for(name):
    """(encode(xp, H, b_h, D, S), d2(xp, S, H, D, cq)) for an activation name."""
    if name in FAST:
        return FAST[name]
    act = get_activation(name)

    def d2_any(xp, S, H, D, cq):
        into(S, xp.multiply, act.d2(S, H, D), cq)     # S holds A
    return (lambda *args: encode_any(act, *args)), d2_any


# ---- the Hessian terms' s''(A) and s'''(A) into ``out`` (twins: the activations' d2 and d3) --------------
# ``out`` may be H itself (the perturbed copies' s''(a~) overwrites s(a~)); A is read only by the
# allocating fallback (where the encoder kept A in S). ``scale`` (a number or a row of n_hidden) multiplies
# s'': folded into the first pass where the algebra allows (the stochastic term's 2 gamma q / (B C)).

def second_sigmoid(xp, out, A, H, D, scale=1.0):
    """scale s'' = scale s'(1 - 2h)."""
    into(out, xp.multiply, H, -2.0 * scale)
    out += scale
    out *= D


def second_tanh(xp, out, A, H, D, scale=1.0):
    """scale s'' = -2 scale h s'."""
    into(out, xp.multiply, H, -2.0 * scale)
    out *= D


def third_sigmoid(xp, out, A, H, D, D2):
    """s''' = s'(1 - 6h + 6h^2) = s'(1 + 6h(h - 1))."""
    into(out, xp.subtract, H, 1.0)
    out *= H
    out *= 6.0
    out += 1.0
    out *= D


def third_tanh(xp, out, A, H, D, D2):
    """s''' = s'(6h^2 - 2)."""
    into(out, xp.multiply, H, H)
    out *= 6.0
    out -= 2.0
    out *= D


def second_softplus(xp, out, A, H, D, scale=1.0):
    """scale s'' = scale s'(1 - s')."""
    into(out, xp.multiply, D, -scale)
    out += scale
    out *= D


def third_softplus(xp, out, A, H, D, D2):
    """s''' = s''(1 - 2 s')."""
    into(out, xp.multiply, D, -2.0)
    out += 1.0
    out *= D2


HESSIAN_FAST = {"sigmoid": (second_sigmoid, third_sigmoid), "tanh": (second_tanh, third_tanh),
                "softplus": (second_softplus, third_softplus)}


def derivatives_for(name):
    """(second(xp, out, A, H, D), third(xp, out, A, H, D, D2)) writing s''(A), s'''(A) into out."""
    if name in HESSIAN_FAST:
        return HESSIAN_FAST[name]
    act = get_activation(name)

    def second(xp, out, A, H, D, scale=1.0):
        out[...] = act.d2(A, H, D) * scale

    def third(xp, out, A, H, D, D2):
        out[...] = act.d3(A, H, D, D2)
    return second, third


# ---- bce's kernels (``fused.bce_into``) ------------------------------------------------------------

def log_sum_into(xp, U, out):
    """sum log U for U in [1, 2] (B, n), as a sum of logs of products: six halvings of the flattened array
    (products of its two contiguous halves, ping-ponging between U and out, an odd last entry carried along)
    leave <= 64 factors per entry (< 2^64: no overflow in float32), so the log -- a slow pass, scalar in
    float64 without AVX-512 -- runs on B n / 64 entries. U and out (B, n) are overwritten. Each product adds
    half an ulp per factor: the float32 sum stays within about 1e-9 relative at 256 x 784.
    """
    src, dst = xp.reshape(U, (-1,)), xp.reshape(out, (-1,))     # contiguous: NumPy's strided ufuncs allocate
    w = src.shape[0]
    for _ in range(6):
        if w < 2:
            break
        h = w // 2
        into(dst[:h], xp.multiply, src[:h], src[h:2 * h])
        if w % 2:
            dst[h] = src[w - 1]
        w -= h
        src, dst = dst, src
    return xp.sum(into(dst[:w], xp.log, src[:w]))


def numerator_into(xp, out, E, M):
    """out = where(M, 1, E) for E in (0, 1]: NumPy as max(E, M) (M cast to 0/1; a 10x faster pass than a
    masked ufunc), elsewhere through where."""
    if isinstance(out, np.ndarray):
        np.maximum(E, M, out=out)
    else:
        out[...] = xp.where(M, xp.ones_like(E), E)
