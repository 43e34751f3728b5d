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
# # Lesson 06 - Check gradients as a method
#
# Lessons 02 and 05 compared hand-derived gradients with finite differences and
# declared victory when the relative error was about $10^{-9}$. That number did
# not come from nowhere, and neither did the step $t = 10^{-6}$. A gradient check
# is a small numerical experiment with two competing sources of error, and if you
# understand them you can predict the best step size and the best error *before*
# running it, and you can tell "my formula is wrong" from "my check is too crude".
#
# This lesson builds that error model from Taylor's series, measures it over
# thirteen decades of $t$, shows that the best step depends on the **scale of the
# loss** (which is why it comes out near $10^{-4}$ here, as the run prints, not at the textbook
# $\varepsilon^{1/3} \approx 6\times10^{-6}$), and ends with the check that scales to big
# models and GPUs: one random direction, two loss evaluations.
#
# We write the step $t$, the book's letter for a scalar step; $h$ is the code (the library's
# `gradcheck` still calls its step `h=`).
#
# **You need** lessons 02 and 05.

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "06_check_gradients_as_a_method", "Lesson 06 - Check gradients as a method",
    learn=["why central differences err O(t^2) and forward ones O(t), from Taylor's series",
           "rounding error eps |f| / t, and the best step t from balancing the two",
           "why the loss's scale |f| / |f'''| moves the best t, predicted and measured",
           "why the central difference is blind to the Hessian's cross terms",
           "the random-direction check: every parameter at once for two loss evaluations"],
    need="lessons 02 and 05")

import numpy as np

import cae_scratch as cs
from cae_scratch import backend, data, gradcheck, plots
from cae_scratch.core import layers, network, penalty

X_host = data.load_digits()[:16]
m64 = cs.ContractiveAutoencoder(64, 16, lam=0.1, dtype="float64", seed=lesson.seed,
                                **lesson.model_kwargs())
m32 = cs.ContractiveAutoencoder(64, 16, lam=0.1, dtype="float32", seed=lesson.seed,
                                **lesson.model_kwargs())
m64.params = {k: m64.asarray(backend.to_numpy(p)) for k, p in m32.params.items()}   # the same point
X64, X32 = m64.asarray(X_host), m32.asarray(X_host)
print(f"a 64 -> 16 sigmoid CAE, lam = 0.1, on 16 digits; backend {lesson.backend}")

# %% [markdown]
# ## One number to check: a directional derivative
#
# Write $\theta$ for all parameters stacked into one vector and pick a unit
# direction $v$. The function of one variable $\varphi(t) = L(\theta + t v)$ has, by
# the chain rule, $\varphi'(0) = \nabla L(\theta)\cdot v$: backprop gives us this
# number exactly (up to rounding), and finite differences of $\varphi$ estimate it.
# Studying one scalar function keeps the error analysis clean.

# %%
def loss_fn(model, X):
    """f(params) = the model's total loss on X, evaluated in the params' own dtype."""
    return lambda p: float(network.loss_terms(p, X, model.spec)["total"])


def shifted(model, d, t):
    """theta + t d, d a dict of host arrays shaped like the parameters; the step t d is rounded
    to each parameter's dtype, as real code would round it."""
    return {k: p + backend.asarray(t * d[k], backend.namespace(p), p.dtype, backend.device_of(p))
            for k, p in model.params.items()}


def along(model, X, v):
    """phi(t) = L(theta + t v)."""
    f = loss_fn(model, X)
    return lambda t: f(shifted(model, v, t))


_, grads = network.loss_and_grads(m64.params, X64, m64.spec)
gen = np.random.default_rng(lesson.seed)
directions = []                                      # (v, exact phi'(0) = grad . v)
for _ in range(3 if lesson.quick else 6):
    v = {k: gen.standard_normal(tuple(p.shape)) for k, p in m64.params.items()}
    norm = np.sqrt(sum(float(np.sum(a * a)) for a in v.values()))
    v = {k: a / norm for k, a in v.items()}
    directions.append((v, sum(float(np.sum(backend.to_numpy(grads[k]) * v[k])) for k in v)))
print(f"{len(directions)} random unit directions; e.g. grad . v = {directions[0][1]:.12f} "
      "(from backprop)")

# %% [markdown]
# ## Truncation: what Taylor's series says
#
# Expand $\varphi$ around $0$:
# $$\varphi(\pm t) = \varphi \pm t\varphi' + \tfrac{t^2}{2}\varphi'' \pm \tfrac{t^3}{6}\varphi'''
#   + O(t^4).$$
# The **forward** difference keeps the second-order term:
# $$\frac{\varphi(t) - \varphi(0)}{t} = \varphi' + \tfrac{t}{2}\varphi'' + O(t^2)
# \quad\Rightarrow\quad \text{truncation error} \approx \tfrac{t}{2}|\varphi''| = O(t).$$
# In the **central** difference the even terms cancel, because they have the same
# sign at $+t$ and $-t$:
# $$\varphi(t) - \varphi(-t) = 2t\varphi' + \tfrac{t^3}{3}\varphi''' + O(t^5)
# \quad\Rightarrow\quad \frac{\varphi(t)-\varphi(-t)}{2t} = \varphi' + \tfrac{t^2}{6}\varphi'''
#   + O(t^4).$$
# So shrinking $t$ tenfold cuts the central error a hundredfold, the forward error only tenfold.

# %% [markdown]
# ## Many parameters: where the cross terms go
#
# $\varphi$ hides how many parameters there are. Write the same expansion in all $N$ of them,
# with $\partial_i = \partial/\partial\theta_i$:
# $$L(\theta + t v) = L + t \sum_i \partial_i L\, v_i
#   + \frac{t^2}{2} \sum_{i,j} \partial_i\partial_j L\, v_i v_j
#   + \frac{t^3}{6} \sum_{i,j,l} \partial_i\partial_j\partial_l L\, v_i v_j v_l + O(t^4).$$
# The second-order sum has $N^2$ terms. The $N(N-1)$ with $i \ne j$ are the **cross terms**:
# how a step in one parameter changes the slope along another (tied weights make them large,
# since $W$ sits in the encoder and the decoder at once). So
# $$\varphi''(0) = v^\top \nabla^2 L\, v = \sum_i \partial_i^2 L\, v_i^2
#   + \sum_{i \ne j} \partial_i\partial_j L\, v_i v_j .$$
# Now subtract the expansions at $+t$ and $-t$. Every term carries $t^m$ times a product of
# $m$ entries of $v$, and flipping $t$ flips the sign of the term exactly when $m$ is odd. The
# second-order sum, cross terms and all, has $m = 2$: it is the same at $+t$ and at $-t$ and
# cancels *exactly* in $L(\theta + tv) - L(\theta - tv)$, whatever the Hessian's off-diagonal
# entries are. What survives is odd, $2t\,\nabla L\cdot v + \frac{t^3}{3}\varphi''' + O(t^5)$, so
# the central difference's error $\frac{t^2}{6}\varphi'''$ involves third derivatives only. The
# forward difference keeps the whole second-order sum: its error $\frac t2 v^\top\nabla^2 L\, v$
# depends on how every pair of parameters interacts. (A check of one entry, $v = e_i$, has no
# cross terms at all: there $\varphi'' = \partial_i^2 L$.)
#
# The cell measures it on our model. It computes $v^\top \nabla^2 L\, v$ from backprop (the
# gradients at $\theta \pm t v$, differenced: a Hessian-vector product) and from three loss
# values; splits it into the diagonal part, with each $\partial_i^2 L$ from the gradients at
# $\theta \pm t e_i$, and the cross part; and compares the forward and central errors at
# $t = 10^{-2}$ with $\frac t2\varphi''$ and $\frac{t^2}{6}\varphi'''$.

# %%
def gradient_at(model, X, params):
    """Backprop's gradient at ``params``, as host arrays."""
    grads_ = network.loss_and_grads(params, X, model.spec)[1]
    return {k: backend.to_numpy(g) for k, g in grads_.items()}


t_fd, t_big = 1e-4, 1e-2
hessian_diag = {}                                     # d^2 L / d theta_i^2, one entry at a time
for k, p in m64.params.items():
    hessian_diag[k] = np.empty(tuple(p.shape))
    for index in np.ndindex(*p.shape):
        e_i = {kk: np.zeros(tuple(pp.shape)) for kk, pp in m64.params.items()}
        e_i[k][index] = 1.0
        g_plus = gradient_at(m64, X64, shifted(m64, e_i, t_fd))[k][index]
        g_minus = gradient_at(m64, X64, shifted(m64, e_i, -t_fd))[k][index]
        hessian_diag[k][index] = (g_plus - g_minus) / (2 * t_fd)
split = []
for v, exact in directions:
    phi = along(m64, X64, v)
    g_plus, g_minus = (gradient_at(m64, X64, shifted(m64, v, s)) for s in (t_fd, -t_fd))
    vHv = sum(float(np.sum((g_plus[k] - g_minus[k]) * v[k])) for k in v) / (2 * t_fd)
    from_loss = (phi(1e-3) - 2 * phi(0.0) + phi(-1e-3)) / 1e-3 ** 2
    diagonal = sum(float(np.sum(hessian_diag[k] * v[k] ** 2)) for k in v)
    third = (phi(2 * t_big) - 2 * phi(t_big) + 2 * phi(-t_big) - phi(-2 * t_big)) / (2 * t_big ** 3)
    forward_err = (phi(t_big) - phi(0.0)) / t_big - exact
    central_err = (phi(t_big) - phi(-t_big)) / (2 * t_big) - exact
    split.append({"vHv": vHv, "from_loss": from_loss, "diagonal": diagonal, "cross": vHv - diagonal,
                  "forward": forward_err / (t_big / 2 * vHv),
                  "central": central_err / (t_big ** 2 / 6 * third)})
print(f"{'v^T H v':>10} {'from phi':>10} {'diagonal':>10} {'cross':>10}   "
      f"forward err / (t phi''/2)   central err / (t^2 phi'''/6)")
for r in split:
    print(f"{r['vHv']:>10.5f} {r['from_loss']:>10.5f} {r['diagonal']:>10.5f} {r['cross']:>10.5f}   "
          f"{r['forward']:>25.3f}   {r['central']:>28.3f}")
assert all(abs(r["from_loss"] - r["vHv"]) < 1e-4 * abs(r["vHv"]) for r in split)
assert max(abs(r["cross"]) / abs(r["vHv"]) for r in split) > 0.2   # the cross terms are not small
assert all(abs(r["forward"] - 1) < 0.05 and abs(r["central"] - 1) < 0.05 for r in split)

# %% [markdown]
# Read the table: the cross part of $\varphi''$ is of the same order as the diagonal part in
# some directions (the cell asserts more than a fifth of $\varphi''$ for at least one), and it
# takes either sign, so in one direction it may happen to nearly cancel; the forward error
# follows $\frac t2 \varphi''$, cross terms included, and the central error follows
# $\frac{t^2}{6}\varphi'''$, untouched by them.
#
# ## Rounding: why smaller is not always better
#
# The computer returns $\varphi(t)(1 + \delta)$ with $|\delta| \lesssim \varepsilon$, the machine
# epsilon ($2.2\times10^{-16}$ in float64, $1.2\times10^{-7}$ in float32). The two evaluations
# in the numerator are each off by about $\varepsilon|\varphi|$; their difference is divided by
# $2t$, so the rounding error of the central difference is about $\varepsilon|\varphi|/t$. It
# *grows* as $t$ shrinks. Adding the two,
# $$E_{\text{central}}(t) \approx \frac{t^2}{6}|\varphi'''| + \frac{\varepsilon|\varphi|}{t},
# \qquad
# E_{\text{forward}}(t) \approx \frac{t}{2}|\varphi''| + \frac{2\varepsilon|\varphi|}{t}.$$
#
# ## The best step
#
# Set $dE/dh = 0$. For the central difference
# $\frac{t}{3}|\varphi'''| = \frac{\varepsilon|\varphi|}{t^2}$, so
# $$t^\star_{\text{central}} = \Big(\frac{3\,\varepsilon\,|\varphi|}{|\varphi'''|}\Big)^{1/3},
# \qquad
# t^\star_{\text{forward}} = 2\Big(\frac{\varepsilon\,|\varphi|}{|\varphi''|}\Big)^{1/2}.$$
# The textbook rule "$t \approx \varepsilon^{1/3}$" is this formula with
# $|\varphi| \approx |\varphi'''|$.
# Our loss is a *sum* of binary cross-entropies over 64 pixels, so $|\varphi| \approx 56$, while
# along a unit direction its third derivative is small. The ratio $|\varphi|/|\varphi'''|$, the
# loss's scale against its curvature, moves the best $t$ by its cube root. Let us measure all
# four ingredients, predict $t^\star$, and then compare with the error curve.

# %%
eps64, eps32 = float(np.finfo(np.float64).eps), float(np.finfo(np.float32).eps)
predicted = {"central": [], "forward": []}
for v, exact in directions:
    phi = along(m64, X64, v)
    f0 = phi(0.0)
    d2 = (phi(t_big) - 2 * f0 + phi(-t_big)) / t_big ** 2                    # phi''
    d3 = (phi(2 * t_big) - 2 * phi(t_big) + 2 * phi(-t_big) - phi(-2 * t_big)) / (2 * t_big ** 3)
    predicted["central"].append((3 * eps64 * abs(f0) / abs(d3)) ** (1 / 3))
    predicted["forward"].append(2 * (eps64 * abs(f0) / abs(d2)) ** 0.5)
print(f"|phi| = {abs(f0):.1f}, |phi''| = {abs(d2):.2g}, |phi'''| = {abs(d3):.2g} (last direction)")
assert 50 < abs(f0) < 60                                        # "|phi| is about 56"
h_pred = {k: float(np.median(p)) for k, p in predicted.items()}
print(f"predicted best t, float64: central {h_pred['central']:.1e} "
      f"(textbook eps^(1/3) = {eps64 ** (1 / 3):.1e}), forward {h_pred['forward']:.1e} "
      f"(textbook eps^(1/2) = {eps64 ** 0.5:.1e})")

# %% [markdown]
# Now the measurement: both rules, both precisions, forty step sizes from $1$ down to
# $10^{-13}$, the relative error $|\hat\varphi' - \varphi'| / (|\hat\varphi'| + |\varphi'|)$ against
# the float64 backprop value, and the median over the directions.

# %%
steps = np.logspace(0, -13, 40)
rules = {"central": lambda phi, h: (phi(h) - phi(-h)) / (2 * h),
         "forward": lambda phi, h: (phi(h) - phi(0.0)) / h}
relative = lambda a, b: abs(a - b) / max(1e-30, abs(a) + abs(b))
curves = {}
for dtype, model, X in (("float64", m64, X64), ("float32", m32, X32)):
    for name, rule in rules.items():
        errs = [[relative(rule(along(model, X, v), h), exact) for h in steps]
                for v, exact in directions]
        curves[f"{name}, {dtype}"] = np.median(np.array(errs), axis=0)
best = {k: (float(c.min()), float(steps[np.argmin(c)])) for k, c in curves.items()}
print(f"{'rule, dtype':<18} {'best error':>10} {'at t':>9}")
for k, (e, h) in best.items():
    print(f"{k:<18} {e:>10.1e} {h:>9.1e}")


def slope(curve, lo, hi):
    """d log(error) / d log(t) over lo <= t <= hi: the power of t in the error."""
    sel = (steps >= lo) & (steps <= hi)
    return float(np.polyfit(np.log10(steps[sel]), np.log10(curve[sel]), 1)[0])


slopes = {"central truncation": slope(curves["central, float64"], 1e-3, 1e-1),
          "forward truncation": slope(curves["forward, float64"], 1e-4, 1e-1),
          "central rounding": slope(curves["central, float64"], 1e-12, 1e-8)}
print("measured powers of t: " + ", ".join(f"{k} {s:+.2f}" for k, s in slopes.items())
      + "  (theory +2, +1, -1)")
assert abs(slopes["central truncation"] - 2) < 0.3 and abs(slopes["forward truncation"] - 1) < 0.3
assert abs(slopes["central rounding"] + 1) < 0.5
assert curves["central, float32"][-1] == curves["forward, float32"][-1] == 1.0   # see the picture

# %% [markdown]
# The claims, now as assertions on the measurement: the best central step lies within a
# factor of ten of the predicted $t^\star$ (and not at the textbook $\varepsilon^{1/3}$); central
# beats forward by more than a factor of ten; float32 cannot get anywhere near float64.

# %%
ratio = {k: best[f"{k}, float64"][1] / h_pred[k] for k in h_pred}
print(f"measured / predicted best t, float64: central {ratio['central']:.2f}, "
      f"forward {ratio['forward']:.2f}")
far_from_textbook = best["central, float64"][1] / eps64 ** (1 / 3)
print(f"the measured best central t is {far_from_textbook:.0f}x the textbook eps^(1/3): the factor "
      f"(3|phi| / |phi'''|)^(1/3) = {h_pred['central'] / eps64 ** (1 / 3):.0f} in the formula "
      "(median over the directions): the loss's scale against its curvature")
assert all(0.1 < r < 10 for r in ratio.values())
assert best["central, float64"][0] < 1e-9
assert 5e-5 < best["central, float64"][1] < 5e-4            # "near 1e-4" in the introduction
assert best["forward, float64"][0] > 10 * best["central, float64"][0]
assert best["central, float32"][0] > 100 * best["central, float64"][0]
at_1e6 = float(curves["central, float64"][np.argmin(np.abs(np.log10(steps) + 6))])
print(f"at the library's default step 1e-6 the central error is {at_1e6:.0e}: past the best t, "
      "rounding-limited, but still far below the 1e-7 threshold")
assert at_1e6 < 1e-7

# %% [markdown]
# ## Reading a relative error
#
# With float64 and a step near the best one, these are the bands (CS231n uses the same ones):
#
# | relative error | meaning |
# |---|---|
# | $< 10^{-7}$ | pass; $10^{-9}$ or below is typical for smooth activations |
# | $10^{-7} \dots 10^{-3}$ | suspicious: a kink (ReLU at $a=0$), float32, a bad $t$, a small bug |
# | $\approx 1/3$ | a missing factor 2: $(1 - 1/2)/(1 + 1/2) = 1/3$ (lesson 05) |
# | $\approx 1$ | a wrong formula, a sign flip, or a missing term |
#
# float32 is a smoke test only: with $\varepsilon = 1.2\times10^{-7}$ the best central error is
# roughly $\varepsilon^{2/3}$ times the scale factor, far above $10^{-7}$.
#
# ## The random-direction check
#
# Checking entry by entry costs two loss evaluations *per parameter*: 100,000 of them for a
# 784 x 64 model. But the derivation at the top works for any $v$: compare
# $\nabla L\cdot v$ with $(L(\theta + tv) - L(\theta - tv))/2t$. If the analytic gradient is
# $\nabla L + e$, the check sees $e\cdot v$. For $v$ uniform on the sphere, $e\cdot v = 0$ has
# probability zero when $e \ne 0$, so one random direction catches a wrong gradient with
# probability one. The catch is dilution: $e\cdot v$ is about $\|e\|/\sqrt{n}$, so a bug confined to
# a few entries of a huge model gives a small error. A few directions, and a per-parameter
# sample (the library's `check_gradients`) where it matters, cover that.
#
# We check a bigger model this way, correct and with lesson 05's stale-$W$ bug, using the best
# step our formula predicts for this model's loss.

# %%
n_hidden = 128 if lesson.quick else 512
big = cs.ContractiveAutoencoder(64, n_hidden, lam=0.1, seed=lesson.seed, **lesson.model_kwargs())
Xb = big.asarray(data.load_digits()[:64])
f_big = loss_fn(big, Xb)
_, g = network.loss_and_grads(big.params, Xb, big.spec)
act = cs.get_activation("sigmoid")
_, enc = layers.encoder_forward(big.params["W"], big.params["b_h"], Xb, act)
_, q_path = penalty.contractive_backward(penalty.contractive_forward(big.params["W"], enc, act)[1])
buggy = {**g, "W": g["W"] - big.lam * q_path["W"]}                          # stale W: the q path is lost

v0 = {k: np.random.default_rng(99).standard_normal(tuple(p.shape)) for k, p in big.params.items()}
n0 = np.sqrt(sum(float(np.sum(a * a)) for a in v0.values()))
phi = along(big, Xb, {k: a / n0 for k, a in v0.items()})
d3_big = (phi(2 * t_big) - 2 * phi(t_big) + 2 * phi(-t_big) - phi(-2 * t_big)) / (2 * t_big ** 3)
h_big = (3 * eps64 * abs(phi(0.0)) / abs(d3_big)) ** (1 / 3)
seeds = list(range(3 if lesson.quick else 8))
good = [gradcheck.directional_check(f_big, big.params, g, h=h_big, seed=s) for s in seeds]
bad = [gradcheck.directional_check(f_big, big.params, buggy, h=h_big, seed=s) for s in seeds]
n_params = sum(int(np.prod(p.shape)) for p in big.params.values())
assert round(2 * (784 * 64 + 64 + 784), -4) == 100_000       # "100,000 of them for 784 x 64"
print(f"64 -> {n_hidden}: {n_params} parameters; entry by entry = {2 * n_params} evaluations, "
      f"one direction = 2. Predicted best t for this loss: {h_big:.1e}")
print(f"correct gradient: errors {min(good):.0e}..{max(good):.0e};  "
      f"stale W: {min(bad):.0e}..{max(bad):.0e}")
assert max(good) < 1e-7 and min(bad) > 1e-4

# %% [markdown]
# ## The picture
#
# Left: the four error curves against $t$ on log-log axes. Each V has a right arm of
# slope $+2$ (central) or $+1$ (forward), a left arm of slope $-1$ (rounding), and its
# bottom where our formula put it (dotted lines). The float32 curves sit at 1 for small $t$:
# there $\theta + tv$ rounds back to $\theta$, the difference is exactly 0, and so is the
# estimate. Right: the random-direction checks of the big model, correct gradient against the
# stale-$W$ bug.

# %%
lo, hi = 1e-12, 1.0
predicted_lines = {f"predicted t*, {rule} ({h_pred[rule]:.0e})":
                   ([h_pred[rule]] * 2, [lo, hi], style)
                   for rule, style in (("central", "k:"), ("forward", "k-."))}
error_png = plots.plot_panels([
    {"series": {**{k: (steps, np.maximum(c, lo)) for k, c in curves.items()}, **predicted_lines},
     "hlines": {"pass threshold 1e-7": 1e-7}, "xscale": "log", "yscale": "log",
     "xlabel": "step size t", "ylabel": "relative error vs backprop (median of directions)",
     "title": "truncation (right arms) vs rounding (left arms)"},
    {"series": {"correct gradient": (seeds, good, "o"), "stale W (no q path)": (seeds, bad, "x")},
     "hlines": {"pass threshold 1e-7": 1e-7}, "yscale": "log", "xticks": seeds,
     "xlabel": "random direction (seed)", "ylabel": "relative error",
     "title": f"random-direction checks, 64 -> {n_hidden}, t = {h_big:.0e}"}],
    lesson.figure("error_vs_step.png"), width=6.2, height=4.4)

# %% [markdown]
# ## Questions
#
# **Question 1.** Suppose you report the batch *sum* of the loss instead of its mean (the loss
# times $B$). What happens to the best $t$ and to the best relative error? And if you add a large
# constant, say $10^6$, to the loss?
#
# **Question 2.** From the error model, roughly what is the best relative error a float32
# central difference can reach here, and why is it hopeless to use float32 for a $10^{-7}$ check?
#
# **Question 3.** A bug makes one single entry of a 784 x 1000 $W$ wrong by 10 %. About how large
# is the error a single random-direction check reports?
#
# Now do exercise 5, a central-difference checker of your own: `python -m lessons.exercises copy 5`.
# It is graded by the order of its error, the $O(t^2)$ this lesson derives.

# %% [markdown]
# ## Answers
#
# **1.** Multiplying the loss by $B$ multiplies $|\varphi|$ and $|\varphi'''|$ alike: $t^\star$ and
# the best *relative* error do not change (the absolute error grows by $B$, and so does the
# derivative). Adding a constant $c$ changes nothing in the derivatives but raises $|\varphi|$, the
# size of the numbers being rounded: $t^\star$ grows like $c^{1/3}$ and the best error like
# $c^{2/3}$.
# What matters is the loss's scale relative to its curvature, which is exactly why our
# measured $t^\star$ sits far from $\varepsilon^{1/3}$.
#
# **2.** At $t^\star$ both terms are of the same size, so
# $E \approx \frac32\varepsilon|\varphi|/t^\star \propto \varepsilon^{2/3}$. Going from float64 to
# float32 multiplies $\varepsilon$ by $2^{29} \approx 5.4\times10^{8}$ and the best error by
# $(2^{29})^{2/3}\approx 6.6\times10^{5}$: from the float64 curve's $\sim 10^{-11}$ to a few times
# $10^{-5}$, two to three orders of magnitude above the threshold; the measured float32 error is
# within a factor of 10 of this prediction (the cell below checks it).
#
# **3.** Write $\nabla = \nabla L$. The error vector $e$ has one nonzero entry
# $0.1\,\nabla_{kj}$, so $e\cdot v = 0.1\,\nabla_{kj}v_{kj}$ with $v_{kj} \sim 1/\sqrt{N}$,
# $N \approx 7.8\times10^5$, while $\nabla\cdot v \approx \|\nabla\|/\sqrt N$. The relative error
# is about $|e\cdot v| / (2|\nabla\cdot v|) \approx 0.05\,|\nabla_{kj}|/\|\nabla\|$, for a typical
# entry $0.05/\sqrt N \approx 6\times10^{-5}$: caught (it is above $10^{-7}$), but far from the
# obvious $\sim 1$ an entry-wise check of that parameter would show.
#
# ## Sources
#
# - W. H. Press, S. A. Teukolsky, W. T. Vetterling, B. P. Flannery, "Numerical Recipes", 3rd ed.,
#   Cambridge University Press, 2007, section 5.7 (numerical derivatives): the truncation and
#   rounding errors of finite differences and the best step.
# - A. Karpathy, CS231n course notes, "Neural Networks Part 3: Learning and Evaluation", gradient
#   checks: the central difference, the relative error and its bands.
# - The Python documentation of `timeit`, on taking the minimum of repeated timings (lesson 04).

# %%
# The answers' numbers: float32's epsilon is 2^29 times float64's, the best error grows by its 2/3
# power (and the measured float32 error agrees within 10x); one wrong entry of a 784 x 1000 W.
eps_ratio = eps32 / eps64
assert eps_ratio == 2 ** 29 and f"{eps_ratio:.1e}" == "5.4e+08"
assert f"{eps_ratio ** (2 / 3):.1e}" == "6.6e+05"
assert 0.1 < best["central, float32"][0] / (best["central, float64"][0] * eps_ratio ** (2 / 3)) < 10
assert f"{784 * 1000:.1e}" == "7.8e+05" and f"{0.05 / np.sqrt(784 * 1000):.0e}" == "6e-05"
headline = (f"best central t measured {best['central, float64'][1]:.0e}, "
            f"predicted {h_pred['central']:.0e} (textbook eps^(1/3) {eps64 ** (1 / 3):.0e}); "
            f"best error {best['central, float64'][0]:.0e} "
            f"(forward {best['forward, float64'][0]:.0e}, "
            f"float32 {best['central, float32'][0]:.0e}); "
            f"random directions: correct <= {max(good):.0e}, stale W >= {min(bad):.0e}")
lesson.finish(headline, {"best": best, "predicted_h": h_pred, "slopes": slopes,
                         "central_float64_at_1e-6": at_1e6, "cross_terms": split,
                         "directional_correct": good, "directional_bug": bad, "n_params": n_params,
                         "h_big": h_big})
