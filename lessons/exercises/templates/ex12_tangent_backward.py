"""Exercise 12 - tangent propagation's backward: the Manifold Tangent Classifier's penalty (lesson 12).

Examples are rows: every batch array is (B, ...), one example per row; return each array in the shape
given below (a transposed answer is refused: when B equals a width, the two could not be told apart).

Derive first (on paper): for one hidden layer, the logits o = V s(W x + b_h) + c move along a tangent u by
(d o / d x) u = V (s'(a) * (W u)); then the gradient of P = (1/B) sum_n sum_i ||z_ni||^2, z_ni = V (s'(a_n) * (W u_ni)),
through V, through W twice (inside a, via s''(a), and inside W u), and through b_h (via s''(a)).

Forward (given), for X: (B, n_visible), U: (B, k, n_visible) (k tangents per example), W: (n_hidden, n_visible),
b_h: (n_hidden,), V: (n_classes, n_hidden):

    A = X W^T + b_h                     (B, n_hidden)
    G = U W^T                           (B, k, n_hidden): row i of G[n] is W u_ni
    T = s'(A)[:, None, :] * G           (B, k, n_hidden): the code's change along each tangent
    Z = T V^T                           (B, k, n_classes): row i of Z[n] is z_ni, the logits' change
    P = (1/B) sum_n sum_i ||z_ni||^2    (the names of lesson 12 and cae_scratch/core/tangentprop.py)

``activation`` is computed by the grader (numpy in, numpy out), for arrays of A's shape (B, n_hidden):
    activation.f(A) -> H,  activation.d1(A, H) -> s'(A),  activation.d2(A, H, D1) -> s''(A)
It may be sigmoid, tanh, or an activation whose formula you cannot see: use these, once each on the batch.

Write ``tangent_backward(X, U, W, b_h, V, activation)``:
    return (dW, db_h, dV), each with its parameter's shape.

Rules: numpy and math only; do not modify the inputs.
Check it:  python -m lessons.exercises check 12 path/to/this_file.py
"""
import numpy as np


def tangent_backward(X, U, W, b_h, V, activation):
    raise NotImplementedError("exercise 12: write tangent_backward (see the docstring)")
