"""Forward mode through a deep encoder, the unrolled stack's probe penalty and the deep tangent classifier,
against explicit computations: J_stack built as the product of the layers' Jacobians, the one-layer
``tangentprop`` as the special case, and finite differences for every gradient, with negative controls."""
from __future__ import annotations

import numpy as np
import pytest

from cae_scratch.core import deep, forward_mode, network, tangentprop
from cae_scratch.core.activations import get_activation

ACTS = ["sigmoid", "tanh", "softplus"]


def explicit_J(Ws, bs, X, acts):
    """J_stack(x_n) = J_L ... J_1 per example by explicit products: (B, n_L, n_0)."""
    out = []
    for x in X:
        h, J = x, np.eye(len(x))
        for W, b, act in zip(Ws, bs, acts):
            a = W @ h + b
            h = act.f(a)
            J = act.d1(a, h)[:, None] * (W @ J)
        out.append(J)
    return np.array(out)


def stack_params(sizes, seed):
    rng = np.random.default_rng(seed)
    p = {}
    for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        p[f"layer{l}_W"] = rng.normal(0, 1.2 / np.sqrt(n_in), size=(n_out, n_in))
        p[f"layer{l}_b_h"] = rng.normal(0, 0.3, size=n_out)
        p[f"layer{l}_b_r"] = rng.normal(0, 0.3, size=n_in)
    return p


def fd_check(f, params, grads, h=1e-5):
    worst = 0.0
    for name, P in params.items():
        fd = np.zeros_like(P)
        for i in np.ndindex(P.shape):
            old = P[i]
            P[i] = old + h
            up = f()
            P[i] = old - h
            down = f()
            P[i] = old
            fd[i] = (up - down) / (2 * h)
        worst = max(worst, np.max(np.abs(fd - grads[name])) / max(1e-12, np.max(np.abs(fd) + np.abs(grads[name]))))
    return worst


@pytest.mark.parametrize("sizes", [[6, 5, 4], [7, 5, 6, 3]])
@pytest.mark.parametrize("act", ACTS)
def test_tangent_propagation_equals_the_explicit_jacobian_product(sizes, act):
    p = stack_params(sizes, 0)
    L = len(sizes) - 1
    acts = [get_activation(act)] * L
    Ws, bs = [p[f"layer{l}_W"] for l in range(L)], [p[f"layer{l}_b_h"] for l in range(L)]
    rng = np.random.default_rng(1)
    X, U = rng.uniform(size=(4, sizes[0])), rng.normal(size=(4, 3, sizes[0]))
    _, enc = deep.encoder_forward(Ws, bs, X, acts)
    T, _ = forward_mode.tangents_forward(Ws, enc, U)
    J = explicit_J(Ws, bs, X, acts)
    np.testing.assert_allclose(T, np.einsum("nij,nkj->nki", J, U), rtol=1e-12, atol=1e-14)
    P_hat = float(forward_mode.probe_penalty_forward(T))
    explicit = np.mean([np.mean([np.sum((J[n] @ U[n, i]) ** 2) for i in range(3)]) for n in range(4)])
    assert P_hat == pytest.approx(explicit, rel=1e-12)


def test_the_probe_estimate_is_unbiased():
    """E_u ||J u||^2 = ||J||_F^2 for Rademacher probes: the mean over all 2^n sign vectors is exact."""
    sizes = [5, 4, 3]
    p, acts = stack_params(sizes, 2), [get_activation("sigmoid")] * 2
    Ws, bs = [p["layer0_W"], p["layer1_W"]], [p["layer0_b_h"], p["layer1_b_h"]]
    X = np.random.default_rng(3).uniform(size=(2, 5))
    signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * 5, indexing="ij")).reshape(5, -1).T      # all 32
    _, enc = deep.encoder_forward(Ws, bs, X, acts)
    T, _ = forward_mode.tangents_forward(Ws, enc, np.broadcast_to(signs, (2, 32, 5)).copy())
    J = explicit_J(Ws, bs, X, acts)
    assert float(forward_mode.probe_penalty_forward(T)) == pytest.approx(np.mean(np.sum(J * J, axis=(1, 2))), rel=1e-12)


@pytest.mark.parametrize("sizes", [[6, 5, 4], [5, 4, 4, 3]])
@pytest.mark.parametrize("act", ACTS)
def test_the_deep_autoencoder_step_passes_finite_differences(sizes, act):
    L = len(sizes) - 1
    loss, dec = ("bce", "sigmoid") if act == "sigmoid" else ("mse", "linear")
    specs = [network.Spec(activation=act, decoder_activation=dec, loss=loss)] + \
            [network.Spec(activation=act, decoder_activation="sigmoid" if act == "sigmoid" else "linear",
                          loss="mse")] * (L - 1)
    p = stack_params(sizes, 4)
    rng = np.random.default_rng(5)
    X, U = rng.uniform(0.05, 0.95, size=(3, sizes[0])), rng.choice([-1.0, 1.0], size=(3, 2, sizes[0]))
    terms, grads = deep.autoencoder_loss_and_grads(p, X, specs, U, lam=0.7)
    f = lambda: float(deep.autoencoder_loss_and_grads(p, X, specs, U, lam=0.7)[0]["total"])
    assert fd_check(f, p, grads) < 1e-7
    # the value: reconstruction of the unrolled net + lam * the explicit probe penalty
    acts = [get_activation(act)] * L
    Ws, bs = [p[f"layer{l}_W"] for l in range(L)], [p[f"layer{l}_b_h"] for l in range(L)]
    J = explicit_J(Ws, bs, X, acts)
    P = np.mean(np.sum(np.einsum("nij,nkj->nki", J, U) ** 2, axis=2))
    assert float(terms["contractive"]) == pytest.approx(P, rel=1e-12)


def test_a_backward_without_the_s_second_path_is_rejected(monkeypatch):
    sizes, specs = [5, 4, 3], [network.Spec()] * 2
    p = stack_params(sizes, 6)
    rng = np.random.default_rng(7)
    X, U = rng.uniform(0.05, 0.95, size=(3, 5)), rng.normal(size=(3, 2, 5))
    real = forward_mode.tangents_backward

    def no_s2_path(*args):
        dA, dW = real(*args)
        return [0.0 * a for a in dA], dW
    monkeypatch.setattr(forward_mode, "tangents_backward", no_s2_path)
    _, grads = deep.autoencoder_loss_and_grads(p, X, specs, U, lam=1.0)
    f = lambda: float(deep.autoencoder_loss_and_grads(p, X, specs, U, lam=1.0)[0]["total"])
    assert fd_check(f, p, grads) > 1e-4


def test_one_layer_is_the_one_layer_formula():
    """With one hidden layer the recursion is G = U W^T, T = s'(A) G, Z = T V^T: compare with that, written out."""
    rng = np.random.default_rng(8)
    params = {"W": rng.normal(size=(4, 6)), "b_h": rng.normal(size=4), "V": rng.normal(size=(3, 4)),
              "c": rng.normal(size=3)}
    X, U, Y = rng.uniform(size=(5, 6)), rng.normal(size=(5, 2, 6)), np.eye(3)[rng.integers(0, 3, 5)]
    act = get_activation("tanh")
    A = X @ params["W"].T + params["b_h"]
    Z = np.einsum("nki,ci->nkc", act.d1(A, act.f(A))[:, None, :] * (U @ params["W"].T), params["V"])
    terms, grads = tangentprop.loss_and_grads(params, X, Y, act, 0.3, U)
    assert float(terms["tangent"]) == pytest.approx(np.sum(Z * Z) / 5, rel=1e-12)
    f = lambda: float(tangentprop.loss_and_grads(params, X, Y, act, 0.3, U)[0]["total"])
    assert fd_check(f, params, grads) < 1e-7


@pytest.mark.parametrize("act", ACTS)
def test_the_deep_classifier_passes_finite_differences(act):
    rng = np.random.default_rng(9)
    params = {"W": rng.normal(0, 0.5, size=(5, 6)), "b_h": rng.normal(size=5), "W_2": rng.normal(0, 0.5, size=(4, 5)),
              "b_h_2": rng.normal(size=4), "W_3": rng.normal(0, 0.5, size=(4, 4)), "b_h_3": rng.normal(size=4),
              "V": rng.normal(size=(3, 4)), "c": rng.normal(size=3)}
    X, U, Y = rng.uniform(size=(4, 6)), rng.normal(size=(4, 2, 6)), np.eye(3)[rng.integers(0, 3, 4)]
    acts = [get_activation(act)] * 3
    terms, grads = tangentprop.loss_and_grads(params, X, Y, acts, 0.5, U)
    f = lambda: float(tangentprop.loss_and_grads(params, X, Y, acts, 0.5, U)[0]["total"])
    assert fd_check(f, params, grads) < 1e-7
    # the tangent term equals ||V J_stack u||^2 with J_stack built explicitly
    J = explicit_J([params["W"], params["W_2"], params["W_3"]], [params["b_h"], params["b_h_2"], params["b_h_3"]],
                   X, acts)
    Z = np.einsum("ci,nij,nkj->nkc", params["V"], J, U)
    assert float(terms["tangent"]) == pytest.approx(np.sum(Z * Z) / 4, rel=1e-12)
    assert fd_check(f, params, grads) < 1e-7


def test_every_backend_equals_numpy(xp):
    from _helpers import assert_close, on
    sizes, specs = [5, 4, 3], [network.Spec()] * 2
    p = stack_params(sizes, 10)
    rng = np.random.default_rng(11)
    X, U = rng.uniform(0.05, 0.95, size=(3, 5)), rng.normal(size=(3, 2, 5))
    terms, grads = deep.autoencoder_loss_and_grads(p, X, specs, U, lam=0.5)
    t_x, g_x = deep.autoencoder_loss_and_grads({k: on(xp, v) for k, v in p.items()}, on(xp, X), specs,
                                               on(xp, U), lam=0.5)
    assert float(t_x["total"]) == pytest.approx(float(terms["total"]), rel=1e-12)
    for k in grads:
        assert_close(g_x[k], grads[k], rtol=1e-10, atol=1e-14, xp=xp[0])
