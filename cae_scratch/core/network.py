"""The CAE as pure functions of ``(params, X, spec)``: init, encode/decode, and the reference step.

Shapes: X: (B, n_visible); W: (n_hidden, n_visible); b_h: (n_hidden,);
W_r: (n_visible, n_hidden) (untied only; tied means W_r = W^T); b_r: (n_visible,).

    A = X W^T + b_h      H = s(A)      Z = H W_r^T + b_r      R = g(Z)
    L = mean_b rec(x_b, r_b) + lam * mean_b ||J(x_b)||_F^2  [+ gamma * the Hessian term, CAE+H: ``hessian``]

``loss_and_grads`` is the reference step: the pairs of ``layers``, ``losses``,
``penalty`` and ``hessian`` composed top to bottom, forward then backward in reverse.
It is for reading and for proving; ``fused.step`` computes the same numbers
fast, stage by stage in the same order.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import hessian, layers, losses, penalty
from .activations import get_activation


@dataclass(frozen=True)
class Spec:
    """Everything the step needs to know about a CAE except its sizes and parameters (validated by the model).

    CAE+H: ``hessian`` "exact" | "stochastic" adds gamma times that term (``core.hessian``);
    the stochastic one uses ``hessian_copies`` perturbations of std ``hessian_noise`` per example.
    """
    activation: str = "sigmoid"
    decoder_activation: str = "sigmoid"
    loss: str = "bce"
    tied: bool = True
    lam: float = 0.1
    hessian: str = "none"
    gamma: float = 0.0
    hessian_noise: float = 0.1
    hessian_copies: int = 4


def param_shapes(n_visible, n_hidden, tied):
    shapes = {"W": (n_hidden, n_visible), "b_h": (n_hidden,), "b_r": (n_visible,)}
    if not tied:
        shapes["W_r"] = (n_visible, n_hidden)
    return shapes


def init_params(n_visible, n_hidden, spec, xp, dtype, device=None, seed=0):
    """Glorot-uniform W (and W_r), zero biases (``layers.glorot_params``; x4 for a sigmoid encoder)."""
    shapes = param_shapes(n_visible, n_hidden, spec.tied)
    return layers.glorot_params(shapes, {"W": spec.activation, "W_r": spec.activation}, seed, xp, dtype, device)


def encode(params, X, spec):
    """H = s(X W^T + b_h): (B, n_hidden)."""
    return layers.encoder_forward(params["W"], params["b_h"], X, get_activation(spec.activation))[0]


def decode(params, H, spec):
    """R = g(H W_r^T + b_r): (B, n_visible)."""
    Z, _ = layers.decoder_forward(layers.decoder_weight(params, spec.tied), params["b_r"], H)
    return get_activation(spec.decoder_activation).f(Z)


def forward(params, X, spec, target=None, eps=None):
    """(terms, caches): the loss terms as 0-d arrays -- "reconstruction", "contractive" (without lam),
    with a Hessian term "hessian" (without gamma), "total" -- and what the backward needs. ``target``
    (default X) is what the decoder must reconstruct: the clean input when X, the encoder's input, is
    corrupted (a DAE). ``eps``: (hessian_copies, B, n_visible), the stochastic term's perturbations."""
    act, out = get_activation(spec.activation), get_activation(spec.decoder_activation)
    H, enc = layers.encoder_forward(params["W"], params["b_h"], X, act)
    Z, dec = layers.decoder_forward(layers.decoder_weight(params, spec.tied), params["b_r"], H)
    rec, rec_cache = losses.reconstruction_forward(Z, X if target is None else target, spec.loss, out)
    pen, pen_cache = penalty.contractive_forward(params["W"], enc, act)
    terms = {"reconstruction": rec, "contractive": pen, "total": rec + spec.lam * pen}
    hess_cache = None
    if spec.hessian != "none":
        hess, hess_cache = hessian.hessian_forward(params["W"], params["b_h"], enc, act, spec.hessian, eps)
        terms["hessian"], terms["total"] = hess, terms["total"] + spec.gamma * hess
    return terms, (enc, dec, rec_cache, pen_cache, hess_cache)


def loss_and_grads(params, X, spec, target=None, eps=None):
    """(terms, grads): ``forward``, then the backward in reverse; grads has the keys of params.

    W's uses add up: the encoder's (dA^T X), the decoder's (``layers.tie``), the penalty's q (dW_q),
    and the Hessian term's other paths (its q, and the perturbed copies' dA~^T X~).
    """
    terms, (enc, dec, rec_cache, pen_cache, hess_cache) = forward(params, X, spec, target, eps)
    dZ = losses.reconstruction_backward(rec_cache, spec.loss)
    dH, dec_grads = layers.decoder_backward(dZ, dec)
    dA_P, q_path = penalty.contractive_backward(pen_cache)
    dA_extra, extra = spec.lam * dA_P, {}
    if hess_cache is not None:                         # the Hessian block, beside the penalty's
        dA_H, extra = hessian.hessian_backward(hess_cache)
        dA_extra = dA_extra + spec.gamma * dA_H
    _, enc_grads = layers.encoder_backward(dH, enc, dA_extra=dA_extra)
    grads = layers.tie({**enc_grads, **dec_grads}, spec.tied)
    grads["W"] = grads["W"] + spec.lam * q_path["W"]
    for k, g in extra.items():
        grads[k] = grads[k] + spec.gamma * g
    return terms, grads


def loss_terms(params, X, spec, eps=None):
    """Forward only: "reconstruction", "contractive" (, "hessian") and "total" as 0-d arrays."""
    return forward(params, X, spec, eps=eps)[0]
