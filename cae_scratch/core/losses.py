"""Reconstruction losses as forward/backward pairs; each a mean over the batch of a per-example sum.

Shapes: T (the target, usually X), Z, R: (B, n_visible). Each ``*_backward``
returns dL/dZ, the gradient with respect to the decoder's *pre-activation* Z,
ready for the decoder's products.

bce (sigmoid decoder only), computed from Z, never from R = sigmoid(Z). Per element::

    -[t log r + (1-t) log(1-r)] = softplus(z) - t z = log(1 + e^-|z|) + (max(z, 0) - t z)

Both parts of the last form are >= 0 for t in [0, 1] (max(z, 0) >= t z, and
rounding keeps fl(t z) <= z), so each element, and the sum, is never
negative and never the difference of two large numbers (the form
sum z + sum log(1 + e^-z) - sum t z loses every digit in float32 when the
outputs saturate). And dL/dz = (sigmoid(z) - t) / B: the famous r - x.

mse (either decoder)::

    (r - t)^2,   dL/dz = 2 (r - t) g'(z) / B

cross_entropy (a classifier's logits O: (B, n_classes), one-hot targets Y), from log_softmax (never overflows)::

    mean_b -sum_j y_bj log softmax(o_b)_j,   dL/dO = (softmax(O) - Y) / B
"""
from __future__ import annotations

from ..backend import namespace
from .activations import sigmoid

LOSSES = ("bce", "mse")


def bce_forward(Z, T):
    """(mean_b sum_j log(1 + e^-|z|) + max(z, 0) - t z as a 0-d array, cache = (Z, T))."""
    xp = namespace(Z, T)
    per_element = xp.log1p(xp.exp(-xp.abs(Z))) + (xp.maximum(Z, 0.0) - T * Z)
    return xp.sum(per_element) / Z.shape[0], (Z, T)


def bce_backward(cache):
    """dL/dZ = (sigmoid(Z) - T) / B."""
    Z, T = cache
    return (sigmoid(Z) - T) * (1.0 / Z.shape[0])


def mse_forward(Z, T, decoder):
    """(mean_b sum_j (g(z) - t)^2 as a 0-d array, cache = (R, T, g'(Z) or None)); ``decoder`` is g."""
    xp = namespace(Z, T)
    R = decoder.f(Z)
    diff = R - T
    dR_dZ = None if decoder.name == "linear" else decoder.d1(Z, R)
    return xp.sum(diff * diff) / Z.shape[0], (R, T, dR_dZ)


def mse_backward(cache):
    """dL/dZ = 2 (R - T) g'(Z) / B."""
    R, T, dR_dZ = cache
    dZ = (R - T) * (2.0 / R.shape[0])
    return dZ if dR_dZ is None else dZ * dR_dZ


def log_softmax(Z):
    """Z - logsumexp(Z) row by row: (B, n_classes); never overflows."""
    xp = namespace(Z)
    Zs = Z - xp.max(Z, axis=1, keepdims=True)
    return Zs - xp.log(xp.sum(xp.exp(Zs), axis=1, keepdims=True))


def reconstruction_forward(Z, T, loss, decoder):
    """The chosen loss's forward: ``loss`` is "bce" or "mse", ``decoder`` the output Activation."""
    return bce_forward(Z, T) if loss == "bce" else mse_forward(Z, T, decoder)


def reconstruction_backward(cache, loss):
    return bce_backward(cache) if loss == "bce" else mse_backward(cache)


def cross_entropy_forward(O, Y):
    """(mean_b -log softmax(O_b)[y_b] as a 0-d array, cache = (log-probabilities, Y)); Y: one-hot (B, n_classes)."""
    xp = namespace(O, Y)
    logP = log_softmax(O)
    return -xp.sum(Y * logP) / O.shape[0], (logP, Y)


def cross_entropy_backward(cache):
    """dL/dO = (softmax(O) - Y) / B."""
    logP, Y = cache
    return (namespace(logP).exp(logP) - Y) / logP.shape[0]
