"""Exercise 4 - the whole backward pass of a tied-weight contractive autoencoder.

Examples are rows: every batch array is (B, ...), one example per row; return each array in the shape
given below (a transposed answer is refused: when B equals a width, the two could not be told apart).

Derive first (on paper): the chain rule from L back to W, b_h, b_r. W is used
three times (encoder, decoder, and q_k), so dW has three terms; the penalty's
dA joins the reconstruction's dA before the one product with X.

Forward (given), for X: (B, n_visible) in [0, 1] and params
W: (n_hidden, n_visible), b_h: (n_hidden,), b_r: (n_visible,):

    A = X W^T + b_h,   H = s(A)                       encoder, s = activation.f
    Z = H W + b_r,     R = sigmoid(Z)                 decoder, tied weights: W_r = W^T
    L = (1/B) sum_n bce(x_n, r_n) + lam * (1/B) sum_n sum_k s'(a_nk)^2 q_k,   q_k = sum_j W[k, j]^2
    bce(x_n, r_n) = -sum_j [x_nj log r_nj + (1 - x_nj) log(1 - r_nj)]   SUMMED over the n_visible pixels j
                                                                          (a mean over the batch b only)

``activation`` (computed by the grader, for arrays of A's shape (B, n_hidden)): activation.f(A),
activation.d1(A, H) = s'(A), activation.d2(A, H, D1) = s''(A). It may be sigmoid, tanh, or one whose
formula you cannot see: use these for everything, once each on the whole batch.

Write ``cae_backward(params, X, lam, activation)``:
    params: dict with "W", "b_h", "b_r" (numpy arrays; do not modify them)
    return a dict {"W": dL/dW, "b_h": dL/db_h, "b_r": dL/db_r}, each with its parameter's shape.
    (Exercises 1-3 are the pieces.)

Rules: numpy and math only.
Check it:  python -m lessons.exercises check 4 path/to/this_file.py
"""
import numpy as np


def cae_backward(params, X, lam, activation):
    raise NotImplementedError("exercise 4: write cae_backward (see the docstring)")
