"""Lesson 03 - build the encoder's Jacobian J_h(x), first by finite differences, then in closed form.

What you will do: train a small autoencoder on digits for a few seconds, pick
one digit x, and measure how the code h moves when each pixel moves (finite
differences, one column at a time); then derive J_h(x) = diag(s'(a)) W and
see that it is the same matrix; then look at its rows and columns as images.
What you will learn: J[k, j] = dh_k / dx_j; row k is "which image change moves
unit k" (filter k scaled by s'(a_k): a saturated unit has a ~0 row); column j
is "how the whole code moves when pixel j brightens"; ||J_h(x)||_F^2, the
quantity a CAE penalises.
What you need: lessons 01-02.

Run:  python lessons/03_build_the_jacobian.py [--quick] [--backend numpy|cupy] [--out DIR]
"""
# %% Setup: when run as a file, make the repository root importable
if __package__ in (None, ""):
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import os

import numpy as np

import cae_scratch as cs
from cae_scratch import data, network, penalty, plots
from lessons._common import lesson_dir, model_kwargs, run_lesson_cli


def finite_difference_jacobian(model, x, eps=1e-5):
    """J_fd[:, j] = (h(x + eps e_j) - h(x - eps e_j)) / 2 eps, all columns in one batch.

    x: (1, n_visible) -> (n_hidden, n_visible). Uses network.encode (no input
    checks): x + eps e_j may step just outside [0, 1], which is fine here.
    """
    xp, n = model.xp, model.n_visible
    E = eps * xp.eye(n, dtype=x.dtype, device=cs.backend.device_of(x))   # row j = eps e_j
    H_plus = network.encode(model.params, x + E, model.spec)              # (n_visible, n_hidden)
    H_minus = network.encode(model.params, x - E, model.spec)
    return (H_plus - H_minus).T / (2.0 * eps)


def closed_form_jacobian(model, x):
    """J = diag(s'(a)) W: row k of W times s'(a_k).  x: (1, n_visible)."""
    act = cs.get_activation(model.spec.activation)
    W = model.params["W"]
    _, _, D1 = penalty.encoder_derivatives(W, model.params["b_h"], x, act)   # D1 = s'(a): (1, n_hidden)
    return D1.T * W                                                        # (n_hidden, 1) * (n_hidden, n_visible)


def main(backend="numpy", quick=False, seed=0, out_dir=None):
    out = lesson_dir(out_dir, __file__)
    n_hidden, epochs = (16, 10) if quick else (32, 40)
    X_host, y = data.load_digits(return_labels=True)
    model = cs.ContractiveAutoencoder(64, n_hidden, lam=0.1, seed=seed, **model_kwargs(backend))
    model.fit(model.asarray(X_host), epochs=epochs, batch_size=64, lr=1e-2, seed=seed, progress=False)
    i = int(np.flatnonzero(y == 3)[0])                       # the first "3" in the data set
    x = model.asarray(X_host[i:i + 1])                       # (1, 64): a batch of one
    print(f"Trained a 64->{n_hidden} CAE for {epochs} epochs; x = digit #{i} (a 3).")

    # %% 1. Finite differences: nudge pixel j, watch the code. One column of J per pixel.
    J_fd = finite_difference_jacobian(model, x)
    print(f"\nJ_h(x)[k, j] = dh_k/dx_j ~ (h_k(x + eps e_j) - h_k(x - eps e_j)) / 2 eps:  J is {tuple(J_fd.shape)}"
          " = (n_hidden, n_visible)")

    # %% 2. Closed form: h_k = s(a_k), a_k = sum_j W[k, j] x_j + b_k, so dh_k/dx_j = s'(a_k) W[k, j].
    J = closed_form_jacobian(model, x)
    err_fd = cs.rel_error(J, J_fd)
    err_lib = cs.rel_error(J, model.jacobian(x)[0, ...])
    print(f"J_h(x) = diag(s'(a)) W  vs finite differences: relative error {err_fd:.1e}")
    print(f"                         vs model.jacobian(x):    relative error {err_lib:.1e}")
    assert err_fd < 1e-8 and err_lib < 1e-14

    # %% 3. What rows and columns mean, and the squared Frobenius norm the CAE penalises.
    Jh = cs.to_numpy(J)
    row_norm, col_norm = np.linalg.norm(Jh, axis=1), np.linalg.norm(Jh, axis=0)
    act = cs.get_activation(model.spec.activation)
    d1 = cs.to_numpy(penalty.encoder_derivatives(model.params["W"], model.params["b_h"], x, act)[2])[0]
    print(f"\nRow k = dh_k/dx, an 8x8 image: filter k times s'(a_k). Here s'(a_k) ranges "
          f"{d1.min():.3f}..{d1.max():.3f} (at most 1/4 for a sigmoid): near-saturated units barely respond.")
    print("Column j = dh/dx_j: how the whole code moves when pixel j brightens; its length is the"
          " code's sensitivity to that pixel (the map in the figure).")
    frob = float(np.sum(Jh ** 2))
    closed = model.contractive_penalty(x)                   # sum_k s'(a_k)^2 q_k (lesson 04)
    print(f"||J_h(x)||_F^2 = sum_kj J[k, j]^2 = {frob:.4f};  model.contractive_penalty(x) = {closed:.4f}")
    assert abs(frob - closed) < 1e-10 * frob
    U, S, Vt = np.linalg.svd(Jh, full_matrices=False)
    print(f"Singular values of J: largest {S[0]:.3f}, smallest {S[-1]:.2e}: the code reacts strongly to"
          " a few input directions, weakly to others, and not at all to the 64 - n_hidden directions"
          " outside J's row space. Lessons 07-08 measure this contraction.")
    assert S[0] > 10 * S[-1]

    # %% 4. Figures: J and its pieces as images.
    figures = [plots.plot_images([
        {"image": X_host[i].reshape(8, 8), "title": "the input x"},
        {"image": Jh, "title": "J_h(x) = diag(s'(a)) W", "symmetric": True,
         "xlabel": "pixel j (input)", "ylabel": "hidden unit k"},
        {"image": np.log10(np.maximum(np.abs(Jh - cs.to_numpy(J_fd)), 1e-17)),
         "title": "log10 |closed form - finite diff.|", "cmap": "magma",
         "xlabel": "pixel j (input)", "ylabel": "hidden unit k"},
        {"image": col_norm.reshape(8, 8), "title": "column lengths ||J[:, j]||:\nsensitivity to each pixel",
         "cmap": "viridis"},
        {"image": Vt[0].reshape(8, 8), "title": f"top input direction\n(singular value {S[0]:.2f})",
         "symmetric": True}], os.path.join(out, "jacobian.png"), width=3.6)]
    order = np.argsort(-row_norm)                            # most responsive units first
    figures.append(plots.plot_images([
        {"image": plots.tile_images(Jh[order], n_cols=8), "symmetric": True,
         "title": "rows of J_h(x) as images, dh_k/dx (largest first)"},
        {"image": plots.tile_images(cs.to_numpy(model.params["W"])[order], n_cols=8), "symmetric": True,
         "title": "the same rows of W (the filters)"}], os.path.join(out, "jacobian_rows.png"), width=5.5))

    headline = (f"J_h(x) by finite differences vs diag(s'(a)) W: rel error {err_fd:.0e}; "
                f"||J_h(x)||_F^2 = {frob:.3f}; singular values {S[0]:.2f} .. {S[-1]:.0e}")
    return {"headline": headline, "figures": figures, "fd_error": err_fd, "library_error": err_lib,
            "frobenius_sq": frob, "singular_values": S.tolist()}


if __name__ == "__main__":
    run_lesson_cli(main, __doc__)
