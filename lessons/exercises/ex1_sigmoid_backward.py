"""Exercise 1 - the backward of the sigmoid.

Forward (given):  H = sigmoid(A) = 1 / (1 + exp(-A)), element-wise.

Write ``sigmoid_backward(dH, H)``:
    dH: (B, n)  the upstream gradient dL/dH
    H:  (B, n)  the forward output sigmoid(A) (cheaper than A: s'(a) = h (1 - h))
    return dA: (B, n), dL/dA

Check it:  python -m lessons.exercises check 1 path/to/this_file.py
(graded by finite differences of L = sum(dH * sigmoid(A)), not by comparing with a solution).
"""
import numpy as np


def sigmoid_backward(dH, H):
    raise NotImplementedError("exercise 1: write sigmoid_backward (see the docstring)")
