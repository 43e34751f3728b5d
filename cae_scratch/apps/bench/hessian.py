"""The bench's CAE+H row: a stochastic-Hessian step with C copies against its floor of 2 (C + 1) + 3 products.

With C perturbed copies the tied step's products are (in units of the plain
step's B x n_visible x n_hidden product):

    [X; X~] W^T          C + 1     the clean rows and the copies, stacked (``core.fused``)
    H W                  1         the decoder
    dZ W^T               1         dH
    [dA; dA~; H]^T [X; X~; dZ]     C + 2     every dW term in one product

so 2 (C + 1) + 3 in all; the floor runs exactly these, into preallocated
outputs. The step is timed with a fixed eps (the step's own cost); drawing
eps on the host (``noise.hessian_eps``, which ``fit`` does every
step) is timed on its own as ``eps_draw``.
"""
from __future__ import annotations

from ... import backend, noise
from ...core import fused, network
from ...timing import median_seconds

COPIES = 4
SIGMA = 0.1


def hessian_products(xp, gen, W, B, copies):
    """A callable running the CAE+H floor's 4 calls (2 (C + 1) + 3 products) into preallocated outputs."""
    n_hidden, n_visible = W.shape
    C, device = copies, backend.device_of(W)

    def arr(*shape):
        return backend.asarray(gen.random(shape) * 0.01, xp, W.dtype, device)
    XX, H, dZ = arr((C + 1) * B, n_visible), arr(B, n_hidden), arr(B, n_visible)
    AH, XZ = arr((C + 2) * B, n_hidden), arr((C + 2) * B, n_visible)
    outs = [xp.empty(shape, dtype=W.dtype, device=device)
            for shape in (((C + 1) * B, n_hidden), (B, n_visible), (B, n_hidden), (n_hidden, n_visible))]

    def run():
        backend.matmul_into(outs[0], XX, W.T)
        backend.matmul_into(outs[1], H, W)
        backend.matmul_into(outs[2], dZ, W.T)
        backend.matmul_into(outs[3], AH.T, XZ)
    return run


def measure_hessian(xp, device, dtype, size, repeats, copies=COPIES, seed=0):
    """{"hessian_floor", "hessian_step", "hessian_step/floor", "eps_draw", "copies"} for one size."""
    B, n_visible, n_hidden = size
    spec = network.Spec(lam=0.1, hessian="stochastic", gamma=0.1, hessian_noise=SIGMA, hessian_copies=copies)
    params = network.init_params(n_visible, n_hidden, spec, xp, dtype, device, seed)
    gen = backend.rng(seed)
    X = backend.asarray(gen.random((B, n_visible)), xp, dtype, device)
    eps = noise.hessian_eps(gen, spec, B, n_visible, X)
    step = fused.FusedStep()
    t = median_seconds({"hessian_floor": hessian_products(xp, gen, params["W"], B, copies),
                        "hessian_step": lambda: step(params, X, spec, eps=eps),
                        "eps_draw": lambda: noise.hessian_eps(gen, spec, B, n_visible, X)},
                       repeats, lambda: backend.synchronize(xp))
    return {**t, "hessian_step/floor": t["hessian_step"] / t["hessian_floor"], "copies": copies,
            "hessian_products": 2 * (copies + 1) + 3,
            "gflops_hessian_floor": (2 * (copies + 1) + 3) * 2.0 * B * n_visible * n_hidden / t["hessian_floor"] / 1e9}


def hessian_line(row):
    """One console line for a row with the CAE+H measurement."""
    return (f"{row['backend']} {row['dtype']} {row['B']}x{row['n_visible']}->{row['n_hidden']}: CAE+H step "
            f"(stochastic, C={row['copies']}) {row['hessian_step'] * 1e3:.2f} ms, its floor of "
            f"{row['hessian_products']} products {row['hessian_floor'] * 1e3:.2f} ms "
            f"({row['gflops_hessian_floor']:.0f} GFLOP/s): step/floor = {row['hessian_step/floor']:.3f}; "
            f"drawing its eps on the host {row['eps_draw'] * 1e3:.2f} ms")
