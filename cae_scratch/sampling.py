"""Sampling from a CAE: a Markov chain that walks along the tangent plane the encoder learned.

One step (Rifai, Bengio, Dauphin and Vincent, ICML 2012), for a batch X: (B, n_visible) of chains::

    A = X W^T + b_h,  H = s(A),  D1 = s'(A)                          (B, n_hidden)
    H~ = H + J J^T eps,   eps ~ N(0, tau^2 I_{n_hidden}) per chain    (the noise lives in the code)
    X_next = g(H~ W_r^T + b_r)                                        (B, n_visible)

With J = diag(s'(a)) W, J J^T eps = s' * (W (W^T (s' * eps))): for the batch, two matrix
products, ``D1 * (((D1 * E) @ W) @ W^T)``; the (n_hidden, n_visible) J of an example is never
built. Why it moves along the tangents: J J^T eps = J (J^T eps) is the code's first-order
response to the input move J^T eps = sum_i sigma_i (u_i . eps) v_i, which lies in the span of J's
right singular vectors, weighted by their singular values.

The noise comes from the seed's "sampling" host stream (``backend.STREAMS``), drawn one step at a time
in float64, or from the caller (``noise``: (steps, B, n_hidden), already scaled).
"""
from __future__ import annotations


from . import backend, validation as check
from .core.activations import DECODER_ACTIVATIONS, get_activation
from .core.layers import decoder_forward, decoder_weight, encoder_forward

def noise_generator(seed):
    """The host generator of the sampler's noise: the "sampling" stream of ``seed``."""
    return backend.stream(check.seed(seed), "sampling")


def tangent_noise(W, D1, E):
    """J J^T eps for every row: D1 * ((D1 * E) W W^T).  W: (n_hidden, n_visible); D1, E: (B, n_hidden)."""
    return D1 * (((D1 * E) @ W) @ W.T)


def sample_step(params, X, E, activation, decoder_activation, tied):
    """One step of every chain: g(W_r (h + J J^T eps) + b_r) for X: (B, n_visible), E: (B, n_hidden).

    ``activation`` and ``decoder_activation`` are ``core.activations.Activation`` objects.
    """
    W = params["W"]
    H, (_, _, _, D1) = encoder_forward(W, params["b_h"], X, activation)
    Z, _ = decoder_forward(decoder_weight(params, tied), params["b_r"], H + tangent_noise(W, D1, E))
    return decoder_activation.f(Z)


def checked_noise(noise, steps, B, n_hidden, like):
    """A caller's noise as an array of ``like``'s backend, dtype and device, or a clear error."""
    xp = backend.namespace(like)
    noise = check.array_for(noise, xp, like.dtype, backend.device_of(like), "noise")
    shape = (steps, B, n_hidden)
    if tuple(noise.shape) != shape or not bool(xp.all(xp.isfinite(noise))):
        raise ValueError(f"noise must be finite with shape (steps, B, n_hidden) = {shape}, got shape "
                         f"{tuple(noise.shape)}; it is used as given (already scaled by sigma)")
    return noise


def _checked_params(params, tied):
    keys = {"W", "b_h", "b_r"} | (set() if tied else {"W_r"})
    if not isinstance(params, dict) or not keys <= set(params):
        raise ValueError(f"params must be a dict with keys {sorted(keys)} (tied={tied})")
    return params["W"].shape


def sample(params, X0, steps, sigma, *, activation="sigmoid", decoder_activation="sigmoid", tied=True,
           seed=0, noise=None, chain=False):
    """Run B chains for ``steps`` steps from X0: (B, n_visible); the last states, or the whole chain.

    sigma: the std of the code noise eps (tau in the book), >= 0; 0 iterates the reconstruction.
    noise: None (drawn from ``noise_generator(seed)``, one (B, n_hidden) block per step), or
    (steps, B, n_hidden) used as given (already scaled: sigma is then not applied).
    Returns (B, n_visible), or (steps + 1, B, n_visible) with X0 first when ``chain``.
    """
    steps = check.positive_int("steps", steps)
    sigma = check.non_negative_float("sigma", sigma)
    act = get_activation(activation)
    out = get_activation(check.choice("decoder_activation", decoder_activation, DECODER_ACTIVATIONS))
    n_hidden, n_visible = _checked_params(params, tied)
    W = params["W"]
    xp, device = backend.namespace(W), backend.device_of(W)
    X = check.batch(X0, xp, W.dtype, device, n_visible, "X0")
    B = X.shape[0]
    if noise is not None:
        noise = checked_noise(noise, steps, B, n_hidden, W)
    gen = noise_generator(seed) if noise is None else None
    states = [X]
    for t in range(steps):
        if noise is None:
            host = gen.standard_normal((B, n_hidden))
            host *= sigma
            E = backend.asarray(host, xp, W.dtype, device)
        else:
            E = noise[t, ...]
        X = sample_step(params, X, E, act, out, tied)
        if chain:
            states.append(X)
    return xp.stack(states, axis=0) if chain else X
