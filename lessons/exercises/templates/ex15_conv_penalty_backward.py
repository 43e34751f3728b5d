"""Exercise 15 - the backward of the convolutional contractive penalty (lesson 16).

Derive first (on paper): a convolution is a matrix, a = M(K) x + b_h, so the encoder's Jacobian is
J = diag(s'(a)) M(K) and ||J||_F^2 = sum_{c,p} s'(a_cp)^2 q_cp, where q_cp, the squared norm of row (c, p)
of M, is the sum of K_c^2 over the taps that land inside the image: q = conv(1_x, K * K). K enters the
penalty twice: inside every a (the path through s', which brings in s''), and inside q. Derive dP/da, then
dP/dK along both roads, and dP/db_h.

Forward (given below as code), one input channel, C kernels of k x k, stride 1, zero padding p:

    X: (B, H, W) images;  K: (C, k, k);  b_h: (C,)
    A[n, c, y, x] = sum_{i,j} K[c, i, j] * Xpad[n, y + i, x + j] + b_h[c]     (B, C, H', W')
    D1 = s'(A)
    q[c, y, x] = sum_{i,j} K[c, i, j]^2 * [tap (i, j) at (y, x) lands inside the image]     (C, H', W')
    P = (1/B) sum_n sum_{c,y,x} D1[n, c, y, x]^2 * q[c, y, x]

``activation`` is computed by the grader (numpy in, numpy out), for arrays of A's shape (B, C, H', W'):
    activation.f(A) -> H,  activation.d1(A, H) -> s'(A),  activation.d2(A, H, D1) -> s''(A)
It may be sigmoid, tanh, or an activation whose formula you cannot see: use these for everything, once
each on the whole batch (the grader allows a few calls, far fewer than finite differences need).

Write ``conv_penalty_backward(X, K, b_h, padding, activation)``:
    return (dK, db_h), each the gradient of P with the shape of its parameter.

Rules: numpy and math only; do not modify the inputs. ``padding`` arrives as a float: use int(padding).
Check it:  python -m lessons.exercises check 15 path/to/this_file.py
"""
import numpy as np


def patches(X, k, padding):
    """(B, k*k, H', W'): patches[n, i*k + j, y, x] = Xpad[n, y + i, x + j] (the taps of every position)."""
    Xp = np.pad(X, ((0, 0), (padding, padding), (padding, padding)))
    Ho, Wo = X.shape[1] + 2 * padding - k + 1, X.shape[2] + 2 * padding - k + 1
    return np.stack([Xp[:, i:i + Ho, j:j + Wo] for i in range(k) for j in range(k)], axis=1)


def conv_penalty_forward(X, K, b_h, padding, activation):
    """(P, A, D1, q): the forward above, for you to reuse."""
    padding = int(padding)
    C, k = K.shape[0], K.shape[1]
    A = np.einsum("ct,btyx->bcyx", K.reshape(C, k * k), patches(X, k, padding)) + b_h[None, :, None, None]
    D1 = activation.d1(A, activation.f(A))
    inside = patches(np.ones((1,) + X.shape[1:]), k, padding)[0]                 # (k*k, H', W'): 1 inside
    q = np.einsum("ct,tyx->cyx", (K * K).reshape(C, k * k), inside)
    return float(np.sum(D1 * D1 * q[None])) / X.shape[0], A, D1, q


def conv_penalty_backward(X, K, b_h, padding, activation):
    raise NotImplementedError("exercise 15: write conv_penalty_backward (see the docstring)")
