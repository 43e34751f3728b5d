"""Exercise 14 - the backward of the two-layer forward-mode penalty (lesson 13).

Derive first (on paper): for a two-layer encoder h_l = s(a_l), a_l = W_l h_{l-1} + b_l (h_0 = x), the
directional derivative along u is t_0 = u, t_l = s'(a_l) * (W_l t_{l-1}), and J_stack u = t_2. The estimate
of mean_n ||J_stack(x_n)||_F^2 with k probes per example is P_hat = (1/(B k)) sum_{n,i} ||t_2,ni||^2. Each
W_l enters P_hat twice: inside the slopes s'(a_l) (and, for W_1, inside a_2 through h_1), and in W_l t_{l-1}.
Run the recursion backwards: dP_hat/dt_2, then through each layer to the slopes (s'' appears) and to W_l.

Forward (given below as code), X: (B, n0), U: (B, k, n0), W1: (n1, n0), b1: (n1,), W2: (n2, n1), b2: (n2,):

    A1 = X W1^T + b1;  H1 = s(A1);  A2 = H1 W2^T + b2          (B, n1), (B, n2)
    T1 = s'(A1)[:, None, :] * (U W1^T)                          (B, k, n1)
    T2 = s'(A2)[:, None, :] * (T1 W2^T)                         (B, k, n2)
    P_hat = (1/(B k)) sum T2^2

``activation`` is computed by the grader (numpy in, numpy out), for arrays of A1's or A2's shape:
    activation.f(A) -> H,  activation.d1(A, H) -> s'(A),  activation.d2(A, H, D1) -> s''(A)
It may be sigmoid, tanh, or an activation whose formula you cannot see: use these, once each per layer
(the grader allows a few calls, far fewer than finite differences need). No (B, n2, n0) Jacobian.

Write ``deep_penalty_backward(X, U, W1, b1, W2, b2, activation)``:
    return (dW1, db1, dW2, db2), each the gradient of P_hat with the shape of its parameter.

Rules: numpy and math only; do not modify the inputs.
Check it:  python -m lessons.exercises check 14 path/to/this_file.py
"""
import numpy as np


def deep_penalty_forward(X, U, W1, b1, W2, b2, activation):
    """(P_hat, cache): the forward above, for you to reuse; cache = (A1, H1, D1, A2, H2, D2, G1, T1, G2, T2)
    with G_l = T_{l-1} W_l^T (the directions carried by W_l, before the slopes)."""
    B, k = U.shape[0], U.shape[1]
    A1 = X @ W1.T + b1
    H1 = activation.f(A1)
    D1 = activation.d1(A1, H1)
    A2 = H1 @ W2.T + b2
    H2 = activation.f(A2)
    D2 = activation.d1(A2, H2)
    G1 = U @ W1.T
    T1 = D1[:, None, :] * G1
    G2 = T1 @ W2.T
    T2 = D2[:, None, :] * G2
    return float(np.sum(T2 * T2)) / (B * k), (A1, H1, D1, A2, H2, D2, G1, T1, G2, T2)


def deep_penalty_backward(X, U, W1, b1, W2, b2, activation):
    raise NotImplementedError("exercise 14: write deep_penalty_backward (see the docstring)")
