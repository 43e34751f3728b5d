"""tangentprop: every gradient equals central differences, every negative control is rejected, on every backend."""
import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import backend
from cae_scratch.core import forward_mode, layers, losses, tangentprop as tp
from cae_scratch.core.activations import get_activation
from _helpers import assert_close, model_kwargs

SMOOTH = ["sigmoid", "tanh", "softplus"]
BETA = 0.7


def problem(backend_name="numpy", B=5, n_visible=6, n_hidden=4, n_classes=3, k=2, seed=0, dtype="float64"):
    """Random params, X, one-hot Y and tangents U, drawn on the host and moved to ``backend_name``."""
    gen = np.random.default_rng(seed)
    host = {"W": gen.standard_normal((n_hidden, n_visible)), "b_h": gen.standard_normal(n_hidden),
            "V": gen.standard_normal((n_classes, n_hidden)), "c": gen.standard_normal(n_classes)}
    X, U = gen.random((B, n_visible)), gen.standard_normal((B, k, n_visible))
    Y = np.eye(n_classes)[gen.integers(0, n_classes, B)]
    kw = model_kwargs(backend_name)
    xp = backend.get_namespace(kw["backend"])
    move = lambda a: backend.asarray(a, xp, dtype, kw.get("device"))
    return {k_: move(v) for k_, v in host.items()}, move(X), move(Y), move(U), xp


def total(act, X, Y, U, beta=BETA):
    return lambda p: float(tp.loss_terms(p, X, Y, act, beta, U)["total"])


@pytest.mark.parametrize("with_tangents", [False, True], ids=["mlp", "tangentprop"])
@pytest.mark.parametrize("activation", SMOOTH)
def test_gradients_equal_central_differences(backend_name, activation, with_tangents):
    params, X, Y, U, xp = problem(backend_name)
    U = U if with_tangents else None
    act = get_activation(activation)
    terms, grads = tp.loss_and_grads(params, X, Y, act, BETA, U)
    for g in grads.values():
        assert backend.backend_name(backend.namespace(g)) == backend.backend_name(xp)
    report = cs.check_gradients(total(act, X, Y, U), params, grads, h=1e-6)
    cs.assert_gradients_close(report, tol=1e-7)
    assert float(terms["total"]) == pytest.approx(float(tp.loss_terms(params, X, Y, act, BETA, U)["total"]), rel=1e-14)


@pytest.mark.parametrize("activation", SMOOTH)
def test_the_penalty_alone_passes_the_check(activation):
    """CE and the tangent term checked separately: beta * P is the difference of two checked totals."""
    params, X, Y, U, _ = problem(seed=3)
    act = get_activation(activation)
    _, g1 = tp.loss_and_grads(params, X, Y, act, 1.0, U)
    _, g0 = tp.loss_and_grads(params, X, Y, act, 0.0, U)
    grads_P = {k: g1[k] - g0[k] for k in g1}
    report = cs.check_gradients(lambda p: float(tp.loss_terms(p, X, Y, act, 1.0, U)["tangent"]), params, grads_P)
    cs.assert_gradients_close(report, tol=1e-7)


@pytest.mark.parametrize("activation", SMOOTH)
def test_penalty_equals_finite_differences_of_the_logits_along_each_tangent(activation):
    """Z_bi = (d o_b / d x) u_bi, the closed form V (s'(a) * (W u)), against (o(x + h u) - o(x - h u)) / 2h."""
    params, X, Y, U, _ = problem(seed=1)
    act = get_activation(activation)
    logits = lambda Xs: layers.decoder_forward(params["V"], params["c"],
                                               layers.encoder_forward(params["W"], params["b_h"], Xs, act)[0])[0]
    h = 1e-6
    Z_fd = np.stack([(logits(X + h * U[:, i, :]) - logits(X - h * U[:, i, :])) / (2 * h) for i in range(U.shape[1])], axis=1)
    _, enc = layers.encoder_forward(params["W"], params["b_h"], X, act)
    T, _ = forward_mode.tangents_forward([params["W"]], [enc], U)
    Z = tp.tangent_logits_forward(params["V"], T)
    np.testing.assert_allclose(Z, Z_fd, rtol=1e-7, atol=1e-9)
    P_explicit = np.mean(np.sum(Z_fd ** 2, axis=(1, 2)))
    assert float(tp.loss_terms(params, X, Y, act, BETA, U)["tangent"]) == pytest.approx(P_explicit, rel=1e-7)


def wrong_gradients(bug, params, X, Y, U, act, beta=BETA):
    """The correct backward with one known mistake, built from the module's own pieces."""
    W, V = params["W"], params["V"]
    S, (_, A, _, D1) = layers.encoder_forward(W, params["b_h"], X, act)
    O, dec = layers.decoder_forward(V, params["c"], S)
    _, ce_cache = losses.cross_entropy_forward(O, Y)
    dS, out = layers.decoder_backward(losses.cross_entropy_backward(ce_cache), dec)
    dV, dc = out["W_r"], out["b_r"]
    T, tan_cache = forward_mode.tangents_forward([W], [(X, A, S, D1)], U)
    Z = tp.tangent_logits_forward(V, T)
    scale = beta / 2.0 if bug == "missing factor 2" else beta
    if bug == "penalty without V":                     # ||s'(a) * (W u)||^2: the code's derivative, not the logits'
        dV_t, dT = 0.0 * dV, tp.squared_norm_backward(T, beta)
    else:
        dT, v_path = tp.tangent_logits_backward(tp.squared_norm_backward(Z, scale), V, T)
        dV_t = v_path["V"]
    (dA_t,), (dW_u,) = forward_mode.tangents_backward(dT, [W], [(X, A, S, D1)], tan_cache, [act])
    if bug == "drop the s'' path":
        dA_t = 0.0 * dA_t
    if bug == "drop the W u path":
        dW_u = 0.0 * dW_u
    _, enc = layers.encoder_backward(dS, (X, A, S, D1), dA_extra=dA_t)
    return {"W": enc["W"] + dW_u, "b_h": enc["b_h"], "V": dV + dV_t, "c": dc}


@pytest.mark.parametrize("bug", ["drop the W u path", "drop the s'' path", "missing factor 2", "penalty without V"])
@pytest.mark.parametrize("activation", SMOOTH)
def test_the_checker_rejects_each_known_mistake(activation, bug):
    params, X, Y, U, _ = problem(seed=2)
    act = get_activation(activation)
    f = total(act, X, Y, U)
    right = cs.check_gradients(f, params, wrong_gradients("none", params, X, Y, U, act))
    cs.assert_gradients_close(right, tol=1e-7)                 # the harness itself is right ...
    report = cs.check_gradients(f, params, wrong_gradients(bug, params, X, Y, U, act))
    assert cs.gradcheck.max_error(report) > 1e-4               # ... and each mistake is far outside the tolerance
    with pytest.raises(AssertionError, match="relative error"):
        cs.assert_gradients_close(report)


def test_without_tangents_the_loss_is_the_cross_entropy_of_a_plain_mlp():
    params, X, Y, U, _ = problem(seed=4)
    act = get_activation("sigmoid")
    plain, with_U = tp.loss_terms(params, X, Y, act, BETA, None), tp.loss_terms(params, X, Y, act, BETA, U)
    O = 1.0 / (1.0 + np.exp(-(X @ params["W"].T + params["b_h"]))) @ params["V"].T + params["c"]
    ce = np.mean(-np.log(np.sum(Y * np.exp(O), axis=1) / np.sum(np.exp(O), axis=1)))
    assert float(plain["total"]) == pytest.approx(ce, rel=1e-13)
    assert float(plain["tangent"]) == 0.0
    assert float(with_U["total"]) == pytest.approx(ce + BETA * float(with_U["tangent"]), rel=1e-13)
    _, g_plain = tp.loss_and_grads(params, X, Y, act, BETA, None)
    _, g_beta0 = tp.loss_and_grads(params, X, Y, act, 0.0, U)
    for k in g_plain:
        np.testing.assert_allclose(g_plain[k], g_beta0[k], rtol=1e-12, atol=1e-15)


def test_cross_entropy_is_stable_for_huge_logits():
    O = np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0]])
    Y = np.eye(3)[[0, 2]]
    ce, cache = losses.cross_entropy_forward(O, Y)
    assert float(ce) == pytest.approx(np.log(3.0) / 2, rel=1e-14)
    assert np.all(np.isfinite(losses.cross_entropy_backward(cache)))


def test_float32_stays_float32_and_matches_float64():
    p64, X64, Y64, U64, _ = problem()
    p32, X32, Y32, U32, _ = problem(dtype="float32")
    act = get_activation("tanh")
    t32, g32 = tp.loss_and_grads(p32, X32, Y32, act, BETA, U32)
    t64, g64 = tp.loss_and_grads(p64, X64, Y64, act, BETA, U64)
    assert all(g.dtype == np.float32 for g in g32.values()) and t32["total"].dtype == np.float32
    for k in g32:
        np.testing.assert_allclose(g32[k], g64[k], rtol=1e-4, atol=1e-5)


def test_every_backend_equals_numpy(backend_name):
    ref = tp.loss_and_grads(*problem()[:2], problem()[2], get_activation("softplus"), BETA, problem()[3])
    params, X, Y, U, xp = problem(backend_name)
    terms, grads = tp.loss_and_grads(params, X, Y, get_activation("softplus"), BETA, U)
    assert float(terms["total"]) == pytest.approx(float(ref[0]["total"]), rel=1e-12)
    for k in grads:
        assert_close(grads[k], ref[1][k], rtol=1e-10, atol=1e-14, xp=xp, dtype="float64")
