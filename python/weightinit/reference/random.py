"""Stream spec v3 (the README's "Stream spec v3" section) in NumPy alone.

Each function takes the key as two uint32 words and computes the elements of a
region of the full tensor from their flat indices, as the spec states.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

from numpy.typing import DTypeLike

import numpy as np

Shape = Sequence[int]
Region = Optional[Tuple[slice, ...]]

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK32 = np.uint64(0xFFFFFFFF)


def philox4x32_10(counter: np.ndarray, key: Sequence[int]) -> np.ndarray:
    """Philox4x32-10 of counters shaped (..., 4) (uint32 words c0..c3) under key (k0, k1)."""
    c = np.asarray(counter, dtype=np.uint64)
    x0, x1, x2, x3 = (c[..., i] for i in range(4))
    k0, k1 = int(key[0]), int(key[1])
    for r in range(10):
        if r:
            k0, k1 = (k0 + W0) & 0xFFFFFFFF, (k1 + W1) & 0xFFFFFFFF
        p0 = M0 * x0  # 32 x 32 -> 64 bits, exact in uint64
        p1 = M1 * x2
        x0, x1, x2, x3 = (
            (p1 >> np.uint64(32)) ^ x1 ^ np.uint64(k0),
            p1 & MASK32,
            (p0 >> np.uint64(32)) ^ x3 ^ np.uint64(k1),
            p0 & MASK32,
        )
    return np.stack([x0, x1, x2, x3], axis=-1).astype(np.uint32)


def blocks(key: Sequence[int], j: np.ndarray) -> np.ndarray:
    """Blocks j (uint64 indices) of the stream: counter (j mod 2^32, j >> 32, 0, 0)."""
    j = np.asarray(j, dtype=np.uint64)
    counter = np.stack([j & MASK32, j >> np.uint64(32), np.zeros_like(j), np.zeros_like(j)], axis=-1)
    return philox4x32_10(counter, key)


def flat_indices(shape: Shape, region: Region = None) -> np.ndarray:
    """uint64 flat C-order indices, in the full tensor of `shape`, of the elements of `region`.
    The spec indexes fewer than 2**64 elements: a larger tensor is a ValueError (uint64
    arithmetic would wrap its indices)."""
    if math.prod(shape) >= 2**64:
        raise ValueError(f"shape {tuple(shape)} has 2**64 elements or more: the stream spec indexes fewer")
    region = tuple(region or ()) + (slice(None),) * (len(shape) - len(region or ()))
    idx = np.zeros((), dtype=np.uint64)
    for s, dim in zip(region, shape):
        start, stop, _ = s.indices(dim)
        axis = np.uint64(start) + np.arange(stop - start, dtype=np.uint64)  # start may pass int64
        idx = idx[..., None] * np.uint64(dim) + axis
    return idx


def unit_uniform(key: Sequence[int], i: np.ndarray, dtype: DTypeLike) -> np.ndarray:
    """The element uniforms on [0, 1), as float64 values (exact)."""
    i = np.asarray(i, dtype=np.uint64)
    if np.dtype(dtype) == np.float64:
        b = blocks(key, i // np.uint64(2))
        w = (i % np.uint64(2)).astype(np.intp)
        lo = np.take_along_axis(b, (2 * w)[..., None], axis=-1)[..., 0].astype(np.uint64)
        hi = np.take_along_axis(b, (2 * w + 1)[..., None], axis=-1)[..., 0].astype(np.uint64)
        word = lo | (hi << np.uint64(32))
        return (word >> np.uint64(11)).astype(np.float64) * 2.0**-53
    b = blocks(key, i // np.uint64(4))
    lane = np.take_along_axis(b, (i % np.uint64(4)).astype(np.intp)[..., None], axis=-1)[..., 0]
    return (lane >> np.uint32(8)).astype(np.float64) * 2.0**-24


def uniform(shape: Shape, key: Sequence[int], low: float = 0.0, high: float = 1.0, dtype: DTypeLike = np.float64,
            region: Region = None) -> np.ndarray:
    """low + (high - low) u rounded to dtype, and below high. float32 and float16 first round
    the bounds to themselves; float16 values are the float32 values on those bounds, rounded."""
    dtype = np.dtype(dtype)
    t: type = dtype.type
    low, high = dtype_bounds(low, high, dtype)  # float64: only [-0, 5e-324) changes (to -0, low)
    u = unit_uniform(key, flat_indices(shape, region), _sampled(dtype))
    v = (low + (high - low) * u).astype(_sampled(dtype)).astype(dtype)
    top = np.nextafter(t(high), t(-np.inf)) if high > low else t(low)
    return np.where(v < t(high), v, top)  # top where v rounds to high (-0 to a high of +0)


def dtype_bounds(low: float, high: float, dtype: DTypeLike) -> Tuple[float, float]:
    """low and high rounded to dtype; where [low, high) holds one value of dtype, that value
    for both; where it holds none, a ValueError."""
    t: type = np.dtype(dtype).type
    r_lo, r_hi = float(t(low)), float(t(high))  # compared as doubles below
    if not low < high:
        return r_lo, r_hi
    first = r_lo if r_lo >= low else float(np.nextafter(t(r_lo), t(np.inf)))  # the least value >= low
    last = r_hi if r_hi < high else float(np.nextafter(t(r_hi), t(-np.inf)))  # the greatest value < high
    if first > last:
        raise ValueError(f"no {np.dtype(dtype)} value lies in [low, high) = [{low}, {high})")
    return (first, first) if first == last else (r_lo, r_hi)


def sincos_2pi(u: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """sin and cos of 2 pi u, reduced exactly to [-pi/4, pi/4] by quadrant q = round(4u)."""
    q = np.rint(4.0 * u)
    x = (u - q * 0.25) * (2.0 * math.pi)
    s, c = np.sin(x), np.cos(x)
    q = q.astype(np.int64) % 4
    cos = np.choose(q, [c, -s, -c, s])
    sin = np.choose(q, [s, c, -s, -c])
    return sin, cos


# float32 and float16 normals of mean 0 take Box-Muller in float32 arithmetic: the spec's
# log and sin/cos below, each operation rounded to float32 as written (no fused multiply-add).
_f32 = np.float32
_LN2_HI_F, _LN2_LO_F = _f32(6.9313812256e-01), _f32(9.0580006145e-06)  # ln 2 = hi + lo, hi's low bits zero
_SQRT_HALF_BITS = 0x3F3504F3  # sqrt(1/2) rounded to float32
# (2 pi)^(2k+1) / (2k+1)! less 6 for k = 0, and (2 pi)^(2k) / (2k)! from k = 2, signs alternating
_SIN_F = [_f32(c) for c in (0.28318530717958648, -41.341702240399760, 81.605249276075043, -76.705859753061390,
                          42.058693944897652)]
_COS_F = [_f32(c) for c in (64.939394022668290, -85.456817206693728, 60.244641371876661, -26.426256783374400)]


def log_positive_f32(x: np.ndarray) -> np.ndarray:
    """ln x for positive normal float32 x: x = 2^k m, m in [sqrt(1/2), sqrt(2)), f = m - 1,
    s = f / (2 + f), log = k ln2_hi - ((f^2/2 - (s (f^2/2 + R(s^2)) + k ln2_lo)) - f) with
    R(z) = z (2/3 + z (2/5 + z (2/7 + z 2/9))), in float32 (the fractions rounded from 2 and 3, ...)."""
    ix = np.asarray(x, dtype=np.float32).view(np.uint32) + np.uint32(0x3F800000 - _SQRT_HALF_BITS)
    k = ((ix >> np.uint32(23)).astype(np.int32) - 127).astype(np.float32)
    f = ((ix & np.uint32(0x007FFFFF)) + np.uint32(_SQRT_HALF_BITS)).view(np.float32) - _f32(1)
    s = f / (_f32(2) + f)
    z = s * s
    R = z * (_f32(2) / _f32(3) + z * (_f32(2) / _f32(5) + z * (_f32(2) / _f32(7) + z * (_f32(2) / _f32(9)))))
    hfsq = _f32(0.5) * f * f
    return k * _LN2_HI_F - ((hfsq - (s * (hfsq + R) + k * _LN2_LO_F)) - f)


def sincos_2pi_f32(u: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """sin and cos of 2 pi u in float32 for u in [0, 1] on float32's stream grid: quadrant q =
    round(4u), r = u - q/4 exactly; sin(2 pi r) = 6r + r SIN(r^2); cos(2 pi r) = 1 + (-19.75 h^2 +
    tail), h = r with its low 16 bits cleared (h^2 exact), tail = (19.75 - 19.739...) w + (-19.75
    (2h + l) l + w^2 COS(w)), w = r^2, l = r - h; then (cos, sin) = (c, s), (-s, c), (-c, -s),
    (s, -c) for q mod 4 = 0, 1, 2, 3 (by their sign bits: -0 stays -0)."""
    u = np.asarray(u, dtype=np.float32)
    magic = _f32(12582912.0)  # 0x1.8p23
    shifted = _f32(4) * u + magic  # round(4u) in the low bits
    q = shifted.view(np.uint32)
    r = u - (shifted - magic) * _f32(0.25)
    w = r * r
    a = _SIN_F
    sin_x = r * _f32(6) + r * (a[0] + w * (a[1] + w * (a[2] + w * (a[3] + w * a[4]))))
    h = (r.view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32)
    lo = r - h
    wl = (h + h + lo) * lo
    c = _COS_F
    tail = ((_f32(-19.739208802178716) + _f32(19.75)) * w
            + (_f32(-19.75) * wl + (w * w) * (c[0] + w * (c[1] + w * (c[2] + w * c[3])))))
    cos_x = _f32(1) + (_f32(-19.75) * (h * h) + tail)
    swap = np.uint32(0) - (q & np.uint32(1))
    cos_sign = ((q + np.uint32(1)) & np.uint32(2)) << np.uint32(30)
    sin_sign = (q & np.uint32(2)) << np.uint32(30)
    sb, cb = sin_x.view(np.uint32), cos_x.view(np.uint32)
    cos = (((cb & ~swap) | (sb & swap)) ^ cos_sign).view(np.float32)
    sin = (((sb & ~swap) | (cb & swap)) ^ sin_sign).view(np.float32)
    return sin, cos


def standard_normal(key: Sequence[int], i: np.ndarray, dtype: DTypeLike, in_float32: bool = False) -> np.ndarray:
    """Box-Muller: pair p = i // 2 takes u1, u2 from elements 2p and 2p + 1 of the uniform
    stream (float64: block p, words 0 and 1; float32: block p // 2, lanes 2 (p % 2) and 2 (p % 2) + 1).
    r = sqrt(-2 log(1 - u1)) and sin/cos of 2 pi u2 in double, or with ``in_float32`` (the float32
    stream's normals of mean 0) in float32 arithmetic; r cos (even elements) or r sin (odd) in double."""
    i = np.asarray(i, dtype=np.uint64)
    first = i - i % np.uint64(2)
    u1 = unit_uniform(key, first, dtype)
    u2 = unit_uniform(key, first + np.uint64(1), dtype)
    if in_float32:  # 24-bit values: exact in float32
        r = np.sqrt(_f32(-2) * log_positive_f32(_f32(1) - u1.astype(np.float32))).astype(np.float64)
        sin, cos = (v.astype(np.float64) for v in sincos_2pi_f32(u2.astype(np.float32)))
    else:
        r = np.sqrt(-2.0 * np.log(1.0 - u1))
        sin, cos = sincos_2pi(u2)
    return np.where(i % np.uint64(2) == 0, r * cos, r * sin)


def normal(shape: Shape, key: Sequence[int], mean: float = 0.0, std: float = 1.0, dtype: DTypeLike = np.float64,
           region: Region = None) -> np.ndarray:
    """mean + std z in double, rounded once to float64 or float32 (float16: that float32 value
    rounded); z from Box-Muller in double, but for float32 and float16 of mean 0, in float32."""
    i = flat_indices(shape, region)
    mean += 0.0  # -0.0 is +0: a zero z gives +0, and std 0 the mean everywhere
    z = standard_normal(key, i, _sampled(dtype), in_float32=_sampled(dtype) == np.float32 and mean == 0.0)
    return (mean + std * z).astype(_sampled(dtype)).astype(dtype)


# Wichura, AS 241 (1988): PPND16 coefficients, highest degree first.
_A = [2509.0809287301226727, 33430.575583588128105, 67265.770927008700853, 45921.953931549871457,
      13731.693765509461125, 1971.5909503065514427, 133.14166789178437745, 3.387132872796366608]
_B = [5226.495278852545925, 28729.085735721942674, 39307.89580009271061, 21213.794301586595867,
      5394.1960214247511077, 687.1870074920579083, 42.313330701600911252, 1.0]
_C = [7.7454501427834140764e-4, 0.0227238449892691845833, 0.24178072517745061177, 1.27045825245236838258,
      3.64784832476320460504, 5.7694972214606914055, 4.6303378461565452959, 1.42343711074968357734]
_D = [1.05075007164441684324e-9, 5.475938084995344946e-4, 0.0151986665636164571966, 0.14810397642748007459,
      0.68976733498510000455, 1.6763848301838038494, 2.05319162663775882187, 1.0]
_E = [2.01033439929228813265e-7, 2.71155556874348757815e-5, 0.0012426609473880784386, 0.026532189526576123093,
      0.29656057182850489123, 1.7848265399172913358, 5.4637849111641143699, 6.6579046435011037772]
_F = [2.04426310338993978564e-15, 1.4215117583164458887e-7, 1.8463183175100546818e-5, 7.868691311456132591e-4,
      0.0148753612908506148525, 0.13692988092273580531, 0.59983220655588793769, 1.0]


def ndtri_lower(t: np.ndarray) -> np.ndarray:
    """Phi^-1(t) for 0 < t <= 1/2 (AS 241), accurate in the lower tail."""
    t = np.asarray(t, dtype=np.float64)
    q = t - 0.5
    central = q * np.polyval(_A, 0.180625 - q * q) / np.polyval(_B, 0.180625 - q * q)
    r = np.sqrt(-np.log(np.maximum(t, np.finfo(np.float64).tiny)))
    near = np.polyval(_C, r - 1.6) / np.polyval(_D, r - 1.6)
    far = np.polyval(_E, r - 5.0) / np.polyval(_F, r - 5.0)
    tail = -np.where(r <= 5.0, near, far)
    return np.where(t < 0.075, tail, central)


# Acklam (2003), for float32 outputs: relative error below 1.2e-9.
_ACK_A = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
          -3.066479806614716e+01, 2.506628277459239e+00]
_ACK_B = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
          -1.328068155288572e+01, 1.0]
_ACK_C = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
          4.374664141464968e+00, 2.938163982698783e+00]
_ACK_D = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00, 1.0]


def ndtri_lower_f32(t: np.ndarray) -> np.ndarray:
    """Phi^-1(t) for 0 < t <= 1/2 by Acklam's algorithm (float32 outputs)."""
    t = np.asarray(t, dtype=np.float64)
    q = t - 0.5
    central = q * np.polyval(_ACK_A, q * q) / np.polyval(_ACK_B, q * q)
    r = np.sqrt(-2.0 * np.log(np.maximum(t, np.finfo(np.float64).tiny)))
    tail = np.polyval(_ACK_C, r) / np.polyval(_ACK_D, r)
    return np.where(t < 0.02425, tail, central)


def _sampled(dtype: DTypeLike) -> np.dtype:
    """The dtype whose stream a dtype takes: float16 takes float32's."""
    return np.dtype(np.float32) if np.dtype(dtype) == np.float16 else np.dtype(dtype)


def inward(a: float, b: float, dtype: DTypeLike) -> Tuple[float, float]:
    """a and b rounded to dtype towards the inside of [a, b]."""
    t: type = np.dtype(dtype).type
    with np.errstate(over="ignore"):
        lo, hi = t(a), t(b)
    lo = lo if float(lo) >= a else np.nextafter(lo, t(np.inf))
    hi = hi if float(hi) <= b else np.nextafter(hi, t(-np.inf))
    if lo > hi:
        raise ValueError(f"no {np.dtype(dtype)} value lies in [a, b] = [{a}, {b}]")
    return float(lo), float(hi)


# Intervals narrower than this many std are sampled from their own (nearly flat) density:
# float64's stream, float32's (and so float16's).
NARROW_WIDTH = {np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-4}
# Intervals narrower than this many std, or beyond this many on one side of the mean, take
# AS 241 on the float32 stream too.
ACKLAM_WIDTH, ACKLAM_TAIL = 1.0, 5.0


def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def truncated_normal(shape: Shape, key: Sequence[int], mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                     b: float = 2.0, dtype: DTypeLike = np.float64, region: Region = None) -> np.ndarray:
    """Inverse CDF at the middle of each uniform's cell, in the tail nearer zero (AS 241
    for float64, Acklam for float32), then
    clamped to [a, b] (rounded inwards for float32). float16: the float32 values on the
    bounds rounded inwards to float16, rounded."""
    dtype = np.dtype(dtype)
    if dtype == np.float16:
        lo, hi = inward(a, b, dtype)
        return truncated_normal(shape, key, mean, std, lo, hi, np.float32, region).astype(dtype)
    u = unit_uniform(key, flat_indices(shape, region), dtype)
    return truncated_normal_of_units(u, mean, std, a, b, dtype)


def truncated_normal_of_units(u: np.ndarray, mean: float, std: float, a: float, b: float,
                              dtype: DTypeLike) -> np.ndarray:
    """truncated_normal's values (float32 or float64) for the element uniforms u of its stream
    (the core's ``truncated_normal_of_units``)."""
    dtype = np.dtype(dtype)
    lo, hi = (a, b) if dtype == np.float64 else inward(a, b, dtype)
    if lo == hi:  # one value of the dtype in [a, b]: every value is it (+0 for a zero)
        return np.full(np.shape(u), lo + 0.0, dtype=dtype)
    mean += 0.0  # -0.0 is +0, as for normal
    big = float(np.finfo(dtype).max)  # bounds beyond the dtype's range: its largest values
    a, b = max(a, -big), min(b, big)
    alpha, beta = (a - mean) / std, (b - mean) / std
    # The middle of each uniform's cell, so that both tails hold the same cells: u + h from
    # below, (1 - u) - h from above (never 0: for float64's last cell u + h rounds to 1).
    h = 2.0**-54 if dtype == np.float64 else 2.0**-25
    w = (b - a) / std  # not beta - alpha: far from the mean those two may round together
    if w < NARROW_WIDTH[dtype]:
        # Density exp(c s) on s = z - alpha in [0, w] (exp(-s^2/2) is within 5e-15 of 1):
        # s = log1p(u expm1(c w)) / c, written as u E L(u G) with no division by a small c.
        c = -alpha
        G = math.expm1(c * w)
        E = w * (1.0 + 0.5 * c * w) if abs(c * w) < 1e-10 else G / c
        v = u + h
        y = v * G
        s = v * E * (1.0 - y * (0.5 - y * (1.0 / 3.0 - y * 0.25)))
        return np.clip(a + std * s, lo, hi).astype(dtype)
    lower = _phi(alpha) + (u + h) * (_phi(beta) - _phi(alpha))
    upper = _phi(-beta) + ((1.0 - u) - h) * (_phi(-alpha) - _phi(-beta))
    use_lower = lower <= 0.5
    t = np.maximum(np.where(use_lower, lower, upper), np.finfo(np.float64).tiny)
    # Acklam's error in z (up to 3.5e-8) moved the mass within that of a bound onto it: on
    # intervals under one std wide, and in tails beyond 5 std, the float32 stream takes AS 241.
    precise = dtype == np.float64 or w < ACKLAM_WIDTH or alpha >= ACKLAM_TAIL or beta <= -ACKLAM_TAIL
    quantile = ndtri_lower if precise else ndtri_lower_f32
    x = quantile(np.minimum(t, 0.5))
    z = np.where(use_lower, x, -x)
    return np.clip(mean + std * z, lo, hi).astype(dtype)


def shuffle(m: int, key: Sequence[int], epoch: int) -> np.ndarray:
    """The order of m examples in mini-batch epoch `epoch` (0, 1, ... in each ``fit``): a
    Fisher-Yates shuffle of 0..m-1 from the end, position i (m - 1 down to 1) swapped with
    j = (w (i + 1)) >> 64 (Lemire's multiply-shift), where w = lane 0 | lane 1 << 32 of the
    block with counter (i, epoch mod 2^32, 1, epoch >> 32): the third word 1 keeps these
    blocks apart from the tensors' (0), the fourth keeps epochs 2^32 apart distinct."""
    if not 0 <= m <= 2**32:
        raise ValueError(f"m must be in [0, 2^32] (i is a counter word), got {m}")
    i = np.arange(m - 1, 0, -1, dtype=np.uint64)
    counter = np.stack([i, np.full_like(i, epoch % 2**32), np.ones_like(i), np.full_like(i, epoch >> 32)], axis=-1)
    lanes = philox4x32_10(counter, key).astype(np.uint64)
    words = lanes[:, 0] | (lanes[:, 1] << np.uint64(32))
    order = list(range(m))
    for pos, w in zip(range(m - 1, 0, -1), words.tolist()):
        j = (w * (pos + 1)) >> 64  # Python ints: the 128-bit product exact
        order[pos], order[j] = order[j], order[pos]
    return np.array(order, dtype=np.int64)
