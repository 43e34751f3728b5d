"""Lesson 08 - measure what contraction buys: codes that follow the data manifold.

What you will do: train a plain autoencoder (lam = 0) and a CAE (lam > 0),
same seed and budget, first on a synthetic manifold whose tangent you know
exactly (a blob rotated about the centre of a 10x10 image: a closed curve
x(theta) in R^100), then on the digits. Take the SVD of the encoder's
Jacobian J_h(x) = diag(s'(a)) W = U S V^T, and compare its leading right
singular vector v_1 (the input direction the code h = s(W x + b_h) is most
sensitive to) with the true tangent; then compare how far the code moves
for a small shift of a digit and for noise of the same length.
What you will learn: the penalty lam ||J_h(x)||_F^2 shrinks the code's
sensitivity in every direction, but reconstruction keeps it alive along the
manifold, so what is left points along the data: the CAE's v_1 aligns with
the tangent, the AE's is no better aligned than a random direction; a CAE
code tells a shifted digit from a noisy one, an AE code barely does.
What you need: lessons 03-04 (the Jacobian, the penalty) and 07 (training);
the measurements come from cae_scratch.analysis.

Run:  python lessons/08_measure_what_contraction_buys.py [--quick] [--backend numpy|cupy] [--out DIR]
"""
# %% Setup: when run as a file, make the repository root importable
if __package__ in (None, ""):
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import os

import numpy as np

import cae_scratch as cs
from cae_scratch import analysis, backend as backends, data, plots
from lessons._common import lesson_dir, model_kwargs, run_lesson_cli

LAM = 0.3


def train(X, n_hidden, lam, epochs, seed, kw):
    model = cs.ContractiveAutoencoder(X.shape[1], n_hidden, lam=lam, seed=seed, **kw)
    model.fit(model.asarray(X), epochs=epochs, batch_size=32, lr=1e-2, seed=seed, progress=False)
    return model


def encoder(model):
    """The arguments every analysis function starts with: W, b_h (and then X, activation)."""
    return model.params["W"], model.params["b_h"]


def shift_right(X, side=8):
    """Each image moved one pixel to the right, zeros entering on the left."""
    images = X.reshape(-1, side, side)
    out = np.zeros_like(images)
    out[:, :, 1:] = images[:, :, :-1]
    return out.reshape(len(X), -1)


def main(backend="numpy", quick=False, seed=0, out_dir=None):
    out = lesson_dir(out_dir, __file__)
    kw = model_kwargs(backend)
    n_points, n_hidden, epochs = (500, 50, 60) if quick else (1000, 50, 150)
    X, T, theta = data.load_synthetic(n=n_points, side=10, seed=seed, return_tangents=True, return_angles=True)
    X_test, T_test, theta_test = data.load_synthetic(n=100 if quick else 300, side=10, seed=seed + 1000, return_tangents=True,
                                                     return_angles=True)
    print(f"synthetic manifold: {len(X)} training points x(theta) in R^{X.shape[1]}, true unit tangents "
          "t = x'(theta) / ||x'(theta)||")

    # %% 1. The true tangent, checked by finite differences of the generator
    h = 1e-6
    fd = (data.rotated_blob(theta_test + h)[0] - data.rotated_blob(theta_test - h)[0]) / (2 * h)
    fd /= np.linalg.norm(fd, axis=1, keepdims=True)
    print(f"max |t - finite difference| = {np.max(np.abs(fd - T_test)):.1e}")
    assert np.max(np.abs(fd - T_test)) < 1e-6

    # %% 2. AE and CAE: same seed, same budget; only lam differs
    models = {"AE": train(X, n_hidden, 0.0, epochs, seed, kw), "CAE": train(X, n_hidden, LAM, epochs, seed, kw)}
    Xd, Td = models["AE"].asarray(X_test), models["AE"].asarray(T_test)
    print(f"\n100 -> {n_hidden} sigmoid units, {epochs} epochs; AE: lam = 0, CAE: lam = {LAM}")
    norms = {}
    for name, m in models.items():
        norms[name] = analysis.mean_jacobian_norm(*encoder(m), Xd)
        print(f"  {name:3s}  test bce {m.loss_terms(Xd)['reconstruction']:7.3f}   mean ||J_h(x)||_F {norms[name]:6.3f}")
    assert norms["CAE"] < norms["AE"], "the penalty must shrink ||J_h(x)||_F"

    # %% 3. v_1 of J_h(x) = U S V^T against the true tangent. First by hand for one point, then the library.
    J = backends.to_numpy(models["CAE"].jacobian(Xd[:1, :]))[0]          # (n_hidden, 100)
    _, s, Vt = np.linalg.svd(J)
    S, V = analysis.tangent_directions(*encoder(models["CAE"]), Xd[:1, :], k=1)
    assert abs(float(S[0, 0]) - s[0]) < 1e-8 * s[0] and abs(abs(float(Vt[0] @ backends.to_numpy(V)[0, 0])) - 1) < 1e-8
    random_dirs = analysis.unit_directions(np.random.default_rng(seed), len(T_test), T_test.shape[1])
    chance = float(np.mean(np.degrees(np.arccos(np.abs(np.sum(random_dirs * T_test, axis=1))))))
    angles, V1 = {}, {}
    print(f"\nangle between v_1(x) and the true tangent t(x) (0 = along the manifold; a random direction: "
          f"{chance:.0f} degrees)")
    for name, m in models.items():
        _, V = analysis.tangent_directions(*encoder(m), Xd, k=1)
        angles[name] = backends.to_numpy(analysis.angle_to_span(V, Td))
        V1[name] = backends.to_numpy(V)[:, 0, :]
        print(f"  {name:3s}  mean {angles[name].mean():5.1f}   median {np.median(angles[name]):5.1f} degrees")
    print("The AE's v_1 lights up the image border, where the data never varies: nothing in the reconstruction\n"
          "loss constrains the code there. The penalty does, so the CAE's sensitivity is left where the blob moves.")
    assert angles["CAE"].mean() < angles["AE"].mean() - 15.0, "the CAE's v_1 should follow the manifold"
    assert angles["CAE"].mean() < chance - 15.0 and angles["AE"].mean() > chance - 10.0

    # %% 4. Digits: a small shift against noise of the same length
    Xtr, _, Xte, _ = data.load_digits(test_fraction=0.25, seed=seed)
    d_hidden, d_epochs = (64, 30) if quick else (100, 100)
    digit_models = {"AE": train(Xtr, d_hidden, 0.0, d_epochs, seed, kw),
                    "CAE": train(Xtr, d_hidden, LAM, d_epochs, seed, kw)}
    Xte_d = digit_models["AE"].asarray(Xte)
    alphas = [0.25, 0.5, 1.0]                                # shift in pixels (linear interpolation)
    noise_dirs = analysis.unit_directions(np.random.default_rng(seed + 1), len(Xte), Xte.shape[1])
    ratios = {name: [] for name in digit_models}            # shift / noise sensitivity, one per alpha
    print(f"\ndigits, 64 -> {d_hidden}: ||h(x + d) - h(x)|| / ||d|| for d = a shift by alpha pixels, and for "
          "noise of the same length")
    for alpha in alphas:
        D_shift = alpha * (shift_right(Xte) - Xte)
        D_noise = noise_dirs * np.linalg.norm(D_shift, axis=1, keepdims=True)
        for name, m in digit_models.items():
            s_shift = float(np.mean(backends.to_numpy(analysis.sensitivity(*encoder(m), Xte_d, m.asarray(D_shift)))))
            s_noise = float(np.mean(backends.to_numpy(analysis.sensitivity(*encoder(m), Xte_d, m.asarray(D_noise)))))
            ratios[name].append(s_shift / s_noise)
            print(f"  alpha {alpha:4.2f}  {name:3s}  shift {s_shift:5.3f}   noise {s_noise:5.3f}   "
                  f"shift / noise {s_shift / s_noise:4.2f}")
    assert min(ratios["CAE"]) > 1.2 and all(c > a * 1.2 for c, a in zip(ratios["CAE"], ratios["AE"]))
    print(f"A shift moves the CAE's code {min(ratios['CAE']):.1f}-{max(ratios['CAE']):.1f} times as far as noise "
          f"of the same length; the AE's {min(ratios['AE']):.1f}-{max(ratios['AE']):.1f} times: the CAE has "
          "contracted the off-manifold (noise) directions much more than the directions digits vary along.")

    # %% 5. Figures
    order = np.argsort(theta_test)
    pick = order[:: len(order) // 6][:6]
    figures = [
        plots.plot_image_panels({"points x(theta) of the manifold": (X_test[pick], 6, False),
                                 "true tangents t(x)": (T_test[pick], 6, True),
                                 f"AE: v_1 of J_h(x), mean angle {angles['AE'].mean():.0f} deg": (V1["AE"][pick], 6, True),
                                 f"CAE: v_1 of J_h(x), mean angle {angles['CAE'].mean():.0f} deg": (V1["CAE"][pick], 6, True)},
                                os.path.join(out, "tangents.png"), n_per_row=1, panel_size=(7.0, 1.6)),
        plots.plot_panels([{"series": {name: (np.degrees(theta_test[order]), angles[name][order]) for name in models},
                            "hlines": {"random direction (mean)": chance}, "title": "leading sensitive direction vs true tangent",
                            "xlabel": "rotation theta of the test point (degrees)",
                            "ylabel": "angle(v_1(x), t(x)) in degrees"},
                           {"series": {name: (alphas, r) for name, r in ratios.items()}, "hlines": {"equally sensitive": 1.0},
                            "title": "digits: a shift vs noise of equal length", "xlabel": "shift alpha (pixels)",
                            "ylabel": "code change per unit length: shift / noise"}],
                          os.path.join(out, "angles_and_shift_vs_noise.png")),
    ]
    headline = (f"angle(v_1, tangent): AE {angles['AE'].mean():.0f} deg, CAE {angles['CAE'].mean():.0f} deg "
                f"(random {chance:.0f}); digits shift/noise sensitivity at 0.5 px: AE {ratios['AE'][1]:.2f}, "
                f"CAE {ratios['CAE'][1]:.2f}")
    return {"headline": headline, "figures": figures, "angles": {k: float(v.mean()) for k, v in angles.items()},
            "chance_angle": chance, "jacobian_norms": norms, "alphas": alphas, "shift_noise_ratios": ratios}


if __name__ == "__main__":
    run_lesson_cli(main, __doc__)
