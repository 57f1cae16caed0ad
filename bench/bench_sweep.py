"""The compare workload: 9 inits x 32 seeds x 10 000 iterations of the article's 2-4-1 network.

weightinit.sweep trains all 288 runs; the NumPy side is the article's prototype (tests/test_prototype.py's
np_nn_model, a Python loop of NumPy calls) timed on a subset, one run per init (9 runs,
seed 0), and scaled by 32 to estimate the whole workload: ``extra_info["runs"]`` says how many
runs each row measured and ``bench/ratios.py`` compares time per run.

    python bench/ratios.py bench/bench_sweep.py

Under ``--benchmark-disable`` (CI) the workload shrinks to 2 seeds x 100 iterations.
"""

import numpy as np
import pytest
from bench_mlp import np_nn_model as numpy_nn_model
from benchutil import THREADS, label, threads

import weightinit as wi
from weightinit import datasets, experiments

GROUP = "sweep 9 inits x 32 seeds x 10000 it, 2-4-1"
INITS = experiments.COMPARE_SCHEMES[:9]
SEEDS, ITERATIONS = 32, 10000


def workload(benchmark):
    return (2, 100) if benchmark.disabled else (SEEDS, ITERATIONS)


@pytest.fixture(scope="module")
def flower():
    return datasets.planar_flower(1)


@pytest.mark.parametrize("nthreads", THREADS)
def test_sweep_weightinit(benchmark, flower, nthreads):
    X, Y = flower
    seeds, iterations = workload(benchmark)
    label(benchmark, GROUP, "weightinit", nthreads)
    benchmark.extra_info["runs"] = len(INITS) * seeds
    pairs = [experiments.scheme(s) for s in INITS]
    with threads(nthreads):
        r = benchmark.pedantic(wi.sweep, args=(X, Y, [2, 4, 1], pairs, seeds, iterations, 1.2), rounds=3,
                               iterations=1)
    assert r.costs.shape == (len(INITS), seeds, iterations)


def test_sweep_numpy_prototype(benchmark, flower):
    X, Y = flower
    seeds, iterations = workload(benchmark)
    label(benchmark, GROUP, "numpy")
    benchmark.extra_info["baseline"] = True
    benchmark.extra_info["runs"] = len(INITS)
    benchmark.extra_info["estimate"] = f"{len(INITS)} runs measured (seed 0), x{seeds} for the workload"
    starts = [wi.MLP([2, 4, 1], init=experiments.scheme(s)[1], rng=0).parameters for s in INITS]

    def loop():
        with np.errstate(all="ignore"):  # the prototype's log(0) under randn*100, as in the article
            return [numpy_nn_model(X, Y, p, iterations)[1] for p in starts]

    costs = benchmark.pedantic(loop, rounds=3, iterations=1)
    assert len(costs) == len(INITS) and len(costs[0]) == iterations
    if not benchmark.disabled:  # the whole workload, estimated from the subset's median
        benchmark.extra_info["estimate_s"] = benchmark.stats.stats.median * seeds
