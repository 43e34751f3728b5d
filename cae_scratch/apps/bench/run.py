"""``python -m cae_scratch bench``: a training step against the matrix products it cannot avoid.

A tied CAE step needs five products of size B x n_visible x n_hidden
(X W^T, H W, H^T dZ, dZ W^T, dA^T X); everything else is element-wise. So,
in one process, this measures (medians of many calls, each timed alone,
``backend.synchronize`` before every clock read):

    floor        the 5 bare products, written into preallocated arrays
    step         the fused step (``core.fused.FusedStep``) at lam = 0.1 and at lam = 0
    reference    the reference ``core.network.loss_and_grads``
    epoch        ``train.fit`` (adam, and sgd) against the sum of its steps, in the same run
    CAE+H        a stochastic-Hessian step with C copies against its 2 (C + 1) + 3 products (``hessian``)
    torch        with --torch: the same step by PyTorch autograd (closed-form penalty),
                 timed in blocks that alternate with the fused step's (``library_blocks``)

and prints their ratios and GFLOP/s (2 B n_visible n_hidden flops per product).
Calls run in alternating blocks (``timing.median_seconds``), so a burst of
load elsewhere hits every function alike. PyTorch never alternates with NumPy call by call -- the idle
BLAS threads of one library slow the other's products ~10x -- but block by
block, with a pause before each block.
"""
from __future__ import annotations

import time

import numpy as np

from ... import backend, train
from ...core import fused, network
from ...timing import median_seconds
from ..options import fits_in_memory
from .hessian import COPIES, measure_hessian
from .passes import passes_table, time_passes
from .report import format_table, load_average, machine_info
from .torch_peer import torch_step

DEFAULT_SIZES = ((256, 784, 1000), (128, 784, 1000), (64, 784, 500))
VARIANTS = {"tanh": {"activation": "tanh"}, "softplus": {"activation": "softplus"}, "untied": {"tied": False}}
PAUSE = 0.25     # seconds before each block of another library: its idle BLAS threads go to sleep


def parse_size(text):
    """'256x784x1000' -> (B, n_visible, n_hidden)."""
    try:
        B, n_visible, n_hidden = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size {text!r} must look like BxVxH, e.g. 256x784x1000") from None
    if min(B, n_visible, n_hidden) <= 0:
        raise ValueError(f"size {text!r} must have positive B, n_visible and n_hidden")
    return B, n_visible, n_hidden


def check_memory(sizes, fit_rows):
    """A ValueError before any work when a size cannot fit in this machine's memory: a lower bound of what
    one size holds at once (its float64 host operands X, H, dZ, dA, the weights, the fit's rows)."""
    for B, n_visible, n_hidden in sizes:
        fits_in_memory(f"size {B}x{n_visible}x{n_hidden} (with --fit-rows {fit_rows})",
                       8 * (2 * B * n_visible + 2 * B * n_hidden + n_visible * n_hidden + fit_rows * n_visible))


def library_blocks(fns, syncs, repeats, rounds=3):
    """{name: median seconds} for callables of different libraries, each timed in its own blocks.

    Every block starts after a pause (idle BLAS threads of the library before
    go to sleep) and a warm-up; blocks of the libraries alternate ``rounds``
    times, so a drift in the machine's load reaches both alike.
    """
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            time.sleep(PAUSE)
            times[name].append(median_seconds({name: fn}, max(1, repeats // rounds), syncs[name])[name])
    return {name: float(np.median(t)) for name, t in times.items()}


def host_data(gen, B, n_visible, n_hidden):
    """Random host arrays for one size: X in [0, 1] and the (B, n) operands of the products."""
    return {"X": gen.random((B, n_visible)), "H": gen.random((B, n_hidden)),
            "dZ": gen.standard_normal((B, n_visible)) * 0.01, "dA": gen.standard_normal((B, n_hidden)) * 0.01}


def five_products(xp, arrays, W):
    """A callable running the floor: X W^T, H W, H^T dZ, dZ W^T, dA^T X into preallocated outputs."""
    X, H, dZ, dA = arrays["X"], arrays["H"], arrays["dZ"], arrays["dA"]
    outs = [xp.empty(shape, dtype=W.dtype, device=backend.device_of(W))
            for shape in (H.shape, X.shape, W.shape, H.shape, W.shape)]

    def run():
        backend.matmul_into(outs[0], X, W.T)          # the same call the fused step makes
        backend.matmul_into(outs[1], H, W)
        backend.matmul_into(outs[2], H.T, dZ)
        backend.matmul_into(outs[3], dZ, W.T)
        backend.matmul_into(outs[4], dA.T, X)
    return run


def measure_size(xp, device, dtype, size, repeats, seed=0):
    """Floor, fused step (lam 0.1 and 0) and reference step for one (B, n_visible, n_hidden)."""
    B, n_visible, n_hidden = size
    spec, spec0 = network.Spec(lam=0.1), network.Spec(lam=0.0)
    params = network.init_params(n_visible, n_hidden, spec, xp, dtype, device, seed)
    arrays = {k: backend.asarray(v, xp, dtype, device)
              for k, v in host_data(backend.rng(seed), B, n_visible, n_hidden).items()}
    X, step = arrays["X"], fused.FusedStep()
    fns = {"floor": five_products(xp, arrays, params["W"]),
           "step": lambda: step(params, X, spec),
           "step_lam0": lambda: step(params, X, spec0),
           "reference": lambda: network.loss_and_grads(params, X, spec)}
    for name, variant in VARIANTS.items():           # each against the same floor: 5 products of these shapes
        vspec = network.Spec(lam=0.1, **variant)
        vparams = network.init_params(n_visible, n_hidden, vspec, xp, dtype, device, seed)
        fns["step_" + name] = (lambda p, s: lambda: step(p, X, s))(vparams, vspec)
    t = median_seconds(fns, repeats, lambda: backend.synchronize(xp))
    flops = 5 * 2.0 * B * n_visible * n_hidden
    return {**t, **{f"{name}/floor": t["step_" + name] / t["floor"] for name in VARIANTS},
            "gflops_floor": flops / t["floor"] / 1e9, "gflops_step": flops / t["step"] / 1e9,
            "step/floor": t["step"] / t["floor"], "lam/lam0": t["step"] / t["step_lam0"],
            "step_lam0/floor": t["step_lam0"] / t["floor"],
            "reference/floor": t["reference"] / t["floor"]}


def measure_epoch(xp, device, dtype, size, rows, optimizer="adam", epochs=2, seed=0):
    """``train.fit`` on (rows, n_visible) against the sum of its steps, after a warm-up fit.

    Timed: one fit of ``epochs`` epochs (so its one-time setup -- optimizer
    state, the copy of the last finite parameters -- counts once per fit, as
    in real use); "epoch" is its time per epoch.
    """
    B, n_visible, n_hidden = size
    spec = network.Spec(lam=0.1)
    X = backend.asarray(backend.rng(seed).random((rows, n_visible)), xp, dtype, device)
    params = network.init_params(n_visible, n_hidden, spec, xp, dtype, device, seed)
    step, spent = fused.FusedStep(), [0.0]

    def timed_step(params, Xb, spec, target=None):
        backend.synchronize(xp)
        t0 = time.perf_counter()
        out = step(params, Xb, spec, target)
        backend.synchronize(xp)
        spent[0] += time.perf_counter() - t0
        return out

    def fit(n_epochs):
        spent[0] = 0.0
        t0 = time.perf_counter()
        train.fit(params, X, spec, epochs=n_epochs, batch_size=B, lr=1e-3, optimizer=optimizer, seed=seed,
                  progress=False, step=timed_step)
        backend.synchronize(xp)
        return time.perf_counter() - t0
    fit(1)
    total = fit(epochs)
    return {"epoch": total / epochs, "sum_of_steps": spent[0] / epochs, "epoch/steps": total / spent[0],
            "optimizer": optimizer, "rows": rows}


def compare_torch(row, repeats, seed=0):
    """The fused step and PyTorch autograd's, timed in alternating blocks ({} without PyTorch)."""
    size = (row["B"], row["n_visible"], row["n_hidden"])
    peer = torch_step(size, row["dtype"], "cuda" if row["backend"] == "cupy" else "cpu")
    if peer is None:
        return {}
    xp = backend.get_namespace(row["backend"])
    device, spec = backend.default_device(xp), network.Spec(lam=0.1)
    params = network.init_params(size[1], size[2], spec, xp, getattr(xp, row["dtype"]), device, seed)
    X = backend.asarray(backend.rng(seed).random(size[:2]), xp, row["dtype"], device)
    step = fused.FusedStep()
    t = library_blocks({"fused": lambda: step(params, X, spec), "torch": peer[0]},
                       {"fused": lambda: backend.synchronize(xp), "torch": peer[1]}, repeats)
    return {"torch": t["torch"], "step_beside_torch": t["fused"], "step/torch": t["fused"] / t["torch"]}


def run(sizes=DEFAULT_SIZES, backends=("numpy",), dtypes=("float32", "float64"), repeats=30,
        fit_rows=10_000, torch=False, progress=print, hessian_copies=COPIES, load_before=None):
    """Every measurement, as a JSON-ready dict: {"machine", "results": [one dict per case]}.

    ``load_before``: the load average before the first of several runs (a later run's own load average
    is raised by the run before it, not by other work); None reads it now.
    """
    load_before = load_average() if load_before is None else load_before   # before our own threads run
    results = []
    for name in backends:
        xp = backend.get_namespace(name)
        device = backend.default_device(xp)
        for dtype in dtypes:
            for size in sizes:
                row = {"backend": name, "dtype": dtype, "B": size[0], "n_visible": size[1], "n_hidden": size[2]}
                row.update(measure_size(xp, device, getattr(xp, dtype), size, repeats))
                if hessian_copies:
                    row.update(measure_hessian(xp, device, getattr(xp, dtype), size, repeats, hessian_copies))
                if fit_rows:
                    row["fit"] = measure_epoch(xp, device, getattr(xp, dtype), size, fit_rows)
                    row["fit_sgd"] = measure_epoch(xp, device, getattr(xp, dtype), size, fit_rows, "sgd")
                results.append(row)
                progress(format_table([row], header=not results[:-1]))
    for row in results if torch else []:
        row.update(compare_torch(row, repeats))
    return {"machine": machine_info(load_before, torch, load_after=load_average()), "results": results}


def passes(sizes, backend_name, dtypes, repeats, progress=print):
    """``bench --passes``: each pass's median time, per size and dtype, printed as Markdown tables."""
    load_before = load_average()
    xp = backend.get_namespace(backend_name)
    out = []
    for dtype in dtypes:
        for size in sizes:
            times = time_passes(xp, backend.default_device(xp), getattr(xp, dtype), size, repeats)
            progress(passes_table(times, dtype, size) + "\n")
            out.append({"backend": backend_name, "dtype": dtype, "B": size[0], "n_visible": size[1],
                        "n_hidden": size[2], "passes": times})
    machine = machine_info(load_before, load_after=load_average())
    progress(machine["note"])
    return {"machine": machine, "passes": out}
