"""A readable pure-NumPy MLP with the engine's conventions: the oracle for weightinit.MLP.

Layout as the prototype: X (n_0, m), W_l (n_l, n_{l-1}), b_l (n_l, 1); parameters are a
dict W1, b1, ..., WL, bL. Hidden activations identity, sigmoid, tanh, relu, leaky_relu
(slope ``alpha``); losses, from the output logits z = Z_L:

* binary_cross_entropy (sigmoid output):  J = 1/m sum max(z, 0) - y z + log(1 + e^{-|z|})
* softmax_cross_entropy (softmax output): J = 1/m sum_j logsumexp(z_j) - y_j . z_j
* mse (identity output):                  J = 1/(2m) sum (z - y)^2

Each has dJ/dZ_L = (A_L - Y) / m. Backward: dW_l = 1/m dZ_l A_{l-1}^T, db_l = 1/m dZ_l 1,
dZ_{l-1} = W_l^T dZ_l * g'(Z_{l-1}), with g' computed from Z here (the engine uses A).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from weightinit.reference import random

OUTPUT = {"binary_cross_entropy": "sigmoid", "softmax_cross_entropy": "softmax", "mse": "identity"}


def activate(name: str, z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    if name == "identity":
        return z
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0)
    if name == "leaky_relu":
        return np.where(z < 0, alpha * z, z)
    if name == "softmax":
        e = np.exp(_shifted(z, z.max(axis=0, keepdims=True)))
        return e / e.sum(axis=0, keepdims=True)
    raise ValueError(name)


def derivative(name: str, z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """g'(z) for a hidden activation (relu'(0) = 0, as torch)."""
    if name == "identity":
        return np.ones_like(z)
    if name == "sigmoid":
        s = activate("sigmoid", z)
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "leaky_relu":
        return np.where(z > 0, 1, alpha).astype(z.dtype)
    raise ValueError(name)


def forward(params: Dict[str, np.ndarray], X: np.ndarray, activations: Sequence[str],
            alpha: float = 0.01) -> Tuple[List[np.ndarray], List[np.ndarray]]:
    """Lists Z_l and A_l for l = 1..L."""
    Zs, As = [], []
    A = X
    for l, name in enumerate(activations):
        Z = params[f"W{l + 1}"] @ A + params[f"b{l + 1}"]
        A = activate(name, Z, alpha)
        Zs.append(Z)
        As.append(A)
    return Zs, As


def _shifted(z: np.ndarray, mx: np.ndarray) -> np.ndarray:
    """z - max, with the logits tied at an infinite max taken as 0 (inf - inf would be nan):
    they share the softmax's mass, as equal logits do."""
    with np.errstate(invalid="ignore"):
        return np.where(z == mx, 0.0, z - mx)


def loss_from_logits(loss: str, z: np.ndarray, Y: np.ndarray) -> float:
    m = Y.shape[1]
    z = z.astype(np.float64)
    Y = Y.astype(np.float64)
    if loss == "binary_cross_entropy":
        # max(z, 0) - y z, which is inf - inf at z = +-inf: for labels 1 and 0, max(-z, 0) and
        # max(z, 0) (the same values for finite z, 0 or inf at +-inf).
        with np.errstate(invalid="ignore"):
            linear = np.where(Y == 1, np.maximum(-z, 0), np.where(Y == 0, np.maximum(z, 0), np.maximum(z, 0) - Y * z))
        total = np.sum(linear + np.log1p(np.exp(-np.abs(z))))
    elif loss == "softmax_cross_entropy":
        mx = z.max(axis=0, keepdims=True)
        shifted = _shifted(z, mx)
        # logsumexp - max = log1p(r), r the sum of e^{z - max} but the first largest logit's
        # (which is 1): log(1 + r) would round a small r, and so a small loss, away.
        rest = np.exp(shifted)
        rest[np.argmax(z == mx, axis=0), np.arange(z.shape[1])] = 0.0
        log_s = np.log1p(np.sum(rest, axis=0, keepdims=True))
        # y (logsumexp - z) = y (log_s - (z - max)), and 0 where y is 0 (not 0 inf).
        with np.errstate(invalid="ignore"):
            per = Y * (log_s - shifted)
        total = np.sum(np.where(Y == 0, 0.0, per))
    elif loss == "mse":
        total = 0.5 * np.sum((z - Y) ** 2)
    else:
        raise ValueError(loss)
    return float(total / m)


def cost(params: Dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, activations: Sequence[str], loss: str,
         alpha: float = 0.01) -> float:
    Zs, _ = forward(params, X, activations, alpha)
    return loss_from_logits(loss, Zs[-1], Y)


def gradients(params: Dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, activations: Sequence[str],
              loss: str, alpha: float = 0.01) -> Dict[str, np.ndarray]:
    """The grads dict dW1, db1, ... of J."""
    assert activations[-1] == OUTPUT[loss]
    Zs, As = forward(params, X, activations, alpha)
    m = X.shape[1]
    grads = {}
    dZ = As[-1] - Y
    for l in range(len(activations), 0, -1):
        A_prev = X if l == 1 else As[l - 2]
        grads[f"dW{l}"] = (1.0 / m) * (dZ @ A_prev.T)
        grads[f"db{l}"] = (1.0 / m) * np.sum(dZ, axis=1, keepdims=True)
        if l > 1:
            dZ = (params[f"W{l}"].T @ dZ) * derivative(activations[l - 2], Zs[l - 2], alpha)
    return grads


def train(params: Dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, activations: Sequence[str], loss: str,
          iterations: int, learning_rate: float, alpha: float = 0.01, batch_size: Optional[int] = None,
          key: Optional[Sequence[int]] = None) -> Tuple[Dict[str, np.ndarray], np.ndarray]:
    """Gradient descent; returns the final parameters and the cost of every step, each taken
    before its update (of the step's batch).

    ``batch_size`` None or >= m: full batch. Otherwise mini-batch SGD: each step takes the
    next ``batch_size`` columns of the epoch's order, ``random.shuffle(m, key, epoch)`` for
    epochs 0, 1, ... (an epoch's last batch holds what is left, and its mean is over those),
    as ``MLP.fit`` does with the key drawn from its ``rng``.
    """
    m = X.shape[1]

    def batches(bs: int, key: Sequence[int]) -> Iterator[np.ndarray]:
        for epoch in itertools.count():
            order = random.shuffle(m, key, epoch)
            for start in range(0, m, bs):
                yield order[start:start + bs]

    columns: Iterator[Any] = itertools.repeat(slice(None))
    if batch_size is not None and batch_size < m:
        if key is None:
            raise ValueError("mini-batch training needs the shuffle's key")
        columns = batches(batch_size, key)
    params = {k: v.copy() for k, v in params.items()}
    costs = []
    for _, cols in zip(range(iterations), columns):
        Xb, Yb = X[:, cols], Y[:, cols]
        costs.append(cost(params, Xb, Yb, activations, loss, alpha))
        g = gradients(params, Xb, Yb, activations, loss, alpha)
        params = {k: v - learning_rate * g["d" + k] for k, v in params.items()}
    return params, np.array(costs)
