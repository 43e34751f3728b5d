"""TangentClassifier with a list of hidden widths (the paper's deep MTC) and from_stack."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import gradcheck


def data(seed=0, n=12):
    gen = np.random.default_rng(seed)
    return gen.random((n, 8)), gen.integers(0, 3, n), gen.standard_normal((n, 2, 8))


def test_params_follow_the_widths_and_one_width_keeps_the_one_layer_names():
    deep = cs.TangentClassifier(8, [6, 5, 4], 3)
    assert {k: tuple(v.shape) for k, v in deep.params.items()} == {
        "W": (6, 8), "b_h": (6,), "W_2": (5, 6), "b_h_2": (5,), "W_3": (4, 5), "b_h_3": (4,), "V": (3, 4), "c": (3,)}
    assert sorted(cs.TangentClassifier(8, 6, 3).params) == ["V", "W", "b_h", "c"]
    np.testing.assert_array_equal(cs.TangentClassifier(8, [6], 3, seed=4).params["W"],
                                  cs.TangentClassifier(8, 6, 3, seed=4).params["W"])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softplus"])
def test_gradients_pass_finite_differences_with_tangents(activation):
    clf = cs.TangentClassifier(8, [6, 5], 3, activation=activation, beta=0.7, seed=1)
    X, y, U = data(1)
    _, grads = clf.loss_and_grads(X, y, U)
    f = lambda p: cs.core.tangentprop.loss_terms(p, X, np.eye(3)[y], cs.get_activation(activation), 0.7, U)["total"]
    cs.assert_gradients_close(gradcheck.check_gradients(f, clf.params, grads), tol=1e-7)


def test_from_stack_copies_every_layer_and_predicts_like_the_stack_encoder():
    X, y, _ = data(2, 40)
    stack = cs.StackedCAE([8, 6, 5], lam=0.1, seed=0)
    stack.fit(X, epochs=2, progress=False)
    clf = cs.TangentClassifier.from_stack(stack, 3, beta=0.2)
    assert clf.widths == [6, 5]
    for (w, b), layer in zip([("W", "b_h"), ("W_2", "b_h_2")], stack.layers):
        np.testing.assert_array_equal(clf.params[w], layer.params["W"])
        np.testing.assert_array_equal(clf.params[b], layer.params["b_h"])
    H = stack.encode(X)
    np.testing.assert_allclose(clf.logits(X), H @ clf.params["V"].T + clf.params["c"], rtol=1e-12)
    with pytest.raises(TypeError, match="StackedCAE"):
        cs.TangentClassifier.from_stack(object(), 3)


def test_fit_lowers_the_loss_with_stack_tangents():
    X, y, _ = data(3, 60)
    stack = cs.StackedCAE([8, 6, 5], lam=0.1, seed=0)
    stack.fit(X, epochs=2, progress=False)
    clf = cs.TangentClassifier.from_stack(stack, 3, beta=0.5)
    h = clf.fit(X, y, U=stack.tangents(X, 2), epochs=8, lr=1e-2)
    assert h["total"][-1] < h["total"][0]


def test_save_load_round_trip_and_hostile_widths(tmp_path):
    clf = cs.TangentClassifier(8, [6, 5], 3, activation="tanh", seed=2)
    path = clf.save(tmp_path / "clf.npz")
    back = cs.TangentClassifier.load(path)
    assert repr(back) == repr(clf)
    for k in clf.params:
        np.testing.assert_array_equal(back.params[k], clf.params[k])
    for bad in ([], [6, 0], [6, 5.0], [6, True], "6", None):
        with zipfile.ZipFile(path) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
        import io
        header = json.loads(np.load(io.BytesIO(members["header.npy"])).item())
        header["n_hidden"] = bad
        buf = io.BytesIO()
        np.save(buf, np.array(json.dumps(header)))
        members["header.npy"] = buf.getvalue()
        odd = tmp_path / "odd.npz"
        with zipfile.ZipFile(odd, "w") as zf:
            for n, b in members.items():
                zf.writestr(n, b)
        with pytest.raises(ValueError, match="odd.npz"):
            cs.TangentClassifier.load(odd)


def test_bad_widths_are_named():
    with pytest.raises(ValueError, match="n_hidden"):
        cs.TangentClassifier(8, [], 3)
    with pytest.raises((ValueError, TypeError), match=r"n_hidden\[1\]"):
        cs.TangentClassifier(8, [6, 0], 3)
