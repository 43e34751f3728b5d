"""Reference solution of exercise 9."""
import numpy as np


def untied_cae_backward(params, X, lam, activation):
    W, b_h, W_r, b_r = params["W"], params["b_h"], params["W_r"], params["b_r"]
    B = X.shape[0]
    A = X @ W.T + b_h
    H = activation.f(A)
    D1 = activation.d1(A, H)
    R = 1.0 / (1.0 + np.exp(-(H @ W_r.T + b_r)))
    dZ = (R - X) / B                            # bce through the sigmoid decoder
    q = np.sum(W * W, axis=1)
    dA = (dZ @ W_r) * D1 + lam * (2.0 / B) * D1 * activation.d2(A, H, D1) * q
    dW = dA.T @ X + lam * 2.0 * np.mean(D1 * D1, axis=0)[:, None] * W     # encoder + q path; no decoder term
    return {"W": dW, "b_h": np.sum(dA, axis=0), "W_r": dZ.T @ H, "b_r": np.sum(dZ, axis=0)}
