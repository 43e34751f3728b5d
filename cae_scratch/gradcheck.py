"""Finite-difference gradient checks (central differences, float64).

    rel_error(a, b) = max|a - b| / max(tiny, max(|a| + |b|))

normalised over the whole checked set, so entries whose true gradient is
~0 do not turn rounding noise into a huge "relative" error. Thresholds
(float64, h about 1e-5..1e-6): below 1e-7 passes for smooth activations and
1e-9 is typical; a missing factor 2 shows up as ~0.33, a wrong derivative as
O(1). float32 is a smoke test only (expect ~1e-3).

A loss is any function ``f(params) -> float`` of a dict of arrays (any
backend); the checker never mutates the caller's arrays: each probe perturbs
one entry of a copy, on the parameter's own device (no host round trip of
the whole parameter). It knows nothing of models: a model checks itself with
``ContractiveAutoencoder.check_gradients``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import backend

TINY = 1e-30
TOLERANCE = 1e-7


def rel_error(a, b) -> float:
    """max|a - b| / max(tiny, max(|a| + |b|)) over all entries (arrays of any backend)."""
    a, b = np.asarray(backend.to_numpy(a), float), np.asarray(backend.to_numpy(b), float)
    return float(np.max(np.abs(a - b), initial=0.0) / max(TINY, np.max(np.abs(a) + np.abs(b), initial=0.0)))


@dataclass
class ParamReport:
    """Result for one parameter: analytic vs numeric at the checked flat indices."""
    name: str
    rel_error: float
    worst_index: tuple          # multi-index of the entry with the largest |analytic - numeric|
    analytic: np.ndarray        # at the checked entries
    numeric: np.ndarray
    n_checked: int
    n_total: int


def _with_entry(params, name, flat_index, delta):
    """A copy of ``params`` whose params[name] has ``delta`` added at one flat index (on its device)."""
    p = params[name]
    moved = backend.namespace(p).asarray(p, copy=True)
    index = tuple(int(i) for i in np.unravel_index(int(flat_index), tuple(p.shape)))
    moved[index] = moved[index] + delta
    return {**params, name: moved}


def numerical_gradient(f, params, name, indices, h=1e-6):
    """Central differences (f(p + h e_i) - f(p - h e_i)) / 2h at flat ``indices`` of params[name]."""
    return np.array([(float(f(_with_entry(params, name, i, h))) - float(f(_with_entry(params, name, i, -h))))
                     / (2.0 * h) for i in indices])


def sample_indices(size, max_entries, rng):
    """All flat indices when size <= max_entries, else a seeded sample of max_entries of them."""
    if size <= max_entries:
        return np.arange(size)
    return np.sort(rng.choice(size, size=max_entries, replace=False))


def check_gradients(f, params, grads, h=1e-6, max_entries=64, seed=0) -> dict:
    """Compare ``grads`` with central differences of ``f`` for every parameter.

    Returns {name: ParamReport}; every parameter in ``grads`` is checked
    (all entries up to ``max_entries``, a seeded sample beyond).
    """
    gen = backend.rng(seed)
    report = {}
    for name, grad in grads.items():
        analytic_all = np.asarray(backend.to_numpy(grad), np.float64).reshape(-1)
        idx = sample_indices(analytic_all.size, max_entries, gen)
        numeric = numerical_gradient(f, params, name, idx, h)
        analytic = analytic_all[idx]
        worst = int(idx[np.argmax(np.abs(analytic - numeric))]) if idx.size else 0
        report[name] = ParamReport(name, rel_error(analytic, numeric),
                                   tuple(int(i) for i in np.unravel_index(worst, tuple(grad.shape))),
                                   analytic, numeric, int(idx.size), int(analytic_all.size))
    return report


def directional_check(f, params, grads, h=1e-6, seed=0) -> float:
    """Relative error between <grad, v> and (f(p + h v) - f(p - h v)) / 2h for a random unit v.

    One pair of loss evaluations checks all parameters at once: cheap on big
    models and on a GPU. v is drawn on the host (seeded) and spans every parameter.
    """
    gen = backend.rng(seed)
    host_v = {k: gen.standard_normal(tuple(g.shape)) for k, g in grads.items()}
    norm = np.sqrt(sum(float(np.sum(v * v)) for v in host_v.values()))

    def shifted(sign):
        out = dict(params)
        for k, v in host_v.items():
            p = params[k]
            step = backend.asarray(sign * h * v / norm, backend.namespace(p), p.dtype, backend.device_of(p))
            out[k] = p + step
        return out

    analytic = sum(float(np.sum(np.asarray(backend.to_numpy(grads[k]), float) * v)) / norm
                   for k, v in host_v.items())
    numeric = (float(f(shifted(1.0))) - float(f(shifted(-1.0)))) / (2.0 * h)
    return abs(analytic - numeric) / max(TINY, abs(analytic) + abs(numeric))


def max_error(report) -> float:
    return max(r.rel_error for r in report.values())


def format_report(report, tol=TOLERANCE) -> str:
    """One line per parameter: name, entries checked, relative error, pass/FAIL."""
    lines = [f"{'param':<6} {'checked':>12} {'rel_error':>10}  result"]
    for r in report.values():
        verdict = "pass" if r.rel_error < tol else f"FAIL (worst at index {r.worst_index})"
        lines.append(f"{r.name:<6} {f'{r.n_checked}/{r.n_total}':>12} {r.rel_error:10.2e}  {verdict}")
    return "\n".join(lines)


def _failure_line(r, tol):
    i = int(np.argmax(np.abs(r.analytic - r.numeric)))
    return (f"{r.name}: relative error {r.rel_error:.3e} >= {tol:.0e} (worst entry {r.worst_index}: "
            f"analytic {r.analytic[i]:.6e}, numeric {r.numeric[i]:.6e})")


def assert_gradients_close(report, tol=TOLERANCE) -> None:
    """AssertionError naming each failing parameter, its worst index and its error."""
    failures = [_failure_line(r, tol) for r in report.values() if not r.rel_error < tol]
    if failures:
        raise AssertionError("gradient check failed:\n  " + "\n  ".join(failures))
