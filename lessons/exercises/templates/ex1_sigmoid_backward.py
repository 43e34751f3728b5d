"""Exercise 1 - the backward of the sigmoid.

Examples are rows: every batch array is (B, ...), one example per row; return each array in the shape
given below (a transposed answer is refused: when B equals a width, the two could not be told apart).

Derive first (on paper): s'(a) for s(a) = 1 / (1 + exp(-a)), written with
h = s(a) only; then the chain rule dL/da = dL/dh * dh/da, element by element.

Forward (given):  H = sigmoid(A) = 1 / (1 + exp(-A)), element-wise.

Write ``sigmoid_backward(dH, H)``:
    dH: (B, n)  the upstream gradient dL/dH
    H:  (B, n)  the forward output sigmoid(A) (you do not get A: you do not need it)
    return dA: (B, n), dL/dA, a float64 numpy array

Rules: numpy and math only; do not modify the inputs.
Check it:  python -m lessons.exercises check 1 path/to/this_file.py
(graded in a separate process by finite differences of L = sum(dH * sigmoid(A)), not by comparing with a solution).
"""
import numpy as np


def sigmoid_backward(dH, H):
    raise NotImplementedError("exercise 1: write sigmoid_backward (see the docstring)")
