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
# # Lesson 00 - What a contractive autoencoder is, and why
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
# it in the book (`python -m lessons.book --out book`). The symbols are the book's
# throughout; its notation page lists them.

# %%
import numpy as np

import cae_scratch as cs
from cae_scratch import data, plots
from cae_scratch.core import network
from lessons._common import start_lesson

lesson = start_lesson("00_introduction", "Lesson 00 - What a contractive autoencoder is, and why",
                      learn=["the autoencoder and its shapes", "the manifold picture",
                             "the penalty ||J||_F^2 and its closed form", "CAE versus DAE",
                             "the map of the lessons and exercises"])
rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## An autoencoder: encode, then rebuild
#
# An autoencoder is two functions trained together. The **encoder** maps an input
# $x \in [0,1]^{n_v}$ (here an $8 \times 8$ digit, $n_v = 64$ pixels) to a code
# $h \in (0,1)^{n_h}$, and the **decoder** maps the code back to a reconstruction
# $r$ of the input:
# $$a = W x + b_h, \qquad h = s(a), \qquad z = W^\top h + b_r, \qquad r = g(z).$$
# $W$ has shape $(n_h, n_v)$; the decoder here reuses its transpose ("tied weights"),
# so $W$ is used twice, once on the way in and once on the way out. $s$ is the
# encoder's activation and $g$ the decoder's; both are the logistic sigmoid
# $\operatorname{sigm}(a) = 1/(1 + e^{-a})$ unless said otherwise. Training lowers a
# reconstruction loss, binary cross-entropy for pixels in $[0,1]$. On a batch the inputs
# are the rows of a matrix $X$ of shape $(B, n_v)$, so the codes are
# $H = s(X W^\top + b_h)$ of shape $(B, n_h)$.
#
# Why would rebuilding the input teach anything? A code with fewer numbers than
# pixels ($n_h < n_v$, a *bottleneck*) cannot copy every image, and that is one
# classic answer. It is **not** the CAE's answer: the CAE paper (Rifai et al., 2011)
# trains *overcomplete* codes, 784 pixels into 1000 units, wide enough to copy. There,
# what stops the copy is the penalty this chapter introduces, not the shape. The small
# model below has $n_h = 16$ so that its pictures stay small; the section on contraction
# measures what the shape does and does not give.

# %%
X = data.load_digits()[:8]                                      # (8, 64) in [0, 1]
model = cs.ContractiveAutoencoder(64, 16, lam=0.1, seed=lesson.seed, **lesson.model_kwargs())
H = cs.to_numpy(model.encode(model.asarray(X)))
R = cs.to_numpy(model.reconstruct(model.asarray(X)))
print(f"X {X.shape} -> H {H.shape} -> R {R.shape}")
assert H.shape == (8, 16) and R.shape == X.shape
assert 0 < H.min() and H.max() < 1 and 0 < R.min() and R.max() < 1      # sigmoids: inside (0, 1)

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
# tangent is $u = x'(\theta) / \|x'(\theta)\|$. A step $x + t u$ of length $t$ along
# $u$ stays near the curve (it leaves it only through curvature, by $O(t^2)$); a step
# of the same length along a unit direction $u_\perp \perp u$ leaves it by about $t$.

# %%
X_blob, U_blob = data.load_synthetic(n=4, seed=lesson.seed, return_tangents=True)
curve, _ = data.rotated_blob(np.linspace(0.0, 2 * np.pi, 4001 if lesson.quick else 20001))
x, u = X_blob[0], U_blob[0]
u_perp = rng.standard_normal(x.size)
u_perp -= (u_perp @ u) * u                                     # drop the tangent part: now _|_ u
u_perp /= np.linalg.norm(u_perp)


def distance_to_curve(y):
    return float(np.min(np.linalg.norm(curve - y, axis=1)))


t = 0.1
along, across = distance_to_curve(x + t * u), distance_to_curve(x + t * u_perp)
print(f"a step of {t} along the tangent lands {along:.4f} from the curve; across it, {across:.4f}")
assert along < 0.1 * across and abs(across - t) < 0.01 * t
plots.plot_images([{"image": x.reshape(10, 10), "title": "x(theta): a point of the manifold",
                    "cmap": "gray_r"},
                   {"image": u.reshape(10, 10), "title": "u: the tangent (along)",
                    "symmetric": True},
                   {"image": u_perp.reshape(10, 10), "title": "u_perp: orthogonal to u (across)",
                    "symmetric": True}],
                  lesson.figure("manifold_directions.png"))

# %% [markdown]
# ## What "contractive" means
#
# A good code should follow the data along the manifold and **ignore** the
# directions that leave it. The encoder's sensitivity to a small input change is its
# Jacobian $J(x) = \partial h / \partial x$, an $(n_h, n_v)$ matrix; an input step
# $\delta$ moves the code by $J\delta + O(\|\delta\|^2)$. By the chain rule through
# $h_k = s(a_k)$ and $a_k = \sum_j W_{kj} x_j + b_{h,k}$,
# $$J_{kj} = \frac{\partial h_k}{\partial x_j} = s'(a_k)\, W_{kj}, \qquad\text{so}\qquad
#   J = \operatorname{diag}(s'(a))\, W .$$
# A contractive autoencoder adds the squared Frobenius norm of $J$ to the loss,
# averaged over the batch and weighted by $\lambda$:
# $$L = \frac{1}{B}\sum_{n=1}^{B} \operatorname{rec}(x_n, r_n)
#   + \lambda\,\frac{1}{B}\sum_{n=1}^{B} \|J(x_n)\|_F^2 .$$
# The penalty pulls every direction's sensitivity down, the reconstruction pulls
# back up only the directions it needs, which are the ones along the data. The
# result contracts space *across* the manifold more than *along* it; lesson 08 measures this.
# Summing the squares of $J_{kj} = s'(a_k) W_{kj}$ over $j$ first gives the closed form
# $$\|J\|_F^2 = \sum_k s'(a_k)^2 \sum_j W_{kj}^2 = \sum_k s'(a_k)^2\, q_k,
#   \qquad q_k = \sum_j W_{kj}^2 .$$
# The cell checks the closed form against the explicit $J$, and $J$ itself against
# central differences of the encoder.

# %%
J = cs.to_numpy(model.jacobian(model.asarray(X)))              # explicit: (B, n_h, n_v)
explicit = float(np.mean(np.sum(J ** 2, axis=(1, 2))))
closed = model.contractive_penalty(model.asarray(X))           # sum_k s'(a_k)^2 q_k, averaged
print(f"mean ||J||_F^2: explicit {explicit:.10f}, closed form {closed:.10f}")
assert abs(explicit - closed) <= 1e-10 * explicit
step = 1e-6                                                    # J vs central differences, one image
E = step * np.eye(64)
J_fd = (network.encode(model.params, model.asarray(X[:1] + E), model.spec)
        - network.encode(model.params, model.asarray(X[:1] - E), model.spec)).T / (2 * step)
assert np.max(np.abs(cs.to_numpy(J_fd) - J[0])) < 1e-8 * np.max(np.abs(J[0]))

# %% [markdown]
# **The shape is not what contracts.** $J$ has $n_h$ rows, so with $n_h < n_v$ it has
# at least $n_v - n_h$ input directions it maps to zero (its null space): the code
# ignores them whatever the weights. With an overcomplete code, $n_h \ge n_v$, the
# rank of $J$ can reach $n_v$ and no direction need be ignored: every pixel pattern
# moves the code, and a code that moves with everything can be decoded back into a
# copy. The cell counts the ignored directions (the dimension of the null space) at one
# digit for our $64 \to 16$ model and for a $64 \to 128$ one. In the overcomplete case,
# the one the CAE paper studies, only the penalty can make the code ignore a direction.

# %%
wide = cs.ContractiveAutoencoder(64, 128, lam=0.1, seed=lesson.seed, **lesson.model_kwargs())
J_wide = cs.to_numpy(wide.jacobian(wide.asarray(X[:1])))[0]    # (128, 64)
null_narrow = 64 - int(np.linalg.matrix_rank(J[0]))
null_wide = 64 - int(np.linalg.matrix_rank(J_wide))
print(f"input directions the code ignores at this digit: 64 -> 16: {null_narrow}; "
      f"64 -> 128: {null_wide}")
assert null_narrow == 64 - 16 and null_wide == 0

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

# %%
B, n_h, n_v = 128, 512, 784
explicit_mb, closed_mb = B * n_h * n_v * 8 / 1e6, (B * n_h + n_h) * 8 / 1e6
print(f"computed from the shapes: explicit Jacobians {explicit_mb:.0f} MB, "
      f"closed form {closed_mb:.2f} MB")
assert round(explicit_mb) == 411 and round(B * n_h * n_v / 1e6) == 51
assert explicit_mb / closed_mb > 700
linear = cs.ContractiveAutoencoder(64, 16, activation="linear", loss="mse",
                                   decoder_activation="linear", seed=lesson.seed,
                                   **lesson.model_kwargs())
W = cs.to_numpy(linear.params["W"])
assert abs(linear.contractive_penalty(linear.asarray(X)) - np.sum(W ** 2)) <= 1e-12 * np.sum(W ** 2)

# %% [markdown]
# ## Contractive or denoising?
#
# A **denoising** autoencoder (DAE; Vincent et al., 2008) gets robustness another way:
# it corrupts the input, $\tilde x = x + \tau \epsilon$ with $\epsilon \sim \mathcal{N}(0, I)$,
# and asks the network to rebuild the clean $x$. Its loss is about the
# **reconstruction** $r$, never about the code. Expand $r(x + \tau\epsilon)$ to second
# order,
# $$r_i(x + \tau\epsilon) = r_i + \tau (J_r \epsilon)_i
#   + \frac{\tau^2}{2} \epsilon^\top \nabla^2 r_i\, \epsilon + O(\tau^3),$$
# with $J_r = \partial r / \partial x$ the Jacobian of the whole encoder-decoder map and
# $\nabla^2 r_i$ the Hessian of pixel $i$. Square, and take the mean over $\epsilon$
# ($\mathbb{E}\,\epsilon = 0$, $\mathbb{E}\,\epsilon\epsilon^\top = I$, odd moments vanish):
# $$\mathbb{E}\,\|r(x + \tau\epsilon) - x\|^2 = \|r - x\|^2 + \tau^2 \|J_r\|_F^2
#   + \tau^2 \sum_i (r_i - x_i) \operatorname{tr} \nabla^2 r_i + O(\tau^4).$$
# So for small noise a squared-error DAE penalises $\|J_r\|_F^2$, the sensitivity of
# the whole map, **plus** a term of the same order that involves the residual $r - x$
# (Bishop, 1995, derived this expansion for any network trained with input noise). That last
# term vanishes only where $r(x) \approx x$, which is where a well-trained DAE's
# reconstruction sits for small noise (Alain & Bengio, 2014; Vincent, 2011, relates the DAE
# to score matching); elsewhere it is of the same order as the first, as the cell below
# measures. Lesson 15 ("What the reconstruction learns: the score") follows the residual
# $r(x) - x$ further: for a DAE with small noise it estimates $\tau^2 \nabla \log p(x)$.
#
# The cell measures every term at one digit of our untrained model: $\|J_r\|_F^2$ and
# $\operatorname{tr}\nabla^2 r_i$ by central differences, and the left side by Monte
# Carlo with antithetic pairs $\pm\epsilon$ (their average cancels the first-order
# term exactly, so the sample mean estimates the $\tau^2$ coefficient directly).

# %%
def reconstruct(Y):
    """r(y) for rows y that may leave [0, 1] (network.* do not validate): (m, 64) -> (m, 64)."""
    return cs.to_numpy(network.decode(model.params, network.encode(model.params, model.asarray(Y),
                                                                  model.spec), model.spec))


x0 = X[:1]
r0 = reconstruct(x0)
residual = (r0 - x0)[0]
step = 1e-4
E = step * np.eye(64)
R_plus, R_minus = reconstruct(x0 + E), reconstruct(x0 - E)
J_r = (R_plus - R_minus).T / (2 * step)                        # (64, 64): dr_i / dx_j
laplacian = np.sum(R_plus + R_minus - 2 * r0, axis=0) / step ** 2   # (64,): tr of each Hessian
jr_term, residual_term = float(np.sum(J_r ** 2)), float(residual @ laplacian)
tau, n_noise = 1e-2, (2000 if lesson.quick else 8000)
noise = rng.standard_normal((n_noise, 64))
f0 = float(residual @ residual)
f_plus = np.sum((reconstruct(x0 + tau * noise) - x0) ** 2, axis=1)
f_minus = np.sum((reconstruct(x0 - tau * noise) - x0) ** 2, axis=1)
coefficient = (f_plus + f_minus - 2 * f0) / (2 * tau ** 2)    # one estimate per pair +-eps
measured, standard_error = float(coefficient.mean()), float(coefficient.std() / np.sqrt(n_noise))
print(f"||r - x||^2 = {f0:.2f} at this digit of the untrained model")
print(f"tau^2 coefficient: Monte Carlo {measured:.2f} +- {standard_error:.2f} (one standard error)")
print(f"  ||J_r||_F^2 = {jr_term:.2f},  sum_i (r_i - x_i) tr Hess r_i = {residual_term:.2f},  "
      f"their sum = {jr_term + residual_term:.2f}")
print(f"the residual term is {residual_term / jr_term:+.0%} of ||J_r||_F^2; "
      f"||J_r||_F^2 alone misses the measurement by "
      f"{abs(measured - jr_term) / standard_error:.0f} standard errors")
predicted = jr_term + residual_term
assert abs(measured - predicted) < 4 * standard_error + 0.02 * abs(predicted)
assert abs(measured - jr_term) > 10 * standard_error          # ||J_r||^2 alone is rejected here
assert abs(residual_term) > 0.2 * jr_term                      # the dropped term: the same order

# %% [markdown]
# Here $r$ is far from $x$ (the model is untrained), and the residual term is no small
# correction: the run prints its size as a fraction of $\|J_r\|_F^2$ (the cell asserts more
# than a fifth), and $\|J_r\|_F^2$ alone is rejected by the Monte Carlo measurement.
#
# **And the CAE?** Its penalty is about the **code**. To first order in $\tau$,
# $h(x + \tau\epsilon) - h(x) \approx \tau J \epsilon$, so
# $$\mathbb{E}\,\|h(x+\tau\epsilon) - h(x)\|^2
#   \approx \tau^2\, \mathbb{E}\,\epsilon^\top J^\top J \epsilon
#   = \tau^2 \operatorname{tr}(J^\top J) = \tau^2 \|J\|_F^2 ,$$
# with an error of order $\tau^4$. The CAE penalises this first-order response of the
# code in closed form, without sampling; a DAE penalises (to second order, with the
# residual term) the response of the reconstruction, by sampling. The two are relatives,
# not the same penalty. The cell checks the code relation by Monte Carlo.

# %%
tau_code = 1e-3
dH = (network.encode(model.params, model.asarray(x0 + tau_code * noise), model.spec)
      - network.encode(model.params, model.asarray(x0), model.spec))
sampled = float(np.mean(np.sum(cs.to_numpy(dH) ** 2, axis=1))) / tau_code ** 2
exact = float(np.sum(J[0] ** 2))
print(f"E||h(x + tau eps) - h(x)||^2 / tau^2 = {sampled:.3f} (Monte Carlo) "
      f"vs ||J||_F^2 = {exact:.3f}")
assert abs(sampled - exact) < 0.15 * exact

# %% [markdown]
# **Which to pick.** Pick a **CAE** when you want the code itself to be insensitive
# and you want a deterministic, low-variance penalty (its closed form costs little
# with one hidden layer). Pick a **DAE** when the encoder is deep or its Jacobian is
# costly, when the corruption you care about is not small or not Gaussian (masked
# pixels, salt and pepper), or when you want no derivative of the encoder in your
# loss at all.
#
# ## The map of the lessons
#
# Read them in order; each one uses the previous ones, derives what it needs, asks
# you two or three questions, and checks every hand-derived quantity against the
# library. The list below is read from the lesson files themselves, so it is the
# book as it is, not as it was planned.

# %%
import os

from lessons.__main__ import LESSON_DIR, discover
from lessons.exercises.grader import EXERCISES


def lesson_heading(name):
    """The first '# # Lesson NN - Title' line of a lesson file, without the number."""
    with open(os.path.join(LESSON_DIR, f"{name}.py"), encoding="utf-8") as f:
        heading = next(line for line in f if line.startswith("# # "))
    return heading[4:].strip().split(" - ", 1)[-1]


lessons_on_disk = discover()
for number, name in lessons_on_disk:
    print(f"lesson {number:02d}  {lesson_heading(name)}")
numbers = [n for n, _ in lessons_on_disk]
assert numbers[0] == 0 and numbers == sorted(numbers) and len(set(numbers)) == len(numbers)

# %% [markdown]
# ## The exercises
#
# From lesson 02 on you can write the backward passes yourself. Each exercise is a
# template with the body removed; `python -m lessons.exercises list` lists them,
# `python -m lessons.exercises copy N` copies one, and
# `python -m lessons.exercises check N FILE` grades your file by finite
# differences, never by comparing with a solution, with a hint naming the likely
# mistake. Each lesson says which exercise to do after it. The list, read from the grader:

# %%
for ex in EXERCISES.values():
    print(f"exercise {ex.number:>2}: {ex.function:<22} {ex.title}")
assert sorted(EXERCISES) == list(range(1, len(EXERCISES) + 1))

# %% [markdown]
# ## Questions
#
# **Question 1.** Why penalise the *squared Frobenius* norm of $J$ rather than its
# largest singular value $\sigma_1$ (the spectral norm), which bounds the worst direction?
#
# **Question 2.** Why does a linear encoder gain nothing from the penalty that weight
# decay would not give it?
#
# **Question 3.** The expansions above need $\tau$ small. What does a DAE penalise when
# $\tau$ is large, and why does that favour the DAE for large corruptions?

# %% [markdown]
# ## Answers
#
# **1.** The squared Frobenius norm is a sum of squares with the closed form
# above and a gradient as cheap as the forward pass; the spectral norm needs a
# singular value decomposition of $J$ per example, and its gradient only moves one
# direction at a time. Since $\sigma_1^2 \le \sum_i \sigma_i^2 = \|J\|_F^2$, the
# Frobenius penalty bounds it anyway (the cell below checks it on our digits).
#
# **2.** With $s' \equiv 1$ the penalty is $\|W\|_F^2$ at every input, so it
# cannot contract some directions at some inputs more than others: it shrinks every
# weight uniformly, which is exactly what weight decay does.
#
# **3.** For large $\tau$ the terms of order $\tau^4$ and higher no longer vanish, and
# the expansion says nothing: a DAE then trains the reconstruction of *finite*
# corruptions of the kind it samples, whatever their size or shape, which is what you
# want when the corruption you expect is large or structured. A CAE's penalty stays a
# first-order, infinitesimal one. (Lesson 10's CAE+H adds a penalty on the change of
# $J$ itself, to make contraction hold further from $x$.)
#
# Next: lesson 01 runs the forward pass by hand.

# %%
spectral_sq = np.linalg.norm(J, ord=2, axis=(1, 2)) ** 2        # sigma_1^2 of each J(x_n)
assert np.all(spectral_sq <= np.sum(J ** 2, axis=(1, 2)) * (1 + 1e-12))   # answer 1
lesson.finish(f"closed-form penalty = explicit ||J||_F^2 to "
              f"{abs(explicit - closed) / explicit:.1e}; "
              f"DAE tau^2 coefficient {measured:.2f} ~ ||J_r||^2 {jr_term:.2f} + residual term "
              f"{residual_term:.2f}",
              {"penalty_explicit": explicit, "penalty_closed": closed, "along": along,
               "across": across, "noise_sampled": sampled, "noise_exact": exact,
               "null_narrow": null_narrow, "null_wide": null_wide, "dae_measured": measured,
               "dae_jr": jr_term,
               "dae_residual": residual_term})

# %% [markdown]
# ## Sources
#
# - S. Rifai, P. Vincent, X. Muller, X. Glorot, Y. Bengio, "Contractive Auto-Encoders:
#   Explicit Invariance During Feature Extraction", ICML 2011: the penalty $\|J\|_F^2$,
#   its closed form for a sigmoid encoder, the overcomplete 784-1000 setting.
# - P. Vincent, H. Larochelle, Y. Bengio, P.-A. Manzagol, "Extracting and Composing Robust
#   Features with Denoising Autoencoders", ICML 2008: the DAE.
# - C. M. Bishop, "Training with Noise is Equivalent to Tikhonov Regularization",
#   Neural Computation 7(1), 1995: the small-noise expansion and its residual term.
# - G. Alain, Y. Bengio, "What Regularized Auto-Encoders Learn from the Data-Generating
#   Distribution", JMLR 15, 2014: the DAE-CAE relation at the optimum, where $r(x) \approx x$.
# - P. Vincent, "A Connection Between Score Matching and Denoising Autoencoders",
#   Neural Computation 23(7), 2011.
