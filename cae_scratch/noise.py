"""The noise a CAE draws: the DAE's input corruption and the stochastic Hessian term's perturbations.

Both are drawn on the host in float64 from a named stream of the seed (``backend.STREAMS``:
"corruption", "hessian"), cast, then moved to the model's backend and device, so the same seed
gives the same numbers on every backend.

Corruption (a denoising autoencoder sees x~ and reconstructs the clean x)::

    gaussian:  x~ = x + level * N(0, 1)                   (level = the noise std)
    masking:   x~ = x * m,  m_j ~ Bernoulli(1 - level)    (level = the fraction of inputs zeroed)

The manual backward is unchanged: the encoder's products use x~, the loss uses x.

Perturbations (CAE+H, ``core.hessian``): eps: (hessian_copies, B, n_visible) ~ N(0, hessian_noise^2 I).
``train.fit`` draws them fresh every step from the "hessian" stream of its seed, a model (``NoiseSource``)
from that stream of its own seed; a caller may pass eps to fix the noise.

Probes (the deep penalty's estimate, ``StackedCAE``): U: (B, k, n_visible) with E[u u^T] = I,
Rademacher signs or standard normals, from the "probes" stream.
"""
from __future__ import annotations

import threading

from . import backend, validation as check
from .core.hessian import KINDS

CORRUPTIONS = ("none", "gaussian", "masking")


# ---- corruption -------------------------------------------------------------------------------

def corruption_settings(corruption, noise):
    """The validated (corruption, noise) of a model, or a ValueError/TypeError saying what to do."""
    check.choice("corruption", corruption, CORRUPTIONS)
    noise = check.non_negative_float("noise", noise)
    if corruption != "none" and noise == 0.0:
        raise ValueError(f"corruption={corruption!r} with noise=0 corrupts nothing (a plain autoencoder); "
                         "give noise > 0 (gaussian: its std; masking: the fraction zeroed) or corruption='none'")
    if corruption == "masking" and noise >= 1.0:
        raise ValueError(f"masking noise is the fraction of inputs zeroed and must be < 1, got {noise}")
    return corruption, noise


def corrupt(X, kind, level, gen):
    """x~ for X: (B, n_visible) on any backend; ``gen`` is a host numpy Generator."""
    if kind == "none" or level == 0.0:
        return X
    xp = backend.namespace(X)
    shape = tuple(X.shape)
    if kind == "gaussian":
        noise = backend.asarray(gen.standard_normal(shape) * level, xp, X.dtype, backend.device_of(X))
        return X + noise
    if kind == "masking":
        keep = backend.asarray(gen.random(shape) >= level, xp, X.dtype, backend.device_of(X))
        return X * keep
    check.choice("corruption", kind, CORRUPTIONS)         # a name that is none of the above


# ---- the stochastic Hessian term's perturbations ----------------------------------------------

def hessian_settings(hessian, gamma, hessian_noise, hessian_copies):
    """The validated (hessian, gamma, hessian_noise, hessian_copies) of a model's Spec."""
    check.choice("hessian", hessian, KINDS)
    noise = check.non_negative_float("hessian_noise", hessian_noise)
    if hessian == "stochastic" and noise == 0.0:
        raise ValueError("hessian='stochastic' with hessian_noise=0 perturbs nothing (the term is 0); "
                         "give hessian_noise > 0 (the perturbations' std, e.g. 0.1) or hessian='exact'")
    return hessian, check.non_negative_float("gamma", gamma), noise, check.positive_int("hessian_copies", hessian_copies)


def _host_eps(gen, spec, B, n_visible):
    """eps on the host, float64: (spec.hessian_copies, B, n_visible), std spec.hessian_noise."""
    host = gen.standard_normal((spec.hessian_copies, B, n_visible))
    host *= spec.hessian_noise                         # in place: no second (C, B, n_visible) array
    return host


def hessian_eps(gen, spec, B, n_visible, like):
    """eps drawn by ``gen`` (a host ``numpy.random.Generator``), moved to ``like``'s backend, dtype and device."""
    return backend.asarray(_host_eps(gen, spec, B, n_visible), backend.namespace(like), like.dtype,
                           backend.device_of(like))


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
    one from the "hessian" stream of ``seed`` when eps is None and the term is stochastic (else None).
    Thread-safe."""

    def __init__(self, seed):
        self.gen = backend.stream(seed, "hessian")
        self.lock = threading.Lock()

    def __call__(self, eps, spec, B, n_visible, xp, dtype, device):
        if eps is not None:
            return checked_eps(eps, spec, B, n_visible, xp, dtype, device)
        if spec.hessian != "stochastic":
            return None
        with self.lock:
            host = _host_eps(self.gen, spec, B, n_visible)
        return backend.asarray(host, xp, dtype, device)


PROBES = ("rademacher", "gaussian")


def draw_probes(gen, shape, probe="rademacher"):
    """Host float64 probes of ``shape`` with E[u u^T] = I: random signs ("rademacher") or N(0, 1) entries."""
    check.choice("probe", probe, PROBES)
    return gen.choice([-1.0, 1.0], size=shape) if probe == "rademacher" else gen.standard_normal(shape)

