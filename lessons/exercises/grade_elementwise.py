"""Exercises 1, 2, 8: one element-wise function at a time (sigmoid backward, bce backward, bce's value)."""
from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np

from cae_scratch.core import losses
from cae_scratch.core.activations import sigmoid

from .diagnosis import Case, Row, StudentError, as_array, call, diagnose, numeric, rows_for


def rng(seed):
    return np.random.default_rng(1000 + seed)


# ---- exercise 1: sigmoid backward --------------------------------------------------------------
def cases_sigmoid_backward():
    cases = []
    for seed, (B, n) in enumerate([(3, 5), (4, 2)]):
        gen = rng(seed)
        A, dH = gen.uniform(-4, 4, (B, n)), gen.standard_normal((B, n))
        H = sigmoid(A)

        def grade(outs, A=A, dH=dH, H=H, B=B, n=n, name=f"B={B}, n={n}"):
            f = lambda p: float(np.sum(dH * sigmoid(p["A"])))          # L = sum(dH * H): dL/dH = dH
            true = numeric(f, {"A": A})
            local = numeric(lambda p: float(np.sum(sigmoid(p["A"]))), {"A": A})["A"]   # s'(A) alone
            S = sigmoid(H)
            candidates = {"A": [("this is s'(A) alone: multiply by the upstream gradient dH (chain rule)", local),
                                ("that is tanh's derivative 1 - h^2; the sigmoid's is written with h too, "
                                 "but differently", dH * (1 - H * H)),
                                ("the sigmoid is applied twice: H is already sigmoid(A), do not squash it again",
                                 dH * S * (1 - S))]}
            return rows_for(name, {"A": as_array(outs[0], "dA", (B, n))}, true, candidates, B)
        cases.append(Case(f"B={B}, n={n}", [call(dH, H)], ("A",), grade, {"A": (B, n)}))
    return cases


# ---- exercise 2: bce through a sigmoid ---------------------------------------------------------
def cases_bce_sigmoid_backward():
    cases = []
    for seed, (B, n) in enumerate([(4, 6), (3, 7)]):
        gen = rng(seed)
        X = gen.random((B, n))
        X[0, :2] = 0.0, 1.0                                          # exact 0 and 1 targets too
        Z = 2.5 * gen.standard_normal((B, n))

        def grade(outs, X=X, Z=Z, B=B, n=n, name=f"B={B}, n={n}"):
            true = numeric(lambda p: float(losses.bce_forward(p["Z"], X)[0]), {"Z": Z})
            R = sigmoid(Z)
            candidates = {"Z": [
                ("an extra r(1-r): for bce on a sigmoid the sigmoid's derivative cancels", true["Z"] * R * (1 - R)),
                ("this is dL/dr, not dL/dz: chain through r = sigmoid(z)", true["Z"] / (R * (1 - R))),
                ("the sigmoid is applied twice: sigmoid(R) where R = sigmoid(Z) is already the output",
                 (sigmoid(R) - X) / B)]}
            return rows_for(name, {"Z": as_array(outs[0], "dZ", (B, n))}, true, candidates, B)
        cases.append(Case(f"B={B}, n={n}", [call(X, Z)], ("Z",), grade, {"Z": (B, n)}))
    return cases


# ---- exercise 8: the bce value, stably from z --------------------------------------------------
def bce_exact(X, Z):
    """The definition -[x log r + (1-x) log(1-r)], r = 1/(1+e^-z), at 60 digits, averaged over the batch."""
    with localcontext() as ctx:
        ctx.prec = 60
        total = Decimal(0)
        for x, z in zip(X.ravel().tolist(), Z.ravel().tolist()):
            x, z = Decimal(x), Decimal(z)
            log_r, log_1mr = -(1 + (-z).exp()).ln(), -(1 + z.exp()).ln()    # 1 - r = 1/(1+e^z), exactly
            total += -(x * log_r + (1 - x) * log_1mr)
        return float(total / X.shape[0])


def cases_bce_from_logits():
    cases = []
    for seed, (label, B, n, scale) in enumerate([("moderate z", 4, 6, 2.5), ("large |z| (30..800)", 3, 8, None),
                                                 ("small |z|", 2, 5, 1e-3)]):
        gen = rng(seed)
        X = gen.random((B, n))
        X[0, :3] = 0.0, 1.0, 0.5
        if scale is None:                                            # where exp(z) overflows, r rounds to 0 or 1
            Z = gen.choice([-1.0, 1.0], (B, n)) * gen.uniform(30, 800, (B, n))
        else:
            Z = scale * gen.standard_normal((B, n))

        def grade(outs, X=X, Z=Z, B=B, name=label, big=scale is None):
            value = outs[0]
            if big and isinstance(value, np.ndarray) and value.shape == () and not np.isfinite(value):
                raise StudentError("L is inf or NaN for large |z|: log(r) or log(1 - r) of a sigmoid that rounded "
                                   "to 0 or 1 (or exp(-z) overflowed). Rewrite log r and log(1 - r) in terms of z "
                                   "and evaluate them without overflow")
            s = as_array(value, "L", ())
            true = bce_exact(X, Z)
            err = abs(float(s) - true) / max(1e-300, abs(float(s)) + abs(true))
            hint = ""
            if err >= 1e-10:
                hint = diagnose(s.reshape(1), np.array([true]), [], B)
                if big and not hint:
                    hint = ("wrong where |z| is large: clipping r, or an epsilon inside the log, changes the loss "
                            "there; an exact rewrite in terms of z needs neither")
            return [Row(name, "L", (), err, err < 1e-10, hint, expected=true)]
        cases.append(Case(label, [call(X, Z)], ("L",), grade))
    return cases
