"""Reference solution of exercise 2."""
import numpy as np


def bce_sigmoid_backward(X, Z):
    R = 1.0 / (1.0 + np.exp(-Z))
    return (R - X) / X.shape[0]                 # d/dz [softplus(z) - x z] = sigmoid(z) - x; mean over B
