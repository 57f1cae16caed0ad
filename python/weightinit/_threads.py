"""The thread-count setting: the package's only module-level state."""

from __future__ import annotations

import operator
import os

__all__ = ["get_num_threads", "set_num_threads"]

_ENV = "WEIGHTINIT_NUM_THREADS"


def _machine_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _checked(n: object, name: str) -> int:
    if isinstance(n, bool):
        raise TypeError(f"{name} must be an int >= 1, got {n!r}")
    try:
        value = operator.index(n)
    except TypeError:
        raise TypeError(f"{name} must be an int >= 1, got {type(n).__name__}") from None
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value


def _initial() -> int:
    raw = os.environ.get(_ENV)
    if raw is None or raw.strip() == "":
        return _machine_cores()
    try:
        return _checked(int(raw), _ENV)
    except (TypeError, ValueError):
        raise ValueError(f"environment variable {_ENV} must be an int >= 1, got {raw!r}") from None


_num_threads = _initial()


def set_num_threads(n: int) -> None:
    """Set how many threads the C++ core may use (results never depend on it)."""
    global _num_threads
    _num_threads = _checked(n, "n")


def get_num_threads() -> int:
    """Threads the C++ core uses: the machine's cores, or ``WEIGHTINIT_NUM_THREADS``."""
    return _num_threads
