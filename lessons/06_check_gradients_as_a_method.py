# %% [markdown]
# # Lesson 06 - Check gradients as a method
#
# Lessons 02 and 05 compared hand-derived gradients with finite differences and
# declared victory when the relative error was about $10^{-9}$. That number did
# not come from nowhere, and neither did the step $h = 10^{-6}$. A gradient check
# is a small numerical experiment with two competing sources of error, and if you
# understand them you can predict the best step size and the best error *before*
# running it, and you can tell "my formula is wrong" from "my check is too crude".
#
# This lesson builds that error model from Taylor's series, measures it over
# thirteen decades of $h$, shows that the best step depends on the **scale of the
# loss** (which is why it comes out near $2\times10^{-4}$ here and not at the textbook
# $\varepsilon^{1/3} \approx 6\times10^{-6}$), and ends with the check that scales to big
# models and GPUs: one random direction, two loss evaluations.
#
# **You need** lessons 02 and 05.

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "06_check_gradients_as_a_method", "Lesson 06 - Check gradients as a method",
    learn=["why central differences err O(h^2) and forward ones O(h), from Taylor's series",
           "rounding error eps |f| / h, and the best h from balancing the two",
           "why the loss's scale |f| / |f'''| moves the best h, and a prediction that matches the measurement",
           "the random-direction check: every parameter at once for two loss evaluations"],
    need="lessons 02 and 05")

import numpy as np

import cae_scratch as cs
from cae_scratch import backend, data, gradcheck, plots
from cae_scratch.core import layers, network, penalty

X_host = data.load_digits()[:16]
m64 = cs.ContractiveAutoencoder(64, 16, lam=0.1, dtype="float64", seed=lesson.seed, **lesson.model_kwargs())
m32 = cs.ContractiveAutoencoder(64, 16, lam=0.1, dtype="float32", seed=lesson.seed, **lesson.model_kwargs())
m64.params = {k: m64.asarray(backend.to_numpy(p)) for k, p in m32.params.items()}   # the very same point
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


def along(model, X, v):
    """phi(t) = L(theta + t v), the step t v rounded to each parameter's dtype as real code would."""
    f = loss_fn(model, X)
    return lambda t: f({k: p + backend.asarray(t * v[k], backend.namespace(p), p.dtype, backend.device_of(p))
                        for k, p in model.params.items()})


_, grads = network.loss_and_grads(m64.params, X64, m64.spec)
gen = np.random.default_rng(lesson.seed)
directions = []                                      # (v, exact phi'(0) = grad . v)
for _ in range(3 if lesson.quick else 6):
    v = {k: gen.standard_normal(tuple(p.shape)) for k, p in m64.params.items()}
    norm = np.sqrt(sum(float(np.sum(a * a)) for a in v.values()))
    v = {k: a / norm for k, a in v.items()}
    directions.append((v, sum(float(np.sum(backend.to_numpy(grads[k]) * v[k])) for k in v)))
print(f"{len(directions)} random unit directions; e.g. grad . v = {directions[0][1]:.12f} (from backprop)")

# %% [markdown]
# ## Truncation: what Taylor's series says
#
# Expand $\varphi$ around $0$:
# $$\varphi(\pm h) = \varphi \pm h\varphi' + \tfrac{h^2}{2}\varphi'' \pm \tfrac{h^3}{6}\varphi''' + O(h^4).$$
# The **forward** difference keeps the second-order term:
# $$\frac{\varphi(h) - \varphi(0)}{h} = \varphi' + \tfrac{h}{2}\varphi'' + O(h^2)
# \quad\Rightarrow\quad \text{truncation error} \approx \tfrac{h}{2}|\varphi''| = O(h).$$
# In the **central** difference the even terms cancel, because they have the same
# sign at $+h$ and $-h$:
# $$\varphi(h) - \varphi(-h) = 2h\varphi' + \tfrac{h^3}{3}\varphi''' + O(h^5)
# \quad\Rightarrow\quad \frac{\varphi(h)-\varphi(-h)}{2h} = \varphi' + \tfrac{h^2}{6}\varphi''' + O(h^4).$$
# So shrinking $h$ tenfold cuts the central error a hundredfold, the forward error only tenfold.
#
# ## Rounding: why smaller is not always better
#
# The computer returns $\varphi(h)(1 + \delta)$ with $|\delta| \lesssim \varepsilon$, the machine
# epsilon ($2.2\times10^{-16}$ in float64, $1.2\times10^{-7}$ in float32). The two evaluations
# in the numerator are each off by about $\varepsilon|\varphi|$; their difference is divided by
# $2h$, so the rounding error of the central difference is about $\varepsilon|\varphi|/h$. It
# *grows* as $h$ shrinks. Adding the two,
# $$E_{\text{central}}(h) \approx \frac{h^2}{6}|\varphi'''| + \frac{\varepsilon|\varphi|}{h},
# \qquad
# E_{\text{forward}}(h) \approx \frac{h}{2}|\varphi''| + \frac{2\varepsilon|\varphi|}{h}.$$
#
# ## The best step
#
# Set $dE/dh = 0$. For the central difference $\frac{h}{3}|\varphi'''| = \frac{\varepsilon|\varphi|}{h^2}$, so
# $$h^\star_{\text{central}} = \Big(\frac{3\,\varepsilon\,|\varphi|}{|\varphi'''|}\Big)^{1/3},
# \qquad
# h^\star_{\text{forward}} = 2\Big(\frac{\varepsilon\,|\varphi|}{|\varphi''|}\Big)^{1/2}.$$
# The textbook rule "$h \approx \varepsilon^{1/3}$" is this formula with $|\varphi| \approx |\varphi'''|$.
# Our loss is a *sum* of binary cross-entropies over 64 pixels, so $|\varphi| \approx 56$, while
# along a unit direction its third derivative is small. The ratio $|\varphi|/|\varphi'''|$, the
# loss's scale against its curvature, moves the best $h$ by its cube root. Let us measure all
# four ingredients, predict $h^\star$, and then compare with the error curve.

# %%
eps64, eps32 = float(np.finfo(np.float64).eps), float(np.finfo(np.float32).eps)
H = 1e-2                             # large: these differences need only 2 digits, not 10
predicted = {"central": [], "forward": []}
for v, exact in directions:
    phi = along(m64, X64, v)
    f0 = phi(0.0)
    d2 = (phi(H) - 2 * f0 + phi(-H)) / H ** 2                                # phi''
    d3 = (phi(2 * H) - 2 * phi(H) + 2 * phi(-H) - phi(-2 * H)) / (2 * H ** 3)   # phi'''
    predicted["central"].append((3 * eps64 * abs(f0) / abs(d3)) ** (1 / 3))
    predicted["forward"].append(2 * (eps64 * abs(f0) / abs(d2)) ** 0.5)
print(f"|phi| = {abs(f0):.1f}, |phi''| = {abs(d2):.2g}, |phi'''| = {abs(d3):.2g} (last direction)")
h_pred = {k: float(np.median(p)) for k, p in predicted.items()}
print(f"predicted best h, float64: central {h_pred['central']:.1e} (textbook eps^(1/3) = {eps64 ** (1 / 3):.1e}),"
      f" forward {h_pred['forward']:.1e} (textbook eps^(1/2) = {eps64 ** 0.5:.1e})")

# %% [markdown]
# Now the measurement: both rules, both precisions, forty step sizes from $1$ down to
# $10^{-13}$, the relative error $|\hat\varphi' - \varphi'| / (|\hat\varphi'| + |\varphi'|)$ against the float64
# backprop value, and the median over the directions.

# %%
steps = np.logspace(0, -13, 40)
rules = {"central": lambda phi, h: (phi(h) - phi(-h)) / (2 * h),
         "forward": lambda phi, h: (phi(h) - phi(0.0)) / h}
relative = lambda a, b: abs(a - b) / max(1e-30, abs(a) + abs(b))
curves = {}
for dtype, model, X in (("float64", m64, X64), ("float32", m32, X32)):
    for name, rule in rules.items():
        errs = [[relative(rule(along(model, X, v), h), exact) for h in steps] for v, exact in directions]
        curves[f"{name}, {dtype}"] = np.median(np.array(errs), axis=0)
best = {k: (float(c.min()), float(steps[np.argmin(c)])) for k, c in curves.items()}
print(f"{'rule, dtype':<18} {'best error':>10} {'at h':>9}")
for k, (e, h) in best.items():
    print(f"{k:<18} {e:>10.1e} {h:>9.1e}")


def slope(curve, lo, hi):
    """d log(error) / d log(h) over lo <= h <= hi: the power of h in the error."""
    sel = (steps >= lo) & (steps <= hi)
    return float(np.polyfit(np.log10(steps[sel]), np.log10(curve[sel]), 1)[0])


slopes = {"central truncation": slope(curves["central, float64"], 1e-3, 1e-1),
          "forward truncation": slope(curves["forward, float64"], 1e-4, 1e-1),
          "central rounding": slope(curves["central, float64"], 1e-12, 1e-8)}
print("measured powers of h: " + ", ".join(f"{k} {s:+.2f}" for k, s in slopes.items()) + "  (theory +2, +1, -1)")
assert abs(slopes["central truncation"] - 2) < 0.3 and abs(slopes["forward truncation"] - 1) < 0.3
assert abs(slopes["central rounding"] + 1) < 0.5

# %% [markdown]
# The claims, now as assertions on the measurement: the best central step lies within a
# factor of ten of the predicted $h^\star$ (and not at the textbook $\varepsilon^{1/3}$); central
# beats forward by more than a factor of ten; float32 cannot get anywhere near float64.

# %%
ratio = {k: best[f"{k}, float64"][1] / h_pred[k] for k in h_pred}
print(f"measured / predicted best h, float64: central {ratio['central']:.2f}, forward {ratio['forward']:.2f}")
far_from_textbook = best["central, float64"][1] / eps64 ** (1 / 3)
print(f"the measured best central h is {far_from_textbook:.0f}x the textbook eps^(1/3): the factor "
      f"(3|phi| / |phi'''|)^(1/3) = {h_pred['central'] / eps64 ** (1 / 3):.0f} in the formula (median over the "
      "directions): the loss's scale against its curvature")
assert all(0.1 < r < 10 for r in ratio.values())
assert best["central, float64"][0] < 1e-9
assert best["forward, float64"][0] > 10 * best["central, float64"][0]
assert best["central, float32"][0] > 100 * best["central, float64"][0]
at_1e6 = float(curves["central, float64"][np.argmin(np.abs(np.log10(steps) + 6))])
print(f"at the library's default h = 1e-6 the central error is {at_1e6:.0e}: past the best h, "
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
# | $10^{-7} \dots 10^{-3}$ | suspicious: a kink (ReLU at $a=0$), float32, a bad $h$, or a small bug |
# | $\approx 1/3$ | a missing factor 2: $(g - g/2)/(g + g/2) = 1/3$ (lesson 05) |
# | $\approx 1$ | a wrong formula, a sign flip, or a missing term |
#
# float32 is a smoke test only: with $\varepsilon = 1.2\times10^{-7}$ the best central error is
# roughly $\varepsilon^{2/3}$ times the scale factor, far above $10^{-7}$.
#
# ## The random-direction check
#
# Checking entry by entry costs two loss evaluations *per parameter*: 100,000 of them for a
# 784 x 64 model. But the derivation at the top works for any $v$: compare
# $\nabla L\cdot v$ with $(L(\theta + hv) - L(\theta - hv))/2h$. If the analytic gradient is
# $\hat g = g + e$, the check sees $e\cdot v$. For $v$ uniform on the sphere, $e\cdot v = 0$ has
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
_, dW_q = penalty.contractive_backward(penalty.contractive_forward(big.params["W"], enc, act)[1])
buggy = {**g, "W": g["W"] - big.lam * dW_q}                          # stale W: the q path is lost

v0 = {k: np.random.default_rng(99).standard_normal(tuple(p.shape)) for k, p in big.params.items()}
n0 = np.sqrt(sum(float(np.sum(a * a)) for a in v0.values()))
phi = along(big, Xb, {k: a / n0 for k, a in v0.items()})
d3_big = (phi(2 * H) - 2 * phi(H) + 2 * phi(-H) - phi(-2 * H)) / (2 * H ** 3)
h_big = (3 * eps64 * abs(phi(0.0)) / abs(d3_big)) ** (1 / 3)
seeds = list(range(3 if lesson.quick else 8))
good = [gradcheck.directional_check(f_big, big.params, g, h=h_big, seed=s) for s in seeds]
bad = [gradcheck.directional_check(f_big, big.params, buggy, h=h_big, seed=s) for s in seeds]
n_params = sum(int(np.prod(p.shape)) for p in big.params.values())
print(f"64 -> {n_hidden}: {n_params} parameters; entry by entry = {2 * n_params} evaluations, "
      f"one direction = 2. Predicted best h for this loss: {h_big:.1e}")
print(f"correct gradient: errors {min(good):.0e}..{max(good):.0e};  stale W: {min(bad):.0e}..{max(bad):.0e}")
assert max(good) < 1e-7 and min(bad) > 1e-4

# %% [markdown]
# ## The picture
#
# Left: the four error curves against $h$ on log-log axes. Each V has a right arm of
# slope $+2$ (central) or $+1$ (forward), a left arm of slope $-1$ (rounding), and its
# bottom where our formula put it (dotted lines). The float32 curves sit at 1 for small $h$:
# there $\theta + hv$ rounds back to $\theta$, the difference is exactly 0, and so is the estimate. Right: the random-direction checks of the
# big model, correct gradient against the stale-$W$ bug.

# %%
lo, hi = 1e-12, 1.0
error_png = plots.plot_panels([
    {"series": {**{k: (steps, np.maximum(c, lo)) for k, c in curves.items()},
                f"predicted h*, central ({h_pred['central']:.0e})": ([h_pred["central"]] * 2, [lo, hi], "k:"),
                f"predicted h*, forward ({h_pred['forward']:.0e})": ([h_pred["forward"]] * 2, [lo, hi], "k-."),},
     "hlines": {"pass threshold 1e-7": 1e-7}, "xscale": "log", "yscale": "log",
     "xlabel": "step size h", "ylabel": "relative error vs backprop (median of directions)",
     "title": "truncation (right arms) vs rounding (left arms)"},
    {"series": {"correct gradient": (seeds, good, "o"), "stale W (no q path)": (seeds, bad, "x")},
     "hlines": {"pass threshold 1e-7": 1e-7}, "yscale": "log", "xticks": seeds, "xlabel": "random direction (seed)",
     "ylabel": "relative error", "title": f"random-direction checks, 64 -> {n_hidden}, h = {h_big:.0e}"}],
    lesson.figure("error_vs_step.png"), width=6.2, height=4.4)

# %% [markdown]
# ## Questions
#
# **Question 1.** Suppose you report the batch *sum* of the loss instead of its mean (the loss
# times $B$). What happens to the best $h$ and to the best relative error? And if you add a large
# constant, say $10^6$, to the loss?
#
# **Question 2.** From the error model, roughly what is the best relative error a float32
# central difference can reach here, and why is it hopeless to use float32 for a $10^{-7}$ check?
#
# **Question 3.** A bug makes one single entry of a 784 x 1000 $W$ wrong by 10 %. About how large
# is the error a single random-direction check reports?

# %%
headline = (f"best central h measured {best['central, float64'][1]:.0e}, predicted {h_pred['central']:.0e} "
            f"(textbook eps^(1/3) {eps64 ** (1 / 3):.0e}); best error {best['central, float64'][0]:.0e} "
            f"(forward {best['forward, float64'][0]:.0e}, float32 {best['central, float32'][0]:.0e}); "
            f"random directions: correct <= {max(good):.0e}, stale W >= {min(bad):.0e}")
lesson.finish(headline, {"best": best, "predicted_h": h_pred, "slopes": slopes, "central_float64_at_1e-6": at_1e6,
                         "directional_correct": good, "directional_bug": bad, "n_params": n_params,
                         "h_big": h_big})

# %% [markdown]
# ## Answers
#
# **1.** Multiplying the loss by $B$ multiplies $|\varphi|$ and $|\varphi'''|$ alike: $h^\star$ and
# the best *relative* error do not change (the absolute error grows by $B$, and so does the
# derivative). Adding a constant $c$ changes nothing in the derivatives but raises $|\varphi|$, the
# size of the numbers being rounded: $h^\star$ grows like $c^{1/3}$ and the best error like $c^{2/3}$.
# What matters is the loss's scale relative to its curvature, which is exactly why our
# measured $h^\star$ sits far from $\varepsilon^{1/3}$.
#
# **2.** At $h^\star$ both terms are of the same size, so $E \approx \frac32\varepsilon|\varphi|/h^\star \propto
# \varepsilon^{2/3}$. Going from float64 to float32 multiplies $\varepsilon$ by about $5\times10^{8}$ and the best
# error by $(5\times10^8)^{2/3}\approx 6\times10^{5}$: from $\sim 10^{-10}$ to $\sim10^{-4}$, three orders of
# magnitude above the threshold, which matches the float32 curve.
#
# **3.** The error vector $e$ has one nonzero entry $0.1\,g_{kj}$, so $e\cdot v = 0.1\,g_{kj}v_{kj}$ with
# $v_{kj} \sim 1/\sqrt{n}$, $n \approx 7.8\times10^5$, while $g\cdot v \approx \|g\|/\sqrt n$. The relative error is
# about $|e\cdot v| / (2|g\cdot v|) \approx 0.05\,|g_{kj}|/\|g\|$, for a typical entry $0.05/\sqrt n \approx 6\times10^{-5}$: caught (it is above
# $10^{-7}$), but far from the obvious $\sim 1$ an entry-wise check of that parameter would show.
