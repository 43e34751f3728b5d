"""Lesson 01 - run the forward pass: encoder, decoder, tied weights, shapes.

What you will do: push 8x8 handwritten digits through an untrained
autoencoder one matrix product at a time, check each step against the
library, count the parameters with and without tied weights, and look at the
reconstructions before any training.
What you will learn: h = s(W x + b_h), r = g(W^T h + b_r); which axis is which
(rows are examples); why tied weights (W_r = W^T) halve the weights; how bad an
untrained model is, in numbers (worse than guessing the average digit).
What you need: NumPy and matrix products; nothing about CAEs yet.

Run:  python lessons/01_run_the_forward_pass.py [--quick] [--backend numpy|cupy] [--out DIR]
"""
# %% Setup: when run as a file, make the repository root importable
if __package__ in (None, ""):
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import os

import numpy as np

import cae_scratch as cs
from cae_scratch import backend as cb, data, losses, network, plots
from lessons._common import lesson_dir, model_kwargs, run_lesson_cli


def count_params(model):
    return sum(int(np.prod(p.shape)) for p in model.params.values())


def mean_image_bce(X_host):
    """The bce of a 'model' that ignores its input and always outputs the average digit."""
    m = np.clip(X_host.mean(axis=0), 1e-3, 1 - 1e-3)
    Z = np.broadcast_to(np.log(m / (1 - m)), X_host.shape)   # logit, so that sigmoid(Z) = m
    return float(losses.bce(X_host, Z))


def main(backend="numpy", quick=False, seed=0, out_dir=None):
    out = lesson_dir(out_dir, __file__)
    n_hidden, n_examples = (16, 256) if quick else (32, 1797)
    X_host = data.load_digits()[:n_examples]                # (B, 64), pixels in [0, 1]
    model = cs.ContractiveAutoencoder(64, n_hidden, lam=0.1, seed=seed, **model_kwargs(backend))
    X = model.asarray(X_host)
    W, b_h, b_r = model.params["W"], model.params["b_h"], model.params["b_r"]
    print(f"X: {tuple(X.shape)} -- one row per digit, one column per pixel (8x8 = 64).")
    print(f"W: {tuple(W.shape)} = (n_hidden, n_visible): row k is the filter of hidden unit k.")

    # %% 1. The encoder: a = W x + b_h, h = s(a). For a batch (rows = examples): A = X W^T + b_h.
    A = X @ W.T + b_h                                       # (B, n_hidden); b_h broadcasts over rows
    H = cs.get_activation("sigmoid").f(A)
    print(f"\nEncoder  a = W x + b_h,  h = s(a):     A, H: {tuple(H.shape)}; every h_k in (0, 1)")

    # %% 2. The decoder with tied weights: z = W^T h + b_r, r = sigmoid(z). Batch form: Z = H W + b_r.
    Z = H @ W + b_r                                         # (B, n_visible): W is used a second time
    R = cs.get_activation("sigmoid").f(Z)
    print(f"Decoder  z = W^T h + b_r, r = g(z):    Z, R: {tuple(R.shape)} -- the same shape as X")

    # %% 3. The library computes the same numbers (network.forward is what training uses).
    cache = network.forward(model.params, X, model.spec)
    forward_error = max(cs.rel_error(A, cache["A"]), cs.rel_error(H, cache["H"]),
                        cs.rel_error(Z, cache["Z"]), cs.rel_error(R, cache["R"]),
                        cs.rel_error(R, model.reconstruct(X)))
    print(f"By hand vs network.forward / model.reconstruct: max relative error {forward_error:.1e}")
    assert forward_error < 1e-12, forward_error

    # %% 4. Tied weights: the decoder reuses W^T instead of its own W_r.
    untied = cs.ContractiveAutoencoder(64, n_hidden, tied=False, seed=seed, **model_kwargs(backend))
    n_tied, n_untied = count_params(model), count_params(untied)
    print(f"\nParameters, tied (W, b_h, b_r): {n_tied};  untied (+ W_r {tuple(untied.params['W_r'].shape)}): "
          f"{n_untied}. Tying halves the weights and makes the decoder the encoder's mirror.")
    assert n_untied - n_tied == 64 * n_hidden

    # %% 5. Before training: how good are the reconstructions? bce per image, summed over 64 pixels.
    bce_by_hand = float(losses.bce(X, Z))                    # computed from z (log-sum-exp), never from r
    bce_untrained = model.loss_terms(X)["reconstruction"]
    bce_mean = mean_image_bce(X_host)
    print("bce(x, r) = -sum_j [x_j log r_j + (1 - x_j) log(1 - r_j)], mean over the batch:")
    print(f"  untrained model: {bce_untrained:.2f}   (by hand: {bce_by_hand:.2f})")
    print(f"  'always output the average digit': {bce_mean:.2f}   (and r = 0.5 everywhere: {64 * np.log(2):.2f})")
    print("  The random W scrambles the input: the untrained model is worse than ignoring it.")
    assert abs(bce_by_hand - bce_untrained) < 1e-9 * bce_untrained
    assert bce_untrained > bce_mean

    # %% 6. Figures: the random filters, the reconstructions, and the codes.
    figures = [plots.plot_filters_and_reconstructions(
        model, X_host, os.path.join(out, "before_training.png"), n_filters=n_hidden, n_examples=10)]
    A10, H10 = cb.to_numpy(A[:10, :]), cb.to_numpy(H[:10, :])
    figures.append(plots.plot_images([
        {"image": A10, "title": "a = W x + b_h  (10 digits x n_hidden)", "symmetric": True,
         "xlabel": "hidden unit k", "ylabel": "example b"},
        {"image": H10, "title": "h = sigmoid(a): the codes, in (0, 1)", "cmap": "viridis",
         "xlabel": "hidden unit k", "ylabel": "example b"}], os.path.join(out, "codes.png"), width=5.0))

    headline = (f"untrained 64->{n_hidden} autoencoder: bce {bce_untrained:.1f} per image vs {bce_mean:.1f} "
                f"for the average digit; tied {n_tied} params vs untied {n_untied}")
    return {"headline": headline, "figures": figures, "forward_error": forward_error,
            "n_params_tied": n_tied, "n_params_untied": n_untied,
            "bce_untrained": bce_untrained, "bce_mean_image": bce_mean}


if __name__ == "__main__":
    run_lesson_cli(main, __doc__)
