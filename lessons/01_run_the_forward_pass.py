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
# # Lesson 01 - Run the forward pass
#
# An autoencoder is a network trained to copy its input to its output through a
# middle layer, the **code** $h$. The code is what we are after; the copy $r$ is only
# how we grade it. Copying alone teaches nothing if the code is wide enough to pass
# everything through, and a contractive autoencoder's code often is: the CAE paper
# maps 784 pixels to 1000 units. What makes it learn is a second demand (lesson 04 on),
# that $h$ move little when $x$ moves. In this lesson the code is smaller than the
# image (32 or 16 numbers for 64 pixels) only to keep the pictures small. Before any
# of that we need the plain machine, computed by hand, one matrix product at a time.
#
# **You will learn** the four equations of a tied autoencoder and the shape of every
# array in them; why a batch is written $A = XW^\top + b_h$ (rows are examples); what
# tying the weights saves; and how to tell, in numbers, that an untrained model
# reconstructs nothing. **You need** NumPy and matrix products.
#
# ## The model, one example at a time
#
# Take one image flattened to a vector $x \in [0,1]^{n_v}$ ($n_v = 64$ pixels for
# the 8x8 digits). The **encoder** is one affine map and an element-wise squashing
# function $s$ (here the logistic sigmoid $s(a) = \operatorname{sigm}(a) = 1/(1+e^{-a})$):
#
# $$a = W x + b_h, \qquad h = s(a), \qquad
#   W \in \mathbb{R}^{n_h \times n_v},\; b_h \in \mathbb{R}^{n_h}.$$
#
# Read $W$ by rows: $a_k = \sum_j W_{kj} x_j + b_{h,k}$ is the dot product of the
# image with row $k$ of $W$, so row $k$ is a *filter*, an 8x8 template that hidden
# unit $k$ matches against the image. The **decoder** maps the code back to pixel
# space. With **tied weights** it reuses the same matrix, transposed:
#
# $$z = W^\top h + b_r, \qquad r = g(z), \qquad b_r \in \mathbb{R}^{n_v},$$
#
# so $z_j = \sum_k W_{kj} h_k + b_{r,j}$: the reconstruction is a sum of the same
# filters, each weighted by how strongly its unit fired. We take $g$ = sigmoid too,
# so every $r_j$ lies in $(0, 1)$, like a pixel.
#
# ## The same thing for a batch
#
# Code never loops over examples; it stacks $B$ images as the **rows** of
# $X \in \mathbb{R}^{B \times n_v}$. Row $n$ of $A$ must be $(W x_n + b_h)^\top$.
# Transposing a product reverses it, $(W x_n)^\top = x_n^\top W^\top$, and stacking
# the rows $x_n^\top$ gives $X$, so
#
# $$A = X W^\top + \mathbf{1} b_h^\top, \quad H = s(A), \quad Z = H W + \mathbf{1} b_r^\top,
#   \quad R = g(Z),$$
#
# where $\mathbf{1} b_h^\top$ (adding $b_h$ to every row) is exactly what NumPy's
# broadcasting does with `+ b_h`. Check the shapes as you would check units in
# physics: $(B, n_v)(n_v, n_h) = (B, n_h)$ and $(B, n_h)(n_h, n_v) = (B, n_v)$, the
# shape of $X$, as a reconstruction must be.

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "01_run_the_forward_pass", "Lesson 01 - Run the forward pass",
    learn=["h = s(W x + b_h), r = g(W^T h + b_r), and the shape of every array",
           "why a batch is A = X W^T + b_h (rows are examples)",
           "what tied weights save, counted",
           "how bad an untrained autoencoder is, in numbers"],
    need="NumPy and matrix products")

import numpy as np

import cae_scratch as cs
from cae_scratch import data, plots
from cae_scratch.core import layers, losses

n_hidden, n_examples = (16, 256) if lesson.quick else (32, 1797)
X_host = data.load_digits()[:n_examples]                 # (B, 64), NumPy on the host, in [0, 1]
model = cs.ContractiveAutoencoder(64, n_hidden, lam=0.1, seed=lesson.seed,
                                  **lesson.model_kwargs())
X = model.asarray(X_host)                                # the same numbers on the lesson's backend
W, b_h, b_r = model.params["W"], model.params["b_h"], model.params["b_r"]
print(f"X   {tuple(X.shape)}  one row per digit, one column per pixel")
print(f"W   {tuple(W.shape)}  (n_hidden, n_visible): row k is the filter of hidden unit k")
print(f"b_h {tuple(b_h.shape)}   b_r {tuple(b_r.shape)}")

# %% [markdown]
# Now the four equations, typed exactly as derived. `sigmoid` is the library's
# overflow-safe version (it never computes $e^{-a}$ for a large negative $a$).

# %%
sigmoid = cs.get_activation("sigmoid").f
A = X @ W.T + b_h                                        # (B, n_hidden); b_h broadcasts over rows
H = sigmoid(A)                                           # the codes, each h_k in (0, 1)
Z = H @ W + b_r                                          # (B, n_visible): W is used a second time
R = sigmoid(Z)                                           # the reconstructions
H_host, R_host = cs.to_numpy(H), cs.to_numpy(R)          # host copies, for printing and figures
print(f"A, H: {tuple(H.shape)}   Z, R: {tuple(R.shape)} (the shape of X)")
print(f"h ranges over [{H_host.min():.2g}, {H_host.max():.4f}], "
      f"r over [{R_host.min():.2g}, {R_host.max():.4f}] -- inside (0, 1), as a sigmoid's must be")
assert tuple(R.shape) == tuple(X.shape) and tuple(H.shape) == (X.shape[0], n_hidden)
assert 0 < H_host.min() and H_host.max() < 1 and 0 < R_host.min() and R_host.max() < 1

# %% [markdown]
# The claim "this is the model" is only worth something if the library that trains
# it computes the same numbers. The library's forward pass is two pairs of functions,
# `layers.encoder_forward` and `layers.decoder_forward` (the reference training step
# composes them, and the fast step is held equal to it by the tests), and
# `model.reconstruct` is the public method; both must agree with our four lines to
# rounding. (`cs.rel_error(a, b)` is $\max|a-b| / \max(|a|+|b|)$ over all entries.)

# %%
act = cs.get_activation(model.spec.activation)
H_lib, (_, A_lib, _, _) = layers.encoder_forward(model.params["W"], model.params["b_h"], X, act)
W_r = layers.decoder_weight(model.params, model.spec.tied)   # tied: W_r = W^T
Z_lib, _ = layers.decoder_forward(W_r, model.params["b_r"], H_lib)
forward_error = max(cs.rel_error(A, A_lib), cs.rel_error(H, H_lib), cs.rel_error(Z, Z_lib),
                    cs.rel_error(R, model.reconstruct(X)))
print(f"by hand vs the library's forward pairs and model.reconstruct: "
      f"max relative error {forward_error:.1e}")
assert forward_error < 1e-12

# %% [markdown]
# ## Counting parameters: what tying buys
#
# The tied model has $W$ ($n_h n_v$ numbers), $b_h$ ($n_h$) and $b_r$ ($n_v$). An
# untied model gives the decoder its own $W_r \in \mathbb{R}^{n_v \times n_h}$,
# another $n_v n_h$. So
#
# $$N_\text{tied} = n_h n_v + n_h + n_v, \qquad N_\text{untied} = 2 n_h n_v + n_h + n_v .$$
#
# For $64 \to 32$ that is $2048 + 32 + 64 = 2144$ against $4192$. Tying does more
# than halve the weights: it forces the decoder to draw with the same templates the
# encoder detects with. That matters for the contractive penalty later. $\|J\|_F^2$
# grows with $W$, so an untied model could satisfy the penalty with a tiny encoder
# $W$ and let a huge decoder $W_r$ undo the shrinking; with tied weights, shrinking $W$
# shrinks the decoder too, and the trade-off is real.

# %%
def count_params(m):
    return sum(int(np.prod(p.shape)) for p in m.params.values())


untied = cs.ContractiveAutoencoder(64, n_hidden, tied=False, seed=lesson.seed,
                                   **lesson.model_kwargs())
n_tied, n_untied = count_params(model), count_params(untied)
print(f"tied:   W {tuple(W.shape)} + b_h + b_r = {n_tied}")
print(f"untied: ... + W_r {tuple(untied.params['W_r'].shape)}       = {n_untied}")
assert n_tied == n_hidden * 64 + n_hidden + 64 and n_untied == n_tied + 64 * n_hidden
assert (32 * 64 + 32 + 64, 2 * 32 * 64 + 32 + 64) == (2144, 4192)    # the 64 -> 32 numbers above

# %% [markdown]
# ## How bad is a model that has learned nothing?
#
# Pixels are numbers in $[0,1]$, so we grade a reconstruction with **binary
# cross-entropy**, summed over the pixels of one image and averaged over the batch:
#
# $$\ell(x, r) = -\sum_j \big[x_j \log r_j + (1-x_j) \log (1-r_j)\big], \qquad
#   L = \frac1B \sum_{n=1}^{B} \ell(x_n, r_n).$$
#
# Two reference points make the number readable. A model that ignores its input and
# outputs $r_j = 0.5$ everywhere scores exactly $64 \log 2 \approx 44.36$. A model
# that ignores its input but outputs the **average digit** $\bar x$ does better,
# because it knows where ink usually is. And $\ell$ has a floor above zero: for fixed
# $x_j$, $\partial\ell/\partial r_j = (r_j - x_j)/(r_j(1-r_j))$ vanishes at $r_j = x_j$,
# where $\ell$ equals the *entropy* $-\sum_j [x_j \log x_j + (1-x_j)\log(1-x_j)]$,
# which is positive for grey pixels. Training can approach that floor, never pass it.
#
# The library computes $\ell$ from $z$, never from $r$ (lesson 02 shows why), so we
# compare our batch loss with `losses.bce_forward(Z, X)` and `model.loss_terms`.

# %%
def bce_from_r(X_, R_):
    """The textbook formula; fine here because every r is well inside (0, 1)."""
    return float(-np.mean(np.sum(X_ * np.log(R_) + (1 - X_) * np.log(1 - R_), axis=1)))


bce_untrained = bce_from_r(X_host, R_host)
bce_library = model.loss_terms(X)["reconstruction"]
mean_digit = np.clip(X_host.mean(axis=0), 1e-6, 1 - 1e-6)          # (64,): the mean digit
bce_mean = bce_from_r(X_host, np.broadcast_to(mean_digit, X_host.shape))
bce_half = 64 * np.log(2)
Xc = np.clip(X_host, 1e-12, 1 - 1e-12)
bce_floor = bce_from_r(X_host, Xc)                                   # r = x: the pixels' entropy
bce_via_z = float(losses.bce_forward(Z, X)[0])
print(f"untrained model      {bce_untrained:7.2f}  (losses via z: {bce_via_z:.2f}, "
      f"model.loss_terms: {bce_library:.2f})")
print(f"r = 0.5 everywhere   {bce_half:7.2f}")
print(f"the average digit    {bce_mean:7.2f}")
print(f"floor (r = x)        {bce_floor:7.2f}")
assert abs(bce_untrained - bce_library) < 1e-9 * bce_library
assert abs(bce_via_z - bce_library) < 1e-9 * bce_library
assert bce_floor < bce_mean < bce_half < bce_untrained and round(bce_half, 2) == 44.36

# %% [markdown]
# The untrained model is worse than *both* input-blind guesses: its random filters
# do not just fail to help, they scramble. Look at it. Each column below is one digit:
# the input, the untrained reconstruction, and the average digit (the same image for
# every column), with each tile's own $\ell$ in its title.

# %%
n_show = 8
per_image = lambda T, P: -np.sum(T * np.log(P) + (1 - T) * np.log(1 - P), axis=1)
l_model = per_image(X_host[:n_show], R_host[:n_show])
l_mean = per_image(X_host[:n_show], np.broadcast_to(mean_digit, (n_show, 64)))
plots.plot_tiles(
    np.concatenate([X_host[:n_show], R_host[:n_show], np.broadcast_to(mean_digit, (n_show, 64))]),
    lesson.figure("before_training.png"),
    titles=[f"digit #{b}" for b in range(n_show)] + [f"bce {v:.1f}" for v in l_model]
    + [f"bce {v:.1f}" for v in l_mean],
    n_cols=n_show, vmin=0.0, vmax=1.0, cbar_label="pixel value (0 = white, 1 = ink)",
    tile_size=1.35, cmap="gray_r",
    row_labels=["input x", "untrained r", "average digit"],
    suptitle=f"Before training: reconstructions of an untrained 64 -> {n_hidden} autoencoder "
             f"(mean bce {bce_untrained:.1f}) vs the average digit (mean bce {bce_mean:.1f})")
assert np.mean(l_model) > np.mean(l_mean)

# %% [markdown]
# And the filters themselves: every row of $W$, drawn as an 8x8 image on one colour
# scale (red positive, blue negative). Untrained, they are the Glorot-uniform noise
# they were initialised with: $W_{kj} \sim U(-c, c)$ with
# $c = 4\sqrt{6/(n_v+n_h)}$ (Glorot & Bengio, 2010), the factor 4 because $s'(0) = 1/4$
# for a sigmoid. Lesson 07 shows what training turns them into.

# %%
W_host = cs.to_numpy(W)
c = 4 * np.sqrt(6 / (64 + n_hidden))
plots.plot_tiles(W_host, lesson.figure("filters.png"),
                 titles=[f"k = {k}" for k in range(n_hidden)],
                 n_cols=8, symmetric=True, cbar_label="weight W[k, j]", tile_size=1.2,
                 suptitle=f"All {n_hidden} encoder filters (row k of W, {n_hidden} x 64, as 8x8), "
                          f"untrained: uniform in (-{c:.2f}, {c:.2f})")
assert np.abs(W_host).max() <= c

# %% [markdown]
# ## Questions
#
# **Question 1.** Someone writes the batch encoder as `A = W @ X + b_h`. For which
# shapes of `X` does that line run at all, and what would it compute?
#
# **Question 2.** The untied model has about twice the parameters. Give one reason it
# might reconstruct *better* after training, and one reason you might still prefer
# the tied one.
#
# **Question 3.** Why can the mean bce on these digits never reach 0, even for a
# perfect model? What would change for black-and-white (binarised) digits?
#
# There is no exercise for this lesson: the first one, the sigmoid's backward pass,
# comes with lesson 02.

# %%
lesson.finish(f"untrained 64->{n_hidden} autoencoder: bce {bce_untrained:.1f} per image vs "
              f"{bce_mean:.1f} for the average digit (floor {bce_floor:.1f}); tied {n_tied} params "
              f"vs untied {n_untied}",
              {"forward_error": forward_error, "n_params_tied": n_tied, "n_params_untied": n_untied,
               "n_hidden": n_hidden, "bce_untrained": bce_untrained, "bce_library": bce_library,
               "bce_mean_image": bce_mean, "bce_half": bce_half, "bce_floor": bce_floor})

# %% [markdown]
# ## Answers
#
# **1.** `W @ X` needs `X` of shape `(n_visible, B)`, examples as columns; with our
# `(B, 64)` it fails unless $B = 64$ by coincidence, and then it silently computes
# nonsense (mixing examples, not pixels). Then `+ b_h` would broadcast along the wrong
# axis too. The rule "rows are examples" gives $A = XW^\top + b_h$.
#
# **2.** The untied decoder can learn templates that differ from the detectors, e.g.
# sharper strokes than the encoder needs to tell digits apart, so its reconstruction
# error can be lower. The tied model has half the weights to fit (less overfitting on
# 1797 images), and cannot meet the contractive penalty by shrinking the encoder's $W$
# while inflating a separate decoder $W_r$.
#
# **3.** Because $\ell$ is minimised at $r = x$, where it equals the entropy of the
# grey pixels (the "floor" printed above), not 0. For binary pixels
# $x_j \in \{0, 1\}$ the entropy is 0, and the loss can approach 0 as $r \to x$.
#
# ## Sources
#
# - S. Rifai, P. Vincent, X. Muller, X. Glorot, Y. Bengio, "Contractive Auto-Encoders: Explicit
#   Invariance During Feature Extraction", ICML 2011: the tied sigmoid autoencoder, bce for pixels
#   in $[0, 1]$, the overcomplete 784-1000 code.
# - X. Glorot, Y. Bengio, "Understanding the Difficulty of Training Deep Feedforward Neural
#   Networks", AISTATS 2010: the uniform initialisation $\pm\sqrt{6/(n_v + n_h)}$. The factor 4
#   for a sigmoid is the convention of the Theano deep learning tutorials
#   (lisa-lab/DeepLearningTutorials, `code/mlp.py`, the comment above the weight initialisation).
