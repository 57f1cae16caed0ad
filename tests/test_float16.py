"""float16 outputs (the float32 stream rounded) and values that would not fit the output dtype."""

import numpy as np
import pytest

import weightinit as wi
from weightinit.reference import random as ref

F16 = np.float16
TOP16 = float(np.nextafter(F16(1.0), F16(0.0)))  # the largest float16 below 1


def key_of(seed):
    return [int(w) for w in np.random.default_rng(seed).integers(0, 2**32, size=2, dtype=np.uint32)]


def half_ulps(a, b):
    """Distance of two float16 arrays in float16 units in the last place."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    return np.abs(a64 - b64) / np.spacing(np.maximum(np.abs(a), np.abs(b))).astype(np.float64)


# ---------------------------------------------------------------- the streams


def test_reference_float16_uniform_is_the_float32_stream_rounded_below_high():
    """The oracle's own definition, checked against float32 and NumPy's rounding."""
    key = key_of(3)
    want32 = ref.uniform((400, 500), key, 0.0, 1.0, np.float32)
    rounded = want32.astype(F16)
    assert (rounded == 1.0).sum() > 10  # values of [1 - 2**-12, 1) round up to high ...
    got = ref.uniform((400, 500), key, 0.0, 1.0, F16)
    assert got.dtype == F16
    assert got.max() == TOP16  # ... and become the largest float16 below it
    np.testing.assert_array_equal(got, np.where(rounded == 1.0, F16(TOP16), rounded))


@pytest.mark.parametrize("low,high", [
    (0.0, 1.0), (-0.3, 0.3), (-1 / 3, 2 / 3), (5.0, 5.0), (-2.0, -1.0), (-65504.0, 65504.0),
    (0.0, 1e-5),  # subnormal float16s
    (-1e-4, 0.0),  # values that round to -0 equal high = 0
    (-0.0, 0.0),  # low = -0 = high (low < high is false): every value is low, -0
])
def test_uniform_float16_bit_exact_vs_reference(low, high):
    key_seed, shape = 11, (300, 700)
    region = (slice(17, 290), slice(3, 650))
    got = wi.random.uniform(shape, low=low, high=high, rng=key_seed, dtype=F16)
    want = ref.uniform(shape, key_of(key_seed), low, high, F16)
    np.testing.assert_array_equal(got.view(np.uint16), want.view(np.uint16))  # bits: -0 is not +0
    part = wi.random.uniform(shape, low=low, high=high, rng=key_seed, dtype=F16, region=region)
    np.testing.assert_array_equal(part.view(np.uint16), want[region].view(np.uint16))
    lo16, hi16 = F16(low), F16(high)
    assert got.min() >= lo16
    assert (got < hi16).all() if hi16 > lo16 else (got == lo16).all()


@pytest.mark.parametrize("mean,std", [(0.25, 0.5), (0.0, 1e-6), (-3.0, 900.0)])
def test_normal_float16_is_the_float32_normal_rounded(mean, std):
    shape = (600, 501)
    got = wi.random.normal(shape, mean=mean, std=std, rng=4, dtype=F16)
    ours32 = wi.random.normal(shape, mean=mean, std=std, rng=4, dtype=np.float32)
    np.testing.assert_array_equal(got, ours32.astype(F16))  # NumPy's rounding, subnormals included
    # The float32 normal is within a few float32 ulp of the oracle, so rounding can differ by one.
    want = ref.normal(shape, key_of(4), mean, std, F16)
    assert half_ulps(got, want).max() <= 1
    assert np.mean(got != want) < 1e-3


@pytest.mark.parametrize("a,b", [(-0.1, 0.1), (-2.0, 2.0), (0.3, np.inf), (-1e6, 1e6)])
def test_truncated_normal_float16_stays_inside_the_bounds(a, b):
    shape = (500, 400)
    got = wi.random.truncated_normal(shape, std=0.07, a=a, b=b, rng=6, dtype=F16)
    assert got.dtype == F16 and np.isfinite(got).all()
    assert got.astype(np.float64).min() >= a and got.astype(np.float64).max() <= b
    want = ref.truncated_normal(shape, key_of(6), 0.0, 0.07, a, b, F16)
    assert half_ulps(got, want).max() <= 1


@pytest.mark.parametrize("a,b,value", [(-1e-9, 1e-9, 0.0), (1.0, 1.0004, 1.0), (0.2499, 0.2501, 0.25)])
def test_truncated_normal_float16_with_one_value_inside_gives_it(a, b, value):
    got = wi.random.truncated_normal(5, a=a, b=b, rng=1, dtype=F16)
    assert got.tolist() == [value] * 5
    np.testing.assert_array_equal(got, ref.truncated_normal((5,), key_of(1), 0.0, 1.0, a, b, F16))


def test_reference_float16_truncated_normal_rounds_the_bounds_inwards():
    a, b = -0.3, 0.3  # neither is a float16: float16(0.3) > 0.3
    assert float(F16(b)) > b
    got = ref.truncated_normal((200_000,), key_of(1), 0.0, 1.0, a, b, F16)
    inner = float(np.nextafter(F16(b), F16(0)))
    assert got.max() == F16(inner) and got.min() == -F16(inner)  # the mass at the clamp


# ---------------------------------------------------------------- every initializer

ELEMENTWISE = {
    "uniform": {}, "normal": {"std": 0.1}, "truncated_normal": {"std": 0.1}, "fan_in_uniform": {},
    "xavier_uniform": {}, "xavier_normal": {}, "he_normal": {}, "he_uniform": {}, "lecun_normal": {},
    "lecun_uniform": {}, "variance_scaling": {"distribution": "truncated_normal"},
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_every_elementwise_initializer_offers_float16(name, restore_threads):
    fn, kw, shape = getattr(wi, name), ELEMENTWISE[name], (257, 301)
    got = fn(shape, rng=9, dtype=F16, **kw)
    assert got.dtype == F16 and got.shape == shape and np.isfinite(got).all()
    single = fn(shape, rng=9, dtype=np.float32, **kw).astype(F16)
    # The same stream; uniform and truncated families sample on bounds rounded to float16
    # rather than float32, which moves values by less than a float16 ulp at the bound.
    bound_ulp = np.spacing(np.abs(single).max()).astype(np.float64)
    assert np.abs(got.astype(np.float64) - single.astype(np.float64)).max() <= bound_ulp
    if name in ("normal", "xavier_normal", "he_normal"):
        np.testing.assert_array_equal(got, single)
    out = np.empty(shape, F16)
    assert fn(None, rng=9, out=out, **kw) is out
    np.testing.assert_array_equal(out, got)
    region = (slice(100, 257), slice(7, 300))
    np.testing.assert_array_equal(fn(shape, rng=9, dtype="float16", region=region, **kw), got[region])
    wi.set_num_threads(3)
    np.testing.assert_array_equal(fn(shape, rng=9, dtype=F16, **kw), got)


def test_float16_slabs_join_up_in_a_large_output():
    """Large float16 outputs are sampled in slabs: the seams must not show."""
    shape = (3000, 1500)  # several slabs
    got = wi.he_normal(shape, rng=2, dtype=F16)
    np.testing.assert_array_equal(got, wi.he_normal(shape, rng=2, dtype=np.float32).astype(F16))
    flat = wi.random.uniform(shape[0] * shape[1], rng=5, dtype=F16)
    np.testing.assert_array_equal(flat, ref.uniform(flat.shape, key_of(5), 0.0, 1.0, F16))


def test_structured_initializers_offer_float16():
    np.testing.assert_array_equal(wi.eye((3, 4), gain=0.5, dtype=F16), np.eye(3, 4, dtype=F16) * F16(0.5))
    d = wi.dirac((4, 4, 3), dtype=F16)
    assert d.dtype == F16 and d[:, :, 1].tolist() == np.eye(4).tolist()
    assert wi.constant((2, 2), value=0.1, dtype=F16).tolist() == [[F16(0.1)] * 2] * 2
    w = wi.orthogonal((64, 32), gain=2.0, rng=3, dtype=F16)
    assert w.dtype == F16
    np.testing.assert_array_equal(w, wi.orthogonal((64, 32), gain=2.0, rng=3, dtype=np.float32).astype(F16))
    wtw = w.astype(np.float64).T @ w.astype(np.float64)
    np.testing.assert_allclose(wtw, 4.0 * np.eye(32), atol=0.03)
    s = wi.sparse((20, 6), sparsity=0.25, rng=1, dtype=F16)
    s32 = wi.sparse((20, 6), sparsity=0.25, rng=1, dtype=np.float32)
    np.testing.assert_array_equal(s, s32.astype(F16))
    assert (s == 0).sum(axis=0).tolist() == [5] * 6


def test_the_mlp_stays_float32_or_float64():
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        wi.MLP([2, 3, 1], dtype=F16)


def test_integer_dtypes_are_still_refused_with_the_choices():
    with pytest.raises(TypeError, match="dtype must be float16, float32 or float64"):
        wi.he_normal((3, 3), dtype=np.int32)
    with pytest.raises(TypeError, match="out must have dtype float16, float32 or float64"):
        wi.he_normal(None, out=np.empty((3, 3), np.int64))


# ---------------------------------------------------------------- values the dtype cannot hold


@pytest.mark.parametrize("call,arg", [
    (lambda: wi.constant(3, value=1e5, dtype=F16), "value"),
    (lambda: wi.constant(3, value=1e300, dtype=np.float32), "value"),
    (lambda: wi.eye((2, 2), gain=1e39, dtype=np.float32), "gain"),
    (lambda: wi.orthogonal((4, 4), gain=1e5, rng=0, dtype=F16), "gain"),
    (lambda: wi.random.uniform(3, low=0.0, high=1e5, dtype=F16), "high"),
    (lambda: wi.random.uniform(3, low=-4e38, high=0.0, dtype=np.float32), "low"),
    # normal and truncated_normal name both mean and std, with the values given.
    (lambda: wi.random.normal(3, std=1.2e4, dtype=F16), "std=12000 give values up to 69240"),
    (lambda: wi.random.normal(3, mean=7e4, std=0.0, dtype=F16), "mean=70000 and std=0"),
    (lambda: wi.random.normal(3, mean=1e308, std=1e308), "std=1e.308"),
    (lambda: wi.random.truncated_normal(3, std=1e4, a=-np.inf, b=np.inf, dtype=F16), "std=10000"),
    (lambda: wi.random.truncated_normal(3, std=1e38, a=0.0, b=np.inf, dtype=np.float32), "std=1e.38"),
    (lambda: wi.random.truncated_normal(3, mean=3e38, std=1e37, a=-np.inf, b=np.inf, dtype=np.float32),
     "mean=3e.38"),
    (lambda: wi.random.truncated_normal(3, std=3e4, a=-1e6, b=1e6, dtype=F16), "std=30000"),  # 3% beyond
    # Intervals so narrow in std units that Phi's differences cancel: lengths decide.
    (lambda: wi.random.truncated_normal(3, std=1e30, a=-1e5, b=1e5, dtype=F16), "share of 0.345"),
    (lambda: wi.random.truncated_normal(3, std=1e300, a=-1e39, b=1e39, dtype=np.float32), "share of 0.66"),
    (lambda: wi.sparse((4, 4), sparsity=0.5, std=1.2e4, rng=0, dtype=F16), "std"),
    (lambda: wi.random.truncated_normal(3, a=0.1, b=0.10002, dtype=F16), "no float16 value"),
    # low < high that round to one value: every element would be it, outside [low, high)
    (lambda: wi.random.uniform(3, low=1.0001, high=1.0002, dtype=F16), "no float16 value"),
    (lambda: wi.random.uniform(3, low=0.9999, high=1.0, dtype=F16), "no float16 value"),
    (lambda: wi.random.uniform(3, low=-1e-8, high=0.0, dtype=F16), "no float16 value"),  # -0 is not < 0
    (lambda: wi.random.uniform(3, low=0.99999999, high=0.999999995, dtype=np.float32), "no float32 value"),
])
def test_values_beyond_the_dtype_are_refused_not_written_as_inf(call, arg):
    with pytest.raises(ValueError, match=arg):
        call()


def test_values_that_fit_are_accepted_near_the_edge():
    # The float32 stream (float16's) has |z| <= sqrt(48 ln 2) = 5.77: 5.77 * 11000 < 65504.
    x = wi.random.normal(10**6, std=11000.0, rng=0, dtype=F16)
    assert np.isfinite(x).all() and np.abs(x).max() > 50000  # its tail does reach there
    assert wi.random.uniform(3, low=0.5, high=0.5, dtype=F16).tolist() == [0.5] * 3  # U[a, a]: a, as in float64
    # Bounds that round to one value that lies in [low, high): that value, not an error.
    assert wi.random.uniform(3, low=1.0, high=1 + 1e-10, dtype=np.float32).tolist() == [1.0] * 3
    assert wi.random.uniform(3, low=-1e-9, high=1e-9, dtype=F16).tolist() == [0.0] * 3
    assert not wi.xavier_uniform((4, 4), gain=1e-9, rng=0, dtype=F16).any()
    x = wi.random.truncated_normal(5000, std=5e3, a=-1e6, b=1e6, rng=0, dtype=F16)  # 13 std inside
    assert np.isfinite(x).all() and np.abs(x).max() <= 65504
    assert wi.constant(2, value=65504.0, dtype=F16).tolist() == [65504.0, 65504.0]
    x = wi.random.uniform(1000, low=-65504.0, high=65504.0, rng=1, dtype=F16)
    assert np.isfinite(x).all() and x.max() < 65504


@pytest.mark.parametrize("dtype", [F16, np.float32, np.float64])
def test_truncated_normal_mostly_beyond_the_dtype_is_refused(dtype):
    """N(0, 1e300) on [-1e300, 1e300]: nearly all of it lies beyond float16 or float32 (it
    piled up on the two largest values, or on -65504 alone); float64's is N(0, 1e308) unbounded,
    whose std z already overflows double precision."""
    std, bound = (1e308, np.inf) if dtype == np.float64 else (1e300, 1e300)
    with pytest.raises(ValueError, match="overflows double" if dtype == np.float64 else "of its mass beyond"):
        wi.random.truncated_normal(10, std=std, a=-bound, b=bound, rng=0, dtype=dtype)


@pytest.mark.parametrize("dtype", [F16, np.float32])
def test_truncated_normal_with_a_negligible_part_beyond_the_dtype_is_cut_there(dtype):
    big = float(np.finfo(dtype).max)
    x = wi.random.truncated_normal(100_000, std=big / 8, a=-np.inf, b=1e300, rng=0, dtype=dtype)
    assert np.isfinite(x).all()
    assert abs(x.astype(np.float64).std() / (big / 8) - 1) < 0.01  # the normal, untouched


def test_a_collapsed_float16_truncated_normal_still_advances_the_generator():
    """One float16 value in [a, b] fills the array without the core; the Generator must still
    advance, as it does for every other draw (two calls, two keys)."""
    g = np.random.default_rng(0)
    before = g.bit_generator.state
    x = wi.random.truncated_normal(3, a=-1e-12, b=1e-12, rng=g, dtype=F16)
    assert g.bit_generator.state != before
    assert x.tolist() == [0.0] * 3 and not np.signbit(x).any()
