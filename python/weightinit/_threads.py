"""The thread-count setting: the package's only module-level state."""

from __future__ import annotations

import os

from weightinit._args import positive_int

__all__ = ["get_num_threads", "set_num_threads"]

_ENV = "WEIGHTINIT_NUM_THREADS"


def _machine_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _initial() -> int:
    raw = os.environ.get(_ENV)
    if raw is None or raw.strip() == "":
        return _machine_cores()
    try:
        return positive_int(int(raw), _ENV)
    except (TypeError, ValueError):
        raise ValueError(f"environment variable {_ENV} must be an int >= 1, got {raw!r}") from None


_num_threads = _initial()


def set_num_threads(n: int) -> None:
    """Set how many threads the C++ core may use (results never depend on it)."""
    global _num_threads
    _num_threads = positive_int(n, "n")


def get_num_threads() -> int:
    """Threads the C++ core uses: the machine's cores, or ``WEIGHTINIT_NUM_THREADS``."""
    return _num_threads
