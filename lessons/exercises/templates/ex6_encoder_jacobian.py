"""Exercise 6 - the encoder's Jacobian J = diag(s'(a)) W (lesson 03).

Examples are rows: every batch array is (B, ...), one example per row; return each array in the shape
given below (a transposed answer is refused: when B equals a width, the two could not be told apart).

Derive first (on paper): dh_k/dx_j for h = s(W x + b_h), one chain-rule term
per entry, and why that is J = diag(s'(a)) W of shape (n_hidden, n_visible).
Then the same for a batch: one J per example.

Forward (given): a = W x + b_h, h = s(a) (s = activation.f), W: (n_hidden, n_visible), b_h: (n_hidden,).

``activation`` (computed by the grader): activation.f(A), activation.d1(A, H) = s'(A),
activation.d2(A, H, D1) = s''(A), for arrays of A's shape: (n_hidden,) for one example, (B, n_hidden)
for a batch. It may be sigmoid, tanh, or one whose formula you cannot see; call each once at most.

Write ``encoder_jacobian(x, W, b_h, activation)``:
    x: (n_visible,) one example  -> return J: (n_hidden, n_visible),    J[k, j] = dh_k/dx_j
    x: (B, n_visible) a batch    -> return J: (B, n_hidden, n_visible), J[n] the Jacobian at x[n]

Rules: numpy and math only; do not modify the inputs.
Check it:  python -m lessons.exercises check 6 path/to/this_file.py   (graded against finite differences of h)
"""
import numpy as np


def encoder_jacobian(x, W, b_h, activation):
    raise NotImplementedError("exercise 6: write encoder_jacobian (see the docstring)")
