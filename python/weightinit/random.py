"""Counter-based random streams (stream spec v3) sampled by the C++ core.

Every sampling function takes a keyword-only ``rng`` following SPEC 7 (None, an int, a
sequence of ints, a SeedSequence, a BitGenerator or a Generator) and turns it into a
two-word Philox key with :func:`key_from_rng`. Element ``i`` of the full tensor is a
pure function of the key and ``i``, so results do not depend on the thread count and
``region=`` yields exactly the slice of the full tensor. Fills run without the GIL on
:func:`weightinit.get_num_threads` threads; Ctrl-C stops a long one within about 50 ms
(raising KeyboardInterrupt, with ``out`` partly written).

>>> import weightinit as wi
>>> wi.random.normal((2, 3), rng=0).shape
(2, 3)
"""

from __future__ import annotations

import functools
import math
import os
import struct
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from weightinit import _args
from weightinit._coreload import core
from weightinit._threads import get_num_threads

__all__ = ["key_from_rng", "normal", "philox4x32_10", "truncated_normal", "uniform"]

_DOUBLE_MAX = float(np.finfo(np.float64).max)
_TINY64 = 5e-324  # float64's smallest subnormal
# Beyond this many standard deviations Phi underflows in double precision.
_MAX_TAIL = 37.0
# The narrowest [a, b] in std: (b - a) / std a normal double. Below, it is subnormal and has
# lost bits (std=1e300 on [0, 1e-20] gave ~2000 distinct values, 1e305 only a).
_MIN_WIDTH = 2.0**-1022
# No standard normal of stream spec v3 exceeds this: Box-Muller's radius is at most
# sqrt(-2 log 2**-53) = 8.5717 (normal's; a truncated normal's bounds are checked instead).
_MAX_Z = 8.572
# The float32 stream's (and so float16's) 24-bit uniforms: radius at most sqrt(48 ln 2) = 5.768.
_MAX_Z_F32 = 5.77


def _max_z(dtype: np.dtype) -> float:
    """The largest |z| of a standard normal of stream spec v3 in dtype."""
    return _MAX_Z if dtype == np.float64 else _MAX_Z_F32


# The share of a truncated normal's mass that may lie beyond the output dtype's range (and
# is then cut off by truncating there too).
_MAX_LOST_MASS = 1e-12


def philox4x32_10(counter: Sequence[int], key: Sequence[int]) -> Tuple[int, int, int, int]:
    """One Philox4x32-10 evaluation: four 32-bit counter words and two key words in, four words out.

    Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11.

    >>> [hex(w) for w in philox4x32_10([0, 0, 0, 0], [0, 0])]
    ['0x6627e8d5', '0xe169c58d', '0xbc57ac4c', '0x9b00dbd8']
    """
    c = _words(counter, 4, "counter")
    k = _words(key, 2, "key")
    return tuple(core.random.philox4x32_10(c, k))


def _words(words: Sequence[int], n: int, name: str) -> List[int]:
    if isinstance(words, (Mapping, AbstractSet)):  # unordered: a dict iterates its keys
        raise TypeError(f"{name} must be a sequence of {n} ints, got a {type(words).__name__}")
    try:
        ws = [int(np.uint64(w)) if isinstance(w, np.integer) else w for w in words]
    except TypeError:
        raise TypeError(f"{name} must be a sequence of {n} ints") from None
    if len(ws) != n or not all(isinstance(w, int) and not isinstance(w, bool) for w in ws):
        raise TypeError(f"{name} must be a sequence of {n} ints")
    if not all(0 <= w < 2**32 for w in ws):
        raise ValueError(f"{name} words must lie in [0, 2**32)")
    return ws


_KEPT_SEEDS = 2**64  # an int seed below this has its key kept (a few bytes each, 1024 at most)


def key_from_rng(rng: Any = None) -> np.ndarray:
    """The Philox key of ``rng``: ``np.random.default_rng(rng).integers(0, 2**32, 2, dtype=uint32)``.

    An int gives the same key every time; a Generator advances, giving a new key per call.
    ``None`` gives 64 bits of fresh entropy from the operating system (``os.urandom``), as
    ``default_rng(None)`` would: a key no one can reproduce either way, got in 0.5 µs where
    seeding a Generator takes 16 (most of a small layer's ``rng=None`` init).
    """
    return np.array(_key(rng), dtype=np.uint32)


def _key_source(rng: Any) -> Any:
    """rng checked, nothing drawn: None and int seeds as they are (what :func:`_key` takes
    them as), anything else the Generator it makes (a Generator passes through), so that
    ``_key(_key_source(rng))`` is ``_key(rng)``."""
    if rng is None or (type(rng) is int and rng >= 0):
        return rng
    return _args.generator(rng)


def _key(rng: Any) -> List[int]:
    if rng is None:
        return list(struct.unpack("<2I", os.urandom(8)))
    if type(rng) is int and 0 <= rng < _KEPT_SEEDS:
        return list(_int_key(rng))
    return _drawn_key(rng)


@functools.lru_cache(maxsize=1024)
def _int_key(seed: int) -> Tuple[int, ...]:
    """An int seed's key, kept: seeding a Generator costs a third of a small layer's init."""
    return tuple(_drawn_key(seed))


def _drawn_key(rng: Any) -> List[int]:
    return _args.generator(rng).integers(0, 2**32, size=2, dtype=np.uint32).tolist()  # Python ints


def _mass(z0: float, z1: float) -> float:
    """P(z0 <= Z <= z1) for a standard normal Z, from the tail that keeps its bits."""
    r = math.sqrt(0.5)
    if z0 >= 0:
        return 0.5 * (math.erfc(z0 * r) - math.erfc(z1 * r))
    if z1 <= 0:
        return 0.5 * (math.erfc(-z1 * r) - math.erfc(-z0 * r))
    return 1.0 - 0.5 * (math.erfc(z1 * r) + math.erfc(-z0 * r))


def _within_range(m: float, s: float, lo: float, hi: float, dtype: np.dtype) -> Tuple[float, float]:
    """[lo, hi] cut to the dtype's finite range, unless that would cut off more than
    _MAX_LOST_MASS of N(m, s**2) on [lo, hi] (ValueError: values the dtype cannot hold)."""
    big = _args.largest(dtype)
    if -big <= lo and hi <= big:
        return lo, hi
    # The mass of [lo, hi] beyond the dtype's range: on [lo, min(hi, -big)] and [max(lo, big), hi].
    low_end, high_start = min(hi, -big), max(lo, big)
    if (hi - lo) / s < 1e-3:  # nearly flat across [lo, hi], where Phi's differences cancel: lengths
        lost, kept = max(0.0, low_end - lo) + max(0.0, hi - high_start), hi - lo
    else:
        lost = (_mass((lo - m) / s, (low_end - m) / s) if lo < -big else 0.0) + \
            (_mass((high_start - m) / s, (hi - m) / s) if hi > big else 0.0)
        kept = _mass((lo - m) / s, (hi - m) / s)
    if not lost <= _MAX_LOST_MASS * kept:
        raise ValueError(f"N(mean={m:g}, std={s:g}) on [a, b] = [{lo:g}, {hi:g}] has a share of "
                         f"{lost / kept if kept else 1.0:.3g} of its mass beyond {dtype}'s largest {big:g}")
    # A cut at +-big that lies beyond double range in std units takes nothing (no sample
    # reaches it) and would give the core a finite bound that standardizes to inf: such a
    # bound stays infinite (float64 bounds of +-inf with a std under 1).
    cut_lo = -big if lo < -big and math.isfinite((-big - m) / s) else lo
    cut_hi = big if hi > big and math.isfinite((big - m) / s) else hi
    return cut_lo, cut_hi


def uniform(
    shape: Optional[_args.ShapeLike] = None,
    *,
    low: float = 0.0,
    high: float = 1.0,
    rng: Any = None,
    dtype: Any = None,
    out: Optional[np.ndarray] = None,
    region: Any = None,
) -> np.ndarray:
    """Samples of U[low, high) (float64 by default; float32, float16 or ``out``'s dtype).

    Element ``i`` is ``low + (high - low) * u_i`` with ``u_i`` the 53-bit (float64) or
    24-bit (float32) uniform of stream spec v3; a value that rounds up to ``high`` becomes
    the largest value below it. For float32 and float16 the bounds are first rounded to
    that dtype; float16 values are the float32 values on those bounds, rounded (so on a
    coarse float16 grid the value at ``low`` has half, the one below ``high`` 1.5 times
    the weight of the others). Where [low, high) holds a single value of the dtype, every
    element is that value; where it holds none (low < high, both rounded into one gap of the
    dtype), a ValueError; ``low == high`` gives ``low`` everywhere.

    >>> x = uniform((3, 4), low=-1, high=1, rng=42)
    >>> bool((x >= -1).all() and (x < 1).all())
    True
    """
    lo = _args.real(low, "low")
    hi = _args.real(high, "high")
    if lo > hi:
        raise ValueError(f"low must be <= high, got low={lo}, high={hi}")
    if not math.isfinite(hi - lo):
        raise ValueError(f"high - low must be finite, got {hi} - {lo}")
    return _fill_uniform(*_args.output(shape, dtype, out, region), lo, hi, rng)


def _fill_uniform(arr: np.ndarray, full: Tuple[int, ...], start: Tuple[int, ...], lo: float, hi: float,
                  rng: Any) -> np.ndarray:
    """uniform's work once its arguments are checked and its array is made (_args.output)."""
    if arr.dtype == np.float64:
        if lo == 0.0 and hi == _TINY64:  # its one value, zero, as low gives it (-0 + 5e-324 u is +0)
            hi = lo
    else:
        r_lo, r_hi = _args.round_to(lo, arr.dtype, "low"), _args.round_to(hi, arr.dtype, "high")
        if lo < hi:  # the values of the dtype in [low, high): none is an error, one is every value
            first = r_lo if r_lo >= lo else _args.step(r_lo, arr.dtype, True)
            last = r_hi if r_hi < hi else _args.step(r_hi, arr.dtype, False)
            if first > last:
                raise ValueError(f"no {arr.dtype} value lies in [low, high) = [{lo}, {hi}): they round to "
                                 f"{r_lo} and {r_hi}")
            if first == last:
                r_lo = r_hi = first
        lo, hi = r_lo, r_hi
    core.random.fill_uniform(arr, _key(rng), full, start, lo, hi, get_num_threads())
    return arr


def normal(
    shape: Optional[_args.ShapeLike] = None,
    *,
    mean: float = 0.0,
    std: float = 1.0,
    rng: Any = None,
    dtype: Any = None,
    out: Optional[np.ndarray] = None,
    region: Any = None,
) -> np.ndarray:
    """Samples of N(mean, std**2) by the Box-Muller transform of stream spec v3.

    Elements ``2p`` and ``2p+1`` are ``r cos(2 pi u2)`` and ``r sin(2 pi u2)`` with
    ``r = sqrt(-2 log(1 - u1))``, scaled by ``std`` and shifted by ``mean``. float16
    values are the float32 values rounded. ``r < 8.572``, and for float32 and float16, whose
    uniforms have 24 bits, ``r <= sqrt(48 ln 2) = 5.77``: their tails stop there (a normal
    passes 5.77 std once in ~1.3e8 draws) and take few distinct radii beyond ~5. At the other
    end, values land exactly on the mean 3 times in 2**24 in float32 and float16 (2**53 in
    float64), where a normal almost never does: ``u1 = 0`` gives ``r = 0``, a pair ``(mean,
    mean)``, and a ``u2`` of 0, 1/4, 1/2 or 3/4 a cos or sin of exactly 0; just beside the
    mean, ``|z|`` under ~2e-7 (the 24-bit ``u2``'s step near those points), the values are
    fewer than the law's (45 against 160 in 1e9, helper-186). A ``mean``
    and ``std`` for which ``|mean| + r std`` overflows the dtype are refused rather than
    written as inf.

    >>> normal(4, std=0.01, rng=0).shape
    (4,)
    """
    m = _args.real(mean, "mean")
    s = _args.nonnegative(std, "std")
    arr, full, start = _args.output(shape, dtype, out, region)
    _args.fits(abs(m) + _max_z(arr.dtype) * s, arr.dtype, "mean={:g} and std={:g}", m, s)
    return _fill_normal(arr, full, start, m, s, rng)


def _fill_normal(arr: np.ndarray, full: Tuple[int, ...], start: Tuple[int, ...], m: float, s: float,
                 rng: Any) -> np.ndarray:
    """normal's work once its arguments are checked, its array made and its values known to fit."""
    core.random.fill_normal(arr, _key(rng), full, start, m, s, get_num_threads())
    return arr


def truncated_normal(
    shape: Optional[_args.ShapeLike] = None,
    *,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    rng: Any = None,
    dtype: Any = None,
    out: Optional[np.ndarray] = None,
    region: Any = None,
) -> np.ndarray:
    """N(mean, std**2) restricted to the absolute bounds [a, b] (torch.nn.init.trunc_normal_'s convention).

    Sampled by the inverse CDF at the middle of each uniform's cell (so the two tails
    mirror each other), never by rejection: every value lies in [a, b], also
    for narrow intervals and intervals far in a tail (up to about 37 std from the mean).
    Bounds may be infinite; a finite bound farther from the mean than double range in
    std units (torch's ``a=-finfo.max``) is taken as one. float32 values are clamped to the bounds rounded inwards to
    float32 (the CDF takes them as given); float16 values are the float32 values on the
    bounds rounded inwards to float16, rounded.
    Intervals narrower than 1e-7 std (1e-4 for float32 and float16), where the CDF has too
    few bits left between its bounds, are sampled from their own density (flat to within
    5e-15, or 5e-9, but for its exponential tilt), so they are filled, not collapsed onto
    a few points (below 2**-1022 std, where that width is a subnormal double with bits lost,
    a ValueError). Bounds beyond
    the dtype's range are cut to it when that loses under 1e-12 of the mass; otherwise the
    values cannot be held and a ValueError says so. Alias: ``wi.trunc_normal``, torch's name.

    >>> x = truncated_normal((1000,), std=0.02, a=-0.04, b=0.04, rng=1)
    >>> bool(x.min() >= -0.04 and x.max() <= 0.04)
    True
    """
    m = _args.real(mean, "mean")
    s = _args.positive(std, "std")
    lo = _args.real(a, "a", finite=False)
    hi = _args.real(b, "b", finite=False)
    if not lo < hi:
        if lo == hi and math.isinf(lo) and a < b:  # a=-10**400, b=-10**399: "got a=-inf, b=-inf" (helper-183)
            raise ValueError(f"a and b both lie beyond every float ({lo}): no value lies between them")
        raise ValueError(f"a must be < b, got a={lo}, b={hi}")
    _check_standardized(m, s, lo, hi, "")
    return _fill_truncated_normal(*_args.output(shape, dtype, out, region), m, s, lo, hi, rng)


def _fill_truncated_normal(arr: np.ndarray, full: Tuple[int, ...], start: Tuple[int, ...], m: float, s: float,
                           lo: float, hi: float, rng: Any) -> np.ndarray:
    """truncated_normal's work once its arguments are checked (_check_standardized) and its
    array made."""
    lo, hi = _within_range(m, s, lo, hi, arr.dtype)
    lo_in, hi_in = lo, hi
    if arr.dtype != np.float64:
        lo_in, hi_in = _args.inward(lo, hi, arr.dtype)
        if not lo_in <= hi_in:
            raise ValueError(f"no {arr.dtype} value lies in [a, b] = [{lo}, {hi}]")
        if lo_in == hi_in:  # one value of the dtype inside: every value is it (+0 for a zero)
            _key(rng)  # a Generator advances as for any other draw
            arr.fill(lo_in + 0.0)
            return arr
        if arr.dtype == np.float16:  # float16 samples float32 on its own bounds rounded inwards
            lo, hi = lo_in, hi_in
            _check_standardized(m, s, lo, hi, " once rounded inwards to float16")  # before any draw
    cdf_lo, cdf_hi = _unbounded_if_beyond_double(m, s, lo, hi)
    core.random.fill_truncated_normal(arr, _key(rng), full, start, m, s, cdf_lo, cdf_hi, get_num_threads())
    if arr.dtype != np.float64 and (cdf_lo, cdf_hi) != (lo, hi):
        # A finite bound the core took as none (no sample reaches it in double) is still a
        # bound: a value rounded to the dtype can pass it (a mean just under it, a tiny std).
        # Its clamp, which the core's would have been (rounding is monotonic).
        np.clip(arr, lo_in, hi_in, out=arr)
    return arr


def _unbounded_if_beyond_double(m: float, s: float, lo: float, hi: float) -> Tuple[float, float]:
    """[lo, hi] with a bound whose distance from m overflows double precision in std units
    (a=-finfo.max, torch's "no bound") made infinite: no sample reaches it, and the core
    takes only bounds that standardize to numbers. After _check_standardized, which refuses
    a bound that far on the other side of the mean (it leaves no mass)."""
    return (-math.inf if (lo - m) / s == -math.inf else lo,
            math.inf if (hi - m) / s == math.inf else hi)


def _check_standardized(m: float, s: float, lo: float, hi: float, rounded: str) -> None:
    """The core's conditions on the bounds it is given, checked first so that the error names
    them and comes before any draw: std and the standardized bounds in double range, (b - a) /
    std at least _MIN_WIDTH, and [lo, hi] within _MAX_TAIL std of the mean."""
    alpha, beta = (lo - m) / s, (hi - m) / s
    # A finite bound beyond double range in std units on its own side of the mean (lo far
    # below, hi far above) cuts nothing: _unbounded_if_beyond_double makes it infinite.
    if s > _DOUBLE_MAX / 64 or (math.isfinite(lo) and alpha == math.inf) or (math.isfinite(hi) and beta == -math.inf):
        raise ValueError(f"std={s:g} or the distance from mean={m:g} to a={lo:g} or b={hi:g}{rounded} overflows "
                         "double precision")
    if (hi - lo) / s < _MIN_WIDTH:
        raise ValueError(f"[a, b] = [{lo!r}, {hi!r}]{rounded} is too narrow for std={s:g}: (b - a) / std = "
                         f"{(hi - lo) / s:.3g}, under 2**-1022, has lost its bits in double precision; pass a smaller std")
    if alpha > _MAX_TAIL or beta < -_MAX_TAIL:
        raise ValueError(
            f"[a, b] = [{lo}, {hi}]{rounded} lies more than {_MAX_TAIL:g} std from the mean: "
            "its probability underflows double precision"
        )


_args.document_common_arguments(uniform, normal, truncated_normal)
