import os

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
