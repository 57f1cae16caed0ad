"""Fans and gains: the two shared helpers every scaled initializer uses.

>>> compute_fans((64, 3, 3, 3))          # torch conv weight: (out, in, kh, kw)
(27, 576)
>>> round(calculate_gain("tanh"), 4)
1.6667
"""

from __future__ import annotations

import math
import sys
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from weightinit import _args

__all__ = ["FAN_MODES", "calculate_gain", "compute_fans", "fan_for_mode"]

FAN_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")

# An axis, or several (jax takes sequences), or None for torch's layout.
Axes = Union[None, int, Sequence[int]]

_UNIT_GAIN = (
    "linear", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid",
)
_NONLINEARITIES = (*_UNIT_GAIN, "tanh", "relu", "leaky_relu", "selu")


def compute_fans(shape: Sequence[int], in_axis: Axes = None, out_axis: Axes = None,
                 batch_axis: Axes = ()) -> Tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape``.

    By default the layout is torch's and the NumPy prototype's, ``(fan_out, fan_in, *receptive)``:
    ``fan_in = shape[1] * prod(shape[2:])``, ``fan_out = shape[0] * prod(shape[2:])``.
    Give ``in_axis`` and ``out_axis`` together for other layouts; keras and jax kernels are
    ``(*receptive, fan_in, fan_out)``, i.e. ``in_axis=-2, out_axis=-1``. The receptive field
    is then the product of every other axis (jax.nn.initializers semantics). As in jax, each
    may be a sequence of axes (their sizes multiply), and ``batch_axis`` names axes that are
    neither fans nor receptive field (a stack of weights).

    >>> compute_fans((20, 10))
    (10, 20)
    >>> compute_fans((3, 3, 16, 32), in_axis=-2, out_axis=-1)
    (144, 288)
    """
    dims = _args.shape_tuple(shape)
    if len(dims) < 2:
        raise ValueError(f"shape must have at least 2 dimensions to compute fans, got {dims}")
    unbatched = batch_axis is None or (type(batch_axis) is tuple and not batch_axis)
    torch_layout = (in_axis is None and out_axis is None) or (type(in_axis) is int and type(out_axis) is int
                                                              and in_axis == 1 and out_axis == 0)
    if torch_layout and unbatched:
        # every initializer's default, and wi.MLP's layers: the rule below without building
        # its axes, which took a quarter of a small layer's init
        receptive = math.prod(dims[2:])
        return dims[1] * receptive, dims[0] * receptive
    ins, outs, batch = fan_axes(dims, in_axis, out_axis, batch_axis)
    receptive = math.prod(d for k, d in enumerate(dims) if k not in ins + outs + batch)
    return math.prod(dims[k] for k in ins) * receptive, math.prod(dims[k] for k in outs) * receptive


def fan_axes(dims: Tuple[int, ...], in_axis: Axes, out_axis: Axes,
             batch_axis: Axes = ()) -> Tuple[Tuple[int, ...], Tuple[int, ...], Tuple[int, ...]]:
    """The input, output and batch axes of a weight of shape ``dims`` as tuples of
    non-negative indices: torch's (1,) and (0,) when neither in_axis nor out_axis is given."""
    if (in_axis is None) != (out_axis is None):
        raise TypeError("in_axis and out_axis must be given together (or neither, for torch's layout)")
    ins: Tuple[int, ...]
    outs: Tuple[int, ...]
    if in_axis is None:
        ins, outs = (1,), (0,)
    else:
        ins, outs = _axes(in_axis, len(dims), "in_axis"), _axes(out_axis, len(dims), "out_axis")
    batch = () if batch_axis is None else _axes(batch_axis, len(dims), "batch_axis", empty_ok=True)
    named = ins + outs + batch
    if len(set(named)) != len(named):
        if len(named) == 2:
            raise ValueError(f"in_axis and out_axis name the same axis {ins[0]} of shape {dims}")
        with_batch = f" and batch_axis {batch}" if batch else ""
        raise ValueError(f"in_axis {ins}, out_axis {outs}{with_batch} must name different axes of shape {dims}")
    return ins, outs, batch


def _axes(axis: Axes, ndim: int, name: str, empty_ok: bool = False) -> Tuple[int, ...]:
    """An axis or a sequence of axes as a tuple of non-negative indices, each named once."""
    if isinstance(axis, np.ndarray) and axis.ndim == 0:
        axis = axis[()]
    if isinstance(axis, (tuple, list, range, np.ndarray)):
        out = tuple(axis_index(a, ndim, name, "an int or a sequence of ints") for a in axis)
        if not out and not empty_ok:
            raise ValueError(f"{name} must name at least one axis, got {axis!r}")
        for a in out:
            if out.count(a) > 1:
                raise ValueError(f"{name} names axis {a} twice: {axis!r}")
        return out
    return (axis_index(axis, ndim, name, "an int or a sequence of ints"),)


def in_out_axes(dims: Tuple[int, ...], in_axis: Any, out_axis: Any) -> Tuple[int, int]:
    """The one input and one output axis of a weight of shape ``dims`` (torch's (1, 0) by default)."""
    for a, name in ((in_axis, "in_axis"), (out_axis, "out_axis")):
        if a is not None:
            _args.integer(a, name)
    (i,), (o,), _ = fan_axes(dims, in_axis, out_axis)
    return i, o


def axis_index(axis: Any, ndim: int, name: str, what: str = "an int") -> int:
    """``axis`` of an ``ndim``-D shape as a non-negative index (negative counts from the end)."""
    a = _args.integer(axis, name, what)
    if not -ndim <= a < ndim:
        raise ValueError(f"{name}={a} is out of range for a shape with {ndim} dimensions")
    return a % ndim


def fan_for_mode(fan_in: Any, fan_out: Any, mode: str, modes: Sequence[str] = FAN_MODES) -> Any:
    """The fan a variance-scaling rule divides by: fan_in, fan_out, their mean (``fan_avg``) or
    their geometric mean (``fan_geo_avg``, jax's).

    Raises if ``mode`` is not one of ``modes`` or if that fan is zero (a shape with an empty axis).
    The fans may be arrays (a fan per element).

    >>> fan_for_mode(10, 20, "fan_avg")
    15.0
    """
    _args.one_of(mode, "mode", modes)
    for fan, name in ((fan_in, "fan_in"), (fan_out, "fan_out")):
        if isinstance(fan, int) and not isinstance(fan, bool) and fan > sys.float_info.max:
            raise ValueError(f"{name} must be a float's size at most, got an int of {fan.bit_length()} bits")
    if mode == "fan_geo_avg":  # each root first: the product of two large fans overflows
        # (as floats: a fan of a huge shape can be an int beyond numpy's int64)
        fan = np.sqrt(np.asarray(fan_in, dtype=float)) * np.sqrt(np.asarray(fan_out, dtype=float))
        fan = float(fan) if np.ndim(fan) == 0 else fan
    elif mode == "fan_avg":
        # Halves first, but for two ints (summed exactly): the sum of two fans near float's
        # largest overflows to a fan of inf (a scale of 0), two int64 fans near 2^63 wrap.
        # For floats the two forms are the same bits.
        fan = (fan_in + fan_out) / 2 if type(fan_in) is int and type(fan_out) is int else fan_in / 2 + fan_out / 2
    else:
        fan = fan_in if mode == "fan_in" else fan_out
    if not (fan > 0 if type(fan) in (int, float) else np.all(fan > 0)):
        raise ValueError(
            f"mode={mode!r} needs a fan > 0, got fan_in={fan_in}, fan_out={fan_out} "
            "(a shape with an empty axis has a zero fan)"
        )
    return fan


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """The recommended gain for a nonlinearity (torch.nn.init.calculate_gain's table).

    ============================  =========================
    linear, conv*d, sigmoid       1
    tanh                          5/3
    relu                          sqrt(2)
    leaky_relu                    sqrt(2 / (1 + slope**2)), slope = param (default 0.01)
    selu                          3/4
    ============================  =========================

    As in torch, ``param`` is read only for ``leaky_relu``. He et al., "Delving deep into
    rectifiers", ICCV 2015 (relu, leaky_relu); Klambauer et al. 2017 via torch (selu).

    >>> calculate_gain("leaky_relu", 0.2) == (2 / 1.04) ** 0.5
    True
    """
    return gain_and_square(nonlinearity, param)[0]


def gain_and_square(nonlinearity: str, param: Optional[float] = None) -> Tuple[float, float]:
    """:func:`calculate_gain` and its square from the table itself (relu's 2, tanh's 25/9), where
    squaring the gain rounds twice: sqrt(2)**2 is 2.0000000000000004, and a He std from it was
    1 ulp off sqrt(2/n) for most n. The variance-scaling initializers take the square."""
    if not isinstance(nonlinearity, str):
        raise TypeError(f"nonlinearity must be a str, got {type(nonlinearity).__name__}")
    if nonlinearity in _UNIT_GAIN:
        return 1.0, 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3, 25.0 / 9
    if nonlinearity == "relu":
        return math.sqrt(2.0), 2.0
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else _args.real(param, "param (the negative slope)")
        square = slope * slope
        if math.isinf(square):  # |slope| > 1.3e154: 2 / inf would give 0, where the gain is sqrt(2) / |slope|
            gain = math.sqrt(2.0) / math.hypot(1.0, slope)
            return gain, gain * gain
        return math.sqrt(2.0 / (1 + square)), 2.0 / (1 + square)
    if nonlinearity == "selu":
        return 3.0 / 4, 9.0 / 16
    raise ValueError(f"nonlinearity must be one of {', '.join(_NONLINEARITIES)}; got {nonlinearity!r}")
