"""The deep autoencoder's fast step: the twin of ``deep.autoencoder_loss_and_grads``, in place, in reused
buffers, with each layer's products stacked.

Same notation as ``deep`` and ``forward_mode`` (layer l maps level l to level l + 1; n_l = sizes[l];
k probes per example, their rows flattened so T_l: (k B, n_l)). The reference runs 9L - 2 products;
this step runs the same arithmetic as 5L - 1 by stacking what shares a weight, in two buffers per level:

    IN[l]:  ((2 + k) B, n_l)      rows [dZ_l ; H_l ; T_l]       (H_0 = X, T_0 = U)
    OUT[l]: ((2 + k) B, n_{l+1})  rows [R_{l+1} ; dA_l ; dG_l]   (R_L = H_L)

- forward, per layer: [A_l ; G_l] = [H_l ; T_l] W_l^T, ONE product (the code and its tangents);
- backward, per layer: dW_l = OUT[l]^T IN[l], ONE product holding the decoder's tied R^T dZ, the
  encoder's dA^T H and the tangent path's dG^T T (no (n_{l+1}, n_l) temporary, no add), and
  [dH_l ; dT_l] = [dA_l ; dG_l] W_l, ONE product (l > 0), written straight into the dA and dG rows of
  OUT[l-1], which take their factor s'(A) in place;
- plus the decoder's L products (R W_l) and its backward's L (dZ W_l^T).

Without probes (k = 0) the same step is the plain deep autoencoder. Element-wise work runs in place with
the one-layer step's kernels (``inplace``: s, s', scale * s'' per activation; bce and mse from ``fused``).
Everything stays in the inputs' dtype and on their device; nothing is read back to the host inside a step.
"""
from __future__ import annotations

from types import SimpleNamespace

from .. import backend
from ..backend import into, matmul_into
from .fused import bce_into, mse_into
from .inplace import kernels_for, sigmoid_


class DeepWorkspace:
    """The arrays of one deep step for B rows, level widths ``sizes`` and k probes per example.

    IN[l], OUT[l]: the stacked buffers above; D1[l] = s_l'(A_l) and S[l] (a scratch: A for activations
    without a fast path, then s''), (B, n_{l+1}); Gk[l]: the tangents' pre-activations G_l kept for the
    backward, (k B, n_{l+1}); dW[l]: W_l's gradient; Zs[0]: the bottom decoder's Z, Zs[l] (l > 0) a
    scratch for g_l', (B, n_l); loss: E, M, ones of the bottom level for ``fused.bce_into``.
    """

    def __init__(self, xp, B, sizes, k, dtype, device):
        def new(*shape):
            return xp.empty(shape, dtype=dtype, device=device)
        L = len(sizes) - 1
        self.xp, self.B, self.k, self.sizes = xp, B, k, tuple(sizes)
        self.IN = [new((2 + k) * B, n) for n in sizes]
        self.OUT = [new((2 + k) * B, n) for n in sizes[1:]]
        self.D1 = [new(B, n) for n in sizes[1:]]
        self.S = [new(B, n) for n in sizes[1:]]
        self.Gk = [new(k * B, n) for n in sizes[1:]]
        self.dW = [new(n_out, n_in) for n_in, n_out in zip(sizes, sizes[1:])]
        self.Zs = [new(B, n) for n in sizes[:L]]
        self.ones = xp.ones((B,), dtype=dtype, device=device)
        self.loss = SimpleNamespace(E=new(B, sizes[0]), M=xp.empty((B, sizes[0]), dtype=xp.bool, device=device),
                                    ones=self.ones)


def _times_per_example(xp, rows, D, B, k):
    """rows <- rows * D in place, D: (B, n) broadcast over the k probes of each example (rows: (k B, n),
    row b k + i is example b, probe i)."""
    view = xp.reshape(rows, (B, k, rows.shape[1]))
    into(view, xp.multiply, view, xp.expand_dims(D, axis=1))


def step(params, X, specs, ws, U=None, lam=0.0):
    """Twin: ``deep.autoencoder_loss_and_grads``. (terms, grads); the grads live in ``ws`` until its next use."""
    xp, B, k, L = ws.xp, ws.B, ws.k, len(specs)
    Ws = [params[f"layer{l}_W"] for l in range(L)]
    kernels = [kernels_for(s.activation) for s in specs]
    IN, OUT = ws.IN, ws.OUT
    if lam != 0.0 and not k:
        raise ValueError("lam > 0 needs probes U: (B, k, n_visible)")
    rows = slice(B, (2 + k) * B)                                           # [H ; T] in IN, [dA ; dG] in OUT
    # forward: the codes and their tangents, one product per layer
    with backend.overflow_allowed():
        IN[0][B:2 * B, :] = X
        if k:
            IN[0][2 * B:, :] = xp.reshape(U, (k * B, ws.sizes[0]))
        for l in range(L):
            matmul_into(IN[l + 1][rows, :], IN[l][rows, :], Ws[l].T)      # [A_l ; G_l]
            H, D1 = IN[l + 1][B:2 * B, :], ws.D1[l]
            kernels[l].encode(xp, H, params[f"layer{l}_b_h"], D1, ws.S[l])
            if k:                                                          # T = s'(A) * G, G kept
                ws.Gk[l][...] = IN[l + 1][2 * B:, :]
                _times_per_example(xp, IN[l + 1][2 * B:, :], D1, B, k)
        if k:
            T_L = IN[L][2 * B:, :]
            P = xp.sum(xp.vecdot(T_L, T_L)) / (B * k)
        # the decoders, top to bottom: Z_l = R_{l+1} W_l + b_r_l, R_l = g_l(Z_l) in place in OUT[l-1]'s rows :B
        OUT[L - 1][:B, :] = IN[L][B:2 * B, :]                              # R_L = H_L
        for l in reversed(range(L)):
            Z = matmul_into(OUT[l - 1][:B, :] if l > 0 else ws.Zs[0], OUT[l][:B, :], Ws[l])
            if l > 0 and specs[l].decoder_activation == "sigmoid":
                sigmoid_(xp, Z, params[f"layer{l}_b_r"])
            elif l > 0:
                Z += params[f"layer{l}_b_r"]
        dZ, s0 = IN[0][:B, :], specs[0]
        if s0.loss == "bce":
            rec = bce_into(xp, Z, params["layer0_b_r"], X, dZ, ws.loss)
        else:
            rec = mse_into(xp, Z, params["layer0_b_r"], X, dZ, s0.decoder_activation == "sigmoid")
    terms = {"reconstruction": rec, "contractive": P if k else rec * 0.0, "total": rec + lam * P if k else rec}
    grads = {}
    # the decoders' backward, bottom to top: dR_{l+1} = dZ_l W_l^T, dZ_{l+1} = dR_{l+1} * g'(Z_{l+1})
    for l in range(L):
        grads[f"layer{l}_b_r"] = ws.ones @ IN[l][:B, :]
        dR = IN[l + 1][:B, :] if l + 1 < L else OUT[L - 1][B:2 * B, :]             # the top's dR is dH_L: dA's rows
        matmul_into(dR, IN[l][:B, :], Ws[l].T)
        if l + 1 < L and specs[l + 1].decoder_activation == "sigmoid":   # g' = r (1 - r)
            R, E = OUT[l][:B, :], ws.Zs[l + 1]
            dR *= R
            into(E, xp.subtract, 1.0, R)
            dR *= E
    # the encoders' backward, top to bottom, with the tangent path's share; [dH_l ; dT_l] = [dA_l ; dG_l] W_l
    # lands in the rows of dA_{l-1} and dG_{l-1}, which take their factor s'(A) in place
    tangents = k and lam != 0.0
    n = (2 + k) * B if tangents else 2 * B                                 # the rows of OUT and IN in use
    for l in reversed(range(L)):
        D1, dA = ws.D1[l], OUT[l][B:2 * B, :]
        dA *= D1
        if tangents:
            dG = OUT[l][2 * B:, :]
            if l + 1 == L:                                                 # dT_L = 2 lam T_L / (B k)
                into(dG, xp.multiply, IN[L][2 * B:, :], 2.0 * lam / (B * k))
            S, H, Gk = ws.S[l], IN[l + 1][B:2 * B, :], ws.Gk[l]
            Gk *= dG                                                       # dT * G, summed over the probes
            dTG = xp.sum(xp.reshape(Gk, (B, k, Gk.shape[1])), axis=1) if k > 1 else Gk
            kernels[l].second(xp, S, S, H, D1)                             # s''(A) (A read from S if needed)
            S *= dTG
            dA += S                                                        # dA_extra
            _times_per_example(xp, dG, D1, B, k)                          # dG = s'(A) * dT
        grads[f"layer{l}_b_h"] = ws.ones @ dA
        grads[f"layer{l}_W"] = matmul_into(ws.dW[l], OUT[l][:n, :].T, IN[l][:n, :])   # R^T dZ + dA^T H + dG^T T
        if l > 0:
            matmul_into(OUT[l - 1][B:n, :], OUT[l][B:n, :], Ws[l])          # [dH_l ; dT_l]
    return terms, grads


class FusedDeepStep:
    """``step(params, X, specs, U=None, lam=0.0) -> (terms, grads)`` with buffers kept between calls; the
    grads live in its buffers and are overwritten by the next call with the same shapes."""

    def __init__(self):
        self.workspaces = {}

    def __call__(self, params, X, specs, U=None, lam=0.0):
        W0 = params["layer0_W"]
        if X.dtype != W0.dtype:
            raise TypeError(f"X has dtype {X.dtype} but the parameters {W0.dtype}; cast X first")
        sizes = (W0.shape[1],) + tuple(params[f"layer{l}_W"].shape[0] for l in range(len(specs)))
        k = 0 if U is None else U.shape[1]
        key = (X.shape[0], sizes, k, W0.dtype, str(backend.device_of(W0)))
        if key not in self.workspaces:
            if len(self.workspaces) >= 4:                  # full batches, the last short one, and a spare
                self.workspaces.clear()
            self.workspaces[key] = DeepWorkspace(backend.namespace(X, W0), X.shape[0], sizes, k, W0.dtype,
                                                 backend.device_of(W0))
        return step(params, X, specs, self.workspaces[key], U, lam)


def autoencoder_loss_and_grads(params, X, specs, U=None, lam=0.0):
    """One fused deep step in fresh buffers, so the grads belong to the caller (signature of the reference)."""
    return FusedDeepStep()(params, X, specs, U, lam)
