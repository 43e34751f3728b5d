"""Exercises 4 and 9: the whole backward pass of a CAE, tied (4) and untied (9), bce decoder + lam * penalty.

The true gradient is the finite difference of the total loss. Hints compare
the answer with the finite differences of the reconstruction alone, of the
penalty's pieces (exercise 3's), with lam ignored, and with the chain rule
pushed from a wrong dZ (an extra r(1-r), a sigmoid applied twice).
"""
from __future__ import annotations

import numpy as np

from cae_scratch.core.activations import sigmoid

from . import forward
from .diagnosis import Case, activation_helper, as_array, call, numeric, rows_for, unpack
from .grade_penalty import penalty_candidates, penalty_pieces, w_only_hint


def rng(seed):
    return np.random.default_rng(3000 + seed)


def chain_from_dZ(dZ, X, p, act, tied):
    """The reconstruction's gradients pushed back from a given dZ (used only to recognise a wrong dZ)."""
    W_dec = p["W"] if tied else p["W_r"].T                     # Z = H W_dec + b_r
    A = X @ p["W"].T + p["b_h"]
    H = act.f(A)
    dA = (dZ @ W_dec.T) * act.d1(A, H)
    grads = {"W": dA.T @ X + (H.T @ dZ if tied else 0.0), "b_h": np.sum(dA, axis=0), "b_r": np.sum(dZ, axis=0)}
    if not tied:
        grads["W_r"] = dZ.T @ H
    return grads


def cae_candidates(p, X, lam, act, tied):
    """(hint, candidate) per parameter for the CAE backward: every recognised mistake, as a whole gradient."""
    B = X.shape[0]
    W0 = p["W"]
    W_dec = (lambda q: q["W"]) if tied else (lambda q: q["W_r"].T)
    rec = numeric(lambda q: forward.reconstruction(X, q["W"], q["b_h"], W_dec(q), q["b_r"], act), p)
    pieces = penalty_pieces(p["W"], p["b_h"], X, act)
    pen = {k: pieces["true"].get(k, np.zeros_like(v)) for k, v in p.items()}
    cands = {k: [] for k in p}
    add = lambda k, hint, g: cands[k].append((hint, g))
    for k in p:
        if lam > 0:
            add(k, "only the reconstruction's gradient: the penalty's is missing (lam times exercise 3's gradient)",
                rec[k])
        add(k, f"the reconstruction's gradient is 1/n_visible = 1/{X.shape[1]} of the true one: bce(x_b, r_b) is "
               "summed over the pixels j, not averaged -- do not divide by n_visible", rec[k] / X.shape[1] + lam * pen[k])
        add(k, "lam ignored: the penalty's gradient is added with weight 1 -- scale it by lam", rec[k] + pen[k])
        if lam > 0:
            add(k, f"the penalty's gradient is B = {B} times too large: the penalty is averaged differently in "
                   "the loss (a mean over the batch) and in the gradient", rec[k] + B * lam * pen[k])
            add(k, "the penalty's gradient is half what it should be: a factor 2 is missing in both paths "
                   "(d s'^2 = 2 s' s'' da, d W^2 = 2 W dW)", rec[k] + 0.5 * lam * pen[k])
    if lam > 0:
        for k, hints in penalty_candidates(pieces, act.name, rec, lam).items():
            cands[k] += hints
    A = X @ W0.T + p["b_h"]
    R = sigmoid(act.f(A) @ W_dec(p) + p["b_r"])
    for hint, dZ in [("an extra r(1-r) in dZ: for bce on a sigmoid decoder the sigmoid's derivative cancels",
                      (R - X) * R * (1 - R) / B),
                     ("the sigmoid is applied twice: R = sigmoid(Z) is already the output, do not squash it again",
                      (sigmoid(R) - X) / B)]:
        wrong = chain_from_dZ(dZ, X, p, act, tied)
        for k in p:
            add(k, hint, wrong[k] + lam * pen[k])
    if tied:
        enc = numeric(lambda q: forward.reconstruction(X, q["W"], q["b_h"], W0, q["b_r"], act), p, ["W"])["W"]
        dec = numeric(lambda q: forward.reconstruction(X, W0, q["b_h"], q["W"], q["b_r"], act), p, ["W"])["W"]
        add("W", "tied weights: only the encoder's use of W -- the decoder's use is missing", enc + lam * pen["W"])
        add("W", "tied weights: only the decoder's use of W -- the encoder's use is missing", dec + lam * pen["W"])
    else:
        add("W", "the untied decoder has its own W_r: its gradient belongs to dW_r only, not to dW",
            rec["W"] + lam * pen["W"] + rec["W_r"].T)
    return cands


def grade_cae_case(outs, p, X, lam, act, tied, label, function):
    names = tuple(p)
    out = unpack(outs[0], names, function)
    s = {k: as_array(out[k], f"grads[{k!r}]", p[k].shape) for k in names}
    true = numeric(lambda q: forward.cae_loss(q, X, lam, act), p)
    rows = rows_for(label, s, true, cae_candidates(p, X, lam, act, tied), X.shape[0])
    only_W = ("the decoder's use of W (tied weights)" if tied else "") + \
             (" or " if tied and lam > 0 else "") + ("the penalty's path through q_k" if lam > 0 else "")
    return w_only_hint(rows, f"db_h is right, so dA is right: what only dW has is wrong -- {only_W}"
                       if only_W else "db_h is right but dW is not: check dA^T X")


def make_cases(specs, tied, function, seed0):
    cases = []
    for seed, (name, lam, B, n_v, n_h) in enumerate(specs):
        gen, act = rng(seed0 + seed), forward.activation(name)
        X = gen.random((B, n_v))
        p = {"W": gen.uniform(-1, 1, (n_h, n_v)), "b_h": 0.3 * gen.standard_normal(n_h)}
        if not tied:
            p["W_r"] = gen.uniform(-1, 1, (n_v, n_h))
        p["b_r"] = 0.3 * gen.standard_normal(n_v)
        label = f"{name}, lam={lam:g}"

        def grade(outs, p=p, X=X, lam=lam, act=act, label=label):
            return grade_cae_case(outs, p, X, lam, act, tied, label, function)
        cases.append(Case(label, [call(dict(p), X, lam, activation_helper(act, (B, n_h)))], tuple(p), grade,
                          {k: v.shape for k, v in p.items()}))
    return cases


def cases_cae_backward():
    return make_cases([("sigmoid", 0.0, 5, 6, 4), ("sigmoid", 0.3, 5, 6, 4), ("tanh", 0.7, 5, 6, 4),
                       ("unknown", 0.4, 4, 7, 3)], True, "cae_backward", 0)


def cases_untied_cae_backward():
    return make_cases([("sigmoid", 0.0, 5, 6, 4), ("tanh", 0.5, 4, 7, 3), ("unknown", 0.3, 3, 6, 5)], False,
                      "untied_cae_backward", 10)


def global_hints(rows):
    """Hints about the pattern of failures across cases."""
    by_case = {}
    for r in rows:
        by_case.setdefault(r.case, []).append(r)
    lines = []
    zero = [rs for c, rs in by_case.items() if "lam=0," in c + "," and not all(r.passed for r in rs)]
    if zero and not any(r.hint for r in zero[0]):
        lines.append("the lam = 0 case fails, so the reconstruction's backward is wrong (exercises 1-2 are its pieces)")
    return lines
