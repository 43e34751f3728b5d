"""Exercises 11 and 12: the CAE family's backward passes -- the exact Hessian penalty (CAE+H, lesson 10) and
tangent propagation (the Manifold Tangent Classifier, lesson 12).

As in exercise 3, the activation is served by the grader (sigmoid, tanh, or a formula drawn at random per
run), so the answer must go through activation.f / d1 / d2 / d3, and a finite-difference answer runs out of
helper calls.
"""
from __future__ import annotations

import numpy as np

from . import forward
from .diagnosis import Case, activation_helper, as_array, call, numeric, rows_for, unpack
from .grade_penalty import draw, w_only_hint


# ---- exercise 11: the exact Hessian penalty's backward ----------------------------------------
def hessian_value(W_a, b_h, W_q, X, act):
    """E = (1/B) sum_bk s''(a_bk)^2 q_k^2 with a from W_a and q from W_q (freezing one isolates a path)."""
    A = X @ W_a.T + b_h
    H = act.f(A)
    D2 = act.d2(A, H, act.d1(A, H))
    q = np.sum(W_q * W_q, axis=1)
    return float(np.sum((D2 * D2) @ (q * q))) / X.shape[0]


def cases_hessian_backward():
    cases = []
    for seed, (name, B, n_v, n_h) in enumerate([("sigmoid", 5, 7, 4), ("tanh", 4, 6, 5), ("unknown", 3, 8, 5)]):
        X, W, b_h = draw(30 + seed, B, n_v, n_h)
        act = forward.activation(name)
        label = f"{name}, B={B}, {n_v}->{n_h}"

        def grade(outs, X=X, W=W, b_h=b_h, act=act, label=label):
            out = unpack(outs[0], ("dW", "db_h"), "hessian_backward")
            s = {"W": as_array(out["dW"], "dW", W.shape), "b_h": as_array(out["db_h"], "db_h", b_h.shape)}
            params = {"W": W, "b_h": b_h}
            true = numeric(lambda p: hessian_value(p["W"], p["b_h"], p["W"], X, act), params)
            a_path = numeric(lambda p: hessian_value(p["W"], p["b_h"], W, X, act), params)
            q_path = numeric(lambda p: hessian_value(W, p["b_h"], p["W"], X, act), params)
            A = X @ W.T + b_h
            H = act.f(A)
            D1 = act.d1(A, H)
            D2 = act.d2(A, H, D1)
            q = np.sum(W * W, axis=1)
            no_d3 = (2.0 / X.shape[0]) * D2 * (q * q)                   # s''' dropped from d s''^2 / da
            candidates = {k: [
                ("only the path through a: W also enters E through q_k^2 (d q_k^2 = 2 q_k dq_k, dq_k = 2 W_k dW_k)",
                 a_path[k]),
                ("only the path through q_k: the path through a (d s''(a)^2 / da = 2 s''(a) s'''(a)) is missing",
                 q_path[k]),
                ("the path through a is half what it should be: d s''^2 = 2 s'' s''' da", 0.5 * a_path[k] + q_path[k]),
                ("the path through q_k is half what it should be: d q_k^2 / dW = 4 q_k W_k", a_path[k] + 0.5 * q_path[k]),
                ("s''' is missing from the path through a: d s''(a)^2 / da = 2 s''(a) s'''(a)",
                 {"W": no_d3.T @ X, "b_h": np.sum(no_d3, axis=0)}[k] + q_path[k])] for k in ("W", "b_h")}
            rows = rows_for(label, s, true, candidates, X.shape[0])
            return w_only_hint(rows, "db_h is right, so the path through a is right: the path through q_k^2, "
                                     "which only dW has, is wrong")
        cases.append(Case(label, [call(X, W, b_h, activation_helper(act, (B, n_h)))],
                          ("W", "b_h"), grade, {"W": W.shape, "b_h": b_h.shape}))
    return cases


# ---- exercise 12: tangent propagation ----------------------------------------------------------
def tangent_value(W_a, b_h, W_u, V, X, U, act):
    """P = (1/B) sum_bi ||V (s'(a_b) * (W_u u_bi))||^2 with a from W_a (freezing one W isolates a path).

    The names are core/tangentprop.py's: G = U W^T, T = s'(A) * G, Z = T V^T, P the penalty.
    """
    A = X @ W_a.T + b_h
    D1 = act.d1(A, act.f(A))                                          # (B, n_h)
    G = U @ W_u.T                                                     # (B, k, n_h): W u_bi
    Z = (D1[:, None, :] * G) @ V.T                                    # (B, k, n_classes)
    return float(np.sum(Z * Z)) / X.shape[0]


def cases_tangent_backward():
    cases = []
    for seed, (name, B, k, n_v, n_h, n_c) in enumerate([("sigmoid", 4, 2, 6, 5, 3), ("tanh", 3, 3, 5, 4, 4),
                                                          ("unknown", 3, 2, 7, 5, 3)]):
        X, W, b_h = draw(40 + seed, B, n_v, n_h)
        gen = np.random.default_rng(4000 + seed)
        U, V = gen.standard_normal((B, k, n_v)), gen.standard_normal((n_c, n_h))
        act = forward.activation(name)
        label = f"{name}, B={B}, k={k}, {n_v}->{n_h}->{n_c}"

        def grade(outs, X=X, U=U, W=W, b_h=b_h, V=V, act=act, label=label):
            out = unpack(outs[0], ("dW", "db_h", "dV"), "tangent_backward")
            s = {"W": as_array(out["dW"], "dW", W.shape), "b_h": as_array(out["db_h"], "db_h", b_h.shape),
                 "V": as_array(out["dV"], "dV", V.shape)}
            params = {"W": W, "b_h": b_h, "V": V}
            true = numeric(lambda p: tangent_value(p["W"], p["b_h"], p["W"], p["V"], X, U, act), params)
            via_u = numeric(lambda p: tangent_value(W, p["b_h"], p["W"], p["V"], X, U, act), params)
            via_a = numeric(lambda p: tangent_value(p["W"], p["b_h"], W, p["V"], X, U, act), params)
            candidates = {key: [
                ("only the path through s'(a): W also multiplies each tangent (W u), a second path to dW",
                 via_a[key]),
                ("only the path through W u: s'(a) depends on W and b_h too, through s''(a) (the s'' path)",
                 via_u[key]),
                ("half the true gradient: d ||g||^2 = 2 g . dg (the factor 2 is missing)", 0.5 * true[key])]
                for key in ("W", "b_h", "V")}
            return rows_for(label, s, true, candidates, X.shape[0])
        cases.append(Case(label, [call(X, U, W, b_h, V, activation_helper(act, (B, n_h)))],
                          ("W", "b_h", "V"), grade, {"W": W.shape, "b_h": b_h.shape, "V": V.shape}))
    return cases
