"""weightinit.MLP against the pure-NumPy reference, finite differences, and the articles' learning claims."""

import copy
import functools
import gc
import io
import math
import os
import shutil
import signal
import warnings
import pickle
import re
import subprocess
import sys
import time
import weakref

import numpy as np
import pytest
import weightinit as wi
from hypothesis import given
from hypothesis import strategies as st
from weightinit import datasets
from weightinit import mlp as weightinit_mlp
from weightinit import prototype as wp
from weightinit._coreload import core
from weightinit.reference import mlp as ref
from weightinit.reference import random as ref_random
from conftest import need_torch

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
LOSSES = {"binary_cross_entropy": "sigmoid", "softmax_cross_entropy": "softmax", "mse": "identity"}


def make_problem(sizes, hidden, loss, m, seed, dtype=np.float64, alpha=0.1):
    """A network with random parameters (std 1/sqrt(fan_in)) and data for it."""
    gen = np.random.default_rng(seed)
    acts = [*hidden, LOSSES[loss]]
    net = wi.MLP(sizes, activations=acts, loss=loss, init="zeros", dtype=dtype, alpha=alpha)
    params = {}
    for l in range(len(sizes) - 1):
        params[f"W{l + 1}"] = gen.normal(size=(sizes[l + 1], sizes[l])) / math.sqrt(sizes[l])
        params[f"b{l + 1}"] = gen.normal(size=(sizes[l + 1], 1)) * 0.5
    net.parameters = params
    X = gen.normal(size=(sizes[0], m))
    n_out = sizes[-1]
    if loss == "binary_cross_entropy":
        Y = (gen.random((n_out, m)) < 0.5).astype(np.float64)
    elif loss == "softmax_cross_entropy":
        Y = np.eye(n_out)[:, gen.integers(0, n_out, m)]
    else:
        Y = gen.normal(size=(n_out, m))
    return net, acts, net.parameters, X, Y


def assert_close(actual, expected, rtol):
    """Agreement relative to the array's scale (element-wise relative error is meaningless for
    entries that are sums which cancel)."""
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    err = float(np.max(np.abs(np.asarray(actual, np.float64) - expected))) / scale
    assert err <= rtol, f"relative error {err:.3g} > {rtol:g}"


def ulps_from(got, exact):
    """|got - exact| in units of the float64 spacing at the exact value (exact in long double)."""
    spacing = np.spacing(np.abs(exact.astype(np.float64))).astype(np.longdouble)
    return np.abs((got.astype(np.longdouble) - exact) / spacing).astype(np.float64)


@pytest.mark.skipif(np.finfo(np.longdouble).nmant <= 52, reason="needs a long double wider than float64")
def test_tanh_and_sigmoid_are_within_a_few_ulp():
    """The engine's own tanh and sigmoid (vecmath.hpp, mlp.cpp), through the layer kernels:
    within 4 ulp of long double references over magnitudes 1e-12 .. 700, both signs, and zero.
    (The tests against the NumPy reference allow 1e-12 relative, thousands of ulp.)"""
    gen = np.random.default_rng(11)
    mag = 10.0 ** gen.uniform(-12, 2.85, 300_000)
    z = np.concatenate([mag * gen.choice([-1.0, 1.0], mag.size), np.linspace(-30, 30, 60_001), [0.0]])
    one = {"W1": np.ones((1, 1)), "b1": np.zeros((1, 1)), "W2": np.ones((1, 1)), "b2": np.zeros((1, 1))}
    _, cache = wp.forward_propagation(z[None, :], one)  # Z1 = 1 * z + 0 = z exactly
    a1 = cache["A1"][0]
    assert ulps_from(a1, np.tanh(z.astype(np.longdouble))).max() <= 4
    assert np.array_equal(np.signbit(a1), np.signbit(z) & (z != 0))  # odd; Z1 = -0 + 0 is +0
    net = wi.MLP([1, 1], activations=["sigmoid"], loss="binary_cross_entropy", init="ones")
    net.parameters = {"W1": np.ones((1, 1)), "b1": np.zeros((1, 1))}
    exact = 1 / (1 + np.exp(-z.astype(np.longdouble)))
    got = net.predict_proba(z[None, :])[0]
    assert ulps_from(got, exact).max() <= 4
    # Where the value rounds to 1, it is 1 (d / (d + s) as d times 1 / (d + s) gave 1 - 2^-53
    # for ~13% of z in [37.5, 1000]; NumPy's 1 / (1 + exp(-z)) gives 1.0 there).
    ones = exact > 1 - np.longdouble(2.0) ** -54
    assert ones.sum() > 10_000 and (got[ones] == 1.0).all()


@pytest.mark.parametrize("sizes, acts", [([1, 1], ["sigmoid"]), ([1, 1, 1], ["identity", "sigmoid"])])
def test_saturated_and_right_examples_give_no_gradient(sizes, acts):
    """A sigmoid output of 1 for a label of 1 leaves dZ = A - Y = 0 exactly, as in NumPy: in the
    layer kernels (gradients(), and fit of [1, 1]) and in the fused step that fit takes for
    [n, h, 1] networks ([1, 1, 1]; vec8.hpp's sigmoid), where a step leaves the network as it is."""
    z = np.linspace(37.5, 1000.0, 4001)[None, :]
    net = wi.MLP(sizes, activations=acts, init="ones")
    start = {k: np.ones_like(v) if k.startswith("W") else np.zeros_like(v) for k, v in net.parameters.items()}
    net.parameters = start
    grads = net.gradients(z, np.ones_like(z))
    assert all(not g.any() for g in grads.values()), {k: float(np.abs(g).max()) for k, g in grads.items()}
    assert net.cost(z, np.ones_like(z)) < 1e-16
    assert net._net.fused == (len(sizes) == 3)
    net.fit(z, np.ones_like(z), iterations=3, learning_rate=1.0)
    moved = {k: float(np.abs(v - start[k]).max()) for k, v in net.parameters.items()}
    assert not any(moved.values()), moved


problems = st.fixed_dictionaries(
    {
        "widths": st.lists(st.integers(1, 24), min_size=2, max_size=5),
        "hidden_pool": st.lists(st.sampled_from(HIDDEN), min_size=3, max_size=3),
        "loss": st.sampled_from(sorted(LOSSES)),
        "m": st.integers(1, 70),
        "seed": st.integers(0, 2**32 - 1),
    }
)


def _build(p, dtype):
    sizes = p["widths"]
    if p["loss"] == "softmax_cross_entropy" and sizes[-1] < 2:
        sizes = sizes[:-1] + [2]
    hidden = [p["hidden_pool"][i % 3] for i in range(len(sizes) - 2)]
    return make_problem(sizes, hidden, p["loss"], p["m"], p["seed"], dtype)


@given(problems)
def test_forward_cost_and_gradients_match_the_reference_float64(p):
    net, acts, params, X, Y = _build(p, np.float64)
    Z, A = net.forward(X)
    rZ, rA = ref.forward(params, X, acts, net.alpha)
    for ours, theirs in zip(Z + A, rZ + rA):
        assert ours.shape == theirs.shape and ours.dtype == np.float64
        assert_close(ours, theirs, 1e-12)
    assert_close(net.predict_proba(X), rA[-1], 1e-12)
    assert net.cost(X, Y) == pytest.approx(ref.cost(params, X, Y, acts, net.loss, net.alpha), rel=1e-12)
    grads = net.gradients(X, Y)
    expected = ref.gradients(params, X, Y, acts, net.loss, net.alpha)
    assert grads.keys() == expected.keys()
    for k in grads:
        assert grads[k].shape == expected[k].shape
        assert_close(grads[k], expected[k], 1e-12)


@given(problems)
def test_float32_matches_the_float64_reference(p):
    net, acts, params, X, Y = _build(p, np.float32)
    params32 = {k: v.astype(np.float32).astype(np.float64) for k, v in params.items()}
    X32 = X.astype(np.float32).astype(np.float64)
    _, A = net.forward(X)
    _, rA = ref.forward(params32, X32, acts, net.alpha)
    assert A[-1].dtype == np.float32
    # float32 rounding (2^-24 ~ 6e-8) compounded over a few layers and sums of <= 70 terms.
    assert_close(A[-1], rA[-1], 2e-5)
    grads = net.gradients(X, Y)
    expected = ref.gradients(params32, X32, Y, acts, net.loss, net.alpha)
    for k in grads:
        assert grads[k].dtype == np.float32
        assert_close(grads[k], expected[k], 2e-4)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_gradients_match_central_differences(hidden, loss):
    net, _, params, X, Y = make_problem([3, 5, 4, 3], [hidden, "tanh"], loss, 7, seed=11)
    grads = net.gradients(X, Y)
    h = 1e-6
    for key, value in params.items():
        fd = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            for sign in (1, -1):
                shifted = {k: v.copy() for k, v in params.items()}
                shifted[key][idx] += sign * h
                net.parameters = shifted
                fd[idx] += sign * net.cost(X, Y) / (2 * h)
        assert_close(grads["d" + key], fd, 1e-6)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-4)])
@pytest.mark.parametrize("sizes, m, seed", [
    ([40, 30, 30, 3], 4500, 8),  # the wide layers' GEMMs in 3 chunks of examples whose dW are summed
    ([300, 200, 150, 10], 600, 9),  # one chunk: the GEMMs (forward, W^T dZ, dW) in blocks of their output
    ([784, 100, 10], 256, 10),  # one chunk: blocks of examples (forward) and of dW's columns
    ([1000, 1000, 1000, 3], 40, 11),  # one chunk, 40 examples: forward and W^T dZ in blocks of rows
])
def test_gradients_of_gemm_layers_against_the_reference(sizes, m, seed, dtype, rtol):
    hidden = ["relu", "tanh"][: len(sizes) - 2]
    net, acts, params, X, Y = make_problem(sizes, hidden, "softmax_cross_entropy", m, seed=seed, dtype=dtype)
    grads = net.gradients(X, Y)
    proba = net.predict_proba(X)
    if dtype == np.float32:
        params = {k: v.astype(np.float32).astype(np.float64) for k, v in params.items()}
        X = X.astype(np.float32).astype(np.float64)
    expected = ref.gradients(params, X, Y, acts, net.loss, net.alpha)
    for k in grads:
        assert_close(grads[k], expected[k], rtol)
    np.testing.assert_allclose(proba, ref.forward(params, X, acts, net.alpha)[1][-1], rtol=rtol * 10)


def assert_trains_as_the_reference(net, acts, params, X, Y, iterations, batch_size=None, rng=None):
    """fit from params, learning rate 0.5: every cost within 1e-11 of the reference's, the
    trained parameters within 1e-10 (mini-batches: the reference shuffles under the key
    that rng gives)."""
    costs = net.fit(X, Y, iterations=iterations, learning_rate=0.5, batch_size=batch_size, rng=rng)
    key = None if rng is None else [int(w) for w in wi.random.key_from_rng(rng)]
    final, expected = ref.train(params, X, Y, acts, net.loss, iterations, 0.5, alpha=net.alpha,
                                batch_size=batch_size, key=key)
    np.testing.assert_allclose(costs, expected, rtol=1e-11)
    for k, v in net.parameters.items():
        assert_close(v, final[k], 1e-10)


@pytest.mark.parametrize("sizes", [[2, 4, 1], [30, 20, 3], [5, 40, 40, 2]])
def test_training_matches_the_reference(sizes):
    loss = "binary_cross_entropy" if sizes[-1] == 1 else "softmax_cross_entropy"
    net, acts, params, X, Y = make_problem(sizes, ["tanh"] * (len(sizes) - 2), loss, 300, seed=5)
    assert_trains_as_the_reference(net, acts, params, X, Y, 200)


@pytest.mark.parametrize("sizes, hidden, loss, bs", [([2, 4, 1], ["tanh"], "binary_cross_entropy", 64),
                                                ([5, 40, 40, 3], ["relu", "tanh"], "softmax_cross_entropy", 97),
                                                ([3, 12, 2], ["leaky_relu"], "mse", 7)])
def test_minibatch_training_matches_the_reference(sizes, hidden, loss, bs):
    """Mini-batch SGD against the reference's, whose order comes from the stream spec alone
    (reference.random.shuffle on NumPy's Philox): 300 examples in batches of 64 (four and a
    last of 44 an epoch), of 97 (three and 9) and of 7 (42 and 6), over two epochs and into a third."""
    net, acts, params, X, Y = make_problem(sizes, hidden, loss, 300, seed=8)
    assert_trains_as_the_reference(net, acts, params, X, Y, 2 * math.ceil(300 / bs) + 3, batch_size=bs, rng=21)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_layer_of_more_weights_than_an_update_block_trains_as_the_reference(threads, restore_threads):
    """W1 of [400, 170, 10] holds 68 000 weights: the update descends it in blocks of 2^14
    (the last 2 464 long), on two threads when given; every weight must move by its own
    gradient."""
    wi.set_num_threads(threads)
    net, acts, params, X, Y = make_problem([400, 170, 10], ["relu"], "softmax_cross_entropy", 300, seed=10)
    assert_trains_as_the_reference(net, acts, params, X, Y, 5)


# Fused networks with more than 256 hidden units: blocks of at most 8 floor(8192 / h) columns
# (h rows of A1 in 8192 vectors of eight), so h = 1000 cuts m = 300 into 56 x 5 + 20, h =
# 1500 into 40 x 7 + 20, [8, 2048, 1] 301 into 32 x 9 + 13; h = 40 and 300 cut it into 152 +
# 148, [8, 31, 1] 301 into 152 + 149: each last block ends in a partial chunk of eight.
WIDE_HIDDEN = [([2, 40, 1], 300), ([2, 300, 1], 300), ([2, 1000, 1], 300), ([1, 1500, 1], 300),
               ([8, 31, 1], 301), ([8, 2048, 1], 301)]


@pytest.mark.parametrize("hidden", HIDDEN)
def test_fused_training_matches_the_reference_for_every_hidden_activation(hidden):
    """[3, 5, 1] float64 with a sigmoid output trains through the fused step (not its tanh
    2-4-1 specialisation), whose activations and derivatives are its own vector code: fit
    against the reference, step by step (gradients() takes the layer-by-layer path)."""
    net, acts, params, X, Y = make_problem([3, 5, 1], [hidden], "binary_cross_entropy", 300, seed=5)
    assert_trains_as_the_reference(net, acts, params, X, Y, 50)


@pytest.mark.parametrize("hidden", ["tanh", "relu"])
@pytest.mark.parametrize("sizes, m", WIDE_HIDDEN)
def test_fused_training_with_many_hidden_units_matches_the_reference(sizes, m, hidden):
    """Up to 2048 hidden units the fused step cuts narrower blocks and lays A1 out by the
    block's chunk count: a wrong row stride, a lost chunk or a dW2 summed over the wrong
    rows breaks the agreement with the reference."""
    net, acts, params, X, Y = make_problem(sizes, [hidden], "binary_cross_entropy", m, seed=8)
    assert net._net.fused
    assert_trains_as_the_reference(net, acts, params, X, Y, 20)


@pytest.mark.parametrize(
    "sizes, m, hidden",
    [*(([3, 5, 1], 300, h) for h in HIDDEN), ([2, 100, 1], 300, "tanh"), ([1, 255, 1], 300, "sigmoid"),
     ([8, 31, 1], 301, "tanh"),  # the most inputs the fused step takes
     ([8, 300, 1], 301, "tanh"), ([2, 1500, 1], 300, "relu")],  # wide layers, fused too
)
def test_float32_fused_training_computes_in_double(sizes, m, hidden):
    """float32 networks [n_0 <= 8, h <= 2048, 1] train through the fused step too: it widens
    the float32 data and parameters and computes in double, so its first cost is the
    double-precision cost of the float32 values (the layers would round Z and A to float32),
    and the run follows the float64 reference up to the float32 rounding of each update."""
    net, acts, params, X, Y = make_problem(sizes, [hidden], "binary_cross_entropy", m, seed=5,
                                           dtype=np.float32)
    assert net._net.fused
    params32 = {k: v.astype(np.float32).astype(np.float64) for k, v in params.items()}
    X32 = X.astype(np.float32).astype(np.float64)
    costs = net.fit(X, Y, iterations=50, learning_rate=0.5)
    first = ref.cost(params32, X32, Y, acts, "binary_cross_entropy", net.alpha)
    assert costs[0] == pytest.approx(first, rel=1e-13)
    final, expected = ref.train(params32, X32, Y, acts, "binary_cross_entropy", 50, 0.5, alpha=net.alpha)
    np.testing.assert_allclose(costs, expected, rtol=1e-5)
    for k, v in net.parameters.items():
        assert v.dtype == np.float32
        assert_close(v, final[k], 1e-5)


def assert_same_training_on(thread_counts, net, params, X, Y, iterations):
    """Trains from params on each thread count: every cost and parameter must be the same bits."""
    out = []
    for n in thread_counts:
        wi.set_num_threads(n)
        net.parameters = params
        out.append((net.fit(X, Y, iterations=iterations, learning_rate=0.5), net.parameters))
    for costs, ps in out[1:]:
        np.testing.assert_array_equal(costs, out[0][0])
        for k in ps:
            np.testing.assert_array_equal(ps[k], out[0][1][k])


@pytest.mark.parametrize(
    "sizes, m",
    [
        ([2, 4, 1], 400),  # the article's: the fused step in two blocks of 200, one per thread
        ([2, 4, 1], 515),  # four fused blocks, the last shorter and ending in a partial chunk
        ([5, 7, 6, 3], 700),  # layer-by-layer narrow loops, three blocks per pass
        ([5, 7, 6, 3], 1797),  # eight blocks a pass in runs of 4 + 4, 2 + 3 + 3, 1 x 6 + 2
        ([2, 64, 1], 70000),  # the fused step in many blocks (274, of 256 columns)
        ([1, 255, 1], 3001),  # fused blocks of 256 columns, the last a partial chunk of 1
        ([2, 1000, 1], 3001),  # fused blocks of 64 columns, 1000 rows of A1 in each
        ([8, 2048, 1], 1001),  # the widest fused network: blocks of 32 columns
        ([3, 16, 1], 230001),  # the fused two-layer step with a partial last chunk
        ([300, 200, 120, 10], 5000),  # GEMM chunks of examples (3), threaded
        ([2, 64, 64, 1], 4000),  # a mid-size GEMM (16.4 M multiply-adds) in 2 chunks, threaded
        ([300, 200, 150, 10], 600),  # one chunk: GEMMs in blocks of their output, threaded
        ([784, 100, 10], 256),  # blocks of examples (forward) and of dW's columns, threaded
        ([784, 72, 10], 1000),  # blocks of examples, the last shorter
        ([1000, 1000, 1000, 3], 40),  # blocks of rows (forward, W^T dZ) and of dW's columns
        ([400, 170, 10], 300),  # 68 000 weights: the update in 5 blocks, the last short, threaded
    ],
)
def test_results_do_not_depend_on_the_thread_count(sizes, m, restore_threads):
    loss = "binary_cross_entropy" if sizes[-1] == 1 else "softmax_cross_entropy"
    net, _, params, X, Y = make_problem(sizes, ["tanh"] * (len(sizes) - 2), loss, m, seed=3)
    assert net._net.fused == (len(sizes) == 3 and sizes[-1] == 1)  # every [n_0, h, 1] row here is fused
    assert_same_training_on((1, 2, 3, 7), net, params, X, Y, iterations=3)


def test_long_training_does_not_depend_on_the_thread_count(restore_threads):
    """Over many steps train() times windows of steps on all threads against one thread and
    keeps the faster; the blocks are the same either way, so the numbers must be too."""
    for sizes, m in (([2, 4, 1], 400), ([5, 7, 6, 3], 700)):
        loss = "binary_cross_entropy" if sizes[-1] == 1 else "softmax_cross_entropy"
        net, _, params, X, Y = make_problem(sizes, ["tanh"] * (len(sizes) - 2), loss, m, seed=4)
        assert_same_training_on((1, 2, 3), net, params, X, Y, iterations=1200)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "sizes, hidden, m",
    [([2, 4, 1], "tanh", 515), ([3, 16, 1], "relu", 2000), ([2, 100, 1], "tanh", 600),
     ([2, 4, 1], "tanh", 50)],  # one block: no team larger than the blocks
)
def test_a_team_of_threads_trains_the_same_bits_as_one_thread(sizes, hidden, m, dtype, restore_threads):
    """A long full-batch fit of a fused network keeps a team of threads for the whole run:
    each member sums every block and updates its own copy of the parameters, and steps that
    the timing trials give to the caller alone come between team steps. Four blocks (the
    last ending in a partial chunk) and eight; more threads than blocks or CPUs."""
    net, _, params, X, Y = make_problem(sizes, [hidden], "binary_cross_entropy", m, seed=6, dtype=dtype)
    assert_same_training_on((1, 2, 4, 9), net, params, X, Y, iterations=2100)


def test_a_team_follows_a_floating_point_control_changed_during_the_fit(restore_threads, control_sensitive):
    """A progress callback may change the caller's floating-point control (a library built
    with -ffast-math sets flush-to-zero when loaded). The team's members must compute the
    following steps under it too: with the data of ``control_sensitive`` the team matches
    one thread that switches at the same step only if every member switches."""
    c = control_sensitive
    X, Y = c.X, c.Y
    gen = np.random.default_rng(5)
    start = {"W1": np.column_stack([gen.normal(size=4), c.big]), "b1": np.zeros((4, 1)),
             "W2": gen.normal(size=(1, 4)), "b2": np.zeros((1, 1))}
    net = wi.MLP([2, 4, 1])
    iterations = 400_000  # the second progress call comes after 0.05 s (the first is at step 0)
    flipped = []

    def progress(step, cost):
        if not flipped and step > 0:  # mid-fit, with the team running
            core.set_fp_control(c.daz_ftz)
            flipped.append(step)

    wi.set_num_threads(2)
    net.parameters = start
    try:
        team = net.fit(X, Y, iterations=iterations, learning_rate=0.1, progress=progress)
    finally:
        core.set_fp_control(c.saved)
    team_params = net.parameters
    s = flipped[0]
    assert s < iterations - 10_000
    # One thread: steps 0..s as they were (step s's update does not depend on the control
    # here), then the rest under the new control.
    wi.set_num_threads(1)
    net.parameters = start
    before = net.fit(X, Y, iterations=s + 1, learning_rate=0.1)
    at_s = net.parameters
    core.set_fp_control(c.daz_ftz)
    try:
        after = net.fit(X, Y, iterations=iterations - s - 1, learning_rate=0.1)
    finally:
        core.set_fp_control(c.saved)
    np.testing.assert_array_equal(team, np.concatenate([before, after]))
    for k, v in net.parameters.items():
        np.testing.assert_array_equal(team_params[k], v)
    net.parameters = at_s  # the control matters here: without it the very next cost differs
    assert net.fit(X, Y, iterations=1, learning_rate=0.1)[0] != after[0]


def test_record_every_and_zero_iterations():
    net, _, params, X, Y = make_problem([2, 3, 1], ["tanh"], "binary_cross_entropy", 50, seed=1)
    every = net.fit(X, Y, iterations=10, learning_rate=0.1)
    net.parameters = params
    sparse = net.fit(X, Y, iterations=10, learning_rate=0.1, record_every=4)
    np.testing.assert_array_equal(sparse, every[[0, 4, 8]])
    assert net.fit(X, Y, iterations=0).shape == (0,)


def test_parameters_round_trip_and_are_copies():
    net = wi.MLP([3, 4, 2], activations=["relu", "softmax"], init="normal", rng=0)
    p = net.parameters
    assert list(p) == ["W1", "b1", "W2", "b2"]
    assert p["W1"].shape == (4, 3) and p["b1"].shape == (4, 1) and p["W2"].shape == (2, 4)
    p["W1"][0, 0] += 1.0
    assert net.parameters["W1"][0, 0] != p["W1"][0, 0]
    net.parameters = p
    for k in p:
        np.testing.assert_array_equal(net.parameters[k], p[k])


def test_init_per_layer_and_callables_and_seeds():
    seen = []

    def ones(shape, rng=None, dtype=None):
        seen.append((shape, np.dtype(dtype)))
        return np.ones(shape, dtype=dtype)

    net = wi.MLP([3, 4, 2], activations=["tanh", "sigmoid"], init=["zeros", ones], dtype=np.float32)
    assert seen == [((2, 4), np.dtype(np.float32))]
    assert not net.parameters["W1"].any() and (net.parameters["W2"] == 1).all()
    a = wi.MLP([3, 4, 4, 1], init="normal", rng=7).parameters
    b = wi.MLP([3, 4, 4, 1], init="normal", rng=7).parameters
    np.testing.assert_array_equal(a["W2"], b["W2"])
    assert not np.array_equal(a["W2"][:1], a["W2"][1:2])  # draws differ between rows and layers


def test_an_init_tuple_of_a_name_and_a_callable_is_refused_as_ambiguous():
    """sweep reads ("label", callable) and ("label", name) as a labelled scheme, and the
    README offered the pair for MLP too; MLP read it as one initializer per layer, so for a
    2-layer network ("random", partial(normal, std=0.01)) silently drew W1 from N(0, 1)
    (helper-184), and ("zeros", "he_normal") is the same (helper-187). Such a tuple is
    refused, saying what each reading needs; lists, and other tuples, are per layer."""
    small = functools.partial(wi.normal, std=0.01)
    for init in (("random", small), ("randn*0.01", small)):
        with pytest.raises(TypeError, match=r"init=\('rand.*\) is ambiguous: .*a list .*one initializer per layer.*"
                                            r"the second alone for every layer"):
            wi.MLP([2, 4, 1], init=init, rng=0)
    per_layer = wi.MLP([2, 4, 1], init=["random", small], rng=0).parameters
    assert per_layer["W1"].std() > 0.3 and per_layer["W2"].std() < 0.05
    assert (wi.MLP([2, 4, 1], init=["zeros", "ones"]).parameters["W2"] == 1).all()
    with pytest.raises(TypeError, match=r"init=\('zeros', 'ones'\) is ambiguous"):
        wi.MLP([2, 4, 1], init=("zeros", "ones"))
    assert (wi.MLP([2, 4, 4, 1], init=("zeros", "ones", "ones")).parameters["W3"] == 1).all()  # no pair
    with pytest.raises(TypeError, match="ambiguous"):
        wi.prototype.initialize_parameters(2, 4, 1, init=("random", small))


def test_an_unhashable_callable_init_and_one_that_reads_fans():
    """MLP asks an init's signature whether it takes in_axis and out_axis (the signatures are
    remembered, so an unhashable callable must still be read, and one that changes later is a
    new object)."""
    class Unhashable:
        __hash__ = None

        def __call__(self, shape, rng=None, dtype=None):
            return np.full(shape, 0.5, dtype=dtype)

    assert (wi.MLP([3, 2], init=Unhashable()).parameters["W1"] == 0.5).all()
    seen = []

    def fans(shape, rng=None, dtype=None, in_axis=None, out_axis=None):
        seen.append((in_axis, out_axis))
        return np.zeros(shape, dtype=dtype)

    wi.MLP([3, 2], init=fans)
    wi.MLP([3, 2], init=fans)
    assert seen == [(1, 0), (1, 0)]  # the engine's (out, in) W, named for keras' class names

    class Holding:  # an init holding data: remembering its signature must not keep it alive
        def __call__(self, shape, rng=None, dtype=None):
            return np.zeros(shape, dtype=dtype)

    init = Holding()
    gone = weakref.ref(init)
    wi.MLP([3, 2], init=init)
    del init
    gc.collect()
    assert gone() is None


def test_softmax_of_logits_far_apart_is_finite_and_exact():
    """Softmax subtracts each example's largest logit, over every row: gaps beyond ~709 overflow
    exp otherwise (a cost of 105.76 for 135.84, NaN probabilities). The largest logit sits in
    a different row for each example."""
    net = wi.MLP([1, 3], activations=["softmax"], loss="softmax_cross_entropy", init="zeros")
    params = {"W1": np.array([[0.0], [800.0], [-5.0]]), "b1": np.array([[0.0], [0.0], [-900.0]])}
    net.parameters = params
    X = np.array([[1.0, -1.0, 0.5, -2.0]])
    Y = np.eye(3)[:, [0, 2, 1, 2]]
    expected = ref.cost(params, X, Y, ["softmax"], "softmax_cross_entropy")
    assert np.isfinite(expected) and expected > 100
    assert net.cost(X, Y) == pytest.approx(expected, rel=1e-12)
    proba = net.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=0), 1.0, rtol=1e-15)
    grads = net.gradients(X, Y)
    want = ref.gradients(params, X, Y, ["softmax"], "softmax_cross_entropy")
    for k in ("dW1", "db1"):
        assert np.isfinite(grads[k]).all()
        assert_close(grads[k], want[k], 1e-12)


def test_softmax_separates_three_blobs():
    X, Y = datasets.blobs(n_per_class=100, std=1.0, rng=0)
    net = wi.MLP([2, 16, 3], activations=["tanh", "softmax"], init="xavier_uniform", rng=1)
    costs = net.fit(X, Y, iterations=500, learning_rate=0.5)
    assert costs[-1] < costs[0]
    assert net.accuracy(X, Y) > 0.95
    Xt, Yt = datasets.blobs(n_per_class=100, std=1.0, rng=1)
    assert net.accuracy(Xt, Yt) > 0.95
    assert net.predict(Xt).shape == (300,)


def _he_normal(shape, rng=None, dtype=None):
    return wi.random.normal(shape, std=math.sqrt(2.0 / shape[1]), rng=rng, dtype=dtype)


def _tiny_normal(shape, rng=None, dtype=None):
    return wi.random.normal(shape, std=1e-3, rng=rng, dtype=dtype)


def test_relu_network_trains_with_he_init_but_not_from_tiny_weights():
    X, Y = datasets.planar_flower(1)
    sizes = [2, 20, 20, 20, 20, 1]
    acts = ["relu"] * 4 + ["sigmoid"]
    he = wi.MLP(sizes, activations=acts, init=_he_normal, rng=3)
    tiny = wi.MLP(sizes, activations=acts, init=_tiny_normal, rng=3)
    he_costs = he.fit(X, Y, iterations=3000, learning_rate=0.1)
    tiny_costs = tiny.fit(X, Y, iterations=3000, learning_rate=0.1)
    assert he_costs[-1] < 0.5 * he_costs[0]
    assert he.accuracy(X, Y) > 0.8
    np.testing.assert_allclose(tiny_costs, math.log(2), rtol=1e-3)  # stuck at chance
    assert abs(tiny_costs[-1] - tiny_costs[0]) < 1e-4


@pytest.mark.parametrize("batch_size", [400, 401, 10**9])
def test_a_batch_of_all_the_data_is_full_batch_descent(batch_size):
    """As fit's docstring says, batch_size >= m is full-batch descent, bit for bit (helper-130:
    the >= at m itself was untested; m = 400 here)."""
    X, Y = datasets.planar_flower(1)
    a, b = wi.MLP([2, 4, 1], rng=3), wi.MLP([2, 4, 1], rng=3)
    full = b.fit(X, Y, iterations=50)
    np.testing.assert_array_equal(a.fit(X, Y, iterations=50, batch_size=batch_size), full)
    for k, v in a.parameters.items():
        np.testing.assert_array_equal(v, b.parameters[k])
    # one example short of m is mini-batch SGD: other costs
    assert not np.array_equal(wi.MLP([2, 4, 1], rng=3).fit(X, Y, iterations=50, batch_size=399), full)


def test_minibatch_sgd_is_seeded_and_learns():
    X, Y = datasets.planar_flower(1)
    def make():
        return wi.MLP([2, 8, 1], activations=["tanh", "sigmoid"], init="normal", rng=2)

    a, b, c = make(), make(), make()
    ca = a.fit(X, Y, iterations=2000, learning_rate=0.5, batch_size=32, rng=5)
    cb = b.fit(X, Y, iterations=2000, learning_rate=0.5, batch_size=32, rng=5)
    cc = c.fit(X, Y, iterations=2000, learning_rate=0.5, batch_size=32, rng=6)
    np.testing.assert_array_equal(ca, cb)
    assert not np.array_equal(ca, cc)
    assert a.cost(X, Y) < 0.5 * ca[0]
    # batch_size >= m is full-batch gradient descent
    d, e = make(), make()
    np.testing.assert_array_equal(d.fit(X, Y, iterations=20, batch_size=400), e.fit(X, Y, iterations=20))
    for k, v in d.parameters.items():  # the same sums in the same order: the same bits
        np.testing.assert_array_equal(v, e.parameters[k])


def assert_minibatches_follow_the_reference(net, step, X, Y, bs, iterations, learning_rate, seed):
    """net's mini-batch fit under rng=seed must take, step by step, the full-batch steps that
    step (a twin of net) takes on the next bs columns of the reference shuffle's order."""
    m = X.shape[1]
    key = [int(w) for w in wi.random.key_from_rng(seed)]
    costs = net.fit(X, Y, iterations=iterations, learning_rate=learning_rate, batch_size=bs, rng=seed)
    batches = [order[i:i + bs] for epoch in range(iterations) for order in [ref_random.shuffle(m, key, epoch)]
               for i in range(0, m, bs)][:iterations]
    for k, cols in enumerate(batches):
        cost = step.fit(X[:, cols], Y[:, cols], iterations=1, learning_rate=learning_rate)[0]
        assert cost == pytest.approx(costs[k], rel=1e-12)
    for name, value in step.parameters.items():
        np.testing.assert_allclose(net.parameters[name], value, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("bs", [150, 399])
@pytest.mark.parametrize("hidden", [4, 1500])
def test_minibatch_order_follows_the_shuffle_of_its_key(bs, hidden):
    """Each step is full-batch gradient descent on the next batch_size examples of the
    epoch's order; the order is the reference shuffle under key_from_rng(rng), epoch by epoch.
    399 of 400 is still mini-batch training: a one-example batch ends each epoch. (1500
    hidden units: the fused step's narrower blocks, cut for each batch's size.)"""
    X, Y = datasets.planar_flower(1)
    iterations = 5  # bs 150: batches 150, 150, 100, then epoch 1
    net = wi.MLP([2, hidden, 1], activations=["tanh", "sigmoid"], rng=0)
    step = wi.MLP([2, hidden, 1], activations=["tanh", "sigmoid"], rng=0)
    assert_minibatches_follow_the_reference(net, step, X, Y, bs, iterations, 0.7, 5)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_large_minibatch_is_gathered_in_the_shuffles_order(threads, restore_threads):
    """A batch of 500 examples of 40 features (20 000 values, at least the 2^14 from which
    the gather is threaded) is gathered on the step's threads in blocks of 16 rows, the last
    of 8: each step must train on exactly the next 500 examples of the reference order (a
    last batch of 200 ends the epoch)."""
    wi.set_num_threads(threads)
    gen = np.random.default_rng(12)
    m, bs, iterations = 1200, 500, 4
    X = gen.normal(size=(40, m))
    Y = np.eye(3)[:, gen.integers(0, 3, m)]
    kwargs = dict(activations=["tanh", "softmax"], loss="softmax_cross_entropy", rng=0)
    net, step = wi.MLP([40, 8, 3], **kwargs), wi.MLP([40, 8, 3], **kwargs)
    assert_minibatches_follow_the_reference(net, step, X, Y, bs, iterations, 0.5, 7)


@pytest.mark.parametrize("epoch", [0, 1, 2**32 - 1, 2**32, 2**32 + 1, 2**40 + 3, 2**64 - 1])
def test_the_cores_shuffle_is_the_reference_shuffle_in_every_epoch(epoch):
    """The core's shuffle (the one fit uses, above) at epochs past 2^32: the epoch's high
    word is the counter's fourth, so epoch 2^32 is not epoch 0 again (it was, with the
    epoch cut to 32 bits: a run of 2^32 epochs, two steps each at m = 2, repeated its
    shuffles)."""
    key = [0x9E3779B9, 0x1234567]
    np.testing.assert_array_equal(core.mlp.shuffle(37, key, epoch), ref_random.shuffle(37, key, epoch))
    if epoch >= 2**32:
        assert list(core.mlp.shuffle(37, key, epoch)) != list(core.mlp.shuffle(37, key, epoch % 2**32))


@pytest.mark.parametrize("m", [2, 3, 63, 64, 65, 128, 129, 1000])
def test_the_cores_shuffle_is_the_reference_shuffle_for_any_count(m):
    """The core draws the shuffle's blocks 64 positions at a time: each run's first and last
    position, and a last run of one, keep the reference's draws."""
    for epoch, key in ((0, [1, 2]), (5, [0xFFFFFFFF, 0]), (2**33 + 7, [0x9E3779B9, 0x1234567])):
        order = core.mlp.shuffle(m, key, epoch)
        np.testing.assert_array_equal(order, ref_random.shuffle(m, key, epoch))
        assert sorted(order) == list(range(m))


@pytest.mark.parametrize("m", [2, 66, 130])
def test_the_cores_shuffle_draws_position_one_in_a_last_run_of_one(m):
    """Where m = 2 mod 64, the runs of 64 draws end in a run of position 1 alone: it must be
    drawn too (helper-194: a loop ending at top > 1, or no shuffle at all for m = 2, passed the
    test above, whose three draws at m = 2 each left 0 and 1 in place)."""
    key = [0x9E3779B9, 0x1234567]
    orders = set()
    for epoch in range(16):
        order = core.mlp.shuffle(m, key, epoch)
        np.testing.assert_array_equal(order, ref_random.shuffle(m, key, epoch))
        orders.add(tuple(order[:2]))
    if m == 2:
        assert orders == {(0, 1), (1, 0)}  # the reference swaps position 1 in some epochs, not all


def test_the_shuffle_refuses_more_examples_than_its_counter_holds():
    """Position i is the counter's first word (and the order is kept in 32 bits): 2^32
    examples at most, said before any memory is asked for."""
    assert len(core.mlp.shuffle(1, [1, 2], 0)) == 1 and len(core.mlp.shuffle(0, [1, 2], 0)) == 0
    with pytest.raises(ValueError, match="at most 2\\^32 examples, got 4294967297"):
        core.mlp.shuffle(2**32 + 1, [1, 2], 0)
    with pytest.raises(ValueError, match="m must be in \\[0, 2\\^32\\]"):
        ref_random.shuffle(2**32 + 1, [1, 2], 0)


LAST_BATCH_CHILD = """
import numpy as np, weightinit as wi
g = np.random.default_rng(3)
X = g.normal(size=(2, 383)); Y = (g.random((1, 383)) < 0.5).astype(float)
net = wi.MLP([2, 1500, 1], activations=["tanh", "sigmoid"], rng=0)
step = wi.MLP([2, 1500, 1], activations=["tanh", "sigmoid"], rng=0)
costs = net.fit(X, Y, iterations=6, learning_rate=0.5, batch_size=193, rng=4)
print(" ".join(repr(float(c)) for c in costs))
"""


def test_a_last_minibatch_cut_into_more_fused_blocks_than_a_full_one():
    """[2, 1500, 1]: 193 examples make 5 fused blocks (40 columns, the last 33), 190 make 6
    (32, the last 30), since a block's columns round up to whole chunks of eight. An epoch
    of 383 in batches of 193 ends in one of 190, so the step's partial sums must have room
    for 6 blocks: sized for the full batch's 5, the last batch wrote past them (glibc then
    aborted on the corrupted heap). In a child process, so that such a crash fails this test
    alone; its costs must be those of one-step fits on the same batches."""
    proc = subprocess.run([sys.executable, "-c", LAST_BATCH_CHILD], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    costs = [float(c) for c in proc.stdout.split()]
    g = np.random.default_rng(3)
    X = g.normal(size=(2, 383))
    Y = (g.random((1, 383)) < 0.5).astype(float)
    key = [int(w) for w in wi.random.key_from_rng(4)]
    step = wi.MLP([2, 1500, 1], activations=["tanh", "sigmoid"], rng=0)
    orders = [ref_random.shuffle(383, key, epoch) for epoch in range(3)]
    batches = [order[i:i + 193] for order in orders for i in (0, 193)]
    assert [len(b) for b in batches] == [193, 190] * 3
    for k, cols in enumerate(batches):
        expected = step.fit(X[:, cols], Y[:, cols], iterations=1, learning_rate=0.5)[0]
        assert costs[k] == pytest.approx(expected, rel=1e-12)


def test_an_output_of_exactly_one_half_is_label_0_everywhere():
    """predict says 1 where the output is > 0.5; accuracy, in C++, must count by the same
    rule. Zero weights give sigmoid(0) = 0.5 exactly, which no other test produces."""
    X = np.zeros((2, 10))
    Y = np.array([[0.0] * 6 + [1.0] * 4])
    net = wi.MLP([2, 3, 1], activations=["tanh", "sigmoid"], init="zeros")
    assert (net.predict_proba(X) == 0.5).all() and (net.predict(X) == 0).all()
    assert net.accuracy(X, Y) == 0.6
    r = wi.sweep(X, Y, [2, 3, 1], ["zeros"], [0], iterations=0, X_test=X, Y_test=1 - Y)
    assert r.train_accuracy[0, 0] == 0.6 and r.test_accuracy[0, 0] == 0.4


def test_nonfinite_cost_stops_with_a_clear_error_unless_asked_to_continue():
    net, _, params, X, Y = make_problem([2, 3, 1], ["identity"], "mse", 20, seed=2)
    with pytest.raises(FloatingPointError, match="nan or inf at iteration"):
        net.fit(X, Y * 1e150, iterations=100, learning_rate=1e3)
    net.parameters = params
    costs = net.fit(X, Y * 1e150, iterations=100, learning_rate=1e3, on_nonfinite="continue")
    assert costs.shape == (100,) and not np.isfinite(costs[-1])
    # The error's costs were a view of the whole history's buffer: a stop at step 75 of 10^8
    # kept 800 MB alive for 76 costs (helper-179). They are their own array now.
    net.parameters = params
    with pytest.raises(FloatingPointError) as exc:
        net.fit(X, Y * 1e150, iterations=10**5, learning_rate=1e3)
    assert exc.value.costs.base is None and exc.value.costs.size < 100
    # Stopped by a progress callback's exception (or Ctrl-C), likewise (helper-183).

    def stop(step, cost):
        if step >= 3:
            raise StopIteration

    net.parameters = params
    with pytest.raises(StopIteration) as stopped:
        net.fit(X, Y, iterations=10**6, learning_rate=1e-3, progress=stop)
    assert stopped.value.costs.base is None and 3 <= stopped.value.costs.size < 10**6  # the callback runs every ~0.05 s


@pytest.mark.parametrize("bad", [("b1", -np.inf), ("W1", np.nan), ("W2", np.inf)])
def test_parameters_not_finite_from_the_start_are_named_and_not_trained(bad):
    """helper-113: relu(-inf) = 0 keeps the cost finite, so the fit ran and then blamed "the
    last update" and the learning rate for a b1 of -inf that the caller had set."""
    key, value = bad
    X, Y = np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 0.0, 1.0]])
    net = wi.MLP([1, 2, 1], activations=["relu", "sigmoid"], rng=0)
    p = net.parameters
    p[key].flat[0] = value
    net.parameters = p
    with pytest.raises(FloatingPointError, match=r"hold nan or inf \(as set through .parameters\?\), so no step") as info:
        net.fit(X, Y, iterations=5, learning_rate=0.1)
    assert info.value.costs.shape == (0,)
    after = net.parameters
    assert all(np.array_equal(after[k], p[k], equal_nan=True) for k in p)  # untouched
    costs = net.fit(X, Y, iterations=5, learning_rate=0.1, on_nonfinite="continue")  # asked to: it trains
    assert costs.shape == (5,)


def test_a_learning_rate_beyond_the_networks_float_type_is_refused():
    """helper-113: 1e39 is inf as a float32, and a zero gradient times it nan."""
    X, Y = np.zeros((1, 3)), np.array([[1.0, 0.0, 1.0]])
    net = wi.MLP([1, 1], activations=["sigmoid"], init="zeros", dtype=np.float32)
    with pytest.raises(ValueError, match=r"learning_rate 1e\+39 is inf as a float32, the network's dtype"):
        net.fit(X, Y, iterations=1, learning_rate=1e39, on_nonfinite="continue")
    with pytest.raises(ValueError, match="learning_rate 1e\\+39 is inf as a float32"):
        wi.sweep(X, Y, [1, 1], ["zeros"], [0], iterations=1, learning_rate=1e39, dtype=np.float32)
    with pytest.raises(ValueError, match="learning_rate is inf in the network's float type"):  # the core's own check
        core.mlp.Network([1, 1], ["sigmoid"], "binary_cross_entropy", 0.01, True).train(
            [np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32)], X.astype(np.float32),
            Y.astype(np.float32), 1, 1e39, 0, 1, False, (0, 0), 1, None)
    # float32's largest as NumPy prints it rounds to it, not to inf (helper-115): taken
    net.fit(X, Y, iterations=1, learning_rate=3.4028235e38, on_nonfinite="continue")
    # 1e-50 is 0 as a float32: every step left the parameters as they were (helper-146)
    with pytest.raises(ValueError, match=r"learning_rate 1e-50 is 0 as a float32, the network's dtype"):
        net.fit(X, Y, iterations=1, learning_rate=1e-50)
    with pytest.raises(ValueError, match="learning_rate 1e-50 is 0 as a float32"):
        wi.sweep(X, Y, [1, 1], ["zeros"], [0], iterations=1, learning_rate=1e-50, dtype=np.float32)
    with pytest.raises(ValueError, match="learning_rate is 0 in the network's float type"):  # the core's own check
        core.mlp.Network([1, 1], ["sigmoid"], "binary_cross_entropy", 0.01, True).train(
            [np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32)], X.astype(np.float32),
            Y.astype(np.float32), 1, 1e-50, 0, 1, False, (0, 0), 1, None)
    net.fit(X, Y, iterations=1, learning_rate=1e-45)  # float32's smallest subnormal: taken
    W, b = [np.zeros((1, 1, 1), np.float32)], [np.zeros((1, 1, 1), np.float32)]
    for rate, said in ((1e39, "inf"), (1e-50, "0")):  # the sweep core's own check, the same
        with pytest.raises(ValueError, match=f"learning_rate is {said} in the network's float type"):
            core.sweep.run([1, 1], ["sigmoid"], "binary_cross_entropy", 0.01, True, W, b, X.astype(np.float32),
                           Y.astype(np.float32), None, None, iterations=1, learning_rate=rate, record_every=1,
                           nthreads=1, progress=None)
    wide = wi.MLP([1, 1], activations=["sigmoid"], init="zeros")
    wide.fit(X, Y, iterations=1, learning_rate=1e39, on_nonfinite="continue")
    assert wide.parameters["W1"].tolist() == [[0.0]]  # float64: a zero gradient leaves it 0


@pytest.mark.parametrize("batch_size", [None, 2])
def test_a_refused_fit_leaves_the_generator_as_it_was(batch_size):
    """helper-115: the shuffle's key was drawn before X was converted, so an X refused there
    (nan, or beyond float32's range) advanced the network's generator, or the caller's."""
    Y = np.zeros((1, 5))
    for dtype, bad in ((np.float64, np.nan), (np.float32, 1e300)):
        X = np.zeros((2, 5))
        X[0, 0] = bad
        net = wi.MLP([2, 3, 1], rng=0, dtype=dtype)
        gen = np.random.default_rng(1)
        before, theirs = net._rng.bit_generator.state, gen.bit_generator.state
        for rng in (None, gen):
            with pytest.raises(ValueError, match="X "):
                net.fit(X, Y, iterations=1, batch_size=batch_size, rng=rng)
        assert net._rng.bit_generator.state == before and gen.bit_generator.state == theirs
        # Refused by the core, no step taken (helper-116): starting parameters that are not
        # finite. Generators whose state holds arrays too (helper-118: == raised on them).
        p = net.parameters
        p["b1"][0, 0] = -np.inf
        net.parameters = p
        for rng in (None, gen, np.random.Generator(np.random.MT19937(1)), np.random.Generator(np.random.Philox(1)),
                    np.random.Generator(np.random.SFC64(1))):
            state = (net._rng if rng is None else rng).bit_generator.state
            with pytest.raises(FloatingPointError, match="no step was taken"):
                net.fit(np.zeros((2, 5)), Y, iterations=1, batch_size=batch_size, rng=rng)
            assert weightinit_mlp._same_state((net._rng if rng is None else rng).bit_generator.state, state)
        assert net._rng.bit_generator.state == before and gen.bit_generator.state == theirs
    fresh = wi.MLP([2, 3, 1], rng=0)
    # rng itself is checked with the scalar arguments, before X is copied and scanned.
    with pytest.raises(TypeError, match="rng must be"):
        fresh.fit(np.full((2, 5), np.nan), Y, iterations=1, rng=True)


@pytest.mark.parametrize("bits", [np.random.PCG64, np.random.MT19937])
def test_a_key_is_given_back_only_if_no_one_has_drawn_since(bits):
    g = np.random.Generator(bits(0))
    before = g.bit_generator.state
    g.integers(0, 2**32, size=2, dtype=np.uint32)  # the fit's draw
    drawn = g.bit_generator.state
    g.random()  # another thread's draw: it stands
    after = g.bit_generator.state
    weightinit_mlp._undraw(g, before, drawn)
    assert weightinit_mlp._same_state(g.bit_generator.state, after)
    g.bit_generator.state = drawn
    weightinit_mlp._undraw(g, before, drawn)  # no one else: given back
    assert weightinit_mlp._same_state(g.bit_generator.state, before)
    assert not weightinit_mlp._same_state(before, after)


class _Sealed(Exception):
    """An exception that takes no attribute: the binding raises it without .costs."""

    def __setattr__(self, name, value):
        raise AttributeError(name)


@pytest.mark.parametrize("how", ["continue", "callback", "sealed callback"])
def test_a_fit_that_trained_keeps_its_draw(how):
    """helper-117: the state put back for refused fits was also put back after fits that
    trained: on_nonfinite="continue" from parameters that are not finite (every step taken),
    and a progress callback's exception that takes no .costs. Their next fit reused the key."""
    X, Y = np.zeros((2, 6)), np.zeros((1, 6))
    net = wi.MLP([2, 3, 1], activations=["relu", "sigmoid"], rng=0)
    if how == "continue":
        p = net.parameters
        p["b1"][0, 0] = -np.inf
        net.parameters = p
    gen = np.random.default_rng(3)
    state = gen.bit_generator.state
    calls = []

    def stop(step, cost):
        calls.append(step)
        if len(calls) == 2:
            raise _Sealed() if how == "sealed callback" else KeyError("stop")

    kwargs = {"on_nonfinite": "continue"} if how == "continue" else {"progress": stop}
    try:
        net.fit(X, Y, iterations=10**5 if how != "continue" else 3, batch_size=2, rng=gen,
                **kwargs)
    except (KeyError, _Sealed):
        assert calls[-1] > 0  # it trained
    assert gen.bit_generator.state != state


def test_accuracy_checks_its_labels_before_the_forward_pass():
    net = wi.MLP([2, 4, 1], rng=0)
    calls = []

    class Counting:  # the engine, counting forward passes
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            if name == "forward":
                calls.append(name)
            return getattr(self.inner, name)

    net._net = Counting(net._net)
    with pytest.raises(ValueError, match="Y must hold labels 0 or 1"):
        net.accuracy(np.zeros((2, 5)), np.full((1, 5), 2.0))
    assert calls == []
    assert net.accuracy(np.zeros((2, 5)), np.zeros((1, 5))) in (0.0, 1.0) and calls == ["forward"]


@pytest.mark.parametrize("label", [1 - 2.0**-30, 1 + 2.0**-30, 1e-50, -1e-50])
def test_float32_network_checks_the_labels_it_was_given(label):
    # float32 rounds each of these to 0 or 1: the check reads the float64 labels given, not
    # their float32 copy (which took 0.99999999 as 1 and trained on it).
    assert np.float32(label) in (0.0, 1.0)
    net = wi.MLP([2, 4, 1], rng=0, dtype=np.float32)
    X, Y = np.zeros((2, 3)), np.array([[0.0, 1.0, label]])
    for call in (lambda: net.fit(X, Y, iterations=1), lambda: net.cost(X, Y), lambda: net.accuracy(X, Y),
                 lambda: net.gradients(X, Y), lambda: wi.sweep(X, Y, [2, 4, 1], ["zeros"], 1, 1, 1.0,
                                                              dtype=np.float32)):
        with pytest.raises(ValueError, match="Y must hold labels 0 or 1"):
            call()
    assert np.isfinite(net.cost(X, np.round(Y)))  # the same labels, exactly 0 and 1
    with pytest.raises(ValueError, match="Y must hold labels 0 or 1"):  # longdouble narrowed to float64
        wi.MLP([2, 4, 1], rng=0).cost(X, np.array([[0.0, 1.0, 1 - np.finfo(np.longdouble).eps]],
                                                  dtype=np.longdouble))


def test_saturated_network_has_a_finite_cost():
    X, Y = datasets.planar_flower(1)
    net = wi.MLP([2, 4, 1], activations=["tanh", "sigmoid"], init="normal", rng=2)
    net.parameters = {k: v * 100 for k, v in net.parameters.items()}
    assert math.isfinite(net.cost(X, Y)) and net.cost(X, Y) > 1


# Logits that overflow to +-inf (weights near 1e300, or float32 products past 3.4e38). The
# losses are then exact: 0 where the output agrees with the label, inf where it contradicts
# it, log(k) for a softmax label among k classes tied at +inf (or at -inf, all of them).
# The forms max(z, 0) - y z and y (logsumexp - z) gave inf - inf = nan there.
OVERFLOWING = [(np.float64, 1e300), (np.float32, 1e30)]  # times inputs of 1e10


@pytest.mark.parametrize("dtype, w", OVERFLOWING)
def test_binary_cross_entropy_at_infinite_logits(dtype, w):
    net = wi.MLP([1, 1], activations=["sigmoid"], dtype=dtype)
    net.parameters = {"W1": np.array([[w]], dtype), "b1": np.zeros((1, 1), dtype)}
    X = np.array([[1e10, -1e10]], dtype)  # logits +inf, -inf
    assert net.predict_proba(X).tolist() == [[1.0, 0.0]]
    agree, contradict = np.array([[1, 0]], dtype), np.array([[0, 1]], dtype)
    assert net.cost(X, agree) == 0.0
    assert net.cost(X, np.array([[1, 1]], dtype)) == np.inf
    assert net.cost(X, contradict) == np.inf
    g = net.gradients(X, agree)
    assert g["dW1"].tolist() == [[0.0]] and g["db1"].tolist() == [[0.0]]
    assert net.fit(X, agree, iterations=3, learning_rate=0.1).tolist() == [0.0] * 3
    with pytest.raises(FloatingPointError, match="the cost became nan or inf.* at iteration 0;"):
        net.fit(X, contradict, iterations=3)
    z = np.array([[np.inf, -np.inf]])
    assert ref.loss_from_logits("binary_cross_entropy", z, agree) == 0.0
    assert ref.loss_from_logits("binary_cross_entropy", z, contradict) == np.inf


def test_fused_fit_at_infinite_logits():
    """A [n_0, h, 1] network's fit takes the fused step (in double, so only float64 weights
    near 1e308 overflow it): its costs are cost()'s, 0 where the labels agree."""
    net = wi.MLP([1, 2, 1], activations=["tanh", "sigmoid"])
    net.parameters = {"W1": np.full((2, 1), 1e10), "b1": np.zeros((2, 1)), "W2": np.full((1, 2), 1e308),
                      "b2": np.zeros((1, 1))}
    X = np.array([[1.0, -1.0, 2.0, -3.0]])  # hidden +-1, logits +-2e308 = +-inf
    Y = np.array([[1.0, 0.0, 1.0, 0.0]])
    assert net.cost(X, Y) == 0.0
    assert net.fit(X, Y, iterations=3).tolist() == [0.0] * 3
    assert net.cost(X, 1 - Y) == np.inf
    with pytest.raises(FloatingPointError, match="at iteration 0;") as info:
        net.fit(X, 1 - Y, iterations=3)
    assert info.value.costs.tolist() == [np.inf]


def test_nan_logits_give_nan_costs():
    """A NaN logit (inf - inf from overflowing hidden units) makes the cost NaN whatever the
    labels: the exact forms at infinite logits must not turn it into 0 or a finite value."""
    net = wi.MLP([1, 2, 1], activations=["relu", "sigmoid"])
    net.parameters = {"W1": np.full((2, 1), 1e308), "b1": np.zeros((2, 1)), "W2": np.array([[1.0, -1.0]]),
                      "b2": np.zeros((1, 1))}
    X = np.array([[10.0, 0.5, -0.5]])  # logits nan, 0, 0
    for Y in ([[0.0, 1.0, 0.0]], [[1.0, 1.0, 0.0]]):
        assert math.isnan(net.cost(X, Y))  # the layer path
        costs = net.fit(X, Y, iterations=1, on_nonfinite="continue")  # the fused step
        assert math.isnan(costs[0])
    net = wi.MLP([1, 3], activations=["softmax"], loss="softmax_cross_entropy")
    for W in ([1e300, 0.0, -1e300], [1.0, 0.0, 2.0]):  # the other logits +-inf, or finite
        net.parameters = {"W1": np.array(W)[:, None], "b1": np.array([[0.0], [np.nan], [0.0]])}
        for k in range(3):
            assert math.isnan(net.cost(np.array([[1e10]]), np.eye(3)[:, [k]])), (W, k)
        assert np.isnan(net.predict_proba(np.array([[1e10]]))).any()


@pytest.mark.parametrize("dtype, w", OVERFLOWING)
def test_softmax_cross_entropy_at_infinite_logits(dtype, w):
    net = wi.MLP([1, 3], activations=["softmax"], loss="softmax_cross_entropy", dtype=dtype)
    b = np.zeros((3, 1), dtype)
    X = np.array([[1e10, -1e10]], dtype)
    net.parameters = {"W1": np.array([[w], [0], [-w]], dtype), "b1": b}  # columns: (inf, 0, -inf), (-inf, 0, inf)
    assert net.predict_proba(X).tolist() == [[1, 0], [0, 0], [0, 1]]
    onehot = lambda *k: np.eye(3, dtype=dtype)[:, list(k)]  # noqa: E731
    assert net.cost(X, onehot(0, 2)) == 0.0
    assert net.cost(X, onehot(1, 2)) == np.inf
    assert net.cost(X, onehot(0, 0)) == np.inf
    assert net.gradients(X, onehot(0, 2))["dW1"].tolist() == [[0.0], [0.0], [0.0]]
    X1 = X[:, :1]
    net.parameters = {"W1": np.array([[w], [w], [0]], dtype), "b1": b}  # (inf, inf, 0): two classes tied
    assert net.predict_proba(X1).tolist() == [[0.5], [0.5], [0.0]]
    assert net.cost(X1, onehot(1)) == pytest.approx(math.log(2), rel=1e-15)
    assert net.cost(X1, onehot(2)) == np.inf
    net.parameters = {"W1": np.full((3, 1), -w, dtype), "b1": b}  # all -inf: tied, as equal logits are
    assert net.predict_proba(X1) == pytest.approx(np.full((3, 1), 1 / 3), rel=1e-6)
    assert net.cost(X1, onehot(2)) == pytest.approx(math.log(3), rel=1e-15)
    z = np.array([[np.inf, np.inf], [np.inf, 0.0], [-np.inf, -np.inf]])
    assert ref.loss_from_logits("softmax_cross_entropy", z, onehot(0, 0)) == pytest.approx(math.log(2) / 2)
    assert ref.loss_from_logits("softmax_cross_entropy", z, onehot(2, 1)) == np.inf
    assert ref.activate("softmax", z, 0.01).tolist() == [[0.5, 1.0], [0.5, 0.0], [0.0, 0.0]]


def test_infinite_logits_leave_finite_costs_bit_for_bit():
    """The special cases change nothing for finite logits: 0/1 labels, soft labels and logits
    of every sign and size (-0.0 too) give the bits of the general forms."""
    gen = np.random.default_rng(7)
    z = np.concatenate([gen.normal(size=200) * 10.0 ** gen.integers(-3, 4, 200), [0.0, -0.0, 745.0, -745.0]])
    for y in (np.zeros_like(z), np.ones_like(z), gen.random(z.size)):
        general = np.sum(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))) / z.size
        assert ref.loss_from_logits("binary_cross_entropy", z[None], y[None]) == general
    Z = gen.normal(size=(5, 64)) * 30
    mx = Z.max(axis=0, keepdims=True)
    e = np.exp(Z - mx)
    log_s = np.log1p(np.sum(np.where(Z == mx, 0.0, e), axis=0, keepdims=True))  # no ties in Z
    soft = gen.random((5, 64)) * (gen.random((5, 64)) < 0.7)
    for Y in (np.eye(5)[:, gen.integers(0, 5, 64)], soft / soft.sum(axis=0, keepdims=True)):
        assert ref.loss_from_logits("softmax_cross_entropy", Z, Y) == np.sum(Y * (log_s - (Z - mx))) / 64
    np.testing.assert_array_equal(ref.activate("softmax", Z, 0.01), e / e.sum(axis=0, keepdims=True))


def test_ctrl_c_interrupts_training(ctrl_c_after):
    X, Y = datasets.planar_flower(1)
    net = wi.MLP([2, 4, 1], activations=["tanh", "sigmoid"], init="normal", rng=2)
    with ctrl_c_after(0.3):
        net.fit(X, Y, iterations=50_000_000)


def test_ctrl_c_interrupts_one_long_pass(ctrl_c_after, restore_threads):
    """A single forward or backward pass of a big network ran to its end before Ctrl-C was
    seen (helper-73: 28-72 s for cost, gradients and one fit step of [2, 1024, 1024, 1] on
    400 000 examples). The passes poll between layers (and rounds of GEMM chunks), so a
    call interrupted early takes a fraction of an uninterrupted one. 16 layers of 1024 on
    4096 examples in float32: ~400 MB, a forward pass of ~0.5 s on two cores. On two
    threads: the polls are 50 ms apart, so a pass under ~0.1 s cannot be cut to 0.6 of
    itself, and on all of a fast machine's cores it took that (helper-166); a machine
    where even two threads are that fast has too short a pass to tell, and skips. The
    network's first fit sets up its gradients' memory (64 MB, 60-90 ms here), which no poll
    cuts: one interrupted fit first, untimed, so that a faster CPU's shorter pass does not
    fail on it (helper-169: a pass of 0.44 s gave a first fit of 0.47 s on a busy host)."""
    wi.set_num_threads(2)
    gen = np.random.default_rng(0)
    Xb = gen.normal(size=(1024, 4096)).astype(np.float32)
    Yb = (Xb[:1] > 0).astype(np.float32)
    net = wi.MLP([1024] * 16 + [1], activations=["relu"] * 15 + ["sigmoid"], init="he_normal", rng=0,
                 dtype=np.float32)
    net.cost(Xb, Yb)  # the workspace allocated
    start = time.perf_counter()
    net.cost(Xb, Yb)  # one forward pass, the shortest of the calls below
    whole = time.perf_counter() - start
    if whole < 0.35:
        pytest.skip(f"a forward pass takes {whole:.3f} s here on two threads: too short to see it cut")
    with ctrl_c_after(0.05):
        net.fit(Xb, Yb, iterations=3)
    before = net.parameters
    for call in (lambda: net.cost(Xb, Yb), lambda: net.predict(Xb), lambda: net.gradients(Xb, Yb),
                 lambda: net.fit(Xb, Yb, iterations=3)):
        start = time.perf_counter()
        with ctrl_c_after(min(0.05, whole / 8)):
            call()
        assert time.perf_counter() - start < 0.6 * whole
    # The fit stopped inside its first step: no update was applied.
    assert all(np.array_equal(before[k], v) for k, v in net.parameters.items())


def test_a_float32_cost_beyond_float32_stops_the_fit_before_its_update():
    """Costs are computed in double: 7.5e41 counted as finite, its update overflowed the
    float32 parameters, and the fit raised a step later with inf weights (torch reports inf)."""
    gen = np.random.default_rng(0)
    X, Y = gen.normal(size=(3, 20)).astype(np.float32), gen.normal(size=(2, 20)).astype(np.float32)
    net = wi.MLP([3, 5, 2], activations=["tanh", "identity"], loss="mse", init="xavier_normal", rng=0,
                 dtype=np.float32)
    costs = net.fit(X, Y, iterations=30, learning_rate=50.0, on_nonfinite="continue")
    k = int(np.argmax(~(np.abs(costs) <= np.finfo(np.float32).max)))
    assert np.isfinite(costs[k])  # finite in double, beyond float32
    net = wi.MLP([3, 5, 2], activations=["tanh", "identity"], loss="mse", init="xavier_normal", rng=0,
                 dtype=np.float32)
    with pytest.raises(FloatingPointError, match=rf"beyond float32's range\) at iteration {k};") as info:
        net.fit(X, Y, iterations=30, learning_rate=50.0)
    np.testing.assert_array_equal(info.value.costs, costs[: k + 1])
    assert all(np.isfinite(v).all() for v in net.parameters.values())


@pytest.mark.parametrize("stop", [KeyboardInterrupt, RuntimeError])
def test_a_stopped_fit_hands_back_the_costs_recorded_until_then(stop):
    """Ctrl-C, or the progress callback's own exception, stops a fit between steps; the
    costs recorded until then were lost (a FloatingPointError carried them)."""
    X, Y = datasets.planar_flower(1)
    net = wi.MLP([2, 4, 1], activations=["tanh", "sigmoid"], init="normal", rng=2)
    start = net.parameters
    calls = []

    def progress(step, cost):
        calls.append(step)
        if len(calls) == 3:
            raise stop("stop")

    with pytest.raises(stop) as info:
        net.fit(X, Y, iterations=10**8, learning_rate=1.2, record_every=2, progress=progress)
    costs = info.value.costs
    assert len(costs) == calls[-1] // 2 + 1  # steps 0, 2, ..., up to the step the callback saw
    net.parameters = start
    np.testing.assert_array_equal(net.fit(X, Y, iterations=calls[-1] + 1, learning_rate=1.2, record_every=2), costs)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"layer_sizes": [2, 0, 1]}, ValueError, r"layer_sizes\[1\] must be >= 1"),
        ({"layer_sizes": [2]}, ValueError, "at least an input and an output"),
        ({"layer_sizes": [2, 2.5, 1]}, TypeError, r"layer_sizes\[1\] must be an int"),
        ({"layer_sizes": [2, 3, 1], "activations": ["tanhh", "sigmoid"]}, ValueError, r"activations\[0\]"),
        ({"layer_sizes": [2, 3, 1], "activations": ["tanh"]}, ValueError, "one name per layer"),
        ({"layer_sizes": [2, 3, 1], "activations": "tanh"}, TypeError, "one name per layer, got a str"),
        # a dict or a set has no order of layers (a dict's keys were taken as the names)
        ({"layer_sizes": [2, 3, 1], "activations": {"tanh": 1, "sigmoid": 2}}, TypeError, "got a dict"),
        ({"layer_sizes": [2, 3, 1], "activations": {"tanh", "sigmoid"}}, TypeError, "got a set"),
        ({"layer_sizes": [2, 3, 1], "activations": {"tanh": 1, "sigmoid": 2}.keys()}, TypeError, "got a dict_keys"),
        ({"layer_sizes": [2, 3, 1], "activations": ["softmax", "sigmoid"]}, ValueError, r"activations\[0\]"),
        ({"layer_sizes": [2, 3, 1], "loss": "hinge"}, ValueError, "loss must be one of"),
        ({"layer_sizes": [2, 3, 1], "activations": ["tanh", "sigmoid"], "loss": "mse"}, ValueError, "needs a"),
        ({"layer_sizes": [2, 3, 1], "init": "nope"}, ValueError, "init"),
        ({"layer_sizes": [2, 3, 1], "init": "sparse"}, TypeError, r"init='sparse' cannot initialize layer 1"),
        ({"layer_sizes": [2, 3, 1], "init": ["he", "dirac"]}, ValueError, r"init\[1\]='dirac' cannot initialize"),
        ({"layer_sizes": [2, 3, 1], "dtype": np.int32}, TypeError, "dtype"),
        ({"layer_sizes": [2, 3, 1], "alpha": -1.0}, ValueError, "alpha"),
    ],
)
def test_bad_construction(kwargs, error, match):
    with pytest.raises(error, match=match):
        wi.MLP(**kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_one_nonfinite_value_anywhere_in_a_large_input_is_refused(dtype, bad, restore_threads):
    """The finiteness check reads the data in chunks (2^14 values), on several threads: a single
    bad value in the first, a middle or the last chunk, or in a chunk's scalar tail, is found."""
    rows, cols = 3, 300_001  # 900 003 values: 55 chunks, the last one short with a tail
    X = np.full((rows, cols), np.finfo(dtype).max, dtype)  # the largest finite values are fine
    X[1, ::2] = -np.finfo(dtype).tiny
    Y = np.zeros((1, cols), dtype)
    net = wi.MLP([rows, 2, 1], activations=["tanh", "sigmoid"], init="zeros", dtype=dtype)
    wi.set_num_threads(2)
    assert np.isfinite(net.cost(X, Y))
    for flat in (0, 2**14 - 1, 2**14 + 5, 2**18 + 5, rows * cols - 17, rows * cols - 1):
        Xb = X.copy()
        Xb.flat[flat] = bad
        with pytest.raises(ValueError, match="X must be finite"):
            net.cost(Xb, Y)


def test_a_last_update_that_overflows_the_parameters_is_reported():
    # Cost 5e11, but dW1 = dZ1 X^T = 1e6 * 1e306 overflows: the last step's update (no cost
    # is computed after it) turns W1 into -inf.
    net = wi.MLP([1, 1, 1], ["identity", "identity"], loss="mse")
    net.parameters = {"W1": [[1e-300]], "b1": [[0.0]], "W2": [[1.0]], "b2": [[0.0]]}
    X, Y = np.array([[1e306]]), np.array([[0.0]])
    start = net.parameters
    with pytest.raises(FloatingPointError, match="last update") as info:
        net.fit(X, Y, iterations=1, learning_rate=0.1)
    assert info.value.costs.tolist() == [pytest.approx(5e11)]
    net.parameters = start
    net.fit(X, Y, iterations=1, learning_rate=0.1, on_nonfinite="continue")
    assert net.parameters["W1"][0, 0] == -np.inf


def test_more_recorded_costs_than_an_array_holds_is_refused_by_name():
    X, Y = datasets.planar_flower(1)
    with pytest.raises(ValueError, match="iterations=.* with record_every=1 keeps"):
        wi.MLP([2, 3, 1]).fit(X, Y, iterations=2**62)
    with pytest.raises(ValueError, match="raise record_every"):
        wi.sweep(X, Y, [2, 3, 1], ["he"], [0, 1], 2**62, 1.0)


def test_more_recorded_costs_than_memory_holds_is_refused_by_name(monkeypatch):
    # fit(iterations=2**40) got NumPy's "Unable to allocate 8.00 TiB", naming neither argument.
    X, Y = datasets.planar_flower(1)
    monkeypatch.setattr(wi._args, "physical_memory", lambda: 10**8)
    with pytest.raises(MemoryError, match=r"iterations=20000000 with record_every=1 keeps 20000000 costs "
                                          r"\(160.0 MB\), more than the 100.0 MB.*raise record_every"):
        wi.MLP([2, 3, 1]).fit(X, Y, iterations=20_000_000)
    # nn_model has no record_every: its message names its own argument
    with pytest.raises(MemoryError, match=r"^nn_model\(num_iterations=20000000\) keeps 20000000 costs .*in parts"):
        wp.nn_model(X, Y, 4, num_iterations=20_000_000)


def test_float64_data_beyond_float32s_range_is_named_as_such():
    net = wi.MLP([2, 3, 1], activations=["tanh", "sigmoid"], init="normal", rng=0, dtype=np.float32)
    X = np.array([[1e39, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="X holds values beyond float32's range"):
        net.fit(X, np.zeros((1, 2)))
    with pytest.raises(ValueError, match="X must be finite"):
        net.fit(np.array([[np.inf, 0.0], [0.0, 1.0]]), np.zeros((1, 2)))


def test_layers_too_big_to_address_are_a_memory_error_before_any_allocation():
    # 2^33 * 2^31 weights wrap a 64-bit product to 0: the core zero-filled a 16 GB bias
    # gradient, and the process was killed for memory.
    with pytest.raises(MemoryError, match=r"layer_sizes: layer 1 \(8589934592 -> 2147483648\)"):
        wi.MLP([2**33, 2**31, 1])
    with pytest.raises(ValueError, match="more weights than can be addressed"):  # the core's own check
        core.mlp.Network([2**33, 2**31, 1], ["tanh", "sigmoid"], "binary_cross_entropy", 0.01, False)


def test_bad_data_and_arguments():
    net = wi.MLP([2, 3, 1], activations=["tanh", "sigmoid"], init="normal", rng=0)
    X = np.zeros((2, 5))
    Y = np.zeros((1, 5))
    with pytest.raises(ValueError, match="X must have 2 rows"):
        net.fit(np.zeros((3, 5)), Y)
    with pytest.raises(ValueError, match="Y must have 5 columns"):
        net.fit(X, np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"X must have 2 rows, got shape \(5, 2\); examples are columns, so pass X.T"):
        net.fit(X.T, Y)
    with pytest.raises(ValueError, match=r"Y must be 2-D, got shape \(5,\) \(one row per output"):
        net.fit(X, np.zeros(5))
    with pytest.raises(ValueError, match=r"X must be 2-D, got shape \(2,\) \(one example is a column: "
                                         r"X.reshape\(-1, 1\)\)"):
        net.predict(np.zeros(2))
    p = net.parameters
    p["b1"] = p["b1"].ravel()  # torch's layout
    with pytest.raises(ValueError, match=r"b1 must be 2-D, got shape \(\d+,\) \(a column: b1.reshape\(-1, 1\)"):
        net.parameters = p
    with pytest.raises(ValueError, match="X must be finite"):
        net.fit(np.full((2, 5), np.nan), Y)
    with pytest.raises(ValueError, match="labels 0 or 1"):
        net.fit(X, np.full((1, 5), 0.5))
    with pytest.raises(ValueError, match="labels 0 or 1"):  # one bad label among good ones
        net.fit(X, np.array([[0.0, 1.0, 1.0, -1.0, 0.0]]))
    with pytest.raises(ValueError, match="at least one example"):
        net.predict(np.zeros((2, 0)))
    with pytest.raises(ValueError, match="learning_rate"):
        net.fit(X, Y, learning_rate=-1)
    with pytest.raises(ValueError, match="batch_size"):
        net.fit(X, Y, batch_size=0)
    with pytest.raises(ValueError, match="record_every"):
        net.fit(X, Y, record_every=0)
    with pytest.raises(ValueError, match="on_nonfinite"):
        net.fit(X, Y, on_nonfinite="ignore")
    with pytest.raises(ValueError, match="W1 must have 3 rows"):
        net.parameters = {"W1": np.zeros((2, 2)), "b1": np.zeros((3, 1)), "W2": np.zeros((1, 3)), "b2": np.zeros((1, 1))}
    with pytest.raises(ValueError, match="keys"):
        net.parameters = {"W1": np.zeros((3, 2))}
    with pytest.raises(ValueError, match="b2 holds values beyond float32's range"):
        wi.MLP([2, 3, 1], dtype=np.float32).parameters = {
            "W1": np.zeros((3, 2)), "b1": np.zeros((3, 1)), "W2": np.zeros((1, 3)), "b2": np.full((1, 1), 1e300)}
    with pytest.raises(TypeError, match="progress must be a bool or a callable"):
        net.fit(X, Y, iterations=1, progress="yes")
    soft = wi.MLP([2, 3, 3], activations=["tanh", "softmax"], init="normal", rng=0)
    with pytest.raises(ValueError, match="one-hot"):
        soft.fit(X, np.ones((3, 5)))
    with pytest.raises(ValueError, match=r"one row per output \(softmax labels one-hot\), shape \(3, m\)"):
        soft.fit(X, np.zeros((1, 5)))
    with pytest.raises(ValueError, match="one-hot"):  # not "pass Y.T", though m = 3 outputs
        soft.fit(X[:, :3], np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"one row per feature"):
        wi.MLP([1, 2, 1]).fit(np.zeros(5), Y)
    with pytest.raises(ValueError, match="classification"):
        wi.MLP([2, 1], activations=["identity"], init="zeros").accuracy(X, Y)


def test_progress_reports_steps_and_costs(tmp_path, monkeypatch):
    X, Y = datasets.planar_flower(1)
    net = wi.MLP([2, 4, 1], activations=["tanh", "sigmoid"], init="normal", rng=2)
    terminal = io.StringIO()  # no file descriptor, as a notebook's stream: redrawn, as on a terminal
    monkeypatch.setattr(sys, "stderr", terminal)
    costs = net.fit(X, Y, iterations=100_000, learning_rate=0.5, record_every=1000, progress=True)
    err = terminal.getvalue()
    assert "\riteration " in err and "/100000" in err and "\n" not in err[:-1]  # one line, redrawn
    assert err.rstrip().endswith("iteration 100000/100000  done")
    assert costs.shape == (100,)
    terminal.truncate(0)
    terminal.seek(0)
    net.fit(X, Y, iterations=5, progress=True)  # too short for a periodic report: the first step and the end
    err = terminal.getvalue()
    assert err.startswith("\riteration 0/5  cost ") and err.strip().endswith("\riteration 5/5  done")
    # Into a file (a log; a pipe too): lines of their own, no "\r" (helper-146).
    with open(tmp_path / "log", "w") as log:
        monkeypatch.setattr(sys, "stderr", log)
        net.fit(X, Y, iterations=5, progress=True)
        # A fit stopped by a nan or inf cost ends "stopped", not "done", before its error.
        net = wi.MLP([2, 4, 1], activations=["relu", "sigmoid"], init="normal", rng=2)
        with pytest.raises(FloatingPointError, match="at iteration 1;"):
            net.fit(X, Y, iterations=5, learning_rate=1e300, progress=True)
        # So does one whose last update made the parameters inf (no cost after it to see it).
        net = wi.MLP([1, 1, 1], activations=["identity", "identity"], loss="mse")
        net.parameters = {"W1": [[2e-150]], "b1": [[0.0]], "W2": [[1e150]], "b2": [[0.0]]}
        with pytest.raises(FloatingPointError, match="the last update"):
            net.fit([[1.0]], [[1.0]], iterations=1, learning_rate=1e200, progress=True)
    lines = (tmp_path / "log").read_text().split("\n")
    assert "\r" not in "".join(lines) and lines[1:] == ["iteration 5/5  done", lines[2], "iteration 1/5  stopped",
                                                      "iteration 0/1  cost 0.5", "iteration 1/1  stopped", ""]
    assert lines[0].startswith("iteration 0/5  cost ") and lines[2].startswith("iteration 0/5  cost ")


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_progress_ends_its_line_when_a_fit_is_interrupted():
    """Ctrl-C (here a handler's KeyboardInterrupt) left progress=True's redrawn line open, so
    the traceback ran on after the last cost, and printed no "stopped" (helper-172). The
    alarm is set by the first cost written, not by a fixed time from the call: a slow build
    (ASan) was interrupted before its first report."""
    code = """
import io, signal, sys, tempfile, weightinit as wi
X, Y = wi.datasets.planar_flower(1)
net = wi.MLP([2, 4, 1], rng=0)
def alarm(signum, frame):
    raise KeyboardInterrupt
signal.signal(signal.SIGALRM, alarm)
def arm(text, state):
    if "cost" in text and not state:
        state.append(1)
        signal.setitimer(signal.ITIMER_REAL, 0.2)
class Terminal(io.StringIO):  # no file descriptor: redrawn, as on a terminal
    armed = []
    def write(self, text):
        arm(text, self.armed)
        return super().write(text)
class Log:  # a file: lines of their own
    armed = []
    def __init__(self):
        self.file = tempfile.TemporaryFile("w+")
    def fileno(self):
        return self.file.fileno()
    def write(self, text):
        arm(text, self.armed)
        return self.file.write(text)
    def flush(self):
        self.file.flush()
for err in (Terminal(), Log()):
    sys.stderr = err
    try:
        net.fit(X, Y, iterations=10**9, progress=True)
    except KeyboardInterrupt:
        pass
    sys.stderr = sys.__stderr__
    f = getattr(err, "file", err)
    f.seek(0)
    print(repr(f.read()))
"""
    terminal, log = (eval(line) for line in child_stdout(code).splitlines())
    last = re.fullmatch(r"(?s).*\r(iteration (\d+)/1000000000  cost [0-9.e-]+)\r(iteration (\d+)/1000000000  stopped *)\n",
                        terminal)
    assert last and last[2] == last[4], terminal[-300:]
    lines = log.split("\n")
    assert lines[-1] == "" and re.fullmatch(r"iteration \d+/1000000000  stopped", lines[-2]), log
    assert lines[-3].startswith("iteration 0/1000000000  cost "), log


def test_progress_callable_hears_steps_and_their_costs():
    X, Y = datasets.planar_flower(1)
    net = wi.MLP([2, 4, 1], activations=["tanh", "sigmoid"], init="normal", rng=2)
    # Steps for about 0.8 s of training: ~400 000 here, far fewer in a sanitizer's build (whose
    # steps took 32 s of CI's ThreadSanitizer leg when the count was fixed at 400 000).
    start = time.perf_counter()
    copy.deepcopy(net).fit(X, Y, iterations=4000, learning_rate=0.5)  # the same network's steps, net untouched
    iterations = int(np.clip(0.8 / ((time.perf_counter() - start) / 4000), 20_000, 400_000))
    heard = []
    start = time.perf_counter()
    costs = net.fit(X, Y, iterations=iterations, learning_rate=0.5,
                    progress=lambda step, cost: heard.append((step, cost)))
    took = time.perf_counter() - start
    # About every 0.05 s: the loop reads the clock every few hundred steps at most, not every
    # step (a read costs 2% of this network's step), so a report comes at most a few steps late.
    assert len(heard) >= min(took / 0.05 / 3, 4), (len(heard), took)
    steps = [step for step, _ in heard]
    assert steps == sorted(steps) and steps[0] == 0 and steps[-1] < iterations
    assert all(cost == costs[step] for step, cost in heard)  # the cost recorded for that step


@pytest.mark.parametrize("sizes, batch_size", [([2, 4, 1], None), ([2, 20, 20, 1], None), ([2, 4, 1], 50)])
def test_a_short_fit_reports_its_first_step(sizes, batch_size):
    """Shorter than the 0.05 s between reports, a fit still calls progress once, at step 0
    with its cost; a callable of the wrong signature fails then, not only in long fits."""
    X, Y = datasets.planar_flower(1)
    net = wi.MLP(sizes, rng=2)
    heard = []
    costs = net.fit(X, Y, iterations=3, batch_size=batch_size, progress=lambda step, cost: heard.append((step, cost)))
    assert heard[0] == (0, costs[0])  # (a stall of 0.05 s on a busy machine may add a second call)
    with pytest.raises(TypeError):
        net.fit(X, Y, iterations=1, batch_size=batch_size, progress=lambda: None)


def _diverged(loss="binary_cross_entropy", dtype=np.float64):
    """A network whose parameters became NaN (on_nonfinite="continue"), and its data."""
    X, Y = datasets.planar_flower(1)
    if loss == "softmax_cross_entropy":
        Y = np.vstack([Y, 1 - Y])
    net = wi.MLP([2, 4, Y.shape[0]], activations=["relu", "sigmoid" if Y.shape[0] == 1 else "softmax"],
                 init="he", rng=0, dtype=dtype)
    net.fit(X * 1e6, Y, iterations=3, learning_rate=1e308, on_nonfinite="continue")
    assert np.isnan(net.predict_proba(X)).any()
    return net, X, Y


@pytest.mark.parametrize("loss", ["binary_cross_entropy", "softmax_cross_entropy"])
def test_a_diverged_network_has_no_accuracy_and_no_labels(loss):
    net, X, Y = _diverged(loss)
    assert math.isnan(net.accuracy(X, Y))  # not the share of NaN > 0.5 that is False
    with pytest.raises(FloatingPointError, match="outputs are nan"):
        net.predict(X)
    r = wi.sweep(X * 1e6, Y, net.layer_sizes, ["he"], [0], 3, 1e308, activations=net.activations, loss=loss)
    assert r.diverged[0, 0] and math.isnan(r.train_accuracy[0, 0])


def test_predict_says_whether_the_parameters_or_the_values_are_not_finite():
    """helper-125: finite parameters whose forward pass overflows (relu rows of inf, then
    inf - inf) gave nan outputs, and predict said the parameters were not finite."""
    net = wi.MLP([1, 2, 1], activations=["relu", "sigmoid"], rng=0)
    net.parameters = {"W1": np.array([[1e308], [1e308]]), "b1": np.zeros((2, 1)), "W2": np.array([[1.0, -1.0]]),
                      "b2": np.zeros((1, 1))}
    X = np.array([[10.0, 1e-300]])
    with pytest.raises(FloatingPointError, match=r"overflow in the forward pass on these inputs \(its parameters "
                                                 r"are finite\)"):
        net.predict(X)
    assert net.predict(X[:, 1:]).tolist() == [[0]]  # 0.5 is not above 0.5
    diverged, X, _ = _diverged()
    with pytest.raises(FloatingPointError, match="its parameters are not finite"):
        diverged.predict(X)


def test_parameters_round_trip_after_divergence():
    net, X, Y = _diverged()
    p = net.parameters
    net.parameters = p  # the getter's NaNs go back in
    assert all(np.array_equal(p[k], v, equal_nan=True) for k, v in net.parameters.items())
    with pytest.raises(FloatingPointError, match="the parameters hold nan or inf .* so no step was taken") as info:
        net.fit(X, Y, iterations=2)
    # No update has been made: the learning rate is not to blame (it was advised before).
    assert "learning_rate" not in str(info.value)
    fresh = wi.MLP([2, 4, 1], rng=0)
    with pytest.raises(FloatingPointError, match=r"at iteration [1-9][0-9]*; .*lower learning_rate"):
        fresh.fit(X, Y, iterations=50, learning_rate=1e306)
    r = wi.sweep(X * 1e6, Y, [2, 4, 1], ["he"], [0], 3, 1e308, activations=["relu", "sigmoid"])
    assert r.diverged[0, 0] and not np.isfinite(r.network(0, 0).parameters["W1"]).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_networks_copy_and_pickle(dtype):
    X, Y = datasets.planar_flower(1)
    net = wi.MLP([2, 5, 1], activations=["tanh", "sigmoid"], init="he_normal", rng=3, dtype=dtype)
    net.fit(X, Y, iterations=20, learning_rate=0.5)
    # copy.copy too: a shallow copy shared the parameter arrays, so fitting it changed the
    # original (and two threads could fit the same arrays at once).
    for twin in (copy.copy(net), copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert repr(twin) == repr(net) and twin.dtype == net.dtype
        assert not any(np.shares_memory(p, q) for p in twin._params for q in net._params)
        assert all(np.array_equal(v, net.parameters[k]) for k, v in twin.parameters.items())
        assert np.array_equal(twin.predict_proba(X), net.predict_proba(X))
        # Each trains on its own: same start and generator state, same costs; the original is unchanged.
        before = net.parameters
        a = twin.fit(X, Y, iterations=30, learning_rate=0.5, batch_size=64)
        assert all(np.array_equal(v, before[k]) for k, v in net.parameters.items())
        b = copy.deepcopy(net).fit(X, Y, iterations=30, learning_rate=0.5, batch_size=64)
        assert np.array_equal(a, b)
    # The twin's arrays and generator are its own; a Generator copied with the network stays the
    # one the network draws from (deepcopy's memo), in the same state. (NumPy 2 copies its seed
    # sequence too, NumPy 1.x not: that is NumPy's.)
    g = np.random.default_rng(123)
    net2, g2 = copy.deepcopy((wi.MLP([2, 5, 1], rng=g, dtype=dtype), g))
    assert net2._rng is g2 and g2 is not g and g2.bit_generator.state == g.bit_generator.state
    other = wi.MLP([2, 5, 1], rng=np.random.Generator(np.random.SFC64(4)), dtype=dtype)
    twin = copy.deepcopy(other)
    assert not any(np.shares_memory(p, q) for p in twin._params for q in other._params)
    assert type(twin._rng.bit_generator) is np.random.SFC64 and twin._rng is not other._rng
    assert twin._rng.random() == other._rng.random()  # the same state, advancing apart
    pair = copy.deepcopy([other, other])
    assert pair[0] is pair[1] and pair[0] is not other  # memo: one copy for one network


@pytest.mark.parametrize("name, value", [("alpha", 0.9), ("activations", ("relu", "sigmoid")), ("dtype", np.float32),
                                         ("loss", "mse"), ("layer_sizes", (2, 3, 1))])
def test_the_architecture_cannot_be_changed_after_the_network_is_built(name, value):
    """net.alpha = 0.9 changed repr and every copy or pickle (they rebuild the core network
    from these attributes) but not the network itself, whose cost stayed alpha=0.01's
    (helper-179); dtype and loss gave misleading errors later. They are now read-only."""
    X, Y = datasets.planar_flower(1)
    net = wi.MLP([2, 4, 1], activations=["leaky_relu", "sigmoid"], rng=0)
    before = getattr(net, name)
    with pytest.raises(AttributeError, match=f"^{name} is fixed when the network is built: make a new MLP"):
        setattr(net, name, value)
    with pytest.raises(AttributeError, match=f"^{name} is fixed when the network is built"):
        delattr(net, name)
    assert getattr(net, name) == before and type(net.activations) is tuple and type(net.layer_sizes) is tuple
    assert pickle.loads(pickle.dumps(net)).cost(X, Y) == net.cost(X, Y)
    # An unbuilt network has none (AttributeError, not KeyError: hasattr works), and a pickle's
    # state from before fits were counted loads (helper-183).
    assert not hasattr(wi.MLP.__new__(wi.MLP), name)
    old = {k: v for k, v in net.__getstate__().items() if k != "_fitting"}
    twin = wi.MLP.__new__(wi.MLP)
    twin.__setstate__(old)
    assert repr(twin) == repr(net) and twin.cost(X, Y) == net.cost(X, Y)
    twin.parameters = twin.parameters


def test_a_network_keeps_its_own_copy_of_an_array_a_callable_init_holds():
    """A named initializer's fresh array is kept without a copy; a callable's is copied, as it
    may be held elsewhere (a global, a cache, an out=) or read-only."""
    held = {}

    def keeps(shape, rng=None, dtype=None):
        held[shape] = np.full(shape, 0.25, dtype)
        return held[shape]

    net = wi.MLP([2, 4, 1], init=keeps, rng=0)
    for a in held.values():
        a[...] = 7.0
    assert (net.parameters["W1"] == 0.25).all() and (net.parameters["W2"] == 0.25).all()
    out = np.zeros((4, 2))
    net = wi.MLP([2, 4, 1], init=[functools.partial(wi.he_normal, out=out), "he_normal"], rng=0)
    np.testing.assert_array_equal(net.parameters["W1"], out)
    assert not np.shares_memory(net._params[0], out)

    def read_only(shape, rng=None, dtype=None):
        a = np.full(shape, 0.5, dtype)
        a.flags.writeable = False
        return a

    X, Y = datasets.planar_flower(1)
    net = wi.MLP([2, 4, 1], init=read_only, rng=0)
    net.fit(X, Y, iterations=2)  # its own writeable copy ("W1 must be writeable" otherwise)
    assert not (net.parameters["W1"] == 0.5).all()


def test_softmax_targets_computed_in_float32_are_probabilities():
    gen = np.random.default_rng(0)
    z = gen.normal(size=(1000, 6)).astype(np.float32)
    P = np.exp(z - z.max(axis=0)) / np.exp(z - z.max(axis=0)).sum(axis=0)  # float32 sums off by ~1e-6
    X = gen.normal(size=(3, 6))
    for dtype in (np.float64, np.float32):
        net = wi.MLP([3, 1000], activations=["softmax"], init="zeros", dtype=dtype)
        assert net.cost(X, P) == pytest.approx(math.log(1000), rel=1e-5)
        with pytest.raises(ValueError, match="one-hot"):
            net.cost(X, P * np.float32(1.01))
    # 10 000 classes computed in float32 sum to 1 within 1.4e-6; handed over as float64 they
    # met float64's tolerance (1e-6) and were refused.
    z = gen.normal(size=(10000, 6)).astype(np.float32)
    P = np.exp(z - z.max(axis=0)) / np.exp(z - z.max(axis=0)).sum(axis=0)
    assert np.abs(P.astype(np.float64).sum(axis=0) - 1).max() > 1e-6
    net = wi.MLP([3, 10000], activations=["softmax"], init="zeros")
    assert net.cost(X, P.astype(np.float64)) == pytest.approx(math.log(10000), rel=1e-5)


def test_float16_softmax_targets_are_held_to_float16_rounding_not_to_the_class_count():
    """The tolerance grew as 4 n eps: float16's eps made it 1 at 256 classes, and columns of
    zeros, or summing to 2, trained to a cost of 0."""
    gen = np.random.default_rng(1)
    X = gen.normal(size=(3, 20))
    z = gen.normal(size=(256, 20)).astype(np.float32)
    P = (np.exp(z) / np.exp(z).sum(axis=0)).astype(np.float16)  # each value rounded: sums off by < eps/2
    net = wi.MLP([3, 256], activations=["softmax"], init="zeros")
    assert net.cost(X, P) == pytest.approx(math.log(256), rel=1e-3)
    twice = np.zeros((256, 20), np.float16)
    twice[:2] = 1
    for bad in (np.zeros((256, 20), np.float16), twice):
        with pytest.raises(ValueError, match="one-hot"):
            net.cost(X, bad)
    short = np.full((50, 20), 0.9 / 50, np.float16)  # columns summing to 0.9
    with pytest.raises(ValueError, match="one-hot"):
        wi.MLP([3, 50], activations=["softmax"], init="zeros").cost(X, short)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 4 n eps computed in float16 overflowed at 16384 classes
        wide = wi.MLP([3, 16384], activations=["softmax"], init="zeros")
        assert wide.cost(X[:, :4], np.full((16384, 4), 1 / 16384, np.float16)) == pytest.approx(math.log(16384))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_accuracy_is_the_fraction_of_right_predictions(dtype):
    # Counted here from predict_proba in NumPy: threshold 0.5 for sigmoid, first argmax
    # for softmax (the engine's rule, shared with the sweep).
    gen = np.random.default_rng(4)
    X = gen.normal(size=(3, 301)).astype(dtype)
    Y = (gen.random((2, 301)) < 0.5).astype(dtype)
    net = wi.MLP([3, 5, 2], activations=["tanh", "sigmoid"], init="normal", rng=1, dtype=dtype)
    A = net.predict_proba(X)
    assert net.accuracy(X, Y) == np.mean((A > 0.5) == (Y == 1))
    Y3 = np.eye(3, dtype=dtype)[:, gen.integers(0, 3, 301)]
    soft = wi.MLP([3, 5, 3], activations=["relu", "softmax"], loss="softmax_cross_entropy", init="normal",
                  rng=1, dtype=dtype)
    right = np.argmax(soft.predict_proba(X), axis=0) == np.argmax(Y3, axis=0)
    assert soft.accuracy(X, Y3) == right.mean()
    assert 0.0 < right.mean() < 1.0  # a non-trivial count, so a wrong rule shows


def test_huge_iteration_counts_are_refused_or_recorded_right():
    """(iterations + record_every - 1) wrapped past 2**64 in the core: a zero-length cost
    array, then a write past its end (a segfault in fit and sweep)."""
    X = np.random.default_rng(0).normal(size=(2, 4))
    Y = (X[:1] * X[1:] > 0).astype(float)
    net = wi.MLP([2, 2, 1], rng=0)
    costs = net.fit(X, Y, iterations=2, record_every=2**62)  # one record: step 0
    assert costs.shape == (1,) and np.isfinite(costs[0])
    for kw in ({"iterations": 2**64 - 2, "record_every": 3}, {"iterations": 2**70},
               {"iterations": 2, "record_every": 2**64 - 1}):
        name = "record_every" if kw.get("record_every", 1) > 2**62 else "iterations"
        with pytest.raises(ValueError, match=name):
            net.fit(X, Y, **kw)
        with pytest.raises(ValueError, match=name):
            wi.sweep(X, Y, [2, 3, 1], ["he"], 2, learning_rate=0.5, **{"iterations": 2, **kw})
    # A batch larger than the data is full-batch gradient descent, however large.
    a = wi.MLP([2, 2, 1], rng=0).fit(X, Y, iterations=3, batch_size=2**70)
    b = wi.MLP([2, 2, 1], rng=0).fit(X, Y, iterations=3)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("sizes, hidden, dtype", [
    ([2, 4, 1], ["tanh"], np.float64),  # the fused training step
    ([2, 4, 4, 1], ["tanh", "tanh"], np.float64),  # the layer-by-layer step
    ([2, 4, 1], ["tanh"], np.float32),
])
@pytest.mark.parametrize("margin", [20.0, 40.0, 160.0, 600.0])
def test_confident_binary_cost_keeps_its_relative_precision(sizes, hidden, dtype, margin):
    """Correct labels at |z| = margin cost log1p(e^-margin) ~ e^-margin per example. Taking
    -log(1 / (1 + e^-|z|)) instead floors it near 1e-16 (inv rounds to 1): the cost reads 0 for
    margins past ~37, and a log-scale cost curve ends in -inf."""
    gen = np.random.default_rng(5)
    m = 300
    X = gen.uniform(0.5, 1.0, (2, m)) * np.where(gen.random(m) < 0.5, -1.0, 1.0)
    Y = (X[:1] > 0).astype(np.float64)
    net = wi.MLP(sizes, activations=[*hidden, "sigmoid"], init="zeros", dtype=dtype)
    h = sizes[1]
    params = {"W1": np.tile([[50.0, 0.0]], (h, 1)), "b1": np.zeros((h, 1))}  # a1 = tanh(>= 25) = +-1 exactly
    if len(sizes) == 4:
        params.update(W2=np.eye(h) * 50.0, b2=np.zeros((h, 1)))
    L = len(sizes) - 1
    params.update({f"W{L}": np.full((1, h), margin / h), f"b{L}": np.zeros((1, 1))})
    net.parameters = params
    acts = [*hidden, "sigmoid"]
    expected = ref.cost(params, X, Y, acts, "binary_cross_entropy")
    assert expected == pytest.approx(math.log1p(math.exp(-margin)), rel=1e-14, abs=0)  # the construction holds
    rtol = 1e-12 if dtype == np.float64 else 1e-6  # z = margin exactly in float32 too
    assert net.cost(X, Y) == pytest.approx(expected, rel=rtol, abs=0)
    costs = net.fit(X, Y, iterations=1, learning_rate=1e-30)
    assert costs[0] == pytest.approx(expected, rel=rtol, abs=0)


@pytest.mark.parametrize("sizes, dtype", [([1, 3], np.float64), ([1, 2, 3], np.float64), ([1, 3], np.float32)])
@pytest.mark.parametrize("margin", [5.0, 30.0, 40.0, 160.0, 600.0])
def test_confident_softmax_cost_keeps_its_relative_precision(sizes, dtype, margin):
    """Logits (d, 0, 0) with label 0 cost logsumexp - d = log1p(2 e^-d). Taken as
    (d + log(1 + 2 e^-d)) - d, it lost the log whenever that was under half an ulp of d
    (helper-146): 0 from d ~ 37, and 1.8829e-13 for 1.8715e-13 at d = 30. The label on
    another class costs d + log1p(2 e^-d)."""
    net = wi.MLP(sizes, activations=["identity"] * (len(sizes) - 2) + ["softmax"], loss="softmax_cross_entropy",
                 init="zeros", dtype=dtype)
    params = {f"W{len(sizes) - 1}": np.array([[1.0], [0.0], [0.0]]), f"b{len(sizes) - 1}": np.zeros((3, 1))}
    if len(sizes) == 3:
        params.update(W1=np.array([[1.0], [-1.0]]), b1=np.zeros((2, 1)))
        params["W2"] = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    net.parameters = params
    X = np.array([[margin, margin / 2]])  # logits (d, 0, 0) and (d/2, 0, 0)
    acts = net.activations
    rtol = 1e-14 if dtype == np.float64 else 1e-6  # d and d/2 are exact in float32 too
    for k, cost in ((0, math.log1p(2 * math.exp(-margin)) + math.log1p(2 * math.exp(-margin / 2))),
                    (1, margin + math.log1p(2 * math.exp(-margin)) + margin / 2 + math.log1p(2 * math.exp(-margin / 2)))):
        Y = np.eye(3)[:, [k, k]]
        assert ref.cost(params, X, Y, acts, "softmax_cross_entropy") == pytest.approx(cost / 2, rel=1e-14, abs=0)
        assert net.cost(X, Y) == pytest.approx(cost / 2, rel=rtol, abs=0)
        assert net.fit(X, Y, iterations=1, learning_rate=1e-30)[0] == pytest.approx(cost / 2, rel=rtol, abs=0)


def test_arrays_that_crossed_a_pickle_are_taken():
    """An unpickled array (multiprocessing, joblib) or a copied dtype has a float64/float32
    descriptor object of its own: the core must take it as NumPy does."""
    X, Y = datasets.planar_flower(1)
    Xp, Yp = pickle.loads(pickle.dumps((X, Y)))
    net = wi.MLP([2, 5, 1], init="he_normal", rng=3)
    start = net.parameters
    assert np.array_equal(net.fit(Xp, Yp, iterations=3), (wi.MLP([2, 5, 1], init="he_normal", rng=3)).fit(X, Y, 3))
    net.parameters = pickle.loads(pickle.dumps(start))
    assert wi.sweep(Xp, Yp, [2, 3, 1], ["he"], 1, 3, 1.2).final_cost.shape == (1, 1)
    f32 = copy.deepcopy(np.dtype(np.float32))
    assert np.array_equal(wi.he_normal((4, 3), rng=1, dtype=f32), wi.he_normal((4, 3), rng=1, dtype=np.float32))
    assert wi.orthogonal((3, 3), rng=1, dtype=f32).dtype == np.float32
    for dtype in (np.float64, np.float32, np.float16):
        out = pickle.loads(pickle.dumps(np.empty(6, dtype)))
        assert np.array_equal(wi.random.normal(6, rng=1, out=out), wi.random.normal(6, rng=1, dtype=dtype))


@pytest.mark.parametrize("keras, ours", [("HeUniform", "he_uniform"), ("LecunUniform", "lecun_uniform"),
                                         ("GlorotUniform", "xavier_uniform"), ("VarianceScaling", "lecun_normal")])
def test_keras_names_initialize_layers_by_their_inputs(keras, ours):
    """A layer's W is (n_out, n_in): keras' names (whose default layout is keras' (in, out))
    must still read n_in as the fan in, in MLP, the sweep and the prototype."""
    a = wi.MLP([30, 7, 1], init=keras, rng=0).parameters
    b = wi.MLP([30, 7, 1], init=ours, rng=0).parameters
    for k in ("W1", "W2"):  # the same draws and scale (up to rounding: sqrt(2 * 3 / n) vs sqrt(2) sqrt(3 / n))
        np.testing.assert_allclose(a[k], b[k], rtol=1e-14, atol=0)
    p = wp.initialize_parameters(30, 7, 1, init=keras)
    np.testing.assert_allclose(p["W1"], wp.initialize_parameters(30, 7, 1, init=ours)["W1"], rtol=1e-14, atol=0)


def child_stdout(code, timeout=60):
    """Runs code in a child Python, so that a hang fails its test by the timeout instead of
    stalling the run; returns its stdout once it has exited with status 0. The child takes
    SIGINT as Python's KeyboardInterrupt even where pytest was started with it ignored (a
    CI job run in the background or under nohup passes that on: helper-166)."""
    code = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n" + code
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
@pytest.mark.parametrize("call", ["fit", "predict"])
def test_a_signal_handler_that_uses_the_network_it_interrupted_is_refused_not_left_waiting(call):
    """A signal handler runs where the core polls for Ctrl-C, inside the call and with the
    network's lock held: one that used the same network waited for that lock for ever
    (helper-151: the process hung). It is refused as a progress callback is. In a child
    process, so that a hang fails the test rather than stalling the run.

    Stop 49's CI saw the handler run outside the call (no output). The core polls 50 ms into
    the call at the soonest, so a pass that short on a CI machine's many threads ends first;
    here the pass, on one thread, is 3.4e10 flops (0.7 s here, more than 0.2 s on any core).
    And a child descheduled between arming the timer and taking the lock runs the handler
    before the call: it is armed again, up to 20 times."""
    code = f"""
import signal, numpy as np, weightinit as wi
wi.set_num_threads(1)
net = wi.MLP([8, 1024, 1024, 1], rng=0)
X = np.random.default_rng(0).standard_normal((8, 16000))
Y = np.zeros((1, 16000))
outside = []
def handler(signum, frame):
    net.predict(X[:, :5])
    outside.append(1)  # reached only where the handler ran outside the call
signal.signal(signal.SIGALRM, handler)
for _ in range(20):
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    try:
        if {call!r} == "fit":
            net.fit(X, Y, iterations=10**9, learning_rate=1e-9)
        else:
            net.predict(X)
    except RuntimeError as exc:
        print("refused:", exc)
        break
    signal.setitimer(signal.ITIMER_REAL, 0)
else:
    print("the handler ran outside the call", len(outside), "times")
"""
    out = child_stdout(code)
    assert out.startswith("refused: this network is in use by a call"), out


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_another_thread_waits_for_a_network_whose_signal_handler_is_running():
    """Only the thread whose call holds the network's lock is refused: another thread that
    uses the network while a slow handler runs (here one that sleeps, letting go of the GIL)
    waits for the lock and gets its answer (helper-152: it was refused)."""
    code = """
import signal, threading, time, numpy as np, weightinit as wi
wi.set_num_threads(1)  # a pass long enough for the core's polls, as above
net = wi.MLP([8, 1024, 1024, 1], rng=0)
X = np.random.default_rng(0).standard_normal((8, 16000))
Y = np.zeros((1, 16000))
started, answers = threading.Event(), []
def handler(signum, frame):
    started.set()
    time.sleep(0.2)
def other():
    started.wait()
    answers.append(net.cost(X[:, :5], Y[:, :5]))
thread = threading.Thread(target=other)
thread.start()
signal.signal(signal.SIGALRM, handler)
signal.setitimer(signal.ITIMER_REAL, 0.01)
net.cost(X, Y)
thread.join()
print("answered" if len(answers) == 1 and answers[0] > 0 else answers)
"""
    out = child_stdout(code)
    assert out.strip() == "answered", out


@pytest.mark.parametrize("call", ["cost", "fit"])
def test_ctrl_c_reaches_a_thread_waiting_for_a_network_another_thread_fits(call):
    """The main thread's call waits for the network's lock while another thread fits it: the
    wait polled nothing, so Ctrl-C came only when that fit ended (helper-157: a long fit, a
    dead Ctrl-C). The other fit here ends after 8 s, or when the main thread is interrupted."""
    code = f"""
import os, signal, threading, time, numpy as np, weightinit as wi
X, Y = wi.datasets.planar_flower(1)
net = wi.MLP([2, 32, 32, 1], rng=1)
started, stop = threading.Event(), threading.Event()
def progress(step, cost):
    started.set()
    if stop.is_set():
        raise RuntimeError("stopped")
def fit():
    try:
        net.fit(X, Y, iterations=10**8, progress=progress)
    except RuntimeError:
        pass
thread = threading.Thread(target=fit)
thread.start()
started.wait(30)
ending = threading.Timer(8.0, stop.set)
ending.start()
threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
t0 = time.monotonic()
try:
    net.cost(X, Y) if {call!r} == "cost" else net.fit(X, Y, iterations=5)
    print("not interrupted", time.monotonic() - t0)
except KeyboardInterrupt as exc:
    # fit's error carries the costs recorded, none here (helper-158: it carried no costs)
    costs = getattr(exc, "costs", None)
    print("interrupted" if {call!r} == "cost" or (costs is not None and len(costs) == 0) else "no-costs",
          time.monotonic() - t0)
stop.set()
ending.cancel()
thread.join()
net.cost(X, Y)  # the lock is free again
"""
    out = child_stdout(code)
    what, seconds = out.split()
    assert what == "interrupted" and float(seconds) < 4.0, out


def test_progress_callbacks_that_wait_for_each_others_networks_are_refused_not_left_waiting():
    """Thread 1 fits A, its callback scores B; thread 2 fits B, its callback scores A: each
    callback runs with its own fit holding its network's lock, so the two waited for each
    other for ever (helper-157: 3 hangs in 3). The wait that would close the cycle is refused;
    the other callback then gets its answer. In a child process, so that a hang fails."""
    code = """
import threading, numpy as np, weightinit as wi
X, Y = wi.datasets.planar_flower(1)
A, B = wi.MLP([2, 32, 32, 1], rng=1), wi.MLP([2, 32, 32, 1], rng=2)
errors = []
def run(me, other):
    try:
        me.fit(X, Y, iterations=3000, progress=lambda step, cost: other.cost(X, Y))
    except RuntimeError as exc:
        errors.append(str(exc))
threads = [threading.Thread(target=run, args=(A, B)), threading.Thread(target=run, args=(B, A))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(errors), all(e.startswith("waiting for this network would never end") for e in errors))
"""
    out = child_stdout(code, timeout=120)
    refused, expected = out.split()
    assert int(refused) <= 1 and expected == "True", out


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_a_handler_that_took_another_network_during_a_wait_is_not_read_as_waiting():
    """The main thread waits for C (fitted by T1); a signal handler run by that wait fits D
    for 1 s. T1's callback then scores D: its wait ends with the handler's fit, and was
    refused as a cycle (the main thread listed as waiting for C; helper-158)."""
    code = """
import signal, threading, time, weightinit as wi
X, Y = wi.datasets.planar_flower(1)
C, D = wi.MLP([2, 32, 32, 1], rng=1), wi.MLP([2, 32, 32, 1], rng=2)
started, in_handler_fit, outcome = threading.Event(), threading.Event(), []
def t1_progress(step, cost):
    started.set()
    if step == 0:
        in_handler_fit.wait(20)
        try:
            D.cost(X, Y)
            outcome.append("scored")
        except RuntimeError as exc:
            outcome.append("refused")
        raise KeyboardInterrupt
def t1():
    try:
        C.fit(X, Y, iterations=10**8, progress=t1_progress)
    except KeyboardInterrupt:
        pass
def d_progress(step, cost):
    in_handler_fit.set()
    if step == 0:
        time.sleep(1.0)
        raise StopIteration
def handler(signum, frame):
    try:
        D.fit(X, Y, iterations=10**8, progress=d_progress)
    except StopIteration:
        pass
signal.signal(signal.SIGALRM, handler)
thread = threading.Thread(target=t1)
thread.start()
started.wait(20)
signal.setitimer(signal.ITIMER_REAL, 0.3)
C.cost(X, Y)
thread.join()
print(*outcome)
"""
    out = child_stdout(code)
    assert out.strip() == "scored", out


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_a_cycle_through_a_handlers_second_wait_is_refused():
    """The main thread fits C; its callback waits for A (fitted by T1), and a handler run by
    that wait waits for B (fitted by T2), whose callback then scores C: the main thread waits
    at two depths, and only the inner wait closes the cycle. The first version followed the
    outer one alone, and the three hung (helper-158)."""
    code = """
import os, signal, threading, time, weightinit as wi
X, Y = wi.datasets.planar_flower(1)
A, B, C = (wi.MLP([2, 32, 32, 1], rng=i) for i in (1, 2, 3))
a_started, b_started, go_t2, release_a = (threading.Event() for _ in range(4))
outcome = []
def a_progress(step, cost):
    a_started.set()
    if step == 0:
        release_a.wait(3)
        raise KeyboardInterrupt
def b_progress(step, cost):
    b_started.set()
    if step == 0:
        go_t2.wait(20)
        try:
            C.cost(X, Y)
            outcome.append("T2 scored C")
        except RuntimeError as exc:
            outcome.append("T2 refused" if str(exc).startswith("waiting for this network would never end") else str(exc))
        raise KeyboardInterrupt
def fit(net, progress):
    try:
        net.fit(X, Y, iterations=10**8, progress=progress)
    except KeyboardInterrupt:
        pass
def handler(signum, frame):
    threading.Timer(0.3, go_t2.set).start()
    B.cost(X, Y)
def c_progress(step, cost):
    if step == 0:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        A.cost(X, Y)
        raise KeyboardInterrupt
signal.signal(signal.SIGALRM, handler)
t1 = threading.Thread(target=fit, args=(A, a_progress))
t2 = threading.Thread(target=fit, args=(B, b_progress))
t1.start()
t2.start()
a_started.wait(20)
b_started.wait(20)
fit(C, c_progress)
t1.join()
t2.join()
print(*outcome)
"""
    out = child_stdout(code)
    assert out.strip() == "T2 refused", out


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_is_told_a_parent_thread_held_its_network():
    """A thread fits net while the main thread forks: in the child the network's lock stays
    held by a thread the child does not have, and a call on it waited for ever (helper-157:
    10 hangs in 10). It is refused; a network the child builds works."""
    code = """
import os, threading, time, numpy as np, weightinit as wi
X, Y = wi.datasets.planar_flower(1)
net = wi.MLP([2, 32, 32, 1], rng=1)
started, stop = threading.Event(), threading.Event()
def progress(step, cost):
    started.set()
    if stop.is_set():
        raise KeyboardInterrupt
def fit():
    try:
        net.fit(X, Y, iterations=10**8, progress=progress)
    except KeyboardInterrupt:
        pass
thread = threading.Thread(target=fit)
thread.start()
started.wait(30)
pid = os.fork()
if pid == 0:
    code = 3
    try:
        wi.MLP([2, 4, 1], rng=0).fit(X, Y, iterations=100)
        net.predict(X)
    except RuntimeError as exc:
        code = 5 if "when the process forked" in str(exc) else 4
    os._exit(code)
deadline = time.monotonic() + 20
while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
    time.sleep(0.05)
if done[0] == 0:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
stop.set()
thread.join()
print("hang" if done[0] == 0 else os.waitstatus_to_exitcode(done[1]))
"""
    out = child_stdout(code, timeout=120)
    assert out.strip() == "5", out


def test_parameters_set_as_a_fit_starts_are_refused_not_lost(monkeypatch):
    """The setter checked that no fit was training, then assigned; a fit read the parameters
    before the core marked it training. A setter between the two (another thread) replaced
    the arrays the fit went on to train: the fit returned normally and its training was lost
    (helper-179: 6 in 27 000 fits at a 1 us switch interval). Here the setter runs in that
    window, as the fit draws its shuffle key, after it read the parameters."""
    from weightinit import mlp as mlp_module

    X, Y = datasets.planar_flower(1)
    net = wi.MLP([2, 4, 1], rng=2)
    start = net.parameters
    seen = []
    key = mlp_module._random._key

    def key_then_set(source):
        try:
            net.parameters = start
            seen.append("set")
        except RuntimeError as exc:
            seen.append(str(exc))
        return key(source)

    monkeypatch.setattr(mlp_module._random, "_key", key_then_set)
    net.fit(X, Y, iterations=50, learning_rate=0.5)
    assert seen == ["this network is training (a fit is running on it): its parameters cannot be set until the "
                    "fit returns"]
    assert not np.array_equal(net.parameters["W1"], start["W1"])  # the fit's training is the network's
    monkeypatch.undo()
    net.parameters = start  # and after the fit, as before
    assert np.array_equal(net.parameters["W1"], start["W1"])


def test_a_progress_callback_cannot_use_its_own_network_but_a_copy():
    """The callback runs mid-step with the network's lock held: a call back into it would
    wait for ever. It is refused at once; a copy scores the parameters of the moment."""
    X, Y = datasets.planar_flower(1)
    net = wi.MLP([2, 4, 1], rng=2)

    def uses_itself(step, cost):
        net.cost(X, Y)

    with pytest.raises(RuntimeError, match="progress callback or signal handler is running: that code"):
        net.fit(X, Y, iterations=10_000_000, learning_rate=0.5, progress=uses_itself)

    def sets_its_parameters(step, cost):  # the trained arrays would be swapped out and lost
        net.parameters = net.parameters

    with pytest.raises(RuntimeError, match="its parameters cannot be set until the fit returns"):
        net.fit(X, Y, iterations=10_000_000, learning_rate=0.5, progress=sets_its_parameters)
    scored = []

    def uses_a_copy(step, cost):
        twin = copy.deepcopy(net)
        twin.parameters = twin.parameters  # the copy is not training
        scored.append(twin.cost(X, Y))
        raise StopIteration

    with pytest.raises(StopIteration):
        net.fit(X, Y, iterations=10_000_000, learning_rate=0.5, progress=uses_a_copy)
    assert len(scored) == 1 and math.isfinite(scored[0])
    net.cost(X, Y)  # usable again afterwards
    for quiet in (None, 0, False):
        assert net.fit(X, Y, iterations=2, progress=quiet).shape == (2,)


def test_unaligned_arrays_are_copied_or_refused():
    X, Y = datasets.planar_flower(1)
    view = np.frombuffer(bytearray(X.size * 8 + 1), np.float64, count=X.size, offset=1).reshape(X.shape)
    view[...] = X
    assert not view.flags.aligned
    a, b = wi.MLP([2, 3, 1], rng=0), wi.MLP([2, 3, 1], rng=0)
    assert np.array_equal(a.fit(view, Y, iterations=3), b.fit(X, Y, iterations=3))
    out = np.frombuffer(bytearray(8 * 6 + 1), np.float64, count=6, offset=1)
    with pytest.raises(ValueError, match="out must be aligned"):
        wi.random.normal(6, rng=1, out=out)


def test_parameters_beyond_float32_are_refused_beside_a_nan():
    W1 = np.zeros((3, 2))
    W1[0] = [np.nan, 1e300]
    with pytest.raises(ValueError, match="W1 holds values beyond float32's range"):
        wi.MLP([2, 3, 1], dtype=np.float32).parameters = {"W1": W1, "b1": np.zeros((3, 1)), "W2": np.zeros((1, 3)),
                                                          "b2": np.zeros((1, 1))}


def test_a_slow_progress_callback_is_not_called_after_every_step():
    """The 0.05 s between calls count from the callback's return: a callback slower than that
    was called after nearly every step (0.06 s each: 145 calls for 200 steps). The training's
    own time is measured in the same run (outside the callback), so a busy host slows both;
    steps are short, so calling after each would be many calls for little training."""
    gen = np.random.default_rng(0)
    X, Y = gen.normal(size=(2, 2000)), (gen.random((1, 2000)) < 0.5).astype(float)
    net = wi.MLP([2, 16, 1], activations=["tanh", "sigmoid"], rng=1)  # ~0.1 ms a step
    calls, inside = [], [0.0]

    def slow(step, cost):
        calls.append(step)
        if len(calls) <= 40:  # the old behaviour would sleep 200 times
            t = time.perf_counter()
            time.sleep(0.06)
            inside[0] += time.perf_counter() - t

    start = time.perf_counter()
    net.fit(X, Y, iterations=2000, learning_rate=0.1, progress=slow)
    training = time.perf_counter() - start - inside[0]
    assert len(calls) <= 3 + 2 * training / 0.05, (len(calls), training)


def test_the_count_of_running_fits_survives_threads_switching_anywhere():
    """The setter's guard counts fits in the core, with the GIL held: Python-level counting
    (read, add, write) lost updates when threads switched in between."""
    import sys
    import threading

    X, Y = datasets.planar_flower(1)
    net = wi.MLP([2, 2, 1], rng=0)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        workers = [threading.Thread(target=lambda: [net.fit(X, Y, iterations=1) for _ in range(100)])
                   for _ in range(6)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        sys.setswitchinterval(old)
    assert not net._net.training
    net.parameters = net.parameters  # not refused: no fit is running


def test_a_fit_judges_its_own_last_update_not_another_threads():
    """fit's check that its last update left the parameters finite is made by the engine
    while it holds the network. Made in Python after the engine let go, it read whatever
    another thread's fit of the same network had written since (helper-109, ThreadSanitizer):
    here thread B's updates overflow, and thread A, whose 30 small steps stay finite, raised
    "the last update (iteration 29) made the parameters nan or inf" in ~22% of 300 trials.
    A fit that B ran before is refused before its first step (B's parameters), rightly."""
    import sys
    import threading

    X, Y = datasets.planar_flower(1)
    Y = Y.astype(float)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    errors = []
    try:
        for trial in range(300):
            net = wi.MLP([2, 4, 1], activations=["tanh", "identity"], loss="mse", rng=trial)

            def a(net=net):
                try:
                    net.fit(X, Y, iterations=30, learning_rate=0.1)
                except FloatingPointError as e:
                    errors.append(str(e))

            def b(net=net):
                net.fit(X, Y * 1e300, iterations=2, learning_rate=1e10, on_nonfinite="continue")

            threads = [threading.Thread(target=a), threading.Thread(target=b)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        sys.setswitchinterval(old)
    start = ("at iteration 0", "so no step was taken")  # the cost of B's parameters, or the parameters
    assert all(any(s in e for s in start) for e in errors), [e for e in errors if not any(s in e for s in start)][:1]


def test_the_last_update_that_overflows_is_reported():
    """The same check, alone: a step that overflows the parameters with a finite cost before
    it (the last of the fit) is reported, and on_nonfinite="continue" keeps the result."""
    X = np.ones((1, 4))
    Y = np.full((1, 4), 1e150)  # a cost near 1e300, finite; a gradient near 1e150
    net = wi.MLP([1, 1], activations=["identity"], loss="mse", rng=0)
    with pytest.raises(FloatingPointError, match="the last update \\(iteration 0\\) made the parameters nan or inf"):
        net.fit(X, Y, iterations=1, learning_rate=1e300)
    net = wi.MLP([1, 1], activations=["identity"], loss="mse", rng=0)
    net.fit(X, Y, iterations=1, learning_rate=1e300, on_nonfinite="continue")
    assert not np.all(np.isfinite(net.parameters["W1"]))


def test_layers_of_one_shape_get_their_own_weights_from_an_int_seed():
    # The int seeds one Generator for the whole network: each layer takes the next key, so two
    # 4x4 layers differ (drawing each with the int itself would give both the same weights).
    p = wi.MLP([4, 4, 4, 1], ["tanh", "tanh", "sigmoid"], init="normal", rng=3).parameters
    assert not np.array_equal(p["W1"], p["W2"])
    assert np.array_equal(p["W1"], wi.MLP([4, 4, 4, 1], ["tanh", "tanh", "sigmoid"], init="normal",
                                          rng=3).parameters["W1"])


def test_layer_weights_read_fans_in_the_articles_layout():
    # W1 is (n_out, n_in) = (7, 30): fan_in 30, so the bound is sqrt(3 / 30); with the axes
    # swapped it would read fan_in 7 and reach sqrt(3 / 7).
    W1 = wi.MLP([30, 7, 1], init="lecun_uniform", rng=0).parameters["W1"]
    np.testing.assert_array_equal(W1, wi.lecun_uniform((7, 30), rng=np.random.default_rng(0)))
    assert np.abs(W1).max() <= math.sqrt(3 / 30) < 1.5 * np.abs(W1).max()


# ---- the core's own guards: a fuzz of weightinit._core called directly ----


def _core_problem():
    net = core.mlp.Network([2, 3, 1], ["tanh", "sigmoid"], "binary_cross_entropy", 0.01, False)
    gen = np.random.default_rng(0)
    params = [gen.normal(size=(3, 2)), np.zeros((3, 1)), gen.normal(size=(1, 3)), np.zeros((1, 1))]
    X, Y = gen.normal(size=(2, 50)), (gen.random((1, 50)) < 0.5).astype(float)
    return net, params, X, Y


def test_core_refuses_parameters_that_are_not_arrays():
    """A list was converted to a temporary array whose pointer outlived it: train aborted
    ("malloc(): unaligned tcache chunk"), forward read freed memory (outputs off by 4e-4)."""
    net, params, X, Y = _core_problem()
    with pytest.raises(TypeError, match="W1 must be a numpy.ndarray, got list"):
        net.forward([params[0].tolist(), *params[1:]], X, False, 1)
    with pytest.raises(TypeError, match="b2 must be a numpy.ndarray"):
        net.train([*params[:3], [[0.0]]], X, Y, 5, 0.1, 0, 1, True, [1, 2], 1, None)
    stacked = [p[None] for p in params]
    run = functools.partial(core.sweep.run, [2, 3, 1], ["tanh", "sigmoid"], "binary_cross_entropy", 0.01, False)
    args = dict(iterations=5, learning_rate=0.1, record_every=1, nthreads=1, progress=None)
    out = run(stacked[0::2], stacked[1::2], X, Y, X, Y, **args)
    assert np.isfinite(out["final_cost"]).all()
    with pytest.raises(TypeError, match="W1 must be a numpy.ndarray"):
        run([stacked[0].tolist(), stacked[2]], stacked[1::2], X, Y, None, None, **args)
    with pytest.raises(ValueError, match="W1 must be 3-D"):
        run([np.array(1.0), stacked[2]], stacked[1::2], X, Y, None, None, **args)
    with pytest.raises(TypeError, match="X_test must be a numpy.ndarray"):
        run(stacked[0::2], stacked[1::2], X, Y, X.tolist(), Y, **args)
    with pytest.raises(TypeError, match="Y_test must be a numpy.ndarray, got NoneType"):
        run(stacked[0::2], stacked[1::2], X, Y, X, None, **args)
    # Mini-batches (X holds 50 examples) need one shuffle key per run: the core's own check.
    two = [np.concatenate([p, p]) for p in stacked]
    for keys in ([], [[1, 2]], [[1, 2]] * 3):
        with pytest.raises(ValueError, match=f"one shuffle key per run: 2 runs, {len(keys)} keys"):
            run(two[0::2], two[1::2], X, Y, None, None, **args, batch_size=10, shuffle_keys=keys)
    for batch in (0, 50):  # full batches take no keys
        assert np.isfinite(run(two[0::2], two[1::2], X, Y, None, None, **args, batch_size=batch)["final_cost"]).all()
    out = run(two[0::2], two[1::2], X, Y, None, None, **args, batch_size=10, shuffle_keys=[[1, 2], [3, 4]])
    assert np.isfinite(out["costs"]).all() and not np.array_equal(out["costs"][0], out["costs"][1])


def test_core_refuses_arrays_of_the_wrong_shape_naming_them():
    """Both bindings check every array's shape against the network's, and say which array and
    what shape it needs; a column (b, or Y of one example) may also come as a 1-D array."""
    net, params, X, Y = _core_problem()
    with pytest.raises(ValueError, match=r"W2 must have shape \(1, 3\)"):
        net.forward([*params[:2], params[2].T, params[3]], X, False, 1)
    with pytest.raises(ValueError, match=r"Y must have shape \(1, 50\)"):
        net.train(params, X, Y[:, :49], 5, 0.1, 0, 1, True, [1, 2], 1, None)
    flat_b = [params[0], params[1].ravel(), params[2], params[3]]
    np.testing.assert_array_equal(net.forward(flat_b, X, False, 1)[0], net.forward(params, X, False, 1)[0])
    stacked = [p[None] for p in params]
    run = functools.partial(core.sweep.run, [2, 3, 1], ["tanh", "sigmoid"], "binary_cross_entropy", 0.01, False,
                            iterations=5, learning_rate=0.1, record_every=1, nthreads=1, progress=None)
    with pytest.raises(ValueError, match=r"b1 must have shape \(1, 3, 1\)"):
        run(stacked[0::2], [stacked[1][0], stacked[3]], X, Y, None, None)
    with pytest.raises(ValueError, match=r"X_test must have shape \(2, 50\)"):
        run(stacked[0::2], stacked[1::2], X, Y, X[:1], Y)


def test_core_holds_the_arrays_of_a_call_whose_list_is_emptied():
    """The bindings kept raw pointers into the listed arrays: a progress callback (or another
    thread, the GIL released) that emptied the list freed them mid-call, and the core wrote
    into freed memory (a segfault, or other arrays changed)."""
    net, params, X, Y = _core_problem()
    refs = [weakref.ref(p) for p in params]
    seen = []

    def empty_the_list(*_):
        if not seen:
            params.clear()
            gc.collect()
            seen.append([r() is not None for r in refs])

    net.train(params, X, Y, 3, 0.1, 0, 1, True, [1, 2], 1, empty_the_list)
    assert seen == [[True] * 4]
    gc.collect()
    assert [r() for r in refs] == [None] * 4  # and let go after
    _, start, X, Y = _core_problem()
    W, b = [np.stack([p] * 3) for p in start[0::2]], [np.stack([p] * 3) for p in start[1::2]]  # copies
    refs, seen = [weakref.ref(a) for a in W + b], []

    def empty_the_lists(*_):
        if not seen:
            W.clear()
            b.clear()
            gc.collect()
            seen.append([r() is not None for r in refs])

    core.sweep.run([2, 3, 1], ["tanh", "sigmoid"], "binary_cross_entropy", 0.01, False, W, b, X, Y, None, None,
                   iterations=50, learning_rate=0.1, record_every=1, nthreads=1, progress=empty_the_lists)
    assert seen == [[True] * 4]


def test_core_refuses_outputs_that_overlap_its_inputs():
    """A W that was a view of X was trained while X changed under it (another cost at the
    first step); read-only arrays may share memory (an autoencoder's Y is its X)."""
    net, params, X, Y = _core_problem()
    buf = np.zeros(200)
    X_in = buf[:100].reshape(2, 50)
    X_in[...] = X
    W1 = buf[96:102].reshape(3, 2)  # the last 4 values of X
    with pytest.raises(ValueError, match="W1 must not overlap X"):
        net.train([W1, *params[1:]], X_in, Y, 5, 0.1, 0, 1, True, [1, 2], 1, None)
    assert not buf[100:].any()  # refused before any work
    with pytest.raises(ValueError, match="b1 must not overlap W1|W1 must not overlap b1"):
        net.train([params[0], params[0].reshape(-1)[:3].reshape(3, 1), *params[2:]], X, Y, 5, 0.1, 0, 1, True,
                  [1, 2], 1, None)
    with pytest.raises(ValueError, match="W2 must not overlap Y"):
        net.train([*params[:2], np.ascontiguousarray(Y[:, :3]), params[3]], X, Y, 5, 0.1, 0, 1, True, [1, 2], 1,
                  None)
    # a network that passed the check keeps what it checked (a training loop's calls skip the
    # sort): the same buffers pass again, others are checked whole
    good = [p.copy() for p in params]
    for _ in range(2):
        net.train(good, X, Y, 1, 0.1, 0, 1, True, [1, 2], 1, None)
    W1[...] = good[0]
    with pytest.raises(ValueError, match="W1 must not overlap X"):
        net.train([W1, *good[1:]], X_in, Y, 1, 0.1, 0, 1, True, [1, 2], 1, None)
    Y_view = np.concatenate([Y, Y]).reshape(2, 50)[:1]  # shares nothing written
    costs, _ = net.train([p.copy() for p in params], X, Y_view, 5, 0.1, 0, 1, True, [1, 2], 1, None)
    assert np.isfinite(costs).all()
    stacked = [p[None] for p in params]
    run = functools.partial(core.sweep.run, [2, 3, 1], ["tanh", "sigmoid"], "binary_cross_entropy", 0.01, False,
                            iterations=5, learning_rate=0.1, record_every=1, nthreads=1, progress=None)
    with pytest.raises(ValueError, match="W1 must not overlap X"):
        run([W1[None], stacked[2]], stacked[1::2], X_in, Y, None, None)
    with pytest.raises(ValueError, match="W1 must not overlap X_test"):
        run([W1[None], stacked[2]], stacked[1::2], X, Y, X_in, Y)
    buf = np.random.default_rng(0).random(24)
    with pytest.raises(ValueError, match="a must not overlap order"):
        core.random.zero_smallest(buf[8:].reshape(4, 4), buf[:16].reshape(4, 4), 1, 1)


def test_an_autoencoder_reads_its_x_as_its_y():
    X = np.random.default_rng(0).normal(size=(3, 40))
    a = wi.MLP([3, 2, 3], activations=["tanh", "identity"], loss="mse", rng=1)
    b = copy.deepcopy(a)
    np.testing.assert_array_equal(a.fit(X, X, iterations=20, learning_rate=0.1),
                                  b.fit(X, X.copy(), iterations=20, learning_rate=0.1))


def test_core_refuses_more_steps_than_its_limit():
    """iterations = 2^64 - 1 said "negative dimensions are not allowed" (the records' array),
    2^40 a MemoryError for 8 TiB naming neither."""
    from weightinit import _args

    assert core.mlp.max_steps == _args.MAX_STEPS == 2**62
    net, params, X, Y = _core_problem()
    stacked = [p[None] for p in params]
    for n in (2**64 - 1, 2**62 + 1):
        with pytest.raises(ValueError, match=r"iterations must be at most 2\^62"):
            net.train(params, X, Y, n, 0.1, 0, 1, True, [1, 2], 1, None)
        with pytest.raises(ValueError, match=r"iterations must be at most 2\^62"):
            core.sweep.run([2, 3, 1], ["tanh", "sigmoid"], "binary_cross_entropy", 0.01, False, stacked[0::2],
                           stacked[1::2], X, Y, None, None, iterations=n, learning_rate=0.1, record_every=2**62,
                           nthreads=1, progress=None)


def test_core_accuracy_refuses_what_it_cannot_read():
    with pytest.raises(TypeError, match="A and Y must hold real numbers"):  # was a segfault
        core.mlp.accuracy("binary_cross_entropy", np.array([["a", "b"]]), np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError, match="output unit"):  # was 1.0
        core.mlp.accuracy("softmax_cross_entropy", np.zeros((0, 3)), np.zeros((0, 3)))


def test_core_train_leaves_no_garbage_after_a_stop():
    """Costs past report["recorded"] were uninitialized (1.7e190 and the like)."""
    net, params, X, Y = _core_problem()
    costs, report = net.train(params, X, Y * 1e3, 10, 1e308, 0, 1, True, [1, 2], 1, None)
    assert report["recorded"] < 10
    assert np.isnan(costs[report["recorded"]:]).all()


def test_core_set_fp_control_ignores_reserved_bits(aarch64):
    """MXCSR bits above 15 are reserved: setting them faulted (SIGSEGV) at the next job."""
    # aarch64: every FPCR bit but the trap enables (which set_fp_control refuses).
    everything, limit = (0xFFFFFFFF & ~0x9F00, 0x07C89F00) if aarch64 else (0xFFFFFFFF, 0xFFFF)
    code = ("from weightinit._coreload import core; import numpy as np; saved = core.fp_control(); "
            f"core.set_fp_control({everything}); assert core.fp_control() <= {limit}; "
            "o = np.zeros(1 << 20); core.random.fill_normal(o, [1, 2], [1 << 20], [0], 0., 1., 4); "
            "core.set_fp_control(saved)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_core_set_fp_control_keeps_the_exception_masks(aarch64):
    """Unmasked, a NaN anywhere (NumPy's np.sqrt(-1) too) killed the process with SIGFPE."""
    # x86: MXCSR masks cleared; aarch64: FPCR's invalid-operation trap enabled (IOE, bit 8).
    unmask = "saved | 0x100" if aarch64 else "saved & ~0x1F80"
    code = ("from weightinit._coreload import core; import numpy as np; saved = core.fp_control()\n"
            f"try:\n    core.set_fp_control({unmask})\nexcept ValueError as e:\n    print(e)\n"
            "assert core.fp_control() == saved; np.sqrt(-np.ones(1))")
    proc = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "exception masks" in proc.stdout


def test_softmax_predict_takes_the_first_of_tied_classes_as_accuracy_does():
    """Equal probabilities (zero weights) are one class: the first, as np.argmax and the
    engine's accuracy take it."""
    X = np.zeros((2, 8))
    Y = np.zeros((3, 8))
    Y[0, :5] = 1.0
    Y[2, 5:] = 1.0
    net = wi.MLP([2, 4, 3], activations=["tanh", "softmax"], init="zeros")
    assert np.all(net.predict_proba(X) == net.predict_proba(X)[0])
    assert net.predict(X).tolist() == [0] * 8
    assert net.accuracy(X, Y) == np.mean(net.predict(X) == np.argmax(Y, axis=0)) == 5 / 8


def test_default_shuffle_key_comes_from_the_networks_generator():
    """Without rng=, fit's mini-batch order is drawn from the network's own generator: the same
    network seed gives the same order, another seed another (zero weights: only the order differs)."""
    gen = np.random.default_rng(3)
    X = gen.normal(size=(2, 60))
    Y = (X[0:1] > 0).astype(np.float64)

    def costs(seed):
        net = wi.MLP([2, 3, 1], activations=["tanh", "sigmoid"], init="zeros", rng=seed)
        return net.fit(X, Y, iterations=30, learning_rate=0.5, batch_size=7)

    assert np.array_equal(costs(1), costs(1))
    assert not np.array_equal(costs(1), costs(2))


def test_parameters_with_a_key_too_many_are_refused():
    """A dict of another network's parameters (an extra layer's W3, b3) is not silently cut down."""
    net = wi.MLP([2, 3, 1], init="zeros")
    params = {**net.parameters, "W3": np.zeros((1, 1)), "b3": np.zeros((1, 1))}
    with pytest.raises(ValueError, match=r"exactly the keys \['W1', 'W2', 'b1', 'b2'\], got \['W1', 'W2', 'W3'"):
        net.parameters = params


@pytest.mark.parametrize("key", [1, None, ("W", 1)])
def test_parameters_with_a_key_that_is_no_string_are_refused_by_name(key):
    """sorted() of the keys for the message compared an int, None or a tuple with the strings,
    and its TypeError ("'<' not supported") came out instead (helper-161)."""
    net = wi.MLP([2, 3, 1], init="zeros")
    with pytest.raises(ValueError, match=r"exactly the keys \['W1', 'W2', 'b1', 'b2'\], got \['W1', 'W2', 'b1', "
                                         rf"'b2', {re.escape(repr(key))}\]"):
        net.parameters = {**net.parameters, key: np.ones((1, 1))}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradients_can_return_the_activations_of_their_own_pass(dtype):
    """One pass for both (the depth experiment ran forward, then gradients' own forward again):
    the activations are forward's, the gradients those of gradients alone, to the bit; on the
    GEMM path (wide layers) and the element-wise one, with a softmax output."""
    gen = np.random.default_rng(3)
    for sizes, acts in (([5, 300, 40, 3], ["tanh", "relu", "softmax"]), ([2, 4, 1], ["tanh", "sigmoid"])):
        X = gen.normal(size=(sizes[0], 257)).astype(dtype)
        labels = gen.integers(0, sizes[-1] if sizes[-1] > 1 else 2, 257)
        Y = np.eye(sizes[-1])[:, labels] if sizes[-1] > 1 else labels[None, :].astype(float)
        net = wi.MLP(sizes, activations=acts, rng=1, dtype=dtype)
        grads, A = net.gradients(X, Y, return_activations=True)
        _, A_forward = net.forward(X)
        alone = net.gradients(X, Y)
        assert len(A) == len(sizes) - 1
        for a, b in zip(A, A_forward):
            assert a.dtype == dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
        assert grads.keys() == alone.keys()
        for k in grads:
            assert grads[k].tobytes() == alone[k].tobytes()


def test_softmax_targets_may_be_class_indices_as_predict_returns_them():
    """torch's CrossEntropyLoss takes class indices, and predict returns them: fit, cost,
    accuracy and gradients take m integer indices as the one-hot columns they stand for."""
    X, Y = datasets.blobs(n_per_class=30, std=1.0, rng=0)
    labels = np.argmax(Y, axis=0)
    a = wi.MLP([2, 5, 3], activations=["tanh", "softmax"], rng=4)
    b = wi.MLP([2, 5, 3], activations=["tanh", "softmax"], rng=4)
    np.testing.assert_array_equal(a.fit(X, Y, iterations=20), b.fit(X, list(labels), iterations=20))
    for k, v in a.parameters.items():
        np.testing.assert_array_equal(v, b.parameters[k])
    assert a.cost(X, Y) == b.cost(X, labels.astype(np.int8))
    assert a.accuracy(X, Y) == b.accuracy(X, b.predict(X)) == np.mean(b.predict(X) == labels)
    ga, gb = a.gradients(X, Y), b.gradients(X, labels)
    assert all(np.array_equal(ga[k], gb[k]) for k in ga)
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, 3\), got 0 to 3"):
        b.cost(X, np.where(labels == 2, 3, labels))
    with pytest.raises(ValueError, match="one class index per example"):
        b.cost(X, labels[:-1])
    with pytest.raises(ValueError, match="integer class indices"):
        b.cost(X, labels.astype(float))  # floats: no guessing which they are
    # "Y must have 3 rows" said nothing of indices (helper-161), nor did "Y must have 3 columns"
    # for 3 examples' (3, 1) (helper-164).
    for x, column in ((X, labels[:, None]), (X, labels[None]), (X[:, :3], labels[:3, None])):
        with pytest.raises(ValueError, match=rf"got shape {re.escape(str(column.shape))}: class indices are 1-D, "
                                             r"Y.ravel\(\)"):
            b.cost(x, column)
    assert b.cost(X[:, :3], range(3)) == b.cost(X[:, :3], np.eye(3))  # a range reads as its ints
    with pytest.raises(ValueError, match="masked"):  # the hidden value was used
        b.cost(X, np.ma.array(labels, mask=np.arange(labels.size) == 1))
    with pytest.raises(TypeError, match="Y must be array-like"):  # a bare ValueError of NumPy's
        b.cost(X, [[0, 1], [1]])
    r = wi.sweep(X, labels, [2, 5, 3], ["he_normal"], 2, 5, 0.5, activations=["tanh", "softmax"],
                 X_test=X, Y_test=list(labels))
    assert r == wi.sweep(X, Y, [2, 5, 3], ["he_normal"], 2, 5, 0.5, activations=["tanh", "softmax"], X_test=X, Y_test=Y)


def test_a_callable_init_that_cannot_take_the_call_is_told_the_call():
    """torch's xavier_uniform_(tensor) or np.ones said only "unexpected keyword argument 'rng'".
    An init's own TypeError is reworded as a TypeError, even where its class takes no plain
    message (NumPy's UFuncTypeError: rebuilding it said "missing argument 'dtypes'")."""
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'rng'; a callable init is called as "
                                        r"init\(shape, rng=\.\.\., dtype=\.\.\.\)"):
        wi.MLP([2, 4, 1], init=lambda shape: np.ones(shape))

    def broken(shape, rng=None, dtype=None):  # takes the call; its own TypeError is its own
        return np.ones(shape) + "x"

    with pytest.raises(TypeError) as info:
        wi.MLP([2, 4, 1], init=broken)
    assert "called as" not in str(info.value) and "cannot initialize layer 1" in str(info.value)


def test_a_torch_init_function_is_told_its_name_gives_ours():
    """torch.nn.init's functions fill a tensor in place; their names are in the registry."""
    torch = need_torch()
    for f, name in ((torch.nn.init.kaiming_normal_, "kaiming_normal_"), (torch.nn.init.trunc_normal_, "trunc_normal_")):
        with pytest.raises(TypeError, match=rf"; torch's {name} fills a tensor in place: pass its name, "
                                            rf"init='{name}', for this library's$"):
            wi.MLP([2, 4, 1], init=f)
        wi.MLP([2, 4, 1], init=name)  # which is taken
    # Not where the name draws no layer as it is (helper-164): dirac_ needs 3-5 dimensions,
    # constant_ and sparse_ an argument.
    for f in (torch.nn.init.dirac_, torch.nn.init.constant_, torch.nn.init.sparse_):
        with pytest.raises(TypeError, match=r"; a callable init is called as init\(shape, rng=\.\.\., dtype"):
            wi.MLP([2, 4, 1], init=f)


def test_a_name_whose_initializer_needs_an_argument_is_told_how_to_give_it():
    """init="constant" ended with the hint for callables ("a callable init is called as ..."),
    to a caller who passed a name (helper-146); the partial it names now works."""
    for name, needs in (("constant", "value"), ("sparse", "sparsity"), ("same_constant", "value")):
        with pytest.raises(TypeError) as info:
            wi.MLP([3, 4, 1], init=name)
        said = str(info.value)
        assert said.endswith(f"; to set it, give init as functools.partial(wi.get({name!r}), {needs}=...)"), said
        assert "called as" not in said
    with pytest.raises(TypeError, match=r"give init\[1\] as functools.partial\(wi.get\('constant'\), value=\.\.\.\)$"):
        wi.MLP([3, 4, 1], init=["he_normal", "constant"])
    net = wi.MLP([3, 4, 1], init=functools.partial(wi.get("constant"), value=0.25))
    assert net.parameters["W1"].tolist() == [[0.25] * 3] * 4


def test_repr_gives_the_networks_arguments_and_stays_short():
    net = wi.MLP([2, 4, 3], activations=["leaky_relu", "softmax"], alpha=0.2, rng=0)
    text = repr(net)
    assert text == ("MLP([2, 4, 3], activations=['leaky_relu', 'softmax'], loss='softmax_cross_entropy', "
                    "alpha=0.2, dtype='float64')")
    again = eval(text.replace("MLP(", "wi.MLP("))  # the arguments as written rebuild the network's shape
    assert (again.layer_sizes, again.activations, again.alpha) == (net.layer_sizes, net.activations, net.alpha)
    assert "alpha" not in repr(wi.MLP([2, 4, 1], rng=0))  # alpha read by leaky_relu only
    deep = wi.MLP([3] * 1001, init="zeros", rng=0)
    assert len(repr(deep)) < 300 and "(1000 layers)" in repr(deep) and "(1001 sizes)" in repr(deep)


@pytest.mark.parametrize("init, error", [
    (["he_normal", "hee"], "unknown initializer name 'hee'"),  # a name that a later layer finds unknown
    (["he_normal", "dirac"], "cannot initialize layer 2"),  # or cannot use for its shape
    (["he_normal", lambda shape, rng, dtype: np.full(shape, np.nan)], "must be finite"),
])
def test_a_refused_network_leaves_the_generator_as_it_was(init, error):
    """Bad input is refused before any work (DESIGN.md 6): the layers before a bad one had
    drawn from the caller's Generator, which then gave other numbers to the next network."""
    g = np.random.default_rng(0)
    state = g.bit_generator.state
    with pytest.raises((TypeError, ValueError), match=error):
        wi.MLP([2, 4, 1], init=init, rng=g)
    assert g.bit_generator.state == state
    wi.MLP([2, 4, 1], init="he_normal", rng=g)
    assert g.bit_generator.state != state  # a network that is made draws


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_cores_label_check_finds_one_bad_value_anywhere(dtype):
    """MLP's Y check is one pass in the core (labels_off): softmax columns summed in blocks of
    256 columns, binary labels counted. One bad value in the first block, at a block's edge,
    in the last (short) block, or in a vector loop's tail must be found, as NumPy finds it."""
    k, m = 7, 700  # blocks of 256, 256 and 188 columns
    gen = np.random.default_rng(11)
    P = gen.random((k, m)).astype(dtype)
    P /= P.sum(axis=0, dtype=dtype)
    P = np.ascontiguousarray(P, dtype)
    off = core.mlp.labels_off("softmax_cross_entropy", P)
    assert off == pytest.approx(np.abs(P.sum(axis=0, dtype=np.float64) - 1).max(), abs=1e-15)
    assert off <= 4 * k * np.finfo(dtype).eps
    onehot = np.ascontiguousarray(np.eye(k, dtype=dtype)[:, gen.integers(0, k, m)])
    binary = (gen.random((3, m)) < 0.5).astype(dtype)
    assert core.mlp.labels_off("softmax_cross_entropy", onehot) == 0.0
    assert core.mlp.labels_off("binary_cross_entropy", binary) == 0.0
    assert core.mlp.labels_off("mse", P) == 0.0
    assert core.mlp.labels_off("softmax_cross_entropy", np.zeros((k, 0), dtype)) == 0.0
    # No classes: every column sums to 0, said at once (helper-120: it walked 2^58 columns,
    # for years; run apart, so that such a regression fails on the timeout, not hangs).
    empty = (f"import numpy as np; from weightinit._coreload import core; "
             f"print(core.mlp.labels_off('softmax_cross_entropy', np.empty((0, 2**58), np.{dtype.__name__})), "
             f"core.mlp.labels_off('binary_cross_entropy', np.empty((0, 2**58), np.{dtype.__name__})))")
    assert subprocess.run([sys.executable, "-c", empty], capture_output=True, text=True,
                          timeout=60).stdout.split() == ["1.0", "0.0"]
    for col in (0, 255, 256, 511, 512, m - 1):
        bad = onehot.copy()
        bad[3, col] += dtype(0.25)
        assert core.mlp.labels_off("softmax_cross_entropy", bad) == 0.25
        bad[3, col] = -1
        assert core.mlp.labels_off("softmax_cross_entropy", bad) == np.inf
        bad[3, col] = np.nan
        assert np.isnan(core.mlp.labels_off("softmax_cross_entropy", bad))
        for value in (0.5, -1.0, 2.0, np.nan):
            b = binary.copy()
            b[2, col] = value
            assert core.mlp.labels_off("binary_cross_entropy", b) == np.inf
    net = wi.MLP([2, k], activations=["softmax"], dtype=dtype)
    bad = onehot.copy()
    bad[:, 600] = 0  # a column of zeros in the last block: not one-hot
    with pytest.raises(ValueError, match="columns must be one-hot"):
        net.cost(np.zeros((2, m), dtype), bad)
    with pytest.raises(TypeError, match="Y must be float32 or float64"):
        core.mlp.labels_off("softmax_cross_entropy", onehot.astype(np.int64))


FAILING_ALLOC = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
/* aligned_alloc of exactly FAIL_BYTES bytes fails: on any thread but the main one, or, with
   FAIL_MAIN set, on every thread. */
void* aligned_alloc(size_t align, size_t size) {
    static void* (*real)(size_t, size_t);
    if (!real) real = (void* (*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    const char* bytes = getenv("FAIL_BYTES");
    if (bytes && (long)size == atol(bytes) && (getenv("FAIL_MAIN") || syscall(SYS_gettid) != getpid())) {
        errno = ENOMEM;
        return NULL;
    }
    return real(align, size);
}
"""

TEAM_FIT_CHILD = """
import numpy as np, weightinit as wi
wi.set_num_threads(2)
g = np.random.default_rng(7)
X = g.normal(size=(2, 400)); Y = (g.random((1, 400)) < 0.5).astype(float)
net = wi.MLP([2, 300, 1], activations=["tanh", "sigmoid"], rng=0)
try:
    net.fit(X, Y, iterations=1200, learning_rate=0.5)
    print("finished")
except MemoryError:
    print("MemoryError")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or "LD_PRELOAD" in os.environ
                    or len(os.sched_getaffinity(0)) < 2,
                    reason="an LD_PRELOAD shim of glibc's aligned_alloc (not beside a sanitizer's runtime), "
                           "and two CPUs for the team")
def test_a_fit_whose_scratch_cannot_be_had_raises_memoryerror_on_any_thread(tmp_path):
    """helper-142: a long fit of [2, 300, 1] on two threads runs a team whose members' run is
    noexcept; each member reserved its fused-step scratch (300 rows x 25 chunks of 8 doubles,
    480 000 bytes) on its own first step, and a failed reservation there ended the process
    (std::terminate). The team now reserves every member's before they start."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler for the shim")
    (tmp_path / "fail.c").write_text(FAILING_ALLOC)
    shim = tmp_path / "fail.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(shim), str(tmp_path / "fail.c"), "-ldl"], check=True)
    for main, expected in ((False, "finished"), (True, "MemoryError")):
        env = dict(os.environ, LD_PRELOAD=str(shim), FAIL_BYTES="480000")
        if main:
            env["FAIL_MAIN"] = "1"
        proc = subprocess.run([sys.executable, "-c", TEAM_FIT_CHILD], capture_output=True, text=True, env=env,
                              timeout=120)
        if "cannot be preloaded" in proc.stderr:  # ld.so's word for a shim it skipped (a noexec tmp)
            pytest.skip("the dynamic loader did not preload the shim: " + proc.stderr.strip().splitlines()[0])
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.split() == [expected]
