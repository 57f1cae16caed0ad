"""Bad arguments found by an adversarial review: each error is a ValueError or TypeError
that names the argument the caller passed (not an OverflowError, not an internal name)."""

import re
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import weightinit as wi
from weightinit import datasets, experiments, prototype
from conftest import need_torch

X = np.random.default_rng(0).normal(size=(2, 6))
Y = (X[:1] * X[1:] > 0).astype(float)


@pytest.mark.parametrize("call,error,words", [
    # Values too large for a float, or rules whose spread overflows or underflows.
    (lambda: wi.normal(4, std=10**400), ValueError, "std"),
    (lambda: wi.xavier_uniform((3, 3), gain=1e200), ValueError, "gain"),
    (lambda: wi.he_normal((3, 3), a=1e200, nonlinearity="leaky_relu"), ValueError, "a="),
    (lambda: wi.variance_scaling((3, 3), scale=1e308, distribution="uniform"), ValueError, "scale"),
    (lambda: wi.variance_scaling((3, 3), scale=5e-324), ValueError, "scale"),
    # fans of 2**80: beyond int64 for numpy's sqrt (a TypeError that named nothing)
    (lambda: wi.variance_scaling((2**40,) * 3, mode="fan_geo_avg"), MemoryError, "shape"),
    (lambda: wi.xavier_uniform((3, 3), gain=1e5, dtype=np.float16), ValueError, "gain"),
    (lambda: wi.scale("he", 5e-324), ValueError, "fan_in"),
    (lambda: wi.he_normal((3, 3), dtype="nonsense"), TypeError, "dtype must be float16, float32 or float64"),
    # Regions: steps and bounds must be ints.
    (lambda: wi.uniform((4, 4), region=(slice(0, 4, 1.0),)), TypeError, r"region\[0\]"),
    (lambda: wi.uniform((4, 4), region=(slice(True, 2),)), TypeError, r"region\[0\]"),
    # The network's arguments.
    (lambda: wi.MLP([2, 3, 1], rng=-1), ValueError, "rng"),
    (lambda: wi.MLP([2, 3, 1], activations=["tanh", ["sigmoid"]]), TypeError, r"activations\[1\]"),
    (lambda: wi.MLP([2, 3, 1], loss=["mse"]), TypeError, "loss"),
    (lambda: wi.MLP([2, 3, 1], loss="softmax_cross_entropy"), ValueError, "softmax"),
    # The sweep's test set and inits are named as the caller named them.
    (lambda: wi.sweep(X, Y, [2, 3, 1], ["he"], 2, 5, 0.5, X_test=X[:1], Y_test=Y), ValueError, "X_test"),
    (lambda: wi.sweep(X, Y, [2, 3, 1], ["he"], 2, 5, 0.5, X_test=X, Y_test=Y[:, :3]), ValueError, "Y_test"),
    (lambda: wi.sweep(X, Y, [2, 3, 1], ["he"], 2, 5, 0.5, X_test=X * np.nan, Y_test=Y), ValueError, "X_test"),
    (lambda: wi.sweep(X, Y, [2, 3, 1], ["hee"], 2, 5, 0.5), ValueError, r"inits\[0\]"),
    # The prototype's functions (a KeyError or AttributeError before, as the article's own code).
    (lambda: prototype.forward_propagation(X, {"b1": 0}), ValueError, "parameters lacks W1, W2, b2"),
    (lambda: prototype.forward_propagation(X, [1, 2]), TypeError, "parameters must be a dict"),
    (lambda: prototype.update_parameters(prototype.initialize_parameters(2, 4, 1), {}), ValueError,
     "grads lacks dW1, db1, dW2, db2"),
    (lambda: prototype.initialize_parameters(2, 4, 1, scale=float("nan")), ValueError, "scale"),
    (lambda: prototype.compute_cost([[0.5, 0.5]], [[1, 0, 1]], {}), ValueError, r"^A2 \(n_y, m\) and Y"),
    # Data sets.
    (lambda: datasets.planar_flower(1, m="4"), TypeError, "m"),
    (lambda: datasets.planar_flower(np.random.default_rng(0)), TypeError, "rng must be None, an int seed or a"),
    # ... without NumPy's words on casting dtype('O'), which followed until helper-190
    (lambda: datasets.planar_flower(np.random.default_rng(0)), TypeError, r"got a Generator: [^(]*$"),
    (lambda: prototype.load_planar_dataset(np.random.SeedSequence(1)), TypeError, r"rseed .*got a SeedSequence: [^(]*$"),
    (lambda: datasets.blobs(n_per_class="3"), TypeError, "n_per_class"),
    (lambda: datasets.blobs(n_per_class=2.5), TypeError, "n_per_class"),
    (lambda: datasets.blobs(centers=[[]]), ValueError, "centers"),  # X of shape (0, 300) before
    # helper-72's fuzzing: NumPy's wording (the argument unnamed) or a silently non-finite X before.
    (lambda: datasets.blobs(n_per_class=3, rng=-1), ValueError, "rng"),
    (lambda: datasets.blobs(n_per_class=3, centers=[[np.nan, 0.0]]), ValueError, "centers"),
    (lambda: datasets.blobs(n_per_class=3, centers=[[np.inf, 0.0]]), ValueError, "centers"),
    (lambda: datasets.blobs(n_per_class=2**62), MemoryError, "n_per_class"),  # "negative dimensions" before
    (lambda: datasets.planar_flower(0, m=2**62), MemoryError, "m="),  # "array is too big"
    (lambda: datasets.moons(n_per_class=2**62), MemoryError, "n_per_class"),
    (lambda: datasets.circles(n_per_class=2**62), MemoryError, "n_per_class"),
    # A dimension beyond float range: an OverflowError from the fans before.
    (lambda: wi.he_uniform((1, 2**1030)), MemoryError, "shape"),
    (lambda: wi.xavier_normal((2**1100, 2)), MemoryError, "shape"),
    (lambda: wi.variance_scaling((1, 2**1030), mode="fan_geo_avg"), MemoryError, "shape"),
    (lambda: wi.he_uniform((0,) + (2**62,) * 17), MemoryError, "shape"),  # empty, but NumPy cannot shape it
    (lambda: wi.fans.fan_for_mode(2**1030, 1, "fan_in"), ValueError, "fan_in"),
    (lambda: wi.fans.fan_for_mode(1, 2**1030, "fan_avg"), ValueError, "fan_out"),
    (lambda: wi.fans.fan_for_mode(2**1030, 1, "fan_geo_avg"), ValueError, "fan_in"),
    # rng=True would be seed 1 (NumPy takes a bool as an int): a user meaning "random" got a fixed key.
    (lambda: wi.normal(3, rng=True), TypeError, "rng.*bool"),
    (lambda: datasets.moons(n_per_class=3, rng=False), TypeError, "rng.*bool"),
    # A big-endian out was refused as "dtype float16, float32 or float64, got >f8".
    (lambda: wi.normal(out=np.zeros(3, ">f8")), TypeError, "byte order"),
    # A real number beyond float range that is not an int: an AttributeError (bit_length) before.
    (lambda: wi.normal(2, mean=Fraction(10**400, 3)), ValueError, "mean"),
    (lambda: wi.xavier_uniform((2, 2), gain=Fraction(10**400, 3)), ValueError, "gain"),
    (lambda: wi.describe(np.ma.masked_array([1.0, 2.0], mask=[1, 1])), ValueError, "empty"),
    # Found by a fuzz of the public API (helper-83): each was NumPy's or the core's own words.
    (lambda: wi.normal((1,) * 65), ValueError, "shape has 65 dimensions"),  # a MemoryError before
    (lambda: wi.normal(np.array([2, -1])), ValueError, r"got \(2, -1\)$"),  # not np.int64(2)
    (lambda: wi.describe([[1.0, 2.0], [3.0]]), ValueError, "a must be an array"),
    (lambda: prototype.load_planar_dataset(-1), ValueError, "rseed"),  # not "rng"
    # A bool seed was NumPy's seed 1 without init= and refused with it.
    (lambda: prototype.initialize_parameters(2, 4, 1, seed=True), TypeError, "seed must be None or an int seed, got bool"),
    (lambda: prototype.load_planar_dataset(False), TypeError, "rseed.*bool"),
    (lambda: prototype.forward_propagation(np.zeros((2, 0)), prototype.initialize_parameters(2, 4, 1)),
     ValueError, r"X has shape \(2, 0\)"),
    (lambda: prototype.backward_propagation(
        {"W1": np.zeros((0, 2)), "b1": np.zeros((0, 1)), "W2": np.zeros((1, 0)), "b2": np.zeros((1, 1))},
        None, X, Y), ValueError, r"parameters\['W1'\] has shape \(0, 2\)"),
    (lambda: prototype.update_parameters({"W1": "a", "b1": 1, "W2": 1, "b2": 1},
                                         {"dW1": 1, "db1": 1, "dW2": 1, "db2": 1}), TypeError, r"parameters\['W1'\]"),
    (lambda: wi.sweep(X, Y, [2, 3, 1], ["he"], 2, 5, 0.5).network(1, 0), ValueError, "init=1 is out of range"),
    (lambda: wi.sweep(X, Y, [2, 3, 1], ["he"], 2, 5, 0.5).network(0, 0.0), TypeError, "seed"),
    (lambda: wi.sweep(X, Y, [2, 3, 1], ["he"], 2, 5, 0.5).network("xavier", 0), ValueError, "'he'"),
    # A fuzz of the public API (helper-159). A masked center's hidden values were drawn from:
    (lambda: datasets.blobs(centers=np.ma.masked_array([[0.0, 0.0], [9.0, 9.0]], mask=[[0, 0], [1, 1]])),
     ValueError, "centers has 2 masked values"),
    (lambda: datasets.blobs(centers=[np.ma.masked_array([0.0, 5.0], mask=[0, 1]), [9.0, 9.0]]),  # helper-164
     ValueError, "centers has 1 masked value"),
    (lambda: wi.MLP([2, 1]).cost([X[0], np.ma.masked_array(X[1], mask=X[1] > 0)], Y), ValueError,
     r"X has \d+ masked values"),
    # dtypes np.dtype refuses with a ValueError: a MemoryError, or NumPy's words, before.
    (lambda: wi.normal((2, 2), dtype=[("a", "f8"), ("a", "f8")]), TypeError, "^dtype must be float16"),
    (lambda: wi.zeros((2, 2), dtype=("f8", -1)), TypeError, "^dtype must be float16"),
    (lambda: wi.xavier_uniform((2, 2), dtype=[("a", "f8"), ("a", "f8")]), TypeError, "^dtype must be"),
    (lambda: wi.MLP([2, 1], dtype=[("a", "f8"), ("a", "f8")]), TypeError, "^dtype must be float32 or float64"),
    # np.timedelta64 is a np.signedinteger: a year was taken as std=1.0, a day raised float()'s words.
    (lambda: wi.normal(2, std=np.timedelta64(1, "Y")), TypeError, "^std must be a real number, got timedelta64"),
    (lambda: wi.normal(2, std=np.timedelta64(1, "D")), TypeError, "^std must be a real number"),
    (lambda: wi.MLP([2, 1]).fit(X, Y, learning_rate=np.timedelta64(1, "s")), TypeError, "^learning_rate"),
    # The memory estimate read a ragged X first, with NumPy's words.
    (lambda: wi.sweep([[1.0, 2.0], [3.0]], Y, [2, 3, 1], ["zeros"], 1, 2), TypeError, "^X must be array-like"),
    # NumPy's "array is too big" and "Unable to allocate 16.0 TiB", naming no size.
    (lambda: prototype.initialize_parameters(2, 2**62, 1), MemoryError, "^n_x, n_h, n_y = 2, 4611686018427387904, 1"),
    (lambda: prototype.initialize_parameters(2, 2**62, 1, init="he_normal"), MemoryError, "^n_x, n_h, n_y"),
    (lambda: prototype.nn_model(X, Y, n_h=2**40), MemoryError, "^n_x, n_h, n_y = 2, 1099511627776, 1"),
    # Flags given an array: NumPy's "truth value ... is ambiguous" (nn_model's after training).
    (lambda: wi.MLP([2, 1]).gradients(X, Y, return_activations=np.array([1, 2])), TypeError,
     "^return_activations must be a bool"),
    (lambda: wi.available(np.array([1, 0])), TypeError, "^aliases must be a bool"),
    (lambda: prototype.nn_model(X, Y, 2, print_cost=np.array([1, 2])), TypeError, "^print_cost must be a bool"),
    (lambda: prototype.nn_model(X, Y, 2, return_costs=np.ones((2, 2))), TypeError, "^return_costs must be a bool"),
    # keras' HeNormal took scale=5, and was no longer He.
    (lambda: wi.get("HeNormal")((3, 3), scale=5), TypeError, "^HeNormal fixes scale"),
    (lambda: wi.scale("GlorotUniform", 3, 3, mode="fan_in", distribution="normal"), TypeError,
     "^GlorotUniform fixes mode, distribution"),
    # A path as bytes: np.savez's endswith(".npz") failed on it. Something that is no file:
    (lambda: wi.sweep(X, Y, [2, 3, 1], ["he"], 1, 2).save(5), TypeError, r"^file must be a path .*got int"),
    (lambda: wi.SweepResult.load(None), TypeError, r"^file must be a path .*'rb'.*got NoneType"),
])
def test_bad_argument_is_named(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_a_shape_hint_is_for_data_not_weights():
    net = wi.MLP([2, 3, 1], rng=0)
    p = net.parameters
    with pytest.raises(ValueError, match="W1 must have 3 rows") as info:
        net.parameters = {**p, "W1": p["W1"].T}
    assert "examples are columns" not in str(info.value)


@pytest.mark.parametrize("a", [np.array([True, False]), [True, False], np.array(["1", "2"]), np.array([1, None])])
def test_describe_refuses_what_holds_no_real_numbers(a):
    """A mask passed by mistake was summarized as weights once the dtype check took bools
    (helper-165: nothing tested it)."""
    with pytest.raises(TypeError, match="^a must hold real numbers, got dtype"):
        wi.describe(a)


def test_describe_leaves_out_masked_values():
    s = wi.describe(np.ma.masked_array([1.0, 2.0, 1e6], mask=[0, 0, 1]))  # max 1e6 before
    assert (s.min, s.max, s.mean, s.std) == (1.0, 2.0, 1.5, 0.5)


def test_the_prototype_takes_parameters_saved_by_numpy(tmp_path):
    """np.savez then np.load gives an NpzFile, a mapping as the article's code reads it."""
    p = prototype.initialize_parameters(2, 4, 1)
    np.savez(tmp_path / "p.npz", **p)
    with np.load(tmp_path / "p.npz") as saved:
        np.testing.assert_array_equal(prototype.predict(saved, X), prototype.predict(p, X))


def test_the_prototype_takes_lists_where_numpy_would():
    assert prototype.compute_cost([[0.5, 0.5]], [[1, 0]], {}) == pytest.approx(np.log(2))
    assert prototype.layer_sizes([[1.0, 2.0]] * 3, [[0, 1]]) == (3, 4, 1)


def test_numpy_arrays_serve_as_shapes_sizes_and_seeds():
    assert wi.uniform(np.array(3), rng=0).shape == (3,)
    assert wi.he_normal(np.array([3, 2]), rng=0).shape == (3, 2)
    assert wi.MLP(np.array([2, 3, 1]), rng=0).layer_sizes == (2, 3, 1)
    assert wi.sweep(X, Y, [2, 3, 1], ["he"], np.arange(2), 5, 0.5).seeds == [0, 1]
    with pytest.raises(TypeError, match="shape"):
        wi.uniform({2: 1})


def test_sweep_takes_any_iterable_of_inits():
    r = wi.sweep(X, Y, [2, 3, 1], (name for name in ["zeros", "he"]), 2, 5, 0.5)
    assert r.inits == ["zeros", "he"]


def test_prototype_reports_a_bad_weight_shape():
    params = prototype.initialize_parameters(2, 4, 1)
    with pytest.raises(ValueError, match="W1"):
        prototype.forward_propagation(X, {**params, "W1": np.zeros(2)})


def test_an_array_passed_as_the_shape_points_to_out():
    # torch.nn.init's habit, xavier_uniform_(W): the message said "got ndarray" and printed
    # W's first row as if it were the bad dimension.
    W = np.zeros((4, 3))
    for call in (lambda: wi.xavier_uniform(W), lambda: wi.normal(W), lambda: wi.uniform(np.array([3.0, 4.0]))):
        with pytest.raises(TypeError, match=r"float64 ndarray of shape \((4, 3|2,)\); .*out=") as info:
            call()
        assert "array([" not in str(info.value)
    # An integer vector is a shape, as in NumPy.
    assert wi.normal(np.array([4, 3]), rng=0).shape == (4, 3)


class _ForeignTensor:
    """What torch, jax and cupy arrays share: shape, dtype and iteration over rows, not ndarray."""

    def __init__(self, shape, dtype="torch.float32", values=None):
        self.shape, self.dtype, self.values = shape, dtype, values

    def __len__(self):
        return self.shape[0]

    def __iter__(self):
        if self.values is not None:
            return iter(self.values)
        return iter([_ForeignTensor(self.shape[1:], self.dtype) if len(self.shape) > 1 else 0.25] * self.shape[0])

    def __index__(self):  # a 0-D integer tensor is an integer, as torch's is
        if self.shape != () or "int" not in self.dtype:
            raise TypeError("only integer scalar tensors can be converted to an index")
        return self.values

    def __repr__(self):
        return "tensor([[1.8499e+20, ...]])"


def test_a_foreign_tensor_passed_as_the_shape_points_to_out():
    # The same habit with torch's own tensor, xavier_uniform(torch.empty(4, 3)): the message
    # printed the tensor's first row as the bad dimension, with no word of out=.
    for t in (_ForeignTensor((4, 3)), _ForeignTensor((5,))):
        with pytest.raises(TypeError, match=r"_ForeignTensor of shape \((4, 3|5,)\); .*out=t\.detach\(\)\.numpy\(\)") as info:
            wi.xavier_uniform(t)
        assert "1.8499e+20" not in str(info.value)
    # An integer matrix is no shape, and no output either: out= would be a misdiagnosis.
    for t in (_ForeignTensor((2, 3), "torch.int64"), np.array([[4, 4]])):
        with pytest.raises(TypeError, match=r"a 1-D integer array\), got a 2-D (torch\.)?int64 ") as info:
            wi.xavier_uniform(t)
        assert "out=" not in str(info.value)
    # Given as out=, a tensor gets the same way to its memory.
    with pytest.raises(TypeError, match=r"out must be a numpy.ndarray, got _ForeignTensor; .*out=t\.detach\(\)\.numpy\(\)"):
        wi.he_normal((4, 3), out=_ForeignTensor((4, 3)))
    with pytest.raises(TypeError, match=r"out must be a numpy.ndarray, got list$"):
        wi.he_normal(out=[[0.0] * 3] * 4)
    # Integer ones are shapes, as NumPy's are: torch.tensor([4, 3]) and torch.tensor(5).
    assert wi.normal(_ForeignTensor((2,), "torch.int64", [4, 3]), rng=0).shape == (4, 3)
    assert wi.normal(_ForeignTensor((), "torch.int64", 5), rng=0).shape == (5,)


def test_masked_data_is_refused_not_trained_on_unmasked():
    # np.asarray drops a mask: fit trained on the values under it, silently (helper-59).
    X, Y = datasets.planar_flower(1)
    Xm = np.ma.masked_array(X, mask=np.zeros_like(X, bool))
    Xm[0, 5] = np.ma.masked
    net = wi.MLP([2, 3, 1], rng=0)
    with pytest.raises(ValueError, match=r"X has 1 masked value.*filled"):
        net.fit(Xm, Y, iterations=2)
    with pytest.raises(ValueError, match=r"X has 1 masked value"):
        prototype.forward_propagation(Xm, prototype.initialize_parameters(2, 4, 1))
    with pytest.raises(ValueError, match=r"Y has 1 masked value"):
        net.cost(X, np.ma.masked_array(Y, mask=np.arange(Y.size).reshape(Y.shape) == 3))
    # a mask that hides nothing is plain data
    clean = np.ma.masked_array(X, mask=np.zeros_like(X, bool))
    assert net.cost(clean, Y) == net.cost(X, Y)


class _EngineOutOfMemory:
    """The core network when its buffers cannot be allocated: pybind11 turns C++'s
    std::bad_alloc into a MemoryError of that bare text."""

    training = False

    def __getattr__(self, name):
        def call(*args, **kwargs):
            raise MemoryError("std::bad_alloc")
        return call


def test_an_engine_out_of_memory_says_what_needed_it():
    # A fit of [1, 2**20, 1] on 2**20 examples (8 TiB of activations) said only "std::bad_alloc".
    X, Y = datasets.planar_flower(1)
    net = wi.MLP([2, 6, 1], rng=0)
    net._net = _EngineOutOfMemory()
    with pytest.raises(MemoryError, match=r"\[2, 6, 1\] on 400 examples .* fewer examples at a time \(batch_size=\)"):
        net.fit(X, Y, iterations=1)
    for call in (lambda: net.cost(X, Y), lambda: net.gradients(X, Y), lambda: net.predict(X),
                 lambda: net.forward(X)):
        with pytest.raises(MemoryError, match=r"\[2, 6, 1\] on 400 examples .* fewer examples at a time$"):
            call()


def test_a_zero_fan_without_a_shape_does_not_blame_one():
    with pytest.raises(ValueError, match="fan_in") as info:
        wi.scale("xavier", fan_in=0)
    assert "the shape has" not in str(info.value)
    with pytest.raises(ValueError, match="empty axis"):
        wi.he_normal((3, 0))


def test_sweep_defaults_and_empty_seeds():
    r = wi.sweep(X, Y, [2, 3, 1], ["he"], 2)
    assert (r.iterations, r.learning_rate) == (10000, 1.2)  # as MLP.fit
    with pytest.raises(ValueError, match="seeds"):
        wi.sweep(X, Y, [2, 3, 1], ["he"], [], 5)


class _NoEngine:
    """A core network that must not be called: the memory check comes before it."""

    training = False
    fused = False

    def __getattr__(self, name):
        raise AssertionError(f"the engine's {name} was called")


def test_what_cannot_fit_in_memory_is_refused_before_the_engine_allocates(monkeypatch):
    """Linux overcommits: the engine's buffers were allocated, then the process was killed
    while filling them (exit 137, helper-73: [2, 256, 1] on 6e6 examples, a 46341² layer,
    and `weightinit depth --width 46341`). What cannot fit in the memory this process may
    use is a MemoryError first, in the caller's terms."""
    from weightinit import _args
    monkeypatch.setattr(_args, "physical_memory", lambda: 300 * 10**6)
    # [2, 256, 1] on 10^5 examples, 8 bytes a value: a training step writes per example A
    # (257 values), Z out and the dZ rows of both layers (1 + 256): ~412 MB. A batch of 1000
    # needs little, and the forward pass alone (A, Z and dZ out: 259 values) ~207 MB.
    Xb = np.random.default_rng(0).normal(size=(2, 100_000))
    Yb = (Xb[:1] > 0).astype(float)
    net = wi.MLP([2, 256, 1], rng=0)
    real = net._net
    net._net = _NoEngine()
    for call in (lambda: net.fit(Xb, Yb, iterations=1), lambda: net.gradients(Xb, Yb)):
        with pytest.raises(MemoryError, match=r"\[2, 256, 1\] on 100000 examples need about 412\.\d MB, more "
                                              r"than the 300\.0 MB this process may use: pass fewer examples"):
            call()
    with pytest.raises(MemoryError, match=r"\(batch_size=\)$"):
        net.fit(Xb, Yb, iterations=1)
    net._net = real
    assert net.fit(Xb, Yb, iterations=1, batch_size=1000).shape == (1,)
    assert net.predict(Xb).shape == (1, 100_000) and np.isfinite(net.cost(Xb, Yb))
    # Weights: kept and their gradients, and each layer's drawn before its copy: 3 x 8 bytes a
    # weight of the first layer here, 1.2 GB for 2000 x 25000, refused before any is drawn.
    drawn = []
    with pytest.raises(MemoryError, match=r"layer_sizes \[25000, 2000, 1\]: .*1\.2 GB, more than the 300\.0 MB"):
        wi.MLP([25000, 2000, 1], init=lambda shape, rng, dtype: drawn.append(shape) or np.zeros(shape))
    assert not drawn
    # The sweep's seeds as a count are not listed before its own check (a list of 2**31 - 1 ints
    # took 80 s and got the process killed).
    import tracemalloc
    tracemalloc.start()
    try:
        with pytest.raises(MemoryError, match=r"10000000 seeds"):
            wi.sweep(X, Y, [2, 3, 1], ["he"], 10**7, 1)
        assert tracemalloc.get_traced_memory()[1] < 50 * 10**6
    finally:
        tracemalloc.stop()


def test_the_prototypes_functions_check_what_numpy_would_broadcast():
    p = prototype.initialize_parameters(2, 4, 1)
    g = prototype.backward_propagation(p, None, X, Y)
    with pytest.raises(ValueError, match=r"grads\['db1'\] has shape \(4,\), parameters\['b1'\] \(4, 1\)"):
        prototype.update_parameters(p, {**g, "db1": g["db1"].ravel()})  # b1 became (4, 4)
    with pytest.raises(ValueError, match=r"grads\['dW1'\] has shape \(4, 1\)"):
        prototype.update_parameters(p, {**g, "dW1": np.ones((4, 1))})
    with pytest.raises(ValueError, match="learning_rate"):
        prototype.update_parameters(p, g, float("nan"))
    with pytest.raises(TypeError, match="learning_rate"):
        prototype.update_parameters(p, g, "x")
    with pytest.raises(ValueError, match=r"A2 .* and Y .* must have the same shape"):
        prototype.compute_cost(np.full((2, 6), 0.5), Y, p)
    with pytest.raises(ValueError, match="at least one example"):
        prototype.compute_cost(np.zeros((1, 0)), np.zeros((1, 0)), p)
    with pytest.raises(ValueError, match=r"init=.* returned shape \(3, 3\) for W1, expected \(4, 2\)"):
        prototype.initialize_parameters(2, 4, 1, init=lambda shape, rng, dtype: np.zeros((3, 3)))
    for seed, error in ((-1, ValueError), (2**32, ValueError), ("a", TypeError), (2.5, TypeError)):
        with pytest.raises(error, match="seed"):
            prototype.initialize_parameters(2, 4, 1, seed=seed)
    assert prototype.update_parameters(p, g, np.float32(0.5))["W1"].shape == (4, 2)


def test_an_unusable_weight_from_an_init_names_the_init():
    """'W1 must be finite' and 'init returned shape (3,) for W1' did not say which init gave
    it; a sweep's did not say which of its inits."""
    def nan(shape, rng, dtype):
        return np.full(shape, np.nan)

    def flat(shape, rng, dtype):
        return np.zeros(3)

    X, Y = datasets.planar_flower(1)
    for bad, what in ((nan, "W2 must be finite"), (flat, r"returned shape \(3,\) for W2, expected \(1, 4\)")):
        with pytest.raises(ValueError, match=rf"^init\[1\]=<function .*{bad.__name__}.*>:? {what}"):
            wi.MLP([2, 4, 1], init=["he_normal", bad])
        with pytest.raises(ValueError, match=rf"^init=<function .*{bad.__name__}.*>:? .*W1"):
            wi.MLP([2, 4, 1], init=bad)
        with pytest.raises(ValueError, match=rf"^inits\[1\]=<function .*{bad.__name__}.*>:? .*W1"):
            wi.sweep(X, Y, [2, 4, 1], ["zeros", ("bad", bad)], 2, 3, 1.2)


def test_a_masked_array_from_an_init_is_refused_not_read_under_its_mask():
    with pytest.raises(ValueError, match=r"init=<function .*> returned a W1 that has 8 masked values"):
        wi.MLP([2, 4, 1], init=lambda shape, rng, dtype: np.ma.masked_all(shape))


def test_a_fit_of_no_steps_blames_no_update():
    net = wi.MLP([2, 4, 1], rng=0)
    q = net.parameters
    q["W1"][0, 0] = np.nan
    net.parameters = q
    assert net.fit(X, Y, iterations=0).shape == (0,)  # "the last update (iteration -1)" before
    with pytest.raises(FloatingPointError, match="the parameters hold nan or inf .* so no step was taken"):
        net.fit(X, Y, iterations=1)


class BoolScalar:
    """What a 0-d torch.bool tensor shows weightinit: an __index__ (1 for True), a bool dtype, no shape."""
    dtype, ndim, shape = "torch.bool", 0, ()

    def __index__(self):
        return 1


class OneElementTensor:
    """What torch.tensor([8]) shows weightinit: a 1-D tensor of one int, whose __index__ gives 8
    (NumPy's np.array([8]) has none)."""
    dtype, ndim, shape = "torch.int64", 1, (1,)

    def __index__(self):
        return 8


@pytest.mark.parametrize("call, words", [
    (lambda: wi.sweep(X, Y, [2, 3, 1], ["zeros"], [0], 2, batch_size=OneElementTensor()),
     r"^batch_size must be an int >= 1, got a 1-D OneElementTensor"),
    (lambda: wi.MLP([2, 3, 1]).fit(X, Y, iterations=OneElementTensor()), r"^iterations must be .*, got a 1-D"),
    (lambda: wi.MLP([2, OneElementTensor(), 1]), r"^layer_sizes\[1\] must be .*, got a 1-D"),
    (lambda: wi.normal((OneElementTensor(), 4), rng=0), r"^shape must be .*, got a 1-D"),
])
def test_an_array_of_one_int_is_no_int(call, words):
    """helper-193: torch.tensor([8]) passed as 8 (batch_size, iterations, sizes, shapes), where
    np.array([8]) is refused: an int is a 0-d value."""
    with pytest.raises(TypeError, match=words):
        call()


class UnknownRankInt:
    """An int whose ndim is not an int (None: a symbolic tensor of unknown rank, as TensorFlow's
    tf.Tensor.ndim can be): nothing says it is an array, so its __index__ is taken."""
    ndim = None

    def __index__(self):
        return 5


def test_an_int_whose_ndim_is_no_int_is_taken_by_its_index():
    """helper-194: integer() compared ndim > 0 only where ndim is an int; without that guard an
    ndim of None raised Python's "'>' not supported" instead of taking the value."""
    assert wi.MLP([2, UnknownRankInt(), 1]).layer_sizes == (2, 5, 1)
    assert wi.normal((UnknownRankInt(), 4), rng=0).shape == (5, 4)


def test_a_torch_tensor_of_one_int_is_refused_as_numpys_array_is():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"^batch_size must be an int >= 1, got a 1-D Tensor"):
        wi.MLP([2, 3, 1]).fit(X, Y, iterations=2, batch_size=torch.tensor([8]))
    assert wi.MLP([2, 3, 1]).fit(X, Y, iterations=2, batch_size=torch.tensor(8)).shape == (2,)  # 0-d: an int


class GradTensor:
    """A tensor NumPy cannot read as torch's that requires grad: its __array__ raises RuntimeError."""
    shape, dtype = (2, 2), "torch.float32"

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("Can't call numpy() on Tensor that requires grad.")


@pytest.mark.parametrize("call, words", [
    (lambda: wi.normal((BoolScalar(), 4), rng=0), "^shape must be a tuple of ints, got bool"),
    (lambda: wi.normal((4, 4), rng=0, region=(slice(BoolScalar(), 3),)), r"^region\[0\] bounds must be ints, got bool"),
    (lambda: wi.MLP([2, BoolScalar(), 1]), r"^layer_sizes\[1\] must be an int >= 1, got bool"),
    (lambda: wi.set_num_threads(BoolScalar()), "^n must be an int >= 1, got bool"),
    (lambda: wi.MLP([2, 3, 1]).fit(X, Y, iterations=BoolScalar()), "^iterations must be an int >= 0, got bool"),
    (lambda: wi.sweep(X, Y, [2, 3, 1], ["zeros"], BoolScalar(), 2), "^seeds must be .*, got bool"),
    (lambda: wi.dirac((4, 2, 3), groups=BoolScalar()), "^groups must be an int >= 1, got bool"),
    (lambda: wi.normal(3, rng=BoolScalar()), "^rng must be None, an int >= 0.*got bool"),
    (lambda: datasets.planar_flower(BoolScalar()), "^rng must be None or an int seed, got bool"),
    (lambda: wi.normal(BoolScalar()), "^shape must be an int or a tuple of ints, got bool"),
    # A bool array is no bool: an array, refused as one.
    (lambda: wi.MLP([2, np.array([True, False]), 1]), r"^layer_sizes\[1\] must be .*, got a 1-D ndarray"),
])
def test_another_librarys_bool_scalar_is_refused_as_bool_is(call, words):
    """helper-191: a 0-d torch.bool tensor passed as 1 (or 0) where True is refused."""
    with pytest.raises(TypeError, match=words):
        call()


@pytest.mark.parametrize("call, name", [
    (lambda: wi.describe(GradTensor()), "a"),
    (lambda: datasets.blobs(1, centers=GradTensor()), "centers"),
    (lambda: wi.MLP([2, 3, 1]).fit(GradTensor(), Y, iterations=1), "X"),
])
def test_an_array_numpy_cannot_read_is_a_type_error_naming_it(call, name):
    """helper-191: describe(layer.weight) of a torch Linear raised torch's RuntimeError, and a
    bfloat16 tensor an unnamed TypeError, where MLP's X said "X must be array-like"."""
    with pytest.raises(TypeError, match=f"^{name} must be array-like: Can't call numpy"):
        call()


@pytest.mark.parametrize("call", [lambda: wi.describe(range(10**12)),
                                  lambda: datasets.blobs(1, centers=range(10**12))])
def test_an_array_beyond_memory_is_numpys_memory_error(call):
    """helper-192: the TypeError of an array NumPy cannot read took NumPy's MemoryError in too,
    as an empty "a must be array-like: "."""
    with pytest.raises(MemoryError):
        call()


@pytest.mark.parametrize("name", ["randn", "randn*0.01", "constant(0.5)", "uniform(-0.3,0.3)"])
def test_the_command_lines_scheme_strings_say_how_to_write_them_in_python(name):
    """helper-190: report.md and the CLI call them randn*0.01, constant(0.5), ...; wi.get,
    wi.MLP(init=) and wi.sweep(inits=) said only "unknown initializer name", or "did you
    mean 'random'"."""
    with pytest.raises(ValueError, match=r"unknown initializer name .* are, in Python, functools\.partial\(wi\.normal"):
        wi.get(name)
    with pytest.raises(ValueError, match=r"^inits\[0\]: unknown initializer name .*functools\.partial"):
        wi.sweep(X, Y, [2, 3, 1], [name], 1, 2)
    label, init = experiments.scheme(name)  # what the hint names
    assert label == name and callable(init)
    with pytest.raises(ValueError) as info:
        wi.get("he_normall")  # other unknown names: no word on schemes
    assert "functools" not in str(info.value)


def test_ragged_centers_and_negative_planar_seeds_are_named():
    with pytest.raises(ValueError, match="centers"):
        datasets.blobs(n_per_class=5, centers=[[1, 2], [3]])
    with pytest.raises(ValueError, match="rng.*-1"):
        datasets.planar_flower(-1)


@pytest.mark.parametrize("centers", [np.array([[1 + 2j, 0.0]]), [["1", "2"]], np.array([[1, 2]], dtype="m8[s]"),
                                     np.array([["2020-01-01"]], dtype="M8[D]"),
                                     np.array([["1", "2"]], dtype=object)])  # parsed too (helper-183)
def test_centers_that_are_no_real_numbers_are_refused(centers):
    """Complex centers lost their imaginary parts (a ComplexWarning), strings were parsed and
    times were taken as counts, where X and Y of a network are refused."""
    with pytest.raises(TypeError, match=r"^centers must be a \(k, n_features\) array of real numbers: got (dtype|str values)"):
        datasets.blobs(n_per_class=2, centers=centers)
    assert datasets.blobs(n_per_class=2, centers=np.array([[1, 2]], dtype=object))[0].dtype == np.float64


def test_parameters_saved_with_savez_load_back_into_a_network(tmp_path):
    # np.load gives an NpzFile, a Mapping but no dict: the setter refused it (helper-73),
    # where the prototype's functions take it.
    net = wi.MLP([2, 4, 1], rng=0)
    np.savez(tmp_path / "p.npz", **net.parameters)
    other = wi.MLP([2, 4, 1], rng=1)
    with np.load(tmp_path / "p.npz") as saved:
        other.parameters = saved
    assert all(np.array_equal(other.parameters[k], v) for k, v in net.parameters.items())


@pytest.mark.parametrize("make", [
    lambda: datasets.moons(n_per_class=10, noise=1e308, rng=0),
    lambda: datasets.circles(n_per_class=10, noise=1e308, rng=0),
    lambda: datasets.blobs(n_per_class=10, std=1e308, centers=[[1.7e308, 0.0]], rng=0),
    lambda: datasets.planar_flower(1, noise=1e308),  # nan: t's noise inside sin
    lambda: datasets.planar_flower(1, radius=1e308, noise=1e308),
])
def test_noise_that_overflows_is_refused_not_returned_as_inf(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused, without NumPy's overflow warnings on the way
        with pytest.raises(ValueError, match="noise|std"):
            make()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 5000), min_size=2, max_size=6), st.integers(1, 10**7),
       st.sampled_from(["forward", "layers", "train"]), st.booleans())
def test_the_quick_memory_bound_is_above_every_estimate(sizes, m, work, fused):
    """EngineMemory skips engine_values (1.9 us for [2, 4, 1]) when 18 units^2 + 4 units m is
    under the unchecked size: that must bound it, or a call beyond memory would pass unchecked."""
    from weightinit.mlp import engine_values
    units = sum(sizes)
    fused = fused and work == "train" and wi.MLP(sizes, rng=0)._net.fused if max(sizes) <= 2048 else False
    assert engine_values(sizes, m, work, fused) <= 18 * units * units + 4 * units * m


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.integers(1, 8), st.integers(1, 2048), st.integers(1, 10**7))
def test_the_quick_memory_bound_is_above_every_fused_estimate(n0, h, m):
    """The fused step's per-block sums (2 + 2h + h n0 values a block, blocks of 32 to 256
    examples; few blocks when m is small) stay under the quick bound too."""
    from weightinit.mlp import engine_values
    sizes = [n0, h, 1]
    assert wi.MLP(sizes, rng=0)._net.fused
    units = sum(sizes)
    for itemsize in (8, 4):  # float32 networks count their sums (doubles) as two values each
        assert engine_values(sizes, m, "train", True, itemsize) <= 18 * units * units + 4 * units * m


def test_fused_partial_values_refuses_a_network_the_fused_step_does_not_take():
    """Past 8192 hidden units a fused block would hold no column: the count divided by zero
    and the process died of SIGFPE (core.mlp.fused_partial_values(2, 10000, 400))."""
    core = wi._coreload.core
    assert core.mlp.fused_partial_values(8, 2048, 400) > 0
    for n0, h in [(2, 10_000), (2, 2049), (9, 4), (0, 4), (2, 0)]:
        with pytest.raises(ValueError, match="a fused network has 1 to 8 inputs and 1 to 2048 hidden units"):
            core.mlp.fused_partial_values(n0, h, 400)


def test_the_engines_size_counts_do_not_wrap_near_2_to_the_64():
    """(m + d - 1) / d wrapped: gemm_chunks(2**64 - 1) was 0 and fused_partial_values(2, 64,
    2**64 - 1) 516, where every larger m gives more (helper-151). The counts feed the memory
    estimate, which must then refuse."""
    core = wi._coreload.core
    top = 2**64 - 1
    assert [core.mlp.gemm_chunks(m) for m in (1, 2048, 2049, 2**40, 2**63, top)] == [1, 1, 2, 16, 16, 16]
    counts = [core.mlp.fused_partial_values(2, 64, m) for m in (400, 2**40, 2**56, 2**62, top)]
    assert counts == sorted(counts) and counts[-2] < top == counts[-1]  # saturated, not wrapped
    assert core.mlp.fused_partial_values(2, 64, 2**40) == 2**40 // 256 * (2 + 2 * 64 + 64 * 2)


@pytest.mark.parametrize("sizes, m, work", [((2, 4, 1), 2**23, "train"), ((2, 4, 1), 2**23, "forward"),
                                             ((3000, 3000, 10), 1, "layers")])
def test_engine_memory_checks_every_call_beyond_the_unchecked_size(monkeypatch, sizes, m, work):
    """Calls that write more than 64 MB are checked, however the quick bound is reached: by
    examples (a tall X through a small network) or by weights (one example, a wide layer)."""
    from weightinit import _args
    from weightinit.mlp import EngineMemory, engine_values
    assert engine_values(sizes, m, work) * 8 > _args.UNCHECKED_BYTES
    monkeypatch.setattr(_args, "physical_memory", lambda: 10**6)
    with pytest.raises(MemoryError, match=re.escape(f"engine's buffers for {list(sizes)}") + ".*more than the 1.0 MB"):
        EngineMemory(sizes, m, work, np.dtype(np.float64), "fewer")
    EngineMemory(sizes, 1, "forward", np.dtype(np.float32), "fewer")  # small: passes unchecked


def test_the_memory_estimates_count_what_a_call_writes_not_what_it_reserves(monkeypatch):
    """helper-74: the first estimate counted two full-width dZ for every call and fit, so a
    cost() that peaked at 8.9 GB was refused as 27.1 GB, and a fused fit that needs X and Y
    alone as 28.0 GB. The engine reserves such buffers (aligned_alloc) but Linux backs only
    the pages written."""
    from weightinit import _args
    from weightinit.mlp import engine_values
    sizes = (2, 1024, 1)
    # cost and predict: A of each layer, the output's Z and dZ; gradients add the dZ rows the
    # backward pass writes (1 for the output, 1024 for the hidden layer) and the gradients.
    params = 1024 * 3 + 1025
    assert engine_values(sizes, 1000, "forward") == params + (1025 + 2) * 1000
    assert engine_values(sizes, 1000, "train") == 2 * params + (1025 + 1 + 1 + 1024) * 1000
    assert engine_values(sizes, 1000, "layers") == params + 2 * 1025 * 1000  # MLP.forward returns Z and A
    # A fused fit writes nothing per example but each block's sums: [2, 4, 1] on 10^9
    # examples, blocks of 256, 2 + 2 x 4 + 4 x 2 sums each; [2, 1000, 1] on 400 examples,
    # an even 8 blocks (of at most 64 columns, as 1000 rows of 64 fit 8192 vectors of 8; 56
    # as cut), 2 + 2 x 1000 + 1000 x 2 sums each.
    assert engine_values((2, 4, 1), 10**9, "train", fused=True) == 2 * 17 + 3_906_250 * 18
    assert engine_values((2, 1000, 1), 400, "train", fused=True) == 2 * 4001 + 8 * 4002
    # Those sums are doubles in a float32 network too: two float32 values each (helper-142).
    assert engine_values((2, 1000, 1), 400, "train", fused=True, itemsize=4) == 2 * 4001 + 2 * 8 * 4002
    assert wi.MLP([2, 4, 1])._net.fused and wi.MLP([8, 2048, 1])._net.fused
    assert not wi.MLP([2, 2049, 1])._net.fused and not wi.MLP([9, 4, 1])._net.fused
    monkeypatch.setattr(_args, "physical_memory", lambda: 10**8)
    X1 = np.zeros((2, 5000))
    net = wi.MLP([2, 1024, 1], rng=0)
    net.cost(X1, np.zeros((1, 5000)))  # (1025 + 2) x 5000 x 8 = 41 MB: under 64 MB, not even checked
    wi.MLP([2, 4, 1], rng=0).fit(np.zeros((2, 10**6)), np.zeros((1, 10**6)), iterations=1)  # fused


@pytest.mark.parametrize("call", ["predict", "cost", "gradients", "fit", "forward"])
def test_engine_memory_counts_the_copy_of_an_X_it_must_convert(monkeypatch, call):
    """helper-113: X was converted (a broadcast X of 2 x 10^9 copied into 16 GB, for 42 s)
    before the engine's memory was checked, and the copy was not counted. Here a broadcast X
    of 2 x 10^7 float64 values: the engine's 3 x 10^7 (forward) and the copy's 2 x 10^7,
    against a limit of 300 MB that the engine alone is under."""
    from weightinit import _args
    monkeypatch.setattr(_args, "physical_memory", lambda: 300 * 10**6)
    m = 10**7
    X = np.broadcast_to(np.zeros((2, 1)), (2, m))
    net = wi.MLP([2, 1], activations=["sigmoid"], rng=0)
    args = (X,) if call in ("predict", "forward") else (X, np.zeros((1, m)))
    kwargs = {"iterations": 1} if call == "fit" else {}
    with pytest.raises(MemoryError, match=r"\[2, 1\] on 10000000 examples and the copy of X as "
                                          r"C-contiguous float64 \(160\.0 MB\) need about"):
        getattr(net, call)(*args, **kwargs)


@pytest.mark.parametrize("call", ["cost", "accuracy", "gradients", "fit"])
def test_engine_memory_counts_the_copy_of_a_Y_it_must_convert(monkeypatch, call):
    """helper-115: Y was converted (a broadcast Y, a list, class indices made one-hot) before
    the memory check, which did not count it. A C-contiguous X here: Y's 10^7 values tip the
    forward pass's 3 x 10^7 over a limit of 300 MB."""
    from weightinit import _args
    monkeypatch.setattr(_args, "physical_memory", lambda: 300 * 10**6)
    m = 10**7
    net = wi.MLP([2, 1], activations=["sigmoid"], rng=0)
    X, Y = np.zeros((2, m)), np.broadcast_to(np.zeros((1, 1)), (1, m))
    kwargs = {"iterations": 1} if call == "fit" else {}
    with pytest.raises(MemoryError, match=r"\[2, 1\] on 10000000 examples and the copy of Y as C-contiguous "
                                          r"float64 \(80\.0 MB\) need about 3[0-9.]+ MB"):
        getattr(net, call)(X, Y, **kwargs)


@pytest.mark.parametrize("batch_size", [1, 256])
def test_a_mini_batch_fit_whose_copy_of_X_is_too_large_says_so(monkeypatch, batch_size):
    """helper-125: a float32 X given to a float64 network is copied for the fit; when that
    copy was most of what would not fit, the error blamed the batch's buffers and advised a
    smaller batch_size, which cannot help. The copy is named, and how to avoid it."""
    from weightinit import _args
    monkeypatch.setattr(_args, "physical_memory", lambda: 500 * 10**6)
    m = 10**7
    X, Y = np.zeros((10, m), np.float32), np.zeros((1, m))
    net = wi.MLP([10, 4, 1], rng=0)
    with pytest.raises(MemoryError, match=rf"on {batch_size} examples? and the copy of X as C-contiguous float64 "
                                          r"\(800\.0 MB\) need about 800\.\d MB, more than the 500\.0 MB this process "
                                          r"may use: the copy is made whatever the batch: pass fewer examples, or X "
                                          r"already as a C-contiguous float64 array \(a network of X's dtype, say\), "
                                          r"which the engine reads without a copy$"):
        net.fit(X, Y, iterations=1, batch_size=batch_size)
    assert net.fit(X[:, :1000].astype(np.float64), Y[:, :1000], iterations=1, batch_size=batch_size).shape == (1,)
    assert wi.MLP([10, 4, 1], rng=0, dtype=np.float32).fit(X, Y.astype(np.float32), iterations=1,
                                                             batch_size=batch_size).shape == (1,)  # no copy


@pytest.mark.parametrize("call", ["forward_propagation", "backward_propagation", "nn_model", "predict"])
def test_the_prototype_checks_memory_before_copying_too(monkeypatch, call):
    """helper-115: the prototype converted X (and Y) before its memory check, so the calls
    below copied a broadcast X where MLP refused it. The limit lets the engine's buffers pass
    and not them with X's copy (160 MB): nn_model's fit is fused and writes nothing per example."""
    from weightinit import _args
    from weightinit.mlp import engine_values
    m = 10**7
    work = {"forward_propagation": "layers", "predict": "layers", "backward_propagation": "train"}.get(call)
    engine = engine_values((2, 1, 1), m, work) * 8 if work else 0
    monkeypatch.setattr(_args, "physical_memory", lambda: engine + 80 * 10**6)
    X, Y = np.broadcast_to(np.zeros((2, 1)), (2, m)), np.zeros((1, m))
    p = prototype.initialize_parameters(2, 1, 1)
    args = {"forward_propagation": (X, p), "backward_propagation": (p, {}, X, Y), "nn_model": (X, Y, 1, 1),
            "predict": (p, X)}[call]
    with pytest.raises(MemoryError, match="on 10000000 examples and the copy of X.* need about"):
        getattr(prototype, call)(*args)


def test_initialize_parameters_takes_any_rng_kind_with_init():
    a = prototype.initialize_parameters(2, 4, 1, init="he_normal", seed=np.random.default_rng(5))
    b = prototype.initialize_parameters(2, 4, 1, init="he_normal", seed=5)
    assert np.array_equal(a["W1"], b["W1"])
    assert prototype.initialize_parameters(2, 4, 1, init="he_normal", seed=None)["W1"].shape == (4, 2)
    with pytest.raises(TypeError, match="seed"):
        prototype.initialize_parameters(2, 4, 1, init="he_normal", seed=True)


def test_a_shape_beyond_float_range_is_named_in_few_words():
    with pytest.raises(MemoryError) as info:
        wi.he_uniform((1, 2**1030))
    assert "2**1030" in str(info.value) and len(str(info.value)) < 200


def test_centers_of_the_wrong_kind_are_a_type_error():
    with pytest.raises(TypeError, match="centers"):
        datasets.blobs(n_per_class=5, centers=object())


def test_the_memory_free_now_limits_too(monkeypatch):
    """A call that writes 24.7 GB passed a check against the machine's 25.3 GB and was killed
    (helper-73's [2, 256, 1] on 6e6 examples): what Linux can still give (MemAvailable) is
    a limit too."""
    from weightinit import _args
    assert _args.available_memory() is None or _args.available_memory() > 0
    monkeypatch.setattr(_args, "available_memory", lambda: 300 * 10**6)
    Xb = np.zeros((2, 100_000))
    net = wi.MLP([2, 256, 1], activations=["tanh", "identity"], rng=0)  # layer by layer (not fused)
    with pytest.raises(MemoryError, match=r"need about 412\.\d MB, more than the 300\.0 MB"):
        net.fit(Xb, Xb[:1], iterations=1)
    monkeypatch.setattr(_args, "available_memory", lambda: None)  # not Linux: the machine's memory alone
    assert net.fit(Xb, Xb[:1], iterations=1).shape == (1,)


def test_dtypes_numpy_does_not_offer_say_what_to_pass():
    with pytest.raises(TypeError, match=r"got 'bfloat16' \(bfloat16 is not offered: generate float32 and convert"):
        wi.normal(3, dtype="bfloat16")
    with pytest.raises(TypeError, match=r"dtype must be float16, float32 or float64, got int32$"):
        wi.normal(3, dtype=np.int32)
    with pytest.raises(TypeError, match=r"got >f4 \(another byte order: pass float32 and convert, a.astype\('>f4'\)\)"):
        wi.normal(3, dtype=">f4")
    with pytest.raises(TypeError, match=r"dtype must be float32 or float64, got >f8 \(another byte order: pass float64"):
        wi.MLP([2, 1], dtype=">f8")
    for dtype, refuse in ((">i4", wi.normal), (">f2", lambda **k: wi.MLP([2, 1], **k))):  # not int32, nor float16
        with pytest.raises(TypeError) as info:
            refuse(dtype=dtype)
        assert "byte order" not in str(info.value)


def test_torch_dtypes_say_what_to_pass():
    torch = need_torch()
    with pytest.raises(TypeError, match=r"got torch.float32 \(a torch dtype: pass NumPy's, such as np.float32\)"):
        wi.he_normal((4, 3), dtype=torch.float32)
    with pytest.raises(TypeError, match=r"got torch.bfloat16 \(bfloat16 is not offered"):
        wi.he_normal((4, 3), dtype=torch.bfloat16)


def test_a_view_given_as_out_gets_the_way_around():
    W = np.zeros((10, 64))
    for view, what in ((W.T, "a Fortran-ordered array"), (W[:, :32], "a view"),
                       (np.zeros((10, 64), order="F"), "a Fortran-ordered array")):
        with pytest.raises(ValueError, match=rf"out must be C-contiguous, got {what} with strides .*view\[\.\.\.\] = array"):
            wi.he_normal(view.shape, out=view, rng=0)



@pytest.mark.parametrize("kind", ["matrix", "masked"])
def test_out_must_index_as_an_ndarray(kind, tmp_path):
    """eye filled a np.matrix out with gain everywhere (its reshape(-1) stays 2-D, so the
    diagonal's slice took whole rows); a masked out kept or lost its mask by initializer."""
    if kind == "matrix":
        with pytest.warns(PendingDeprecationWarning):
            out = np.matrix(np.full((3, 4), 7.0))
    else:
        out = np.ma.masked_array(np.zeros((3, 4)), mask=False)
    for init in (wi.eye, wi.he_normal):
        with pytest.raises(TypeError, match="out must be a plain numpy.ndarray.*np.asarray"):
            init(out=out)
    np.testing.assert_array_equal(wi.eye(out=np.asarray(out)), np.eye(3, 4))  # the way the message gives
    memmap = np.memmap(tmp_path / "w.bin", np.float64, "w+", shape=(3, 4))  # a subclass that indexes as one
    np.testing.assert_array_equal(wi.eye(out=memmap), np.eye(3, 4))


def test_a_numpy_float_shape_gets_no_advice_about_out():
    for shape, what in ((np.float64(3), "float64$"), (np.array([True, False]), "a bool ndarray$"),
                        (np.array(2.0), "a 0-d float64 array$"), (np.array(True), "a 0-d bool array$")):
        with pytest.raises(TypeError, match=f"shape must be an int or a tuple of ints, got {what}"):
            wi.normal(shape)


def test_a_network_too_large_for_memory_is_named_by_the_prototype_too():
    """MLP checked the engine's memory beforehand; the prototype's functions let
    std::bad_alloc (or NumPy's 745 GiB) through."""
    n = 100_000
    params = {"W1": np.zeros((n, 1)), "b1": np.zeros((n, 1)), "W2": np.zeros((1, n)), "b2": np.zeros((1, 1))}
    X1, Y1 = np.zeros((1, 10**6)), np.zeros((1, 10**6))
    for call in (lambda: prototype.forward_propagation(X1, params),
                 lambda: prototype.backward_propagation(params, None, X1, Y1)):
        with pytest.raises(MemoryError, match=r"engine's buffers for \[1, 100000, 1\] on 1000000 examples"):
            call()


def test_update_parameters_refuses_hidden_values_and_ragged_lists():
    p = prototype.initialize_parameters(2, 3, 1, seed=1)
    g = {"d" + k: np.zeros(v.shape) for k, v in p.items()}
    masked = {**p, "W1": np.ma.masked_array(p["W1"], mask=np.eye(3, 2, dtype=bool))}
    with pytest.raises(ValueError, match=r"parameters\['W1'\] has 2 masked values"):
        prototype.update_parameters(masked, g)
    with pytest.raises(TypeError, match=r"grads\['db1'\] must be array-like"):
        prototype.update_parameters(p, {**g, "db1": [[0.0], [0.0, 1.0], [0.0]]})


def test_update_parameters_takes_lists_as_numpy_operators_do():
    p = prototype.initialize_parameters(2, 3, 1, seed=1)
    g = {"d" + k: np.full(v.shape, 0.5) for k, v in p.items()}
    expected = {k: p[k] - 1.2 * g["d" + k] for k in p}
    got = prototype.update_parameters({k: v.tolist() for k, v in p.items()}, {k: v.tolist() for k, v in g.items()})
    for k in p:
        np.testing.assert_array_equal(got[k], expected[k])


def test_a_sweep_result_saves_to_a_path_given_as_bytes(tmp_path):
    """load took a bytes path and save did not: np.savez's endswith(".npz") failed on it (helper-159)."""
    r = wi.sweep(X, Y, [2, 3, 1], ["he"], 2, 5, 0.5)
    r.save(bytes(tmp_path / "r"))
    assert wi.SweepResult.load(bytes(tmp_path / "r.npz")) == r


def test_a_torch_scalar_for_a_real_number_says_what_to_pass():
    torch = need_torch()
    with pytest.raises(TypeError, match=r"^gain must be a real number, got Tensor \(a torch value: pass a Python "
                                        r"float, such as .item\(\)'s\)"):
        wi.xavier_uniform((3, 3), gain=torch.tensor(2.0))
    assert np.array_equal(wi.xavier_uniform((3, 3), gain=torch.tensor(2.0).item(), rng=0),
                          wi.xavier_uniform((3, 3), gain=2.0, rng=0))


def test_flags_are_read_as_python_reads_a_condition():
    """As before the check for arrays of several values (helper-164: a check for bools and
    ints alone refused None, 1.0 or a one-element array that had worked)."""
    net = wi.MLP([2, 1], rng=0)
    for yes in (True, np.True_, 1, np.int8(1), np.array(True), 1.0, "yes", np.array([1])):
        assert isinstance(net.gradients(X, Y, return_activations=yes), tuple)
    for no in (False, np.False_, 0, np.array(0), None, 0.0, "", []):
        assert isinstance(net.gradients(X, Y, return_activations=no), dict)
