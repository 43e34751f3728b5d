"""Element-wise activations with their first and second derivatives.

Each activation carries three functions of the pre-activation ``A`` and its
value ``H = s(A)`` (the derivatives are written in terms of ``H`` where that
is cheaper, as the penalty's backward needs both)::

    s(A)              value
    s'(A)  = d1(A, H)
    s''(A) = d2(A, H, D1)     D1 = s'(A), already computed

    sigmoid   s' = h(1-h)          s'' = s'(1-2h)
    tanh      s' = 1-h^2           s'' = -2h s'
    softplus  s' = sigmoid(a)      s'' = sigmoid(a)(1-sigmoid(a))
    relu      s' = 1[a>0]          s'' = 0   (the penalty has kinks at a=0)
    linear    s' = 1               s'' = 0   (the penalty is weight decay)

All functions are array-API code, numerically stable for |a| up to 1e4
(no overflow, exact limits), and keep the input dtype.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..backend import namespace


def sigmoid(A):
    """1 / (1 + exp(-A)), via exp(-|A|) so nothing overflows: sigmoid(+-1e4) == 1, 0."""
    xp = namespace(A)
    E = xp.exp(-xp.abs(A))                      # in (0, 1]
    return xp.where(A >= 0, 1.0 / (1.0 + E), E / (1.0 + E))


def softplus(A):
    """log(1 + exp(A)) = max(A, 0) + log1p(exp(-|A|)): exact for large |A|."""
    xp = namespace(A)
    return xp.maximum(A, 0.0) + xp.log1p(xp.exp(-xp.abs(A)))


def _ones_like(A, H):
    return namespace(A).ones_like(A)


def _zeros_like(A, H, D1=None):
    return namespace(A).zeros_like(A)


@dataclass(frozen=True)
class Activation:
    """An element-wise function with its derivatives (see the module docstring)."""
    name: str
    f: Callable          # A -> H
    d1: Callable         # (A, H) -> s'(A)
    d2: Callable         # (A, H, D1) -> s''(A)
    smooth: bool = True  # False where s' jumps (relu): finite differences must avoid a = 0

    def __call__(self, A):
        return self.f(A)


ACTIVATIONS = {
    "sigmoid": Activation(
        "sigmoid", sigmoid,
        lambda A, H: H * (1.0 - H),
        lambda A, H, D1: D1 * (1.0 - 2.0 * H)),
    "tanh": Activation(
        "tanh", lambda A: namespace(A).tanh(A),
        lambda A, H: 1.0 - H * H,
        lambda A, H, D1: -2.0 * H * D1),
    "softplus": Activation(
        "softplus", softplus,
        lambda A, H: sigmoid(A),
        lambda A, H, D1: D1 * (1.0 - D1)),
    "relu": Activation(
        "relu", lambda A: namespace(A).maximum(A, 0.0),
        lambda A, H: namespace(A).astype(A > 0, A.dtype),
        _zeros_like, smooth=False),
    "linear": Activation("linear", lambda A: A, _ones_like, _zeros_like),
}

DECODER_ACTIVATIONS = ("sigmoid", "linear")


def get_activation(name: str) -> Activation:
    """Look up an activation by name (ValueError listing the valid names)."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]
