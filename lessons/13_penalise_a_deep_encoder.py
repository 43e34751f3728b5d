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
# # Lesson 13 - Penalise a deep encoder end to end
#
# <!-- summary: An unbiased probe estimate of a deep encoder's Jacobian penalty, forward mode and
# its backward by hand, three public mistakes measured, and joint against greedy training. -->
#
# Lesson 11 stacked CAEs greedily: each layer contracts its own input, and nothing asks the *whole*
# encoder $x \mapsto h_L$ to contract. Penalising the whole encoder needs
# $\|J_{\text{stack}}(x)\|_F^2$ with $J_{\text{stack}} = J_L \cdots J_1$, and lesson 11 showed that
# it has no cheap closed form: the product must be built, $O(n_L n_0)$ numbers per example and a
# batched product per layer. This lesson trades the exact value for an unbiased estimate that never
# builds $J$:
#
# $$\mathbb E_u\, \|J u\|^2 = \|J\|_F^2 \quad\text{for any random } u
#   \text{ with } \mathbb E[u u^\top] = I,$$
#
# and $J u$ costs one extra product per layer, carried beside the forward pass (*forward mode*, or
# tangent propagation). We derive the estimate and its spread; derive the recursion for $J u$ and
# its backward by hand and check both; run three versions seen in public answers and measure the
# error each derivation predicts; and train the stack *jointly* with the estimate, beside the greedy
# stack.
#
# **You need** lessons 05 (a penalty's two gradient paths), 06 (gradient checks) and 11 (stacks).

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "13_penalise_a_deep_encoder", "Lesson 13 - Penalise a deep encoder end to end",
    learn=["E_u ||J u||^2 = ||J||_F^2 for E[u u^T] = I, and the estimate's variance per probe kind",
           "forward mode: t_l = s_l'(a_l) * (W_l t_{l-1}), and its backward by hand",
           "three public versions and the error each makes, predicted then measured",
           "a deep CAE trained jointly against the greedy stack: what it contracts, what it costs"],
    need="lessons 05, 06 and 11")

import time

import numpy as np

import cae_scratch as cs
from cae_scratch import backend, data, plots
from cae_scratch.core import deep, forward_mode

Xtr, ytr, Xte, yte = data.load_digits(test_fraction=0.25, seed=lesson.seed)
sizes = [64, 48, 32]
epochs = 8 if lesson.quick else 30
greedy = cs.StackedCAE(sizes, lam=0.1, seed=lesson.seed, **lesson.model_kwargs())
greedy.fit(greedy.asarray(Xtr), epochs=epochs, batch_size=64, lr=1e-2, seed=lesson.seed,
           progress=False)
X = greedy.asarray(Xte[:64])
J = backend.to_numpy(greedy.jacobian(X))           # (64, 32, 64): lesson 11's explicit product
frob = np.sum(J * J, axis=(1, 2))                                # ||J_stack(x_n)||_F^2 per example
print(f"a greedy stack {' -> '.join(map(str, sizes))}, {epochs} epochs a layer; "
      f"mean ||J_stack||_F^2 = "
      f"{frob.mean():.4f} on {len(frob)} test digits")

# %% [markdown]
# ## An unbiased estimate
#
# For a fixed $J$ and a random vector $u$,
# $\|Ju\|^2 = u^\top J^\top J u = \operatorname{tr}(J^\top J\, u u^\top)$, and the trace is linear,
# so
#
# $$\mathbb E_u \|J u\|^2 = \operatorname{tr}\!\big(J^\top J\; \mathbb E[u u^\top]\big)
#   = \operatorname{tr}(J^\top J) = \|J\|_F^2$$
#
# whenever $\mathbb E[u u^\top] = I$: standard normal entries (Gaussian probes) or independent
# random signs (Rademacher probes, Hutchinson 1989). Averaging $k$ probes per example gives
# $\hat P = \frac{1}{Bk}\sum_{n,i} \|J(x_n) u_{ni}\|^2$, with
# $\mathbb E\,\hat P = \frac1B \sum_n \|J(x_n)\|_F^2$.
#
# How far is one probe from the mean? With $A = J^\top J$ (symmetric), $\|Ju\|^2 = u^\top A u$, and
# the standard results for quadratic forms give
#
# $$\operatorname{Var}_{\text{Gauss}}(u^\top A u) = 2\,\|A\|_F^2 = 2 \sum_i \sigma_i^4, \qquad
#   \operatorname{Var}_{\text{Rademacher}}(u^\top A u) = 2\Big(\|A\|_F^2 - \sum_j A_{jj}^2\Big),$$
#
# where $\sigma_i$ are the singular values of $J$. The Rademacher probe drops the diagonal's share:
# it is never worse, and much better when $A$ is nearly diagonal. We measure both on the stack's
# Jacobians against these formulas.

# %%
A = np.einsum("nij,nik->njk", J, J)                               # J^T J per example: (64, 64, 64)
var_gauss = 2 * np.sum(A * A, axis=(1, 2))
var_rad = var_gauss - 2 * np.sum(np.einsum("njj->nj", A) ** 2, axis=1)
n_draws = 400 if lesson.quick else 2000
rows = []
for probe in ("gaussian", "rademacher"):
    U = backend.to_numpy(greedy.probes(len(frob), n_draws, probe=probe, seed=lesson.seed))
    est = np.sum(np.einsum("nij,nkj->nki", J, U) ** 2, axis=2)     # (64, n_draws): one probe each
    measured = est.var(axis=1, ddof=1)
    theory = var_gauss if probe == "gaussian" else var_rad
    rows.append((probe, float(np.mean(est.mean(axis=1) / frob)),
                 float(np.median(measured / theory)),
                 float(np.mean(np.sqrt(theory) / frob))))
print(f"{'probe':>11} | mean/||J||^2 | measured var / theory | std of one probe / ||J||^2")
for probe, ratio, var_ratio, rel_std in rows:
    print(f"{probe:>11} | {ratio:12.3f} | {var_ratio:21.2f} | {rel_std:.2f}")
for _, ratio, var_ratio, _ in rows:
    assert abs(ratio - 1) < 0.05 and 0.8 < var_ratio < 1.25
assert rows[1][3] < rows[0][3]                                   # Rademacher: the smaller spread

# %% [markdown]
# Both estimates are centred on $\|J\|_F^2$ (the first column is the mean over the draws divided by
# the exact value), both spreads match their formulas (second column), and the Rademacher probe's is
# the smaller (third column: the standard deviation of a one-probe estimate relative to the value).
# The library draws Rademacher probes by default. Averaged over a batch of $B$ examples the relative
# spread shrinks like $1/\sqrt{Bk}$, which is what a training step sees.
#
# ## Forward mode: $J u$ beside the forward pass
#
# Differentiate $h_l = s_l(a_l)$, $a_l = W_l h_{l-1} + b_l$ along a direction $u$ of the input:
# write $t_l = \frac{d}{d\epsilon} h_l(x + \epsilon u)\big|_{\epsilon=0}$. Then $t_0 = u$ and, by
# the chain rule,
#
# $$t_l = s_l'(a_l) \odot (W_l\, t_{l-1}), \qquad J_{\text{stack}}\,u = t_L .$$
#
# One extra matrix product per layer (all $Bk$ directions in one product), never $J$. The backward
# of $\hat P$ with $\partial \hat P / \partial t_L = \frac{2}{Bk} t_L$ runs the recursion in
# reverse. With $\tilde t_l = W_l t_{l-1}$ (the direction before the slopes) and an upstream
# $\delta t_l = \partial L / \partial t_l$:
#
# $$\frac{\partial L}{\partial a_l} \mathrel{+}= s_l''(a_l) \odot \sum_i \delta t_{l,i} \odot
#   \tilde t_{l,i}, \qquad
#   \frac{\partial L}{\partial W_l} \mathrel{+}= \sum_{n,i} (s_l'(a_l) \odot \delta t_l)\,
#   t_{l-1}^\top, \qquad
#   \delta t_{l-1} = W_l^\top (s_l'(a_l) \odot \delta t_l).$$
#
# The first term is the path through the slopes $s'(a_l)$, which joins the encoder's own backward as
# the contractive penalty's did in lesson 05; the second is the path through $W_l t_{l-1}$: $W_l$ is
# used twice, so its gradient has two terms. We check $t_L$ against $J u$ from the explicit product,
# then the whole deep step by finite differences.

# %%
U = greedy.probes(X.shape[0], 3, seed=lesson.seed)
Ws = [layer.params["W"] for layer in greedy.layers]
acts = [cs.get_activation("sigmoid")] * len(Ws)
_, caches = deep.encoder_forward(Ws, [layer.params["b_h"] for layer in greedy.layers], X, acts)
T, _ = forward_mode.tangents_forward(Ws, caches, U)
err_forward = cs.rel_error(T, np.einsum("nij,nkj->nki", J, backend.to_numpy(U)))
print(f"t_L by forward mode vs J_stack u by the explicit product: rel error {err_forward:.1e}")
assert err_forward < 1e-12

# %%
small = cs.StackedCAE([10, 7, 5], lam=0.1, seed=lesson.seed)    # small enough to check every entry
Xs = np.random.default_rng(lesson.seed).uniform(0.05, 0.95, size=(4, 10))
Us = small.probes(4, 2, seed=lesson.seed)
flat = small._flat_params()


def deep_loss(params):
    specs = [l_.spec for l_ in small.layers]
    return float(deep.autoencoder_loss_and_grads(params, Xs, specs, Us, 1.0)[0]["total"])


_, grads = deep.autoencoder_loss_and_grads(flat, Xs, [l_.spec for l_ in small.layers], Us, 1.0)
report = cs.check_gradients(deep_loss, flat, grads, h=1e-5, max_entries=200)
err_step = cs.gradcheck.max_error(report)
print(cs.gradcheck.format_report(report))
assert err_step < 1e-7

# %% [markdown]
# ## Three versions from public answers, and their errors
#
# "How do I put the CAE penalty on a deep encoder?" has public answers that compute something else.
# Each is a small change to the estimate above, so the derivation predicts its error:
#
# 1. **Unit-norm probes.** Drawing $u$ uniformly on the unit sphere gives
#    $\mathbb E[uu^\top] = I/n_0$, so the estimate is $\|J\|_F^2 / n_0$: off by exactly $1/n_0$
#    ($1/64$ here, $1/784$ on MNIST) unless the probe is rescaled by $\sqrt{n_0}$.
# 2. **The norm of the product of the weights**, $\|W_L \cdots W_1\|_F^2$: the activations' slopes
#    are dropped. Where every unit sits at $a = 0$ a sigmoid's slope is $1/4$, so
#    $J = 4^{-L}\, W_L \cdots W_1$ and the weights' product overstates $\|J\|_F^2$ by exactly
#    $4^{2L}$; at the data it is off by the slopes there.
# 3. **The last layer's closed form** $\sum_k s'(a_{L,k})^2 \|W_{L,k}\|^2$: lesson 04's formula, but
#    it is $\|J_L\|_F^2$, the Jacobian with respect to $h_{L-1}$, not $x$.

# %%
n0 = sizes[0]
U_sphere = backend.to_numpy(greedy.probes(len(frob), 200, probe="gaussian", seed=lesson.seed + 1))
U_sphere /= np.linalg.norm(U_sphere, axis=2, keepdims=True)
ratio_1 = float(np.mean(np.sum(np.einsum("nij,nkj->nki", J, U_sphere) ** 2, axis=2)) / frob.mean())
W_np = [backend.to_numpy(w) for w in Ws]
weights_product = float(np.sum((W_np[1] @ W_np[0]) ** 2))
ratio_2 = weights_product / frob.mean()
H1 = backend.to_numpy(greedy.layers[0].encode(X))
last = greedy.layers[-1]
ratio_3 = last.contractive_penalty(last.asarray(H1)) / frob.mean()
# the control for 2: biases that put every unit of one input at a = 0 (slopes exactly 1/4)
x0 = Xte[:1]
zero_b1 = -(x0 @ W_np[0].T)[0]
h1_0 = np.full((1, sizes[1]), 0.5)
zero_b2 = -(h1_0 @ W_np[1].T)[0]
J0 = (0.25 * W_np[1]) @ (0.25 * W_np[0])
ratio_2_control = float(np.sum((W_np[1] @ W_np[0]) ** 2) / np.sum(J0 ** 2))
at_zero = cs.StackedCAE(sizes, lam=0.1, seed=lesson.seed)
for layer, W, b in zip(at_zero.layers, W_np, (zero_b1, zero_b2)):
    layer.params = {**layer.params, "W": W, "b_h": b}
J_at_zero = at_zero.jacobian(x0)
print(f"1. unit-norm probes: estimate / ||J||^2 = {ratio_1:.4f}, predicted 1/n_0 = {1 / n0:.4f}")
print(f"2. ||W_2 W_1||_F^2 / ||J||^2 = {ratio_2:.0f} at the data; at a point where every a = 0: "
      f"{ratio_2_control:.0f}, predicted 4^(2L) = {4 ** 4}")
print(f"3. last layer's closed form / ||J_stack||^2 = {ratio_3:.3f} "
      "(it measures ||J_2||_F^2, not ||J_2 J_1||_F^2)")
assert abs(ratio_1 * n0 - 1) < 0.05
assert abs(ratio_2_control - 4 ** 4) < 1e-9 * 4 ** 4 and cs.rel_error(J_at_zero[0], J0) < 1e-12
assert ratio_2 > 10
assert abs(ratio_3 - 1) > 0.2

# %% [markdown]
# ## Train the whole encoder: joint against greedy
#
# The deep autoencoder is the stack unrolled: encoder layers $1..L$, then the tied decoders in
# reverse, $r_{l-1} = g(W_l^\top r_l + b_{r,l})$ (with layer $l$'s own decoder activation $g$) and
# $r_L = h_L$, so a greedily trained stack is its starting point. `stack.fine_tune` trains every
# layer together on $\frac1B\sum_n \ell(x_n, r_0(x_n)) + \lambda \hat P$ with one fresh Rademacher
# probe per example per step. We fine-tune a copy of the greedy stack with the penalty and another
# without it (the same steps: the control), and compare what each contracts and what a step costs.

# %%
def fine_tuned(lam):
    stk = cs.StackedCAE(sizes, lam=0.1, seed=lesson.seed, **lesson.model_kwargs())
    for mine, theirs in zip(stk.layers, greedy.layers):
        mine.params = theirs.params
    start = time.perf_counter()
    history = stk.fine_tune(stk.asarray(Xtr), epochs=epochs, lam=lam, batch_size=64, lr=1e-3,
                            seed=lesson.seed, progress=False)
    return stk, history, time.perf_counter() - start


joint, h_joint, t_joint = fine_tuned(0.5)
plain, h_plain, t_plain = fine_tuned(0.0)
norms = {name: float(np.mean(np.sum(backend.to_numpy(stk.jacobian(X)) ** 2, axis=(1, 2))))
         for name, stk in (("greedy stack", greedy), ("fine-tuned, lam = 0", plain),
                           ("joint, lam = 0.5", joint))}
rec = {name: stk.loss_and_grads(X, lam=0.0)[0]
       for name, stk in (("greedy stack", greedy), ("fine-tuned, lam = 0", plain),
                         ("joint, lam = 0.5", joint))}
for name in norms:
    print(f"{name:>20}: mean ||J_stack||_F^2 = {norms[name]:.4f}, "
          f"deep reconstruction bce = {rec[name]:.2f}")
print(f"fine-tuning time: {t_joint:.1f} s with the penalty, {t_plain:.1f} s without")
assert norms["joint, lam = 0.5"] < norms["greedy stack"]
assert norms["joint, lam = 0.5"] < norms["fine-tuned, lam = 0"]
assert h_joint["contractive"][-1] < h_joint["contractive"][0]

# %%
def curve(stk, radii, n_dirs=4):
    """mean ||h_L(x + t u) - h_L(x)|| / t over test digits and random unit directions u."""
    gen = np.random.default_rng(lesson.seed)
    Xh = Xte[:128]
    H0 = backend.to_numpy(stk.encode(stk.asarray(Xh)))
    out = []
    for t in radii:
        vals = []
        for _ in range(n_dirs):
            Ud = gen.standard_normal(Xh.shape)
            Ud /= np.linalg.norm(Ud, axis=1, keepdims=True)
            Xt = np.clip(Xh + t * Ud, 0.0, 1.0)          # the encoder takes inputs in [0, 1]
            vals.append(np.linalg.norm(backend.to_numpy(stk.encode(stk.asarray(Xt))) - H0, axis=1)
                        / np.linalg.norm(Xt - Xh, axis=1))
        out.append(float(np.mean(vals)))
    return np.array(out)


radii = np.logspace(-2, 0.5, 6)
stacks = {"greedy stack": greedy, "fine-tuned, lam = 0": plain, "joint, lam = 0.5": joint}
curves = {name: curve(stk, radii) for name, stk in stacks.items()}
spectra = {name: np.mean(np.linalg.svd(backend.to_numpy(stk.jacobian(X)), compute_uv=False), axis=0)
           for name, stk in stacks.items()}
assert np.all(curves["joint, lam = 0.5"][:3] < curves["greedy stack"][:3])
plots.plot_panel_grid(
    [{"series": {n: (radii, c) for n, c in curves.items()}, "xscale": "log", "xlabel": "radius t",
      "ylabel": "mean ||h(x + t u) - h(x)|| / ||move||",
      "title": "contraction of the whole encoder"},
     {"series": {n: (np.arange(1, 33), s) for n, s in spectra.items()}, "yscale": "log",
      "xlabel": "i",
      "ylabel": "mean sigma_i of J_stack", "title": "singular values of J_stack (test digits)"}],
    lesson.figure("joint_vs_greedy.png"), n_cols=2, panel_size=(5.2, 3.9))

# %% [markdown]
# The joint penalty lowers $\|J_{\text{stack}}\|_F^2$ below both the greedy stack's and the
# control's (fine-tuned as long without it), and its contraction curve lies below the greedy stack's
# at small radii. A step costs about one more forward and one more backward pass through the
# encoder's weights (the times printed above).
#
# Now do exercise 14: `python -m lessons.exercises copy 14`, the backward of the two-layer
# forward-mode penalty, graded by finite differences.
#
# ## Questions
#
# **Question 1.** Why can't one probe per example estimate $\|J\|_F^2$ *exactly*, even for a
# $1 \times n$ Jacobian, with Rademacher signs? And when can it?
#
# **Question 2.** The estimate's gradient is itself random. Is it an unbiased estimate of the
# gradient of $\frac1B\sum_n\|J(x_n)\|_F^2$?
#
# **Question 3.** What does forward mode cost per layer, compared with building $J_{\text{stack}}$
# by lesson 11's product?

# %%
lesson.finish(f"t_L = J u to {err_forward:.0e}; deep step vs finite differences {err_step:.0e}; "
              f"||J_stack||^2 {norms['greedy stack']:.2f} (greedy) -> "
              f"{norms['joint, lam = 0.5']:.2f} (joint)",
              {"err_forward": err_forward, "err_step": err_step, "ratio_1": ratio_1,
               "ratio_2": ratio_2, "ratio_2_control": ratio_2_control, "ratio_3": ratio_3,
               "spread": rows, "norms": norms})

# %% [markdown]
# ## Answers
#
# **1.** For a $1 \times n$ Jacobian $J = c^\top$,
# $\|Ju\|^2 = (c^\top u)^2 = \sum_{j,m} c_j c_m u_j u_m$, and with signs $u_j^2 = 1$, so the
# estimate is $\|c\|^2 + \sum_{j \ne m} c_j c_m u_j u_m$: the cross terms vanish on average, not
# draw by draw. Every draw is exact only when $J^\top J$ is diagonal (the Rademacher variance
# $2(\|A\|_F^2 - \sum_j A_{jj}^2)$ is then 0), that is, when no two columns of $J$ overlap; for a
# $1 \times n$ Jacobian, when it has at most one nonzero entry.
#
# **2.** Yes. For fixed parameters
# $\hat P = \frac{1}{Bk}\sum_{n,i} \operatorname{tr}(J(x_n)^\top J(x_n)\, u_{ni} u_{ni}^\top)$ is
# linear in the matrices $u u^\top$, so its gradient with respect to any parameter is linear in them
# too, and the expectation passes through:
# $\mathbb E_u \nabla \hat P = \nabla\, \mathbb E_u \hat P = \nabla \frac1B \sum_n \|J(x_n)\|_F^2$.
# Stochastic gradient descent needs exactly that.
#
# **3.** One product of $(Bk \times n_{l-1})$ by $W_l^\top$ per layer, as much as the forward pass
# with $Bk$ more rows, and the same again backward. Lesson 11's product costs
# $O(B\, n_l n_{l-1} n_0)$ per layer: $n_0$ times the forward pass for $k = 1$.

# %% [markdown]
# ## Sources
#
# - S. Rifai, P. Vincent, X. Muller, X. Glorot, Y. Bengio, *Contractive auto-encoders*, ICML 2011.
# - M. F. Hutchinson, *A stochastic estimator of the trace of the influence matrix for Laplacian
#   smoothing splines*, Communications in Statistics, 1989 (the Rademacher trace estimator).
# - P. Simard, B. Victorri, Y. LeCun, J. Denker, *Tangent prop*, NIPS 1991 (forward-mode propagation
#   of tangent vectors).
# - J. Hoffman, D. A. Roberts, S. Yaida, *Robust learning with Jacobian regularization*,
#   arXiv:1908.02729, 2019 (random projections of the Jacobian with unit-norm probes, rescaled by
#   the dimension).
# - S. Rifai, Y. Dauphin, P. Vincent, Y. Bengio, X. Muller, *The manifold tangent classifier*, NIPS
#   2011 (stacked contractive layers).
