"""Exercise 11 - the backward of CAE+H's exact Hessian penalty (lesson 10).

Examples are rows: every batch array is (B, ...), one example per row; return each array in the shape
given below (a transposed answer is refused: when B equals a width, the two could not be told apart).

Derive first (on paper): the Hessian of one code unit, d^2 h_k / dx^2 = s''(a_k) w_k w_k^T, and its squared
Frobenius norm s''(a_k)^2 q_k^2 (q_k = sum_j W[k, j]^2); then dE/da_nk (through s'', which brings in the
third derivative s''') and dE/dW along both roads by which W enters E: through a = W x + b_h and through q_k^2.

Forward (given), for X: (B, n_visible), W: (n_hidden, n_visible), b_h: (n_hidden,):

    A = X W^T + b_h                    (B, n_hidden)
    E = (1/B) sum_n sum_k s''(a_nk)^2 q_k^2

``activation`` is computed by the grader (numpy in, numpy out), for arrays of A's shape (B, n_hidden):
    activation.f(A) -> H,  activation.d1(A, H) -> s'(A),  activation.d2(A, H, D1) -> s''(A),
    activation.d3(A, H, D1, D2) -> s'''(A)
It may be sigmoid, tanh, or an activation whose formula you cannot see: use these for everything, once
each on the whole batch (the grader allows a few calls, far fewer than finite differences need).

Write ``hessian_backward(X, W, b_h, activation)``:
    return (dW, db_h) with dW: (n_hidden, n_visible) = dE/dW and db_h: (n_hidden,) = dE/db_h.

Rules: numpy and math only; do not modify the inputs.
Check it:  python -m lessons.exercises check 11 path/to/this_file.py
"""
import numpy as np


def hessian_backward(X, W, b_h, activation):
    raise NotImplementedError("exercise 11: write hessian_backward (see the docstring)")
