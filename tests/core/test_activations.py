import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

from cae_scratch.core.activations import ACTIVATIONS, get_activation, sigmoid, softplus

NAMES = sorted(ACTIVATIONS)


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_match_finite_differences(name):
    act = get_activation(name)
    a = np.linspace(-4, 4, 41) + 0.0123          # never exactly 0: relu's kink
    h = 1e-6
    d1 = act.d1(a, act.f(a))
    d2 = act.d2(a, act.f(a), d1)
    fd1 = (act.f(a + h) - act.f(a - h)) / (2 * h)
    fd2 = (act.d1(a + h, act.f(a + h)) - act.d1(a - h, act.f(a - h))) / (2 * h)
    np.testing.assert_allclose(d1, fd1, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(d2, fd2, rtol=1e-6, atol=1e-8)


def test_explicit_formulas():
    a = np.array([-3.0, -0.5, 0.7, 2.0])
    np.testing.assert_allclose(sigmoid(a), 1 / (1 + np.exp(-a)), rtol=1e-15)
    np.testing.assert_allclose(softplus(a), np.log1p(np.exp(a)), rtol=1e-15)
    np.testing.assert_allclose(get_activation("tanh").f(a), np.tanh(a))
    np.testing.assert_array_equal(get_activation("relu").f(a), [0, 0, 0.7, 2.0])
    np.testing.assert_array_equal(get_activation("relu").d1(a, None), [0, 0, 1, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extremes_are_exact_and_silent(dtype):
    a = np.array([-1e4, -800.0, 0.0, 800.0, 1e4], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, sp = sigmoid(a), softplus(a)
        derivs = {n: ACTIVATIONS[n].d1(a, ACTIVATIONS[n].f(a)) for n in NAMES}
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    assert sp[0] == 0.0 and sp[-1] == dtype(1e4)
    assert s.dtype == sp.dtype == dtype
    for d in derivs.values():
        assert d.dtype == dtype and np.all(np.isfinite(d))


@given(st.floats(-700, 700))
def test_sigmoid_matches_reference(x):
    ref = 1.0 / (1.0 + np.exp(-x))
    assert abs(sigmoid(np.array([x]))[0] - ref) <= 1e-15 * max(1.0, abs(ref)) + 1e-300


def test_unknown_name_lists_valid():
    with pytest.raises(ValueError, match="choose one of"):
        get_activation("swish")


@pytest.mark.parametrize("name", NAMES)
def test_third_derivative_matches_finite_differences_of_the_second(name):
    act = get_activation(name)
    a = np.linspace(-4, 4, 41) + 0.0123          # never exactly 0: relu's kink

    def d2(x):
        h = act.f(x)
        return act.d2(x, h, act.d1(x, h))
    h, d1 = act.f(a), act.d1(a, act.f(a))
    d3 = act.d3(a, h, d1, act.d2(a, h, d1))
    fd3 = (d2(a + 1e-5) - d2(a - 1e-5)) / 2e-5
    np.testing.assert_allclose(d3, fd3, rtol=1e-6, atol=1e-9)
    assert np.max(np.abs(d3)) > 0.05 or name in ("relu", "linear")     # not vacuously zero


def test_third_derivative_explicit_values():
    """s'''(0): sigmoid 1/4 (1 - 3 + 1.5) = -1/8, tanh -2, softplus 0 (sigmoid'' is odd)."""
    a = np.zeros(1)
    got = {}
    for n in ("sigmoid", "tanh", "softplus"):
        act = get_activation(n)
        h = act.f(a)
        d1 = act.d1(a, h)
        got[n] = float(act.d3(a, h, d1, act.d2(a, h, d1))[0])
    assert got == pytest.approx({"sigmoid": -0.125, "tanh": -2.0, "softplus": 0.0}, abs=1e-15)


def test_third_derivative_checker_rejects_a_wrong_formula():
    """The finite-difference comparison above is not vacuous: s' (1 - 6h) for sigmoid fails it."""
    act = get_activation("sigmoid")
    a = np.linspace(-4, 4, 41) + 0.0123
    h = act.f(a)
    wrong = act.d1(a, h) * (1.0 - 6.0 * h)
    fd3 = (act.d2(a + 1e-5, act.f(a + 1e-5), act.d1(a + 1e-5, act.f(a + 1e-5)))
           - act.d2(a - 1e-5, act.f(a - 1e-5), act.d1(a - 1e-5, act.f(a - 1e-5)))) / 2e-5
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(wrong, fd3, rtol=1e-6, atol=1e-9)
