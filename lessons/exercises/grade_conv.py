"""Exercise 15: the convolutional contractive penalty's backward (lesson 16), both paths.

One input channel, C kernels of k x k, stride 1, zero padding p. The grader differentiates the penalty
computed from its definition -- the convolution written as a loop over output positions, q as the
squared row norms of the convolution's matrix -- never the student's closed form, and recognises the
usual mistakes by differentiating the penalty's pieces (K frozen inside a, or inside q).
"""
from __future__ import annotations

import numpy as np

from . import forward
from .diagnosis import Case, activation_helper, as_array, call, numeric, rows_for, unpack


def conv_by_loops(X, K, padding):
    """a without bias: X (B, H, W), K (C, k, k) -> (B, C, H', W'), one output position at a time."""
    B, H, W = X.shape
    C, k, _ = K.shape
    Xp = np.pad(X, ((0, 0), (padding, padding), (padding, padding)))
    Ho, Wo = H + 2 * padding - k + 1, W + 2 * padding - k + 1
    out = np.zeros((B, C, Ho, Wo))
    for y in range(Ho):
        for x in range(Wo):
            out[:, :, y, x] = np.einsum("bij,cij->bc", Xp[:, y:y + k, x:x + k], K)
    return out


def row_norms(K, shape, padding):
    """q: (C, H', W'), the squared norm of each row of the convolution's matrix, built from basis images."""
    H, W = shape
    basis = np.eye(H * W).reshape(H * W, H, W)
    M = conv_by_loops(basis, K, padding)                 # (HW, C, H', W'): column j of M is conv(e_j)
    return np.sum(M * M, axis=0)


def conv_penalty_value(K_a, b_h, K_q, X, padding, act):
    """(1/B) sum_n sum_{c,p} s'(a_ncp)^2 q_cp with a from K_a and q from K_q (freezing one isolates a path)."""
    A = conv_by_loops(X, K_a, padding) + b_h[None, :, None, None]
    D1 = act.d1(A, act.f(A))
    return float(np.sum(D1 * D1 * row_norms(K_q, X.shape[1:], padding)[None])) / X.shape[0]


def cases_conv_penalty_backward():
    cases = []
    for seed, (name, B, H, W, C, k, p) in enumerate([("sigmoid", 3, 5, 5, 2, 3, 1), ("tanh", 2, 6, 5, 3, 3, 0),
                                                     ("unknown", 3, 5, 6, 2, 2, 1)]):
        gen = np.random.default_rng(7000 + seed)
        X, K, b_h = gen.random((B, H, W)), gen.uniform(-1, 1, (C, k, k)), 0.3 * gen.standard_normal(C)
        act = forward.activation(name)
        label = f"{name}, B={B}, {H}x{W} image, {C} kernels {k}x{k}, padding {p}"
        A_shape = (B, C, H + 2 * p - k + 1, W + 2 * p - k + 1)

        def grade(outs, X=X, K=K, b_h=b_h, p=p, act=act, label=label):
            out = unpack(outs[0], ("dK", "db_h"), "conv_penalty_backward")
            s = {"K": as_array(out["dK"], "dK", K.shape), "b_h": as_array(out["db_h"], "db_h", b_h.shape)}
            params = {"K": K, "b_h": b_h}
            value = conv_penalty_value
            true = numeric(lambda q: value(q["K"], q["b_h"], q["K"], X, p, act), params)
            a_path = numeric(lambda q: value(q["K"], q["b_h"], K, X, p, act), params)
            q_path = numeric(lambda q: value(K, b_h, q["K"], X, p, act), params, ("K",))["K"]
            A = conv_by_loops(X, K, p) + b_h[None, :, None, None]
            D1 = act.d1(A, act.f(A))
            no_border = 2.0 * K * np.sum(np.mean(D1 * D1, axis=0), axis=(1, 2))[:, None, None]
            candidates = {
                "K": [("only the path through a: K also enters q = conv(1_x, K * K), the squared row norms "
                       "(dP/dK += 2 K * corr(1_x, mean_n s'^2))", a_path["K"]),
                      ("only the path through q: the path through a (via s'') is missing", q_path),
                      ("the q path ignores the borders: with padding, a tap that lands in the padding is not in "
                       "q, so correlate mean_n s'^2 with the all-ones image, do not just sum it", a_path["K"] + no_border),
                      ("the path through a is half what it should be: d s'^2 = 2 s' s'' da",
                       0.5 * a_path["K"] + q_path)],
                "b_h": [("the path through a is half what it should be: d s'^2 = 2 s' s'' da", 0.5 * a_path["b_h"])]}
            return rows_for(label, s, true, candidates, X.shape[0])
        cases.append(Case(label, [call(X, K, b_h, float(p), activation_helper(act, A_shape))], ("K", "b_h"),
                          grade, {"K": K.shape, "b_h": b_h.shape}))
    return cases
