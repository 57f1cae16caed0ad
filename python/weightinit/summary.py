"""Summary statistics of a weight array, as the second article prints them."""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Optional, Tuple

import numpy as np

from weightinit import _args

__all__ = ["Summary", "describe"]


class Summary(NamedTuple):
    """min, max, mean and (population) std of an array."""

    min: float
    max: float
    mean: float
    std: float

    def __str__(self) -> str:
        # The article's %.3f, but in exponent form from 1e6 on (randn * 1e300 gave 300 digits)
        # and for arrays whose every value %.3f prints as 0.000 (randn * 1e-4 printed zeros).
        # Otherwise a mean of rounding noise (1.9e-17) is 0.000, and -0.000 too.
        top = max(abs(self.min), abs(self.max))
        tiny = 0 < top < 0.0005

        def text(v: float) -> str:
            fixed = f"{v:.3f}"
            if tiny or not abs(float(fixed)) < 1e6:  # as rounded: 999999.9996 too
                return f"{v:.3e}"
            return "0.000" if fixed == "-0.000" else fixed
        return f"min={text(self.min)} max={text(self.max)} mean={text(self.mean)} std={text(self.std)}"


def describe(a: Any) -> Summary:
    """min, max, mean and std (ddof 0, as ``numpy.std``) of ``a``, accumulated in float64
    (of its unmasked values, for a masked array).

    >>> print(wi.describe([-1.0, 0.0, 1.0]))
    min=-1.000 max=1.000 mean=0.000 std=0.816
    """
    x = a.compressed() if _args.is_masked_array(a) else _args.as_array(a, "a", ragged=ValueError)
    if x.dtype.kind not in "fiu":
        raise TypeError(f"a must hold real numbers, got dtype {x.dtype}")
    if x.size == 0:
        raise ValueError("a is empty: it has no min, max, mean or std")
    lo, hi = float(x.min()), float(x.max())
    mean, std = moments(x, max(abs(lo), abs(hi)))
    return Summary(lo, hi, mean, std)


# Between 1 / this and this, squares and sums of any array that fits in memory stay finite
# and normal.
_UNSCALED = 1e100


def moments(x: np.ndarray, top: Optional[float] = None) -> Tuple[float, float]:
    """Mean and population std of a non-empty array, in float64, without overflowing or
    underflowing: values up to the largest double (an exploding network's activations) or
    down to the smallest (a vanishing one's) are scaled by their largest magnitude first
    (``top``, when the caller knows it). NaN or inf values give what numpy gives, silently."""
    with np.errstate(all="ignore"):
        if top is None:
            top = max(abs(float(x.max())), abs(float(x.min())))
        if not (top > _UNSCALED or 0 < top < 1 / _UNSCALED) or not math.isfinite(top):
            return float(x.mean(dtype=np.float64)), float(x.std(dtype=np.float64))  # the std keeps its precision
        y = x / np.float64(top)
        return top * float(y.mean(dtype=np.float64)), top * float(y.std(dtype=np.float64))
