"""weightinit: neural-network weight initializers sampled by a counter-based C++ core.

>>> import weightinit as wi
>>> w = wi.random.normal((4, 2), std=0.01, rng=2)
"""

from __future__ import annotations

from weightinit import random
from weightinit._coreload import core as _core
from weightinit._threads import get_num_threads, set_num_threads
from weightinit.mlp import MLP

__version__ = "0.1.0"

__all__ = ["MLP", "get_num_threads", "random", "set_num_threads"]
