"""The linear probe: gradients proved by finite differences, training, backends, bad input."""
import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import backend, probe, validation
from cae_scratch.core import losses
from _helpers import assert_close, model_kwargs


def problem(B=7, n_features=5, n_classes=3, seed=0):
    gen = np.random.default_rng(seed)
    X, y = gen.standard_normal((B, n_features)), gen.integers(0, n_classes, B)
    params = {"V": gen.standard_normal((n_classes, n_features)), "c": gen.standard_normal(n_classes)}
    return params, X, validation.one_hot(y, len(y), n_classes, backend.get_namespace("numpy"), np.float64)


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
    P = np.exp(losses.log_softmax(X @ params["V"].T + params["c"]))
    rec_V = grads["V"] - l2 * params["V"]                         # the cross-entropy part of dV
    wrong = {"no 1/B": {"V": B * rec_V + l2 * params["V"], "c": B * grads["c"]},
             "no l2 term": {"V": grads["V"] - l2 * params["V"], "c": grads["c"]},
             "P instead of P - Y": {"V": P.T @ X / B + l2 * params["V"], "c": P.sum(0) / B}}[bug]
    report = cs.check_gradients(lambda p: float(probe.probe_loss_and_grads(p, X, Y, l2)[0]), params, wrong)
    with pytest.raises(AssertionError, match="relative error"):
        cs.assert_gradients_close(report)


def test_log_softmax_is_stable_and_exact():
    Z = np.array([[1e4, 0.0, -1e4], [0.1, 0.2, 0.3]])
    out = losses.log_softmax(Z)
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
    Xs = clf.standardise(X)
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
    Xs, Y, n = clf.standardise(X), np.eye(10)[y], X.shape[1]

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
    calls = []
    result = lbfgs.minimize(lambda x: calls.append(1) or (0.5 * x @ A @ x - b @ x, A @ x - b), np.zeros(8), gtol=1e-8)
    assert result.converged and result.grad_max <= 1e-8 and result.stop == "max |grad| <= gtol"
    assert result.n_evals == len(calls) >= result.n_iter
    np.testing.assert_allclose(result.x, np.linalg.solve(A, b), rtol=1e-8)
    capped = lbfgs.minimize(lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b), np.zeros(8), gtol=1e-10, max_iter=2)
    assert not capped.converged and capped.n_iter == 2 and capped.stop == "max_iter reached"


def test_unknown_solver_is_refused():
    X, y = np.random.default_rng(0).random((6, 3)), np.array([0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError, match="solver"):
        probe.train_probe(X, y, solver="newton")


@pytest.fixture(scope="module")
def digit_splits():
    from cae_scratch import data
    return data.load_digits(test_fraction=0.25, seed=0)        # 64 pixels, some of them 0 in every image


def test_the_probe_is_scale_invariant(digit_splits):
    """Features times 1e-6, 1, 1e6 or 1e160 read the same: same test error, converged each time (the old
    standardisation by sqrt(var + 1e-6) gave 91 % error at 1e-6 and overflowed at 1e160)."""
    Xtr, ytr, Xte, yte = digit_splits
    errors = set()
    for c in (1e-6, 1.0, 1e6, 1e160):
        clf = probe.train_probe(c * Xtr, ytr, l2=1e-2)
        assert clf.converged and clf.stop == "max |grad| <= gtol", (c, clf.report())
        errors.add(clf.error(c * Xte, yte))
    assert len(errors) == 1 and errors.pop() < 0.08


def test_standardisation_gives_mean_0_variance_1_and_reads_constant_columns_as_0():
    gen = np.random.default_rng(3)
    X = gen.standard_normal((50, 4)) * [1e-7, 1.0, 3e5, 1.0] + [0.0, 5.0, -2.0, 0.0]
    X[:, 3] = 3.7                                                             # a constant column
    mean, inv_scale = probe.standardisation(X)
    Z = (X - mean) * inv_scale
    np.testing.assert_allclose(Z[:, :3], (X[:, :3] - X[:, :3].mean(0)) / X[:, :3].std(0), rtol=1e-12)
    assert inv_scale[3] == 0.0 and np.all(Z[:, 3] == 0.0)
    huge = probe.standardisation(1e160 * X)
    np.testing.assert_allclose((1e160 * X - huge[0]) * huge[1], Z, rtol=1e-12, atol=1e-12)


def test_a_column_constant_in_training_does_not_move_a_prediction():
    gen = np.random.default_rng(4)
    X, y = gen.standard_normal((60, 3)), gen.integers(0, 3, 60)
    X[:, 2] = 0.0
    clf = probe.train_probe(X, y, l2=1e-2)
    moved = X.copy()
    moved[:, 2] = gen.standard_normal(60) * 1e6
    np.testing.assert_array_equal(clf.predict(moved), clf.predict(X))


def test_error_takes_lists_and_refuses_what_is_not_numbers(digit_splits):
    Xtr, ytr, Xte, yte = digit_splits
    clf = probe.train_probe(Xtr, ytr, l2=1e-2)
    assert clf.error(Xte.tolist(), yte.tolist()) == clf.error(Xte, yte)
    with pytest.raises(TypeError, match="real numbers"):
        clf.error([["a"] * 64], [0])


def test_warm_starts_down_the_l2_grid_find_the_same_minima_in_fewer_evaluations(digit_splits):
    """Counted, not timed: the path solves each l2 from the last solution; each probe is the one a cold
    start finds (a strongly convex problem has one minimum)."""
    Xtr, ytr, _, _ = digit_splits
    l2s = (1e-3, 1e-2, 1e-1)
    path = probe.train_probes(Xtr, ytr, l2s, gtol=1e-7)
    assert list(path) == list(l2s)
    cold = {l2: probe.train_probe(Xtr, ytr, l2=l2, gtol=1e-7) for l2 in l2s}
    for l2 in l2s:
        assert path[l2].converged and cold[l2].converged
        np.testing.assert_allclose(path[l2].params["V"], cold[l2].params["V"], atol=1e-4)
    assert sum(p.n_evals for p in path.values()) < sum(p.n_evals for p in cold.values())


def test_the_probe_reports_how_it_was_solved(digit_splits):
    Xtr, ytr, _, _ = digit_splits
    clf = probe.train_probe(Xtr.astype(np.float32), ytr, l2=1e-2)
    assert clf.dtype == "float64" and backend.dtype_name(clf.params["V"]) == "float64"
    assert clf.report().startswith("L-BFGS in float64: max |grad| <= gtol after") and clf.gtol == 1e-5
    capped = probe.train_probe(Xtr, ytr, l2=1e-2, max_iter=3)
    assert not capped.converged and capped.stop == "max_iter reached" and capped.n_iter == 3
    single = probe.train_probe(Xtr, ytr, l2=1e-2, dtype="float32", max_iter=5)
    assert single.dtype == "float32" and backend.dtype_name(single.params["V"]) == "float32"
    with pytest.raises(ValueError, match="dtype"):
        probe.train_probe(Xtr, ytr, dtype="float16")
