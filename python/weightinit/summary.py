"""Summary statistics of a weight array, as the second article prints them."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["Summary", "describe"]


class Summary(NamedTuple):
    """min, max, mean and (population) std of an array."""

    min: float
    max: float
    mean: float
    std: float

    def __str__(self) -> str:
        return f"min={self.min:.3f} max={self.max:.3f} mean={self.mean:.3f} std={self.std:.3f}"


def describe(a: Any) -> Summary:
    """min, max, mean and std (ddof 0, as ``numpy.std``) of ``a``, accumulated in float64.

    >>> print(wi.describe([-1.0, 0.0, 1.0]))
    min=-1.000 max=1.000 mean=0.000 std=0.816
    """
    x = np.asarray(a)
    if x.dtype.kind not in "fiu":
        raise TypeError(f"a must hold real numbers, got dtype {x.dtype}")
    if x.size == 0:
        raise ValueError("a is empty: it has no min, max, mean or std")
    mean = x.mean(dtype=np.float64)
    return Summary(float(x.min()), float(x.max()), float(mean), float(x.std(dtype=np.float64)))
