"""weightinit: neural-network weight initializers sampled by a counter-based C++ core.

>>> import weightinit as wi
>>> w = wi.random.normal((4, 2), std=0.01, rng=2)
>>> w = wi.he_normal((4, 2), rng=2)
"""

from weightinit import datasets, random
from weightinit._coreload import core as _core  # noqa: F401  (wi._core: the extension itself)
from weightinit._threads import get_num_threads, set_num_threads
from weightinit.fans import calculate_gain, compute_fans
from weightinit.initializers import *  # noqa: F403  (the catalogue: see initializers.__all__)
from weightinit.initializers import __all__ as _initializers
from weightinit.registry import available, get, scale
from weightinit.summary import Summary, describe
from weightinit.mlp import MLP  # noqa: E402  (after the registry it uses)
from weightinit.sweep import SweepResult, sweep  # noqa: E402  (after MLP, which it builds on)

__version__ = "0.1.0"

__all__ = ["MLP", "datasets", "get_num_threads", "random", "set_num_threads"]
__all__ += ["SweepResult", "sweep"]
__all__ += ["Summary", "available", "calculate_gain", "compute_fans", "describe", "get", "scale", *_initializers]
