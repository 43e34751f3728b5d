"""Each stage of the fused step against its reference twin (CS231n's naive-vs-fast check, stage by stage).

``test_fused.py`` holds the whole step equal to ``network.loss_and_grads``; here every stage is run on
its own in a ``fused.Workspace`` and compared with the reference pair its docstring names, so a
mismatch names its stage: the encoder kernels (``layers.encoder_forward``), s'' and s''' kernels (the
activations' d2, d3), ``contractive_into`` (``penalty.contractive_*``), ``bce_into`` / ``mse_into``
(``losses``), ``exact_into`` / ``stochastic_into`` / ``perturbed_into`` (``hessian``).
"""
import numpy as np
import pytest

from cae_scratch.core import fused, fused_hessian, hessian, inplace, layers, losses, network, penalty
from cae_scratch.core.activations import get_activation

ACTS = ["sigmoid", "tanh", "softplus", "relu", "linear"]
CURVED = ["sigmoid", "tanh", "softplus"]
B, N_V, N_H, C = 5, 9, 6, 3
RTOL = 1e-12


def case(act, hessian_kind="none", gamma=0.0, seed=0):
    """(spec, params, X, eps) with non-zero biases, and a workspace after the step's prologue (encoder, s'')."""
    gen = np.random.default_rng(seed)
    spec = network.Spec(act, "sigmoid", "bce", True, 0.3, hessian_kind, gamma, 0.3, C)
    params = network.init_params(N_V, N_H, spec, np, np.float64, seed=seed)
    params["b_h"] = gen.standard_normal(N_H)
    params["b_r"] = gen.standard_normal(N_V)
    X = gen.random((B, N_V))
    eps = gen.standard_normal((C, B, N_V)) * 0.3 if hessian_kind == "stochastic" else None
    return spec, params, X, eps


def prologue(spec, params, X, eps=None):
    """A workspace as ``fused.step`` leaves it before its loss: H = s(A), D1, (D2, G = s''') filled."""
    ws = fused.Workspace(np, B, N_V, N_H, np.float64, None, tied=spec.tied, hessian=spec.hessian,
                         copies=spec.hessian_copies)
    k = inplace.kernels_for(spec.activation)
    H = ws.AH[(ws.C + 1) * B:, :]
    if ws.C:
        ws.XZ[:B] = X
        fused_hessian.perturbed_into(np, ws.XZ[B:(ws.C + 1) * B], X, eps)
        ws.AH[:(ws.C + 1) * B] = ws.XZ[:(ws.C + 1) * B] @ params["W"].T
        H[...] = ws.AH[:B]
    else:
        H[...] = X @ params["W"].T
    k.encode(np, H, params["b_h"], ws.D1, ws.S)
    if ws.D2 is not None:
        k.second(np, ws.D2, ws.S, H, ws.D1)
        if spec.hessian == "exact" and spec.gamma > 0:
            k.third(np, ws.G, ws.S, H, ws.D1, ws.D2)
    return ws, H, k


@pytest.mark.parametrize("act", ACTS)
def test_encoder_kernels_equal_layers_encoder_forward(act):
    spec, params, X, _ = case(act)
    ws, H, _ = prologue(spec, params, X)
    ref_H, (_, A, _, D1) = layers.encoder_forward(params["W"], params["b_h"], X, get_activation(act))
    np.testing.assert_allclose(H, ref_H, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(ws.D1, D1, rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("act", ACTS)
def test_second_and_third_kernels_equal_the_activations_d2_and_d3(act):
    spec, params, X, _ = case(act, "exact", 0.5)
    ws, H, k = prologue(spec, params, X)
    act_ = get_activation(act)
    _, (_, A, Hr, D1) = layers.encoder_forward(params["W"], params["b_h"], X, act_)
    D2 = act_.d2(A, Hr, D1)
    np.testing.assert_allclose(ws.D2, D2, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(ws.G, act_.d3(A, Hr, D1, D2), rtol=RTOL, atol=1e-15)
    scale = np.linspace(0.5, 2.0, N_H)                    # a row scale, as the penalties pass it
    out = np.empty_like(H)
    k.second(np, out, ws.S, H, ws.D1, scale)
    np.testing.assert_allclose(out, D2 * scale, rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("act", ACTS)
def test_contractive_into_equals_penalty_forward_and_backward(act):
    spec, params, X, _ = case(act)
    ws, H, k = prologue(spec, params, X)
    q = np.sum(params["W"] ** 2, axis=1)
    value, coef = fused.contractive_into(np, q, H, ws.AH[:B], ws, k.second, spec.lam)
    act_ = get_activation(act)
    _, enc = layers.encoder_forward(params["W"], params["b_h"], X, act_)
    P, cache = penalty.contractive_forward(params["W"], enc, act_)
    dA_P, q_path = penalty.contractive_backward(cache)
    dW_q = q_path["W"]
    np.testing.assert_allclose(float(value), float(P), rtol=RTOL)
    np.testing.assert_allclose(ws.S * ws.D1, spec.lam * dA_P, rtol=RTOL, atol=1e-15)   # the share of dA
    np.testing.assert_allclose(coef[:, None] * params["W"], spec.lam * dW_q, rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("loss,dec", [("bce", "sigmoid"), ("mse", "sigmoid"), ("mse", "linear")])
def test_loss_stages_equal_the_losses_pairs(loss, dec):
    spec, params, X, _ = case("sigmoid")
    ws, H, _ = prologue(spec, params, X)
    T = np.random.default_rng(5).random((B, N_V))
    ref_Z, _ = layers.decoder_forward(params["W"].T, params["b_r"], H)
    Z, dZ = H @ params["W"], np.empty((B, N_V))              # the decoder's product; the stage adds b_r
    value = fused.bce_into(np, Z, params["b_r"], T, dZ, ws) if loss == "bce" else \
        fused.mse_into(np, Z, params["b_r"], T, dZ, dec == "sigmoid")
    ref, cache = losses.reconstruction_forward(ref_Z, T, loss, get_activation(dec))
    np.testing.assert_allclose(float(value), float(ref), rtol=RTOL)
    np.testing.assert_allclose(dZ, losses.reconstruction_backward(cache, loss), rtol=RTOL, atol=1e-16)


@pytest.mark.parametrize("act", CURVED)
def test_exact_into_equals_hessian_exact_forward_and_backward(act):
    spec, params, X, _ = case(act, "exact", 0.7)
    ws, H, _ = prologue(spec, params, X)
    q = np.sum(params["W"] ** 2, axis=1)
    value, coef = fused_hessian.exact_into(np, q, H, ws.AH[:B], ws, spec.gamma)
    act_ = get_activation(act)
    _, enc = layers.encoder_forward(params["W"], params["b_h"], X, act_)
    E, cache = hessian.exact_forward(params["W"], enc, act_)
    dA_E, extra = hessian.exact_backward(cache)
    np.testing.assert_allclose(float(value), float(E), rtol=RTOL)
    np.testing.assert_allclose(ws.G, spec.gamma * dA_E, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(coef[:, None] * params["W"], spec.gamma * extra["W"], rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("act", ACTS)
def test_stochastic_into_equals_hessian_stochastic_forward_and_backward(act):
    spec, params, X, eps = case(act, "stochastic", 0.7)
    ws, H, k = prologue(spec, params, X, eps)
    np.testing.assert_array_equal(ws.XZ[B:(C + 1) * B], hessian.perturbed_inputs(X, eps))   # perturbed_into
    q = np.sum(params["W"] ** 2, axis=1)
    value, coef = fused_hessian.stochastic_into(np, q, params["b_h"], ws, k, spec.gamma)
    act_ = get_activation(act)
    _, enc = layers.encoder_forward(params["W"], params["b_h"], X, act_)
    S, cache = hessian.stochastic_forward(params["W"], params["b_h"], enc, eps, act_)
    dA_S, extra = hessian.stochastic_backward(cache)
    np.testing.assert_allclose(float(value), float(S), rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(ws.G, spec.gamma * dA_S, rtol=RTOL, atol=1e-15)
    dAt, Xt = ws.AH[B:(C + 1) * B], ws.XZ[B:(C + 1) * B]      # the copies' rows of the stacked dW product
    np.testing.assert_allclose(dAt.T @ Xt + coef[:, None] * params["W"], spec.gamma * extra["W"], rtol=1e-11,
                               atol=1e-15)
    np.testing.assert_allclose(np.sum(dAt, axis=0), spec.gamma * extra["b_h"], rtol=1e-11, atol=1e-15)


def test_a_stage_test_catches_a_wrong_kernel(monkeypatch):
    """Negative control: a softplus s'' kernel missing its factor (1 - s') fails the d2 comparison."""
    def wrong(xp, out, A, H, D1, scale=1.0):
        out[...] = D1 * scale
    monkeypatch.setitem(inplace.KERNELS, "softplus",
                        inplace.Kernels(inplace.encode_softplus, wrong, inplace.third_softplus))
    with pytest.raises(AssertionError):
        test_second_and_third_kernels_equal_the_activations_d2_and_d3("softplus")
    with pytest.raises(AssertionError):
        test_contractive_into_equals_penalty_forward_and_backward("softplus")
