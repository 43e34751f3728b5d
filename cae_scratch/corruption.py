"""Input corruption for denoising autoencoders (DAE): the model sees x~, reconstructs the clean x.

    gaussian:  x~ = x + level * N(0, 1)          (level = the noise std)
    masking:   x~ = x * m,  m_j ~ Bernoulli(1 - level)   (level = the fraction of inputs zeroed)

The noise is drawn on the host from the seed's stream 2 (float64, then cast
and moved), so the same seed corrupts the same way on every backend. The
manual backward is unchanged: the encoder's products use x~, the loss uses x.
"""
from __future__ import annotations

from . import backend
from .validation import choice

CORRUPTIONS = ("none", "gaussian", "masking")


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
    choice("corruption", kind, CORRUPTIONS)         # a name that is none of the above
