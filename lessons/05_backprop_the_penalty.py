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
# # Lesson 05 - Backprop the penalty
#
# Lesson 04 turned the contractive penalty into something cheap to *evaluate*:
# for one example, $\|J(x)\|_F^2 = \sum_k s'(a_k)^2 q_k$ with $q_k = \sum_j W_{kj}^2$.
# To *train* with it we need its gradient, and this is where contractive-autoencoder
# code goes wrong (the sources at the end cite public code that does). The reason is
# simple: $W$ appears in the penalty **twice**, once inside every pre-activation
# $a_{nk} = W_{k,:} \cdot x_n + b_{h,k}$ and once inside every row norm $q_k$. Forget one of
# the two and the code still runs, the loss still goes down, and the model is silently wrong.
#
# In this lesson we derive both paths by hand, check each one *alone* against
# finite differences, show that their sum is the library's gradient, see why the
# first path costs no extra matrix product, and then reproduce five bugs (two of them
# seen in public code, cited at the end) and watch the gradient check reject every one
# of them, two with the exact error our derivation predicts.
#
# **You need** lessons 02 (the chain rule through $W$'s two uses) and 04 (the closed form).

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "05_backprop_the_penalty", "Lesson 05 - Backprop the penalty",
    learn=["the two paths of dP/dW: through a (2/B) s' s'' q, and through q, 2 diag(mean_n s'^2) W",
           "why the first path rides on the reconstruction's one dA^T X product",
           "five bugs as negative controls, and the error two of them must give: 1/3, (B-1)/(B+1)"],
    need="lessons 02 and 04")

import dataclasses

import numpy as np

import cae_scratch as cs

from cae_scratch import backend, data, gradcheck, plots
from cae_scratch.core import layers, network, penalty

B, n_hidden = (8, 8) if lesson.quick else (32, 24)
model = cs.ContractiveAutoencoder(64, n_hidden, lam=0.5, seed=lesson.seed, **lesson.model_kwargs())
X = model.asarray(data.load_digits()[:B])                 # (B, 64), pixels in [0, 1]
W, b_h = model.params["W"], model.params["b_h"]           # (n_hidden, 64), (n_hidden,)
act = cs.get_activation("sigmoid")
xp = backend.namespace(X)
print(f"B = {B} digits, 64 -> {n_hidden} sigmoid encoder, backend {lesson.backend}")

# %% [markdown]
# ## The quantity we differentiate
#
# For a batch of $B$ examples the penalty is the batch mean of the per-example
# squared Frobenius norm (lesson 04):
# $$P(W, b_h) = \frac{1}{B}\sum_{n=1}^{B}\sum_{k=1}^{n_h} s'(a_{nk})^2\, q_k,
# \qquad a_{nk} = \sum_j W_{kj} x_{nj} + b_{h,k}, \qquad q_k = \sum_j W_{kj}^2 .$$
#
# Think of $P$ as a function of two *separate* arguments, $P = F(A, q)$ with
# $A = XW^\top + \mathbf{1} b_h^\top$ and $q = \operatorname{rownorm}^2(W)$. The multivariable chain
# rule says the derivative with respect to $W$ is the sum of the derivative through each
# argument, holding the other fixed:
# $$\frac{\partial P}{\partial W_{kj}} =
# \underbrace{\sum_n \frac{\partial F}{\partial a_{nk}}\frac{\partial a_{nk}}{\partial W_{kj}}}_{
#   \text{path through } a}
# + \underbrace{\frac{\partial F}{\partial q_k}\frac{\partial q_k}{\partial W_{kj}}}_{
#   \text{path through } q}.$$
#
# **Path through $a$.** Only one term of the double sum contains $a_{nk}$, and
# $\frac{d}{da} s'(a)^2 = 2 s'(a) s''(a)$, so
# $$\frac{\partial F}{\partial a_{nk}} = \frac{2}{B}\, s'(a_{nk})\, s''(a_{nk})\, q_k
#   \;=:\; (dA_P)_{nk}.$$
# Since $\partial a_{nk}/\partial W_{kj} = x_{nj}$ and $\partial a_{nk}/\partial b_{h,k} = 1$,
# $$\Big(\frac{\partial P}{\partial W}\Big)_{\!a} = dA_P^\top X, \qquad
#   \frac{\partial P}{\partial b_h} = \sum_n (dA_P)_{n\,\cdot} .$$
# For a sigmoid, $s' = h(1-h)$ and $s'' = s'(1-2h)$, both cheap from $h$. (Lesson 04 showed
# what this path does: it pushes every unit away from $h = 1/2$.)
#
# **Path through $q$.** $\partial F/\partial q_k = \frac1B\sum_n s'(a_{nk})^2$ (the penalty is
# linear in $q$), and $\partial q_k / \partial W_{kj} = 2W_{kj}$, so
# $$\Big(\frac{\partial P}{\partial W}\Big)_{\!q}
#   = 2\,\operatorname{diag}\!\Big(\frac1B\sum_n s'(a_n)^2\Big)\, W,$$
# row $k$ of $W$ scaled by twice the mean squared slope of unit $k$. The bias
# $b_h$ does not enter $q$, so this path has no bias term.
#
# Let us compute both, exactly as written.

# %%
H, enc = layers.encoder_forward(W, b_h, X, act)         # the encoder's cache (X, A, H, D1)
_, A, _, D1 = enc                                         # a, s'(a): each (B, n_hidden)
D2 = act.d2(A, H, D1)                                     # s''(a) = s'(a) (1 - 2h)
q = penalty.row_norms_sq(W)                               # q_k = sum_j W[k, j]^2: (n_hidden,)

dA_P = (2.0 / B) * D1 * D2 * q                            # (B, n_hidden): path through a, before X
path_a = {"W": dA_P.T @ X, "b_h": xp.sum(dA_P, axis=0)}
mean_d1_sq = xp.sum(D1 * D1, axis=0) / B                  # (1/B) sum_n s'(a_nk)^2: (n_hidden,)
path_q = {"W": 2.0 * xp.expand_dims(mean_d1_sq, axis=1) * W, "b_h": xp.zeros_like(b_h)}

# the library computes the same two pieces in penalty.contractive_backward
lib_dA, lib_q = penalty.contractive_backward(penalty.contractive_forward(W, enc, act)[1])
err_pieces = max(cs.rel_error(dA_P, lib_dA), cs.rel_error(path_q["W"], lib_q["W"]))
print(f"hand-derived dA_P and q path vs penalty.contractive_backward: {err_pieces:.1e}")
assert err_pieces < 1e-12

# %% [markdown]
# ## Check each path alone
#
# A gradient check of the sum could hide two compensating mistakes. We can do
# better: evaluate the penalty with $a$ computed from one copy of $W$ and $q$
# from another, $P(W_a, W_q)$. Perturbing only $W_a$ (with $W_q$ frozen) measures
# the path through $a$; perturbing only $W_q$ measures the path through $q$.
# Each finite difference is a central one, $(P(W + t e_i) - P(W - t e_i))/2t$ with
# $t = 10^{-6}$ (lesson 06 explains the choice); for a true gradient $\nabla$ and a derived
# one $\tilde\nabla$ the relative error is
# $\max|\nabla - \tilde\nabla| / \max(|\nabla| + |\tilde\nabla|)$ over the checked entries.

# %%
def penalty_from(W_a, b, W_q):
    """P with a = X W_a^T + b and q from W_q: freezing one copy of W isolates the other path."""
    s1 = layers.encoder_forward(W_a, b, X, act)[1][3]                  # s'(a) from the cache
    return float(xp.sum((s1 * s1) @ penalty.row_norms_sq(W_q))) / B


def check(f, grads, params):
    return gradcheck.check_gradients(f, params, grads, h=1e-6, max_entries=64, seed=lesson.seed)


params = {"W": W, "b_h": b_h}
report_a = check(lambda p: penalty_from(p["W"], p["b_h"], W), path_a, params)        # q frozen
report_q = check(lambda p: penalty_from(W, b_h, p["W"]), {"W": path_q["W"]}, params)  # a frozen
err_a, err_q = gradcheck.max_error(report_a), gradcheck.max_error(report_q)
print(f"path through a alone (q frozen) vs finite differences: {err_a:.1e}")
print(f"path through q alone (a frozen) vs finite differences: {err_q:.1e}")
assert err_a < 1e-7 and err_q < 1e-7

# %% [markdown]
# Both paths pass on their own. Now the sum, which is what training needs,
# against finite differences of the true $P(W, b_h)$ (one $W$ in both places) and
# against the library's `penalty.penalty_and_grads`.

# %%
mine = {k: path_a[k] + path_q[k] for k in params}
P_true = lambda p: penalty_from(p["W"], p["b_h"], p["W"])
report = check(P_true, mine, params)
print(gradcheck.format_report(report))
gradcheck.assert_gradients_close(report)
_, lib = penalty.penalty_and_grads(W, b_h, X, act)
err_lib = max(cs.rel_error(mine[k], lib[k]) for k in params)
print(f"both paths vs penalty.penalty_and_grads: {err_lib:.1e}")
assert err_lib < 1e-12
errors = {"hand-derived (both paths)": gradcheck.max_error(report)}

# %% [markdown]
# ## Why the first path is free
#
# The reconstruction's backward (lesson 02) already builds
# $dA_{\text{rec}} = dH \odot s'(A)$ and spends one matrix product on the encoder's
# share of $dW$, namely $dA_{\text{rec}}^\top X$. The matrix product is linear in its
# left factor, so for the total loss $L = \text{rec} + \lambda P$
# $$dA_{\text{rec}}^\top X + \lambda\, dA_P^\top X = (dA_{\text{rec}} + \lambda\, dA_P)^\top X .$$
# Add $\lambda\, dA_P$ (an element-wise $B \times n_h$ array) to $dA$ *before* the
# product, and the path through $a$ costs $O(B n_h)$ element-wise work instead of a
# second $O(B n_h n_v)$ product. The path through $q$ is an $n_h \times n_v$ scaling
# of $W$, also element-wise. So a training step with the penalty has the same
# five matrix products as one without it.
#
# The claim to check: the gradient of the full loss at $\lambda$ minus the gradient at
# $\lambda = 0$ is exactly $\lambda$ times our two paths, and the decoder's bias is untouched.

# %%
spec = model.spec                                           # lam = 0.5
spec0 = dataclasses.replace(spec, lam=0.0)
_, g_lam = network.loss_and_grads(model.params, X, spec)
_, g_0 = network.loss_and_grads(model.params, X, spec0)
err_fused = max(cs.rel_error(g_lam[k] - g_0[k], spec.lam * mine[k]) for k in ("W", "b_h"))
print(f"grads(lam) - grads(0) vs lam * (path a + path q): {err_fused:.1e};"
      f" b_r changed by {cs.rel_error(g_lam['b_r'], g_0['b_r']):.0e}")
assert err_fused < 1e-10 and cs.rel_error(g_lam["b_r"], g_0["b_r"]) < 1e-14

# %% [markdown]
# ## Negative controls: five bugs
#
# A check that never fails proves nothing. Here are five mistakes, each written out and
# compared with finite differences of the *true* penalty. Bugs 3 and 4 are in public
# contractive-autoencoder code (the sources below name where); bugs 1 and 2 are the classic
# slips of a hand derivation, kept because the derivation predicts their error exactly;
# bug 5 is the mistake autograd's vector-Jacobian call invites. For a true gradient
# $\nabla$ and a buggy one $\tilde\nabla$:
#
# 1. **Missing factor 2.** Writing $\frac{d}{da}s'^2$ as $s's''$ and $\frac{d}{dW}W^2$ as $W$
#    halves every entry, $\tilde\nabla = \nabla/2$. Then
#    $\frac{\max|\nabla - \nabla/2|}{\max(|\nabla| + |\nabla/2|)} = \frac{1/2}{3/2} = \frac13$,
#    whatever $\nabla$ is.
# 2. **Averaged differently.** The loss takes the batch *mean* but the gradient the
#    batch *sum*: $\tilde\nabla = B\nabla$, and the error is $\frac{B-1}{B+1}$.
# 3. **Stale $W$.** The penalty built from a detached copy of $W$ (autograd's `.detach()`,
#    a `state_dict()` tensor, or a value cached before the update): the path through $q$ is lost.
# 4. **Sigmoid's $s'$ on a ReLU encoder.** $h(1-h)$ hard-coded; for a ReLU,
#    $s' = \mathbb{1}[a>0]$ and $s'' = 0$, so the true gradient is the $q$ path alone. In
#    particular the true $\partial P/\partial b_h$ is exactly zero ($s''=0$, and $b_h$ is not in
#    $q$), so any nonzero bias gradient has relative error
#    $\frac{\max|\tilde\nabla|}{\max|\tilde\nabla|} = 1$.
# 5. **$J^\top\mathbf{1}$ mistaken for $J$.** Autograd's `grad(h, x, ones)` returns
#    $J^\top \mathbf{1} = \sum_k s'(a_k) W_{k,:}$, one vector per example, and the code penalises
#    $\|J^\top \mathbf{1}\|^2 = \sum_j (\sum_k J_{kj})^2$, which is not $\sum_{k,j} J_{kj}^2$:
#    cross terms between units appear.

# %%
relu = cs.get_activation("relu")
relu_model = cs.ContractiveAutoencoder(64, n_hidden, activation="relu", lam=0.5, seed=lesson.seed,
                                       **lesson.model_kwargs())
relu_params = {"W": relu_model.params["W"], "b_h": relu_model.params["b_h"]}


def sigmoid_formula_grads(Wr, br):
    """Bug 4: the sigmoid's s', s'' (h(1-h), s'(1-2h)) applied to a ReLU encoder's A."""
    Ar = X @ Wr.T + br
    Hs = cs.get_activation("sigmoid").f(Ar)
    S1 = Hs * (1.0 - Hs)
    g_a = (2.0 / B) * S1 * (S1 * (1.0 - 2.0 * Hs)) * penalty.row_norms_sq(Wr)
    return {"W": g_a.T @ X + 2.0 * xp.expand_dims(xp.sum(S1 * S1, axis=0) / B, axis=1) * Wr,
            "b_h": xp.sum(g_a, axis=0)}


def jT1_grads(Wj, bj):
    """Bug 5: the exact gradient of the wrong quantity mean_n ||J(x_n)^T 1||^2."""
    Hj, (_, Aj, _, S1) = layers.encoder_forward(Wj, bj, X, act)
    JT1 = S1 @ Wj                                         # row n: J(x_n)^T 1, (B, 64)
    dJT1 = 2.0 * JT1 / B
    dAj = (dJT1 @ Wj.T) * act.d2(Aj, Hj, S1)
    return float(xp.sum(JT1 * JT1)) / B, {"W": dAj.T @ X + S1.T @ dJT1, "b_h": xp.sum(dAj, axis=0)}


def relu_penalty(p):
    return float(penalty.contractive_penalty(p["W"], p["b_h"], X, relu))


jT1_value, jT1 = jT1_grads(W, b_h)
bugs = {                                   # name: (true penalty, the buggy gradient, the point)
    "missing factor 2": (P_true, {k: 0.5 * mine[k] for k in params}, params),
    "batch sum, not mean": (P_true, {k: B * mine[k] for k in params}, params),
    "stale W (no q path)": (P_true, path_a, params),
    "sigmoid s' on ReLU": (relu_penalty,
                           sigmoid_formula_grads(relu_params["W"], relu_params["b_h"]),
                           relu_params),
    "J^T 1 mistaken for J": (P_true, jT1, params),
}
bug_reports = {}
for name, (f, grads, p) in bugs.items():
    bug_reports[name] = check(f, grads, p)
    errors[name] = gradcheck.max_error(bug_reports[name])
    print(f"  {name:<22} relative error {errors[name]:.4f}   caught: {errors[name] > 1e-2}")
    assert errors[name] > 1e-2, name
print(f"predicted: missing factor 2 -> 1/3 = {1 / 3:.4f}; "
      f"batch sum -> (B-1)/(B+1) = {(B - 1) / (B + 1):.4f}; ||J^T 1||^2 = {jT1_value:.3f} "
      f"vs ||J||_F^2 = {P_true(params):.3f}")
assert abs(errors["missing factor 2"] - 1 / 3) < 1e-6
assert abs(errors["batch sum, not mean"] - (B - 1) / (B + 1)) < 1e-6
assert abs(bug_reports["sigmoid s' on ReLU"]["b_h"].rel_error - 1.0) < 1e-12    # the true db is 0
assert abs(jT1_value - P_true(params)) > 1e-3 * P_true(params)

# %% [markdown]
# ## Pictures
#
# Left: every checked entry of each path, derived against finite difference:
# on the diagonal means right. Right: the error of the correct gradient next to
# the five bugs, on a log axis, with the pass threshold $10^{-7}$.

# %%
two_paths_png = plots.plot_panels([
    {"series": {r"$dA_P^\top X$": (report_a["W"].numeric, report_a["W"].analytic, "o")},
     "diagonal": True,
     "xlabel": "finite difference (q frozen)", "ylabel": "derived",
     "title": f"path through a: error {err_a:.1e}"},
    {"series": {r"$2\,\mathrm{diag}(\overline{s'^2})\,W$": (report_q["W"].numeric,
                                                             report_q["W"].analytic, "o")},
     "diagonal": True, "xlabel": "finite difference (a frozen)", "ylabel": "derived",
     "title": f"path through q: error {err_q:.1e}"}],
    lesson.figure("two_paths.png"), suptitle=f"dP/dW, {report_a['W'].n_checked} entries of W each")
bugs_png = plots.plot_bars(
    list(errors), list(errors.values()), lesson.figure("bugs_caught.png"),
    ylabel="max relative error vs finite differences",
    title="penalty gradient: correct vs five bugs",
    hlines={"pass threshold 1e-7": 1e-7, "missing factor 2: 1/3": 1 / 3},
    colors=["C2"] + ["C3"] * (len(errors) - 1))

# %% [markdown]
# ## Questions
#
# **Question 1.** For a *linear* encoder, $s' = 1$ and $s'' = 0$. Which path survives,
# what is the gradient, and what familiar regulariser is the penalty then?
#
# **Question 2.** For a ReLU encoder, $s'' = 0$ wherever it is defined. Which path
# survives, and what does the penalty count?
#
# **Question 3.** The stale-$W$ bug gave the smallest error of the five. Estimate the ratio of the
# $q$ path to the $a$ path, turn it into the relative error the check reports, and say for which
# layers and weights a loose check would miss the bug.
#
# Now do exercise 3 (the penalty's backward, both paths), then exercise 4 (the whole tied CAE's
# backward) and exercise 9 (the untied one): `python -m lessons.exercises copy 3`.

# %% [markdown]
# ## Answers
#
# **1.** Only the path through $q$: $dA_P = \frac2B s's''q = 0$. The gradient is
# $2\operatorname{diag}(1)W = 2W$ and the penalty is $\sum_k q_k = \|W\|_F^2$, plain weight
# decay: a linear CAE is a linear autoencoder with an L2 penalty on its weights.
#
# **2.** Again only the $q$ path, $2\operatorname{diag}(\text{fraction of examples where unit } k
# \text{ is on})\,W$. The penalty $\frac1B\sum_n\sum_k \mathbb{1}[a_{nk}>0]\,q_k$ is the weight
# decay of the *active* units, weighted by how often each is on; its kinks at $a = 0$ are why finite
# differences near a ReLU's switch disagree with any formula.
#
# **3.** Entry $(k, j)$ of the $a$ path is $\frac2B\sum_n s'(a_{nk})s''(a_{nk})\,q_k\,x_{nj}$, of
# the $q$ path $\frac2B\sum_n s'(a_{nk})^2 W_{kj}$. With $s'' = s'(1-2h)$ the common factor
# $s'^2$ cancels in their ratio, which is about $|W_{kj}| / (q_k\,\bar x\,\overline{|1-2h|})$;
# and $q_k \approx n_v w^2$ for weights of root-mean-square size $w$. So the ratio is
# $$\rho = \frac{\max|\text{q path}|}{\max|\text{a path}|} \approx
#   \frac{1}{n_v\, w\, \bar x\, \overline{|1-2h|}} .$$
# Two steps are easy to drop, and dropping both gives a number that looks right for the wrong
# reason. First, the factor $\overline{|1-2h|}$ (about 0.6 here) makes $\rho$ larger than
# $1/(n_v w \bar x)$. Second, the check does not report $\rho$. With the bug the derived
# gradient is the $a$ path alone while the true one is $a + q$, so on the checked entries the
# relative error is $e = \max|q| / \max(|a + q| + |a|)$. Since
# $2|a| - |q| \le |a + q| + |a| \le 2|a| + |q|$ entry by entry, the denominator lies between
# $2\max|a| - \max|q|$ and $2\max|a| + \max|q|$, and with $\rho$ measured on the same entries
# $$\frac{\rho}{2 + \rho} \le e \le \frac{\rho}{2 - \rho}:$$
# about half of $\rho$. The cell below measures $w$, $\bar x$, $\overline{|1-2h|}$ and $\rho$,
# asserts that the estimate of $\rho$ is within a factor of 3 of the measured ratio (it uses
# averages where the ratio uses maxima), and that the error the check reported lies between
# the two bounds.
# For a 784-pixel input $\rho$ is $784/64 \approx 12$ times smaller at the same $w$, $\bar x$ and
# $h$, and smaller still with larger weights: a float32 check with a loose threshold, whose own
# error is a few times $10^{-5}$ (lesson 06), would pass the bug. Hence float64, the
# $10^{-7}$ threshold, and checking each path alone.
#
# ## Sources
#
# - S. Rifai, P. Vincent, X. Muller, X. Glorot, Y. Bengio, "Contractive Auto-Encoders: Explicit
#   Invariance During Feature Extraction", ICML 2011: the penalty and its closed form.
# - Bugs 3 and 4 in public code: avijit9/Contractive_Autoencoder_in_Pytorch, `CAE_pytorch.py`,
#   uses a ReLU encoder with the sigmoid's derivative `h*(1-h)` in the penalty (bug 4; the
#   repository's issue #2, "the CAE penalty is incorrect for any non-sigmoid activation", says so)
#   and takes $W$ from `model.state_dict()`, whose tensors are detached, so no gradient flows
#   through $q$ (bug 3). haoyuanchi/chalmers, `code/python/autoencode/CAE_tool.py`, builds the
#   penalty from `K.variable(value=...get_weights()[0])`, a constant copy of $W$ made once
#   (bug 3).
# - A penalty that is not $\|J\|_F^2$ shipped in a library once: lisa-lab/pylearn2 pull request
#   #90, "CAE penalty corrected", fixed a penalty that returned the mean of the Jacobians instead
#   of their Frobenius norm.

# %%
W_host, X_host, H_host = cs.to_numpy(W), cs.to_numpy(X), cs.to_numpy(H)
w_rms, x_mean = float(np.sqrt(np.mean(W_host ** 2))), float(X_host.mean())
centre_gap = float(np.mean(np.abs(1 - 2 * H_host)))         # the mean of |1 - 2h| over the batch
rho_estimate = 1 / (64 * w_rms * x_mean * centre_gap)
checked = bug_reports["stale W (no q path)"]["W"]            # the entries of W the check sampled
a_part, q_part = checked.analytic, checked.numeric - checked.analytic   # a path; true - a = q path
rho = float(np.max(np.abs(q_part)) / np.max(np.abs(a_part)))
stale_error = checked.rel_error
print(f"w = {w_rms:.2f}, mean pixel = {x_mean:.2f}, mean |1 - 2h| = {centre_gap:.2f}: "
      f"estimated rho = {rho_estimate:.3f}; measured rho = {rho:.3f}")
print(f"rho/(2 + rho) = {rho / (2 + rho):.4f} <= reported error {stale_error:.4f} <= "
      f"rho/(2 - rho) = {rho / (2 - rho):.4f}; the old estimate 1/(n_v w x) = "
      f"{1 / (64 * w_rms * x_mean):.3f} drops both factors")
assert 1 / 3 < rho_estimate / rho < 3 and 0.5 < centre_gap < 0.8           # "about 0.6"
assert rho / (2 + rho) * (1 - 1e-6) <= stale_error <= rho / (2 - rho) * (1 + 1e-6)
assert stale_error == errors["stale W (no q path)"]                         # b_h's error is smaller
headline = (f"both paths verified (rel error {errors['hand-derived (both paths)']:.0e}); "
            f"{len(bugs)} bugs caught, errors " + ", ".join(f"{errors[b]:.3f}" for b in bugs))
lesson.finish(headline, {"path_a_error": err_a, "path_q_error": err_q, "pieces_error": err_pieces,
                         "library_error": err_lib, "fused_error": err_fused, "errors": errors,
                         "B": B, "jT1_value": jT1_value, "penalty_value": P_true(params),
                         "rho": rho, "rho_estimate": rho_estimate})
