"""Reference solution of exercise 13."""
import numpy as np


def reconstruction_penalty_backward(X, W, b_h, W_r, activation):
    B = X.shape[0]
    A = X @ W.T + b_h
    H = activation.f(A)
    D1 = activation.d1(A, H)
    D2 = activation.d2(A, H, D1)
    C, C_r = W @ W.T, W_r.T @ W_r
    dA = (2.0 / B) * (D1 @ (C_r * C)) * D2                          # path through a (M is symmetric)
    S = D1.T @ D1 / B                                                # dP_r/dM
    dW = dA.T @ X + 2.0 * (S * C_r) @ W                              # + path through C = W W^T
    return dW, np.sum(dA, axis=0), 2.0 * W_r @ (S * C)               # dW_r through C_r = W_r^T W_r
