"""Lesson 06 - gradient checking as a method: step sizes, precision, thresholds, random directions.

What you will do: estimate one directional derivative of the CAE loss
L = mean_b bce(x_b, r_b) + lam * mean_b ||J_h(x_b)||_F^2 with central and
forward differences over twelve decades of step size h, in float64 and
float32, and plot the error; then check a bigger model along random
directions, which costs two loss evaluations instead of two per parameter.
What you will learn: error = truncation (h^2 central, h forward) + rounding
(eps / h); the best h (~eps^(1/3) central, ~eps^(1/2) forward); why checks run
in float64 (float32 stays orders of magnitude above); what relative errors mean
(1e-9 fine, above 1e-7 suspicious, 1/3 a missing factor 2, ~1 a wrong formula).
What you need: lessons 02 and 05.

Run:  python lessons/06_check_gradients_as_a_method.py [--quick] [--backend numpy|cupy] [--out DIR]
"""
# %% Setup: when run as a file, make the repository root importable
if __package__ in (None, ""):
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import os
import time

import numpy as np

import cae_scratch as cs
from cae_scratch import backend as cb, data, gradcheck, network, penalty, plots
from lessons._common import lesson_dir, model_kwargs, run_lesson_cli


def loss_of(model, X):
    """f(params) = the model's total loss on X, evaluated in the params' own dtype."""
    return lambda p: float(network.loss_terms(p, X, model.spec)["total"])


def shifted(params, v, t):
    """params + t v, computed in each parameter's dtype (so float32 rounds the step, as in real code)."""
    return {k: p + cb.asarray(t * v[k], cb.namespace(p), p.dtype, cb.device_of(p)) for k, p in params.items()}


def central_difference(f, params, v, h):
    return (f(shifted(params, v, h)) - f(shifted(params, v, -h))) / (2.0 * h)


def forward_difference(f, params, v, h):
    return (f(shifted(params, v, h)) - f(params)) / h


def relative(a, b):
    return abs(a - b) / max(1e-30, abs(a) + abs(b))


def main(backend="numpy", quick=False, seed=0, out_dir=None):
    out = lesson_dir(out_dir, __file__)
    kw = model_kwargs(backend)
    X_host = data.load_digits()[:16]

    # %% 1. Random unit directions v, and the exact directional derivatives <dL/dtheta, v> from backprop.
    m32 = cs.ContractiveAutoencoder(64, 16, lam=0.1, dtype="float32", seed=seed, **kw)
    m64 = cs.ContractiveAutoencoder(64, 16, lam=0.1, dtype="float64", seed=seed, **kw)
    m64.params = {k: m64.asarray(cb.to_numpy(p)) for k, p in m32.params.items()}   # the very same point
    X32, X64 = m32.asarray(X_host), m64.asarray(X_host)
    _, grads = network.loss_and_grads(m64.params, X64, m64.spec)
    gen = np.random.default_rng(seed)
    directions = []
    for _ in range(2 if quick else 5):
        v = {k: gen.standard_normal(tuple(p.shape)) for k, p in m64.params.items()}
        norm = np.sqrt(sum(float(np.sum(a * a)) for a in v.values()))
        v = {k: a / norm for k, a in v.items()}
        directions.append((v, sum(float(np.sum(cb.to_numpy(grads[k]) * v[k])) for k in v)))
    print(f"{len(directions)} random unit directions v; the exact <dL/dtheta, v> comes from backprop in float64"
          f" (lessons 02 and 05 verified it), e.g. {directions[0][1]:.12f}")

    # %% 2. Error vs step size: central (f(t+h) - f(t-h)) / 2h and forward (f(t+h) - f(t)) / h.
    print("Taylor: f(t+h) = f + h f' + h^2 f''/2 + h^3 f'''/6 + ...  Forward differences keep h f''/2;"
          " in central ones the h^2 terms cancel, leaving h^2 f'''/6. Rounding adds ~ eps |f| / h.")
    steps = np.logspace(0, -13, 14 if quick else 40)
    curves = {}
    for dtype, model, X in (("float64", m64, X64), ("float32", m32, X32)):
        f = loss_of(model, X)
        for name, rule in (("central", central_difference), ("forward", forward_difference)):
            errors = [[relative(rule(f, model.params, v, h), exact) for h in steps] for v, exact in directions]
            curves[f"{name}, {dtype}"] = np.median(np.array(errors), axis=0)   # median over the directions
    best = {k: (float(c.min()), float(steps[np.argmin(c)])) for k, c in curves.items()}
    print(f"\n{'rule, dtype':<18} {'best error':>10} {'at h':>8}   (median over the directions)")
    for k, (e, h) in best.items():
        print(f"{k:<18} {e:>10.1e} {h:>8.0e}")
    at_1e6 = float(curves["central, float64"][np.argmin(np.abs(np.log10(steps) + 6))])
    print("Best h: central near eps^(1/3) (float64: ~6e-6), forward near eps^(1/2) (~1.5e-8). "
          f"Central at h = 1e-6 in float64: {at_1e6:.0e}.")
    assert best["central, float64"][0] < 1e-9 and at_1e6 < 1e-7
    assert best["forward, float64"][0] > 10 * best["central, float64"][0]
    assert best["central, float32"][0] > 100 * best["central, float64"][0]

    # %% 3. Thresholds: what a relative error max|a - n| / max(|a| + |n|) tells you (float64, h ~ 1e-6).
    print("\n  < 1e-7   pass (1e-9 typical for smooth activations)")
    print("  1e-7..1e-3   suspicious: kinks (ReLU at a = 0), too small h, float32, or a tiny bug")
    print("  ~0.33   a missing factor 2:  (g - g/2) / (g + g/2) = 1/3")
    print("  ~1   a wrong formula, a sign flip, or a missing term")
    print(f"  float32: the best it can do here is {best['central, float32'][0]:.0e} -- a smoke test only.")

    # %% 4. Random directions: one pair of evaluations checks every parameter at once.
    n_hidden = 128 if quick else 512
    big = cs.ContractiveAutoencoder(64, n_hidden, lam=0.1, seed=seed, **kw)
    Xb = big.asarray(data.load_digits()[:64])
    f = loss_of(big, Xb)
    _, g = network.loss_and_grads(big.params, Xb, big.spec)
    act = cs.get_activation("sigmoid")
    A, H, D1 = penalty.encoder_derivatives(big.params["W"], big.params["b_h"], Xb, act)
    _, dW_q = penalty.penalty_backward(D1, act.d2(A, H, D1), big.params["W"], penalty.row_norms_sq(big.params["W"]))
    buggy = {**g, "W": g["W"] - big.lam * dW_q}                       # the stale-W bug: no q path
    seeds = range(3 if quick else 8)
    t = time.perf_counter()                # h = 1e-5: the loss sums 64 x 64 terms, so rounding noise is larger
    good_err = [gradcheck.directional_check(f, big.params, g, h=1e-5, seed=s) for s in seeds]
    seconds = (time.perf_counter() - t) / len(good_err)
    bad_err = [gradcheck.directional_check(f, big.params, buggy, h=1e-5, seed=s) for s in seeds]
    n_params = sum(int(np.prod(p.shape)) for p in big.params.values())
    print(f"\n64->{n_hidden} model, {n_params} parameters: an entry-by-entry check needs {2 * n_params} loss"
          f" evaluations; one random direction needs 2 ({1e3 * seconds:.1f} ms).")
    print(f"correct gradient, {len(good_err)} directions: errors {min(good_err):.0e}..{max(good_err):.0e}; "
          f"stale W (no q path): {min(bad_err):.0e}..{max(bad_err):.0e}")
    assert max(good_err) < 1e-7 and min(bad_err) > 1e-4

    path = plots.plot_panels([
        {"series": {k: (steps, np.maximum(c, 1e-17)) for k, c in curves.items()},
         "hlines": {"pass threshold 1e-7": 1e-7}, "xscale": "log", "yscale": "log",
         "xlabel": "step size h", "ylabel": "relative error vs backprop",
         "title": "a directional derivative: truncation vs rounding"},
        {"series": {"correct gradient": (list(seeds), good_err, "o"),
                    "stale W (no q path)": (list(seeds), bad_err, "x")},
         "hlines": {"pass threshold 1e-7": 1e-7}, "yscale": "log", "xlabel": "random direction (seed)",
         "ylabel": "relative error", "title": f"random-direction checks, 64->{n_hidden}"}],
        os.path.join(out, "error_vs_step.png"))

    headline = (f"central differences reach {best['central, float64'][0]:.0e} in float64 "
                f"(forward {best['forward, float64'][0]:.0e}, float32 {best['central, float32'][0]:.0e}); "
                f"random directions: correct <= {max(good_err):.0e}, stale W >= {min(bad_err):.0e}, "
                f"2 evaluations instead of {2 * n_params}")
    return {"headline": headline, "figures": [path], "best": best, "central_float64_at_1e-6": at_1e6,
            "directional_correct": good_err, "directional_bug": bad_err, "n_params": n_params}


if __name__ == "__main__":
    run_lesson_cli(main, __doc__)
