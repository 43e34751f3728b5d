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
# # Lesson 07 - Train a CAE on digits
#
# Everything is in place: a forward pass (lesson 01), the reconstruction's gradient (02), the
# Jacobian and its cheap penalty (03-04), the penalty's gradient (05), and a way to trust all of it
# (06). Training is those pieces in a loop: take a minibatch, run forward, run backward, move the
# parameters a little against the gradient, repeat. In this lesson we write down the optimizer we
# use (Adam) and check one of its steps by hand, write the training loop out once by hand and check
# that the library's `fit` runs the same loop, train a contractive autoencoder on scikit-learn's 8x8
# digits, and then ask the question that decides how to use one: **what does the penalty weight
# $\lambda$ buy, and what does it cost?**
#
# **You need** lessons 01-05.

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "07_train_a_cae_on_digits", "Lesson 07 - Train a CAE on digits",
    learn=["a training step: forward, both backward paths, an Adam update (checked by hand)",
           "why minibatch gradients are unbiased estimates of the full gradient",
           "the lam trade-off, derived: a larger lam never raises the penalty and never lowers "
           "the reconstruction error at the optimum; then measured with a sweep"],
    need="lessons 01-05")

import numpy as np

import cae_scratch as cs
from cae_scratch import backend, data, plots
from cae_scratch.core import network
from cae_scratch.optim import Adam

LAM = 0.1
n_hidden, epochs = (16, 15) if lesson.quick else (32, 60)
lams = [0.0, 0.1, 1.0] if lesson.quick else [0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
X_train, _, X_test, _ = data.load_digits(test_fraction=0.2, seed=lesson.seed)
print(f"train {X_train.shape}, held out {X_test.shape}; a 64 -> {n_hidden} CAE, tied weights")

# %% [markdown]
# ## Minibatches
#
# The loss is a mean over the $N$ training digits, $L(\theta) = \frac1N\sum_{m=1}^N \ell_m(\theta)$
# with $\ell_m = \text{bce}(x_m, r_m) + \lambda\|J(x_m)\|_F^2$. A minibatch of $B$ digits
# $m_1, \dots, m_B$, each drawn uniformly from $1..N$, gives the estimate
# $\hat\nabla = \frac1B\sum_{n=1}^{B}\nabla\ell_{m_n}$, and since each drawn index is equally likely
# to be any $m$,
# $$\mathbb E[\hat\nabla] = \frac1B\sum_{n=1}^{B}\frac1N\sum_{m=1}^N \nabla\ell_m = \nabla L .$$
# This is why every term in our loss is a *mean* over the batch: the gradient of a batch is then an
# unbiased, $N/B$-times cheaper estimate of the full gradient, whatever $B$ is. (`fit` draws without
# replacement: it shuffles once per epoch and cuts the permutation into batches. Each batch is still
# a uniformly random subset, so the estimate stays unbiased.)
#
# ## Adam, derived
#
# Plain gradient descent $\theta \leftarrow \theta - \eta\,\hat\nabla$ uses one step size for every
# parameter. The entries of our gradient are built differently: an entry of $db_h$ collects, for one
# hidden unit, the errors of all 64 pixels (through $dA = (dZ\,W^\top) \odot D_1$ in the batch form
# of lesson 02) before it averages over the batch; an entry of $db_r$ is one pixel's error averaged
# over the batch; an entry of $dW$ pairs one unit with one pixel. Their sizes differ by more than an
# order of magnitude (measured below), and the whole gradient shrinks as training converges. Adam
# keeps two running averages per parameter entry, of the gradient $\hat\nabla_t$ at step $t$ and of
# its square,
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\hat\nabla_t, \qquad
# v_t = \beta_2 v_{t-1} + (1-\beta_2)\hat\nabla_t^2,$$
# and steps by $\eta\,\hat m_t/(\sqrt{\hat v_t} + \epsilon_{\text{Adam}})$, roughly $\eta$ times the
# *sign* of a consistent gradient, for every entry alike. (Here $v_t$ is Kingma and Ba's name for
# the second moment; it is not a singular vector.) The hats undo a bias: from $m_0 = 0$,
# $m_t = (1-\beta_1)\sum_{c=1}^t \beta_1^{t-c}\hat\nabla_c$, so if the $\hat\nabla_c$ have mean
# $\bar\nabla$,
# $$\mathbb E[m_t] = (1-\beta_1)\frac{1-\beta_1^t}{1-\beta_1}\,\bar\nabla
# = (1-\beta_1^t)\,\bar\nabla \quad\Rightarrow\quad
# \hat m_t = \frac{m_t}{1-\beta_1^t},\qquad \hat v_t = \frac{v_t}{1-\beta_2^t}.$$
# Without them the first step would be $(1-\beta_1)/\sqrt{1-\beta_2} \approx 3.2$ times too large:
# $m_1$ is ten times too small, $\sqrt{v_1}$ about thirty times. The library's `optim.Adam` folds
# these constants into the step size to save passes over the arrays; here is the textbook form, two
# steps by hand, against it.

# %%
def adam_by_hand(params, grads_seq, lr, b1=0.9, b2=0.999, eps=1e-8, correct=True):
    """The textbook Adam on host copies: m, v, (bias-corrected unless correct=False), the update."""
    p = {k: backend.to_numpy(v).copy() for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    for t, grads in enumerate(grads_seq, start=1):
        c1, c2 = (1 - b1 ** t, 1 - b2 ** t) if correct else (1.0, 1.0)
        for k in p:
            g = backend.to_numpy(grads[k])
            m[k] = b1 * m[k] + (1 - b1) * g
            v2[k] = b2 * v2[k] + (1 - b2) * g * g
            p[k] -= lr * (m[k] / c1) / (np.sqrt(v2[k] / c2) + eps)
    return p


probe = cs.ContractiveAutoencoder(64, n_hidden, lam=LAM, seed=lesson.seed, **lesson.model_kwargs())
X64 = probe.asarray(X_train[:64])
start = {k: probe.xp.asarray(v, copy=True) for k, v in probe.params.items()}
opt, grads_seq = Adam(probe.params, lr=1e-2), []
for _ in range(2):                                   # two steps: the bias correction depends on t
    _, grads = network.loss_and_grads(probe.params, X64, probe.spec)
    grads_seq.append({k: probe.xp.asarray(g, copy=True) for k, g in grads.items()})
    opt.step(probe.params, grads)                    # updates probe.params in place
expected = adam_by_hand(start, grads_seq, lr=1e-2)
err_adam = max(cs.rel_error(probe.params[k], expected[k]) for k in expected)
W0 = backend.to_numpy(start["W"])
step1 = np.abs(adam_by_hand(start, grads_seq[:1], lr=1e-2)["W"] - W0)
step1_raw = np.abs(adam_by_hand(start, grads_seq[:1], lr=1e-2, correct=False)["W"] - W0)
too_large = float(np.median(step1_raw) / np.median(step1))
print(f"two Adam steps, library vs textbook: relative difference {err_adam:.1e}")
print(f"the first step moves the entries of W by lr |g| / (|g| + eps): "
      f"median {np.median(step1):.6f}, max {step1.max():.6f} (lr = 0.01: a sign step)")
print(f"without the bias correction: {too_large:.2f} times larger "
      f"((1 - beta_1) / sqrt(1 - beta_2) = {0.1 / np.sqrt(0.001):.2f})")
assert err_adam < 1e-12 and abs(np.median(step1) - 1e-2) < 1e-4
assert step1.max() <= 1e-2 * (1 + 1e-12)
assert abs(too_large - 0.1 / np.sqrt(0.001)) < 0.01

# %% [markdown]
# And the claim that motivated Adam: the sizes of the gradient's entries at this first step.

# %%
g_first = np.abs(np.concatenate([backend.to_numpy(g).ravel() for g in grads_seq[0].values()]))
entry_spread = float(np.percentile(g_first, 90) / np.percentile(g_first, 10))
rms0 = {k: float(np.sqrt(np.mean(backend.to_numpy(g) ** 2))) for k, g in grads_seq[0].items()}
print("root mean square of each gradient at the first step: "
      + ", ".join(f"d{k} {v:.3f}" for k, v in rms0.items()))
print(f"over all entries, the 90th percentile of |gradient| is {entry_spread:.0f} times the 10th")
assert entry_spread > 10

# %% [markdown]
# ## The training loop, by hand
#
# Before we hand the loop to the library, here it is written out once. An epoch draws a permutation
# of the $N$ training digits from a seeded NumPy generator on the host, cuts it into batches of 64
# (the last one smaller), and for each batch computes the loss terms and the gradients
# (`network.loss_and_grads`: the forward pass and both backward paths of lessons 02-05) and lets
# Adam update the parameters in place. The epoch's loss is the mean over its digits (each batch's
# mean loss weighted by its size). `model.fit` runs exactly this loop, with its shuffles drawn from
# stream 1 of the seed (stream 0 drew the initial weights) and a fused step that computes the same
# numbers in reused buffers. Same seed, same numbers: we run both for a few epochs and compare the
# histories.

# %%
def train_by_hand(model, X, epochs, batch_size=64, lr=1e-2, seed=0):
    """The loop of model.fit, written out: returns the per-epoch mean of the total loss."""
    params, N = model.params, X.shape[0]
    shuffles = backend.rng(backend.spawn(seed, 4)[1])        # fit's shuffling stream
    opt, history = Adam(params, lr=lr), []
    for _ in range(epochs):
        perm = model.xp.asarray(shuffles.permutation(N), device=backend.device_of(X))
        total = 0.0
        for first in range(0, N, batch_size):
            Xb = model.xp.take(X, perm[first:first + batch_size], axis=0)     # (<= batch_size, 64)
            terms, grads = network.loss_and_grads(params, Xb, model.spec)
            opt.step(params, grads)
            total += float(terms["total"]) * Xb.shape[0]
        history.append(total / N)
    return history


def fresh_model(lam, seed=lesson.seed):
    """An untrained 64 -> n_hidden CAE on the lesson's backend."""
    return cs.ContractiveAutoencoder(64, n_hidden, lam=lam, seed=seed, **lesson.model_kwargs())


check_epochs = 3
by_hand = fresh_model(LAM)
hand_history = train_by_hand(by_hand, by_hand.asarray(X_train), check_epochs, seed=lesson.seed)
by_fit = fresh_model(LAM)
fit_history = by_fit.fit(by_fit.asarray(X_train), epochs=check_epochs, batch_size=64, lr=1e-2,
                         seed=lesson.seed, progress=False)["total"]
err_loop = max(abs(a - b) / abs(b) for a, b in zip(hand_history, fit_history))
err_loop_W = cs.rel_error(by_hand.params["W"], by_fit.params["W"])
print("epoch losses, by hand: " + ", ".join(f"{v:.6f}" for v in hand_history))
print("epoch losses, by fit:  " + ", ".join(f"{v:.6f}" for v in fit_history))
print(f"largest relative difference {err_loop:.1e}; W after {check_epochs} epochs {err_loop_W:.1e}")
assert err_loop < 1e-9 and err_loop_W < 1e-9

# %% [markdown]
# ## Train
#
# From here on `model.fit` runs that loop for us (with a progress bar when asked), recording per
# epoch the mean of the total loss and of each term over the epoch's batches. We measure the model
# on the held-out digits before and after. Expect the reconstruction to fall severalfold; whether
# the penalty falls depends on $\lambda$ (the sweep below shows what it does when nothing holds it
# back). We also measure how much the gradient itself shrinks over training, the second reason a
# fixed step size suits no stage of it.

# %%
def train(lam, seed=lesson.seed):
    model = fresh_model(lam, seed)
    history = model.fit(model.asarray(X_train), epochs=epochs, batch_size=64, lr=1e-2,
                        optimizer="adam", seed=seed, progress=False)
    return model, history


untrained = fresh_model(LAM)
before = untrained.loss_terms(untrained.asarray(X_test))
model, history = train(LAM)
after = model.loss_terms(model.asarray(X_test))
print(f"{epochs} epochs, batch 64, Adam lr 1e-2, lam = {LAM}. Held-out digits:")
for name in ("reconstruction", "contractive", "total"):
    print(f"  {name:<15} before {before[name]:8.3f}   after {after[name]:8.3f}")
assert history["total"][-1] < history["total"][0] and after["total"] < 0.5 * before["total"]
assert after["reconstruction"] < 0.5 * before["reconstruction"]

# %%
_, grads_end = network.loss_and_grads(model.params, X64, model.spec)
rms_end = {k: float(np.sqrt(np.mean(backend.to_numpy(g) ** 2))) for k, g in grads_end.items()}
shrink = min(rms0[k] / rms_end[k] for k in rms0)
print("gradient on the first 64 digits, root mean square, first step -> trained: "
      + ", ".join(f"d{k} {rms0[k]:.3f} -> {rms_end[k]:.4f}" for k in rms0)
      + f" (each at least {shrink:.0f} times smaller)")
assert shrink > 5
gap = after["total"] / history["total"][-1]
print(f"held-out / training loss in the last epoch: {gap:.2f} (close to 1: no overfitting here)")
assert gap < 1.5
history_png = plots.plot_history(history, lesson.figure("history.png"),
                                          title=f"CAE, lam = {LAM}: training loss per epoch")

# %% [markdown]
# ## What $\lambda$ trades, derived
#
# Let $\theta_1$ minimise $R + \lambda_1 P$ and $\theta_2$ minimise $R + \lambda_2 P$, with
# $\lambda_1 < \lambda_2$ ($R$: reconstruction, $P$: penalty; write $R_i = R(\theta_i)$,
# $P_i = P(\theta_i)$). Each minimiser is at least as good as the other's parameters for its own
# loss:
# $$R_1 + \lambda_1 P_1 \le R_2 + \lambda_1 P_2, \qquad
# R_2 + \lambda_2 P_2 \le R_1 + \lambda_2 P_1 .$$
# Add the two inequalities; the $R$'s cancel:
# $$(\lambda_2 - \lambda_1)(P_2 - P_1) \le 0 \quad\Rightarrow\quad P_2 \le P_1,$$
# and putting that back into the first inequality, $R_1 - R_2 \le \lambda_1(P_2 - P_1) \le 0$, so
# $R_2 \ge R_1$. **A larger $\lambda$ never buys a larger penalty and never a smaller reconstruction
# error.** The proof is about exact minimisers; Adam for a fixed budget only approximates them, so
# the sweep below checks the ends and the overall trend rather than every neighbouring pair. Same
# data, seed and epochs for every $\lambda$; both terms measured on the held-out digits (the penalty
# is measured for $\lambda = 0$ too, where training ignores it).

# %%
def plot_sweep(lams, rec, pen, path):
    """Panels: reconstruction and penalty against lam (symlog: 0 at the left), the trade-off."""
    lam_axis = {"xscale": "symlog", "linthresh": min(lams[1:]), "xticks": lams,
                "xlabel": "lam (symlog axis: 0 at the left)"}
    penalty_label = r"held-out mean $\|J(x)\|_F^2$"
    return plots.plot_panels([
        {"series": {"reconstruction (bce)": (lams, rec)}, **lam_axis,
         "ylabel": "held-out bce per digit", "title": "reconstruction rises with lam"},
        {"series": {"penalty": (lams, pen, "o-C1")}, **lam_axis, "yscale": "log",
         "ylabel": penalty_label, "title": "the penalty falls with lam"},
        {"series": {"trade-off": (pen, rec, "-C7"),
                    **{f"lam = {lam:g}": ([p], [r], "o") for lam, p, r in zip(lams, pen, rec)}},
         "xlabel": penalty_label, "ylabel": "held-out bce per digit",
         "title": "the trade-off curve"}],
        path, suptitle=f"64 -> {n_hidden} sigmoid CAE, {epochs} epochs, held-out digits", width=4.6)


models = {LAM: model}
rec, pen = [], []
print(f"{'lam':>6} {'held-out bce':>13} {'held-out mean ||J(x)||_F^2':>27}")
for lam in lams:
    if lam not in models:
        models[lam] = train(lam)[0]
    terms = models[lam].loss_terms(models[lam].asarray(X_test))
    rec.append(terms["reconstruction"])
    pen.append(terms["contractive"])
    print(f"{lam:>6g} {rec[-1]:>13.3f} {pen[-1]:>27.3f}")
print(f"untrained: penalty {before['contractive']:.3f}. Without the penalty (lam = 0) training "
      f"raised it to {pen[0]:.3f}; lam = {LAM} held it at {pen[lams.index(LAM)]:.3f}; "
      f"lam = {lams[-1]:g} cut it to {pen[-1]:.3f}")
assert pen[0] > before["contractive"] > pen[-1]
assert pen[-1] < 0.5 * pen[0], "the largest lam should at least halve the penalty"
assert rec[-1] > rec[0], "contraction is paid for in reconstruction error"
if len(lams) > 3:                                             # the trend over the whole sweep
    assert np.corrcoef(np.log(lams[1:]), np.log(pen[1:]))[0, 1] < -0.8
    assert np.corrcoef(np.log(lams[1:]), rec[1:])[0, 1] > 0.5
sweep_png = plot_sweep(lams, rec, pen, lesson.figure("lam_sweep.png"))

# %% [markdown]
# ## What the models look like
#
# Rows of $W$ are the encoder's filters: unit $k$ responds to $W_k\cdot x$. Below, the filters of
# the smallest, the chosen and the largest $\lambda$ (red positive, blue negative, one colour scale
# per row), then ten held-out digits and their reconstructions by the same three models. Watch the
# filters of the largest $\lambda$: the penalty $\sum_k s'(a_k)^2 q_k$ can be lowered by shrinking
# $q_k = \|W_k\|^2$ or by pushing units into saturation where $s' \approx 0$, and either costs
# detail in the reconstructions.

# %%
def host_filters(model):
    """The rows of W on the host: (n_hidden, 64)."""
    return backend.to_numpy(model.params["W"])


def host_reconstructions(model, images):
    """r(x) for host images, back on the host."""
    return backend.to_numpy(model.reconstruct(model.asarray(images)))


shown = [lams[0], LAM, lams[-1]]
filters_png = plots.plot_image_stack(
    [(f"filters (rows of W), lam = {lam:g}", host_filters(models[lam]), True) for lam in shown],
    lesson.figure("filters.png"), n_cols=16)
examples = X_test[:10]
recon_png = plots.plot_image_stack(
    [("held-out digits x", examples, False)]
    + [(f"reconstructions r, lam = {lam:g} (bce {rec[lams.index(lam)]:.1f})",
        host_reconstructions(models[lam], examples), False) for lam in shown],
    lesson.figure("reconstructions.png"), n_cols=10, tile=0.55)

# %% [markdown]
# ## Questions
#
# **Question 1.** With a *linear* encoder the penalty is $\|W\|_F^2$ (lesson 05). What does the
# $\lambda$ sweep then become, in words you know from linear regression?
#
# **Question 2.** The table measures the penalty of the $\lambda = 0$ model too. Why is it the
# largest, even though nothing in that model's training pushed it up on purpose?
#
# **Question 3.** The derivation says $P$ never rises with $\lambda$ *at the optimum*. Name two
# reasons a finite Adam run could break a neighbouring pair, and how you would test which one it
# was.

# %%
headline = (f"lam={LAM}: held-out bce {before['reconstruction']:.1f} -> "
            f"{after['reconstruction']:.1f} in {epochs} epochs; lam {lams[0]:g} -> {lams[-1]:g}: "
            f"penalty {pen[0]:.2f} -> {pen[-1]:.3f}, bce {rec[0]:.1f} -> {rec[-1]:.1f}")
lesson.finish(headline, {"adam_error": err_adam, "adam_uncorrected_ratio": too_large,
                         "gradient_entry_spread": entry_spread, "gradient_shrink": shrink,
                         "loop_error": err_loop, "loop_W_error": err_loop_W,
                         "before": before, "after": after, "history": history, "lams": lams,
                         "test_reconstruction": rec, "test_penalty": pen,
                         "generalisation_gap": gap})

# %% [markdown]
# ## Answers
#
# **1.** Ridge (L2) regularisation, i.e. weight decay, of a linear autoencoder: a larger $\lambda$
# shrinks the weights, and the reconstruction degrades smoothly. All the interesting behaviour of a
# CAE comes from the $s'(a)^2$ factor, which a linear encoder does not have.
#
# **2.** Reconstruction wants large weights: an 8x8 digit must be encoded in detail by 16-32 units,
# and bigger $W$ rows give sharper, more informative responses, so $q_k$ grows; the units also sit
# in their sensitive middle range ($s'$ near its maximum $1/4$), where small input changes move the
# code most. Without a counterweight the code is as sensitive as reconstruction finds useful.
#
# **3.** (a) The runs are not at their optima: a fixed number of epochs stops each at a different
# distance from it; test by training longer and seeing whether the pair reorders. (b) Seed noise:
# the minibatch order and the initialisation differ in effect between runs; test with several seeds
# and compare the difference with the seed-to-seed spread. (A third: the numbers are measured on
# held-out digits, while the inequality holds on the training set.)

# %% [markdown]
# ## Sources
#
# - D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015: the update, its
#   bias correction and the default $\beta_1 = 0.9$, $\beta_2 = 0.999$,
#   $\epsilon_{\text{Adam}} = 10^{-8}$.
# - S. Rifai, P. Vincent, X. Muller, X. Glorot and Y. Bengio, "Contractive Auto-Encoders: Explicit
#   Invariance During Feature Extraction", ICML 2011: the model and its loss, bce plus
#   $\lambda\|J(x)\|_F^2$.
# - L. Bottou, F. E. Curtis and J. Nocedal, "Optimization Methods for Large-Scale Machine Learning",
#   SIAM Review 60(2), 2018: the minibatch gradient as an unbiased estimate of the full gradient.
# - The digits: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits" (UCI Machine
#   Learning Repository, 1998), as bundled with scikit-learn (`sklearn.datasets.load_digits`).
# - The comparison of minimisers for two values of $\lambda$ is the standard argument for penalised
#   problems; it is derived in full above, and the sweep measures it.
