# %% [markdown]
# # Lesson 08 - Measure what contraction buys
#
# Lesson 07 showed the price of the penalty: a smaller $\|J(x)\|_F^2$ costs some
# reconstruction. This lesson measures what it buys. The promise of Rifai et al. (2011)
# is geometric: real data lie near a low-dimensional surface (a *manifold*) in pixel
# space; a good code should change when $x$ moves **along** the surface (a digit shifted or
# rotated is a different point of the data) and ignore moves **across** it (noise). A
# contractive penalty shrinks the code's sensitivity in every direction; reconstruction
# keeps it alive only where the data vary; so what survives should point along the manifold.
#
# To test that claim we need a manifold whose tangent we know exactly. We build one, train
# a plain autoencoder (AE, $\lambda = 0$), a denoising one (DAE) and a contractive one (CAE)
# with the same seed and budget, and compare the direction each code is most sensitive to
# with the true tangent. Then we repeat the along-versus-across test on real digits.
#
# **You need** lessons 03-04 (the Jacobian) and 07 (training).

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "08_measure_what_contraction_buys", "Lesson 08 - Measure what contraction buys",
    learn=["the leading right singular vector v_1 of J(x): the input direction the code is most sensitive to",
           "why the penalty plus reconstruction leaves J(x) pointing along the data: ||J||^2 = ||Jt||^2 + ||J(I - tt^T)||^2",
           "measured: the CAE's v_1 far closer to the true tangent than the AE's, which is no better than random",
           "how a CAE differs from a DAE: E||h(x+e) - h(x)||^2 = sigma^2 ||J||_F^2, encoder vs reconstruction"],
    need="lessons 03-04 and 07")

import numpy as np

import cae_scratch as cs
from cae_scratch import analysis, backend, data, plots
from cae_scratch.core import network

LAM, SIGMA = 0.3, 0.2                                     # CAE's penalty weight; DAE's Gaussian noise std
n_points, n_hidden, epochs = (500, 50, 60) if lesson.quick else (1000, 50, 150)
X, T, theta = data.load_synthetic(n=n_points, side=10, seed=lesson.seed, return_tangents=True, return_angles=True)
X_test, T_test, theta_test = data.load_synthetic(n=100 if lesson.quick else 300, side=10, seed=lesson.seed + 1000,
                                                 return_tangents=True, return_angles=True)
print(f"{len(X)} training and {len(X_test)} test points x(theta) in R^{X.shape[1]}; backend {lesson.backend}")

# %% [markdown]
# ## A manifold with a known tangent
#
# Each point is a 10x10 image of an elongated Gaussian blob rotated by an angle $\theta$ about
# the image centre: $x(\theta)\in\mathbb R^{100}$ traces a closed curve, a one-dimensional manifold.
# For pixel offset $p$ from the centre, the blob's frame sees $q = R(-\theta)p$, and
# $x_p(\theta) = \exp\!\big(-\frac{(q_1 - m)^2}{2s_a^2} - \frac{q_2^2}{2s_b^2}\big)$. By the chain rule, with
# $dq/d\theta = (q_2, -q_1)$,
# $$\frac{dx_p}{d\theta} = x_p\Big(\frac{q_1 q_2}{s_b^2} - \frac{(q_1 - m)\,q_2}{s_a^2}\Big),
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

# %% [markdown]
# ## Three models, one budget
#
# Same architecture (100 -> 50 sigmoid units, tied weights, bce), seed, optimizer and
# epochs. Only the regulariser differs: none (AE), Gaussian input noise of std
# $\sigma = 0.2$ (DAE: it sees $x + \varepsilon$ and must reconstruct $x$), the penalty with $\lambda = 0.3$ (CAE).

# %%
def train(X_fit, n_h, n_epochs, batch_size=32, **kw):
    model = cs.ContractiveAutoencoder(X_fit.shape[1], n_h, seed=lesson.seed, **lesson.model_kwargs(), **kw)
    model.fit(model.asarray(X_fit), epochs=n_epochs, batch_size=batch_size, lr=1e-2, seed=lesson.seed,
              progress=False)
    return model


settings = {"AE": {"lam": 0.0}, "DAE": {"lam": 0.0, "corruption": "gaussian", "noise": SIGMA}, "CAE": {"lam": LAM}}
models = {name: train(X, n_hidden, epochs, **kw) for name, kw in settings.items()}
Xd, Td = models["AE"].asarray(X_test), models["AE"].asarray(T_test)
encoder = lambda m: (m.params["W"], m.params["b_h"])
norms = {name: analysis.mean_jacobian_norm(*encoder(m), Xd) for name, m in models.items()}
for name, m in models.items():
    print(f"  {name:3s}  test bce {m.loss_terms(Xd)['reconstruction']:6.2f}   mean ||J(x)||_F {norms[name]:5.2f}")
assert norms["CAE"] < norms["DAE"] < norms["AE"], "the penalty contracts most; noise contracts too"

# %% [markdown]
# ## The most sensitive direction
#
# A small input move $u$ changes the code by $h(x+u) - h(x) \approx J(x)\,u$. Which unit direction
# moves it most? Write the SVD $J = U S V^\top$ with singular values $\sigma_1 \ge \sigma_2 \ge \dots$ and
# expand $u = \sum_i c_i v_i$ in the orthonormal right singular vectors ($\sum_i c_i^2 = 1$):
# $$\|Ju\|^2 = u^\top V S^2 V^\top u = \sum_i \sigma_i^2 c_i^2 \le \sigma_1^2 \sum_i c_i^2 = \sigma_1^2,$$
# with equality at $u = v_1$. So $v_1(x)$ is the input direction the code reacts to most, and
# $\sigma_1$ how strongly. Its angle to the true tangent (the sign of a singular vector is arbitrary,
# hence the absolute value) is
# $\angle(v_1, t) = \arccos|v_1\cdot t|$. For comparison, a random unit direction in $\mathbb R^{100}$ is
# almost orthogonal to any fixed $t$: $\mathbb E|u\cdot t| \approx \sqrt{2/(\pi n)} = 0.08$ for $n = 100$, about 85 degrees.
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

rng = np.random.default_rng(lesson.seed)
random_dirs = analysis.unit_directions(rng, len(T_test), T_test.shape[1])
chance = float(np.mean(np.degrees(np.arccos(np.abs(np.sum(random_dirs * T_test, axis=1))))))
angles, V1 = {}, {}
for name, m in models.items():
    _, V = analysis.tangent_directions(*encoder(m), Xd, k=1)
    angles[name] = backend.to_numpy(analysis.angle_to_span(V, Td))
    V1[name] = backend.to_numpy(V)[:, 0, :]
    print(f"  {name:3s}  angle(v_1, t): mean {angles[name].mean():5.1f}, median {np.median(angles[name]):5.1f} degrees")
print(f"  a random direction: mean {chance:.1f} degrees")
assert angles["CAE"].mean() < angles["AE"].mean() - 15.0 and angles["CAE"].mean() < chance - 15.0
assert angles["CAE"].mean() < angles["DAE"].mean() and angles["AE"].mean() > chance - 10.0

# %% [markdown]
# ## Why the CAE's sensitivity is left along the tangent
#
# Split any input move into its part along the unit tangent and the rest, $I = tt^\top + (I - tt^\top)$.
# Then $J = Jtt^\top + J(I - tt^\top)$, and the two pieces have orthogonal row spaces (one is spanned by
# $t$, the other is orthogonal to it), so their Frobenius norms add:
# $$\|J\|_F^2 = \|Jt\|^2 + \|J(I - tt^\top)\|_F^2 .$$
# Reconstruction needs the first term: if $Jt = 0$ the code could not follow $x(\theta)$ as $\theta$ changes
# and the decoder could not tell neighbouring points apart. Nothing needs the second term, because
# the data never move across the curve. So the penalty pushes $\|J(I - tt^\top)\|_F$ toward 0 and
# leaves $Jt$ alone: **along** $= \|Jt\|$ stays, **across** $= \|Ju\|$ for unit $u \perp t$ shrinks.
# We measure both as code change per unit input change, $\|h(x + \delta d) - h(x)\|/\delta$ with a
# tiny $\delta$, for $d = t$ and for random unit $d \perp t$.

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
# Gaussian $\varepsilon$ with $\mathbb E\varepsilon = 0$ and $\mathbb E\varepsilon\varepsilon^\top = \sigma^2 I$,
# Taylor gives $h(x + \varepsilon) \approx h(x) + J\varepsilon$, so
# $$\mathbb E\,\|h(x+\varepsilon) - h(x)\|^2 \approx \mathbb E\,\varepsilon^\top J^\top J\varepsilon
# = \operatorname{tr}(J^\top J\,\mathbb E\,\varepsilon\varepsilon^\top) = \sigma^2\|J\|_F^2 .$$
# The contractive penalty is exactly the expected squared code change under small noise, computed
# analytically instead of sampled. The DAE's loss, expanded the same way for a squared error,
# $$\mathbb E\,\|r(x+\varepsilon) - x\|^2 \approx \|r(x) - x\|^2 + \sigma^2\,\|J_r(x)\|_F^2 ,$$
# (the cross term has $\mathbb E\varepsilon = 0$) penalises the Jacobian $J_r = \partial r/\partial x$ of the *whole
# reconstruction*, encoder and decoder together, stochastically, and only to second order. So:
#
# - the **CAE** contracts the *code*: exact, deterministic, cheap for one layer ($O(Bn_h)$ plus
#   $W$-sized passes), and the code is what a downstream classifier uses;
# - the **DAE** contracts the *reconstruction*: it needs no formula (any network, any depth), but its
#   penalty is a noisy estimate, and the decoder can undo some of the encoder's sensitivity.
#
# Pick a CAE when you want robust *features* (and their tangents, which the Manifold Tangent Classifier of Rifai et al., NIPS 2011, builds on);
# a DAE when you want a *denoiser*, or a deep encoder whose Jacobian has no closed form. The measurements
# above agree: the DAE contracts (smaller $\|J\|_F$ than the AE) but keeps much more sensitivity across
# the manifold than the CAE. The identity, checked by sampling:

# %%
cae = models["CAE"]
sigma_small, n_draws = 1e-3, 100 if lesson.quick else 400
H0 = network.encode(cae.params, Xd, cae.spec)
noise_gen, acc = np.random.default_rng(lesson.seed + 7), 0.0
for _ in range(n_draws):
    E = cae.asarray(sigma_small * noise_gen.standard_normal(X_test.shape))
    dH = network.encode(cae.params, Xd + E, cae.spec) - H0          # evaluated as a function: x + e may leave [0, 1]
    acc += float(cae.xp.sum(dH * dH))
sampled = acc / (n_draws * len(X_test) * sigma_small ** 2)
closed = cae.contractive_penalty(Xd)
print(f"E||h(x+e) - h(x)||^2 / sigma^2, sampled ({n_draws} draws): {sampled:.3f};  "
      f"closed form mean ||J(x)||_F^2: {closed:.3f}")
assert abs(sampled - closed) < 0.05 * closed

# %% [markdown]
# ## Real digits: a shift against noise
#
# The digits have no known tangent, but we know a direction along their manifold: a shifted digit is
# still a digit. Shift each held-out digit by $\alpha$ pixels to the right (linear interpolation
# between the image and its one-pixel shift), and compare the code change per unit input change,
# $\|h(x + d) - h(x)\|/\|d\|$, for that shift $d$ and for random noise of the same length.
# A ratio above 1 means the code follows the digit's deformation more than the noise.

# %%
def shift_right(images, side=8):
    """Each image moved one pixel to the right, zeros entering on the left."""
    tiles = images.reshape(-1, side, side)
    out = np.zeros_like(tiles)
    out[:, :, 1:] = tiles[:, :, :-1]
    return out.reshape(len(images), -1)


Xtr, _, Xte, _ = data.load_digits(test_fraction=0.25, seed=lesson.seed)
d_hidden, d_epochs = (64, 20) if lesson.quick else (100, 100)
digit_models = {name: train(Xtr, d_hidden, d_epochs, batch_size=64, **kw) for name, kw in settings.items()}
Xte_d = digit_models["AE"].asarray(Xte)
alphas = [0.25, 0.5, 1.0]
noise_dirs = analysis.unit_directions(np.random.default_rng(lesson.seed + 1), len(Xte), Xte.shape[1])
ratios = {name: [] for name in digit_models}
for alpha in alphas:
    D_shift = alpha * (shift_right(Xte) - Xte)
    D_noise = noise_dirs * np.linalg.norm(D_shift, axis=1, keepdims=True)
    for name, m in digit_models.items():
        s_shift = float(np.mean(backend.to_numpy(analysis.sensitivity(*encoder(m), Xte_d, m.asarray(D_shift)))))
        s_noise = float(np.mean(backend.to_numpy(analysis.sensitivity(*encoder(m), Xte_d, m.asarray(D_noise)))))
        ratios[name].append(s_shift / s_noise)
for name, r in ratios.items():
    print(f"  {name:3s}  shift / noise sensitivity at alpha = {alphas}: " + ", ".join(f"{v:.2f}" for v in r))
assert min(ratios["CAE"]) > 1.2 and all(c > 1.2 * a for c, a in zip(ratios["CAE"], ratios["AE"]))

# %% [markdown]
# ## Pictures
#
# `tangents.png`: six test points around the curve, their true tangents, and each model's $v_1$ at the
# same points (red positive, blue negative). The CAE's $v_1$ concentrates on the blob and carries part
# of the tangent's red-blue pattern; at the mean angle measured above (about 45-55 degrees, so $\cos$ about
# 0.6-0.7, depending on the budget) it is far from a copy of the tangent, but far closer than the AE's, which
# spreads over pixels the data never use. The DAE's lies in between. `sensitivity.png`: the angle around the curve, along-versus-across sensitivity point by point
# (above the diagonal: more sensitive along the manifold), and the digits' shift-versus-noise ratio.

# %%
order = np.argsort(theta_test)
pick = order[:: len(order) // 6][:6]
tangents_png = plots.plot_image_stack(
    [("test points x(theta)", X_test[pick], False), ("true tangents t(x)", T_test[pick], True)]
    + [(f"{name}: v_1 of J(x), mean angle to t {angles[name].mean():.0f} deg", V1[name][pick], True)
       for name in models], lesson.figure("tangents.png"), n_cols=6, tile=0.7)
sensitivity_png = plots.plot_panels([
    {"series": {name: (np.degrees(theta_test[order]), angles[name][order], "o-") for name in models},
     "hlines": {f"random direction ({chance:.0f})": chance}, "title": "angle between v_1(x) and t(x)",
     "xlabel": "rotation theta of the test point (degrees)", "ylabel": "degrees"},
    {"series": {name: (across[name], along[name], "o") for name in models}, "diagonal": True,
     "xscale": "log", "yscale": "log", "title": "code change per unit input move",
     "xlabel": "across the manifold (random u orthogonal to t)", "ylabel": "along the manifold (t)"},
    {"series": {name: (alphas, r) for name, r in ratios.items()}, "hlines": {"equally sensitive": 1.0},
     "title": "digits: a shift vs noise of equal length", "xticks": alphas, "xlabel": "shift alpha (pixels)",
     "ylabel": "shift / noise sensitivity"}],
    lesson.figure("sensitivity.png"), width=4.8, height=4.0)

# %% [markdown]
# ## Questions
#
# **Question 1.** The AE's $v_1$ is no better aligned than a random direction. Where in the image does
# it put its weight, and why does nothing in the AE's loss stop it?
#
# **Question 2.** What happens to the three measurements (angle, along/across, bce) as $\lambda$ grows
# very large?
#
# **Question 3.** For a two-dimensional manifold (blobs rotated *and* shifted), which singular vectors
# should span the tangent plane, and how would you measure it with `angle_to_span`?

# %%
headline = (f"angle(v_1, tangent): AE {angles['AE'].mean():.0f}, DAE {angles['DAE'].mean():.0f}, "
            f"CAE {angles['CAE'].mean():.0f} deg (random {chance:.0f}); along/across: AE "
            f"{np.mean(along['AE'] / across['AE']):.1f}, CAE {np.mean(along['CAE'] / across['CAE']):.1f}; "
            f"digits shift/noise at 0.5 px: AE {ratios['AE'][1]:.2f}, CAE {ratios['CAE'][1]:.2f}")
lesson.finish(headline, {"tangent_error": err_tangent, "svd_error": err_svd, "jacobian_norms": norms,
                         "angles": {k: float(v.mean()) for k, v in angles.items()}, "chance_angle": chance,
                         "along_across": {k: float(np.mean(along[k] / across[k])) for k in models},
                         "noise_identity": (sampled, closed), "alphas": alphas, "shift_noise_ratios": ratios})

# %% [markdown]
# ## Answers
#
# **1.** On the pixels the blob never covers (the corners and the border of the image) and on
# directions the data never take. A pixel that is always near 0 gives the encoder's gradient
# $dA^\top X$ nothing in its column, and the decoder only needs $r_j \approx 0$, which the bias $b_r$ provides:
# the column of $W$ for that pixel is barely constrained and keeps much of its random initial value, and
# $J = \operatorname{diag}(s')W$ inherits that random sensitivity. The penalty is the one term that charges for
# those columns, through $q_k$, and it shrinks them.
#
# **2.** $\|J\|_F^2 \to 0$ in *every* direction, including along the tangent: first the across part
# vanishes (cheap), then, as $\lambda$ keeps growing, $Jt$ shrinks too and the code stops following the
# data; the bce rises toward that of a constant code (the mean image). The along/across ratio first
# rises, then the angle becomes meaningless once $\sigma_1$ is tiny and reconstruction has failed.
#
# **3.** The top two right singular vectors $v_1, v_2$: the code should be sensitive to exactly two
# directions. Compute both true tangents (rotation and shift), call
# `analysis.tangent_directions(..., k=2)` and measure `angle_to_span(V, t_rot)` and
# `angle_to_span(V, t_shift)`: both small if the CAE found the plane.
