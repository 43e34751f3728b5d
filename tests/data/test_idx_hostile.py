"""Hostile IDX files: wrong types, corrupt deflate, gzip bombs, overflowing and truncated headers, empty splits.

Headers are forged with struct; a bomb is proved unread by tracemalloc's peak.
"""
import gzip
import os
import struct
import tracemalloc
import zlib

import numpy as np
import pytest

from cae_scratch import data
from cae_scratch.data import idx, mnist
from _helpers import fake_split

LITTLE = 4 << 20


def header(code, shape):
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def read_with_peak(path):
    """(the ValueError read_idx raised, peak bytes allocated meanwhile)."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as err:
            idx.read_idx(path)
        return err.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("images", [
    np.array([[[0, 1000], [70000, 255]]] * 2, dtype=np.int32),        # 0x0C
    np.array([[[0.0, np.nan], [2.5, 1.0]]] * 2, dtype=np.float32),     # 0x0D
    np.array([[[-1, 5], [2, 3]]] * 2, dtype=np.int8),                 # 0x09
])
def test_images_of_another_idx_type_are_refused(tmp_path, images):
    img, lab = (str(tmp_path / (stem + ".gz")) for stem in mnist.SPLITS["test"])
    idx.write_idx(img, images)
    idx.write_idx(lab, np.array([1, 2], np.uint8))
    with pytest.raises(ValueError, match=r"expected uint8") as err:
        data.load_mnist("test", data_dir=str(tmp_path))
    assert img in str(err.value) and str(images.dtype) in str(err.value)


def test_labels_must_be_integers(tmp_path):
    img, lab = (str(tmp_path / stem) for stem in mnist.SPLITS["test"])
    idx.write_idx(img, np.zeros((2, 4, 4), np.uint8))
    idx.write_idx(lab, np.array([1.5, 2.0]))
    with pytest.raises(ValueError, match=r"holds float64 data .*expected uint8 or int8") as err:
        data.load_mnist("test", data_dir=str(tmp_path))
    assert lab in str(err.value)
    idx.write_idx(lab, np.array([1, 2], np.int16))                         # any integer type is fine
    np.testing.assert_array_equal(data.load_mnist("test", data_dir=str(tmp_path), return_labels=True)[1], [1, 2])


def test_corrupt_deflate_data_is_a_clear_error_naming_the_file(tmp_path):
    path = tmp_path / "x.gz"
    blob = bytearray(gzip.compress(header(8, (50, 28, 28)) + os.urandom(50 * 784)))
    blob[10] = 0x07                     # the first deflate block: final, of the reserved type 3
    path.write_bytes(bytes(blob))
    with pytest.raises(zlib.error):                               # the defect the check must catch
        gzip.decompress(bytes(blob))
    with pytest.raises(ValueError, match="partial or corrupted") as err:
        idx.read_idx(str(path))
    assert str(path) in str(err.value)


def gz_bomb(path, declared, megabytes):
    """A gzip file: an IDX header of ``declared`` uint8 shape, its data, then ``megabytes`` MB of zeros."""
    body = header(8, declared) + bytes(int(np.prod(declared)))
    stream = zlib.compressobj(9, zlib.DEFLATED, 31)               # wbits 31: a gzip container
    chunks = [stream.compress(body)] + [stream.compress(bytes(1 << 20)) for _ in range(megabytes)]
    path.write_bytes(b"".join(chunks) + stream.flush())
    return str(path)


def test_a_gzip_bomb_is_refused_after_the_header_without_decompressing_it(tmp_path):
    path = gz_bomb(tmp_path / "b.gz", (1, 28, 28), 48)
    assert os.path.getsize(path) < 200_000
    err, peak = read_with_peak(path)
    assert peak < LITTLE and "more data than its header declares" in str(err) and path in str(err)


def test_a_header_declaring_more_than_gzip_can_hold_is_refused_before_reading(tmp_path):
    path = gz_bomb(tmp_path / "b.gz", (1, 28, 28), 48)
    blob = bytearray(gzip.decompress(open(path, "rb").read()))
    blob[4:8] = struct.pack(">I", 1 << 20)                         # a million images from 50 KB
    path2 = tmp_path / "c.gz"
    path2.write_bytes(gzip.compress(bytes(blob)))
    err, peak = read_with_peak(str(path2))
    assert peak < LITTLE and "more than the file can hold" in str(err) and str(path2) in str(err)


def test_sizes_whose_product_overflows_int64_are_refused(tmp_path):
    forged = header(8, (1 << 16,) * 4)                             # 2**64 bytes: 0 in int64 arithmetic
    for name, blob, match in (("o", forged, r"promises 18446744073709551636"),
                              ("o.gz", gzip.compress(forged), r"\(18446744073709551616 bytes\)")):
        path = tmp_path / name
        path.write_bytes(blob)
        with pytest.raises(ValueError, match=match) as err:
            idx.read_idx(str(path))
        assert str(path) in str(err.value)


@pytest.mark.parametrize("head,match", [
    (b"\0\0\x08\x03" + bytes(6), "truncated inside its header: it declares 3 dimensions but holds 1 sizes"),
    (header(8, (1,) * 100) + b"\x07", "declares 100 dimensions"),
    (header(8, (1,) * 33) + b"\x07", "declares 33 dimensions"),
    (b"\0\0\x08\x00\x07", "declares 0 dimensions"),
])
def test_bad_dimension_headers_name_the_file(tmp_path, head, match):
    for name, blob in (("r", head), ("g.gz", gzip.compress(head))):
        path = tmp_path / name
        path.write_bytes(blob)
        with pytest.raises(ValueError, match=match) as err:
            idx.read_idx(str(path))
        assert str(path) in str(err.value)


def test_32_dimensions_are_still_read(tmp_path):
    path = idx.write_idx(str(tmp_path / "d"), np.arange(2, dtype=np.uint8).reshape((2,) + (1,) * 31))
    assert idx.read_idx(path).shape == (2,) + (1,) * 31


def test_a_zero_image_split_is_refused_naming_the_file(tmp_path):
    fake_split(str(tmp_path), "test", n=0)
    with pytest.raises(ValueError, match="holds no data") as err:
        data.load_mnist("test", data_dir=str(tmp_path))
    assert "t10k-images-idx3-ubyte" in str(err.value)


def test_short_gzip_data_is_reported_as_truncated(tmp_path):
    path = tmp_path / "s.gz"
    path.write_bytes(gzip.compress(header(8, (3, 4, 4)) + bytes(40)))    # 48 declared, 40 present
    with pytest.raises(ValueError, match="holds 40") as err:
        idx.read_idx(str(path))
    assert str(path) in str(err.value)
