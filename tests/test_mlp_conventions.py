"""weightinit.MLP checked without weightinit.reference: closed forms, hand-written NumPy and
torch autograd. The reference is written by the same team, so a slip made in both the engine
and the reference (or in the Python code they share) passes every comparison between them;
these tests pin the conventions themselves.

Every check is deterministic: fixed parameters and data, values that are exact in binary or
compared with a tolerance thousands of times wider than rounding and thousands of times
narrower than any of the slips it is meant to catch.
"""

import math

import numpy as np
import pytest

import weightinit as wi
from conftest import need_torch

X5 = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])  # both signs and an exact 0


def chain(hidden, loss="mse", alpha=None, W1=1.0, b1=0.0, W2=1.0, b2=0.0):
    """A [1, 1, 1] network with the given scalar parameters (alpha: MLP's default if None)."""
    out = {"mse": "identity", "binary_cross_entropy": "sigmoid"}[loss]
    kw = {} if alpha is None else {"alpha": alpha}
    net = wi.MLP([1, 1, 1], activations=[hidden, out], loss=loss, init="zeros", **kw)
    net.parameters = {"W1": [[W1]], "b1": [[b1]], "W2": [[W2]], "b2": [[b2]]}
    return net


def g_np(name, z, alpha):
    """The hidden activations as the docs define them (torch's functions), in NumPy."""
    return {"identity": z, "relu": np.maximum(z, 0.0), "leaky_relu": np.where(z < 0, alpha * z, z),
            "tanh": np.tanh(z), "sigmoid": 1 / (1 + np.exp(-z))}[name]


# ---- activations: values and the slope at exactly 0 ---------------------------------------------------
@pytest.mark.parametrize("hidden, alpha", [("relu", 0.1), ("leaky_relu", 0.1), ("leaky_relu", 0.25),
                                           ("identity", 0.1), ("tanh", 0.1), ("sigmoid", 0.1)])
def test_hidden_activation_values_are_the_documented_functions(hidden, alpha):
    """relu(z) = max(z, 0); leaky_relu(z) = z for z >= 0 and alpha z below (torch's
    negative_slope): the slope multiplies the negative side only. Each name gives its own
    function (a swapped name table fails here)."""
    net = chain(hidden, alpha=alpha)
    _, A = net.forward(X5)
    expected = g_np(hidden, X5, alpha)
    if hidden in ("relu", "leaky_relu", "identity"):
        np.testing.assert_array_equal(A[0], expected)  # one multiplication at most: exact
    else:
        np.testing.assert_allclose(A[0], expected, rtol=1e-14, atol=0)


def test_leaky_relu_default_slope_is_torchs_0_01():
    """MLP's and sweep's default alpha is 0.01 (torch's negative_slope), and it is what the
    engine applies."""
    net = chain("leaky_relu")
    assert net.alpha == 0.01
    np.testing.assert_array_equal(net.forward(X5)[1][0], np.where(X5 < 0, 0.01 * X5, X5))
    X, Y = wi.datasets.planar_flower(1)
    r = wi.sweep(X, Y, [2, 3, 1], ["he_normal"], [0], 1, 0.5, activations=["leaky_relu", "sigmoid"])
    assert r.alpha == 0.01


@pytest.mark.parametrize("hidden, slope_at_0", [("relu", 0.0), ("leaky_relu", 0.1)])
@pytest.mark.parametrize("path", ["gradients", "fit layer by layer (mse)", "fit fused (sigmoid output)"])
def test_slope_at_exactly_zero_is_torchs(hidden, slope_at_0, path):
    """Z1 = 0.5 * 1 - 0.5 = 0 exactly. torch's backward takes relu'(0) = 0 and
    leaky_relu'(0) = negative_slope; so must the layer kernels, the fused step and the
    reference. dZ1 = W2 dZ2 g'(0), and with X = 1 it is dW1 = db1."""
    loss = "binary_cross_entropy" if "fused" in path else "mse"
    net = chain(hidden, loss=loss, alpha=0.1, W1=0.5, b1=-0.5, W2=2.0, b2=0.0)
    X, Y = np.array([[1.0]]), np.array([[1.0]])
    assert net.forward(X)[0][0][0, 0] == 0.0
    dZ2 = (0.5 if loss == "binary_cross_entropy" else 0.0) - 1.0  # A2 - Y with A1 = 0: Z2 = 0
    dZ1 = 2.0 * dZ2 * slope_at_0
    if path == "gradients":
        g = net.gradients(X, Y)
        assert g["dW1"][0, 0] == dZ1 and g["db1"][0, 0] == dZ1 and g["db2"][0, 0] == dZ2
        assert g["dW2"][0, 0] == 0.0
    else:
        net.fit(X, Y, iterations=1, learning_rate=1.0)
        p = net.parameters
        assert p["W1"][0, 0] == 0.5 - dZ1 and p["b1"][0, 0] == -0.5 - dZ1 and p["b2"][0, 0] == -dZ2


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu", "identity", "tanh", "sigmoid"])
@pytest.mark.parametrize("loss", ["binary_cross_entropy", "mse"])
def test_one_step_on_a_chain_matches_hand_written_numpy(hidden, loss):
    """[1, 1, 1] on five examples (both signs, an exact 0): the first cost and the trained
    parameters of one fit step, written out here from the documented formulas. BCE trains
    through the fused step, mse layer by layer."""
    alpha, lr = 0.1, 0.5
    W1, b1, W2, b2 = 0.75, 0.0, -1.5, 0.25
    net = chain(hidden, loss=loss, alpha=alpha, W1=W1, b1=b1, W2=W2, b2=b2)
    X = X5
    Y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]]) if loss == "binary_cross_entropy" else np.array(
        [[0.3, -1.0, 2.0, 0.5, -0.25]])
    m = X.shape[1]
    z1 = W1 * X + b1
    a1 = g_np(hidden, z1, alpha)
    slope = {"identity": np.ones_like(z1), "relu": (z1 > 0) * 1.0, "leaky_relu": np.where(z1 > 0, 1.0, alpha),
             "tanh": 1 - np.tanh(z1) ** 2, "sigmoid": a1 * (1 - a1)}[hidden]
    z2 = W2 * a1 + b2
    if loss == "binary_cross_entropy":
        a2 = 1 / (1 + np.exp(-z2))
        J = np.mean(-(Y * np.log(a2) + (1 - Y) * np.log(1 - a2)))
    else:
        a2 = z2
        J = np.sum((z2 - Y) ** 2) / (2 * m)
    dz2 = a2 - Y
    dz1 = W2 * dz2 * slope
    want = {"W1": W1 - lr * np.sum(dz1 * X) / m, "b1": b1 - lr * np.sum(dz1) / m,
            "W2": W2 - lr * np.sum(dz2 * a1) / m, "b2": b2 - lr * np.sum(dz2) / m}
    costs = net.fit(X, Y, iterations=1, learning_rate=lr)
    assert costs[0] == pytest.approx(J, rel=1e-13)
    for k, v in net.parameters.items():
        assert v[0, 0] == pytest.approx(want[k], rel=1e-13, abs=1e-15), k


# ---- losses: closed forms with several outputs ------------------------------------------------------
def constant_output_net(n_in, n_out, loss):
    out = {"mse": "identity", "binary_cross_entropy": "sigmoid", "softmax_cross_entropy": "softmax"}[loss]
    return wi.MLP([n_in, n_out], activations=[out], loss=loss, init="zeros")


@pytest.mark.parametrize("loss", ["mse", "binary_cross_entropy", "softmax_cross_entropy"])
def test_losses_of_several_outputs_are_sums_over_outputs_and_means_over_examples(loss):
    """Zero weights make every output constant (identity 0, sigmoid 1/2, softmax 1/K), so
    J and its gradient have closed forms: mse 1/(2m) sum Y^2 (not torch's mean over every
    element), BCE K log 2 (torch's BCEWithLogits would give log 2), softmax log K (not
    log K / K); dW = (A - Y) X^T / m and db = mean(A - Y) over examples, for every loss."""
    gen = np.random.default_rng(0)
    K, m = 3, 8
    X = gen.normal(size=(2, m))
    if loss == "mse":
        Y = gen.normal(size=(K, m))
        A, J = np.zeros((K, m)), np.sum(Y ** 2) / (2 * m)
    elif loss == "binary_cross_entropy":
        Y = (gen.random((K, m)) < 0.5).astype(float)
        A, J = np.full((K, m), 0.5), K * math.log(2)
    else:
        Y = np.eye(K)[:, gen.integers(0, K, m)]
        A, J = np.full((K, m), 1 / K), math.log(K)
    net = constant_output_net(2, K, loss)
    assert net.cost(X, Y) == pytest.approx(J, rel=1e-14)
    g = net.gradients(X, Y)
    np.testing.assert_allclose(g["db1"], (A - Y).mean(axis=1, keepdims=True), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(g["dW1"], (A - Y) @ X.T / m, rtol=1e-13, atol=1e-16)
    assert net.fit(X, Y, iterations=1, learning_rate=0.5)[0] == pytest.approx(J, rel=1e-14)


def test_mse_regression_learns_a_linear_target():
    """Gradient descent on mse moves downhill: an identity network fits Y = 2 x0 - x1 + 0.5
    (a wrong sign of dJ/dZ makes the cost grow without bound instead)."""
    gen = np.random.default_rng(1)
    X = gen.normal(size=(2, 200))
    Y = 2 * X[:1] - X[1:] + 0.5
    net = wi.MLP([2, 1], activations=["identity"], loss="mse", init="zeros")
    costs = net.fit(X, Y, iterations=400, learning_rate=0.5)
    assert costs[-1] < 1e-10 < costs[0]
    p = net.parameters
    np.testing.assert_allclose(p["W1"], [[2.0, -1.0]], atol=1e-5)
    np.testing.assert_allclose(p["b1"], [[0.5]], atol=1e-5)


# ---- the Python layer: arguments forwarded -------------------------------------------------------------
def test_sweep_trains_with_the_alpha_it_is_given():
    X, Y = wi.datasets.planar_flower(1)
    kw = dict(activations=["leaky_relu", "sigmoid"], alpha=0.3)
    r = wi.sweep(X, Y, [2, 6, 1], ["he_normal"], [0], 40, 0.5, **kw)
    net = wi.MLP([2, 6, 1], init="he_normal", rng=0, **kw)
    np.testing.assert_array_equal(r.costs[0, 0], net.fit(X, Y, iterations=40, learning_rate=0.5))
    assert r.alpha == 0.3 and r.network(0, 0).alpha == 0.3
    other = wi.MLP([2, 6, 1], init="he_normal", rng=0, activations=kw["activations"])
    assert not np.array_equal(r.costs[0, 0], other.fit(X, Y, iterations=40, learning_rate=0.5))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_steps_by_the_rule_of_update_parameters(dtype):
    """One fit step is W - learning_rate * gradients(), biases included (layer-by-layer step:
    fit and gradients() sum the same blocks, so the same gradients). Within one rounding of
    each term: a build for FMA machines fuses the product into the subtraction (and so
    matches an update done in double), one without rounds twice; a learning rate applied
    twice or not at all is off by ~30% of the step."""
    gen = np.random.default_rng(2)
    X = gen.normal(size=(3, 40))
    Y = np.eye(3)[:, gen.integers(0, 3, 40)]
    net = wi.MLP([3, 5, 3], activations=["tanh", "softmax"], init="he_normal", rng=0, dtype=dtype)
    net.parameters = {**net.parameters, "b1": gen.normal(size=(5, 1)), "b2": gen.normal(size=(3, 1))}
    start, g = net.parameters, net.gradients(X, Y)
    net.fit(X, Y, iterations=1, learning_rate=0.3)
    lr = dtype(0.3)
    eps = np.finfo(dtype).eps
    for k, v in net.parameters.items():
        step = lr * g["d" + k]
        assert np.abs(step).max() > 1e3 * eps * np.abs(start[k]).max(), k  # the step is visible
        np.testing.assert_array_less(np.abs(v - (start[k] - step)), eps * (np.abs(start[k]) + np.abs(step)) + 1e-300,
                                     err_msg=k)


# ---- torch autograd as an outside oracle ---------------------------------------------------------------
TORCH_LOSS = {"mse": "identity", "binary_cross_entropy": "sigmoid", "softmax_cross_entropy": "softmax"}


@pytest.mark.parametrize("hidden", ["identity", "sigmoid", "tanh", "relu", "leaky_relu"])
@pytest.mark.parametrize("loss", sorted(TORCH_LOSS))
def test_cost_and_gradients_match_torch_autograd(hidden, loss):
    """[3, 5, 4, 3] with exact zeros among the hidden pre-activations (an all-zero example
    and zero biases in some units), against torch in float64 with the documented scales:
    mse = MSELoss(sum) / 2m, BCE = BCEWithLogitsLoss(sum) / m, softmax = CrossEntropy(sum) / m."""
    torch = need_torch()
    F = torch.nn.functional
    alpha, m = 0.1, 9
    gen = np.random.default_rng(3)
    sizes = [3, 5, 4, 3]
    params = {}
    for l in range(3):
        params[f"W{l + 1}"] = gen.normal(size=(sizes[l + 1], sizes[l])) / math.sqrt(sizes[l])
        b = gen.normal(size=(sizes[l + 1], 1)) * 0.5
        b[::2] = 0.0
        params[f"b{l + 1}"] = b
    X = gen.normal(size=(3, m))
    X[:, 4] = 0.0  # Z1 = b1 there: zeros in rows 0, 2, 4
    if loss == "binary_cross_entropy":
        Y = (gen.random((3, m)) < 0.5).astype(float)
    elif loss == "softmax_cross_entropy":
        Y = np.eye(3)[:, gen.integers(0, 3, m)]
    else:
        Y = gen.normal(size=(3, m))
    net = wi.MLP(sizes, activations=[hidden, "tanh", TORCH_LOSS[loss]], loss=loss, init="zeros", alpha=alpha)
    net.parameters = params
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    act = {"identity": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
           "leaky_relu": lambda z: F.leaky_relu(z, alpha)}[hidden]
    z = tp["W1"] @ torch.tensor(X) + tp["b1"]
    assert (z.detach().numpy()[:, 4][::2] == 0).all()
    z = tp["W3"] @ torch.tanh(tp["W2"] @ act(z) + tp["b2"]) + tp["b3"]
    t = torch.tensor(Y)
    if loss == "mse":
        J = F.mse_loss(z, t, reduction="sum") / (2 * m)
    elif loss == "binary_cross_entropy":
        J = F.binary_cross_entropy_with_logits(z, t, reduction="sum") / m
    else:
        J = F.cross_entropy(z.T, t.T, reduction="sum") / m
    J.backward()
    assert net.cost(X, Y) == pytest.approx(J.item(), rel=1e-12)
    g = net.gradients(X, Y)
    for k, v in tp.items():
        want = v.grad.numpy()
        scale = max(np.abs(want).max(), 1e-300)
        assert np.abs(g["d" + k] - want).max() <= 1e-12 * scale, k
