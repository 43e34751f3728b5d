"""How many threads the host BLAS uses: one for small and batched linear algebra, its default for large products.

OpenBLAS starts one thread per core and splits every product it thinks is large
enough. When another process keeps a core busy, the thread that lands on the
busy core is descheduled and every split product waits for it: on a 2-core
machine with one core busy, a batched SVD of 500 64x64 matrices (thousands of
small LAPACK calls) ran tens of times slower on two threads than on one
(tools/time_lessons.py --svd measures it). Hence the policy:

- ``one_blas_thread()``: a context manager around batched small linear algebra
  (the SVDs of ``analysis``); inside it the BLAS runs on one thread, after it the
  count is restored. Large products (a training step's 256 x 784 x 1000) keep
  the BLAS default.
- ``set_blas_threads(n)``: a process-wide setting, for programs whose products
  are all small (the lessons: ``lessons._common.start_lesson``).

Both act through threadpoolctl (a dependency of scikit-learn, so always
installed with this package); without it they do nothing. The limit is
process-wide while it holds: another thread's products see it too.
"""
from __future__ import annotations

from contextlib import nullcontext

_controller = None


def _blas():
    """threadpoolctl's controller restricted to the BLAS libraries loaded now, or None without threadpoolctl."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            return None
        import numpy  # noqa: F401  (its BLAS must be loaded before the controller looks for libraries)
        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def blas_threads():
    """The BLAS thread count now (the largest over the loaded BLAS libraries), or None if unknown."""
    blas = _blas()
    counts = [lib.num_threads for lib in blas.lib_controllers] if blas is not None else []
    return max(counts) if counts else None


def one_blas_thread():
    """Context manager: the BLAS runs on one thread inside it (restored on exit). For batched small linear
    algebra, where a second thread only waits on the first and, on a busy core, makes every call wait."""
    blas = _blas()
    return blas.limit(limits=1) if blas is not None else nullcontext()


def set_blas_threads(n):
    """Set the BLAS thread count for the rest of the process: n >= 1, or None to leave it as it is.

    Returns the count in force afterwards (None if threadpoolctl is missing).
    """
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"the BLAS thread count must be an integer >= 1 (or None for the default), got {n!r}")
    blas = _blas()
    if blas is not None and n is not None:
        blas.limit(limits=n)                      # not used as a context manager: the limit stays
    return blas_threads()
