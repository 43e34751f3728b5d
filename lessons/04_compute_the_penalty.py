# %% [markdown]
# # Lesson 04 - Compute the penalty
#
# Lesson 03 built the encoder's Jacobian $J(x) = \operatorname{diag}(s'(a))\,W$ and
# read it. A contractive autoencoder adds its squared Frobenius norm, averaged over
# the batch, to the reconstruction loss:
#
# $$L = \frac1B\sum_b \ell(x_b, r_b) \;+\; \lambda\,\frac1B \sum_b \|J(x_b)\|_F^2 .$$
#
# The obvious way to compute the second term is to build $J$ for every example, square
# and sum: a tensor of $B \times n_h \times n_v$ numbers. For MNIST-sized layers
# ($784 \to 1000$, $B = 256$) that is 200 million float64 numbers, 1.6 GB, on every
# training step. This lesson derives a closed form that never builds $J$, checks it
# against the explicit Jacobian and the library, measures what each costs, and shows
# that for a linear encoder the whole penalty collapses to ordinary weight decay.
#
# **You will learn** $\|J(x)\|_F^2 = \sum_k s'(a_k)^2 q_k$ with $q_k = \sum_j W_{kj}^2$;
# why it costs $O(B\,n_h)$ on top of the forward pass instead of $O(B\,n_h\,n_v)$; how
# to time code honestly on a busy machine; and why the CAE penalty is input-dependent
# weight decay. **You need** lesson 03.

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "04_compute_the_penalty", "Lesson 04 - Compute the penalty",
    learn=["||J(x)||_F^2 = sum_k s'(a_k)^2 q_k, derived and checked against the explicit Jacobian",
           "why it costs O(B n_hidden) beyond the forward pass, vs O(B n_hidden n_visible) explicit",
           "how to time code robustly (the minimum of repeated blocks) and measure memory (tracemalloc)",
           "why a linear encoder's penalty is exactly weight decay ||W||_F^2"],
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
A = X @ W.T + b_h                                           # (B, n_hidden): the forward pass computes this anyway
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
# For a batch, with $D = s'(A)$ of shape $(B, n_h)$ and $q$ of shape $(n_h,)$,
#
# $$P = \frac1B \sum_b \sum_k D_{bk}^2\, q_k = \frac1B\, \mathbf{1}^\top (D \odot D)\, q ,$$
#
# one element-wise square and one matrix-vector product. We compute it three ways:
# by hand, from the explicit $(B, n_h, n_v)$ Jacobian, and with the library.

# %%
q = xp.sum(W * W, axis=1)                                   # (n_hidden,): q_k = ||row k of W||^2
P_closed = float(xp.sum((D1 * D1) @ q) / B)
J = xp.expand_dims(D1, axis=2) * xp.expand_dims(W, axis=0)  # (B, n_hidden, 64): J[b] = diag(s'(a_b)) W
P_explicit = float(xp.sum(J * J) / B)
P_library = model.contractive_penalty(X)
terms = model.loss_terms(X)
print(f"closed form       {P_closed:.12f}")
print(f"explicit J        {P_explicit:.12f}   (J has {B * 32 * 64:,} entries; the closed form used {B * 32 + 32:,})")
print(f"library           {P_library:.12f}   (model.contractive_penalty)")
closed_vs_explicit = abs(P_closed - P_explicit) / P_explicit
assert cs.rel_error(q, penalty.row_norms_sq(W)) < 1e-15
assert cs.rel_error(D1, layers.encoder_forward(W, b_h, X, cs.get_activation("sigmoid"))[1][3]) < 1e-15
assert closed_vs_explicit < 1e-12 and abs(P_library - P_closed) < 1e-12 * P_closed
assert cs.rel_error(J, model.jacobian(X)) < 1e-14
assert abs(terms["contractive"] - P_closed) < 1e-12 * P_closed
assert abs(terms["total"] - (terms["reconstruction"] + 0.1 * terms["contractive"])) < 1e-12 * terms["total"]
print(f"CAE loss: {terms['reconstruction']:.4f} (bce) + 0.1 x {terms['contractive']:.4f} (penalty) = {terms['total']:.4f}")

# %% [markdown]
# ## What each costs
#
# Count the work *beyond* the forward pass, which training does anyway and which
# already holds $A$ (its product $XW^\top$ costs $B\,n_h\,n_v$ multiply-adds).
#
# | step | closed form | explicit |
# |---|---|---|
# | $D = s'(A)$ | $B\,n_h$ | $B\,n_h$ |
# | $q_k = \sum_j W_{kj}^2$ | $n_h n_v$, once per batch | - |
# | build $J_{bkj} = D_{bk} W_{kj}$ | - | $B\,n_h\,n_v$ |
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
# in the middle of any measurement; a single timing, or even a median, can be off by
# 100x. Interference can only *add* time, never remove it, so the most reliable
# estimate of a function's own cost is the **minimum** over repeats (the advice of
# Python's `timeit` documentation). We time each function in *blocks* of several calls
# (so that one block is long against the clock's resolution), repeat the blocks, let
# blocks of the two functions alternate (so a burst of load hits both), and report the
# minimum per call. Memory is measured with `tracemalloc`, which sees every NumPy
# allocation, as the peak during one call; the formula above is printed beside it,
# labelled as computed.

# %%
def explicit_penalty(D1_, W_):
    """mean_b ||J_b||_F^2 from the explicit (B, n_hidden, n_visible) Jacobian; J * J is a second tensor."""
    J_ = xp.expand_dims(D1_, axis=2) * xp.expand_dims(W_, axis=0)
    return xp.sum(J_ * J_) / D1_.shape[0]


def explicit_in_place(D1_, W_):
    """The same, squaring J in place: one (B, n_hidden, n_visible) tensor instead of two."""
    J_ = xp.expand_dims(D1_, axis=2) * xp.expand_dims(W_, axis=0)
    J_ *= J_
    return xp.sum(J_) / D1_.shape[0]


def closed_penalty(D1_, W_):
    """mean_b sum_k s'(a_bk)^2 q_k, with q from penalty.row_norms_sq (as penalty.contractive_forward)."""
    return xp.sum((D1_ * D1_) @ penalty.row_norms_sq(W_)) / D1_.shape[0]


def page_faults_per_call(fn, calls=10):
    """Minor page faults (fresh memory pages from the OS) per call; None where `resource` is missing."""
    try:
        import resource
    except ImportError:                                     # Windows
        return None
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


VARIANTS = {"closed": closed_penalty, "explicit": explicit_penalty, "in place": explicit_in_place}
measure_memory = lesson.backend != "cupy"                   # tracemalloc sees host (NumPy) memory only
sizes = [16, 32, 64, 128, 256] if lesson.quick else [16, 32, 64, 128, 256, 512]
Bt, repeats = 64, (5 if lesson.quick else 9)
gen = np.random.default_rng(lesson.seed)
rows = []
print(f"B = {Bt}, n_visible = n_hidden = n; time: min over {repeats} blocks; memory: peak of one call")
print(f"{'':>5} {'time per call (ms)':^31} {'memory, computed (MB)':^22} {'memory, measured (MB)':^22}")
print(f"{'n':>5} {'closed':>9} {'explicit':>10} {'in place':>10} {'closed':>10} {'explicit':>11} "
      f"{'closed':>10} {'explicit':>11}")
for n in sizes:
    big = cs.ContractiveAutoencoder(n, n, seed=lesson.seed, **lesson.model_kwargs())
    Wn = big.params["W"]
    D1n = big.asarray(gen.uniform(0.0, 0.25, (Bt, n)))      # s'(A) of a sigmoid lies in (0, 1/4]
    t = timing.min_seconds({name: (lambda f=f: f(D1n, Wn)) for name, f in VARIANTS.items()}, repeats,
                          sync=lambda: backend.synchronize(xp))
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
    print(f"{n:>5} {1e3 * t['closed']:>9.4f} {1e3 * t['explicit']:>10.4f} {1e3 * t['in place']:>10.4f} "
          f"{computed['closed']:>10.4f} {computed['explicit']:>11.3f} {mc:>10.4f} {me:>11.3f}")
last = rows[-1]
values = {name: float(f(D1n, Wn)) for name, f in VARIANTS.items()}
assert max(values.values()) - min(values.values()) < 1e-11 * values["closed"]
if measure_memory:                                          # J (and its square) must really exist; D1^2 is small
    assert all(r["measured"]["explicit"] >= 1.9 * r["computed"]["explicit"] for r in rows)     # J and J * J
    assert all(r["measured"]["closed"] <= 1.1 * (Bt * r["n"] + r["n"] * r["n"] + r["n"]) * 8 / 1e6 + 0.05
               for r in rows)                                                             # D1^2, W * W, q, + 50 kB of the array library's own objects
    assert last["measured"]["explicit"] > 10 * last["measured"]["closed"]
faults = {name: page_faults_per_call(lambda f=f: f(D1n, Wn)) for name, f in VARIANTS.items()}
if faults["closed"] is not None:
    print(f"page faults per call at n = {last['n']}: " + ", ".join(f"{k} {v:.0f}" for k, v in faults.items()))

# %% [markdown]
# Reading the numbers: the computed memory ratio is $n_v (B n_h) / (B n_h + n_h)
# \approx n_v$, as derived. The measured peak of the explicit version is about *twice*
# $J$, because `J_ * J_` allocates a second tensor of the same size before the sum. The
# closed form's measured peak leaves its computed line once $n > B$: `row_norms_sq`
# briefly holds $W \odot W$, $n_h n_v$ numbers, more than the $B n_h$ of $D \odot D$ when
# $n_v > B$. It is paid once per batch, independent of $B$ (the table's
# "$n_h n_v$, once per batch"), so per example it still vanishes as batches grow.
#
# Time has a lesson of its own. The two explicit versions do the same arithmetic, and
# above a few MB both are slower than their multiplications alone; the page-fault line
# shows why. Memory this large is handed back to the operating system when it is freed
# and fetched again, page by page, on the next call (each fetch a *page fault*);
# squaring in place needs half the fresh pages, the closed form none. (That is why the
# library's training step keeps its buffers between calls.) At the smallest sizes
# every call takes microseconds and the fixed cost of a call dominates.

# %%
ns = [r["n"] for r in rows]
memory_series = {"closed form, computed: (B n_h + n_h) x 8 B": (ns, [r["computed"]["closed"] for r in rows], "o-"),
                 "explicit J, computed: B n_h n_v x 8 B": (ns, [r["computed"]["explicit"] for r in rows], "s-")}
if measure_memory:
    memory_series["closed form, measured peak (tracemalloc)"] = (ns, [r["measured"]["closed"] for r in rows], "x--")
    memory_series["explicit J, measured peak (tracemalloc)"] = (ns, [r["measured"]["explicit"] for r in rows], "+--")
plots.plot_panel_grid([
    {"series": {"closed form sum_k s'(a_k)^2 q_k": (ns, [1e3 * r["time"]["closed"] for r in rows], "o-"),
                "explicit J, sum(J * J)": (ns, [1e3 * r["time"]["explicit"] for r in rows], "s-"),
                "explicit J, squared in place": (ns, [1e3 * r["time"]["in place"] for r in rows], "^-")},
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
# nonlinear encoder the same sum is weighted per unit and per example by $s'(a_{bk})^2$:
# unit $k$'s weights decay in proportion to how responsive it is *on the data*. That
# is the sense in which a CAE is "input-dependent weight decay". For the sigmoid,
# $s' \le 1/4$ gives the bound $\|J(x)\|_F^2 \le \|W\|_F^2 / 16$ for every $x$.
#
# We check all of it: the linear penalty on two disjoint sets of digits, its gradient
# from `penalty.penalty_and_grads`, and the bound, with the sigmoid model's own $W$
# placed in a linear encoder so the two are comparable.

# %%
linear = cs.ContractiveAutoencoder(64, 32, activation="linear", lam=0.1, seed=lesson.seed, **lesson.model_kwargs())
linear.params = {k: xp.asarray(v, copy=True) for k, v in model.params.items()}   # the same W, b_h, b_r
X_all = model.asarray(data.load_digits())
weight_decay = float(xp.sum(W * W))
p_some, p_others = linear.contractive_penalty(X_all[:10, :]), linear.contractive_penalty(X_all[500:900, :])
value, grads = penalty.penalty_and_grads(W, b_h, X_all[:10, :], cs.get_activation("linear"))
grad_error = max(cs.rel_error(grads["W"], 2.0 * W), float(np.max(np.abs(cs.to_numpy(grads["b_h"])))))
print(f"linear encoder: penalty on 10 digits {p_some:.10f}, on 400 others {p_others:.10f}, ||W||_F^2 {weight_decay:.10f}")
print(f"its gradient vs 2W (and 0 for b_h): {grad_error:.0e}")
assert abs(p_some - weight_decay) < 1e-12 * weight_decay and abs(p_others - weight_decay) < 1e-12 * weight_decay
assert grad_error < 1e-14

A_all = X_all @ W.T + b_h
H_all = cs.get_activation("sigmoid").f(A_all)
per_example = cs.to_numpy(((H_all * (1 - H_all)) ** 2) @ q)  # (1797,): ||J(x_b)||_F^2 of the sigmoid encoder
print(f"sigmoid encoder, same W: ||J(x)||_F^2 ranges {per_example.min():.3f} .. {per_example.max():.3f} "
      f"over the 1797 digits; bound ||W||_F^2/16 = {weight_decay / 16:.3f}; linear: {weight_decay:.3f} for all")
assert per_example.max() <= weight_decay / 16
plots.plot_panel_grid([
    {"series": {"sigmoid encoder, per digit (sorted)": (np.arange(1, per_example.size + 1), np.sort(per_example), "-")},
     "hlines": {f"bound ||W||_F^2 / 16 = {weight_decay / 16:.2f}": weight_decay / 16},
     "xlabel": "digit (sorted by its penalty)", "ylabel": "||J(x)||_F^2",
     "title": f"the same W: sigmoid depends on x; linear is {weight_decay:.1f} for every x"}],
    lesson.figure("penalty_per_example.png"), n_cols=1, panel_size=(6.4, 4.0))

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

# %%
ratio_time = last["time"]["explicit"] / last["time"]["closed"]
ratio_memory = last["computed"]["explicit"] / last["computed"]["closed"]
lesson.finish(f"closed form = explicit Jacobian (rel diff {closed_vs_explicit:.0e}); at n={last['n']} explicit J "
              f"costs {ratio_time:.0f}x the time (min of blocks) and {ratio_memory:.0f}x the memory (computed); "
              f"linear encoder: penalty = ||W||_F^2",
              {"closed_vs_explicit": closed_vs_explicit, "penalty_closed": P_closed, "penalty_library": P_library,
               "sizes": ns, "time_closed": [r["time"]["closed"] for r in rows],
               "time_explicit": [r["time"]["explicit"] for r in rows],
               "time_in_place": [r["time"]["in place"] for r in rows], "page_faults": faults,
               "memory_closed_mb": [r["computed"]["closed"] for r in rows],
               "memory_explicit_mb": [r["computed"]["explicit"] for r in rows],
               "measured_closed_mb": [r["measured"].get("closed") for r in rows],
               "measured_explicit_mb": [r["measured"].get("explicit") for r in rows],
               "linear_penalty": p_some, "linear_penalty_others": p_others, "weight_decay": weight_decay,
               "linear_grad_error": grad_error, "sigmoid_max_per_example": float(per_example.max())})

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
