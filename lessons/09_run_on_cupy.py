"""Lesson 09 - run the same code on CuPy: the backend switch, float32 vs float64, CPU vs GPU speed.

What you will do: build the same CAE on NumPy and on CuPy with one keyword
(backend="cupy"), check that both start from the same weights and compute the
same loss and gradients, compare float32 with float64, and time a training
step (loss_and_grads) on each: a small CPU vs GPU speed table.
What you will learn: why the library never calls np.* on its arrays (it takes
its namespace from the inputs: the array API standard); why randomness lives
on the host (same seed, same numbers, any device); what float32 costs in
accuracy and buys in speed; that a GPU needs big batches and layers to pay off.
What you need: lessons 01-07; an NVIDIA GPU and CuPy for the GPU part. On a
machine without them the lesson says so, explains how to install CuPy, runs
the NumPy float32/float64 part, and ends cleanly.

Run:  python lessons/09_run_on_cupy.py [--quick] [--backend numpy|cupy] [--out DIR]
GPU:  python -m pip install cupy-cuda12x   (cupy-cuda13x for CUDA 13 drivers), then --backend cupy
"""
# %% Setup: when run as a file, make the repository root importable
if __package__ in (None, ""):
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import os

import numpy as np

import cae_scratch as cs
from cae_scratch import backend as cb, data, plots
from cae_scratch.bench import median_seconds
from lessons._common import lesson_dir, model_kwargs, run_lesson_cli

HOW_TO = """CuPy is not usable here: cs.cupy_usable() is False (no cupy package, no NVIDIA GPU, or no working driver).
To run this lesson on a GPU machine:
    python -m pip install -r requirements.txt cupy-cuda12x     # cupy-cuda13x for CUDA 13 drivers
    python lessons/09_run_on_cupy.py --backend cupy            # or: python -m lessons --backend cupy
The rest of the code does not change: backend="cupy" is the only switch."""


def step_seconds(model, X, repeats):
    """Median wall time of one loss_and_grads; synchronize so queued GPU work is counted."""
    timed = median_seconds({"step": lambda: model.loss_and_grads(X)}, repeats,
                           sync=lambda: cb.synchronize(model.xp), warmup=1)   # warm-up: kernel compilation
    return timed["step"]


def main(backend="numpy", quick=False, seed=0, out_dir=None):
    out = lesson_dir(out_dir, __file__)
    usable = cs.cupy_usable()
    # the "other" backend: the GPU when there is one, else the one asked for (e.g. array_api_strict)
    other = "cupy" if usable else (backend if backend not in ("numpy", "cupy") else None)
    if not usable:
        print(HOW_TO)
        print(f"Running {'the NumPy float32/float64 part' if other is None else 'the same steps on ' + other} now.\n")
    X_digits = data.load_digits()[:256]

    # %% 1. The backend switch: one keyword; the same seed draws the same weights on the host for every backend.
    parity = None
    if other is not None:
        m_np = cs.ContractiveAutoencoder(64, 32, lam=0.1, seed=seed)
        m_other = cs.ContractiveAutoencoder(64, 32, lam=0.1, seed=seed, **model_kwargs(other))
        loss_np, g_np = m_np.loss_and_grads(X_digits)
        loss_other, g_other = m_other.loss_and_grads(m_other.asarray(X_digits))   # data moved once, explicitly
        parity = max([cs.rel_error(m_np.params["W"], m_other.params["W"]), abs(loss_np - loss_other) / loss_np]
                     + [cs.rel_error(g_np[k], g_other[k]) for k in g_np])
        print(f"backend='numpy' vs backend={other!r}: same initial W, loss {loss_np:.12f} vs {loss_other:.12f},"
              f" max relative difference (weights, loss, gradients) {parity:.0e}")
        assert parity < 1e-10

    # %% 2. float32 vs float64 (NumPy): about 7 significant digits instead of 16.
    m64 = cs.ContractiveAutoencoder(64, 32, lam=0.1, seed=seed, dtype="float64")
    m32 = cs.ContractiveAutoencoder(64, 32, lam=0.1, seed=seed, dtype="float32")
    l64, g64 = m64.loss_and_grads(X_digits)
    l32, g32 = m32.loss_and_grads(X_digits)                   # float64 input is cast once to float32
    loss_diff = abs(l32 - l64) / l64
    grad_diff = max(cs.rel_error(g32[k], g64[k]) for k in g64)
    print(f"float32 vs float64: loss {l32:.7f} vs {l64:.7f} (relative {loss_diff:.0e}), gradients {grad_diff:.0e}."
          " Fine for training; gradient checks need float64 (lesson 06).")
    assert cb.dtype_name(g32["W"]) == "float32" and loss_diff < 1e-5 and grad_diff < 1e-4

    # %% 3. Speed: one training step on an MNIST-sized layer (random pixels), median of several.
    B, n_visible, n_hidden = (128, 784, 128) if quick else (256, 784, 512)
    X_big = np.random.default_rng(seed).random((B, n_visible))
    rows = []
    for name in ["numpy"] + ([other] if other else []):
        for dtype in ("float64", "float32"):
            m = cs.ContractiveAutoencoder(n_visible, n_hidden, lam=0.1, seed=seed, dtype=dtype, **model_kwargs(name))
            rows.append((f"{name} {dtype}", step_seconds(m, m.asarray(X_big), 3 if quick else 10)))
    base = rows[0][1]
    print(f"\none loss_and_grads, B = {B}, {n_visible} -> {n_hidden}:")
    print(f"{'backend, dtype':<32} {'ms':>8} {'speed-up vs numpy float64':>27}")
    for label, sec in rows:
        print(f"{label:<32} {1e3 * sec:>8.2f} {base / sec:>27.1f}")
    figure = plots.plot_bars([r[0] for r in rows], [1e3 * r[1] for r in rows], os.path.join(out, "step_times.png"),
                             ylabel="ms per loss_and_grads (median)", yscale="linear",
                             title=f"one training step, B = {B}, {n_visible} -> {n_hidden}")
    times = {label: sec for label, sec in rows}

    if usable:
        best_gpu = min(times["cupy float64"], times["cupy float32"])
        headline = (f"CuPy matches NumPy to {parity:.0e}; step {1e3 * base:.1f} ms (numpy f64) vs "
                    f"{1e3 * best_gpu:.2f} ms (GPU): {base / best_gpu:.0f}x; float32 loss differs by {loss_diff:.0e}")
    else:
        why = "CuPy not usable here (no GPU or no cupy): GPU part skipped"
        headline = (f"{why}; numpy float32 step {base / times['numpy float32']:.1f}x the speed of float64, "
                    f"loss differs by {loss_diff:.0e}" + (f"; {other} matches numpy to {parity:.0e}" if other else ""))
    print("\n" + headline)
    return {"headline": headline, "figures": [figure], "cupy_usable": usable, "other_backend": other,
            "parity": parity, "float32_loss_difference": loss_diff, "float32_grad_difference": grad_diff,
            "step_seconds": times}


if __name__ == "__main__":
    run_lesson_cli(main, __doc__)
