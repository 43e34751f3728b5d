"""Exercise 5: write the central-difference gradient checker itself, graded on functions with known gradients.

The student's ``central_difference(f, x, h)`` gets an f it cannot read (every
call is a round trip to the grader), so the only way to an answer is to
evaluate it. It is graded twice per function, at h and h/2: the error against
the exact gradient must be small, and must fall about 4 times when h halves
(second order). A forward difference, whose error only halves, is refused by
that order.
"""
from __future__ import annotations

import numpy as np


from .diagnosis import Case, Row, as_array, call, diagnose, rel_error
from .runner import Helper

H0 = 1e-2                               # large enough that truncation (~h^2), not rounding (~1e-16/h), dominates


def sin_sum(x):
    return float(np.sum(np.sin(1.5 * x)) + 0.5 * np.sum(x * x)), 1.5 * np.cos(1.5 * x) + x


def log_sum_exp(x):
    m = np.max(x)
    E = np.exp(x - m)
    return float(m + np.log(np.sum(E))), E / np.sum(E)


def quartic(x):
    v = x.ravel()
    g = v ** 3 + np.concatenate([v[1:], [0.0]]) + np.concatenate([[0.0], v[:-1]])
    return float(np.sum(v ** 4) / 4 + np.sum(v[1:] * v[:-1])), g.reshape(x.shape)


FUNCTIONS = [("sum sin(1.5 x) + |x|^2/2", sin_sum, (5,)), ("log sum exp(x)", log_sum_exp, (2, 3)),
             ("sum x^4/4 + x_i x_(i+1)", quartic, (4,))]


def function_helper(F, shape, name):
    check = lambda args: "" if len(args) == 1 and args[0].shape == shape else \
        f"f expects one array of the shape of x, {shape}; got {[a.shape for a in args]}"
    return Helper("function", name, {"call": (check, lambda x: F(x)[0])})


def cases_central_difference():
    cases = []
    for seed, (name, F, shape) in enumerate(FUNCTIONS):
        x = np.random.default_rng(4000 + seed).uniform(-1.5, 1.5, shape)
        budget = 4 * x.size + 4
        calls = [call(function_helper(F, shape, "f"), x, h, budget=budget) for h in (H0, H0 / 2)]

        def grade(outs, F=F, x=x, name=name):
            g = F(x)[1]
            G1, G2 = (as_array(o, "the gradient", x.shape) for o in outs)
            e1, e2 = float(np.max(np.abs(G1 - g))), float(np.max(np.abs(G2 - g)))
            err = rel_error(G1, g)
            order = float(np.log2(e1 / e2)) if e1 > 0 and e2 > 0 else float("inf")
            forward_diff = np.array([(F(x + H0 * e)[0] - F(x)[0]) / H0 for e in np.eye(x.size).reshape((-1,) + x.shape)])
            hint1 = "" if err < 1e-3 else diagnose(G1, g, [(
                "a forward difference (f(x + h e_i) - f(x)) / h: its error is first order in h",
                forward_diff.reshape(x.shape))], 1)
            if not (1.7 < order < 2.3):
                hint2 = ("the error halves when h halves: first order, like a forward difference; the central "
                         "difference's error falls 4 times" if 0.7 < order < 1.3 else
                         "the error falls faster than h^2: this exercise asks for the plain central difference"
                         if order >= 2.3 else "the error does not shrink like h^2 as h halves")
            else:
                hint2 = ""
            return [Row(name, "gradient", x.shape, err, err < 1e-3, hint1, expected=g),
                    Row(name, "order", (), abs(order - 2.0), 1.7 < order < 2.3,
                        hint2 + (f" (measured order {order:.2f})" if hint2 else ""), expected=2.0)]
        cases.append(Case(name, calls, ("gradient", "order"), grade, {"gradient": shape}))
    return cases
