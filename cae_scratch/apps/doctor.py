"""``python -m cae_scratch doctor``: what this machine offers, and why CuPy is (not) usable."""
from __future__ import annotations

import os
import platform
import sys

import numpy as np

from .. import backend
from .bench.report import blas_info


def cupy_diagnosis():
    """(usable: bool, one line): not installed / no device / driver or runtime problem / kernel failed."""
    try:
        import cupy
    except ImportError:
        return False, ("CuPy is not installed: on an NVIDIA GPU machine `pip install cupy-cuda12x` "
                       "(CUDA 12 drivers) or `cupy-cuda13x` (CUDA 13); `nvidia-smi` shows the driver's CUDA version")
    except Exception as e:                              # a broken install
        return False, f"CuPy is installed but fails to import ({type(e).__name__}: {e}); reinstall the wheel for your CUDA"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:
        return False, (f"CuPy {cupy.__version__} finds no usable GPU or driver ({type(e).__name__}: {e}); "
                       "check `nvidia-smi`, and that the cupy-cudaXXx wheel matches the driver's CUDA version")
    if count < 1:
        return False, f"CuPy {cupy.__version__} sees no GPU device"
    try:
        ok = float((cupy.arange(3.0) * 2.0).sum().get()) == 6.0
    except Exception as e:
        return False, (f"CuPy {cupy.__version__} sees {count} GPU(s) but a tiny kernel failed ({type(e).__name__}: "
                       f"{e}); the wheel probably does not match the driver (try the other cupy-cudaXXx)")
    return ok, f"CuPy {cupy.__version__} is usable on {backend.cupy_device_name()}" if ok else "CuPy computed a wrong sum"


def grader_sandbox_line():
    """Whether the exercises' grader can run students' files in its OS sandbox (bubblewrap), and why not.

    Asks the grader's own probe (lessons.exercises.jail, installed with this package: apps are the top layer).
    """
    try:
        from lessons.exercises import jail
    except ImportError as e:
        return f"exercise grader sandbox: unknown (the lessons package does not import: {e})"
    ok, why = jail.available()
    if ok:
        return f"exercise grader sandbox: available ({why})"
    return f"exercise grader sandbox: not available: {why}; to get one, {jail.HOW_TO_GET_ONE}"


def report():
    """(lines to print, CuPy usable)."""
    lines = [f"python {platform.python_version()} ({sys.executable})", f"numpy {np.__version__}"]
    for name in ("array_api_compat", "array_api_strict", "matplotlib", "tqdm", "threadpoolctl"):
        try:
            module = __import__(name)
            lines.append(f"{name} {getattr(module, '__version__', '?')}")
        except ImportError:
            lines.append(f"{name}: not installed")
    blas = blas_info()
    lines += [f"BLAS: {b['internal_api']} {b['version']}, {b['architecture']} kernel, {b['num_threads']} threads"
              for b in blas] or ["BLAS: unknown (pip install threadpoolctl to see the library, kernel and threads)"]
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                      "OMP_NUM_THREADS", "CAE_BACKENDS") if k in os.environ}
    lines.append(f"environment: {env or 'none of OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE, *_NUM_THREADS, CAE_BACKENDS set'}")
    lines.append(f"CPUs: {os.cpu_count()}")
    ok, line = cupy_diagnosis()
    lines.append(line)
    lines.append(f"backends usable here: {', '.join(backend.available_backends())}")
    lines.append(grader_sandbox_line())
    return lines, ok
