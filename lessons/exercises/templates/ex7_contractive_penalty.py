"""Exercise 7 - the contractive penalty's value in closed form (lesson 04).

Examples are rows: every batch array is (B, ...), one example per row; return each array in the shape
given below (a transposed answer is refused: when B equals a width, the two could not be told apart).

Derive first (on paper): ||J(x)||_F^2 = sum_kj (s'(a_k) W_kj)^2 = sum_k s'(a_k)^2 q_k
with q_k = sum_j W_kj^2 -- why no Jacobian needs to be built -- then the mean over the batch.

Forward (given): A = X W^T + b_h, X: (B, n_visible), W: (n_hidden, n_visible), b_h: (n_hidden,).

``activation`` (computed by the grader, for arrays of A's shape (B, n_hidden)): activation.f(A),
activation.d1(A, H) = s'(A), activation.d2(A, H, D1) = s''(A). It may be sigmoid, tanh, or one whose
formula you cannot see.

Write ``contractive_penalty(X, W, b_h, activation)``:
    return P = (1/B) sum_n ||J(x_n)||_F^2 as a float, without building J (no (B, n_hidden, n_visible) array)

Rules: numpy and math only; do not modify the inputs.
Check it:  python -m lessons.exercises check 7 path/to/this_file.py
(graded against the squared norm of a Jacobian the grader builds by finite differences).
"""
import numpy as np


def contractive_penalty(X, W, b_h, activation):
    raise NotImplementedError("exercise 7: write contractive_penalty (see the docstring)")
