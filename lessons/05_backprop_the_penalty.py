"""Lesson 05 - backprop the contractive penalty: two paths, derived, verified, and four public bugs caught.

What you will do: differentiate P = mean_b ||J_h(x_b)||_F^2 = (1/B) sum_b sum_k s'(a_bk)^2 q_k
by hand. W enters twice -- through a_bk = W_k . x_b + b_k and through
q_k = sum_j W[k, j]^2 -- so the gradient has two paths. Verify each path
alone by finite differences (freeze the other), then the sum, then reproduce
bugs found in public CAE code and watch the check reject every one.
What you will learn: dP/da_bk = (2/B) s'(a_bk) s''(a_bk) q_k (joins the
encoder's dA), dP/dW += 2 diag(mean_b s'(a_b)^2) W (the q_k path); why each
bug gives the error it gives (a missing factor 2 gives exactly 1/3).
What you need: lessons 02-04.

Run:  python lessons/05_backprop_the_penalty.py [--quick] [--backend numpy|cupy] [--out DIR]
"""
# %% Setup: when run as a file, make the repository root importable
if __package__ in (None, ""):
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import os

import cae_scratch as cs
from cae_scratch import backend as cb, data, gradcheck, penalty, plots
from lessons._common import lesson_dir, model_kwargs, run_lesson_cli


def penalty_from(W_a, b_h, W_q, X, act):
    """P with a computed from W_a and q from W_q: freezing one of them isolates the other path."""
    _, _, D1 = penalty.encoder_derivatives(W_a, b_h, X, act)
    return float(penalty.contractive_penalty(D1, penalty.row_norms_sq(W_q)))


def two_paths(W, b_h, X, act):
    """The derivation, step by step. Returns (path through a, path through q) as {"W", "b_h"} dicts."""
    xp, B = cb.namespace(X), X.shape[0]
    A, H, D1 = penalty.encoder_derivatives(W, b_h, X, act)      # a = W x + b_h, s'(a)
    D2 = act.d2(A, H, D1)                                       # s''(a)
    q = penalty.row_norms_sq(W)                                 # q_k = sum_j W[k, j]^2
    # path 1: d/da_bk of (1/B) s'(a_bk)^2 q_k = (2/B) s'(a_bk) s''(a_bk) q_k;  a = X W^T + b_h -> dW = dA^T X
    dA = (2.0 / B) * D1 * D2 * q
    path_a = {"W": dA.T @ X, "b_h": xp.sum(dA, axis=0)}
    # path 2: dP/dq_k = (1/B) sum_b s'(a_bk)^2 and dq_k/dW[k, j] = 2 W[k, j]
    dq = xp.sum(D1 * D1, axis=0) / B
    path_q = {"W": 2.0 * xp.expand_dims(dq, axis=1) * W, "b_h": xp.zeros_like(b_h)}
    return path_a, path_q


def jT1_penalty_and_grads(W, b_h, X, act):
    """The bug 'J^T 1 mistaken for J': autograd's grad(h, x, ones) is v = J^T 1 = sum_k s'(a_k) W_k,
    and mean_b ||v_b||^2 is penalised instead of ||J||_F^2. Its exact gradient (of the wrong quantity)."""
    xp, B = cb.namespace(X), X.shape[0]
    A, H, D1 = penalty.encoder_derivatives(W, b_h, X, act)
    V = D1 @ W                                                  # (B, n_visible): one J^T 1 per example
    dV = 2.0 * V / B
    dA = (dV @ W.T) * act.d2(A, H, D1)
    return float(xp.sum(V * V)) / B, {"W": dA.T @ X + D1.T @ dV, "b_h": xp.sum(dA, axis=0)}


def main(backend="numpy", quick=False, seed=0, out_dir=None):
    out = lesson_dir(out_dir, __file__)
    B, n_hidden = (8, 8) if quick else (32, 24)
    kw = model_kwargs(backend)
    model = cs.ContractiveAutoencoder(64, n_hidden, lam=0.5, seed=seed, **kw)
    X = model.asarray(data.load_digits()[:B])
    W, b_h = model.params["W"], model.params["b_h"]
    act = cs.get_activation("sigmoid")
    params = {"W": W, "b_h": b_h}
    P = lambda p: penalty_from(p["W"], p["b_h"], p["W"], X, act)
    check = lambda f, g, p=params: gradcheck.check_gradients(f, p, g, max_entries=64, seed=seed)

    # %% 1. Derive the two paths, and check each alone by finite differences with the other frozen.
    print("P = (1/B) sum_b sum_k s'(a_bk)^2 q_k,   a_bk = W_k . x_b + b_k,   q_k = sum_j W[k, j]^2")
    print("path through a:  dP/da_bk = (2/B) s'(a_bk) s''(a_bk) q_k  ->  dW = dA^T X,  db_h = sum_b dA")
    print("path through q:  dP/dq_k = (1/B) sum_b s'(a_bk)^2, dq_k/dW[k, j] = 2 W[k, j]"
          "  ->  dW += 2 diag(mean_b s'(a_b)^2) W")
    path_a, path_q = two_paths(W, b_h, X, act)
    W0 = W                                                      # the frozen copy for each path
    err_a = gradcheck.max_error(check(lambda p: penalty_from(p["W"], p["b_h"], W0, X, act), path_a))
    err_q = gradcheck.max_error(check(lambda p: penalty_from(W0, p["b_h"], p["W"], X, act), {"W": path_q["W"]}))
    print(f"\npath through a alone (q frozen) vs finite differences: {err_a:.1e}")
    print(f"path through q alone (a frozen) vs finite differences: {err_q:.1e}")
    assert err_a < 1e-7 and err_q < 1e-7

    # %% 2. The sum is the gradient: by the product rule, each path is one factor's derivative.
    mine = {k: path_a[k] + path_q[k] for k in params}
    _, lib = penalty.penalty_and_grads(W, b_h, X, act)
    err_lib = max(cs.rel_error(mine[k], lib[k]) for k in params)
    report = check(P, mine)
    print(f"\nboth paths vs penalty.penalty_and_grads: {err_lib:.1e};  vs finite differences of P:")
    print(gradcheck.format_report(report))
    gradcheck.assert_gradients_close(report)
    assert err_lib < 1e-12
    errors = {"hand-derived (both paths)": gradcheck.max_error(report)}

    # %% 3. Bugs from public CAE code, reproduced, each checked against finite differences of the true P.
    relu = cs.ContractiveAutoencoder(64, n_hidden, activation="relu", lam=0.5, seed=seed, **kw)
    relu_params = {"W": relu.params["W"], "b_h": relu.params["b_h"]}
    sig_a, sig_q = two_paths(relu_params["W"], relu_params["b_h"], X, act)   # sigmoid's s', s'' on a ReLU encoder
    P_relu = lambda p: penalty_from(p["W"], p["b_h"], p["W"], X, cs.get_activation("relu"))
    jT1_value, jT1_grads = jT1_penalty_and_grads(W, b_h, X, act)
    bugs = {
        "missing factor 2": (P, {k: 0.5 * mine[k] for k in params}, params,
                             "d(s'^2)/da written s' s'' and d(W^2)/dW written W: every entry halved, error (1 - 1/2)/(1 + 1/2)"),
        "stale W (no q path)": (P, path_a, params, "q built from a detached copy of W: the q path is lost"),
        "sigmoid s' on a ReLU encoder": (P_relu, {k: sig_a[k] + sig_q[k] for k in params}, relu_params,
                                         "h(1-h) hard-coded: wrong derivative for any other activation"),
        "J^T 1 mistaken for J": (P, jT1_grads, params,
                                 f"penalises ||J^T 1||^2 = {jT1_value:.2f}, not ||J||_F^2 = {P(params):.2f}"),
    }
    print("\nKnown bugs, each reproduced and checked against finite differences of the true penalty:")
    for name, (f, grads, p, why) in bugs.items():
        errors[name] = gradcheck.max_error(check(f, grads, p))
        print(f"  {name:<30} rel error {errors[name]:.3f}  CAUGHT  ({why})")
        assert errors[name] > 1e-2, name
    assert abs(errors["missing factor 2"] - 1 / 3) < 1e-6      # exactly 1/3, up to finite-difference noise
    assert abs(jT1_value - P(params)) > 1e-3 * P(params)

    # %% 4. Figures: each path against its finite differences, and the error of every variant.
    rep_a = check(lambda p: penalty_from(p["W"], p["b_h"], W0, X, act), {"W": path_a["W"]})["W"]
    rep_q = check(lambda p: penalty_from(W0, p["b_h"], p["W"], X, act), {"W": path_q["W"]})["W"]
    figures = [plots.plot_panels([
        {"series": {"dA^T X": (rep_a.numeric, rep_a.analytic, "o")}, "diagonal": True,
         "xlabel": "finite difference, q frozen", "ylabel": "derived", "title": f"path through a (error {err_a:.0e})"},
        {"series": {"2 diag(mean_b s'(a_b)^2) W": (rep_q.numeric, rep_q.analytic, "o")}, "diagonal": True,
         "xlabel": "finite difference, a frozen", "ylabel": "derived", "title": f"path through q_k (error {err_q:.0e})"}],
        os.path.join(out, "two_paths.png")),
        plots.plot_bars(list(errors), list(errors.values()), os.path.join(out, "bugs_caught.png"),
                        ylabel="max relative error vs finite differences",
                        title="penalty gradient: correct vs known public bugs",
                        hlines={"pass threshold 1e-7": 1e-7, "missing factor 2: 1/3": 1 / 3},
                        colors=["C2"] + ["C3"] * (len(errors) - 1))]

    headline = (f"penalty gradient: both paths verified (rel error {errors['hand-derived (both paths)']:.0e}); "
                f"{len(bugs)} public bugs caught (errors " + ", ".join(f"{errors[b]:.2f}" for b in bugs) + ")")
    return {"headline": headline, "figures": figures, "path_a_error": err_a, "path_q_error": err_q,
            "library_error": err_lib, "errors": errors}


if __name__ == "__main__":
    run_lesson_cli(main, __doc__)
