"""The benchmark's peer: the same CAE step by PyTorch autograd, with the closed-form penalty.

PyTorch is never a dependency of cae-scratch: it is imported here, only when
``bench --torch`` asks, and a missing PyTorch gives ``None``. The step is
what a careful PyTorch user writes -- sigmoid encoder, tied decoder, bce from
the logits, penalty mean_b sum_k (h(1-h))^2 q_k with q_k = ||W_k||^2 (no
B x n_hidden x n_visible Jacobian, no double backward) -- then ``backward()``.
"""
from __future__ import annotations

import math

import numpy as np


def torch_step(size, dtype, device="cpu", lam=0.1, seed=0):
    """(step, sync): one forward + backward on ``device`` ("cpu" or "cuda") and its clock sync, or None.

    None when PyTorch is missing or has no such device.
    """
    try:
        import torch
        import torch.nn.functional as F
        if device == "cuda" and not torch.cuda.is_available():
            return None
    except Exception:                                  # not installed, or installed but broken
        return None
    B, n_visible, n_hidden = size
    gen = np.random.default_rng(seed)
    kw = {"dtype": getattr(torch, dtype), "device": device}
    c = 4.0 * math.sqrt(6.0 / (n_visible + n_hidden))
    X = torch.tensor(gen.random((B, n_visible)), **kw)
    W = torch.tensor(gen.uniform(-c, c, (n_hidden, n_visible)), **kw, requires_grad=True)
    b_h = torch.zeros(n_hidden, **kw, requires_grad=True)
    b_r = torch.zeros(n_visible, **kw, requires_grad=True)

    def step():
        for p in (W, b_h, b_r):
            p.grad = None
        H = torch.sigmoid(X @ W.T + b_h)
        Z = H @ W + b_r
        rec = F.binary_cross_entropy_with_logits(Z, X, reduction="sum") / B
        D1 = H * (1.0 - H)
        pen = ((D1 * D1) @ (W * W).sum(dim=1)).sum() / B
        (rec + lam * pen).backward()
    return step, (torch.cuda.synchronize if device == "cuda" else (lambda: None))


def torch_version():
    """PyTorch's version and thread count, or None when it is not importable."""
    try:
        import torch
    except Exception:
        return None
    return {"version": torch.__version__, "threads": torch.get_num_threads()}
