"""Reference solution of exercise 12."""
import numpy as np


def tangent_backward(X, U, W, b_h, V, activation):
    B = X.shape[0]
    A = X @ W.T + b_h
    H = activation.f(A)
    D1 = activation.d1(A, H)
    D2 = activation.d2(A, H, D1)
    P = U @ W.T                                   # (B, k, n_h): W u_bi
    S = D1[:, None, :] * P                        # (B, k, n_h): s'(a_b) * (W u_bi)
    G = S @ V.T                                   # (B, k, n_c)
    dG = (2.0 / B) * G
    dV = np.sum(np.swapaxes(dG, 1, 2) @ S, axis=0)            # sum_bi dg_bi s_bi^T
    dS = dG @ V                                   # (B, k, n_h)
    dP = D1[:, None, :] * dS                      # through W u
    dA = D2 * np.sum(dS * P, axis=1)              # through s'(a): (B, n_h)
    dW = dA.T @ X + np.sum(np.swapaxes(dP, 1, 2) @ U, axis=0)  # both uses of W
    return dW, np.sum(dA, axis=0), dV
