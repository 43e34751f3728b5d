"""Exercise 9 - the backward pass of an untied contractive autoencoder.

Examples are rows: every batch array is (B, ...), one example per row; return each array in the shape
given below (a transposed answer is refused: when B equals a width, the two could not be told apart).

Derive first (on paper): the chain rule for a decoder with its own weights,
Z = H W_r^T + b_r: dW_r from the decoder; dW from the encoder and the penalty
only (no decoder term now); and why the penalty does not touch W_r.

Forward (given), X: (B, n_visible) in [0, 1], params W: (n_hidden, n_visible), b_h: (n_hidden,),
W_r: (n_visible, n_hidden), b_r: (n_visible,):

    A = X W^T + b_h,     H = s(A)                     encoder, s = activation.f
    Z = H W_r^T + b_r,   R = sigmoid(Z)               decoder, untied
    L = (1/B) sum_n bce(x_n, r_n) + lam * (1/B) sum_n sum_k s'(a_nk)^2 q_k,   q_k = sum_j W[k, j]^2
    bce(x_n, r_n) = -sum_j [x_nj log r_nj + (1 - x_nj) log(1 - r_nj)]   SUMMED over the n_visible pixels j
                                                                          (a mean over the batch b only)

``activation`` (computed by the grader, for arrays of A's shape (B, n_hidden)): activation.f(A),
activation.d1(A, H) = s'(A), activation.d2(A, H, D1) = s''(A); sigmoid, tanh or one you cannot see.

Write ``untied_cae_backward(params, X, lam, activation)``:
    return a dict {"W", "b_h", "W_r", "b_r"} of the gradients, each with its parameter's shape.

Rules: numpy and math only; do not modify the inputs.
Check it:  python -m lessons.exercises check 9 path/to/this_file.py
"""
import numpy as np


def untied_cae_backward(params, X, lam, activation):
    raise NotImplementedError("exercise 9: write untied_cae_backward (see the docstring)")
