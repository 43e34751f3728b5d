"""Lesson 02 - backprop the reconstruction loss by hand, then prove it by finite differences.

What you will do: derive dL/dz for binary cross-entropy on a sigmoid decoder,
push it back through the decoder and the encoder with the chain rule (tied
weights: W gets two contributions), and compare every entry with the library
and with central finite differences. Then plant two classic bugs and watch the
check catch them.
What you will learn: why bce on a sigmoid gives the clean dL/dz = r - x (the
sigmoid's derivative cancels); the backward of h = s(Wx + b_h); what a passing
relative error looks like (~1e-9) and what a bug looks like (~1).
What you need: lesson 01; the chain rule.

Run:  python lessons/02_backprop_the_reconstruction.py [--quick] [--backend numpy|cupy] [--out DIR]
"""
# %% Setup: when run as a file, make the repository root importable
if __package__ in (None, ""):
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import os


import cae_scratch as cs
from cae_scratch import data, gradcheck, losses, network, plots
from lessons._common import lesson_dir, model_kwargs, run_lesson_cli


def backward_from_dZ(params, X, cache, dZ, tied_decoder_use=True):
    """Chain rule from dL/dZ (B, n_visible) to the parameters of a tied autoencoder.

    Z = H W + b_r  ->  db_r = sum_b dZ,  dH = dZ W^T,  W's decoder use: H^T dZ
    H = s(A)       ->  dA = dH * s'(A)                     (element-wise)
    A = X W^T + b_h -> db_h = sum_b dA,  W's encoder use: dA^T X
    """
    xp = cs.backend.namespace(X)
    W = params["W"]
    dH = dZ @ W.T                                  # (B, n_hidden)
    dA = dH * cache["D1"]                          # s'(A) = H (1 - H) for a sigmoid
    dW = dA.T @ X                                  # (n_hidden, n_visible): the encoder's use of W
    if tied_decoder_use:
        dW = dW + cache["H"].T @ dZ                # ... plus the decoder's: W appears twice
    return {"W": dW, "b_h": xp.sum(dA, axis=0), "b_r": xp.sum(dZ, axis=0)}


def main(backend="numpy", quick=False, seed=0, out_dir=None):
    out = lesson_dir(out_dir, __file__)
    B, n_hidden = (8, 8) if quick else (16, 16)
    model = cs.ContractiveAutoencoder(64, n_hidden, lam=0.0, seed=seed, **model_kwargs(backend))
    X = model.asarray(data.load_digits()[:B])
    params, spec = model.params, model.spec

    # %% 1. The loss, written from z. With r = sigmoid(z): log r = -softplus(-z), log(1-r) = -softplus(z), so
    print("bce(x, r) = -[x log r + (1-x) log(1-r)]  with r = sigmoid(z)")
    print("          = x softplus(-z) + (1-x) softplus(z) = softplus(z) - x z        (stable for any z)")
    print("d/dz      = sigmoid(z) - x = r - x.   The sigmoid's r(1-r) cancels the bce's 1/(r(1-r)).")
    print("Averaged over the batch, L = (1/B) sum_b bce(x_b, r_b), so dL/dZ = (R - X) / B.")
    cache = network.forward(params, X, spec)
    dZ = (cache["R"] - X) / B
    err_lib_dZ = cs.rel_error(dZ, losses.bce_backward(X, cache["R"]))
    report_Z = gradcheck.check_gradients(lambda p: float(losses.bce(X, p["Z"])), {"Z": cache["Z"]}, {"Z": dZ},
                                        h=1e-5, max_entries=B * 64)      # every entry of Z
    err_fd_dZ = report_Z["Z"].rel_error
    print(f"\n(R - X)/B vs losses.bce_backward: {err_lib_dZ:.1e};  vs finite differences of bce in Z: {err_fd_dZ:.1e}")
    assert err_lib_dZ < 1e-14 and err_fd_dZ < 1e-7

    # %% 2. The chain rule back to W, b_h, b_r (see backward_from_dZ), against the library's fused step.
    grads = backward_from_dZ(params, X, cache, dZ)
    _, lib = network.loss_and_grads(params, X, spec)
    err_lib = max(cs.rel_error(grads[k], lib[k]) for k in lib)
    print(f"\nHand-written backward vs network.loss_and_grads: max relative error {err_lib:.1e}")
    assert err_lib < 1e-12

    # %% 3. ... and against central finite differences of the loss, parameter by parameter.
    loss = lambda p: float(network.loss_terms(p, X, spec)["reconstruction"])
    report = gradcheck.check_gradients(loss, params, grads, h=1e-6, max_entries=64, seed=seed)
    print("\nCentral differences (f(p + h) - f(p - h)) / 2h, h = 1e-6, float64:")
    print(gradcheck.format_report(report))
    gradcheck.assert_gradients_close(report)                 # below 1e-7: the derivation is right
    err_fd = gradcheck.max_error(report)

    # %% 4. Two classic bugs, caught by the same check.
    R = cache["R"]
    bugs = {"extra r(1-r) in dL/dz": backward_from_dZ(params, X, cache, dZ * R * (1.0 - R)),
            "tied W: decoder use forgotten": backward_from_dZ(params, X, cache, dZ, tied_decoder_use=False)}
    bug_errors = {}
    for name, bad in bugs.items():
        bad_report = gradcheck.check_gradients(loss, params, bad, max_entries=64, seed=seed)
        bug_errors[name] = gradcheck.max_error(bad_report)
        print(f"bug '{name}': max relative error {bug_errors[name]:.2f} -> caught")
        assert bug_errors[name] > 1e-2
    bad_report = gradcheck.check_gradients(loss, params, bugs["extra r(1-r) in dL/dz"], max_entries=64, seed=seed)

    # %% 5. Figure: every checked entry, backprop against finite differences.
    path = plots.plot_panels([
        {"series": {"dL/dz = (r - x)/B": (report_Z["Z"].numeric, report_Z["Z"].analytic, "o"),
                    "bug: extra r(1-r)": (report_Z["Z"].numeric, cs.to_numpy(dZ * R * (1.0 - R)).reshape(-1), "x")},
         "diagonal": True, "xlabel": "finite difference", "ylabel": "backprop",
         "title": f"dL/dz, all {B * 64} entries (rel. error {err_fd_dZ:.0e})"},
        {"series": {"hand-written dW": (report["W"].numeric, report["W"].analytic, "o"),
                    "bug: extra r(1-r)": (bad_report["W"].numeric, bad_report["W"].analytic, "x")},
         "diagonal": True, "xlabel": "finite difference", "ylabel": "backprop",
         "title": f"dL/dW, 64 sampled entries (rel. error {report['W'].rel_error:.0e})"}],
        os.path.join(out, "backprop_vs_finite_differences.png"))

    headline = (f"reconstruction gradient by hand vs finite differences: max rel error {err_fd:.0e} "
                f"(bugs: extra r(1-r) {bug_errors['extra r(1-r) in dL/dz']:.2f}, "
                f"forgotten decoder use {bug_errors['tied W: decoder use forgotten']:.2f})")
    return {"headline": headline, "figures": [path], "dZ_error": err_fd_dZ, "library_error": err_lib,
            "finite_difference_error": err_fd, "bug_errors": bug_errors}


if __name__ == "__main__":
    run_lesson_cli(main, __doc__)
