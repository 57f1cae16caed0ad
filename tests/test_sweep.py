"""weightinit.sweep: each run equals wi.MLP trained alone; no dependence on threads; divergence."""

import copy
import dataclasses
import functools
import importlib
import io
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import weightinit as wi
from weightinit import datasets


pytestmark = pytest.mark.usefixtures("restore_threads")  # conftest.py


def flower():
    X, Y = datasets.planar_flower(1)
    X_test, Y_test = datasets.planar_flower(2)
    return X, Y, X_test, Y_test


def three_blobs():
    X, Y = datasets.blobs(n_per_class=20, rng=1, std=1.5)
    X_test, Y_test = datasets.blobs(n_per_class=10, rng=2, std=1.5)
    return X, Y, X_test, Y_test


# (data, layer sizes, activations, inits, dtype, learning rate)
CASES = {
    "article float64": (flower, [2, 4, 1], ["tanh", "sigmoid"],
                        ["zeros", ("randn*0.01", functools.partial(wi.normal, std=0.01)), "xavier_uniform",
                         wi.he_normal], np.float64, 1.2),
    "wide layers (GEMM) float64": (flower, [2, 40, 24, 1], ["tanh", "relu", "sigmoid"],
                                   ["he_normal", "xavier_uniform"], np.float64, 0.5),
    "softmax relu float32": (three_blobs, [2, 6, 5, 3], ["relu", "tanh", "softmax"],
                             ["lecun_normal", ("orthogonal", "orthogonal")], np.float32, 0.3),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_run_equals_mlp_alone(case):
    data, sizes, acts, inits, dtype, lr = CASES[case]
    X, Y, X_test, Y_test = data()
    seeds = [0, 7]
    iterations, every = 150, 7
    r = wi.sweep(X, Y, sizes, inits, seeds, iterations, lr, activations=acts, record_every=every,
                 X_test=X_test, Y_test=Y_test, dtype=dtype)
    assert r.costs.shape == (len(inits), len(seeds), -(-iterations // every))
    assert r.seeds == seeds and len(r.inits) == len(inits)
    for i, init in enumerate(inits):
        f = init[1] if isinstance(init, tuple) else init
        finals = []
        for s, seed in enumerate(seeds):
            net = wi.MLP(sizes, activations=acts, init=f, rng=seed, dtype=dtype)
            costs = net.fit(X, Y, iterations=iterations, learning_rate=lr, record_every=every)
            np.testing.assert_array_equal(r.costs[i, s], costs)
            assert r.final_cost[i, s] == net.cost(X, Y)
            assert r.train_accuracy[i, s] == net.accuracy(X, Y)
            assert r.test_accuracy[i, s] == net.accuracy(X_test, Y_test)
            assert not r.diverged[i, s]
            trained = net.parameters
            for k, (W, b) in enumerate(r.parameters):
                np.testing.assert_array_equal(W[i, s], trained[f"W{k + 1}"])
                np.testing.assert_array_equal(b[i, s], trained[f"b{k + 1}"])
            finals.append(net.cost(X, Y))
        row = r.summary()[i]
        assert row["cost_mean"] == pytest.approx(np.mean(finals), rel=1e-12)
        assert row["cost_sd"] == pytest.approx(np.std(finals), rel=1e-9, abs=1e-15)


def diverging_problem():
    gen = np.random.default_rng(0)
    X, Y = gen.normal(size=(3, 50)), gen.normal(size=(1, 50))
    inits = [("randn*10", functools.partial(wi.normal, std=10.0)), "xavier_uniform"]
    kw = dict(activations=["relu", "identity"], record_every=3)
    return X, Y, inits, kw


def test_divergence_is_flagged_and_stops_the_run():
    X, Y, inits, kw = diverging_problem()
    r = wi.sweep(X, Y, [3, 8, 1], inits, [0, 1], 200, 1.0, **kw)
    assert r.diverged.tolist() == [[True, True], [False, False]]
    for s in range(2):
        net = wi.MLP([3, 8, 1], kw["activations"], init=inits[0][1], rng=s)
        with pytest.raises(FloatingPointError) as info:
            net.fit(X, Y, iterations=200, learning_rate=1.0, record_every=3)
        seen = info.value.costs
        np.testing.assert_array_equal(r.costs[0, s, : len(seen)], seen)
        assert np.isnan(r.costs[0, s, len(seen):]).all() and len(seen) < r.costs.shape[-1]
        assert np.isnan([r.final_cost[0, s], r.train_accuracy[0, s], r.test_accuracy[0, s]]).all()
    assert np.isfinite(r.costs[1]).all() and np.isfinite(r.final_cost[1]).all()
    assert [row["diverged"] for row in r.summary()] == [2, 0]
    assert "2/2" in r.table().splitlines()[2]


def test_summary_leaves_out_the_runs_that_diverged():
    """Means over the runs that did not diverge: one diverged run of three made them NaN."""
    X, Y, _, _ = flower()
    r = wi.sweep(X, Y, [2, 3, 1], ["he_normal"], [0, 1, 2], 5, 1.2)
    r.diverged[0, 1] = True  # as sweep leaves a diverged run: NaN results
    r.final_cost[0, 1] = r.train_accuracy[0, 1] = r.test_accuracy[0, 1] = np.nan
    row, = r.summary()
    kept = [0, 2]
    assert row["cost_mean"] == pytest.approx(r.final_cost[0, kept].mean(), rel=1e-15)
    assert row["cost_sd"] == pytest.approx(r.final_cost[0, kept].std(), rel=1e-12)
    assert row["train_accuracy"] == r.train_accuracy[0, kept].mean() and row["diverged"] == 1


def test_table_shows_an_exploded_but_finite_cost_in_exponent_form():
    X, Y, _, _ = flower()
    r = wi.sweep(X, Y, [2, 3, 1], ["he_normal"], [0, 1], 5, 0.1)
    plain = r.table().splitlines()[2]
    assert f"{r.final_cost.mean():.4f}" in plain
    r.final_cost = r.final_cost * 1e150  # as after a run whose cost exploded without overflowing
    line = r.table().splitlines()[2]
    assert f"{r.final_cost.mean():.4g}" in line and len(line) < 2 * len(plain)


# (case, batch size): batches of the article's 400 examples (400 = 6 x 64 + 16: a short last
# batch), of the wide layers' GEMM path, and of the 60 blobs (60 = 3 x 16 + 12).
BATCH_CASES = [("article float64", 64), ("wide layers (GEMM) float64", 64), ("softmax relu float32", 16)]


@pytest.mark.parametrize("case, batch", BATCH_CASES)
def test_mini_batch_runs_equal_mlp_alone(case, batch):
    """Run (i, s) with batch_size= is wi.MLP(init=inits[i], rng=seeds[s]).fit(batch_size=...):
    the same weights, and the shuffle's key drawn from the same generator after them."""
    data, sizes, acts, inits, dtype, lr = CASES[case]
    X, Y, X_test, Y_test = data()
    seeds, iterations, every = [0, 7], 40, 3
    r = wi.sweep(X, Y, sizes, inits, seeds, iterations, lr, activations=acts, record_every=every,
                 X_test=X_test, Y_test=Y_test, dtype=dtype, batch_size=batch)
    assert r.batch_size == batch and "batches of" in repr(r)
    full = wi.sweep(X, Y, sizes, inits[:1], seeds[:1], iterations, lr, activations=acts, record_every=every,
                    dtype=dtype)
    assert not np.array_equal(r.costs[0, 0], full.costs[0, 0])  # batches, not the full set
    for i, init in enumerate(inits):
        f = init[1] if isinstance(init, tuple) else init
        for s, seed in enumerate(seeds):
            net = wi.MLP(sizes, activations=acts, init=f, rng=seed, dtype=dtype)
            costs = net.fit(X, Y, iterations=iterations, learning_rate=lr, record_every=every, batch_size=batch)
            np.testing.assert_array_equal(r.costs[i, s], costs)
            assert r.final_cost[i, s] == net.cost(X, Y)
            assert r.train_accuracy[i, s] == net.accuracy(X, Y)
            assert r.test_accuracy[i, s] == net.accuracy(X_test, Y_test)
            for k, (W, b) in enumerate(r.parameters):
                np.testing.assert_array_equal(W[i, s], net.parameters[f"W{k + 1}"])
                np.testing.assert_array_equal(b[i, s], net.parameters[f"b{k + 1}"])


def test_a_batch_of_every_example_is_full_batch_descent():
    X, Y, _, _ = flower()
    ref = wi.sweep(X, Y, [2, 4, 1], ["he_normal"], [0, 1], 30, 1.2)
    assert ref.batch_size is None and "batches" not in repr(ref)
    for batch in (400, 401, 10**9):
        got = wi.sweep(X, Y, [2, 4, 1], ["he_normal"], [0, 1], 30, 1.2, batch_size=batch)
        assert got == ref and got.batch_size is None


def test_a_batch_of_every_example_is_charged_as_full_batch_descent(monkeypatch):
    """batch_size >= m trains as full-batch descent, with no batch copied: the memory estimate
    must charge it as batch_size=None does (helper-194: a mutant charging a batch of 400 on 400
    examples, its copy included, passed every test)."""
    from weightinit import _args
    sweep_module = importlib.import_module("weightinit.sweep")
    calls, inside = [], []  # over_memory is asked by the networks' own checks too
    real, over = sweep_module._check_memory, _args.over_memory

    def ask(need, **kwargs):
        if inside:
            calls[-1].append(need)
        return over(need, **kwargs)

    def check(*args, **kwargs):
        calls.append([])
        inside.append(1)
        try:
            real(*args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(_args, "over_memory", ask)
    monkeypatch.setattr(sweep_module, "_check_memory", check)
    X, Y, _, _ = flower()
    # Two hidden layers: no fused step, and training is the most a worker writes.
    for batch in (None, 400, 401, 399):
        wi.sweep(X, Y, [2, 16, 16, 1], ["he_normal"], [0], 2, 1.2, batch_size=batch)
    assert all(len(c) == 1 for c in calls)
    charged = [c[0] for c in calls]
    assert charged[0] == charged[1] == charged[2] != charged[3]  # 399: mini-batches, and their copy


def test_a_mini_batch_result_says_its_batch_size_as_an_int():
    """repr names the batch size itself, and a NumPy int given as batch_size comes back as
    Python's (as save and load give it back)."""
    X, Y, _, _ = flower()
    r = wi.sweep(X, Y, [2, 3, 1], ["he_normal"], [0], 12, 1.2, batch_size=np.int64(32))
    assert type(r.batch_size) is int and r.batch_size == 32
    assert "12 iterations in batches of 32," in repr(r)


@pytest.mark.parametrize("batch, error, match", [
    (0, ValueError, "batch_size must be >= 1"), (-3, ValueError, "batch_size"), (1.5, TypeError, "batch_size"),
    (True, TypeError, "batch_size"), ("8", TypeError, "batch_size")])
def test_a_bad_batch_size_is_refused_by_name(batch, error, match):
    X, Y, _, _ = flower()
    with pytest.raises(error, match=match):
        wi.sweep(X, Y, [2, 3, 1], ["zeros"], [0], 5, 1.0, batch_size=batch)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_results_do_not_depend_on_thread_count(threads):
    X, Y, X_test, Y_test = flower()
    inits = ["zeros", "he_normal", ("randn*100", functools.partial(wi.normal, std=100.0)), "orthogonal"]
    for sizes in ([2, 5, 1], [2, 40, 24, 1]):  # fused loops; GEMM for the wide layers
        wi.set_num_threads(1)
        ref = wi.sweep(X, Y, sizes, inits, [0, 1, 2], 120, 0.5, record_every=5, X_test=X_test, Y_test=Y_test)
        wi.set_num_threads(threads)
        got = wi.sweep(X, Y, sizes, inits, [0, 1, 2], 120, 0.5, record_every=5, X_test=X_test, Y_test=Y_test)
        for name in ("costs", "final_cost", "train_accuracy", "test_accuracy", "diverged"):
            np.testing.assert_array_equal(getattr(got, name), getattr(ref, name), err_msg=name)
    # mini-batches: each run's own shuffle, whichever thread trains it
    wi.set_num_threads(1)
    ref = wi.sweep(X, Y, [2, 5, 1], inits, [0, 1, 2], 60, 0.5, batch_size=48, X_test=X_test, Y_test=Y_test)
    wi.set_num_threads(threads)
    got = wi.sweep(X, Y, [2, 5, 1], inits, [0, 1, 2], 60, 0.5, batch_size=48, X_test=X_test, Y_test=Y_test)
    assert got == ref
    # the diverging case too
    X, Y, inits, kw = diverging_problem()
    wi.set_num_threads(1)
    ref = wi.sweep(X, Y, [3, 8, 1], inits, 3, 200, 1.0, **kw)
    wi.set_num_threads(threads)
    got = wi.sweep(X, Y, [3, 8, 1], inits, 3, 200, 1.0, **kw)
    np.testing.assert_array_equal(got.costs, ref.costs)
    np.testing.assert_array_equal(got.diverged, ref.diverged)


def test_progress_counts_every_run_and_can_stop_the_sweep():
    X, Y, _, _ = flower()
    seen = []
    wi.sweep(X, Y, [2, 3, 1], ["zeros", "he_normal"], 3, 50, 1.2, progress=lambda done, total: seen.append((done, total)))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and seen[-1] == (6, 6)
    assert {t for _, t in seen} == {6}

    class Stop(Exception):
        pass

    def stop(done, total):
        raise Stop

    # The error stops the workers' runs and reaches the caller.
    wi.set_num_threads(2)
    for _ in range(5):
        with pytest.raises(Stop):
            wi.sweep(X, Y, [2, 3, 1], ["zeros", "he_normal"], 4, 500, 1.2, progress=stop)


def test_progress_comes_from_the_calling_thread_about_every_interval(restore_threads):
    """Each worker called the callback as its run finished, holding up its runs while the
    callback ran (helper-149: a 1 ms callback made 2000 runs of 5 steps take 2.26 s, against
    0.05 s without it). The calling thread alone reports now: at the start, about every
    0.05 s, and at the end."""
    X, Y, _, _ = flower()
    wi.set_num_threads(2)
    calls = []

    def slow(done, total):
        calls.append((threading.get_ident(), done, total))
        time.sleep(0.001)

    start = time.perf_counter()
    wi.sweep(X, Y, [2, 2, 1], ["zeros"], 2000, 5, 0.5, progress=slow)
    took = time.perf_counter() - start
    assert {t for t, _, _ in calls} == {threading.get_ident()}
    assert calls[0][1:] == (0, 2000) and calls[-1][1:] == (2000, 2000), calls
    assert len(calls) <= took / 0.05 + 3, (len(calls), took)


def test_progress_counts_past_two_to_the_64_steps():
    """Six runs of 2^62 steps are 1.5 x 2^64: the core's count wrapped, and runs_done went 1,
    3, 0, 1, 2, 2 (helper-149). Each run here diverges at its first step (counted as all of
    its steps), so the sweep takes milliseconds."""
    X, Y, _, _ = flower()
    huge = ("c", functools.partial(wi.constant, value=1e200))
    seen = []
    r = wi.sweep(X, Y, [2, 3, 1], [huge], 6, 2**62, 0.5, activations=["relu", "identity"], loss="mse",
                 record_every=2**62, progress=lambda done, total: seen.append(done))
    assert r.diverged.all() and seen == sorted(seen) and seen[-1] == 6.0


def test_progress_counts_the_share_of_runs_in_progress():
    """A long run reports how far it got, not 0 until it ends: `weightinit compare` with one
    seed and 10x the iterations (the article's experiment) showed 0/2 for 19 s."""
    X, Y, _, _ = flower()
    X, Y = np.tile(X, 100), np.tile(Y, 100)  # 40 000 examples: ~0.5 ms a step
    seen = []
    wi.sweep(X, Y, [2, 4, 1], ["he_normal"], [0], 1000, 1.2, record_every=100,
             progress=lambda done, total: seen.append((done, total)))
    done = [d for d, _ in seen]
    assert done == sorted(done) and seen[-1] == (1, 1)
    assert any(0 < d < 1 for d in done)  # reports every ~0.05 s during the run


def test_seeds_as_a_count_and_the_trained_network():
    X, Y, _, _ = flower()
    r = wi.sweep(X, Y, [2, 3, 1], ["xavier_uniform"], 2, 40, 1.2)
    assert r.seeds == [0, 1] and r.steps.tolist() == list(range(40))
    net = r.network(0, 1)
    alone = wi.MLP([2, 3, 1], init="xavier_uniform", rng=1)
    alone.fit(X, Y, iterations=40, learning_rate=1.2)
    np.testing.assert_array_equal(net.predict_proba(X), alone.predict_proba(X))


def test_a_tuple_of_inits_is_refused_with_the_reason():
    X, Y, _, _ = flower()
    with pytest.raises(TypeError, match=r"inits must be .* list.*a tuple .* reads as one \(label, init\) pair"):
        wi.sweep(X, Y, [2, 3, 1], ("zeros", "ones"), [0], 5, 1.0)


def test_a_dict_of_inits_is_its_label_init_pairs():
    # A dict iterated as a list gives its keys: {"randn*0.01": partial(...)} would have run
    # the key as a name (or failed on it) and dropped the initializer.
    X, Y, _, _ = flower()
    small = functools.partial(wi.normal, std=0.01)
    r = wi.sweep(X, Y, [2, 3, 1], {"he": "xavier_uniform", "randn*0.01": small}, [0, 1], 30, 1.2)
    pairs = wi.sweep(X, Y, [2, 3, 1], [("he", "xavier_uniform"), ("randn*0.01", small)], [0, 1], 30, 1.2)
    assert r.inits == ["he", "randn*0.01"]
    np.testing.assert_array_equal(r.costs, pairs.costs)
    alone = wi.MLP([2, 3, 1], init=small, rng=1)
    alone.fit(X, Y, iterations=30, learning_rate=1.2)
    np.testing.assert_array_equal(r.network(1, 1).predict_proba(X), alone.predict_proba(X))
    # A run's init by its label too, and indices from the end as a list's.
    for init, seed in (("randn*0.01", 1), (-1, -1), ("randn*0.01", -1)):
        np.testing.assert_array_equal(r.network(init, seed).predict_proba(X), alone.predict_proba(X))
    he = wi.MLP([2, 3, 1], init="xavier_uniform", rng=0)
    he.fit(X, Y, iterations=30, learning_rate=1.2)
    for init, seed in (("he", 0), (0, -2), (-2, 0)):
        np.testing.assert_array_equal(r.network(init, seed).predict_proba(X), he.predict_proba(X))
    twice = wi.sweep(X, Y, [2, 3, 1], [("a", "zeros"), ("a", "ones")], [0], 2, 1.2)
    with pytest.raises(ValueError, match="init 'a' names several of this sweep's inits: pass its index"):
        twice.network("a", 0)
    assert (twice.network(1, 0).parameters["W1"] != 0).all()
    with pytest.raises(TypeError, match=r"inits\['bad'\] must be a name, a callable"):
        wi.sweep(X, Y, [2, 3, 1], {"bad": 3}, [0], 5, 1.0)
    with pytest.raises(ValueError, match=r"inits\['bad'\]"):
        wi.sweep(X, Y, [2, 3, 1], {"bad": "no_such_init"}, [0], 5, 1.0)
    with pytest.raises(TypeError, match=r"inits must be a non-empty"):
        wi.sweep(X, Y, [2, 3, 1], {}, [0], 5, 1.0)


@pytest.mark.parametrize("kwargs, error", [
    (dict(inits=["no_such_init"]), ValueError),
    (dict(inits="zeros"), TypeError),
    (dict(inits=[("label",)]), TypeError),
    (dict(seeds=[-1]), ValueError),
    (dict(seeds=[]), ValueError),
    (dict(seeds=2**40), ValueError),  # a bare MemoryError from list(range(2**40)) before
    (dict(iterations=-1), ValueError),
    (dict(learning_rate=0.0), ValueError),
    (dict(record_every=0), ValueError),
    (dict(X_test=np.zeros((2, 3))), ValueError),
    (dict(layer_sizes=[3, 4, 1]), ValueError),
])
def test_bad_arguments(kwargs, error):
    X, Y, _, _ = flower()
    args = dict(X=X, Y=Y, layer_sizes=[2, 3, 1], inits=["zeros"], seeds=[0], iterations=5, learning_rate=1.0)
    args.update(kwargs)
    with pytest.raises(error):
        wi.sweep(**args)


def test_ctrl_c_stops_a_sweep_whose_last_run_is_on_another_thread(restore_threads, ctrl_c_after):
    """Python sees signals on the calling thread only. Run 0 (constant 1e308 weights) has a
    non-finite cost at its first step, so the calling thread, which takes it, is soon done;
    run 1 (3000 steps on 200 000 examples, seconds) goes to the pool's thread. A SIGINT 0.3 s
    in must stop the sweep there, with run 1 unfinished: the progress callback never hears
    of two runs done (it did when only the threads in a run looked for signals)."""
    X, Y, _, _ = flower()
    X, Y = np.tile(X, 500), np.tile(Y, 500)
    wi.set_num_threads(2)
    inits = [("huge", functools.partial(wi.constant, value=1e308)), "he_normal"]
    seen = []
    with ctrl_c_after(0.3):
        wi.sweep(X, Y, [2, 4, 1], inits, [0], 3000, 1.2, record_every=1000,
                 progress=lambda done, total: seen.append(done))
    assert max(seen, default=0) < 2  # run 0 and part of run 1


@pytest.mark.skipif(not sys.platform.startswith("linux") or "LD_PRELOAD" in os.environ,
                    reason="needs Linux's RLIMIT_AS and /proc, and no sanitizer runtime mapping memory of its own")
def test_a_sweep_reports_and_stops_where_no_thread_can_be_started():
    """A sweep with a progress callback trains on a driver thread while the calling thread
    reports. Where the system starts no thread (here: no address space left for a stack),
    it raised "RuntimeError: Resource temporarily unavailable" where fills and fits go on
    with the threads they have. The calling thread now trains too, and reports from its
    runs' checks and, once it has no run left, until the others' end (helper-164: it was
    deaf there). The runs keep the control the sweep started with, the calling thread the
    one the callback set (helper-164: a change at the first call reached every run). In a
    child process, whose address space the limit pins."""
    code = """
import functools, resource, threading, numpy as np, numpy.ma, weightinit as wi
from weightinit import datasets
from weightinit._coreload import core
X, Y = datasets.planar_flower(1)
wi.normal((4_000_000,), rng=0)  # the pool's threads, started before the limit
wi.MLP([2, 4, 1], init="he_normal", rng=0).fit(X, Y, iterations=2)  # what a sweep imports
# One run that diverges at once, one of about half a second: whichever the calling thread
# takes, it must report until the long one ends.
huge = ("huge", functools.partial(wi.constant, value=1e200))
args = (X, Y, [2, 4, 1], [huge, "he_normal"], 1, 300_000, 0.01, ["relu", "identity"], "mse", 100_000)
vm = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1]) * 1024
soft, hard = resource.getrlimit(resource.RLIMIT_AS)  # a hard limit cannot be raised back
if hard != resource.RLIM_INFINITY and hard < vm + (16 << 20):
    print("no room under the hard limit")
    raise SystemExit
resource.setrlimit(resource.RLIMIT_AS, (vm + (16 << 20), hard))
try:
    threading.Thread(target=print).start()
    print("a thread started")
except RuntimeError:
    pass
start = core.fp_control()
seen = []
def report(done, total):
    if not seen:
        core.set_fp_control(start | 0x6000)  # rounding toward zero, from the first call on
    seen.append(done)
got = wi.sweep(*args, progress=report)
print(core.fp_control() == start | 0x6000)
core.set_fp_control(start)
def stop(done, total):
    if done > 0:
        raise KeyboardInterrupt
try:
    wi.sweep(*args, progress=stop)
    print("not stopped")
except KeyboardInterrupt:
    pass
resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
ref = wi.sweep(*args)
print(np.array_equal(got.costs, ref.costs, equal_nan=True), got.diverged.ravel().tolist(), seen[-1],
      len([d for d in seen if 1 <= d < 2]))
"""
    import resource  # Unix only

    stack = 64 << 20
    hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
    if hard != resource.RLIM_INFINITY and hard < stack:
        pytest.skip(f"the stack's hard limit is {hard} bytes, under the {stack} the test needs")

    def big_stacks():
        # glibc sizes a thread's stack by RLIMIT_STACK at start-up (2 MiB where unlimited): at
        # 64 MiB, no stack fits in the 16 MiB left in the address space, where any allocation
        # the sweep makes does (CI failed with 256 KiB left: std::bad_alloc).
        resource.setrlimit(resource.RLIMIT_STACK, (stack, hard))

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          preexec_fn=big_stacks)
    assert done.returncode == 0, done.stderr[-2000:]
    if done.stdout.startswith("no room under the hard limit"):
        pytest.skip("RLIMIT_AS has a hard limit under the address space the test needs")
    kept, same, diverged, last, between = done.stdout.replace(", ", ",").split()
    assert (kept, same, diverged, last) == ("True", "True", "[True,False]", "2.0"), done.stdout
    assert int(between) >= 3, done.stdout  # reports while the long run trains: ~10 at 0.05 s


def test_a_stopped_sweep_stops_its_runs_in_progress():
    """A progress callback that raises stops the runs already training, not only the runs not
    started: unstopped, these two runs of 2e7 steps take half a minute (one per thread); the
    callback raises at its first call (~50 ms), and the bound leaves seconds to spare."""
    X, Y, _, _ = flower()

    class Stop(Exception):
        pass

    def stop(done, total):
        raise Stop

    wi.set_num_threads(2)  # put back by the module's restore_threads
    start = time.perf_counter()
    with pytest.raises(Stop):
        wi.sweep(X, Y, [2, 3, 1], ["he_normal"], 2, 20_000_000, 1.2, record_every=10_000, progress=stop)
    assert time.perf_counter() - start < 10.0


def test_init_label_names_each_kind_of_init():
    init_label = importlib.import_module("weightinit.sweep").init_label  # wi.sweep is the function
    assert init_label(("mine", "he_normal")) == "mine"
    assert init_label(("pair", functools.partial(wi.normal, std=0.5))) == "pair"
    assert init_label("he_normal") == "he_normal"
    assert init_label(functools.partial(wi.normal, std=0.5)) == "normal(std=0.5)"


def _big_init(big):
    """Initializes the first layer's second column with ``big``, the rest as wi.normal."""
    def init(shape, rng=None, dtype=np.float64):
        w = wi.normal(shape, rng=rng, dtype=dtype)
        if shape == (4, 2):
            w[:, 1] = big
        return w

    return init


def _assert_runs_alone(r, X, Y, init, seeds, iterations):
    for s in range(seeds):
        net = wi.MLP([2, 4, 1], init=init, rng=s)
        np.testing.assert_array_equal(r.costs[0, s], net.fit(X, Y, iterations=iterations, learning_rate=0.1))


def test_runs_keep_the_floating_point_control_the_sweep_started_with(control_sensitive):
    """The progress callback runs on the calling thread (on the thread that finished a run
    until the sweep's workers left the reports to it), and may change its floating-point
    control (a library built with -ffast-math sets flush-to-zero when
    loaded). Every run computes under the control the sweep started with, so each still
    equals its network trained alone."""
    c = control_sensitive
    init = _big_init(c.big)
    calls = []

    def progress(runs_done, runs_total):
        c.core.set_fp_control(c.daz_ftz)  # on whichever thread calls
        calls.append(runs_done)

    wi.set_num_threads(2)
    try:
        r = wi.sweep(c.X, c.Y, [2, 4, 1], [("big", init)], 6, 2000, 0.1, progress=progress)
    finally:
        c.core.set_fp_control(c.saved)
    assert calls
    _assert_runs_alone(r, c.X, c.Y, init, 6, 2000)
    net = wi.MLP([2, 4, 1], init=init, rng=0)  # the control matters here
    c.core.set_fp_control(c.daz_ftz)
    try:
        assert not np.array_equal(r.costs[0, 0], net.fit(c.X, c.Y, iterations=2000, learning_rate=0.1))
    finally:
        c.core.set_fp_control(c.saved)


def test_a_sweep_inside_a_progress_callback_keeps_its_control_too(control_sensitive):
    """A sweep started from another sweep's progress callback finds the thread pool busy
    and starts threads of its own; its runs, too, start under the control it started with
    whatever its own callback does to the threads that call it."""
    c = control_sensitive
    init = _big_init(c.big)
    inner = []

    def inner_progress(runs_done, runs_total):
        c.core.set_fp_control(c.daz_ftz)

    def outer_progress(runs_done, runs_total):
        if not inner:
            inner.append(wi.sweep(c.X, c.Y, [2, 4, 1], [("big", init)], 6, 2000, 0.1, progress=inner_progress))

    wi.set_num_threads(2)
    try:
        wi.sweep(c.X, c.Y, [2, 4, 1], ["he"], 2, 3000, 0.1, progress=outer_progress)
    finally:
        c.core.set_fp_control(c.saved)
    _assert_runs_alone(inner[0], c.X, c.Y, init, 6, 2000)


def test_a_sweep_bigger_than_the_machine_is_refused_before_any_work(monkeypatch, restore_threads):
    """`weightinit compare --hidden 100000 --seeds 1000` asked for some 70 GB (each run's
    network, then their stack) and was killed by the kernel, without a word."""
    from weightinit import _args
    sweep_module = importlib.import_module("weightinit.sweep")  # wi.sweep is the function

    X, Y, _, _ = flower()  # 400 examples (and 400 to score)
    built = []
    real_init = wi.MLP.__init__

    def build(self, *args, **kwargs):
        built.append(1)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(wi.MLP, "__init__", build)
    monkeypatch.setattr(sweep_module, "_UNCHECKED", 0)  # these sweeps are smaller than what goes unchecked
    wi.set_num_threads(2)
    # [2, 1000, 1]: 4001 parameters, trained by the fused step. In float64 values: the stacks
    # of 400 runs, 400 x 4001; two networks' parameters and gradients, 4 x 4001; X and Y
    # converted, (2 + 1) x (400 + 400); two workers, each the more of its training (its
    # parameters and gradients, 2 x 4001, and 8 blocks' sums of 2 + 2 x 1000 + 2 x 1000) and
    # its scoring of the 400 test examples (its parameters, and per example A of both layers
    # with Z and dZ out, 1001 + 2). Then 400 x 1 costs of 8 bytes. (One step a run: the one
    # sweep here that runs took 79 s of CI's ThreadSanitizer leg at 10.)
    assert 2 * 4001 + 8 * (2 + 2 * 1000 + 2 * 1000) < 4001 + 1003 * 400
    need = 8 * (400 * 4001 + 4 * 4001 + 3 * 800 + 2 * (4001 + 1003 * 400)) + 8 * 400 * 1
    assert round(need / 1e6, 2) == 19.44
    monkeypatch.setattr(_args, "physical_memory", lambda: need - 1)
    with pytest.raises(MemoryError, match=r"400 runs \(2 inits x 200 seeds\) of \[2, 1000, 1\] on 400 examples "
                                          r"needs about 19\.4 MB, more than the 19\.4 MB"):
        wi.sweep(X, Y, [2, 1000, 1], ["zeros", "he_normal"], 200, 1, X_test=X, Y_test=Y)
    assert not built  # not even the first network
    monkeypatch.setattr(_args, "physical_memory", lambda: need)
    r = wi.sweep(X, Y, [2, 1000, 1], ["zeros", "he_normal"], 200, 1, X_test=X, Y_test=Y)
    assert r.costs.shape == (2, 200, 1) and len(built) == 1  # the first run's network; the others' weights drawn
    # A larger test set is only fed forward: each worker's parameters and, per example scored,
    # A of both layers, Z and dZ out (1001 + 2), more than its training writes.
    big = np.tile(X, 20)
    more = 8 * (400 * 4001 + 4 * 4001 + 3 * (400 + 8000) + 2 * (4001 + 1003 * 8000)) + 8 * 400 * 10
    monkeypatch.setattr(_args, "physical_memory", lambda: more - 1)
    with pytest.raises(MemoryError, match=r"needs about 141\.6 MB"):
        wi.sweep(X, Y, [2, 1000, 1], ["zeros", "he_normal"], 200, 10, X_test=big, Y_test=np.tile(Y, 20))
    assert round(more / 1e6, 1) == 141.6
    # The advice names the changes that would save 5% of the need or more, largest first: the
    # test set's scoring (128 MB of the 141.6) grows with the network, the examples and the
    # threads; the runs' stacks hold 12.8 MB; the cost records, 32 kB, are not named.
    with pytest.raises(MemoryError, match=r": a smaller network, fewer examples, fewer threads or fewer runs would "
                                          r"need less$"):
        wi.sweep(X, Y, [2, 1000, 1], ["zeros", "he_normal"], 200, 10, X_test=big, Y_test=np.tile(Y, 20))
    # Where the records are most of it, they come first: 400 runs x 10^5 records, 320 MB.
    monkeypatch.setattr(_args, "physical_memory", lambda: 100_000_000)
    with pytest.raises(MemoryError, match=r": fewer cost records \(record_every\) or fewer runs would need less$"):
        wi.sweep(X, Y, [2, 4, 1], ["zeros", "he_normal"], 200, 100_000)
    # The advice for one run names neither runs nor threads, nor records where there is one.
    with pytest.raises(MemoryError, match=r"1 run \(1 init x 1 seed\) of \[2, 5000000, 1\].*: a smaller network or "
                                          r"fewer examples would need less$"):
        wi.sweep(X, Y, [2, 5_000_000, 1], ["zeros"], 1, 1)  # a worker's activations alone: 48 GB


def test_repr_counts_in_words():
    """"1 inits x 1 seeds" (helper-184): singular where one."""
    X, Y = wi.datasets.planar_flower(1)
    r = wi.sweep(X, Y, [2, 4, 1], ["zeros"], 1, 1)
    assert repr(r) == "SweepResult(1 init x 1 seed = 1 run of [2, 4, 1], 1 iteration, costs (1, 1, 1), 0 diverged)"


def test_memory_the_os_does_not_tell_is_not_a_limit(monkeypatch):
    from weightinit import _args

    monkeypatch.setattr(_args.os, "sysconf", lambda name: -1)  # "unknown", without raising
    monkeypatch.setattr(_args, "_cgroup_files", lambda *names: [])
    assert _args.physical_memory() is None
    X, Y, _, _ = flower()
    assert wi.sweep(X, Y, [2, 3, 1], ["zeros"], 1, 1).costs.shape == (1, 1, 1)


def test_memory_is_the_lowest_limit_of_the_process_cgroup_and_its_parents(tmp_path, monkeypatch):
    from weightinit import _args

    proc = tmp_path / "cgroup"
    proc.write_text("5:cpu,cpuacct:/x\n4:memory:/jobs/job1\n0::/user/session\n")
    root = tmp_path / "fs"
    files = _args._cgroup_files("memory.max", "memory", "memory.limit_in_bytes", str(proc), str(root))
    assert files == [str(root / "memory/jobs/job1/memory.limit_in_bytes"), str(root / "memory/jobs/memory.limit_in_bytes"),
                     str(root / "memory/memory.limit_in_bytes"), str(root / "user/session/memory.max"),
                     str(root / "user/memory.max"), str(root / "memory.max")]
    limits = {files[0]: "9223372036854771712", files[1]: "3000000000", files[3]: "max", files[4]: "2000000000\n"}
    for path, text in limits.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    monkeypatch.setattr(_args, "_cgroup_files", lambda *names: files if names[1] == "memory" else [])
    monkeypatch.setattr(_args.os, "sysconf", lambda name: {"SC_PHYS_PAGES": 10**6, "SC_PAGE_SIZE": 4096}[name])
    assert _args.physical_memory() == 2_000_000_000  # user/'s limit, under the machine's 4.1 GB


def test_an_init_that_cannot_fill_a_layer_is_named_by_its_place_in_inits():
    # The message named MLP's argument, "init='constant' cannot initialize...", not the sweep's.
    X, Y = wi.datasets.planar_flower(1)
    with pytest.raises(TypeError, match=r"^inits\[1\]='constant' cannot initialize layer 1 .*'value'"):
        wi.sweep(X, Y, [2, 4, 1], ["he", "constant"], [0, 1], 5, 1.0)
    with pytest.raises(ValueError, match=r"^inits\[0\]='dirac' cannot initialize layer 1"):
        wi.sweep(X, Y, [2, 4, 1], ["dirac"], [0], 5, 1.0)
    # Its hint names the place too, not MLP's init (helper-149).
    with pytest.raises(TypeError, match=r"give inits\['c'\] as functools.partial\(wi.get\('constant'\), value=\.\.\.\)$"):
        wi.sweep(X, Y, [2, 4, 1], {"c": "constant"}, [0], 5, 1.0)


def test_a_float32_runs_final_cost_beyond_float32_marks_it_diverged():
    """The sweep's runs stop, as MLP.fit does, at a cost beyond float32's range; a final cost
    there (after the last update) marked nothing, though it is inf in float32."""
    gen = np.random.default_rng(0)
    X, Y = gen.normal(size=(3, 20)).astype(np.float32), gen.normal(size=(2, 20)).astype(np.float32)
    kw = dict(activations=["tanh", "identity"], loss="mse", dtype=np.float32)
    net = wi.MLP([3, 5, 2], init="xavier_normal", rng=0, **kw)
    costs = net.fit(X, Y, iterations=30, learning_rate=50.0, on_nonfinite="continue")
    k = int(np.argmax(~(np.abs(costs) <= np.finfo(np.float32).max)))  # the first beyond float32
    assert k > 0 and np.isfinite(costs[k])
    r = wi.sweep(X, Y, [3, 5, 2], ["xavier_normal"], [0], k, 50.0, **kw)  # stops just before it
    assert np.isfinite(r.costs).all() and r.diverged[0, 0] and np.isnan(r.final_cost[0, 0])
    # MLP.fit computes no cost after its last update (both docstrings say so): the same run
    # returns, with finite parameters whose cost is the one the sweep flagged.
    alone = wi.MLP([3, 5, 2], init="xavier_normal", rng=0, **kw)
    alone.fit(X, Y, iterations=k, learning_rate=50.0)
    assert all(np.isfinite(p).all() for p in alone.parameters.values())
    assert not abs(alone.cost(X, Y)) <= float(np.finfo(np.float32).max)


def assert_same_result(a, b):
    """Every field of two SweepResults equal, arrays to the bit and in the same dtype."""
    for name in ("inits", "seeds", "layer_sizes", "activations", "loss", "iterations", "learning_rate",
                 "record_every", "alpha", "batch_size"):
        assert getattr(a, name) == getattr(b, name) and type(getattr(a, name)) is type(getattr(b, name)), name
    for name in ("costs", "final_cost", "train_accuracy", "test_accuracy", "diverged"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), name  # NaN where NaN, -0.0 where -0.0
    assert len(a.parameters) == len(b.parameters)
    for (W, bias), (W2, bias2) in zip(a.parameters, b.parameters):
        for x, y in ((W, W2), (bias, bias2)):
            assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_save_and_load_give_back_every_field_to_the_bit(tmp_path, dtype):
    # Diverged runs (NaN costs and accuracies), no test set (NaN test accuracy), a seed past
    # 64 bits, labels that are not names (a partial's), a leaky_relu slope.
    X, Y, inits, kw = diverging_problem()
    kw["activations"] = ["leaky_relu", "relu", "identity"]
    inits = inits + [("κ·randn", functools.partial(wi.normal, std=0.5))]
    r = wi.sweep(X, Y, [3, 8, 5, 1], inits, [0, 2**70 + 3], 60, 1.0, **kw, dtype=dtype, alpha=0.2)
    assert r.diverged.any() and not r.diverged.all()
    r.save(tmp_path / "r.npz")
    back = wi.SweepResult.load(tmp_path / "r.npz")
    assert_same_result(r, back)
    assert back.table() == r.table()
    net, alone = back.network("xavier_uniform", 1), r.network(1, 1)
    np.testing.assert_array_equal(net.predict_proba(X), alone.predict_proba(X))
    assert net.alpha == 0.2 and net.dtype == dtype


def with_meta(path, **changes):
    """A copy of the saved sweep at path (changed.npz beside it) whose meta has these fields changed."""
    import json

    with np.load(path) as f:
        parts = dict(f)
    meta = json.loads(str(parts["meta"]))
    meta.update(changes)
    parts["meta"] = np.array(json.dumps(meta))
    changed = path.parent / "changed.npz"
    np.savez(changed, **parts)
    return changed


def test_a_mini_batch_sweep_saves_as_version_2_which_full_batch_ones_do_not_need(tmp_path):
    """A full-batch result keeps format version 1 (what weightinit before batch_size= reads); one of
    mini-batches is version 2 with its batch size, which that version refuses rather than reading it
    as full-batch descent."""
    import json

    X, Y, _, _ = flower()
    metas = {}
    for batch in (None, 32):
        r = wi.sweep(X, Y, [2, 3, 1], ["he_normal", "zeros"], 2, 12, 1.2, batch_size=batch)
        r.save(tmp_path / "r.npz")
        back = wi.SweepResult.load(tmp_path / "r.npz")
        assert_same_result(r, back)
        np.testing.assert_array_equal(back.network(0, 1).predict_proba(X), r.network(0, 1).predict_proba(X))
        with np.load(tmp_path / "r.npz") as f:
            metas[batch] = json.loads(str(f["meta"]))
    assert metas[None]["version"] == 1 and "batch_size" not in metas[None]
    assert metas[32]["version"] == 2 and metas[32]["batch_size"] == 32
    r.save(tmp_path / "r.npz")
    for value in (None, 0, 2.5, True):
        with pytest.raises(ValueError, match="is not a weightinit sweep result.*batch_size"):
            wi.SweepResult.load(with_meta(tmp_path / "r.npz", batch_size=value))
    for version in (2.0, 1.0):  # the format's versions are ints
        with pytest.raises(ValueError, match="is not a weightinit sweep result.*version"):
            wi.SweepResult.load(with_meta(tmp_path / "r.npz", version=version))
    # A result built by hand: save writes only a batch size a sweep could have had.
    for value, error in ((0, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="batch_size"):
            dataclasses.replace(r, batch_size=value).save(tmp_path / "bad.npz")
        assert not (tmp_path / "bad.npz").exists()


def test_save_takes_open_files_and_adds_npz_to_a_bare_path_as_numpy(tmp_path):
    import io

    X, Y, _, _ = flower()
    X_test, Y_test = datasets.planar_flower(2)
    r = wi.sweep(X, Y, [2, 3, 1], ["he_normal", "zeros"], 2, 20, 1.2, X_test=X_test, Y_test=Y_test)
    buf = io.BytesIO()
    r.save(buf)
    buf.seek(0)
    assert_same_result(r, wi.SweepResult.load(buf))
    r.save(str(tmp_path / "bare"))
    assert_same_result(r, wi.SweepResult.load(str(tmp_path / "bare.npz")))
    # A file opened in text mode: said so, where load read the archive's bytes as UTF-8 and
    # called it "not a weightinit sweep result", and save failed inside NumPy's writer.
    with open(tmp_path / "bare.npz") as text, pytest.raises(TypeError, match=r"file .* binary .*'rb'"):
        wi.SweepResult.load(text)
    with open(tmp_path / "text.npz", "w") as text, pytest.raises(TypeError, match=r"file .* binary .*'wb'"):
        r.save(text)
    assert os.path.getsize(tmp_path / "text.npz") == 0
    import tempfile

    for text in (tempfile.NamedTemporaryFile("w+", dir=tmp_path), tempfile.SpooledTemporaryFile(mode="w+")):
        with text, pytest.raises(TypeError, match=r"file .* binary .*'wb'"):
            r.save(text)
    # (SpooledTemporaryFile in binary mode is not taken: NumPy's zip writer needs seekable(),
    # which it has only from Python 3.11.)
    for binary in (tempfile.NamedTemporaryFile("w+b", dir=tmp_path),):
        with binary:
            r.save(binary)
            binary.seek(0)
            assert_same_result(r, wi.SweepResult.load(binary))


def test_load_from_a_pipe_says_to_read_it_into_memory(tmp_path):
    """A zip archive is read out of order: from a pipe NumPy raises io.UnsupportedOperation,
    a ValueError, which load reported as "not a weightinit sweep result" of a valid file
    (helper-176)."""
    X, Y, _, _ = flower()
    r = wi.sweep(X, Y, [2, 3, 1], ["he_normal"], 1, 5, 1.2)
    r.save(tmp_path / "r.npz")
    read_end, write_end = os.pipe()
    with open(tmp_path / "r.npz", "rb") as f:
        data = f.read()
    writer = threading.Thread(target=lambda: (os.write(write_end, data), os.close(write_end)))
    writer.start()
    try:
        with open(read_end, "rb") as pipe, pytest.raises(ValueError, match=r"cannot be read as an \.npz archive: .*"
                                                                            r"io\.BytesIO\(stream\.read\(\)\)"):
            wi.SweepResult.load(pipe)
    finally:
        writer.join()


def test_load_refuses_files_that_are_not_a_saved_sweep(tmp_path):
    X, Y, _, _ = flower()
    r = wi.sweep(X, Y, [2, 3, 1], ["he_normal"], 2, 10, 1.2)
    np.savez(tmp_path / "other.npz", costs=r.costs)
    np.save(tmp_path / "array.npy", r.costs)
    (tmp_path / "text.npz").write_text("not an archive")
    for name in ("other.npz", "array.npy", "text.npz"):
        with pytest.raises(ValueError, match=r"is not a weightinit sweep result .*SweepResult\.save"):
            wi.SweepResult.load(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        wi.SweepResult.load(tmp_path / "missing.npz")

    # A saved sweep whose arrays were changed so that they no longer fit together.
    r.save(tmp_path / "r.npz")
    with np.load(tmp_path / "r.npz") as f:
        parts = dict(f)
    for key, bad in (("costs", parts["costs"][:, :1]), ("diverged", parts["diverged"].astype(np.int8)),
                     ("W1", parts["W1"][..., :1]), ("meta", np.array("{")), ("b2", None),
                     ("W2", parts["W2"].astype(np.float32))):
        changed = {k: v for k, v in parts.items() if k != key}
        if bad is not None:
            changed[key] = bad
        if key == "W2":  # and b2: a second layer of another dtype than the first was taken (helper-180)
            changed["b2"] = parts["b2"].astype(np.float32)
        np.savez(tmp_path / "changed.npz", **changed)
        with pytest.raises(ValueError, match="is not a weightinit sweep result"):
            wi.SweepResult.load(tmp_path / "changed.npz")


@pytest.mark.parametrize("offset, byte", [(6, 0xFF), (8, 0x40)])
def test_load_refuses_an_archive_whose_zip_header_was_damaged(offset, byte):
    """A central-directory entry that asks for zip version 25.5 (byte 6) or for strong
    encryption (flag bit 6, byte 8): zipfile's NotImplementedError came out of load, not
    its ValueError (helper-191, bytes of a saved sweep changed at random)."""
    X, Y, _, _ = flower()
    buf = io.BytesIO()
    wi.sweep(X, Y, [2, 3, 1], ["zeros"], 1, 2).save(buf)
    data = bytearray(buf.getvalue())
    entry = data.find(b"PK\x01\x02")
    data[entry + offset] |= byte
    with pytest.raises(ValueError, match="is not a weightinit sweep result .*(zip file version|encryption)"):
        wi.SweepResult.load(io.BytesIO(bytes(data)))


def test_a_saved_sweep_holds_no_pickle(tmp_path):
    X, Y, _, _ = flower()
    r = wi.sweep(X, Y, [2, 3, 1], ["he_normal"], 2, 10, 1.2)
    r.save(tmp_path / "r.npz")
    with np.load(tmp_path / "r.npz", allow_pickle=False) as f:  # would raise on an object array
        assert all(f[k].dtype != object for k in f.files)


@pytest.mark.parametrize("field, value", [
    ("activations", ["tanh", "softmax_x"]), ("activations", ["tanh"]), ("loss", "mse"), ("layer_sizes", [2, 0, 1]),
    ("seeds", [0, -1]), ("seeds", [0, 1.5]), ("record_every", 0), ("iterations", True), ("learning_rate", -1.0),
    ("alpha", float("nan")), ("inits", "he_normal"), ("inits", [1]), ("format", "other"), ("version", 2),
    ("inits", []), ("seeds", []), ("iterations", 20),  # 20 iterations: 10 recorded costs are too few
    ("version", 3), ("version", 0),
    ("batch_size", 4), ("batch_size", None),  # version 1 is full-batch: no batch_size, not even null
])
def test_load_refuses_a_meta_that_no_sweep_writes(tmp_path, field, value):
    X, Y, _, _ = flower()
    wi.sweep(X, Y, [2, 3, 1], ["he_normal"], 2, 10, 1.2).save(tmp_path / "r.npz")
    with pytest.raises(ValueError, match="is not a weightinit sweep result") as info:
        wi.SweepResult.load(with_meta(tmp_path / "r.npz", **{field: value}))
    assert str(info.value).count("is not a weightinit sweep result") == 1  # said once, not nested
    if field == "version" and value == 3:
        assert "version 3 of the format; this weightinit reads versions 1 and 2" in str(info.value)


def test_load_reads_no_array_its_meta_does_not_ask_for(tmp_path):
    """Headers are checked before data: a member claiming 10^9 costs (a few bytes on disk), a
    compressed member (a 1 MB file inflated to 1 GiB of zeros), a member that is no .npy and a
    meta nested 10^5 deep are refused, each without reading more than the file holds."""
    import io
    import json
    import zipfile

    X, Y, _, _ = flower()
    wi.sweep(X, Y, [2, 3, 1], ["he_normal"], 2, 10, 1.2).save(tmp_path / "r.npz")
    with np.load(tmp_path / "r.npz") as f:
        parts = dict(f)

    def archive(path, members):
        with zipfile.ZipFile(path, "w") as z:
            for key, data in members.items():
                z.writestr(key, data)

    def npy(a):
        buf = io.BytesIO()
        np.save(buf, a)
        return buf.getvalue()

    members = {f"{k}.npy": npy(v) for k, v in parts.items()}
    huge = io.BytesIO()
    np.lib.format.write_array_header_1_0(huge, {"descr": "<f8", "fortran_order": False, "shape": (1, 2, 10**9)})
    cases = {
        "claims": {**members, "costs.npy": huge.getvalue()},
        "not_npy": {**members, "costs.npy": b"plain bytes"},
        "extra": {**members, "notes.txt": b"hello"},
        "nested": {**members, "meta.npy": npy(np.array("[" * 100_000 + "]" * 100_000))},
    }
    for case, content in cases.items():
        archive(tmp_path / f"{case}.npz", content)
    np.savez_compressed(tmp_path / "compressed.npz", **parts)
    reasons = {"claims": r"costs is float64 of shape \(1, 2, 1000000000\); its fields ask for float64 of shape "
                         r"\(1, 2, 10\)", "not_npy": "costs cannot be read", "extra": "'notes.txt', which is no array",
               "nested": "its meta is no JSON", "compressed": "compressed or encrypted"}
    for case, reason in reasons.items():
        with pytest.raises(ValueError, match=f"is not a weightinit sweep result .*: .*{reason}"):
            wi.SweepResult.load(tmp_path / f"{case}.npz")
    meta = json.loads(str(parts["meta"]))
    assert meta["version"] == 1 and meta["format"] == "weightinit.SweepResult"


def test_load_names_a_file_object_plainly(tmp_path):
    import io

    with pytest.raises(ValueError, match=r"^this BytesIO is not a weightinit sweep result"):
        wi.SweepResult.load(io.BytesIO(b"not an archive at all"))


def test_load_refuses_a_header_that_claims_more_than_its_file_holds(tmp_path):
    """A meta and a header that agree on 60000 x 60000 weights in a 1 MB file: NumPy would ask
    for 27 GB before reading the 64 bytes there are."""
    import io
    import json
    import zipfile

    X, Y, _, _ = flower()
    wi.sweep(X, Y, [2, 3, 1], ["he_normal"], 1, 10, 1.2).save(tmp_path / "r.npz")
    with np.load(tmp_path / "r.npz") as f:
        parts = dict(f)
    meta = json.loads(str(parts["meta"]))
    meta["layer_sizes"] = [60000, 60000, 1]
    parts.update(meta=np.array(json.dumps(meta)), W1=None, b1=np.zeros((1, 1, 60000, 1)), W2=np.zeros((1, 1, 1, 60000)))
    with zipfile.ZipFile(tmp_path / "claims.npz", "w") as z:
        for key, value in parts.items():
            buf = io.BytesIO()
            if value is None:  # a header for 60000 x 60000 doubles, then 64 bytes
                np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False,
                                                           "shape": (1, 1, 60000, 60000)})
                buf.write(bytes(64))
            else:
                np.save(buf, value)
            z.writestr(f"{key}.npy", buf.getvalue())
    with pytest.raises(ValueError, match=r"is not a weightinit sweep result .*W1's header claims 28.8 GB"):
        wi.SweepResult.load(tmp_path / "claims.npz")


def test_an_address_space_limit_is_a_limit_too(monkeypatch):
    """Under ``ulimit -v`` the checks quoted the machine's memory (24.7 GB where 10 GB was
    allowed): what the limit leaves beyond the process's present address space counts too."""
    import resource

    from weightinit import _args

    def used():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")

    limit = used() + 2**28  # 256 MB more than the process has now
    monkeypatch.setattr(resource, "getrlimit", lambda which: (limit, resource.RLIM_INFINITY)
                        if which == resource.RLIMIT_AS else (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    left = _args.address_space_left()
    assert 2**28 - 2**26 < left <= 2**28  # the process may grow a little between the two reads
    assert _args.beyond_memory(2**27) is None
    assert _args.beyond_memory(2**29) == left  # the lowest of the limits
    with pytest.raises(MemoryError, match=r"layer_sizes \[1, 20000, 1000\].*more than the .* this process may use"):
        wi.MLP([1, 20000, 1000])  # 160 MB of weights, kept and drawn and with their gradients
    monkeypatch.setattr(resource, "getrlimit", lambda which: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert _args.address_space_left() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads thread ids as Linux allocates them")
def test_a_loop_that_finds_the_pool_busy_does_not_start_a_thread_per_task():
    """A loop that finds the pool busy starts threads of its own for the call. It started
    one per task, up to the thread count: with ``set_num_threads(65536)`` (allowed), a
    ``sparse((3, 80000))`` called from a sweep's progress callback started 10 000 threads
    (a few dozen alive at a time), 0.3 s or more for a 10 ms call; ``(3, 16000)`` 2000. Like the pool, a loop now
    runs on at most 256 threads, the caller's included; the result does not depend on it.
    Linux hands out thread ids in turn, so the ids of two threads started just before and
    just after the call bound how many were started in between (by any process of this
    PID namespace: the slack is for them, so the bound is looser than the cap; past
    ``pid_max`` they start again from 300)."""
    import threading

    def next_id():
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()
        return t.native_id

    X, Y, _, _ = flower()
    wi.set_num_threads(1)
    alone = wi.sparse((3, 16_000), sparsity=0.5, rng=4)
    wi.set_num_threads(65536)
    inner = []

    def outer_progress(runs_done, runs_total):
        if not inner:
            first = next_id()
            got = wi.sparse((3, 16_000), sparsity=0.5, rng=4)  # 2000 tasks
            inner.append((next_id() - first, got))

    wi.sweep(X, Y, [2, 4, 1], ["he"], 2, 3000, 0.1, progress=outer_progress)
    started, got = inner[0]
    np.testing.assert_array_equal(got, alone)
    if started < 0:
        with open("/proc/sys/kernel/pid_max") as f:
            started += int(f.read()) - 300
    assert started <= 256 + 700



def test_a_sweep_whose_record_every_does_not_divide_iterations_saves_and_loads(tmp_path):
    """Costs before steps 0, 3, 6 and 9 of 10: ceil(10 / 3) = 4 records, which load checks
    the file's fields against (helper-97: a floor there passed every test, and made a saved
    `compare --iterations 2001` unloadable)."""
    X, Y, _, _ = flower()
    r = wi.sweep(X, Y, [2, 3, 1], ["xavier_uniform"], seeds=2, iterations=10, learning_rate=1.2, record_every=3)
    assert r.costs.shape == (1, 2, 4) and r.steps.tolist() == [0, 3, 6, 9]
    r.save(tmp_path / "r.npz")
    assert_same_result(r, wi.SweepResult.load(tmp_path / "r.npz"))


def memory_charged(monkeypatch, *calls):
    """What sweep's _check_memory asks _args.over_memory for, one need per call of it with each
    argument tuple of calls."""
    from weightinit import _args
    sweep_module = importlib.import_module("weightinit.sweep")
    charged = []
    monkeypatch.setattr(_args, "over_memory", lambda need, **kw: charged.append(need) or None)
    for args in calls:
        sweep_module._check_memory(*args)
    return charged


def test_the_memory_estimate_counts_only_the_workers_that_run(monkeypatch):
    """At most max_loop_threads (256) runs train at once: with set_num_threads(65536) allowed,
    the estimate charged 65536 workers' buffers and refused sweeps that fit (helper-98)."""
    args = ((2, 300, 1), 8, 10, 100, 1, 2000, 0)
    charged = memory_charged(monkeypatch, *[(*args, threads, False) for threads in (256, 65536, 2)])
    assert wi._core.max_loop_threads == 256 and charged[0] == charged[1]
    assert charged[2] < charged[0]  # fewer threads, fewer workers charged


def test_the_memory_estimate_charges_a_worker_its_batch_and_the_scoring_of_every_example(monkeypatch):
    """A worker trains on batch_size examples a step (and a copy of the batch), then scores the
    trained parameters on all m (final cost, accuracy): with batches that pass is the most it
    writes (helper-193: charging the batch alone said 16.5 MiB where 175 MiB were written)."""
    from weightinit import mlp
    sizes, m = (8, 512, 512, 3), 20000
    charged = memory_charged(monkeypatch, *[(sizes, 8, 1, 1, 10, m, 0, 1, False, batch) for batch in (0, 64)])
    assert mlp.engine_values(sizes, m, "forward") > mlp.engine_values(sizes, 64, "train")
    # ... and the batch's copy (n_0 + n_L values an example), which the worker still holds then
    # (helper-194: it was charged to the training side alone).
    assert charged[0] - charged[1] == 8 * (mlp.engine_values(sizes, m, "train") - mlp.engine_values(sizes, m, "forward")
                                           - (8 + 3) * 64)


def test_the_memory_estimate_charges_a_large_batch_its_step_and_its_copy(monkeypatch):
    """Where a mini-batch step writes more than the scoring pass (batches of half the examples
    here), the worker is charged that step on batch examples plus the batch's copy of X and Y
    (n_0 + n_L values an example), as MLP.fit makes (helper-194: the copy's term dropped passed)."""
    from weightinit import mlp
    sizes, m, batch = (8, 512, 512, 3), 1000, 500
    charged = memory_charged(monkeypatch, *[(sizes, 8, 1, 1, 10, m, 0, 1, False, b) for b in (0, batch)])
    step = mlp.engine_values(sizes, batch, "train")
    assert step > mlp.engine_values(sizes, m, "forward")  # the step is the more of the two
    assert charged[1] - charged[0] == 8 * (step + (8 + 3) * batch - mlp.engine_values(sizes, m, "train"))


def test_results_compare_equal_by_value_through_pickle_and_save():
    """r == r2 raised "truth value of an array is ambiguous" (the dataclass's comparison)."""
    import io
    import pickle

    X, Y = datasets.planar_flower(1, 40)
    big = ("big", functools.partial(wi.normal, std=100.0))
    kw = dict(iterations=30, learning_rate=50.0, activations=["relu", "identity"], loss="mse")
    r = wi.sweep(X, Y, [2, 3, 1], ["zeros", big], seeds=[0, 1], **kw)
    assert r.diverged.any() and np.isnan(r.costs).any()  # nan costs compare equal to themselves
    assert r == pickle.loads(pickle.dumps(r))
    f = io.BytesIO()
    r.save(f)
    f.seek(0)
    assert r == wi.SweepResult.load(f)
    other = wi.sweep(X, Y, [2, 3, 1], ["zeros", big], seeds=[0, 2], **kw)
    assert r != other and r != "a result"
    with pytest.raises(TypeError, match="unhashable"):
        hash(r)
    listed = copy.deepcopy(r)
    listed.parameters = [list(p) for p in listed.parameters]  # lists or tuples: the same arrays
    assert listed == r
    listed.parameters[0][1][0, 0, 0] = -0.0  # zeros' bias: 0.0 == -0.0, but not the same bits
    assert r.parameters[0][1][0, 0, 0] == 0.0 and listed != r


def test_a_run_is_found_by_its_seed_index_or_by_the_seed_itself():
    """network(init, 1) is the second seed's run; with seeds=[1, 2, 3] that is seed 2, which
    helper-100 took for seed 1: seed= names the seed itself."""
    X, Y = datasets.planar_flower(1, 40)
    r = wi.sweep(X, Y, [2, 3, 1], ["he_normal"], seeds=[1, 2, 3, 2], iterations=5, learning_rate=1.2)
    alone = wi.MLP([2, 3, 1], init="he_normal", rng=1)
    alone.fit(X, Y, iterations=5, learning_rate=1.2)
    np.testing.assert_array_equal(r.network(0, seed=1).predict_proba(X), alone.predict_proba(X))
    np.testing.assert_array_equal(r.network(0, 0).predict_proba(X), alone.predict_proba(X))
    assert not np.array_equal(r.network(0, 1).predict_proba(X), alone.predict_proba(X))
    with pytest.raises(ValueError, match=r"seed=2 is several of this sweep's seeds: pass its index s"):
        r.network(0, seed=2)
    with pytest.raises(ValueError, match=r"seed=7 is not one of this sweep's seeds, \[1, 2, 3, 2\]"):
        r.network(0, seed=7)
    with pytest.raises(TypeError, match="not both"):
        r.network(0, 1, seed=1)
    with pytest.raises(TypeError, match="not both"):
        r.network(0)
    with pytest.raises(ValueError, match=r"s=4 is out of range: it is an index into this sweep's 4 seeds"):
        r.network(0, 4)


def test_inits_and_seeds_are_taken_in_order_from_any_iterable_but_a_set():
    """A set of inits was taken in its hash order, another in every process; seeds from a
    generator were refused where inits from one were taken."""
    X, Y = datasets.planar_flower(1, 40)
    a = wi.sweep(X, Y, [2, 3, 1], ["zeros", "he_normal"], [3, 1], 3, 1.0)
    b = wi.sweep(X, Y, [2, 3, 1], (n for n in ["zeros", "he_normal"]), (s for s in [3, 1]), 3, 1.0)
    assert a == b and b.seeds == [3, 1]
    with pytest.raises(TypeError, match=r"inits must be ordered, got a set .*sorted\(inits\)"):
        wi.sweep(X, Y, [2, 3, 1], {"zeros", "he_normal"}, 2, 3, 1.0)
    with pytest.raises(TypeError, match=r"seeds must be ordered, got a set"):
        wi.sweep(X, Y, [2, 3, 1], ["zeros"], {1, 2}, 3, 1.0)


def test_labels_are_plain_strings_whatever_string_type_named_them():
    X, Y = datasets.planar_flower(1, 40)
    r = wi.sweep(X, Y, [2, 3, 1], np.array(["zeros", "he_normal"]), 1, 2, 1.0)
    s = wi.sweep(X, Y, [2, 3, 1], [(np.str_("a"), "zeros")], 1, 2, 1.0)
    assert [type(x) for x in r.inits + s.inits] == [str] * 3 and repr(r.inits) == "['zeros', 'he_normal']"


def test_seeds_that_were_misread_or_failed_unclearly():
    """helper-149: a 0-d array failed on "iteration over a 0-d array", range(2**64) on a bare
    OverflowError, and a dict's keys were taken silently."""
    X, Y, _, _ = flower()
    r = wi.sweep(X, Y, [2, 3, 1], ["he"], np.array(2), 3, 1.0)
    assert r.seeds == [0, 1]
    with pytest.raises(ValueError, match=r"seeds holds more than 2\*\*63 - 1 values"):
        wi.sweep(X, Y, [2, 3, 1], ["he"], range(2**64), 3, 1.0)
    with pytest.raises(TypeError, match="seeds must be a sequence of ints \\(or a count\\), got a dict"):
        wi.sweep(X, Y, [2, 3, 1], ["he"], {1: 2}, 3, 1.0)

    class ZeroD:  # a 0-d int tensor of torch or jax, as they behave (helper-180: torch.tensor(2) failed so)
        ndim = 0

        def __index__(self):
            return 2

        def __iter__(self):
            raise TypeError("iteration over a 0-d tensor")

    assert wi.sweep(X, Y, [2, 3, 1], ["he"], ZeroD(), 3, 1.0).seeds == [0, 1]
    with pytest.raises(TypeError, match=r"^inits' labels \(a dict's keys\) must be str, got 1 \(int\)"):
        wi.sweep(X, Y, [2, 3, 1], {1: "zeros"}, 1, 3, 1.0)  # was "inits[1] must be ..., got (1, 'zeros')"
