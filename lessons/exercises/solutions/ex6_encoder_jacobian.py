"""Reference solution of exercise 6."""
import numpy as np


def encoder_jacobian(x, W, b_h, activation):
    A = x @ W.T + b_h                           # (n_hidden,) or (B, n_hidden)
    D1 = activation.d1(A, activation.f(A))
    return D1[..., :, None] * W                 # diag(s'(a)) W, per example: row k scaled by s'(a_k)
