"""Exercise 10 - the backward of mse through a linear decoder.

Examples are rows: every batch array is (B, ...), one example per row; return each array in the shape
given below (a transposed answer is refused: when B equals a width, the two could not be told apart).

Derive first (on paper): dL/dz for L = (1/B) sum_nj (z_nj - x_nj)^2, then
through Z = H W_r^T + b_r to W_r, b_r and H (dH is what would flow on into the
encoder). Write the shape of every product before you write it in code.

Forward (given): H: (B, n_hidden), W_r: (n_visible, n_hidden), b_r: (n_visible,), X: (B, n_visible),

    Z = H W_r^T + b_r        (B, n_visible), a linear decoder: R = Z
    L = (1/B) sum_n sum_j (z_nj - x_nj)^2

Write ``mse_decoder_backward(H, W_r, b_r, X)``:
    return a dict {"W_r": dL/dW_r, "b_r": dL/db_r, "H": dL/dH}, each with the shape of its argument.
    One case is large (B = 200, 300 -> 400): use matrix products, no loops over entries.

Rules: numpy and math only; do not modify the inputs.
Check it:  python -m lessons.exercises check 10 path/to/this_file.py
"""
import numpy as np


def mse_decoder_backward(H, W_r, b_r, X):
    raise NotImplementedError("exercise 10: write mse_decoder_backward (see the docstring)")
