"""A multilayer perceptron trained in C++: weightinit.MLP.

Data follow the layout of the first article's NumPy prototype: ``X`` is
``(n_features, m)``, ``Y`` is ``(n_outputs, m)``, layer ``l``'s weights ``Wl`` are
``(n_l, n_{l-1})`` and its bias ``bl`` is ``(n_l, 1)``. Training is gradient descent on

* ``binary_cross_entropy`` (sigmoid output): ``J = 1/m sum softplus(z) - y z``
* ``softmax_cross_entropy`` (softmax output): ``J = 1/m sum_j logsumexp(z_j) - y_j . z_j``
* ``mse`` (identity output): ``J = 1/(2m) sum (z - y)^2``

all computed from the output logits ``z``, so a saturated network reports a finite cost.

>>> import numpy as np, weightinit as wi
>>> X = np.random.default_rng(0).normal(size=(2, 200)); Y = (X[:1] * X[1:] > 0).astype(float)
>>> net = wi.MLP([2, 8, 1], activations=["tanh", "sigmoid"], init="normal", rng=1)
>>> costs = net.fit(X, Y, iterations=2000, learning_rate=0.5)
>>> bool(costs[-1] < costs[0])
True
"""

from __future__ import annotations

import copy
import inspect
import math
import numbers
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from weightinit import _args
from weightinit import random as _random
from weightinit import registry
from weightinit._coreload import core
from weightinit._table import counted
from weightinit._threads import get_num_threads

__all__ = ["HIDDEN_ACTIVATIONS", "LOSSES", "MLP"]

HIDDEN_ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "leaky_relu")
# Each loss and the output activation it belongs to.
LOSSES = {"binary_cross_entropy": "sigmoid", "softmax_cross_entropy": "softmax", "mse": "identity"}
_OUTPUT_ACTIVATIONS = {v: k for k, v in LOSSES.items()}

Init = Union[str, Callable[..., np.ndarray]]


# --- initializer lookup -----------------------------------------------------------------
def _initializer(init: Init, where: str) -> Callable[..., np.ndarray]:
    if callable(init):
        return init
    if not isinstance(init, str):
        raise TypeError(f"{where} must be an initializer name or a callable, got {type(init).__name__}")
    try:
        return registry.get(init)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None


def _layer_axes(f: Callable[..., np.ndarray]) -> Dict[str, int]:
    """The axes to name when f draws a layer's W: ``in_axis=1, out_axis=0`` for initializers
    that read fans (keras' class names default to keras' (in, out) layout), none for others."""
    try:
        takes = _args.parameter_names(f)
    except (TypeError, ValueError):  # no signature to read (a builtin): the plain call
        takes = ()
    return {"in_axis": 1, "out_axis": 0} if "in_axis" in takes and "out_axis" in takes else {}


def sizes_text(sizes: Sequence[int]) -> str:
    """Layer sizes for a message: all of them while they are few, else the ends and the count
    (the sizes of a 1000-layer network made a 6000-character error)."""
    sizes = list(sizes)
    if len(sizes) <= 12:
        return str(sizes)
    return f"[{sizes[0]}, {sizes[1]}, {sizes[2]}, ..., {sizes[-3]}, {sizes[-2]}, {sizes[-1]}] ({len(sizes)} sizes)"


def parameter_count(sizes: Sequence[int]) -> int:
    """Weights and biases of a network of ``sizes``."""
    return sum(n_out * (n_in + 1) for n_in, n_out in zip(sizes, sizes[1:]))


def check_parameter_memory(sizes: Sequence[int], named: str, copies: int, extra: int, itemsize: int,
                           what: str) -> None:
    """A MemoryError naming the sizes (``named``) where ``copies`` of the weights and biases of
    a network of ``sizes``, and ``extra`` more values, of ``itemsize`` bytes each, are beyond
    the memory this process may use (NumPy said "array is too big" of no argument)."""
    params = parameter_count(sizes)
    over = _args.over_memory((copies * params + extra) * itemsize)
    if over:
        raise MemoryError(f"{named}: {params} weights and biases, {what}, need {over}")


def engine_values(sizes: Sequence[int], m: int, work: str, fused: bool = False, itemsize: int = 8) -> int:
    """About how many values a core call on ``m`` examples writes for a network of ``sizes``
    (what Linux backs with memory: the engine reserves its buffers for the widest layer, but
    pages never written cost nothing), its parameters included. ``work``:
    ``"forward"`` (predict, cost): every layer's activations and the output's Z and dZ;
    ``"layers"`` (MLP.forward): Z and A of every layer, returned;
    ``"train"`` (gradients, a fit step): the forward's values, the dZ rows the backward pass
    writes into its two alternating buffers, the gradients and, where the GEMMs take more
    than one chunk of examples, the per-chunk dW of the widest GEMM layer; a ``fused`` fit
    (a [n_0 <= 8, h, 1] network) writes nothing per example but a gradient per block of
    examples, in doubles whatever the network's ``itemsize``: counted here in values of that
    size."""
    params = parameter_count(sizes)
    hidden_and_out = sum(sizes[1:])
    if work == "layers":
        return params + 2 * hidden_and_out * m
    if work == "forward":
        return params + (hidden_and_out + 2 * sizes[-1]) * m
    if fused:
        return 2 * params + -(-core.mlp.fused_partial_values(sizes[0], sizes[1], m) * 8 // itemsize)
    dz = list(sizes[1:])[::-1]  # dZ of layers L, L-1, ..., 1 go to one buffer, then the other
    wide = [n_out * n_in for n_in, n_out in zip(sizes, sizes[1:]) if n_out * n_in >= 256]
    chunks = core.mlp.gemm_chunks(m) if wide else 0
    chunks = chunks if chunks > 1 else 0  # one chunk writes its dW in place
    return (2 * params + (hidden_and_out + sizes[-1] + max(dz[0::2]) + max(dz[1::2], default=0)) * m
            + chunks * max(wide, default=0))


# The float types' machine epsilons (np.finfo takes a microsecond a call).
_EPS = {t: float(np.finfo(t).eps) for t in (np.float16, np.float32, np.float64, np.longdouble)}


class EngineMemory:
    """Around the core's calls on m examples (``work`` as :func:`engine_values`; ``extra``
    values besides, and ``copies``: the values of each of the caller's arrays converted for
    the core, by name, as ``{"X": n, "Y": 0}``) of a network of ``sizes``: their buffers in terms of the
    network and the data when they cannot fit. Refused when made (before the caller copies X
    and Y) when they would need more than this process may use (where Linux would let the
    allocation pass and kill the process filling it), and pybind11's bare "std::bad_alloc"
    reworded on exit; ``fewer`` says what to do about it, unless the copies are most of what
    is needed, where the advice is to pass fewer examples or data the engine reads without a
    copy (the network's dtype, C-contiguous). (A class:
    contextlib's generator cost 1.5 us a call, a fifth of a small forward pass.)"""

    __slots__ = ("sizes", "m", "fewer")

    def __init__(self, sizes: Sequence[int], m: int, work: str, dtype: np.dtype, fewer: str, fused: bool = False,
                 extra: int = 0, copies: Optional[Mapping[str, int]] = None) -> None:
        units = sum(sizes)  # 18 units^2 + 4 units m bounds engine_values (1.9 us for [2, 4, 1]): unchecked
        copied_values = sum(copies.values()) if copies else 0
        if (18 * units * units + 4 * units * m + extra + copied_values) * dtype.itemsize > _args.UNCHECKED_BYTES:
            engine = (engine_values(sizes, m, work, fused, dtype.itemsize) + extra) * dtype.itemsize
            copy_bytes = copied_values * dtype.itemsize
            over = _args.over_memory(engine + copy_bytes)
            if over:
                what = f"the engine's buffers for {sizes_text(sizes)} on {counted(m, 'example')}"
                copied = " and ".join(name for name, n in (copies or {}).items() if n)
                if copied:
                    what += f" and the copy of {copied} as C-contiguous {dtype} ({_args.size_text(copy_bytes)})"
                if copy_bytes > engine:  # a smaller batch would not help
                    kind = f"C-contiguous {dtype} arrays" if " and " in copied else f"a C-contiguous {dtype} array"
                    fewer = (f"the copy is made whatever the batch: pass fewer examples, or {copied} already as {kind} "
                             f"(a network of X's dtype, say), which the engine reads without a copy")
                raise MemoryError(f"{what} need {over}: {fewer}")
        self.sizes, self.m, self.fewer = sizes, m, fewer

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is MemoryError and str(exc) == "std::bad_alloc":
            raise MemoryError(f"the engine's buffers for {sizes_text(self.sizes)} on {counted(self.m, 'example')} "
                              f"(every layer's values for every example) do not fit in the memory this process "
                              f"can get: {self.fewer}") from None


def _layer_weights(f: Callable[..., np.ndarray], n_out: int, n_in: int, rng: Any, dtype: Any,
                   name: str = "W", who: str = "init") -> np.ndarray:
    """A layer's W, shape (n_out, n_in), from initializer f, called as ``f(shape, rng=...,
    dtype=..., **axes)`` with :func:`_layer_axes`'s axes. A callable's own result is checked:
    a W of another shape, or a masked array, is a ValueError naming ``name``, whose message
    starts with ``who`` (the initializer as the caller names it)."""
    W = np.asarray(_args.unmasked(f((n_out, n_in), rng=rng, dtype=dtype, **_layer_axes(f)), f"{who} returned a {name} that",
                             "return a plain array"))
    if W.shape != (n_out, n_in):
        raise ValueError(f"{who} returned shape {W.shape} for {name}, expected {(n_out, n_in)}")
    return W


def _call_hint(f: Callable[..., Any]) -> str:
    """'; an init callable is called as ...' where f cannot take the call (torch's
    xavier_uniform_(tensor), np.ones), else ''."""
    try:
        inspect.signature(f).bind((1, 1), rng=None, dtype=None, **_layer_axes(f))
    except TypeError:
        name = getattr(f, "__name__", "")
        if str(getattr(f, "__module__", "")).startswith("torch") and _draws_a_layer(name):
            return f"; torch's {name} fills a tensor in place: pass its name, init={name!r}, for this library's"
        return ("; a callable init is called as init(shape, rng=..., dtype=...) and returns the array, "
                "as the initializers wi.get(name) gives are")
    except ValueError:  # no signature to read (some builtins): the error says what it can
        pass
    return ""


def _draws_a_layer(name: str) -> bool:
    """Whether the registry's name (torch's "kaiming_normal_" too) draws a layer's W as it
    is (not dirac_, which needs 3-5 dimensions, nor constant_ or sparse_, which need an
    argument)."""
    try:
        registry.get(name)((2, 2), rng=0)
    except (TypeError, ValueError):
        return False
    return True


def _hint(init: Any, f: Callable[..., Any], where: str) -> str:
    return _argument_hint(init, f, where) if isinstance(init, str) else _call_hint(f)


def _argument_hint(name: str, f: Callable[..., Any], where: str = "init") -> str:
    """'; pass functools.partial(...)' for a registry name whose initializer needs an argument
    that init= cannot give it (constant's value, sparse's sparsity), else ''. The callable
    hint said how a callable is called, to a caller who passed a name (helper-146)."""
    try:
        needed = [p.name for p in inspect.signature(f).parameters.values()
                  if p.default is p.empty and p.kind is p.KEYWORD_ONLY]
    except ValueError:
        return ""
    given = ", ".join(f"{p}=..." for p in needed)
    return f"; to set it, give {where} as functools.partial(wi.get({name!r}), {given})" if needed else ""


def drawn_weights(sizes: Sequence[int], init: Any, rng: np.random.Generator, dtype: np.dtype,
                  keep: bool = True, argument: str = "init") -> List[np.ndarray]:
    """Each layer's W of a network of ``sizes``, drawn from ``rng`` in order, as ``MLP(init=...)``
    draws them (``init``: one for all layers or a list, each a name or a callable). Errors name
    the ``argument`` that gave init (or ``argument[l]``) and the layer. With ``keep``, each W
    is the network's own: a named initializer's new array as it is (a copy faulted in fresh
    pages, 3.7x NumPy's time at [784, 256, 256, 10]), a callable's copied, since it may be held
    elsewhere (a global, a cache, its out=) or read-only; without, W may be the callable's, for
    a caller that copies."""
    n_layers = len(sizes) - 1
    if isinstance(init, tuple) and len(init) == 2 and isinstance(init[0], str) and (isinstance(init[1], str)
                                                                                  or callable(init[1])):
        # sweep's ("label", name or callable); for 2 layers also an initializer per layer
        raise TypeError(f"{argument}=({init[0]!r}, {init[1]!r}) is ambiguous: pass a list [{init[0]!r}, ...] "
                        "for one initializer per layer, or the second alone for every layer (a (label, "
                        "initializer) pair names a scheme in weightinit.sweep's inits)")
    inits = list(init) if isinstance(init, (list, tuple)) else [init] * n_layers
    if len(inits) != n_layers:
        raise ValueError(f"{argument} must be one initializer or a list of {n_layers}, got {len(inits)}")
    # Refused input leaves the caller's Generator as it was: the layers before a bad one
    # (an unknown name, a dirac for a dense layer, a callable's nan) have drawn from it.
    state = rng.bit_generator.state
    try:
        return _drawn(sizes, init, inits, rng, dtype, keep, argument)
    except BaseException:
        rng.bit_generator.state = state
        raise


def _drawn(sizes: Sequence[int], init: Any, inits: List[Any], rng: np.random.Generator, dtype: np.dtype,
           keep: bool, argument: str) -> List[np.ndarray]:
    out = []
    for l, each in enumerate(inits):
        where = f"{argument}[{l}]" if isinstance(init, (list, tuple)) else argument
        f = _initializer(each, where)
        shape = (sizes[l + 1], sizes[l])
        who = f"{where}={each!r}"
        try:
            W = _layer_weights(f, *shape, rng, dtype, name=f"W{l + 1}", who=who)
        except (TypeError, ValueError) as exc:  # e.g. sparse without its sparsity, dirac on 2-D
            if str(exc).startswith(f"{who} returned"):  # its own result, named already
                raise
            raise _args.reworded(exc, f"{who} cannot initialize layer {l + 1} of shape {shape}: {exc}"
                                      f"{_hint(each, f, where) if isinstance(exc, TypeError) else ''}") from exc
        try:
            M = _matrix(W, f"W{l + 1}", dtype)
        except (TypeError, ValueError) as exc:  # what it returned: not finite, not numbers
            raise _args.reworded(exc, f"{who}: {exc}") from exc
        fresh = not np.may_share_memory(M, W) or (isinstance(each, str) and type(W) is np.ndarray
                                                    and W.flags.writeable)
        out.append(M if fresh or not keep else M.copy())
    return out


# --- argument checks ----------------------------------------------------------------------
def _real_array(a: Any, name: str) -> np.ndarray:
    """np.asarray(a) of real numbers (a list too); a masked array that hides values, anything
    NumPy cannot read (a ragged list) or non-numbers are errors naming ``name``."""
    _args.unmasked(a, name)
    arr = _args.as_array(a, name)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr


def _matrix(a: Any, name: str, dtype: np.dtype, rows: Optional[int] = None, cols: Optional[int] = None, *,
            finite: bool = True) -> np.ndarray:
    """a as a C-contiguous 2-D array of dtype (a copy only when needed), finite unless ``finite=False``."""
    return _converted(_shaped(a, name, rows, cols), name, dtype, finite)


def _shaped(a: Any, name: str, rows: Optional[int] = None, cols: Optional[int] = None) -> np.ndarray:
    """a as a 2-D array of real numbers of ``rows`` rows and ``cols`` columns, not copied (an
    array as it is: :func:`_converted` makes what the core reads)."""
    if (type(a) is np.ndarray and a.ndim == 2 and (rows is None or a.shape[0] == rows)
            and (cols is None or a.shape[1] == cols) and a.dtype.kind in "biuf"):
        return a  # the common case, at once: nothing below has anything to say of it
    arr = _real_array(a, name)
    data = name[0] in "XY"  # data (examples are columns), not weights: the hints are for it
    if arr.ndim != 2:
        per_row = "feature" if name[0] == "X" else "output"
        hint = ""
        if data and arr.ndim == 1 and rows == 1:
            hint = f" (one row per {per_row}: {name}.reshape(1, -1))"
        elif name[0] == "X" and arr.ndim == 1 and arr.shape[0] == rows:
            hint = f" (one example is a column: {name}.reshape(-1, 1))"
        elif name[0] == "b" and arr.ndim == 1:
            hint = f" (a column: {name}.reshape(-1, 1), where torch's biases are 1-D)"
        raise ValueError(f"{name} must be 2-D, got shape {arr.shape}{hint}")
    if rows is not None and arr.shape[0] != rows:
        if name[0] == "Y" and arr.shape[0] == 1:
            hint = f"; one row per output (softmax labels one-hot), shape ({rows}, m)"
        elif data and arr.shape[1] == rows:
            hint = f"; examples are columns, so pass {name}.T"
        else:
            hint = ""
        raise ValueError(f"{name} must have {counted(rows, 'row')}, got shape {arr.shape}{hint}")
    if cols is not None and arr.shape[1] != cols:
        raise ValueError(f"{name} must have {counted(cols, 'column')}, got shape {arr.shape}")
    return arr


def _as_is(arr: np.ndarray, dtype: np.dtype) -> bool:
    """Whether the core reads arr itself (else :func:`_converted` copies it)."""
    flags = arr.flags
    return (arr.dtype is dtype or arr.dtype == dtype) and flags.c_contiguous and flags.aligned


def _copied(arr: np.ndarray, dtype: np.dtype) -> int:
    """The values :func:`_converted` allocates for arr: its size, or 0 when it is read as it is."""
    return 0 if _as_is(arr, dtype) else arr.size


def _converted(arr: np.ndarray, name: str, dtype: np.dtype, finite: bool = True) -> np.ndarray:
    """A 2-D real array as the core reads it: C-contiguous and aligned, of dtype (a copy only
    when needed), finite unless ``finite=False``; values beyond dtype's range are refused."""
    if _as_is(arr, dtype):
        if not finite:
            return arr  # read as it is, unscanned: the common case, at once (the prototype's per call)
        out = arr  # what the core reads already (entering errstate took a microsecond a matrix)
    else:
        with np.errstate(over="ignore"):  # float64 beyond float32's range: reported below
            out = np.ascontiguousarray(arr, dtype=dtype)
        if not out.flags.aligned:  # a view at an odd byte offset (np.frombuffer): the core reads aligned values
            out = out.copy()
    converted = out.dtype != arr.dtype
    if (finite or converted) and not core.mlp.all_finite(out, get_num_threads()):
        if converted and (np.isfinite(arr) & ~np.isfinite(out)).any():
            raise ValueError(f"{name} holds values beyond {dtype}'s range (largest {np.finfo(dtype).max:g})")
        if finite:
            raise ValueError(f"{name} must be finite (it holds nan or inf)")
    return out


# Makes a fit's start (its count of fits and its read of the parameters) and the parameters
# setter's check and assignment exclusive: the core marks a network training only once the
# fit has called it, and a setter between a fit's read and that mark replaced the arrays the
# fit went on to train, its training lost (helper-179). Held for a few bytecodes, never
# across a call into the core; reentrant, for a signal handler that sets parameters while
# its thread holds it; a forked child makes its own.
_STARTING = threading.RLock()


def _new_starting_lock() -> None:
    global _STARTING
    _STARTING = threading.RLock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_new_starting_lock)


class MLP:
    """A fully connected network ``layer_sizes[0] -> ... -> layer_sizes[-1]`` trained in C++.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input features first, outputs last (each >= 1).
    activations : sequence of str, optional
        One per layer, the last being the output's. Hidden: ``identity``, ``sigmoid``,
        ``tanh``, ``relu``, ``leaky_relu``; output: ``sigmoid``, ``softmax`` or ``identity``.
        Default: ``tanh`` hidden layers and the output the loss implies.
    loss : str, optional
        ``binary_cross_entropy``, ``softmax_cross_entropy`` or ``mse``; default: implied
        by the output activation (sigmoid when neither is given). Each is a mean over the
        m examples of a sum over the outputs, as the prototype's: ``mse`` is
        ``1/(2m) sum (z - y)^2`` (torch's MSELoss, the mean over every element without the
        1/2, is ``2 / n_outputs`` times it), and binary cross-entropy with several sigmoid
        outputs adds theirs (torch's BCEWithLogitsLoss averages them). The cross-entropies
        are computed from the logits: finite for saturated outputs, and exact where a logit
        overflows to +-inf (0 where the output agrees with the label, inf where it does not,
        log k for a softmax label among k classes tied at +inf).
    init : str or callable, or a list of them (one per layer), default ``"xavier_uniform"``
        An initializer name or ``f(shape, rng=..., dtype=...)``; biases start at zero. A
        layer's W is ``(n_out, n_in)``: initializers that read fans are told so
        (``in_axis=1, out_axis=0``), keras' class names included.
    rng : SPEC 7 seed, default None (fresh entropy)
        Seeds the initializers (one Generator, so layers differ) and mini-batch shuffles.
    dtype : float32 or float64, default float64
        What parameters, activations and gradients are stored in; element-wise maths is
        done in double either way. Two-layer networks with one sigmoid output, at most 8
        inputs and at most 2048 hidden units train through a fused step that keeps every
        value between two updates in double.
    alpha : float, default 0.01
        Slope of ``leaky_relu`` for negative inputs.

    Attributes ``layer_sizes``, ``activations``, ``loss``, ``dtype`` and ``alpha`` hold the
    architecture as given (activations and loss completed by their defaults), read-only.

    Examples
    --------
    Examples are columns: ``X`` is ``(n_features, m)``, ``Y`` is ``(n_outputs, m)``.

    >>> X, Y = wi.datasets.planar_flower(1)
    >>> net = wi.MLP([2, 4, 1], init="xavier_uniform", rng=2)
    >>> net
    MLP([2, 4, 1], activations=['tanh', 'sigmoid'], loss='binary_cross_entropy', dtype='float64')
    >>> costs = net.fit(X, Y, iterations=2000, learning_rate=1.2)
    >>> bool(costs[-1] < costs[0]), bool(net.accuracy(X, Y) > 0.8)
    (True, True)
    """

    # What to do where the engine's memory is too little, for a caller with its own options
    # (prototype.nn_model has no batch_size=); None: fewer examples, or batch_size=.
    _memory_advice: Optional[str] = None

    layer_sizes: Tuple[int, ...]
    activations: Tuple[str, ...]
    loss: str
    dtype: np.dtype
    alpha: float
    # Read-only: the core network is built from them once, so an assignment changed repr and
    # every copy or pickle (which rebuild the core network) but not the network (helper-179).
    # Plain attributes behind __setattr__: a descriptor's getter cost 0.15 us a read, a few
    # microseconds a small fit.
    _ARCHITECTURE = frozenset(("layer_sizes", "activations", "loss", "dtype", "alpha"))

    def __setattr__(self, name: str, value: Any) -> None:
        if name in MLP._ARCHITECTURE:
            raise AttributeError(f"{name} is fixed when the network is built: make a new MLP (its parameters "
                                 f"property takes this one's weights where the shapes agree)")
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if name in MLP._ARCHITECTURE:
            raise AttributeError(f"{name} is fixed when the network is built")
        super().__delattr__(name)

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activations: Optional[Sequence[str]] = None,
        loss: Optional[str] = None,
        init: Union[Init, Sequence[Init]] = "xavier_uniform",
        rng: Any = None,
        dtype: Any = np.float64,
        *,
        alpha: float = 0.01,
    ) -> None:
        sizes = self._sizes(layer_sizes)
        n_layers = len(sizes) - 1
        loss, acts = self._activations(activations, loss, n_layers)
        if loss == "softmax_cross_entropy" and sizes[-1] < 2:
            raise ValueError("softmax_cross_entropy needs at least 2 outputs (layer_sizes[-1] is 1, so every "
                             "cost would be 0); for one output use sigmoid and binary_cross_entropy")
        self.__dict__.update(loss=loss, activations=acts, alpha=_args.nonnegative(alpha, "alpha"),
                             dtype=_args.float_dtype(dtype), layer_sizes=sizes)  # past __setattr__
        self._rng = _args.generator(rng)
        self._fitting = 0  # the fits begun on this network and not returned (_STARTING)
        # Kept and their gradients, and one layer's W drawn at a time before its copy is kept.
        check_parameter_memory(sizes, f"layer_sizes {sizes_text(sizes)}", 2,
                               max(n_out * n_in for n_in, n_out in zip(sizes, sizes[1:])), self.dtype.itemsize,
                               "kept, drawn and with their gradients")
        self._params: List[np.ndarray] = []
        for W in drawn_weights(sizes, init, self._rng, self.dtype):
            self._params += [W, np.zeros((W.shape[0], 1), self.dtype)]
        # After the weights: NumPy refuses an impossible layer with a MemoryError before the
        # core allocates its gradients.
        self._net = self._core_network()

    def _core_network(self) -> Any:
        return core.mlp.Network(list(self.layer_sizes), list(self.activations), self.loss, self.alpha,
                                self.dtype == np.float32)

    def __copy__(self) -> "MLP":
        """copy.copy(net) is an independent network, as copy.deepcopy: a copy sharing the
        parameters would change the original as it trained."""
        return copy.deepcopy(self)

    # copy.deepcopy and pickle: the core network holds no state of its own beyond its
    # architecture (its buffers are scratch), so it is rebuilt.
    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        del state["_net"]
        state["_fitting"] = 0  # a copy made during a fit (from its callback) is not fitting
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)  # the architecture too, past __setattr__
        self.__dict__.setdefault("_fitting", 0)  # a pickle from before fits were counted
        self._net = self._core_network()

    def __repr__(self) -> str:
        """The constructor's arguments that shape the network, the lists shortened as errors
        shorten sizes (a 1000-layer network's was 11 kB), alpha where leaky_relu reads it."""
        acts = list(self.activations)
        shown = repr(acts) if len(acts) <= 12 else \
            f"[{', '.join(map(repr, acts[:3]))}, ..., {', '.join(map(repr, acts[-3:]))}] ({len(acts)} layers)"
        alpha = f", alpha={self.alpha!r}" if "leaky_relu" in acts else ""
        return (f"MLP({sizes_text(self.layer_sizes)}, activations={shown}, loss={self.loss!r}{alpha}, "
                f"dtype='{self.dtype}')")

    # --- construction helpers ---
    @staticmethod
    def _sizes(layer_sizes: Any) -> Tuple[int, ...]:
        if isinstance(layer_sizes, np.ndarray) and layer_sizes.ndim == 1:
            layer_sizes = layer_sizes.tolist()
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
            raise TypeError(f"layer_sizes must be a sequence of ints, got {type(layer_sizes).__name__}")
        sizes = tuple(_args.count(n, f"layer_sizes[{i}]", 1) for i, n in enumerate(layer_sizes))
        if len(sizes) < 2:
            raise ValueError(f"layer_sizes needs at least an input and an output size, got {sizes}")
        for l in range(len(sizes) - 1):
            if sizes[l + 1] * sizes[l] * 8 > _args.MAX_BYTES:
                raise MemoryError(f"layer_sizes: layer {l + 1} ({sizes[l]} -> {sizes[l + 1]}) has "
                                  f"{sizes[l + 1] * sizes[l]} weights, more than can be addressed")
        return sizes

    @staticmethod
    def _activations(activations: Any, loss: Optional[str], n_layers: int) -> Tuple[str, Tuple[str, ...]]:
        if loss is not None and not isinstance(loss, str):
            raise TypeError(f"loss must be a str, got {type(loss).__name__}")
        if loss is not None and loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
        if activations is None:
            out = LOSSES[loss or "binary_cross_entropy"]
            acts = ["tanh"] * (n_layers - 1) + [out]
        else:
            if isinstance(activations, (str, Mapping, AbstractSet)):  # a dict's keys were read as the names
                raise TypeError(f"activations must be a list with one name per layer, got a {type(activations).__name__}")
            acts = list(activations)
            if len(acts) != n_layers:
                raise ValueError(f"activations needs one name per layer ({n_layers}), got {len(acts)}")
            for i, a in enumerate(acts):
                if not isinstance(a, str):
                    raise TypeError(f"activations[{i}] must be a str, got {type(a).__name__}")
        for i, a in enumerate(acts[:-1]):
            if a not in HIDDEN_ACTIVATIONS:
                raise ValueError(f"activations[{i}] must be one of {HIDDEN_ACTIVATIONS}, got {a!r}")
        if acts[-1] not in _OUTPUT_ACTIVATIONS:
            raise ValueError(
                f"activations[-1] (the output) must be one of {sorted(_OUTPUT_ACTIVATIONS)}, got {acts[-1]!r}")
        implied = _OUTPUT_ACTIVATIONS[acts[-1]]
        if loss is None:
            loss = implied
        elif loss != implied:
            raise ValueError(f"loss {loss!r} needs a {LOSSES[loss]!r} output, got activations[-1]={acts[-1]!r}")
        return loss, tuple(acts)

    # --- parameters ---
    @property
    def parameters(self) -> Dict[str, np.ndarray]:
        """Copies of the parameters as the prototype's dict ``{"W1": ..., "b1": ..., ...}``.

        A read from another thread while a fit runs is not synchronized with its steps (it
        may mix two steps' values); the fit's progress callback, during which training
        waits, is the place for a consistent copy.
        """
        out = {}
        for l in range(len(self.layer_sizes) - 1):
            out[f"W{l + 1}"] = self._params[2 * l].copy()
            out[f"b{l + 1}"] = self._params[2 * l + 1].copy()
        return out

    @parameters.setter
    def parameters(self, params: Dict[str, Any]) -> None:
        self._not_training()
        # Non-finite values are taken, as the getter gives them after a diverged run: fit
        # then reports them through its on_nonfinite rule.
        if not isinstance(params, Mapping):  # a dict, or np.load's NpzFile of np.savez(**net.parameters)
            raise TypeError(f"parameters must be a dict of W1, b1, ..., got {type(params).__name__}")
        n_layers = len(self.layer_sizes) - 1
        expected = {f"{p}{l + 1}" for l in range(n_layers) for p in "Wb"}
        if set(params) != expected:
            raise ValueError(f"parameters must have exactly the keys {sorted(expected)}, got {sorted(params, key=repr)}")
        new = []
        for l in range(n_layers):
            n_out, n_in = self.layer_sizes[l + 1], self.layer_sizes[l]
            W = _matrix(params[f"W{l + 1}"], f"W{l + 1}", self.dtype, n_out, n_in, finite=False)
            b = _matrix(params[f"b{l + 1}"], f"b{l + 1}", self.dtype, n_out, 1, finite=False)
            new += [W.copy(), b.copy()]
        with _STARTING:
            self._not_training()  # again: a fit may have started while the arrays were checked
            self._params = new

    def _not_training(self) -> None:
        # The arrays a fit is writing into would be swapped out and its result lost. The core
        # counts the fits running on it (from its progress callback or another thread); the
        # count here, those begun, also covers a fit that has read the parameters but not yet
        # reached the core.
        if self._fitting or self._net.training:
            raise RuntimeError("this network is training (a fit is running on it): its parameters cannot be "
                               "set until the fit returns")

    # --- data checks ---
    def _inputs(self, X: Any, name: str = "X") -> np.ndarray:
        return _converted(self._examples(X, name), name, self.dtype)

    def _examples(self, X: Any, name: str = "X") -> np.ndarray:
        """X checked but not yet converted (:func:`_converted`): the engine's memory is checked
        (:meth:`_engine`) before a copy of a large X (strided, or of another dtype) is made."""
        X = _shaped(X, name, rows=self.layer_sizes[0])
        if X.shape[1] < 1:
            raise ValueError(f"{name} must hold at least one example (column)")
        return X

    def _copies(self, X: np.ndarray, Y: Any) -> Dict[str, int]:
        """:class:`EngineMemory`'s ``copies``: the values that converting X (from
        :meth:`_examples`) and Y (by :meth:`_targets`) allocates, none for arrays the core
        reads as they are, else their converted size."""
        kept = isinstance(Y, np.ndarray) and Y.ndim == 2 and _as_is(Y, self.dtype)
        return {"X": _copied(X, self.dtype), "Y": 0 if kept else self.layer_sizes[-1] * X.shape[1]}

    def _targets(self, Y: Any, m: int, name: str = "Y") -> np.ndarray:
        if self.loss == "softmax_cross_entropy":
            Y = self._one_hot(Y, m, name)
        given = _shaped(Y, name, rows=self.layer_sizes[-1], cols=m)
        arr = _converted(given, name, self.dtype)
        # One pass in the core (NumPy's four reductions took 12 us warm, 35 after a step). Its
        # column sums go row after row, as NumPy's did for m > 1; NumPy summed a single column
        # pairwise, so at m = 1 a sum within an ulp of the tolerance can now fall the other way.
        off = core.mlp.labels_off(self.loss, arr)
        narrowed = given.dtype.kind == "f" and given.dtype.itemsize > arr.dtype.itemsize
        if off == 0 and self.loss == "binary_cross_entropy" and narrowed:
            # Labels within half an ulp of 0 or 1 were rounded to them (1 - 2^-30 in float32):
            # the labels given are read.
            off = float(not ((given == 0) | (given == 1)).all())
        if self.loss == "binary_cross_entropy" and off != 0:
            raise ValueError(f"{name} must hold labels 0 or 1 for binary_cross_entropy")
        if self.loss == "softmax_cross_entropy":
            # Probabilities computed in float32 (or float16), whatever dtype they come in, sum
            # to 1 only within a few eps per class; at most 1e-2 off (float16's eps made 4 n eps
            # reach 1 at 256 classes, where a column of zeros passed). A nan sum fails too.
            eps = max(_EPS[np.float32], _EPS.get(given.dtype.type, 0.0))
            if not off <= min(4 * arr.shape[0] * eps, 1e-2):
                raise ValueError(f"{name}'s columns must be one-hot (or probabilities summing to 1) for "
                                 "softmax_cross_entropy")
        return arr

    def _one_hot(self, Y: Any, m: int, name: str) -> np.ndarray:
        """Softmax targets given as m integer class indices (what predict returns, torch's
        CrossEntropyLoss takes) as one-hot columns; any other array as it is (read as
        _matrix reads it: masked values, ragged lists and non-numbers are errors)."""
        arr = _real_array(Y, name)
        k = self.layer_sizes[-1]
        either = f"{name} must be one-hot columns ({k}, m) or m integer class indices for softmax_cross_entropy"
        if arr.ndim == 2 and arr.dtype.kind in "iu" and arr.shape != (k, m) and 1 in arr.shape and arr.size == m:
            raise ValueError(f"{either}, got shape {arr.shape}: class indices are 1-D, {name}.ravel()")
        if arr.ndim != 1:
            return arr
        if arr.dtype.kind not in "iu":
            raise ValueError(f"{either}, got shape {arr.shape} of {arr.dtype}")
        if arr.size != m:
            raise ValueError(f"{name} must hold one class index per example ({m}), got {arr.size}")
        if arr.size and (arr.min() < 0 or arr.max() >= k):
            raise ValueError(f"{name}'s class indices must lie in [0, {k}), got {arr.min()} to {arr.max()}")
        one_hot = np.zeros((k, m), dtype=self.dtype)
        one_hot[arr, np.arange(m)] = 1
        return one_hot

    def _engine(self, m: int, work: str, batches: bool = False, extra: int = 0,
                copies: Optional[Mapping[str, int]] = None) -> EngineMemory:
        """:class:`EngineMemory` for this network (``batches``: a fit that can take batch_size=)."""
        fused = work == "train" and batches and self._net.fused
        fewer = self._memory_advice or "pass fewer examples at a time" + (" (batch_size=)" if batches else "")
        return EngineMemory(self.layer_sizes, m, work, self.dtype, fewer, fused, extra, copies)

    # --- inference ---
    def forward(self, X: Any) -> Tuple[List[np.ndarray], List[np.ndarray]]:
        """Lists ``(Z, A)`` of every layer's pre-activations and activations, each ``(n_l, m)``."""
        X = self._examples(X)
        with self._engine(X.shape[1], "layers", copies={"X": _copied(X, self.dtype)}):
            Z, A = self._net.forward(self._params, _converted(X, "X", self.dtype), True, get_num_threads())
        return list(Z), list(A)

    def predict_proba(self, X: Any) -> np.ndarray:
        """The output layer's activations, ``(n_outputs, m)``."""
        return self._output(self._examples(X))

    def _output(self, X: np.ndarray, memory: Optional[EngineMemory] = None) -> np.ndarray:
        """predict_proba of an X from :meth:`_examples`, within ``memory`` (the caller's check,
        which counted more than X) or a check of its own."""
        with memory or self._engine(X.shape[1], "forward", copies={"X": _copied(X, self.dtype)}):
            _, A = self._net.forward(self._params, _converted(X, "X", self.dtype), False, get_num_threads())
        return A[0]

    def predict(self, X: Any) -> np.ndarray:
        """Sigmoid output: 0/1 labels ``(n_outputs, m)`` (threshold 0.5); softmax: class indices
        ``(m,)``; identity: the outputs."""
        A = self.predict_proba(X)
        threads = get_num_threads()
        if self.loss != "mse" and not core.mlp.all_finite(A, threads):
            finite = all(core.mlp.all_finite(p, threads) for p in self._params)
            cause = ("its values overflow in the forward pass on these inputs (its parameters are finite)" if finite
                     else "its parameters are not finite (a diverged training?)")
            raise FloatingPointError(f"the network's outputs are nan: {cause}, so there are no labels to predict")
        if self.loss == "binary_cross_entropy":
            return (A > 0.5).astype(np.int64)
        if self.loss == "softmax_cross_entropy":
            return np.argmax(A, axis=0)
        return A

    def accuracy(self, X: Any, Y: Any) -> float:
        """Fraction of predictions that are right (classification losses only).

        Softmax: examples whose largest output is the target's class. Sigmoid: each output
        unit's 0/1 prediction (> 0.5) counts on its own, so with several sigmoid outputs this
        is the fraction of right (example, unit) pairs, not of examples right in every unit.
        nan when the outputs are (parameters that are not finite, or values that overflow in the
        forward pass), as :meth:`cost` is, where :meth:`predict` raises, having no labels to give.
        """
        if self.loss == "mse":
            raise ValueError("accuracy needs a classification loss, this network uses mse")
        X = self._examples(X)
        memory = self._engine(X.shape[1], "forward", copies=self._copies(X, Y))  # before the copies
        Y = self._targets(Y, X.shape[1])  # before the forward pass
        return core.mlp.accuracy(self.loss, self._output(X, memory), Y)

    def cost(self, X: Any, Y: Any) -> float:
        """The loss J of the current parameters on (X, Y)."""
        X = self._examples(X)
        memory = self._engine(X.shape[1], "forward", copies=self._copies(X, Y))  # before the copies
        Y = self._targets(Y, X.shape[1])
        with memory:
            J, _, _, _ = self._net.gradients(self._params, _converted(X, "X", self.dtype), Y, False,
                                             get_num_threads())
        return float(J)

    def gradients(self, X: Any, Y: Any, return_activations: bool = False) -> Any:
        """The prototype's grads dict ``{"dW1": ..., "db1": ..., ...}`` of J on (X, Y).

        With ``return_activations``, ``(grads, A)``: also every layer's activations ``(n_l, m)``
        of the forward pass the gradients were taken on, as :meth:`forward`'s ``A`` (one pass
        instead of two, and no ``Z`` kept).
        """
        X = self._examples(X)
        memory = self._engine(X.shape[1], "train", copies=self._copies(X, Y))  # before the copies
        Y = self._targets(Y, X.shape[1])
        return_activations = _args.flag(return_activations, "return_activations")
        # With return_activations the pass writes its activations into the arrays returned
        # (the engine's own buffers for them are then left unwritten).
        with memory:
            _, dW, db, A = self._net.gradients(self._params, _converted(X, "X", self.dtype), Y, True,
                                               get_num_threads(), return_activations)
        out = {}
        for l, (gw, gb) in enumerate(zip(dW, db)):
            out[f"dW{l + 1}"] = gw
            out[f"db{l + 1}"] = gb
        return (out, list(A)) if return_activations else out

    # --- training ---
    def fit(
        self,
        X: Any,
        Y: Any,
        iterations: int = 10000,
        learning_rate: float = 1.2,
        batch_size: Optional[int] = None,
        record_every: int = 1,
        progress: Union[bool, None, Callable[[int, float], Any]] = False,
        *,
        on_nonfinite: str = "raise",
        rng: Any = None,
    ) -> np.ndarray:
        """Train in place; returns the costs of steps 0, record_every, 2 record_every, ...

        ``X`` is ``(n_features, m)``, ``Y`` ``(n_outputs, m)``; for softmax, one-hot columns,
        columns of probabilities summing to 1 (soft labels, as torch's CrossEntropyLoss takes
        them) or ``m`` integer class indices; for binary cross-entropy, labels 0 and 1 only
        (as ``cost``, ``accuracy`` and ``gradients`` take it).

        ``batch_size=None`` (or >= m) is full-batch gradient descent, as the prototype;
        otherwise mini-batch SGD over an order reshuffled every epoch (seeded by ``rng``,
        by default drawn from the network's generator), and the recorded cost is the
        mini-batch's. Each call shuffles from epoch 0 of its own key, so two calls of 30
        steps are not one of 60 (for full batches they are). Each recorded cost is the one
        computed before that step's update.
        A nan/inf cost (in float32, one beyond float32's range too) raises FloatingPointError
        (parameters are those that produced it; the error's ``costs`` holds the costs
        recorded until then) unless ``on_nonfinite="continue"``; so do parameters that are not
        finite to begin with (set through :attr:`parameters`: no step is taken) and those that
        the last update made nan or inf, but no cost is computed after it (that would be a forward pass
        more per call), so finite parameters whose cost is inf pass: ``cost(X, Y)`` tells (a
        sweep computes it and marks such a run diverged). Ctrl-C interrupts training
        between steps, or inside a long step before its update.
        ``progress=True`` prints the step and cost to stderr at the first step and then about
        every 0.05 s, one line redrawn (into a file or a pipe, a line of its own at most once a
        second), and a last line, "done" or "stopped"; a callable is called instead, on the
        same schedule (at step 0 and then about every 0.05 s: not every step, nor surely the
        last), as ``progress(step, cost)`` (the step about to update, and its cost), from the
        training loop with the GIL held; what it returns is ignored, and an exception it raises
        stops training.
        Stopped either way, the parameters are those of the last update, and the exception's
        ``costs`` holds the costs recorded until then (with ``record_every=1``, one per update
        applied, or one more: the cost of the step stopped before its update).
        It must not use this network, nor may a signal handler run during the fit (a
        RuntimeError says so; other threads wait for the fit, and Ctrl-C reaches one that
        waits): copy it (``copy.deepcopy``) to score the parameters of the moment. A wait
        that would never end is refused too: callbacks of two fits that use each other's
        networks, or a forked child's call on a network a thread of its parent held. A fork
        from the callback or a signal handler during the fit leaves the parent's fit as it
        was; in the child, which has none of the fit's other threads, the fit raises
        RuntimeError ("the process forked during this call") where it would wait for them.
        Uses ``weightinit.get_num_threads()`` threads; results do not depend on that number.
        """
        X = self._examples(X)
        m = X.shape[1]
        iterations = _args.count(iterations, "iterations", 0, _args.MAX_STEPS)
        lr = _args.learning_rate(learning_rate, self.dtype)
        bs = 0 if batch_size is None else _args.count(batch_size, "batch_size", 1)
        bs = 0 if bs >= m else bs  # a batch of all the data: full-batch descent
        record_every = _args.count(record_every, "record_every", 1, _args.MAX_STEPS)
        _args.check_history(_args.records(iterations, record_every),
                            f"iterations={iterations} with record_every={record_every}", "raise record_every")
        if on_nonfinite not in ("raise", "continue"):
            raise ValueError(f"on_nonfinite must be 'raise' or 'continue', got {on_nonfinite!r}")
        # rng checked here, undrawn; its key is drawn after every check of this method.
        source = self._rng if rng is None else _random._key_source(rng)
        callback: Optional[Callable[[int, float], Any]]
        if callable(progress):
            callback = progress
        elif progress is None or isinstance(progress, (bool, np.bool_, numbers.Integral)):  # keras' verbose=1 too
            progress = bool(progress)
            callback = _PrintProgress(iterations) if progress else None
        else:
            raise TypeError(f"progress must be a bool or a callable progress(step, cost), got {type(progress).__name__}")
        # Memory is checked before X and Y are copied, and the shuffle's key drawn once they are
        # taken: a call refused here leaves the generator as it was, and so does the core's
        # refusal of parameters that are not finite (reported, below); one the core refuses by
        # raising (a nested fit from a progress callback, a failed allocation) keeps its draw.
        memory = self._engine(bs or m, "train", batches=True,
                              extra=(X.shape[0] + self.layer_sizes[-1]) * bs, copies=self._copies(X, Y))
        Y = self._targets(Y, m)
        with _STARTING:
            self._fitting += 1
            params = self._params
        try:
            with memory:
                X = _converted(X, "X", self.dtype)
                # The core refuses (no step) only parameters that are not finite, under "raise".
                refusable = isinstance(source, np.random.Generator) and on_nonfinite == "raise" and iterations > 0
                before = source.bit_generator.state if refusable else None
                key = _random._key(source)  # two Python ints, as the core takes them
                drawn = source.bit_generator.state if before is not None else None
                try:
                    costs, report = self._net.train(params, X, Y, iterations, lr, bs, record_every,
                                                    on_nonfinite == "raise", key, get_num_threads(), callback)
                except BaseException as exc:  # Ctrl-C: the redrawn line ends, and the traceback starts on its own line
                    if isinstance(callback, _PrintProgress):
                        callback.end(callback.step, True)
                    stopped = getattr(exc, "costs", None)  # the core's view of the whole history: its own array
                    if isinstance(stopped, np.ndarray) and stopped.base is not None:
                        exc.costs = stopped.copy()  # type: ignore[attr-defined]
                    raise
        finally:
            with _STARTING:
                self._fitting -= 1
        if report["steps"] == 0 and not report["start_finite"]:  # refused by the core: no step taken
            _undraw(source, before, drawn)
        if report["recorded"] < costs.size:  # a stop: no view that keeps the whole history's buffer alive
            costs = costs[: report["recorded"]].copy()
        if isinstance(callback, _PrintProgress):
            callback.end(report["steps"], on_nonfinite == "raise" and not report["params_finite"])
        if on_nonfinite == "continue":
            return costs
        if not report["start_finite"]:
            err = FloatingPointError("the parameters hold nan or inf (as set through .parameters?), so no step was "
                                     "taken: set finite ones, or pass on_nonfinite='continue'")
            err.costs = costs  # type: ignore[attr-defined]
            raise err
        if report["nonfinite"]:
            beyond = " (or beyond float32's range)" if self.dtype == np.float32 else ""
            what = (f"the cost became nan or inf{beyond} at iteration {report['first_nonfinite']}; training "
                    "stopped before that update")
        elif not report["params_finite"]:
            # The cost is checked before each update; only the last update has no cost after it.
            # Checked by the engine before it let go of the network: read here, the parameters
            # could hold another thread's fit of this network.
            what = f"the last update (iteration {iterations - 1}) made the parameters nan or inf"
        else:
            return costs
        if report["nonfinite"] and report["first_nonfinite"] == 0:  # before any update
            advice = "the starting parameters and data give it: check them, or pass on_nonfinite='continue'"
        else:
            advice = "lower learning_rate, or pass on_nonfinite='continue'"
        err = FloatingPointError(f"{what} ({advice})")
        err.costs = costs  # type: ignore[attr-defined]
        raise err


def _undraw(source: Any, before: Any, drawn: Any) -> None:
    """Puts a Generator back to its state ``before`` a draw that left it at ``drawn``, unless
    another thread has drawn from it since (seen here; one that draws while this runs is
    not: a Generator shared by threads is theirs to lock)."""
    if before is not None and _same_state(source.bit_generator.state, drawn):
        source.bit_generator.state = before


def _same_state(a: Any, b: Any) -> bool:
    """Equality of two bit_generator.state values: dicts of ints, strings and (MT19937,
    Philox, SFC64) arrays, which == cannot compare as a whole."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    return bool(a == b)


class _PrintProgress:
    """fit's progress=True on stderr: one line redrawn ("\r") on a terminal or a stream with no
    file descriptor (a notebook's, which draws "\r" as a terminal does); into a file or a pipe,
    a line of its own at most once a second, where the redraws ran into one line of "\r"s
    (helper-146)."""

    def __init__(self, total: int) -> None:
        self.total = total
        try:
            self.tty = os.isatty(sys.stderr.fileno())
        except (AttributeError, ValueError, OSError):  # no descriptor (io.UnsupportedOperation)
            self.tty = True
        self.last = -math.inf
        self.step = 0  # the last step reported

    def __call__(self, step: int, cost: float) -> None:
        self.step = step
        line = f"iteration {step}/{self.total}  cost {cost:.6g}"
        if self.tty:
            print("\r" + line, end="", file=sys.stderr, flush=True)
        elif time.monotonic() - self.last >= 1.0:
            self.last = time.monotonic()
            print(line, file=sys.stderr, flush=True)

    def end(self, steps: int, failed: bool) -> None:
        """The last line, as the periodic reports may miss it: "done", or "stopped" where the
        fit ended early or ``failed`` (a nan or inf cost, or a last update that made the
        parameters so, which the error that follows explains; or an interrupt, after the step
        last reported)."""
        line = f"iteration {steps}/{self.total}  {'stopped' if failed or steps < self.total else 'done'}"
        print("\r" + line.ljust(60) if self.tty else line, file=sys.stderr, flush=True)
