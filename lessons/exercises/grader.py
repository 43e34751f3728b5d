"""Grade a student's exercise file by finite differences -- never by comparing with a solution.

For each exercise the grader builds a few small cases (float64), evaluates
the student's function, and compares every entry of its gradient with central
differences (f(p + h) - f(p - h)) / 2h of the forward loss (cae_scratch's
forward functions and gradcheck). A parameter passes when
rel_error = max|g - n| / max(|g| + |n|) < 1e-7.

When it fails, the grader tries to recognise the mistake, again with finite
differences only: the student's gradient is compared with the numerical
gradient of *pieces* of the loss (the penalty with q frozen, the decoder's
use of W alone, ...) and with simple rescalings of the true gradient (a
missing factor 2 gives exactly half, so a relative error of
(g - g/2)/(g + g/2) = 1/3; a sign flip gives 1).
"""
from __future__ import annotations

import importlib.util
import os

import numpy as np

import cae_scratch as cs
from cae_scratch import losses, network, penalty
from cae_scratch.activations import sigmoid

from .diagnosis import STEP, TOLERANCE, Exercise, StudentError, as_gradient, call, numeric, rows_for

TEMPLATE_DIR = os.path.dirname(os.path.abspath(__file__))


def rng(seed):
    return np.random.default_rng(1000 + seed)


# ---- exercise 1: sigmoid backward --------------------------------------------------------------
def grade_sigmoid_backward(fn):
    rows = []
    for seed, (B, n) in enumerate([(3, 5), (4, 2)]):
        gen = rng(seed)
        A, dH = gen.uniform(-4, 4, (B, n)), gen.standard_normal((B, n))
        f = lambda p: float(np.sum(dH * sigmoid(p["A"])))          # L = sum(dH * H): dL/dH = dH
        true = numeric(f, {"A": A})
        local = numeric(lambda p: float(np.sum(sigmoid(p["A"]))), {"A": A})["A"]   # s'(A) alone
        H = sigmoid(A)
        s = {"A": as_gradient(call(fn, (dH, H)), "dA", (B, n))}
        candidates = {"A": [("this is s'(A) alone: multiply by the upstream gradient dH (chain rule)", local),
                            ("that is tanh's derivative 1 - h^2; the sigmoid's is h (1 - h)", dH * (1 - H * H))]}
        rows += rows_for(f"B={B}, n={n}", s, true, candidates, B)
    return rows


# ---- exercise 2: bce through a sigmoid ---------------------------------------------------------
def grade_bce_sigmoid_backward(fn):
    rows = []
    for seed, (B, n) in enumerate([(4, 6), (3, 7)]):
        gen = rng(seed)
        X = gen.random((B, n))
        X[0, :2] = 0.0, 1.0                                          # exact 0 and 1 targets too
        Z = 2.5 * gen.standard_normal((B, n))
        f = lambda p: float(losses.bce(X, p["Z"]))
        true = numeric(f, {"Z": Z})
        R = sigmoid(Z)
        s = {"Z": as_gradient(call(fn, (X, Z)), "dZ", (B, n))}
        candidates = {"Z": [
            ("an extra r(1-r): for bce on a sigmoid the sigmoid's derivative cancels, dL/dz = (r - x)/B",
             true["Z"] * R * (1 - R)),
            ("this is dL/dr, not dL/dz: chain through r = sigmoid(z) (times r(1-r), which cancels the denominator)",
             true["Z"] / (R * (1 - R)))]}
        rows += rows_for(f"B={B}, n={n}", s, true, candidates, B)
    return rows


# ---- exercise 3: the penalty's backward --------------------------------------------------------
def penalty_value(W_a, b_h, W_q, X, act):
    """P with a computed from W_a and q from W_q (freezing one isolates the other path)."""
    D1 = penalty.encoder_derivatives(W_a, b_h, X, act)[2]
    return float(penalty.contractive_penalty(D1, penalty.row_norms_sq(W_q)))


def penalty_pieces(params, X, act):
    """Numerical gradients of the penalty's pieces, used only to recognise mistakes."""
    W0 = params["W"]
    return {"q frozen": numeric(lambda p: penalty_value(p["W"], p["b_h"], W0, X, act), params),
            "a frozen": numeric(lambda p: penalty_value(W0, p["b_h"], p["W"], X, act), params),
            "sigmoid": numeric(lambda p: penalty_value(p["W"], p["b_h"], p["W"], X, cs.get_activation("sigmoid")),
                               params),
            "J^T 1": numeric(lambda p: jT1_value(p["W"], p["b_h"], X, act), params)}


def jT1_value(W, b_h, X, act):
    """mean_b ||J(x_b)^T 1||^2: what penalising autograd's grad(h, x, ones) computes instead of ||J||_F^2."""
    D1 = penalty.encoder_derivatives(W, b_h, X, act)[2]
    V = D1 @ W                                                   # (B, n_visible): sum_k s'(a_bk) W[k, :]
    return float(np.sum(V * V)) / X.shape[0]


def penalty_hints(pieces, act_name, scale=lambda k, g: g):
    hints = {k: [("only the path through a: the path through q_k = sum_j W[k, j]^2 is missing "
                  "(add 2 diag(mean_b s'(a_b)^2) W -- the 'stale W' bug)", scale(k, pieces["q frozen"][k])),
                 ("only the path through q_k: add the path through a, (2/B) s'(a) s''(a) q_k joined into dA^T X",
                  scale(k, pieces["a frozen"][k])),
                 ("the gradient of ||J^T 1||^2 (autograd's grad(h, x, ones) = J^T 1), not of ||J||_F^2 = "
                  "sum_kj J[k, j]^2", scale(k, pieces["J^T 1"][k]))] for k in ("W", "b_h")}
    if act_name != "sigmoid":
        for k in hints:
            hints[k].append((f"matches the sigmoid's penalty: h(1-h) hard-coded for a {act_name} encoder? "
                             "use activation.d1 and activation.d2", scale(k, pieces["sigmoid"][k])))
    return hints


def grade_penalty_backward(fn):
    rows = []
    for seed, (name, B, n_v, n_h) in enumerate([("sigmoid", 5, 7, 4), ("tanh", 5, 7, 4), ("softplus", 3, 6, 5)]):
        gen, act = rng(seed), cs.get_activation(name)
        X = gen.random((B, n_v))
        params = {"W": gen.uniform(-1, 1, (n_h, n_v)), "b_h": 0.3 * gen.standard_normal(n_h)}
        true = numeric(lambda p: penalty_value(p["W"], p["b_h"], p["W"], X, act), params)
        out = call(fn, (X, params["W"], params["b_h"], act))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise StudentError(f"penalty_backward must return a pair (dW, db_h), got {type(out).__name__}")
        s = {"W": as_gradient(out[0], "dW", (n_h, n_v)), "b_h": as_gradient(out[1], "db_h", (n_h,))}
        candidates = penalty_hints(penalty_pieces(params, X, act), name)
        rows += rows_for(f"{name}, B={B}, {n_v}->{n_h}", s, true, candidates, B)
    return rows


# ---- exercise 4: the whole CAE backward ---------------------------------------------------------
def grade_cae_backward(fn):
    rows = []
    for seed, (name, lam) in enumerate([("sigmoid", 0.0), ("sigmoid", 0.5), ("tanh", 0.5)]):
        B, n_v, n_h = 5, 6, 4
        gen, act = rng(seed), cs.get_activation(name)
        X = gen.random((B, n_v))
        params = {"W": gen.uniform(-1, 1, (n_h, n_v)), "b_h": 0.3 * gen.standard_normal(n_h),
                  "b_r": 0.3 * gen.standard_normal(n_v)}
        spec = network.Spec(activation=name, lam=lam)
        untied = network.Spec(activation=name, lam=0.0, tied=False)
        rec_of = lambda W_enc, W_dec, p: float(network.loss_terms(
            {"W": W_enc, "W_r": W_dec.T, "b_h": p["b_h"], "b_r": p["b_r"]}, X, untied)["reconstruction"])
        W0 = params["W"]
        true = numeric(lambda p: float(network.loss_terms(p, X, spec)["total"]), params)
        out = call(fn, (params, X, lam, act))
        if not isinstance(out, dict) or set(out) != {"W", "b_h", "b_r"}:
            got = sorted(out) if isinstance(out, dict) else type(out).__name__
            raise StudentError(f"cae_backward must return a dict with keys 'W', 'b_h', 'b_r', got {got}")
        s = {k: as_gradient(out[k], f"grads[{k!r}]", params[k].shape) for k in params}
        rec = numeric(lambda p: rec_of(p["W"], p["W"], p), params)
        pen_params = {"W": params["W"], "b_h": params["b_h"]}
        pen = numeric(lambda p: penalty_value(p["W"], p["b_h"], p["W"], X, act), pen_params)
        pen["b_r"] = np.zeros_like(params["b_r"])
        enc_only = numeric(lambda p: rec_of(p["W"], W0, p), params, ["W"])["W"]
        dec_only = numeric(lambda p: rec_of(W0, p["W"], p), params, ["W"])["W"]
        candidates = {k: [] for k in params}
        if lam > 0:
            pieces = penalty_pieces(pen_params, X, act)
            for k, hints in penalty_hints(pieces, name, scale=lambda k, g: rec[k] + lam * g).items():
                candidates[k] += hints
            for k in params:
                candidates[k] += [("only the reconstruction's gradient: add lam times the penalty's (exercise 3)",
                                   rec[k]),
                                  ("the penalty's gradient is half what it should be: a factor 2 is missing "
                                   "(d s'^2 = 2 s' s'' da, d W^2 = 2 W dW)", rec[k] + 0.5 * lam * pen[k])]
        candidates["W"] += [("tied weights: only the encoder's use of W -- add the decoder's, H^T dZ",
                             enc_only + lam * pen["W"]),
                            ("tied weights: only the decoder's use of W -- add the encoder's, dA^T X",
                             dec_only + lam * pen["W"])]
        rows += rows_for(f"{name}, lam={lam:g}", s, true, candidates, B)
    return rows


EXERCISES = {e.number: e for e in [
    Exercise(1, "sigmoid_backward", "ex1_sigmoid_backward.py", "sigmoid backward: dA from dH and H",
             grade_sigmoid_backward),
    Exercise(2, "bce_sigmoid_backward", "ex2_bce_sigmoid_backward.py",
             "bce through a sigmoid decoder: dL/dZ", grade_bce_sigmoid_backward),
    Exercise(3, "penalty_backward", "ex3_penalty_backward.py",
             "the contractive penalty's backward: dP/dW (two paths), dP/db_h", grade_penalty_backward),
    Exercise(4, "cae_backward", "ex4_cae_backward.py",
             "the whole tied CAE backward: bce + lam * penalty", grade_cae_backward),
]}


# ---- loading and reporting -------------------------------------------------------------------
def load_function(path, name):
    """The function ``name`` from the Python file at ``path`` (ValueError with a clear message)."""
    if not os.path.isfile(path):
        raise ValueError(f"no such file: {path}")
    spec = importlib.util.spec_from_file_location(f"student_{abs(hash(os.path.abspath(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        raise ValueError(f"could not import {path}: {type(e).__name__}: {e}") from None
    fn = getattr(module, name, None)
    if not callable(fn):
        raise ValueError(f"{path} has no function named {name!r} (keep the template's name)")
    return fn


def grade(number, fn):
    """(passed, report text) for the student's function of exercise ``number``."""
    ex = EXERCISES[number]
    head = f"exercise {number}: {ex.function} -- {ex.title}\ngraded by central finite differences (h = {STEP:g}, float64); " \
           f"pass: relative error < {TOLERANCE:g}"
    try:
        rows = ex.grade(fn)
    except StudentError as e:
        return False, f"{head}\nFAIL: {e}"
    lines = [head, f"{'case':<24} {'gradient':<9} {'shape':<9} {'rel_error':>10}  result"]
    for r in rows:
        lines.append(f"{r.case:<24} d{r.param:<8} {str(r.shape):<9} {r.error:>10.2e}  {'pass' if r.passed else 'FAIL'}"
                     + (f"  hint: {r.hint}" if r.hint else ""))
    failed = [r for r in rows if not r.passed]
    by_case = {}
    for r in rows:
        by_case.setdefault(r.case, []).append(r.passed)
    sigmoid_cases = [all(v) for c, v in by_case.items() if c.startswith("sigmoid")]
    other_bad = sorted({c.split(",")[0] for c, v in by_case.items() if not all(v)} - {"sigmoid"}
                       & set(cs.ACTIVATIONS))
    if sigmoid_cases and all(sigmoid_cases) and other_bad:
        lines.append(f"hint: passes for sigmoid but fails for {', '.join(other_bad)}: is the sigmoid's "
                     "derivative h(1-h) hard-coded? use activation.d1(A, H) and activation.d2(A, H, D1)")
    if number == 4 and not all(by_case.get("sigmoid, lam=0", [True])):
        lines.append("hint: the lam = 0 case fails, so the reconstruction's backward is wrong (exercises 1-2): "
                     "dZ = (R - X)/B (no extra r(1-r)), dA = (dZ W^T) * s'(A), dW = dA^T X + H^T dZ")
    lines.append(f"RESULT: {'PASS' if not failed else 'FAIL'} ({len(rows) - len(failed)}/{len(rows)} gradients correct)")
    return not failed, "\n".join(lines)


def check_file(number, path):
    """Grade the file; returns (exit status, report): 0 pass, 1 fail, 2 cannot grade (no file/function)."""
    if number not in EXERCISES:
        return 2, f"no exercise {number}; there are {sorted(EXERCISES)} (python -m lessons.exercises list)"
    try:
        fn = load_function(path, EXERCISES[number].function)
    except ValueError as e:
        return 2, str(e)
    passed, report = grade(number, fn)
    return (0 if passed else 1), report
