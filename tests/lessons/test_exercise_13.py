"""Exercise 13 (the reconstruction-contractive penalty's backward): its grading module, called directly,
passes the reference solution and fails known-wrong answers with the hint that names the mistake."""
import os
import runpy
import types

import numpy as np
import pytest

from lessons.exercises import grade_score
from lessons.exercises.runner import Helper

HERE = os.path.dirname(os.path.abspath(grade_score.__file__))
SOLUTION = os.path.join(HERE, "solutions", "ex13_reconstruction_penalty_backward.py")
TEMPLATE = os.path.join(HERE, "templates", "ex13_reconstruction_penalty_backward.py")


def grade(function):
    """Grade ``function`` in this process: each helper argument becomes an object with its methods."""
    rows = []
    for case in grade_score.cases_reconstruction_penalty_backward():
        outs = []
        for c in case.calls:
            args = [types.SimpleNamespace(**{m: compute for m, (_, compute) in a.methods.items()})
                    if isinstance(a, Helper) else a for a in c.args]
            outs.append(function(*args))
        rows += case.grade(outs)
    return rows


def solution():
    return runpy.run_path(SOLUTION)["reconstruction_penalty_backward"]


def test_the_reference_solution_passes():
    rows = grade(solution())
    assert len(rows) == 9 and all(r.passed for r in rows), [(r.case, r.param, r.error) for r in rows]


def wrong(change):
    """The solution with its (dW, db_h, dW_r) changed by ``change(dW, db_h, dW_r, X, W, b_h, W_r, act)``."""
    right = solution()

    def answer(X, W, b_h, W_r, activation):
        return change(*right(X, W, b_h, W_r, activation), X, W, b_h, W_r, activation)
    return answer


def gram_path(X, W, b_h, W_r, act):
    A = X @ W.T + b_h
    D1 = act.d1(A, act.f(A))
    return 2.0 * ((D1.T @ D1 / X.shape[0]) * (W_r.T @ W_r)) @ W


@pytest.mark.parametrize("change, param, words", [
    (lambda dW, db, dWr, *_: (dW, db, 0 * dWr), "W_r", "all zeros"),
    (lambda dW, db, dWr, *_: (dW, db, 0.5 * dWr), "W_r", "factor 2"),
    (lambda dW, db, dWr, X, W, b_h, W_r, act: (dW - gram_path(X, W, b_h, W_r, act), db, dWr), "W",
     "only the path through a"),
    (lambda dW, db, dWr, X, W, b_h, W_r, act: (dW - 0.5 * gram_path(X, W, b_h, W_r, act), db, dWr), "W",
     "Gram path is half"),
    (lambda dW, db, dWr, *_: (dW, 0.5 * db, dWr), "b_h", "half what it should be"),
])
def test_known_wrong_answers_fail_with_a_hint(change, param, words):
    rows = grade(wrong(change))
    failed = [r for r in rows if not r.passed]
    assert failed and {r.param for r in failed} == {param}
    assert all(words in r.hint for r in failed), [r.hint for r in failed]


def test_the_untouched_template_raises():
    with pytest.raises(NotImplementedError):
        runpy.run_path(TEMPLATE)["reconstruction_penalty_backward"](np.zeros((1, 2)), np.zeros((2, 2)),
                                                                     np.zeros(2), np.zeros((2, 2)), None)
