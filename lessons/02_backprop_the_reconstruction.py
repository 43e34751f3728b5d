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
# # Lesson 02 - Backprop the reconstruction
#
# Training means nudging $W$, $b_h$ and $b_r$ downhill on the loss, so we need the
# loss's gradient with respect to each of them. No autograd library will hand it to
# us here: we derive it with the chain rule, one stage of the forward pass at a time,
# walking backwards. Each stage gets an *upstream* gradient (how the loss changes
# with its output) and multiplies it by its *local* derivative (how its output
# changes with its input), exactly as in CS231n's notes and micrograd. Then we check
# every number against the library and against finite differences, and plant three
# classic bugs to see that the check would have caught them.
#
# **You will learn** why binary cross-entropy on a sigmoid gives the famous
# $\partial L / \partial z = r - x$; how the chain rule reaches $W$ along *two*
# paths when the weights are tied, and why the two contributions add; the gradients
# of the two biases; what a passing gradient check looks like. **You need** lesson 01
# and the chain rule.

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "02_backprop_the_reconstruction", "Lesson 02 - Backprop the reconstruction",
    learn=["why bce on a sigmoid gives dL/dz = r - x (a cancellation)",
           "the chain rule to W along both of its uses (encoder and decoder), summed",
           "the gradients of b_h and b_r",
           "what a passing finite-difference check looks like, and what a bug looks like"],
    need="lesson 01; the chain rule")

import numpy as np

import cae_scratch as cs
from cae_scratch import data, gradcheck, plots
from cae_scratch.core import layers, losses, network

B, n_hidden = (8, 8) if lesson.quick else (16, 16)
model = cs.ContractiveAutoencoder(64, n_hidden, lam=0.0, seed=lesson.seed,
                                  **lesson.model_kwargs())
X = model.asarray(data.load_digits()[:B])                 # (B, 64)
params, spec = model.params, model.spec
W = params["W"]
sigm = cs.get_activation("sigmoid")
H, (_, A, _, D1) = layers.encoder_forward(W, params["b_h"], X, sigm)   # lesson 01; D1 = s'(A)
Z, _ = layers.decoder_forward(layers.decoder_weight(params, spec.tied), params["b_r"], H)
R = sigm.f(Z)
print(f"a plain autoencoder (lam = 0), 64 -> {n_hidden}, on a batch of B = {B} digits")

# %% [markdown]
# ## Step 1: the loss in terms of the logits $z$
#
# Lesson 01 wrote the loss of one image with $r = g(z) = \operatorname{sigm}(z)$:
# $\ell = -\sum_j [x_j \log r_j + (1-x_j)\log(1-r_j)]$. Differentiate one pixel's term
# through $r$ first:
#
# $$\frac{\partial \ell}{\partial r_j} = -\frac{x_j}{r_j} + \frac{1-x_j}{1-r_j}
#   = \frac{-x_j(1-r_j) + (1-x_j) r_j}{r_j(1-r_j)} = \frac{r_j - x_j}{r_j(1-r_j)} .$$
#
# The sigmoid's derivative is
# $\operatorname{sigm}'(z) = \operatorname{sigm}(z)(1-\operatorname{sigm}(z))$, so
# $\partial r_j / \partial z_j = r_j(1-r_j)$. Multiply, and the two $r_j(1-r_j)$ cancel:
#
# $$\frac{\partial \ell}{\partial z_j} = \frac{r_j - x_j}{r_j(1-r_j)} \cdot r_j(1-r_j)
#   = r_j - x_j .$$
#
# The cancellation is worth a second look. Separately, the two factors are
# dangerous: when the model is confidently wrong, $r_j(1-r_j)$ underflows and the
# first factor divides by almost zero. Together they are just an error, bounded by 1.
# The same algebra done on the loss itself removes the logarithms of $r$:
# using $\log\operatorname{sigm}(z) = -\operatorname{softplus}(-z)$,
# $\log(1-\operatorname{sigm}(z)) = -\operatorname{softplus}(z)$
# and $\operatorname{softplus}(-z) = \operatorname{softplus}(z) - z$,
#
# $$\ell = \sum_j \big[\operatorname{softplus}(z_j) - x_j z_j\big],$$
#
# finite for every $z$; its derivative $\operatorname{sigm}(z_j) - x_j$ confirms the result. The
# batch loss is the mean $L = \frac1B\sum_n \ell_n$, and only example $n$'s loss
# depends on $z_n$, so
#
# $$\frac{\partial L}{\partial Z} = \frac{R - X}{B} \qquad (B \times n_v).$$
#
# We check it against `losses.bce_backward` and against central differences of the
# softplus form, on *every* entry of $Z$.

# %%
dZ = (R - X) / B                                           # (B, 64): upstream of the decoder
err_dZ_library = cs.rel_error(dZ, losses.bce_backward(losses.bce_forward(Z, X)[1]))
bce_of_Z = lambda p: float(losses.bce_forward(p["Z"], X)[0])
report_Z = gradcheck.check_gradients(bce_of_Z, {"Z": Z}, {"Z": dZ}, h=1e-5, max_entries=B * 64)
err_dZ_fd = report_Z["Z"].rel_error
print(f"(R - X)/B vs losses.bce_backward:                  relative error {err_dZ_library:.1e}")
print(f"(R - X)/B vs central differences of bce in Z ({report_Z['Z'].n_checked} entries): "
      f"{err_dZ_fd:.1e}")
assert err_dZ_library < 1e-14 and err_dZ_fd < 1e-7

# %% [markdown]
# So the gradient arriving at the decoder is simply the *error image*, scaled by
# $1/B$: red where the reconstruction has too much ink (gradient descent will lower
# those logits), blue where it has too little.

# %%
X_host, R_host, dZ_host = cs.to_numpy(X), cs.to_numpy(R), cs.to_numpy(dZ)
n_show = min(B, 8)
Z_host = cs.to_numpy(Z)
bce_per_image = np.sum(np.logaddexp(0, Z_host) - X_host * Z_host, axis=1)   # softplus(z) - x z
plots.plot_tiles(np.concatenate([X_host[:n_show], R_host[:n_show]]),
                 lesson.figure("reconstruction_error.png"),
                 titles=[f"x, digit #{n}" for n in range(n_show)]
                 + [f"r, bce {v:.1f}" for v in bce_per_image[:n_show]],
                 n_cols=n_show, vmin=0.0, vmax=1.0, row_labels=["input x", "untrained r"],
                 cmap="gray_r", cbar_label="pixel value",
                 suptitle=f"A batch of {n_show} digits x and their untrained reconstructions r")
plots.plot_tiles(B * dZ_host[:n_show], lesson.figure("dL_dz.png"),
                 titles=[f"r - x, #{n}" for n in range(n_show)],
                 n_cols=n_show, symmetric=True, row_labels=["B dL/dz"], cbar_label="r - x",
                 suptitle="The gradient at the logits, B dL/dz = r - x: the error image "
                          "(red: too much ink, blue: too little)")

# %% [markdown]
# ## Step 2: through the decoder, $Z = HW + \mathbf{1}b_r^\top$
#
# Write one entry: $z_{nj} = \sum_k h_{nk} W_{kj} + b_{r,j}$. The chain rule sums
# over every entry of $Z$ that a parameter touches.
#
# - $b_{r,j}$ appears in $z_{nj}$ for every example $n$, with local derivative 1:
#   $\;\partial L/\partial b_{r,j} = \sum_n \partial L/\partial z_{nj}$, i.e. the column sums
#   of $dZ$.
#   (A sum, not a mean: the $1/B$ is already inside $dZ$.)
# - $h_{nk}$ appears in $z_{nj}$ for every pixel $j$, with local derivative $W_{kj}$:
#   $\;\partial L/\partial h_{nk} = \sum_j dZ_{nj} W_{kj}$, i.e. $dH = dZ\, W^\top$
#   $(B \times n_h)$.
# - $W_{kj}$ appears in $z_{nj}$ for every $n$, with local derivative $h_{nk}$:
#   $\;\partial L/\partial W_{kj}\big|_\text{decoder} = \sum_n h_{nk}\, dZ_{nj}$, i.e.
#   $H^\top dZ$ $(n_h \times n_v)$.
#
# Shapes are the cheapest check: each gradient has its parameter's shape, and there
# is only one way to multiply the available matrices to get it.
#
# ## Step 3: through the encoder, $H = s(A)$, $A = XW^\top + \mathbf{1}b_h^\top$
#
# $s$ acts entry by entry, so its local derivative is diagonal:
# $dA = dH \odot D_1$, with $D_1 = s'(A)$ and $s'(a) = s(a)(1-s(a)) = h(1-h)$ for the
# sigmoid (the forward pass already computed it, and its cache hands it over as `D1`).
# Then $a_{nk} = \sum_j W_{kj} x_{nj} + b_{h,k}$
# gives, as for the decoder, $\partial L/\partial b_{h,k} = \sum_n dA_{nk}$ and
#
# $$\frac{\partial L}{\partial W_{kj}}\Big|_\text{encoder} = \sum_n dA_{nk}\, x_{nj},
#   \quad\text{i.e. } dA^\top X .$$
#
# ## Step 4: $W$ is used twice, so its gradient has two terms
#
# With tied weights the same $W$ sits in the encoder *and* the decoder. Picture the
# two uses as two different matrices $W_e$ and $W_d$ that happen to be equal: the
# loss is $L(W_e, W_d)$ evaluated at $W_e = W_d = W$, and the multivariable chain rule
# gives $dL/dW = \partial L/\partial W_e + \partial L/\partial W_d$:
#
# $$dW = \underbrace{dA^\top X}_\text{encoder use} + \underbrace{H^\top dZ}_\text{decoder use}.$$
#
# This is micrograd's `+=` in the backward pass: a value used twice collects gradient
# from both uses. The figure draws one training step as a graph: the forward pass left to
# right (black), the backward pass right to left (red), and $W$'s two uses (orange), whose
# two gradients meet in one sum.

# %%
def draw_training_step(path):
    """The computation graph of one step of a tied autoencoder, W's two uses marked."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(11, 4.6))
    ax = fig.add_subplot()
    ax.set_xlim(-0.6, 9.0), ax.set_ylim(-2.6, 2.6), ax.axis("off")
    nodes = {"X": (0, 0), "A": (1.8, 0), "H": (3.6, 0), "Z": (5.4, 0), "R": (7.2, 0), "L": (8.6, 0),
             "W": (3.6, 2.0), "b_h": (1.8, -2.0), "b_r": (5.4, -2.0)}
    for name, (x, y) in nodes.items():
        colour = "#f6d7b0" if name == "W" else ("#e8e8e8" if name.startswith("b") else "#cfe2f3")
        ax.text(x, y, name, ha="center", va="center", fontsize=13, zorder=3,
                bbox={"boxstyle": "round,pad=0.45", "fc": colour, "ec": "black"})

    def arrow(a, b, label="", colour="black", bend=0.0, dy=0.28, style="-|>"):
        (x0, y0), (x1, y1) = nodes[a], nodes[b]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=2,
                    arrowprops={"arrowstyle": style, "color": colour, "lw": 1.6, "shrinkA": 16,
                                "shrinkB": 16, "connectionstyle": f"arc3,rad={bend}"})
        if label:
            ax.text((x0 + x1) / 2, (y0 + y1) / 2 + dy, label, ha="center", fontsize=9, color=colour)

    for a, b, label in (("X", "A", "X W^T + b_h"), ("A", "H", "s"), ("H", "Z", "H W + b_r"),
                        ("Z", "R", "g = sigm"), ("R", "L", "bce"), ("b_h", "A", ""),
                        ("b_r", "Z", "")):
        arrow(a, b, label)
    arrow("W", "A", "use 1: encoder", "C1", dy=0.15)
    arrow("W", "Z", "use 2: decoder", "C1", dy=0.15)
    for a, b, label in (("L", "Z", "dZ = (R - X)/B"), ("Z", "H", "dH = dZ W^T"),
                        ("H", "A", "dA = dH * D_1")):
        arrow(a, b, label, "C3", bend=-0.45, dy=-1.15)
    arrow("A", "W", "", "C3", bend=-0.25)
    arrow("Z", "W", "", "C3", bend=0.25)
    ax.text(1.75, 1.35, "dA^T X", ha="center", fontsize=9, color="C3")
    ax.text(5.45, 1.35, "H^T dZ", ha="center", fontsize=9, color="C3")
    ax.text(4.3, 2.0, "dW = dA^T X + H^T dZ\n(the two uses' gradients add)", ha="left",
            va="center", fontsize=10, color="C3")
    ax.set_title("One training step: forward (black), backward (red), W used twice (orange)")
    return plots.save_figure(fig, path)


draw_training_step(lesson.figure("training_step_graph.png"))

# %% [markdown]
# Here is the whole backward pass, typed from the four steps and the graph.

# %%
dH = dZ @ W.T                                              # (B, n_hidden)   step 2
dA = dH * D1                                               # (B, n_hidden)   step 3, D1 = s'(A)
xp = model.xp
grads = {"W": dA.T @ X + H.T @ dZ,                         # (n_hidden, 64)  step 4: both uses
         "b_h": xp.sum(dA, axis=0),                        # (n_hidden,)
         "b_r": xp.sum(dZ, axis=0)}                        # (64,)
_, library = network.loss_and_grads(params, X, spec)
err_library = max(cs.rel_error(grads[k], library[k]) for k in library)
for k in grads:
    print(f"d{k:<4} {str(tuple(grads[k].shape)):>10}   vs network.loss_and_grads: "
          f"{cs.rel_error(grads[k], library[k]):.1e}")
assert all(tuple(grads[k].shape) == tuple(params[k].shape) for k in params)
assert err_library < 1e-12

# %% [markdown]
# ## Step 5: prove it with finite differences
#
# The library could share our mistake, so the real referee is the definition of a
# derivative. For each checked entry $\theta_i$ of a parameter,
#
# $$\frac{\partial L}{\partial \theta_i} \approx \frac{L(\theta + t e_i) - L(\theta - t e_i)}{2t},$$
#
# whose error is $O(t^2)$ (lesson 06 derives it; $t$ is the step, `h=` in `gradcheck`). In float64
# with $t = 10^{-6}$ a correct gradient agrees to about $10^{-9}$ in relative error; a wrong
# one is off by order 1. `gradcheck` samples up to 64 entries per parameter.

# %%
loss = lambda p: float(network.loss_terms(p, X, spec)["reconstruction"])
report = gradcheck.check_gradients(loss, params, grads, h=1e-6, max_entries=64, seed=lesson.seed)
print(gradcheck.format_report(report))
gradcheck.assert_gradients_close(report)                   # every parameter below 1e-7
err_fd = gradcheck.max_error(report)

# %% [markdown]
# ## Step 6: a check is only as good as the bugs it catches
#
# Three mistakes people really make: keeping the sigmoid's $r(1-r)$ in $dL/dz$ (not
# seeing the cancellation); forgetting the decoder's use of $W$ (treating it as a
# constant there); and forgetting the $1/B$ of the mean. The last one has an exact
# prediction: a gradient $B$ times too large, $B\nabla L$ in place of $\nabla L$, has relative
# error $\frac{|B\nabla L - \nabla L|}{|B\nabla L| + |\nabla L|} = \frac{B-1}{B+1}$.

# %%
dZ_bad = dZ * R * (1.0 - R)                                # bug 1: sigm' not cancelled
dA_bad = (dZ_bad @ W.T) * H * (1.0 - H)
bugs = {"extra r(1-r) in dL/dz": {"W": dA_bad.T @ X + H.T @ dZ_bad, "b_h": xp.sum(dA_bad, axis=0),
                                  "b_r": xp.sum(dZ_bad, axis=0)},
        "decoder use of W forgotten": {**grads, "W": dA.T @ X},
        "1/B forgotten": {k: B * g for k, g in grads.items()}}
bug_reports = {name: gradcheck.check_gradients(loss, params, bad, h=1e-6, max_entries=64,
                                               seed=lesson.seed)
               for name, bad in bugs.items()}
bug_errors = {name: gradcheck.max_error(r) for name, r in bug_reports.items()}
for name, e in bug_errors.items():
    print(f"bug '{name}': max relative error {e:.3f} -> caught")
print(f"predicted for '1/B forgotten': (B - 1)/(B + 1) = {(B - 1) / (B + 1):.3f}")
assert min(bug_errors.values()) > 1e-2
assert abs(bug_errors["1/B forgotten"] - (B - 1) / (B + 1)) < 1e-6

forgotten = bug_reports["decoder use of W forgotten"]["W"]
plots.plot_panels([
    {"series": {"(r - x)/B": (report_Z["Z"].numeric, report_Z["Z"].analytic, "o"),
                "bug: extra r(1-r)": (report_Z["Z"].numeric, cs.to_numpy(dZ_bad).reshape(-1), "x")},
     "diagonal": True, "xlabel": "finite difference", "ylabel": "backprop",
     "title": f"dL/dz, all {B * 64} entries (rel. error {err_dZ_fd:.1e})"},
    {"series": {"dA^T X + H^T dZ": (report["W"].numeric, report["W"].analytic, "o"),
                "bug: decoder use forgotten": (forgotten.numeric, forgotten.analytic, "x")},
     "diagonal": True, "xlabel": "finite difference", "ylabel": "backprop",
     "title": f"dL/dW, 64 sampled entries (rel. error {report['W'].rel_error:.1e})"}],
    lesson.figure("backprop_vs_finite_differences.png"))

# %% [markdown]
# ## Questions
#
# **Question 1.** A pixel with $x_j = 1$ gets $z_j = -40$ (confidently wrong). Compute
# $\partial\ell/\partial z_j$ with the cancelled formula, then the two separate factors
# $\partial\ell/\partial r_j$ and $r_j(1-r_j)$. Now make it $z_j = -100$ in float32: what
# goes wrong with the two factors, and what with the cancelled formula?
#
# **Question 2.** With untied weights the decoder has its own $W_r$ $(n_v \times n_h)$.
# Which of the two terms of $dW$ moves to $dW_r$, and in what shape?
#
# **Question 3.** "1/B forgotten" gave exactly $(B-1)/(B+1)$. What relative error does a
# gradient that is exactly *half* the true one give, whatever the loss? Which mistake in
# a derivation produces a gradient that is off by exactly a factor of 2?
#
# Now do the exercises of this lesson: the sigmoid's backward pass, the bce gradient at the
# logits, the bce computed stably from $z$, and the mse decoder's backward
# (`python -m lessons.exercises copy 1`, then 2, 8 and 10).

# %% [markdown]
# ## Answers
#
# **1.** $r_j = \operatorname{sigm}(-40) \approx 4.2\times10^{-18}$, so
# $\partial\ell/\partial z_j = r_j - 1 \approx -1$:
# a full-strength push upward, as it should be. The separate factors are
# $\partial\ell/\partial r_j = (r_j - 1)/(r_j(1-r_j)) \approx -2.4\times10^{17}$ and
# $r_j(1-r_j) \approx 4.2\times10^{-18}$; float32 still survives their product. At
# $z_j = -100$ it does not: $e^{100}$ overflows float32 (largest $\approx 3.4\times10^{38}$;
# this happens past $z \approx -88.7$), so $r_j$ comes out exactly 0, the first factor
# is $-1/0 = -\infty$, the second is 0, and the product is `-inf * 0 = nan`. The
# cancelled formula still gives $r_j - x_j = -1$.
#
# **2.** The decoder term: $dW_r = (H^\top dZ)^\top = dZ^\top H$, shape $(n_v, n_h)$,
# like $W_r$; $dW$ keeps only $dA^\top X$. (`network.loss_and_grads` does exactly this.)
#
# **3.** $\frac{|\nabla L/2 - \nabla L|}{|\nabla L/2| + |\nabla L|} = \frac{1/2}{3/2} = \frac13$,
# for every entry, so
# the check reports 0.333. A factor of 2 goes missing when you differentiate a square
# and forget the exponent: $d(u^2) = 2u\,du$. The contractive penalty is a sum of squares,
# and a missing factor 2 is the classic slip of its hand-derived gradient; lesson 05 catches
# it at exactly this 1/3.
#
# ## Sources
#
# - A. Karpathy, CS231n course notes, "Backpropagation, Intuitions" (Stanford), and micrograd
#   (github.com/karpathy/micrograd, `micrograd/engine.py`: the `+=` that accumulates the gradient
#   of a value used twice): the upstream-times-local scheme of this lesson.
# - S. Rifai et al., "Contractive Auto-Encoders", ICML 2011: the tied sigmoid autoencoder trained
#   with binary cross-entropy.

# %%
# The answers' numbers, computed: answer 1 in float64 and float32, answer 3 on this lesson's
# gradient.
r_40 = 1 / (1 + np.exp(40.0))
assert f"{r_40:.1e}" == "4.2e-18" and f"{(r_40 - 1) / (r_40 * (1 - r_40)):.1e}" == "-2.4e+17"
assert round(float(np.log(np.finfo(np.float32).max)), 1) == 88.7
with np.errstate(over="ignore"):
    r_100 = np.float32(1) / (np.float32(1) + np.exp(np.float32(100)))
assert r_100 == 0                                          # float32: r_j comes out exactly 0
assert abs(cs.rel_error(grads["W"] / 2, grads["W"]) - 1 / 3) < 1e-12
lesson.finish(f"reconstruction gradient by hand vs finite differences: max rel error {err_fd:.0e}; "
              "bugs caught at " + ", ".join(f"{e:.2f}" for e in bug_errors.values()),
              {"dZ_library_error": err_dZ_library, "dZ_error": err_dZ_fd,
               "library_error": err_library, "finite_difference_error": err_fd,
               "bug_errors": bug_errors, "B": B})
