"""Helpers shared by the benchmark files.

Each benchmark sets ``benchmark.extra_info["library"]`` (``weightinit``, ``numpy``,
``torch``, ``floor``) and ``["threads"]``; ``bench/ratios.py`` groups runs by
``benchmark.group`` and divides numpy's median by each other median.

Our rows (and torch's) run at one thread and at all of them, or at the counts that
``WEIGHTINIT_BENCH_THREADS`` lists (``1,2,4,8,16`` for a scaling run on a larger machine).
"""

import contextlib
import os
import re

import pytest

import weightinit as wi
from weightinit._threads import MAX_THREADS

try:
    import torch
except ImportError:  # torch is optional: its benchmarks skip
    torch = None

ALL = wi.get_num_threads()


def thread_counts(spec, all_threads):
    """The thread counts to run: ``spec`` ("1,2,4,8,16", from ``WEIGHTINIT_BENCH_THREADS``) or,
    when it is empty, one thread and all of them."""
    if not spec:
        return sorted({1, all_threads})
    # The digits WEIGHTINIT_NUM_THREADS takes (int() would also take "1_0" and other scripts').
    if not re.fullmatch(r"\s*[0-9]+\s*(,\s*[0-9]+\s*)*", spec, re.ASCII):
        raise ValueError(f"WEIGHTINIT_BENCH_THREADS must be thread counts separated by commas, got {spec!r}")
    counts = sorted({int(n) for n in spec.split(",")})
    if counts[0] < 1 or counts[-1] > MAX_THREADS:
        raise ValueError(f"WEIGHTINIT_BENCH_THREADS must be counts in [1, {MAX_THREADS}], got {spec!r}")
    return counts


THREADS = thread_counts(os.environ.get("WEIGHTINIT_BENCH_THREADS", ""), ALL)


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
