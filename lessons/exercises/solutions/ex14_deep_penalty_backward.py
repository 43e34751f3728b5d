"""Reference solution of exercise 14."""
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
    B, k = U.shape[0], U.shape[1]
    _, (A1, H1, D1, A2, H2, D2, G1, T1, G2, T2) = deep_penalty_forward(X, U, W1, b1, W2, b2, activation)
    dT2 = (2.0 / (B * k)) * T2
    dA2 = activation.d2(A2, H2, D2) * np.sum(dT2 * G2, axis=1)        # through the slopes s'(a_2)
    dG2 = D2[:, None, :] * dT2
    dW2 = np.einsum("nik,nil->kl", dG2, T1)                           # through W_2 t_1
    dT1 = dG2 @ W2
    dA1 = activation.d2(A1, H1, D1) * np.sum(dT1 * G1, axis=1)
    dG1 = D1[:, None, :] * dT1
    dW1 = np.einsum("nil,nij->lj", dG1, U)
    # the slopes' paths back through the forward pass: a_2 depends on W_2, b_2 and (through h_1) on a_1
    dW2 = dW2 + dA2.T @ H1
    dA1 = dA1 + (dA2 @ W2) * D1
    dW1 = dW1 + dA1.T @ X
    return dW1, np.sum(dA1, axis=0), dW2, np.sum(dA2, axis=0)
