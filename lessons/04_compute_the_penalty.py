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
# # Lesson 04 - Compute the penalty
#
# Lesson 03 built the encoder's Jacobian $J(x) = \operatorname{diag}(s'(a))\,W$ and
# read it. A contractive autoencoder adds its squared Frobenius norm, averaged over
# the batch, to the reconstruction loss:
#
# $$L = \frac1B\sum_n \ell(x_n, r_n) \;+\; \lambda\,\frac1B \sum_n \|J(x_n)\|_F^2 .$$
#
# The obvious way to compute the second term is to build $J$ for every example, square
# and sum: a tensor of $B \times n_h \times n_v$ numbers. For MNIST-sized layers
# ($784 \to 1000$, $B = 256$) that is 201 million float64 numbers, 1.6 GB, on every
# training step. This lesson derives a closed form that never builds $J$, checks it
# against the explicit Jacobian and the library, measures what each costs, and shows
# that for a linear encoder the whole penalty collapses to ordinary weight decay.
#
# **You will learn** $\|J(x)\|_F^2 = \sum_k s'(a_k)^2 q_k$ with $q_k = \sum_j W_{kj}^2$;
# why it costs $O(B\,n_h)$ on top of the forward pass instead of $O(B\,n_h\,n_v)$; how
# to time code honestly on a busy machine; in what sense the CAE penalty is input-dependent
# weight decay, and what else it does: push units into saturation. **You need** lesson 03.

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "04_compute_the_penalty", "Lesson 04 - Compute the penalty",
    learn=["||J(x)||_F^2 = sum_k s'(a_k)^2 q_k, derived and checked against the explicit Jacobian",
           "why it costs O(B n_hidden) beyond the forward pass, O(B n_hidden n_visible) explicit",
           "how to time code robustly (the minimum of repeated blocks) and measure memory",
           "why a linear encoder's penalty is exactly weight decay ||W||_F^2",
           "how the penalty's path through a pushes sigmoid units away from h = 1/2"],
    need="lesson 03")

import tracemalloc

import numpy as np

import cae_scratch as cs
from cae_scratch import backend, data, plots, timing
from cae_scratch.core import layers, penalty

model = cs.ContractiveAutoencoder(64, 32, lam=0.1, seed=lesson.seed, **lesson.model_kwargs())
xp = model.xp
X = model.asarray(data.load_digits()[:100])                 # (100, 64)
W, b_h = model.params["W"], model.params["b_h"]
B = X.shape[0]
A = X @ W.T + b_h                                           # (B, n_hidden): the forward pass has it
H = cs.get_activation("sigmoid").f(A)
D1 = H * (1.0 - H)                                          # s'(A): (B, n_hidden)
print(f"a 64 -> 32 sigmoid CAE on B = {B} digits; D1 = s'(A) is {tuple(D1.shape)}")

# %% [markdown]
# ## The closed form
#
# Start from the definition and lesson 03's entries $J_{kj} = s'(a_k) W_{kj}$:
#
# $$\|J(x)\|_F^2 = \sum_{k=1}^{n_h}\sum_{j=1}^{n_v} J_{kj}^2
#   = \sum_k \sum_j s'(a_k)^2\, W_{kj}^2
#   = \sum_k s'(a_k)^2 \underbrace{\sum_j W_{kj}^2}_{q_k} .$$
#
# The step that matters is the last one: $s'(a_k)$ does not depend on $j$, so it leaves
# the inner sum, and what remains, $q_k = \|W_{k,:}\|^2$, does not depend on $x$ at all.
# For a batch, with $D_1 = s'(A)$ of shape $(B, n_h)$ and $q$ of shape $(n_h,)$,
#
# $$P = \frac1B \sum_{n=1}^{B} \sum_k (D_1)_{nk}^2\, q_k
#     = \frac1B\, \mathbf{1}^\top (D_1 \odot D_1)\, q ,$$
#
# one element-wise square and one matrix-vector product. We compute it three ways:
# by hand, from the explicit $(B, n_h, n_v)$ Jacobian, and with the library.

# %%
q = xp.sum(W * W, axis=1)                                   # (n_hidden,): q_k = ||row k of W||^2
P_closed = float(xp.sum((D1 * D1) @ q) / B)
J = xp.expand_dims(D1, axis=2) * xp.expand_dims(W, axis=0)  # (B, n_hidden, 64): diag(s'(a_n)) W
P_explicit = float(xp.sum(J * J) / B)
P_library = model.contractive_penalty(X)
terms = model.loss_terms(X)
print(f"closed form       {P_closed:.12f}")
print(f"explicit J        {P_explicit:.12f}   (J has {B * 32 * 64:,} entries; "
      f"the closed form used {B * 32 + 32:,})")
print(f"library           {P_library:.12f}   (model.contractive_penalty)")
closed_vs_explicit = abs(P_closed - P_explicit) / P_explicit
assert cs.rel_error(q, penalty.row_norms_sq(W)) < 1e-15
sigm = cs.get_activation("sigmoid")
assert cs.rel_error(D1, layers.encoder_forward(W, b_h, X, sigm)[1][3]) < 1e-15
assert closed_vs_explicit < 1e-12 and abs(P_library - P_closed) < 1e-12 * P_closed
assert cs.rel_error(J, model.jacobian(X)) < 1e-14
assert abs(terms["contractive"] - P_closed) < 1e-12 * P_closed
total = terms["reconstruction"] + 0.1 * terms["contractive"]
assert abs(terms["total"] - total) < 1e-12 * terms["total"]
print(f"CAE loss: {terms['reconstruction']:.4f} (bce) + 0.1 x {terms['contractive']:.4f} (penalty) "
      f"= {terms['total']:.4f}")
mnist_entries = 256 * 1000 * 784                            # the MNIST-sized example above
assert round(mnist_entries / 1e6) == 201 and round(mnist_entries * 8 / 1e9, 1) == 1.6

# %% [markdown]
# ## What each costs
#
# Count the work *beyond* the forward pass, which training does anyway and which
# already holds $A$ (its product $XW^\top$ costs $B\,n_h\,n_v$ multiply-adds).
#
# | step | closed form | explicit |
# |---|---|---|
# | $D_1 = s'(A)$ | $B\,n_h$ | $B\,n_h$ |
# | $q_k = \sum_j W_{kj}^2$ | $n_h n_v$, once per batch | - |
# | build $J_{nkj} = (D_1)_{nk} W_{kj}$ | - | $B\,n_h\,n_v$ |
# | square and sum | $B\,n_h$ | $B\,n_h\,n_v$ |
# | extra memory | $B\,n_h + n_h$ numbers | $B\,n_h\,n_v$ numbers |
#
# $q$ does not depend on the example, so its $n_h n_v$ is shared by the whole batch:
# per example the closed form costs $O(n_h)$, the explicit one $O(n_h n_v)$, a factor
# $n_v$ more. In arithmetic the explicit Jacobian costs as much as a whole extra forward
# product (and, unlike that product, it is bound by memory traffic); in memory it is
# $n_v$ times the closed form's.
#
# **Timing honestly.** This machine is shared, and another process can steal the CPU
# in the middle of any measurement, so a single timing, or even a median, can be off by
# a large factor. Interference can only *add* time, never remove it, so the most reliable
# estimate of a function's own cost is the **minimum** over repeats (the advice of
# Python's `timeit` documentation). We time each function in *blocks* of several calls
# (so that one block is long against the clock's resolution), repeat the blocks, let
# blocks of the two functions alternate (so a burst of load hits both), and report the
# minimum per call. Memory is measured with `tracemalloc`, which sees every NumPy
# allocation, as the peak during one call; the formula above is printed beside it,
# labelled as computed.

# %%
def explicit_penalty(D1_, W_):
    """mean_n ||J_n||_F^2 from the explicit (B, n_hidden, n_visible) Jacobian; J * J is a second
    tensor."""
    J_ = xp.expand_dims(D1_, axis=2) * xp.expand_dims(W_, axis=0)
    return xp.sum(J_ * J_) / D1_.shape[0]


def explicit_in_place(D1_, W_):
    """The same, squaring J in place: one (B, n_hidden, n_visible) tensor instead of two."""
    J_ = xp.expand_dims(D1_, axis=2) * xp.expand_dims(W_, axis=0)
    J_ *= J_
    return xp.sum(J_) / D1_.shape[0]


def closed_penalty(D1_, W_):
    """mean_n sum_k s'(a_nk)^2 q_k, with q from penalty.row_norms_sq (as contractive_forward)."""
    return xp.sum((D1_ * D1_) @ penalty.row_norms_sq(W_)) / D1_.shape[0]


def page_faults_per_call(fn, calls=10):
    """Minor page faults (fresh memory pages from the OS) per call; None without `resource`."""
    try:
        import resource
    except ImportError:                                     # Windows
        return None
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


# %% [markdown]
# The measurement: each size $n$, the three versions timed in alternating blocks, and the
# peak memory of one call of each.

# %%
VARIANTS = {"closed": closed_penalty, "explicit": explicit_penalty, "in place": explicit_in_place}
measure_memory = lesson.backend != "cupy"                   # tracemalloc sees host memory only
sizes = [16, 32, 64, 128, 256] if lesson.quick else [16, 32, 64, 128, 256, 512]
Bt, repeats = 64, (5 if lesson.quick else 9)
gen = np.random.default_rng(lesson.seed)
rows = []
print(f"B = {Bt}, n_visible = n_hidden = n; time: min over {repeats} blocks; "
      "memory: peak of one call")
print(f"{'':>5} {'time per call (ms)':^31} {'memory, computed (MB)':^22} "
      f"{'memory, measured (MB)':^22}")
print(f"{'n':>5} {'closed':>9} {'explicit':>10} {'in place':>10} {'closed':>10} {'explicit':>11} "
      f"{'closed':>10} {'explicit':>11}")
for n in sizes:
    big = cs.ContractiveAutoencoder(n, n, seed=lesson.seed, **lesson.model_kwargs())
    Wn = big.params["W"]
    D1n = big.asarray(gen.uniform(0.0, 0.25, (Bt, n)))      # s'(A) of a sigmoid lies in (0, 1/4]
    calls = {name: (lambda f=f: f(D1n, Wn)) for name, f in VARIANTS.items()}
    t = timing.min_seconds(calls, repeats, sync=lambda: backend.synchronize(xp))
    computed = {"closed": (Bt * n + n) * 8 / 1e6, "explicit": Bt * n * n * 8 / 1e6}
    measured = {}
    if measure_memory:
        for name in ("closed", "explicit"):
            tracemalloc.start()
            VARIANTS[name](D1n, Wn)
            measured[name] = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
    rows.append({"n": n, "time": t, "computed": computed, "measured": measured})
    mc, me = measured.get("closed", float("nan")), measured.get("explicit", float("nan"))
    print(f"{n:>5} {1e3 * t['closed']:>9.4f} {1e3 * t['explicit']:>10.4f} "
          f"{1e3 * t['in place']:>10.4f} {computed['closed']:>10.4f} {computed['explicit']:>11.3f} "
          f"{mc:>10.4f} {me:>11.3f}")

# %% [markdown]
# The claims the table must bear out: the three versions agree; the explicit one really
# allocates $J$ and its square; the closed form allocates only $D_1 \odot D_1$, $W \odot W$ and
# $q$. The page faults are counted and printed (why they are not asserted is below).

# %%
last = rows[-1]
values = {name: float(f(D1n, Wn)) for name, f in VARIANTS.items()}
assert max(values.values()) - min(values.values()) < 1e-11 * values["closed"]
if measure_memory:                       # J (and its square) must really exist; D1^2 is small
    assert all(r["measured"]["explicit"] >= 1.9 * r["computed"]["explicit"] for r in rows)  # J, J*J
    # the closed form holds D1^2, W * W and q, plus up to 50 kB of the array library's own objects
    assert all(r["measured"]["closed"] <= 1.1 * (Bt * r["n"] + r["n"] * r["n"] + r["n"]) * 8 / 1e6
               + 0.05 for r in rows)
    assert last["measured"]["explicit"] > 10 * last["measured"]["closed"]
faults = {name: page_faults_per_call(lambda f=f: f(D1n, Wn)) for name, f in VARIANTS.items()}
if faults["closed"] is not None:
    print(f"page faults per call at n = {last['n']}: "
          + ", ".join(f"{k} {v:.0f}" for k, v in faults.items()))

# %% [markdown]
# Reading the numbers: the computed memory ratio is $n_v (B n_h) / (B n_h + n_h)
# \approx n_v$, as derived. The measured peak of the explicit version is about *twice*
# $J$, because `J_ * J_` allocates a second tensor of the same size before the sum. The
# closed form's measured peak leaves its computed line once $n > B$: `row_norms_sq`
# briefly holds $W \odot W$, $n_h n_v$ numbers, more than the $B n_h$ of $D_1 \odot D_1$ when
# $n_v > B$. It is paid once per batch, independent of $B$ (the table's
# "$n_h n_v$, once per batch"), so per example it still vanishes as batches grow.
#
# Time has a lesson of its own. The two explicit versions do the same arithmetic, yet the
# one that allocates a second tensor is usually the slower at large $n$ (compare the two
# columns above); the page-fault line shows one reason. Memory this large is handed back to
# the operating system when it is freed and fetched again, page by page, on the next call
# (each fetch a *page fault*), and a second tensor means a second round of fetches. The
# count itself depends on the page size the kernel hands out: NumPy asks Linux for 2 MB
# pages for large arrays, and the kernel grants them when it has them free, so the same
# tensor can cost 512 times fewer faults in one run than in another (2 MB / 4 kB). That is why the cell
# prints the counts and asserts no order between them. A buffer that is kept costs no
# faults at all, which is why the library's training step keeps its buffers between
# calls. At the smallest sizes every call takes microseconds and the fixed cost of a call
# dominates.

# %%
ns = [r["n"] for r in rows]
column = lambda kind, name: [r[kind][name] for r in rows]     # one column of the table above
memory_series = {
    "closed form, computed: (B n_h + n_h) x 8 B": (ns, column("computed", "closed"), "o-"),
    "explicit J, computed: B n_h n_v x 8 B": (ns, column("computed", "explicit"), "s-")}
if measure_memory:
    memory_series["closed form, measured peak (tracemalloc)"] = (ns, column("measured", "closed"),
                                                                 "x--")
    memory_series["explicit J, measured peak (tracemalloc)"] = (ns, column("measured", "explicit"),
                                                                "+--")
plots.plot_panel_grid([
    {"series": {"closed form sum_k s'(a_k)^2 q_k": (ns, 1e3 * np.array(column("time", "closed")),
                                                    "o-"),
                "explicit J, sum(J * J)": (ns, 1e3 * np.array(column("time", "explicit")), "s-"),
                "explicit J, squared in place": (ns, 1e3 * np.array(column("time", "in place")),
                                                 "^-")},
     "xscale": "log", "yscale": "log", "xticks": ns, "xlabel": "n = n_visible = n_hidden",
     "ylabel": f"ms per call (min of {repeats} blocks)", "title": f"time of the penalty, B = {Bt}"},
    {"series": memory_series, "xscale": "log", "yscale": "log", "xticks": ns,
     "xlabel": "n = n_visible = n_hidden", "ylabel": "extra memory (MB, float64)",
     "title": f"memory of the penalty, B = {Bt}"}],
    lesson.figure("penalty_cost.png"), n_cols=2, panel_size=(5.6, 4.2))

# %% [markdown]
# ## A linear encoder: the penalty is weight decay
#
# With $s(a) = a$ we have $s'(a) = 1$ for every $a$, and the closed form becomes
#
# $$\|J(x)\|_F^2 = \sum_k 1^2 \cdot q_k = \sum_k \sum_j W_{kj}^2 = \|W\|_F^2 ,$$
#
# the same number for every input: the CAE penalty of a linear encoder is exactly
# weight decay, with gradient $\partial P / \partial W = 2W$ and none for $b_h$. For a
# nonlinear encoder the same sum is weighted per unit and per example by $s'(a_{nk})^2$:
# unit $k$'s weights decay in proportion to how responsive it is *on the data*. That
# is the sense in which a CAE is "input-dependent weight decay", and it describes only
# the penalty's path through $q$; the next section adds the path through $a$. For the sigmoid,
# $s' \le 1/4$ gives the bound $\|J(x)\|_F^2 \le \|W\|_F^2 / 16$ for every $x$.
#
# We check all of it: the linear penalty on two disjoint sets of digits, its gradient
# from `penalty.penalty_and_grads`, and the bound, with the sigmoid model's own $W$
# placed in a linear encoder so the two are comparable.

# %%
linear = cs.ContractiveAutoencoder(64, 32, activation="linear", lam=0.1, seed=lesson.seed,
                                   **lesson.model_kwargs())
linear.params = {k: xp.asarray(v, copy=True) for k, v in model.params.items()}   # same W, b_h, b_r
X_all = model.asarray(data.load_digits())
weight_decay = float(xp.sum(W * W))
p_some = linear.contractive_penalty(X_all[:10, :])
p_others = linear.contractive_penalty(X_all[500:900, :])
value, grads = penalty.penalty_and_grads(W, b_h, X_all[:10, :], cs.get_activation("linear"))
grad_error = max(cs.rel_error(grads["W"], 2.0 * W),
                 float(np.max(np.abs(cs.to_numpy(grads["b_h"])))))
print(f"linear encoder: penalty on 10 digits {p_some:.10f}, on 400 others {p_others:.10f}, "
      f"||W||_F^2 {weight_decay:.10f}")
print(f"its gradient vs 2W (and 0 for b_h): {grad_error:.0e}")
assert abs(p_some - weight_decay) < 1e-12 * weight_decay
assert abs(p_others - weight_decay) < 1e-12 * weight_decay
assert grad_error < 1e-14

A_all = X_all @ W.T + b_h
H_all = cs.get_activation("sigmoid").f(A_all)
per_example = cs.to_numpy(((H_all * (1 - H_all)) ** 2) @ q)  # (1797,): ||J(x_n)||_F^2, sigmoid
print(f"sigmoid encoder, same W: ||J(x)||_F^2 ranges "
      f"{per_example.min():.3f} .. {per_example.max():.3f} over the 1797 digits; "
      f"bound ||W||_F^2/16 = {weight_decay / 16:.3f}; linear: {weight_decay:.3f} for all")
assert per_example.max() <= weight_decay / 16
plots.plot_panel_grid([
    {"series": {"sigmoid encoder, per digit (sorted)": (np.arange(1, per_example.size + 1),
                                                         np.sort(per_example), "-")},
     "hlines": {f"bound ||W||_F^2 / 16 = {weight_decay / 16:.2f}": weight_decay / 16},
     "xlabel": "digit (sorted by its penalty)", "ylabel": "||J(x)||_F^2",
     "title": f"the same W: sigmoid depends on x; linear is {weight_decay:.1f} for every x"}],
    lesson.figure("penalty_per_example.png"), n_cols=1, panel_size=(6.4, 4.0))

# %% [markdown]
# ## The other path: the penalty pushes units into saturation
#
# "Input-dependent weight decay" describes only what the penalty does through $q_k$, with
# the pre-activations held fixed. But $P$ also depends on $W$ and $b_h$ through every
# $a_{nk}$, and that path has a direction of its own. Differentiate $P$ with $q$ held fixed
# (lesson 05 derives both paths in full); only one term of the double sum contains $a_{nk}$:
#
# $$\frac{\partial P}{\partial a_{nk}} = \frac{2}{B}\, s'(a_{nk})\, s''(a_{nk})\, q_k .$$
#
# For a sigmoid $s'' = s'(1 - 2h)$ (differentiate $s' = h(1-h)$), so
#
# $$\frac{\partial P}{\partial a_{nk}} = \frac{2}{B}\, s'(a_{nk})^2\, (1 - 2h_{nk})\, q_k ,$$
#
# and since $s'^2 q_k > 0$ its sign is the sign of $1 - 2h_{nk}$. Gradient descent moves
# each pre-activation against its gradient: a unit with $h > 1/2$ is pushed up, towards
# $h = 1$, and one with $h < 1/2$ down, towards $h = 0$. Through $a$ the penalty pushes
# every unit **away from $h = 1/2$, into saturation**, where $s'$ is small: a second way
# to make $\|J\|_F$ small besides shrinking $W$, and the mechanism behind the saturation
# that lesson 03 (its answer 1) describes and lesson 07 measures. The push vanishes at
# $h = 1/2$ and again deep in saturation; in units of $\frac2B q_k$ its size is
# $s'^2|1 - 2h| = h^2(1-h)^2|1-2h|$, which is largest where $h(1-h) = 1/5$, at
# $h = (1 \pm 1/\sqrt5)/2 \approx 0.28$ and $0.72$ (set the derivative in $u = h(1-h)$
# of $u^2\sqrt{1 - 4u}$ to zero).
#
# The cell checks it on all 1797 digits with this lesson's model: the library's path
# through $a$ (`penalty.contractive_backward`) equals the formula; its sign is that of
# $1 - 2h$ on every entry; and one small descent step on the pre-activations alone moves
# every $h_{nk}$ away from $1/2$.

# %%
_, cache_all = layers.encoder_forward(W, b_h, X_all, sigm)
dA_path, _ = penalty.contractive_backward(penalty.contractive_forward(W, cache_all, sigm)[1])
H_np, A_np, dA_np = cs.to_numpy(H_all), cs.to_numpy(A_all), cs.to_numpy(dA_path)
q_np = cs.to_numpy(q)
push = dA_np * H_np.shape[0] / (2 * q_np)                   # s'(a)^2 (1 - 2h), per entry
formula = (H_np * (1 - H_np)) ** 2 * (1 - 2 * H_np)
a_path_error = float(np.max(np.abs(push - formula)) / np.max(np.abs(formula)))
off_centre = H_np != 0.5
sign_agrees = float(np.mean(np.sign(dA_np[off_centre]) == np.sign(1 - 2 * H_np[off_centre])))
A_step = A_np - (0.01 / np.max(np.abs(dA_np))) * dA_np      # a small descent step on A alone
H_step = 1 / (1 + np.exp(-A_step))
moved = np.abs(H_step - 0.5) - np.abs(H_np - 0.5)
pushed_out = float(np.mean(moved[off_centre] > 0))
h_grid = np.linspace(0.0, 0.5, 500001)
peak_h = float(h_grid[np.argmax((h_grid * (1 - h_grid)) ** 2 * (1 - 2 * h_grid))])
print(f"library's dP/da vs (2/B) s'^2 (1 - 2h) q: relative error {a_path_error:.1e}")
print(f"sign of dP/da = sign of 1 - 2h on {sign_agrees:.0%} of {off_centre.sum():,} entries; "
      f"one descent step moved {pushed_out:.0%} of them away from h = 1/2 "
      f"(none moved towards it: {int(np.sum(moved[off_centre] < 0))})")
print(f"the push is largest at h = {peak_h:.4f} (and 1 - h); (1 - 1/sqrt 5)/2 = "
      f"{(1 - 5 ** -0.5) / 2:.4f}")
assert a_path_error < 1e-12 and sign_agrees == 1.0
assert np.all(moved[off_centre] >= 0) and pushed_out > 0.99
assert abs(peak_h - (1 - 5 ** -0.5) / 2) < 1e-5


def a_path_panel():
    """dP/da in units of (2/B) q_k against h: every digit's entries on the curve s'^2 (1 - 2h)."""
    pick = slice(None, None, max(1, H_np.size // 4000))        # about 4000 of the entries
    h_line = np.linspace(0.0, 1.0, 201)
    return {"series": {"entries (n, k), all digits": (H_np.ravel()[pick], push.ravel()[pick], "."),
                       "s'(a)^2 (1 - 2h)": (h_line, (h_line * (1 - h_line)) ** 2 * (1 - 2 * h_line),
                                            "-")},
            "hlines": {"0": 0.0}, "xlabel": "h = s(a)", "ylabel": "dP/da_nk  /  ((2/B) q_k)",
            "title": "sign of dP/da = sign of 1 - 2h: descent moves every h away from 1/2"}


plots.plot_panel_grid([a_path_panel()], lesson.figure("penalty_a_path.png"), n_cols=1,
                      panel_size=(6.4, 4.0))

# %% [markdown]
# ## Questions
#
# **Question 1.** For a ReLU encoder, $s'(a) = 1$ where $a > 0$ and 0 elsewhere. What
# does $\|J(x)\|_F^2$ count, and how does it change as $x$ moves a little?
#
# **Question 2.** An MNIST CAE has $n_v = 784$, $n_h = 1000$, $B = 256$. How many MB
# does the explicit Jacobian need in float32, and how many the closed form?
#
# **Question 3.** Why is $q$ computed once per batch and not once per example? Would
# the answer change for an untied decoder?
#
# Now do exercise 7, the penalty's value in closed form: `python -m lessons.exercises copy 7`.

# %% [markdown]
# ## Answers
#
# **1.** $\|J(x)\|_F^2 = \sum_{k:\,a_k > 0} q_k$: the total squared norm of the filters of
# the *active* units. It is piecewise constant in $x$: it does not change at all under
# a small move, and jumps when a unit switches on or off. Its gradient with respect to
# $b_h$ is zero almost everywhere, and $s'' = 0$ kills the path through $a$ (lesson 05).
#
# **2.** $256 \times 1000 \times 784 \times 4$ bytes $\approx 803$ MB for $J$ (and as much
# again for its square), against $(256 \times 1000 + 1000) \times 4$ bytes $\approx 1$ MB.
#
# **3.** $q_k = \sum_j W_{kj}^2$ involves only the weights, which are the same for every
# example of the batch. An untied decoder changes nothing: $J$ is the *encoder's*
# Jacobian, and only $W$ (never $W_r$) appears in it.
#
# ## Sources
#
# - S. Rifai, P. Vincent, X. Muller, X. Glorot, Y. Bengio, "Contractive Auto-Encoders: Explicit
#   Invariance During Feature Extraction", ICML 2011: the closed form
#   $\|J\|_F^2 = \sum_k (h_k(1-h_k))^2 \sum_j W_{kj}^2$ for a sigmoid encoder, and the remark
#   that the penalty of a linear encoder is weight decay.
# - The Python standard library documentation: `timeit` (take the minimum of repeated timings, not
#   the mean) and `tracemalloc` (peak traced memory).

# %%
# answer 2's numbers: the explicit Jacobian and the closed form, float32, 784 -> 1000, B = 256
assert round(256 * 1000 * 784 * 4 / 1e6) == 803 and round((256 * 1000 + 1000) * 4 / 1e6) == 1
ratio_time = last["time"]["explicit"] / last["time"]["closed"]
ratio_memory = last["computed"]["explicit"] / last["computed"]["closed"]
lesson.finish(f"closed form = explicit Jacobian (rel diff {closed_vs_explicit:.0e}); "
              f"at n={last['n']} explicit J costs {ratio_time:.0f}x the time (min of blocks) and "
              f"{ratio_memory:.0f}x "
              f"the memory (computed); linear encoder: penalty = ||W||_F^2; the a-path pushed "
              f"{pushed_out:.0%} of the pre-activations away from h = 1/2",
              {"closed_vs_explicit": closed_vs_explicit, "penalty_closed": P_closed,
               "penalty_library": P_library,
               "sizes": ns, "time_closed": [r["time"]["closed"] for r in rows],
               "time_explicit": [r["time"]["explicit"] for r in rows],
               "time_in_place": [r["time"]["in place"] for r in rows], "page_faults": faults,
               "memory_closed_mb": [r["computed"]["closed"] for r in rows],
               "memory_explicit_mb": [r["computed"]["explicit"] for r in rows],
               "measured_closed_mb": [r["measured"].get("closed") for r in rows],
               "measured_explicit_mb": [r["measured"].get("explicit") for r in rows],
               "linear_penalty": p_some, "linear_penalty_others": p_others,
               "weight_decay": weight_decay, "linear_grad_error": grad_error,
               "sigmoid_max_per_example": float(per_example.max()), "a_path_error": a_path_error,
               "a_path_sign_agrees": sign_agrees, "a_path_pushed_out": pushed_out,
               "a_path_peak_h": peak_h})
