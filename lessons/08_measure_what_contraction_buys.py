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
# # Lesson 08 - Measure what contraction buys
#
# Lesson 07 showed the price of the penalty: a smaller $\|J(x)\|_F^2$ costs some reconstruction.
# This lesson measures what it buys. The promise of Rifai et al. (2011) is geometric: real data lie
# near a low-dimensional surface (a *manifold*) in pixel space; a good code should change when $x$
# moves **along** the surface (a digit shifted or rotated is a different point of the data) and
# ignore moves **across** it (noise). A contractive penalty shrinks the code's sensitivity in every
# direction; reconstruction keeps it alive only where the data vary; so what survives should point
# along the manifold.
#
# To test that claim we need a manifold whose tangent we know exactly. We build one, train a plain
# autoencoder (AE, $\lambda = 0$), a denoising one (DAE) and a contractive one (CAE) with the same
# seed and budget, and compare the direction each code is most sensitive to with the true tangent.
# Then we repeat the along-versus-across test on real digits.
#
# **You need** lessons 03-04 (the Jacobian) and 07 (training).

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "08_measure_what_contraction_buys", "Lesson 08 - Measure what contraction buys",
    learn=["the leading right singular vector v_1 of J(x): the input direction the code feels most",
           "why the penalty plus reconstruction leaves J(x) pointing along the data: "
           "||J||^2 = ||Jt||^2 + ||J(I - tt^T)||^2",
           "measured: the CAE's v_1 far closer to the true tangent than the AE's, which is no "
           "better than random",
           "how a CAE differs from a DAE: E||h(x+e) - h(x)||^2 ~ tau^2 ||J||_F^2 to first order, "
           "while the DAE's loss also carries a residual-times-curvature term"],
    need="lessons 03-04 and 07")

import numpy as np

import cae_scratch as cs
from cae_scratch import analysis, backend, data, plots
from cae_scratch.core import network

LAM, TAU = 0.3, 0.2                      # the CAE's penalty weight; the DAE's Gaussian noise std
n_points, n_hidden, epochs = (500, 50, 60) if lesson.quick else (1000, 50, 150)
X, T, theta = data.load_synthetic(n=n_points, side=10, seed=lesson.seed, return_tangents=True,
                                  return_angles=True)
X_test, T_test, theta_test = data.load_synthetic(n=100 if lesson.quick else 300, side=10,
                                                 seed=lesson.seed + 1000, return_tangents=True,
                                                 return_angles=True)
print(f"{len(X)} training and {len(X_test)} test points x(theta) in R^{X.shape[1]}; "
      f"backend {lesson.backend}")

# %% [markdown]
# ## A manifold with a known tangent
#
# Each point is a 10x10 image of an elongated Gaussian blob rotated by an angle $\theta$ about the
# image centre: $x(\theta)\in\mathbb R^{100}$ traces a closed curve, a one-dimensional manifold. For
# pixel offset $p$ from the centre, the blob's frame sees the rotated offset $\xi = R(-\theta)p$,
# and, with the blob's centre $\mu$ along its axis and its widths $\rho_1, \rho_2$
# (`data.rotated_blob` uses $\mu = 2.5$, $\rho_1 = 2$, $\rho_2 = 10/12$ pixels on a 10x10 image),
# $x_p(\theta) = \exp\!\big(-\frac{(\xi_1 - \mu)^2}{2\rho_1^2} - \frac{\xi_2^2}{2\rho_2^2}\big)$. By
# the chain rule, with $d\xi/d\theta = (\xi_2, -\xi_1)$,
# $$\frac{dx_p}{d\theta}
# = x_p\Big(\frac{\xi_1 \xi_2}{\rho_2^2} - \frac{(\xi_1 - \mu)\,\xi_2}{\rho_1^2}\Big),
# \qquad t(x) = \frac{dx/d\theta}{\|dx/d\theta\|},$$
# the unit tangent that `data.rotated_blob` returns. A derivation deserves a check: central
# differences of the generator itself.

# %%
h = 1e-6
fd = (data.rotated_blob(theta_test + h)[0] - data.rotated_blob(theta_test - h)[0]) / (2 * h)
fd /= np.linalg.norm(fd, axis=1, keepdims=True)
err_tangent = float(np.max(np.abs(fd - T_test)))
print(f"max |t - finite difference of x(theta)| = {err_tangent:.1e}")
assert err_tangent < 1e-6
xi1 = np.cos(0.3) * (np.arange(100) % 10 - 4.5) + np.sin(0.3) * (np.arange(100) // 10 - 4.5)
xi2 = -np.sin(0.3) * (np.arange(100) % 10 - 4.5) + np.cos(0.3) * (np.arange(100) // 10 - 4.5)
blob = np.exp(-(xi1 - 2.5) ** 2 / (2 * 2.0 ** 2) - xi2 ** 2 / (2 * (10 / 12) ** 2))
assert np.allclose(blob, data.rotated_blob(np.array([0.3]))[0][0])   # mu, rho_1, rho_2 as stated

# %% [markdown]
# ## Three models, one budget
#
# Same architecture (100 -> 50 sigmoid units, tied weights, bce), seed, optimizer and epochs. Only
# the regulariser differs: none (AE), Gaussian input noise of std $\tau = 0.2$ (DAE: it sees
# $x + \epsilon$ and must reconstruct $x$), the penalty with $\lambda = 0.3$ (CAE).

# %%
def train(X_fit, n_h, n_epochs, batch_size=32, **kw):
    model = cs.ContractiveAutoencoder(X_fit.shape[1], n_h, seed=lesson.seed,
                                      **lesson.model_kwargs(), **kw)
    model.fit(model.asarray(X_fit), epochs=n_epochs, batch_size=batch_size, lr=1e-2,
              seed=lesson.seed, progress=False)
    return model


settings = {"AE": {"lam": 0.0}, "DAE": {"lam": 0.0, "corruption": "gaussian", "noise": TAU},
            "CAE": {"lam": LAM}}
models = {name: train(X, n_hidden, epochs, **kw) for name, kw in settings.items()}
Xd, Td = models["AE"].asarray(X_test), models["AE"].asarray(T_test)
encoder = lambda m: (m.params["W"], m.params["b_h"])
norms = {name: analysis.mean_jacobian_norm(*encoder(m), Xd) for name, m in models.items()}
for name, m in models.items():
    print(f"  {name:3s}  test bce {m.loss_terms(Xd)['reconstruction']:6.2f}   "
          f"mean ||J(x)||_F {norms[name]:5.2f}")
assert norms["CAE"] < norms["DAE"] < norms["AE"], "the penalty contracts most; noise contracts too"

# %% [markdown]
# ## The most sensitive direction
#
# A small input move $u$ changes the code by $h(x+u) - h(x) \approx J(x)\,u$. Which unit direction
# moves it most? Write the SVD $J = \sum_i \sigma_i u_i v_i^\top$ with singular values
# $\sigma_1 \ge \sigma_2 \ge \dots$, orthonormal left singular vectors $u_i$ and right singular
# vectors $v_i$, and expand the move $u = \sum_i c_i v_i$ ($\sum_i c_i^2 = 1$). Then
# $Ju = \sum_i \sigma_i c_i u_i$ and
# $$\|Ju\|^2 = \sum_i \sigma_i^2 c_i^2 \le \sigma_1^2 \sum_i c_i^2 = \sigma_1^2,$$
# with equality at $u = v_1$. So $v_1(x)$ is the input direction the code reacts to most, and
# $\sigma_1$ how strongly. Its angle to the true tangent (the sign of a singular vector is
# arbitrary, hence the absolute value) is $\angle(v_1, t) = \arccos|v_1\cdot t|$. For comparison, a
# random unit direction $u$ in $\mathbb R^{n_v}$ is almost orthogonal to any fixed $t$: $u\cdot t$
# is about $\mathcal N(0, 1/n_v)$, so $\mathbb E|u\cdot t| \approx \sqrt{2/(\pi n_v)}$, 0.080 for
# $n_v = 100$, an angle of about 85 degrees (both measured below).
#
# First by hand for one point, with NumPy's SVD of the explicit Jacobian, against the library's
# `analysis.tangent_directions` and `analysis.angle_to_span`.

# %%
J0 = backend.to_numpy(models["CAE"].jacobian(Xd[:1, :]))[0]                 # (n_hidden, 100)
_, s0, Vt0 = np.linalg.svd(J0)
angle_by_hand = float(np.degrees(np.arccos(min(1.0, abs(Vt0[0] @ T_test[0])))))
S_lib, V_lib = analysis.tangent_directions(*encoder(models["CAE"]), Xd[:1, :], k=1)
angle_lib = float(backend.to_numpy(analysis.angle_to_span(V_lib, Td[:1, :]))[0])
err_svd = max(abs(float(backend.to_numpy(S_lib)[0, 0]) - s0[0]) / s0[0],
              abs(abs(float(Vt0[0] @ backend.to_numpy(V_lib)[0, 0])) - 1.0))
print(f"sigma_1 and v_1: by hand vs library {err_svd:.1e}; angle by hand {angle_by_hand:.4f}, "
      f"library {angle_lib:.4f} degrees")
assert err_svd < 1e-8 and abs(angle_by_hand - angle_lib) < 1e-6


# %% [markdown]
# Now the three models at every test point, and random directions as the baseline.

# %%
rng = np.random.default_rng(lesson.seed)
random_dirs = analysis.unit_directions(rng, len(T_test), T_test.shape[1])
n_v = T_test.shape[1]
chance_dot = float(np.mean(np.abs(np.sum(random_dirs * T_test, axis=1))))
chance = float(np.mean(np.degrees(np.arccos(np.abs(np.sum(random_dirs * T_test, axis=1))))))
print(f"a random direction: mean |u . t| {chance_dot:.3f} (sqrt(2 / (pi n_v)) = "
      f"{np.sqrt(2 / (np.pi * n_v)):.3f}), mean angle {chance:.1f} degrees")
assert abs(chance_dot - np.sqrt(2 / (np.pi * n_v))) < 0.02 and 83.0 < chance < 88.0
angles, V1 = {}, {}
for name, m in models.items():
    _, V = analysis.tangent_directions(*encoder(m), Xd, k=1)       # (B, 1, n_v): v_1 per point
    angles[name] = backend.to_numpy(analysis.angle_to_span(V, Td))
    V1[name] = backend.to_numpy(V)[:, 0, :]
    cos2 = float(np.mean(np.cos(np.radians(angles[name])) ** 2))
    print(f"  {name:3s}  angle(v_1, t): mean {angles[name].mean():5.1f}, "
          f"median {np.median(angles[name]):5.1f} degrees; mean cos^2 {cos2:.2f}")
assert angles["CAE"].mean() < angles["AE"].mean() - 15.0 and angles["CAE"].mean() < chance - 15.0
assert angles["CAE"].mean() < angles["DAE"].mean() and angles["AE"].mean() > chance - 10.0

# %% [markdown]
# ## Why the CAE's sensitivity is left along the tangent
#
# Split any input move into its part along the unit tangent and the rest,
# $I = tt^\top + (I - tt^\top)$. Then $J = Jtt^\top + J(I - tt^\top)$, and the two pieces have
# orthogonal row spaces (one is spanned by $t$, the other is orthogonal to it), so their Frobenius
# norms add:
# $$\|J\|_F^2 = \|Jt\|^2 + \|J(I - tt^\top)\|_F^2 .$$
# Reconstruction needs the first term: if $Jt = 0$ the code could not follow $x(\theta)$ as $\theta$
# changes and the decoder could not tell neighbouring points apart. Nothing needs the second term,
# because the data never move across the curve. So the penalty pushes $\|J(I - tt^\top)\|_F$ toward
# 0 and leaves $Jt$ alone: **along** $= \|Jt\|$ stays, **across** $= \|Ju\|$ for unit $u \perp t$
# shrinks. We measure both as code change per unit input change, $\|h(x + \delta d) - h(x)\|/\delta$
# with a tiny $\delta$, for $d = t$ and for random unit $d \perp t$.

# %%
across_dirs = random_dirs - np.sum(random_dirs * T_test, axis=1, keepdims=True) * T_test
across_dirs /= np.linalg.norm(across_dirs, axis=1, keepdims=True)
along, across = {}, {}
for name, m in models.items():
    sens = lambda D: backend.to_numpy(analysis.sensitivity(*encoder(m), Xd, m.asarray(1e-5 * D)))
    along[name], across[name] = sens(T_test), sens(across_dirs)
    print(f"  {name:3s}  along {along[name].mean():5.3f}   across {across[name].mean():5.3f}   "
          f"along / across {np.mean(along[name] / across[name]):5.2f}")
assert np.mean(along["CAE"] / across["CAE"]) > 1.5 * np.mean(along["AE"] / across["AE"])
assert across["CAE"].mean() < across["AE"].mean()

# %% [markdown]
# ## CAE versus DAE
#
# A DAE never computes a Jacobian; it adds noise. Yet the two are close relatives. For a small
# Gaussian $\epsilon$ with $\mathbb E\epsilon = 0$ and $\mathbb E\epsilon\epsilon^\top = \tau^2 I$,
# Taylor gives $h(x + \epsilon) \approx h(x) + J\epsilon$, so, to first order in $\epsilon$,
# $$\mathbb E\,\|h(x+\epsilon) - h(x)\|^2 \approx \mathbb E\,\epsilon^\top J^\top J\epsilon
# = \operatorname{tr}(J^\top J\,\mathbb E\,\epsilon\epsilon^\top) = \tau^2\|J\|_F^2 .$$
# To first order, the contractive penalty is the expected squared code change under small noise,
# computed analytically instead of sampled; the terms it leaves out are of order $\tau^4$, and the
# sampling check below, at $\tau = 10^{-3}$, cannot see them.

# %%
cae = models["CAE"]
tau_small, n_draws = 1e-3, 100 if lesson.quick else 400
H0 = network.encode(cae.params, Xd, cae.spec)
noise_gen, acc = np.random.default_rng(lesson.seed + 7), 0.0
for _ in range(n_draws):
    E = cae.asarray(tau_small * noise_gen.standard_normal(X_test.shape))
    dH = network.encode(cae.params, Xd + E, cae.spec) - H0    # x + e may leave [0, 1]
    acc += float(cae.xp.sum(dH * dH))
sampled = acc / (n_draws * len(X_test) * tau_small ** 2)
closed = cae.contractive_penalty(Xd)
print(f"E||h(x+e) - h(x)||^2 / tau^2, sampled ({n_draws} draws): {sampled:.3f};  "
      f"closed form mean ||J(x)||_F^2: {closed:.3f}")
assert abs(sampled - closed) < 0.05 * closed

# %% [markdown]
# The DAE's loss is about the *reconstruction*, never about $h(x+\epsilon) - h(x)$. Expand it for a
# squared error. The first-order term has mean 0, so go to second order: with
# $J_r = \partial r/\partial x$ and $H_j$ the Hessian of the output $r_j$,
# $r_j(x+\epsilon) - x_j \approx (r_j - x_j) + (J_r\epsilon)_j + \frac12\epsilon^\top H_j\epsilon$.
# Square, and take the mean with $\mathbb E\,\epsilon^\top H_j\epsilon = \tau^2\operatorname{tr}H_j$
# (the terms odd in $\epsilon$ vanish):
# $$\mathbb E\,\|r(x+\epsilon) - x\|^2 \approx \|r(x) - x\|^2
# + \tau^2\Big(\|J_r(x)\|_F^2 + \sum_j \big(r_j(x) - x_j\big)\operatorname{tr}H_j(x)\Big).$$
# The second term of the $\tau^2$ coefficient has the same order as the first wherever the
# reconstruction misses $x$. It vanishes only where $r(x) \approx x$: at the optimum of a DAE
# trained with small noise, which is where the classical equivalence between training with noise and
# a Jacobian penalty holds (Bishop 1995; Alain and Bengio 2014). Lesson 15 measures what $r(x) - x$
# becomes there: a multiple of the score $\nabla\log p(x)$.
#
# A measurement makes the point. Take a small sigmoid autoencoder with random weights (8 inputs, 5
# hidden units, an untied sigmoid decoder), and a point $x$ it reconstructs badly,
# $\|r(x) - x\|^2 \approx 1$. We compute $\|J_r\|_F^2$ and the dropped term in closed form (for
# $r_j = \operatorname{sigm}(z_j)$,
# $\operatorname{tr}H_j = g''(z_j)\|\nabla z_j\|^2 + g'(z_j)\sum_k (W_r)_{jk}\,s''(a_k)\,q_k$),
# check $\operatorname{tr}H_j$ against second differences, and measure the $\tau^2$ coefficient by
# sampling, with antithetic pairs $\pm\epsilon$ so that the first-order noise cancels exactly.

# %%
def sigm(a):
    return 1.0 / (1.0 + np.exp(-a))


def small_ae(gen):
    """Random weights of an 8-5-8 sigmoid autoencoder (untied) and a point x in [0, 1]^8."""
    return (2.0 * gen.standard_normal((5, 8)), 0.5 * gen.standard_normal(5),
            2.0 * gen.standard_normal((8, 5)), 0.5 * gen.standard_normal(8), gen.random(8))


def reconstruct(X, W, b_h, W_r, b_r):
    """r = sigm(W_r sigm(W x + b_h) + b_r) for the rows of X: (B, 8)."""
    return sigm(sigm(X @ W.T + b_h) @ W_r.T + b_r)


def second_order_terms(W, b_h, W_r, b_r, x):
    """(r, ||J_r||_F^2, the vector tr H_j) at one point x, in closed form."""
    h = sigm(W @ x + b_h)
    d1, d2 = h * (1 - h), h * (1 - h) * (1 - 2 * h)          # s'(a), s''(a)
    r = sigm(W_r @ h + b_r)
    g1, g2 = r * (1 - r), r * (1 - r) * (1 - 2 * r)          # g'(z), g''(z)
    grad_z = W_r @ (d1[:, None] * W)                         # dz/dx: (8, 8)
    q = np.sum(W * W, axis=1)
    trace_H = g2 * np.sum(grad_z ** 2, axis=1) + g1 * (W_r @ (d2 * q))
    return r, float(np.sum((g1[:, None] * grad_z) ** 2)), trace_H


def sampled_coefficient(params, x, tau, n_pairs, gen):
    """(E||r(x+e) - x||^2 - ||r(x) - x||^2) / tau^2 from antithetic pairs, and its std error."""
    eps = tau * gen.standard_normal((n_pairs, 8))
    err = lambda X: np.sum((reconstruct(X, *params) - x) ** 2, axis=1)
    c = ((err(x + eps) + err(x - eps)) / 2 - err(x[None, :])[0]) / tau ** 2
    return float(c.mean()), float(c.std() / np.sqrt(n_pairs))

# %%
gen_ae, candidates = np.random.default_rng(lesson.seed + 8), []
while len(candidates) < 200:                  # random AEs and points x with ||r(x) - x||^2 near 1
    params_x = small_ae(gen_ae)
    r_x, jr2, trace_H = second_order_terms(*params_x)
    miss = r_x - params_x[4]
    if 0.75 <= float(miss @ miss) <= 1.25:
        candidates.append((params_x, jr2, float(miss @ trace_H)))
ratio_dropped = np.array([abs(dropped) / jr2 for _, jr2, dropped in candidates])
print(f"{len(candidates)} random 8-5-8 AEs at a point with ||r - x||^2 in [0.75, 1.25]: "
      f"|dropped term| / ||J_r||_F^2 has median {np.median(ratio_dropped):.2f}; the dropped "
      f"term is the larger in {100 * np.mean(ratio_dropped > 1):.0f} % of them")
assert np.median(ratio_dropped) > 0.4 and np.mean(ratio_dropped > 1) > 0.2

# %% [markdown]
# The dropped term is not a corner case: it is comparable to $\|J_r\|_F^2$ in most of these
# autoencoders, and the larger of the two in many. Now one of them in detail: the closed form
# against second differences, and the $\tau^2$ coefficient measured by sampling.

# %%
(W8, bh8, Wr8, br8, x8), jr2, dropped = next(c for c in candidates if abs(c[2]) > 0.5 * c[1])
r8, _, trace_H = second_order_terms(W8, bh8, Wr8, br8, x8)
step, I8 = 1e-4, np.eye(8)
second_diff = sum(reconstruct(np.stack([x8 + step * I8[j], x8 - step * I8[j]]), W8, bh8, Wr8, br8)
                  .sum(axis=0) - 2 * r8 for j in range(8)) / step ** 2
err_trace = float(np.max(np.abs(second_diff - trace_H)) / np.max(np.abs(trace_H)))
tau_dae, n_pairs, gen_eps = 0.01, 20000, np.random.default_rng(lesson.seed + 9)
coef, se = sampled_coefficient((W8, bh8, Wr8, br8), x8, tau_dae, n_pairs, gen_eps)
print(f"one of them (the first where the dropped term exceeds half of ||J_r||^2): "
      f"||r - x||^2 = {float((r8 - x8) @ (r8 - x8)):.2f}")
print(f"  tr H_j closed form vs second differences: {err_trace:.1e}")
print(f"  ||J_r||_F^2 = {jr2:.3f}, dropped term sum_j (r_j - x_j) tr H_j = {dropped:.3f}, "
      f"their sum {jr2 + dropped:.3f}")
print(f"  measured tau^2 coefficient (tau = {tau_dae}, {n_pairs} antithetic pairs): "
      f"{coef:.3f} +- {se:.3f}")
assert err_trace < 1e-5
assert abs(coef - (jr2 + dropped)) < 5 * se + 0.02 * abs(jr2 + dropped)
assert abs(coef - jr2) > 10 * se                     # ||J_r||^2 alone is not the coefficient

# %% [markdown]
# And the control: move $b_r$ so that this autoencoder reconstructs this $x$ exactly. The dropped
# term vanishes, and the sampled coefficient is $\|J_r\|_F^2$ alone.

# %%
br_fixed = np.log(x8 / (1 - x8)) - Wr8 @ sigm(W8 @ x8 + bh8)     # b_r chosen so that r(x) = x
r_fixed, jr2_fixed, trace_fixed = second_order_terms(W8, bh8, Wr8, br_fixed, x8)
dropped_fixed = float((r_fixed - x8) @ trace_fixed)
coef_fixed, se_fixed = sampled_coefficient((W8, bh8, Wr8, br_fixed), x8, tau_dae, n_pairs, gen_eps)
print(f"control, b_r moved so that r(x) = x: ||J_r||_F^2 = {jr2_fixed:.3f}, dropped term "
      f"{dropped_fixed:.1e}, measured coefficient {coef_fixed:.3f} +- {se_fixed:.3f}")
assert abs(dropped_fixed) < 1e-10 and abs(coef_fixed - jr2_fixed) < 5 * se_fixed + 0.02 * jr2_fixed

# %% [markdown]
# So a DAE penalises $\|J_r\|_F^2$, the Jacobian of the *whole reconstruction* (encoder and decoder
# together), only where it already reconstructs well; elsewhere its noise also pulls on the
# curvature of $r$, with a sign set by the residual. Then:
#
# - the **CAE** contracts the *code*: exactly (to first order in the noise it stands for),
#   deterministically, cheaply for one layer ($O(Bn_h)$ plus $W$-sized passes), and the code is what
#   a downstream classifier uses;
# - the **DAE** contracts the *reconstruction*: it needs no formula (any network, any depth), but
#   its penalty is a noisy estimate, it acts as a Jacobian penalty only where $r(x) \approx x$, and
#   the decoder can undo some of the encoder's sensitivity.
#
# Pick a CAE when you want robust *features* (and their tangents, which the Manifold Tangent
# Classifier of lesson 12 builds on); a DAE when you want a *denoiser*, or a deep encoder whose
# Jacobian has no closed form. The measurements above agree: the DAE contracts (smaller $\|J\|_F$
# than the AE) but keeps much more sensitivity across the manifold than the CAE.

# %% [markdown]
# ## Real digits: a shift against noise
#
# The digits have no known tangent, but we know a direction along their manifold: a shifted digit is
# still a digit. Shift each held-out digit by $\alpha$ pixels to the right (linear interpolation
# between the image and its one-pixel shift), and compare the code change per unit input change,
# $\|h(x + d) - h(x)\|/\|d\|$, for that shift $d$ and for random noise of the same length. A ratio
# above 1 means the code follows the digit's deformation more than the noise.

# %%
def mean_sensitivity(m, X_dev, D):
    """Mean over rows of ||h(x + d) - h(x)|| / ||d|| for host moves D, on the model's backend."""
    return float(np.mean(backend.to_numpy(analysis.sensitivity(*encoder(m), X_dev, m.asarray(D)))))


def shift_right(images, side=8):
    """Each image moved one pixel to the right, zeros entering on the left."""
    tiles = images.reshape(-1, side, side)
    out = np.zeros_like(tiles)
    out[:, :, 1:] = tiles[:, :, :-1]
    return out.reshape(len(images), -1)


Xtr, _, Xte, _ = data.load_digits(test_fraction=0.25, seed=lesson.seed)
d_hidden, d_epochs = (64, 20) if lesson.quick else (100, 100)
digit_models = {name: train(Xtr, d_hidden, d_epochs, batch_size=64, **kw)
                for name, kw in settings.items()}
Xte_d = digit_models["AE"].asarray(Xte)
alphas = [0.25, 0.5, 1.0]
noise_dirs = analysis.unit_directions(np.random.default_rng(lesson.seed + 1), len(Xte),
                                      Xte.shape[1])
ratios = {name: [] for name in digit_models}
for alpha in alphas:
    D_shift = alpha * (shift_right(Xte) - Xte)
    D_noise = noise_dirs * np.linalg.norm(D_shift, axis=1, keepdims=True)
    for name, m in digit_models.items():
        shift_vs_noise = mean_sensitivity(m, Xte_d, D_shift) / mean_sensitivity(m, Xte_d, D_noise)
        ratios[name].append(shift_vs_noise)
for name, r in ratios.items():
    print(f"  {name:3s}  shift / noise sensitivity at alpha = {alphas}: "
          + ", ".join(f"{v:.2f}" for v in r))
assert min(ratios["CAE"]) > 1.2 and all(c > 1.2 * a for c, a in zip(ratios["CAE"], ratios["AE"]))

# %% [markdown]
# ## Pictures
#
# `tangents.png`: six test points around the curve, their true tangents, and each model's $v_1$ at
# the same points (red positive, blue negative, one symmetric colour scale per row). Read the
# pictures with the angles measured above in mind. A mean angle near 50 degrees means
# $\cos^2 \approx 0.4$: less than half of $v_1$'s squared length lies along the tangent, so the
# CAE's $v_1$ is far from a copy of the tangent even though it is far closer than the AE's. What to
# look for is where the weight sits, measured below as the share of $\|v_1\|^2$ on the pixels the
# blob covers: the CAE's $v_1$ puts more there than a random direction does and shows part of the
# tangent's red-blue pattern beside the blob, while the AE's lies on the border, on pixels the data
# never use (question 1). `sensitivity.png`: the angle around the curve, along-versus-across
# sensitivity point by point (above the diagonal: more sensitive along the manifold), and the
# digits' shift-versus-noise ratio.

# %%
def plot_sensitivity(path):
    """Panels: angle(v_1, t) around the curve, along vs across, the digits' shift/noise ratio."""
    return plots.plot_panels([
        {"series": {name: (np.degrees(theta_test[order]), angles[name][order], "o-")
                    for name in models},
         "hlines": {f"random direction ({chance:.0f})": chance},
         "title": "angle between v_1(x) and t(x)",
         "xlabel": "rotation theta of the test point (degrees)", "ylabel": "degrees"},
        {"series": {name: (across[name], along[name], "o") for name in models}, "diagonal": True,
         "xscale": "log", "yscale": "log", "title": "code change per unit input move",
         "xlabel": "across the manifold (random u orthogonal to t)",
         "ylabel": "along the manifold (t)"},
        {"series": {name: (alphas, r) for name, r in ratios.items()},
         "hlines": {"equally sensitive": 1.0}, "title": "digits: a shift vs noise of equal length",
         "xticks": alphas, "xlabel": "shift alpha (pixels)",
         "ylabel": "shift / noise sensitivity"}],
        path, width=4.8, height=4.0)


order = np.argsort(theta_test)
pick = order[:: len(order) // 6][:6]
tangents_png = plots.plot_image_stack(
    [("test points x(theta)", X_test[pick], False), ("true tangents t(x)", T_test[pick], True)]
    + [(f"{name}: v_1 of J(x), mean angle to t {angles[name].mean():.0f} deg", V1[name][pick], True)
       for name in models], lesson.figure("tangents.png"), n_cols=6, tile=0.7)
sensitivity_png = plot_sensitivity(lesson.figure("sensitivity.png"))
weight_on_blob = {name: float(np.mean(np.sum(V1[name] ** 2 * (X_test > 0.1), axis=1)))
                  for name in models}
print("share of v_1's squared length on the pixels the blob covers (x > 0.1): "
      + ", ".join(f"{name} {v:.2f}" for name, v in weight_on_blob.items())
      + f"; a random direction {float(np.mean(X_test > 0.1)):.2f}")
assert weight_on_blob["CAE"] > float(np.mean(X_test > 0.1)) > weight_on_blob["AE"]

# %% [markdown]
# ## Questions
#
# **Question 1.** The AE's $v_1$ is no better aligned than a random direction. Where in the image
# does it put its weight, and why does nothing in the AE's loss stop it?
#
# **Question 2.** What happens to the three measurements (angle, along/across, bce) as $\lambda$
# grows very large?
#
# **Question 3.** For a two-dimensional manifold (blobs rotated *and* shifted), which singular
# vectors should span the tangent plane, and how would you measure it with `angle_to_span`?

# %%
along_across = {k: float(np.mean(along[k] / across[k])) for k in models}
headline = (f"angle(v_1, tangent): AE {angles['AE'].mean():.0f}, DAE {angles['DAE'].mean():.0f}, "
            f"CAE {angles['CAE'].mean():.0f} deg (random {chance:.0f}); along/across: "
            f"AE {along_across['AE']:.1f}, CAE {along_across['CAE']:.1f}; "
            f"digits shift/noise at 0.5 px: AE {ratios['AE'][1]:.2f}, CAE {ratios['CAE'][1]:.2f}")
lesson.finish(headline, {"tangent_error": err_tangent, "svd_error": err_svd,
                         "jacobian_norms": norms,
                         "angles": {k: float(v.mean()) for k, v in angles.items()},
                         "chance_angle": chance, "chance_dot": chance_dot,
                         "along_across": along_across, "noise_identity": (sampled, closed),
                         "dae_expansion": {"trace_error": err_trace, "jr2": jr2, "dropped": dropped,
                                           "measured": coef, "stderr": se,
                                           "control_measured": coef_fixed,
                                           "control_jr2": jr2_fixed,
                                           "median_ratio": float(np.median(ratio_dropped))},
                         "blob_share": weight_on_blob, "alphas": alphas,
                         "shift_noise_ratios": ratios})

# %% [markdown]
# ## Answers
#
# **1.** On the pixels the blob never covers (the corners and the border of the image) and on
# directions the data never take. A pixel that is always near 0 gives the encoder's gradient
# $dA^\top X$ nothing in its column, and the decoder only needs $r_j \approx 0$, which the bias
# $b_r$ provides: the column of $W$ for that pixel is barely constrained and keeps much of its
# random initial value, and $J = \operatorname{diag}(s')W$ inherits that random sensitivity. The
# penalty is the one term that charges for those columns, through $q_k$, and it shrinks them.
#
# **2.** $\|J\|_F^2 \to 0$ in *every* direction, including along the tangent: first the across part
# vanishes (cheap), then, as $\lambda$ keeps growing, $Jt$ shrinks too and the code stops following
# the data; the bce rises toward that of a constant code (the mean image). The along/across ratio
# first rises, then the angle becomes meaningless once $\sigma_1$ is tiny and reconstruction has
# failed.
#
# **3.** The top two right singular vectors $v_1, v_2$: the code should be sensitive to exactly two
# directions. Compute both true tangents (rotation and shift), call
# `analysis.tangent_directions(..., k=2)` and measure `angle_to_span(V, t_rot)` and
# `angle_to_span(V, t_shift)`: both small if the CAE found the plane.

# %% [markdown]
# ## Sources
#
# - S. Rifai, P. Vincent, X. Muller, X. Glorot and Y. Bengio, "Contractive Auto-Encoders: Explicit
#   Invariance During Feature Extraction", ICML 2011: the claim tested here, that contraction plus
#   reconstruction leaves the code sensitive along the data manifold, and the singular spectrum of
#   $J$ as its measure.
# - P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol, "Extracting and Composing Robust
#   Features with Denoising Autoencoders", ICML 2008: the DAE.
# - C. M. Bishop, "Training with Noise is Equivalent to Tikhonov Regularization", Neural Computation
#   7(1), 1995: the small-noise expansion of a squared error, including the residual-times-Hessian
#   term and why it vanishes at the optimum.
# - G. Alain and Y. Bengio, "What Regularized Auto-Encoders Learn from the Data-Generating
#   Distribution", JMLR 15, 2014: at small noise a DAE's optimum has $r(x) \approx x$, with
#   $r(x) - x$ proportional to the score; the same for a penalty on $\|J_r\|_F^2$.
# - P. Vincent, "A Connection Between Score Matching and Denoising Autoencoders", Neural Computation
#   23(7), 2011: the DAE's objective as score matching.
# - A. B. Owen, *Monte Carlo Theory, Methods and Examples* (2013), chapter 8: antithetic sampling,
#   used for the $\tau^2$ coefficient.
# - The rotated blob and its tangent are this project's (`data.rotated_blob`), derived and checked
#   above; the digits are the UCI handwritten digits bundled with scikit-learn.
