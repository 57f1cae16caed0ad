"""Sampling speed: weightinit's streams beside NumPy's Generator (and torch when installed).

Every call allocates its output, as NumPy's do, so page faults count alike.
Run: python -m pytest bench/bench_random.py --benchmark-enable; then bench/ratios.py.
"""

import numpy as np
import pytest
from benchutil import THREADS, label, need_torch, threads

import weightinit as wi

SIZES = [10**6, 10**7]
DTYPES = [np.float64, np.float32]


def group(dist, dtype, n):
    return f"{dist} {np.dtype(dtype).name} n={n:.0e}"


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dist", ["normal", "uniform", "truncated_normal"])
@pytest.mark.parametrize("nthreads", THREADS)
def test_weightinit(benchmark, dist, dtype, n, nthreads):
    label(benchmark, group(dist, dtype, n), "weightinit", nthreads)
    fn = getattr(wi.random, dist)
    with threads(nthreads):
        x = benchmark(fn, n, rng=1, dtype=dtype)
    assert x.shape == (n,) and x.dtype == dtype


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dist", ["normal", "uniform", "truncated_normal"])
def test_numpy(benchmark, dist, dtype, n):
    label(benchmark, group(dist, dtype, n), "numpy")
    benchmark.extra_info["baseline"] = True
    g = np.random.default_rng(1)
    if dist == "normal":
        x = benchmark(g.standard_normal, n, dtype=dtype)
    elif dist == "uniform":
        x = benchmark(g.random, n, dtype=dtype)
    else:  # NumPy has no truncated normal: its standard normal is the yardstick
        x = benchmark(g.standard_normal, n, dtype=dtype)
    assert x.shape == (n,)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dist", ["normal", "uniform", "truncated_normal"])
def test_floor(benchmark, dist, dtype, n):
    """The time to allocate and write the output: no sampler can beat it."""
    label(benchmark, group(dist, dtype, n), "floor")
    benchmark(lambda: np.empty(n, dtype=dtype).fill(1.0))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dist", ["normal", "uniform", "truncated_normal"])
@pytest.mark.parametrize("nthreads", THREADS)
def test_torch(benchmark, dist, dtype, n, nthreads):
    torch = need_torch()
    label(benchmark, group(dist, dtype, n), "torch", nthreads)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    torch.manual_seed(1)

    def run():
        t = torch.empty(n, dtype=tdtype)
        if dist == "normal":
            return t.normal_()
        if dist == "uniform":
            return t.uniform_()
        return torch.nn.init.trunc_normal_(t)

    with threads(nthreads):
        benchmark(run)


# ---- a region of a larger tensor ----
# A shard cut across a conv weight's 3x3 kernels (rows of one element, near each other in the
# stream), and a column block of a wide matrix (rows of 64, far apart). NumPy has no regions:
# its way to the same shard of a seeded tensor is to draw the whole tensor and copy the slice.
REGIONS = {
    "512x256x3x3[...,1:2]": ((512, 256, 3, 3), (slice(None),) * 3 + (slice(1, 2),)),
    "4096x4096[:,5:69]": ((4096, 4096), (slice(None), slice(5, 69))),
}


@pytest.mark.parametrize("name", REGIONS)
@pytest.mark.parametrize("nthreads", THREADS)
def test_region_weightinit(benchmark, name, nthreads):
    shape, region = REGIONS[name]
    label(benchmark, f"normal float32 {name}", "weightinit", nthreads)
    with threads(nthreads):
        x = benchmark(wi.random.normal, shape, rng=1, dtype=np.float32, region=region)
    assert x.shape == np.empty(shape, np.bool_)[region].shape


@pytest.mark.parametrize("name", REGIONS)
def test_region_numpy(benchmark, name):
    shape, region = REGIONS[name]
    label(benchmark, f"normal float32 {name}", "numpy")
    benchmark.extra_info["baseline"] = True
    x = benchmark(lambda: np.random.default_rng(1).standard_normal(shape, dtype=np.float32)[region].copy())
    assert x.shape == np.empty(shape, np.bool_)[region].shape
