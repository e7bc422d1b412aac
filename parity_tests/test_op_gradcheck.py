"""Second oracle, independent of Keras (no TensorFlow import): float64 centred-difference gradient
checks of every differentiable MLP op of ``scratch.ops.reference``, and equality of the ``cpu``
backend with the reference for every op both modules define.

Each gradient check reduces an op to a scalar ``f = Σ output · G`` (``G`` a fixed random upstream
gradient; per-sample losses are weighted by random ``w``) so that the analytic backward pass
gives ``∂f/∂input`` directly; :func:`scratch.gradcheck.check_gradient` compares it with
``(f(x + h) − f(x − h)) / 2h`` under ``GRADCHECK_RTOL``.
"""
import ast
import copy
import inspect
import pathlib

import numpy as np
import pytest

from parity_tests.compare import assert_close
from parity_tests.tolerances import BACKEND_ATOL, BACKEND_RTOL, GRADCHECK_RTOL
from scratch.gradcheck import check_gradient, numerical_gradient, relative_error
from scratch.engine import cpu
from scratch.ops import reference as ref

EPS = ref.EPSILON
# Centred-difference step. Truncation error ~h², round-off ~1e-16·|f|/h: at 1e-5 both stay far
# below the tolerance even for gradient entries of ~1e-3 (the measure is elementwise relative).
STEP = 1e-5


def rng_for(name):
    return np.random.default_rng(sum(map(ord, name)))


def assert_gradcheck(f, x, analytic, what, h=STEP):
    error = check_gradient(f, x, analytic, h=h)
    assert error < GRADCHECK_RTOL, f"{what}: relative error {error:.3g} >= {GRADCHECK_RTOL}"


def away_from_zero(rng, shape, gap=0.1):
    """Normal values pushed at least ``gap`` away from 0 (where relu has a kink)."""
    x = rng.standard_normal(shape)
    return np.where(x >= 0, x + gap, x - gap)


# ----------------------------------------------------------------------------- dense
@pytest.mark.parametrize("use_bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("batch,inputs,units", [(1, 1, 1), (4, 3, 5), (7, 6, 2)])
def test_dense_gradients(batch, inputs, units, use_bias):
    rng = rng_for("dense")
    x = rng.standard_normal((batch, inputs))
    kernel = rng.standard_normal((inputs, units))
    bias = rng.standard_normal(units) if use_bias else None
    upstream = rng.standard_normal((batch, units))

    def f(*_):
        return float((ref.dense_forward(x, kernel, bias) * upstream).sum())

    grad_x, grad_kernel, grad_bias = ref.dense_backward(upstream, x, kernel, use_bias)
    assert_gradcheck(f, x, grad_x, "dx")
    assert_gradcheck(f, kernel, grad_kernel, "dkernel")
    if use_bias:
        assert_gradcheck(f, bias, grad_bias, "dbias")
    else:
        assert grad_bias is None


# ----------------------------------------------------------------------------- activations
ACTIVATION_CASES = [
    ("relu", lambda rng: away_from_zero(rng, (4, 6))),
    ("relu", lambda rng: away_from_zero(rng, (2, 3, 4)) * 5),
    ("linear", lambda rng: rng.standard_normal((3, 5))),
    ("sigmoid", lambda rng: rng.standard_normal((4, 6)) * 2),
    ("tanh", lambda rng: rng.standard_normal((4, 6)) * 1.5),
    ("softmax", lambda rng: rng.standard_normal((4, 6))),
    ("softmax", lambda rng: rng.standard_normal((2, 3, 5)) * 2),
    ("softmax", lambda rng: rng.standard_normal((3, 1))),
]


@pytest.mark.parametrize("name,make_x", ACTIVATION_CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(ACTIVATION_CASES)])
def test_activation_gradients(name, make_x):
    forward, backward = getattr(ref, f"{name}_forward"), getattr(ref, f"{name}_backward")
    rng = rng_for(name)
    x = make_x(rng)
    upstream = rng.standard_normal(x.shape)
    y = forward(x)
    assert y.dtype == np.float64  # the reference ops keep float64 (the checks rely on it)

    def f(x):
        return float((forward(x) * upstream).sum())

    assert_gradcheck(f, x, backward(upstream, y), f"d{name}")


def test_relu_gradient_is_zero_at_exact_zero():
    """TF's ReluGrad kernel (the gradient of ``tf.nn.relu``, which Keras's relu calls) passes the
    gradient where ``x > 0``; the one-sided difference from the left is 0."""
    x = np.array([[0.0, -0.0, 1.0, -1.0]])
    grad = ref.relu_backward(np.ones_like(x), ref.relu_forward(x))
    np.testing.assert_array_equal(grad, [[0.0, 0.0, 1.0, 0.0]])


# ----------------------------------------------------------------------------- losses
def sparse_labels(rng, batch, classes):
    return rng.integers(0, classes, size=batch)


def probability_rows(rng, shape, normalised=True):
    """Rows well inside (ε, 1 − ε), so that ±h never reaches a clipping bound."""
    p = rng.uniform(0.05, 1.0, size=shape)
    return p / p.sum(axis=-1, keepdims=True) if normalised else p * 0.5


def soft_targets(rng, shape, one_hot):
    if one_hot:
        return np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[0])]
    return rng.uniform(0.0, 1.0, size=shape)  # soft targets that do not sum to 1 test the Σ_j Y_j factor


def weighted(loss_fn, weights):
    """``f = Σ_i w_i ℓ_i`` — each per-sample gradient row only matters through its own ``w_i``."""
    return lambda v: float((loss_fn(v) * weights).sum())


@pytest.mark.parametrize("batch,classes", [(1, 2), (5, 4), (3, 10)])
def test_sparse_crossentropy_from_logits_gradient(batch, classes):
    rng = rng_for("scce-logits")
    logits = rng.standard_normal((batch, classes)) * 2
    labels = sparse_labels(rng, batch, classes)
    w = rng.uniform(0.5, 2.0, batch)
    _, grad = ref.sparse_crossentropy_from_logits(logits, labels)
    f = weighted(lambda z: ref.sparse_crossentropy_from_logits(z, labels)[0], w)
    assert_gradcheck(f, logits, grad * w[:, None], "dlogits")


@pytest.mark.parametrize("normalised", [True, False], ids=["normalised", "unnormalised"])
@pytest.mark.parametrize("batch,classes", [(1, 2), (5, 4), (3, 10)])
def test_sparse_crossentropy_from_probs_gradient(batch, classes, normalised):
    rng = rng_for("scce-probs")
    probs = probability_rows(rng, (batch, classes), normalised)
    labels = sparse_labels(rng, batch, classes)
    w = rng.uniform(0.5, 2.0, batch)
    _, grad = ref.sparse_crossentropy_from_probs(probs, labels)
    f = weighted(lambda p: ref.sparse_crossentropy_from_probs(p, labels)[0], w)
    assert_gradcheck(f, probs, grad * w[:, None], "dprobs")


@pytest.mark.parametrize("one_hot", [True, False], ids=["onehot", "soft"])
@pytest.mark.parametrize("batch,classes", [(1, 2), (5, 4), (3, 10)])
def test_categorical_crossentropy_from_logits_gradient(batch, classes, one_hot):
    rng = rng_for("cce-logits")
    logits = rng.standard_normal((batch, classes)) * 2
    targets = soft_targets(rng, (batch, classes), one_hot)
    w = rng.uniform(0.5, 2.0, batch)
    _, grad = ref.categorical_crossentropy_from_logits(logits, targets)
    f = weighted(lambda z: ref.categorical_crossentropy_from_logits(z, targets)[0], w)
    assert_gradcheck(f, logits, grad * w[:, None], "dlogits")


@pytest.mark.parametrize("normalised", [True, False], ids=["normalised", "unnormalised"])
@pytest.mark.parametrize("one_hot", [True, False], ids=["onehot", "soft"])
@pytest.mark.parametrize("batch,classes", [(1, 2), (5, 4), (3, 10)])
def test_categorical_crossentropy_from_probs_gradient(batch, classes, one_hot, normalised):
    rng = rng_for("cce-probs")
    probs = probability_rows(rng, (batch, classes), normalised)
    targets = soft_targets(rng, (batch, classes), one_hot)
    w = rng.uniform(0.5, 2.0, batch)
    _, grad = ref.categorical_crossentropy_from_probs(probs, targets)
    f = weighted(lambda p: ref.categorical_crossentropy_from_probs(p, targets)[0], w)
    assert_gradcheck(f, probs, grad * w[:, None], "dprobs")


# A row with an entry below ε: the clip is flat there. The centred difference with the default
# step would cross ε = 1e-7, so the clipped entry is checked with h = ε/2 around 1e-9 (both
# evaluations stay clipped), the other entries of the batch with the default step.
# Sparse CE: the clipped p_k enters nowhere else, so the true gradient there is exactly 0.
# Categorical CE renormalises first (r = p/Σp), so p_k still acts through Σp: the clip zeroes the
# gradient with respect to r_k, and the true gradient with respect to p_k is the (non-zero)
# renormalisation term, which the numerical gradient measures all the same.
CLIPPED_ROWS = [
    ("one-below-eps", np.array([[0.6, 0.4 - 1e-9, 1e-9], [0.2, 0.3, 0.5]]), (0, 2), 0),
    ("true-class-below-eps", np.array([[0.7, 0.3 - 1e-9, 1e-9], [0.2, 0.3, 0.5]]), (0, 2), 2),
]


def split_gradcheck(f, probs, analytic, clipped, what):
    """Numerical gradient of ``f`` at every entry, the clipped one with a step that stays below ε;
    returns it after checking ``analytic`` against it."""
    mask = np.ones(probs.shape, bool)
    mask[clipped] = False
    numeric = numerical_gradient(f, probs, h=STEP)
    value = probs[clipped]
    assert value + EPS / 2 < EPS

    def f_clipped(v):
        p = probs.copy()
        p[clipped] = v[0]
        return f(p)

    numeric[clipped] = numerical_gradient(f_clipped, np.array([value]), h=EPS / 2)[0]
    error = relative_error(analytic, numeric)
    assert error < GRADCHECK_RTOL, f"{what}: relative error {error:.3g} >= {GRADCHECK_RTOL}"
    return numeric


@pytest.mark.parametrize("case", CLIPPED_ROWS, ids=[c[0] for c in CLIPPED_ROWS])
def test_sparse_crossentropy_from_probs_clipped_gradient_is_zero(case):
    _, probs, clipped, true_class = case
    labels = np.array([true_class, 1])
    w = np.array([1.0, 0.7])
    _, grad = ref.sparse_crossentropy_from_probs(probs, labels)
    f = weighted(lambda p: ref.sparse_crossentropy_from_probs(p, labels)[0], w)
    numeric = split_gradcheck(f, probs, grad * w[:, None], clipped, "sparse dprobs")
    assert numeric[clipped] == 0.0 and grad[clipped] == 0.0  # flat: both exactly zero


@pytest.mark.parametrize("case", CLIPPED_ROWS, ids=[c[0] for c in CLIPPED_ROWS])
def test_categorical_crossentropy_from_probs_clipped_gradient(case):
    _, probs, clipped, true_class = case
    targets = np.eye(3)[[true_class, 1]]
    w = np.array([1.0, 0.7])
    _, grad = ref.categorical_crossentropy_from_probs(probs, targets)
    f = weighted(lambda p: ref.categorical_crossentropy_from_probs(p, targets)[0], w)
    split_gradcheck(f, probs, grad * w[:, None], clipped, "categorical dprobs")


def test_saturated_true_class_has_zero_gradient_everywhere():
    """p = one-hot of the true class: every entry is clipped (1 − ε or ε), so f is flat."""
    probs = np.array([[1.0, 0.0, 0.0]])
    closed_forms = [-np.log(1 - EPS) + np.log(1 + EPS), -np.log(1 - EPS)]  # q = [1 − ε, ε, ε]
    for (loss, grad), expected in zip([ref.sparse_crossentropy_from_probs(probs, np.array([0])),
                                       ref.categorical_crossentropy_from_probs(probs, np.eye(3)[[0]])],
                                      closed_forms):
        np.testing.assert_array_equal(grad, np.zeros_like(probs))
        np.testing.assert_allclose(loss, [expected], rtol=1e-9)


def test_crossentropy_from_probs_closed_forms():
    """As keras/src/backend/tensorflow/nn.py computes them from probabilities: the sparse form
    clips to [ε, 1 − ε] and renormalises (log, then ``tf.nn.sparse_softmax_cross_entropy_with_logits``);
    an exact 0 costs −log ε + log(1 + ε) = 16.1181. The categorical form divides by the row sum."""
    loss, _ = ref.sparse_crossentropy_from_probs(np.array([[0.2, 0.2, 0.2], [0.0, 1.0, 0.0]]), np.array([0, 0]))
    np.testing.assert_allclose(loss, [np.log(3), -np.log(EPS) + np.log(1 + EPS)], rtol=1e-12)
    np.testing.assert_allclose(loss[1], 16.1181, atol=1e-4)
    loss, _ = ref.categorical_crossentropy_from_probs(np.array([[0.2, 0.2, 0.2]]), np.eye(3)[[0]])
    np.testing.assert_allclose(loss, [np.log(3)], rtol=1e-12)


# ----------------------------------------------------------------------------- cpu == reference
CONV_OPS = {"conv2d_forward", "conv2d_backward", "maxpool2d_forward", "maxpool2d_backward",
            "im2col", "col2im", "spatial_padding", "avgpool2d_forward", "avgpool2d_backward",
            "global_avgpool2d_forward", "global_avgpool2d_backward", "global_maxpool2d_forward",
            "global_maxpool2d_backward"}
RETURNS_OUTPUT_AND_CACHE = {"conv2d_forward", "maxpool2d_forward", "avgpool2d_forward"}
CONV_TESTS = pathlib.Path(__file__).with_name("test_conv_ops.py")


def public_ops(module):
    return {name for name, f in inspect.getmembers(module, inspect.isfunction)
            if f.__module__ == module.__name__ and not name.startswith("_")}


SHARED_OPS = sorted(name for name in public_ops(ref) if hasattr(cpu, name))


def f32(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def probs32(rng, batch, classes):
    p = rng.uniform(0.01, 1.0, (batch, classes)).astype(np.float32)
    p[0, 0] = 0.0  # one clipped entry
    return p / p.sum(axis=-1, keepdims=True)


def conv_cache_args(ops, rng):
    x, kernel = f32(rng, 2, 7, 6, 3), f32(rng, 3, 2, 3, 4)
    out, cache = ops.conv2d_forward(x, kernel, f32(rng, 4), (2, 1), "same", (1, 1))
    return (f32(rng, *out.shape), cache)


def pool_cache_args(ops, rng):
    x = f32(rng, 2, 7, 6, 3)
    x[0, 0, 0, 0] = x[0, 0, 1, 0]  # a tie: the first maximum in row-major order wins
    out, cache = ops.maxpool2d_forward(x, (3, 2), (2, 2), "same")
    return (f32(rng, *out.shape), cache)


# op name -> (ops module, rng) -> positional arguments (float32, as the layers call them).
# In-place ops (the optimizer updates) are compared through the arrays they modify.
OP_ARGS = {
    "dense_forward": lambda ops, r: (f32(r, 9, 17), f32(r, 17, 5), f32(r, 5)),
    "dense_backward": lambda ops, r: (f32(r, 9, 5), f32(r, 9, 17), f32(r, 17, 5), True),
    "relu_forward": lambda ops, r: (np.concatenate([f32(r, 4, 6), np.zeros((1, 6), np.float32)]),),
    "relu_backward": lambda ops, r: (f32(r, 5, 6), np.maximum(f32(r, 5, 6), 0)),
    "relu_general_forward": lambda ops, r: (np.concatenate([f32(r, 4, 6, scale=4), [[0, 1, 6, 2.5, -1, 7]]])
                                            .astype(np.float32), 0.1, 2.5, 1.0),
    "relu_general_backward": lambda ops, r: (f32(r, 5, 6), np.concatenate([f32(r, 4, 6, scale=4), [[0, 1, 6, 2.5, -1, 7]]])
                                             .astype(np.float32), 0.1, 6.0, 0.0),
    "linear_forward": lambda ops, r: (f32(r, 4, 6),),
    "linear_backward": lambda ops, r: (f32(r, 4, 6), f32(r, 4, 6)),
    "sigmoid_forward": lambda ops, r: (f32(r, 4, 6, scale=5),),
    "sigmoid_backward": lambda ops, r: (f32(r, 4, 6), 1 / (1 + np.exp(-f32(r, 4, 6)))),
    "tanh_forward": lambda ops, r: (f32(r, 4, 6, scale=3),),
    "tanh_backward": lambda ops, r: (f32(r, 4, 6), np.tanh(f32(r, 4, 6))),
    "softmax_forward": lambda ops, r: (np.concatenate([f32(r, 4, 6), [[1000, 1000, -1000, 0, 0, 0]]])
                                       .astype(np.float32),),
    "softmax_backward": lambda ops, r: (f32(r, 4, 6), probs32(r, 4, 6)),
    "sparse_crossentropy_from_logits": lambda ops, r: (f32(r, 6, 5, scale=4), r.integers(0, 5, 6)),
    "sparse_crossentropy_from_probs": lambda ops, r: (probs32(r, 6, 5), np.r_[0, r.integers(0, 5, 5)]),
    "categorical_crossentropy_from_logits": lambda ops, r: (f32(r, 6, 5, scale=4),
                                                            np.eye(5, dtype=np.float32)[r.integers(0, 5, 6)]),
    "categorical_crossentropy_from_probs": lambda ops, r: (probs32(r, 6, 5),
                                                           np.eye(5, dtype=np.float32)[np.r_[0, r.integers(0, 5, 5)]]),
    "spatial_padding": lambda ops, r: (28, 27, (3, 4), (2, 2), "same", (1, 1)),
    "im2col": lambda ops, r: (f32(r, 2, 9, 8, 3), (3, 2), (2, 1), (1, 2), (4, 6)),
    "col2im": lambda ops, r: (f32(r, 2 * 4 * 6, 3 * 2 * 3), (2, 9, 8, 3), (3, 2), (2, 1), (1, 2), (4, 6)),
    "conv2d_forward": lambda ops, r: (f32(r, 2, 7, 6, 3), f32(r, 3, 2, 3, 4), f32(r, 4), (2, 1), "same", (1, 1)),
    "conv2d_backward": conv_cache_args,
    "maxpool2d_forward": lambda ops, r: (f32(r, 2, 7, 6, 3), (3, 2), (2, 2), "same"),
    "maxpool2d_backward": pool_cache_args,
    "avgpool2d_forward": lambda ops, r: (f32(r, 2, 7, 6, 3), (3, 2), (2, 2), "same"),
    "avgpool2d_backward": lambda ops, r: (f32(r, 2, 4, 3, 3), ops.avgpool2d_forward(f32(r, 2, 7, 6, 3), (3, 2),
                                                                                      (2, 2), "same")[1]),
    "global_avgpool2d_forward": lambda ops, r: (f32(r, 2, 5, 4, 3),),
    "global_avgpool2d_backward": lambda ops, r: (f32(r, 2, 3), (2, 5, 4, 3)),
    "global_maxpool2d_forward": lambda ops, r: (f32(r, 2, 5, 4, 3),),
    "global_maxpool2d_backward": lambda ops, r: (f32(r, 2, 3), np.ones((2, 5, 4, 3), np.float32),
                                                 np.ones((2, 3), np.float32)),
    "dropout_forward": lambda ops, r: (f32(r, 5, 6), r.random((5, 6)) >= 0.3, np.float32(1 / 0.7)),
    "dropout_backward": lambda ops, r: (f32(r, 5, 6), r.random((5, 6)) >= 0.3, np.float32(1 / 0.7)),
    "rescaling_forward": lambda ops, r: (r.integers(0, 256, (2, 4, 4, 3)).astype(np.uint8), 1 / 255, 0.5),
    "rescaling_backward": lambda ops, r: (f32(r, 2, 4, 4, 3), 1 / 255),
    "affine_transform": lambda ops, r: (f32(r, 3, 6, 7, 2), np.c_[f32(r, 3, 6, scale=4), np.zeros((3, 2), np.float32)],
                                        "bilinear", "reflect", 0.0),
    "adjust_contrast_forward": lambda ops, r: (f32(r, 2, 4, 5, 3, scale=100) + 128, r.uniform(0.5, 1.5, 2), (0, 255)),
    "adjust_contrast_backward": lambda ops, r: (f32(r, 2, 4, 5, 3), f32(r, 2, 4, 5, 3, scale=100) + 128,
                                                r.uniform(0.5, 1.5, 2), (0, 255)),
    # image resizing: uint8 pixels, up in one axis and down in the other (the loaders' case)
    "resize_bilinear": lambda ops, r: (r.integers(0, 256, (2, 9, 14, 3)).astype(np.uint8), (13, 5)),
    "resize_nearest": lambda ops, r: (r.integers(0, 256, (2, 9, 14, 3)).astype(np.uint8), (13, 5)),
    "resize_weighted": lambda ops, r: (r.integers(0, 256, (2, 9, 14, 3)).astype(np.uint8), (13, 5), "lanczos3"),
}


@pytest.mark.parametrize("rate", [0.0, 0.3, 0.75])
def test_dropout_gradients(rate):
    rng = rng_for("dropout")
    x = rng.standard_normal((4, 7))
    keep = rng.random((4, 7)) >= rate
    scale = 1 / (1 - rate)
    upstream = rng.standard_normal((4, 7))
    analytic = ref.dropout_backward(upstream, keep, scale)
    assert_gradcheck(lambda x: float((ref.dropout_forward(x, keep, scale) * upstream).sum()), x, analytic,
                     f"dropout rate {rate}")


@pytest.mark.parametrize("scale,offset", [(1 / 255, 0.0), (2.5, -1.0), (np.array([0.5, 2.0, -1.0]), 0.1)])
def test_rescaling_gradients(scale, offset):
    rng = rng_for("rescaling")
    x = rng.standard_normal((2, 3, 3, 3))
    upstream = rng.standard_normal((2, 3, 3, 3))
    analytic = ref.rescaling_backward(upstream, scale)
    assert_gradcheck(lambda x: float((ref.rescaling_forward(x, scale, offset) * upstream).sum()), x, analytic,
                     f"rescaling scale={scale}")


def assert_same(ours, theirs, what):
    """Recursive comparison of op results: arrays (shape, dtype, values), tuples, dicts, scalars."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and set(ours) == set(theirs), f"{what}: keys differ"
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{what}[{key!r}]")
    elif isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), f"{what}: lengths differ"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{what}[{i}]")
    elif theirs is None or isinstance(theirs, (bool, str)):
        assert ours == theirs, f"{what}: {ours!r} != {theirs!r}"
    else:
        assert_close(ours, theirs, BACKEND_ATOL, BACKEND_RTOL, what=what,
                     check_dtype=isinstance(theirs, np.ndarray) and theirs.dtype.kind == "f")


def conv_test_coverage(path=CONV_TESTS):
    """What ``test_conv_ops.py`` exercises, read from its source (importing it would load
    TensorFlow): the names it calls as ``ops.<name>``, and whether ``ops`` is parametrized over
    both ``[reference, cpu]``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    called = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
              and isinstance(node.value, ast.Name) and node.value.id == "ops"}
    both_backends = any(
        isinstance(node, ast.Call) and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)
        and node.args[0].value == "ops" and isinstance(node.args[1], (ast.List, ast.Tuple))
        and {getattr(e, "id", None) for e in node.args[1].elts} == {"reference", "cpu"}
        for node in ast.walk(tree))
    return called, both_backends


def test_every_shared_op_has_a_case():
    missing = [name for name in SHARED_OPS if name not in OP_ARGS]
    conv_shared = [name for name in SHARED_OPS if name in CONV_OPS]
    called, both_backends = conv_test_coverage()
    assert conv_shared, "the conv/pool ops are missing from cpu.py or reference.py"
    assert both_backends, f"{CONV_TESTS.name} must run its cases on ops = reference and cpu"
    untested = [name for name in conv_shared if name not in called]
    assert not untested, (f"the shared conv/pool ops {untested} are skipped by test_cpu_op_equals_reference "
                          f"but never called as ops.<name> in {CONV_TESTS.name}")
    assert not missing, f"add input cases to OP_ARGS for the ops {missing} (defined by cpu.py and reference.py)"
    assert {"dense_forward", "relu_backward", "softmax_forward",
            "sparse_crossentropy_from_probs"} <= set(SHARED_OPS)


@pytest.mark.parametrize("name", [n for n in SHARED_OPS if n not in CONV_OPS])  # conv: test_conv_ops.py
def test_cpu_op_equals_reference(name):
    if name not in OP_ARGS:
        pytest.fail(f"no input case for {name}: add one to OP_ARGS")
    ref_args = OP_ARGS[name](ref, np.random.default_rng(11))
    cpu_args = OP_ARGS[name](cpu, np.random.default_rng(11))
    ref_args, cpu_args = copy.deepcopy(ref_args), copy.deepcopy(cpu_args)
    theirs = getattr(ref, name)(*ref_args)
    ours = getattr(cpu, name)(*cpu_args)
    if name in RETURNS_OUTPUT_AND_CACHE:  # the same cache keys, holding the same values, on both backends
        assert sorted(ours[1]) == sorted(theirs[1]), f"{name}: cache keys differ"
    assert_same(ours, theirs, f"{name} result")
    for i, (a, b) in enumerate(zip(cpu_args, ref_args)):  # no op may change its inputs differently
        if isinstance(b, np.ndarray):
            assert_same(a, b, f"{name} argument {i} after the call")
