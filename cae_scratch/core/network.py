"""The CAE as pure functions of ``(params, X, spec)``: init, forward, loss, manual backward.

Shapes: X: (B, n_visible); W: (n_hidden, n_visible); b_h: (n_hidden,);
W_r: (n_visible, n_hidden) (untied only; tied means W_r = W.T); b_r: (n_visible,).

    A = X W^T + b_h      H = s(A)      Z = H W_r^T + b_r      R = g(Z)
    L = mean_b rec(x_b, r_b) + lam * mean_b ||J(x_b)||_F^2

One training step for tied weights is five matrix products -- X W^T, H W,
H^T dZ, dZ W^T, dA^T X -- plus element-wise work: the penalty's gradient
joins dA before the single dA^T X (see ``penalty.py``). When lam == 0 the
penalty is skipped entirely.
"""
from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np

from . import backend, losses, penalty
from .activations import get_activation


@dataclass(frozen=True)
class Spec:
    """Everything about a CAE except its sizes and parameters (validated by the model)."""
    activation: str = "sigmoid"
    decoder_activation: str = "sigmoid"
    loss: str = "bce"
    tied: bool = True
    lam: float = 0.1
    corruption: str = "none"     # none | gaussian | masking (a denoising autoencoder when not none)
    noise: float = 0.0           # gaussian: the noise std; masking: the fraction of inputs zeroed


def param_shapes(n_visible, n_hidden, tied):
    shapes = {"W": (n_hidden, n_visible), "b_h": (n_hidden,), "b_r": (n_visible,)}
    if not tied:
        shapes["W_r"] = (n_visible, n_hidden)
    return shapes


def init_params(n_visible, n_hidden, spec, xp, dtype, device=None, seed=0):
    """Glorot-uniform weights, zero biases, drawn on the host so every backend gets the same numbers.

    W ~ U(-c, c), c = sqrt(6 / (n_visible + n_hidden)), times 4 for a sigmoid
    encoder (the Theano tutorial's scale: sigmoid'(0) = 1/4).
    """
    gen = backend.rng(backend.spawn(seed, 2)[0])   # stream 0 of the seed: initialisation
    scale = math.sqrt(6.0 / (n_visible + n_hidden)) * (4.0 if spec.activation == "sigmoid" else 1.0)
    host = {}
    for name, shape in param_shapes(n_visible, n_hidden, spec.tied).items():
        host[name] = gen.uniform(-scale, scale, size=shape) if name.startswith("W") else np.zeros(shape)
    return {k: backend.asarray(v, xp, dtype, device) for k, v in host.items()}


def decoder_weight(params, tied):
    """W_r: (n_visible, n_hidden); a transposed view of W when tied."""
    return params["W"].T if tied else params["W_r"]


def encode(params, X, spec):
    """H = s(X W^T + b_h): (B, n_hidden)."""
    return get_activation(spec.activation).f(X @ params["W"].T + params["b_h"])


def decode_preactivation(params, H, spec):
    """Z = H W_r^T + b_r: (B, n_visible)."""
    return H @ decoder_weight(params, spec.tied).T + params["b_r"]


def decode(params, H, spec):
    """R = g(Z): (B, n_visible)."""
    return get_activation(spec.decoder_activation).f(decode_preactivation(params, H, spec))


def forward(params, X, spec):
    """The forward pass; returns the cache the backward needs: A, H, D1 = s'(A), Z, R."""
    act = get_activation(spec.activation)
    A, H, D1 = penalty.encoder_derivatives(params["W"], params["b_h"], X, act)
    Z = decode_preactivation(params, H, spec)
    R = get_activation(spec.decoder_activation).f(Z)
    return {"A": A, "H": H, "D1": D1, "Z": Z, "R": R}


def reconstruction_and_dZ(X, cache, spec):
    """The reconstruction loss (0-d) and dL/dZ: (B, n_visible); X is the target (the clean input)."""
    Z, R = cache["Z"], cache["R"]
    if spec.loss == "bce":
        return losses.bce(X, Z), losses.bce_backward(X, R)
    dR_dZ = R * (1.0 - R) if spec.decoder_activation == "sigmoid" else None
    return losses.mse(X, R), losses.mse_backward(X, R, dR_dZ)


def loss_and_grads(params, X, spec, target=None):
    """Loss terms (0-d arrays: reconstruction, contractive, total) and grads (same keys as params).

    X: (B, n_visible) is the encoder's input; ``target`` (default X) is what
    the decoder must reconstruct -- the clean input when X is corrupted (DAE).

    "contractive" is mean_b ||J(x_b)||_F^2 without lam; it is NaN when lam == 0,
    because then the penalty's work is skipped (measure it with
    ``contractive_penalty``).
    """
    xp = backend.namespace(X, params["W"])
    W = params["W"]
    cache = forward(params, X, spec)
    H, D1 = cache["H"], cache["D1"]
    rec, dZ = reconstruction_and_dZ(X if target is None else target, cache, spec)
    grads = {"b_r": xp.sum(dZ, axis=0)}
    dH = dZ @ decoder_weight(params, spec.tied)            # (B, n_hidden)
    dA = dH * D1
    if spec.lam > 0:
        act = get_activation(spec.activation)
        q = penalty.row_norms_sq(W)
        pen = penalty.contractive_penalty(D1, q)
        dA_P, dW_q = penalty.penalty_backward(D1, act.d2(cache["A"], H, D1), W, q)
        dA = dA + spec.lam * dA_P
    else:
        pen = xp.asarray(float("nan"), dtype=W.dtype, device=backend.device_of(W))
    dW = dA.T @ X                                          # (n_hidden, n_visible)
    if spec.tied:
        dW = dW + H.T @ dZ                                 # the decoder's use of W
    else:
        grads["W_r"] = dZ.T @ H
    if spec.lam > 0:
        dW = dW + spec.lam * dW_q
    grads["W"] = dW
    grads["b_h"] = xp.sum(dA, axis=0)
    total = rec + spec.lam * pen if spec.lam > 0 else rec
    return {"reconstruction": rec, "contractive": pen, "total": total}, grads


def loss_terms(params, X, spec):
    """Forward only: reconstruction, contractive (always computed) and total, as 0-d arrays."""
    cache = forward(params, X, spec)
    rec, _ = reconstruction_and_dZ(X, cache, spec)
    pen = penalty.contractive_penalty(cache["D1"], penalty.row_norms_sq(params["W"]))
    return {"reconstruction": rec, "contractive": pen, "total": rec + spec.lam * pen}
