import atexit
import contextlib
import os
import signal
import platform
import shutil
import tempfile
import threading
import types

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import weightinit as wi

# Deterministic everywhere: the statistical tests depend on fixed examples and keys.
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, derandomize=True, max_examples=20)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# A blocked signal survives exec: a runner that starts pytest with SIGINT or SIGALRM blocked
# would deliver none of the signals the Ctrl-C tests send (helper-169: a child waited out its
# 60 s timeout, fills ran to their end). Unblocked here, on the thread that starts the tests'
# child Pythons, which inherit the mask.
if hasattr(signal, "pthread_sigmask"):
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGALRM})

# matplotlib keeps its font cache under MPLCONFIGDIR, or HOME: where HOME cannot be written it
# says so on stderr, which the CLI tests' children would print beside their one-line messages
# (helper-169: three failed so when run alone; in a full run an earlier import had set it).
if "MPLCONFIGDIR" not in os.environ and not os.access(os.path.expanduser("~"), os.W_OK):
    os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="weightinit-tests-mpl-")
    atexit.register(shutil.rmtree, os.environ["MPLCONFIGDIR"], True)


# The flush-to-zero bits of core.fp_control(): MXCSR's FTZ and DAZ on x86-64, FPCR's FZ on
# aarch64 (which flushes inputs and outputs alike).
AARCH64 = platform.machine() in ("aarch64", "arm64")
FLUSH_TO_ZERO = 1 << 24 if AARCH64 else 0x8040


def table_rows(text):
    """Markdown table rows as lists of cells (header and rule lines dropped)."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows[1:] if rows else rows


def need_torch():
    """torch, or a skip when it cannot be imported (the package and its tests do not need it).
    Not pytest.importorskip: from pytest 8.2 a torch that is installed but fails to import
    (an ImportError that is not ModuleNotFoundError) gives a deprecation warning there, an
    error under the suite's filterwarnings (helper-166: 18 tests failed so)."""
    try:
        import torch
    except ImportError as exc:
        pytest.skip(f"torch cannot be imported: {exc}")
    return torch


@pytest.fixture
def flush_to_zero():
    return FLUSH_TO_ZERO


@pytest.fixture
def aarch64():
    """Whether the floating-point control is aarch64's FPCR (else x86-64's MXCSR)."""
    return AARCH64


@pytest.fixture
def restore_threads():
    """Puts weightinit's thread count back after a test that changes it."""
    saved = wi.get_num_threads()
    yield
    wi.set_num_threads(saved)


@pytest.fixture
def control_sensitive():
    """Data under which the floating-point control matters, for the tests of threads that
    must compute under the caller's: a second feature of subnormal inputs times first-layer
    weights of 1e305 (``big``) adds ~1e-5 to each hidden unit unless denormals are zero.
    ``daz_ftz`` is the caller's control with denormals-are-zero and flush-to-zero set;
    the caller's (``saved``) is put back after the test."""
    from weightinit._coreload import core

    gen = np.random.default_rng(7)
    m = 200
    X = np.vstack([gen.normal(size=m), 1e-310 * (1 + gen.random(m))])
    saved = core.fp_control()
    yield types.SimpleNamespace(X=X, Y=(X[:1] > 0).astype(np.float64), big=np.array([1e305, -1e305, 2e305, -2e305]),
                                saved=saved, daz_ftz=saved | FLUSH_TO_ZERO, core=core)
    core.set_fp_control(saved)


@pytest.fixture
def ctrl_c_after():
    """``with ctrl_c_after(seconds): ...``: a SIGINT that long after the block starts, which
    the block must turn into KeyboardInterrupt (pytest.raises); the timer is cancelled after.
    Python's own SIGINT handler is put in place for the block: a shell starts a background job
    (``pytest &``) with SIGINT ignored, and Python then installs none, so no signal would come."""
    @contextlib.contextmanager
    def after(seconds):
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                yield
        finally:
            timer.cancel()
            if previous is not None:  # None: a handler installed from C, which Python cannot put back
                signal.signal(signal.SIGINT, previous)

    return after
