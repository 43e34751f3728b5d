"""Exercises 3, 6, 7: the encoder's Jacobian, the contractive penalty's value, and its backward.

Each case hands the student an activation through the grader (sigmoid, tanh,
or one whose formula is drawn at random per run), so the answer must go
through activation.f / d1 / d2 -- and a finite-difference "answer" runs out
of helper calls.
"""
from __future__ import annotations

import numpy as np

from cae_scratch.core.activations import ACTIVATIONS

from . import forward
from .diagnosis import TOLERANCE, Case, Row, StudentError, activation_helper, as_array, call, diagnose, numeric, \
    rel_error, rows_for, unpack

SIGMOID_HINT = ("matches the sigmoid's formula: h(1-h) hard-coded for a {name} encoder? use activation.d1 "
                "and activation.d2")


def rng(seed):
    return np.random.default_rng(2000 + seed)


def draw(seed, B, n_v, n_h):
    gen = rng(seed)
    return gen.random((B, n_v)), gen.uniform(-1, 1, (n_h, n_v)), 0.3 * gen.standard_normal(n_h)


# ---- exercise 3: the penalty's backward --------------------------------------------------------
def penalty_pieces(W, b_h, X, act):
    """Numerical gradients of the penalty and of its pieces (path through a alone, through q alone, ...)."""
    params = {"W": W, "b_h": b_h}
    pieces = {"true": numeric(lambda p: forward.penalty_value(p["W"], p["b_h"], p["W"], X, act), params),
              "a path": numeric(lambda p: forward.penalty_value(p["W"], p["b_h"], W, X, act), params),
              "q path": numeric(lambda p: forward.penalty_value(W, p["b_h"], p["W"], X, act), params),
              "J^T 1": numeric(lambda p: forward.jT1_value(p["W"], p["b_h"], X, act), params),
              "summed": numeric(lambda p: forward.summed_then_squared_value(p["W"], p["b_h"], X, act), params)}
    if act.name != "sigmoid":
        sig = ACTIVATIONS["sigmoid"]
        pieces["sigmoid"] = numeric(lambda p: forward.penalty_value(p["W"], p["b_h"], p["W"], X, sig), params)
    A = X @ W.T + b_h                                  # s' where s'' belongs: the a path with D1 in place of D2
    D1 = act.d1(A, act.f(A))
    dA = (2.0 / X.shape[0]) * D1 * D1 * np.sum(W * W, axis=1)
    pieces["s' for s''"] = {"W": dA.T @ X + pieces["q path"]["W"], "b_h": np.sum(dA, axis=0)}
    return pieces


def penalty_candidates(pieces, name, rec=None, lam=1.0):
    """(hint, candidate gradient) per parameter; rec + lam * piece when the penalty is part of a larger loss."""
    def mix(k, a=1.0, q=1.0, piece=None):
        g = pieces[piece][k] if piece else a * pieces["a path"][k] + q * pieces["q path"][k]
        return g if rec is None else rec[k] + lam * g
    hints = {}
    for k in ("W", "b_h"):
        hints[k] = [
            ("only the path through a: the path through q_k = sum_j W[k, j]^2 is missing (the 'stale W' bug: "
             "W enters the penalty twice)", mix(k, q=0.0)),
            ("only the path through q_k: the path through a = W x + b_h (via s'') is missing", mix(k, a=0.0)),
            ("the path through a is half what it should be: its factor 2 is missing (d s'^2 = 2 s' s'' da)",
             mix(k, a=0.5)),
            ("the path through q_k is half what it should be: its factor 2 is missing (d W^2 = 2 W dW)",
             mix(k, q=0.5)),
            ("s' used where s'' belongs: d s'(a)^2 / da = 2 s'(a) s''(a)", mix(k, piece="s' for s''")),
            ("the gradient of ||J^T 1||^2 (autograd's grad(h, x, ones) = J^T 1), not of ||J||_F^2 = "
             "sum_kj J[k, j]^2", mix(k, piece="J^T 1")),
            ("weights summed then squared: q_k = sum_j W[k, j]^2, not (sum_j W[k, j])^2", mix(k, piece="summed"))]
        if "sigmoid" in pieces:
            hints[k].append((SIGMOID_HINT.format(name=name), mix(k, piece="sigmoid")))
    return hints


def w_only_hint(rows, text):
    """db_h right and dW wrong with no other hint: the mistake is in what only dW has."""
    by_case = {}
    for r in rows:
        by_case.setdefault(r.case, {})[r.param] = r
    for case in by_case.values():
        if "W" in case and "b_h" in case and case["b_h"].passed and not case["W"].passed and not case["W"].hint:
            case["W"].hint = text
    return rows


def cases_penalty_backward():
    cases = []
    for seed, (name, B, n_v, n_h) in enumerate([("sigmoid", 5, 7, 4), ("tanh", 5, 7, 4), ("unknown", 3, 8, 5)]):
        X, W, b_h = draw(seed, B, n_v, n_h)
        act = forward.activation(name)

        def grade(outs, X=X, W=W, b_h=b_h, act=act, label=f"{name}, B={B}, {n_v}->{n_h}"):
            out = unpack(outs[0], ("dW", "db_h"), "penalty_backward")
            s = {"W": as_array(out["dW"], "dW", W.shape), "b_h": as_array(out["db_h"], "db_h", b_h.shape)}
            pieces = penalty_pieces(W, b_h, X, act)
            rows = rows_for(label, s, pieces["true"], penalty_candidates(pieces, act.name), X.shape[0])
            return w_only_hint(rows, "db_h is right, so the path through a is right: the path through q_k = "
                                     "sum_j W[k, j]^2, which only dW has, is wrong")
        cases.append(Case(f"{name}, B={B}, {n_v}->{n_h}", [call(X, W, b_h, activation_helper(act, (B, n_h)))],
                          ("W", "b_h"), grade, {"W": W.shape, "b_h": b_h.shape}))
    return cases


# ---- exercise 6: the encoder's Jacobian --------------------------------------------------------
def cases_encoder_jacobian():
    cases = []
    for seed, (name, B, n_v, n_h) in enumerate([("sigmoid", None, 7, 4), ("tanh", 3, 7, 5), ("unknown", 4, 8, 3)]):
        X, W, b_h = draw(seed, B or 1, n_v, n_h)
        act = forward.activation(name)
        x = X[0] if B is None else X
        shape = (n_h, n_v) if B is None else (B, n_h, n_v)
        label = f"{name}, one x, {n_v}->{n_h}" if B is None else f"{name}, B={B}, {n_v}->{n_h}"

        def grade(outs, X=X, W=W, b_h=b_h, act=act, shape=shape, label=label):
            out = outs[0]
            if isinstance(out, np.ndarray) and len(shape) == 3 and out.shape == (shape[0], shape[2], shape[1]):
                raise StudentError(f"J has shape {out.shape}, expected {shape}: J[b] is (n_hidden, n_visible), "
                                   "J[b, k, j] = dh_k/dx_j -- transposed?")
            s = as_array(out, "J", shape)
            J = forward.jacobian_fd(X, W, b_h, act).reshape(shape)
            A = X @ W.T + b_h
            H, sig = act.f(A), ACTIVATIONS["sigmoid"]
            D1 = act.d1(A, H)
            fit = lambda M: M.reshape(shape)
            candidates = [("this is W alone: the chain rule through h = s(a) multiplies row k by s'(a_k)",
                           fit(np.broadcast_to(W, (X.shape[0],) + W.shape))),
                          ("s(a) = h used where s'(a) belongs", fit(H[:, :, None] * W)),
                          ("s'(a)^2: the squared derivative belongs to the penalty, not to J",
                           fit((D1 * D1)[:, :, None] * W)),
                          ("the same J for every example: a depends on x_b, so does s'(a_b)",
                           fit(np.broadcast_to(D1[0][:, None] * W, (X.shape[0],) + W.shape)))]
            if act.name != "sigmoid":
                Hs = sig.f(A)
                candidates.append((SIGMOID_HINT.format(name=act.name), fit((Hs * (1 - Hs))[:, :, None] * W)))
            return rows_for(label, {"J": s}, {"J": J}, {"J": candidates}, X.shape[0])
        shapes = [(n_h,), (1, n_h)] if B is None else [(B, n_h)]
        cases.append(Case(label, [call(x, W, b_h, activation_helper(act, *shapes))],
                          ("J",), grade, {"J": shape}))
    return cases


# ---- exercise 7: the penalty's value -----------------------------------------------------------
def cases_contractive_penalty():
    cases = []
    for seed, (name, B, n_v, n_h) in enumerate([("sigmoid", 5, 7, 4), ("tanh", 4, 6, 6), ("unknown", 3, 8, 5)]):
        X, W, b_h = draw(10 + seed, B, n_v, n_h)
        act = forward.activation(name)
        label = f"{name}, B={B}, {n_v}->{n_h}"

        def grade(outs, X=X, W=W, b_h=b_h, act=act, label=label):
            s = as_array(outs[0], "P", ())
            J = forward.jacobian_fd(X, W, b_h, act)
            true = float(np.sum(J * J)) / X.shape[0]                 # mean_b ||J(x_b)||_F^2, explicitly
            A = X @ W.T + b_h
            H = act.f(A)
            D1, q, n = act.d1(A, H), np.sum(W * W, axis=1), X.shape[0]
            candidates = [("weights summed then squared: q_k is the sum of the squares, not the square of the sum",
                           np.sum(D1 ** 2 @ np.sum(W, axis=1) ** 2) / n),
                          ("s'(a) not squared: ||J||_F^2 squares every entry s'(a_k) W[k, j]", np.sum(D1 @ q) / n),
                          ("s(a) = h used where s'(a) belongs", np.sum((H * H) @ q) / n),
                          ("q_k is missing: ||J||_F^2 sums over j the squares of W[k, j] too", np.sum(D1 * D1) / n),
                          ("this is mean_b ||J^T 1||^2 (autograd's grad(h, x, ones) = J^T 1), not ||J||_F^2",
                           float(np.sum(np.sum(J, axis=1) ** 2)) / n)]
            if act.name != "sigmoid":
                Hs = ACTIVATIONS["sigmoid"].f(A)
                candidates.append((SIGMOID_HINT.format(name=act.name), np.sum((Hs * (1 - Hs)) ** 2 @ q) / n))
            err = rel_error(s, true)
            hint = "" if err < TOLERANCE else diagnose(s.reshape(1), np.array([true]),
                                                       [(h, np.array([c])) for h, c in candidates], n)
            return [Row(label, "P", (), err, err < TOLERANCE, hint, expected=true)]
        cases.append(Case(label, [call(X, W, b_h, activation_helper(act, (B, n_h)))], ("P",), grade))
    return cases
