"""Hypothesis strategies shared by the test files: CAE configurations and data."""
import numpy as np
from hypothesis import strategies as st

ACTS = ["sigmoid", "tanh", "softplus", "relu", "linear"]
LOSS_DECODERS = [("bce", "sigmoid"), ("mse", "sigmoid"), ("mse", "linear")]


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
    from cae_scratch import backend
    A = backend.to_numpy(X) @ backend.to_numpy(model.params["W"]).T + backend.to_numpy(model.params["b_h"])
    if np.min(np.abs(A)) < margin:
        shift = np.where(np.min(np.abs(A), axis=0) < margin, 0.1 * np.sign(A.mean(axis=0) + 1e-12), 0.0)
        params = dict(model.params)
        params["b_h"] = model.asarray(backend.to_numpy(model.params["b_h"]) + shift)
        model.params = params
    return model
