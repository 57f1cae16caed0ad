"""What a user's type-checked code does with the public API: `mypy` (see pyproject.toml) checks
this file with the package, and `.ci/run` runs it. Not a test module (pytest does not collect
it): each line is a call the API takes at run time, written as a user writes it, so an
annotation narrower than what a function accepts, or a return type other than the documented
one, is an error here. tests/test_package.py runs it, so every call here also runs."""

from __future__ import annotations

import functools
import io
from typing import Dict, List, Optional, Tuple

import numpy as np

import weightinit as wi
from weightinit import prototype


def initializers() -> List[np.ndarray]:
    g = np.random.default_rng(0)
    out = np.empty((8, 4), dtype=np.float32)
    arrays: List[np.ndarray] = [
        wi.he_normal((256, 128), rng=2),
        wi.he_normal([16, 8], rng=g, dtype=np.float32),
        wi.he_normal((np.int64(16), np.int32(8)), rng=np.random.SeedSequence(3), dtype="float16"),
        wi.xavier_uniform((8, 4), gain=wi.calculate_gain("tanh"), out=out),
        wi.kaiming_uniform((8, 4, 3, 3), a=0.1, mode="fan_out", nonlinearity="leaky_relu", rng=[1, 2]),
        wi.variance_scaling((3, 3, 8, 16), scale=2.0, mode="fan_avg", distribution="truncated_normal",
                            in_axis=-2, out_axis=-1, rng=4),
        wi.truncated_normal((64, 64), std=0.02, a=-0.04, b=0.04, rng=7, region=(slice(0, 16), slice(None))),
        wi.trunc_normal((4, 4), mean=0.5, rng=7),
        wi.uniform(10, low=-1.0, high=1.0, rng=np.random.PCG64(5)),
        wi.normal(np.int64(10), mean=1.0, std=0.5, rng=6),
        wi.zeros((2, 3)), wi.ones(4, dtype=np.float32), wi.constant((2, 2), value=0.5),
        wi.orthogonal((16, 8), gain=2.0, rng=8), wi.eye((3, 3)), wi.dirac((4, 2, 3), groups=2),
        wi.sparse((10, 5), sparsity=0.2, rng=9),
        wi.fan_in_uniform((4, 10), rng=1), wi.xavier_normal((4, 10), gain=0.5), wi.glorot_uniform((4, 10)),
        wi.glorot_normal((3, 3, 4, 10), in_axis=-2, out_axis=-1), wi.he_uniform((4, 10), mode="fan_out"),
        wi.kaiming_normal((4, 10), a=None, nonlinearity="relu"), wi.lecun_normal((4, 10), rng=np.int64(2)),
        wi.lecun_uniform((4, 10), dtype=np.dtype(np.float32)), wi.delta_orthogonal((3, 3, 4, 8), in_axis=-2, out_axis=-1),
        wi.get("normalized_xavier")((4, 2), rng=2),
        wi.get(functools.partial(wi.normal, std=0.01))((4, 2), rng=2),
        wi.random.uniform((4, 4), rng=1),
        wi.random.key_from_rng(3),
    ]
    fans: Tuple[int, int] = wi.compute_fans((8, 4, 3, 3))
    names: List[str] = wi.available()
    bound: float = wi.scale("xavier", 10) + wi.scale("xavier_uniform", 10, 20, gain=2.0)
    summary: wi.Summary = wi.describe(arrays[0])
    words: Tuple[int, int, int, int] = wi.random.philox4x32_10([0, 0, 0, 0], [0, 0])
    wi.set_num_threads(wi.get_num_threads())
    assert fans and names and bound and summary.std and words
    return arrays


def networks() -> Dict[str, float]:
    X, Y = wi.datasets.planar_flower(1)
    X_test, Y_test = wi.datasets.planar_flower(2, m=200)
    net = wi.MLP([2, 4, 1], activations=["tanh", "sigmoid"], init="he_normal", rng=2)
    per_layer = wi.MLP((2, 4, 1), init=["he_normal", functools.partial(wi.normal, std=0.01)],
                       rng=np.random.default_rng(1), dtype=np.float32)
    costs: np.ndarray = net.fit(X, Y, iterations=50, learning_rate=1.2, record_every=10)
    per_layer.fit(X, Y, iterations=5, batch_size=100, progress=lambda step, cost: None, rng=3)
    params: Dict[str, np.ndarray] = net.parameters
    net.parameters = params
    grads: Dict[str, np.ndarray] = net.gradients(X, Y)
    predicted: np.ndarray = net.predict(X_test)
    proba: np.ndarray = net.predict_proba(X_test)
    Xb, Yb = wi.datasets.blobs(n_per_class=20, rng=0)
    softmax = wi.MLP([2, 8, 3], activations=["relu", "softmax"], loss="softmax_cross_entropy", rng=0)
    softmax.fit(Xb, Yb.argmax(axis=0), iterations=5, learning_rate=0.5)
    assert costs.size and grads and predicted.size and proba.size
    return {"cost": net.cost(X, Y), "accuracy": net.accuracy(X_test, Y_test)}


def sweeps() -> wi.SweepResult:
    X, Y = wi.datasets.moons(n_per_class=50, rng=1)
    listed = wi.sweep(X, Y, [2, 4, 1], inits=["zeros", "fan_in_uniform", "he_normal"], seeds=range(2),
                      iterations=20, learning_rate=1.2)
    labelled = wi.sweep(X, Y, [2, 4, 1], {"randn*0.01": functools.partial(wi.normal, std=0.01), "he": "he"},
                        seeds=[0, 5], iterations=20, X_test=X, Y_test=Y, progress=lambda done, steps: None)
    paired = wi.sweep(X, Y, [2, 4, 1], [("xavier", "fan_in_uniform"), "he_normal"], seeds=2, iterations=20,
                      record_every=5, batch_size=16)
    batch: Optional[int] = paired.batch_size
    (n_inits, n_seeds, n_records) = paired.costs.shape
    buffer = io.BytesIO()
    labelled.save(buffer)
    buffer.seek(0)
    again = wi.SweepResult.load(buffer)
    net: wi.MLP = again.network("he", seed=5)
    table: str = listed.table()
    assert again == labelled and net.layer_sizes and table and n_inits * n_seeds * n_records and batch == 16
    return paired


def the_prototype() -> float:
    X, Y = prototype.load_planar_dataset(1)
    n_x, n_h, n_y = prototype.layer_sizes(X, Y)
    parameters = prototype.initialize_parameters(n_x, 4, n_y, init="he_normal")
    A2, cache = prototype.forward_propagation(X, parameters)
    grads = prototype.backward_propagation(parameters, cache, X, Y)
    parameters = prototype.update_parameters(parameters, grads, learning_rate=1.2)
    trained = prototype.nn_model(X, Y, n_h, num_iterations=20)
    predictions: np.ndarray = prototype.predict(trained, X)
    assert n_h and A2.size and predictions.size
    return prototype.compute_cost(A2, Y, parameters)


def run_all() -> None:
    initializers()
    networks()
    sweeps()
    the_prototype()
