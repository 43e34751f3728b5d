"""Element-wise activations with their first, second and third derivatives.

Each activation carries its value and three derivatives, functions of the
pre-activation ``A`` and its value ``H = s(A)`` (written in terms of ``H``
where that is cheaper, as the penalties' backwards need both)::

    s(A)              value
    s'(A)  = d1(A, H)
    s''(A) = d2(A, H, D1)     D1 = s'(A), already computed
    s'''(A) = d3(A, H, D1, D2)   D2 = s''(A), already computed (the Hessian penalty's backward)

    sigmoid   s' = h(1-h)          s'' = s'(1-2h)                  s''' = s'(1 - 6h + 6h^2)
    tanh      s' = 1-h^2           s'' = -2h s'                    s''' = s'(6h^2 - 2)
    softplus  s' = sigmoid(a)      s'' = sigmoid(a)(1-sigmoid(a))  s''' = s''(1 - 2 sigmoid(a))
    relu      s' = 1[a>0]          s'' = 0   (the penalty has kinks at a=0)
    linear    s' = 1               s'' = 0   (the penalty is weight decay)
    (relu and linear: s''' = 0)

sigmoid: s'' = s' - 2h s', so s''' = s''(1-2h) - 2 s'^2 = s'((1-2h)^2 - 2h(1-h)) = s'(1 - 6h + 6h^2);
tanh: s''' = -2 s'^2 - 2h s'' = s'(4h^2 - 2(1-h^2)) = s'(6h^2 - 2).

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


def _zeros_like(A, H, D1=None, D2=None):
    return namespace(A).zeros_like(A)


@dataclass(frozen=True)
class Activation:
    """An element-wise function with its derivatives (see the module docstring)."""
    name: str
    f: Callable          # A -> H
    d1: Callable         # (A, H) -> s'(A)
    d2: Callable         # (A, H, D1) -> s''(A)
    d3: Callable         # (A, H, D1, D2) -> s'''(A)
    smooth: bool = True  # False where s' jumps (relu): finite differences must avoid a = 0

    def __call__(self, A):
        return self.f(A)


ACTIVATIONS = {
    "sigmoid": Activation(
        "sigmoid", sigmoid,
        lambda A, H: H * (1.0 - H),
        lambda A, H, D1: D1 * (1.0 - 2.0 * H),
        lambda A, H, D1, D2: D1 * (1.0 - 6.0 * H + 6.0 * (H * H))),
    "tanh": Activation(
        "tanh", lambda A: namespace(A).tanh(A),
        lambda A, H: 1.0 - H * H,
        lambda A, H, D1: -2.0 * H * D1,
        lambda A, H, D1, D2: D1 * (6.0 * (H * H) - 2.0)),
    "softplus": Activation(
        "softplus", softplus,
        lambda A, H: sigmoid(A),
        lambda A, H, D1: D1 * (1.0 - D1),
        lambda A, H, D1, D2: D2 * (1.0 - 2.0 * D1)),
    "relu": Activation(
        "relu", lambda A: namespace(A).maximum(A, 0.0),
        lambda A, H: namespace(A).astype(A > 0, A.dtype),
        _zeros_like, _zeros_like, smooth=False),
    "linear": Activation("linear", lambda A: A, _ones_like, _zeros_like, _zeros_like),
}

DECODER_ACTIVATIONS = ("sigmoid", "linear")


def get_activation(name: str) -> Activation:
    """Look up an activation by name (ValueError listing the valid names)."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]
