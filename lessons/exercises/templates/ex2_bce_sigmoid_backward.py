"""Exercise 2 - the backward of binary cross-entropy through a sigmoid decoder.

Examples are rows: every batch array is (B, ...), one example per row; return each array in the shape
given below (a transposed answer is refused: when B equals a width, the two could not be told apart).

Derive first (on paper): write log r and log(1 - r) in terms of z for
r = sigmoid(z), differentiate the per-entry loss with respect to z, and watch
the sigmoid's derivative cancel. Then remember the loss is a mean over B.

Forward (given), for a batch X: (B, n_visible) of targets in [0, 1] and
decoder pre-activations Z: (B, n_visible), with R = sigmoid(Z):

    L = (1/B) sum_n sum_j -[x_nj log r_nj + (1 - x_nj) log(1 - r_nj)]

Write ``bce_sigmoid_backward(X, Z)``:
    X: (B, n_visible), Z: (B, n_visible)
    return dZ: (B, n_visible), dL/dZ, a float64 numpy array

Rules: numpy and math only; do not modify the inputs.
Check it:  python -m lessons.exercises check 2 path/to/this_file.py
"""
import numpy as np


def bce_sigmoid_backward(X, Z):
    raise NotImplementedError("exercise 2: write bce_sigmoid_backward (see the docstring)")
