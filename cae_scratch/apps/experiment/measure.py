"""What the experiment measures on one trained autoencoder: the linear probe's errors and the geometry."""
from __future__ import annotations

from ... import analysis, backend as backends, probe
from .config import RADII


def rows(X, index):
    """X[index] for a host index array, on X's backend."""
    xp = backends.namespace(X)
    return xp.take(X, xp.asarray(index, device=backends.device_of(X)), axis=0)


def probe_errors(H, y, fit, val, l2s, seed=0):
    """{l2: validation error} of converged linear probes trained on H[fit] and scored on H[val], the l2 grid
    solved from the largest l2 down with warm starts (``probe.train_probes``; L-BFGS draws nothing, so
    ``seed`` is unused)."""
    H_fit, H_val = rows(H, fit), rows(H, val)
    return {l2: p.error(H_val, y[val]) for l2, p in probe.train_probes(H_fit, y[fit], l2s).items()}


def measure(model, Xtr, ytr, Xte, yte, l2, seed=0):
    """The Table-1 numbers of one trained model on the test split (floats); the probe refit on all of Xtr."""
    W, b_h, act = model.params["W"], model.params["b_h"], model.spec.activation
    clf = probe.train_probe(model.encode(Xtr), ytr, l2=l2, seed=seed)
    return {"test_error": clf.error(model.encode(Xte), yte),
            "jacobian_norm": analysis.mean_jacobian_norm(W, b_h, Xte, act),
            "hessian_norm_sq": model.hessian_penalty(Xte),
            "saturation": analysis.saturation_fraction(W, b_h, Xte, act),
            "reconstruction": model.loss_terms(Xte)["reconstruction"]}


def curves(model, X, seed=0):
    """Contraction curve (random directions from ``seed``), averaged singular spectrum and tangents of 5
    inputs (host arrays)."""
    W, b_h, act = model.params["W"], model.params["b_h"], model.spec.activation
    _, V = analysis.tangent_directions(W, b_h, X[:5, :], act, k=3)
    return {"contraction": analysis.contraction_curve(W, b_h, X, act, RADII, n_directions=4, seed=seed),
            "spectrum": analysis.singular_spectrum(W, b_h, X, act), "tangents": backends.to_numpy(V)}
