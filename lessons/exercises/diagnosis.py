"""The grader's engine: student calls made safe, gradients compared, mistakes recognised.

Everything here works by finite differences of the forward loss: the
student's gradient is compared with central differences of the whole loss,
and on failure with the numerical gradient of *pieces* of it and with simple
rescalings of the true gradient (a missing factor 2 gives exactly half, so a
relative error of (g - g/2)/(g + g/2) = 1/3; a sign flip gives 1).
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import cae_scratch as cs
from cae_scratch import backend, gradcheck

STEP = 1e-6
TOLERANCE = gradcheck.TOLERANCE          # 1e-7
MATCH = 1e-5                             # "the student's gradient is this piece" (finite-difference noise ~1e-9)


class StudentError(Exception):
    """The student's function could not be graded: a stub, None, a wrong shape, an exception."""


@dataclass
class Row:
    case: str
    param: str
    shape: tuple
    error: float
    hint: str = ""

    @property
    def passed(self):
        return self.error < TOLERANCE


@dataclass
class Exercise:
    number: int
    function: str
    filename: str
    title: str
    grade: Callable = field(repr=False)      # (student function) -> list[Row]


# ---- finite differences and diagnosis ----------------------------------------------------------
def numeric(f, params, names=None):
    """Central differences of f at every entry of params[name]: {name: array of its shape}."""
    return {k: gradcheck.numerical_gradient(f, params, k, np.arange(v.size), STEP).reshape(v.shape)
            for k, v in params.items() if names is None or k in names}


def scale_hints(B):
    return [(0.5, "exactly half the true gradient (relative error (g - g/2)/(g + g/2) = 1/3): a factor 2 is "
                  "missing -- d(u^2) = 2 u du"),
            (2.0, "exactly twice the true gradient (relative error 1/3): an extra factor 2"),
            (-1.0, "the sign is flipped (relative error 1): e.g. x - r instead of r - x"),
            (float(B), f"B = {B} times the true gradient: the loss is a mean over the batch -- divide by B"),
            (1.0 / B, f"1/B of the true gradient: divided by the batch size B = {B} twice?")]


def diagnose(s, n, candidates, B):
    """A hint for a failing gradient s (true: n): a recognised piece, a rescaling, or a transpose."""
    for hint, cand in candidates:
        if cand is not None and cand.shape == s.shape and gradcheck.rel_error(s, cand) < MATCH:
            return hint
    if not np.any(s):
        return "all zeros: is the gradient computed and returned?"
    nn = float(np.sum(n * n))
    if nn > 0:
        c = float(np.sum(s * n)) / nn
        if gradcheck.rel_error(s, c * n) < MATCH:
            for value, hint in scale_hints(B):
                if abs(c - value) < 1e-3 * abs(value):
                    return hint
            return f"the true gradient times {c:.4g}: a constant factor is wrong"
    if s.ndim == 2 and s.shape[0] == s.shape[1] and gradcheck.rel_error(s.T, n) < MATCH:
        return "transposed: e.g. X.T @ dA instead of dA.T @ X"
    return ""


def call(fn, args):
    """Call the student's function on copies of args; refuse stubs, crashes and mutated inputs."""
    copies = [({k: v.copy() for k, v in a.items()} if isinstance(a, dict) else a.copy() if isinstance(a, np.ndarray) else a)
              for a in args]
    try:
        out = fn(*copies)
    except NotImplementedError:
        raise StudentError(f"{fn.__name__} still raises NotImplementedError: the body is the template's stub. "
                           "Replace the `raise` with your code (see the docstring).") from None
    except Exception as e:
        tb = "".join(traceback.format_exception(type(e), e, e.__traceback__)[-3:])
        raise StudentError(f"{fn.__name__} raised {type(e).__name__}: {e}\n{tb}") from None
    if out is None:
        raise StudentError(f"{fn.__name__} returned None: did you forget the `return`?")
    for a, c in zip(args, copies):
        same = (all(np.array_equal(a[k], c[k]) for k in a) if isinstance(a, dict)
                else np.array_equal(a, c) if isinstance(a, np.ndarray) else True)
        if not same:
            raise StudentError(f"{fn.__name__} modified its input arrays in place; compute new arrays instead.")
    return out


def as_gradient(value, name, shape):
    """The student's output as a float64 array of ``shape``, or a StudentError saying what is wrong."""
    try:
        arr = np.asarray(cs.to_numpy(value) if backend.is_array(value) else value, dtype=np.float64)
    except (TypeError, ValueError):
        raise StudentError(f"{name} is a {type(value).__name__}, not an array of numbers") from None
    if arr.shape != tuple(shape):
        extra = " -- transposed?" if arr.shape == tuple(shape)[::-1] else ""
        raise StudentError(f"{name} has shape {arr.shape}, expected {tuple(shape)}{extra} "
                           "(a gradient has the shape of what it is the gradient of)")
    if not np.all(np.isfinite(arr)):
        raise StudentError(f"{name} contains NaN or inf")
    return arr


def rows_for(case, student, true, candidates, B):
    """One Row per parameter: error against the numerical gradient, and a hint if it fails."""
    rows = []
    for k, n in true.items():
        err = gradcheck.rel_error(student[k], n)
        hint = "" if err < TOLERANCE else diagnose(student[k], n, candidates.get(k, []), B)
        rows.append(Row(case, k, tuple(n.shape), err, hint))
    return rows
