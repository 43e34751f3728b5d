"""The grader's engine: what a case is, how an answer is checked, how a mistake is recognised.

Everything here runs in the parent process on plain arrays that came back
from the student's process. Gradients are compared with central differences
of the forward loss (never with a solution); on failure, with the numerical
gradient of *pieces* of the loss and with simple rescalings of the true
gradient (a missing factor 2 gives exactly half, so a relative error of
(g - g/2)/(g + g/2) = 1/3; a sign flip gives 1).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from cae_scratch import gradcheck

from .runner import Bad, Call, Helper

STEP = 1e-6
TOLERANCE = gradcheck.TOLERANCE          # 1e-7
MATCH = 1e-5                             # "the student's answer is this piece" (finite-difference noise ~1e-9)
BUDGET = 8                               # helper calls per call of the student's function


class StudentError(Exception):
    """The answer cannot be graded as it is (a wrong type, shape, dtype, NaN): the message says what."""


@dataclass
class Row:
    """One graded quantity of one case: its error, whether it passed, and a hint when it did not."""
    case: str
    param: str
    shape: tuple
    error: float
    passed: bool
    hint: str = ""
    expected: object = field(default=None, repr=False)   # shown only with --reveal


@dataclass
class Case:
    """Some calls of the student's function and how to grade what they return."""
    name: str
    calls: list                          # [runner.Call]
    params: tuple                        # the names of the rows this case produces
    grade: Callable                      # (outs: list) -> list[Row]; may raise StudentError
    shapes: dict = field(default_factory=dict)


def failed_rows(case, message):
    return [Row(case.name, p, tuple(case.shapes.get(p, ())), float("nan"), False, message) for p in case.params]


# ---- answers as arrays ---------------------------------------------------------------------------
def as_array(value, name, shape):
    """The student's ``value`` as a plain float64 array of ``shape`` (finite), or a StudentError."""
    if isinstance(value, Bad):
        raise StudentError(f"{name} is {value.what}" + ("" if "ndarray" in value.what else ", not a numpy array")
                           + (": did you forget the `return`?" if value.what == "None" else ""))
    if not isinstance(value, np.ndarray):
        raise StudentError(f"{name} is missing or malformed")
    if value.shape != tuple(shape):
        extra = " -- transposed?" if len(shape) == 2 and value.shape == tuple(shape)[::-1] else ""
        what = "a gradient has the shape of what it is the gradient of" if shape else "a single number is expected"
        raise StudentError(f"{name} has shape {value.shape}, expected {tuple(shape)}{extra} ({what})")
    if value.dtype != np.float64:
        raise StudentError(f"{name} has dtype {value.dtype}, expected float64 (compute in float64, like the inputs)")
    if not np.all(np.isfinite(value)):
        raise StudentError(f"{name} contains NaN or inf")
    return value


def unpack(out, names, function):
    """A dict or tuple returned by the student, as {name: value}; StudentError if it has another form."""
    if isinstance(names, str):
        return {names: out}
    if isinstance(out, dict):
        if set(out) != set(names):
            raise StudentError(f"{function} must return a dict with keys {', '.join(map(repr, names))}; "
                               f"got keys {sorted(out)}")
        return out
    if isinstance(out, tuple) and len(out) == len(names):
        return dict(zip(names, out))
    got = out.what if isinstance(out, Bad) else type(out).__name__
    raise StudentError(f"{function} must return {'a pair' if len(names) == 2 else f'{len(names)} values'} "
                       f"({', '.join(names)}), got {got}")


def activation_helper(act, *shapes):
    """A helper serving act.f / d1 / d2 / d3 to the student, for arrays of one of ``shapes`` only."""
    shapes = [tuple(s) for s in shapes]

    def check(count, what):
        def inner(args):
            if len(args) != count:
                return f"activation.{what} takes {count} arrays"
            bad = [a.shape for a in args if a.shape not in shapes]
            if not bad:
                return ""
            more = np.prod(bad[0]) > max(np.prod(s) for s in shapes)     # many inputs stacked into one call
            return (f"activation.{what} expects arrays of shape {shapes[0]} (A = X W^T + b_h for the whole input), "
                    f"got {bad[0]}" + (": finite differences of the forward, stacked, are not an answer here -- "
                                       "the point of this exercise is the derivation" if more else ""))
        return inner
    return Helper("activation", act.name, {"f": (check(1, "f"), act.f), "d1": (check(2, "d1"), act.d1),
                                           "d2": (check(3, "d2"), act.d2), "d3": (check(4, "d3"), act.d3)})


def call(*args, budget=BUDGET):
    return Call(args=args, budget=budget)


# ---- finite differences and diagnosis ----------------------------------------------------------
def rel_error(a, b):
    """gradcheck.rel_error for arrays of any rank, numbers included."""
    return gradcheck.rel_error(np.atleast_1d(np.asarray(a, float)), np.atleast_1d(np.asarray(b, float)))


def numeric(f, params, names=None):
    """Central differences of f at every entry of params[name]: {name: array of its shape}."""
    return {k: gradcheck.numerical_gradient(f, params, k, np.arange(v.size), STEP).reshape(v.shape)
            for k, v in params.items() if names is None or k in names}


def scale_hints(B):
    return [(0.5, "exactly half the true gradient (relative error 1/3): a factor 2 is missing -- d(u^2) = 2 u du"),
            (2.0, "exactly twice the true gradient (relative error 1/3): an extra factor 2"),
            (-1.0, "the sign is flipped (relative error 1): e.g. x - r instead of r - x"),
            (float(B), f"B = {B} times the true value: the loss is a mean over the batch -- divide by B"),
            (1.0 / B, f"1/B of the true value: divided by the batch size B = {B} twice?")]


def diagnose(s, n, candidates, B):
    """A hint for a failing answer s (true: n): a recognised piece, a rescaling, or a transpose."""
    for hint, cand in candidates:
        if cand is not None and np.shape(cand) == s.shape and rel_error(s, cand) < MATCH:
            return hint
    if not np.any(s):
        return "all zeros: is the gradient computed and returned?"
    nn = float(np.sum(n * n))
    if nn > 0:
        c = float(np.sum(s * n)) / nn
        if rel_error(s, c * n) < MATCH:
            for value, hint in scale_hints(B):
                if abs(c - value) < 1e-3 * abs(value):
                    return hint
            if s.size > 1:                     # (any single number is a multiple of another)
                return f"the true value times {c:.4g}: a constant factor is wrong"
    if s.ndim == 2 and s.shape[0] == s.shape[1] and rel_error(s.T, n) < MATCH:
        return "transposed: e.g. X.T @ dA instead of dA.T @ X"
    return ""


def rows_for(case, student, true, candidates, B, tol=TOLERANCE):
    """One Row per output: error against the finite-difference value, and a hint if it fails."""
    rows = []
    for k, n in true.items():
        err = rel_error(student[k], n)
        hint = "" if err < tol else diagnose(student[k], n, candidates.get(k, []), B)
        rows.append(Row(case, k, tuple(np.shape(n)), err, err < tol, hint, expected=n))
    return rows
