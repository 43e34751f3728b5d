"""The deep autoencoder's fast step (fused_deep.py) against its reference (deep.autoencoder_loss_and_grads,
itself held to explicit Jacobian products and finite differences in test_deep.py): same numbers on a grid
of activations, losses, decoders, depths, probes and lam, on every backend, in float32 throughout, and
without batch-sized temporaries once warm. No test here times anything."""
import itertools

import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import backend
from cae_scratch.core import deep, fused_deep, network
from _helpers import assert_close, model_kwargs
from test_fused import traced_peak

ACTS = ["sigmoid", "tanh", "softplus", "relu", "linear"]
LOSS_DECODERS = [("bce", "sigmoid"), ("mse", "sigmoid"), ("mse", "linear")]


def stack_case(sizes, k, dtype=np.float64, B=5, seed=0):
    gen = np.random.default_rng(seed)
    params = {}
    for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        params[f"layer{l}_W"] = gen.normal(0, 1.5 / np.sqrt(n_in), size=(n_out, n_in)).astype(dtype)
        params[f"layer{l}_b_h"] = gen.normal(0, 0.5, size=n_out).astype(dtype)
        params[f"layer{l}_b_r"] = gen.normal(0, 0.5, size=n_in).astype(dtype)
    X = gen.random((B, sizes[0])).astype(dtype)
    U = gen.normal(size=(B, k, sizes[0])).astype(dtype) if k else None
    return params, X, U


def assert_same(got, want, rtol=1e-10):
    (terms, grads), (ref_terms, ref_grads) = got, want
    assert set(terms) == set(ref_terms) and set(grads) == set(ref_grads)
    for key in ref_terms:
        np.testing.assert_allclose(float(terms[key]), float(ref_terms[key]), rtol=rtol, atol=rtol * 1e-6)
    for key in ref_grads:
        assert_close(grads[key], ref_grads[key], rtol=rtol, atol=rtol * 1e-4)


@pytest.mark.parametrize("act,loss_dec", list(itertools.product(ACTS, LOSS_DECODERS)))
@pytest.mark.parametrize("sizes", [[8, 5], [8, 6, 4], [9, 7, 5, 6]])
@pytest.mark.parametrize("k,lam", [(0, 0.0), (1, 0.0), (1, 0.3), (3, 0.3)])
def test_fused_deep_step_equals_the_reference(act, loss_dec, sizes, k, lam):
    specs = [network.Spec(act, loss_dec[1], loss_dec[0])] * (len(sizes) - 1)
    params, X, U = stack_case(sizes, k)
    want = deep.autoencoder_loss_and_grads(params, X, specs, U, lam)
    step = fused_deep.FusedDeepStep()
    first = step(params, X, specs, U, lam)
    first = ({k_: float(v) for k_, v in first[0].items()}, {k_: np.copy(g) for k_, g in first[1].items()})
    assert_same(first, want)
    assert_same(step(params, X, specs, U, lam), want)               # again, in the reused buffers


def test_mixed_decoder_activations_follow_each_layer():
    """Each layer's own g_l: a linear decoder above a sigmoid one (the bottom's belongs to its loss)."""
    specs = [network.Spec("tanh", "sigmoid", "bce"), network.Spec("tanh", "linear", "bce"),
             network.Spec("tanh", "sigmoid", "bce")]
    params, X, U = stack_case([9, 7, 5, 6], 2)
    assert_same(fused_deep.autoencoder_loss_and_grads(params, X, specs, U, 0.2),
                deep.autoencoder_loss_and_grads(params, X, specs, U, 0.2))


def test_a_wrong_step_is_caught():
    """Negative control: the comparison above sees a dropped tangent path (lam's share of dW)."""
    specs = [network.Spec()] * 2
    params, X, U = stack_case([8, 6, 4], 1)
    got = fused_deep.autoencoder_loss_and_grads(params, X, specs, U, 0.3)
    want = deep.autoencoder_loss_and_grads(params, X, specs, U, 0.0)
    with pytest.raises(AssertionError):
        assert_same(got, ({**want[0], "total": got[0]["total"], "contractive": got[0]["contractive"]}, want[1]))


def test_lam_without_probes_is_refused():
    params, X, _ = stack_case([8, 6, 4], 0)
    with pytest.raises(ValueError, match="probes"):
        fused_deep.autoencoder_loss_and_grads(params, X, [network.Spec()] * 2, None, 0.1)


def test_workspaces_follow_the_shapes_and_refuse_mixed_dtypes():
    specs = [network.Spec()] * 2
    params, X, U = stack_case([8, 6, 4], 2, B=7)
    step = fused_deep.FusedDeepStep()
    for rows in (slice(0, 7), slice(0, 3), slice(0, 7)):
        assert_same(step(params, X[rows], specs, U[rows], 0.2),
                    deep.autoencoder_loss_and_grads(params, X[rows], specs, U[rows], 0.2))
    step(params, X, specs)                                          # no probes: its own workspace
    assert len(step.workspaces) == 3
    with pytest.raises(TypeError, match="dtype"):
        step(params, X.astype(np.float32), specs, U, 0.2)


def test_fused_deep_step_on_every_backend_equals_numpy(backend_name):
    stack = cs.StackedCAE([10, 7, 5], seed=2, **model_kwargs(backend_name))
    ref = cs.StackedCAE([10, 7, 5], seed=2)
    gen = np.random.default_rng(1)
    X, U = gen.random((6, 10)), gen.choice([-1.0, 1.0], size=(6, 2, 10))
    specs = [layer.spec for layer in stack.layers]
    step = fused_deep.FusedDeepStep()
    for _ in range(2):
        terms, grads = step(stack._flat_params(), stack.asarray(X), specs, stack.asarray(U), 0.3)
    assert_same((terms, grads), deep.autoencoder_loss_and_grads(ref._flat_params(), X, specs, U, 0.3))


@pytest.mark.parametrize("act", ["sigmoid", "softplus", "relu"])
def test_float32_stays_float32(act):
    import array_api_strict
    kw = {} if act == "sigmoid" else {"loss": "mse", "decoder_activation": "linear"}
    stack = cs.StackedCAE([9, 6, 4], activation=act, backend="array_api_strict",
                          device=array_api_strict.Device("device1"), dtype="float32", **kw)
    gen = np.random.default_rng(0)
    X, U = stack.asarray(gen.random((4, 9))), stack.asarray(gen.choice([-1.0, 1.0], size=(4, 2, 9)))
    terms, grads = fused_deep.autoencoder_loss_and_grads(stack._flat_params(), X,
                                                         [layer.spec for layer in stack.layers], U, 0.3)
    assert {backend.dtype_name(v) for v in [*terms.values(), *grads.values()]} == {"float32"}


@pytest.mark.parametrize("act,k", [("sigmoid", 1), ("tanh", 1), ("softplus", 1), ("sigmoid", 0)])
def test_a_warmed_deep_step_allocates_no_batch_sized_array(act, k):
    B, sizes = 256, [300, 250, 200]
    specs = [network.Spec(act)] * 2
    params, X, U = stack_case(sizes, k, np.float32, B=B)
    lam = 0.1 if k else 0.0
    step = fused_deep.FusedDeepStep()
    step(params, X, specs, U, lam)
    smallest_batch_array = B * sizes[-1] * 4                        # 205 kB; NumPy keeps a 32 kB loop buffer
    assert traced_peak(lambda: step(params, X, specs, U, lam)) < smallest_batch_array / 4
    assert traced_peak(lambda: deep.autoencoder_loss_and_grads(params, X, specs, U, lam)) > smallest_batch_array
