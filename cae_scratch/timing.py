"""Timing that survives a busy machine: alternating blocks of calls, summarised robustly.

Shared by the benchmark (``apps.bench``) and the lessons that time things.
Calls of each function run in blocks after a warm-up, and the blocks of
different functions alternate, so a burst of load elsewhere hits them alike;
``sync()`` (e.g. ``backend.synchronize``) runs before every clock read, so
queued GPU work is counted. ``median_seconds`` (the benchmark's ratios) takes
the median of single calls; ``min_seconds`` (a lesson's curves on a shared
machine) the minimum over blocks, the time a call takes when nothing interferes.
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


def min_seconds(fns, repeats, sync=lambda: None, target_block=2e-3):
    """{name: min over ``repeats`` alternating blocks of (block time / calls per block)}; each block lasts
    about ``target_block`` seconds, so fast calls are timed many at a time."""
    calls = {}
    for name, fn in fns.items():                            # warm up, and size each block to ~target_block
        t0 = time.perf_counter()
        fn()
        sync()
        calls[name] = max(1, int(target_block / max(time.perf_counter() - t0, 1e-7)))
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(calls[name]):
                fn()
            sync()
            best[name] = min(best[name], (time.perf_counter() - t0) / calls[name])
    return best
