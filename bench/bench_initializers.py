"""Initializer speed: weightinit beside the NumPy code a user would write and torch.nn.init.

Element-wise initializers on (4096, 4096); on (64, 64), a small layer, where the per-call
cost of argument checks and dispatch is most of the time; and on a torch conv weight
(256, 256, 3, 3), whose rows of 3 the stream must not fill one by one; orthogonal on 1024^2 and 4096^2 (the latter only
when benchmarks are enabled: one QR of it takes seconds). Every call allocates its output.
weightinit's orthogonal blocks its QR by hand (linalg.hpp): panels on one OpenBLAS thread,
their trailing updates in fixed column slices shared by the threads, so it uses every thread
and its bits do not depend on the count. sparse on (1024, 1024) float32 at sparsity 0.1, beside
the argpartition a NumPy user writes and torch's sparse_ (a randperm a column).
Run: python bench/ratios.py bench/bench_initializers.py
"""

import math

import numpy as np
import pytest
from benchutil import THREADS, label, need_torch, threads

import weightinit as wi

SHAPE = (4096, 4096)
SMALL = (64, 64)
CONV = (256, 256, 3, 3)
SHAPES = [SHAPE, SMALL, CONV]
DTYPES = [np.float16, np.float32, np.float64]
TRUNC_STD = 0.02


def fans(shape):
    """torch's (fan_in, fan_out) of (out, in, *kernel)."""
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def he_std(shape):
    return math.sqrt(2 / fans(shape)[0])


def xavier_bound(shape):
    return math.sqrt(6 / sum(fans(shape)))


ELEMENTWISE = {
    "he_normal": lambda dtype, shape: wi.he_normal(shape, rng=1, dtype=dtype),
    "xavier_uniform": lambda dtype, shape: wi.xavier_uniform(shape, rng=1, dtype=dtype),
    "truncated_normal": lambda dtype, shape: wi.truncated_normal(shape, std=TRUNC_STD, a=-2 * TRUNC_STD,
                                                                 b=2 * TRUNC_STD, rng=1, dtype=dtype),
}


def group(name, dtype, shape):
    return f"{name} {np.dtype(dtype).name} {'x'.join(map(str, shape))}"


def numpy_elementwise(name, dtype, shape, g):
    """What a NumPy user writes, in place where NumPy allows it (float16: float32, then cast)."""
    if np.dtype(dtype) == np.float16:
        return numpy_elementwise(name, np.float32, shape, g).astype(np.float16)
    dt = np.dtype(dtype)
    if name == "he_normal":
        x = g.standard_normal(shape, dtype=dt)
        x *= dt.type(he_std(shape))
    elif name == "xavier_uniform":
        bound = xavier_bound(shape)
        x = g.random(shape, dtype=dt)
        x *= dt.type(2 * bound)
        x -= dt.type(bound)
    else:  # NumPy has no truncated normal: redraw what falls outside +-2 std
        x = g.standard_normal(shape, dtype=dt)
        bad = np.abs(x) > 2
        while (n := int(np.count_nonzero(bad))) > 0:
            x[bad] = g.standard_normal(n, dtype=dt)
            bad = np.abs(x) > 2
        x *= dt.type(TRUNC_STD)
    return x


shapes = pytest.mark.parametrize("shape", SHAPES, ids=["x".join(map(str, s)) for s in SHAPES])


@shapes
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ELEMENTWISE))
@pytest.mark.parametrize("nthreads", THREADS)
def test_weightinit(benchmark, name, dtype, shape, nthreads):
    label(benchmark, group(name, dtype, shape), "weightinit", nthreads)
    with threads(nthreads):
        x = benchmark(ELEMENTWISE[name], dtype, shape)
    assert x.shape == shape and x.dtype == dtype


@shapes
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_numpy(benchmark, name, dtype, shape):
    label(benchmark, group(name, dtype, shape), "numpy")
    benchmark.extra_info["baseline"] = True
    g = np.random.default_rng(1)
    x = benchmark(numpy_elementwise, name, dtype, shape, g)
    assert x.shape == shape and x.dtype == dtype


@shapes
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_floor(benchmark, name, dtype, shape):
    """Allocating and writing the output once: no initializer can beat it."""
    label(benchmark, group(name, dtype, shape), "floor")
    benchmark(lambda: np.empty(shape, dtype=dtype).fill(1.0))


@shapes
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ELEMENTWISE))
@pytest.mark.parametrize("nthreads", THREADS)
def test_torch(benchmark, name, dtype, shape, nthreads):
    torch = need_torch()
    label(benchmark, group(name, dtype, shape), "torch", nthreads)
    tdtype = {np.float16: torch.float16, np.float32: torch.float32, np.float64: torch.float64}[dtype]
    init = torch.nn.init
    run = {
        "he_normal": lambda: init.kaiming_normal_(torch.empty(shape, dtype=tdtype), nonlinearity="relu"),
        "xavier_uniform": lambda: init.xavier_uniform_(torch.empty(shape, dtype=tdtype)),
        "truncated_normal": lambda: init.trunc_normal_(torch.empty(shape, dtype=tdtype), std=TRUNC_STD,
                                                       a=-2 * TRUNC_STD, b=2 * TRUNC_STD),
    }[name]
    torch.manual_seed(1)
    with threads(nthreads):
        benchmark(run)


# --- fresh entropy: rng=None on a small layer --------------------------------------------------
# Each call a new random tensor, as torch.nn.init's functions give from torch's global generator;
# NumPy's equivalent of rng=None is a Generator seeded afresh from the OS (default_rng()).

FRESH = "he_normal float32 64x64 rng=None"


def test_fresh_weightinit(benchmark):
    label(benchmark, FRESH, "weightinit")
    with threads(1):
        x = benchmark(wi.he_normal, SMALL, dtype=np.float32)
    assert x.shape == SMALL and x.dtype == np.float32


def test_fresh_numpy(benchmark):
    label(benchmark, FRESH, "numpy")
    benchmark.extra_info["baseline"] = True
    std = np.float32(he_std(SMALL))
    x = benchmark(lambda: np.random.default_rng().standard_normal(SMALL, dtype=np.float32) * std)
    assert x.shape == SMALL and x.dtype == np.float32


def test_fresh_torch(benchmark):
    torch = need_torch()
    label(benchmark, FRESH, "torch")
    with threads(1):
        benchmark(lambda: torch.nn.init.kaiming_normal_(torch.empty(SMALL), nonlinearity="relu"))


# --- orthogonal ------------------------------------------------------------------------------

ORTHO_SIZES = [1024, 4096]
ORTHO_DTYPES = [np.float32, np.float64]  # torch has no float16 QR


def ortho_rounds(benchmark, n):
    if n > 1024 and benchmark.disabled:
        pytest.skip("4096^2 QR takes seconds: measured only with --benchmark-enable")
    return {"rounds": 3 if n > 1024 else 5, "iterations": 1, "warmup_rounds": 0 if n > 1024 else 1}


def numpy_orthogonal(n, dtype, g):
    a = g.standard_normal((n, n))
    q, r = np.linalg.qr(a)
    q *= np.where(np.diagonal(r) < 0, -1.0, 1.0)
    return q.astype(dtype, copy=False)


@pytest.mark.parametrize("dtype", ORTHO_DTYPES)
@pytest.mark.parametrize("n", ORTHO_SIZES)
@pytest.mark.parametrize("nthreads", THREADS)
def test_orthogonal_weightinit(benchmark, n, dtype, nthreads):
    label(benchmark, group("orthogonal", dtype, (n, n)), "weightinit", nthreads)
    with threads(nthreads):
        x = benchmark.pedantic(wi.orthogonal, args=((n, n),), kwargs={"rng": 1, "dtype": dtype},
                               **ortho_rounds(benchmark, n))
    assert x.shape == (n, n)


@pytest.mark.parametrize("dtype", ORTHO_DTYPES)
@pytest.mark.parametrize("n", ORTHO_SIZES)
def test_orthogonal_numpy(benchmark, n, dtype):
    label(benchmark, group("orthogonal", dtype, (n, n)), "numpy")
    benchmark.extra_info["baseline"] = True
    g = np.random.default_rng(1)
    benchmark.pedantic(numpy_orthogonal, args=(n, dtype, g), **ortho_rounds(benchmark, n))


@pytest.mark.parametrize("dtype", ORTHO_DTYPES)
@pytest.mark.parametrize("n", ORTHO_SIZES)
@pytest.mark.parametrize("nthreads", THREADS)
def test_orthogonal_torch(benchmark, n, dtype, nthreads):
    torch = need_torch()
    label(benchmark, group("orthogonal", dtype, (n, n)), "torch", nthreads)
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    torch.manual_seed(1)
    with threads(nthreads):
        benchmark.pedantic(lambda: torch.nn.init.orthogonal_(torch.empty((n, n), dtype=tdtype)),
                           **ortho_rounds(benchmark, n))


# --- sparse ----------------------------------------------------------------------------------

SPARSE_SHAPE, SPARSITY = (1024, 1024), 0.1


def numpy_sparse(shape, g):
    """Each column's ceil(sparsity * rows) zeros at the smallest of its uniforms, by argpartition
    along the rows of the transposed views (a fifth less time than along axis 0 of the C-ordered
    arrays, which 896c655's full run timed)."""
    w = g.standard_normal(shape, np.float32) * np.float32(0.01)
    k = math.ceil(SPARSITY * shape[0])
    np.put_along_axis(w.T, np.argpartition(g.random(shape).T, k - 1, axis=1)[:, :k], 0, axis=1)
    return w


@pytest.mark.parametrize("nthreads", THREADS)
def test_sparse_weightinit(benchmark, nthreads):
    label(benchmark, group("sparse(0.1)", np.float32, SPARSE_SHAPE), "weightinit", nthreads)
    with threads(nthreads):
        w = benchmark(wi.sparse, SPARSE_SHAPE, sparsity=SPARSITY, rng=1, dtype=np.float32)
    assert ((w == 0).sum(axis=0) == math.ceil(SPARSITY * SPARSE_SHAPE[0])).all()


def test_sparse_numpy(benchmark):
    label(benchmark, group("sparse(0.1)", np.float32, SPARSE_SHAPE), "numpy")
    benchmark.extra_info["baseline"] = True
    g = np.random.default_rng(1)
    w = benchmark(numpy_sparse, SPARSE_SHAPE, g)
    # NumPy's float32 normals are exactly 0.0 about once in 2^23 (11 in 2^27 draws): a call's
    # 2^20 draws leave one more zero in some column about one call in twelve.
    zeros, k = (w == 0).sum(axis=0), math.ceil(SPARSITY * SPARSE_SHAPE[0])
    assert (zeros >= k).all() and zeros.sum() - k * SPARSE_SHAPE[1] <= 8


@pytest.mark.parametrize("nthreads", THREADS)
def test_sparse_torch(benchmark, nthreads):
    torch = need_torch()
    label(benchmark, group("sparse(0.1)", np.float32, SPARSE_SHAPE), "torch", nthreads)
    torch.manual_seed(1)
    with threads(nthreads):
        benchmark(lambda: torch.nn.init.sparse_(torch.empty(SPARSE_SHAPE), SPARSITY))
