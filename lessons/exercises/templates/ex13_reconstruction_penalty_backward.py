"""Exercise 13 - the backward of the reconstruction-contractive penalty (lesson 15).

Derive first (on paper): for a linear decoder r = W_r s(W x + b_h) + b_r, the reconstruction's Jacobian is
J_r = dr/dx = W_r diag(s'(a)) W, and its squared Frobenius norm is d^T M d with d = s'(a),
M = (W_r^T W_r) * (W W^T) (element-wise): expand the trace. Then dP_r/da (through s', which brings in s''),
dP_r/dW along both roads by which W enters P_r (through a = W x + b_h and through the Gram C = W W^T), and
dP_r/dW_r through C_r = W_r^T W_r.

Forward (given), for X: (B, n_visible), W: (n_hidden, n_visible), b_h: (n_hidden,), W_r: (n_visible, n_hidden):

    A = X W^T + b_h                    (B, n_hidden)
    D1 = s'(A)                         (B, n_hidden)
    P_r = (1/B) sum_n ||W_r diag(D1[n]) W||_F^2 = (1/B) sum_n D1[n] M D1[n]^T

``activation`` is computed by the grader (numpy in, numpy out), for arrays of A's shape (B, n_hidden):
    activation.f(A) -> H,  activation.d1(A, H) -> s'(A),  activation.d2(A, H, D1) -> s''(A)
It may be sigmoid, tanh, or an activation whose formula you cannot see: use these for everything, once
each on the whole batch (the grader allows a few calls, far fewer than finite differences need).
Work in O(B n_hidden^2): no (B, n_visible, n_visible) Jacobian.

Write ``reconstruction_penalty_backward(X, W, b_h, W_r, activation)``:
    return (dW, db_h, dW_r), each the gradient of P_r with the shape of its parameter.

Rules: numpy and math only; do not modify the inputs.
Check it:  python -m lessons.exercises check 13 path/to/this_file.py
"""
import numpy as np


def reconstruction_penalty_backward(X, W, b_h, W_r, activation):
    raise NotImplementedError("exercise 13: write reconstruction_penalty_backward (see the docstring)")
