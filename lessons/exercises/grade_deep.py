"""Exercise 14: the backward of the two-layer forward-mode penalty (lesson 13).

P_hat = (1/(B k)) sum_{n,i} ||J_stack(x_n) u_ni||^2 for a two-layer encoder. The grader differentiates P_hat
computed from its definition -- J_stack built per example as the product of the two layers' Jacobians --
never the student's recursion, and recognises the usual mistakes by differentiating pieces: the weights
frozen where they set the slopes s'(a), or where they carry the directions (W t).
"""
from __future__ import annotations

import numpy as np

from . import forward
from .diagnosis import Case, activation_helper, as_array, call, numeric, rows_for, unpack

NAMES = ("W1", "b1", "W2", "b2")


def probe_penalty_value(slopes, carriers, X, U, act):
    """(1/(Bk)) sum ||J u||^2; the slopes s'(a_l) from ``slopes`` (W1, b1, W2, b2), the products J = D2 W2 D1 W1
    with ``carriers`` (W1, W2): freezing one set isolates a path."""
    W1, b1, W2, b2 = slopes
    A1 = X @ W1.T + b1
    H1 = act.f(A1)
    A2 = H1 @ W2.T + b2
    D1, D2 = act.d1(A1, H1), act.d1(A2, act.f(A2))
    C1, C2 = carriers
    J = D2[:, :, None] * np.einsum("kl,nlj->nkj", C2, D1[:, :, None] * C1[None])   # (B, n2, n0), explicitly
    T = np.einsum("nkj,nij->nik", J, U)
    return float(np.sum(T * T)) / (U.shape[0] * U.shape[1])


def cases_deep_penalty_backward():
    cases = []
    for seed, (name, B, k, n0, n1, n2) in enumerate([("sigmoid", 4, 2, 6, 5, 3), ("tanh", 3, 3, 5, 4, 4),
                                                     ("unknown", 3, 1, 6, 4, 3)]):
        gen = np.random.default_rng(9000 + seed)
        X, U = gen.random((B, n0)), gen.choice([-1.0, 1.0], size=(B, k, n0))
        W1, W2 = gen.uniform(-1, 1, (n1, n0)), gen.uniform(-1, 1, (n2, n1))
        b1, b2 = 0.3 * gen.standard_normal(n1), 0.3 * gen.standard_normal(n2)
        act = forward.activation(name)
        label = f"{name}, B={B}, k={k}, {n0}->{n1}->{n2}"

        def grade(outs, X=X, U=U, W1=W1, b1=b1, W2=W2, b2=b2, act=act, label=label, k=k):
            out = unpack(outs[0], ("dW1", "db1", "dW2", "db2"), "deep_penalty_backward")
            shapes = {"W1": W1.shape, "b1": b1.shape, "W2": W2.shape, "b2": b2.shape}
            s = {n: as_array(out[f"d{n}"], f"d{n}", shapes[n]) for n in NAMES}
            params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}

            def value(p, slopes=True, carriers=True):
                sl = tuple(p[n] if slopes else params[n] for n in NAMES)
                ca = (p["W1"], p["W2"]) if carriers else (W1, W2)
                return probe_penalty_value(sl, ca, X, U, act)
            true = numeric(value, params)
            slope_path = numeric(lambda p: value(p, carriers=False), params)
            carrier_path = numeric(lambda p: value(p, slopes=False), params, ("W1", "W2"))
            candidates = {}
            for n in ("W1", "W2"):
                candidates[n] = [
                    ("only the path through W t (the directions): W also sets the slopes s'(a) inside every "
                     "layer, which brings in s''(a) -- the path through a", carrier_path[n]),
                    ("only the path through the slopes s'(a): W also carries the directions, t_l = s'(a_l) * "
                     "(W_l t_{l-1}), so dW_l += (s'(a_l) * dt_l)^T t_{l-1}", slope_path[n]),
                    (f"k = {k} times the true value: P_hat is a mean over the k probes too -- divide by B k",
                     k * true[n] if k > 1 else None)]
            for n in ("b1", "b2"):
                candidates[n] = [(f"k = {k} times the true value: P_hat is a mean over the k probes too -- "
                                  "divide by B k", k * true[n] if k > 1 else None)]
            return rows_for(label, s, true, candidates, X.shape[0])
        cases.append(Case(label, [call(X, U, W1, b1, W2, b2, activation_helper(act, (B, n1), (B, n2)),
                                       budget=12)],
                          NAMES, grade, {"W1": W1.shape, "b1": b1.shape, "W2": W2.shape, "b2": b2.shape}))
    return cases
