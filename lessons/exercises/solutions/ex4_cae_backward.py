"""Reference solution of exercise 4."""
import numpy as np


def cae_backward(params, X, lam, activation):
    W, b_h, b_r = params["W"], params["b_h"], params["b_r"]
    B = X.shape[0]
    A = X @ W.T + b_h
    H = activation.f(A)
    D1 = activation.d1(A, H)
    Z = H @ W + b_r
    R = 1.0 / (1.0 + np.exp(-Z))
    dZ = (R - X) / B                            # bce through the sigmoid decoder
    dA = (dZ @ W.T) * D1                        # back through the decoder and the encoder's s
    q = np.sum(W * W, axis=1)
    dA = dA + lam * (2.0 / B) * D1 * activation.d2(A, H, D1) * q          # penalty, path through a
    dW = dA.T @ X + H.T @ dZ + lam * 2.0 * np.mean(D1 * D1, axis=0)[:, None] * W   # encoder, decoder, q
    return {"W": dW, "b_h": np.sum(dA, axis=0), "b_r": np.sum(dZ, axis=0)}
