"""weightinit.prototype against the first article's NumPy prototype, written out here in plain NumPy."""

import contextlib
import io
import math
import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest
import weightinit as wi
import weightinit.prototype as wp

ITERATIONS = 10000


# ---- the article's code (global seeds replaced by RandomState, plotting left out) ----
def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_load_planar_dataset(rseed, m=400, a=4, noise=0.2):
    """The article's load_planar_dataset (its m = 400, a = 4 and 0.2 as parameters)."""
    rs = np.random.RandomState(rseed)
    N = int(m / 2)
    D = 2
    X = np.zeros((m, D))
    Y = np.zeros((m, 1), dtype="uint8")
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rs.randn(N) * noise
        r = a * np.sin(4 * t) + rs.randn(N) * noise
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def np_initialize_parameters(n_x, n_h, n_y, scale=1.0):
    rs = np.random.RandomState(2)
    W1 = rs.randn(n_h, n_x) * scale
    b1 = np.zeros((n_h, 1))
    W2 = rs.randn(n_y, n_h) * scale
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def np_forward_propagation(X, parameters):
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = np_sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def np_compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
    return float(np.squeeze(-1.0 / m * np.sum(logprobs)))


def np_backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = 1.0 / m * np.dot(dZ2, A1.T)
    db2 = 1.0 / m * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(W2.T, dZ2) * (1.0 - np.power(A1, 2))
    dW1 = 1.0 / m * np.dot(dZ1, X.T)
    db1 = 1.0 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def np_update_parameters(parameters, grads, learning_rate=1.2):
    return {k: parameters[k] - learning_rate * grads["d" + k] for k in ("W1", "b1", "W2", "b2")}


def np_nn_model(X, Y, parameters, num_iterations, learning_rate=1.2):
    costs = []
    for _ in range(num_iterations):
        A2, cache = np_forward_propagation(X, parameters)
        costs.append(np_compute_cost(A2, Y))
        grads = np_backward_propagation(parameters, cache, X, Y)
        parameters = np_update_parameters(parameters, grads, learning_rate)
    return parameters, np.array(costs)


def np_predict(parameters, X):
    A2, _ = np_forward_propagation(X, parameters)
    return np.round(A2)


# ---- tests ----
@pytest.fixture(scope="module")
def data():
    return np_load_planar_dataset(1), np_load_planar_dataset(2)


def test_datasets_and_initial_parameters_are_the_prototypes(data):
    (X, Y), (X2, Y2) = data
    for seed, (Xe, Ye) in ((1, (X, Y)), (2, (X2, Y2))):
        Xo, Yo = wp.load_planar_dataset(seed)
        np.testing.assert_array_equal(Xo, Xe)
        np.testing.assert_array_equal(Yo, Ye)
        assert Yo.dtype == np.uint8
        assert Xo.flags.c_contiguous  # the engine's layout: the article's X.T was copied on every call
    state = np.random.get_state()[1].copy()
    for scale in (1.0, 0.01):
        ours, theirs = wp.initialize_parameters(2, 4, 1, scale=scale), np_initialize_parameters(2, 4, 1, scale)
        assert ours.keys() == theirs.keys()
        for k in ours:
            np.testing.assert_array_equal(ours[k], theirs[k])
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # global stream untouched
    assert wp.layer_sizes(X, Y) == (2, 4, 1)


def test_initialize_parameters_draws_from_a_random_state_as_load_planar_dataset_does():
    """seed=np.random.RandomState(s) was a TypeError, where load_planar_dataset takes one and
    init= takes any rng (helper-181): W1 then W2 come from it, and it advances."""
    rs = np.random.RandomState(7)
    p = wp.initialize_parameters(3, 5, 2, seed=rs, scale=0.01)
    want = np.random.RandomState(7)
    np.testing.assert_array_equal(p["W1"], want.randn(5, 3) * 0.01)
    np.testing.assert_array_equal(p["W2"], want.randn(2, 5) * 0.01)
    assert rs.randn() == want.randn()
    np.testing.assert_array_equal(wp.initialize_parameters(2, 4, 1, seed=np.random.RandomState(2))["W1"],
                                  np_initialize_parameters(2, 4, 1)["W1"])


def test_initialize_parameters_takes_an_initializer_name():
    p = wp.initialize_parameters(2, 4, 1, init="zeros")
    assert p["W1"].shape == (4, 2) and p["W2"].shape == (1, 4)
    assert not p["W1"].any()
    q = wp.initialize_parameters(2, 4, 1, init="normal")
    assert q["W1"].any() and not np.array_equal(q["W1"][:1, :1], q["W2"][:1, :1])
    # Layer 1 first, then layer 2, from the seed's stream: what wi.MLP(init=, rng=seed) draws.
    for init in ("he_normal", "xavier_uniform"):
        for seed in range(4):
            ours = wp.initialize_parameters(2, 4, 1, init=init, seed=seed)
            net = wi.MLP([2, 4, 1], activations=["tanh", "sigmoid"], init=init, rng=seed).parameters
            for k in ("W1", "W2"):
                np.testing.assert_array_equal(ours[k], net[k])


def test_single_functions_match(data):
    (X, Y), _ = data
    p = np_initialize_parameters(2, 4, 1)
    A2, cache = wp.forward_propagation(X, p)
    eA2, ecache = np_forward_propagation(X, p)
    assert cache.keys() == ecache.keys()
    for k in cache:
        assert cache[k].shape == ecache[k].shape
        np.testing.assert_allclose(cache[k], ecache[k], rtol=1e-13, atol=1e-15)
    assert wp.compute_cost(A2, Y, p) == pytest.approx(np_compute_cost(eA2, Y), rel=1e-13)
    grads = wp.backward_propagation(p, cache, X, Y)
    egrads = np_backward_propagation(p, ecache, X, Y)
    assert grads.keys() == egrads.keys()
    for k in grads:
        assert grads[k].shape == egrads[k].shape
        np.testing.assert_allclose(grads[k], egrads[k], rtol=1e-12, atol=1e-15)
    new = wp.update_parameters(p, grads)
    np.testing.assert_allclose(new["W1"], np_update_parameters(p, egrads)["W1"], rtol=1e-12)
    np.testing.assert_array_equal(wp.predict(p, X), np_predict(p, X))
    np.testing.assert_allclose(wp.sigmoid(np.array([-1.0, 0.0, 2.0])), np_sigmoid(np.array([-1.0, 0.0, 2.0])))


def _unaligned(a):
    """a's values in a C-contiguous float64 array at an odd byte offset (not aligned)."""
    raw = np.zeros(a.size * 8 + 1, np.uint8)[1:]
    out = raw.view(np.float64).reshape(a.shape)
    out[...] = a
    return out


def test_single_functions_give_the_engines_bits_whatever_came_before(data):
    """forward_propagation and backward_propagation keep the engine's network across calls
    (its buffers sized for the most examples so far) and take arrays the engine reads as they
    are without checking them one by one: every call must give the bits of a network made for
    it (wi.MLP's), after calls on more examples, on fewer, on other sizes, and with the data or
    the parameters as lists, float32, Fortran order, read-only or unaligned (the checked path)."""
    (X, Y), _ = data
    X, Y = np.ascontiguousarray(X), Y.astype(np.float64)  # as the engine reads them
    p = np_initialize_parameters(2, 4, 1)
    ro = {k: v.copy() for k, v in p.items()}
    for v in ro.values():
        v.flags.writeable = False

    def engine(X, Y, params):
        sizes = [X.shape[0], len(params["W1"]), len(params["W2"])]
        net = wi.MLP(sizes, activations=["tanh", "sigmoid"], loss="binary_cross_entropy")
        net.parameters = params
        Z, A = net.forward(X)
        return Z, A, net.gradients(X, Y)

    wide = {"W1": np.ones((9, 2)), "b1": np.zeros((9, 1)), "W2": np.ones((1, 9)), "b2": np.zeros((1, 1))}
    two = {**p, "W2": np.vstack([p["W2"], -p["W2"]]), "b2": np.zeros((2, 1))}  # (2, 4, 2) after (2, 4, 1)
    Xbig, Ybig = np.tile(X, 50), np.tile(Y, 50)  # beyond what a kept network takes
    Xmid, Ymid = np.tile(X, 20), np.tile(Y, 20)  # 8000 examples, kept: buffers of 8000
    calls = [(X, Y, p), (X[:, :7].copy(), Y[:, :7], p), (Xbig, Ybig, p), (Xmid, Ymid, p), (X, Y, p), (X, Y, wide),
             (X, np.vstack([Y, 1 - Y]), two), (X, Y, p), (X, Y, ro), (X.tolist(), Y.tolist(), p),
             (np.asfortranarray(X), Y.astype(np.float32), p), (X.T.copy().T, Y, p), (_unaligned(X), Y, p),
             (X, Y, {**p, "W1": p["W1"].astype(np.float32)}), (X, Y, {**p, "W1": np.asfortranarray(p["W1"])}),
             (X, Y, {**p, "W1": _unaligned(p["W1"])}), (X[:, :7].copy(), Y[:, :7], p), (X, Y, p)]
    for x, y, params in calls:
        Z, A, grads = engine(np.asarray(x, np.float64), np.asarray(y, np.float64),
                             {k: np.asarray(v, np.float64) for k, v in params.items()})
        A2, cache = wp.forward_propagation(x, params)
        np.testing.assert_array_equal(A2, A[-1])
        for k, want in zip(("Z1", "A1", "Z2", "A2"), (Z[0], A[0], Z[1], A[1])):
            np.testing.assert_array_equal(cache[k], want)
        got = wp.backward_propagation(params, cache, x, y)
        for k in grads:
            np.testing.assert_array_equal(got[k], grads[k])


FORK_SCRIPT = """
import os, signal, sys, threading
import numpy as np
import weightinit.prototype as wp
p = wp.initialize_parameters(2, 4, 1)
X, Xbig = np.ones((2, 5)), np.ones((2, 9000))  # (2 + 4 + 1) 9000 values: kept
want = wp.forward_propagation(X, p)[0]  # this thread keeps a (2, 4, 1) network
stop, ready, seen = False, threading.Event(), {}
def loop():  # another thread inside a (2, 4, 1) network of its own, its lock held, most of the time
    wp.forward_propagation(Xbig, p)
    seen["kept"] = (2, 4, 1) in wp._KEPT.networks  # else the test would test nothing
    ready.set()
    while not stop:
        wp.forward_propagation(Xbig, p)
t = threading.Thread(target=loop, daemon=True)
t.start()
if not (ready.wait(60) and seen["kept"]):
    sys.exit(4)
for _ in range(5):
    pid = os.fork()
    if pid == 0:
        signal.alarm(20)  # a child that hangs ends itself (SIGALRM), and the parent sees it
        os._exit(0 if np.array_equal(wp.forward_propagation(X, p)[0], want) else 3)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        break
stop = True
t.join()
sys.exit(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_wait_for_a_network_another_thread_held():
    """The networks kept between calls are each thread's: a child forked while another thread
    was inside one (its lock held, and copied held) must not find it (a shared one hung 10 of
    10 children, helper-131)."""
    proc = subprocess.run([sys.executable, "-W", "ignore::DeprecationWarning", "-c", FORK_SCRIPT], timeout=120,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _run_both(data, scale, iterations=ITERATIONS):
    (X, Y), _ = data
    start = np_initialize_parameters(2, 4, 1, scale)
    expected_params, expected = np_nn_model(X, Y, start, iterations)
    params, costs = wp.nn_model(X, Y, 4, num_iterations=iterations, parameters=start, return_costs=True)
    assert costs.shape == (iterations,)
    return params, costs, expected_params, expected


@pytest.mark.parametrize("scale", [1.0, 0.001])
def test_nn_model_matches_the_prototype_at_every_iteration(data, scale):
    params, costs, expected_params, expected = _run_both(data, scale)
    np.testing.assert_allclose(costs, expected, rtol=1e-9, atol=0)
    _, (X2, _) = data
    np.testing.assert_array_equal(wp.predict(params, X2), np_predict(expected_params, X2))


def test_nn_model_defaults_to_the_prototypes_initialization(data):
    (X, Y), _ = data
    _, costs = wp.nn_model(X, Y, 4, num_iterations=50, return_costs=True)
    _, expected = np_nn_model(X, Y, np_initialize_parameters(2, 4, 1), 50)
    np.testing.assert_allclose(costs, expected, rtol=1e-12)


def test_nn_model_trains_at_the_learning_rate_it_is_given(data):
    (X, Y), _ = data
    start = np_initialize_parameters(2, 4, 1)
    params, costs = wp.nn_model(X, Y, 4, num_iterations=60, learning_rate=0.3, parameters=start, return_costs=True)
    expected_params, expected = np_nn_model(X, Y, start, 60, learning_rate=0.3)
    np.testing.assert_allclose(costs, expected, rtol=1e-12)
    for k, v in expected_params.items():
        np.testing.assert_allclose(params[k], v, rtol=1e-12, atol=1e-15)
    assert not np.allclose(costs, np_nn_model(X, Y, start, 60)[1], rtol=1e-6)  # 1.2's would differ


@pytest.mark.parametrize("seed, m, radius, noise", [(3, 60, 7.0, 0.5), (0, 10, -2.5, 0.0), (1, 400, 4.0, 1.3)])
def test_planar_flower_takes_its_radius_and_noise_as_the_article_writes_them(seed, m, radius, noise):
    """The article's a = 4 ("maximum ray") and 0.2, as planar_flower's radius and noise (only
    their defaults were pinned: a formula that used radius for the 4 inside sin(4 t), or kept
    0.2 for the angle's noise, passed). The 4 in sin(4 t) makes the petals: eight, whatever the radius."""
    X, Y = wi.datasets.planar_flower(seed, m, radius=radius, noise=noise)
    X_np, Y_np = np_load_planar_dataset(seed, m, radius, noise)
    np.testing.assert_array_equal(X, X_np)
    np.testing.assert_array_equal(Y, Y_np)


def test_chaotic_scale_matches_before_the_trajectories_part(data):
    # DESIGN.md 5: with randn * 0.01 a 1e-15 change parts the trajectories after ~7 700
    # iterations, so iteration by iteration only over the first 7 000.
    _, costs, _, expected = _run_both(data, 0.01)
    np.testing.assert_allclose(costs[:7000], expected[:7000], rtol=1e-9, atol=0)
    assert costs[-1] == pytest.approx(expected[-1], rel=0.01)


def test_zero_initialization_stays_at_ln2(data):
    params, costs, expected_params, expected = _run_both(data, 0.0)
    np.testing.assert_allclose(costs, expected, rtol=1e-9, atol=0)
    np.testing.assert_allclose(costs[-1], math.log(2), rtol=1e-3)
    assert not params["W1"].any()  # the symmetry is never broken
    _, (X2, _) = data
    np.testing.assert_array_equal(wp.predict(params, X2), np_predict(expected_params, X2))


def test_saturated_start_gives_a_finite_cost(data):
    (X, Y), _ = data
    start = np_initialize_parameters(2, 4, 1, 100.0)
    with np.errstate(all="ignore"):
        _, np_costs = np_nn_model(X, Y, start, 3)
    assert not np.isfinite(np_costs[0])  # the prototype prints nan here
    _, costs = wp.nn_model(X, Y, 4, num_iterations=200, parameters=start, return_costs=True)
    assert np.isfinite(costs).all()


def test_print_cost_prints_like_the_prototype(data):
    (X, Y), _ = data
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _, costs = wp.nn_model(X, Y, 4, num_iterations=2001, print_cost=True, return_costs=True)
    lines = out.getvalue().splitlines()
    assert lines == ["Cost after iteration %i: %f" % (i, costs[i]) for i in (0, 1000, 2000)]  # noqa: UP031 - the article's format


def test_importing_the_prototype_does_not_import_matplotlib():
    code = "import sys, weightinit.prototype; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture
def pyplot():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    yield plt
    plt.close("all")


def test_plot_decision_boundary_draws(pyplot):
    X, Y = wp.load_planar_dataset(1)
    params = wp.initialize_parameters(2, 4, 1)
    wp.plot_decision_boundary(lambda x: wp.predict(params, x.T), X, Y)
    ax = pyplot.gca()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x1", "x2")
    points, = ax.collections[-1:]  # the examples, over the contour
    np.testing.assert_array_equal(points.get_offsets(), X.T)
    # the grid covers the examples with a margin of 1, in steps of 0.01
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 == pytest.approx(X[0].min() - 1, abs=0.011) and x1 == pytest.approx(X[0].max() + 1, abs=0.011)
    assert y0 == pytest.approx(X[1].min() - 1, abs=0.011) and y1 == pytest.approx(X[1].max() + 1, abs=0.011)


@pytest.mark.parametrize("init", [None, "normal"])
def test_initialize_parameters_refuses_a_scale_that_gives_inf(init):
    """helper-191: scale=1e308 gave inf weights with a RuntimeWarning of NumPy's; wi.normal's
    std=1e308 is refused, and so is this, in the article's stream and in ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no NumPy overflow warning on the way
        with pytest.raises(ValueError, match=r"^scale=1e\+308 takes weights beyond float64's range"):
            wp.initialize_parameters(2, 4, 1, scale=1e308, init=init)
        p = wp.initialize_parameters(2, 4, 1, scale=1e300, init=init)  # |randn| < 179: finite
    assert all(np.isfinite(v).all() for v in p.values()) and np.abs(p["W1"]).max() > 1e299
    # A stream of the caller's is left where it was, as the initializers leave it when they refuse.
    stream = np.random.RandomState(5) if init is None else np.random.default_rng(5)
    with pytest.raises(ValueError, match="^scale=-1e\\+308 .*an infinite weight"):  # 840 weights: some |z| > 1.8
        wp.initialize_parameters(20, 40, 1, scale=-1e308, init=init, seed=stream)
    fresh = np.random.RandomState(5) if init is None else np.random.default_rng(5)
    assert stream.random() == fresh.random()


def test_plot_decision_boundary_checks_its_arguments(pyplot):
    """helper-191: each of these raised from inside NumPy or the model (IndexError, "arange:
    cannot compute length", AttributeError), or asked for a grid of petabytes."""
    X, Y = wp.load_planar_dataset(1)
    params = wp.initialize_parameters(2, 4, 1)

    def model(x):
        return wp.predict(params, x.T)

    nan = X.copy()
    nan[0, 3] = np.nan
    for call, error, words in [
        (lambda: wp.plot_decision_boundary(model, X[:1], Y), ValueError, r"^X must be \(2, m\).*got shape \(1, 400\)"),
        (lambda: wp.plot_decision_boundary(model, nan, Y), ValueError, "^X must be finite"),
        (lambda: wp.plot_decision_boundary(model, X * 1e12, Y), MemoryError, "^X spans .* a grid of step 0.01"),
        (lambda: wp.plot_decision_boundary(model, np.array([[1e200, -1e200], [0, 1]]), Y[:, :2]), MemoryError,
         "^X spans"),  # a span whose grid count overflows: no NumPy warning on the way
        (lambda: wp.plot_decision_boundary(lambda x: None, X, Y), ValueError, "^model must return one value per point"),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(error, match=words):
                call()
    wp.plot_decision_boundary(model, X.tolist(), Y.ravel().tolist())  # nested lists, as other X's and y's
    np.testing.assert_array_equal(pyplot.gca().collections[-1].get_offsets(), X.T)
    # An integer X: its min - 1 wrapped around in uint8 (255), the grid's axes with it.
    small = np.array([[0, 1, 2], [0, 2, 1]], dtype=np.uint8)
    pyplot.figure()
    wp.plot_decision_boundary(lambda x: (x[:, 0] > 1).astype(float), small, [0, 1, 1])
    assert pyplot.gca().get_xlim()[0] == pytest.approx(-1, abs=0.011)


def test_plot_cost_draws_the_articles_figure(pyplot, data):
    """The article's nn_model ends with plot_cost(np.array(cost_iter_list)), rows [cost, i];
    ours takes those rows or the costs nn_model(return_costs=True) gives."""
    (X, Y), _ = data
    _, costs = wp.nn_model(X, Y, 4, num_iterations=300, return_costs=True)
    pairs = np.array([[c, i] for i, c in enumerate(costs)])
    for arg in (pairs, costs, list(costs)):
        pyplot.close("all")
        assert wp.plot_cost(arg) is None
        ax = pyplot.gca()
        line, = ax.get_lines()
        np.testing.assert_array_equal(line.get_xdata(), np.arange(300))
        np.testing.assert_array_equal(line.get_ydata(), costs)
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("run iterations", "cost")
        assert ax.get_ylim() == (0.0, 2.0) and ax.get_xlim() == (0.0, 10000.0)
    wp.plot_cost(np.array([[0.5, 0], [0.4, 20000]]))  # a longer run is shown whole
    assert pyplot.gca().get_xlim() == (0.0, 20000.0)
    assert len(pyplot.get_fignums()) == 2  # a figure a call, as the article's plt.figure()
    for bad, match in ((np.zeros((3, 3)), "cost_list"), (np.zeros((2, 2, 2)), "cost_list"), ([], "empty")):
        with pytest.raises(ValueError, match=match):
            wp.plot_cost(bad)


def test_initialize_parameters_names_init_in_its_errors():
    """As wi.MLP(init=) says it: a registry name that needs an argument (constant's value)."""
    with pytest.raises(TypeError, match=r"init='constant' cannot initialize layer 1 of shape \(4, 2\): .*value"):
        wp.initialize_parameters(2, 4, 1, init="constant")
    with pytest.raises(ValueError, match=r"init: unknown initializer name 'randn\*0.01'"):
        wp.initialize_parameters(2, 4, 1, init="randn*0.01")


@pytest.mark.parametrize("key, value, match", [
    ("b1", np.zeros(4), "b1 must be 2-D"),  # NumPy broadcasts it along the examples
    ("b1", np.zeros((1, 4)), "b1 must have 4 rows"),
    ("b1", np.zeros((2, 2)), "b1 must have 4 rows"),
    ("b2", np.zeros(1), "b2 must be 2-D"),
    ("W2", np.zeros((1, 3)), "W2 must have 4 columns"),
    ("b1", np.zeros((4, 2)), "b1 must have 1 column"),
    ("b2", np.zeros((2, 1)), "b2 must have 1 row"),
    ("W1", np.ma.masked_array(np.zeros((4, 2)), mask=[[0, 1], [0, 0], [0, 0], [0, 0]]), "W1 has 1 masked value"),
])
def test_parameters_of_other_shapes_are_refused_everywhere(data, key, value, match):
    (X, Y), _ = data
    params = {**wp.initialize_parameters(2, 4, 1), key: value}
    for x in (X, np.ascontiguousarray(X)):  # the data as the engine reads them too (checked another way)
        with pytest.raises(ValueError, match=match):
            wp.forward_propagation(x, params)
        with pytest.raises(ValueError, match=match):
            wp.backward_propagation(params, {}, x, Y)
    with pytest.raises(ValueError, match=match):
        wp.nn_model(X, Y, 4, num_iterations=2, parameters=params)


def test_complex_or_transposed_data_is_refused(data):
    (X, Y), _ = data
    params = wp.initialize_parameters(2, 4, 1)
    with pytest.raises(TypeError, match="X must hold real numbers"):
        wp.forward_propagation(X + 0j, params)
    with pytest.raises(ValueError, match="X must have 2 rows"):
        wp.backward_propagation(params, {}, X.T, Y)


def test_nn_model_takes_nested_lists(data):
    (X, Y), _ = data
    start = wp.initialize_parameters(2, 4, 1)
    got = wp.nn_model(X.tolist(), Y.tolist(), 4, 5, parameters=start)
    np.testing.assert_array_equal(got["W1"], wp.nn_model(X, Y, 4, 5, parameters=start)["W1"])


def test_nn_model_names_transposed_data(data):
    """nn_model takes its sizes from the data, so a transposed X (or Y) first shows as a
    disagreement over the number of examples: the error says which one to transpose."""
    (X, Y), _ = data
    with pytest.raises(ValueError, match=r"one column per example.*pass X\.T"):
        wp.nn_model(X.T, Y, 4, num_iterations=2)
    with pytest.raises(ValueError, match=r"one column per example.*pass Y\.T"):
        wp.nn_model(X, Y.T, 4, num_iterations=2)
    # One row of X (or A2) agrees with a transposed Y either way round (helper-146): the
    # transposition that leaves 400 examples, not 1, is the one named.
    with pytest.raises(ValueError, match=r"one column per example.*pass Y\.T"):
        wp.nn_model(X[:1], Y.T, 4, num_iterations=2)
    with pytest.raises(ValueError, match=r"one column per example.*pass Y\.T"):
        wp.layer_sizes(X[:1], Y.T)
    A2, _ = wp.forward_propagation(X, wp.initialize_parameters(2, 4, 1))
    with pytest.raises(ValueError, match=r"got shapes \(1, 400\) and \(400, 1\); pass Y\.T"):
        wp.compute_cost(A2, Y.T, None)
    with pytest.raises(ValueError, match=r"one column per example.*pass X\.T"):
        wp.nn_model(X[:1].T, Y, 4, num_iterations=2)
    # Both as torch and scikit-learn lay them out, (m, n_x) and (m, 1): no hint before (helper-181).
    with pytest.raises(ValueError, match=r"got shapes \(400, 2\) and \(400, 1\); pass X\.T and Y\.T"):
        wp.nn_model(X.T, Y.T, 4, num_iterations=2)
    # ... but not for other numbers of examples in the usual layout (helper-183: "pass A2.T and Y.T")
    with pytest.raises(ValueError, match=r"got shapes \(1, 400\) and \(1, 300\)$"):
        wp.compute_cost(A2, Y[:, :300], None)
    with pytest.raises(ValueError, match=r"got shapes \(1, 400\) and \(1, 300\)$"):
        wp.nn_model(X[:1], Y[:, :300], 4, num_iterations=2)


@pytest.mark.parametrize("call, match", [
    (lambda X, Y: wp.nn_model(X, Y, 3.0, 2), "n_h must be an int"),
    (lambda X, Y: wp.nn_model(X, Y, 0, 2), "n_h must be >= 1"),
    (lambda X, Y: wp.nn_model(X, Y, 4, -1), "num_iterations must be >= 0"),
    (lambda X, Y: wp.nn_model(X, Y, 4, 2.5), "num_iterations must be an int"),
    (lambda X, Y: wp.initialize_parameters(2, 2.0, 1), "n_h must be an int"),
    (lambda X, Y: wp.initialize_parameters(0, 4, 1), "n_x must be >= 1"),
])
def test_prototype_arguments_are_named_in_errors(data, call, match):
    (X, Y), _ = data
    with pytest.raises((TypeError, ValueError), match=match):
        call(X, Y)


def test_nn_model_starts_from_the_callers_own_initialize_parameters(data):
    """The article's experiments redefine initialize_parameters (zeros, randn * 0.01, ...) in
    the script and call nn_model, whose global lookup finds theirs. Ours found its own module's
    function, and a zero-init experiment silently trained from randn * 1."""
    (X, Y), _ = data
    script = ("from weightinit.prototype import *\n"
              "def initialize_parameters(n_x, n_h, n_y):\n"
              "    return {'W1': np.zeros((n_h, n_x)), 'b1': np.zeros((n_h, 1)),\n"
              "            'W2': np.zeros((n_y, n_h)), 'b2': np.zeros((n_y, 1))}\n"
              "parameters, costs = nn_model(X, Y, 4, num_iterations=50, return_costs=True)\n")
    space = {"np": np, "X": X, "Y": Y}
    exec(script, space)
    assert not space["parameters"]["W1"].any()  # zeros stay zeros: the article's point
    np.testing.assert_allclose(space["costs"], np.log(2), rtol=1e-15)
    # Without a definition of its own, the caller gets the prototype's (randn at seed 2).
    space = {"np": np, "X": X, "Y": Y}
    exec(script.split("def ")[0] + "parameters, costs = nn_model(X, Y, 4, num_iterations=50, return_costs=True)\n",
         space)
    _, expected = np_nn_model(X, Y, np_initialize_parameters(2, 4, 1), 50)
    np.testing.assert_allclose(space["costs"], expected, rtol=1e-13)


def test_nn_model_advises_on_memory_in_its_own_options(data, monkeypatch):
    """nn_model(n_h=10**7) said "pass fewer examples at a time (batch_size=)", an argument
    nn_model has not (helper-181)."""
    from weightinit import _args

    (X, Y), _ = data
    monkeypatch.setattr(_args, "physical_memory", lambda: 10**8)
    with pytest.raises(MemoryError, match=r"\[2, 100000, 1\] on 400 examples .* need about .*: pass a smaller n_h, "
                                          r"or fewer examples \(nn_model trains on all of them at once\)$"):
        wp.nn_model(X, Y, 10**5, num_iterations=1)
    with pytest.raises(MemoryError, match=r"\(batch_size=\)$"):
        wi.MLP([2, 10**5, 1], init="zeros").fit(X, Y, iterations=1)


def test_nn_model_warns_that_it_does_not_call_the_callers_own_step_functions(data):
    """The article's nn_model has no learning rate: its readers edit update_parameters'
    default, or the activation in forward_propagation. Ours trains in C++ and calls none of
    them: a script keeping its own update_parameters(learning_rate=0.05) silently trained at
    1.2 (helper-181). It still trains as documented, but says which functions it did not call."""
    (X, Y), _ = data
    script = ("from weightinit.prototype import *\n"
              "def update_parameters(parameters, grads, learning_rate=0.05):\n"
              "    return {k: parameters[k] - learning_rate * grads['d' + k] for k in parameters}\n"
              "def compute_cost(A2, Y, parameters):\n"
              "    return 0.0\n"
              "parameters = nn_model(X, Y, 4, num_iterations=3)\n")
    with pytest.warns(UserWarning, match=r"^nn_model trains in C\+\+ and does not call its caller's "
                                         r"compute_cost, update_parameters: pass learning_rate="):
        exec(script, {"np": np, "X": X, "Y": Y})
    with pytest.warns(UserWarning, match=r"default 1\.2\)$"):  # parameters= given: no initialize_parameters called
        exec(script.replace("num_iterations=3)", "num_iterations=3, parameters=initialize_parameters(2, 4, 1))"),
             {"np": np, "X": X, "Y": Y})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(script.split("def ")[0] + "parameters = nn_model(X, Y, 4, num_iterations=3)\n",
             {"np": np, "X": X, "Y": Y})  # the module's own functions, imported: no warning
        wp.nn_model(X, Y, 4, num_iterations=3)


def test_nn_model_takes_parameters_with_other_entries_as_the_prototype_does(data):
    """helper-113: a dict with an extra entry (a script's note, the prototype's cache-like
    extras) passes the article's nn_model and our other functions; our nn_model refused it,
    naming a parameters= the script never passed."""
    (X, Y), _ = data
    script = ("from weightinit.prototype import *\n"
              "def initialize_parameters(n_x, n_h, n_y):\n"
              "    return {'W1': np.full((n_h, n_x), 0.01), 'b1': np.zeros((n_h, 1)),\n"
              "            'W2': np.full((n_y, n_h), 0.01), 'b2': np.zeros((n_y, 1)), 'note': 'small'}\n"
              "parameters, costs = nn_model(X, Y, 4, num_iterations=20, return_costs=True)\n")
    space = {"np": np, "X": X, "Y": Y}
    exec(script, space)
    assert sorted(space["parameters"]) == ["W1", "W2", "b1", "b2"]
    start = {"W1": np.full((4, 2), 0.01), "b1": np.zeros((4, 1)), "W2": np.full((1, 4), 0.01),
             "b2": np.zeros((1, 1))}
    _, expected = np_nn_model(X, Y, start, 20)
    np.testing.assert_allclose(space["costs"], expected, rtol=1e-13)
    with pytest.raises(ValueError, match="initialize_parameters' result lacks W2"):
        exec(script.replace("'W2'", "'V2'"), {"np": np, "X": X, "Y": Y})
    with pytest.raises(ValueError, match="parameters lacks b1"):
        wp.nn_model(X, Y, 4, 1, parameters={k: v for k, v in start.items() if k != "b1"})


def test_nn_model_seeds_numpy_with_3_before_the_callers_initialize_parameters(data):
    """The article's nn_model begins with np.random.seed(3), so an initialize_parameters of the
    reader's that draws from NumPy's global generator without seeding it starts from the same
    weights on every call. Ours did not seed: each call started from other weights. The
    global state is put back after the call (the issue: leave it alone)."""
    (X, Y), _ = data
    script = ("from weightinit.prototype import *\n"
              "drawn = []\n"
              "def initialize_parameters(n_x, n_h, n_y):\n"
              "    p = {'W1': np.random.randn(n_h, n_x) * 0.01, 'b1': np.zeros((n_h, 1)),\n"
              "         'W2': np.random.randn(n_y, n_h) * 0.01, 'b2': np.zeros((n_y, 1))}\n"
              "    drawn.append(p)\n"
              "    return p\n"
              "np.random.seed(123)\n"
              "first = nn_model(X, Y, 4, num_iterations=20)\n"
              "second = nn_model(X, Y, 4, num_iterations=20)\n"
              "after = np.random.randn()\n")
    space = {"np": np, "X": X, "Y": Y}
    exec(script, space)
    assert space["after"] == np.random.RandomState(123).randn()  # the global state is left alone
    article = np.random.RandomState(3)
    w1, w2 = article.randn(4, 2) * 0.01, article.randn(1, 4) * 0.01
    for p in space["drawn"]:
        np.testing.assert_array_equal(p["W1"], w1)
        np.testing.assert_array_equal(p["W2"], w2)
    np.testing.assert_array_equal(space["first"]["W1"], space["second"]["W1"])


def test_nn_model_leaves_the_global_state_alone_when_threads_overlap(data):
    """Two threads in nn_model at once: the one that finished last put back the seed-3 state
    the other had set (helper-60). Thread A's initialize_parameters waits (up to 1 s) for B's
    to start, B's for A's nn_model to end; calls that hold the seeding one at a time time out
    instead and leave NumPy's global state as it was."""
    (X, Y), _ = data
    a_done, b_in = threading.Event(), threading.Event()
    script = ("from weightinit.prototype import *\n"
              "def initialize_parameters(n_x, n_h, n_y):\n"
              "    p = {'W1': np.random.randn(n_h, n_x), 'b1': np.zeros((n_h, 1)),\n"
              "         'W2': np.random.randn(n_y, n_h), 'b2': np.zeros((n_y, 1))}\n"
              "    if mine == 'B':\n"
              "        b_in.set(); a_done.wait(1.0)\n"
              "    else:\n"
              "        b_in.wait(1.0)\n"
              "    return p\n"
              "def run():\n"
              "    nn_model(X, Y, 4, num_iterations=5)\n"
              "    if mine == 'A':\n"
              "        a_done.set()\n")
    runs = []
    for mine in "AB":
        space = {"np": np, "X": X, "Y": Y, "mine": mine, "a_done": a_done, "b_in": b_in}
        exec(script, space)
        runs.append(threading.Thread(target=space["run"]))
    np.random.seed(123)
    for t in runs:
        t.start()
    for t in runs:
        t.join()
    assert np.random.randn() == np.random.RandomState(123).randn()


def test_nn_model_takes_a_patched_module_function_and_names_a_wrong_signature(data, monkeypatch):
    """Patching weightinit.prototype.initialize_parameters worked before the caller's lookup,
    whose star-imported original then shadowed the patch; a caller's function of another
    signature failed with a bare 'takes 1 positional argument'."""
    (X, Y), _ = data

    def zeros(n_x, n_h, n_y):
        return {"W1": np.zeros((n_h, n_x)), "b1": np.zeros((n_h, 1)), "W2": np.zeros((n_y, n_h)),
                "b2": np.zeros((n_y, 1))}

    space = {"X": X, "Y": Y}
    exec("from weightinit.prototype import *", space)
    monkeypatch.setattr(wp, "initialize_parameters", zeros)
    exec("parameters = nn_model(X, Y, 4, num_iterations=5)", space)
    assert not space["parameters"]["W1"].any()
    space["initialize_parameters"] = lambda layer_dims: None  # another model's helper
    with pytest.raises(TypeError, match=r"initialize_parameters\(n_x, n_h, n_y\) as its caller names it.*"
                                        r"<lambda> cannot take those arguments: pass parameters="):
        exec("nn_model(X, Y, 4, num_iterations=5)", space)
