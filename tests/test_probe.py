"""The linear probe: gradients proved by finite differences, training, backends, bad input."""
import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import backend, probe
from _helpers import assert_close, model_kwargs


def problem(B=7, n_features=5, n_classes=3, seed=0):
    gen = np.random.default_rng(seed)
    X, y = gen.standard_normal((B, n_features)), gen.integers(0, n_classes, B)
    params = {"V": gen.standard_normal((n_classes, n_features)), "c": gen.standard_normal(n_classes)}
    return params, X, probe.one_hot(y, n_classes, backend.get_namespace("numpy"), np.float64)


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_probe_gradients_pass_the_gradient_check(l2):
    params, X, Y = problem()
    _, grads = probe.probe_loss_and_grads(params, X, Y, l2)
    report = cs.check_gradients(lambda p: float(probe.probe_loss_and_grads(p, X, Y, l2)[0]), params, grads)
    cs.assert_gradients_close(report, tol=1e-8)


@pytest.mark.parametrize("bug", ["no 1/B", "no l2 term", "P instead of P - Y"])
def test_the_checker_rejects_a_wrong_probe_gradient(bug):
    params, X, Y = problem()
    l2 = 0.3
    _, grads = probe.probe_loss_and_grads(params, X, Y, l2)
    B = X.shape[0]
    P = np.exp(probe.log_softmax(X @ params["V"].T + params["c"]))
    rec_V = grads["V"] - l2 * params["V"]                         # the cross-entropy part of dV
    wrong = {"no 1/B": {"V": B * rec_V + l2 * params["V"], "c": B * grads["c"]},
             "no l2 term": {"V": grads["V"] - l2 * params["V"], "c": grads["c"]},
             "P instead of P - Y": {"V": P.T @ X / B + l2 * params["V"], "c": P.sum(0) / B}}[bug]
    report = cs.check_gradients(lambda p: float(probe.probe_loss_and_grads(p, X, Y, l2)[0]), params, wrong)
    with pytest.raises(AssertionError, match="relative error"):
        cs.assert_gradients_close(report)


def test_log_softmax_is_stable_and_exact():
    Z = np.array([[1e4, 0.0, -1e4], [0.1, 0.2, 0.3]])
    out = probe.log_softmax(Z)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[0], [0.0, -1e4, -2e4])
    np.testing.assert_allclose(out[1], np.log(np.exp(Z[1]) / np.exp(Z[1]).sum()), rtol=1e-14)


def test_probe_separates_separable_data_and_reads_digits(digits):
    gen = np.random.default_rng(1)
    centres = 4.0 * gen.standard_normal((3, 4))
    y = np.repeat(np.arange(3), 30)
    X = centres[y] + 0.3 * gen.standard_normal((90, 4))
    assert probe.train_probe(X, y, epochs=30).error(X, y) == 0.0
    from cae_scratch import data
    Xtr, ytr, Xte, yte = data.load_digits(test_fraction=0.25, seed=0)
    assert probe.train_probe(Xtr, ytr, l2=1e-2, epochs=30).error(Xte, yte) < 0.08


def test_every_backend_trains_the_same_probe(backend_name):
    gen = np.random.default_rng(2)
    host, y = gen.random((40, 6)), gen.integers(0, 3, 40)
    ref = probe.train_probe(host, y, epochs=5, batch_size=16, seed=4)
    xp = backend.get_namespace(model_kwargs(backend_name)["backend"])
    X = backend.asarray(host, xp, "float64", model_kwargs(backend_name).get("device"))
    got = probe.train_probe(X, y, epochs=5, batch_size=16, seed=4)
    for k in ("V", "c"):
        assert_close(got.params[k], ref.params[k], rtol=1e-9, atol=1e-12, xp=xp)
    np.testing.assert_array_equal(got.predict(X), ref.predict(host))


def test_bad_inputs_say_what_to_do():
    X, y = np.random.default_rng(0).random((6, 3)), np.array([0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError, match="one label per row"):
        probe.train_probe(X, y[:5])
    with pytest.raises(ValueError, match="integer class labels"):
        probe.train_probe(X, y.astype(float))
    with pytest.raises(ValueError, match="integer class labels"):
        probe.train_probe(X, y - 1)
    with pytest.raises(ValueError, match="out of range"):
        probe.train_probe(X, y, n_classes=2)
    with pytest.raises(ValueError, match="2-D"):
        probe.train_probe(X[0], y[:1])
    with pytest.raises(ValueError, match="NaN"):
        probe.train_probe(np.full((6, 3), np.nan), y)
    with pytest.raises(ValueError, match="l2"):
        probe.train_probe(X, y, l2=-1.0)
    clf = probe.train_probe(X, y, epochs=1)
    with pytest.raises(ValueError, match="columns"):
        clf.predict(X[:, :2])


def probe_objective(clf, X, y, l2):
    """(objective, gradient) of the probe's problem at its own parameters, recomputed from the definition."""
    Xs = (X - clf.mean) / clf.scale
    loss, g = probe.probe_loss_and_grads(clf.params, Xs, np.eye(clf.n_classes)[y], l2)
    return float(loss), g


def test_the_probe_converges_to_the_minimum_a_reference_solver_finds(digits):
    """Same standardised features, same objective: full-batch L-BFGS from SciPy is the converged reference."""
    optimize = pytest.importorskip("scipy.optimize")
    from threadpoolctl import threadpool_limits      # SciPy's second OpenBLAS pool makes small products ~50x slower
    from cae_scratch import data
    X, y, _, _ = data.load_digits(test_fraction=0.5, seed=0)
    l2 = 1e-2
    with threadpool_limits(1):
        check_against_reference(optimize, X, y, l2)


def check_against_reference(optimize, X, y, l2):
    clf = probe.train_probe(X, y, l2=l2, gtol=1e-7)
    Xs, Y, n = (X - clf.mean) / clf.scale, np.eye(10)[y], X.shape[1]

    def f(theta):
        loss, g = probe.probe_loss_and_grads({"V": theta[:10 * n].reshape(10, n), "c": theta[10 * n:]}, Xs, Y, l2)
        return float(loss), np.concatenate([g["V"].ravel(), g["c"]])
    ref = optimize.minimize(f, np.zeros(10 * n + 10), jac=True, method="L-BFGS-B",
                            options={"maxiter": 5000, "gtol": 1e-9, "ftol": 0.0})
    loss, g = probe_objective(clf, X, y, l2)
    assert clf.converged and max(np.abs(g["V"]).max(), np.abs(g["c"]).max()) <= 1e-7
    assert loss == pytest.approx(ref.fun, rel=1e-9)
    np.testing.assert_allclose(clf.params["V"], ref.x[:10 * n].reshape(10, n), atol=1e-4)   # strongly convex: one minimum
    adam = probe.train_probe(X, y, l2=l2, solver="adam", epochs=60)
    assert adam.converged is None and probe_objective(adam, X, y, l2)[0] >= ref.fun - 1e-9


def test_lbfgs_finds_the_closed_form_minimum_of_a_quadratic():
    from cae_scratch import lbfgs
    gen = np.random.default_rng(0)
    M = gen.standard_normal((8, 8))
    A, b = M @ M.T + 0.1 * np.eye(8), gen.standard_normal(8)            # f = x.A.x / 2 - b.x, minimum A^-1 b
    result = lbfgs.minimize(lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b), np.zeros(8), gtol=1e-8)
    assert result.converged and result.grad_max <= 1e-8
    np.testing.assert_allclose(result.x, np.linalg.solve(A, b), rtol=1e-8)
    capped = lbfgs.minimize(lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b), np.zeros(8), gtol=1e-10, max_iter=2)
    assert not capped.converged and capped.n_iter == 2


def test_unknown_solver_is_refused():
    X, y = np.random.default_rng(0).random((6, 3)), np.array([0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError, match="solver"):
        probe.train_probe(X, y, solver="newton")
