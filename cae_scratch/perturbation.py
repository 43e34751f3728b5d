"""The stochastic Hessian term's perturbations eps (CAE+H, ``core.hessian``): its settings, draws and checks.

eps: (hessian_copies, B, n_visible) ~ N(0, hessian_noise^2 I), drawn on the host in
float64 (DESIGN section 4), cast, then moved to the model's backend and device. A
model draws from stream 3 of its seed (``HESSIAN_STREAM``), ``train.fit`` from stream 3
of its own seed, fresh every step; a caller may pass eps to fix the noise.
"""
from __future__ import annotations

import threading

from . import backend, validation as check
from .core.hessian import KINDS

HESSIAN_STREAM = 3       # of ``backend.spawn(seed, 4)``: 0 init, 1 shuffling, 2 the DAE's corruption


def hessian_settings(hessian, gamma, hessian_noise, hessian_copies):
    """The validated (hessian, gamma, hessian_noise, hessian_copies) of a model's Spec."""
    check.choice("hessian", hessian, KINDS)
    noise = check.non_negative_float("hessian_noise", hessian_noise)
    if hessian == "stochastic" and noise == 0.0:
        raise ValueError("hessian='stochastic' with hessian_noise=0 perturbs nothing (the term is 0); "
                         "give hessian_noise > 0 (the perturbations' std, e.g. 0.1) or hessian='exact'")
    return hessian, check.non_negative_float("gamma", gamma), noise, check.positive_int("hessian_copies", hessian_copies)


def hessian_eps(gen, spec, B, n_visible, like):
    """eps: (spec.hessian_copies, B, n_visible), std spec.hessian_noise, drawn by ``gen`` (a host
    ``numpy.random.Generator``) and moved to ``like``'s backend, dtype and device."""
    host = gen.standard_normal((spec.hessian_copies, B, n_visible))
    host *= spec.hessian_noise                         # in place: no second (C, B, n_visible) array
    return backend.asarray(host, backend.namespace(like), like.dtype, backend.device_of(like))


def checked_eps(eps, spec, B, n_visible, xp, dtype, device):
    """A caller's eps as an array of the model's backend, or a clear error (wrong shape, NaN, wrong model)."""
    if spec.hessian != "stochastic":
        raise ValueError("eps is the stochastic Hessian term's perturbations; this model has "
                         f"hessian={spec.hessian!r}: leave eps out or build it with hessian='stochastic'")
    shape = (spec.hessian_copies, B, n_visible)
    eps = check.array_for(eps, xp, dtype, device, "eps")
    if tuple(eps.shape) != shape or not bool(xp.all(xp.isfinite(eps))):
        raise ValueError(f"eps must be finite with shape (hessian_copies, B, n_visible) = {shape}, "
                         f"got shape {tuple(eps.shape)}; it is used as given (already scaled)")
    return eps


class NoiseSource:
    """A model's eps: ``source(eps, spec, B, n_visible, xp, dtype, device)`` checks a caller's eps, or draws
    one from stream 3 of ``seed`` when eps is None and the term is stochastic (else None). Thread-safe."""

    def __init__(self, seed):
        self.gen = backend.rng(backend.spawn(seed, 4)[HESSIAN_STREAM])
        self.lock = threading.Lock()

    def __call__(self, eps, spec, B, n_visible, xp, dtype, device):
        if eps is not None:
            return checked_eps(eps, spec, B, n_visible, xp, dtype, device)
        if spec.hessian != "stochastic":
            return None
        with self.lock:
            host = self.gen.standard_normal((spec.hessian_copies, B, n_visible))
        host *= spec.hessian_noise
        return backend.asarray(host, xp, dtype, device)
