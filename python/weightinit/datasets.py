"""Small synthetic data sets for the experiments, in the MLP layout: X is (n_features, m).

>>> from weightinit import datasets
>>> X, Y = datasets.planar_flower(1)
>>> X.shape, Y.shape
((2, 400), (1, 400))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Tuple

import numpy as np

from weightinit import _args

__all__ = ["blobs", "planar_flower"]


def planar_flower(rng: Any = None, m: int = 400, *, petals: int = 4, noise: float = 0.2) -> Tuple[np.ndarray, np.ndarray]:
    """The first article's two-class "flower" (``load_planar_dataset``): ``X`` (2, m), ``Y`` (1, m) uint8.

    Class ``j`` has m/2 points at angle ``t = linspace(3.12 j, 3.12 (j + 1)) + noise N(0, 1)``
    and radius ``r = petals sin(4 t) + noise N(0, 1)``; ``x = (r sin t, r cos t)``.

    ``rng`` is an int seed or a ``np.random.RandomState``: the draws are the legacy ``randn``
    stream, so seed ``s`` gives exactly the article's ``np.random.seed(s)`` data set
    (without touching NumPy's global state).
    """
    if m < 2 or m % 2:
        raise ValueError(f"m must be an even number >= 2, got {m}")
    a = _args.real(petals, "petals")
    sigma = _args.nonnegative(noise, "noise")
    rs = rng if isinstance(rng, np.random.RandomState) else np.random.RandomState(rng)
    n = m // 2
    X = np.zeros((m, 2))
    Y = np.zeros((m, 1), dtype=np.uint8)
    for j in range(2):
        ix = range(n * j, n * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, n) + rs.randn(n) * sigma
        r = a * np.sin(4 * t) + rs.randn(n) * sigma
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def blobs(
    n_per_class: int = 100,
    centers: Optional[Sequence[Sequence[float]]] = None,
    *,
    std: float = 1.0,
    rng: Any = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs: ``X`` (n_features, k n_per_class) and one-hot ``Y`` (k, k n_per_class).

    Class ``c`` is ``centers[c] + std N(0, I)``; default centers are three well separated
    points in the plane. ``rng`` follows SPEC 7 (``np.random.default_rng``).
    """
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be >= 1, got {n_per_class}")
    s = _args.nonnegative(std, "std")
    c = np.asarray([(0.0, 4.0), (-4.0, -2.0), (4.0, -2.0)] if centers is None else centers, dtype=np.float64)
    if c.ndim != 2 or len(c) < 1:
        raise ValueError(f"centers must be a (k, n_features) array, got shape {c.shape}")
    gen = np.random.default_rng(rng)
    k, d = c.shape
    labels = np.repeat(np.arange(k), n_per_class)
    X = (c[labels] + s * gen.standard_normal((len(labels), d))).T
    Y = np.zeros((k, len(labels)))
    Y[labels, np.arange(len(labels))] = 1.0
    return np.ascontiguousarray(X), Y
