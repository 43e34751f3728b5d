"""The gradient checker itself: it passes correct gradients and rejects the known public CAE bugs."""
import dataclasses
import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import gradcheck
from cae_scratch.core import layers, network, penalty
from cae_scratch.core.activations import get_activation, sigmoid

B, N_V, N_H = 5, 7, 6


def setup(activation="sigmoid", seed=0):
    model = cs.ContractiveAutoencoder(N_V, N_H, activation=activation, seed=seed, lam=0.5)
    X = np.random.default_rng(seed + 10).random((B, N_V))
    return model, X


def penalty_value(params, X, act):
    _, enc = layers.encoder_forward(params["W"], params["b_h"], X, act)
    return float(penalty.contractive_forward(params["W"], enc, act)[0])


# ---- the known bugs, each written as a gradient of the penalty alone --------------------------
def buggy_penalty_grads(bug, params, X, act):
    W, b_h = params["W"], params["b_h"]
    A = X @ W.T + b_h
    H = act.f(A)
    D1, D2 = act.d1(A, H), act.d2(A, H, act.d1(A, H))
    if bug == "sigmoid_derivative_for_other_activation":
        S = sigmoid(A)
        D1, D2 = S * (1 - S), S * (1 - S) * (1 - 2 * S)
    q = np.sum(W ** 2, axis=1)
    dA = 2 / B * D1 * D2 * q
    dW_q = 2 * np.mean(D1 ** 2, axis=0)[:, None] * W
    if bug == "missing_factor_2":
        dA, dW_q = dA / 2, dW_q / 2
    elif bug == "stale_W_no_q_path":
        dW_q = 0 * W
    elif bug == "sum_not_mean_over_batch":
        dA, dW_q = dA * B, dW_q * B
    elif bug == "weights_summed_then_squared":
        s = np.sum(W, axis=1)
        dA = 2 / B * D1 * D2 * s ** 2
        dW_q = 2 * np.mean(D1 ** 2, axis=0)[:, None] * s[:, None] * np.ones_like(W)
    elif bug == "jT1_mistaken_for_J":                       # gradient of mean_b ||J^T 1||^2
        V = D1 @ W                                          # (B, n_visible): J^T 1 per example
        dV = 2 * V / B
        dA = (dV @ W.T) * D2
        dW_q = D1.T @ dV
    return {"W": dA.T @ X + dW_q, "b_h": np.sum(dA, axis=0)}


BUGS = ["missing_factor_2", "stale_W_no_q_path", "sum_not_mean_over_batch",
        "weights_summed_then_squared", "jT1_mistaken_for_J"]


@pytest.mark.parametrize("bug", BUGS)
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softplus"])
def test_checker_rejects_known_penalty_bugs(bug, activation):
    model, X = setup(activation)
    act = get_activation(activation)
    f = lambda p: penalty_value(p, X, act)
    good = gradcheck.check_gradients(f, model.params, buggy_penalty_grads(None, model.params, X, act))
    gradcheck.assert_gradients_close(good)               # the same code without the bug passes
    bad = gradcheck.check_gradients(f, model.params, buggy_penalty_grads(bug, model.params, X, act))
    assert gradcheck.max_error(bad) > 1e-3
    with pytest.raises(AssertionError, match="relative error"):
        gradcheck.assert_gradients_close(bad)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_checker_rejects_sigmoid_derivative_on_other_encoders(activation):
    model, X = setup(activation, seed=1)
    act = get_activation(activation)
    f = lambda p: penalty_value(p, X, act)
    bad = gradcheck.check_gradients(f, model.params, buggy_penalty_grads(
        "sigmoid_derivative_for_other_activation", model.params, X, act))
    assert gradcheck.max_error(bad) > 1e-2


def test_missing_factor_2_gives_error_one_third():
    """(g - g/2) / (g + g/2) = 1/3: the signature the exercises' hints look for."""
    model, X = setup()
    act = get_activation("sigmoid")
    bad = gradcheck.check_gradients(lambda p: penalty_value(p, X, act), model.params,
                                    buggy_penalty_grads("missing_factor_2", model.params, X, act))
    for r in bad.values():
        assert abs(r.rel_error - 1 / 3) < 1e-6


def test_checker_rejects_penalty_averaged_differently_in_loss_and_gradient():
    """Loss uses the mean over examples, gradient the mean over examples *and* units."""
    model, X = setup()
    _, grads = network.loss_and_grads(model.params, X, model.spec)
    _, rec = network.loss_and_grads(model.params, X, dataclasses.replace(model.spec, lam=0.0))
    _, pen = penalty.penalty_and_grads(model.params["W"], model.params["b_h"], X, get_activation("sigmoid"))
    wrong = {k: rec[k] + model.lam * pen.get(k, 0.0) / N_H for k in rec}
    f = lambda p: float(network.loss_terms(p, X, model.spec)["total"])
    gradcheck.assert_gradients_close(gradcheck.check_gradients(f, model.params, grads))
    assert gradcheck.max_error(gradcheck.check_gradients(f, model.params, wrong)) > 1e-4


def test_checker_rejects_extra_sigmoid_factor_in_bce_backward():
    """dL/dz = r - x for bce on a sigmoid; multiplying by r(1-r) again is a classic slip."""
    model, X = setup()
    spec = dataclasses.replace(model.spec, lam=0.0)
    W = model.params["W"]
    H, (_, _, _, D1) = layers.encoder_forward(W, model.params["b_h"], X, get_activation("sigmoid"))
    R = model.reconstruct(X)
    dZ = (R - X) * R * (1 - R) / B
    dA = (dZ @ W.T) * D1
    wrong = {"W": dA.T @ X + H.T @ dZ, "b_h": dA.sum(0), "b_r": dZ.sum(0)}
    f = lambda p: float(network.loss_terms(p, X, spec)["reconstruction"])
    assert gradcheck.max_error(gradcheck.check_gradients(f, model.params, wrong)) > 1e-2


def test_directional_check_passes_right_and_rejects_wrong():
    model, X = setup()
    f = lambda p: network.loss_terms(p, X, model.spec)["total"]
    _, grads = network.loss_and_grads(model.params, X, model.spec)
    assert gradcheck.directional_check(f, model.params, grads) < 1e-8
    wrong = dict(grads, W=grads["W"] * 1.01)
    assert gradcheck.directional_check(f, model.params, wrong) > 1e-4


def test_rel_error_definition():
    a, b = np.array([1.0, -2.0, 0.0]), np.array([1.0, -2.5, 1e-3])
    assert gradcheck.rel_error(a, b) == pytest.approx(0.5 / 4.5)
    assert gradcheck.rel_error(np.zeros(3), np.zeros(3)) == 0.0


def test_checker_does_not_mutate_params_and_samples_large_tensors():
    model = cs.ContractiveAutoencoder(30, 20, seed=2)
    X = np.random.default_rng(0).random((3, 30))
    before = {k: v.copy() for k, v in model.params.items()}
    report = cs.check_model_gradients(model, X, max_entries=25, seed=4)
    for k in before:
        np.testing.assert_array_equal(model.params[k], before[k])
    assert report["W"].n_checked == 25 and report["W"].n_total == 600
    assert report["b_h"].n_checked == 20                 # small tensors: every entry
    again = cs.check_model_gradients(model, X, max_entries=25, seed=4)
    np.testing.assert_array_equal(again["W"].numeric, report["W"].numeric)


def test_failure_message_names_parameter_index_and_error():
    model, X = setup()
    _, grads = network.loss_and_grads(model.params, X, model.spec)
    grads = dict(grads, b_r=grads["b_r"].copy())
    grads["b_r"][3] += 1.0
    f = lambda p: network.loss_terms(p, X, model.spec)["total"]
    report = gradcheck.check_gradients(f, model.params, grads)
    assert report["b_r"].worst_index == (3,)
    with pytest.raises(AssertionError, match=r"b_r: relative error .*worst entry \(3,\)"):
        gradcheck.assert_gradients_close(report)
    assert "FAIL" in gradcheck.format_report(report) and "pass" in gradcheck.format_report(report)


def test_unknown_term_is_rejected():
    model, X = setup()
    with pytest.raises(ValueError, match="choose"):
        cs.check_model_gradients(model, X, term="penalty")


def test_model_wide_check_784_by_1000_sigmoid():
    """The issue's acceptance check: a full-size sigmoid CAE, float64, sampled entries."""
    model = cs.ContractiveAutoencoder(784, 1000, lam=0.1, seed=0)
    X = np.random.default_rng(0).random((8, 784))
    report = cs.check_model_gradients(model, X, max_entries=24, h=1e-5)
    cs.assert_gradients_close(report, tol=1e-7)
    f = lambda p: network.loss_terms(p, X, model.spec)["total"]
    assert gradcheck.directional_check(f, model.params, model.loss_and_grads(X)[1], h=1e-5) < 1e-7
