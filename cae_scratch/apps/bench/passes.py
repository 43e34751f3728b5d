"""``bench --passes``: where the step's time goes, pass by pass.

``step_passes`` spells out ``core.fused.step`` for the bench's case (sigmoid
encoder, tied weights, bce, lam > 0) as a list of named passes over the
step's own buffers, in the step's order; ``time_passes`` replays the list
``repeats`` times and takes each pass's median. A test runs the list once and
checks that it computes the fused step's loss and gradients, so the list
cannot drift from the step it describes. The replayed passes slightly
overstate the step (each is timed alone, so none overlaps the next).
"""
from __future__ import annotations

import time

import numpy as np

from ... import backend
from ...backend import into, matmul_into
from ...core import fused, inplace, network


def step_passes(params, X, lam, ws, out):
    """[(name, thunk)]: run in order, they leave fused.step's loss in ``out["total"]``, its b_h and b_r
    gradients in ``out["b_h"]``, ``out["b_r"]`` and its W gradient in ``ws.dW``."""
    xp, B = ws.xp, X.shape[0]
    W, b_h, b_r = params["W"], params["b_h"], params["b_r"]
    dA, H, X_in, dZ = ws.AH[:B], ws.AH[B:], ws.XZ[:B], ws.XZ[B:]
    D1, S, Z, E, M, ones = ws.D1, ws.S, ws.Z, ws.E, ws.M, ws.ones
    c = 2.0 * lam / B
    s = {}                                             # what one pass hands the next

    def bce_linear_part():
        s["linear"] = xp.sum(ones @ dZ)

    def bce_log_part():
        out["rec"] = (inplace.log_sum_into(xp, Z, E) + s["linear"]) / B

    def column_sums():
        s["d1"] = ones @ dA
        out["total"] = out["rec"] + lam * xp.vecdot(s["d1"], s["q"]) / B

    def bias_sums():
        out["b_h"], out["b_r"] = ones @ dA, ones @ dZ

    def q_path():
        into(ws.Wq, xp.multiply, W, xp.reshape(s["d1"] * c, (-1, 1)))

    return [
        ("q = sum_j W^2 (a W pass)", lambda: s.__setitem__("q", xp.vecdot(W, W))),
        ("PRODUCT X W^T", lambda: matmul_into(H, X, W.T)),
        ("encoder: -(a + b_h)", lambda: into(H, xp.subtract, -b_h, H)),
        ("encoder: exp", lambda: into(H, xp.exp, H)),
        ("encoder: + 1", lambda: H.__iadd__(1.0)),
        ("encoder: h = 1 / x", lambda: into(H, xp.divide, 1.0, H)),
        ("encoder: s' = 1 - h", lambda: into(D1, xp.subtract, 1.0, H)),
        ("encoder: s' *= h", lambda: D1.__imul__(H)),
        ("PRODUCT H W", lambda: matmul_into(Z, H, W)),
        ("bce: z = . + b_r", lambda: Z.__iadd__(b_r)),
        ("bce: abs(z)", lambda: into(E, xp.abs, Z)),
        ("bce: -abs(z)", lambda: into(E, xp.negative, E)),
        ("bce: E = exp", lambda: into(E, xp.exp, E)),
        ("bce: z >= 0", lambda: into(M, xp.greater_equal, Z, 0.0)),
        ("bce: max(z, 0)", lambda: into(dZ, xp.maximum, Z, 0.0)),
        ("bce: t z", lambda: Z.__imul__(X)),
        ("bce: max(z, 0) - t z", lambda: dZ.__isub__(Z)),
        ("bce: its sum (ones @)", bce_linear_part),
        ("bce: 1 + E", lambda: into(Z, xp.add, E, 1.0)),
        ("bce: where(z >= 0, 1, E)", lambda: inplace.numerator_into(xp, dZ, E, M)),
        ("bce: r = . / (1 + E)", lambda: dZ.__itruediv__(Z)),
        ("bce: r - t", lambda: dZ.__isub__(X)),
        ("bce: dZ = . / B", lambda: dZ.__imul__(1.0 / B)),
        ("bce: sum of log(1 + E)", bce_log_part),
        ("penalty: s'^2", lambda: into(dA, xp.multiply, D1, D1)),
        ("penalty: column sums (ones @)", column_sums),
        ("penalty: S = -2 c q h", lambda: into(S, xp.multiply, H, -2.0 * c * s["q"])),
        ("penalty: S += c q", lambda: S.__iadd__(c * s["q"])),
        ("penalty: S *= s'", lambda: S.__imul__(D1)),
        ("PRODUCT dZ W^T", lambda: matmul_into(dA, dZ, W.T)),
        ("backward: dA = . + S", lambda: dA.__iadd__(S)),
        ("backward: dA *= s'", lambda: dA.__imul__(D1)),
        ("backward: b_h, b_r (2 ones @)", bias_sums),
        ("backward: X into [X; dZ]", lambda: X_in.__setitem__(Ellipsis, X)),
        ("PRODUCTS [dA; H]^T [X; dZ]", lambda: matmul_into(ws.dW, ws.AH.T, ws.XZ)),
        ("q path: diag(c) W (a W pass)", q_path),
        ("q path: dW += . (a W pass)", lambda: ws.dW.__iadd__(ws.Wq)),
    ]


def time_passes(xp, device, dtype, size, repeats, lam=0.1, seed=0):
    """{pass name: median seconds}, the step's passes replayed in order ``repeats`` times (after 3 warm-ups)."""
    B, n_visible, n_hidden = size
    spec = network.Spec(lam=lam)
    params = network.init_params(n_visible, n_hidden, spec, xp, dtype, device, seed)
    X = backend.asarray(backend.rng(seed).random((B, n_visible)), xp, dtype, device)
    ws = fused.Workspace(xp, B, n_visible, n_hidden, dtype, device, tied=True)
    passes = step_passes(params, X, lam, ws, {})
    times = {name: [] for name, _ in passes}
    for k in range(repeats + 3):
        for name, run in passes:
            backend.synchronize(xp)
            t0 = time.perf_counter()
            run()
            backend.synchronize(xp)
            if k >= 3:
                times[name].append(time.perf_counter() - t0)
    return {name: float(np.median(t)) for name, t in times.items()}


def passes_table(times, dtype, size):
    """Markdown: each pass's median ms, then the sums of the products and of everything else."""
    products = sum(t for name, t in times.items() if name.startswith("PRODUCT"))
    lines = [f"| pass, {dtype}, {size[0]} x {size[1]} -> {size[2]} | ms |", "|---|---|"]
    lines += [f"| {name} | {t * 1e3:.3f} |" for name, t in times.items()]
    lines += [f"| **the 5 products** | {products * 1e3:.2f} |",
              f"| **every other pass** | {(sum(times.values()) - products) * 1e3:.2f} |"]
    return "\n".join(lines)
