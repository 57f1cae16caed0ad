"""Fans and gains: literal tables from torch.nn.init's and keras' documented rules, layouts, errors."""

import math
import sys

import numpy as np

import pytest
import weightinit as wi
from hypothesis import given
from hypothesis import strategies as st
from weightinit.fans import fan_for_mode

# (shape, in_axis, out_axis) -> (fan_in, fan_out), worked out by hand from the layouts.
FAN_TABLE = [
    ((20, 10), None, None, (10, 20)),                 # torch Linear weight (out, in)
    ((64, 3, 3, 3), None, None, (27, 576)),           # torch Conv2d (out, in, kh, kw)
    ((16, 8, 5), None, None, (40, 80)),               # torch Conv1d
    ((2, 3, 4, 5, 6), None, None, (360, 240)),        # torch Conv3d: receptive 120
    ((10, 20), -2, -1, (10, 20)),                     # keras Dense kernel (in, out)
    ((3, 3, 16, 32), -2, -1, (144, 288)),             # keras Conv2D kernel (kh, kw, in, out)
    ((5, 8, 16), -2, -1, (40, 80)),                   # keras Conv1D kernel
    ((3, 3, 16, 32), 2, 3, (144, 288)),               # same, positive axes
    ((7, 4, 9), 0, 2, (28, 36)),                      # jax: any axes, receptive = the rest (4)
    ((2, 3, 4, 5), (1, 2), 3, (24, 10)),              # jax: several input axes (12), receptive 2
    ((2, 3, 4, 5), [0], (2, 3), (6, 60)),             # lists too; out axes 20, receptive 3
]


def test_compute_fans_batch_axis():
    """jax's batch_axis: axes that are neither fan nor receptive field (a stack of weights)."""
    assert wi.compute_fans((2, 3, 4, 5), in_axis=(1, 2), out_axis=3, batch_axis=0) == (12, 5)
    assert wi.compute_fans((8, 3, 3, 16, 32), in_axis=-2, out_axis=-1, batch_axis=(0,)) == (144, 288)
    assert wi.compute_fans((8, 20, 10), batch_axis=2) == (20, 8)  # torch's layout, last axis a batch
    assert wi.compute_fans((8, 20, 10), batch_axis=None) == wi.compute_fans((8, 20, 10))
    shape = (2, 3, 4, 5)
    for axes in (np.array([1, 2]), range(1, 3), [1, 2]):  # any sequence, as jax takes
        assert wi.compute_fans(shape, in_axis=axes, out_axis=np.int64(3)) == (24, 10)
    # variance_scaling: std sqrt(1 / fan_in) with fan_in 64, not 64 * 4 (batch counted as receptive)
    w = wi.variance_scaling((4, 64, 32), in_axis=1, out_axis=2, batch_axis=0, distribution="normal", rng=3)
    assert w.std() == pytest.approx(1 / 8, rel=0.06)  # 8192 values: 6% is 7.7 standard errors; fan 256 is 50% off
    u = wi.variance_scaling((4, 64, 32), in_axis=(1,), out_axis=(2,), batch_axis=(0,), distribution="uniform",
                            rng=3)
    assert abs(u).max() <= math.sqrt(3 / 64) and abs(u).max() > 0.99 * math.sqrt(3 / 64)


@pytest.mark.parametrize("shape, in_axis, out_axis, expected", FAN_TABLE)
def test_compute_fans_table(shape, in_axis, out_axis, expected):
    if in_axis is None:
        assert wi.compute_fans(shape) == expected
    else:
        assert wi.compute_fans(shape, in_axis=in_axis, out_axis=out_axis) == expected


@given(
    o=st.integers(0, 50), i=st.integers(0, 50),
    kernel=st.lists(st.integers(1, 6), min_size=0, max_size=3),
)
def test_torch_and_keras_layouts_agree(o, i, kernel):
    """A torch weight (out, in, *k) and the same weight stored keras-style (*k, in, out) have the same fans."""
    torch_shape = (o, i, *kernel)
    keras_shape = (*kernel, i, o)
    assert wi.compute_fans(torch_shape) == wi.compute_fans(keras_shape, in_axis=-2, out_axis=-1)
    fan_in, fan_out = wi.compute_fans(torch_shape)
    assert fan_in * o == fan_out * i  # both carry the same receptive field


@given(shape=st.lists(st.integers(0, 9), min_size=2, max_size=5))
def test_torch_layout_fans_are_the_general_rule_s(shape):
    """No axes given (torch's layout, each initializer's default) is in_axis=1, out_axis=0, with
    every way of naming no batch axis: the default takes a shortcut that must give the same fans."""
    general = wi.compute_fans(shape, in_axis=[1], out_axis=(0,), batch_axis=[])  # the general rule
    for unbatched in ((), None, []):
        assert wi.compute_fans(tuple(shape), batch_axis=unbatched) == general
        assert wi.compute_fans(shape, batch_axis=unbatched) == general  # a list, not a tuple
        assert wi.compute_fans(shape, in_axis=1, out_axis=0, batch_axis=unbatched) == general  # wi.MLP's
    assert wi.compute_fans(shape, in_axis=np.int64(1), out_axis=0) == general
    with pytest.raises(TypeError):  # a bool is no axis, though True == 1
        wi.compute_fans(shape, in_axis=True, out_axis=False)
    assert wi.compute_fans(np.array(shape)) == general


GAIN_TABLE = [
    ("linear", None, 1.0),
    ("conv1d", None, 1.0),
    ("conv2d", None, 1.0),
    ("conv3d", None, 1.0),
    ("conv_transpose1d", None, 1.0),
    ("conv_transpose2d", None, 1.0),
    ("conv_transpose3d", None, 1.0),
    ("sigmoid", None, 1.0),
    ("tanh", None, 1.6666666666666667),                # 5/3
    ("relu", None, 1.4142135623730951),                # sqrt(2)
    ("leaky_relu", None, 1.4141428569978354),          # sqrt(2 / (1 + 0.01**2))
    ("leaky_relu", 0.2, 1.3867504905630728),           # sqrt(2 / 1.04)
    ("leaky_relu", math.sqrt(5), 0.5773502691896257),  # sqrt(2 / 6): torch.nn.Linear's init
    ("leaky_relu", 0, 1.4142135623730951),
    ("selu", None, 0.75),
    ("relu", 0.3, 1.4142135623730951),                 # param read only for leaky_relu, as torch
    ("leaky_relu", 1e160, 1.4142135623730951e-160),    # sqrt(2) / 1e160: slope**2 overflows, the gain does not
    ("leaky_relu", -1e300, 1.4142135623730951e-300),
]


@pytest.mark.parametrize("nonlinearity, param, expected", GAIN_TABLE)
def test_calculate_gain_table(nonlinearity, param, expected):
    assert wi.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15, abs=0)


def test_fan_for_mode():
    assert fan_for_mode(10, 20, "fan_in") == 10
    assert fan_for_mode(10, 20, "fan_out") == 20
    assert fan_for_mode(10, 20, "fan_avg") == 15
    assert fan_for_mode(10, 21, "fan_avg") == 15.5  # not an integer division
    assert fan_for_mode(8, 18, "fan_geo_avg") == 12  # jax's sqrt(fan_in fan_out)


def test_the_mean_of_two_fans_near_the_largest_float_is_theirs():
    # fan_in + fan_out overflows to inf, whose 1 / fan would be a scale of 0
    big = sys.float_info.max
    assert fan_for_mode(big, big, "fan_avg") == big
    assert fan_for_mode(1e308, 1.5e308, "fan_avg") == 1.25e308
    assert fan_for_mode(big, 10**308, "fan_avg") == big / 2 + 1e308 / 2
    assert wi.scale("xavier_uniform", 1e308, 1e308) == math.sqrt(3.0 / 1e308)
    assert fan_for_mode(np.float64(1e308), np.float64(1.5e308), "fan_avg") == 1.25e308
    np.testing.assert_array_equal(fan_for_mode(np.array([big, 1.0]), np.array([big, 4.0]), "fan_avg"), [big, 2.5])
    assert fan_for_mode(np.int64(2**62), np.int64(2**62), "fan_avg") == 2.0**62  # the int64 sum wraps
    assert fan_for_mode(2**62 + 1, 2**62, "fan_avg") == (2**63 + 1) / 2  # Python ints: summed exactly
    assert wi.scale("variance_scaling", 1e308, 1e308, mode="fan_avg", distribution="normal") == math.sqrt(1 / 1e308)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: wi.compute_fans((5,)), ValueError, "shape"),
        (lambda: wi.compute_fans(()), ValueError, "shape"),
        (lambda: wi.compute_fans((5, -1)), ValueError, "shape"),
        (lambda: wi.compute_fans((5, 2.5)), TypeError, "shape"),
        (lambda: wi.compute_fans((3, 4), in_axis=0), TypeError, "in_axis and out_axis"),
        (lambda: wi.compute_fans((3, 4), out_axis=0), TypeError, "in_axis and out_axis"),
        (lambda: wi.compute_fans((3, 4), in_axis=2, out_axis=0), ValueError, "in_axis"),
        (lambda: wi.compute_fans((3, 4), in_axis=0, out_axis=-3), ValueError, "out_axis"),
        (lambda: wi.compute_fans((3, 4), in_axis=1, out_axis=-1), ValueError, "same axis"),
        (lambda: wi.compute_fans((3, 4), in_axis=1.0, out_axis=0), TypeError, "in_axis"),
        (lambda: wi.compute_fans((2, 3, 4), in_axis=(1, 1), out_axis=0), ValueError, "in_axis names axis 1 twice"),
        (lambda: wi.compute_fans((2, 3, 4), in_axis=(), out_axis=0), ValueError, "in_axis"),
        (lambda: wi.compute_fans((2, 3, 4), in_axis=1, out_axis=2, batch_axis=(2,)), ValueError, "different axes"),
        (lambda: wi.compute_fans((2, 3, 4), in_axis=1, out_axis=2, batch_axis=3), ValueError, "batch_axis"),
        (lambda: wi.compute_fans((2, 3), batch_axis=0), ValueError, "different axes"),
        (lambda: wi.compute_fans((2, 3, 4), in_axis=(0, 1), out_axis=(1, 2)), ValueError,
         r"in_axis \(0, 1\), out_axis \(1, 2\) must name different axes"),
        (lambda: wi.compute_fans((2, 3, 4), in_axis=(0, 1.5), out_axis=2), TypeError,
         "in_axis must be an int or a sequence of ints"),
        (lambda: wi.compute_fans((2, 3, 4), in_axis=0, out_axis=1, batch_axis="2"), TypeError, "batch_axis"),
        (lambda: wi.calculate_gain("swish"), ValueError, "nonlinearity"),
        (lambda: wi.calculate_gain(None), TypeError, "nonlinearity"),
        (lambda: wi.calculate_gain("leaky_relu", float("nan")), ValueError, "param"),
        (lambda: wi.calculate_gain("leaky_relu", "0.1"), TypeError, "param"),
        (lambda: fan_for_mode(0, 5, "fan_in"), ValueError, "fan"),
        (lambda: fan_for_mode(0, 0, "fan_avg"), ValueError, "fan"),
        (lambda: fan_for_mode(3, 5, "fan_sum"), ValueError, "mode"),
    ],
)
def test_bad_input(call, exc, words):
    with pytest.raises(exc, match=words):
        call()
