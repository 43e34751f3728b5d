"""The plumbing every holder shares (``holder.Holder``, ``serialize.header_field`` / ``invalid_header``,
``validation.parameters`` / ``labels``): the same refusals for the CAE, the stack and the classifier.

Each file here is a real saved file whose JSON header is rewritten as text, so a test can plant what
``json.dumps`` never writes (``Infinity``, ``NaN``) next to what it does (3.7 and true as sizes, a
list of ints where a list of layer objects belongs, a header-only stack).
"""
import io
import json
import zipfile

import numpy as np
import pytest

import cae_scratch as cs


def rewrite_header(src, dst, edit):
    """Copy the model file ``src`` to ``dst`` with its header's JSON text replaced by ``edit(text)``;
    ``edit`` may also drop parameter members by returning (text, names to keep)."""
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    text = str(np.load(io.BytesIO(members["header.npy"])))
    out = edit(text)
    text, keep = out if isinstance(out, tuple) else (out, None)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array(text))
    members["header.npy"] = buf.getvalue()
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in members.items():
            if keep is None or name == "header.npy" or name in keep:
                zf.writestr(name, data)
    return dst


def set_field(field, raw):
    """An edit that sets a top-level header field to the raw JSON text ``raw``."""
    def edit(text):
        header = json.loads(text)
        header[field] = "@@"
        return json.dumps(header).replace('"@@"', raw)
    return edit


def refused(load, path, *words):
    with pytest.raises(ValueError) as err:
        load(path)
    message = str(err.value)
    assert str(path) in message, message
    for w in words:
        assert w in message, message
    return message


# ---- the classifier's drift: NaN parameters, headers read with int() ---------------------------------

def test_classifier_params_refuse_nan_and_inf_as_a_cae_does():
    clf = cs.TangentClassifier(5, 3, 2)
    cae = cs.ContractiveAutoencoder(5, 3)
    for holder in (clf, cae):
        for bad in (np.nan, np.inf):
            params = {k: v.copy() for k, v in holder.params.items()}
            params["W"][0, 0] = bad
            with pytest.raises(ValueError, match=r"params\['W'\] contains NaN or inf"):
                holder.params = params
    good = {k: v + 1.0 for k, v in clf.params.items()}
    clf.params = good                                        # a finite dict is taken, as a copy
    good["W"][0, 0] = 7.0
    assert clf.params["W"][0, 0] != 7.0


@pytest.mark.parametrize("field,raw,word", [
    ("n_hidden", "3.7", "n_hidden"), ("n_hidden", "true", "n_hidden"), ("n_classes", "Infinity", "Infinity"),
    ("n_visible", "1e400", "1e400"), ("seed", "NaN", "NaN"), ("beta", "-Infinity", "Infinity"),
    ("beta", "-1.0", "beta"), ("activation", "\"swish\"", "activation"), ("seed", "-2", "seed"),
    ("n_classes", "\"3\"", "n_classes"),
])
def test_classifier_load_names_the_file_for_every_bad_header(tmp_path, field, raw, word):
    src = cs.TangentClassifier(5, 3, 2, seed=1).save(tmp_path / "clf.npz")
    path = rewrite_header(src, tmp_path / "bad.npz", set_field(field, raw))
    refused(cs.TangentClassifier.load, path, word)


# ---- the stack: hostile headers ---------------------------------------------------------------------

@pytest.fixture
def stack_file(tmp_path):
    return cs.StackedCAE([5, 4, 3], seed=2).save(tmp_path / "stack.npz")


@pytest.mark.parametrize("field,raw,word", [
    ("layers", "[1]", "layers"), ("layers", "[]", "layers"), ("sizes", "[]", "sizes"),
    ("sizes", "[5, Infinity, 3]", "Infinity"), ("seed", "Infinity", "Infinity"), ("seed", "NaN", "NaN"),
    ("sizes", "[5, 4.0, 3]", "sizes"), ("sizes", "[5, true, 3]", "sizes"), ("sizes", "[5, 3, 4]", "chain"),
    ("sizes", "[5, 4]", "layers"), ("seed", "1.5", "seed"), ("layers", "{}", "layers"),
])
def test_stack_load_names_the_file_for_every_bad_header(stack_file, tmp_path, field, raw, word):
    path = rewrite_header(stack_file, tmp_path / "bad.npz", set_field(field, raw))
    refused(cs.StackedCAE.load, path, word)


def test_a_header_only_stack_is_refused_not_loaded_as_zero_layers(stack_file, tmp_path):
    def edit(text):
        header = json.loads(text)
        header["layers"], header["sizes"] = [], [5]
        return json.dumps(header), ()
    refused(cs.StackedCAE.load, rewrite_header(stack_file, tmp_path / "empty.npz", edit), "sizes")


@pytest.mark.parametrize("field,value,word", [
    ("activation", "tanh", "activation"), ("dtype", "float32", "dtype"), ("loss", "mse", "share every setting"),
    ("seed", 9, "seed"),
])
def test_a_stack_the_constructor_would_refuse_is_refused(stack_file, tmp_path, field, value, word):
    """Mixed activations or dtypes (and any per-layer setting but lam) load no more than they construct."""
    def edit(text):
        header = json.loads(text)
        header["layers"][1][field] = value
        if field == "loss":
            header["layers"][1]["decoder_activation"] = "linear"
        return json.dumps(header)
    refused(cs.StackedCAE.load, rewrite_header(stack_file, tmp_path / "mixed.npz", edit), word)


def test_per_layer_lam_still_loads(stack_file, tmp_path):
    def edit(text):
        header = json.loads(text)
        header["layers"][1]["lam"] = 0.7
        return json.dumps(header)
    back = cs.StackedCAE.load(rewrite_header(stack_file, tmp_path / "lam.npz", edit))
    assert [layer.lam for layer in back.layers] == [0.1, 0.7]


# ---- every header: no NaN or infinity ------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_no_header_may_hold_a_non_finite_number(tmp_path, raw):
    src = cs.ContractiveAutoencoder(5, 3).save(tmp_path / "cae.npz")
    for field in ("lam", "noise", "gamma"):
        path = rewrite_header(src, tmp_path / f"{field}.npz", set_field(field, raw))
        refused(cs.ContractiveAutoencoder.load, path, "finite")


def test_a_file_of_one_holder_is_named_as_such_by_another(tmp_path):
    files = {cs.ContractiveAutoencoder: cs.ContractiveAutoencoder(5, 3).save(tmp_path / "cae.npz"),
             cs.StackedCAE: cs.StackedCAE([5, 3, 2]).save(tmp_path / "stack.npz"),
             cs.TangentClassifier: cs.TangentClassifier(5, 3, 2).save(tmp_path / "clf.npz")}
    for loader in files:
        for holder, path in files.items():
            if holder is not loader:
                refused(loader.load, path, f"'{holder.__name__}', not a {loader.__name__}")


# ---- labels: one helper ---------------------------------------------------------------------------------

def test_labels_refuse_what_is_not_a_class_label():
    from cae_scratch import validation
    np.testing.assert_array_equal(validation.labels([0, 2, 1], 3, 3), [0, 2, 1])
    for bad, n_rows, word in (([0.0, 1.0], 2, "integer"), ([0, -1], 2, "integer"), ([0, 3], 2, "out of range"),
                              ([[0, 1]], 2, "1-D"), ([0, 1, 1], 2, "one label per row"),
                              ([True, False], 2, "integer")):
        with pytest.raises(ValueError, match=word):
            validation.labels(bad, n_rows, 3)
    Y = validation.one_hot([2, 0], 2, 3, np, np.float64)
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0]])


# ---- a new holder gets the plumbing by subclassing ----------------------------------------------------

def test_a_new_holder_gets_the_setter_asarray_and_file_reading_by_subclassing(tmp_path):
    from cae_scratch import serialize
    from cae_scratch.holder import Holder

    class Toy(Holder):
        MODEL = "Toy"

        def __init__(self, n, seed=0):
            self.n = n
            self._place("numpy", None, "float64", seed)
            self._params = {"W": self.asarray(np.ones((n, n)))}

        def param_shapes(self):
            return {"W": (self.n, self.n)}

        def save(self, path):
            return serialize.save(path, {"model": self.MODEL, "n": self.n, "dtype": self.dtype_name}, self._params)

        @classmethod
        def load(cls, path):
            header, host = cls._read(path, lambda h: {"W": (serialize.header_field(h, "n", "size"),) * 2}, "numpy", None)
            return cls._from_file(path, host, lambda: cls(header["n"]))

    toy = Toy(2)
    with pytest.raises(ValueError, match="NaN or inf"):
        toy.params = {"W": np.full((2, 2), np.nan)}
    with pytest.raises(ValueError, match=r"shape \(3, 3\), expected \(2, 2\)"):
        toy.params = {"W": np.zeros((3, 3))}
    path = toy.save(tmp_path / "toy.npz")
    np.testing.assert_array_equal(Toy.load(path).params["W"], np.ones((2, 2)))
    refused(Toy.load, rewrite_header(path, tmp_path / "bad.npz", set_field("n", "2.0")), "'n'")
    refused(Toy.load, cs.ContractiveAutoencoder(2, 2).save(tmp_path / "cae.npz"), "not a Toy")
