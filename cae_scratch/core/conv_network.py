"""The convolutional CAE as pure functions of ``(params, X, geo, spec)``: encode, decode, the step.

The dense CAE (``network``) with W = M(K), the matrix of the convolution
(``conv``): params "K" (C_out, C_in, k, k), "b_h" (C_out,), "b_r" (C_in,),
one bias per channel. X: (B, C_in H W); codes: (B, C_out P).

    A = conv(X, K) + b_h     H = s(A)     Z = conv^T(H, K) + b_r     R = g(Z)
    L = mean_b rec(x_b, r_b) + lam * mean_b ||J(x_b)||_F^2

The tied decoder is the exact adjoint, so K is used twice, and the penalty
uses it a third time, through q = conv(1_x, K * K):

    dK = sum_b dA_b cols(X)_b^T          (encoder: dA = dH * s'(A) + lam (2/B) s' s'' q)
       + sum_b H_b cols(dZ)_b^T          (decoder: <dZ, M^T h> = <M dZ, h>)
       + lam 2 K * corr(1_x, mean_b s'^2)   (the penalty's q path)
    dH = M(K) dZ = conv(dZ, K)
"""
from __future__ import annotations

from . import conv, losses
from .activations import get_activation


def encode_cache(params, X, geo, spec):
    """(H, (patches, A, D1)): the code (B, C_out P) and what the backward needs."""
    act = get_activation(spec.activation)
    A0, patches = conv.conv_forward(geo, params["K"], X)
    A = conv.add_channel_bias(A0, params["b_h"], geo.n_positions)
    H = act.f(A)
    return H, (patches, A, act.d1(A, H))


def encode(params, X, geo, spec):
    """H = s(conv(X, K) + b_h): (B, C_out P)."""
    return encode_cache(params, X, geo, spec)[0]


def decoder_logits(params, H, geo):
    """Z = conv^T(H, K) + b_r: (B, C_in H W)."""
    C, Hh, Ww = geo.in_shape
    return conv.add_channel_bias(conv.conv_transpose(geo, params["K"], H), params["b_r"], Hh * Ww)


def decode(params, H, geo, spec):
    """R = g(conv^T(H, K) + b_r): (B, C_in H W)."""
    return get_activation(spec.decoder_activation).f(decoder_logits(params, H, geo))


def forward(params, X, geo, spec, target=None):
    """(terms, cache): "reconstruction", "contractive" (without lam) and "total" as 0-d arrays."""
    out = get_activation(spec.decoder_activation)
    H, (patches, A, D1) = encode_cache(params, X, geo, spec)
    Z = decoder_logits(params, H, geo)
    rec, rec_cache = losses.reconstruction_forward(Z, X if target is None else target, spec.loss, out)
    pen, q = conv.contractive_forward(geo, params["K"], D1)
    terms = {"reconstruction": rec, "contractive": pen, "total": rec + spec.lam * pen}
    return terms, (H, patches, A, D1, q, rec_cache)


def loss_terms(params, X, geo, spec):
    """Forward only: the loss terms as 0-d arrays."""
    return forward(params, X, geo, spec)[0]


def loss_and_grads(params, X, geo, spec, target=None):
    """(terms, grads): ``forward``, then the backward in reverse; grads {"K", "b_h", "b_r"}.
    ``target`` (default X) is what the decoder must reconstruct."""
    act, K = get_activation(spec.activation), params["K"]
    terms, (H, patches, A, D1, q, rec_cache) = forward(params, X, geo, spec, target)
    dZ = losses.reconstruction_backward(rec_cache, spec.loss)
    dH, dZ_patches = conv.conv_forward(geo, K, dZ)                 # dH = M(K) dZ
    dK = conv.conv_weight_grad(geo, H, dZ_patches)                 # the decoder's use of K
    dA = dH * D1
    if spec.lam != 0.0:
        dA_P, dK_q = conv.contractive_backward(geo, K, D1, act.d2(A, H, D1), q)
        dA, dK = dA + spec.lam * dA_P, dK + spec.lam * dK_q
    dK = dK + conv.conv_weight_grad(geo, dA, patches)              # the encoder's use of K
    grads = {"K": dK, "b_h": conv.channel_sum(dA, geo.channels), "b_r": conv.channel_sum(dZ, geo.in_shape[0])}
    return terms, grads
