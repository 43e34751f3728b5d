"""The IDX file format (MNIST's): read and write, treating every file as hostile until checked.

Big-endian: two zero bytes, a type code (0x08 = uint8, ...), the number of
dimensions n, n uint32 sizes, then the data. Files may be raw or
gzip-compressed. ``read_idx`` reads the header first and then exactly the
bytes it declares, so a truncated file, a forged header or a gzip bomb is a
ValueError naming the file, never a MemoryError or a silently short array.
The datasets stored in this format (MNIST, Fashion-MNIST) are ``mnist.py``.
"""
from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy as np

TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MAX_NDIM = 32                 # NumPy 1.x's limit; MNIST-family files have 1 or 3
MAX_BYTES = 4 << 30           # the largest MNIST-family file is 47 MB; more is a forged header
GZIP_MAX_RATIO = 1032         # deflate never expands data by more than this


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
