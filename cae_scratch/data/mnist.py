"""MNIST and Fashion-MNIST: IDX files (``idx.py``) read from a directory, or downloaded on request into a cache.

A directory needs only the files of the split it is asked for::

    train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]    (split "train", 60,000 images)
    t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]     (split "test", 10,000 images)

Downloads use the standard library (urllib) and verify each .gz file against
the published MD5 of the standard files (the table torchvision uses, below).
A file whose checksum does not match -- a partial or corrupted download -- is
fetched again from the next mirror; if none gives the right bytes, a
ValueError names the file and both checksums. Nothing is downloaded unless
asked (``download=True``). Any failure of a mirror (URLError, timeouts,
http.client's bad status lines and short bodies) moves on to the next one, and
no ``.part`` file stays behind.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import urllib.request

import numpy as np

from .idx import read_idx

SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
SOURCES = {
    "mnist": {
        "mirrors": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        "md5": {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
                "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
                "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}},
    "fashion-mnist": {
        "mirrors": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
        "md5": {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
                "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
                "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}},
}
IMAGE_DTYPES = ("uint8",)                                  # pixels 0..255, scaled to [0, 1]
LABEL_DTYPES = ("uint8", "int8", "int16", "int32")
MAX_DOWNLOAD_BYTES = 256 << 20
TIMEOUT = 60                  # seconds per network operation


def cache_dir(name):
    """Default directory of a dataset: $CAE_SCRATCH_DATA/<name>, else $XDG_CACHE_HOME (~/.cache)/cae-scratch/<name>."""
    root = os.environ.get("CAE_SCRATCH_DATA") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "cae-scratch")
    return os.path.join(root, name)


def _source(name):
    if name not in SOURCES:
        raise ValueError(f"unknown IDX dataset {name!r}; choose one of {sorted(SOURCES)}")
    return SOURCES[name]


def download_command(name, directory):
    return (f"python -m cae_scratch experiment --data {name} --download --data-dir {directory} --out runs/{name}"
            f"  (or in Python: cae_scratch.data.mnist.download({name!r}, {str(directory)!r}))")


def find_file(directory, stem):
    """directory/stem.gz or directory/stem, whichever exists (gz first), else None."""
    for candidate in (stem + ".gz", stem):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    return None


def load_split(name="mnist", split="train", data_dir=None, download=False):
    """X: (N, 784) float64 in [0, 1] (pixels / 255) and y: (N,) int64 for one split of MNIST / Fashion-MNIST."""
    _source(name)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose 'train' or 'test'")
    directory = data_dir or cache_dir(name)
    if download:
        _download(name, directory, (split,))
    paths = [find_file(directory, stem) for stem in SPLITS[split]]
    if None in paths:
        missing = [s for s, p in zip(SPLITS[split], paths) if p is None]
        raise ValueError(f"{name} {split} split not found in {os.path.abspath(directory)}: missing "
                         f"{', '.join(m + '[.gz]' for m in missing)}. Download it (needs internet) with\n  "
                         f"{download_command(name, directory)}\nor copy the IDX files into that directory.")
    images, labels = read_idx(paths[0], IMAGE_DTYPES), read_idx(paths[1], LABEL_DTYPES)
    if images.ndim != 3:
        raise ValueError(f"{paths[0]} holds an array of shape {images.shape}; expected (N, rows, cols) images")
    if labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{paths[0]} and {paths[1]} do not match: images {images.shape}, labels "
                         f"{labels.shape}; expected (N, rows, cols) images and N labels")
    if len(images) == 0 or images.shape[1] * images.shape[2] == 0:
        raise ValueError(f"{paths[0]} holds no data (shape {images.shape}); the {split} split needs "
                         "images: delete the file and fetch it again")
    X = images.reshape(len(images), -1).astype(np.float64) / 255.0
    return X, labels.astype(np.int64)


def md5sum(path):
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_url(url, dest, timeout=TIMEOUT):
    """Stream ``url`` into the file ``dest`` (stdlib urllib; tests replace this function).

    A body shorter than its Content-Length raises http.client.IncompleteRead
    (urllib returns it silently short); more than MAX_DOWNLOAD_BYTES is refused.
    """
    with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as fh:
        declared, got = response.headers.get("Content-Length", ""), 0
        for block in iter(lambda: response.read(1 << 20), b""):
            got += len(block)
            if got > MAX_DOWNLOAD_BYTES:
                raise OSError(f"the server sent more than {MAX_DOWNLOAD_BYTES} bytes; no such file is that big")
            fh.write(block)
        if declared.isdigit() and got != int(declared):
            raise http.client.IncompleteRead(b"", int(declared) - got)


def download(name="mnist", data_dir=None, splits=("train", "test")):
    """Fetch the .gz files of ``splits`` into ``data_dir`` (default ``cache_dir(name)``), checksums verified.

    A .gz file already there with the right MD5 is kept, a wrong one fetched
    again; a raw (uncompressed) file already there stands in for its .gz.
    Each download goes to ``<file>.part`` and is renamed only once its
    checksum matches. Returns the paths of the split files.
    """
    return _download(name, data_dir or cache_dir(name), splits)


def _download(name, directory, splits):
    source = _source(name)
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise ValueError(f"cannot use {os.path.abspath(directory)} as the {name} cache directory "
                         f"({e.strerror}); choose another with data_dir= or $CAE_SCRATCH_DATA") from None
    paths = []
    for split in splits:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; choose 'train' or 'test'")
        for stem in SPLITS[split]:
            raw = os.path.join(directory, stem)
            if os.path.isfile(raw) and not os.path.isfile(raw + ".gz"):
                paths.append(raw)
            else:
                paths.append(_fetch_verified(source, stem + ".gz", directory, name))
    return paths


def _fetch_verified(source, filename, directory, name):
    dest, expected = os.path.join(directory, filename), source["md5"][filename]
    if os.path.isfile(dest) and md5sum(dest) == expected:
        return dest
    part, problems = dest + ".part", []
    for mirror in source["mirrors"]:
        url = mirror + filename
        try:
            try:
                fetch_url(url, part, timeout=TIMEOUT)
                got = md5sum(part)
            except (OSError, http.client.HTTPException) as e:    # URLError, timeouts, bad status lines, ...
                problems.append(f"{url}: {type(e).__name__}: {e}")
                continue
            if got == expected:
                os.replace(part, dest)
                return dest
            problems.append(f"{url}: checksum {got} != expected {expected} (partial or corrupted)")
        finally:                    # on every path, Ctrl-C included: no .part file stays behind
            try:
                os.remove(part)
            except OSError:
                pass
    raise ValueError(f"could not download {name} file {filename} into the cache directory "
                     f"{os.path.abspath(directory)}; mirrors tried:\n  " + "\n  ".join(problems)
                     + "\nCheck the internet connection, or copy the IDX files into that directory by hand.")
