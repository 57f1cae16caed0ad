"""MLP engine benchmarks: the article's workload and single training steps, vs NumPy and PyTorch.

    python bench/ratios.py bench/bench_mlp.py

(For a fair NumPy comparison run without the OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE overrides.)
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from benchutil import THREADS, label, threads

import weightinit as wi
from weightinit import prototype

try:
    import torch
except ImportError:  # pragma: no cover - optional
    torch = None

ARTICLE_ITERATIONS = 10000


# The article's NumPy prototype, as the drop-in test writes it out.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_prototype import np_nn_model  # noqa: E402  (after the sys.path entry above)


@pytest.fixture(scope="module")
def planar():
    X, Y = prototype.load_planar_dataset(1)
    return X, Y, prototype.initialize_parameters(2, 4, 1)


ARTICLE = "article 2-4-1 m=400 x 10000"


@pytest.mark.parametrize("nthreads", THREADS)
def test_article_weightinit(benchmark, planar, nthreads):
    label(benchmark, ARTICLE, "weightinit", nthreads)
    X, Y, start = planar
    with threads(nthreads):
        params = benchmark(prototype.nn_model, X, Y, 4, ARTICLE_ITERATIONS, parameters=start)
    assert params["W1"].shape == (4, 2)


def test_article_numpy(benchmark, planar):
    label(benchmark, ARTICLE, "numpy")
    benchmark.extra_info["baseline"] = True
    X, Y, start = planar
    _, costs = benchmark.pedantic(np_nn_model, args=(X, Y, start, ARTICLE_ITERATIONS), rounds=5, iterations=1)
    assert len(costs) == ARTICLE_ITERATIONS


# ---- one full-batch training step ----
CASES = {
    "[2,64,1] m=10000": ([2, 64, 1], ["tanh", "sigmoid"], "binary_cross_entropy", 10000),
    # a wide hidden layer on few inputs: the fused step too, up to 2048 hidden units
    "[2,1024,1] m=4000": ([2, 1024, 1], ["tanh", "sigmoid"], "binary_cross_entropy", 4000),
    "[784,256,256,10] m=8192": ([784, 256, 256, 10], ["relu", "relu", "softmax"], "softmax_cross_entropy", 8192),
    # a mini-batch: fewer examples than two GEMM chunks, whose GEMMs are cut into blocks of
    # their output; below 128 hidden units they ran on one thread until db7090f
    "[784,128,10] m=256": ([784, 128, 10], ["relu", "softmax"], "softmax_cross_entropy", 256),
    "[784,100,10] m=256": ([784, 100, 10], ["relu", "softmax"], "softmax_cross_entropy", 256),
}
DTYPES = {"float64": np.float64, "float32": np.float32}


def _problem(case, dtype):
    sizes, acts, loss, m = CASES[case]
    gen = np.random.default_rng(0)
    X = gen.normal(size=(sizes[0], m)).astype(dtype)
    if loss == "binary_cross_entropy":
        Y = (gen.random((1, m)) < 0.5).astype(dtype)
    else:
        Y = np.eye(sizes[-1], dtype=dtype)[:, gen.integers(0, sizes[-1], m)]
    net = wi.MLP(sizes, activations=acts, loss=loss, init="he_normal", rng=1, dtype=dtype)
    return net, X, Y


def numpy_step(params, X, Y, acts, lr=0.01):
    """The prototype's step generalized to any depth (NumPy, float dtype of the inputs)."""
    m = X.shape[1]
    L = len(acts)
    As = [X]
    for l in range(L):
        Z = params[2 * l] @ As[-1] + params[2 * l + 1]
        if acts[l] == "tanh":
            A = np.tanh(Z)
        elif acts[l] == "relu":
            A = np.maximum(Z, 0)
        elif acts[l] == "sigmoid":
            A = 1 / (1 + np.exp(-Z))
        else:  # softmax
            e = np.exp(Z - Z.max(axis=0, keepdims=True))
            A = e / e.sum(axis=0, keepdims=True)
        As.append(A)
    dZ = As[-1] - Y
    for l in range(L - 1, -1, -1):
        dW = (1.0 / m) * (dZ @ As[l].T)
        db = (1.0 / m) * np.sum(dZ, axis=1, keepdims=True)
        if l > 0:
            dA = params[2 * l].T @ dZ
            dZ = dA * (1 - As[l] ** 2) if acts[l - 1] == "tanh" else dA * (As[l] > 0)
        params[2 * l] -= lr * dW
        params[2 * l + 1] -= lr * db


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("nthreads", THREADS)
def test_step_weightinit(benchmark, case, dtype, nthreads):
    label(benchmark, f"step {case} {dtype}", "weightinit", nthreads)
    net, X, Y = _problem(case, DTYPES[dtype])
    with threads(nthreads):
        net.fit(X, Y, iterations=1, learning_rate=0.01)  # workspace allocated once per network
        costs = benchmark(net.fit, X, Y, iterations=1, learning_rate=0.01)
    assert costs.shape == (1,)


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("case", sorted(CASES))
def test_step_numpy(benchmark, case, dtype):
    label(benchmark, f"step {case} {dtype}", "numpy")
    benchmark.extra_info["baseline"] = True
    net, X, Y = _problem(case, DTYPES[dtype])
    p = net.parameters
    params = [p[f"{k}{l + 1}"] for l in range(len(net.layer_sizes) - 1) for k in "Wb"]
    benchmark(numpy_step, params, X, Y, net.activations)
    assert params[0].dtype == DTYPES[dtype]


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("nthreads", THREADS)
def test_step_torch(benchmark, case, dtype, nthreads):
    label(benchmark, f"step {case} {dtype}", "torch", nthreads)
    sizes, acts, loss, _ = CASES[case]
    _, X, Y = _problem(case, DTYPES[dtype])
    tdtype = getattr(torch, dtype)
    layers = []
    for l in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[l], sizes[l + 1], dtype=tdtype))
        if l + 2 < len(sizes):
            layers.append(torch.nn.Tanh() if acts[l] == "tanh" else torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    # torch's layout: examples are rows
    Xt = torch.from_numpy(np.ascontiguousarray(X.T))
    if loss == "binary_cross_entropy":
        Yt, crit = torch.from_numpy(np.ascontiguousarray(Y.T)), torch.nn.BCEWithLogitsLoss()
    else:
        Yt, crit = torch.from_numpy(np.argmax(Y, axis=0)), torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=False)
        out = crit(model(Xt), Yt)
        out.backward()
        opt.step()
        return out

    with threads(nthreads):
        benchmark(step)


# ---- mini-batch SGD: an epoch of shuffled batches of 256, gathered from a larger X ----
SGD = "sgd [784,128,10] m=8192 b=256 x32"
SGD_M, SGD_BATCH = 8192, 256


def _sgd_problem(dtype):
    gen = np.random.default_rng(0)
    X = gen.normal(size=(784, SGD_M)).astype(dtype)
    Y = np.eye(10, dtype=dtype)[:, gen.integers(0, 10, SGD_M)]
    net = wi.MLP([784, 128, 10], activations=["relu", "softmax"], loss="softmax_cross_entropy", init="he_normal",
                 rng=1, dtype=dtype)
    return net, X, Y


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("nthreads", THREADS)
def test_sgd_weightinit(benchmark, dtype, nthreads):
    label(benchmark, f"{SGD} {dtype}", "weightinit", nthreads)
    net, X, Y = _sgd_problem(DTYPES[dtype])
    steps = SGD_M // SGD_BATCH
    gen = np.random.default_rng(2)  # kept, as NumPy's and torch's: a new order each round
    with threads(nthreads):
        net.fit(X, Y, iterations=1, learning_rate=0.01, batch_size=SGD_BATCH, rng=gen)  # the workspace, once
        costs = benchmark(net.fit, X, Y, iterations=steps, learning_rate=0.01, batch_size=SGD_BATCH, rng=gen)
    assert costs.shape == (steps,)


@pytest.mark.parametrize("dtype", sorted(DTYPES))
def test_sgd_numpy(benchmark, dtype):
    """The same epoch in NumPy: a permutation, then each batch's columns taken (X[:, idx])
    and numpy_step, as a NumPy user would write it."""
    label(benchmark, f"{SGD} {dtype}", "numpy")
    benchmark.extra_info["baseline"] = True
    net, X, Y = _sgd_problem(DTYPES[dtype])
    p = net.parameters
    params = [p[f"{k}{l + 1}"] for l in range(2) for k in "Wb"]
    gen = np.random.default_rng(2)

    def epoch():
        order = gen.permutation(SGD_M)
        for i in range(0, SGD_M, SGD_BATCH):
            idx = order[i:i + SGD_BATCH]
            numpy_step(params, X[:, idx], Y[:, idx], net.activations)

    benchmark(epoch)
    assert params[0].dtype == DTYPES[dtype]


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("nthreads", THREADS)
def test_sgd_torch(benchmark, dtype, nthreads):
    label(benchmark, f"{SGD} {dtype}", "torch", nthreads)
    _, X, Y = _sgd_problem(DTYPES[dtype])
    tdtype = getattr(torch, dtype)
    model = torch.nn.Sequential(torch.nn.Linear(784, 128, dtype=tdtype), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10, dtype=tdtype))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    crit = torch.nn.CrossEntropyLoss()
    Xt = torch.from_numpy(np.ascontiguousarray(X.T))  # torch's layout: examples are rows
    Yt = torch.from_numpy(np.argmax(Y, axis=0))
    gen = torch.Generator().manual_seed(2)

    def epoch():
        order = torch.randperm(SGD_M, generator=gen)
        for i in range(0, SGD_M, SGD_BATCH):
            idx = order[i:i + SGD_BATCH]
            opt.zero_grad(set_to_none=False)
            crit(model(Xt[idx]), Yt[idx]).backward()
            opt.step()

    with threads(nthreads):
        benchmark(epoch)


# ---- mini-batch SGD on the article's network: where a step is short, the per-step work shows ----
SMALL_SGD = "sgd 2-4-1 m=400 b=64 x 10000"
SMALL_BATCH = 64


def _small_sgd_steps(benchmark):
    return 100 if benchmark.disabled else ARTICLE_ITERATIONS


@pytest.mark.parametrize("nthreads", THREADS)
def test_small_sgd_weightinit(benchmark, planar, nthreads):
    label(benchmark, SMALL_SGD, "weightinit", nthreads)
    X, Y, start = planar
    steps = _small_sgd_steps(benchmark)
    net = wi.MLP([2, 4, 1], rng=0)
    gen = np.random.default_rng(2)

    def fit():
        net.parameters = start
        return net.fit(X, Y, iterations=steps, learning_rate=1.2, batch_size=SMALL_BATCH, rng=gen)

    with threads(nthreads):
        costs = benchmark(fit)
    assert costs.shape == (steps,)


def test_small_sgd_numpy(benchmark, planar):
    """The same steps in NumPy: a permutation each epoch, each batch's columns taken, numpy_step."""
    label(benchmark, SMALL_SGD, "numpy")
    benchmark.extra_info["baseline"] = True
    X, Y, start = planar
    steps = _small_sgd_steps(benchmark)
    gen = np.random.default_rng(2)
    m = X.shape[1]

    def run():
        params = [start[f"{k}{l + 1}"].copy() for l in range(2) for k in "Wb"]
        taken = 0
        while taken < steps:
            order = gen.permutation(m)
            for i in range(0, m, SMALL_BATCH):
                if taken == steps:
                    break
                idx = order[i:i + SMALL_BATCH]
                numpy_step(params, X[:, idx], Y[:, idx], ["tanh", "sigmoid"], lr=1.2)
                taken += 1
        return params

    params = benchmark.pedantic(run, rounds=5, iterations=1)
    assert params[0].shape == (4, 2)
