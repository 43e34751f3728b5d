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
# # Lesson 11 - Stack contractive autoencoders
#
# One hidden layer can only bend the input space so much. The Manifold Tangent Classifier paper
# (Rifai, Dauphin, Vincent, Bengio and Muller, 2011) stacks contractive layers, as deep-learning
# papers of that time stacked RBMs and denoising autoencoders: train one on the data, then a second
# on the *codes* of the first, and so on. Each layer is trained greedily, alone, with its own
# penalty. The paper's layers are CAE+H layers (lesson 10, the Hessian term included); here we stack
# plain CAEs, the simplest case, and everything below holds for either. The result is a deep encoder
# $x \mapsto h_1 \mapsto h_2 \mapsto \dots \mapsto h_L$.
#
# Three questions follow. What is the Jacobian of the whole stack, and how do we check it? Does the
# cheap closed form of lesson 04 still hold? And what does a stack of contractive layers contract,
# compared with a stack of plain autoencoders trained the same way?
#
# **You need** lessons 03-04 (the Jacobian and its closed form) and 07 (training).

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "11_stack_contractive_autoencoders", "Lesson 11 - Stack contractive autoencoders",
    learn=["greedy layer-wise training: each CAE on the codes of the one below",
           "the stack's Jacobian J_L ... J_1 by the chain rule, checked by finite differences of "
           "encode",
           "why ||J_2 J_1||_F^2 has cross terms between units: no O(n_hidden) closed form",
           "the cost of the explicit product vs depth, and what the stack contracts: fewer "
           "directions, not a smaller largest gain"],
    need="lessons 03-04 and 07")

import numpy as np

import cae_scratch as cs
from cae_scratch import backend, data, plots, timing

Xtr, ytr, Xte, yte = data.load_digits(test_fraction=0.25, seed=lesson.seed)
sizes = [64, 48, 32, 16]
epochs = 10 if lesson.quick else 40
stacks = {}
for name, lam in (("CAE stack", 0.1), ("AE stack", 0.0)):        # same sizes, seed, epochs, steps
    stacks[name] = cs.StackedCAE(sizes, lam=lam, seed=lesson.seed, **lesson.model_kwargs())
    stacks[name].fit(stacks[name].asarray(Xtr), epochs=epochs, batch_size=64, lr=1e-2,
                     seed=lesson.seed, progress=False)
stack = stacks["CAE stack"]                                        # layer l: stack.layers[l - 1]
xp = stack.xp
act = cs.get_activation("sigmoid")
X = stack.asarray(Xte[:32])
print(f"two stacks {' -> '.join(map(str, sizes))}, trained greedily for {epochs} epochs per layer; "
      f"backend {lesson.backend}")

# %% [markdown]
# ## The Jacobian of a stack
#
# Write layer $\ell$ as $a_\ell = W_\ell h_{\ell-1} + b_{h,\ell}$, $h_\ell = s(a_\ell)$, with
# $h_0 = x$ and widths $n_0 = n_v, n_1, \dots, n_L$ (layer indices are $\ell$; $k$ and $m$ index
# units). Lesson 03 gave each layer's own Jacobian
# $J_\ell = \partial h_\ell/\partial h_{\ell-1} = \operatorname{diag}(s'(a_\ell))\,W_\ell$. Entry
# $(k, j)$ of the two-layer map is, by the chain rule summed over the middle units $m$,
# $$\frac{\partial h_{2,k}}{\partial x_j}
# = \sum_m \frac{\partial h_{2,k}}{\partial h_{1,m}}\,\frac{\partial h_{1,m}}{\partial x_j}
# = \sum_m (J_2)_{km}\,(J_1)_{mj} = (J_2 J_1)_{kj},$$
# and by induction $J_{\text{stack}} = J_L \cdots J_2 J_1$, of shape $(n_L, n_0)$. Note that $J_2$
# is evaluated at $h_1(x)$: every factor depends on $x$. We build the product per example with
# batched matrix products, then compare it with `stack.jacobian` and with central differences of
# `stack.encode` at a point strictly inside $[0, 1]^{64}$ (the encoder checks its input lies in
# $[0,1]$).

# %%
def layer_jacobians(stk, X_in):
    """[J_1, ..., J_L] per example, each (B, n_l, n_{l-1}), at the codes of X_in."""
    H, out = X_in, []
    for layer in stk.layers:
        W = layer.params["W"]
        A = H @ W.T + layer.params["b_h"]
        H = act.f(A)
        out.append(xp.expand_dims(act.d1(A, H), axis=2) * W)          # diag(s'(a_l)) W_l
    return out


def product(Js):
    """J_L ... J_1 per example: (B, n_L, n_0)."""
    P = Js[0]
    for J in Js[1:]:
        P = J @ P                                # batched: (B, n_l, n_{l-1}) @ (B, n_{l-1}, n_0)
    return P


J_hand = product(layer_jacobians(stack, X))
err_library = cs.rel_error(J_hand, stack.jacobian(X))
x_mid = stack.asarray(0.01 + 0.98 * Xte[:1])                  # (1, 64), every pixel in [0.01, 0.99]
step = 1e-5
E = step * xp.eye(64, dtype=X.dtype, device=backend.device_of(X))
J_fd = (stack.encode(x_mid + E) - stack.encode(x_mid - E)).T / (2 * step)   # (16, 64): column j
err_fd = cs.rel_error(product(layer_jacobians(stack, x_mid))[0, ...], J_fd)
print(f"J_3 J_2 J_1 by hand vs stack.jacobian: {err_library:.1e};  "
      f"vs finite differences of stack.encode: {err_fd:.1e}")
assert err_library < 1e-12 and err_fd < 1e-8

# %% [markdown]
# ## Why the closed form does not extend
#
# For one layer, $\|J\|_F^2 = \sum_k s'(a_k)^2 q_k$ because row $k$ of $J$ is $s'(a_k)$ times a
# *fixed* vector $w_k$. For two layers, row $k$ of $J_2J_1$ is
# $s'(a_{2k})\sum_m W_{2,km}\, s'(a_{1m})\, w_{1m}$, a mixture of first-layer rows whose weights
# depend on $x$. Its squared length expands into a double sum:
# $$\|J_2 J_1\|_F^2 = \sum_k s'(a_{2k})^2 \sum_{m,m'} W_{2,km} W_{2,km'}\; s'(a_{1m})\,
# s'(a_{1m'})\; M_{mm'}, \qquad M = W_1 W_1^\top .$$
# Keeping only $m = m'$ gives a "per-unit" formula
# $Q_{\text{diag}} = \sum_k s'(a_{2k})^2\sum_m W_{2,km}^2\, s'(a_{1m})^2 q_{1m}$, the one-layer
# shape applied twice; the cross terms $m \neq m'$ vanish only when the rows of $W_1$ are orthogonal
# ($M$ diagonal). In general the double sum costs $n_2 n_1^2$ multiply-adds per example ($M$ is
# computed once per batch), against $n_2 n_1 n_0$ for building the product $J_2J_1$: cheaper by a
# factor $n_0/n_1$ (64/48 here), but still quadratic in the width, with no $O(n_1)$ closed form. The
# one thing that does hold is a bound: $\|AB\|_F \le \|A\|_F\|B\|_F$ (Cauchy-Schwarz on each entry),
# so the product of the per-layer closed forms bounds the stack's norm from above. We check all of
# it on the first two layers (the double sum against the product, the diagonal formula, the bound),
# then make $W_1$'s rows orthonormal and watch $Q_{\text{diag}}$ become exact.

# %%
def two_layer_forms(W1, b1, W2, b2, X_in):
    """(||J_2 J_1||_F^2 from the product, the double sum with M, the diagonal formula, the bound
    ||J_2||_F^2 ||J_1||_F^2), each (B,) on the host."""
    A1 = X_in @ W1.T + b1
    H1 = act.f(A1)
    A2 = H1 @ W2.T + b2
    d1, d2 = act.d1(A1, H1), act.d1(A2, act.f(A2))
    J1 = xp.expand_dims(d1, axis=2) * W1
    J2 = xp.expand_dims(d2, axis=2) * W2
    exact = xp.sum(xp.reshape((J2 @ J1) ** 2, (X_in.shape[0], -1)), axis=1)
    M = W1 @ W1.T                                             # (n_1, n_1), once per batch
    R = xp.expand_dims(d1, axis=1) * W2                        # rows W_2,k * s'(a_1): (B, n_2, n_1)
    double_sum = xp.sum(xp.expand_dims(d2 * d2, axis=2) * (R @ M) * R, axis=(1, 2))
    q1, q2 = xp.sum(W1 * W1, axis=1), xp.sum(W2 * W2, axis=1)
    diag = xp.sum(d2 * d2 * ((d1 * d1 * q1) @ (W2 * W2).T), axis=1)
    bound = ((d1 * d1) @ q1) * ((d2 * d2) @ q2)
    return [backend.to_numpy(v) for v in (exact, double_sum, diag, bound)]


L1, L2 = stack.layers[0].params, stack.layers[1].params
exact, double_sum, diag, bound = two_layer_forms(L1["W"], L1["b_h"], L2["W"], L2["b_h"], X)
err_double = float(np.max(np.abs(double_sum - exact) / exact))
gap = float(np.max(np.abs(diag - exact) / exact))
Q = np.linalg.qr(backend.to_numpy(L1["W"]).T)[0].T                   # (48, 64), orthonormal rows
exact_o, _, diag_o, _ = two_layer_forms(stack.asarray(Q), L1["b_h"], L2["W"], L2["b_h"], X)
gap_orthogonal = float(np.max(np.abs(diag_o - exact_o) / exact_o))
n0, n1, n2 = sizes[:3]
print(f"||J_2 J_1||_F^2, mean over {X.shape[0]} digits: from the product {exact.mean():.4f}, "
      f"the double sum with M {double_sum.mean():.4f} (worst difference {err_double:.1e})")
print(f"  diagonal formula {diag.mean():.4f} (worst relative gap {gap:.2f}), "
      f"bound {bound.mean():.2f}")
print(f"  multiply-adds per example: double sum n_2 n_1^2 = {n2 * n1 * n1}, product n_2 n_1 n_0 = "
      f"{n2 * n1 * n0}: {n0 / n1:.2f} times cheaper")
print(f"with W_1's rows made orthonormal: worst gap between the diagonal formula and the exact "
      f"norm {gap_orthogonal:.1e}")
assert err_double < 1e-12 and gap > 0.05 and gap_orthogonal < 1e-12
assert np.all(exact <= bound * (1 + 1e-12))

# %% [markdown]
# ## What the explicit product costs
#
# Encoding costs one product per layer, $B\,n_\ell\,n_{\ell-1}$ multiply-adds. The Jacobian carries
# an $(n_{\ell-1}\times n_0)$ matrix per example through every layer, $W_\ell J_{<\ell}$, so layer
# $\ell$ costs $B\,n_\ell\,n_{\ell-1}\,n_0$: $n_0$ times the encoder's work, at every depth. With a
# constant width the ratio is $n_0$, and both grow linearly with depth. We count the multiply-adds
# (computed) and time both on stacks of width 64 and depth 1 to 6 (`timing.min_seconds`, the minimum
# over alternating blocks: on a shared machine the quietest run is the most repeatable). If the
# measured ratio is far below 64, the products are too small to keep the processor busy and fixed
# per-call costs dominate.

# %%
depths = [1, 2, 3, 4, 6]
B_time = 256
X_time = stack.asarray(Xte[:B_time])
seconds, flops_encode, flops_jacobian = {"encode": [], "jacobian": []}, [], []
for depth in depths:
    deep = cs.StackedCAE([64] * (depth + 1), lam=0.1, seed=lesson.seed, **lesson.model_kwargs())
    t = timing.min_seconds({"encode": lambda: deep.encode(X_time),
                            "jacobian": lambda: deep.jacobian(X_time)},
                           repeats=3 if lesson.quick else 7, sync=lambda: backend.synchronize(xp))
    for k in seconds:
        seconds[k].append(t[k])
    flops_encode.append(B_time * 64 * 64 * depth)
    flops_jacobian.append(B_time * 64 * 64 * 64 * depth)
    print(f"  depth {depth}: encode {1e3 * t['encode']:7.2f} ms   "
          f"explicit J_stack {1e3 * t['jacobian']:7.2f} ms   (multiply-adds, computed: "
          f"{flops_encode[-1]:.2e} vs {flops_jacobian[-1]:.2e})")
assert all(fj == 64 * fe for fe, fj in zip(flops_encode, flops_jacobian))


# %%
def plot_cost(path):
    """Measured milliseconds and counted multiply-adds against depth."""
    label = {"encode": "encode", "jacobian": "explicit J_stack"}
    return plots.plot_panels([
        {"series": {label[name]: (depths, [1e3 * s for s in secs], "o-")
                    for name, secs in seconds.items()},
         "xticks": depths, "yscale": "log", "xlabel": "depth L (width 64)",
         "ylabel": f"ms for {B_time} digits (min of blocks)", "title": "measured time"},
        {"series": {"encode": (depths, flops_encode, "o-"),
                    "explicit J_stack": (depths, flops_jacobian, "s-")},
         "xticks": depths, "yscale": "log", "xlabel": "depth L (width 64)",
         "ylabel": "multiply-adds (computed)",
         "title": "counted work: n_0 = 64 times the encoder's"}],
        path)


cost_png = plot_cost(lesson.figure("cost.png"))

# %% [markdown]
# ## What the stack contracts
#
# Now the two trained stacks. For each depth $\ell$ we take the partial Jacobian $J_\ell\cdots J_1$
# (the map from pixels to $h_\ell$) on held-out digits: its Frobenius norm and its singular values,
# averaged over digits. Two things make such numbers easy to misread.
#
# First, the bound $\|AB\|_F \le \|A\|_F\|B\|_F$ does not by itself say that contraction compounds
# with depth: it would only if every layer's own norm were below 1. So we also measure each layer
# alone, $\|J_\ell\|_F$ and its spectral norm $\|J_\ell\|_2 = \sigma_1(J_\ell)$ (the largest gain of
# any input direction). Second, our stack narrows (64, 48, 32, 16 units). A Jacobian with fewer rows
# has fewer singular values, so its Frobenius norm can fall with depth without any direction being
# contracted more. The controls: the spectral norm, which does not count rows, and a pair of
# equal-width stacks (64, 64, 64, 64 units, trained the same way). Finally we compare how fast the
# spectra fall: the ratio $\sum_i\sigma_i^2/\sigma_1^2$, an "effective number of directions" the
# code still feels.

# %%
def contraction_by_depth(stk, X_in):
    """Per depth l, means over the rows of X_in: ||J_l...J_1||_F, its singular values, ||J_l||_F and
    ||J_l||_2 of the layer alone, and the bound ||J_l||_F ... ||J_1||_F."""
    out = {"frobenius": [], "spectrum": [], "layer_frobenius": [], "layer_spectral": [],
           "bound": []}
    P, bound_l = None, np.ones(X_in.shape[0])
    for J in layer_jacobians(stk, X_in):
        P = J if P is None else J @ P
        host, layer = backend.to_numpy(P), backend.to_numpy(J)
        layer_fro = np.sqrt(np.sum(layer ** 2, axis=(1, 2)))
        bound_l = bound_l * layer_fro
        out["frobenius"].append(float(np.mean(np.sqrt(np.sum(host ** 2, axis=(1, 2))))))
        out["spectrum"].append(np.linalg.svd(host, compute_uv=False).mean(axis=0))
        out["layer_frobenius"].append(float(np.mean(layer_fro)))
        out["layer_spectral"].append(float(np.mean(np.linalg.norm(layer, ord=2, axis=(1, 2)))))
        out["bound"].append(float(np.mean(bound_l)))
    out["spectral"] = [float(s[0]) for s in out["spectrum"]]
    return out


X_eval = stack.asarray(Xte)
for name, lam in (("CAE stack, equal widths", 0.1), ("AE stack, equal widths", 0.0)):
    stacks[name] = cs.StackedCAE([64] * 4, lam=lam, seed=lesson.seed, **lesson.model_kwargs())
    stacks[name].fit(stacks[name].asarray(Xtr), epochs=epochs, batch_size=64, lr=1e-2,
                     seed=lesson.seed, progress=False)
by_depth = {name: contraction_by_depth(stk, X_eval) for name, stk in stacks.items()}
for name, d in by_depth.items():
    print(f"  {name}:")
    row = lambda key: ", ".join(f"{v:.2f}" for v in d[key])
    print(f"    partial J_l...J_1, per depth: ||.||_F {row('frobenius')};  "
          f"||.||_2 {row('spectral')}")
    print(f"    each layer alone:    ||J_l||_F {row('layer_frobenius')};  "
          f"||J_l||_2 {row('layer_spectral')}")
norms = {name: by_depth[name]["frobenius"] for name in ("CAE stack", "AE stack")}
per_layer_bound = {name: by_depth[name]["bound"] for name in norms}
spectra = {name: by_depth[name]["spectrum"] for name in norms}
eff_dirs = {name: float(np.sum(spectra[name][-1] ** 2) / spectra[name][-1][0] ** 2)
            for name in norms}
print("effective directions at the top: " + ", ".join(f"{name} {v:.2f} of {sizes[-1]}"
                                                      for name, v in eff_dirs.items()))

# %%
J_eval = backend.to_numpy(product(layer_jacobians(stack, X_eval)))
penalty_library = stack.contractive_penalty(X_eval)               # mean_n ||J_stack(x_n)||_F^2
penalty_by_hand = float(np.mean(np.sum(J_eval ** 2, axis=(1, 2))))
penalty_error = abs(penalty_library - penalty_by_hand) / penalty_library
print(f"stack.contractive_penalty vs mean ||J_3 J_2 J_1||_F^2 by hand: {penalty_error:.1e}")
assert penalty_error < 1e-10
for name in norms:
    assert all(n <= b * (1 + 1e-12) for n, b in zip(norms[name], per_layer_bound[name]))
    assert all(deeper < shallower for shallower, deeper in zip(norms[name], norms[name][1:]))
assert all(c < a for c, a in zip(norms["CAE stack"], norms["AE stack"]))
assert eff_dirs["CAE stack"] < eff_dirs["AE stack"]
cae_d, equal = by_depth["CAE stack"], by_depth["CAE stack, equal widths"]
assert min(cae_d["layer_frobenius"]) > 1 and min(cae_d["layer_spectral"]) > 1   # no layer contracts
layer_product = float(np.prod(cae_d["layer_spectral"]))
assert cae_d["spectral"][-1] < 0.6 * layer_product                  # the bound is far from tight
assert min(equal["spectral"]) > 0.9                                # sigma_1 stays near or above 1
for d in (cae_d, equal):
    assert all(deeper < shallower for shallower, deeper in zip(d["frobenius"], d["frobenius"][1:]))
    assert d["spectral"][-1] / d["spectral"][0] > d["frobenius"][-1] / d["frobenius"][0]
assert all(c < a for c, a in zip(equal["spectral"], by_depth["AE stack, equal widths"]["spectral"]))
print(f"CAE stack: the product of the layers' spectral norms is {layer_product:.2f}; the stack's "
      f"is {cae_d['spectral'][-1]:.2f}")

# %% [markdown]
# What the numbers show. Every layer of the CAE stack, alone, has a Frobenius norm and a spectral
# norm above 1 (printed above): no layer contracts every direction, so the product bound cannot make
# contraction compound. What falls with depth is the Frobenius norm of the partial Jacobian, in the
# narrowing stacks and in the equal-width ones too (for the CAE about as steeply; for the AE less),
# and the effective number of directions: the stack feels fewer directions the deeper we look. Its
# largest gain, the spectral norm, falls much more slowly, stays near or above 1 at every depth, and
# ends far below the product of the layers' spectral norms, because the directions each layer
# amplifies most are not the ones the layer below passes on. So "contraction" in a stack means
# *fewer sensitive directions*, not a smaller gain in the most sensitive one. The CAE stacks have
# smaller norms than the AE stacks of the same shape at every depth, and the AE stacks keep a
# spectral norm well above 1.


# %%
def plot_spectra(path):
    """One panel per depth: the mean singular values of J_l...J_1, CAE stack vs AE stack."""
    return plots.plot_panels([
        {"series": {name: (np.arange(1, len(spectra[name][l]) + 1), spectra[name][l], "o-")
                    for name in spectra},
         "yscale": "log", "xlabel": "i", "ylabel": "mean singular value sigma_i",
         "xticks": list(range(1, sizes[l + 1] + 1, max(1, sizes[l + 1] // 6))),
         "title": f"h_{l + 1} ({sizes[l + 1]} units): J_{l + 1}...J_1"}
        for l in range(len(sizes) - 1)],
        path, width=4.3, height=3.6,
        suptitle="singular values of the partial Jacobians on held-out digits, CAE stack vs AE "
                 "stack (same training)")


spectrum_png = plot_spectra(lesson.figure("spectrum.png"))

# %% [markdown]
# ## Questions
#
# **Question 1.** A stack of $L$ sigmoid layers has $s' \le \frac14$ in every layer. What is the
# largest $\|J_{\text{stack}}\|_2$ can be in terms of the weights? Must a deep sigmoid stack
# contract its most sensitive direction, even without a penalty? Use the norms measured above.
#
# **Question 2.** The greedy procedure trains layer 2 with its own penalty on $\|J_2\|_F^2$, not on
# $\|J_2J_1\|_F^2$. Which directions of the input can layer 2's penalty fail to see?
#
# **Question 3.** Estimate the cost of penalising $\|J_{\text{stack}}\|_F^2$ exactly during
# training, in products of the encoder's size, for a $784\to500\to500$ stack.

# %%
jacobian_step, encode_cost = 500 * 500 * 784, 784 * 500 + 500 * 500    # per example, 784-500-500
cost_ratio = jacobian_step / encode_cost
min_weight_norm = [4 * v for v in cae_d["layer_spectral"]]         # ||W_l||_2 >= 4 ||J_l||_2
print(f"784-500-500: the Jacobian's first product W_2 J_1 costs {jacobian_step:.3g} multiply-adds "
      f"per example, encoding {encode_cost:.3g}: {cost_ratio:.0f} times more")
print("CAE stack: ||W_l||_2 >= 4 ||J_l||_2 = " + ", ".join(f"{v:.2f}" for v in min_weight_norm)
      + "; measured ||W_l||_2 = " + ", ".join(
          f"{float(np.linalg.norm(backend.to_numpy(layer.params['W']), ord=2)):.2f}"
          for layer in stack.layers))
assert 300 < cost_ratio < 310
lesson.finish(f"J_stack = finite differences of encode to {err_fd:.0e}; diagonal formula off by "
              f"{gap:.0%}; ||J_stack||_F: CAE {norms['CAE stack'][-1]:.2f} vs AE "
              f"{norms['AE stack'][-1]:.2f}; spectral norm at the top {cae_d['spectral'][-1]:.2f}",
              {"library_error": err_library, "fd_error": err_fd, "diagonal_gap": gap,
               "double_sum_error": err_double, "orthogonal_gap": gap_orthogonal,
               "exact_mean": float(exact.mean()), "diagonal_mean": float(diag.mean()),
               "bound_mean": float(bound.mean()), "depths": depths, "seconds": seconds,
               "flops_encode": flops_encode, "flops_jacobian": flops_jacobian, "norms": norms,
               "per_layer_bound": per_layer_bound, "effective_directions": eff_dirs,
               "spectra": {n: [s.tolist() for s in v] for n, v in spectra.items()},
               "by_depth": {n: {k: v for k, v in d.items() if k != "spectrum"}
                            for n, d in by_depth.items()},
               "penalty_error": penalty_error, "cost_ratio_784_500_500": cost_ratio,
               "sizes": sizes})

# %% [markdown]
# ## Answers
#
# **1.** $\|J_{\text{stack}}\|_2 \le \prod_\ell \|J_\ell\|_2 \le \prod_\ell \frac14\|W_\ell\|_2$. If
# every $\|W_\ell\|_2 < 4$ the product shrinks geometrically with depth (the familiar vanishing
# gradient, seen from the input side). Nothing forces that: training grows the weights, and here
# every layer's measured $\|J_\ell\|_2$ is above 1, so every $\|W_\ell\|_2$ is above 4 (the last
# cell prints $4\|J_\ell\|_2$, a lower bound). The stacks do not contract their most sensitive
# direction: the CAE stack's spectral norm stays near or above 1 at every depth, the AE stack's well
# above 1. What depth does reduce is the number of directions the code feels, and the CAE keeps
# fewer of them.
#
# **2.** Layer 2 sees only directions of $h_1$-space. Its penalty cannot distinguish input
# directions that layer 1 maps to the same code direction, and it is blind to how $J_1$ weights
# them. It can leave large a direction that $J_1$ amplifies, so the greedy stack is only
# approximately contractive as a whole.
#
# **3.** The product has $n_0$ columns: the first step is $W_2 J_1$, $500\cdot 500\cdot 784$
# multiply-adds per example, against $784\cdot 500 + 500\cdot 500$ for encoding, about 305 times
# more (the last cell computes it), and its backward as much again. A sampled penalty avoids the
# product: to first order $\mathbb E\|h(x+\epsilon) - h(x)\|^2/\tau^2 \approx \|J\|_F^2$ for
# $\epsilon\sim\mathcal N(0,\tau^2 I)$ (lessons 00 and 08), about one more encoder pass per noise
# draw; or, without the $\tau^4$ error, $\mathbb E_u\|J u\|^2 = \|J\|_F^2$ for probes $u$ with
# $\mathbb E\,uu^\top = I$, where $Ju$ is one forward-mode pass (the recursion of tangent
# propagation, lesson 12).

# %% [markdown]
# ## Sources
#
# - S. Rifai, Y. Dauphin, P. Vincent, Y. Bengio and X. Muller, "The Manifold Tangent Classifier",
#   NIPS 2011: a stack of CAE+H layers trained greedily, its tangents read at the top layer.
# - Y. Bengio, P. Lamblin, D. Popovici and H. Larochelle, "Greedy Layer-Wise Training of Deep
#   Networks", NIPS 2006: greedy layer-wise stacking of autoencoders.
# - P. Vincent, H. Larochelle, I. Lajoie, Y. Bengio and P.-A. Manzagol, "Stacked Denoising
#   Autoencoders", JMLR 11, 2010: the same stacking for denoising autoencoders.
# - G. H. Golub and C. F. Van Loan, *Matrix Computations* (4th ed., 2013), sections 2.3 and 2.4: the
#   Frobenius and spectral norms, their submultiplicativity, and the SVD.
# - The stack's Jacobian, the cost count and the norms by depth are derived and measured on this
#   page.
