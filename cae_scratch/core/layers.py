"""The network's dense layers as forward/backward pairs (CS231n's ``*_forward -> (out, cache)``).

Shapes: X: (B, n_visible); W: (n_hidden, n_visible); b_h: (n_hidden,);
W_r: (n_visible, n_hidden) (tied: W_r = W^T); b_r: (n_visible,).

Encoder, for a batch::

    A = X W^T + b_h        H = s(A)        D1 = s'(A) (kept: the backward and the penalty need it)

    dA = dH * s'(A) + dA_extra             dA_extra: a term that reaches A directly (the penalty's)
    dW = dA^T X            db_h = sum_b dA

Decoder (the output activation belongs to the loss, see ``losses.py``)::

    Z = H W_r^T + b_r
    dH = dZ W_r            dW_r = dZ^T H      db_r = sum_b dZ

With tied weights W is used twice, so dW collects both uses:
dW = dA^T X + (dZ^T H)^T = dA^T X + H^T dZ (``tie``).

A classifier's layers are these pairs too: its hidden layer is the encoder's, its
logits O = S V^T + c the decoder's dense layer with W_r = V, b_r = c.

Every backward in ``core`` returns (the gradient it passes on, {parameter name: gradient}).

Initialisation (``glorot_params``): Glorot-uniform weights, zero biases, drawn on the host from the
seed's "init" stream so every backend gets the same numbers: W ~ U(-c, c), c = sqrt(6 / (fan_in +
fan_out)), times 4 in front of a sigmoid (the Theano tutorial's scale: sigmoid'(0) = 1/4).
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..backend import namespace


def glorot_params(shapes, activations, seed, xp, dtype, device=None):
    """{name: array} for {name: shape}: weights Glorot-uniform, U(-c, c) with c = sqrt(6 / (fan_in + fan_out))
    (x4 where ``activations[name]`` is "sigmoid"), drawn in the order of ``shapes`` from the "init" stream of
    ``seed``; 1-D shapes zero. A 2-D (n_out, n_in) weight has fans n_in and n_out; a 4-D convolution kernel
    (C_out, C_in, k, k) has C_in k k and C_out k k."""
    gen = backend.stream(seed, "init")
    host = {}
    for name, shape in shapes.items():
        if len(shape) in (2, 4):
            taps = math.prod(shape[2:])
            fans = shape[0] * taps + shape[1] * taps
            scale = math.sqrt(6.0 / fans) * (4.0 if activations.get(name) == "sigmoid" else 1.0)
            host[name] = gen.uniform(-scale, scale, size=shape)
        else:
            host[name] = np.zeros(shape)
    return {k: backend.asarray(v, xp, dtype, device) for k, v in host.items()}


def encoder_forward(W, b_h, X, activation):
    """H = s(X W^T + b_h): (B, n_hidden), and cache = (X, A, H, D1) with D1 = s'(A)."""
    A = X @ W.T + b_h
    H = activation.f(A)
    return H, (X, A, H, activation.d1(A, H))


def encoder_backward(dH, cache, dA_extra=None):
    """(dA, {"W": dA^T X, "b_h": sum_b dA}) with dA = dH * s'(A) (+ dA_extra)."""
    X, _, _, D1 = cache
    dA = dH * D1 if dA_extra is None else dH * D1 + dA_extra
    return dA, {"W": dA.T @ X, "b_h": namespace(dA).sum(dA, axis=0)}


def decoder_weight(params, tied):
    """W_r: (n_visible, n_hidden); a transposed view of W when tied."""
    return params["W"].T if tied else params["W_r"]


def decoder_forward(W_r, b_r, H):
    """Z = H W_r^T + b_r: (B, n_visible), and cache = (H, W_r)."""
    return H @ W_r.T + b_r, (H, W_r)


def decoder_backward(dZ, cache):
    """(dH, {"W_r": dZ^T H, "b_r": sum_b dZ}); dH: (B, n_hidden)."""
    H, W_r = cache
    return dZ @ W_r, {"W_r": dZ.T @ H, "b_r": namespace(dZ).sum(dZ, axis=0)}


def tie(grads, tied):
    """Fold the decoder's dW_r into dW when W_r = W^T (dW += dW_r^T); untied grads are returned as they are."""
    if tied:
        grads = dict(grads)
        grads["W"] = grads["W"] + grads.pop("W_r").T
    return grads
