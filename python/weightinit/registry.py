"""Initializers by name: the ecosystem's names, keras' class names and the articles' names.

>>> wi.get("he") is wi.he_normal
True
>>> round(wi.scale("xavier", fan_in=10), 3)
0.316
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from weightinit import _args, initializers
from weightinit.fans import fan_for_mode

__all__ = ["available", "get", "scale"]

Initializer = Callable[..., np.ndarray]

_CANONICAL: Dict[str, Initializer] = {name: getattr(initializers, name) for name in initializers.__all__}

# Other names for the same functions: torch's and keras' spellings, then the articles'. (torch's
# kaiming_* and trunc_normal, and keras' glorot_*, are module attributes, so in _CANONICAL.)
_ALIASES: Dict[str, str] = {
    "identity": "eye",
    "zero": "zeros",
    # the second article (Brownlee): "Xavier", "normalized Xavier", "He"
    "xavier": "fan_in_uniform",
    "normalized_xavier": "xavier_uniform",
    "he": "he_normal",
    # the first article: zeros, "same constant", "random" (randn * k), "standard" (Glorot's
    # name for U[-1/sqrt(n), 1/sqrt(n)])
    "same_constant": "constant",
    "random": "normal",
    "standard": "fan_in_uniform",
}



# keras' argument names where this library's differ: keras' class names take ours.
_KERAS_ARGUMENTS = {"stddev": "std", "minval": "low", "maxval": "high", "seed": "rng"}


def _refuse_keras_arguments(name: str, kwargs: Dict[str, Any], takes: Callable[..., Any]) -> None:
    """A TypeError that names ours for each of keras' names in kwargs whose counterpart
    ``takes`` takes, where Python's own ("unexpected keyword argument 'stddev'") says nothing
    of what to pass (helper-156); the others are left to Python's error."""
    if not any(k in kwargs for k in _KERAS_ARGUMENTS):
        return
    ours = inspect.signature(takes).parameters
    given = [k for k in _KERAS_ARGUMENTS if k in kwargs and _KERAS_ARGUMENTS[k] in ours]
    if given:
        said = ", ".join(f"{_KERAS_ARGUMENTS[k]}= for keras' {k}=" for k in given)
        raise TypeError(f"{name} takes this library's argument names: {said}")


class _KerasPartial(functools.partial):  # type: ignore[type-arg]
    """A partial (its func and keywords read as any partial's) that refuses keras' argument
    names by ours before calling, and any of its ``fixed`` keywords, the rule that makes it
    what its name says (``HeNormal(scale=5)`` was taken, and was no longer He)."""

    fixed: Tuple[str, ...] = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.refuse(kwargs)
        return super().__call__(*args, **kwargs)

    def refuse(self, kwargs: Dict[str, Any]) -> None:
        """A TypeError for keras' argument names and for a change of the fixed keywords."""
        name = getattr(self, "__name__", self.func.__name__)
        _refuse_keras_arguments(name, kwargs, self.func)
        changed = [k for k in self.fixed if k in kwargs]
        if changed:
            raise TypeError(f"{name} fixes {', '.join(changed)} (as keras' {name} does): "
                            f"wi.{self.func.__name__} takes any")

    def __repr__(self) -> str:  # keras' name, not this class's: HeNormal(<function variance_scaling ...>, ...)
        text = super().__repr__()
        return getattr(self, "__name__", "partial") + text[text.index("("):]


def _keras_truncated_normal(shape: Any = None, *, mean: float = 0.0, std: float = 0.05, **kwargs: Any) -> np.ndarray:
    """keras.initializers.TruncatedNormal: N(mean, std**2) truncated to mean +- 2 std (std 0.05 by default)."""
    _refuse_keras_arguments("TruncatedNormal", kwargs, initializers.truncated_normal)
    given = sorted({"a", "b"} & set(kwargs))
    if given:
        raise TypeError(f"keras' TruncatedNormal takes no {' or '.join(given)}: its bounds are mean +- 2 std "
                        "(wi.truncated_normal takes any bounds)")
    m = _args.real(mean, "mean")
    s = _args.positive(std, "std")
    a, b = m - 2 * s, m + 2 * s
    if not a < b:
        raise ValueError(f"mean={m:g} +- 2 std={s:g} round to one value: std is below mean's precision")
    return initializers.truncated_normal(shape, mean=m, std=s, a=a, b=b, **kwargs)


def _keras_distribution(distribution: Any) -> Any:
    """keras (keras 3 too) reads ``distribution`` in any case, and ``"normal"`` as the truncated
    normal; here, as in jax, it is not."""
    if isinstance(distribution, str):
        distribution = distribution.lower()
    return "truncated_normal" if distribution == "normal" else distribution


# keras' kernels are (*k, in, out): its fan-based classes read the fans there.
_KERAS_LAYOUT: Dict[str, Any] = {"in_axis": -2, "out_axis": -1}


def _keras_variance_scaling(shape: Any = None, *, scale: float = 1.0, mode: str = "fan_in",
                            distribution: str = "truncated_normal", in_axis: Any = _KERAS_LAYOUT["in_axis"],
                            out_axis: Any = _KERAS_LAYOUT["out_axis"], **kwargs: Any) -> np.ndarray:
    """keras.initializers.VarianceScaling: fans of a (*k, in, out) kernel, and ``"normal"`` truncated."""
    _refuse_keras_arguments("VarianceScaling", kwargs, initializers.variance_scaling)
    return initializers.variance_scaling(shape, scale=scale, mode=mode, distribution=_keras_distribution(distribution),
                                         in_axis=in_axis, out_axis=out_axis, **kwargs)


def _keras_variance_scaling_rule(scale: float = 1.0, mode: str = "fan_in",
                                 distribution: str = "truncated_normal") -> initializers.Rule:
    return initializers.SCALE_RULES[initializers.variance_scaling](scale, mode, _keras_distribution(distribution))


def _keras_scaled(scale: float, mode: str, distribution: str) -> Initializer:
    f = _KerasPartial(initializers.variance_scaling, scale=scale, mode=mode, distribution=distribution,
                      **_KERAS_LAYOUT)
    f.fixed = ("scale", "mode", "distribution")
    return f


# keras' class names, as keras spells them, where keras' rule differs from the function of
# the same snake-case name (which follows torch.nn.init): keras reads fans from a
# (*k, in, out) kernel, truncates its normal Glorot and He at 2 std, reads
# VarianceScaling's "normal" as truncated, defaults RandomNormal, RandomUniform and
# TruncatedNormal to 0.05, and flattens Orthogonal by the last axis.
# Keyword arguments are the functions' (std, low, high, in_axis, ...), not keras' (stddev, ...),
# which they refuse by name.
_KERAS: Dict[str, Initializer] = {
    "GlorotNormal": _keras_scaled(1.0, "fan_avg", "truncated_normal"),
    "GlorotUniform": _keras_scaled(1.0, "fan_avg", "uniform"),
    "HeNormal": _keras_scaled(2.0, "fan_in", "truncated_normal"),
    "HeUniform": _keras_scaled(2.0, "fan_in", "uniform"),
    "LecunNormal": _keras_scaled(1.0, "fan_in", "truncated_normal"),
    "LecunUniform": _keras_scaled(1.0, "fan_in", "uniform"),
    "VarianceScaling": _keras_variance_scaling,
    "RandomNormal": _KerasPartial(initializers.normal, std=0.05),
    "RandomUniform": _KerasPartial(initializers.uniform, low=-0.05, high=0.05),
    "TruncatedNormal": _keras_truncated_normal,
    # keras flattens to (prod(shape[:-1]), shape[-1]); torch's rows are shape[0]
    "Orthogonal": _KerasPartial(initializers.orthogonal, column_axis=-1),
    "OrthogonalInitializer": _KerasPartial(initializers.orthogonal, column_axis=-1),  # keras 3's other name
    "IdentityInitializer": initializers.eye,
}

for _name_, _fn_ in _KERAS.items():  # keras' names on our wrappers, for errors and logs that read __name__
    if isinstance(_fn_, functools.partial) or _fn_.__module__ == __name__:
        _fn_.__name__ = _name_  # not __qualname__: pickle finds a function by it
del _name_, _fn_

# keras' snake-case strings that name no function here nor in torch.nn.init: keras' rule
# (kernel_initializer="random_uniform" is keras' U[-0.05, 0.05], not U[0, 1)).
_KERAS_SNAKE: Dict[str, str] = {"random_normal": "RandomNormal", "random_uniform": "RandomUniform"}

# keras' class names by their letters alone, lower case (a normalized name without its
# underscores): the spellings with capitals that could mean either rule ("glorotUniform",
# "He Normal"), which get() refuses rather than pick one.
_KERAS_FOLDED: Dict[str, str] = {name.lower(): name for name in _KERAS}

# Scale rules of the functions above that are not the initializers' own.
_RULES: Dict[Initializer, Callable[..., initializers.Rule]] = {_keras_variance_scaling: _keras_variance_scaling_rule}


def normalized_name(name: str) -> str:
    """'HeNormal', 'he-normal', 'normalized Xavier', 'kaiming_normal_' -> snake case, no trailing '_'."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[\s\-]+", "_", snake).lower().rstrip("_")


def get(name_or_callable: Any) -> Initializer:
    """The initializer a name stands for (a callable is returned as it is).

    Names are matched after converting to snake case and dropping a trailing underscore, so
    torch's ``"kaiming_normal_"``, keras' ``"GlorotUniform"`` and the article's
    ``"normalized Xavier"`` all work. Snake-case names are this library's functions, which
    follow torch.nn.init where torch and keras differ; keras' class names spelled as keras
    does give keras' rule: ``"GlorotUniform"``, ``"HeNormal"``, ``"LecunNormal"``,
    ``"VarianceScaling"``, ... read their fans from a keras kernel ``(*k, in, out)``
    (``in_axis=-2, out_axis=-1``; pass others to override), ``"HeNormal"`` and
    ``"GlorotNormal"`` are truncated at 2 std, as is VarianceScaling's ``"normal"``;
    ``"RandomNormal"``, ``"RandomUniform"`` and ``"TruncatedNormal"`` draw at keras' 0.05 (so
    do keras' strings ``"random_normal"`` and ``"random_uniform"``, which name no function
    here; ``"truncated_normal"`` is :func:`truncated_normal`, torch's rule), and
    ``"Orthogonal"`` is flattened by the last axis (``column_axis=-1``). keras' short strings
    ``"normal"``, ``"uniform"`` and ``"orthogonal"`` are this library's functions, torch's
    rules (N(0, 1), U[0, 1), flattened by the first axis), not keras' RandomNormal(0.05),
    RandomUniform(±0.05) and Orthogonal: use the class names for keras' rules. A spelling
    with capitals of a keras class name that would give another rule (``"glorotUniform"``,
    ``"He Normal"``) could mean either, and raises a ValueError naming both.
    Unknown names raise a ValueError listing close matches.

    >>> wi.get("normalized_xavier") is wi.xavier_uniform
    True
    """
    if callable(name_or_callable):
        return name_or_callable
    if not isinstance(name_or_callable, str):
        raise TypeError(f"name_or_callable must be a str or a callable, got {type(name_or_callable).__name__}")
    raw = name_or_callable.strip()
    if raw in _KERAS:
        return _KERAS[raw]
    key = normalized_name(raw)
    found = _KERAS[_KERAS_SNAKE[key]] if key in _KERAS_SNAKE else _CANONICAL.get(_ALIASES.get(key, key))
    twin = _KERAS_FOLDED.get(key.replace("_", ""))
    if twin and raw != raw.lower() and found is not _KERAS[twin]:
        # helper-167: "GlorotUniform" read a keras kernel, "glorotUniform" a torch weight.
        ours = f", or {key!r}, this library's (torch.nn.init's rule and layout)" if found else ""
        raise ValueError(f"initializer name {name_or_callable!r} could mean keras' class {twin!r} (keras' rule and "
                         f"layout){ours}: spell the one you mean exactly")
    if found is not None:
        return found
    close = difflib.get_close_matches(key, available(), n=5, cutoff=0.6)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else "; see weightinit.available()"
    from weightinit import experiments  # here: experiments imports this module

    if any(raw.startswith(start) for _, _, start in experiments._FORMS):  # what report.md and the CLI call them
        hint += (" (the command line's schemes randn*K, constant(V) and uniform(A,B) are, in Python, "
                 "functools.partial(wi.normal, std=K), functools.partial(wi.constant, value=V) and "
                 "functools.partial(wi.uniform, low=A, high=B); weightinit.experiments.scheme(name) gives "
                 "(name, initializer))")
    raise ValueError(f"unknown initializer name {name_or_callable!r}{hint}")


def available(aliases: bool = True) -> List[str]:
    """Sorted names that :func:`get` knows: the functions' names, and their aliases unless ``aliases=False``.

    >>> "he" in wi.available() and "he" not in wi.available(aliases=False)
    True
    """
    names = set(_CANONICAL)
    if _args.flag(aliases, "aliases"):
        names |= set(_ALIASES) | set(_KERAS) | set(_KERAS_SNAKE)
    return sorted(names)


def scale(name: Any, fan_in: float, fan_out: Optional[float] = None, **params: Any) -> float:
    """The bound (uniform rules) or std (normal rules) that initializer ``name`` would use for these fans.

    For truncated-normal rules (lecun_normal, variance_scaling's default) it is the std before
    truncation, ``sqrt(scale / fan) / 0.8796...``; values lie within twice that. ``params``
    are the initializer's (gain, a, mode, nonlinearity, scale, distribution). Handy for
    plotting the range against the number of inputs, as the second article does.

    >>> [round(wi.scale("he", n), 3) for n in (1, 10, 100)]
    [1.414, 0.447, 0.141]
    """
    fn, (variance, mode, distribution) = scale_rule(name, **params)
    fi = _args.nonnegative(fan_in, "fan_in")
    if fan_out is None and mode != "fan_in":
        raise TypeError(f"fan_out is required: {_name(fn)} with mode={mode!r} uses it")
    fo = fi if fan_out is None else _args.nonnegative(fan_out, "fan_out")
    s = initializers.spread(variance, fan_for_mode(fi, fo, mode), distribution)
    if not math.isfinite(s) or (s == 0 and variance > 0):
        raise ValueError(f"fan_in={fi:g}, fan_out={fo:g} give {_name(fn)} the scale {s:g}: not a positive float")
    return s


# The initializers with a scale from fans, for error messages.
SCALED = ", ".join(sorted(f.__name__ for f in initializers.SCALE_RULES))


def scale_rule(name: Any, **params: Any) -> Tuple[Initializer, initializers.Rule]:
    """The initializer ``name`` stands for and its (variance, mode, distribution) with
    ``params`` (a partial's own arguments first, as keras' names are); a ValueError for
    initializers without a scale from fans, a TypeError naming unknown parameters."""
    fn = get(name)
    if isinstance(fn, _KerasPartial):
        fn.refuse(params)
    if isinstance(fn, functools.partial):  # its layout (keras' axes) is no part of the scale
        base, args = fn.func, {**{k: v for k, v in fn.keywords.items() if k not in _KERAS_LAYOUT}, **params}
    else:
        base, args = fn, params
    rule = initializers.SCALE_RULES.get(base) or _RULES.get(base)
    if rule is None:
        raise ValueError(f"{name!r} has no scale from fans; those with one: {SCALED}")
    accepted = _args.parameter_names(rule)
    unknown = sorted(set(args) - set(accepted))
    if unknown:
        raise TypeError(f"{base.__name__} takes no parameter {', '.join(unknown)}; it takes "
                        f"{', '.join(accepted) or 'none'}")
    return fn, rule(**args)


def _name(fn: Initializer) -> str:
    return (fn.func if isinstance(fn, functools.partial) else fn).__name__
