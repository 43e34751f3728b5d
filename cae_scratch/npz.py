"""Reading .npz members from a file nobody vouches for: the zip's directory first, then exactly what it declares.

``checked_members`` refuses encrypted members, unknown compression and sizes
the file cannot hold (a forged header, a decompression bomb) before anything
is read; ``read_npy`` reads one member's .npy header, refuses pickled
objects, checks shape and dtype, then reads exactly the bytes they imply.
Every refusal is a ValueError that starts with ``bad`` (the caller's
description of the file).
"""
from __future__ import annotations

import math
import zipfile

import numpy as np

HEADER_MAX_BYTES = 1 << 20          # a JSON header is a few hundred bytes
DEFLATE_MAX_RATIO = 1032            # deflate cannot expand data by more than this


def checked_members(zf, file_size, bad):
    """{name: ZipInfo}, each a stored or deflated, unencrypted member whose size this file can hold."""
    members = {}
    for info in zf.infolist():
        name = info.filename
        if name in members:
            raise ValueError(f"{bad}: member {name!r} appears twice")
        if info.flag_bits & 0x61:           # encrypted, patched data, strong encryption
            raise ValueError(f"{bad}: member {name!r} is encrypted or uses unsupported zip features")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(f"{bad}: member {name!r} uses compression method {info.compress_type}; "
                             "a model file is stored uncompressed (or deflated)")
        most = info.compress_size if info.compress_type == zipfile.ZIP_STORED else \
            DEFLATE_MAX_RATIO * info.compress_size + 1024
        if info.file_size > most or info.header_offset + info.compress_size > file_size:
            raise ValueError(f"{bad}: member {name!r} claims {info.file_size} bytes from "
                             f"{info.compress_size} stored in a {file_size}-byte file (a forged header "
                             "or a decompression bomb); refused before reading it")
        members[name] = info
    return members


def read_npy(zf, info, shape, dtype, bad):
    """The array of one .npy member, of ``shape`` and ``dtype`` (None: the JSON header, a string)."""
    what = f"{bad}: member {info.filename!r}"
    with zf.open(info) as fh:
        try:
            version = np.lib.format.read_magic(fh)
            reader = {(1, 0): np.lib.format.read_array_header_1_0,
                      (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if reader is None:
                raise ValueError(f"unsupported .npy version {version}")
            got_shape, fortran, got_dtype = reader(fh)
        except ValueError as e:
            raise ValueError(f"{what} is not a valid .npy array ({e})") from None
        if got_dtype.hasobject:
            raise ValueError(f"{what} holds Python objects (pickled data), which could run code when "
                             "read; it is refused for safety. A model file holds only numbers")
        if shape is None:          # the header: one unicode string of bounded size
            if got_shape != () or got_dtype.kind != "U" or got_dtype.itemsize > HEADER_MAX_BYTES:
                raise ValueError(f"{bad} (missing cae-scratch header: header.npy is {got_dtype} "
                                 f"{got_shape}, expected one string)")
            shape = ()
        elif got_shape != shape or got_dtype.newbyteorder("=") != dtype:
            raise ValueError(f"{bad}: parameter {info.filename[6:-4]!r} has shape {got_shape} and dtype "
                             f"{got_dtype}, expected {shape} floats of the header's dtype {dtype}")
        nbytes = math.prod(shape) * got_dtype.itemsize
        if info.file_size != fh.tell() + nbytes:
            raise ValueError(f"{what} holds {info.file_size - fh.tell()} data bytes, its shape and "
                             f"dtype need {nbytes}: truncated or forged")
        data = fh.read(nbytes)       # exactly what the header declares; zipfile checks the CRC at the end
        if len(data) != nbytes:
            raise ValueError(f"{what} is truncated ({len(data)} of {nbytes} bytes)")
    arr = np.frombuffer(data, got_dtype).reshape(shape, order="F" if fortran else "C")
    return str(arr[()]) if got_dtype.kind == "U" else arr.astype(got_dtype.newbyteorder("="), copy=True)
