"""Reference solution of exercise 12 (names as in lesson 12 and cae_scratch/core/tangentprop.py)."""
import numpy as np


def tangent_backward(X, U, W, b_h, V, activation):
    B = X.shape[0]
    A = X @ W.T + b_h
    H = activation.f(A)
    D1 = activation.d1(A, H)
    D2 = activation.d2(A, H, D1)
    G = U @ W.T                                   # (B, k, n_h): W u_bi
    T = D1[:, None, :] * G                        # (B, k, n_h): s'(a_b) * (W u_bi), the code's change
    Z = T @ V.T                                   # (B, k, n_c): the logits' change along u_bi
    dZ = (2.0 / B) * Z
    dV = np.sum(np.swapaxes(dZ, 1, 2) @ T, axis=0)            # sum_bi dz_bi t_bi^T
    dT = dZ @ V                                   # (B, k, n_h)
    dG = D1[:, None, :] * dT                      # through W u
    dA = D2 * np.sum(dT * G, axis=1)              # through s'(a): (B, n_h)
    dW = dA.T @ X + np.sum(np.swapaxes(dG, 1, 2) @ U, axis=0)  # both uses of W
    return dW, np.sum(dA, axis=0), dV
