"""Small synthetic data sets for the experiments, in the MLP layout: X is (n_features, m).

The examples come in class order (every example of class 0, then class 1, ...; the flower's
in its article's order, half by half), not shuffled as scikit-learn's generators shuffle by
default: a split by column slices takes whole classes. Full-batch training does not care; to
split, index with a permutation (``X[:, p], Y[:, p]``, ``p = rng.permutation(m)``).

>>> from weightinit import datasets
>>> X, Y = datasets.planar_flower(1)
>>> X.shape, Y.shape
((2, 400), (1, 400))
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Optional, Tuple

import numpy as np

from weightinit import _args

__all__ = ["blobs", "circles", "moons", "planar_flower"]


# Float64 arrays of X's size alive at once while a data set is drawn (coordinates, noise,
# their sum, the transposed copy): 68 bytes a point for the flower, measured, against 80.
_PEAK_COPIES = 5


def check_memory(name: str, value: int, examples: int, rows: int) -> None:
    """A MemoryError naming the argument, before any draw, when float64 arrays of ``rows`` x
    ``examples`` would hold 2**63 bytes or more (NumPy's limit, where its own error names no
    argument), or when drawing them needs more memory than this process may use (beyond it
    Linux kills the process as it fills the pages)."""
    nbytes = examples * rows * 8
    if nbytes > _args.MAX_BYTES:
        raise MemoryError(f"{name}={value} asks for {examples} examples of {rows} rows, more than can be addressed")
    over = _args.over_memory(_PEAK_COPIES * nbytes)
    if over:
        raise MemoryError(f"{name}={value}: drawing {examples} examples of {rows} rows needs {over}")


def planar_flower(rng: Any = None, m: int = 400, *, radius: float = 4.0, noise: float = 0.2) -> Tuple[np.ndarray, np.ndarray]:
    """The first article's two-class "flower" (``load_planar_dataset``): ``X`` (2, m), ``Y`` (1, m) uint8.

    Class ``j`` has m/2 points at angle ``t = linspace(3.12 j, 3.12 (j + 1)) + noise * N(0, 1)``
    and radius ``r = radius sin(4 t) + noise * N(0, 1)``; ``x = (r sin t, r cos t)``: eight
    petals of length up to ``radius`` (the article's ``a``, its "maximum ray").

    ``rng`` is an int seed or a ``np.random.RandomState``: the draws are the legacy ``randn``
    stream, so seed ``s`` gives exactly the article's ``np.random.seed(s)`` data set
    (without touching NumPy's global state).
    """
    m = _args.count(m, "m", 2)
    if m % 2:
        raise ValueError(f"m must be an even number >= 2, got {m}")
    check_memory("m", m, m, 2)
    a = _args.real(radius, "radius")
    sigma = _args.nonnegative(noise, "noise")
    rs = _args.legacy_stream(rng, "rng", takes_stream=True)
    n = m // 2
    X = np.zeros((m, 2))
    Y = np.zeros((m, 1), dtype=np.uint8)
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(2):
            ix = range(n * j, n * (j + 1))
            t = np.linspace(j * 3.12, (j + 1) * 3.12, n) + rs.randn(n) * sigma
            r = a * np.sin(4 * t) + rs.randn(n) * sigma
            X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
            Y[ix] = j
    if not np.isfinite(X).all():  # as _noisy: an error, not NaN or inf with NumPy's warnings
        raise ValueError(f"noise={sigma:g} (with radius={a:g}) takes values beyond float range")
    # C order, unlike the article's X.T: the engine reads rows of examples, and copied an
    # F-ordered X on every call (1.6 us of a prototype forward pass's ~9)
    return np.ascontiguousarray(X.T), Y.T


def blobs(
    rng: Any = None,
    *,
    n_per_class: int = 100,
    centers: Optional[Sequence[Sequence[float]]] = None,
    std: float = 1.0,
) -> Tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs: ``X`` (n_features, k n_per_class) and one-hot float64 ``Y`` (k, k n_per_class).

    Class ``c`` is ``centers[c] + std N(0, I)``; default centers are three well separated
    points in the plane. ``rng`` follows SPEC 7 (``np.random.default_rng``). As for every set,
    the seed is the one positional argument (``planar_flower(1)`` is the flower of seed 1,
    ``blobs(1)`` the blobs of seed 1), the rest keywords.

    >>> X, Y = wi.datasets.blobs(n_per_class=50, rng=1)
    >>> X.shape, Y.shape
    ((2, 150), (3, 150))
    """
    n_per_class = _args.positive_int(n_per_class, "n_per_class")
    s = _args.nonnegative(std, "std")
    _args.unmasked(centers, "centers", "fill them or drop their rows")
    c = (np.asarray([(0.0, 4.0), (-4.0, -2.0), (4.0, -2.0)]) if centers is None
         else _args.as_array(centers, "centers", ragged=ValueError))
    try:
        if c.dtype.kind not in "biufO":  # a cast lost complex's imaginary parts, parsed strings, took dates as counts
            raise TypeError(f"got dtype {c.dtype}")
        if c.dtype.kind == "O" and not all(isinstance(v, numbers.Real) for v in c.flat):  # '1' parsed too
            raise TypeError(f"got {type(next(v for v in c.flat if not isinstance(v, numbers.Real))).__name__} values")
        c = c.astype(np.float64)
    except (TypeError, ValueError) as exc:  # objects that are no numbers
        raise _args.reworded(exc, f"centers must be a (k, n_features) array of real numbers: {exc}") from None
    if c.ndim != 2 or c.size < 1:
        raise ValueError(f"centers must be a (k, n_features) array with k, n_features >= 1, got shape {c.shape}")
    if not np.isfinite(c).all():
        raise ValueError("centers must be finite")
    k, d = c.shape
    check_memory("n_per_class", n_per_class, k * n_per_class, max(k, d))
    gen = _args.generator(rng)
    labels = np.repeat(np.arange(k), n_per_class)
    X = _noisy(c[labels], s, gen, "std").T
    Y = np.zeros((k, len(labels)))
    Y[labels, np.arange(len(labels))] = 1.0
    return np.ascontiguousarray(X), Y


def _noisy(X: np.ndarray, std: float, gen: np.random.Generator, name: str) -> np.ndarray:
    """X plus N(0, std^2) noise; a ValueError naming the noise's argument where that leaves
    float range (NumPy would return inf with a RuntimeWarning)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = X + std * gen.standard_normal(X.shape)
    if not np.isfinite(out).all():
        raise ValueError(f"{name}={std:g} takes values beyond float range")
    return out


def _binary(X0: np.ndarray, X1: np.ndarray, std: float, gen: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Classes 0 and 1 stacked as columns, plus N(0, std^2) noise: X (2, m), Y (1, m) uint8."""
    X = _noisy(np.concatenate([X0, X1], axis=1), std, gen, "noise")
    Y = np.repeat(np.array([0, 1], dtype=np.uint8), [X0.shape[1], X1.shape[1]])[None, :]
    return np.ascontiguousarray(X), Y


def moons(rng: Any = None, *, n_per_class: int = 200, noise: float = 0.1) -> Tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: ``X`` (2, 2 n_per_class), ``Y`` (1, 2 n_per_class) uint8.

    Class 0 is the upper half of the unit circle, class 1 the lower half shifted by (1, 0.5)
    (scikit-learn's ``make_moons`` layout, without scikit-learn), each point plus
    ``noise * N(0, I)``. ``rng`` follows SPEC 7; the rest are keywords (see blobs).

    >>> wi.datasets.moons(n_per_class=100, rng=1)[0].shape
    (2, 200)
    """
    n = _args.positive_int(n_per_class, "n_per_class")
    check_memory("n_per_class", n, 2 * n, 2)
    s = _args.nonnegative(noise, "noise")
    t = np.linspace(0.0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)])
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    return _binary(upper, lower, s, _args.generator(rng))


def circles(rng: Any = None, *, n_per_class: int = 200, noise: float = 0.05,
            factor: float = 0.5) -> Tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: ``X`` (2, 2 n_per_class), ``Y`` (1, 2 n_per_class) uint8.

    Class 0 on the unit circle, class 1 on the circle of radius ``factor`` (0 < factor < 1),
    each point plus ``noise * N(0, I)`` (scikit-learn's ``make_circles`` layout).
    ``rng`` follows SPEC 7; the rest are keywords (see blobs).
    """
    n = _args.positive_int(n_per_class, "n_per_class")
    check_memory("n_per_class", n, 2 * n, 2)
    s = _args.nonnegative(noise, "noise")
    f = _args.real(factor, "factor")
    if not 0 < f < 1:
        raise ValueError(f"factor must lie in (0, 1), got {f}")
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    outer = np.stack([np.cos(t), np.sin(t)])
    return _binary(outer, f * outer, s, _args.generator(rng))
