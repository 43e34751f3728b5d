"""Reference solution of exercise 10."""
import numpy as np


def mse_decoder_backward(H, W_r, b_r, X):
    dZ = (2.0 / X.shape[0]) * (H @ W_r.T + b_r - X)     # (B, n_visible)
    return {"W_r": dZ.T @ H, "b_r": np.sum(dZ, axis=0), "H": dZ @ W_r}
