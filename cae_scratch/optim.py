"""Optimizers with manual, in-place updates: sgd, momentum, adam.

Each optimizer keeps its state as arrays shaped like the parameters, plus one
scratch array per parameter, and updates ``params`` in place (array-API
in-place operators; ``backend.into`` writes NumPy/CuPy results straight into
the scratch), so the model's arrays are the ones that change and a step
allocates nothing: at 784 x 1000 every temporary would be 3 MiB.
"""
from __future__ import annotations

import math

from .backend import into, namespace
from .validation import choice

OPTIMIZERS = ("sgd", "momentum", "adam")


def _like(params):
    """Zero arrays shaped like each parameter."""
    return {k: namespace(p).zeros_like(p) for k, p in params.items()}


class SGD:
    """p <- p - lr g."""

    def __init__(self, params, lr):
        self.lr, self.xp = lr, namespace(*params.values())
        self.u = _like(params)

    def step(self, params, grads):
        for k, g in grads.items():
            params[k] -= into(self.u[k], self.xp.multiply, g, self.lr)


class Momentum:
    """Heavy ball: v <- mu v + g;  p <- p - lr v."""

    def __init__(self, params, lr, mu=0.9):
        self.lr, self.mu, self.xp = lr, mu, namespace(*params.values())
        self.v, self.u = _like(params), _like(params)

    def step(self, params, grads):
        for k, g in grads.items():
            v = self.v[k]
            v *= self.mu
            v += g
            params[k] -= into(self.u[k], self.xp.multiply, v, self.lr)


class Adam:
    """Adam (Kingma & Ba 2015) with the bias correction folded into the step size.

    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
    p <- p - lr_t m / (sqrt(v) + eps_t),  lr_t = lr sqrt(1-b2^t)/(1-b1^t), eps_t = eps sqrt(1-b2^t).

    The moments are kept divided by (1-b1) and (1-b2) -- m' <- b1 m' + g,
    v' <- b2 v' + g^2 -- and the two factors move into the step's scalars:
    the same update in 10 passes over each parameter instead of 12 (every further
    rescaling of the moments trades one pass for another). The passes run over
    whole arrays (running them block by block, so that one block's arrays stay in
    cache, was measured and bought nothing inside ``fit``).
    """

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps, self.t = lr, beta1, beta2, eps, 0
        self.xp = namespace(*params.values())
        self.m, self.v, self.u = _like(params), _like(params), _like(params)   # m', v', scratch

    def step(self, params, grads):
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        c2 = math.sqrt(1.0 - b2 ** self.t)
        lr_t = self.lr * c2 / (1.0 - b1 ** self.t) * (1.0 - b1) / math.sqrt(1.0 - b2)
        eps_t = self.eps * c2 / math.sqrt(1.0 - b2)
        xp = self.xp
        for k, g in grads.items():
            p, m, v, u = params[k], self.m[k], self.v[k], self.u[k]
            m *= b1
            m += g
            v *= b2
            v += into(u, xp.multiply, g, g)
            into(u, xp.sqrt, v)                          # u = lr_t m' / (sqrt(v') + eps_t), in place
            u += eps_t
            into(u, xp.divide, m, u)
            u *= lr_t
            p -= u


def make_optimizer(name, params, lr):
    """An optimizer by name (ValueError listing the valid names)."""
    classes = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
    return classes[choice("optimizer", name, OPTIMIZERS)](params, lr)
