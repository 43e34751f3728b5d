"""The Hessian penalties of CAE+H (Rifai et al., ECML 2011) as forward/backward pairs, and the explicit Hessian.

For one layer, h_k = s(a_k) with a_k = w_k . x + b_k (w_k: row k of W), so the
Hessian of h_k is s''(a_k) w_k w_k^T and, with q_k = ||w_k||^2 (``penalty.row_norms_sq``),

    ||d^2 h / dx^2 (x)||_F^2 = sum_k s''(a_k)^2 ||w_k w_k^T||_F^2 = sum_k s''(a_k)^2 q_k^2     ("exact")
    ||J(x) - J(x~)||_F^2     = sum_k (s'(a_k) - s'(a~_k))^2 q_k,  a~ = W x~ + b_h             ("stochastic")

for a perturbed copy x~ = x + eps, eps ~ N(0, sigma^2 I). With d = w_k . eps ~ N(0, sigma^2 q_k),
s'(a~_k) - s'(a_k) = s''(a_k) d + s'''(a_k) d^2 / 2 + O(d^3), and E d^2 = sigma^2 q_k, E d^3 = 0, so

    E ||J(x) - J(x~)||_F^2 = sigma^2 sum_k s''(a_k)^2 q_k^2 + O(sigma^4),

i.e. E ||J(x) - J(x~)||_F^2 / sigma^2 -> ||d^2 h / dx^2 (x)||_F^2 as sigma -> 0: the stochastic term
(the paper's) estimates sigma^2 times the exact one (so an exact term of weight gamma_exact about
hessian_noise^2 gamma_stochastic has the stochastic term's strength).

On a batch, E = mean_b sum_k s''(a_bk)^2 q_k^2 and, with C copies eps_c
(eps: (C, B, n_visible), already scaled) and e_bck = s'(a_bk) - s'(a~_bck),
S = mean_b mean_c sum_k e_bck^2 q_k. W appears in a, in q and (stochastic) in
a~, so each gradient has up to three paths::

    exact       through a:   dE/da_bk  = (2/B) s''(a_bk) s'''(a_bk) q_k^2           (joins the encoder's dA)
                through q:   dE/dW    += 4 diag(mean_b s''(a_b)^2 q) W             (dE/dq_k = (2/B) sum_b s''^2 q_k)
    stochastic  through a:   dS/da_bk  = (2/(B C)) s''(a_bk) q_k sum_c e_bck        (joins the encoder's dA)
                through a~:  dS/da~_bck = -(2/(B C)) s''(a~_bck) q_k e_bck          -> dW += dA~^T X~, db_h += sum dA~
                through q:   dS/dW    += 2 diag(mean_bc e_bc^2) W

The backwards return (dA_extra, {"W": ..., ["b_h": ...]}): the share of the
clean encoder's dA, and the gradients of the other paths. ``hessian_chunks``
builds the Hessian tensor entry by entry in bounded chunks: the oracle for tests.
"""
from __future__ import annotations

from .. import backend
from ..backend import namespace
from .layers import encoder_forward
from .penalty import DEFAULT_MAX_BYTES, row_norms_sq

KINDS = ("none", "exact", "stochastic")


# ---- exact: E = mean_b sum_k s''(a_bk)^2 q_k^2 -----------------------------------------------------

def exact_forward(W, encoder_cache, activation):
    """(E as a 0-d array, cache) from the encoder's cache (X, A, H, D1)."""
    xp = namespace(W)
    _, A, H, D1 = encoder_cache
    q = row_norms_sq(W)
    D2 = activation.d2(A, H, D1)
    return xp.sum((D2 * D2) @ (q * q)) / D1.shape[0], (W, A, H, D1, D2, q, activation)


def exact_backward(cache):
    """(dA_E, {"W": dW_q}): the path through a, (B, n_hidden), and through q, (n_hidden, n_visible)."""
    W, A, H, D1, D2, q, activation = cache
    xp, B = namespace(D1, W), D1.shape[0]
    D3 = activation.d3(A, H, D1, D2)
    dA = D2 * D3 * (q * q * (2.0 / B))
    coef = xp.sum(D2 * D2, axis=0) * q * (4.0 / B)             # 4 mean_b s''(a_b)^2 q: (n_hidden,)
    return dA, {"W": xp.expand_dims(coef, axis=1) * W}


# ---- stochastic: S = mean_b mean_c sum_k (s'(a_bk) - s'(a~_bck))^2 q_k -----------------------------

def perturbed_inputs(X, eps):
    """X~ = x_b + eps_cb stacked copy after copy: (C B, n_visible), row c B + b. eps: (C, B, n_visible)."""
    xp = namespace(X, eps)
    C, B, n_visible = eps.shape
    return xp.reshape(xp.expand_dims(X, axis=0) + eps, (C * B, n_visible))


def stochastic_forward(W, b_h, encoder_cache, eps, activation):
    """(S as a 0-d array, cache); eps: (C, B, n_visible), the perturbations, used as given."""
    xp = namespace(W)
    X, A, H, D1 = encoder_cache
    if eps is None:
        raise ValueError("the stochastic Hessian term needs eps: (hessian_copies, B, n_visible) perturbations")
    C, B = eps.shape[0], X.shape[0]
    _, pert = encoder_forward(W, b_h, perturbed_inputs(X, eps), activation)   # (X~, A~, H~, D1~)
    E = xp.expand_dims(D1, axis=0) - xp.reshape(pert[3], (C, B, D1.shape[1]))  # e: (C, B, n_hidden)
    q = row_norms_sq(W)
    return xp.sum((E * E) @ q) / (B * C), (W, A, H, D1, q, E, pert, activation)


def stochastic_backward(cache):
    """(dA_S, {"W": dA~^T X~ + dW_q, "b_h": sum dA~}): the paths through a, through each a~_c and through q."""
    W, A, H, D1, q, E, (Xt, At, Ht, Dt), activation = cache
    xp = namespace(D1, W)
    C, B, n_hidden = E.shape
    c = 2.0 / (B * C)
    dA = activation.d2(A, H, D1) * xp.sum(E, axis=0) * (q * c)
    dAt = -activation.d2(At, Ht, Dt) * xp.reshape(E, (C * B, n_hidden)) * (q * c)
    coef = xp.sum(xp.reshape(E * E, (C * B, n_hidden)), axis=0) * c     # 2 mean_bc e^2: (n_hidden,)
    return dA, {"W": dAt.T @ Xt + xp.expand_dims(coef, axis=1) * W, "b_h": xp.sum(dAt, axis=0)}


# ---- either kind --------------------------------------------------------------------------------

def hessian_forward(W, b_h, encoder_cache, activation, kind, eps=None):
    """The term of ``kind`` ("exact" | "stochastic"), without gamma: (value as a 0-d array, (kind, cache))."""
    if kind == "exact":
        value, cache = exact_forward(W, encoder_cache, activation)
    elif kind == "stochastic":
        value, cache = stochastic_forward(W, b_h, encoder_cache, eps, activation)
    else:
        raise ValueError(f"unknown Hessian term {kind!r}; choose 'exact' or 'stochastic'")
    return value, (kind, cache)


def hessian_backward(cache):
    """(dA_extra, extra grads {"W", maybe "b_h"}) of ``hessian_forward``'s term."""
    kind, inner = cache
    return exact_backward(inner) if kind == "exact" else stochastic_backward(inner)


def hessian_and_grads(W, b_h, X, activation, kind, eps=None):
    """The Hessian term alone (without gamma) and its gradient {"W", "b_h"}, for checking it on its own;
    a training step folds the same dA into its one dA^T X instead (``network.loss_and_grads``)."""
    xp = namespace(W, X)
    _, enc = encoder_forward(W, b_h, X, activation)
    value, cache = hessian_forward(W, b_h, enc, activation, kind, eps)
    dA, extra = hessian_backward(cache)
    db_h = xp.sum(dA, axis=0)
    return value, {"W": dA.T @ X + extra["W"], "b_h": db_h + extra["b_h"] if "b_h" in extra else db_h}


# ---- the explicit Hessian, the oracle ------------------------------------------------------------

def hessian_chunks(W, b_h, X, activation, max_bytes=DEFAULT_MAX_BYTES):
    """Yield (b0, k0, Hs), Hs[b, k, i, j] = d^2 h_{k0+k} / dx_i dx_j at x_{b0+b} = s''(a) W[k, i] W[k, j].

    Hs: (examples, units, n_visible, n_visible), at most max_bytes (or one example's one unit).
    """
    xp = namespace(W, X)
    n_hidden, n_visible = W.shape
    per_unit = n_visible * n_visible * backend.itemsize(X)
    units = max(1, min(n_hidden, int(max_bytes) // per_unit))
    rows = max(1, int(max_bytes) // (units * per_unit))
    for b0 in range(0, X.shape[0], rows):
        _, (_, A, H, D1) = encoder_forward(W, b_h, X[b0:min(b0 + rows, X.shape[0]), :], activation)
        D2 = activation.d2(A, H, D1)
        for k0 in range(0, n_hidden, units):
            k1 = min(k0 + units, n_hidden)
            Wk = W[k0:k1, :]
            outer = xp.expand_dims(Wk, axis=2) * xp.expand_dims(Wk, axis=1)      # w_k w_k^T: (units, V, V)
            yield b0, k0, xp.reshape(D2[:, k0:k1], (D2.shape[0], k1 - k0, 1, 1)) * xp.expand_dims(outer, axis=0)


def explicit_hessian_norms(W, b_h, X, activation, max_bytes=DEFAULT_MAX_BYTES):
    """||d^2 h / dx^2 (x_b)||_F^2 for every example, (B,), summed over the explicit Hessian's chunks."""
    xp = namespace(W, X)
    parts = {}
    for b0, _, Hs in hessian_chunks(W, b_h, X, activation, max_bytes):
        sq = xp.sum(xp.reshape(Hs * Hs, (Hs.shape[0], -1)), axis=1)
        parts[b0] = parts[b0] + sq if b0 in parts else sq
    return xp.concat([parts[b0] for b0 in sorted(parts)], axis=0)
