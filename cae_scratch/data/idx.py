"""MNIST and Fashion-MNIST: IDX files read from a directory, or downloaded on request into a cache.

IDX format (big-endian): two zero bytes, a type code (0x08 = uint8, ...), the
number of dimensions n, n uint32 sizes, then the data. Files may be raw or
gzip-compressed (``name`` or ``name.gz``). A directory needs only the files
of the split it is asked for::

    train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]    (split "train", 60,000 images)
    t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]     (split "test", 10,000 images)

Downloads use the standard library (urllib) and verify each .gz file against
the published MD5 of the standard files (the table torchvision uses, below).
A file whose checksum does not match -- a partial or corrupted download -- is
fetched again from the next mirror; if none gives the right bytes, a
ValueError names the file and both checksums. Nothing is downloaded unless
asked (``download=True``). Any failure of a mirror (URLError, timeouts,
http.client's bad status lines and short bodies) moves on to the next one, and
no ``.part`` file stays behind. Files are hostile until checked: ``read_idx``
reads the header first and exactly the bytes it declares (see there), so a
truncated file, a forged header or a gzip bomb is a ValueError naming the file.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import os
import struct
import urllib.request
import zlib

import numpy as np

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
TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IMAGE_DTYPES = ("uint8",)                                  # pixels 0..255, scaled to [0, 1]
LABEL_DTYPES = ("uint8", "int8", "int16", "int32")
MAX_NDIM = 32                 # NumPy 1.x's limit; MNIST-family files have 1 or 3
MAX_BYTES = 4 << 30           # the largest MNIST-family file is 47 MB; more is a forged header
GZIP_MAX_RATIO = 1032         # deflate never expands data by more than this
MAX_DOWNLOAD_BYTES = 256 << 20
TIMEOUT = 60                  # seconds per network operation


def write_idx(path, array):
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends in .gz); returns the path."""
    array = np.asarray(array)
    code = {np.dtype(v).newbyteorder("="): k for k, v in TYPES.items()}.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"IDX stores uint8, int8, int16, int32, float32 or float64, not {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=TYPES[code]).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as fh:
        fh.write(payload)
    return path


def read_idx(path, dtypes=None):
    """The array stored in an IDX file (raw or .gz); ValueError naming the file if it is damaged.

    The file is hostile until proven otherwise: the header is read first, the
    sizes multiplied in Python ints, a size the file cannot hold (raw: its
    length; gzip: deflate's 1032:1 at most) or above ``MAX_BYTES`` is refused,
    then exactly the declared bytes are read and trailing data is refused.
    ``dtypes`` (e.g. ("uint8",)) is checked against the header before any data is read.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as raw:
            size = os.fstat(raw.fileno()).st_size
            if not path.endswith(".gz"):
                return _read_idx_stream(raw, path, size, size, dtypes)
            with gzip.GzipFile(fileobj=raw, mode="rb") as fh:
                return _read_idx_stream(fh, path, GZIP_MAX_RATIO * size, None, dtypes)
    except (EOFError, OSError, zlib.error) as e:         # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path} is not a readable IDX file ({type(e).__name__}: {e}); it is probably a "
                         "partial or corrupted download: delete it and fetch it again") from None


def _read_idx_stream(fh, path, most, exact, dtypes):
    """Header, checks, then exactly the declared data; ``most``/``exact``: bytes the stream can/must hold."""
    head = fh.read(4)
    if len(head) < 4 or head[:2] != b"\0\0" or head[2] not in TYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number); expected MNIST-style IDX data")
    ndim, dtype = head[3], np.dtype(TYPES[head[2]])
    if not 1 <= ndim <= MAX_NDIM:
        raise ValueError(f"{path} declares {ndim} dimensions; an IDX array here has 1 to {MAX_NDIM}: "
                         "the file is corrupted or not MNIST-style data")
    dims = fh.read(4 * ndim)
    if len(dims) != 4 * ndim:
        raise ValueError(f"{path} is truncated inside its header: it declares {ndim} dimensions but "
                         f"holds {len(dims) // 4} sizes; delete it and fetch it again")
    shape = struct.unpack(f">{ndim}I", dims)
    if dtypes is not None and dtype.newbyteorder("=").name not in dtypes:
        raise ValueError(f"{path} holds {dtype.newbyteorder('=').name} data (IDX type 0x{head[2]:02X}); "
                         f"expected {' or '.join(dtypes)}: this is not an MNIST-style file of that kind")
    nbytes = math.prod(shape) * dtype.itemsize           # Python ints: never overflows
    if exact is not None and 4 + 4 * ndim + nbytes != exact:
        raise ValueError(f"{path} holds {exact} bytes but its header promises {4 + 4 * ndim + nbytes}: the "
                         "file is truncated or corrupted; delete it and fetch it again")
    if nbytes > min(most, MAX_BYTES):
        raise ValueError(f"{path} declares shape {shape} ({nbytes} bytes), more than the file can hold or "
                         f"than idx.MAX_BYTES = {MAX_BYTES}: a forged header or a decompression bomb")
    data = np.empty(nbytes, np.uint8)                    # pages are touched only as data arrives
    view, got = memoryview(data), 0
    while got < nbytes:
        n = fh.readinto(view[got:got + (1 << 20)])
        if not n:
            raise ValueError(f"{path} is truncated: its header promises {nbytes} data bytes, it holds "
                             f"{got}; delete it and fetch it again")
        got += n
    if fh.read(1):
        raise ValueError(f"{path} holds more data than its header declares (shape {shape}): "
                         "corrupted, or not an IDX file; delete it and fetch it again")
    return data.view(dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


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
            f"  (or in Python: cae_scratch.idx.download({name!r}, {str(directory)!r}))")


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
