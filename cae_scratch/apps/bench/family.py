"""``bench --family``: the deep encoder's penalty step and the convolutional CAE's step, each against its
own matrix-product floor, the step without its penalty, and PyTorch autograd when it is installed.

Deep (``core.fused_deep``, the twin of ``core.deep`` that ``StackedCAE`` runs; tied, L layers, one
Rademacher probe per example): the reference's 9L - 2 products (6L - 1 for the unrolled autoencoder, 3L - 1
for the probe estimate) run as 5L - 1 stacked ones of the same arithmetic: per layer [H; T] W^T, the
decoder's R W and dZ W^T, dW = [R; dA; dG]^T [dZ; H; T], and [dA; dG] W (l > 0). The floor is those
products into preallocated outputs; the reference step is timed beside them. PyTorch's peer is the
Jacobian-regularisation recipe (Hoffman et al. 2019): J^T v by a vector-Jacobian product with
``create_graph=True``, ||J^T v||^2 as the estimate, then a double backward.

Conv (``core.conv_network``): five products on im2col patches (the encoder, the adjoint's K^T H, the
decoder's dH = K dZ, and the two weight gradients), run on prepared patches; the step adds the
strided-slice copies, col2im and the element-wise work. PyTorch's peer: conv2d and conv_transpose2d
with the same closed-form penalty, q = conv2d(1_x, K * K), then ``backward()``.
"""
from __future__ import annotations

import math

import numpy as np

from ... import backend
from ...core import conv, conv_network, deep, fused_deep, network
from ...timing import median_seconds

DEEP_SIZES = ((256, 784, 500, 500), (256, 784, 1000, 1000))
CONV_CASES = ((256, (1, 28, 28), 8, 5),)
LAM = 0.1


def _arr(xp, gen, dtype, device, *shape):
    return backend.asarray(gen.random(shape) * 0.01, xp, dtype, device)


def deep_products(xp, gen, dtype, device, B, sizes, k=1):
    """A callable running the fused deep penalty step's 5L - 1 stacked products into preallocated outputs."""
    calls = []
    for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        W = _arr(xp, gen, dtype, device, n_out, n_in)
        HT, dZ = _arr(xp, gen, dtype, device, (1 + k) * B, n_in), _arr(xp, gen, dtype, device, B, n_in)
        R, OUT = _arr(xp, gen, dtype, device, B, n_out), _arr(xp, gen, dtype, device, (2 + k) * B, n_out)
        IN = _arr(xp, gen, dtype, device, (2 + k) * B, n_in)
        pairs = [(HT, W.T), (R, W), (dZ, W.T), (OUT.T, IN)]
        if l > 0:
            pairs.append((OUT[B:, :], W))
        calls += [(xp.empty((a.shape[0], b.shape[1]), dtype=dtype, device=device), a, b) for a, b in pairs]

    def run():
        for out, a, b in calls:
            backend.matmul_into(out, a, b)
    return run, len(calls)


def measure_deep(xp, device, dtype, B, sizes, repeats, seed=0):
    """{"deep_step", "deep_plain", "deep_reference", "deep_floor", ratios, "products"} for one stack size:
    the fused step with and without the probe penalty, the reference step with it, the products alone."""
    gen = backend.rng(seed)
    params, X, specs, U, _ = deep_inputs(xp, dtype, device, gen, B, sizes)
    floor, n_products = deep_products(xp, gen, dtype, device, B, sizes)
    step = fused_deep.FusedDeepStep()
    t = median_seconds({"deep_step": lambda: step(params, X, specs, U, LAM),
                        "deep_plain": lambda: step(params, X, specs),
                        "deep_reference": lambda: deep.autoencoder_loss_and_grads(params, X, specs, U, LAM),
                        "deep_floor": floor}, repeats, lambda: backend.synchronize(xp))
    return {**t, "deep_step/plain": t["deep_step"] / t["deep_plain"],
            "deep_step/floor": t["deep_step"] / t["deep_floor"], "deep_products": n_products}


def conv_products(xp, gen, dtype, device, B, geo):
    """A callable running the conv step's five products on prepared patches."""
    C_in, k, C, P = geo.in_shape[0], geo.kernel, geo.channels, geo.n_positions
    K_mat = _arr(xp, gen, dtype, device, C, C_in * k * k)
    patches, dZ_patches = (_arr(xp, gen, dtype, device, C_in * k * k, B * P) for _ in range(2))
    H, dA = (_arr(xp, gen, dtype, device, C, B * P) for _ in range(2))
    pairs = [(K_mat, patches),                               # a
             (xp.matrix_transpose(K_mat), H),                # the adjoint's shares
             (K_mat, dZ_patches),                            # dH = M(K) dZ
             (H, xp.matrix_transpose(dZ_patches)),           # the decoder's dK
             (dA, xp.matrix_transpose(patches))]             # the encoder's dK
    calls = [(xp.empty((a.shape[0], b.shape[1]), dtype=dtype, device=device), a, b) for a, b in pairs]

    def run():
        for out, a, b in calls:
            backend.matmul_into(out, a, b)
    return run


def measure_conv(xp, device, dtype, B, in_shape, channels, kernel, repeats, seed=0):
    """{"conv_step", "conv_plain", "conv_floor", ratios} for one conv CAE."""
    gen = backend.rng(seed)
    params, X, geo, spec = conv_inputs(xp, dtype, device, gen, B, in_shape, channels, kernel)
    plain = network.Spec(lam=0.0)
    t = median_seconds({"conv_step": lambda: conv_network.loss_and_grads(params, X, geo, spec),
                        "conv_plain": lambda: conv_network.loss_and_grads(params, X, geo, plain),
                        "conv_floor": conv_products(xp, gen, dtype, device, B, geo)},
                       repeats, lambda: backend.synchronize(xp))
    return {**t, "conv_step/plain": t["conv_step"] / t["conv_plain"], "conv_step/floor": t["conv_step"] / t["conv_floor"]}


def torch_deep_step(B, sizes, dtype, seed=0):
    """PyTorch's double-backprop estimate of the deep penalty (one probe), or None without PyTorch."""
    try:
        import torch
        import torch.nn.functional as F
    except Exception:
        return None
    gen, kw = np.random.default_rng(seed), {"dtype": getattr(torch, dtype)}
    Ws = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        c = 4.0 * math.sqrt(6.0 / (n_in + n_out))
        Ws.append(torch.tensor(gen.uniform(-c, c, (n_out, n_in)), **kw, requires_grad=True))
    bs = [torch.zeros(n, **kw, requires_grad=True) for n in sizes[1:]]
    brs = [torch.zeros(n, **kw, requires_grad=True) for n in sizes[:-1]]
    X0 = torch.tensor(gen.random((B, sizes[0])), **kw)
    params = Ws + bs + brs

    def step():
        for p in params:
            p.grad = None
        X = X0.clone().requires_grad_(True)
        H = X
        for W, b in zip(Ws, bs):
            H = torch.sigmoid(H @ W.T + b)
        v = torch.randn_like(H)
        JTv, = torch.autograd.grad(H, X, grad_outputs=v, create_graph=True)   # ||J^T v||^2: E = ||J||_F^2
        R = H
        for l in reversed(range(len(Ws))):
            Z = R @ Ws[l] + brs[l]
            R = torch.sigmoid(Z) if l > 0 else Z
        rec = F.binary_cross_entropy_with_logits(R, X0, reduction="sum") / B
        (rec + LAM * (JTv * JTv).sum() / B).backward()
    return step


def torch_conv_step(B, in_shape, channels, kernel, dtype, seed=0):
    """PyTorch's conv CAE step with the same closed-form penalty, or None without PyTorch."""
    try:
        import torch
        import torch.nn.functional as F
    except Exception:
        return None
    gen, kw = np.random.default_rng(seed), {"dtype": getattr(torch, dtype)}
    c = 4.0 * math.sqrt(6.0 / ((in_shape[0] + channels) * kernel * kernel))
    K = torch.tensor(gen.uniform(-c, c, (channels, in_shape[0], kernel, kernel)), **kw, requires_grad=True)
    b_h, b_r = torch.zeros(channels, **kw, requires_grad=True), torch.zeros(in_shape[0], **kw, requires_grad=True)
    X = torch.tensor(gen.random((B,) + tuple(in_shape)), **kw)
    ones = torch.ones((1,) + tuple(in_shape), **kw)

    def step():
        for p in (K, b_h, b_r):
            p.grad = None
        H = torch.sigmoid(F.conv2d(X, K, b_h))
        Z = F.conv_transpose2d(H, K, b_r)
        rec = F.binary_cross_entropy_with_logits(Z, X, reduction="sum") / B
        q = F.conv2d(ones, K * K)                              # (1, C, H', W'): taps inside the image
        D1 = H * (1.0 - H)
        (rec + LAM * ((D1 * D1) * q).sum() / B).backward()
    return step


def family(dtypes=("float32", "float64"), repeats=20, torch=False, progress=print):
    """Every row of ``bench --family``: {"deep": [...], "conv": [...]}, and the Markdown tables printed."""
    xp = backend.get_namespace("numpy")
    device = backend.default_device(xp)
    out = {"deep": [], "conv": []}
    for dtype in dtypes:
        for B, *sizes in DEEP_SIZES:
            row = {"dtype": dtype, "B": B, "sizes": sizes,
                   **measure_deep(xp, device, getattr(xp, dtype), B, sizes, repeats)}
            peer = torch_deep_step(B, sizes, dtype) if torch else None
            if peer is not None:                 # the inputs are made once, outside the timed call
                args, step = deep_inputs(xp, getattr(xp, dtype), device, backend.rng(0), B, sizes), \
                    fused_deep.FusedDeepStep()
                row.update(_beside(peer, lambda: step(*args), "deep", repeats))
            out["deep"].append(row)
        for B, in_shape, channels, kernel in CONV_CASES:
            row = {"dtype": dtype, "B": B, "in_shape": list(in_shape), "channels": channels, "kernel": kernel,
                   **measure_conv(xp, device, getattr(xp, dtype), B, in_shape, channels, kernel, repeats)}
            peer = torch_conv_step(B, in_shape, channels, kernel, dtype) if torch else None
            if peer is not None:
                args = conv_inputs(xp, getattr(xp, dtype), device, backend.rng(0), B, in_shape, channels, kernel)
                row.update(_beside(peer, lambda: conv_network.loss_and_grads(*args), "conv", repeats))
            out["conv"].append(row)
    progress(family_tables(out))
    return out


def _beside(peer, ours, name, repeats):
    t = median_seconds({"ours": ours, "torch": peer}, repeats)
    return {f"{name}_torch": t["torch"], f"{name}_step_beside_torch": t["ours"], f"{name}_step/torch": t["ours"] / t["torch"]}


def deep_inputs(xp, dtype, device, gen, B, sizes):
    """(params, X, specs, U, lam) of the deep penalty step: Glorot weights (x4, sigmoid) drawn from ``gen``,
    zero biases, X in [0, 1], one Rademacher probe per row."""
    params = {}
    for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        c = 4.0 * math.sqrt(6.0 / (n_in + n_out))
        params[f"layer{l}_W"] = backend.asarray(gen.uniform(-c, c, (n_out, n_in)), xp, dtype, device)
        params[f"layer{l}_b_h"] = backend.asarray(np.zeros(n_out), xp, dtype, device)
        params[f"layer{l}_b_r"] = backend.asarray(np.zeros(n_in), xp, dtype, device)
    X = backend.asarray(gen.random((B, sizes[0])), xp, dtype, device)
    U = backend.asarray(gen.choice([-1.0, 1.0], size=(B, 1, sizes[0])), xp, dtype, device)
    return params, X, [network.Spec()] * (len(sizes) - 1), U, LAM


def conv_inputs(xp, dtype, device, gen, B, in_shape, channels, kernel):
    """(params, X, geometry, spec) of the conv CAE step: Glorot K (x4, sigmoid) from ``gen``, zero biases."""
    geo = conv.ConvGeometry(in_shape, channels, kernel, 1, 0)
    c = 4.0 * math.sqrt(6.0 / ((in_shape[0] + channels) * kernel * kernel))
    params = {"K": backend.asarray(gen.uniform(-c, c, (channels, in_shape[0], kernel, kernel)), xp, dtype, device),
              "b_h": backend.asarray(np.zeros(channels), xp, dtype, device),
              "b_r": backend.asarray(np.zeros(in_shape[0]), xp, dtype, device)}
    X = backend.asarray(gen.random((B, geo.n_visible)), xp, dtype, device)
    return params, X, geo, network.Spec(lam=LAM)


def family_tables(out):
    """The two Markdown tables of ``bench --family``."""
    def cell(row, key):
        return f"{row[key]:.2f}" if key in row else "-"
    lines = ["| dtype | B x sizes | step ms | plain ms | reference ms | floor ms | step/plain | step/floor | products "
             "| ours/PyTorch |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in out["deep"]:
        lines.append(f"| {r['dtype']} | {r['B']}x{'-'.join(map(str, r['sizes']))} | {r['deep_step'] * 1e3:.2f} | "
                     f"{r['deep_plain'] * 1e3:.2f} | {r['deep_reference'] * 1e3:.2f} | {r['deep_floor'] * 1e3:.2f} | "
                     f"{r['deep_step/plain']:.2f} | "
                     f"{r['deep_step/floor']:.2f} | {r['deep_products']} | {cell(r, 'deep_step/torch')} |")
    lines += ["", "| dtype | B x image, channels x kernel | step ms | plain ms | floor ms | step/plain | step/floor | "
              "ours/PyTorch |", "|---|---|---|---|---|---|---|---|"]
    for r in out["conv"]:
        shape = "x".join(map(str, r["in_shape"]))
        lines.append(f"| {r['dtype']} | {r['B']}x{shape}, {r['channels']}x{r['kernel']}x{r['kernel']} | "
                     f"{r['conv_step'] * 1e3:.2f} | {r['conv_plain'] * 1e3:.2f} | {r['conv_floor'] * 1e3:.2f} | "
                     f"{r['conv_step/plain']:.2f} | {r['conv_step/floor']:.2f} | {cell(r, 'conv_step/torch')} |")
    return "\n".join(lines)
