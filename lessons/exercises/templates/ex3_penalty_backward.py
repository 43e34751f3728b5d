"""Exercise 3 - the backward of the contractive penalty (lesson 05).

Examples are rows: every batch array is (B, ...), one example per row; return each array in the shape
given below (a transposed answer is refused: when B equals a width, the two could not be told apart).

Derive first (on paper): dP/da_nk (through s'), then dP/dW_kj along both
roads by which W enters P -- through a = W x + b_h and through
q_k = sum_j W_kj^2 -- and dP/db_h.

Forward (given), for X: (B, n_visible), W: (n_hidden, n_visible), b_h: (n_hidden,):

    A = X W^T + b_h                    (B, n_hidden)
    H = s(A)                           s = activation.f
    J_h(x_n) = diag(s'(a_n)) W         (the encoder's Jacobian for example n)
    P = (1/B) sum_n ||J_h(x_n)||_F^2 = (1/B) sum_n sum_k s'(a_nk)^2 q_k,   q_k = sum_j W[k, j]^2

``activation`` is computed by the grader (numpy in, numpy out), for arrays of A's shape (B, n_hidden):
    activation.f(A) -> H,   activation.d1(A, H) -> s'(A),   activation.d2(A, H, D1) -> s''(A)
It may be sigmoid, tanh, or an activation whose formula you cannot see: use these three for everything,
once each on the whole batch (the grader allows a few calls, far fewer than finite differences need).

Write ``penalty_backward(X, W, b_h, activation)``:
    return (dW, db_h) with dW: (n_hidden, n_visible) = dP/dW and db_h: (n_hidden,) = dP/db_h.

Rules: numpy and math only; do not modify the inputs.
Check it:  python -m lessons.exercises check 3 path/to/this_file.py
"""
import numpy as np


def penalty_backward(X, W, b_h, activation):
    raise NotImplementedError("exercise 3: write penalty_backward (see the docstring)")
