"""Exercise 10: the backward of mse through a linear decoder, Z = H W_r^T + b_r.

Small cases are graded entry by entry; a large one (B = 200, 300 -> 400, some
180,000 parameters) by directional derivatives along random directions,
which cost the grader six forward passes -- while a finite-difference answer
would need 360,000 and runs out of time.
"""
from __future__ import annotations

import numpy as np

from cae_scratch.core import losses
from cae_scratch.core.activations import get_activation

from .diagnosis import TOLERANCE, Case, Row, as_array, call, numeric, rel_error, rows_for, unpack

NAMES = ("W_r", "b_r", "H")


def mse_loss(p, X):
    return float(losses.mse_forward(p["H"] @ p["W_r"].T + p["b_r"], X, get_activation("linear"))[0])


def draw(seed, B, n_h, n_v):
    gen = np.random.default_rng(5000 + seed)
    return {"W_r": gen.uniform(-1, 1, (n_v, n_h)), "b_r": 0.3 * gen.standard_normal(n_v),
            "H": gen.random((B, n_h))}, gen.random((B, n_v))


def grade_small(outs, p, X, label):
    out = unpack(outs[0], NAMES, "mse_decoder_backward")
    s = {k: as_array(out[k], f"grads[{k!r}]", p[k].shape) for k in NAMES}
    true = numeric(lambda q: mse_loss(q, X), p)
    B = X.shape[0]
    return rows_for(label, s, true, {}, B)


def grade_large(outs, p, X, label, h=1e-3):
    out = unpack(outs[0], NAMES, "mse_decoder_backward")
    s = {k: as_array(out[k], f"grads[{k!r}]", p[k].shape) for k in NAMES}
    rows = []
    for i, k in enumerate(NAMES):
        v = np.random.default_rng(6000 + i).standard_normal(p[k].shape)
        plus, minus = dict(p), dict(p)
        plus[k], minus[k] = p[k] + h * v, p[k] - h * v
        numeric_dd = (mse_loss(plus, X) - mse_loss(minus, X)) / (2 * h)       # exact up to rounding: L is quadratic
        err = rel_error(np.sum(s[k] * v), numeric_dd)
        rows.append(Row(label, k, p[k].shape, err, err < TOLERANCE,
                        "" if err < TOLERANCE else "wrong on the large case only (the small ones decide the hint)",
                        expected=numeric_dd))
    return rows


def cases_mse_decoder_backward():
    cases = []
    for seed, (B, n_h, n_v) in enumerate([(4, 3, 5), (3, 6, 4)]):
        p, X = draw(seed, B, n_h, n_v)
        label = f"B={B}, {n_h}->{n_v}"
        cases.append(Case(label, [call(p["H"], p["W_r"], p["b_r"], X)], NAMES,
                          lambda outs, p=p, X=X, label=label: grade_small(outs, p, X, label),
                          {k: v.shape for k, v in p.items()}))
    p, X = draw(9, 200, 300, 400)
    label = "B=200, 300->400 (random directions)"
    cases.append(Case(label, [call(p["H"], p["W_r"], p["b_r"], X)], NAMES,
                      lambda outs: grade_large(outs, p, X, label), {k: v.shape for k, v in p.items()}))
    return cases
