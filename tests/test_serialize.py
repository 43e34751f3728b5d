"""save() is atomic; load() round-trips and rejects corrupt, truncated and mismatched files."""
import json
import os
import zipfile

import numpy as np
import pytest

import cae_scratch as cs
from cae_scratch import serialize
from _helpers import model_kwargs


def test_round_trip_from_any_backend_loads_on_numpy(backend_name, tmp_path):
    model = cs.ContractiveAutoencoder(7, 4, tied=False, activation="tanh", lam=0.25, seed=9,
                                      **model_kwargs(backend_name))
    X = model.asarray(np.random.default_rng(0).random((5, 7)))
    model.fit(X, epochs=2, batch_size=2, progress=False)
    path = model.save(tmp_path / "m.npz")
    loaded = cs.ContractiveAutoencoder.load(path)
    assert loaded.spec == model.spec and loaded.backend == "numpy"
    for k in model.params:
        np.testing.assert_array_equal(loaded.params[k], cs.to_numpy(model.params[k]))
    assert os.listdir(tmp_path) == ["m.npz"]             # no temporary left behind


def test_load_onto_another_backend_and_dtype(tmp_path):
    model = cs.ContractiveAutoencoder(5, 3, seed=1)
    model.save(tmp_path / "m.npz")
    loaded = cs.ContractiveAutoencoder.load(tmp_path / "m.npz", backend="array_api_strict", dtype="float32")
    assert loaded.dtype_name == "float32"
    np.testing.assert_allclose(cs.to_numpy(loaded.params["W"]), model.params["W"], rtol=1e-7)


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    model = cs.ContractiveAutoencoder(5, 3)
    path = tmp_path / "m.npz"
    model.save(path)
    good = path.read_bytes()

    def broken_savez(fh, **arrays):
        fh.write(b"half a file")
        raise OSError("disk full")
    monkeypatch.setattr(serialize.np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        cs.ContractiveAutoencoder(5, 3, seed=2).save(path)
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["m.npz"]


def test_save_into_a_missing_directory_is_explained(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        cs.ContractiveAutoencoder(5, 3).save(tmp_path / "nope" / "m.npz")


@pytest.fixture
def saved(tmp_path):
    return cs.ContractiveAutoencoder(5, 3).save(tmp_path / "m.npz")


def test_truncated_file(saved):
    data = open(saved, "rb").read()
    with open(saved, "wb") as fh:
        fh.write(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a valid cae-scratch model file .*corrupt or truncated"):
        cs.ContractiveAutoencoder.load(saved)


def test_corrupt_file(saved):
    with open(saved, "wb") as fh:
        fh.write(b"\x00garbage" * 100)
    with pytest.raises(ValueError, match="corrupt or truncated"):
        cs.ContractiveAutoencoder.load(saved)


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="no model file"):
        cs.ContractiveAutoencoder.load(tmp_path / "absent.npz")


def rewrite(path, header_update=None, params=None):
    with np.load(path) as d:
        header = json.loads(str(d["header"][()]))
        arrays = {k: d[k] for k in d.files if k != "header"}
    header.update(header_update or {})
    arrays.update(params or {})
    np.savez(path, header=np.array(json.dumps(header)), **arrays)


@pytest.mark.parametrize("update,params,match", [
    ({"n_hidden": 4}, None, r"parameter 'W' has shape \(3, 5\)"),
    ({"tied": False}, None, "do not match"),
    ({"version": 99}, None, "format version 99"),
    ({"format": "other"}, None, "missing cae-scratch header"),
    ({"activation": "swish"}, None, "activation"),
    (None, {"param_b_h": np.array([1.0, np.nan, 0.0])}, "NaN or inf"),
    (None, {"param_b_h": np.array(["a", "b", "c"])}, "floats"),
])
def test_mismatched_files(saved, update, params, match):
    rewrite(saved, update, params)
    with pytest.raises(ValueError, match=match):
        cs.ContractiveAutoencoder.load(saved)


def test_a_plain_npz_without_header(tmp_path):
    path = tmp_path / "x.npz"
    np.savez(path, W=np.zeros(3))
    with pytest.raises(ValueError, match="not a valid cae-scratch model file"):
        cs.ContractiveAutoencoder.load(path)
    assert zipfile.is_zipfile(path)
