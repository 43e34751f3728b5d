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
# # Lesson 15 - What the reconstruction learns: the score
#
# Lesson 14 sampled from a CAE by trusting that its Jacobian knows where the data are. This lesson
# asks what a *reconstruction* knows, and answers with a theorem of Alain and Bengio (JMLR 2014):
# for a denoising autoencoder trained with small Gaussian noise of std $\tau$,
# $$r(x) - x \approx \tau^2\,\nabla_x \log p(x),$$
# the displacement a reconstruction makes points up the data's density, with a length proportional
# to the *score* $\nabla \log p$. The same holds, with $\lambda$ in place of $\tau^2$, for an
# autoencoder whose penalty is $\lambda\|\partial r/\partial x\|_F^2$, the contraction of the
# **reconstruction**. The CAE of this book penalises the **encoder's** Jacobian instead, which the
# theorem does not cover.
#
# To measure all of it we need a density whose score we know exactly: a ring of Gaussians in the
# plane. We train a denoising autoencoder (DAE), the encoder-CAE tied and untied, and the
# reconstruction-contractive autoencoder, and compare each field $r(x) - x$ with the true score by
# its cosine and its length.
#
# **You need** lessons 04-05 (a penalty's closed form and its backward) and 08 (the DAE).

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "15_what_the_reconstruction_learns", "Lesson 15 - What the reconstruction learns: the score",
    learn=["the DAE's optimum r(x) = x + tau^2 grad log p_tau(x), and its small-noise limit",
           "measured: r(x) - x of a DAE and of the reconstruction-contractive AE vs the score",
           "why the encoder-CAE is not covered, and how an untied one dodges its penalty",
           "the reconstruction-contractive penalty in closed form: O(B n_h^2), two Gram matrices"],
    need="lessons 04-05 and 08")

import numpy as np

import cae_scratch as cs
from cae_scratch import backend, gradcheck, plots, train
from cae_scratch.core import fused, reconstruction_penalty as rp
from cae_scratch.core.activations import get_activation
from cae_scratch.plots._figure import pyplot

K, RADIUS, OMEGA = 6, 1.0, 0.2                   # K Gaussians of std OMEGA, on a circle of radius 1
angles = 2 * np.pi * np.arange(K) / K
CENTRES = RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)    # (K, 2)


def draw_ring(n, seed):
    """n points of p(x) = (1/K) sum_k N(x; mu_k, OMEGA^2 I): (n, 2)."""
    gen = np.random.default_rng(seed)
    return CENTRES[gen.integers(0, K, n)] + OMEGA * gen.standard_normal((n, 2))


def log_density(X, var=OMEGA ** 2):
    """log p(x) for X: (N, 2), each component of variance ``var`` (var > OMEGA^2: p smoothed)."""
    d2 = np.sum((X[:, None, :] - CENTRES[None]) ** 2, axis=2)                 # (N, K)
    m = np.max(-d2 / (2 * var), axis=1, keepdims=True)
    return m[:, 0] + np.log(np.mean(np.exp(-d2 / (2 * var) - m), axis=1)) - np.log(2 * np.pi * var)


def score(X, var=OMEGA ** 2):
    """grad log p(x) = sum_k w_k(x) (mu_k - x) / var, w_k the posterior weight of component k."""
    diff = CENTRES[None] - X[:, None, :]                                       # (N, K, 2)
    logits = -np.sum(diff ** 2, axis=2) / (2 * var)
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    return np.sum(w[:, :, None] * diff, axis=1) / var                         # (N, 2)


n_train, epochs = (2000, 100) if lesson.quick else (2000, 250)
X = draw_ring(n_train, lesson.seed)
X_eval = draw_ring(500, lesson.seed + 1)               # where the fields are compared: points of p
fd_step = 1e-6
fd = np.stack([(log_density(X_eval + fd_step * e) - log_density(X_eval - fd_step * e))
               / (2 * fd_step) for e in np.eye(2)], axis=1)
score_error = float(np.max(np.abs(fd - score(X_eval))) / np.max(np.abs(score(X_eval))))
print(f"{n_train} training points from a ring of {K} Gaussians (radius {RADIUS}, std {OMEGA}); the "
      f"closed-form score equals finite differences of log p to {score_error:.1e}")
assert score_error < 1e-7

# %% [markdown]
# ## The denoising autoencoder's optimum, derived
#
# A DAE sees $\tilde x = x + \epsilon$, $\epsilon \sim \mathcal N(0, \tau^2 I)$, and minimises
# $\mathbb E\|r(\tilde x) - x\|^2$. With enough capacity the minimiser is the conditional mean,
# $r^*(\tilde x) = \mathbb E[x \mid \tilde x]$. The noisy points have the density
# $p_\tau = p * \mathcal N(0, \tau^2 I)$, and differentiating under the integral,
# $$\nabla p_\tau(\tilde x)
# = \int p(x)\,\frac{x - \tilde x}{\tau^2}\,\mathcal N(\tilde x; x, \tau^2 I)\,dx
#   = \frac{p_\tau(\tilde x)}{\tau^2}\big(\mathbb E[x \mid \tilde x] - \tilde x\big),$$
# so, exactly for every $\tau$ (Tweedie's formula, also Miyasawa's),
# $$r^*(x) - x = \tau^2\,\nabla \log p_\tau(x).$$
# As $\tau \to 0$, $p_\tau \to p$, which is Alain and Bengio's statement
# $r(x) - x = \tau^2\nabla\log p(x) + o(\tau^2)$. For the ring, $p_\tau$ is again a ring of
# Gaussians, of variance $\omega^2 + \tau^2$ ($\omega$ = `OMEGA`, the std of each Gaussian): we know
# both fields in closed form.
#
# We train a DAE for three noise levels and compare its field $f(x) = r(x) - x$ with a target field
# $t(x)$ on 500 fresh points of $p$ by two numbers: the **cosine**
# $\sum_n f(x_n)\cdot t(x_n) / (\|f\|\,\|t\|)$ over all the points at once (1: the same directions),
# and the **length ratio** $\|f\| / \|t\|$ (1: the same size), with $\|f\|^2 = \sum_n \|f(x_n)\|^2$.


# %%
def compare(field, target):
    """(cosine, length ratio) of two fields given at the same points: (N, 2) each."""
    norm_f, norm_t = np.sqrt(np.sum(field ** 2)), np.sqrt(np.sum(target ** 2))
    return float(np.sum(field * target) / (norm_f * norm_t)), float(norm_f / norm_t)


def make_ae(**kw):
    """2 -> 64 tanh units -> 2, a linear decoder, the squared error: a regressor for the field."""
    settings = {"tied": False, "lam": 0.0, **kw}
    return cs.ContractiveAutoencoder(2, 64, activation="tanh", decoder_activation="linear",
                                     loss="mse", seed=lesson.seed, **settings)


def field_of(model, points=X_eval):
    return backend.to_numpy(model.reconstruct(model.asarray(points))) - points


taus = [0.1, 0.2, 0.3]
dae, dae_table = {}, {}
for tau in taus:
    dae[tau] = make_ae(corruption="gaussian", noise=tau, **lesson.model_kwargs())
    dae[tau].fit(dae[tau].asarray(X), epochs=epochs, batch_size=64, lr=3e-3, seed=lesson.seed,
                 progress=False)
    f, smoothed = field_of(dae[tau]), score(X_eval, OMEGA ** 2 + tau ** 2)
    dae_table[tau] = {"p": compare(f, tau ** 2 * score(X_eval)),
                      "p_tau": compare(f, tau ** 2 * smoothed),
                      "shrink": compare(smoothed, score(X_eval))[1]}
print(f"{'tau':>4}  {'cos, p':>7} {'length, p':>10}  {'cos, p_tau':>10} {'length, p_tau':>13}  "
      f"{'|grad log p_tau| / |grad log p|':>31}")
for tau, row in dae_table.items():
    print(f"{tau:>4}  {row['p'][0]:>7.3f} {row['p'][1]:>10.3f}  {row['p_tau'][0]:>10.3f} "
          f"{row['p_tau'][1]:>13.3f}  {row['shrink']:>31.3f}")
cos_p, len_p = dae_table[0.3]["p"]
cos_tau, len_tau = dae_table[0.3]["p_tau"]
assert cos_tau > 0.8 and 0.7 < len_tau < 1.2                      # Tweedie's exact optimum: found
assert cos_tau > cos_p and len_p < 0.75 and dae_table[0.3]["shrink"] < 0.75  # the limit's: no
assert all(row["p"][0] > 0.3 for row in dae_table.values())       # up the density, at every tau
assert dae_table[0.1]["p_tau"][0] < cos_tau                       # the smallest tau: the hardest

# %% [markdown]
# What the run shows: at every $\tau$ the DAE's arrows point up the density (positive cosines with
# $\nabla\log p$). At $\tau = 0.3$ (less closely at 0.2) the field matches the *smoothed* score
# $\tau^2\nabla\log p_\tau$, the exact optimum, in direction and in length; against the theorem's
# $\tau^2\nabla\log p$ its length falls short by about the factor
# $\|\nabla\log p_\tau\| / \|\nabla\log p\|$ of the last column, which the theorem hides in its
# $o(\tau^2)$. At $\tau = 0.1$, where the theorem is most accurate, the field is the hardest to
# learn: its size is $\tau^2 |\nabla\log p|$, while the noise in the regression target
# $x - \tilde x$ has size $\tau$, so a fixed budget of examples estimates it worst.
#
# ## The encoder-CAE is not covered, and an untied one dodges its penalty
#
# The CAE of lessons 03-07 penalises $\|J\|_F^2 = \|\partial h/\partial x\|_F^2$, the *encoder's*
# Jacobian. The theorem needs the *reconstruction's*,
# $J_r = \partial r / \partial x = W_r\,\operatorname{diag}(s'(a))\,W$ for a linear decoder. With
# untied weights the two come apart. Write the identity map of the plane as $W_r W$ (possible as
# soon as $n_h \ge n_v = 2$), and use $cW, cb_h$ in the encoder, $W_r / c$ and $b_r = -W_r b_h$ in
# the decoder. For small $c$, $\tanh(c a) \approx c a$, so $r(x) \approx W_r(Wx + b_h) + b_r = x$,
# while $\|J\|_F^2$ shrinks like $c^2$: the reconstruction error and the penalty go to zero
# together. The penalty is dodged, $r$ becomes the identity ($\|J_r\|_F^2 = \|I\|_F^2 = 2$), and
# $r(x) - x = 0$ carries no score. Tied weights ($W_r = W^\top$) forbid that rescaling. We train
# both with $\lambda = 0.04$ and measure both Jacobians; the closed form for $\|J_r\|_F^2$ is
# derived in the next section.

# %%
LAM = 0.04
cae = {}
for tied in (True, False):
    cae[tied] = make_ae(tied=tied, lam=LAM, **lesson.model_kwargs())
    cae[tied].fit(cae[tied].asarray(X), epochs=epochs, batch_size=64, lr=1e-2, seed=lesson.seed,
                  progress=False)
tanh = get_activation("tanh")
cae_table = {}
for tied, model in cae.items():
    X_dev = model.asarray(X_eval)
    row = cae_table[tied] = {"J": model.contractive_penalty(X_dev),
                             "J_r": float(rp.penalty_and_grads(model.params, X_dev, tanh, tied)[0]),
                             "field": compare(field_of(model), LAM * score(X_eval))}
    print(f"encoder-CAE, {'tied  ' if tied else 'untied'}: mean ||J||_F^2 = {row['J']:.3f}, mean "
          f"||J_r||_F^2 = {row['J_r']:.3f} (identity: 2); against lam grad log p: cosine "
          f"{row['field'][0]:.3f}, length {row['field'][1]:.3f}")
tied_row, untied_row = cae_table[True], cae_table[False]
assert untied_row["J"] < 0.1 * tied_row["J"] and untied_row["J_r"] > 0.9 * 2.0   # the dodge
assert untied_row["field"][1] < 0.1                                               # so r(x) - x ~ 0
assert tied_row["field"][0] > untied_row["field"][0] and tied_row["J_r"] < untied_row["J_r"]

# %% [markdown]
# ## The reconstruction-contractive penalty, in closed form
#
# For a linear decoder, $J_r = W_r\,\operatorname{diag}(d)\,W$ with $d = s'(a)$, and the trace is
# cyclic:
# $$\|J_r\|_F^2
# = \operatorname{tr}\big(\operatorname{diag}(d)\,W_r^\top W_r\, \operatorname{diag}(d)\,W
# W^\top\big) = \sum_{k,l} d_k\, d_l\, (W_r^\top W_r)_{kl}\,(W W^\top)_{kl} = d^\top M d,
#   \qquad M = C_r \odot C,$$
# with the two Gram matrices $C = WW^\top$ and $C_r = W_r^\top W_r$, both $(n_h, n_h)$. On a batch,
# $P_r = \frac1B\sum_n d_n^\top M d_n$ costs $O(n_h^2 n_v)$ for the Grams and $O(B n_h^2)$ for the
# batch: no $(B, n_v, n_v)$ tensor. The backward, by hand (`core/reconstruction_penalty.py` writes
# it out):
#
# - through $a$: $\partial P_r/\partial D_1 = \frac2B D_1 M$ ($M$ is symmetric), so
#   $dA = \frac2B (D_1 M) \odot D_2$, which joins the encoder's $dA^\top X$;
# - through the Grams: with $S = \frac1B D_1^\top D_1$, $\partial P_r/\partial C = S \odot C_r$ and
#   $\partial P_r/\partial C_r = S \odot C$, so
#   $\partial P_r/\partial W \mathrel{+}= 2(S \odot C_r)W$ and
#   $\partial P_r/\partial W_r = 2W_r(S \odot C)$;
# - tied ($W_r = W^\top$): the decoder's share folds into $W$ as $2(S \odot C)W$.
#
# We check the closed form against $J_r$ built explicitly, the backward against finite differences,
# and that the checker rejects a backward that forgets the $W_r$ path (a negative control).

# %%
params = {k: backend.to_numpy(v) for k, v in cae[False].params.items()}
X_small = X_eval[:20]
J_r = rp.reconstruction_jacobian(params, X_small, tanh, False)          # (20, 2, 2), explicitly
P_r, grads = rp.penalty_and_grads(params, X_small, tanh, False)
closed_error = abs(float(P_r) - float(np.mean(np.sum(J_r ** 2, axis=(1, 2))))) / float(P_r)
penalty_of = lambda p: rp.penalty_and_grads(p, X_small, tanh, False)[0]
report = gradcheck.check_gradients(penalty_of, params, grads, max_entries=32)
no_W_r = gradcheck.check_gradients(penalty_of, params, {**grads, "W_r": 0.0 * grads["W_r"]},
                                   max_entries=32)
grad_error, wrong_error = gradcheck.max_error(report), gradcheck.max_error(no_W_r)
print(f"closed form vs explicit J_r: relative difference {closed_error:.1e}; hand gradient vs "
      f"finite differences: {grad_error:.1e}; with the W_r path dropped: {wrong_error:.2f} "
      "(rejected)")
assert closed_error < 1e-12 and grad_error < 1e-7 and wrong_error > 1e-2

# %% [markdown]
# Now do exercise 13: `python -m lessons.exercises copy 13` (derive this backward yourself; the
# grader differentiates the explicit $\|W_r\operatorname{diag}(s')W\|_F^2$, not your closed form).
#
# ## Why the penalty on $r$ learns the score
#
# In one dimension, minimise $\int p(x)\big[(r(x) - x)^2 + \lambda\, r'(x)^2\big]dx$ over functions
# $r$. The Euler-Lagrange equation is $p\,(r - x) = \lambda\,(p\, r')'$, so
# $$r(x) - x = \lambda\,\frac{p'(x)\,r'(x) + p(x)\,r''(x)}{p(x)}
#   = \lambda\,\frac{d}{dx}\log p(x) + o(\lambda),$$
# because $r' = 1 + O(\lambda)$ and $r'' = O(\lambda)$. Alain and Bengio prove the same in $n$
# dimensions. It is the DAE's result with $\lambda = \tau^2$: expanding $r(x + \epsilon)$ to first
# order, $\mathbb E\|r(x + \epsilon) - x\|^2 \approx \|r(x) - x\|^2 + \tau^2\|J_r\|_F^2$. We train
# the reconstruction-contractive autoencoder (RCAE) with $\lambda = 0.04 = 0.2^2$: `train.fit` takes
# our step, the squared error's backward plus $\lambda$ times the penalty's. The two penalised
# models (this one and the encoder-CAEs) train with a step size of $10^{-2}$, the DAEs with
# $3 \cdot 10^{-3}$ (a choice: a DAE's regression target is noisy).

# %%
rcae = make_ae(**lesson.model_kwargs())
squared_error = fused.FusedStep()            # the squared error's step (spec.lam = 0), buffers kept


def rcae_step(params, Xb, spec, target=None):
    """(terms, grads) of mean ||r - x||^2 + LAM mean ||J_r||_F^2 ("contractive": ||J_r||^2 here)."""
    terms, grads = squared_error(params, Xb, spec)
    P_r, pen = rp.penalty_and_grads(params, Xb, tanh, spec.tied)
    grads = {k: g + LAM * pen[k] if k in pen else g for k, g in grads.items()}
    rec = terms["reconstruction"]
    return {"total": rec + LAM * P_r, "reconstruction": rec, "contractive": P_r}, grads


train.fit(rcae.params, rcae.asarray(X), rcae.spec, epochs=epochs, batch_size=64, lr=1e-2,
          seed=lesson.seed, progress=False, step=rcae_step)
rcae_p = compare(field_of(rcae), LAM * score(X_eval))
rcae_smooth = compare(field_of(rcae), LAM * score(X_eval, OMEGA ** 2 + LAM))
print(f"RCAE (lam = {LAM}): against lam grad log p: cosine {rcae_p[0]:.3f}, length "
      f"{rcae_p[1]:.3f}; against lam grad log p smoothed by variance lam: cosine "
      f"{rcae_smooth[0]:.3f}, length {rcae_smooth[1]:.3f}")
print(f"  the DAE with tau^2 = {LAM}: cosine {dae_table[0.2]['p'][0]:.3f}, length "
      f"{dae_table[0.2]['p'][1]:.3f}; the tied encoder-CAE: {tied_row['field'][0]:.3f}, "
      f"{tied_row['field'][1]:.3f}")
assert rcae_p[0] > 0.8 and rcae_p[0] > tied_row["field"][0] + 0.2     # direction: the theorem's
assert rcae_p[1] < 0.75 and rcae_smooth[0] > rcae_p[0]                # length: short, as the DAE's

# %% [markdown]
# What the run shows: the RCAE's field points along the score (cosine printed above), far better
# than the tied encoder-CAE's with the same $\lambda$, and, like the DAE's, it is shorter than
# $\lambda\nabla\log p$: at $\lambda = 0.04$ the $o(\lambda)$ term is not small on a ring whose
# Gaussians have variance $0.04$. The smoothed score describes it better, an observation here, not a
# theorem: for the RCAE no exact formula like Tweedie's is known to us.
#
# The pictures: each field drawn over the density's contours, at the points where $p_\tau$ is not
# negligible, with one arrow scale for all panels (so lengths compare across panels).


# %%
def plot_fields(panels, path, n_cols=3):
    """PNG: quiver plots of (title, points (N, 2), field (N, 2)) over contours of log p, with one
    arrow scale for all panels (the longest arrow 0.3 units long)."""
    plt = pyplot()
    side = np.linspace(-1.7, 1.7, 120)
    GX, GY = np.meshgrid(side, side)
    logp = log_density(np.stack([GX.ravel(), GY.ravel()], axis=1)).reshape(GX.shape)
    n_rows = -(-len(panels) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.2 * n_cols, 4.2 * n_rows), squeeze=False)
    longest = max(float(np.max(np.linalg.norm(f, axis=1))) for _, _, f in panels)
    for ax, (title, points, field) in zip(axes.flat, panels):
        ax.contour(GX, GY, logp, levels=np.linspace(logp.max() - 6, logp.max(), 7), cmap="Greys",
                   linewidths=0.7)
        ax.quiver(points[:, 0], points[:, 1], field[:, 0], field[:, 1], angles="xy",
                  scale_units="xy", scale=longest / 0.3, color="C3", width=0.004)
        ax.set(title=title, aspect="equal", xlim=(-1.7, 1.7), ylim=(-1.7, 1.7))
        ax.title.set_fontsize(9)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    return plots.save_figure(fig, path)


side = np.linspace(-1.6, 1.6, 17)
grid = np.stack(np.meshgrid(side, side), axis=-1).reshape(-1, 2)
T2 = 0.2 ** 2
smooth = log_density(grid, OMEGA ** 2 + T2)
grid = grid[smooth > smooth.max() - 5.0]                                # where the noisy data live
fields_png = plot_fields([
    ("the theorem: $\\tau^2 \\nabla \\log p$, $\\tau^2 = 0.04$", grid, T2 * score(grid)),
    ("the exact DAE optimum: $\\tau^2 \\nabla \\log p_\\tau$", grid,
     T2 * score(grid, OMEGA ** 2 + T2)),
    ("DAE, $\\tau = 0.2$: $r(x) - x$", grid, field_of(dae[0.2], grid)),
    ("RCAE, $\\lambda = 0.04$: $r(x) - x$", grid, field_of(rcae, grid)),
    ("encoder-CAE, tied, $\\lambda = 0.04$", grid, field_of(cae[True], grid)),
    ("encoder-CAE, untied, $\\lambda = 0.04$", grid, field_of(cae[False], grid))],
    lesson.figure("fields.png"))

# %% [markdown]
# What the theorem predicts, and what the run confirms: a DAE's and an RCAE's $r(x) - x$ point along
# $\nabla\log p$ (cosines printed above), and a penalty on the *encoder* alone does not give that
# field: untied, it is dodged ($\|J\|_F^2$ tiny, $\|J_r\|_F^2$ at the identity's 2,
# $r(x) - x \approx 0$); tied, it contracts $r$ only partly and its field is much less aligned. What
# it does not predict: the length at a finite $\tau$ or $\lambda$, which here is well short of
# $\tau^2\nabla\log p$, and how far from the data the field is right: the arrows outside the ring
# are extrapolations of a network that saw few points there.
#
# ## Questions
#
# **Question 1.** Tweedie's formula holds for every $\tau$; the theorem only as $\tau \to 0$. Why
# would one still want a small $\tau$ when the goal is the score of $p$ itself?
#
# **Question 2.** Where in the ring is $\nabla\log p$ zero, and what does that mean for the cosine
# measured there (and why do we pool the cosine over all points instead of averaging per point)?
#
# **Question 3.** Why is the closed form for $\|J_r\|_F^2$ limited to a linear decoder? What would a
# sigmoid decoder add?

# %%
lesson.finish(f"DAE (tau = 0.3) vs tau^2 grad log p_tau: cosine {cos_tau:.2f}; RCAE vs lam grad "
              f"log p: cosine {rcae_p[0]:.2f}; untied encoder-CAE ||J||^2 = {untied_row['J']:.3f}, "
              f"||J_r||^2 = {untied_row['J_r']:.2f}",
              {"score_error": score_error, "dae": {str(t): row for t, row in dae_table.items()},
               "cae_tied": tied_row, "cae_untied": untied_row, "closed_error": closed_error,
               "grad_error": grad_error, "wrong_error": wrong_error, "rcae": rcae_p,
               "rcae_smooth": rcae_smooth})

# %% [markdown]
# ## Answers
#
# **1.** Because $p_\tau$ is not $p$: its score is that of a blurred density (on the ring, Gaussians
# of variance $\omega^2 + \tau^2$ instead of $\omega^2$), so at a large $\tau$ the DAE learns the
# right field of the wrong density. A small $\tau$ trades that bias for variance: the field to learn
# shrinks like $\tau^2$ while the target's noise shrinks only like $\tau$, so it needs more data, as
# the $\tau = 0.1$ row showed.
#
# **2.** At the centres of the Gaussians (the modes) and at the centre of the ring (a minimum, by
# symmetry), and on the saddles between neighbouring modes. There the field's direction is
# undefined, and any small error turns a per-point cosine to an arbitrary value; pooling weights
# each point by the length of its arrows, so the points where the field is well defined count most.
#
# **3.** With $r = g(z)$, $J_r = \operatorname{diag}(g'(z))\,W_r\,\operatorname{diag}(s'(a))\,W$,
# and the extra diagonal sits between $W_r^\top$ and $W_r$:
# $\|J_r\|_F^2 = \sum_{k,l} d_k d_l\,(W_r^\top \operatorname{diag}(g'^2) W_r)_{kl}\,C_{kl}$. The
# middle Gram then depends on the example, an $(n_h, n_h)$ matrix per example: $O(B\,n_h^2\,n_v)$
# instead of $O(B\,n_h^2)$.
#
# ## Sources
#
# - G. Alain and Y. Bengio, *What regularized auto-encoders learn from the data-generating
#   distribution*, JMLR 15 (2014): the DAE and RCAE theorems ($r(x) - x \approx \tau^2\nabla\log p$,
#   $\lambda\nabla\log p$) and their proofs.
# - P. Vincent, *A connection between score matching and denoising autoencoders*, Neural Computation
#   23 (2011): denoising as score matching of the smoothed density $p_\tau$.
# - Y. Bengio, G. Alain and S. Rifai, *Implicit density estimation by local moment matching to
#   sample from auto-encoders*, arXiv:1207.0057 (2012): a contractive reconstruction estimates the
#   local mean.
# - S. Rifai, Y. Bengio, Y. Dauphin and P. Vincent, *A generative process for sampling contractive
#   auto-encoders*, ICML 2012: the encoder-CAE whose sampler lesson 14 runs.
# - Tweedie's formula as used here: B. Efron, *Tweedie's formula and selection bias*, JASA 106
#   (2011); K. Miyasawa (1961) derived the same identity for Gaussian noise.
