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
# # Lesson 00: what a contractive autoencoder is, and why
#
# **You will learn** what an autoencoder computes; the picture that motivates a
# *contractive* one (data near a low-dimensional surface, with directions along it
# and directions that leave it); the penalty $\|J\|_F^2$ and why it is cheap; how a
# contractive autoencoder (CAE) differs from a denoising one (DAE) and when to pick
# which; and a map of the lessons and exercises that follow.
# **You need** Python, NumPy, and the chain rule. Nothing else.
#
# Every claim in this chapter is checked by the code cell below it: if a claim
# were false, the cell would stop with an `AssertionError`. Run the file with
# `python lessons/00_introduction.py`, cell by cell in Jupyter or VS Code, or read
# it in the book (`python -m lessons.book --out book`).

# %%
import numpy as np

import cae_scratch as cs
from cae_scratch import data, plots
from cae_scratch.core import network
from lessons._common import start_lesson

lesson = start_lesson("00_introduction", "Lesson 00: what a contractive autoencoder is, and why",
                      learn=["the autoencoder and its shapes", "the manifold picture",
                             "the penalty ||J||_F^2 and its closed form", "CAE versus DAE",
                             "the map of the lessons and exercises"])
rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## An autoencoder: squeeze, then rebuild
#
# An autoencoder is two functions trained together. The **encoder** maps an input
# $x \in [0,1]^{n_v}$ (here an $8 \times 8$ digit, $n_v = 64$ pixels) to a code
# $h \in (0,1)^{n_h}$ with fewer numbers, and the **decoder** maps the code back to
# a reconstruction $r$ of the input:
# $$a = W x + b_h, \qquad h = s(a), \qquad z = W^\top h + b_r, \qquad r = \sigma(z).$$
# $W$ has shape $(n_h, n_v)$; the decoder here reuses its transpose ("tied weights"),
# so $W$ is used twice, once on the way in and once on the way out. $s$ is the
# encoder's activation (a sigmoid unless said otherwise) and $\sigma$ the decoder's
# sigmoid. Training lowers a reconstruction loss, binary cross-entropy for pixels in
# $[0,1]$. Because $n_h < n_v$, the code cannot copy the input: it has to keep what
# matters about digits and drop the rest. On a batch the inputs are the rows of a
# matrix $X$ of shape $(B, n_v)$, so the codes are $H = s(X W^\top + b_h)$ of shape $(B, n_h)$.

# %%
X = data.load_digits()[:8]                                      # (8, 64) in [0, 1]
model = cs.ContractiveAutoencoder(64, 16, lam=0.1, seed=lesson.seed, **lesson.model_kwargs())
H = cs.to_numpy(model.encode(model.asarray(X)))
R = cs.to_numpy(model.reconstruct(model.asarray(X)))
print(f"X {X.shape} -> H {H.shape} -> R {R.shape}")
assert H.shape == (8, 16) and R.shape == X.shape
assert 0 < H.min() and H.max() < 1 and 0 < R.min() and R.max() < 1      # sigmoids: strictly inside (0, 1)

# %% [markdown]
# ## The manifold picture
#
# Natural images are not spread through all of $[0,1]^{64}$: almost every random
# pixel pattern is noise. They lie near a **low-dimensional surface**, a manifold:
# move a digit a little (thicker stroke, slight rotation) and you get another
# plausible digit, so there are only a few directions *along* the surface, and
# very many directions *orthogonal* to it that turn a digit into noise.
#
# The project ships a manifold whose tangent is known exactly: a blob rotating in a
# $10 \times 10$ image, $x(\theta)$, a closed curve in $\mathbb{R}^{100}$. Its unit
# tangent is $t = x'(\theta) / \|x'(\theta)\|$. A step of length $\varepsilon$ along
# $t$ stays near the curve (it leaves it only through curvature, by $O(\varepsilon^2)$);
# a step of the same length along a direction $v \perp t$ leaves it by about $\varepsilon$.

# %%
X_blob, T_blob = data.load_synthetic(n=4, seed=lesson.seed, return_tangents=True)
curve, _ = data.rotated_blob(np.linspace(0.0, 2 * np.pi, 4001 if lesson.quick else 20001))
x, t = X_blob[0], T_blob[0]
v = rng.standard_normal(x.size)
v -= (v @ t) * t                                               # remove the tangent part: v is orthogonal to t
v /= np.linalg.norm(v)


def distance_to_curve(y):
    return float(np.min(np.linalg.norm(curve - y, axis=1)))


eps = 0.1
along, across = distance_to_curve(x + eps * t), distance_to_curve(x + eps * v)
print(f"a step of {eps} along the tangent lands {along:.4f} from the curve; across it, {across:.4f}")
assert along < 0.1 * across and abs(across - eps) < 0.01 * eps
plots.plot_images([{"image": x.reshape(10, 10), "title": "x(theta): a point of the manifold"},
                   {"image": t.reshape(10, 10), "title": "t: the tangent (along)", "symmetric": True},
                   {"image": v.reshape(10, 10), "title": "v: orthogonal to t (across)", "symmetric": True}],
                  lesson.figure("manifold_directions.png"))

# %% [markdown]
# ## What "contractive" means
#
# A good code should follow the data along the manifold and **ignore** the
# directions that leave it. The encoder's sensitivity to a small input change is its
# Jacobian $J(x) = \partial h / \partial x$, an $(n_h, n_v)$ matrix; an input step
# $\delta$ moves the code by $J\delta + O(\|\delta\|^2)$. By the chain rule through
# $h_k = s(a_k)$ and $a_k = \sum_j W_{kj} x_j + b_k$,
# $$J_{kj} = \frac{\partial h_k}{\partial x_j} = s'(a_k)\, W_{kj}, \qquad\text{so}\qquad J = \operatorname{diag}(s'(a))\, W .$$
# A contractive autoencoder adds the squared Frobenius norm of $J$ to the loss,
# averaged over the batch and weighted by $\lambda$:
# $$L = \frac{1}{B}\sum_b \operatorname{rec}(x_b, r_b) + \lambda\,\frac{1}{B}\sum_b \|J(x_b)\|_F^2 .$$
# The penalty pulls every direction's sensitivity down, the reconstruction pulls
# back up only the directions it needs, which are the ones along the data. The
# result contracts space *across* the manifold more than *along* it; lesson 08 measures this.
# Summing the squares of $J_{kj} = s'(a_k) W_{kj}$ over $j$ first gives the closed form
# $$\|J\|_F^2 = \sum_k s'(a_k)^2 \sum_j W_{kj}^2 = \sum_k s'(a_k)^2\, q_k, \qquad q_k = \sum_j W_{kj}^2 .$$
#
# > **Question 1.** Why penalise the *squared Frobenius* norm of $J$ rather than its
# > largest singular value (the spectral norm), which bounds the worst direction?

# %%
J = cs.to_numpy(model.jacobian(model.asarray(X)))              # explicit: (B, n_h, n_v)
explicit = float(np.mean(np.sum(J ** 2, axis=(1, 2))))
closed = model.contractive_penalty(model.asarray(X))           # sum_k s'(a_k)^2 q_k, averaged
print(f"mean ||J||_F^2: explicit {explicit:.10f}, closed form {closed:.10f}")
assert abs(explicit - closed) <= 1e-10 * explicit
assert np.linalg.norm(J[0], 2) ** 2 <= np.sum(J[0] ** 2)        # spectral <= Frobenius (answer 1)
h0 = 1e-6                                                      # J against central differences, one image
E = h0 * np.eye(64)
J_fd = (network.encode(model.params, model.asarray(X[:1] + E), model.spec)
        - network.encode(model.params, model.asarray(X[:1] - E), model.spec)).T / (2 * h0)
assert np.max(np.abs(cs.to_numpy(J_fd) - J[0])) < 1e-8 * np.max(np.abs(J[0]))

# %% [markdown]
# ## What it costs, and why the closed form matters
#
# Built explicitly, the Jacobians of a batch are a tensor of $B \cdot n_h \cdot n_v$
# numbers: for MNIST ($n_v = 784$), $n_h = 512$ and $B = 128$ that is 51 million
# float64s, about 411 MB, every step. The closed form needs $s'(A)$, shape $(B, n_h)$,
# and $q$, shape $(n_h,)$: $O(B\, n_h)$ work once $q$ is known, and $q$ costs
# $O(n_h n_v)$, less than the encoder's own matrix product. Lesson 04 derives it
# and times both; the numbers below are computed from the shapes, not measured.
#
# With a *linear* encoder, $s'(a) = 1$ and the penalty is exactly weight decay,
# $\|J\|_F^2 = \|W\|_F^2$, as the cell checks.
#
# > **Question 3.** Why, then, does a linear encoder gain nothing from the penalty
# > that weight decay would not give it?

# %%
B, n_h, n_v = 128, 512, 784
explicit_mb, closed_mb = B * n_h * n_v * 8 / 1e6, (B * n_h + n_h) * 8 / 1e6
print(f"computed from the shapes: explicit Jacobians {explicit_mb:.0f} MB, closed form {closed_mb:.2f} MB")
assert explicit_mb / closed_mb > 700
linear = cs.ContractiveAutoencoder(64, 16, activation="linear", loss="mse", decoder_activation="linear",
                                   seed=lesson.seed, **lesson.model_kwargs())
W = cs.to_numpy(linear.params["W"])
assert abs(linear.contractive_penalty(linear.asarray(X)) - np.sum(W ** 2)) <= 1e-12 * np.sum(W ** 2)

# %% [markdown]
# ## Contractive or denoising?
#
# A **denoising** autoencoder (DAE) gets robustness another way: it corrupts the
# input, $\tilde x = x + \sigma \epsilon$, and asks the network to rebuild the
# clean $x$. The two ideas are close relatives. For a small isotropic noise,
# $h(x + \sigma\epsilon) - h(x) \approx \sigma J \epsilon$, and since
# $\mathbb{E}[\epsilon\epsilon^\top] = I$,
# $$\mathbb{E}\,\|h(x+\sigma\epsilon) - h(x)\|^2 \approx \sigma^2\, \mathbb{E}\,\epsilon^\top J^\top J \epsilon = \sigma^2 \operatorname{tr}(J^\top J) = \sigma^2 \|J\|_F^2 .$$
# So the CAE penalises *analytically and exactly* the code's average response to
# noise that a DAE only samples, and it does so on the **encoder**, where the
# representation lives, while a DAE's robustness is a property of the whole
# encoder-decoder map. Pick a **CAE** when you want the code itself to be
# insensitive and you want a deterministic, low-variance penalty (its closed form
# costs little with one hidden layer). Pick a **DAE** when the encoder is deep or
# its Jacobian is costly, when the corruption you care about is not small or not
# Gaussian (masked pixels, salt and pepper), or when you want no derivative of the
# encoder in your loss at all. The cell checks the relation above by Monte Carlo.
#
# > **Question 2.** The relation needs $\sigma$ small. What does a DAE penalise when
# > $\sigma$ is large, and why does that favour the DAE for large corruptions?

# %%
x0, sigma = X[:1], 1e-3
noise = rng.standard_normal((1000 if lesson.quick else 4000, 64))
dH = (network.encode(model.params, model.asarray(x0 + sigma * noise), model.spec)
      - network.encode(model.params, model.asarray(x0), model.spec))
sampled = float(np.mean(np.sum(cs.to_numpy(dH) ** 2, axis=1))) / sigma ** 2
exact = float(np.sum(J[0] ** 2))
print(f"E||h(x + sigma eps) - h(x)||^2 / sigma^2 = {sampled:.3f} (Monte Carlo) vs ||J||_F^2 = {exact:.3f}")
assert abs(sampled - exact) < 0.15 * exact

# %% [markdown]
# ## The map of the lessons
#
# Read them in order; each one uses the previous ones, derives what it needs, asks
# you two or three questions, and checks every hand-derived quantity against the library.
#
# | lesson | what you do |
# |---|---|
# | 01 | run the forward pass: shapes, the code, the reconstruction, the loss |
# | 02 | backprop the reconstruction: $\partial L/\partial z = (r - x)/B$, and $W$'s two uses |
# | 03 | build the Jacobian $J = \operatorname{diag}(s'(a))W$ and read its rows and columns |
# | 04 | compute the penalty: the closed form $\sum_k s'(a_k)^2 q_k$ against the explicit tensor |
# | 05 | backprop the penalty: its two paths, through $s'(a)$ and through $q$ |
# | 06 | check gradients as a method: central differences, their $O(h^2)$ error and the best $h$ |
# | 07 | train a CAE on digits and see the $\lambda$ trade-off |
# | 08 | measure what contraction buys, and compare with a denoising autoencoder |
# | 09 | run it on CuPy, on a GPU |
#
# Planned next: 10, the CAE+H (a penalty on the Hessian as well); 11, stacked CAEs;
# 12, the manifold tangent classifier.
#
# ## The exercises
#
# After lessons 02 and 05 you can write the backward passes yourself. Each exercise
# is a template with the body removed; `python -m lessons.exercises list` lists them,
# `python -m lessons.exercises copy N` copies one, and
# `python -m lessons.exercises check N FILE` grades your file by finite
# differences, never by comparing with a solution, with a hint naming the likely mistake.

# %%
from lessons.__main__ import discover
from lessons.exercises.grader import EXERCISES

numbers = [n for n, _ in discover()]
print("lessons on disk:", ", ".join(f"{n:02d}" for n in numbers))
for ex in EXERCISES.values():
    print(f"exercise {ex.number}: {ex.function:<22} {ex.title}")
assert numbers[0] == 0 and numbers == sorted(numbers) and len(EXERCISES) >= 4

# %% [markdown]
# ## Answers and what comes next
#
# **Answer 1.** The squared Frobenius norm is a sum of squares with the closed form
# above and a gradient as cheap as the forward pass; the spectral norm needs a
# singular value decomposition of $J$ per example, and its gradient only moves one
# direction at a time. Since $\|J\|_2^2 \le \|J\|_F^2$, the Frobenius penalty bounds it anyway.
#
# **Answer 2.** For large $\sigma$ the higher-order terms of $h(x + \sigma\epsilon)$
# (its curvature, the Hessian) no longer vanish: a DAE then penalises the response to
# *finite* corruptions of the kind it samples, which is what you want when the
# corruption you expect is large or structured. Lesson 10's CAE+H adds a Hessian term
# to the CAE for the same reason.
#
# **Answer 3.** With $s' \equiv 1$ the penalty is $\|W\|_F^2$ at every input, so it
# cannot contract some directions at some inputs more than others: it shrinks every
# weight uniformly, which is exactly what weight decay does.
#
# Next: lesson 01 runs the forward pass by hand.

# %%
lesson.finish(f"closed-form penalty = explicit ||J||_F^2 to {abs(explicit - closed) / explicit:.1e}; "
              f"noise/penalty relation within {abs(sampled - exact) / exact:.2%}",
              {"penalty_explicit": explicit, "penalty_closed": closed, "along": along, "across": across,
               "noise_sampled": sampled, "noise_exact": exact})
