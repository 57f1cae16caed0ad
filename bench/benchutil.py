"""Helpers shared by the benchmark files.

Each benchmark sets ``benchmark.extra_info["library"]`` (``weightinit``, ``numpy``,
``torch``, ``floor``) and ``["threads"]``; ``bench/ratios.py`` groups runs by
``benchmark.group`` and divides numpy's median by each other median.
"""

import contextlib

import pytest

import weightinit as wi

try:
    import torch
except ImportError:  # torch is optional: its benchmarks skip
    torch = None

ALL = wi.get_num_threads()
THREADS = sorted({1, ALL})


@contextlib.contextmanager
def threads(n):
    saved = wi.get_num_threads()
    saved_torch = torch.get_num_threads() if torch is not None else None
    wi.set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        wi.set_num_threads(saved)
        if torch is not None:
            torch.set_num_threads(saved_torch)


def label(benchmark, group, library, nthreads=1):
    benchmark.group = group
    benchmark.extra_info["library"] = library
    benchmark.extra_info["threads"] = nthreads


def need_torch():
    """torch, or a skip of the calling benchmark when it is not installed."""
    if torch is None:
        pytest.skip("torch is not installed")
    return torch
