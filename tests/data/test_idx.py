"""IDX files and the MNIST-family loader/downloader. No test touches the network: fetches are monkeypatched."""
import hashlib
import os
import urllib.error

import numpy as np
import pytest

from cae_scratch import data
from cae_scratch.data import idx, mnist
from _helpers import fake_split


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("array", [
    np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
    np.array([7, -3, 2**30], dtype=np.int32),
    np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2),
    np.array([0.5, -2.25]),
])
def test_idx_round_trips_raw_and_gz(tmp_path, suffix, array):
    path = idx.write_idx(str(tmp_path / ("a.idx" + suffix)), array)
    back = idx.read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_idx_header_is_the_mnist_layout(tmp_path):
    path = idx.write_idx(str(tmp_path / "x"), np.zeros((2, 28, 28), np.uint8))
    raw = open(path, "rb").read()
    assert raw[:4] == b"\x00\x00\x08\x03" and raw[4:16] == bytes([0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28])
    assert len(raw) == 16 + 2 * 28 * 28


def test_truncated_and_foreign_files_are_reported(tmp_path):
    raw = idx.write_idx(str(tmp_path / "r"), np.ones((3, 4, 4), np.uint8))
    with open(raw, "r+b") as fh:
        fh.truncate(30)
    with pytest.raises(ValueError, match="truncated"):
        idx.read_idx(raw)
    gz = idx.write_idx(str(tmp_path / "g.gz"), np.ones((50, 28, 28), np.uint8))
    blob = open(gz, "rb").read()
    open(gz, "wb").write(blob[:len(blob) // 2])                # a partial download
    with pytest.raises(ValueError, match="partial or corrupted"):
        idx.read_idx(gz)
    (tmp_path / "t.txt").write_text("hello world")
    with pytest.raises(ValueError, match="magic"):
        idx.read_idx(str(tmp_path / "t.txt"))
    with pytest.raises(TypeError, match="IDX stores"):
        idx.write_idx(str(tmp_path / "b"), np.zeros(3, np.complex128))


@pytest.mark.parametrize("gz", [True, False])
def test_a_directory_with_only_the_test_split_loads_the_test_split(tmp_path, gz):
    images, labels = fake_split(str(tmp_path), "test", gz=gz)
    X, y = data.load_mnist("test", data_dir=str(tmp_path), return_labels=True)
    assert X.shape == (6, 784) and X.dtype == np.float64 and 0.0 <= X.min() and X.max() <= 1.0
    np.testing.assert_array_equal(np.round(X * 255).astype(np.uint8), images.reshape(6, -1))
    np.testing.assert_array_equal(y, labels)
    with pytest.raises(ValueError) as err:
        data.load_mnist("train", data_dir=str(tmp_path))
    message = str(err.value)
    assert str(tmp_path) in message and "train-images-idx3-ubyte" in message
    assert "python -m cae_scratch experiment --data mnist --download" in message
    X2 = data.load("fashion-mnist", split="test", data_dir=str(tmp_path))    # same file layout
    np.testing.assert_array_equal(X2, X)


def test_mismatched_images_and_labels_are_refused(tmp_path):
    fake_split(str(tmp_path), "train", n=6)
    idx.write_idx(str(tmp_path / "train-labels-idx1-ubyte.gz"), np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match="do not match"):
        mnist.load_split("mnist", "train", str(tmp_path))
    with pytest.raises(ValueError, match="'train' or 'test'"):
        mnist.load_split("mnist", "validation", str(tmp_path))
    with pytest.raises(ValueError, match="choose one of"):
        mnist.load_split("cifar", "train", str(tmp_path))


@pytest.fixture
def fake_server(tmp_path, monkeypatch):
    """Replace the network: fetch_url serves gzipped fake IDX files; the MD5 table lists their checksums.

    ``served`` maps URL -> bytes (edit it to serve corrupt data); ``calls`` records fetched URLs.
    """
    source_dir = tmp_path / "server"
    source_dir.mkdir()
    fake_split(str(source_dir), "train")
    fake_split(str(source_dir), "test", seed=1)
    md5 = {f: hashlib.md5((source_dir / f).read_bytes()).hexdigest() for f in os.listdir(source_dir)}
    mirrors = ("https://a.example/", "https://b.example/")
    monkeypatch.setitem(mnist.SOURCES, "mnist", {"mirrors": mirrors, "md5": md5})
    served = {m + f: (source_dir / f).read_bytes() for m in mirrors for f in md5}
    calls = []

    def fetch(url, dest, timeout=60):
        calls.append(url)
        if served.get(url) is None:
            raise urllib.error.URLError("no network here")
        with open(dest, "wb") as fh:
            fh.write(served[url])

    monkeypatch.setattr(mnist, "fetch_url", fetch)
    return {"served": served, "calls": calls, "md5": md5, "mirrors": mirrors}


def test_download_verifies_checksums_and_skips_good_files(tmp_path, fake_server):
    cache = str(tmp_path / "cache")
    paths = mnist.download("mnist", cache)
    assert len(paths) == 4 and len(fake_server["calls"]) == 4
    assert not any(name.endswith(".part") for name in os.listdir(cache))
    X, y = data.load_mnist("train", data_dir=cache, return_labels=True)
    assert X.shape == (6, 784) and y.shape == (6,)
    mnist.download("mnist", cache)                                   # all present and verified: nothing fetched
    assert len(fake_server["calls"]) == 4


def test_a_corrupted_download_is_detected_and_fetched_from_the_next_mirror(tmp_path, fake_server):
    name = "t10k-images-idx3-ubyte.gz"
    first = fake_server["mirrors"][0] + name
    fake_server["served"][first] = fake_server["served"][first][:100]     # a partial file from mirror a
    path = mnist.download("mnist", str(tmp_path / "c"), splits=("test",))[0]
    assert mnist.md5sum(path) == fake_server["md5"][name]
    assert fake_server["calls"][:2] == [first, fake_server["mirrors"][1] + name]


def test_a_corrupted_file_in_the_cache_is_fetched_again(tmp_path, fake_server):
    cache = str(tmp_path / "c")
    mnist.download("mnist", cache, splits=("test",))
    target = os.path.join(cache, "t10k-labels-idx1-ubyte.gz")
    with open(target, "r+b") as fh:
        fh.truncate(10)
    mnist.download("mnist", cache, splits=("test",))
    assert mnist.md5sum(target) == fake_server["md5"]["t10k-labels-idx1-ubyte.gz"]
    assert fake_server["calls"][-1].endswith("t10k-labels-idx1-ubyte.gz") and len(fake_server["calls"]) == 3


def test_wrong_bytes_everywhere_or_no_network_give_a_clear_error(tmp_path, fake_server):
    for url in fake_server["served"]:
        fake_server["served"][url] = b"garbage"
    with pytest.raises(ValueError, match="checksum .* != expected"):
        mnist.download("mnist", str(tmp_path / "c"), splits=("test",))
    assert not any(n.endswith(".part") for n in os.listdir(tmp_path / "c"))
    for url in fake_server["served"]:
        fake_server["served"][url] = None
    with pytest.raises(ValueError, match="no network here") as err:
        data.load_mnist("test", data_dir=str(tmp_path / "d"), download=True)
    assert str(tmp_path / "d") in str(err.value)


def test_download_on_load_fetches_only_the_asked_split(tmp_path, fake_server, monkeypatch):
    monkeypatch.setenv("CAE_SCRATCH_DATA", str(tmp_path / "home"))
    assert mnist.cache_dir("mnist") == str(tmp_path / "home" / "mnist")
    X = data.load_mnist("test", download=True)
    assert X.shape == (6, 784) and len(fake_server["calls"]) == 2
    assert sorted(os.listdir(tmp_path / "home" / "mnist")) == ["t10k-images-idx3-ubyte.gz",
                                                               "t10k-labels-idx1-ubyte.gz"]


def test_real_checksum_table_is_complete():
    """Every standard file has a well-formed, distinct MD5 (a typo'd or pasted-twice checksum fails here), and
    the table agrees with the published values of MNIST's training images (an independent record)."""
    published = {"mnist": {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873"},
                 "fashion-mnist": {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d"}}
    every = []
    for name, source in mnist.SOURCES.items():
        expected = {stem + ".gz" for stems in mnist.SPLITS.values() for stem in stems}
        assert set(source["md5"]) == expected
        for digest in source["md5"].values():
            assert len(digest) == 32 and set(digest) <= set("0123456789abcdef"), digest
        every += list(source["md5"].values())
        assert all(m.endswith("/") for m in source["mirrors"]) and len(set(source["mirrors"])) >= 2
        for f, digest in published[name].items():
            assert source["md5"][f] == digest
    assert len(set(every)) == len(every)                         # no checksum pasted twice