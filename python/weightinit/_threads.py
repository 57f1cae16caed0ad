"""The thread-count setting: the package's only user-visible setting."""

from __future__ import annotations

import os
import re
import sys
import warnings
from types import FrameType
from typing import Optional

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
                      f"{cores} CPUs this process may use", RuntimeWarning, stacklevel=_importer_level())
        return cores


def _importer_level() -> int:
    """The stacklevel, for a warning of its caller, of the first frame outside weightinit: the
    line that imported it (this module's own line said nothing of where the import was). The
    import machinery's frames are not counted: warnings skips them."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    level = 1
    frame: Optional[FrameType] = sys._getframe(2)  # the caller's caller
    while frame is not None:
        name = frame.f_code.co_filename
        if not ("importlib" in name and "_bootstrap" in name):
            level += 1
            if not os.path.abspath(name).startswith(package):
                break
        frame = frame.f_back
    return level


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
