"""Reference solution of exercise 13."""
import numpy as np


def reconstruction_penalty_backward(X, W, b_h, W_r, activation):
    B = X.shape[0]
    A = X @ W.T + b_h
    H = activation.f(A)
    D1 = activation.d1(A, H)
    D2 = activation.d2(A, H, D1)
    G, G_r = W @ W.T, W_r.T @ W_r
    dA = (2.0 / B) * (D1 @ (G_r * G)) * D2                          # path through a (M is symmetric)
    S = D1.T @ D1 / B                                                # dP/dM
    dW = dA.T @ X + 2.0 * (S * G_r) @ W                              # + path through G = W W^T
    return dW, np.sum(dA, axis=0), 2.0 * W_r @ (S * G)               # dW_r through G_r = W_r^T W_r
