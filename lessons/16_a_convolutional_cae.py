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
# # Lesson 16 - A convolutional CAE
#
# <!-- summary: A convolution is a matrix, so the CAE's penalty has a closed form that is itself a
# convolution: its two gradient paths, four public mistakes, and a convolutional CAE on digits. -->
#
# Every CAE so far had a dense encoder, $a = W x + b_h$: each hidden unit looks at every pixel
# through its own row of $W$. A convolutional encoder slides a few small kernels over the image
# instead, so a unit sees a patch and all units of a channel share one kernel. That looks like a
# different model with a different penalty. It is not: a convolution is a linear map, so it *is*
# a matrix, $a = M(K)\,x + b_h$, and a convolutional CAE is the dense CAE of lessons 01-05 with
# $W = M(K)$. Everything we derived carries over, and the closed form of the penalty turns out to
# be a convolution itself:
#
# $$\|J(x)\|_F^2 = \sum_{c,p} s'(a_{c,p})^2\, q_{c,p}, \qquad
#   q = \operatorname{conv}(\mathbf 1_x,\; K \odot K).$$
#
# We build $M(K)$ for a tiny image and check the convolution against it; derive $q$ and see what
# the image's borders do to it; derive both paths of the gradient and check them by finite
# differences; run four mistakes seen in public code and measure what each gets wrong; and train a
# convolutional CAE on the digits beside a convolutional autoencoder without the penalty.
#
# **You need** lessons 03-05 (the Jacobian, the closed form, its gradient) and 08 (what contraction
# looks like).

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "16_a_convolutional_cae", "Lesson 16 - A convolutional CAE",
    learn=["a convolution is a matrix M(K): built from basis images and checked",
           "||J||_F^2 = sum s'^2 q with q = conv(1_x, K*K): what the borders do",
           "the two gradient paths, through a and through q, checked by finite differences",
           "four public mistakes and the error each makes",
           "a conv CAE on the digits: parameters, contraction, spectrum, contraction curve"],
    need="lessons 03-05 and 08")

import time

import numpy as np

import cae_scratch as cs
from cae_scratch import analysis, backend, data, plots
from cae_scratch.core import conv, conv_network, network
from cae_scratch.core.activations import get_activation

rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## A convolution is a matrix
#
# Take one input channel of $H \times W$ pixels, $C$ kernels $K_c$ of $k \times k$ taps, stride
# $t_s$ and zero padding $t_p$. Output channel $c$ at position $p = (y, x)$ is
#
# $$a_{c,p} = \sum_{i,j} K_{c,i,j}\; x_{\,t_s y - t_p + i,\; t_s x - t_p + j} \;+\; b_{h,c},$$
#
# where a tap that lands in the padding reads a zero. Every $a_{c,p}$ is a fixed linear
# combination of pixels, so stacking the outputs gives $a = M(K)\,x + b_h$ for a matrix $M(K)$ of
# shape $(C H' W', H W)$: row $(c, p)$ holds kernel $K_c$ placed at $p$, and zeros elsewhere.
# Column $j$ of $M$ is what the convolution does to the basis image $e_j$ (a single lit pixel), so
# we can *build* $M$ by convolving the $HW$ basis images. The library convolves by im2col: it
# gathers every patch into a column (one `take` with precomputed indices) and multiplies by the
# kernels once. We check it against $M$ and against a loop written out here.

# %%
def direct_conv(x, K, stride, padding):
    """The definition, one output position at a time: x (1, H, W), K (C, 1, k, k) -> (C, H', W')."""
    k = K.shape[-1]
    padded = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    Ho = (x.shape[1] + 2 * padding - k) // stride + 1
    Wo = (x.shape[2] + 2 * padding - k) // stride + 1
    out = np.zeros((K.shape[0], Ho, Wo))
    for y in range(Ho):
        for x_ in range(Wo):
            patch = padded[:, y * stride:y * stride + k, x_ * stride:x_ * stride + k]
            out[:, y, x_] = np.sum(K * patch, axis=(1, 2, 3))
    return out


tiny = conv.ConvGeometry(in_shape=(1, 5, 5), channels=2, kernel=3, stride=1, padding=1)
K_tiny = rng.normal(size=(2, 1, 3, 3))
M = conv.conv_forward(tiny, K_tiny, np.eye(tiny.n_visible))[0].T          # column j = conv(e_j)
x_tiny = rng.uniform(size=(1, 25))
by_matrix = M @ x_tiny[0]
by_im2col = conv.conv_forward(tiny, K_tiny, x_tiny)[0][0]
by_loop = direct_conv(x_tiny.reshape(1, 5, 5), K_tiny, 1, 1).reshape(-1)
err_matrix = float(np.max(np.abs(by_matrix - by_loop)))
err_im2col = float(np.max(np.abs(by_im2col - by_loop)))
print(f"M(K) is {M.shape}: {np.count_nonzero(M)} of its {M.size} entries are nonzero")
print(f"max |M x - loop| = {err_matrix:.1e};  max |im2col - loop| = {err_im2col:.1e}")
assert err_matrix < 1e-13 and err_im2col < 1e-13

# %% [markdown]
# The decoder must map codes back to images, and the tied decoder of lesson 01 used $W^\top$. Here
# that is $M(K)^\top$, the convolution's exact *adjoint* (also called the transposed convolution):
# it is defined by $\langle M x, h\rangle = \langle x, M^\top h\rangle$ for every $x$ and $h$, and
# it gives the reconstruction $x$'s shape for any stride and padding. The library computes it with a
# second gather (each pixel collects, for each tap, the code position whose patch put that tap on
# it) and one product; we hold it to $h^\top M$.

# %%
h_tiny = rng.normal(size=(1, tiny.n_hidden))
err_adjoint = float(np.max(np.abs(conv.conv_transpose(tiny, K_tiny, h_tiny)[0] - h_tiny[0] @ M)))
print(f"max |conv_transpose(h) - M^T h| = {err_adjoint:.1e}")
assert err_adjoint < 1e-13
plots.plot_panel_grid(
    [{"image": M, "title": f"M(K): {M.shape[0]} rows (2 channels x 25 positions) x 25 pixels",
      "symmetric": True, "xlabel": "pixel j", "ylabel": "code unit (c, p)"},
     {"image": M[6].reshape(5, 5), "title": "row (c=0, p=(1, 1)): K_0 placed at p",
      "symmetric": True},
     {"image": M[0].reshape(5, 5), "title": "row (c=0, p=(0, 0)): K_0 cut by the border",
      "symmetric": True}],
    lesson.figure("conv_matrix.png"), n_cols=3, panel_size=(4.6, 4.0))

# %% [markdown]
# ## The penalty's closed form, and the borders
#
# With $W = M(K)$, lesson 03's Jacobian is $J(x) = \operatorname{diag}(s'(a))\,M(K)$, and lesson
# 04's closed form applies word for word:
#
# $$\|J(x)\|_F^2 = \sum_{c,p} s'(a_{c,p})^2\, q_{c,p}, \qquad q_{c,p} = \sum_j M_{(c,p),j}^2 .$$
#
# Row $(c, p)$ of $M$ holds the taps of $K_c$ that land *inside* the image, so
# $q_{c,p} = \sum_{i,j} K_{c,i,j}^2\, \mathbf 1[\text{tap } (i,j) \text{ at } p \text{ is inside}]$.
# That sum is itself a convolution: of the all-ones image $\mathbf 1_x$ with the squared kernels
# $K \odot K$, with the same stride and padding. Without padding every tap is inside and
# $q_{c,p} = \|K_c\|^2$ at every position; with padding, the positions near a border lose the taps
# that fall off the image, and a corner keeps only $4$ of $9$.

# %%
q = conv.row_norms_sq(tiny, K_tiny)                              # (C H' W',) by conv(1_x, K*K)
q_rows = np.sum(M * M, axis=1)                                  # the definition: rows of M
err_q = float(np.max(np.abs(q - q_rows)))
interior = q.reshape(2, 5, 5)[:, 1:4, 1:4]
K_sq = np.sum(K_tiny ** 2, axis=(1, 2, 3))
corner = q.reshape(2, 5, 5)[0, 0, 0]
corner_taps = float(np.sum(K_tiny[0, 0, 1:, 1:] ** 2))           # the 4 taps a corner keeps
print(f"max |q - row norms of M| = {err_q:.1e}; "
      f"interior q = ||K_c||^2: {np.allclose(interior[0], K_sq[0])}")
print(f"channel 0: ||K_0||^2 = {K_sq[0]:.3f}, corner q = {corner:.3f} "
      f"(the 4 inside taps: {corner_taps:.3f})")
assert err_q < 1e-13 and np.allclose(interior, K_sq[:, None, None], rtol=1e-13)
assert abs(corner - corner_taps) < 1e-13

# %% [markdown]
# Now the penalty on a batch of real digits, by the closed form and by building every Jacobian
# $\operatorname{diag}(s'(a_n))\,M$ explicitly:

# %%
X_all = data.load_digits()                                       # (1797, 64) in [0, 1]
geo = conv.ConvGeometry(in_shape=(1, 8, 8), channels=8, kernel=3, stride=1, padding=1)
model = cs.ConvCAE((1, 8, 8), channels=8, kernel=3, padding=1, lam=0.1, seed=lesson.seed,
                   **lesson.model_kwargs())
Xb = X_all[:32]
P_closed = model.contractive_penalty(model.asarray(Xb))
J = backend.to_numpy(model.jacobian(model.asarray(Xb)))          # (32, 512, 64)
P_explicit = float(np.mean(np.sum(J * J, axis=(1, 2))))
err_P = abs(P_closed - P_explicit) / P_explicit
print(f"8 kernels of 3x3 on 8x8 digits, padding 1: n_hidden = {model.n_hidden}, J is {J.shape}")
print(f"closed form {P_closed:.10f}   explicit {P_explicit:.10f}   rel. difference {err_P:.1e}")
assert err_P < 1e-12

# %% [markdown]
# ## Both paths of the gradient
#
# $K$ enters the penalty $P = \frac1B \sum_n \sum_{c,p} s'(a_{n,c,p})^2 q_{c,p}$ twice, exactly as
# $W$ did in lesson 05: inside every $a$, and inside $q$.
#
# *Through $a$.*
# $\partial P / \partial a_{n,c,p} = \frac 2B\, s'(a_{n,c,p})\, s''(a_{n,c,p})\, q_{c,p}$, which
# joins the reconstruction's $\partial L / \partial a$ before the convolution's weight gradient,
# $\partial L/\partial K_{c,i,j}
# = \sum_{n,p} (\partial L / \partial a_{n,c,p})\; x_{n,\,\text{tap } (i,j) \text{ at } p}$:
# no extra product, as in the dense case.
#
# *Through $q$.* With $\bar d_{c,p} = \frac 1B \sum_n s'(a_{n,c,p})^2$,
#
# $$\frac{\partial P}{\partial K_{c,i,j}} \Big|_{q}
#   = \sum_p \bar d_{c,p}\, \frac{\partial q_{c,p}}{\partial K_{c,i,j}}
#   = 2 K_{c,i,j} \sum_p \bar d_{c,p}\,
#   \mathbf 1[\text{tap } (i,j) \text{ at } p \text{ is inside}],$$
#
# and the sum over $p$ is the weight gradient of a convolution whose input is the all-ones image and
# whose output gradient is $\bar d$: $2 K \odot \operatorname{corr}(\mathbf 1_x, \bar d)$. We check
# the $q$ path alone against finite differences of $P$ with $s'(a)$ held fixed, then the whole step.

# %%
act = get_activation("sigmoid")
Xq = model.asarray(Xb)
K0 = backend.to_numpy(model.params["K"])
A = backend.to_numpy(conv.add_channel_bias(conv.conv_forward(geo, model.params["K"], Xq)[0],
                                           model.params["b_h"], geo.n_positions))
D1 = act.d1(A, act.f(A))
D2 = act.d2(A, act.f(A), D1)
_, dK_q = conv.contractive_backward(geo, K0, D1, D2, conv.row_norms_sq(geo, K0))


def P_with_fixed_slopes(K):
    """P as a function of K through q only: s'(a) held at its value."""
    return float(np.sum((D1 * D1) @ conv.row_norms_sq(geo, K)) / D1.shape[0])


h = 1e-6
fd_q = np.zeros_like(K0)
for idx in np.ndindex(K0.shape):
    E = np.zeros_like(K0)
    E[idx] = h
    fd_q[idx] = (P_with_fixed_slopes(K0 + E) - P_with_fixed_slopes(K0 - E)) / (2 * h)
err_q_path = cs.rel_error(dK_q, fd_q)
report = model.check_gradients(Xq[:8, :])
err_step = cs.gradcheck.max_error(report)
print(f"q path vs finite differences: rel error {err_q_path:.1e}")
print(cs.gradcheck.format_report(report))
assert err_q_path < 1e-7 and err_step < 1e-7

# %% [markdown]
# ## Four mistakes, and what each gets wrong
#
# The same derivation is a checklist for code that claims to be a convolutional CAE. We run four
# versions and measure each against the closed form (the first two were read in public code):
#
# 1. **A penalty on the decoder's output.** `ContractiveCAE` in accel-brain-code
#    (`Accel-Brain-Base/accelbrainbase/observabledata/_torch/convolutionalneuralnetworks/`
#    `convolutionalautoencoder/contractive_cae.py`)
#    returns $r + \lambda\, \text{decoder}(h \odot (1 - h))$: it adds a decoded image of the
#    sigmoid's slopes to the reconstruction. No Jacobian norm appears, and what the shifted output
#    adds to the loss depends on the *target* image, which $\|J(x)\|_F^2$ never sees: we give the
#    same codes inverted targets $1 - x$ and watch the "penalty" change while $J$ stays the same.
# 2. **Weights through a ReLU, the sigmoid's derivative, no input.** `contractive_loss` in
#    Khdave02/Autoencoders (`contractiveAE/CAE.py`) computes, per conv layer, $\sum (\phi \odot (1 -
#    \phi))^2 \odot \sum_{c_{in}} K^2$ with $\phi = \operatorname{relu}(K)$: the input never enters,
#    so the "penalty" is the same for every image, and it reads the weights from `state_dict()`,
#    which returns detached tensors, so the optimiser gets no gradient from it at all.
# 3. **A $q$ that ignores the borders**, $\|K_c\|^2$ at every position: right without padding,
#    wrong with it.
# 4. **A decoder that is not the adjoint**, e.g. the convolution with the kernel flipped: the
#    reconstruction changes and the gradient derived for $M^\top$ no longer matches the loss.

# %%
model.params = {**model.params, "b_h": model.asarray(rng.normal(0, 0.5, size=8))}
Xn = model.asarray(X_all[:64])
Xm = model.asarray(X_all[64:128])
P_true = model.contractive_penalty(Xn)
lam = 0.1
p = {k: backend.to_numpy(v) for k, v in model.params.items()}
spec = network.Spec(lam=0.0)
Xh = X_all[:64]
H = conv_network.encode(p, Xh, geo, spec)
R = conv_network.decode(p, H, geo, spec)
R_accel = R + lam * conv_network.decode(p, H * (1 - H), geo, spec)    # mistake 1


def squared_error(R_, X_):
    return float(np.mean(np.sum((R_ - X_) ** 2, axis=1)))


added_1 = squared_error(R_accel, Xh) - squared_error(R, Xh)     # what the shifted output adds
# the same codes, other targets:
added_1_inverted = squared_error(R_accel, 1 - Xh) - squared_error(R, 1 - Xh)


def khdave_penalty(K):                                            # mistake 2, as written there
    phi = np.maximum(K, 0.0)
    return float(np.sum((phi * (1 - phi)) ** 2 * np.sum(K ** 2, axis=1, keepdims=True)))


P2 = khdave_penalty(p["K"])
P_true_other = model.contractive_penalty(Xm)
D1n = act.d1(*(lambda A_: (A_, act.f(A_)))(backend.to_numpy(conv.add_channel_bias(
    conv.conv_forward(geo, model.params["K"], Xn)[0], model.params["b_h"], geo.n_positions))))
q_no_border = np.repeat(np.sum(p["K"] ** 2, axis=(1, 2, 3)), geo.n_positions)   # mistake 3
P3 = float(np.mean((D1n * D1n) @ q_no_border))
print(f"the true penalty: lam ||J||^2 = {lam * P_true:.4f} on one batch, "
      f"{lam * P_true_other:.4f} on another")
print(f"1. decoder-output 'penalty' adds {added_1:+.4f} to the squared error; with the images "
      f"inverted as targets (same encoder, same J) it adds {added_1_inverted:+.4f}")
print(f"2. relu(K) * sigmoid slope: {lam * P2:.4f} on every batch (no x in it) and no gradient "
      f"(detached): off by {abs(lam * P2 - lam * P_true) / (lam * P_true):.0%}")
print(f"3. q without borders: {lam * P3:.4f}, {P3 / P_true - 1:+.1%} against the true value")
# J is unchanged, the 'penalty' is not:
assert abs(added_1 - added_1_inverted) > 0.5 * max(abs(added_1), abs(added_1_inverted))
assert abs(P2 - P_true) > 0.5 * P_true and abs(P_true - P_true_other) > 1e-3 * P_true
assert P3 > 1.05 * P_true       # a border position keeps fewer taps: q is overstated

# %% [markdown]
# Mistake 4 is caught by the gradient check itself: we swap the decoder for the flipped-kernel
# convolution and compare the gradient derived for the adjoint with finite differences of the loss
# the swapped decoder really computes.

# %%
real_transpose = conv.conv_transpose
conv.conv_transpose = lambda g_, K_, H_: real_transpose(g_, K_[:, :, ::-1, ::-1], H_)
try:
    err_flipped = cs.gradcheck.max_error(model.check_gradients(Xq[:8, :]))
finally:
    conv.conv_transpose = real_transpose
print(f"4. flipped-kernel decoder: gradient check error {err_flipped:.1e} "
      f"(the adjoint's: {err_step:.1e})")
assert err_flipped > 1e-3

# %% [markdown]
# ## Train it on the digits
#
# Eight $3 \times 3$ kernels with padding 1 give a code of $8 \times 8 \times 8 = 512$ units from
# $64$ pixels, an overcomplete code like the dense CAE's. We train it with $\lambda = 0.1$ beside
# the same convolutional autoencoder with $\lambda = 0$, and measure what lesson 08 measured for the
# dense CAE: $\|J\|_F$ at the data, saturated units, the singular values of $J$, and the contraction
# curve $\frac1{t}\|h(x + t u) - h(x)\|$ against the radius $t$ for random unit directions $u$.
# Because the model *is* a dense CAE with $W = M(K)$, the dense analysis tools take its
# `dense_params()` as they are.

# %%
n_train = 600 if lesson.quick else 1500
epochs = 8 if lesson.quick else 30
X_train, X_test = X_all[:n_train], X_all[1500:1700]
models, histories, seconds = {}, {}, {}
for name, lam_ in (("conv AE (lam = 0)", 0.0), ("conv CAE (lam = 0.1)", 0.1)):
    m = cs.ConvCAE((1, 8, 8), channels=8, kernel=3, padding=1, lam=lam_, seed=lesson.seed,
                   **lesson.model_kwargs())
    start = time.perf_counter()
    histories[name] = m.fit(m.asarray(X_train), epochs=epochs, batch_size=32, lr=1e-2,
                            seed=lesson.seed, progress=False)
    seconds[name] = time.perf_counter() - start
    models[name] = m
dense = cs.ContractiveAutoencoder(64, 512, lam=0.1, seed=lesson.seed, **lesson.model_kwargs())
start = time.perf_counter()
dense.fit(dense.asarray(X_train), epochs=epochs, batch_size=32, lr=1e-2, seed=lesson.seed,
          progress=False)
seconds["dense CAE 64 -> 512"] = time.perf_counter() - start
n_params = {"conv (8 kernels 3x3)": sum(int(np.prod(v.shape))
                                        for v in models["conv CAE (lam = 0.1)"].params.values()),
            "dense 64 -> 512": sum(int(np.prod(v.shape)) for v in dense.params.values())}
for name, t in seconds.items():
    print(f"{name:>22}: {epochs} epochs in {t:.1f} s")
print(f"parameters: conv {n_params['conv (8 kernels 3x3)']:,}, "
      f"dense {n_params['dense 64 -> 512']:,}")
assert all(h["total"][-1] < h["total"][0] for h in histories.values())

# %%
measures = {}
for name, m in models.items():
    dp = m.dense_params()
    Xt = m.asarray(X_test)
    measures[name] = {
        "norm J": analysis.mean_jacobian_norm(dp["W"], dp["b_h"], Xt),
        "saturated": analysis.saturation_fraction(dp["W"], dp["b_h"], Xt),
        "spectrum": backend.to_numpy(analysis.singular_spectrum(dp["W"], dp["b_h"], Xt[:100, :])),
        "curve": analysis.contraction_curve(dp["W"], dp["b_h"], Xt, radii=np.logspace(-2, 1, 7),
                                            seed=lesson.seed),
        "reconstruction": m.loss_terms(Xt)["reconstruction"]}
    print(f"{name:>22}: ||J||_F = {measures[name]['norm J']:.3f}, "
          f"saturated {measures[name]['saturated']:.0%}, "
          f"sigma_1 = {measures[name]['spectrum'][0]:.3f}, "
          f"test bce {measures[name]['reconstruction']:.2f}")
ae, cae = measures["conv AE (lam = 0)"], measures["conv CAE (lam = 0.1)"]
assert cae["norm J"] < ae["norm J"] and cae["spectrum"][0] < ae["spectrum"][0]
assert np.all(cae["curve"][:3] < ae["curve"][:3])

# %% [markdown]
# The penalty did what it does in the dense CAE: a smaller $\|J\|_F$ at the held-out digits, a
# smaller leading singular value, and a contraction curve below the autoencoder's at small radii
# (the numbers are printed above; the run asserts each comparison). The price is the reconstruction
# error, printed beside them. The parameter count is the convolution's real gain: the same code size
# with a few dozen numbers instead of tens of thousands.
#
# Now do exercise 15: `python -m lessons.exercises copy 15`, the penalty's backward with both paths,
# graded by finite differences of the penalty's definition.

# %%
def kernel_strip(K):
    """(C, 1, k, k) kernels side by side in one image, a blank column between two."""
    gap = np.full((K.shape[-1], 1), np.nan)
    return np.concatenate([np.concatenate([k_[0], gap], axis=1) for k_ in K], axis=1)[:, :-1]


radii = np.logspace(-2, 1, 7)
ks = np.arange(1, 65)
plots.plot_panel_grid(
    [{"series": {n: (radii, v["curve"]) for n, v in measures.items()}, "xscale": "log",
      "xlabel": "radius t", "ylabel": "mean ||h(x + t u) - h(x)|| / t",
      "title": "contraction curve (held-out digits)"},
     {"series": {n: (ks, v["spectrum"][:64]) for n, v in measures.items()}, "yscale": "log",
      "xlabel": "i", "ylabel": "mean sigma_i of J", "title": "singular values of J"},
     {"image": kernel_strip(backend.to_numpy(models["conv CAE (lam = 0.1)"].params["K"])),
      "title": "the CAE's 8 kernels (3x3), side by side", "symmetric": True}],
    lesson.figure("conv_cae.png"), n_cols=3, panel_size=(4.6, 3.8))

# %% [markdown]
# ## Questions
#
# **Question 1.** With stride 2 and no padding on an $8 \times 8$ image and $3 \times 3$ kernels,
# some pixels are covered by one patch and some by four. Does $q$ depend on the position? Does the
# adjoint $M^\top$ weight the pixels equally?
#
# **Question 2.** Why does the $q$ path vanish for a ReLU encoder, and what is left of the penalty?
#
# **Question 3.** The convolutional CAE penalises $\|J\|_F^2$ of an encoder whose rows share one
# kernel per channel. Can it make one position's unit saturate without the others?

# %%
lesson.finish(f"closed form = explicit ||J||^2 to {err_P:.0e}; "
              f"q path vs finite differences {err_q_path:.0e}; "
              f"||J||_F {ae['norm J']:.2f} -> {cae['norm J']:.2f} with lam = 0.1",
              {"err_matrix": err_matrix, "err_adjoint": err_adjoint, "err_q": err_q, "err_P": err_P,
               "err_q_path": err_q_path, "err_step": err_step, "err_flipped": err_flipped,
               "norm_J_ae": ae["norm J"], "norm_J_cae": cae["norm J"], "n_params": n_params})

# %% [markdown]
# ## Answers
#
# **1.** No: without padding every tap of every patch is inside the image, so $q_{c,p} = \|K_c\|^2$
# at every position, whatever the stride. The adjoint is another matter: column $j$ of $M$ collects
# the taps that land on pixel $j$, and with stride 2 a pixel on an even row and column is reached by
# up to four patches, others by one or two, so $M^\top$ (and the reconstruction it makes) weights
# pixels unequally: the checkerboard pattern of transposed convolutions.
#
# **2.** For a ReLU, $s'' = 0$ away from the kink, so the path through $a$ is zero, and the penalty
# is $\sum_{c,p} \mathbf 1[a_{c,p} > 0]\, q_{c,p}$: weight decay on each kernel, counted once per
# active position. Only the $q$ path is left.
#
# **3.** Yes. The kernel is shared, but the slope $s'(a_{c,p})$ is not: $a_{c,p}$ depends on the
# patch at $p$ and on the shared bias, so one position can sit in the flat part of the sigmoid while
# another sits in the middle. The penalty rewards saturation wherever the data put each position.

# %% [markdown]
# ## Sources
#
# - S. Rifai, P. Vincent, X. Muller, X. Glorot, Y. Bengio, *Contractive auto-encoders: explicit
#   invariance during feature extraction*, ICML 2011 (the penalty and its closed form).
# - J. Masci, U. Meier, D. Ciresan, J. Schmidhuber, *Stacked convolutional auto-encoders for
#   hierarchical feature extraction*, ICANN 2011 (convolutional autoencoders).
# - V. Dumoulin, F. Visin, *A guide to convolution arithmetic for deep learning*, arXiv:1603.07285,
#   2016 (output sizes, the transposed convolution as the adjoint).
# - CS231n, *Convolutional neural networks* notes (im2col: a convolution as one matrix product).
# - Public code read for the mistakes: accel-brain/accel-brain-code,
#   `Accel-Brain-Base/accelbrainbase/observabledata/_torch/convolutionalneuralnetworks/`
#   `convolutionalautoencoder/contractive_cae.py`
#   (mistake 1); Khdave02/Autoencoders, `contractiveAE/CAE.py` (mistake 2).
