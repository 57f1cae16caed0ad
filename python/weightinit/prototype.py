"""Drop-in replacements for the first article's NumPy prototype (planar data classification).

Same names, signatures, dict keys and shapes as the article's functions, so that
``from weightinit.prototype import *`` swaps them for ours: a 2-layer network
(tanh hidden layer, sigmoid output, cross-entropy) whose forward and backward passes
and whole training loop (``nn_model``) run in the C++ engine. The random draws are the
prototype's (legacy ``np.random.seed(s)`` + ``randn`` streams, taken from a private
``RandomState`` so NumPy's global state is left alone), so the numbers agree with it.
``nn_model`` calls an ``initialize_parameters`` of the caller's with the global generator
seeded with 3, as the prototype's does, and puts the global state back afterwards.

>>> from weightinit.prototype import load_planar_dataset, nn_model, predict
>>> X, Y = load_planar_dataset(1)
>>> parameters = nn_model(X, Y, n_h=4, num_iterations=1000)
>>> predict(parameters, X).shape
(1, 400)
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
import warnings
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from weightinit import _args, datasets
from weightinit._coreload import core
from weightinit._threads import get_num_threads
from weightinit.mlp import (MLP, EngineMemory, _as_is, _copied, _matrix, _real_array, _shaped, check_parameter_memory,
                            drawn_weights)

__all__ = [
    "backward_propagation", "compute_cost", "forward_propagation", "initialize_parameters", "layer_sizes",
    "load_planar_dataset", "nn_model", "plot_cost", "plot_decision_boundary", "predict", "sigmoid",
    "update_parameters",
]

Params = Dict[str, np.ndarray]
_F64 = np.dtype(np.float64)


def sigmoid(x: Any) -> Any:
    """1 / (1 + exp(-x)), element-wise."""
    return 1 / (1 + np.exp(-x))


def layer_sizes(X: np.ndarray, Y: np.ndarray) -> Tuple[int, int, int]:
    """(n_x, n_h, n_y): input size, the article's 4 hidden units, output size."""
    X, Y = _same_examples(X, Y, convert=False)  # shapes only: no float64 copies to read them from
    return X.shape[0], 4, Y.shape[0]


_PARAMETER_KEYS = ("W1", "b1", "W2", "b2")


def _entries(d: Any, keys: Tuple[str, ...], name: str) -> None:
    """A TypeError unless d is a mapping (a dict, np.load's NpzFile), a ValueError naming
    the keys it lacks."""
    if type(d) is not dict and not isinstance(d, Mapping):  # (a dict at once: the ABC's check is slow)
        raise TypeError(f"{name} must be a dict with keys {', '.join(keys)}, got {type(d).__name__}")
    missing = [k for k in keys if k not in d]
    if missing:
        raise ValueError(f"{name} lacks {', '.join(missing)} (it needs {', '.join(keys)})")


def initialize_parameters(n_x: int, n_h: int, n_y: int, *, scale: float = 1.0, init: Optional[str] = None,
                          seed: Any = 2) -> Params:
    """W1 (n_h, n_x), W2 (n_y, n_h) drawn as the article's ``np.random.seed(2); randn(...) * scale``; zero biases.
    ``seed`` may also be a ``np.random.RandomState``, which W1 and W2 are then drawn from
    (advancing it), as ``load_planar_dataset`` takes one.

    With ``init`` (an initializer name, e.g. ``"he_normal"``, or a callable, as
    ``wi.MLP(init=...)`` takes it) the weights come from that initializer instead, drawn as
    ``wi.MLP([n_x, n_h, n_y], init=init, rng=seed)`` draws them, from our Philox streams (so
    ``init="random"``, ``wi.normal``, is not the article's ``randn``: leave ``init`` out for
    that); ``scale`` then multiplies them.
    """
    n_x, n_h, n_y = (_args.count(n, name, 1) for n, name in ((n_x, "n_x"), (n_h, "n_h"), (n_y, "n_y")))
    scale = _args.real(scale, "scale")
    _check_memory(n_x, n_h, n_y, 2, "drawn and scaled")
    # A refused scale leaves the caller's RandomState or Generator where it was, as drawn_weights' refusals do.
    restore: Callable[[], Any]
    if init is None:
        rs = _args.legacy_stream(seed, "seed", takes_stream=True)
        legacy_state = rs.get_state()
        with np.errstate(over="ignore"):
            W1 = rs.randn(n_h, n_x) * scale
            W2 = rs.randn(n_y, n_h) * scale
        restore = functools.partial(rs.set_state, legacy_state)
    else:
        g = _args.generator(seed, "seed")
        state = g.bit_generator.state
        with np.errstate(over="ignore"):
            W1, W2 = (W * scale for W in drawn_weights([n_x, n_h, n_y], init, g, _F64, keep=False))
        restore = functools.partial(setattr, g.bit_generator, "state", state)
    # As the initializers': a weight too large for float64 is an error, not an inf (helper-191).
    if not (np.isfinite(W1).all() and np.isfinite(W2).all()):
        restore()
        raise ValueError(f"scale={scale:g} takes weights beyond float64's range (an infinite weight)")
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}


_PROTOTYPE_INITIALIZE = initialize_parameters  # this module's, as defined (star imports copy it)


def _check_memory(n_x: int, n_h: int, n_y: int, copies: int, what: str) -> None:
    """A MemoryError naming n_x, n_h, n_y where ``copies`` of the network's float64 weights and
    biases are beyond the memory this process may use."""
    check_parameter_memory((n_x, n_h, n_y), f"n_x, n_h, n_y = {n_x}, {n_h}, {n_y}", copies, 0, 8, what)


def _network(parameters: Params, X: Any) -> Tuple[Any, List[np.ndarray], np.ndarray]:
    """The engine's 2-layer network for these parameters, the parameters as it takes them, and
    X (n_x, m) as a 2-D array of real numbers (not yet converted, nor checked for examples: see
    :func:`_examples`).

    Shapes are the prototype's, checked: W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1);
    a 1-D bias, which NumPy would broadcast along the examples, is refused. Non-finite values
    pass, as through the prototype's NumPy.
    """
    if type(parameters) is dict and _as_read(X):  # the common case at once: each array as the engine reads it
        params: List[Any] = [parameters.get(k) for k in _PARAMETER_KEYS]
        W1, b1, W2, b2 = params
        if (_as_read(W1) and _as_read(b1) and _as_read(W2) and _as_read(b2) and W1.size and W2.size and X.shape[1]
                and X.shape[0] == W1.shape[1] and b1.shape == (W1.shape[0], 1) and W2.shape[1] == W1.shape[0]
                and b2.shape == (W2.shape[0], 1)):
            return _engine(W1.shape[1], W1.shape[0], W2.shape[0], X.shape[1]), params, X
    _entries(parameters, _PARAMETER_KEYS, "parameters")
    W1 = _matrix(parameters["W1"], "W1", _F64, finite=False)
    W2 = _matrix(parameters["W2"], "W2", _F64, cols=W1.shape[0], finite=False)
    b1 = _matrix(parameters["b1"], "b1", _F64, W1.shape[0], 1, finite=False)
    b2 = _matrix(parameters["b2"], "b2", _F64, W2.shape[0], 1, finite=False)
    for name, W in (("W1", W1), ("W2", W2)):
        if W.size == 0:
            raise ValueError(f"parameters['{name}'] has shape {W.shape}: every layer needs at least one unit and input")
    X = _shaped(X, "X", W1.shape[1])
    return _engine(W1.shape[1], W1.shape[0], W2.shape[0], X.shape[1]), [W1, b1, W2, b2], X


def _as_read(a: Any) -> bool:
    """Whether a is a matrix the engine reads as it is: a C-contiguous, aligned float64 ndarray
    (which :func:`_matrix` returns as it is when finite values are not required)."""
    return type(a) is np.ndarray and a.ndim == 2 and _as_is(a, _F64)


# The engine's networks kept for the prototype's calls one at a time: a new one allocated its
# buffers afresh each call (1.5 us of a 5 us forward pass on the article's data). Each thread
# keeps its own: two threads do not queue for one network's lock, and a forked child cannot
# find a network that a thread it does not have held locked at the fork. Kept only while
# every layer's values for every example, (n_x + n_h + n_y) m, are at most 2^16: its buffers,
# sized for the most examples it has taken, then hold a few times that (0.5 MB each), and no
# GEMM's partial dW (a layer of 256 weights on more than 2048 examples). At most 8 a thread,
# about 2 MB at the most each (helper-132): a pool of many threads that call these functions
# holds that many times more; a thread's go when it ends.
_KEPT_VALUES = 2**16


class _Kept(threading.local):
    def __init__(self) -> None:
        self.networks: Dict[Tuple[int, int, int], Any] = {}


_KEPT = _Kept()


def _engine(n_x: int, n_h: int, n_y: int, m: int) -> Any:
    sizes = (n_x, n_h, n_y)
    kept = (n_x + n_h + n_y) * m <= _KEPT_VALUES
    networks = _KEPT.networks
    net = networks.get(sizes) if kept else None
    if net is None:
        net = core.mlp.Network(list(sizes), ["tanh", "sigmoid"], "binary_cross_entropy", 0.01, False)
        if kept and len(networks) < 8:
            networks[sizes] = net
    return net


def _data(a: np.ndarray, name: str, rows: Optional[int]) -> np.ndarray:
    return _matrix(a, name, _F64, rows, finite=False)


def _examples(X: np.ndarray, params: List[np.ndarray], work: str, *data: np.ndarray) -> EngineMemory:
    """The engine's memory for a pass over X's examples (at least one), as MLP's, counting the
    copies that converting X and ``data`` (arrays from :func:`_shaped`) to float64 makes."""
    if X.shape[1] == 0:
        raise ValueError(f"X has shape {X.shape}: at least one example (column) is needed")
    sizes = [params[0].shape[1], params[0].shape[0], params[2].shape[0]]
    return EngineMemory(sizes, X.shape[1], work, _F64, "pass fewer examples at a time",
                        copies={name: _copied(a, _F64) for name, a in zip(("X", "Y"), (X, *data))})


def forward_propagation(X: np.ndarray, parameters: Params) -> Tuple[np.ndarray, Params]:
    """A2 = sigmoid(W2 tanh(W1 X + b1) + b2) and the cache {"Z1", "A1", "Z2", "A2"}."""
    net, params, X = _network(parameters, X)
    with _examples(X, params, "layers"):  # before X is copied
        Z, A = net.forward(params, _data(X, "X", None), True, get_num_threads())
    return A[1], {"Z1": Z[0], "A1": A[0], "Z2": Z[1], "A2": A[1]}


def compute_cost(A2: np.ndarray, Y: np.ndarray, parameters: Params) -> float:
    """-1/m sum(Y log A2 + (1 - Y) log(1 - A2)), from the probabilities as the prototype.

    (The engine, ``nn_model`` and ``MLP.cost`` compute it from the logits instead, which
    stays finite when A2 rounds to 0 or 1.)
    """
    A2, Y = _same_examples(A2, Y, "A2", "n_y")
    if A2.shape != Y.shape:  # NumPy would broadcast a label row over every row of A2
        raise ValueError(f"A2 {A2.shape} and Y {Y.shape} must have the same shape, a probability per label")
    m = Y.shape[1]
    if m == 0:
        raise ValueError("at least one example is needed (A2 and Y have no columns)")
    logprobs = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
    return float(np.squeeze(-1.0 / m * np.sum(logprobs)))


def backward_propagation(parameters: Params, cache: Params, X: np.ndarray, Y: np.ndarray) -> Params:
    """The grads dict {"dW1", "db1", "dW2", "db2"} of the cost at ``parameters``.

    The engine recomputes the forward pass from ``parameters`` and ``X``; ``cache`` is
    accepted for the prototype's signature.
    """
    net, params, X = _network(parameters, X)
    Y = _shaped(Y, "Y", params[2].shape[0])
    with _examples(X, params, "train", Y):  # before X and Y are copied
        _, dW, db, _ = net.gradients(params, _data(X, "X", None), _data(Y, "Y", None), True, get_num_threads())
    return {"dW1": dW[0], "db1": db[0], "dW2": dW[1], "db2": db[1]}


def _numbers(a: Any, d: str, key: str) -> np.ndarray:
    """a = d[key] as an array of real numbers (a list too, as NumPy's operators take one)."""
    if type(a) is np.ndarray and a.dtype.kind in "biuf":
        return a  # (the name is made only for an error: eight f-strings were 0.8 us a call)
    return _real_array(a, f"{d}['{key}']")


def update_parameters(parameters: Params, grads: Params, learning_rate: float = 1.2) -> Params:
    """One gradient-descent step: W = W - learning_rate dW for every parameter."""
    _entries(parameters, _PARAMETER_KEYS, "parameters")
    _entries(grads, tuple("d" + k for k in _PARAMETER_KEYS), "grads")
    lr = _args.real(learning_rate, "learning_rate")
    new = {}
    for k in _PARAMETER_KEYS:
        w, g = _numbers(parameters[k], "parameters", k), _numbers(grads["d" + k], "grads", "d" + k)
        if g.shape != w.shape:  # NumPy would broadcast a gradient of another shape into the parameter
            raise ValueError(f"grads['d{k}'] has shape {g.shape}, parameters['{k}'] {w.shape}: they must be equal")
        new[k] = w - lr * g
    return new


def nn_model(X: np.ndarray, Y: np.ndarray, n_h: int, num_iterations: int = 10000, print_cost: bool = False, *,
             learning_rate: float = 1.2, parameters: Optional[Params] = None, return_costs: bool = False) -> Any:
    """Train the article's network (n_h tanh units) for ``num_iterations`` full-batch steps, in one C++ call.

    Starts from ``parameters`` or, as the prototype, from ``initialize_parameters(n_x, n_h, n_y)``
    as the caller's module names it: the article's experiments redefine that function (zeros,
    ``randn * 0.01``, ...) after ``from weightinit.prototype import *`` and call ``nn_model``,
    which starts from theirs, as the prototype's own ``nn_model`` would; without one of its
    own the caller gets this module's. (The caller is the function that calls nn_model: from
    a thread pool or a helper module, pass ``parameters=`` instead.) Prints "Cost after
    iteration i" every 1000 iterations when ``print_cost`` (after the loop, which runs
    without Python). Returns the parameters, or ``(parameters, costs)`` with
    ``return_costs`` (the cost of every iteration, as the prototype's cost list). Like the
    prototype, a nan/inf cost does not stop training. An initialize_parameters other than
    this module's is called with NumPy's global generator seeded with 3, as the prototype's
    nn_model seeds it, and the global state is restored after the call. The caller's other
    step functions are not called (a UserWarning says so where it defines its own
    ``update_parameters``, say, whose learning rate the article's readers edit): pass
    ``learning_rate=``.
    """
    n_h = _args.count(n_h, "n_h", 1)
    num_iterations = _args.count(num_iterations, "num_iterations", 0, _args.MAX_STEPS)
    print_cost, return_costs = _args.flag(print_cost, "print_cost"), _args.flag(return_costs, "return_costs")
    _args.check_history(num_iterations, f"nn_model(num_iterations={num_iterations})",
                        "nn_model keeps every iteration's cost: train in parts (parameters=), or use "
                        "weightinit.MLP.fit with record_every")
    X, Y = _same_examples(X, Y, convert=False)  # fit converts them once it has checked its memory
    n_x, n_y = X.shape[0], Y.shape[0]  # layer_sizes' answer, without checking X and Y again
    _check_memory(n_x, n_h, n_y, 3, "a start, kept and with their gradients")  # before a start is drawn
    caller = sys._getframe(1).f_globals
    _warn_of_unused_steps(caller, parameters is None)
    start = _starting_parameters(caller, n_x, n_h, n_y) if parameters is None else parameters
    model = _NNModelNetwork([n_x, n_h, n_y], activations=["tanh", "sigmoid"], loss="binary_cross_entropy",
                            init="zeros")
    # Other entries pass, as the prototype's nn_model and this module's other functions let them.
    _entries(start, _PARAMETER_KEYS, "parameters" if parameters is not None else "initialize_parameters' result")
    model.parameters = {k: start[k] for k in _PARAMETER_KEYS}
    costs = model.fit(X, Y, iterations=num_iterations, learning_rate=learning_rate, on_nonfinite="continue")
    if print_cost:
        for i in range(0, num_iterations, 1000):
            print(f"Cost after iteration {i}: {costs[i]:f}")
    trained = model.parameters
    return (trained, costs) if return_costs else trained


class _NNModelNetwork(MLP):
    """nn_model's network: its memory advice names nn_model's options, which have no
    batch_size= (helper-181)."""

    _memory_advice = "pass a smaller n_h, or fewer examples (nn_model trains on all of them at once)"


_STEPS = ("forward_propagation", "compute_cost", "backward_propagation", "update_parameters")


def _warn_of_unused_steps(caller: Dict[str, Any], starts_there: bool) -> None:
    """A UserWarning where the caller's module defines step functions of its own, which the
    prototype's nn_model would call (its readers edit update_parameters' learning rate there)
    and ours does not: it trains in C++."""
    own = [name for name in _STEPS if callable(caller.get(name)) and caller[name] is not _PROTOTYPE_STEPS[name]
           and caller[name] is not globals()[name]]
    if own:
        where = "; it calls only initialize_parameters there" if starts_there else ""  # not with parameters=
        warnings.warn(f"nn_model trains in C++ and does not call its caller's {', '.join(own)}: pass "
                      f"learning_rate= for another rate (default 1.2){where}", UserWarning, stacklevel=3)


def _starting_parameters(caller: Dict[str, Any], n_x: int, n_h: int, n_y: int) -> Params:
    """``initialize_parameters(n_x, n_h, n_y)`` as the prototype's nn_model finds it, in its
    script's globals: the caller's own function of that name if it has one (the article's
    experiments redefine it), else this module's (as it is now: patched too)."""
    theirs = caller.get("initialize_parameters")
    own = globals()["initialize_parameters"]
    init = theirs if callable(theirs) and theirs is not _PROTOTYPE_INITIALIZE else own
    try:
        inspect.signature(init).bind(n_x, n_h, n_y)
    except TypeError:
        where = f"{getattr(init, '__module__', '?')}.{getattr(init, '__qualname__', repr(init))}"
        raise TypeError(f"nn_model starts from initialize_parameters(n_x, n_h, n_y) as its caller names it, and "
                        f"{where} cannot take those arguments: pass parameters= instead") from None
    except ValueError:  # no signature to read (a builtin): let the call say
        pass
    if init is _PROTOTYPE_INITIALIZE:
        return init(n_x, n_h, n_y)
    # The prototype's nn_model begins with np.random.seed(3): a function that draws from
    # NumPy's global generator without seeding it starts there, and the global state is
    # then put back as it was (as ours, with its private RandomState, leaves it).
    # One call at a time: overlapping, the last to finish put back the other's seeded state.
    with _GLOBAL_SEEDING:
        state = np.random.get_state()
        np.random.seed(3)
        try:
            return init(n_x, n_h, n_y)
        finally:
            np.random.set_state(state)


_GLOBAL_SEEDING = threading.RLock()  # reentrant: a caller's function may itself call nn_model


def _same_examples(X: Any, Y: Any, x: str = "X", rows: str = "n_x",
                   convert: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """X (n_x, m) and Y (n_y, m) as float64 arrays (``convert=False``: 2-D arrays of real numbers as
    they are), which must agree on m (the error says which one looks transposed if they do not);
    ``x`` and ``rows`` name the first one and its rows."""
    X = _data(X, x, None) if convert else _shaped(X, x)
    Y = _data(Y, "Y", None) if convert else _shaped(Y, "Y")
    if X.shape[1] != Y.shape[1]:
        # Either transposed would agree; when both would, the one that leaves more examples
        # (X of one row and a transposed Y, as the article's compute_cost(A2, Y.T)).
        x_t, y_t = X.shape[0] == Y.shape[1], Y.shape[0] == X.shape[1]
        if x_t and y_t:
            x_t = X.shape[0] > X.shape[1]
        # Neither alone, but one row per example in both: torch's and scikit-learn's layout.
        both = (not (x_t or y_t) and X.shape[0] == Y.shape[0] and X.shape[0] > X.shape[1]
                and Y.shape[0] > Y.shape[1])  # not an A2 (1, m) beside a Y of other m (helper-183)
        hint = f"; pass {x}.T" if x_t else "; pass Y.T" if y_t else f"; pass {x}.T and Y.T" if both else ""
        raise ValueError(f"{x} ({rows}, m) and Y (n_y, m) must have one column per example, got shapes {X.shape} "
                         f"and {Y.shape}{hint}")
    return X, Y


def predict(parameters: Params, X: np.ndarray) -> np.ndarray:
    """0/1 predictions (1, m): np.round of the output probabilities."""
    A2, _ = forward_propagation(X, parameters)
    return np.round(A2)


def load_planar_dataset(rseed: int) -> Tuple[np.ndarray, np.ndarray]:
    """The article's flower data set for seed ``rseed``: X (2, 400), Y (1, 400) uint8."""
    return datasets.planar_flower(_args.legacy_stream(rseed, "rseed", takes_stream=True))


def plot_decision_boundary(model: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
    """Contour of ``model`` over a grid covering X, with the examples on top (matplotlib).

    As the prototype's: the grid's step is 0.01 and it reaches 1 beyond X's examples on each
    side; ``model`` takes the grid's points as rows (n_points, 2) and returns one value per
    point; ``y`` colours the examples (matplotlib's ``c``). X is checked first (two rows of
    finite numbers, a grid that fits in memory), and what ``model`` returns (helper-191:
    NumPy's IndexError, arange's "cannot compute length" or an AttributeError came out, and a
    wide X asked for a grid of petabytes)."""
    X = _real_array(X, "X").astype(np.float64)  # an integer X's min - 1 wrapped around (uint8)
    if X.ndim != 2 or X.shape[0] != 2 or X.shape[1] < 1:
        raise ValueError(f"X must be (2, m) with m >= 1, the examples as columns, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("X must be finite: the grid spans its examples")
    h = 0.01
    x_min, x_max = float(X[0, :].min()) - 1, float(X[0, :].max()) + 1  # Python floats: inf, no warning
    y_min, y_max = float(X[1, :].min()) - 1, float(X[1, :].max()) + 1
    points = ((x_max - x_min) / h + 1) * ((y_max - y_min) / h + 1)
    over = _args.over_memory(int(min(points * 40, _args.MAX_BYTES)))  # the grid's x, y, rows and model's values
    if over:
        raise MemoryError(f"X spans {x_max - x_min - 2:.3g} x {y_max - y_min - 2:.3g}: a grid of step {h} over it "
                          f"has {points:.3g} points, {over}")
    import matplotlib.pyplot as plt

    xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    Z = _args.as_array(model(np.c_[xx.ravel(), yy.ravel()]), "model's result")
    if Z.size != xx.size:
        raise ValueError(f"model must return one value per point of the grid it is given ({xx.size} points as "
                         f"rows of shape ({xx.size}, 2)), got {Z.size} values of shape {Z.shape}")
    Z = Z.reshape(xx.shape)
    plt.contourf(xx, yy, Z, cmap=plt.cm.Spectral)
    plt.ylabel("x2")
    plt.xlabel("x1")
    plt.scatter(X[0, :], X[1, :], c=y, cmap=plt.cm.Spectral)


def plot_cost(cost_list: Any) -> None:
    """The article's cost curve, in a new figure (matplotlib): cost against iteration, the cost
    axis from 0 to 2, iterations from 0 to 10 000 (or to the last one, beyond).

    ``cost_list`` is the article's ``np.array(cost_iter_list)``, rows ``[cost, i]``, or the
    costs of every iteration as ``nn_model(..., return_costs=True)`` gives them. The article's
    ``nn_model`` ends with this call; ours, whose loop runs in C++, draws nothing: call
    ``plot_cost(costs)`` after it.
    """
    a = _real_array(cost_list, "cost_list")
    if a.size == 0:
        raise ValueError("cost_list is empty: there is no cost to plot")
    if a.ndim == 1:
        cost, it = a, np.arange(a.size)
    elif a.ndim == 2 and a.shape[1] == 2:
        cost, it = a[:, 0], a[:, 1]
    else:
        raise ValueError(f"cost_list must be the article's rows [cost, i], shape (n, 2), or the costs (n,), "
                         f"got shape {a.shape}")
    import matplotlib.pyplot as plt

    plt.figure()
    plt.plot(it, cost, color="blue", linewidth=2)
    plt.xlabel("run iterations")
    plt.ylabel("cost")
    plt.ylim((0.0, 2.0))
    plt.xlim((0, max(10000, float(it.max()))))


_PROTOTYPE_STEPS = {name: globals()[name] for name in _STEPS}  # as defined (star imports copy them)
