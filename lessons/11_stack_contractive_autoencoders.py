# %% [markdown]
# # Lesson 11 - Stack contractive autoencoders
#
# One hidden layer can only bend the input space so much. The Manifold Tangent Classifier paper
# (Rifai, Dauphin, Vincent, Bengio and Muller, 2011) stacks CAEs, as deep-learning papers of that time
# stacked RBMs and denoising autoencoders: train a CAE on the data, then a second CAE on the *codes*
# of the first, and so on. Each layer is trained greedily, alone, with its own penalty. The result is
# a deep encoder $x \mapsto h_1 \mapsto h_2 \mapsto \dots \mapsto h_L$.
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
           "the stack's Jacobian J_L ... J_1 by the chain rule, checked by finite differences of encode",
           "why ||J_2 J_1||_F^2 has cross terms between units: no O(n_hidden) closed form",
           "the cost of the explicit product vs depth, and what the stack contracts, layer by layer"],
    need="lessons 03-04 and 07")

import numpy as np

import cae_scratch as cs
from cae_scratch import backend, data, plots, timing

Xtr, ytr, Xte, yte = data.load_digits(test_fraction=0.25, seed=lesson.seed)
sizes = [64, 48, 32, 16]
epochs = 10 if lesson.quick else 40
stacks = {}
for name, lam in (("CAE stack", 0.1), ("AE stack", 0.0)):               # same sizes, seed, epochs and steps
    stacks[name] = cs.StackedCAE(sizes, lam=lam, seed=lesson.seed, **lesson.model_kwargs())
    stacks[name].fit(stacks[name].asarray(Xtr), epochs=epochs, batch_size=64, lr=1e-2, seed=lesson.seed,
                     progress=False)
stack = stacks["CAE stack"]
xp = stack.xp
act = cs.get_activation("sigmoid")
X = stack.asarray(Xte[:32])
print(f"two stacks {' -> '.join(map(str, sizes))}, trained greedily for {epochs} epochs per layer; "
      f"backend {lesson.backend}")

# %% [markdown]
# ## The Jacobian of a stack
#
# Write layer $l$ as $a_l = W_l h_{l-1} + b_l$, $h_l = s(a_l)$, with $h_0 = x$. Lesson 03 gave each
# layer's own Jacobian $J_l = \partial h_l/\partial h_{l-1} = \operatorname{diag}(s'(a_l))\,W_l$. Entry
# $(k, j)$ of the two-layer map is, by the chain rule summed over the middle units $m$,
# $$\frac{\partial h_{2,k}}{\partial x_j} = \sum_m \frac{\partial h_{2,k}}{\partial h_{1,m}}\,\frac{\partial h_{1,m}}{\partial x_j}
# = \sum_m (J_2)_{km}\,(J_1)_{mj} = (J_2 J_1)_{kj},$$
# and by induction $J_{\text{stack}} = J_L \cdots J_2 J_1$, of shape $(n_L, n_0)$. Note that $J_2$ is
# evaluated at $h_1(x)$: every factor depends on $x$. We build the product per example with batched
# matrix products, then compare it with `stack.jacobian` and with central differences of `stack.encode`
# at a point strictly inside $[0, 1]^{64}$ (the encoder checks its input lies in $[0,1]$).

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
    P = Js[0]
    for J in Js[1:]:
        P = J @ P                                                   # batched: (B, n_l, n_{l-1}) @ (B, n_{l-1}, n_0)
    return P


J_hand = product(layer_jacobians(stack, X))
err_library = cs.rel_error(J_hand, stack.jacobian(X))
x_mid = stack.asarray(0.01 + 0.98 * Xte[:1])                        # (1, 64), every pixel in [0.01, 0.99]
step = 1e-5
E = step * xp.eye(64, dtype=X.dtype, device=backend.device_of(X))
J_fd = (stack.encode(x_mid + E) - stack.encode(x_mid - E)).T / (2 * step)   # (16, 64): column j from row j
err_fd = cs.rel_error(product(layer_jacobians(stack, x_mid))[0, ...], J_fd)
print(f"J_3 J_2 J_1 by hand vs stack.jacobian: {err_library:.1e};  vs finite differences of stack.encode: {err_fd:.1e}")
assert err_library < 1e-12 and err_fd < 1e-8

# %% [markdown]
# ## Why the closed form does not extend
#
# For one layer, $\|J\|_F^2 = \sum_k s'(a_k)^2 q_k$ because row $k$ of $J$ is $s'(a_k)$ times a *fixed* vector $w_k$.
# For two layers, row $k$ of $J_2J_1$ is $s'(a_{2k})\sum_m W_{2,km}\, s'(a_{1m})\, w_{1m}$, a mixture of first-layer
# rows whose weights depend on $x$. Its squared length expands into a double sum:
# $$\|J_2 J_1\|_F^2 = \sum_k s'(a_{2k})^2 \sum_{m,m'} W_{2,km} W_{2,km'}\; s'(a_{1m})\, s'(a_{1m'})\; G_{mm'},
# \qquad G = W_1 W_1^\top .$$
# Keeping only $m = m'$ gives a "per-unit" formula $D = \sum_k s'(a_{2k})^2\sum_m W_{2,km}^2\, s'(a_{1m})^2 q_{1m}$, the one-layer
# shape applied twice; the cross terms $m \neq m'$ vanish only when the rows of $W_1$ are orthogonal
# ($G$ diagonal). In general they need $O(n_2 n_1^2)$ work per example, no cheaper than building the
# product. The one thing that does hold is a bound: $\|AB\|_F \le \|A\|_F\|B\|_F$ (Cauchy-Schwarz on each
# entry), so the product of the per-layer closed forms bounds the stack's norm from above. We check
# all three on the first two layers, then make $W_1$'s rows orthonormal and watch $D$ become exact.

# %%
def two_layer_forms(W1, b1, W2, b2, X_in):
    """(exact ||J_2 J_1||_F^2, the diagonal formula D, the bound ||J_2||^2 ||J_1||^2), each (B,) on the host."""
    A1 = X_in @ W1.T + b1
    H1 = act.f(A1)
    A2 = H1 @ W2.T + b2
    d1, d2 = act.d1(A1, H1), act.d1(A2, act.f(A2))
    J1 = xp.expand_dims(d1, axis=2) * W1
    J2 = xp.expand_dims(d2, axis=2) * W2
    exact = xp.sum(xp.reshape((J2 @ J1) ** 2, (X_in.shape[0], -1)), axis=1)
    q1, q2 = xp.sum(W1 * W1, axis=1), xp.sum(W2 * W2, axis=1)
    diag = xp.sum(d2 * d2 * ((d1 * d1 * q1) @ (W2 * W2).T), axis=1)
    bound = ((d1 * d1) @ q1) * ((d2 * d2) @ q2)
    return [backend.to_numpy(v) for v in (exact, diag, bound)]


L1, L2 = stack.layers[0].params, stack.layers[1].params
exact, diag, bound = two_layer_forms(L1["W"], L1["b_h"], L2["W"], L2["b_h"], X)
gap = float(np.max(np.abs(diag - exact) / exact))
Q = np.linalg.qr(backend.to_numpy(L1["W"]).T)[0].T                   # (48, 64) with orthonormal rows
exact_o, diag_o, _ = two_layer_forms(stack.asarray(Q), L1["b_h"], L2["W"], L2["b_h"], X)
gap_orthogonal = float(np.max(np.abs(diag_o - exact_o) / exact_o))
print(f"||J_2 J_1||_F^2, mean over {X.shape[0]} digits: exact {exact.mean():.4f}, diagonal formula {diag.mean():.4f} "
      f"(worst relative gap {gap:.2f}), bound {bound.mean():.2f}")
print(f"with W_1's rows made orthonormal: worst gap between the diagonal formula and the exact norm {gap_orthogonal:.1e}")
assert gap > 0.05 and gap_orthogonal < 1e-12 and np.all(exact <= bound * (1 + 1e-12))

# %% [markdown]
# ## What the explicit product costs
#
# Encoding costs one product per layer, $B\,n_l\,n_{l-1}$ multiply-adds. The Jacobian carries an
# $(n_{l-1}\times n_0)$ matrix per example through every layer, $W_l J_{<l}$, so layer $l$ costs
# $B\,n_l\,n_{l-1}\,n_0$: $n_0$ times the encoder's work, at every depth. With a constant width $n$ the
# ratio is $n_0$, and both grow linearly with depth. We count the multiply-adds (computed) and time
# both on stacks of width 64 and depth 1 to 6 (`timing.min_seconds`, the minimum over alternating blocks:
# on a shared machine the quietest run is the most repeatable). If the measured ratio is far below 64,
# the products are too small to keep the processor busy and fixed per-call costs dominate.

# %%
depths = [1, 2, 3, 4, 6]
B_time = 256
X_time = stack.asarray(Xte[:B_time])
seconds, flops_encode, flops_jacobian = {"encode": [], "jacobian": []}, [], []
for depth in depths:
    deep = cs.StackedCAE([64] * (depth + 1), lam=0.1, seed=lesson.seed, **lesson.model_kwargs())
    t = timing.min_seconds({"encode": lambda: deep.encode(X_time), "jacobian": lambda: deep.jacobian(X_time)},
                           repeats=3 if lesson.quick else 7, sync=lambda: backend.synchronize(xp))
    for k in seconds:
        seconds[k].append(t[k])
    flops_encode.append(B_time * 64 * 64 * depth)
    flops_jacobian.append(B_time * 64 * 64 * 64 * depth)
    print(f"  depth {depth}: encode {1e3 * t['encode']:7.2f} ms   explicit J_stack {1e3 * t['jacobian']:7.2f} ms   "
          f"(multiply-adds, computed: {flops_encode[-1]:.2e} vs {flops_jacobian[-1]:.2e})")
assert all(fj == 64 * fe for fe, fj in zip(flops_encode, flops_jacobian))
cost_png = plots.plot_panels([
    {"series": {("explicit J_stack" if name == "jacobian" else name): (depths, [1e3 * s for s in secs], "o-")
                for name, secs in seconds.items()},
     "xticks": depths, "yscale": "log", "xlabel": "depth L (width 64)", "ylabel": f"ms for {B_time} digits (min of blocks)",
     "title": "measured time"},
    {"series": {"encode": (depths, flops_encode, "o-"), "explicit J_stack": (depths, flops_jacobian, "s-")},
     "xticks": depths, "yscale": "log", "xlabel": "depth L (width 64)", "ylabel": "multiply-adds (computed)",
     "title": "counted work: n_0 = 64 times the encoder's"}], lesson.figure("cost.png"))

# %% [markdown]
# ## What the stack contracts
#
# Now the two trained stacks. For each depth $l$ we take the partial Jacobian $J_l\cdots J_1$ (the
# map from pixels to $h_l$) on held-out digits, and its singular values averaged over digits.
# By the bound above its norm is at most the product of the layers' norms, so contraction compounds
# with depth; we check the bound, and that the norm falls layer by layer in both stacks. We check that
# the CAE stack's $\|J\|_F$ is below the AE stack's at every depth, and
# compare how fast the spectra fall: the ratio $\sum_i\sigma_i^2/\sigma_1^2$, an "effective number of
# directions" the code still feels.

# %%
X_eval = stack.asarray(Xte)
spectra, norms, per_layer_bound, eff_dirs = {}, {}, {}, {}
for name, stk in stacks.items():
    Js = layer_jacobians(stk, X_eval)
    spectra[name], norms[name], per_layer_bound[name] = [], [], []
    P, bound_l = None, np.ones(X_eval.shape[0])
    for J in Js:
        P = J if P is None else J @ P
        host = backend.to_numpy(P)
        spectra[name].append(np.linalg.svd(host, compute_uv=False).mean(axis=0))
        norms[name].append(float(np.mean(np.sqrt(np.sum(host ** 2, axis=(1, 2))))))
        bound_l = bound_l * np.sqrt(np.sum(backend.to_numpy(J) ** 2, axis=(1, 2)))
        per_layer_bound[name].append(float(np.mean(bound_l)))
    top = spectra[name][-1]
    eff_dirs[name] = float(np.sum(top ** 2) / top[0] ** 2)
    print(f"  {name}: mean ||J_l...J_1||_F per depth " + ", ".join(f"{v:.3f}" for v in norms[name])
          + f";  top layer: effective directions {eff_dirs[name]:.2f} of {sizes[-1]}")
J_eval = backend.to_numpy(product(layer_jacobians(stack, X_eval)))
penalty_library = stack.contractive_penalty(X_eval)                 # mean_b ||J_stack(x_b)||_F^2
penalty_error = abs(penalty_library - float(np.mean(np.sum(J_eval ** 2, axis=(1, 2))))) / penalty_library
print(f"stack.contractive_penalty vs mean ||J_3 J_2 J_1||_F^2 by hand: {penalty_error:.1e}")
assert penalty_error < 1e-10
for name in stacks:
    assert all(n <= b * (1 + 1e-12) for n, b in zip(norms[name], per_layer_bound[name]))
    assert all(deeper < shallower for shallower, deeper in zip(norms[name], norms[name][1:]))   # compounds
assert all(c < a for c, a in zip(norms["CAE stack"], norms["AE stack"]))
assert eff_dirs["CAE stack"] < eff_dirs["AE stack"]
spectrum_png = plots.plot_panels([
    {"series": {name: (np.arange(1, len(spectra[name][l]) + 1), spectra[name][l], "o-") for name in spectra},
     "yscale": "log", "xlabel": "i", "ylabel": "mean singular value sigma_i",
     "xticks": list(range(1, sizes[l + 1] + 1, max(1, sizes[l + 1] // 6))),
     "title": f"h_{l + 1} ({sizes[l + 1]} units): J_{l + 1}...J_1"} for l in range(len(sizes) - 1)],
    lesson.figure("spectrum.png"), width=4.3, height=3.6,
    suptitle="singular values of the partial Jacobians on held-out digits, CAE stack vs AE stack (same training)")

# %% [markdown]
# ## Questions
#
# **Question 1.** A stack of $L$ sigmoid layers has $s' \le \frac14$ in every layer. What is the largest
# $\|J_{\text{stack}}\|_2$ can be in terms of the weights, and why do deep sigmoid stacks contract even
# without a penalty?
#
# **Question 2.** The greedy procedure trains layer 2 with its own penalty on $\|J_2\|_F^2$, not on
# $\|J_2J_1\|_F^2$. Which directions of the input can layer 2's penalty fail to see?
#
# **Question 3.** Estimate the cost of penalising $\|J_{\text{stack}}\|_F^2$ exactly during training, in
# products of the encoder's size, for a $784\to500\to500$ stack.

# %%
lesson.finish(f"J_stack = finite differences of encode to {err_fd:.0e}; diagonal formula off by {gap:.0%}; "
              f"||J_stack||_F: CAE {norms['CAE stack'][-1]:.2f} vs AE {norms['AE stack'][-1]:.2f}",
              {"library_error": err_library, "fd_error": err_fd, "diagonal_gap": gap,
               "orthogonal_gap": gap_orthogonal, "exact_mean": float(exact.mean()), "diagonal_mean": float(diag.mean()),
               "bound_mean": float(bound.mean()), "depths": depths, "seconds": seconds,
               "flops_encode": flops_encode, "flops_jacobian": flops_jacobian, "norms": norms,
               "per_layer_bound": per_layer_bound, "effective_directions": eff_dirs,
               "spectra": {n: [s.tolist() for s in v] for n, v in spectra.items()}, "penalty_error": penalty_error,
               "sizes": sizes})

# %% [markdown]
# ## Answers
#
# **1.** $\|J_{\text{stack}}\|_2 \le \prod_l \|J_l\|_2 \le \prod_l \frac14\|W_l\|_2$. Unless the weights grow by a
# factor 4 per layer, the product shrinks geometrically with depth: the familiar vanishing gradient,
# seen from the input side. That is why the AE stack contracts too; the question is *which* directions
# survive, and the CAE keeps fewer of them.
#
# **2.** Layer 2 sees only directions of $h_1$-space. Its penalty cannot distinguish input directions
# that layer 1 maps to the same code direction, and it is blind to how $J_1$ weights them. It can leave
# large a direction that $J_1$ amplifies, so the greedy stack is only approximately contractive as a whole.
#
# **3.** The product has $n_0$ columns: the first step is $W_2 J_1$, $500\cdot 500\cdot 784$ multiply-adds per example,
# against $784\cdot 500 + 500\cdot 500$ for encoding, about 600 times more, and its backward as much again.
# The stochastic form of lesson 10, $\|h(x+\varepsilon) - h(x)\|^2/\sigma^2$, costs two encoder passes instead.
