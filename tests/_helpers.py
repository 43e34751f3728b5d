"""Helpers shared by the test files (conftest.py holds fixtures only): array assertions and
hypothesis strategies for CAE configurations."""
import os

import numpy as np
from hypothesis import strategies as st

import cae_scratch as cs
from cae_scratch import backend
from cae_scratch.model import model_kwargs
from cae_scratch.data import idx, mnist

ACTS = sorted(cs.ACTIVATIONS)
SMOOTH_ACTS = [a for a in ACTS if cs.get_activation(a).smooth]
LOSS_DECODERS = [("bce", "sigmoid"), ("mse", "sigmoid"), ("mse", "linear")]


def on(xp_device, host, dtype="float64"):
    """A host array moved to the fixture's (namespace, device)."""
    xp, device = xp_device
    return backend.asarray(host, xp, dtype, device)


def assert_close(actual, desired, *, rtol=1e-10, atol=0.0, xp=None, dtype=None):
    """Namespace, dtype and shape first, then values (an xp_assert_close in miniature)."""
    if xp is not None:
        assert backend.backend_name(backend.namespace(actual)) == backend.backend_name(xp)
    if dtype is not None:
        assert backend.dtype_name(actual) == dtype
    a, d = backend.to_numpy(actual), backend.to_numpy(desired)
    assert a.shape == d.shape, f"shape {a.shape} != {d.shape}"
    np.testing.assert_allclose(a, d, rtol=rtol, atol=atol)


@st.composite
def cae_cases(draw, lams=(0.0, 0.05, 3.0)):
    """(constructor kwargs, X) with shapes 1..12 and data in [0, 1] drawn from a seed."""
    B, n_v, n_h = (draw(st.integers(1, 12)) for _ in range(3))
    loss, dec = draw(st.sampled_from(LOSS_DECODERS))
    kw = dict(n_visible=n_v, n_hidden=n_h, activation=draw(st.sampled_from(ACTS)), loss=loss,
              decoder_activation=dec, tied=draw(st.booleans()), lam=draw(st.sampled_from(lams)),
              seed=draw(st.integers(0, 2**16)))
    X = np.random.default_rng(kw["seed"] + 1).random((B, n_v))
    return kw, X


def away_from_relu_kinks(model, X, margin=1e-3):
    """Nudge b_h so no pre-activation is within ``margin`` of 0 (finite differences straddle kinks)."""
    A = backend.to_numpy(X) @ backend.to_numpy(model.params["W"]).T + backend.to_numpy(model.params["b_h"])
    if np.min(np.abs(A)) < margin:
        shift = np.where(np.min(np.abs(A), axis=0) < margin, 0.1 * np.sign(A.mean(axis=0) + 1e-12), 0.0)
        params = dict(model.params)
        params["b_h"] = model.asarray(backend.to_numpy(model.params["b_h"]) + shift)
        model.params = params
    return model


def fake_split(directory, split, n=6, gz=True, seed=0):
    """Write a small MNIST-style split (28x28 uint8 images, labels) into ``directory``; returns (images, labels)."""
    gen = np.random.default_rng(seed)
    images = gen.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = gen.integers(0, 10, n).astype(np.uint8)
    suffix = ".gz" if gz else ""
    img_stem, lab_stem = mnist.SPLITS[split]
    idx.write_idx(os.path.join(directory, img_stem + suffix), images)
    idx.write_idx(os.path.join(directory, lab_stem + suffix), labels)
    return images, labels


def exercises_main(capsys, *args):
    """(exit status, stdout, stderr) of ``python -m lessons.exercises ARGS`` run by its main() in this process
    (the tests run the real entry point once each; its refusals are checked here, without a new interpreter)."""
    from lessons.exercises.__main__ import main
    try:
        code = main(list(args))
    except SystemExit as e:                          # argparse's own refusals
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err
