"""The benchmark's table and the facts about the machine that make its numbers comparable."""
from __future__ import annotations

import os
import platform

import numpy as np

from ... import backend
from .hessian import hessian_line
from .torch_peer import torch_version

COLUMNS = (  # header, width, how to show a row
    ("backend", 8, lambda r: r["backend"]),
    ("dtype", 8, lambda r: r["dtype"]),
    ("B x V -> H", 15, lambda r: f"{r['B']}x{r['n_visible']}->{r['n_hidden']}"),
    ("floor ms", 9, lambda r: f"{r['floor'] * 1e3:.2f}"),
    ("GFLOP/s", 8, lambda r: f"{r['gflops_floor']:.0f}"),
    ("step ms", 9, lambda r: f"{r['step'] * 1e3:.2f}"),
    ("/floor", 7, lambda r: f"{r['step/floor']:.3f}"),
    ("lam0 ms", 9, lambda r: f"{r['step_lam0'] * 1e3:.2f}"),
    ("/lam0", 7, lambda r: f"{r['lam/lam0']:.3f}"),
    ("ref/floor", 9, lambda r: f"{r['reference/floor']:.2f}"),
    ("tanh", 6, lambda r: f"{r['tanh/floor']:.2f}" if "tanh/floor" in r else "-"),
    ("softplus", 8, lambda r: f"{r['softplus/floor']:.2f}" if "softplus/floor" in r else "-"),
    ("untied", 6, lambda r: f"{r['untied/floor']:.2f}" if "untied/floor" in r else "-"),
    ("CAE+H/floor", 11, lambda r: f"{r['hessian_step/floor']:.3f}" if "hessian_step" in r else "-"),
    ("epoch/steps", 11, lambda r: f"{r['fit']['epoch/steps']:.3f}" if "fit" in r else "-"),
    ("(sgd)", 6, lambda r: f"{r['fit_sgd']['epoch/steps']:.3f}" if "fit_sgd" in r else "-"),
)


def format_table(rows, header=True):
    """Rows of the benchmark as a fixed-width table."""
    lines = ["  ".join(h.rjust(w) for h, w, _ in COLUMNS)] if header else []
    return "\n".join(lines + ["  ".join(show(r).rjust(w) for _, w, show in COLUMNS) for r in rows])


SPREAD_COLUMNS = (  # header, how to read the ratio from a row (None where the row lacks it)
    ("step / floor", lambda r: r["step/floor"]),
    ("lam=0.1 / lam=0", lambda r: r["lam/lam0"]),
    ("tanh / floor", lambda r: r.get("tanh/floor")),
    ("softplus / floor", lambda r: r.get("softplus/floor")),
    ("untied / floor", lambda r: r.get("untied/floor")),
    ("CAE+H / floor", lambda r: r.get("hessian_step/floor")),
    ("adam epoch / steps", lambda r: r["fit"]["epoch/steps"] if "fit" in r else None),
    ("sgd epoch / steps", lambda r: r["fit_sgd"]["epoch/steps"] if "fit_sgd" in r else None),
    ("ours / PyTorch", lambda r: r.get("step/torch")),
)


def row_key(r):
    """(backend, dtype, (B, n_visible, n_hidden)): which case a row of results measured."""
    return r["backend"], r["dtype"], (r["B"], r["n_visible"], r["n_hidden"])


def spread(values):
    """'median (min-max)' of the ratios measured, '-' if none was."""
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"{float(np.median(values)):.2f} ({min(values):.2f}-{max(values):.2f})"


def spread_table(runs):
    """A Markdown table of several runs' results (lists of rows): per case, the median floor in ms and
    every ratio as 'median (min-max)' over the runs -- how far one run's numbers can be trusted."""
    cases = {row_key(r): [] for r in runs[0]}
    for rows in runs:
        for r in rows:
            cases.setdefault(row_key(r), []).append(r)
    header = ["backend", "dtype", "B x V -> H", "floor ms"] + [h for h, _ in SPREAD_COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (name, dtype, (B, n_visible, n_hidden)), rows in cases.items():
        cells = [name, dtype, f"{B} x {n_visible} -> {n_hidden}",
                 f"{float(np.median([r['floor'] for r in rows])) * 1e3:.2f}"]
        cells += [spread([read(r) for r in rows]) for _, read in SPREAD_COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratio_lines(rows):
    """float64 / float32, NumPy / CuPy and fused / PyTorch step times, where both were measured."""
    by = {row_key(r): r for r in rows}
    lines = []
    for (name, dtype, size), r in by.items():
        f32 = by.get((name, "float32", size))
        if dtype == "float64" and f32:
            lines.append(f"{name} {size}: float64 step / float32 step = {r['step'] / f32['step']:.2f}")
        host = by.get(("numpy", dtype, size))
        if name == "cupy" and host:
            lines.append(f"{dtype} {size}: NumPy step / CuPy step = {host['step'] / r['step']:.1f}x")
        if "hessian_step" in r:
            lines.append(hessian_line(r))
        if r.get("torch"):
            lines.append(f"{name} {dtype} {size}: PyTorch autograd step {r['torch'] * 1e3:.2f} ms "
                         f"({'cuda' if name == 'cupy' else 'cpu'}), fused step beside it "
                         f"{r['step_beside_torch'] * 1e3:.2f} ms: fused / PyTorch = {r['step/torch']:.2f}")
    return lines


def blas_info():
    """NumPy's BLAS (library, version, kernel, threads) via threadpoolctl, if that is installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for p in threadpool_info() if p.get("user_api") == "blas"]


BUSY = 0.5    # 1-minute load average per CPU above which the ratios are not to be trusted


def load_average():
    """The 1-minute load average (None where the OS does not tell)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def machine_info(load, torch=False, load_after=None):
    """What the numbers depend on, with a one-line ``note`` for the console.

    ``load`` / ``load_after``: the 1-minute load average before the benchmark started and after it ended
    (the benchmark's own BLAS threads raise the latter). ``busy`` is set, and the note warns with a remedy,
    when other work was running: load before it above BUSY per CPU.
    """
    blas = blas_info()
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                      "OMP_NUM_THREADS") if k in os.environ}
    cpus = os.cpu_count() or 1
    busy = load is not None and load > BUSY * cpus
    info = {"python": platform.python_version(), "numpy": np.__version__, "cpu_count": os.cpu_count(),
            "processor": platform.processor() or platform.machine(), "blas": blas, "env": env,
            "load_average_before": load, "load_average_after": load_after, "busy": busy,
            "cupy": backend.cupy_usable(), "gpu": backend.cupy_device_name(),
            "torch": torch_version() if torch else None}
    kernels = ", ".join(f"{b['internal_api']} {b['version']} {b['architecture']} kernel, "
                        f"{b['num_threads']} threads" for b in blas) or "BLAS unknown (no threadpoolctl)"
    loads = "load average before " + ("unknown" if load is None else f"{load:.2f}") + \
        ("" if load_after is None else f", after {load_after:.2f}")
    single = "" if env.get("OPENBLAS_NUM_THREADS") == "1" else \
        ", or with OPENBLAS_NUM_THREADS=1 for a fairer single-thread comparison"
    warning = (f" -- WARNING: the machine was busy ({load:.1f} runnable on {cpus} CPUs): the ratios move with "
               f"other work; rerun on an idle machine{single}") if busy else ""
    gpu = f"; GPU {info['gpu']}" if info["gpu"] else ""
    info["note"] = (f"numpy {np.__version__}, {kernels}; {cpus} CPUs{gpu}; {loads}"
                    + (f"; env {env}" if env else "") + warning)
    return info
