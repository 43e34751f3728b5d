"""Timing that survives a busy machine: medians over alternating blocks of calls.

Shared by the benchmark (``apps.bench``) and the lessons that time things.
Calls of one function run in blocks of ``BLOCK`` after a warm-up, and the
blocks of different functions alternate, so a burst of load elsewhere hits
them alike; ``sync()`` (e.g. ``backend.synchronize``) runs before every
clock read, so queued GPU work is counted.
"""
from __future__ import annotations

import time

import numpy as np

BLOCK = 5


def median_seconds(fns, repeats, sync=lambda: None, warmup=3):
    """{name: median seconds of one call} for the callables ``fns``, in alternating blocks."""
    times = {name: [] for name in fns}
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    sync()
    while min(len(t) for t in times.values()) < repeats:
        for name, fn in fns.items():
            for _ in range(BLOCK):
                t0 = time.perf_counter()
                fn()
                sync()
                times[name].append(time.perf_counter() - t0)
    return {name: float(np.median(t)) for name, t in times.items()}
