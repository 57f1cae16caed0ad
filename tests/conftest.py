import contextlib
import os
import signal
import threading

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


@pytest.fixture
def restore_threads():
    """Puts weightinit's thread count back after a test that changes it."""
    saved = wi.get_num_threads()
    yield
    wi.set_num_threads(saved)


@pytest.fixture
def ctrl_c_after():
    """``with ctrl_c_after(seconds): ...``: a SIGINT that long after the block starts, which
    the block must turn into KeyboardInterrupt (pytest.raises); the timer is cancelled after."""
    @contextlib.contextmanager
    def after(seconds):
        timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                yield
        finally:
            timer.cancel()

    return after
