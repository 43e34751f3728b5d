"""In-place element-wise kernels of the fused step, one family per activation: the encoder's s(A) and s'(A),
scale * s''(A) (the penalties' shares of dA fold their factor into the scale) and s'''(A); and bce's
select and sum of logs.

Each writes into buffers the step owns (``backend.into``), using its
function's algebra: a sigmoid is exp, +1, 1/x on one buffer, and s'(a) = h(1-h);
tanh gives s' = 1 - h^2 and s'' = -2 h s'; softplus shares one e^-|a| between h and
s' = sigmoid(a). Other activations go through their own (allocating) functions in
``activations``, with A kept in the step's S buffer. ``kernels_for(name)`` is the one registry.

Names as in ``layers`` and ``activations``: H = s(A), D1 = s'(A), D2 = s''(A).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..backend import into
from .activations import get_activation


# ---- encoder: H <- s(H + b_h) in place and D1 = s'(.), given H = X W^T (twin: layers.encoder_forward) ----

def sigmoid_(xp, Z, bias):
    """Z <- 1 / (1 + exp(-(Z + bias))) in place: four passes, no temporary."""
    into(Z, xp.subtract, -bias, Z)         # -(z + b)
    into(Z, xp.exp, Z)                     # inf for z < -88 in float32: 1/(1+inf) = 0, the limit
    Z += 1.0
    return into(Z, xp.divide, 1.0, Z)


def encode_sigmoid(xp, H, b_h, D1, S):
    sigmoid_(xp, H, b_h)
    into(D1, xp.subtract, 1.0, H)                      # s' = h (1 - h)
    D1 *= H


def encode_tanh(xp, H, b_h, D1, S):
    H += b_h
    into(H, xp.tanh, H)
    into(D1, xp.multiply, H, H)                        # s' = 1 - h^2
    into(D1, xp.subtract, 1.0, D1)


def encode_softplus(xp, H, b_h, D1, S):
    """h = max(a, 0) + log(1 + E), s' = where(a >= 0, 1, E) / (1 + E), E = e^-|a|: one exp for both (log(1 + E)
    is within an ulp of 1 of the reference's log1p(E) and vectorised in NumPy where log1p is not); S keeps
    max(a, 0), which the softplus derivatives never read."""
    into(S, xp.add, H, b_h)                            # a
    into(H, xp.abs, S)
    into(H, xp.negative, H)
    into(H, xp.exp, H)                                 # E
    into(D1, xp.sign, S)
    into(D1, xp.maximum, H, D1)                        # where(a >= 0, 1, E): sign(a) = -1 < E; E = 1 at a = 0
    into(S, xp.maximum, S, 0.0)
    H += 1.0
    D1 /= H                                            # s' = sigmoid(a)
    into(H, xp.log, H)
    H += S


def encode_any(act, xp, H, b_h, D1, S):
    """Any activation through its own functions (allocating); S keeps A = X W^T + b_h for s''."""
    A = into(S, xp.add, H, b_h)
    H[...] = act.f(A)
    D1[...] = act.d1(A, H)


# ---- scale * s''(A) and s'''(A) into ``out`` (twins: the activations' d2 and d3) ---------------------
# ``scale`` (a number or a row of n_hidden) multiplies s'': the contractive penalty's share of dA is
# (2 lam / B) q s''(A) (twin: penalty.contractive_backward), the stochastic Hessian term's perturbed
# copies' is 2 gamma q s''(a~) / (B C) (twin: hessian.stochastic_backward). ``out`` may be H itself (the
# copies' s''(a~) overwrites s(a~)); A is read only by the allocating fallback (the encoder kept A in S).

def second_sigmoid(xp, out, A, H, D1, scale=1.0):
    """scale s'' = (scale - 2 scale h) s'."""
    into(out, xp.multiply, H, -2.0 * scale)
    out += scale
    out *= D1


def second_tanh(xp, out, A, H, D1, scale=1.0):
    """scale s'' = (-2 scale h) s'."""
    into(out, xp.multiply, H, -2.0 * scale)
    out *= D1


def second_softplus(xp, out, A, H, D1, scale=1.0):
    """scale s'' = (1 - s') s' scale."""
    into(out, xp.subtract, 1.0, D1)
    out *= D1
    out *= scale


def third_sigmoid(xp, out, A, H, D1, D2):
    """s''' = s'(1 - 6h + 6h^2) = s'(1 + 6h(h - 1))."""
    into(out, xp.subtract, H, 1.0)
    out *= H
    out *= 6.0
    out += 1.0
    out *= D1


def third_tanh(xp, out, A, H, D1, D2):
    """s''' = s'(6h^2 - 2)."""
    into(out, xp.multiply, H, H)
    out *= 6.0
    out -= 2.0
    out *= D1


def third_softplus(xp, out, A, H, D1, D2):
    """s''' = s''(1 - 2 s')."""
    into(out, xp.multiply, D1, -2.0)
    out += 1.0
    out *= D2


@dataclass(frozen=True)
class Kernels:
    """One activation's in-place kernels: encode(xp, H, b_h, D1, S), second(xp, out, A, H, D1, scale=1.0),
    third(xp, out, A, H, D1, D2)."""
    encode: Callable
    second: Callable
    third: Callable


KERNELS = {"sigmoid": Kernels(encode_sigmoid, second_sigmoid, third_sigmoid),
           "tanh": Kernels(encode_tanh, second_tanh, third_tanh),
           "softplus": Kernels(encode_softplus, second_softplus, third_softplus)}


def kernels_for(name):
    """The ``Kernels`` of an activation name: the fast family, or the activation's own functions."""
    if name in KERNELS:
        return KERNELS[name]
    act = get_activation(name)

    def second(xp, out, A, H, D1, scale=1.0):
        out[...] = act.d2(A, H, D1) * scale

    def third(xp, out, A, H, D1, D2):
        out[...] = act.d3(A, H, D1, D2)
    return Kernels(lambda *args: encode_any(act, *args), second, third)


# ---- bce's kernels (``fused.bce_into``) ------------------------------------------------------------

def log_sum_into(xp, U, out):
    """sum log U for U in [1, 2] (B, n), as a sum of logs of products: six halvings of the flattened array
    (products of its two contiguous halves, ping-ponging between U and out, an odd last entry carried along)
    leave <= 64 factors per entry (< 2^64: no overflow in float32), so the log -- a slow pass, scalar in
    float64 without AVX-512 -- runs on B n / 64 entries. U and out (B, n) are overwritten. Each product adds
    half an ulp per factor: the float32 sum stays within about 1e-9 relative at 256 x 784. Other libraries
    (CuPy, array_api_strict) take one log of U into ``out``.
    """
    if not isinstance(U, np.ndarray):                            # the trick is for NumPy's slow log; elsewhere
        return xp.sum(into(out, xp.log, U))                      # each halving would cost a kernel launch
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
    """out = where(M, 1, E) for E in (0, 1]: NumPy as max(E, M) (M cast to 0/1: one plain pass instead of a
    masked ufunc's), elsewhere through where."""
    if isinstance(out, np.ndarray):
        np.maximum(E, M, out=out)
    else:
        out[...] = xp.where(M, xp.ones_like(E), E)
