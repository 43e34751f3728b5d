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
# # Lesson 10 - Add the Hessian penalty (CAE+H)
#
# A CAE makes the code flat to first order: small $\|J(x)\|_F$ means a tiny move of $x$ barely moves
# $h$. It says nothing about a *larger* move, where $J$ itself may change. The higher-order
# contractive autoencoder (CAE+H, Rifai, Mesnil, Vincent, Muller, Bengio, Dauphin and Glorot, 2011)
# adds a second penalty on how fast the Jacobian changes, so that the contraction measured at $x$
# still holds a little further away. The paper trains it with a sampled estimate,
# $\gamma\,\mathbb E_\epsilon\|J(x) - J(x+\epsilon)\|_F^2$ with
# $\epsilon \sim \mathcal N(0, \tau^2 I)$, using a few noisy copies of each input.
#
# We derive the exact second derivative of one layer, as cheap as the contractive penalty; check it
# against the explicit Hessian; derive $s'''$ for the gradient; show that the paper's estimate over
# $\tau^2$ converges to the exact term, measuring bias and variance; and see what the penalty does,
# against a control that separates it from plain first-order contraction.
#
# **You need** lessons 03-05 (the Jacobian, its closed form, its gradient) and 08 (along and
# across).

# %%
from lessons._common import start_lesson

lesson = start_lesson(
    "10_add_the_hessian_penalty", "Lesson 10 - Add the Hessian penalty (CAE+H)",
    learn=["the Hessian of one layer, d^2 h_k / dx^2 = s''(a_k) w_k w_k^T, and its norm "
           "sum_k s''^2 q_k^2",
           "s''' of the sigmoid, and the exact term's gradient checked by finite differences",
           "E||J(x) - J(x + eps)||^2 / tau^2 -> the exact term: a bias of order tau^2, a variance "
           "~ 1/C; so one gamma means two strengths, about 1/tau^2 apart",
           "what the penalty does on a curve and on digits, against a CAE with the same ||J||"],
    need="lessons 03-05 and 08")

import numpy as np

import cae_scratch as cs
from cae_scratch import analysis, backend, data, gradcheck, plots
from cae_scratch.core import hessian, layers, network

Xtr, ytr, Xte, yte = data.load_digits(test_fraction=0.25, seed=lesson.seed)
n_hidden, epochs = (32, 8) if lesson.quick else (64, 60)
LAM, GAMMA = 0.1, 0.05


def train(X_fit, n_h, n_epochs, batch_size=64, **kw):
    """A CAE (CAE+H with hessian=...) trained with the lesson's seed, Adam, lr 1e-2."""
    model = cs.ContractiveAutoencoder(X_fit.shape[1], n_h, seed=lesson.seed,
                                      **lesson.model_kwargs(), **kw)
    model.fit(model.asarray(X_fit), epochs=n_epochs, batch_size=batch_size, lr=1e-2,
              seed=lesson.seed, progress=False)
    return model


digit_models = {"CAE": train(Xtr, n_hidden, epochs, lam=LAM),
                "CAE+H": train(Xtr, n_hidden, epochs, lam=LAM, hessian="exact", gamma=GAMMA)}
cae = digit_models["CAE"]
xp, act = cae.xp, cs.get_activation("sigmoid")
X = cae.asarray(Xte[:16])                                   # (16, 64): a batch of held-out digits
W, b_h = cae.params["W"], cae.params["b_h"]
print(f"trained a CAE (lam = {LAM}) and a CAE+H (lam = {LAM}, gamma = {GAMMA}, hessian='exact'), "
      f"64 -> {n_hidden}, {epochs} epochs on {len(Xtr)} digits; backend {lesson.backend}")
assert 1200 < len(Xtr) < 1400                             # "about 1,300 digits" in the text below

# %% [markdown]
# ## One $\gamma$, two strengths
#
# The model offers the term two ways: `hessian="exact"` trains with
# $\gamma\cdot\frac1B\sum_n\|\partial^2 h/\partial x^2(x_n)\|_F^2$, derived below, and
# `hessian="stochastic"` with the paper's
# $\gamma\cdot\frac1B\sum_n\frac1C\sum_c \|J(x_n) - J(x_n + \epsilon_{nc})\|_F^2$, noise std $\tau$
# (`hessian_noise`, default 0.1). The section on the paper's estimate shows that the second is about
# $\tau^2$ times the first. So **the same $\gamma$ is about $1/\tau^2 = 100$ times stronger under
# `hessian="exact"`** than under `hessian="stochastic"` with $\tau = 0.1$:
# $\gamma_{\text{exact}} \approx \tau^2\gamma_{\text{stochastic}}$ gives the same pull. Our
# $\gamma = 0.05$ is an exact-term weight. Measured on the trained CAE+H, on held-out digits, with
# many copies:

# %%
tau_default = cs.ContractiveAutoencoder(64, n_hidden).spec.hessian_noise
hmodel = digit_models["CAE+H"]
Xh = hmodel.asarray(Xte)
exact_term = hmodel.hessian_penalty(Xh)
eps_many = hmodel.asarray(tau_default * np.random.default_rng(lesson.seed + 3).standard_normal(
    (16, Xte.shape[0], 64)))                                  # (C, B, 64): 16 copies per digit
W_H, bh_H = hmodel.params["W"], hmodel.params["b_h"]
encoded = layers.encoder_forward(W_H, bh_H, Xh, act)[1]     # (X, A, H, D1): the encoder's cache
stochastic_term = float(hessian.stochastic_forward(W_H, bh_H, encoded, eps_many, act)[0])
strength = exact_term / stochastic_term
print(f"tau = {tau_default}: exact term {exact_term:.2f}, stochastic term {stochastic_term:.4f}; "
      f"the same gamma is {strength:.0f} times stronger under hessian='exact' (1/tau^2 = "
      f"{1 / tau_default ** 2:.0f})")
assert 0.6 / tau_default ** 2 < strength < 1.6 / tau_default ** 2

# %% [markdown]
# ## The Hessian of one layer
#
# Lesson 03 gave the first derivative of unit $k$, $h_k = s(a_k)$ with $a_k = w_k\cdot x + b_{h,k}$
# ($w_k$ is row $k$ of $W$):
# $$\frac{\partial h_k}{\partial x_j} = s'(a_k)\,W_{kj}.$$
# Differentiate once more with respect to another pixel $x_{j'}$. $W_{kj}$ is a constant and
# $s'(a_k)$ depends on $x$ only through $a_k$, with $\partial a_k/\partial x_{j'} = W_{kj'}$:
# $$\frac{\partial^2 h_k}{\partial x_{j'}\,\partial x_j} = s''(a_k)\,W_{kj'}\,W_{kj},
# \qquad\text{i.e.}\qquad \frac{\partial^2 h_k}{\partial x^2} = s''(a_k)\, w_k w_k^\top .$$
# Each unit's Hessian is a rank-one matrix. Its squared Frobenius norm factorises:
# $$\|w_k w_k^\top\|_F^2 = \sum_{j,j'} W_{kj}^2 W_{kj'}^2
# = \Big(\sum_j W_{kj}^2\Big)\Big(\sum_{j'} W_{kj'}^2\Big) = q_k^2,$$
# so the norm of the whole third-order tensor $\partial^2 h/\partial x^2$ is
# $$\Big\|\frac{\partial^2 h}{\partial x^2}(x)\Big\|_F^2 = \sum_k s''(a_k)^2\, q_k^2 ,$$
# the same shape as the contractive penalty $\sum_k s'(a_k)^2 q_k$: $O(n_h)$ per example once $q$ is
# known, while the explicit tensor has $n_h n_v^2$ entries. Three checks: one slice of the Hessian
# by central differences of the Jacobian, the closed form against `core.hessian`'s explicit oracle,
# and both against `model.hessian_penalty`.

# %%
centre_first = sorted(range(64), key=lambda j: (j // 8 - 3.5) ** 2 + (j % 8 - 3.5) ** 2)
j2 = next(j for j in centre_first if 1e-4 < float(Xte[0, j]) < 1 - 1e-4)   # x +- h stays in [0, 1]
h_fd = 1e-5
e_j2 = xp.reshape(xp.asarray([h_fd if j == j2 else 0.0 for j in range(64)], dtype=X.dtype,
                             device=backend.device_of(X)), (1, 64))
slice_fd = (cae.jacobian(X[:1, :] + e_j2) - cae.jacobian(X[:1, :] - e_j2))[0, ...] / (2 * h_fd)
_, (_, A, H, D1) = layers.encoder_forward(W, b_h, X, act)
D2 = act.d2(A, H, D1)                                       # s''(a) = s'(a)(1 - 2h): (B, n_hidden)
slice_hand = xp.reshape(D2[0, :] * W[:, j2], (-1, 1)) * W   # row k: s''(a_k) W[k, j'] w_k
err_slice = cs.rel_error(slice_hand, slice_fd)

q = xp.sum(W * W, axis=1)                                   # q_k = ||w_k||^2
closed = backend.to_numpy((D2 * D2) @ (q * q))              # (B,): sum_k s''(a_nk)^2 q_k^2
explicit = backend.to_numpy(hessian.explicit_hessian_norms(W, b_h, X, act, max_bytes=2 ** 18))
err_explicit = float(np.max(np.abs(closed - explicit) / explicit))
err_model = abs(cae.hessian_penalty(X) - float(np.mean(closed))) / float(np.mean(closed))
print(f"one Hessian slice d^2 h / dx dx_{j2}: closed form vs finite differences of J: "
      f"{err_slice:.1e}")
print(f"||d^2h/dx^2||_F^2 per example: closed form vs explicit tensor (max rel. difference) "
      f"{err_explicit:.1e}; vs model.hessian_penalty {err_model:.1e}")
assert err_slice < 1e-8 and err_explicit < 1e-12 and err_model < 1e-12

# %% [markdown]
# ## The third derivative, and the gradient
#
# Training needs the gradient of the batch's exact term,
# $\mathcal H = \frac1B\sum_{n=1}^{B}\sum_k s''(a_{nk})^2 q_k^2$. It has the two paths of lesson 05,
# and the path through $a$ brings in $s'''$. For the sigmoid $s' = h(1-h)$ and $dh/da = s'$, so
# $s'' = s'(1-2h)$. Differentiate that product again:
# $$s''' = s''(1 - 2h) - 2 s'\,\frac{dh}{da} = s'(1-2h)^2 - 2s'^2
# = s'\big[(1 - 2h)^2 - 2h(1-h)\big] = s'\,(1 - 6h + 6h^2).$$
# Then, as in lesson 05, with $\frac{d}{da}(s'')^2 = 2s''s'''$ and
# $\frac{\partial}{\partial W_{kj}} q_k^2 = 2q_k\cdot 2W_{kj}$:
# $$\frac{\partial \mathcal H}{\partial a_{nk}} = \frac2B\, s''(a_{nk})\,s'''(a_{nk})\,q_k^2, \qquad
# \Big(\frac{\partial \mathcal H}{\partial W}\Big)_{q}
# = 4\,\operatorname{diag}\Big(\frac1B\sum_{n=1}^{B} s''(a_n)^2\, q\Big)\,W .$$
# The first joins the encoder's $dA$ before the one product $dA^\top X$; the second scales $W$'s
# rows. We check $s'''$ against central differences of $s''$, our two paths against
# `hessian.exact_backward`, and the model's own gradient check of the term alone; dropping the $q$
# path (the gradient of a penalty built from a frozen copy of $W$) must fail it.

# %%
def s2(a):
    """s''(a) of the sigmoid, from the library's activation."""
    h = act.f(a)
    return act.d2(a, h, act.d1(a, h))


a_grid = xp.asarray(np.linspace(-6, 6, 25), dtype=X.dtype, device=backend.device_of(X))
h_grid = act.f(a_grid)
d1_grid = act.d1(a_grid, h_grid)
s3_hand = d1_grid * (1.0 - 6.0 * h_grid + 6.0 * h_grid * h_grid)
s3_fd = (s2(a_grid + 1e-5) - s2(a_grid - 1e-5)) / 2e-5
err_s3 = max(cs.rel_error(s3_hand, s3_fd),
             cs.rel_error(s3_hand, act.d3(a_grid, h_grid, d1_grid, s2(a_grid))))

B = X.shape[0]
dA_hand = (2.0 / B) * D2 * act.d3(A, H, D1, D2) * (q * q)
dWq_hand = xp.reshape(4.0 * xp.sum(D2 * D2, axis=0) * q / B, (-1, 1)) * W
lib_dA, lib_extra = hessian.exact_backward(hessian.exact_forward(W, (X, A, H, D1), act)[1])
err_backward = max(cs.rel_error(dA_hand, lib_dA), cs.rel_error(dWq_hand, lib_extra["W"]))

hmodel = digit_models["CAE+H"]
report = hmodel.check_gradients(X, term="hessian", seed=lesson.seed)
err_grad = max(r.rel_error for r in report.values())
Wh, bh = hmodel.params["W"], hmodel.params["b_h"]


def cache_of(p):
    """The encoder's cache (X, A, H, D1) for params p on the batch X."""
    return layers.encoder_forward(p["W"], p["b_h"], X, act)[1]


_, g_lib = hessian.hessian_and_grads(Wh, bh, X, act, "exact")
_, q_path = hessian.exact_backward(hessian.exact_forward(Wh, cache_of(hmodel.params), act)[1])
no_q = {"W": g_lib["W"] - q_path["W"], "b_h": g_lib["b_h"]}     # the bug: a stale q, no q path
f_term = lambda p: hessian.hessian_forward(p["W"], p["b_h"], cache_of(p), act, "exact")[0]
err_no_q = gradcheck.max_error(cs.check_gradients(f_term, {"W": Wh, "b_h": bh}, no_q,
                                                  seed=lesson.seed))
print(f"s''' = s'(1 - 6h + 6h^2) vs finite differences of s'' and activation.d3: {err_s3:.1e}")
print(f"hand-derived paths vs hessian.exact_backward: {err_backward:.1e}")
print(f"model.check_gradients(term='hessian'): {err_grad:.1e};  "
      f"with the q path dropped: {err_no_q:.3f}")
assert err_s3 < 1e-8 and err_backward < 1e-12 and err_grad < 1e-7 < 1e-2 < err_no_q

# %% [markdown]
# Now do exercise 11: derive this backward yourself, without looking at the cell above.
# `python -m lessons.exercises copy 11` copies the template;
# `python -m lessons.exercises check 11 ex11_hessian_backward.py` grades it by finite differences.

# %% [markdown]
# ## The paper's estimate, and its limit
#
# The paper does not compute $\mathcal H$; it samples. For a copy $\tilde x = x + \epsilon$ with
# $\epsilon\sim\mathcal N(0,\tau^2 I)$,
# $J(x) - J(\tilde x) = \operatorname{diag}(s'(a) - s'(\tilde a))\,W$, so
# $\|J(x) - J(\tilde x)\|_F^2 = \sum_k e_k^2\, q_k$ with $e_k = s'(a_k) - s'(\tilde a_k)$ and
# $\tilde a_k = a_k + d_k$, $d_k = w_k\cdot\epsilon \sim \mathcal N(0, \tau^2 q_k)$. Expand $s'$
# around $a_k$ (Taylor):
# $$e_k = -\Big(s''d_k + \tfrac12 s''' d_k^2 + \tfrac16 s^{(4)} d_k^3 + \dots\Big),$$
# $$e_k^2 = (s'')^2 d_k^2 + s''s''' d_k^3
# + \big(\tfrac14 (s''')^2 + \tfrac13 s''s^{(4)}\big) d_k^4 + \dots$$
# A Gaussian has $\mathbb E d^2 = \tau^2 q$, $\mathbb E d^3 = 0$ and $\mathbb E d^4 = 3\tau^4 q^2$,
# hence, for one example,
# $$\frac{\mathbb E\,\|J(x) - J(\tilde x)\|_F^2}{\tau^2} = \sum_k (s'')^2 q_k^2 \;+\; \tau^2
# \underbrace{\sum_k q_k^3\big(\tfrac34 (s''')^2 + s''s^{(4)}\big)}_{K} \;+\; O(\tau^4).$$
# The estimate over $\tau^2$ is biased by $\tau^2 K$ and converges to the exact term as $\tau\to 0$
# (below, $\mathcal H$ and $K$ are averaged over the batch). This is the factor behind "one
# $\gamma$, two strengths": the stochastic term is $\tau^2$ times the exact one, up to that bias.
# Its variance comes from the draws: averaging $C$ independent copies divides it by $C$, so its
# standard deviation falls like $1/\sqrt C$. (For the sigmoid, differentiating $s'''$ once more
# gives $s^{(4)} = s''(1-6h+6h^2) - 6s'^2(1-2h)$, checked below by finite differences.)
#
# First the term itself, by hand for fixed noise, against the model's `loss_terms(X, eps)`:

# %%
tau_demo, C_demo = 0.05, 4
gen = np.random.default_rng(lesson.seed + 10)
smodel = cs.ContractiveAutoencoder(64, n_hidden, lam=LAM, hessian="stochastic",
                                   hessian_noise=tau_demo, gamma=GAMMA, hessian_copies=C_demo,
                                   seed=lesson.seed, **lesson.model_kwargs())
smodel.params = cae.params
eps = cae.asarray(tau_demo * gen.standard_normal((C_demo, B, 64)))
A_copies = [(X + eps[c, ...]) @ W.T + b_h for c in range(C_demo)]          # a~ per copy
e_hand = xp.stack([D1 - act.d1(A_c, act.f(A_c)) for A_c in A_copies])   # s'(a) - s'(a~)
S_hand = float(xp.sum((e_hand * e_hand) @ q)) / (B * C_demo)
err_stoch = abs(S_hand - smodel.loss_terms(X, eps=eps)["hessian"]) / S_hand
report_s = smodel.check_gradients(X, term="hessian", eps=eps, seed=lesson.seed)
err_grad_s = max(r.rel_error for r in report_s.values())
_, g_total = smodel.loss_and_grads(X, eps=eps)     # the whole loss, rec + lam P + gamma S, same eps
f_total = lambda p: network.loss_terms(p, X, smodel.spec, eps)["total"]
err_total = gradcheck.max_error(cs.check_gradients(f_total, smodel.params, g_total,
                                                   seed=lesson.seed))
eps_other = cae.asarray(tau_demo * gen.standard_normal((C_demo, B, 64)))
_, g_other = hessian.hessian_and_grads(W, b_h, X, act, "stochastic", eps_other)   # noise redrawn
f_s = lambda p: hessian.hessian_forward(p["W"], p["b_h"], cache_of(p), act, "stochastic", eps)[0]
err_redrawn = gradcheck.max_error(cs.check_gradients(f_s, {"W": W, "b_h": b_h}, g_other,
                                                     seed=lesson.seed))
print(f"stochastic term by hand vs model.loss_terms(X, eps): {err_stoch:.1e}")
print(f"its gradient (same eps in loss and gradient) vs finite differences: {err_grad_s:.1e}; "
      f"the whole loss from loss_and_grads(X, eps): {err_total:.1e}; "
      f"noise redrawn between loss and gradient: {err_redrawn:.3f}")
assert err_stoch < 1e-12 and max(err_grad_s, err_total) < 1e-7 < 1e-2 < err_redrawn

# %% [markdown]
# Now the limit. For each $\tau$ we average many copies (the bias), and at a small $\tau$ we repeat
# the estimate with $C$ copies and measure its spread (the variance). At $\tau = 0.01$ Taylor's bias
# $\tau^2 K/\mathcal H$ is far smaller than the spread of one estimate (both printed below, and the
# comparison asserted), so to test Taylor's $\tau^2K$ we use two classic Monte Carlo tricks on the
# same draws: antithetic pairs ($\epsilon$ and $-\epsilon$ cancel the odd $d^3$ term) and a control
# variate, the linear twin $\sum_k (s'')^2 d_k^2 q_k$, whose mean is exactly $\tau^2\mathcal H$. The
# prediction uses $s^{(4)}$, checked first.

# %%
s3 = lambda a: act.d3(a, act.f(a), act.d1(a, act.f(a)), s2(a))
s4_hand = (s2(a_grid) * (1.0 - 6.0 * h_grid + 6.0 * h_grid * h_grid)
           - 6.0 * d1_grid * d1_grid * (1.0 - 2.0 * h_grid))
err_s4 = cs.rel_error(s4_hand, (s3(a_grid + 1e-5) - s3(a_grid - 1e-5)) / 2e-5)
assert err_s4 < 1e-8
D3 = act.d3(A, H, D1, D2)
D4 = D2 * (1.0 - 6.0 * H + 6.0 * H * H) - 6.0 * D1 * D1 * (1.0 - 2.0 * H)
H_exact = float(xp.sum((D2 * D2) @ (q * q))) / B                 # the batch's exact term
K = float(xp.sum((0.75 * D3 * D3 + D2 * D4) @ (q * q * q))) / B
enc = (X, A, H, D1)


def ratio(tau, C):
    """One draw of C copies, over tau^2 H_exact: the estimate at eps, at -eps, the linear twin."""
    noise = cae.asarray(tau * gen.standard_normal((C, B, 64)))
    plus, minus = (float(hessian.stochastic_forward(W, b_h, enc, e, act)[0])
                   for e in (noise, -noise))
    Dw = noise @ W.T                                    # d_nck = w_k . eps_nc: (C, B, n_hidden)
    linear = float(xp.sum((D2 * D2 * Dw * Dw) @ q)) / (B * C)   # mean s''^2 d^2 q: tau^2 H exactly
    return np.array([plus, minus, linear]) / (tau ** 2 * H_exact)


repeats, C_big = (6, 32) if lesson.quick else (24, 64)
taus = [0.3, 0.1, 0.03, 0.01, 0.003]
draws = {t: np.array([ratio(t, C_big) for _ in range(repeats)]) for t in taus}
bias = {t: float(np.mean(d[:, 0])) for t, d in draws.items()}
# antithetic pairs (+-eps), minus the linear twin, + 1
bias_cv = {t: 1.0 + float(np.mean((d[:, 0] + d[:, 1]) / 2 - d[:, 2])) for t, d in draws.items()}
copies, tau_var = [1, 4, 16, 64], 0.01
spread = {C: float(np.std([ratio(tau_var, C)[0] for _ in range(3 * repeats)])) for C in copies}
slope = float(np.polyfit(np.log(copies), np.log([spread[C] for C in copies]), 1)[0])
print(f"s'''' vs finite differences of s''': {err_s4:.1e};  exact term H = {H_exact:.3f}, "
      f"K/H = {K / H_exact:.3f}")
for t in taus:
    print(f"  tau = {t:6.4f}: estimate / (tau^2 H) = {bias[t]:.4f}, antithetic minus its twin, "
          f"+ 1 = {bias_cv[t]:.6f};  Taylor 1 + tau^2 K/H = {1 + t * t * K / H_exact:.6f}")
print(f"  spread at tau = {tau_var}: " + ", ".join(f"C = {C}: {spread[C]:.4f}" for C in copies)
      + f";  log-log slope {slope:.2f} (1/sqrt(C): -0.5)")
taylor_ratio = {t: (bias_cv[t] - 1.0) / (t * t * K / H_exact) for t in (0.01, 0.003)}
print("  measured bias / Taylor's tau^2 K/H: "
      + ", ".join(f"tau = {t}: {v:.3f}" for t, v in taylor_ratio.items()))
assert abs(bias[min(taus)] - 1.0) < 0.03 and abs(bias[max(taus)] - 1.0) > 0.1
assert all(0.7 < v < 1.3 for v in taylor_ratio.values()) and -0.75 < slope < -0.25
assert abs(0.01 ** 2 * K / H_exact) < spread[max(copies)]      # the bias hides under the spread
print(f"K < 0 here: {K < 0}; the estimate at the largest tau is "
      f"{'below' if bias[max(taus)] < 1.0 else 'above'} tau^2 times the exact term")
assert (K < 0) == (bias[max(taus)] < 1.0)


# %%
def plot_limit(path):
    """Three panels: the bias against tau (linear and log-log) and the spread against copies."""
    fine = np.logspace(np.log10(min(taus)), np.log10(max(taus)), 40)
    return plots.plot_panels([
        {"series": {f"measured ({C_big} copies x {repeats} draws)":
                        (taus, [bias[t] for t in taus], "o"),
                    "antithetic pairs minus the linear twin, + 1":
                        (taus, [bias_cv[t] for t in taus], "x"),
                    r"Taylor: $1 + \tau^2 K/\mathcal{H}$":
                        (fine, 1 + fine ** 2 * K / H_exact, "-")},
         "hlines": {"exact term": 1.0}, "xscale": "log", "xlabel": r"noise std $\tau$",
         "ylabel": r"estimate / ($\tau^2$ exact)",
         "title": "bias: the estimate tends to the exact term"},
        {"series": {"|antithetic minus twin|": (taus, [abs(bias_cv[t] - 1.0) for t in taus], "x"),
                    r"Taylor: $\tau^2 |K|/\mathcal{H}$":
                        (taus, [t * t * abs(K) / H_exact for t in taus], "-")},
         "xscale": "log", "yscale": "log", "xlabel": r"noise std $\tau$",
         "ylabel": "|relative bias|", "title": "the bias on log axes: slope 2 as tau -> 0"},
        {"series": {f"measured std at tau = {tau_var}": (copies, [spread[C] for C in copies], "o"),
                    r"$\propto 1/\sqrt{C}$":
                        (copies, [spread[1] / np.sqrt(C) for C in copies], "--")},
         "xscale": "log", "yscale": "log", "xticks": copies, "xlabel": "copies C per example",
         "ylabel": "std of estimate / (tau^2 exact)", "title": f"variance: slope {slope:.2f}"}],
        path, width=4.6,
        suptitle=f"||J(x) - J(x + eps)||^2 / tau^2 vs the exact Hessian term, {B} digits")


limit_png = plot_limit(lesson.figure("stochastic_limit.png"))

# %% [markdown]
# ## What the penalty does on a curve with known tangents
#
# Back to lesson 08's rotated blob, a one-dimensional manifold $x(\theta)$ with its exact unit
# tangent $t$. We train a CAE and a CAE+H with the same budget ($\lambda = 0.3$; $\gamma = 0.1$ on
# the exact term). The Hessian term penalises how fast $J$ changes in every direction, including
# along the curve, where
# $\frac{d}{d\theta}J(x(\theta)) = \frac{\partial^2 h}{\partial x^2}\big[\tfrac{dx}{d\theta}\big]$:
# the code's curvature along the data. We measure that rate of change, the code's sensitivity along
# $t$ and across it (random unit directions orthogonal to $t$), and the angle between the top right
# singular vector of $J$ and $t$.

# %%
n_points, syn_epochs = (400, 40) if lesson.quick else (1000, 150)
Xs, _ = data.load_synthetic(n=n_points, seed=lesson.seed, return_tangents=True)
Xc, Tc, thc = data.load_synthetic(n=100, seed=lesson.seed + 1000, return_tangents=True,
                                  return_angles=True)
curve_models = {"CAE": train(Xs, 50, syn_epochs, batch_size=32, lam=0.3),
                "CAE+H": train(Xs, 50, syn_epochs, batch_size=32, lam=0.3, hessian="exact",
                               gamma=0.1)}
dtheta = 1e-3
Xc_next = data.rotated_blob(thc + dtheta)[0]
across_dirs = np.random.default_rng(lesson.seed).standard_normal(Tc.shape)
across_dirs -= np.sum(across_dirs * Tc, axis=1, keepdims=True) * Tc
across_dirs /= np.linalg.norm(across_dirs, axis=1, keepdims=True)


def curve_geometry(m):
    """Per test point: ||dJ/dtheta||, ||J t||, ||J u|| (u orthogonal to t), angle(v_1, t)."""
    J = backend.to_numpy(m.jacobian(m.asarray(Xc)))               # (100, 50, 100)
    J_next = backend.to_numpy(m.jacobian(m.asarray(Xc_next)))
    return {"hessian": m.hessian_penalty(m.asarray(Xc)),
            "dJ": np.linalg.norm((J_next - J).reshape(len(Xc), -1), axis=1) / dtheta,
            "along": np.linalg.norm(np.einsum("nkj,nj->nk", J, Tc), axis=1),
            "across": np.linalg.norm(np.einsum("nkj,nj->nk", J, across_dirs), axis=1),
            "angle": backend.to_numpy(analysis.angle_to_span(m.tangents(m.asarray(Xc), 1),
                                                             m.asarray(Tc)))}


geo = {name: curve_geometry(m) for name, m in curve_models.items()}
for name, g in geo.items():
    print(f"  {name:5s}  ||d2h/dx2||^2 {g['hessian']:7.2f}   ||dJ/dtheta|| {g['dJ'].mean():6.2f}   "
          f"along {g['along'].mean():.3f}   across {g['across'].mean():.3f}   "
          f"along/across {np.mean(g['along'] / g['across']):.2f}   "
          f"angle(v_1, t) {g['angle'].mean():.1f} deg")
c, h = geo["CAE"], geo["CAE+H"]
assert h["hessian"] < 0.5 * c["hessian"] and h["dJ"].mean() < c["dJ"].mean()
assert h["across"].mean() < c["across"].mean()
selectivity = {name: float(np.mean(g["along"] / g["across"])) for name, g in geo.items()}
more = "more" if selectivity["CAE+H"] > selectivity["CAE"] else "less"
print(f"In this run the CAE+H's code turns more slowly along the curve and is less sensitive "
      f"across it; relative to its sensitivity along the curve it is {more} selective than "
      f"the CAE's "
      f"(along/across {selectivity['CAE+H']:.2f} vs {selectivity['CAE']:.2f}).")


# %%
def plot_curve(path):
    """Two panels along the curve: how fast J turns, and the sensitivity along t and across it."""
    deg = np.degrees(thc[order])
    return plots.plot_panels([
        {"series": {name: (deg, geo[name]["dJ"][order], f"C{n}-") for n, name in enumerate(geo)},
         "xlabel": "theta (degrees)", "ylabel": "||J(x(theta + d)) - J(x(theta))||_F / d",
         "title": "how fast J turns along the curve"},
        {"series": {f"{name} {kind}": (deg, geo[name][kind][order], f"C{n}{style}")
                    for n, name in enumerate(geo)
                    for kind, style in (("along", "-"), ("across", ":"))},
         "xlabel": "theta (degrees)", "ylabel": "||J d|| for a unit d",
         "title": "sensitivity along t and across it"}],
        path, suptitle="rotated blob: CAE (lam = 0.3) vs CAE+H (lam = 0.3, gamma = 0.1, exact)")


order = np.argsort(thc)
curve_png = plot_curve(lesson.figure("curve.png"))

# %% [markdown]
# The Hessian term reliably does what it penalises: less curvature, a $J$ that turns more slowly
# along the curve. Whether the code also becomes *more selective* for the tangent (a larger
# along/across ratio) depends on the run: the line printed above says which way it went here; with
# the full budget and with `--quick` the two runs of this lesson disagree, so the lesson does not
# claim it.
#
# ## On digits: the contraction curve, and a control
#
# The CAE paper's headline picture of what contraction buys is the **contraction curve** (Rifai et
# al., ICML 2011, section 5): move a test point $x$ by a distance $r$ in a random direction and
# measure how far its code moves, relative to $r$. We average over held-out digits $x$ and random
# unit directions $u$:
# $$\rho(r) = \mathbb E_{x,u}\,\frac{\|h(x + ru) - h(x)\|}{r}.$$
# A ratio below 1 means the code contracts the input space at that scale. As $r\to 0$ the ratio
# tends to the mean of $\|J(x)u\|$, and since
# $\mathbb E_u\|Ju\|^2 = \operatorname{tr}(J^\top J)/n_v = \|J\|_F^2/n_v$, Jensen's inequality
# bounds it by $\|J\|_F/\sqrt{n_v}$ on average: the left end of the curve is first-order
# contraction, which $\lambda$ controls. Further out, $J$ itself changes between $x$ and $x + ru$,
# which the Hessian term limits: the claim to test is that the CAE+H contracts *further out* as
# well.
#
# Comparing the CAE+H with the CAE of the same $\lambda$ cannot test it: the CAE+H also ends with a
# smaller $\|J\|_F$ at the data, and a curve that starts lower can stay lower for that reason alone.
# So we add a control: a plain CAE whose $\lambda$ is raised until its mean $\|J\|_F$ on the
# held-out digits matches the CAE+H's (secant steps on $\log\|J\|_F$ as a function of $\log\lambda$,
# from $\lambda$ and $2\lambda$, until the two agree within 1 %). Then the two curves start
# together, and any gap further out is the Hessian term's.

# %%
Xte_d = cae.asarray(Xte)
radii = np.logspace(-2, 1, 10)
jnorm = lambda m: analysis.mean_jacobian_norm(m.params["W"], m.params["b_h"], Xte_d)
target = jnorm(digit_models["CAE+H"])
tried = [(LAM, jnorm(cae)), (2 * LAM, jnorm(train(Xtr, n_hidden, epochs, lam=2 * LAM)))]
for _ in range(3):                 # secant steps on log ||J|| against log lam, until within 1 %
    (lam_a, j_a), (lam_b, j_b) = tried[-2:]
    slope_lam = np.log(j_b / j_a) / np.log(lam_b / lam_a)
    lam_matched = float(lam_b * (target / j_b) ** (1.0 / slope_lam))
    matched_model = train(Xtr, n_hidden, epochs, lam=lam_matched)
    tried.append((lam_matched, jnorm(matched_model)))
    if abs(tried[-1][1] / target - 1.0) < 0.01:
        break
digit_models["CAE, matched ||J||"] = matched_model
match = tried[-1][1] / target
print(f"||J||_F ~ lam^{slope_lam:.2f}; the CAE+H's mean ||J||_F {target:.3f} is matched by "
      f"lam = {lam_matched:.3f}: {match * target:.3f} (ratio {match:.3f})")
assert abs(match - 1.0) < 0.02

# %%
curves, jnorms, hpen = {}, {}, {}
for name, m in digit_models.items():
    curves[name] = analysis.contraction_curve(m.params["W"], m.params["b_h"], Xte_d, radii=radii,
                                              seed=lesson.seed)
    jnorms[name] = jnorm(m)
    hpen[name] = m.hessian_penalty(Xte_d)
    print(f"  {name:18s}  mean ||J||_F {jnorms[name]:.3f}   ||d2h/dx2||^2 {hpen[name]:7.2f}   "
          "ratio at r = "
          + ", ".join(f"{r:.2g}: {v:.3f}" for r, v in zip(radii[::3], curves[name][::3])))
    assert curves[name][0] <= jnorms[name] / np.sqrt(64) * 1.001          # Jensen, as r -> 0
matched = curves["CAE, matched ||J||"]
gap_far = 1.0 - curves["CAE+H"][-1] / matched[-1]
gap_near = 1.0 - curves["CAE+H"][0] / matched[0]
print(f"CAE+H vs the matched CAE: {100 * gap_near:+.1f} % at r = {radii[0]:g}, "
      f"{100 * gap_far:+.1f} % at r = {radii[-1]:g} (positive: the CAE+H contracts more)")
assert hpen["CAE+H"] < 0.5 * hpen["CAE"] and np.all(curves["CAE+H"] < curves["CAE"])
assert abs(gap_near) < 0.05 and gap_far > 0.05


# %%
def plot_contraction(path):
    """The contraction curves, with each model's first-order bound ||J||_F / 8 as a line."""
    return plots.plot_panels([
        {"series": {name: (radii, curves[name], "o-") for name in curves},
         "hlines": {f"{name}: mean ||J||_F / 8": jnorms[name] / 8 for name in jnorms},
         "xscale": "log", "xlabel": "radius r of the move",
         "ylabel": "mean ||h(x + r u) - h(x)|| / r",
         "title": "contraction curve on held-out digits"}], path, width=6.5, height=4.2)


contraction_png = plot_contraction(lesson.figure("contraction.png"))

# %% [markdown]
# What the curves show: at the left end the matched CAE and the CAE+H agree (the match), and the
# unmatched CAE lies above both; as $r$ grows, the CAE+H's curve falls below the matched CAE's, by
# the percentage printed above at the largest radius. That gap, not the comparison with the CAE of
# the same $\lambda$, is the evidence for "contraction further out".
#
# ## The tangents on digits
#
# Each model's top three right singular vectors of $J$ at four test digits (red positive, blue
# negative, one symmetric colour scale per row). They look like speckle, not like a smooth
# deformation of the digit, and the reason is in what they are: the input directions the code feels
# most, for a 64-pixel encoder trained on about 1,300 digits. Nothing forces them to be shifts or
# rotations; they pick out the few pixels where a change moves the most units, often on the digit's
# strokes and edges. How close their span comes to a true deformation can be measured: the angle
# between the one-pixel shift of each digit (lesson 08) and the span of its three tangents, against
# the span of three random directions. The printed angles show a modest lean: the tangents' span is
# a few degrees closer to the shift than a random span, and still far from containing it (0
# degrees).

# %%
picks = [int(np.flatnonzero(yte == d)[0]) for d in (0, 2, 3, 7)]
tangent_models = {name: digit_models[name] for name in ("CAE", "CAE+H")}
tang = {name: backend.to_numpy(m.tangents(m.asarray(Xte[picks]), 3))
        for name, m in tangent_models.items()}
gram_error = max(float(np.max(np.abs(np.einsum("nij,nkj->nik", U, U) - np.eye(3))))
                 for U in tang.values())
assert gram_error < 1e-10                                   # orthonormal rows
tiles = Xte.reshape(-1, 8, 8)
shifted = np.zeros_like(tiles)
shifted[:, :, 1:] = tiles[:, :, :-1]
shift_dirs = (shifted - tiles).reshape(len(Xte), 64)
shift_dirs /= np.linalg.norm(shift_dirs, axis=1, keepdims=True)
random_span = np.linalg.qr(np.random.default_rng(lesson.seed + 5).standard_normal(
    (len(Xte), 64, 3)))[0].transpose(0, 2, 1)                # (B, 3, 64): three random directions
shift_angle = {name: float(np.mean(backend.to_numpy(analysis.angle_to_span(
    m.tangents(Xte_d, 3), m.asarray(shift_dirs))))) for name, m in tangent_models.items()}
shift_angle["random"] = float(np.mean(backend.to_numpy(analysis.angle_to_span(
    cae.asarray(random_span), cae.asarray(shift_dirs)))))
print("mean angle between a digit's one-pixel shift and the span of three tangents: "
      + ", ".join(f"{name} {v:.1f}" for name, v in shift_angle.items()) + " degrees")
assert max(shift_angle["CAE"], shift_angle["CAE+H"]) < shift_angle["random"]
tangents_png = plots.plot_image_stack(
    [("test digits", Xte[picks], False)]
    + [(f"{name}: tangent {j + 1} (v_{j + 1} of J(x))", tang[name][:, j, :], True)
       for name in tang for j in range(3)], lesson.figure("tangents.png"), n_cols=4, tile=0.7)

# %% [markdown]
# ## Questions
#
# **Question 1.** For a ReLU encoder, what is the exact Hessian term, and what does the stochastic
# estimate measure instead?
#
# **Question 2.** Evaluate the local weight $\frac34 (s''')^2 + s''s^{(4)}$ of $K$ at $a = 0$ and
# where $h = 0.8$. When most units sit away from the middle of the sigmoid, which way does the
# estimate err at large $\tau$?
#
# **Question 3.** With $C$ copies a training step costs about $2(C+1)+3$ products of the plain
# step's size, the exact term none. Why would anyone train with the stochastic term?

# %%
a_pts = cae.asarray(np.array([0.0, np.log(0.8 / 0.2)]))    # a = 0, and where h = 0.8
s4_pts = (s3(a_pts + 1e-5) - s3(a_pts - 1e-5)) / 2e-5
local = backend.to_numpy(0.75 * s3(a_pts) ** 2 + s2(a_pts) * s4_pts)
print(f"question 2, computed: the local weight of K is {local[0]:.5f} at a = 0 and "
      f"{local[1]:.5f} where h = 0.8")
h8 = 0.8                                                     # the answer's numbers, by hand
d_8 = [h8 * (1 - h8)]                                        # s', s'', s''', s'''' where h = 0.8
d_8.append(d_8[0] * (1 - 2 * h8))
d_8.append(d_8[0] * (1 - 6 * h8 + 6 * h8 ** 2))
d_8.append(d_8[1] * (1 - 6 * h8 + 6 * h8 ** 2) - 6 * d_8[0] ** 2 * (1 - 2 * h8))
assert np.allclose(d_8, [0.16, -0.096, 0.0064, 0.08832], rtol=0, atol=1e-12)
assert abs(local[0] - 3 / 256) < 1e-9
assert abs(local[1] - (0.75 * d_8[2] ** 2 + d_8[1] * d_8[3])) < 1e-8
assert local[0] > 0 > local[1] and abs(local[1] + 0.0085) < 1e-4
curve_summary = {n: {"hessian": g["hessian"], "dJ": float(g["dJ"].mean()),
                     "along": float(g["along"].mean()), "across": float(g["across"].mean()),
                     "angle": float(g["angle"].mean()), "along_across": selectivity[n]}
                 for n, g in geo.items()}
lesson.finish(f"Hessian closed form = explicit to {err_explicit:.0e}; estimate/tau^2 -> exact "
              f"({bias[min(taus)]:.3f} at tau {min(taus)}); one gamma is {strength:.0f}x stronger "
              f"exact; at matched ||J||, CAE+H contracts {100 * gap_far:.0f} % more at r = "
              f"{radii[-1]:g}",
              {"slice_error": err_slice, "explicit_error": err_explicit, "model_error": err_model,
               "s3_error": err_s3, "s4_error": err_s4, "backward_error": err_backward,
               "grad_error": err_grad, "no_q_error": err_no_q, "stochastic_error": err_stoch,
               "stochastic_grad_error": err_grad_s, "redrawn_error": err_redrawn,
               "total_error": err_total, "gamma_strength": strength, "tau_default": tau_default,
               "sigmas": taus, "bias": [bias[t] for t in taus],
               "bias_control_variate": [bias_cv[t] for t in taus],
               "taylor_ratio": list(taylor_ratio.values()), "K_over_E": K / H_exact,
               "copies": copies, "spread": [spread[C] for C in copies], "slope": slope,
               "curve": curve_summary, "lam_matched": lam_matched, "match_ratio": match,
               "radii": radii.tolist(), "contraction": {n: v.tolist() for n, v in curves.items()},
               "gap_near": gap_near, "gap_far": gap_far, "jacobian_norms": jnorms,
               "hessian_penalty": hpen, "shift_angle": shift_angle, "gram_error": gram_error})

# %% [markdown]
# ## Answers
#
# **1.** $s'' = 0$ wherever a ReLU is differentiable, so the exact term is 0: each unit is linear on
# its side of the kink and $J$ is piecewise constant. The estimate is not zero:
# $s'(a) - s'(\tilde a)$ is $\pm1$ whenever the noise pushes $a_k$ across 0, so it counts units
# flipped by noise, weighted by $q_k$. It measures the kinks, which the closed form cannot see.
#
# **2.** At $a = 0$: $s'' = 0$ and $s''' = \frac14(1 - 3 + \frac32) = -\frac18$, so the weight is
# $\frac34\cdot\frac1{64} \approx 0.0117 > 0$. Where $h = 0.8$: $s' = 0.16$, $s'' = -0.096$,
# $s''' = 0.0064$, $s^{(4)} \approx 0.088$, so the weight is about $-0.0085$ (the lesson prints both
# weights and asserts all of these numbers). Units away from the middle make $K < 0$, and the
# estimate falls *below* $\tau^2$ times the exact term, as measured here: a large move reaches where
# $s'$ is flatter.
#
# **3.** Because it needs no formula. For one layer the exact term is cheap, but for a deep encoder
# (lesson 11) the Hessian is a product of many factors with no closed form, while
# $\|J(x) - J(x+\epsilon)\|^2$ only needs Jacobians. It also measures the change of $J$ over a
# finite distance $\tau$, the scale the paper cares about, rather than at a point.

# %% [markdown]
# ## Sources
#
# - S. Rifai, G. Mesnil, P. Vincent, X. Muller, Y. Bengio, Y. Dauphin and X. Glorot, "Higher Order
#   Contractive Auto-Encoder", ECML PKDD 2011: the CAE+H, its stochastic term
#   $\|J(x) - J(x+\epsilon)\|_F^2$ over a few corrupted copies, and the claim that it extends
#   contraction away from the data.
# - S. Rifai, P. Vincent, X. Muller, X. Glorot and Y. Bengio, "Contractive Auto-Encoders: Explicit
#   Invariance During Feature Extraction", ICML 2011: the contraction curve (its section 5), whose
#   definition we follow.
# - A. B. Owen, *Monte Carlo Theory, Methods and Examples* (2013), chapter 8: antithetic sampling
#   and control variates, used to measure the $\tau^2 K$ bias.
# - The exact term, its closed form and its gradient are derived on this page and checked against
#   the explicit tensor and finite differences; the factor between the exact and the stochastic term
#   ($\approx 1/\tau^2$) is derived in "The paper's estimate" and measured in "One $\gamma$, two
#   strengths".
# - A penalty built from a frozen copy of $W$ (no $q$ path), the known-wrong gradient this page's
#   check rejects, appears in public Keras code: `haoyuanchi/chalmers`,
#   `code/python/autoencode/CAE_tool.py`, builds $W$ for the contractive term with
#   `K.variable(model.get_layer('encoded').get_weights()[0])`, a constant copy that no gradient
#   reaches.
