"""Exercise 13: the reconstruction-contractive penalty's backward (lesson 15) -- what a reconstruction learns
about the data's score.

For a linear decoder r = W_r s(W x + b_h) + b_r, the penalty is P_r = (1/B) sum_n ||W_r diag(s'(a_n)) W||_F^2.
The grader differentiates that definition (the explicit product, not the Gram-matrix closed form the student
is asked to derive), and recognises the usual mistakes by differentiating its pieces: W enters P_r twice
(through a = W x + b_h and as the right factor of J_r), W_r once.
"""
from __future__ import annotations

import numpy as np

from . import forward
from .diagnosis import Case, activation_helper, as_array, call, numeric, rows_for, unpack
from .grade_penalty import draw


def reconstruction_penalty_value(W_a, b_h, W_g, W_r, X, act):
    """(1/B) sum_n ||W_r diag(s'(a_n)) W_g||_F^2 with a from W_a (freezing one W isolates a path)."""
    A = X @ W_a.T + b_h
    D1 = act.d1(A, act.f(A))                                           # (B, n_h)
    J_r = W_r @ (D1[:, :, None] * W_g[None, :, :])                     # (B, n_v, n_v), explicitly
    return float(np.sum(J_r * J_r)) / X.shape[0]


def cases_reconstruction_penalty_backward():
    cases = []
    for seed, (name, B, n_v, n_h) in enumerate([("sigmoid", 5, 6, 4), ("tanh", 4, 5, 6), ("unknown", 3, 7, 5)]):
        X, W, b_h = draw(50 + seed, B, n_v, n_h)
        W_r = np.random.default_rng(5000 + seed).uniform(-1, 1, (n_v, n_h))
        act = forward.activation(name)
        label = f"{name}, B={B}, {n_v}->{n_h}"

        def grade(outs, X=X, W=W, b_h=b_h, W_r=W_r, act=act, label=label):
            out = unpack(outs[0], ("dW", "db_h", "dW_r"), "reconstruction_penalty_backward")
            s = {"W": as_array(out["dW"], "dW", W.shape), "b_h": as_array(out["db_h"], "db_h", b_h.shape),
                 "W_r": as_array(out["dW_r"], "dW_r", W_r.shape)}
            params = {"W": W, "b_h": b_h, "W_r": W_r}
            value = reconstruction_penalty_value
            true = numeric(lambda p: value(p["W"], p["b_h"], p["W"], p["W_r"], X, act), params)
            a_path = numeric(lambda p: value(p["W"], p["b_h"], W, W_r, X, act), params)
            g_path = numeric(lambda p: value(W, b_h, p["W"], W_r, X, act), params, ("W",))["W"]
            A = X @ W.T + b_h
            D1 = act.d1(A, act.f(A))
            M = (W_r.T @ W_r) * (W @ W.T)
            s_for_s2 = (2.0 / X.shape[0]) * (D1 @ M) * D1                 # s' where s'' belongs
            candidates = {
                "W": [("only the path through a: W is also the right factor of J_r = W_r diag(s') W (its Gram "
                       "C = W W^T: dP_r/dW = 2 (S * C_r) W, S = D1^T D1 / B)", a_path["W"]),
                      ("only the Gram path: the path through a = W x + b_h (via s'') is missing", g_path),
                      ("the path through a is half what it should be: d s'^2 = 2 s' s'' da",
                       0.5 * a_path["W"] + g_path),
                      ("the Gram path is half what it should be: d(W W^T) = dW W^T + W dW^T, so a factor 2",
                       a_path["W"] + 0.5 * g_path),
                      ("s' used where s'' belongs: d s'(a) / da = s''(a)", s_for_s2.T @ X + g_path)],
                "b_h": [("the path through a is half what it should be: d s'^2 = 2 s' s'' da", 0.5 * a_path["b_h"]),
                        ("s' used where s'' belongs: d s'(a) / da = s''(a)", np.sum(s_for_s2, axis=0))],
                "W_r": [("half the true dW_r: d(W_r^T W_r) = dW_r^T W_r + W_r^T dW_r, so a factor 2",
                         0.5 * true["W_r"])]}
            return rows_for(label, s, true, candidates, X.shape[0])
        cases.append(Case(label, [call(X, W, b_h, W_r, activation_helper(act, (B, n_h)))],
                          ("W", "b_h", "W_r"), grade, {"W": W.shape, "b_h": b_h.shape, "W_r": W_r.shape}))
    return cases
