"""The fast training step: the twin of ``network.loss_and_grads``, fused, in place, in reused buffers.

``network.loss_and_grads`` is the readable reference; ``step`` below runs the
same stages in the same order under the same names (each stage's docstring
names its reference twin, and tests hold each stage to its twin) and computes the
same numbers (tests: rtol 1e-10 in float64) for every activation, loss, decoder, tied/untied, lam and DAE
target, as the five matrix products plus a few passes over each (B, n) array:

- every (B, n) array lives in a ``Workspace`` made once per batch shape and
  reused by each step; NumPy and CuPy write into it with ``out=``
  (``backend.into``), so a warmed step allocates no (B, n) array -- glibc
  would otherwise hand freed temporaries back to the OS and page-fault them
  in again every step;
- element-wise work is in place (``x *= y``) and uses each function's algebra:
  a sigmoid is exp, +1, 1/x on one buffer, and s'(a) = h(1-h);
- tied weights: dW = dA^T X + H^T dZ is ONE product [dA; H]^T [X; dZ] of
  stacked buffers (no (n_hidden, n_visible) temporary, no add);
- bce: the value in ``losses.bce_forward``'s form, two sums of non-negative elements (no
  cancellation in float32), and dZ = r - t with r from the same e^-|z| (one exp, not two);
- the penalty's value is always computed (cheap once s'(A) exists); its backward,
  dA = s'(A) (dH + (2 lam / B) q s''(A)) before the one dA^T X and
  dW += (2 lam / B) diag(sum_b s'(a_b)^2) W, runs only when lam > 0;
- CAE+H (``fused_hessian``): the Hessian term's share of dA joins it before the one
  dA^T X; the stochastic term's perturbed copies are stacked with the clean rows in the
  encoder's product and in the dW product; all q paths are one pass diag(coef) W.

Everything stays in the inputs' dtype and on their device; nothing is read
back to the host inside a step.
"""
from __future__ import annotations

from .. import backend
from ..backend import into, matmul_into
from .fused_hessian import exact_into, perturbed_into, stochastic_into
from .inplace import kernels_for, log_sum_into, numerator_into, sigmoid_


class Workspace:
    """The arrays one step needs for batches of B rows; ``AH`` and ``XZ`` stack two arrays each (C + 2 with
    C perturbed copies of the stochastic Hessian term: dA~ and X~ between them).

    AH: ((C+2)B, n_hidden), rows :B = dA, [B:(C+1)B = dA~,] rows (C+1)B: = H.
    XZ: ((C+2)B, n_visible), rows :B = X, [B:(C+1)B = X~,] rows (C+1)B: = dZ.
    Hessian terms: D2 = s''(A) and G, their share of dA, (B, n_hidden); stochastic: Dt, St (C B, n_hidden),
    ones_stack ((C+1)B,) and ones_C (C,) for sums over rows and copies (``fused_hessian``).
    D1 = s'(A), S = the penalty's share of dA (and A for activations without a fast path); (B, n_hidden).
    Z, E: (B, n_visible), the decoder's and the loss's scratch. dW, dW_r, Wq: gradients and the q path's.
    ones: (B,), so that column sums are BLAS matrix-vector products (ones @ M), twice as fast as sum().
    """

    def __init__(self, xp, B, n_visible, n_hidden, dtype, device, *, tied, hessian="none", copies=0):
        def new(*shape):
            return xp.empty(shape, dtype=dtype, device=device)
        C = copies if hessian == "stochastic" else 0
        self.xp, self.B, self.C = xp, B, C
        self.AH, self.XZ = new((C + 2) * B, n_hidden), new((C + 2) * B, n_visible)
        self.D1, self.S = new(B, n_hidden), new(B, n_hidden)
        self.Z, self.E = new(B, n_visible), new(B, n_visible)
        self.dW, self.Wq = new(n_hidden, n_visible), new(n_hidden, n_visible)
        self.dW_r = None if tied else new(n_visible, n_hidden)
        self.ones = xp.ones((B,), dtype=dtype, device=device)
        self.D2, self.G = (new(B, n_hidden), new(B, n_hidden)) if hessian != "none" else (None, None)
        if C:
            self.Dt, self.St = new(C * B, n_hidden), new(C * B, n_hidden)
            self.ones_stack = xp.ones(((C + 1) * B,), dtype=dtype, device=device)
            self.ones_C = xp.ones((C,), dtype=dtype, device=device)
        self.M = xp.empty((B, n_visible), dtype=xp.bool, device=device)      # bce: z >= 0


# ---- the penalty ----------------------------------------------------------------------------------

def contractive_into(xp, q, H, dA, ws, second, lam):
    """Twin: ``penalty.contractive_forward`` and ``contractive_backward``.

    (P = mean_b sum_k s'(a_bk)^2 q_k as a 0-d array, the q path's coefficient or None); with lam > 0
    also ws.S = (2 lam / B) q s''(A), its share of dA before the factor s'(A) (``second``: the activation's
    s'' kernel, reading A from ws.S where it needs it). The step adds the q path, (2 lam / B) diag(sum_b
    s'(a_b)^2) W, to dW. dA's buffer holds s'^2 for the column sums; dH overwrites it later.
    """
    B = H.shape[0]
    d1_sq_sum = ws.ones @ into(dA, xp.multiply, ws.D1, ws.D1)
    coef = None
    if lam > 0:
        second(xp, ws.S, ws.S, H, ws.D1, q * (2.0 * lam / B))
        coef = d1_sq_sum * (2.0 * lam / B)
    return xp.vecdot(d1_sq_sum, q) / B, coef


# ---- the loss and dZ, given Z = H W_r^T, overwritten -----------------------------------------------

def bce_into(xp, Z, b_r, T, dZ, ws):
    """Twin: ``losses.bce_forward`` and ``bce_backward`` (after ``layers.decoder_forward``'s + b_r).

    mean_b sum_j log(1 + E) + (max(z, 0) - t z) as a 0-d array, E = e^-|z| (each part >= 0 per element,
    as in ``losses.bce_forward``); dZ = (r - t) / B with r = where(z >= 0, 1, E) / (1 + E), the reference's
    ``sigmoid``: one exp serves the loss and r (E <= 1: nothing overflows, no clamp); the logs are summed as
    logs of products (``log_sum_into``). Z is overwritten.
    """
    B, E, M = T.shape[0], ws.E, ws.M
    Z += b_r                                           # z
    into(E, xp.abs, Z)
    into(E, xp.negative, E)
    into(E, xp.exp, E)                                 # E = e^-|z|
    into(M, xp.greater_equal, Z, 0.0)                  # z >= 0, before Z is reused
    into(dZ, xp.maximum, Z, 0.0)
    Z *= T
    dZ -= Z                                            # max(z, 0) - t z, never negative
    linear_part = xp.sum(ws.ones @ dZ)
    into(Z, xp.add, E, 1.0)                            # 1 + E
    numerator_into(xp, dZ, E, M)                       # where(z >= 0, 1, E)
    dZ /= Z                                            # r
    dZ -= T
    dZ *= 1.0 / B
    return (log_sum_into(xp, Z, E) + linear_part) / B


def mse_into(xp, Z, b_r, T, dZ, sigmoid_decoder):
    """Twin: ``losses.mse_forward`` and ``mse_backward`` (after ``layers.decoder_forward``'s + b_r).

    mean_b sum_j (r - t)^2 as a 0-d array; dZ = 2 (r - t) g'(z) / B."""
    B = T.shape[0]
    if sigmoid_decoder:
        sigmoid_(xp, Z, b_r)                           # Z <- r
    else:
        Z += b_r
    into(dZ, xp.subtract, Z, T)
    rec = xp.sum(xp.vecdot(dZ, dZ)) / B
    dZ *= 2.0 / B
    if sigmoid_decoder:                                # g' = r (1 - r)
        dZ *= Z
        into(Z, xp.subtract, 1.0, Z)
        dZ *= Z
    return rec


# ---- the step --------------------------------------------------------------------------------------

def step(params, X, spec, ws, target=None, eps=None):
    """Twin: ``network.loss_and_grads``. (terms, grads); the grads live in ``ws`` until its next use."""
    xp, B, C = ws.xp, X.shape[0], ws.C
    W, b_h, b_r = params["W"], params["b_h"], params["b_r"]
    W_r = W.T if spec.tied else params["W_r"]          # (n_visible, n_hidden)
    T = X if target is None else target
    dA, H = ws.AH[:B, :], ws.AH[(C + 1) * B:, :]
    X_in, dZ = ws.XZ[:B, :], ws.XZ[(C + 1) * B:, :]
    kernels = kernels_for(spec.activation)
    q = xp.vecdot(W, W)                                # q_k = sum_j W[k, j]^2
    # forward
    with backend.overflow_allowed():
        if C:                                          # encoder_forward, and the stochastic term's copies:
            if eps is None or tuple(eps.shape) != (C, B, X.shape[1]):
                raise ValueError(f"the stochastic Hessian term needs eps of shape {(C, B, X.shape[1])}")
            X_in[...] = X                              # [X; X~] W^T as ONE product, A and A~ in rows :(C+1)B
            perturbed_into(xp, ws.XZ[B:(C + 1) * B, :], X, eps)
            matmul_into(ws.AH[:(C + 1) * B, :], ws.XZ[:(C + 1) * B, :], W.T)
            H[...] = dA
        else:
            matmul_into(H, X, W.T)                     # encoder_forward
        kernels.encode(xp, H, b_h, ws.D1, ws.S)
        if ws.D2 is not None:                          # s''(A) (exact: s'''(A) in G) while S may hold A
            kernels.second(xp, ws.D2, ws.S, H, ws.D1)
            if spec.hessian == "exact" and spec.gamma > 0:
                kernels.third(xp, ws.G, ws.S, H, ws.D1, ws.D2)
        Z = matmul_into(ws.Z, H, W_r.T)                # decoder_forward (b_r is added by the loss)
        if spec.loss == "bce":                         # reconstruction_forward and _backward: dZ
            rec = bce_into(xp, Z, b_r, T, dZ, ws)
        else:
            rec = mse_into(xp, Z, b_r, T, dZ, spec.decoder_activation == "sigmoid")
        pen, coef = contractive_into(xp, q, H, dA, ws, kernels.second, spec.lam)   # contractive_forward (+ backward)
        terms = {"reconstruction": rec, "contractive": pen, "total": rec + spec.lam * pen}
        if spec.hessian != "none":                     # hessian_forward (+ backward)
            hess, h_coef = (exact_into(xp, q, H, dA, ws, spec.gamma) if spec.hessian == "exact"
                            else stochastic_into(xp, q, b_h, ws, kernels, spec.gamma))
            terms["hessian"], terms["total"] = hess, terms["total"] + spec.gamma * hess
            coef = h_coef if coef is None else (coef if h_coef is None else coef + h_coef)
    # backward
    matmul_into(dA, dZ, W_r)                           # decoder_backward: dH
    if spec.lam > 0:
        dA += ws.S                                     # encoder_backward: dA = s'(A) (dH + penalty's share)
    dA *= ws.D1
    if spec.hessian != "none" and spec.gamma > 0:
        dA += ws.G                                     # ... + the Hessian term's share
    enc_rows = (C + 1) * B                             # dA (and dA~) against X (and X~)
    grads = {"b_h": ws.ones_stack @ ws.AH[:enc_rows, :] if C else ws.ones @ dA, "b_r": ws.ones @ dZ}
    if spec.tied:                                      # tie: dW = [dA; dA~]^T [X; X~] + H^T dZ as ONE product
        if not C:
            X_in[...] = X                              # one (B, n_visible) copy buys one product, not two
        grads["W"] = matmul_into(ws.dW, ws.AH.T, ws.XZ)
    else:
        grads["W"] = matmul_into(ws.dW, ws.AH[:enc_rows, :].T, ws.XZ[:enc_rows, :]) if C else \
            matmul_into(ws.dW, dA.T, X)
        grads["W_r"] = matmul_into(ws.dW_r, dZ.T, H)
    if coef is not None:                               # every q path at once: diag(coef) W
        ws.dW += into(ws.Wq, xp.multiply, W, xp.reshape(coef, (-1, 1)))
    return terms, grads


class FusedStep:
    """``step(params, X, spec, target=None, eps=None) -> (terms, grads)`` with buffers kept between calls.

    The grads it returns live in its buffers and are overwritten by the next
    call with the same batch shape (``train.fit`` consumes them at once).
    """

    def __init__(self):
        self.workspaces = {}

    def workspace(self, params, X, spec):
        W = params["W"]
        if X.dtype != W.dtype:
            raise TypeError(f"X has dtype {X.dtype} but the parameters {W.dtype}; cast X first")
        key = (X.shape, W.shape, W.dtype, str(backend.device_of(W)), spec.tied,   # CuPy devices are unhashable
               spec.hessian, spec.hessian_copies)
        if key not in self.workspaces:
            if len(self.workspaces) >= 4:              # full batches, the last short one, and a spare
                self.workspaces.clear()
            self.workspaces[key] = Workspace(backend.namespace(X, W), X.shape[0], W.shape[1], W.shape[0],
                                             W.dtype, backend.device_of(W), tied=spec.tied,
                                             hessian=spec.hessian, copies=spec.hessian_copies)
        return self.workspaces[key]

    def __call__(self, params, X, spec, target=None, eps=None):
        return step(params, X, spec, self.workspace(params, X, spec), target, eps)


def loss_and_grads(params, X, spec, target=None, eps=None):
    """One fused step in fresh buffers, so the grads belong to the caller (signature of the reference)."""
    return FusedStep()(params, X, spec, target, eps)
