# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 09 - Run on CuPy
#
# Every lesson so far ran on NumPy. A classroom with GPUs should not need a second copy of the code,
# and with this library it does not: `backend="cupy"` is the only change. This lesson explains why
# that works (the Python **array API standard**, and randomness kept on the host), proves that the
# GPU computes the same numbers as the CPU, says what float32 costs, and measures what a GPU
# changes, with a timing method that gives the same answer from one run to the next.
#
# No GPU here? The lesson says so, and runs everything else against a stand-in for a GPU:
# `array_api_strict` on its `Device("device1")`, which, like a CuPy array, refuses any silent
# conversion to NumPy. To run the GPU part, on a machine with an NVIDIA GPU:
#
#     python -m pip install -r requirements.txt cupy-cuda12x     # cupy-cuda13x for CUDA 13 drivers
#     python lessons/09_run_on_cupy.py --backend cupy
#
# **You need** lessons 01-07.

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "09_run_on_cupy", "Lesson 09 - Run on CuPy",
    learn=["why one code base runs on NumPy and CuPy: the namespace comes from the arrays "
           "(array API)",
           "why randomness lives on the host: the same seed gives the same weights on every device",
           "what float32 costs in accuracy",
           "a time model of a training step, and how to time it so the numbers repeat"],
    need="lessons 01-07; an NVIDIA GPU with CuPy for the GPU part")

import contextlib

import numpy as np

import cae_scratch as cs
from cae_scratch import backend, data, plots, timing
from cae_scratch.model import model_kwargs

usable = cs.cupy_usable()
if usable:
    other = "cupy"
elif lesson.backend not in ("numpy", "cupy"):
    other = lesson.backend                       # the backend asked for, e.g. array_api_strict
else:
    other = "array_api_strict:device1"   # the stand-in: off-host, refuses implicit NumPy conversion
print(f"CuPy usable: {usable}." + ("" if usable else
      " (No cupy package, no NVIDIA GPU, or no working driver: the GPU part is skipped.)"))
print(f"The other backend in this lesson: {other}")
X_digits = data.load_digits()[:256]

# %% [markdown]
# ## One code base, many array libraries
#
# NumPy, CuPy, PyTorch and others implement a common standard of array functions (the Python array
# API). Library code that asks its *inputs* which namespace they belong to, and then only calls
# functions of that namespace, runs unchanged on all of them:
#
#     xp = backend.namespace(X, W)          # numpy, cupy, array_api_strict, ...
#     A = X @ W.T + b_h
#     q = xp.sum(W * W, axis=1)             # a function of xp, not np.sum, not W.sum()
#
# The one thing such code must never do is call `np.` on its arrays: on a GPU array that either
# raises or, worse, silently copies the array to the host and back. Values leave the device only
# where we ask: `float(...)` for a scalar, `backend.to_numpy` for an array. The stand-in enforces
# exactly this rule, so a machine without a GPU still catches every violation.

# %%
m_other = cs.ContractiveAutoencoder(64, 32, lam=0.1, seed=lesson.seed, **model_kwargs(other))
Xo = m_other.asarray(X_digits)                        # the data moved once, explicitly
print(f"X lives in {backend.backend_name(backend.namespace(Xo))}, "
      f"on device {backend.device_of(Xo)}")
off_host = usable or other == "array_api_strict:device1"
try:
    np.asarray(Xo)
    refused = None
except (TypeError, RuntimeError, ValueError) as e:   # CuPy: TypeError; the stand-in: RuntimeError
    refused = f"{type(e).__name__}: {e}"
print("np.asarray(X) on this backend: "
      + (f"refused ({refused})" if refused else "allowed (a host array)"))
assert (refused is not None) == off_host
host_copy = backend.to_numpy(Xo)
print(f"backend.to_numpy(X) is the explicit way: {type(host_copy).__name__} {host_copy.shape}")

# %% [markdown]
# ## The same numbers on every backend
#
# Initial weights are drawn by one seeded NumPy generator on the host, in float64, then cast and
# moved: the same seed gives bit-identical initial weights on any device. (A GPU random generator
# would give different numbers from NumPy's for the same seed, and a lesson's results would change
# with the hardware.) From there both backends run the same arithmetic, so loss and gradients agree
# to rounding; the matrix products may add in a different order, so not bit for bit. We compare the
# weights, the loss, every gradient (to $10^{-10}$), and the weights after two epochs of training on
# 256 digits (to $10^{-8}$: each of the $2\cdot 256/64 = 8$ Adam steps starts from the last one's
# slightly different weights; the count is computed below).

# %%
m_np = cs.ContractiveAutoencoder(64, 32, lam=0.1, seed=lesson.seed)
loss_np, g_np = m_np.loss_and_grads(X_digits)
loss_o, g_o = m_other.loss_and_grads(Xo)
parity = {"initial W": cs.rel_error(m_np.params["W"], m_other.params["W"]),
          "loss": abs(loss_np - loss_o) / loss_np,
          "gradients": max(cs.rel_error(g_np[k], g_o[k]) for k in g_np)}
for m, X in ((m_np, X_digits), (m_other, Xo)):
    m.fit(X, epochs=2, batch_size=64, lr=1e-2, seed=lesson.seed, progress=False)
parity["W after 2 epochs"] = cs.rel_error(m_np.params["W"], m_other.params["W"])
n_steps = 2 * -(-len(X_digits) // 64)                # two epochs of ceil(N / 64) batches
print(f"two epochs on {len(X_digits)} digits, batches of 64: {n_steps} Adam steps")
assert n_steps == 8
for k, v in parity.items():
    print(f"  numpy vs {other}: {k:<17} relative difference {v:.1e}")
assert parity["initial W"] == 0.0 and max(parity["loss"], parity["gradients"]) < 1e-10
assert parity["W after 2 epochs"] < 1e-8         # the steps may grow rounding differences a little

# %% [markdown]
# ## float32: what it costs
#
# float32 keeps 24 significant bits, a relative rounding of
# $u_{32} = 2^{-24} \approx 6\times10^{-8}$ per operation (the unit roundoff, half the machine
# epsilon), against $u_{64} = 2^{-53} \approx 1.1\times10^{-16}$ in float64 (both printed below from
# `np.finfo`). Our loss sums $N = 64\cdot 256$ nonnegative pixel terms. Added one after another, the
# worst-case relative error of such a sum grows like $N u$; NumPy adds by pairwise summation, whose
# bound grows like $\log_2 N\cdot u$ (Higham, chapter 4): $14\,u_{32} \approx 8\times10^{-7}$ here,
# plus a few $u$ for each term's own rounding. Errors of opposite signs cancel, so the measured
# difference is usually well below the bound; we assert the bound (with ten $u$ for the terms) and
# that the difference is not zero. The gradients, which subtract nearby numbers ($r - x$), differ by
# more. Fine for training; useless for a $10^{-7}$ gradient check (lesson 06).

# %%
u32, u64 = np.finfo(np.float32).eps / 2, np.finfo(np.float64).eps / 2
print(f"unit roundoff: float32 {u32:.2e}, float64 {u64:.2e}")
assert u32 == 2.0 ** -24 and u64 == 2.0 ** -53
m64 = cs.ContractiveAutoencoder(64, 32, lam=0.1, seed=lesson.seed, dtype="float64",
                                **model_kwargs(other))
m32 = cs.ContractiveAutoencoder(64, 32, lam=0.1, seed=lesson.seed, dtype="float32",
                                **model_kwargs(other))
l64, g64 = m64.loss_and_grads(m64.asarray(X_digits))
l32, g32 = m32.loss_and_grads(m32.asarray(X_digits))
loss_diff = abs(l32 - l64) / l64
grad_diff = max(cs.rel_error(g32[k], g64[k]) for k in g64)
print(f"float32 vs float64 on {other}: loss {l32:.7f} vs {l64:.7f} (relative {loss_diff:.1e}), "
      f"gradients {grad_diff:.1e}; float32 gradients stay float32: {backend.dtype_name(g32['W'])}")
pairwise_bound = (np.log2(64 * 256) + 10) * u32
print(f"pairwise-summation bound (log2 N + 10) u_32 = {pairwise_bound:.1e}")
assert backend.dtype_name(g32["W"]) == "float32" and 1e-9 < loss_diff < pairwise_bound
assert grad_diff < 1e-4

# %% [markdown]
# ## What a GPU changes: a time model
#
# One training step of a tied CAE is five matrix products of size $B\times n_v\times n_h$ (lesson
# 05: $XW^\top$, $HW$, $H^\top dZ$, $dZ\,W^\top$, $dA^\top X$), $2Bn_vn_h$ floating-point operations
# each, plus about thirty element-wise passes. A simple model of its time is
# $$t_{\text{step}} \approx \frac{10\,B\,n_v\,n_h}{F} + n_{\text{kernels}}\, t_{\text{launch}},$$
# with $F$ the sustained FLOP rate. On a CPU core $F$ is of order 10 GFLOP/s (the table below
# measures it here) and launches are free; on a GPU $F$ is tens of TFLOP/s but each kernel launch
# costs microseconds and the host must queue them. At $B = 256$, $784 \to 1000$ the products are 2
# GFLOP: a tenth of a second or more on one CPU core (measured below), and about 0.03 ms of
# arithmetic at the 67 TFLOP/s an H100 (SXM) peaks at in float32 (NVIDIA's datasheet; computed
# below), so there some thirty launches of ~10-50 us each dominate. So the GPU's advantage **grows
# with the size of the step**, and for small layers it can vanish.

# %%
gflop_784 = 10 * 256 * 784 * 1000 / 1e9
print(f"B = 256, 784 -> 1000: {gflop_784:.2f} GFLOP per step; at 67 TFLOP/s "
      f"{1e3 * gflop_784 / 67e3:.3f} ms of arithmetic; 30 launches of 10-50 us: 0.3-1.5 ms")
assert 1.9 < gflop_784 < 2.1
#
# ## Timing that repeats
#
# A step's time on a shared machine varies: other processes, frequency scaling, idle BLAS
# threads spinning. Load only ever *adds* time, so we time blocks of calls and keep the
# **minimum** over blocks of the per-call time: the best the hardware did, the number most
# robust to load. CPU code runs its BLAS on **one thread** (threadpoolctl), so the comparison is a
# GPU against one CPU core, stated as such; on a GPU each block ends with a synchronisation (kernels
# run asynchronously, and an unsynchronised clock measures only the queuing). What we time is one
# `loss_and_grads` call: the forward pass and both backward paths, without the optimizer's update.

# %%
try:
    from threadpoolctl import threadpool_limits
    one_thread, threads_note = (lambda: threadpool_limits(limits=1)), "CPU BLAS on 1 thread"
except ImportError:                  # threadpoolctl comes with scikit-learn; without it, say so
    one_thread, threads_note = contextlib.nullcontext, "CPU BLAS on its default threads"


def step_seconds(name, dtype, B, n_v, n_h):
    """The minimum over blocks of one loss_and_grads call's time, on backend ``name``."""
    m = cs.ContractiveAutoencoder(n_v, n_h, lam=0.1, seed=lesson.seed, dtype=dtype,
                                  **model_kwargs(name))
    Xb = m.asarray(np.random.default_rng(lesson.seed).random((B, n_v)))
    with one_thread():                   # CPU BLAS on one thread (no effect on a GPU's kernels)
        return timing.min_seconds({"step": lambda: m.loss_and_grads(Xb)}, blocks,
                                  sync=lambda: backend.synchronize(m.xp))["step"]


sizes = [(64, 784, 128), (256, 784, 512)] + ([] if lesson.quick else [(256, 784, 1000)])
blocks = 6 if lesson.quick else 7
rows = {f"{name.split(':')[0]} {dtype}": [step_seconds(name, dtype, *size) for size in sizes]
        for name in ("numpy", other) for dtype in ("float64", "float32")}
gflop = [10 * B * n_v * n_h / 1e9 for B, n_v, n_h in sizes]
print(f"one loss_and_grads (forward + both backward paths, no update), min of {blocks} blocks of "
      f"calls (timing.min_seconds); {threads_note}")
width = max(len(k) for k in rows) + 1
print(f"{'B x n_v x n_h':>14} {'GFLOP':>6} " + " ".join(f"{k:>{width}}" for k in rows))
for i, (B, n_v, n_h) in enumerate(sizes):
    cells = " ".join(f"{f'{1e3 * rows[k][i]:.2f} ms':>{width}}" for k in rows)
    print(f"{f'{B}x{n_v}x{n_h}':>14} {gflop[i]:6.2f} {cells}")
if not usable:
    print(f"({other} is NumPy underneath plus checks: its times say nothing about a GPU.)")
assert all(len(ts) == len(sizes) for ts in rows.values())           # every configuration ran

# %% [markdown]
# The numbers above are *this run's* measurements, not constants. What they show, worded so that it
# holds wherever the lesson runs: the step costs more as the products grow (the time model's first
# term), and the ratio of one backend to another depends on the size, so a single "speed-up" without
# its size means little. The figure plots milliseconds per step and the achieved GFLOP/s against the
# step's size. The time model predicts what to look for: on a GPU the GFLOP/s should climb by orders
# of magnitude with size (launch-bound at first); on one CPU core they change by a small factor
# only: up, as the fixed costs of a call (Python, the element-wise passes) are spread over more
# arithmetic, or down, when the larger arrays no longer fit in the caches or another process
# shares the core. The line printed below says which way they went in this run.

# %%
def plot_step_times(path):
    """Milliseconds per step and achieved GFLOP/s against the step's GFLOP, one line per backend."""
    axes = {"xscale": "log", "yscale": "log", "xlabel": "GFLOP per step (5 products)"}
    return plots.plot_panels([
        {"series": {k: (gflop, [1e3 * t for t in ts], "o-") for k, ts in rows.items()}, **axes,
         "ylabel": "ms per loss_and_grads", "title": f"time per step (min of {blocks} blocks)"},
        {"series": {k: (gflop, [g / t for g, t in zip(gflop, ts)], "o-") for k, ts in rows.items()},
         **axes, "ylabel": "achieved GFLOP/s", "title": "throughput: what each backend sustains"}],
        path, suptitle=f"one loss_and_grads (forward + backward, no update); {threads_note}",
        width=5.6, height=4.2)


largest = -1
growth = gflop[largest] / gflop[0]
assert all(ts[largest] > ts[0] for ts in rows.values()), f"{growth:.0f}x the arithmetic is slower"
speedup = {k: rows["numpy float64"][largest] / ts[largest] for k, ts in rows.items()}
print(f"at {sizes[largest]} ({growth:.0f}x the arithmetic of the smallest size): time of numpy "
      f"float64 / time of ... " + ", ".join(f"{k} {v:.2f}x" for k, v in speedup.items()))
times_png = plot_step_times(lesson.figure("step_times.png"))
throughput_change = {k: (gflop[largest] / ts[largest]) / (gflop[0] / ts[0])
                     for k, ts in rows.items()}
print("achieved GFLOP/s, largest size / smallest size: "
      + ", ".join(f"{k} {v:.2f}x" for k, v in throughput_change.items()))

# %% [markdown]
# ## Questions
#
# **Question 1.** A student adds `np.clip(R, 1e-7, 1 - 1e-7)` to the loss to "avoid log(0)". What
# happens on NumPy, on CuPy, and on the stand-in? (And why is the clip unnecessary here?)
#
# **Question 2.** Using the time model with a launch cost of 20 us, 30 kernels and $F = 20$ TFLOP/s,
# from what $B$ (at $784 \to 1000$) is the GPU step dominated by arithmetic rather than launches?
#
# **Question 3.** Why keep the **minimum** over blocks rather than the mean, and when would the
# minimum mislead you?

# %%
gpu_part = "GPU part ran" if usable else "CuPy is not usable here, GPU part skipped"
headline = (f"{gpu_part}; numpy vs {other}: max relative difference {max(parity.values()):.0e} "
            f"(after 2 epochs {parity['W after 2 epochs']:.0e}); float32 loss differs by "
            f"{loss_diff:.0e}; at {sizes[largest][0]}x{sizes[largest][1]}x{sizes[largest][2]} "
            + ", ".join(f"{k} {1e3 * ts[largest]:.1f} ms" for k, ts in rows.items()))
lesson.finish(headline, {"cupy_usable": usable, "other_backend": other, "parity": parity,
                         "refused": refused, "float32_loss_difference": loss_diff,
                         "float32_grad_difference": grad_diff, "unit_roundoff": (u32, u64),
                         "adam_steps": n_steps, "sizes": sizes, "step_seconds": rows,
                         "threads": threads_note})

# %% [markdown]
# ## Answers
#
# **1.** On NumPy it works. On CuPy it depends on the function: CuPy implements NumPy's dispatch
# protocol for many functions (so `np.clip` may quietly return a CuPy array) but refuses implicit
# conversion with a TypeError for the rest (`np.asarray`, functions it does not dispatch). Code
# whose correctness depends on which NumPy function it happened to call is fragile. The stand-in
# raises at once (it has no dispatch), which is the point of testing on it. The clip is unnecessary
# because the loss is computed from the logits $z$ with $\operatorname{softplus}(z) - xz$ (lesson
# 02): it never takes $\log r$.
#
# **2.** Launches: $30 \times 20\,\mu s = 0.6$ ms. Arithmetic:
# $10B\cdot784\cdot1000 / (2\times10^{13})$ s $= 0.39B\,\mu s$. They are equal at $B \approx 1500$:
# below that, a bigger batch is almost free on the GPU, which is why GPU training uses large batches
# (and why fusing element-wise kernels pays off).
#
# **3.** Interference from other processes only adds time, so the minimum is the closest to the
# code's own cost, and it repeats between runs where a mean drifts with the load. It misleads when
# the real workload cannot reach the best case: a cold cache, memory that is paged in on first use,
# a GPU that throttles when it heats up. For those, report the median of many blocks beside the
# minimum.

# %% [markdown]
# ## Sources
#
# - The Python array API standard (Consortium for Python Data API Standards, data-apis.org, 2022 and
#   2023 revisions) and `array-api-compat`: the namespace-from-the-arrays rule; and
#   `array-api-strict`, the stand-in used when no GPU is present.
# - R. Okuta, Y. Unno, D. Nishino, S. Hido and C. Loomis, "CuPy: A NumPy-Compatible Library for
#   NVIDIA GPU Calculations", Workshop on ML Systems (LearningSys) at NIPS 2017.
# - N. J. Higham, *Accuracy and Stability of Numerical Algorithms* (2nd ed., SIAM 2002), chapters 2
#   to 4: the unit roundoff and the $\sqrt N u$ (random) and $N u$ (worst-case) growth of summation
#   errors.
# - NVIDIA, "H100 Tensor Core GPU" datasheet (2022): 67 TFLOP/s peak float32 for the SXM part, the
#   figure behind the time model's GPU estimate.
# - Every timing on this page is this run's measurement (`timing.min_seconds`), not a constant.
