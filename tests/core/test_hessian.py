"""CAE+H (core/hessian.py): the closed form against the explicit Hessian (on every backend), both terms'
gradients against finite differences (on NumPy: every backend's step is held equal to NumPy's in
``test_fused.py``), negative controls, the sigma -> 0 limit, and the model's API."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import cae_scratch as cs
from cae_scratch import backend, gradcheck, train
from cae_scratch.core import fused, hessian, layers, network
from cae_scratch.core.activations import get_activation
from _helpers import ACTS, SMOOTH_ACTS, assert_close, away_from_relu_kinks, cae_cases, on

KINDS = ("exact", "stochastic")
CURVED = [a for a in SMOOTH_ACTS if a != "linear"]                      # s'' != 0: a Hessian term to get wrong


def small_case(act="sigmoid", B=4, n_visible=6, n_hidden=5, C=3, sigma=0.3, seed=0):
    """(W, b_h, X, eps, activation) on the host, non-zero biases so that every derivative matters."""
    gen = np.random.default_rng(seed)
    W = gen.standard_normal((n_hidden, n_visible)) * 0.8
    b_h = gen.standard_normal(n_hidden) * 0.5
    return W, b_h, gen.random((B, n_visible)), gen.standard_normal((C, B, n_visible)) * sigma, get_activation(act)


def hessian_by_loops(W, b_h, x, act):
    """d^2 h_k / dx_i dx_j = s''(a_k) W[k, i] W[k, j], one entry at a time: the definition, for one example."""
    a = W @ x + b_h
    h = act.f(a)
    d2 = act.d2(a, h, act.d1(a, h))
    n_hidden, n_visible = W.shape
    return np.array([[[d2[k] * W[k, i] * W[k, j] for j in range(n_visible)] for i in range(n_visible)]
                     for k in range(n_hidden)])


# ---- the closed form and the explicit Hessian ---------------------------------------------------

def test_explicit_hessian_equals_finite_differences_of_the_jacobian():
    """The oracle itself: d/dx_j of J = dh/dx (central differences) is the explicit Hessian."""
    W, b_h, X, _, act = small_case("tanh")
    model = cs.ContractiveAutoencoder(6, 5, activation="tanh")
    model.params = {"W": W, "b_h": b_h, "b_r": np.zeros(6)}
    h = 1e-5
    for x in X:
        fd = np.stack([(model.jacobian((x + h * e)[None])[0] - model.jacobian((x - h * e)[None])[0]) / (2 * h)
                       for e in np.eye(6)], axis=2)                     # (k, i, j)
        np.testing.assert_allclose(hessian_by_loops(W, b_h, x, act), fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("act", ACTS)
def test_closed_form_equals_the_explicit_hessian_on_every_backend(act, xp):
    W, b_h, X, _, activation = small_case(act, B=7)
    by_loops = np.array([np.sum(hessian_by_loops(W, b_h, x, activation) ** 2) for x in X])
    W_, b_, X_ = on(xp, W), on(xp, b_h), on(xp, X)
    _, enc = layers.encoder_forward(W_, b_, X_, activation)
    closed = float(hessian.exact_forward(W_, enc, activation)[0])
    chunked = hessian.explicit_hessian_norms(W_, b_, X_, activation, max_bytes=3 * 6 * 6 * 8)
    assert_close(chunked, by_loops, rtol=1e-12, atol=1e-300, xp=xp[0], dtype="float64")
    np.testing.assert_allclose(closed, np.mean(by_loops), rtol=1e-12, atol=1e-300)
    assert (closed == 0.0) == (act in ("relu", "linear"))             # relu and linear: s'' = 0


def test_hessian_chunks_respect_the_memory_cap():
    W, b_h, X, _, act = small_case(B=9)                                 # 5 units, 6 inputs: 288 bytes a unit
    big = hessian.explicit_hessian_norms(W, b_h, X, act)
    for cap, starts in [(2 * 5 * 288, [(b, 0) for b in range(0, 9, 2)]),       # 2 examples, all units
                        (3 * 288, [(b, k) for b in range(9) for k in (0, 3)])]:   # 1 example, 3 units
        chunks = list(hessian.hessian_chunks(W, b_h, X, act, max_bytes=cap))
        assert all(Hs.nbytes <= cap for *_, Hs in chunks)
        assert [(b0, k0) for b0, k0, _ in chunks] == starts
        np.testing.assert_allclose(hessian.explicit_hessian_norms(W, b_h, X, act, max_bytes=cap), big, rtol=1e-13)


def test_model_hessian_penalty_is_the_mean_explicit_norm():
    model = cs.ContractiveAutoencoder(6, 5, activation="softplus", seed=2)
    X = np.random.default_rng(0).random((5, 6))
    W, b_h = model.params["W"], model.params["b_h"]
    want = np.mean([np.sum(hessian_by_loops(W, b_h, x, get_activation("softplus")) ** 2) for x in X])
    np.testing.assert_allclose(model.hessian_penalty(X), want, rtol=1e-12)


# ---- gradients: each term alone and the total, every activation, tied and untied, every backend ----

@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("tied", [True, False])
def test_gradients_equal_finite_differences(act, kind, tied):
    model = cs.ContractiveAutoencoder(6, 5, activation=act, tied=tied, lam=0.2, hessian=kind, gamma=0.7,
                                      hessian_noise=0.3, hessian_copies=3, seed=1)
    X = model.asarray(np.random.default_rng(2).random((4, 6)))
    away_from_relu_kinks(model, X)
    eps = model.asarray(np.random.default_rng(3).standard_normal((3, 4, 6)) * 0.3)
    worst = {}
    for term, step in [("hessian", "reference"), ("total", "fused"), ("total", "reference")]:
        report = model.check_gradients(X, term=term, step=step, eps=eps if kind == "stochastic" else None)
        gradcheck.assert_gradients_close(report, tol=1e-7)
        worst[term, step] = gradcheck.max_error(report)
    assert set(model.check_gradients(X, term="hessian", eps=eps if kind == "stochastic" else None)) == {"W", "b_h"}
    if kind == "exact" and act in ("relu", "linear"):                  # s'' = 0: no term, no gradient
        assert model.hessian_penalty(X) == 0.0
        _, grads = hessian.hessian_and_grads(model.params["W"], model.params["b_h"], X, get_activation(act), kind)
        assert all(float(backend.namespace(g).max(backend.namespace(g).abs(g))) == 0.0 for g in grads.values())


# ---- negative controls: the checker rejects each known-wrong backward --------------------------

def wrong_grads(mistake, W, b_h, X, eps, act):
    """The Hessian term's grads {"W", "b_h"} with one planted mistake."""
    _, enc = layers.encoder_forward(W, b_h, X, act)
    if mistake in ("missing s'''", "exact q path dropped"):
        _, (_, cache) = hessian.hessian_forward(W, b_h, enc, act, "exact")
        _, A, H, D1, D2, q, _ = cache
        dA, extra = hessian.exact_backward(cache)
        if mistake == "missing s'''":
            dA = D2 * (q * q * (2.0 / X.shape[0]))                     # s'' q^2 without the s''' factor
        else:
            extra = {"W": 0.0 * W}
        return {"W": dA.T @ X + extra["W"], "b_h": dA.sum(axis=0)}
    _, (_, cache) = hessian.hessian_forward(W, b_h, enc, act, "stochastic", eps)
    dA, extra = hessian.stochastic_backward(cache)
    E = cache[5]                                                        # e = s'(a) - s'(a~): (C, B, n_hidden)
    q_path = 2.0 * np.mean(E * E, axis=(0, 1))[:, None] * W
    if mistake == "perturbed path dropped":                             # no dA~^T X~, no sum dA~
        extra = {"W": q_path, "b_h": 0.0 * b_h}
    else:                                                               # stochastic q path dropped
        extra = {"W": extra["W"] - q_path, "b_h": extra["b_h"]}
    return {"W": dA.T @ X + extra["W"], "b_h": dA.sum(axis=0) + extra["b_h"]}


@pytest.mark.parametrize("act", CURVED)
@pytest.mark.parametrize("mistake", ["missing s'''", "exact q path dropped", "perturbed path dropped",
                                     "stochastic q path dropped", "noise redrawn"])
def test_the_checker_rejects_known_wrong_hessian_backwards(act, mistake):
    W, b_h, X, eps, a = small_case(act)
    kind = "exact" if mistake.startswith(("missing", "exact")) else "stochastic"

    def f(p):
        return hessian.hessian_forward(p["W"], p["b_h"], layers.encoder_forward(p["W"], p["b_h"], X, a)[1], a, kind, eps)[0]
    params = {"W": W, "b_h": b_h}
    _, right = hessian.hessian_and_grads(W, b_h, X, a, kind, eps)
    assert gradcheck.max_error(gradcheck.check_gradients(f, params, right)) < 1e-7    # the same checker passes it
    if mistake == "noise redrawn":                                      # loss with eps, gradient with fresh noise
        fresh = np.random.default_rng(99).standard_normal(eps.shape) * 0.3
        wrong = hessian.hessian_and_grads(W, b_h, X, a, kind, fresh)[1]
    else:
        wrong = wrong_grads(mistake, W, b_h, X, eps, a)
    report = gradcheck.check_gradients(f, params, wrong)
    assert gradcheck.max_error(report) > 1e-3
    with pytest.raises(AssertionError, match="gradient check failed"):
        gradcheck.assert_gradients_close(report)


# ---- the stochastic term / sigma^2 -> the exact term as sigma -> 0 --------------------------------

def test_stochastic_term_over_sigma_squared_converges_to_the_exact_term():
    """With C = 4000 copies of 4 examples, S / sigma^2 = E within 4 Monte Carlo standard errors at sigma = 1e-3
    (the bias is O(sigma^2), far below); the standard error is < 2% (the test can fail), and at sigma = 1 the
    bias is larger than 10 standard errors (the limit is a limit, not an identity). Seeded."""
    W, b_h, X, _, act = small_case("sigmoid")
    _, enc = layers.encoder_forward(W, b_h, X, act)
    exact = float(hessian.exact_forward(W, enc, act)[0])
    gen, C = np.random.default_rng(7), 4000
    ratios = {}
    for sigma in (1.0, 1e-3):
        value, cache = hessian.stochastic_forward(W, b_h, enc, gen.standard_normal((C, 4, 6)) * sigma, act)
        E, q = cache[5], cache[4]
        per_copy = np.mean((E * E) @ q, axis=1) / sigma ** 2            # (C,): copy c's estimate, independent
        np.testing.assert_allclose(np.mean(per_copy), float(value) / sigma ** 2, rtol=1e-12)
        ratios[sigma] = (np.mean(per_copy), np.std(per_copy, ddof=1) / np.sqrt(C))
    mean, se = ratios[1e-3]
    assert se / exact < 0.02
    assert abs(mean - exact) < 4 * se
    assert abs(ratios[1.0][0] - exact) > 10 * ratios[1.0][1]


# ---- the model's API ------------------------------------------------------------------------------

def test_model_eps_is_used_as_given_or_drawn_from_the_hessian_stream():
    kw = dict(hessian="stochastic", gamma=0.5, hessian_noise=0.2, hessian_copies=3, seed=5)
    model, twin = cs.ContractiveAutoencoder(6, 5, **kw), cs.ContractiveAutoencoder(6, 5, **kw)
    X = np.random.default_rng(0).random((4, 6))
    eps = np.random.default_rng(backend.spawn(5, 4)[3]).standard_normal((3, 4, 6)) * 0.2
    loss, grads = model.loss_and_grads(X)                               # drawn: the stream's first draw
    want_terms, want = network.loss_and_grads(model.params, X, model.spec, eps=eps)
    np.testing.assert_allclose(loss, float(want_terms["total"]), rtol=1e-12)
    for k in want:
        assert_close(grads[k], want[k], rtol=1e-10, atol=1e-14)
    assert model.loss_and_grads(X)[0] != loss                           # the next call draws fresh noise
    assert twin.loss_and_grads(X, eps=eps)[0] == pytest.approx(loss, rel=1e-12)   # given: used as given


@pytest.mark.parametrize("kw,eps,match", [
    (dict(hessian="stochastic"), np.zeros((4, 3, 6)), "shape"),
    (dict(hessian="stochastic"), np.full((4, 4, 6), np.nan), "finite"),
    (dict(hessian="exact"), np.zeros((4, 4, 6)), "stochastic"),
    (dict(), np.zeros((4, 4, 6)), "stochastic"),
])
def test_bad_eps_is_refused(kw, eps, match):
    model = cs.ContractiveAutoencoder(6, 5, **kw)
    with pytest.raises(ValueError, match=match):
        model.loss_and_grads(np.random.default_rng(0).random((4, 6)), eps=eps)


@pytest.mark.parametrize("kw,error,match", [
    (dict(hessian="second"), ValueError, "choose one of"), (dict(gamma=-1.0), ValueError, "gamma"),
    (dict(hessian="stochastic", hessian_noise=0.0), ValueError, "hessian_noise > 0"),
    (dict(hessian_copies=0), ValueError, "hessian_copies"), (dict(gamma="big"), TypeError, "gamma"),
])
def test_bad_hessian_settings_are_refused(kw, error, match):
    with pytest.raises(error, match=match):
        cs.ContractiveAutoencoder(6, 5, **kw)


def test_term_hessian_needs_a_hessian_model():
    with pytest.raises(ValueError, match="hessian='exact' or 'stochastic'"):
        cs.ContractiveAutoencoder(6, 5).check_gradients(np.random.default_rng(0).random((3, 6)), term="hessian")


def test_save_and_load_keep_the_hessian_settings(tmp_path):
    model = cs.ContractiveAutoencoder(6, 5, hessian="stochastic", gamma=0.25, hessian_noise=0.05, hessian_copies=2)
    loaded = cs.ContractiveAutoencoder.load(model.save(str(tmp_path / "m.npz")))
    assert loaded.spec == model.spec
    assert (loaded.spec.hessian, loaded.spec.gamma, loaded.spec.hessian_noise, loaded.spec.hessian_copies) == \
        ("stochastic", 0.25, 0.05, 2)


def test_fit_draws_fresh_eps_every_step_from_the_hessian_stream_of_its_seed():
    model = cs.ContractiveAutoencoder(6, 5, hessian="stochastic", gamma=0.5, hessian_noise=0.2, hessian_copies=2)
    X = np.random.default_rng(0).random((10, 6))
    seen = []

    def spy(params, Xb, spec, target=None, eps=None):
        seen.append(np.copy(eps))
        return network.loss_and_grads(params, Xb, spec, target, eps)
    history = train.fit(model.params, X, model.spec, epochs=2, batch_size=4, lr=1e-3, seed=11, progress=False, step=spy)
    gen = np.random.default_rng(backend.spawn(11, 4)[3])
    want = [gen.standard_normal((2, rows, 6)) * 0.2 for rows in (4, 4, 2) * 2]
    assert len(seen) == 6 and all(np.array_equal(s, w) for s, w in zip(seen, want))
    assert len(history["hessian"]) == 2 and all(h > 0 for h in history["hessian"])


def test_training_with_the_exact_term_lowers_the_hessian_penalty(digits):
    X = digits[:300]
    plain = cs.ContractiveAutoencoder(64, 16, lam=0.1, seed=0)
    cae_h = cs.ContractiveAutoencoder(64, 16, lam=0.1, hessian="exact", gamma=1.0, seed=0)
    for m in (plain, cae_h):
        m.fit(X, epochs=5, batch_size=32, lr=3e-3, progress=False)
    assert cae_h.hessian_penalty(X) < 0.8 * plain.hessian_penalty(X)


@given(case=cae_cases(), kind=st.sampled_from(KINDS), copies=st.integers(1, 3), gamma=st.sampled_from([0.0, 0.4]))
def test_drawn_cases_fused_equals_reference_and_the_term_equals_finite_differences(case, kind, copies, gamma):
    kw, X = case
    model = cs.ContractiveAutoencoder(**kw, hessian=kind, gamma=gamma, hessian_copies=copies, hessian_noise=0.2)
    away_from_relu_kinks(model, X)
    eps = np.random.default_rng(kw["seed"]).standard_normal((copies,) + X.shape) * 0.2 if kind == "stochastic" else None
    got, want = fused.loss_and_grads(model.params, X, model.spec, eps=eps), network.loss_and_grads(model.params, X, model.spec, eps=eps)
    for k in want[0]:
        np.testing.assert_allclose(float(got[0][k]), float(want[0][k]), rtol=1e-10, atol=1e-300)
    for k in want[1]:
        assert_close(got[1][k], want[1][k], rtol=1e-10, atol=1e-12)
    if kw["activation"] != "relu":          # a perturbed copy of a relu unit may sit on its kink
        gradcheck.assert_gradients_close(model.check_gradients(X, term="hessian", eps=eps), tol=1e-7)
