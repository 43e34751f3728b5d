"""Lesson 04 - the contractive penalty ||J_h(x)||_F^2: closed form vs explicit Jacobian.

What you will do: compute the penalty two ways -- summing the squares of the
explicit Jacobian (lesson 03) and the closed form sum_k s'(a_k)^2 q_k -- check
that they agree, measure what each costs in time and memory as the layer
grows (a plot), and show that a linear encoder's penalty is weight decay.
What you will learn: ||J_h(x)||_F^2 = sum_k s'(a_k)^2 sum_j W[k, j]^2 never
needs the (B, n_hidden, n_visible) tensor; its memory is n_visible times
smaller; the CAE loss L = mean_b bce(x_b, r_b) + lam * mean_b ||J_h(x_b)||_F^2.
What you need: lesson 03.

Run:  python lessons/04_compute_the_penalty.py [--quick] [--backend numpy|cupy] [--out DIR]
"""
# %% Setup: when run as a file, make the repository root importable
if __package__ in (None, ""):
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import os

import numpy as np

import cae_scratch as cs
from cae_scratch import backend as cb, data, penalty, plots
from cae_scratch.bench import median_seconds
from lessons._common import lesson_dir, model_kwargs, run_lesson_cli

SIGMOID = cs.get_activation("sigmoid")


def closed_form(W, b_h, X):
    """mean_b sum_k s'(a_bk)^2 q_k: O(B n_hidden) extra memory (D1 and q)."""
    _, _, D1 = penalty.encoder_derivatives(W, b_h, X, SIGMOID)
    return penalty.contractive_penalty(D1, penalty.row_norms_sq(W))


def explicit(W, b_h, X):
    """mean_b sum_kj J[b, k, j]^2 from the full (B, n_hidden, n_visible) Jacobian."""
    xp = cb.namespace(X)
    J = penalty.explicit_jacobian(W, b_h, X, SIGMOID)
    return xp.sum(J * J) / X.shape[0]


def main(backend="numpy", quick=False, seed=0, out_dir=None):
    out = lesson_dir(out_dir, __file__)
    kw = model_kwargs(backend)

    # %% 1. Same number, two ways. ||J||_F^2 = sum_k sum_j (s'(a_k) W[k, j])^2 = sum_k s'(a_k)^2 q_k.
    model = cs.ContractiveAutoencoder(64, 32, lam=0.1, seed=seed, **kw)
    X = model.asarray(data.load_digits()[:100])
    W, b_h = model.params["W"], model.params["b_h"]
    p_closed, p_explicit = float(closed_form(W, b_h, X)), float(explicit(W, b_h, X))
    agree = abs(p_closed - p_explicit) / p_explicit
    print("||J_h(x)||_F^2 = sum_k sum_j (s'(a_k) W[k, j])^2 = sum_k s'(a_k)^2 q_k,   q_k = sum_j W[k, j]^2")
    print(f"mean over 100 digits: closed form {p_closed:.10f}, explicit Jacobian {p_explicit:.10f} "
          f"(relative difference {agree:.0e}); model.contractive_penalty: {model.contractive_penalty(X):.10f}")
    assert agree < 1e-12

    # %% 2. Cost as the layer grows (n_visible = n_hidden = n, B = 64 random inputs).
    sizes = [16, 32, 64, 128, 256] if quick else [16, 32, 64, 128, 256, 512]
    B, itemsize = 64, 8
    gen = np.random.default_rng(seed)
    t_closed, t_explicit, m_closed, m_explicit = [], [], [], []
    print(f"\n{'n':>5} {'closed (ms)':>12} {'explicit (ms)':>14} {'closed (MB)':>12} {'explicit (MB)':>14}")
    for n in sizes:
        big = cs.ContractiveAutoencoder(n, n, seed=seed, **kw)
        Xn = big.asarray(gen.random((B, n)))
        Wn, bn = big.params["W"], big.params["b_h"]
        repeats = 3 if quick else 7
        t = median_seconds({"closed": lambda: closed_form(Wn, bn, Xn), "explicit": lambda: explicit(Wn, bn, Xn)},
                           repeats, sync=lambda: cb.synchronize(big.xp), warmup=1)   # medians, GPU-synchronised
        t_closed.append(t["closed"])
        t_explicit.append(t["explicit"])
        m_closed.append((B * n + n) * itemsize / 1e6)         # D1 (B, n_hidden) and q (n_hidden,)
        m_explicit.append(B * n * n * itemsize / 1e6)         # J (B, n_hidden, n_visible)
        print(f"{n:>5} {1e3 * t_closed[-1]:>12.3f} {1e3 * t_explicit[-1]:>14.3f} "
              f"{m_closed[-1]:>12.4f} {m_explicit[-1]:>14.2f}")
    print("Memory grows like B n_hidden for the closed form and B n_hidden n_visible for J: the ratio is ~n_visible.")
    assert all(me / mc > n / 2 for me, mc, n in zip(m_explicit, m_closed, sizes))
    print(f"Time at n = {sizes[-1]}: explicit / closed form = {t_explicit[-1] / t_closed[-1]:.0f}x"
          " (measured, not asserted: timings depend on the machine and its load).")
    path_cost = plots.plot_panels([
        {"series": {"closed form sum_k s'(a_k)^2 q_k": (sizes, 1e3 * np.array(t_closed)),
                    "explicit J, then sum of squares": (sizes, 1e3 * np.array(t_explicit))},
         "xscale": "log", "yscale": "log", "xticks": sizes, "xlabel": "n = n_visible = n_hidden", "ylabel": "time per batch of 64 (ms)",
         "title": "time of mean ||J_h(x)||_F^2"},
        {"series": {"closed form: D1 (B, n_h) + q (n_h,)": (sizes, m_closed),
                    "explicit: J (B, n_h, n_v)": (sizes, m_explicit)},
         "xscale": "log", "yscale": "log", "xticks": sizes, "xlabel": "n = n_visible = n_hidden", "ylabel": "extra memory (MB, float64)",
         "title": "memory of mean ||J_h(x)||_F^2"}], os.path.join(out, "penalty_cost.png"))

    # %% 3. A linear encoder: s'(a) = 1, so ||J_h(x)||_F^2 = sum_k q_k = ||W||_F^2 for every x: weight decay.
    linear = cs.ContractiveAutoencoder(64, 32, activation="linear", lam=0.1, seed=seed, **kw)
    Wl = linear.params["W"]
    weight_decay = float(cb.namespace(Wl).sum(Wl * Wl))
    X_all = linear.asarray(data.load_digits())
    p1, p2 = linear.contractive_penalty(X_all[:10, :]), linear.contractive_penalty(X_all[500:900, :])
    value, grads = penalty.penalty_and_grads(Wl, linear.params["b_h"], X_all[:10, :], cs.get_activation("linear"))
    grad_err = max(cs.rel_error(grads["W"], 2.0 * Wl), float(np.max(np.abs(cs.to_numpy(grads["b_h"])))))
    print(f"\nLinear encoder: penalty on 10 digits {p1:.10f}, on 400 others {p2:.10f}, ||W||_F^2 = {weight_decay:.10f};")
    print(f"its gradient is 2W (and 0 for b_h): deviation {grad_err:.0e}. The CAE penalty is input-dependent"
          " weight decay: a nonlinear s' lets it shrink W only where the data are.")
    assert abs(p1 - weight_decay) < 1e-12 * weight_decay and abs(p2 - weight_decay) < 1e-12 * weight_decay
    assert grad_err < 1e-14

    ratio_t, ratio_m = t_explicit[-1] / t_closed[-1], m_explicit[-1] / m_closed[-1]
    headline = (f"closed form = explicit Jacobian (rel diff {agree:.0e}); at n={sizes[-1]} explicit J costs "
                f"{ratio_t:.0f}x the time and {ratio_m:.0f}x the memory; linear encoder penalty = ||W||_F^2")
    return {"headline": headline, "figures": [path_cost], "closed_vs_explicit": agree, "sizes": sizes,
            "time_closed": t_closed, "time_explicit": t_explicit, "memory_closed_mb": m_closed,
            "memory_explicit_mb": m_explicit, "linear_penalty": p1, "weight_decay": weight_decay}


if __name__ == "__main__":
    run_lesson_cli(main, __doc__)
