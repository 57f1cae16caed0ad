"""The initializer catalogue: the articles' rules and the torch.nn.init / keras / jax families.

Every initializer is ``NAME(shape, *, rng=None, dtype=None, out=None, region=None, **params)``
and returns a NumPy array (float64 unless ``dtype`` or ``out`` says float32 or float16; float16
normals are the float32 values rounded, while uniform and truncated rules round their bounds to
float16 first and sample float32 on those, as :func:`weightinit.random.uniform` says, so they
may differ from the float32 result rounded by an ulp; values too large for a dtype are refused,
those below its smallest subnormal round to zero). ``rng`` follows
SPEC 7 as in :mod:`weightinit.random`; ``region`` (a tuple of step-1 slices) returns exactly
that slice of the full tensor, for every element-wise initializer.

Fans follow torch's layout ``(fan_out, fan_in, *receptive)``; pass ``in_axis=-2, out_axis=-1``
for keras/jax kernels. Each scaled initializer is a rule giving ``(variance, mode,
distribution)``: the weights get variance ``variance / fan`` where ``fan`` is picked by
``mode`` (:func:`weightinit.fans.fan_for_mode`), drawn from one distribution of
:mod:`weightinit.random`.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from weightinit import _args
from weightinit._coreload import core
from weightinit.fans import FAN_MODES, Axes, axis_index, compute_fans, fan_for_mode, gain_and_square, in_out_axes
from weightinit._threads import get_num_threads
from weightinit.random import _fill_normal, _fill_truncated_normal, _fill_uniform, _max_z
from weightinit.random import key_from_rng, normal, truncated_normal, uniform

__all__ = [
    "constant", "delta_orthogonal", "dirac", "eye", "fan_in_uniform", "glorot_normal", "glorot_uniform", "he_normal",
    "he_uniform", "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform", "normal", "ones",
    "orthogonal", "sparse", "trunc_normal", "truncated_normal", "uniform", "variance_scaling", "xavier_normal",
    "xavier_uniform", "zeros",
]

# Standard deviation of N(0, 1) truncated to [-2, 2]; keras and jax divide by it so that
# their truncated normal keeps the variance the rule asks for.
TRUNCATED_STD = 0.87962566103423978
DISTRIBUTIONS = ("truncated_normal", "normal", "untruncated_normal", "uniform")

Rule = Tuple[float, str, str]  # (variance, mode, distribution)


# --- constants -------------------------------------------------------------------------------

def constant(
    shape: Optional[_args.ShapeLike] = None,
    *,
    value: float,
    rng: Any = None,
    dtype: Any = None,
    out: Optional[np.ndarray] = None,
    region: Any = None,
) -> np.ndarray:
    """Every element equals ``value`` (torch.nn.init.constant_, jax constant, keras Constant).

    The first article's "same constant" initialization: it keeps the hidden units of a
    layer symmetric, so they never learn different features. ``value`` is required, as in
    torch and jax (keras' default is 0: use :func:`zeros`). ``rng`` is accepted for a
    common calling convention and ignored.

    >>> wi.constant((2, 3), value=0.5)[0]
    array([0.5, 0.5, 0.5])
    """
    _unused_rng(rng)
    v = _args.real(value, "value")
    zero = v == 0.0 and math.copysign(1.0, v) > 0  # +0 (not -0): a fresh array comes zeroed
    arr, _, _ = _args.output(shape, dtype, out, region, zeroed=zero)
    if not zero or out is not None:
        arr.fill(_args.round_to(v, arr.dtype, "value"))
    return arr


def zeros(shape: Optional[_args.ShapeLike] = None, *, rng: Any = None, dtype: Any = None,
          out: Optional[np.ndarray] = None, region: Any = None) -> np.ndarray:
    """All zeros (torch.nn.init.zeros_): the first article's zero init, fine for biases only.

    With zero weights the hidden units of a layer get identical gradients, so they stay
    identical; with tanh or relu (f(0) = 0) the weights never move at all.

    >>> wi.zeros((2, 2))
    array([[0., 0.],
           [0., 0.]])
    """
    return constant(shape, value=0.0, rng=rng, dtype=dtype, out=out, region=region)


def ones(shape: Optional[_args.ShapeLike] = None, *, rng: Any = None, dtype: Any = None,
         out: Optional[np.ndarray] = None, region: Any = None) -> np.ndarray:
    """All ones (torch.nn.init.ones_), e.g. for normalization scales.

    >>> wi.ones(3, dtype=np.float32)
    array([1., 1., 1.], dtype=float32)
    """
    return constant(shape, value=1.0, rng=rng, dtype=dtype, out=out, region=region)


def _unused_rng(rng: Any) -> None:
    """An initializer that draws nothing still refuses an rng that is no SPEC 7 seed."""
    if rng is not None:
        _args.generator(rng)  # a Generator is returned as it is, not advanced


# --- variance-scaling rules ------------------------------------------------------------------

def _gain(gain: Any) -> float:
    return _args.nonnegative(gain, "gain")


# Variances a rule may hand on: any fan of a real shape then gives a finite, nonzero spread.
_VARIANCE_RANGE = (1e-300, 1e300)


def _variance(variance: float, what: str, value: float, zero_ok: bool = False) -> float:
    """variance, unless it lies outside _VARIANCE_RANGE (ValueError naming what gave it:
    ``what`` formatted with ``value``, only then)."""
    lo, hi = _VARIANCE_RANGE
    if not (lo <= variance <= hi or (zero_ok and variance == 0)):
        raise ValueError(f"{what.format(value)} gives the variance {variance:g}, outside [{lo:g}, {hi:g}]")
    return variance


def _fan_in_uniform_rule() -> Rule:
    return 1.0 / 3, "fan_in", "uniform"  # bound sqrt(3 * (1/3) / fan_in) = 1 / sqrt(fan_in)


def _xavier_uniform_rule(gain: float = 1.0) -> Rule:
    g = _gain(gain)
    return _variance(g * g, "gain={:g}", g, zero_ok=g == 0), "fan_avg", "uniform"


def _xavier_normal_rule(gain: float = 1.0) -> Rule:
    g = _gain(gain)
    return _variance(g * g, "gain={:g}", g, zero_ok=g == 0), "fan_avg", "normal"


def _kaiming_variance(a: Any, mode: Any, nonlinearity: Any) -> Tuple[float, str]:
    # As torch: a=None is leaky_relu's default slope, and mode is read in any case.
    if a is None:
        a = 0.01 if nonlinearity == "leaky_relu" else 0.0
    slope = _args.real(a, "a")
    variance = gain_and_square(nonlinearity, slope)[1]
    if isinstance(mode, str):
        mode = mode.lower()
    if slope != 0 and nonlinearity != "leaky_relu":
        raise ValueError(
            f"a={slope} is the negative slope of leaky_relu and is used only with "
            f"nonlinearity='leaky_relu', got nonlinearity={nonlinearity!r} "
            "(torch's default nonlinearity is 'leaky_relu'; ours is 'relu')"
        )
    return _variance(variance, "a={:g}", slope), _args.one_of(mode, "mode", ("fan_in", "fan_out"))


def _he_normal_rule(a: Optional[float] = 0.0, mode: str = "fan_in", nonlinearity: str = "relu") -> Rule:
    return (*_kaiming_variance(a, mode, nonlinearity), "normal")


def _he_uniform_rule(a: Optional[float] = 0.0, mode: str = "fan_in", nonlinearity: str = "relu") -> Rule:
    return (*_kaiming_variance(a, mode, nonlinearity), "uniform")


def _lecun_normal_rule() -> Rule:
    return 1.0, "fan_in", "truncated_normal"


def _lecun_uniform_rule() -> Rule:
    return 1.0, "fan_in", "uniform"


def _variance_scaling_rule(
    scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal"
) -> Rule:
    sc = _args.positive(scale, "scale")
    s = _variance(sc, "scale={:g}", sc)
    _args.one_of(mode, "mode", FAN_MODES)
    return s, mode, _args.one_of(distribution, "distribution", DISTRIBUTIONS)


def spread(variance: float, fan: Any, distribution: str) -> Any:
    """The parameter a rule hands its distribution: the bound of U[-bound, bound], or the std
    of the normal (for ``truncated_normal``, the std before truncation at +-2 std). A float
    for a float fan, an array for an array of fans."""
    sqrt = math.sqrt if type(fan) in (int, float) else np.sqrt  # one fan: as np.sqrt, without its cost
    if distribution == "uniform":
        return _float_or_array(sqrt(3.0 * variance / fan))
    std = sqrt(variance / fan)
    return _float_or_array(std / TRUNCATED_STD if distribution == "truncated_normal" else std)


def _float_or_array(x: Any) -> Any:
    return x if type(x) is float else float(x) if np.ndim(x) == 0 else x


def _scaled(shape: Any, rule: Rule, in_axis: Any, out_axis: Any, rng: Any, dtype: Any,
            out: Optional[np.ndarray], region: Any, batch_axis: Axes = ()) -> np.ndarray:
    variance, mode, distribution = rule
    _args.check_out(out, dtype)
    full = _args.addressable(_args.full_shape(shape, out, region))
    fan_in, fan_out = compute_fans(full, in_axis, out_axis, batch_axis)
    s = spread(variance, fan_for_mode(fan_in, fan_out, mode), distribution)
    dt = out.dtype if out is not None else _args.float_dtype(
        np.float64 if dtype is None else dtype, allowed=_args.INIT_DTYPES)
    reach = 1.0 if distribution == "uniform" else 2.0 if distribution == "truncated_normal" else _max_z(dt)
    _args.fits(reach * s, dt, "the {} {:g} (from gain, a or scale, and the fans)",
               "bound" if distribution == "uniform" else "std", s)
    # The distribution's work without its argument checks, which s passes: finite, > 0 (or
    # 0 for gain 0), and its values fit dt.
    arr, full, start = _args.allocate(full, dtype, out, region)
    return _fill_spread(arr, full, start, distribution, s, rng)


def _fill_spread(arr: np.ndarray, full: Tuple[int, ...], start: Tuple[int, ...], distribution: str, s: float,
                 rng: Any) -> np.ndarray:
    """arr (the region at ``start`` of a tensor of shape ``full``) from a rule's distribution
    with spread s (:func:`spread`)."""
    if distribution == "uniform":
        return _fill_uniform(arr, full, start, -s, s, rng)
    if distribution == "truncated_normal":
        return _fill_truncated_normal(arr, full, start, 0.0, s, -2 * s, 2 * s, rng)
    return _fill_normal(arr, full, start, 0.0, s, rng)


def spread_values(count: int, distribution: str, s: float, rng: Any = None) -> np.ndarray:
    """``count`` float64 values of a rule's distribution with spread ``s`` (:func:`spread`):
    the first ``count`` values, in its stream's order, of any tensor that an initializer
    with that spread draws from the same ``rng``."""
    arr = np.empty(count)
    return _fill_spread(arr, (count,), (0,), distribution, s, rng)


def fan_in_uniform(shape: Optional[_args.ShapeLike] = None, *, in_axis: Axes = None,
                   out_axis: Axes = None, rng: Any = None, dtype: Any = None,
                   out: Optional[np.ndarray] = None, region: Any = None) -> np.ndarray:
    """U[-1/sqrt(fan_in), 1/sqrt(fan_in)]: the second article's "Xavier" (registry name ``"xavier"``).

    Glorot & Bengio's "commonly used heuristic" (their eq. 1, "Understanding the difficulty of
    training deep feedforward neural networks", AISTATS 2010), after LeCun et al. 1998; it is
    torch.nn.Linear's default weight init (kaiming_uniform_ with a=sqrt(5)). Linear draws its
    bias from the same range, which a 1-D shape has no fans to give: ``b = wi.scale("xavier",
    fan_in=10)`` then ``wi.uniform((20,), low=-b, high=b)``. The bound is computed as
    ``sqrt(1 / fan_in)`` (docs/stream_spec.md, "The initializers' spreads").

    >>> w = wi.fan_in_uniform((20, 10), rng=0)      # 10 inputs: bound 1/sqrt(10) = 0.316
    >>> bool(abs(w).max() <= 10 ** -0.5)
    True
    """
    return _scaled(shape, _fan_in_uniform_rule(), in_axis, out_axis, rng, dtype, out, region)


def xavier_uniform(shape: Optional[_args.ShapeLike] = None, *, gain: float = 1.0,
                   in_axis: Axes = None, out_axis: Axes = None, rng: Any = None,
                   dtype: Any = None, out: Optional[np.ndarray] = None, region: Any = None) -> np.ndarray:
    """U[-b, b] with b = gain * sqrt(6 / (fan_in + fan_out)): the article's "normalized Xavier".

    Glorot & Bengio, AISTATS 2010, eq. 16. Same as torch.nn.init.xavier_uniform_ and keras /
    jax glorot_uniform (gain 1). On a keras or jax kernel ``(*kernel, in, out)`` pass
    ``in_axis=-2, out_axis=-1`` (fans are read in torch's ``(out, in, *kernel)`` layout
    otherwise), or take ``wi.get("GlorotUniform")``. Alias: ``glorot_uniform``. The bound is
    computed as ``sqrt(3 * gain**2 / fan_avg)``, fan_avg = (fan_in + fan_out) / 2
    (docs/stream_spec.md, "The initializers' spreads").

    >>> w = wi.xavier_uniform((20, 10), rng=0)      # n=10, m=20: bound sqrt(6)/sqrt(30) = 0.447
    >>> bool(abs(w).max() <= (6 / 30) ** 0.5)
    True
    """
    return _scaled(shape, _xavier_uniform_rule(gain), in_axis, out_axis, rng, dtype, out, region)


def xavier_normal(shape: Optional[_args.ShapeLike] = None, *, gain: float = 1.0,
                  in_axis: Axes = None, out_axis: Axes = None, rng: Any = None,
                  dtype: Any = None, out: Optional[np.ndarray] = None, region: Any = None) -> np.ndarray:
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    Glorot & Bengio, AISTATS 2010; as torch.nn.init.xavier_normal_ (untruncated). keras'
    and jax's glorot_normal truncate at 2 std instead: use
    ``variance_scaling(scale=1, mode="fan_avg", distribution="truncated_normal")``, with
    ``in_axis=-2, out_axis=-1`` for a keras or jax kernel, or ``wi.get("GlorotNormal")``.
    Alias: ``glorot_normal``. The std is computed as ``sqrt(gain**2 / fan_avg)``.

    >>> w = wi.xavier_normal((256, 256), rng=0)     # std sqrt(2/512) = 0.0625
    >>> round(float(w.std()), 2)
    0.06
    """
    return _scaled(shape, _xavier_normal_rule(gain), in_axis, out_axis, rng, dtype, out, region)


def he_normal(shape: Optional[_args.ShapeLike] = None, *, a: Optional[float] = 0.0, mode: str = "fan_in",
              nonlinearity: str = "relu", in_axis: Axes = None, out_axis: Axes = None,
              rng: Any = None, dtype: Any = None, out: Optional[np.ndarray] = None,
              region: Any = None) -> np.ndarray:
    """N(0, std**2) with std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a).

    The article's "He" initialization, std sqrt(2/n) for ReLU (variance 2/n), is the default. He et al.,
    "Delving deep into rectifiers", ICCV 2015. ``mode`` is ``"fan_in"`` (keeps forward
    variance) or ``"fan_out"`` (backward). Alias: ``kaiming_normal``. The std is computed as
    ``sqrt(v / fan)`` with v = gain**2 from calculate_gain's table itself (2 for relu), so the
    default is ``sqrt(2 / n)`` to the last bit (docs/stream_spec.md, "The initializers' spreads").

    torch.nn.init.kaiming_normal_ defaults to ``nonlinearity="leaky_relu"``; with a=0 that is
    the same gain sqrt(2), but here a nonzero ``a`` needs ``nonlinearity="leaky_relu"`` spelled
    out (an error otherwise, rather than silently ignoring it as torch does). As in torch,
    ``a=None`` is leaky_relu's default slope 0.01 and ``mode`` may be in any case. keras'
    he_normal (``wi.get("HeNormal")``) truncates at 2 std: ``variance_scaling(shape, scale=2.0,
    mode="fan_in", distribution="truncated_normal")``, with ``in_axis=-2, out_axis=-1`` for a
    keras kernel's layout.

    >>> w = wi.he_normal((1000, 10), rng=0)         # n=10: std sqrt(2/10) = 0.447
    >>> round(float(w.std()), 2)
    0.45
    """
    return _scaled(shape, _he_normal_rule(a, mode, nonlinearity), in_axis, out_axis, rng, dtype, out, region)


def he_uniform(shape: Optional[_args.ShapeLike] = None, *, a: Optional[float] = 0.0, mode: str = "fan_in",
               nonlinearity: str = "relu", in_axis: Axes = None, out_axis: Axes = None,
               rng: Any = None, dtype: Any = None, out: Optional[np.ndarray] = None,
               region: Any = None) -> np.ndarray:
    """U[-b, b] with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).

    He et al., ICCV 2015 (uniform variant: the same variance gain**2 / fan as he_normal); as
    torch.nn.init.kaiming_uniform_ and keras / jax he_uniform. Defaults as :func:`he_normal`
    (torch's default nonlinearity is "leaky_relu"). On a keras or jax kernel
    ``(*kernel, in, out)`` pass ``in_axis=-2, out_axis=-1`` (fans are read in torch's
    ``(out, in, *kernel)`` layout otherwise), or take ``wi.get("HeUniform")``. Alias:
    ``kaiming_uniform``. The bound is computed as ``sqrt(3 * v / fan)``, v as :func:`he_normal`'s.

    >>> w = wi.he_uniform((64, 10), rng=0)          # bound sqrt(6/10) = 0.775
    >>> bool(abs(w).max() <= 0.6 ** 0.5)
    True
    """
    return _scaled(shape, _he_uniform_rule(a, mode, nonlinearity), in_axis, out_axis, rng, dtype, out, region)


def lecun_normal(shape: Optional[_args.ShapeLike] = None, *, in_axis: Axes = None,
                 out_axis: Axes = None, rng: Any = None, dtype: Any = None,
                 out: Optional[np.ndarray] = None, region: Any = None) -> np.ndarray:
    """Truncated normal on [-2 s, 2 s], s = sqrt(1 / fan_in) / 0.8796..., so that the std is sqrt(1/fan_in).

    LeCun et al., "Efficient BackProp" 1998; Klambauer et al., "Self-normalizing neural
    networks" 2017 (SELU). keras / jax lecun_normal (both truncated), i.e.
    ``variance_scaling(shape, scale=1.0, mode="fan_in", distribution="truncated_normal")``.
    On a keras or jax kernel ``(*kernel, in, out)`` pass ``in_axis=-2, out_axis=-1`` (fans are
    read in torch's ``(out, in, *kernel)`` layout otherwise), or take ``wi.get("LecunNormal")``.

    >>> w = wi.lecun_normal((500, 100), rng=0)      # std 0.1, values within +-0.227
    >>> bool(abs(w).max() <= 0.2 / 0.87962566103423978)
    True
    """
    return _scaled(shape, _lecun_normal_rule(), in_axis, out_axis, rng, dtype, out, region)


def lecun_uniform(shape: Optional[_args.ShapeLike] = None, *, in_axis: Axes = None,
                  out_axis: Axes = None, rng: Any = None, dtype: Any = None,
                  out: Optional[np.ndarray] = None, region: Any = None) -> np.ndarray:
    """U[-b, b] with b = sqrt(3 / fan_in) (variance 1 / fan_in).

    LeCun et al., "Efficient BackProp" 1998; keras / jax lecun_uniform. On a keras or jax
    kernel ``(*kernel, in, out)`` pass ``in_axis=-2, out_axis=-1`` (fans are read in torch's
    ``(out, in, *kernel)`` layout otherwise), or take ``wi.get("LecunUniform")``.

    >>> w = wi.lecun_uniform((64, 12), rng=0)       # bound sqrt(3/12) = 0.5
    >>> bool(abs(w).max() <= 0.5)
    True
    """
    return _scaled(shape, _lecun_uniform_rule(), in_axis, out_axis, rng, dtype, out, region)


def variance_scaling(shape: Optional[_args.ShapeLike] = None, *, scale: float = 1.0, mode: str = "fan_in",
                     distribution: str = "truncated_normal", in_axis: Axes = None,
                     out_axis: Axes = None, batch_axis: Axes = (), rng: Any = None, dtype: Any = None,
                     out: Optional[np.ndarray] = None, region: Any = None) -> np.ndarray:
    """Weights of variance ``scale / fan``, fan = fan_in, fan_out, (fan_in + fan_out) / 2 (``"fan_avg"``)
    or sqrt(fan_in fan_out) (``"fan_geo_avg"``, jax's) by ``mode``.

    keras.initializers.VarianceScaling / jax.nn.initializers.variance_scaling semantics:

    - ``"truncated_normal"`` (default): N(0, s**2) truncated to [-2 s, 2 s] with
      s = sqrt(scale / fan) / 0.87962566103423978, so the std is sqrt(scale / fan);
    - ``"normal"`` (jax's name) or ``"untruncated_normal"`` (keras' name): N(0, scale / fan);
    - ``"uniform"``: U[-b, b], b = sqrt(3 scale / fan).

    Fans use torch's layout unless ``in_axis``/``out_axis`` are given; keras and jax kernels
    need ``in_axis=-2, out_axis=-1``; as in jax, each may be a sequence of axes, and
    ``batch_axis`` names axes outside both fans and the receptive field. keras (keras 3 too) reads ``distribution="normal"`` as
    truncated; here, as in jax, it is the untruncated normal: a keras ``"normal"`` is
    ``"truncated_normal"`` here. Unlike keras, a zero fan is an error, not 1.

    >>> w = wi.variance_scaling((3, 3, 64, 128), scale=2.0, in_axis=-2, out_axis=-1, rng=0)
    >>> round(float(w.std()) * (9 * 64) ** 0.5, 1)   # std sqrt(2 / 576)
    1.4
    """
    rule = _variance_scaling_rule(scale, mode, distribution)
    return _scaled(shape, rule, in_axis, out_axis, rng, dtype, out, region, batch_axis)


glorot_uniform = xavier_uniform
glorot_normal = xavier_normal
kaiming_normal = he_normal
kaiming_uniform = he_uniform
trunc_normal = truncated_normal  # torch's trunc_normal_: the same defaults, absolute bounds

# The rule behind each scaled initializer, for :func:`weightinit.scale`.
SCALE_RULES: Dict[Callable[..., np.ndarray], Callable[..., Rule]] = {
    fan_in_uniform: _fan_in_uniform_rule,
    xavier_uniform: _xavier_uniform_rule,
    xavier_normal: _xavier_normal_rule,
    he_normal: _he_normal_rule,
    he_uniform: _he_uniform_rule,
    lecun_normal: _lecun_normal_rule,
    lecun_uniform: _lecun_uniform_rule,
    variance_scaling: _variance_scaling_rule,
}


# --- structured ------------------------------------------------------------------------------

def eye(shape: Optional[_args.ShapeLike] = None, *, gain: float = 1.0, rng: Any = None, dtype: Any = None,
        out: Optional[np.ndarray] = None, region: Any = None) -> np.ndarray:
    """``gain`` on the main diagonal of a 2-D matrix, zeros elsewhere (rectangular allowed).

    torch.nn.init.eye_ (gain 1) and keras Identity(gain): identity maps for linear layers.
    ``rng`` is accepted for a common calling convention and ignored.

    >>> wi.eye((2, 3))
    array([[1., 0., 0.],
           [0., 1., 0.]])
    """
    _unused_rng(rng)
    g = _gain(gain)
    full = _args.full_shape(shape, out, region)
    if len(full) != 2:
        raise ValueError(f"eye needs a 2-D shape, got {full}")
    arr, _, (r0, c0) = _args.output(shape, dtype, out, region, zeroed=True)
    g = _args.round_to(g, arr.dtype, "gain")
    if out is not None:  # cleared once nothing can be refused
        arr.fill(0)
    rows, cols = arr.shape
    first, end = max(r0, c0), min(r0 + rows, c0 + cols)  # the diagonal's indices in this region
    if end > first:  # a strided slice of the flat (C-contiguous) array: fancy indexing cost 2x np.eye
        arr.reshape(-1)[(first - r0) * cols + (first - c0)::cols + 1][:end - first] = g
    return arr


def dirac(shape: Optional[_args.ShapeLike] = None, *, groups: int = 1, rng: Any = None, dtype: Any = None,
          out: Optional[np.ndarray] = None, region: Any = None) -> np.ndarray:
    """Dirac delta for 3-5 D conv weights ``(out, in, *kernel)``: a conv layer that passes its input through.

    Within each of ``groups`` blocks of ``out // groups`` output channels, channel ``d`` (for
    ``d < min(out // groups, in)``) gets 1 at input channel ``d`` and the kernel's centre
    (index ``k // 2`` on each spatial axis); all else is 0. torch.nn.init.dirac_; Zagoruyko &
    Komodakis, "DiracNets", 2017. ``rng`` is accepted and ignored.

    >>> w = wi.dirac((4, 4, 3, 3))
    >>> w[:, :, 1, 1].tolist() == np.eye(4).tolist()
    True
    """
    _unused_rng(rng)
    full = _args.full_shape(shape, out, region)
    if not 3 <= len(full) <= 5:
        raise ValueError(f"dirac needs a 3, 4 or 5-D shape (out, in, *kernel), got {full}")
    g = _args.positive_int(groups, "groups")
    if full[0] % g:
        raise ValueError(f"groups={g} must divide the output channels shape[0]={full[0]}")
    arr, _, start = _args.output(shape, dtype, out, region, zeroed=True)
    if out is not None:
        arr.fill(0)
    # Output channel r has its one at input r % per_group (when that is < in) and the
    # kernel's centre: found for the region's rows only, whatever the whole tensor's size.
    per_group = full[0] // g
    centre = [k // 2 - s for k, s in zip(full[2:], start[2:])]
    if all(0 <= c < e for c, e in zip(centre, arr.shape[2:])):
        rows = np.arange(start[0], start[0] + arr.shape[0], dtype=np.int64)
        d = rows % per_group
        keep = (d < full[1]) & (d >= start[1]) & (d < start[1] + arr.shape[1])
        arr[(rows[keep] - start[0], d[keep] - start[1]) + tuple(centre)] = 1
    return arr


def _whole_tensor_only(region: Any, name: str) -> None:
    if region is not None:
        raise ValueError(
            f"{name} is not element-wise (every value depends on the whole tensor), so region= "
            "is not supported: generate the full tensor and slice it"
        )


def _qr_output(full: Tuple[int, ...], matrix: Tuple[int, ...], dtype: Any, out: Optional[np.ndarray], who: str,
               zeroed: bool = False) -> np.ndarray:
    """:func:`_args.output` for orthogonal and delta_orthogonal, with the core's QR of ``matrix``
    (rows, then the axes flattened into columns) checked to fit LAPACK's 32-bit indexing in
    the output's precision (float16's in float32) after out and dtype are checked and before a
    fresh output is allocated. The ValueError names ``who`` and the shape ``full`` asked for."""
    _args.check_out(out, dtype)
    full = _args.addressable(full)
    if out is not None:
        arr = _args.allocate(full, dtype, out, None)[0]  # out's shape is named first
    dt = arr.dtype if out is not None else _args.fresh_dtype(dtype)
    rows, cols = matrix[0], math.prod(matrix[1:])
    if rows and cols and not core.linalg.orthogonal_fits(rows, cols, 8 if dt == np.float64 else 4):
        raise ValueError(f"{who}: shape {full} makes a {rows} x {cols} matrix, beyond the 32-bit indexing of the "
                         "LAPACK the core uses (about 2^31 elements)")
    return arr if out is not None else _args.allocate(full, dtype, out, None, zeroed)[0]


def orthogonal(shape: Optional[_args.ShapeLike] = None, *, gain: float = 1.0, column_axis: int = 0,
               rng: Any = None, dtype: Any = None, out: Optional[np.ndarray] = None,
               region: Any = None) -> np.ndarray:
    """A (semi-)orthogonal matrix times ``gain``, flattened to ``(shape[0], prod(shape[1:]))`` as in torch.

    Q of the QR decomposition of a Gaussian matrix G from our own stream (``normal`` of the
    output's dtype and shape (rows, cols); G^T when wide), its columns multiplied by
    sign(diag(R)) so that Q is Haar-distributed (Mezzadri, "How to generate random matrices
    from the classical compact groups", 2007). Saxe et al., "Exact solutions to the
    nonlinear dynamics of learning in deep linear neural networks", ICLR 2014. Tall:
    W^T W = gain**2 I; wide: W W^T = gain**2 I. The QR runs in the output's precision in
    the C++ core, over OpenBLAS's LAPACK blocked in fixed panels and slices that the
    ``set_num_threads`` threads share, so the bits do not depend on the thread count
    (OpenBLAS's own threaded QR's do). A float32 result comes from a float32 Gaussian and a
    float32 QR, so it is not the float64 result rounded, and is orthogonal to about 1e-6
    rather than 1e-15; float16 is the float32 result rounded. Deterministic for a seed on a given machine; OpenBLAS's kernels
    differ between CPUs, so bits may too. Ctrl-C stops a long QR between panels (``out``
    is then left unfinished). Not element-wise: ``region`` is refused. LAPACK's 32-bit
    indexing bounds the matrix to about 2**31 elements (a ValueError, before any sampling).

    ``column_axis`` is the axis whose slices are the orthonormal vectors (when there are few
    enough of them): 0, the default, flattens as torch.nn.init.orthogonal_ does; keras'
    Orthogonal and jax's ``orthogonal(column_axis=-1)`` flatten to
    ``(prod(shape[:-1]), shape[-1])``, which is ``column_axis=-1`` here.

    >>> w = wi.orthogonal((6, 4), rng=0)
    >>> bool(np.allclose(w.T @ w, np.eye(4)))
    True
    """
    g = _gain(gain)
    _whole_tensor_only(region, "orthogonal")
    full = _args.full_shape(shape, out)
    if len(full) < 2:
        raise ValueError(f"orthogonal needs a shape with at least 2 dimensions, got {full}")
    axis = axis_index(column_axis, len(full), "column_axis")
    # The matrix: a row per index of `axis`, the other axes flattened in order (torch's
    # flattening for axis 0). The Gaussian is drawn into the output itself when it has that
    # layout, which the core then overwrites with gain * Q; float16 takes the float32 result.
    matrix = (full[axis], *full[:axis], *full[axis + 1:])
    arr = _qr_output(full, matrix, dtype, out, "orthogonal")
    _args.round_to(g, arr.dtype, "gain")  # |Q| <= 1: gain * Q fits if gain does
    work_dtype = np.float32 if arr.dtype == np.float16 else arr.dtype
    if arr.size == 0:  # rng checked and a Generator advanced, as by every initializer's empty draw
        normal(matrix, rng=rng, dtype=work_dtype)
        return arr
    work = arr if axis == 0 and work_dtype == arr.dtype else np.empty(matrix, work_dtype)
    normal(matrix, rng=rng, out=work)
    core.linalg.orthogonal(work.reshape(matrix[0], -1), g, get_num_threads())
    if work is not arr:
        with np.errstate(under="ignore"):  # float16's subnormals are no error under the user's np.seterr
            np.copyto(arr, np.moveaxis(work, 0, axis), casting="same_kind")
    return arr


def delta_orthogonal(shape: Optional[_args.ShapeLike] = None, *, gain: float = 1.0, in_axis: Optional[int] = None,
                     out_axis: Optional[int] = None, rng: Any = None, dtype: Any = None,
                     out: Optional[np.ndarray] = None, region: Any = None) -> np.ndarray:
    """Zeros but at the kernel's centre, where the (out, in) channel matrix is ``orthogonal(gain)``.

    For 3-D, 4-D and 5-D conv weights: a convolution that starts as an orthogonal map of
    channels, the delta-orthogonal initialization of Xiao et al., "Dynamical isometry and a
    mean field theory of CNNs", ICML 2018; jax.nn.initializers.delta_orthogonal. The layout
    is torch's ``(out, in, *kernel)`` unless ``in_axis``/``out_axis`` say otherwise (jax's
    kernels: ``in_axis=-2, out_axis=-1``). The centre is ``(k - 1) // 2`` on each kernel
    axis. As in jax, out channels must be at least the in channels: each input channel
    then maps to an orthonormal vector over the outputs. Not element-wise: ``region`` is
    refused. The centre is :func:`orthogonal`'s matrix, so its bits are too: the same for any
    thread count on one machine, but not always across CPUs.

    >>> w = wi.delta_orthogonal((8, 4, 3, 3), rng=0)
    >>> c = w[:, :, 1, 1]
    >>> bool(np.allclose(c.T @ c, np.eye(4))) and int(np.count_nonzero(w)) == c.size
    True
    """
    g = _gain(gain)
    _whole_tensor_only(region, "delta_orthogonal")
    full = _args.full_shape(shape, out)
    if not 3 <= len(full) <= 5:
        raise ValueError(f"delta_orthogonal needs a 3-D, 4-D or 5-D shape (a conv kernel), got {full}")
    i, o = in_out_axes(full, in_axis, out_axis)
    if full[o] < full[i]:
        raise ValueError(f"delta_orthogonal needs out channels >= in channels, got {full[o]} out and {full[i]} "
                         f"in (shape {full}, in_axis {i}, out_axis {o})")
    arr = _qr_output(full, (full[o], full[i]), dtype, out, "delta_orthogonal", zeroed=True)
    centre = orthogonal((full[o], full[i]), gain=g, rng=rng, dtype=arr.dtype)
    if out is not None:  # cleared once nothing can be refused or interrupted
        arr.fill(0)
    if arr.size == 0:  # an empty kernel axis has no centre
        return arr
    # Integer indices on the kernel axes leave the in and out axes in their order.
    arr[tuple(slice(None) if d in (i, o) else (n - 1) // 2 for d, n in enumerate(full))] = (
        centre if o < i else centre.T)
    return arr


def sparse(shape: Optional[_args.ShapeLike] = None, *, sparsity: float, std: float = 0.01, rng: Any = None,
           dtype: Any = None, out: Optional[np.ndarray] = None, region: Any = None) -> np.ndarray:
    """A 2-D matrix of N(0, std**2) values of which ``ceil(sparsity * rows)`` in every column are
    set to zero, ``sparsity`` in [0, 1) (torch also takes 1). (A value may itself be zero: one
    in about 4e5 rounds to it in float16 at std 0.01, and 3 in 2**24 of the float32 and
    float16 stream are exactly zero, as :func:`weightinit.random.normal` says.)

    Martens, "Deep learning via Hessian-free optimization", ICML 2010; torch.nn.init.sparse_,
    but seeded: the zero rows of each column are those of the smallest values of a second
    (float64) uniform stream whose key is drawn from ``rng`` after the values' key, ties going to
    the lower rows. That stream is drawn whole, a float64 array of the full shape beside the
    result while it runs (4x a float16 result's bytes; helper-148). Not element-wise: ``region``
    is refused.

    >>> w = wi.sparse((10, 4), sparsity=0.3, rng=0)
    >>> (w == 0).sum(axis=0).tolist()
    [3, 3, 3, 3]
    """
    p = _args.real(sparsity, "sparsity")
    if not 0 <= p < 1:
        raise ValueError(f"sparsity must lie in [0, 1), got {p}")
    s = _args.nonnegative(std, "std")
    _whole_tensor_only(region, "sparse")
    full = _args.addressable(_args.full_shape(shape, out))
    if len(full) != 2:
        raise ValueError(f"sparse needs a 2-D shape, got {full}")
    gen = _args.generator(rng)  # one Generator: the values' key, then the zero pattern's
    n_zeros, n = math.ceil(p * full[0]), math.prod(full)
    order = None
    if n_zeros and n:  # the pattern's memory before out is written or rng drawn from (helper-178)
        _args.check_out(out, dtype)  # out's own errors first
        nbytes = 8 * n + (_args.fresh_dtype(dtype).itemsize * n if out is None else 0)
        need = _args.over_memory(nbytes)
        if need:
            what = f"sparse's zero pattern (float64, shape {full})"
            raise MemoryError(f"{what} and its result need {need}" if out is None else f"{what} needs {need}")
        order = np.empty(full)
    arr = normal(shape, std=s, rng=gen, dtype=dtype, out=out)
    if order is not None:
        core.random.zero_smallest(arr, uniform(full, rng=gen, out=order), n_zeros, get_num_threads())
    else:  # no pattern to sample, but its key is drawn all the same: rng advances by two draws
        key_from_rng(gen)
    return arr


_args.document_common_arguments(*(globals()[name] for name in __all__))
