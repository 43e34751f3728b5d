"""In-place element-wise kernels of the fused step's encoder: s(A) and s'(A), and the penalty's s''(A) share.

Each writes into buffers the step owns (``backend.into``), using its
function's algebra: a sigmoid is exp, +1, 1/x on one buffer, and s'(a) = h(1-h);
tanh gives s' = 1 - h^2 and s'' = -2 h s'. Other activations go through their
own (allocating) functions in ``activations``.
"""
from __future__ import annotations

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


FAST = {"sigmoid": (encode_sigmoid, d2_sigmoid), "tanh": (encode_tanh, d2_tanh)}


def encoder_for(name):
    """(encode(xp, H, b_h, D, S), d2(xp, S, H, D, cq)) for an activation name."""
    if name in FAST:
        return FAST[name]
    act = get_activation(name)

    def d2_any(xp, S, H, D, cq):
        into(S, xp.multiply, act.d2(S, H, D), cq)     # S holds A
    return (lambda *args: encode_any(act, *args)), d2_any
