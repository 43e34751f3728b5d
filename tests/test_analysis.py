"""analysis.py against brute-force references built from the explicit Jacobian, on every backend."""
import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import analysis, backend
from _helpers import assert_close

ACTS = ["sigmoid", "tanh", "softplus", "relu", "linear"]


def tiny(make_model, activation="sigmoid", B=6, n_visible=5, n_hidden=4, seed=0):
    """A small model on the current backend, its encoder arguments and host + device inputs."""
    model = make_model(n_visible, n_hidden, activation=activation, seed=seed, lam=0.1)
    host = np.random.default_rng(seed + 1).random((B, n_visible))
    return model, (model.params["W"], model.params["b_h"]), host, model.asarray(host)


def explicit_jacobian(model, host):
    return backend.to_numpy(model.jacobian(model.asarray(host)))


@pytest.mark.parametrize("activation", ACTS)
def test_jacobian_norms_equal_the_explicit_frobenius_norm(make_model, activation):
    model, (W, b_h), host, X = tiny(make_model, activation)
    expected = np.linalg.norm(explicit_jacobian(model, host), axis=(1, 2))
    norms = analysis.jacobian_norms(W, b_h, X, activation)
    assert_close(norms, expected, rtol=1e-12, xp=model.xp)
    assert analysis.mean_jacobian_norm(W, b_h, X, activation) == pytest.approx(expected.mean(), rel=1e-12)
    assert analysis.mean_jacobian_norm(W, b_h, X, activation, max_bytes=1) == pytest.approx(expected.mean(), rel=1e-12)


def test_singular_values_equal_numpy_svd_of_the_explicit_jacobian(make_model):
    model, (W, b_h), host, X = tiny(make_model, "tanh", n_visible=7, n_hidden=4)
    expected = np.linalg.svd(explicit_jacobian(model, host), compute_uv=False)       # (B, 4), descending
    assert_close(analysis.singular_values(W, b_h, X, "tanh", max_bytes=1), expected, rtol=1e-10, xp=model.xp)
    np.testing.assert_allclose(analysis.singular_spectrum(W, b_h, X, "tanh"), expected.mean(axis=0), rtol=1e-10)


def test_tangent_directions_are_the_leading_right_singular_vectors(make_model):
    model, (W, b_h), host, X = tiny(make_model, n_visible=6, n_hidden=5)
    S, V = analysis.tangent_directions(W, b_h, X, "sigmoid", k=2)
    J = explicit_jacobian(model, host)
    _, s_ref, Vh = np.linalg.svd(J, full_matrices=False)
    S, V = backend.to_numpy(S), backend.to_numpy(V)
    np.testing.assert_allclose(S, s_ref[:, :2], rtol=1e-10)
    overlap = np.abs(np.sum(V * Vh[:, :2, :], axis=2))                 # |<v_i, v_i ref>| = 1: equal up to sign
    np.testing.assert_allclose(overlap, 1.0, rtol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(J @ V[:, 0, :, None], axis=(1, 2)), S[:, 0], rtol=1e-10)
    assert np.all(np.sum(V ** 3, axis=2) > 0)                          # the documented sign convention


def test_angle_to_span_is_zero_inside_and_ninety_orthogonal(make_model):
    model, (W, b_h), host, X = tiny(make_model, n_visible=6, n_hidden=5)
    _, V = analysis.tangent_directions(W, b_h, X, k=3)
    inside = analysis.angle_to_span(V, V[:, 1, :] * 0.5 + V[:, 2, :] * 0.5)
    orthogonal = analysis.angle_to_span(V[:, :1, :], V[:, 2, :])
    assert_close(inside, np.zeros(X.shape[0]), atol=1e-10, xp=model.xp)
    assert_close(orthogonal, np.full(X.shape[0], 90.0), rtol=1e-12, xp=model.xp)
    t = backend.to_numpy(V[:, 0, :] + V[:, 1, :])                       # 45 degrees from span(v_1)
    np.testing.assert_allclose(backend.to_numpy(analysis.angle_to_span(V[:, :1, :], model.asarray(t))), 45.0)


def test_contraction_ratio_at_small_radius_is_the_mean_of_the_jacobians_action(make_model):
    model, (W, b_h), host, X = tiny(make_model, "softplus", B=5)
    J = explicit_jacobian(model, host)
    per_direction = []
    for stream in backend.spawn(3, 2):                                  # the documented draw order
        U = analysis.unit_directions(backend.rng(stream), len(host), host.shape[1])
        per_direction.append(np.linalg.norm(np.einsum("bkj,bj->bk", J, U), axis=1))
    expected = np.mean(per_direction)
    ratio = analysis.contraction_curve(W, b_h, X, "softplus", radii=[1e-6], n_directions=2, seed=3)
    np.testing.assert_allclose(ratio, [expected], rtol=1e-6)


def test_contraction_curve_equals_brute_force_at_every_radius_and_any_chunking(make_model):
    model, (W, b_h), host, X = tiny(make_model, B=7)
    W_h, b_h_h = backend.to_numpy(W), backend.to_numpy(b_h)
    h = lambda Z: 1.0 / (1.0 + np.exp(-(Z @ W_h.T + b_h_h)))
    radii = [0.05, 0.5, 5.0]
    dirs = [analysis.unit_directions(backend.rng(s), len(host), host.shape[1]) for s in backend.spawn(0, 3)]
    expected = [np.mean([np.linalg.norm(h(host + r * U) - h(host), axis=1) / r for U in dirs]) for r in radii]
    for max_bytes in (analysis.DEFAULT_MAX_BYTES, 1):                   # one chunk, or one row at a time
        got = analysis.contraction_curve(W, b_h, X, radii=radii, n_directions=3, seed=0, max_bytes=max_bytes)
        np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_sensitivity_is_the_code_change_per_unit_length(make_model):
    model, (W, b_h), host, X = tiny(make_model, B=4)
    D = np.random.default_rng(9).standard_normal(host.shape)
    J = explicit_jacobian(model, host)
    small = analysis.sensitivity(W, b_h, X, model.asarray(1e-7 * D))
    expected = np.linalg.norm(np.einsum("bkj,bj->bk", J, D), axis=1) / np.linalg.norm(D, axis=1)
    assert_close(small, expected, rtol=1e-5, xp=model.xp)


@pytest.mark.parametrize("activation, rule", [
    ("sigmoid", lambda A, H: (H < 0.05) | (H > 0.95)),
    ("tanh", lambda A, H: np.abs(H) > 0.9),
    ("relu", lambda A, H: A <= 0),
    ("linear", lambda A, H: np.zeros_like(A, bool)),
])
def test_saturation_fraction_follows_the_documented_rule(make_model, activation, rule):
    model, (W, b_h), host, X = tiny(make_model, activation, B=40, n_visible=6, n_hidden=9)
    scale = 6.0 if activation in ("sigmoid", "tanh") else 1.0           # spread units over the whole range
    params = {**model.params, "W": model.params["W"] * scale}
    model.params = params
    A = host @ backend.to_numpy(params["W"]).T + backend.to_numpy(params["b_h"])
    H = backend.to_numpy(model.encode(X))
    expected = np.mean(rule(A, H))
    assert analysis.saturation_fraction(params["W"], params["b_h"], X, activation, max_bytes=1) == pytest.approx(expected)
    if activation != "linear":
        assert 0.0 < expected < 1.0                                     # the test is not vacuous


def test_a_trained_cae_contracts_more_than_an_ae(digits):
    results = {}
    for lam in (0.0, 0.5):
        model = cs.ContractiveAutoencoder(64, 32, lam=lam, seed=0)
        model.fit(digits[:400], epochs=8, batch_size=32, lr=1e-2, progress=False)
        W, b_h = model.params["W"], model.params["b_h"]
        results[lam] = (analysis.mean_jacobian_norm(W, b_h, digits[400:600]),
                        analysis.saturation_fraction(W, b_h, digits[400:600]),
                        analysis.contraction_curve(W, b_h, digits[400:600], radii=[0.01])[0])
    assert all(cae < ae for cae, ae in zip(results[0.5][::2], results[0.0][::2]))
    assert results[0.5][1] > results[0.0][1]


def test_bad_inputs_say_what_to_do():
    model = cs.ContractiveAutoencoder(5, 4)
    W, b_h = model.params["W"], model.params["b_h"]
    X = np.random.default_rng(0).random((3, 5))
    with pytest.raises(ValueError, match="columns"):
        analysis.mean_jacobian_norm(W, b_h, X[:, :4])
    with pytest.raises(ValueError, match="2-D"):
        analysis.saturation_fraction(W, b_h, X[0])
    with pytest.raises(ValueError, match="NaN"):
        analysis.singular_spectrum(W, b_h, np.full((2, 5), np.nan))
    with pytest.raises(ValueError, match="choose one of"):
        analysis.jacobian_norms(W, b_h, X, "swish")
    with pytest.raises(ValueError, match="margin"):
        analysis.saturation_fraction(W, b_h, X, margin=0.7)
    with pytest.raises(ValueError, match="radii is empty"):
        analysis.contraction_curve(W, b_h, X, radii=[])
    with pytest.raises(ValueError, match="positive"):
        analysis.contraction_curve(W, b_h, X, radii=[-1.0])
    with pytest.raises(ValueError, match="at most"):
        analysis.tangent_directions(W, b_h, X, k=5)
    with pytest.raises(ValueError, match="zero row"):
        analysis.sensitivity(W, b_h, X, np.zeros_like(X))
    with pytest.raises(ValueError, match=r"T \(B, n_visible\)"):
        analysis.angle_to_span(np.zeros((3, 1, 5)), np.zeros((3, 4)))
    import array_api_strict as xps
    with pytest.raises(TypeError, match="asarray"):
        analysis.mean_jacobian_norm(W, b_h, xps.asarray(X))


def test_tangents_are_orthonormal_and_span_the_top_right_singular_space(make_model):
    model, (W, b_h), host, X = tiny(make_model, "softplus", n_visible=7, n_hidden=5)
    T = backend.to_numpy(model.tangents(X, 3))
    assert T.shape == (6, 3, 7)
    np.testing.assert_allclose(np.einsum("bij,bkj->bik", T, T), np.broadcast_to(np.eye(3), (6, 3, 3)), atol=1e-12)
    _, _, Vh = np.linalg.svd(explicit_jacobian(model, host), full_matrices=False)
    P_ref = np.einsum("bij,bik->bjk", Vh[:, :3], Vh[:, :3])            # projector onto span(v_1..v_3)
    np.testing.assert_allclose(np.einsum("bij,bik->bjk", T, T), P_ref, atol=1e-10)
    assert_close(analysis.tangents(W, b_h, X, "softplus", k=3, max_bytes=1), T, rtol=1e-10, atol=1e-12, xp=model.xp)
    with pytest.raises(ValueError, match="between 1 and"):
        model.tangents(X, 6)
    with pytest.raises(TypeError, match="positive integer"):
        model.tangents(X, 1.5)


def test_a_trained_cae_finds_the_true_tangent_of_the_synthetic_curve():
    """Lesson 08's measurement, smaller: v_1 of a CAE's J(x) lies far closer to dx/dtheta than a random direction."""
    from cae_scratch import data
    X = data.load_synthetic(n=500, side=10, seed=0)
    X_test, T_test = data.load_synthetic(n=60, side=10, seed=1000, return_tangents=True)
    cae = cs.ContractiveAutoencoder(100, 30, lam=0.3, seed=0)
    cae.fit(X, epochs=100, batch_size=32, lr=1e-2, seed=0, progress=False)   # mean angle ~56 degrees
    angles = backend.to_numpy(analysis.angle_to_span(cae.tangents(X_test, 1), T_test))
    random_dirs = analysis.unit_directions(np.random.default_rng(0), len(T_test), T_test.shape[1])
    chance = np.degrees(np.arccos(np.abs(np.sum(random_dirs * T_test, axis=1))))   # ~84 degrees in R^100
    assert angles.mean() < chance.mean() - 20.0, (angles.mean(), chance.mean())
