"""The articles' experiments as functions: what ``weightinit compare | ranges | depth`` compute.

* :func:`compare` - the first article: train the planar-flower network under each scheme
  (zeros, a constant, ``randn * k``, and the modern rules) over several seeds (:func:`weightinit.sweep`).
* :func:`range_stats`, :func:`range_curves` - the second article: summary statistics of 1000
  weights for n inputs and m outputs, and each rule's bound (or std) against the inputs.
* :func:`depth_profile` - why it matters: activation and gradient std at every layer of a
  deep network under each scheme.

Schemes are given as strings (:func:`scheme`): ``zeros``, ``constant`` or ``constant(v)``,
``randn`` or ``randn*k`` (N(0, k^2), the article's ``np.random.randn(...) * k``),
``uniform(a,b)`` (the second article's small ranges, U[a, b)), or any name of
:func:`weightinit.available`.
"""

from __future__ import annotations

import functools
import math
import re
import zlib
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from weightinit import _args, datasets, initializers, registry
from weightinit.fans import fan_for_mode
from weightinit.mlp import HIDDEN_ACTIVATIONS, MLP
from weightinit.summary import Summary, describe, moments
from weightinit.sweep import SweepResult, sweep

__all__ = [
    "ARTICLE_SCHEMES", "ARTICLE_SEED", "COMPARE_SCHEMES", "DATASETS", "DEPTH_SCHEMES", "RANGE_SCHEMES",
    "MOVING_FLOOR", "MOVING_SPREAD", "MOVING_TAIL", "article_scheme", "compare", "dataset", "depth_profile",
    "range_curves", "range_stats", "scheme", "still_moving",
]

# The first article's schemes (its "same constant" is not given a value; 0.5 here), then
# the rules the second article and the frameworks recommend.
ARTICLE_SCHEMES = ["zeros", "constant", "randn", "randn*0.01", "randn*0.001", "randn*100"]
COMPARE_SCHEMES = ARTICLE_SCHEMES + ["fan_in_uniform", "xavier_uniform", "he_normal", "lecun_normal", "orthogonal"]
# The second article's three: "Xavier", "normalized Xavier", "He".
RANGE_SCHEMES = ["fan_in_uniform", "xavier_uniform", "he_normal"]
DEPTH_SCHEMES = ["randn*0.01", "randn", "fan_in_uniform", "xavier_uniform", "he_normal", "lecun_normal",
                 "orthogonal"]
# The data sets and their classes, of equal size.
_CLASSES = {"flower": 2, "moons": 2, "circles": 2, "blobs": 3}
DATASETS = tuple(_CLASSES)
CONSTANT = 0.5

_NUMBER = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"  # 2, 2., .5, 1e-3: as float() reads them
_RANDN = re.compile(rf"randn(?:\s*\*\s*(?P<k>{_NUMBER}))?")
_CONSTANT = re.compile(rf"(?:same_)?constant(?:\(\s*(?P<v>-?{_NUMBER})\s*\))?")  # same_: the article's name
_UNIFORM = re.compile(rf"uniform\(\s*(?P<a>-?{_NUMBER})\s*,\s*(?P<b>-?{_NUMBER})\s*\)")
# Each form's pattern, how to write it, and how a token in that form starts.
_FORMS = [(_RANDN, "randn*K with a finite number K >= 0, as randn*0.01", "randn"),
          (_CONSTANT, "constant(V) with a finite number V, as constant(0.5)", "constant("),
          (_UNIFORM, "uniform(A,B) with finite numbers A <= B, as uniform(-0.3,0.3)", "uniform(")]


def scheme(token: str) -> Tuple[str, Any]:
    """``(label, init)`` for a scheme string, ready for :func:`weightinit.sweep` and ``wi.MLP(init=...)``.

    ``randn*k`` is ``functools.partial(wi.normal, std=k)``; ``constant(v)`` is
    ``functools.partial(wi.constant, value=v)`` (``constant`` alone, or the article's
    ``same_constant``: v = 0.5); ``uniform(a,b)``
    is ``functools.partial(wi.uniform, low=a, high=b)``; other names go
    through :func:`weightinit.get` (a ValueError, with close matches, for unknown names).
    """
    if not isinstance(token, str):
        raise TypeError(f"a scheme must be a str, got {type(token).__name__}")
    t = token.strip()
    for pattern, form, _ in _FORMS:  # the form t is written in, if any
        m = pattern.fullmatch(t)
        if m:
            break
    values = {k: float(v) for k, v in m.groupdict().items() if v is not None} if m else {}
    if not all(map(math.isfinite, values.values())):  # randn*1e999: a partial holding inf (helper-180)
        raise ValueError(f"scheme {t!r}: write {form}")
    if m and m.re is _RANDN:
        return t, functools.partial(initializers.normal, std=values.get("k", 1.0))
    if m and m.re is _CONSTANT:
        return t, functools.partial(initializers.constant, value=values.get("v", CONSTANT))
    if m:
        low, high = values["a"], values["b"]
        if not low <= high:
            raise ValueError(f"scheme {t!r}: low must be <= high")
        return t, functools.partial(initializers.uniform, low=low, high=high)
    for _, form, start in _FORMS:
        if t.startswith(start):  # the form, with something other than numbers in it: say so
            raise ValueError(f"unknown scheme {t!r}: write {form}")
    try:
        registry.get(t)
    except ValueError as exc:
        raise ValueError(f"unknown scheme {t!r}: {exc} (or randn*K, constant(V), uniform(A,B))") from None
    return t, t


# The seed of the article's initialize_parameters: np.random.seed(2), then randn for W1 and W2.
ARTICLE_SEED = 2


def article_scheme(token: str, sizes: Sequence[int]) -> Tuple[str, Any]:
    """:func:`scheme` of one of the first article's schemes for a network ``[n_x, n_h, n_y]``,
    started from the article's own weights: ``randn*K`` is the article's ``initialize_parameters``
    (``np.random.seed(2)``, then ``randn(n_h, n_x) * K`` and ``randn(n_y, n_h) * K``, as
    :func:`weightinit.prototype.initialize_parameters` draws them), whatever seed the run is
    given; ``zeros`` and ``constant(V)``, which draw nothing, are as :func:`scheme` gives them.
    Other schemes have no draw in the article: a ValueError."""
    from weightinit import prototype  # it imports the engine, as this module does; only here

    label, init = scheme(token)
    if _RANDN.fullmatch(label):
        n_x, n_h, n_y = sizes
        if (n_h, n_x) == (n_y, n_h):
            raise ValueError(f"the article's draws for {list(sizes)}: W1 and W2 have one shape, so a layer's "
                             "weights cannot be told by its shape")
        W = prototype.initialize_parameters(n_x, n_h, n_y, scale=init.keywords["std"], seed=ARTICLE_SEED)

        def article_randn(shape: Tuple[int, ...], rng: Any = None, dtype: Any = None) -> np.ndarray:
            return W["W1" if tuple(shape) == (n_h, n_x) else "W2"].astype(dtype or np.float64)  # a copy

        return label, article_randn
    if init in ("zeros", "zero") or _CONSTANT.fullmatch(label):
        return label, init
    raise ValueError(f"scheme {label!r} has no draw in the article: with the article's draws, list only "
                     "zeros, constant(V) and randn*K")


def dataset(name: str, rng: int, examples: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """``(X, Y)`` of a named data set drawn with seed ``rng``: the first article's flower, moons,
    circles (two classes) or three blobs (std 1.5, one-hot Y), of ``examples`` points, split
    equally between the classes; by default the data set's own size (400 points, 300 for the
    blobs)."""
    if not isinstance(name, str):  # a list was "unhashable type" (helper-180)
        raise TypeError(f"a dataset must be a str, one of {', '.join(DATASETS)}, got {type(name).__name__}")
    if name not in _CLASSES:
        raise ValueError(f"unknown dataset {name!r}; one of {', '.join(DATASETS)}")
    k = _CLASSES[name]
    size: Dict[str, Any] = {}  # the data set's own size unless given
    if examples is not None:
        n = _args.count(examples, "examples", 1)
        if n % k:
            raise ValueError(f"examples must be a multiple of {k} for {name} ({k} classes of equal size), got {n}")
        datasets.check_memory("examples", n, n, max(k, 2))  # before the draws, in this argument's name
        size = {"m": n} if name == "flower" else {"n_per_class": n // k}
    if name == "flower":
        return datasets.planar_flower(rng, **size)
    if name == "moons":
        return datasets.moons(rng=rng, **size)
    if name == "circles":
        return datasets.circles(rng=rng, **size)
    return datasets.blobs(rng=rng, std=1.5, **size)


def _scheme_names(schemes: Any, name: str = "schemes") -> List[str]:
    """schemes as a list: a string (split into its letters, "unknown scheme 'z'") and a set (rows
    in another order in every process) refused (helper-149)."""
    if isinstance(schemes, str):
        raise TypeError(f"{name} must be a list of scheme names, got the string {schemes!r}: pass [{schemes!r}]")
    _args.ordered(schemes, name)
    return list(schemes)


def compare(
    data: str = "flower",
    hidden: int = 4,
    activation: str = "tanh",
    iterations: int = 10000,
    learning_rate: float = 1.2,
    seeds: Optional[int] = None,
    schemes: Optional[Sequence[str]] = None,
    record_every: Optional[int] = None,
    progress: Optional[Callable[[float, int], None]] = None,
    examples: Optional[int] = None,
    article_draws: bool = False,
    batch_size: Optional[int] = None,
) -> Tuple[SweepResult, Tuple[np.ndarray, ...]]:
    """The first article's experiment: an ``n_x - hidden - n_y`` network (``activation`` hidden,
    sigmoid or softmax output) trained by gradient descent under each scheme with seeds
    ``0 .. seeds-1`` (by default 8), on the data set drawn with seed 1 and scored on the one drawn with seed 2
    (the article's train and test sets), each of ``examples`` points (by default the data set's
    own size: the article's 400, 300 for the blobs). ``schemes`` are :data:`COMPARE_SCHEMES` by
    default; ``batch_size`` as :func:`weightinit.sweep` (full batches by default, as the article).
    Returns the sweep and ``(X, Y, X_test, Y_test)``.

    With ``article_draws``, the article's own runs: one run a scheme, each from the article's
    weights (:func:`article_scheme`), as seed 2 (``seeds`` is then 1, by default; the default
    schemes are the article's six)."""
    article_draws = _args.flag(article_draws, "article_draws")
    # The arguments used before the sweep checks them, in this function's names.
    hidden = _args.count(hidden, "hidden", 1)
    iterations = _args.count(iterations, "iterations", 0, _args.MAX_STEPS)
    if activation not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"activation must be one of {HIDDEN_ACTIVATIONS}, got {activation!r}")
    if seeds is None:
        seeds = 1 if article_draws else 8
    if article_draws:
        if isinstance(seeds, (bool, np.bool_)) or not isinstance(seeds, (int, np.integer)) or seeds != 1:
            raise ValueError(f"the article's draws are one run a scheme: seeds must be 1, got {seeds!r}")
        schemes = ARTICLE_SCHEMES if schemes is None else schemes
    runs: Union[int, List[int]] = [ARTICLE_SEED] if article_draws else seeds
    schemes = _scheme_names(COMPARE_SCHEMES if schemes is None else schemes)
    if not schemes:
        raise ValueError("schemes must name at least one scheme")
    pairs = [scheme(s) for s in schemes]  # bad names before the data are drawn
    X, Y = dataset(data, 1, examples)
    X_test, Y_test = dataset(data, 2, examples)
    sizes = [X.shape[0], hidden, Y.shape[0]]
    if article_draws:
        pairs = [article_scheme(s, sizes) for s in schemes]
    out = "softmax" if Y.shape[0] > 1 else "sigmoid"
    if record_every is None:
        record_every = max(1, iterations // 1000)
    result = sweep(X, Y, sizes, pairs, runs, iterations, learning_rate,
                   activations=[activation, out], record_every=record_every, X_test=X_test, Y_test=Y_test,
                   progress=progress, batch_size=batch_size)
    return result, (X, Y, X_test, Y_test)


# still_moving's defaults, which the CLI's report states: the last tenth, a span of 10% and
# at least 0.01 (a cost settling towards 0, as on the moons, moves by more than 10% of itself
# long after its accuracy has stopped moving).
MOVING_TAIL, MOVING_SPREAD, MOVING_FLOOR = 0.1, 0.1, 0.01


def still_moving(result: SweepResult, tail: float = MOVING_TAIL, spread: float = MOVING_SPREAD,
                 floor: float = MOVING_FLOOR) -> Tuple[int, List[Tuple[str, int, int, float, float]]]:
    """The schemes whose runs had not settled when training stopped: over the last ``tail`` of
    the recorded costs and the final cost, a run (of those that did not diverge) whose costs span
    more than ``spread`` times its final cost and more than ``floor``. The final cost and accuracies of such a run are one moment
    of its oscillation or descent (ReLU networks at the article's learning rate 1.2 oscillate).

    Returns the iteration that tail starts at and, per such scheme, ``(scheme, moving runs,
    runs, low, high)``, ``low``-``high`` the range of those runs' costs over the tail; no rows
    when fewer than ten costs were recorded, nor for mini-batches (``result.batch_size``),
    whose recorded costs are each their batch's: their spread is the batches', not movement."""
    if not isinstance(result, SweepResult):
        raise TypeError(f"result must be a weightinit.SweepResult, got {type(result).__name__}")
    tail = _args.real(tail, "tail")
    if not 0 < tail <= 1:
        raise ValueError(f"tail must lie in (0, 1], a share of the recorded costs, got {tail}")
    spread, floor = _args.nonnegative(spread, "spread"), _args.nonnegative(floor, "floor")
    n = result.costs.shape[2]
    if n == 0:  # no iterations: nothing recorded
        return 0, []
    first = n - max(1, int(n * tail))
    rows: List[Tuple[str, int, int, float, float]] = []
    if n < 10 or result.batch_size is not None:  # too few costs to tell, or batches' costs
        return int(result.steps[first]), rows
    for i, name in enumerate(result.inits):
        kept = ~result.diverged[i]
        final = result.final_cost[i, kept]
        costs = np.concatenate([result.costs[i, kept, first:], final[:, None]], axis=1)
        span = costs.max(axis=1) - costs.min(axis=1)  # finite: those runs did not diverge
        moving = (span > spread * final) & (span > floor)
        if moving.any():
            rows.append((name, int(moving.sum()), int(kept.sum()), float(costs[moving].min()),
                         float(costs[moving].max())))
    return int(result.steps[first]), rows


def range_rule(name: str) -> Tuple[Callable[..., np.ndarray], str, str]:
    """The initializer a ``ranges`` scheme names, its distribution and its fan mode; a
    ValueError for names without a scale from fans (zeros, randn*k, orthogonal, ...)."""
    try:
        registry.get(name)
    except ValueError:  # not its close matches: they may have no scale (randn -> random)
        try:
            scheme(name)  # a scheme of compare's (randn*k, uniform(a,b)): known, but it has no scale
        except ValueError:
            raise ValueError(f"unknown scheme {name!r}; rules with a scale from fans: {registry.SCALED}") from None
        raise ValueError(f"{name!r} has no scale from fans; those with one: {registry.SCALED}") from None
    fn, (_, mode, distribution) = registry.scale_rule(name)
    return fn, distribution, mode


def article_name(name: str) -> Optional[str]:
    """What the second article calls the rule ``name`` names (``"Xavier"`` for
    ``fan_in_uniform``, ``"normalized Xavier"``, ``"He"``), by its scale rule, so that keras'
    ``GlorotUniform`` is "normalized Xavier" too and the truncated ``HeNormal`` is not "He"; or None."""
    try:
        rule = registry.scale_rule(name)[1]
    except (TypeError, ValueError):  # unknown, or no scale from fans
        return None
    return next((said for said, alias in _ARTICLE_NAMES.items() if registry.scale_rule(alias)[1] == rule), None)


_ARTICLE_NAMES = {"Xavier": "xavier", "normalized Xavier": "normalized_xavier", "He": "he"}


def range_half_width(kind: str, spread: Any) -> Tuple[Any, str]:
    """Where a rule's values reach, from :func:`weightinit.scale`'s spread: a uniform rule's
    bound, a truncated normal's bound (2 s), or 4 std of a normal; and what that is."""
    if kind == "normal":
        return 4 * spread, "4 std"
    return (spread if kind == "uniform" else 2 * spread), "bound"


def range_spread_text(kind: str, spread: float) -> str:
    """The table's spread: ``bound b``, ``std s`` or, truncated, ``std s, within ±2 s'``."""
    if kind == "uniform":
        return f"bound {spread:.3g}"
    if kind == "truncated_normal":
        return f"std {spread * initializers.TRUNCATED_STD:.3g}, within ±{range_half_width(kind, spread)[0]:.3g}"
    return f"std {spread:.3g}"


def checked_scheme(token: str) -> Tuple[str, Any]:
    """:func:`scheme`, after one draw of a 2 x 2 weight matrix: names that cannot initialize a
    dense layer by themselves (``dirac``, ``sparse`` without its sparsity) fail here, before
    any work, with a ValueError naming the scheme."""
    label, init = scheme(token)
    try:
        registry.get(init)((2, 2), rng=0)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"scheme {label!r} cannot initialize a dense layer: {exc}") from None
    return label, init


def range_stats(schemes: Sequence[str] = RANGE_SCHEMES, n: int = 10, m: int = 20, count: int = 1000,
                rng: Any = 1, progress: Optional[Callable[[], None]] = None) -> List[Tuple[str, float, str, Summary]]:
    """The second article's printout: for each scheme, ``(name, spread, kind, summary)`` of
    ``count`` weights of a layer with ``n`` inputs and ``m`` outputs, drawn at once from the
    scheme's distribution (as the article draws its 1000 numbers; ``count`` beyond ``n m`` need
    no layers drawn one by one): the first ``count`` values of any tensor the scheme draws with
    that spread from the same generator, so those of its ``(m, n)`` layer where they fit.
    ``spread`` is :func:`weightinit.scale`: the bound when ``kind`` is ``"uniform"``, the std
    for ``"normal"``, the std before truncation s (values within +-2 s) for ``"truncated_normal"``.
    An int (or a sequence of ints) ``rng`` seeds each scheme's own Generator with (rng, crc32 of
    its function's name, so that aliases draw alike), so a row does not depend on the other
    schemes; anything else (a SeedSequence, a Generator) gives one Generator that the schemes
    draw from in turn.
    ``progress()`` is called after each scheme."""
    schemes = _scheme_names(schemes)
    n, m, count = (_args.positive_int(v, k) for v, k in ((n, "n"), (m, "m"), (count, "count")))
    need = _args.over_memory(8 * count)  # one scheme's values at a time
    if need:
        raise MemoryError(f"count={count} weights need {need}")
    seed = _int_seed(rng)
    shared = _args.generator(rng)  # for the int seeds too: its errors name rng (-1 was NumPy's bare words)
    rows = []
    for name in schemes:
        fn, kind, _ = range_rule(name)
        # Seeded by the function's own name, so that its aliases draw alike ("he", "he_normal");
        # keras' class names (partials: another rule) by theirs.
        own = name if isinstance(fn, functools.partial) else getattr(fn, "__name__", name)
        gen = shared if seed is None else np.random.default_rng([*seed, zlib.crc32(own.encode())])
        s = registry.scale(name, n, m)
        rows.append((name, s, kind, describe(initializers.spread_values(count, kind, s, gen))))
        if progress is not None:
            progress()
    return rows


def _int_seed(rng: Any) -> Optional[List[int]]:
    """An int or a sequence of ints as a list (entropy to extend), else None."""
    if isinstance(rng, (bool, np.bool_)):
        return None
    if isinstance(rng, (int, np.integer)):
        return [int(rng)]
    if isinstance(rng, (list, tuple)) and rng and all(isinstance(v, (int, np.integer)) for v in rng):
        return [int(v) for v in rng]
    return None


def range_curves(schemes: Sequence[str] = RANGE_SCHEMES, max_inputs: int = 100,
                 m: int = 10) -> Dict[str, Tuple[str, np.ndarray, bool]]:
    """For each scheme, ``(kind, spread, uses_outputs)``: its spread against inputs
    ``1 .. max_inputs`` with ``m`` outputs (the article plots normalized Xavier with 10
    outputs), and whether its fan mode reads the outputs at all."""
    max_inputs, m = _args.positive_int(max_inputs, "max_inputs"), _args.positive_int(m, "m")
    outputs = _args.nonnegative(m, "m")  # a float, as wi.scale takes fan_out: finite
    schemes = _scheme_names(schemes)
    need = _args.over_memory(8 * max_inputs * (len(schemes) + 2))  # the inputs, the fans, a curve per scheme
    if need:
        raise MemoryError(f"max_inputs={max_inputs} points for {len(schemes)} schemes need {need}")
    n = np.arange(1, max_inputs + 1, dtype=np.float64)
    curves = {}
    for name in schemes:
        _, (variance, mode, kind) = registry.scale_rule(name)
        # wi.scale's formula for every n at once (a call per n took 15 s for 100 000)
        spread = initializers.spread(variance, fan_for_mode(n, outputs, mode), kind)
        curves[name] = (kind, spread, mode != "fan_in")
    return curves


# The most hidden layers depth_profile takes (a list of layer sizes per layer: 10^9 ran for
# minutes before any check).
_DEPTH_MAX = 100_000


def depth_profile(scheme_name: str, activation: str = "tanh", depth: int = 10, width: int = 256,
                  examples: int = 512, rng: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Std of the activations of each hidden layer and of each hidden layer's weight gradient
    ``dW_l`` (0 where it is within 2^10 ulp of the layer's largest magnitude, about 2.3e-13
    of it in float64: rounding; inf where the values overflowed), at
    initialization, for ``depth`` hidden layers of ``width`` >= 2 units (then one sigmoid output),
    N(0, 1) inputs and random 0/1 labels (``examples`` of them, seed ``rng``); the network is
    ``wi.MLP(..., init=scheme, rng=rng)``."""
    _, init = scheme(scheme_name)
    depth = _args.count(depth, "depth", 1, _DEPTH_MAX)
    # A std over one weight is 0 whatever its gradient: every layer "vanished" at width 1.
    width, examples = _args.count(width, "width", 2), _args.positive_int(examples, "examples")
    need = _args.over_memory(8 * width * examples)  # X, drawn before the network checks its own memory
    if need:
        raise MemoryError(f"the inputs of a depth profile, {width} x {examples}, need {need}")
    gen = _args.generator(rng)
    X = gen.standard_normal((width, examples))
    Y = (gen.random((1, examples)) < 0.5).astype(np.float64)
    net = MLP([width] * (depth + 1) + [1], [activation] * depth + ["sigmoid"], init=init, rng=rng)
    grads, A = net.gradients(X, Y, return_activations=True)
    act = np.array([_std_beyond_rounding(A[k]) for k in range(depth)])
    grad = np.array([_std_beyond_rounding(grads[f"dW{k + 1}"]) for k in range(depth)])
    return act, grad


# A std below this share of the largest magnitude is what rounding leaves of equal values.
_ROUNDING_ULPS = 2**10


def _std_beyond_rounding(x: np.ndarray) -> float:
    """x's std; 0 where it is only rounding, within _ROUNDING_ULPS ulps of the largest |x|:
    the equal weights of a constant init, whose gradients, equal in exact arithmetic, came out
    with stds of 8 and 16 at 1e18 (1e-17 of the values); inf where the values overflowed (the
    table said nan). A cut at 1e-10 of the largest value also zeroed real spreads, sigmoid's
    2e-11 about 0.5 (helper-153)."""
    top = float(np.max(np.abs(x)))
    if not math.isfinite(top):  # overflowed: inf, or nan where infs met (inf - inf, 0 inf)
        return math.inf
    std = moments(x, top)[1]
    return 0.0 if std <= _ROUNDING_ULPS * float(np.finfo(x.dtype).eps) * top else std
