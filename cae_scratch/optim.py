"""Optimizers with manual, in-place updates: sgd, momentum, adam.

Each optimizer keeps its state as arrays shaped like the parameters and
updates ``params`` in place (array-API in-place operators), so the model's
arrays are the ones that change and no new parameter arrays are made per step.
"""
from __future__ import annotations

import math

from .backend import namespace

OPTIMIZERS = ("sgd", "momentum", "adam")


class SGD:
    """p <- p - lr g."""

    def __init__(self, params, lr):
        self.lr = lr

    def step(self, params, grads):
        for k, g in grads.items():
            params[k] -= self.lr * g


class Momentum:
    """Heavy ball: v <- mu v + g;  p <- p - lr v."""

    def __init__(self, params, lr, mu=0.9):
        self.lr, self.mu = lr, mu
        self.v = {k: namespace(p).zeros_like(p) for k, p in params.items()}

    def step(self, params, grads):
        for k, g in grads.items():
            v = self.v[k]
            v *= self.mu
            v += g
            params[k] -= self.lr * v


class Adam:
    """Adam (Kingma & Ba 2015) with the bias correction folded into the step size.

    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
    p <- p - lr_t m / (sqrt(v) + eps_t),  lr_t = lr sqrt(1-b2^t)/(1-b1^t), eps_t = eps sqrt(1-b2^t).
    """

    def __init__(self, params, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps, self.t = lr, beta1, beta2, eps, 0
        self.m = {k: namespace(p).zeros_like(p) for k, p in params.items()}
        self.v = {k: namespace(p).zeros_like(p) for k, p in params.items()}

    def step(self, params, grads):
        self.t += 1
        c2 = math.sqrt(1.0 - self.beta2 ** self.t)
        lr_t = self.lr * c2 / (1.0 - self.beta1 ** self.t)
        for k, g in grads.items():
            xp = namespace(g)
            m, v = self.m[k], self.v[k]
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * (g * g)
            params[k] -= lr_t * (m / (xp.sqrt(v) + self.eps * c2))


def make_optimizer(name, params, lr):
    """An optimizer by name (ValueError listing the valid names)."""
    classes = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
    if name not in classes:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {list(OPTIMIZERS)}")
    return classes[name](params, lr)
