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
# # Lesson 03 - Build the Jacobian
#
# A contractive autoencoder asks for codes that barely move when the input moves.
# "How much does $h$ move when $x$ moves" has an exact answer for small moves: the
# **Jacobian** of the encoder. For a small change $\delta$ of the input,
#
# $$h(x + \delta) \approx h(x) + J(x)\,\delta, \qquad
#   J(x)_{kj} = \frac{\partial h_k}{\partial x_j}(x),$$
#
# a matrix of shape $(n_h, n_v)$: one row per hidden unit, one column per pixel. The
# CAE penalises its squared Frobenius norm $\|J(x)\|_F^2 = \sum_{k,j} J_{kj}^2$ (lesson 04).
# Before penalising a matrix we should be able to build it, check it, and read it.
#
# **You will learn** to measure $J$ by finite differences, derive the closed form
# $J = \operatorname{diag}(s'(a))\,W$, read its rows (what moves one unit) and its
# columns (what one pixel moves), and read its singular values (which input directions
# the code feels, and which it ignores). **You need** lessons 01-02.
#
# We first train a small CAE for a few seconds, so that its filters and its Jacobian
# have some structure to look at, and pick one digit $x$, the first "3" of the data.

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "03_build_the_jacobian", "Lesson 03 - Build the Jacobian",
    learn=["J[k, j] = dh_k/dx_j, measured by finite differences",
           "why J = diag(s'(a)) W",
           "what J's rows and columns mean",
           "what J's singular values say: the directions the code feels and ignores"],
    need="lessons 01-02")

import numpy as np

import cae_scratch as cs
from cae_scratch import data, plots
from cae_scratch.core import network

n_hidden, epochs = (16, 10) if lesson.quick else (32, 40)
X_host, y = data.load_digits(return_labels=True)
model = cs.ContractiveAutoencoder(64, n_hidden, lam=0.1, seed=lesson.seed, **lesson.model_kwargs())
model.fit(model.asarray(X_host), epochs=epochs, batch_size=64, lr=1e-2, seed=lesson.seed,
          progress=False)
xp = model.xp
i = int(np.flatnonzero(y == 3)[0])                          # the first "3" in the data set
x = model.asarray(X_host[i:i + 1])                          # (1, 64): a batch of one
W, b_h = model.params["W"], model.params["b_h"]
print(f"trained a 64 -> {n_hidden} CAE (lam = 0.1) for {epochs} epochs; x is digit #{i}, a 3")

# %% [markdown]
# ## Measuring $J$: nudge one pixel, watch the code
#
# Column $j$ of $J$ is $\partial h / \partial x_j$, the velocity of the whole code when
# pixel $j$ alone brightens. A central difference measures it:
#
# $$J_{:,j} \approx \frac{h(x + t e_j) - h(x - t e_j)}{2t},$$
#
# with $e_j$ the unit vector of pixel $j$. All 64 columns come from one batch: the rows
# of $x + t I$ are the 64 nudged images. (They may step $t$ outside
# $[0,1]$, which is harmless here, so we call `network.encode`, which does not validate.)

# %%
t = 1e-5                                                             # the step
E = t * xp.eye(64, dtype=x.dtype, device=cs.backend.device_of(x))   # row j = t e_j
H_plus = network.encode(model.params, x + E, model.spec)             # row j: h(x + t e_j)
H_minus = network.encode(model.params, x - E, model.spec)
J_fd = (H_plus - H_minus).T / (2 * t)                             # (n_hidden, 64): column j
print(f"J by finite differences: {tuple(J_fd.shape)} = (n_hidden, n_visible)")

# %% [markdown]
# ## The closed form, $J = \operatorname{diag}(s'(a))\,W$
#
# Differentiate one entry. Since $h_k = s(a_k)$ depends on $x$ only through its own
# pre-activation $a_k = \sum_i W_{ki} x_i + b_{h,k}$, the chain rule has a single term:
#
# $$J_{kj} = \frac{\partial h_k}{\partial x_j} = s'(a_k)\,\frac{\partial a_k}{\partial x_j}
#   = s'(a_k)\,\frac{\partial}{\partial x_j}\Big(\sum_i W_{ki} x_i + b_{h,k}\Big)
#   = s'(a_k)\, W_{kj}.$$
#
# Every entry of row $k$ carries the same factor $s'(a_k)$, which is what left-multiplying
# by a diagonal matrix does: $J = \operatorname{diag}(s'(a))\,W$. In code that is a
# broadcast, `D1.T * W`, with `D1` the book's $D_1 = s'(a)$ of shape $(1, n_h)$; no diagonal
# matrix is ever built. For the sigmoid, $s'(a) = h(1-h) \le 1/4$.
#
# Three independent computations must agree: finite differences, this formula, and
# the library (`model.jacobian`, which builds it in bounded chunks for big batches).

# %%
A = x @ W.T + b_h                                            # (1, n_hidden)
H = cs.get_activation("sigmoid").f(A)
D1 = H * (1.0 - H)                                           # s'(a) for a sigmoid
J = D1.T * W                                                 # (n_hidden, 1) * (n_hidden, 64)
err_fd = cs.rel_error(J, J_fd)
err_library = cs.rel_error(J, model.jacobian(x)[0, ...])
print(f"diag(s'(a)) W vs finite differences: relative error {err_fd:.1e}")
print(f"diag(s'(a)) W vs model.jacobian(x):  relative error {err_library:.1e}")
assert err_fd < 1e-8 and err_library < 1e-14

# %% [markdown]
# ## Reading the rows and the columns
#
# **Row $k$** is $\nabla_x h_k = s'(a_k)\, W_{k,:}$: the input change that raises unit
# $k$ fastest. It is filter $k$, scaled by how responsive the unit is at this $x$. A
# unit deep in saturation ($a_k$ far from 0, $h_k$ near 0 or 1) has $s'(a_k) \approx 0$
# and a near-zero row: whatever you do to the image, it does not budge. That is one
# of the two ways a CAE can make $J$ small: saturate units, or shrink $W$.
#
# **Column $j$** is $\partial h/\partial x_j = s'(a) \odot W_{:,j}$: how the whole code
# moves when pixel $j$ brightens. Its length $\|J_{:,j}\|$ is the code's sensitivity to
# that one pixel; drawn as an 8x8 map below.
#
# And the norm the CAE penalises can be summed either way,
# $\|J\|_F^2 = \sum_k \|J_{k,:}\|^2 = \sum_j \|J_{:,j}\|^2$; lesson 04 turns the row sum
# into a formula that never builds $J$. The rows of $J$, as images, with each unit's
# index $k$ and responsiveness $s'(a_k)$, largest rows first, on one colour scale:

# %%
J_host, d1 = cs.to_numpy(J), cs.to_numpy(D1)[0]
W_host = cs.to_numpy(W)
row_norm, col_norm = np.linalg.norm(J_host, axis=1), np.linalg.norm(J_host, axis=0)
assert np.allclose(J_host, d1[:, None] * W_host, rtol=1e-13, atol=0)   # row k = s'(a_k) W[k]
frob = float(np.sum(J_host ** 2))
penalty_library = model.contractive_penalty(x)
print(f"s'(a_k) ranges over {d1.min():.4f} .. {d1.max():.4f} (at most 0.25 for a sigmoid)")
print(f"||J||_F^2: sum of squared rows {np.sum(row_norm ** 2):.6f}, "
      f"of squared columns {np.sum(col_norm ** 2):.6f}, "
      f"model.contractive_penalty(x) {penalty_library:.6f}")
assert d1.max() <= 0.25
assert abs(np.sum(col_norm ** 2) - frob) < 1e-12 * frob
assert abs(penalty_library - frob) < 1e-10 * frob
order = np.argsort(-row_norm)
plots.plot_tiles(J_host[order], lesson.figure("jacobian_rows.png"),
                 titles=[f"k={k}  s'={d1[k]:.3f}" for k in order], n_cols=8, symmetric=True,
                 tile_size=1.45, cbar_label="dh_k / dx_j",
                 suptitle=f"Rows of J(x) as 8x8 images, dh_k/dx = s'(a_k) W[k], "
                          f"largest first (x = digit #{i}, a 3)")

# %% [markdown]
# ## Singular values: what the code feels and what it ignores
#
# Any matrix factors as $J = \sum_i \sigma_i\, u_i v_i^\top$ (its singular value
# decomposition) with orthonormal input directions $v_i \in \mathbb{R}^{n_v}$, orthonormal code
# directions $u_i \in \mathbb{R}^{n_h}$, and singular values
# $\sigma_1 \ge \sigma_2 \ge \dots \ge 0$, so that $J v_i = \sigma_i u_i$: moving the input
# a small step $t$ along $v_i$ moves the code by $t\sigma_i$. Two facts follow.
# First, since the $u_i$ and the $v_i$ are orthonormal,
# $\|J\|_F^2 = \operatorname{tr}(J^\top J) = \sum_i \sigma_i^2$:
# the penalty is the total of the squared sensitivities over all directions. Second,
# $J$ has $n_h$ rows, so at most $n_h$ nonzero singular values; the remaining
# $n_v - n_h$ input directions form its **null space**, and (to first order) the code
# does not move at all along them. The encoder is contractive there by construction;
# the penalty's job is to shrink the $\sigma_i$ of the directions the data does not
# vary along, while reconstruction keeps the ones it does (lesson 08).
#
# We check $J v_1 = \sigma_1 u_1$ on the real encoder: a central difference along $v_1$
# must move the code at speed $\sigma_1$, and one along a null-space direction at speed ~0.

# %%
U, S, Vt = np.linalg.svd(J_host, full_matrices=True)         # row i of Vt is v_(i+1); the rows
                                                             # from n_hidden on span the null space
step = 1e-4
speed = {}
for name, v in (("top v_1", Vt[0]), ("null-space v_64", Vt[-1])):
    v_b = model.asarray(v[None, :])
    dh = (network.encode(model.params, x + step * v_b, model.spec)
          - network.encode(model.params, x - step * v_b, model.spec))
    speed[name] = float(np.linalg.norm(cs.to_numpy(dh)) / (2 * step))
print(f"singular values: largest {S[0]:.4f}, smallest of the {n_hidden}: {S[n_hidden - 1]:.4f}")
print(f"sum of sigma_i^2 = {np.sum(S ** 2):.6f} = ||J||_F^2 = {frob:.6f}")
print(f"speed of the code along v_1: {speed['top v_1']:.6f} (sigma_1 = {S[0]:.6f}); "
      f"along a null-space direction: {speed['null-space v_64']:.1e}")
bound = d1.max() * np.linalg.norm(W_host, 2)
print(f"sigma_1 <= max_k s'(a_k) ||W||_2 = {bound:.4f}")
assert abs(np.sum(S ** 2) - frob) < 1e-10 * frob
assert abs(speed["top v_1"] - S[0]) < 1e-6 * S[0] and speed["null-space v_64"] < 1e-6 * S[0]
assert S[0] <= bound * (1 + 1e-12)

# %% [markdown]
# The whole picture in one figure: the input; $J$ itself as a heat map (rows are units,
# columns pixels); the disagreement between the closed form and the finite differences
# (its largest entry is printed below: the finite difference's own error, far below the
# entries of $J$); the per-pixel sensitivity
# $\|J_{:,j}\|$; the input direction $v_1$ the code feels most; and the spectrum.

# %%
fd_gap = np.abs(J_host - cs.to_numpy(J_fd))
print(f"largest |closed form - finite difference| = {fd_gap.max():.1e}; "
      f"largest |J_kj| = {np.abs(J_host).max():.2f}")
assert fd_gap.max() < 1e-8 * np.abs(J_host).max()


def jacobian_panels():
    """The figure's six panels: the input, J, the check, the sensitivities, v_1, the spectrum."""
    return [
        {"image": X_host[i].reshape(8, 8), "title": f"the input x (digit #{i})", "cmap": "gray_r",
         "cbar_label": "pixel value"},
        {"image": J_host, "symmetric": True, "title": "J(x) = diag(s'(a)) W",
         "xlabel": "pixel j (input)", "ylabel": "hidden unit k", "cbar_label": "dh_k / dx_j"},
        {"image": np.log10(np.maximum(fd_gap, 1e-17)), "cmap": "magma",
         "title": "log10 |closed form - finite difference|", "xlabel": "pixel j (input)",
         "ylabel": "hidden unit k"},
        {"image": col_norm.reshape(8, 8), "cmap": "viridis",
         "title": "sensitivity to each pixel, ||J[:, j]||", "cbar_label": "||dh / dx_j||"},
        {"image": Vt[0].reshape(8, 8), "symmetric": True,
         "title": f"v_1: the direction the code feels most\n(sigma_1 = {S[0]:.3f})"},
        {"series": {"sigma_i": (np.arange(1, n_hidden + 1), S[:n_hidden], "o-")}, "yscale": "log",
         "xticks": list(range(1, n_hidden + 1, max(1, n_hidden // 8))), "xlabel": "i",
         "ylabel": "singular value sigma_i",
         "title": f"the {n_hidden} nonzero singular values\n"
                  f"(the other {64 - n_hidden} are 0: the null space)"}]


plots.plot_panel_grid(jacobian_panels(), lesson.figure("jacobian.png"), n_cols=3)

# %% [markdown]
# ## Questions
#
# **Question 1.** Unit $k$ has $h_k = 0.999$ at this $x$. Roughly how large is row $k$
# of $J$ compared with filter $k$, and what does the CAE penalty gain by driving units
# into that regime?
#
# **Question 2.** Why is $\sigma_1 \le \max_k s'(a_k)\,\|W\|_2$ (the bound checked above)?
# What is the largest $\sigma_1$ can be for a sigmoid encoder with a given $W$?
#
# **Question 3.** With an *overcomplete* code, $n_h = 128 > n_v = 64$, does $J$ still
# have a null space? Can the code still ignore some input directions?
#
# Now do exercise 6, the encoder's Jacobian for a batch: `python -m lessons.exercises copy 6`.

# %% [markdown]
# ## Answers
#
# **1.** $s'(a_k) = h_k(1-h_k) = 0.999 \times 0.001 \approx 0.001$, so row $k$ is about
# a thousandth of filter $k$, against up to a quarter for a unit at $a_k = 0$. A CAE
# can lower $\|J\|_F^2$ without shrinking $W$ by pushing units towards saturation on the
# training data, where they act like binary features that small changes of $x$ cannot
# flip. The units still carry information in *which* of them are on.
#
# **2.** $\|J v\| = \|\operatorname{diag}(s'(a)) W v\| \le \max_k |s'(a_k)|\,\|Wv\| \le
# \max_k s'(a_k)\,\|W\|_2$ for every unit vector $v$, and $\sigma_1$ is the largest
# $\|Jv\|$. For a sigmoid $s' \le 1/4$, so $\sigma_1 \le \|W\|_2 / 4$, reached only
# when the unit(s) that matter sit at $a_k = 0$.
#
# **3.** $J$ is then $128 \times 64$ with rank at most 64, so it *can* have full column
# rank and no null space: every input direction moves the code. Any contraction must
# then come from the penalty (small $s'$ or small $W$), not from the shape. That is
# why overcomplete CAEs are where the penalty matters most (lesson 00 counts the null
# directions of a $64 \to 128$ encoder: none).
#
# ## Sources
#
# - S. Rifai, P. Vincent, X. Muller, X. Glorot, Y. Bengio, "Contractive Auto-Encoders: Explicit
#   Invariance During Feature Extraction", ICML 2011: $J = \operatorname{diag}(s'(a))\,W$ for a
#   sigmoid encoder, and the singular values of $J$ as the directions a CAE's code feels.
# - G. H. Golub, C. F. Van Loan, "Matrix Computations", 4th ed., Johns Hopkins University Press,
#   2013: the singular value decomposition, $\|J\|_F^2 = \sum_i \sigma_i^2$, and
#   $\|J\|_2 = \sigma_1$.

# %%
assert round(0.999 * 0.001, 3) == 0.001                    # answer 1: s' at h = 0.999
lesson.finish(f"J(x) by finite differences vs diag(s'(a)) W: rel error {err_fd:.0e}; "
              f"||J||_F^2 = {frob:.3f}; sigma_1 = {S[0]:.3f}, {64 - n_hidden} null directions",
              {"fd_error": err_fd, "library_error": err_library, "frobenius_sq": frob,
               "penalty_library": penalty_library, "singular_values": S[:n_hidden].tolist(),
               "speed_top": speed["top v_1"], "speed_null": speed["null-space v_64"],
               "d1_max": float(d1.max()), "n_hidden": n_hidden})
