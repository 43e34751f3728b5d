"""load() of hostile model files: forged zip and .npy headers, bombs, unsupported zip features, pickles.

Every file here is forged by hand with zipfile/struct; a forged header claiming
terabytes is enough to prove the check happens before any allocation
(tracemalloc's peak stays under a few MB).
"""
import io
import json
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

import cae_scratch as cs

LITTLE = 4 << 20        # bytes: any read of a forged size would go far beyond


def npy(arr):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=True)
    return buf.getvalue()


def npy_header(shape, descr="<f8"):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def model_members(**header_update):
    """{member name: bytes} of a valid (5, 3) model file; header fields replaced by ``header_update``."""
    model = cs.ContractiveAutoencoder(5, 3, seed=4)
    header = {"format": "cae-scratch-model", "version": 1, **model._header(), **header_update}
    members = {"header.npy": npy(np.array(json.dumps(header)))}
    members.update({f"param_{k}.npy": npy(v) for k, v in model.params.items()})
    return members


def forge(path, members, deflated=()):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data, zipfile.ZIP_DEFLATED if name in deflated else zipfile.ZIP_STORED)
    return path


def patch_central(path, name, **fields):
    """Overwrite fields (flags, method, file_size) of ``name``'s entry in the zip's central directory."""
    offsets = {"flags": (8, "<H"), "method": (10, "<H"), "file_size": (24, "<I")}
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        n = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + n] == name.encode():
            for field, value in fields.items():
                struct.pack_into(offsets[field][1], data, at + offsets[field][0], value)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def load_with_peak(path):
    """(the ValueError load raised, peak bytes allocated meanwhile)."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as err:
            cs.ContractiveAutoencoder.load(path)
        return err.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_forgery_helpers_make_a_loadable_file(tmp_path):
    """The checker must accept the genuine article, or the refusals below prove nothing."""
    path = forge(tmp_path / "m.npz", model_members(), deflated={"param_W.npy"})
    model = cs.ContractiveAutoencoder.load(path)
    np.testing.assert_array_equal(model.params["W"], cs.ContractiveAutoencoder(5, 3, seed=4).params["W"])


@pytest.mark.parametrize("fields,match", [
    ({"method": 97}, "compression method 97"),
    ({"flags": 0x40}, "encrypted or uses unsupported"),       # strong encryption: NotImplementedError
    ({"flags": 0x20}, "encrypted or uses unsupported"),       # patched data: NotImplementedError
    ({"flags": 0x01}, "encrypted or uses unsupported"),       # encrypted: RuntimeError
])
def test_unsupported_zip_features_are_a_clear_error_naming_the_file(tmp_path, fields, match):
    path = forge(tmp_path / "m.npz", model_members())
    patch_central(path, "param_W.npy", **fields)
    with pytest.raises(ValueError, match=match) as err:
        cs.ContractiveAutoencoder.load(path)
    assert str(path) in str(err.value) and "param_W.npy" in str(err.value)


def test_an_npy_header_claiming_8_tib_allocates_nothing(tmp_path):
    n = 1 << 20                                   # W: 2**20 x 2**20 float64 = 8 TiB
    members = {"header.npy": model_members(n_visible=n, n_hidden=n)["header.npy"]}
    members.update({f"param_{k}.npy": npy_header(s) + bytes(64) for k, s in
                    {"W": (n, n), "b_h": (n,), "b_r": (n,)}.items()})
    err, peak = load_with_peak(forge(tmp_path / "m.npz", members))
    assert "data bytes" in str(err) and str(tmp_path) in str(err) and peak < LITTLE


def test_an_npy_header_that_disagrees_with_the_model_header_is_refused_before_reading(tmp_path):
    members = model_members()
    members["param_W.npy"] = npy_header((1 << 20, 1 << 20)) + bytes(64)
    err, peak = load_with_peak(forge(tmp_path / "m.npz", members))
    assert "parameter 'W' has shape (1048576, 1048576)" in str(err) and peak < LITTLE


def test_a_zip_directory_claiming_more_than_the_file_holds_is_refused(tmp_path):
    path = forge(tmp_path / "m.npz", model_members())
    patch_central(path, "param_b_h.npy", file_size=0xFFFFFFF0)
    err, peak = load_with_peak(path)
    assert "claims 4294967280 bytes" in str(err) and "param_b_h.npy" in str(err) and peak < LITTLE


def bomb(megabytes):
    """A .npy member of ``megabytes`` MB of float64 zeros (deflates to ~1/1000)."""
    return npy_header(((megabytes << 20) // 8,)) + bytes(megabytes << 20)


def test_an_extra_deflate_bomb_member_is_refused_by_name_unread(tmp_path, monkeypatch):
    members = {**model_members(), "param_bomb.npy": bomb(48)}
    path = forge(tmp_path / "m.npz", members, deflated={"param_bomb.npy"})
    assert path.stat().st_size < 200_000
    opened, real_open = [], zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: opened.append(getattr(name, "filename", name))
                        or real_open(self, name, *a, **k))
    err, peak = load_with_peak(path)
    assert peak < LITTLE and "param_bomb.npy" not in opened
    assert "param_bomb.npy" in str(err) and "do not match" in str(err)


def test_a_bomb_in_an_expected_member_is_refused_by_its_size(tmp_path):
    members = model_members()
    members["param_b_r.npy"] = npy_header((5,)) + bytes(40) + bytes(48 << 20)
    err, peak = load_with_peak(forge(tmp_path / "m.npz", members, deflated={"param_b_r.npy"}))
    assert "param_b_r.npy" in str(err) and "data bytes" in str(err) and peak < LITTLE


def test_a_member_that_cannot_deflate_to_its_claimed_size_is_refused(tmp_path):
    members = model_members()
    path = forge(tmp_path / "m.npz", members, deflated={"param_W.npy"})
    compressed = len(zlib.compress(members["param_W.npy"]))
    patch_central(path, "param_W.npy", file_size=2000 * compressed)       # > deflate's 1032:1
    err, _ = load_with_peak(path)
    assert "decompression bomb" in str(err) and "param_W.npy" in str(err)


def test_a_duplicate_member_is_refused(tmp_path):
    path = forge(tmp_path / "m.npz", model_members())
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "a") as zf:
        zf.writestr("param_W.npy", npy(np.zeros((3, 5))))
    with pytest.raises(ValueError, match="'param_W.npy' appears twice"):
        cs.ContractiveAutoencoder.load(path)


def test_an_npy_file_named_npz_is_explained(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(npy(np.zeros((3, 5))))
    with pytest.raises(ValueError, match=r"single NumPy array \(\.npy") as err:
        cs.ContractiveAutoencoder.load(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("member", ["header.npy", "param_b_h.npy"])
def test_a_pickle_bearing_file_is_refused_without_suggesting_unsafe_loading(tmp_path, member):
    members = model_members()
    members[member] = npy(np.array([{"a": 1}, None, 3], dtype=object))
    with pytest.raises(ValueError, match="holds Python objects") as err:
        cs.ContractiveAutoencoder.load(forge(tmp_path / "m.npz", members))
    assert "allow_pickle" not in str(err.value) and "refused for safety" in str(err.value)
    assert str(tmp_path) in str(err.value) and member in str(err.value)


@pytest.mark.parametrize("field,value", [
    ("activation", "swish"), ("decoder_activation", "cube"), ("loss", "hinge"), ("lam", -1.0),
    ("lam", "0.1"), ("dtype", "float16"), ("seed", -3), ("seed", 1.5), ("corruption", "blur"),
    ("noise", -0.5), ("tied", "yes"), ("n_visible", 5.0), ("n_hidden", 0), ("n_hidden", True),
])
def test_invalid_header_values_name_the_file_and_the_field(tmp_path, field, value):
    path = forge(tmp_path / "m.npz", model_members(**{field: value}))
    with pytest.raises(ValueError) as err:
        cs.ContractiveAutoencoder.load(path)
    assert str(path) in str(err.value) and field in str(err.value)


def test_a_missing_header_field_is_named(tmp_path):
    members = model_members()
    header = json.loads(str(np.load(io.BytesIO(members["header.npy"]))))
    del header["activation"]
    members["header.npy"] = npy(np.array(json.dumps(header)))
    with pytest.raises(ValueError, match="lacks the field 'activation'") as err:
        cs.ContractiveAutoencoder.load(forge(tmp_path / "m.npz", members))
    assert str(tmp_path) in str(err.value)
