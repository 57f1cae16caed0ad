"""The thread-count setting: the package's only module-level state."""

from __future__ import annotations

import os
import re
import warnings

from weightinit._args import count, cpu_quota

# Far beyond any machine; keeps the count an int for the core.
MAX_THREADS = 65536

__all__ = ["get_num_threads", "set_num_threads"]

_ENV = "WEIGHTINIT_NUM_THREADS"


def _machine_cores() -> int:
    """The CPUs this process may use: its affinity mask (as taskset or a cpuset sets it), or
    its cgroup's CPU quota rounded up, where lower."""
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        cores = max(1, os.cpu_count() or 1)
    return min(cores, cpu_quota() or cores)


def _initial() -> int:
    raw = os.environ.get(_ENV)
    if raw is None or raw.strip() == "":
        return _machine_cores()
    try:
        if not re.fullmatch(r"\s*[0-9]+\s*", raw, re.ASCII):  # int() would also take "1_0" and other digits
            raise ValueError(raw)
        return count(int(raw), _ENV, 1, MAX_THREADS)
    except (TypeError, ValueError):
        cores = _machine_cores()
        warnings.warn(f"ignoring {_ENV}={raw!r}: not an int in [1, {MAX_THREADS}]; using the "
                      f"{cores} CPUs this process may use", RuntimeWarning, stacklevel=2)
        return cores


_num_threads = _initial()


def set_num_threads(n: int) -> None:
    """Set how many threads the C++ core may use (results never depend on it).

    Any count up to 65536 is taken; one call runs on at most 256.
    """
    global _num_threads
    _num_threads = count(n, "n", 1, MAX_THREADS)


def get_num_threads() -> int:
    """The thread count set: by default ``WEIGHTINIT_NUM_THREADS``, or else the CPUs this
    process may use (its affinity mask, or its cgroup's CPU quota rounded up, where lower); a
    call runs on at most 256 of them."""
    return _num_threads
