"""Conv2D and MaxPooling2D ops (reference and cpu) against TensorFlow's own ops.

One helper per op runs the same computation in TensorFlow (inside a GradientTape, with a random
upstream gradient) and in the scratch op, and compares shape, dtype, forward values and every
gradient; the tables below are the cases. For padding "same" TensorFlow's own split (extra
row/column at the bottom/right) is what Keras uses (keras/src/backend/tensorflow/nn.py, ``conv`` and
``max_pool``, pass ``padding.upper()`` to ``tf.nn.convolution`` / ``tf.nn.max_pool``), so TF's op is
the truth.
"""
import numpy as np
import pytest

from parity_tests import tolerances as tol
from parity_tests.keras_available import tf
from scratch.engine import cpu
from scratch.ops import reference
from scratch.ops.padding import conv_output_length, normalize_tuple, same_padding

BACKENDS = pytest.mark.parametrize("ops", [reference, cpu], ids=["reference", "cpu"])


def assert_close(actual, expected, atol, rtol, what):
    """Shape, dtype and values of a scratch result against TensorFlow's."""
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, TensorFlow {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, TensorFlow {expected.dtype}"
    np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol, err_msg=what)


def compare_conv2d(ops, x, kernel, bias, strides, padding, dilation, seed=0):
    """conv2d forward + backward of ``ops`` against tf.nn.convolution (+ bias) under a GradientTape."""
    x_t, kernel_t = tf.constant(x), tf.constant(kernel)
    bias_t = tf.constant(bias if bias is not None else np.zeros(kernel.shape[-1], x.dtype))
    with tf.GradientTape() as tape:
        tape.watch([x_t, kernel_t, bias_t])
        y_t = tf.nn.convolution(x_t, kernel_t, strides=strides, padding=padding.upper(), dilations=dilation) + bias_t
    upstream = np.random.default_rng(seed).standard_normal(y_t.shape).astype(x.dtype)
    grads_t = tape.gradient(y_t, [x_t, kernel_t, bias_t], output_gradients=tf.constant(upstream))

    out, cache = ops.conv2d_forward(x, kernel, bias, strides, padding, dilation)
    assert_close(out, y_t, tol.FORWARD_ATOL, tol.FORWARD_RTOL, "conv2d forward")
    grad_x, grad_kernel, grad_bias = ops.conv2d_backward(upstream, cache)
    assert_close(grad_x, grads_t[0], tol.GRAD_ATOL, tol.GRAD_RTOL, "grad_x")
    assert_close(grad_kernel, grads_t[1], tol.GRAD_ATOL, tol.GRAD_RTOL, "grad_kernel")
    if bias is None:
        assert grad_bias is None, "grad_bias: expected None without a bias"
    else:
        assert_close(grad_bias, grads_t[2], tol.GRAD_ATOL, tol.GRAD_RTOL, "grad_bias")


def compare_pool2d(kind, ops, x, pool_size, strides, padding, seed=0):
    """``kind`` ("max" or "avg") pool2d forward + backward of ``ops`` against tf.nn.max_pool2d /
    tf.nn.avg_pool2d (what Keras's MaxPooling2D / AveragePooling2D call) under a GradientTape;
    "same" average pooling averages only the cells inside."""
    pool = normalize_tuple(pool_size, "pool_size")
    tf_pool, forward, backward = {"max": (tf.nn.max_pool2d, ops.maxpool2d_forward, ops.maxpool2d_backward),
                                  "avg": (tf.nn.avg_pool2d, ops.avgpool2d_forward, ops.avgpool2d_backward)}[kind]
    x_t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_t)
        y_t = tf_pool(x_t, pool, pool if strides is None else strides, padding.upper())
    upstream = np.random.default_rng(seed).standard_normal(y_t.shape).astype(x.dtype)
    grad_t = tape.gradient(y_t, x_t, output_gradients=tf.constant(upstream))

    out, cache = forward(x, pool_size, strides, padding)
    assert_close(out, y_t, tol.FORWARD_ATOL, tol.FORWARD_RTOL, f"{kind}pool2d forward")
    assert_close(backward(upstream, cache), grad_t, tol.GRAD_ATOL, tol.GRAD_RTOL, "grad_x")


# ----------------------------------------------------------------------------- Conv2D table
# (x shape (B, H, W, C), kernel_size, filters, strides, padding, dilation, use_bias)
# TensorFlow (and Keras) refuse strides > 1 together with dilation > 1.
CONV_CASES = [
    ((2, 5, 5, 1), 1, 2, 1, "valid", 1, True),
    ((2, 5, 5, 3), 3, 4, 1, "valid", 1, True),
    ((2, 5, 5, 3), 3, 4, 1, "same", 1, False),
    ((2, 6, 6, 3), 2, 3, 1, "same", 1, True),              # even kernel: pad (0, 1)
    ((2, 6, 7, 4), 2, 2, 1, "valid", 1, False),
    ((2, 7, 7, 4), 3, 2, 2, "same", 1, True),              # odd size, stride 2: pad (1, 1)
    ((2, 8, 8, 4), 3, 2, 2, "same", 1, True),              # even size, stride 2: pad (0, 1)
    ((2, 8, 8, 1), 3, 3, 2, "valid", 1, False),
    ((2, 7, 6, 3), (2, 3), 4, (2, 1), "same", 1, True),
    ((2, 7, 6, 3), (2, 3), 4, (2, 1), "valid", 1, True),
    ((2, 6, 5, 3), (2, 3), 2, (2, 1), "same", 1, False),
    ((2, 6, 7, 1), (3, 1), 2, 1, "same", 1, True),
    ((2, 6, 7, 4), (3, 1), 2, (2, 1), "valid", 1, False),
    ((2, 5, 7, 3), 2, 2, 2, "valid", 1, True),
    ((2, 5, 8, 3), 2, 2, 2, "same", 1, True),
    ((2, 7, 7, 3), 1, 4, 2, "same", 1, True),
    ((2, 5, 5, 3), 2, 2, (1, 2), "same", 1, True),
    ((2, 9, 9, 2), 3, 3, 2, "same", 1, False),
    ((2, 7, 8, 3), 3, 2, 1, "same", 2, True),              # dilation: effective kernel 5
    ((2, 8, 7, 3), 3, 2, 1, "valid", 2, True),
    ((2, 6, 6, 1), 2, 3, 1, "same", 2, False),             # even kernel, dilated to an effective 3
    ((2, 5, 8, 4), (2, 3), 3, 1, "same", (2, 1), True),
    ((2, 8, 6, 4), (3, 1), 2, 1, "valid", (2, 1), False),
    ((1, 28, 28, 1), 3, 8, 1, "same", 1, True),            # the seed CNN's conv1, fewer filters
    ((2, 14, 14, 8), 3, 6, 1, "same", 1, True),            # the seed CNN's conv2, fewer channels
    ((2, 7, 6, 16), 3, 5, 1, "same", 1, True),             # 16+ channels: the cpu backend's Winograd
    ((2, 8, 9, 32), 3, 4, 1, "valid", 1, False),
]


@BACKENDS
@pytest.mark.parametrize("x_shape, kernel_size, filters, strides, padding, dilation, use_bias", CONV_CASES)
def test_conv2d_matches_tensorflow(ops, x_shape, kernel_size, filters, strides, padding, dilation, use_bias):
    rng = np.random.default_rng(10)
    kernel_size, strides, dilation = (normalize_tuple(v, "arg") for v in (kernel_size, strides, dilation))
    x = rng.standard_normal(x_shape).astype(np.float32)
    kernel = rng.standard_normal(kernel_size + (x_shape[3], filters)).astype(np.float32)
    bias = rng.standard_normal(filters).astype(np.float32) if use_bias else None
    compare_conv2d(ops, x, kernel, bias, strides, padding, dilation)


# ----------------------------------------------------------------------------- MaxPooling2D table
# (x shape, pool_size, strides (None = pool_size), padding)
POOL_CASES = [
    ((2, 4, 4, 3), 2, None, "valid"),
    ((2, 5, 5, 3), 2, None, "valid"),          # odd size: the last row/column is dropped
    ((2, 5, 5, 3), 2, None, "same"),
    ((2, 6, 7, 2), 3, None, "same"),
    ((2, 7, 7, 2), 3, 1, "valid"),             # overlapping windows
    ((2, 6, 6, 2), 3, 1, "same"),
    ((2, 7, 7, 2), 2, 1, "same"),
    ((2, 6, 6, 2), 3, 2, "same"),
    ((2, 8, 8, 3), 3, 2, "valid"),
    ((2, 7, 6, 2), (2, 3), None, "same"),
    ((2, 7, 8, 2), (2, 3), (3, 1), "same"),
    ((2, 8, 7, 2), (2, 3), (3, 1), "valid"),
    ((2, 28, 28, 4), 2, None, "valid"),        # the seed CNN's pool1, fewer channels
]


@BACKENDS
@pytest.mark.parametrize("x_shape, pool_size, strides, padding", POOL_CASES)
@pytest.mark.parametrize("values", ["normal", "ties"])
def test_maxpool2d_matches_tensorflow(ops, x_shape, pool_size, strides, padding, values):
    rng = np.random.default_rng(11)
    # "ties": values in {0, 1, 2} make most windows hold several maxima (first-max routing)
    x = rng.standard_normal(x_shape) if values == "normal" else rng.integers(0, 3, x_shape)
    compare_pool2d("max", ops, x.astype(np.float32), pool_size, strides, padding)


@BACKENDS
def test_maxpool2d_ties_route_to_the_first_maximum(ops):
    # TF's MaxPoolGrad routes to the first maximum in row-major order: window [[0, 2], [2, 2]] to the
    # top-right 2; all equal -> top-left
    x = np.array([[0, 2, 5, 5], [2, 2, 5, 5]], np.float32).reshape(1, 2, 4, 1)
    out, cache = ops.maxpool2d_forward(x, (2, 2), None, "valid")
    np.testing.assert_array_equal(out.reshape(-1), [2, 5])
    grad_x = ops.maxpool2d_backward(np.array([1, 10], np.float32).reshape(1, 1, 2, 1), cache)
    expected = np.array([[0, 1, 10, 0], [0, 0, 0, 0]], np.float32).reshape(1, 2, 4, 1)
    np.testing.assert_array_equal(grad_x, expected)
    compare_pool2d("max", ops, x, (2, 2), None, "valid")   # and TensorFlow agrees


# ----------------------------------------------------------------------------- output sizes
def test_output_sizes_and_same_padding_match_tensorflow():
    rng = np.random.default_rng(12)
    for n in range(1, 10):
        for k in range(1, 5):
            for s in (1, 2, 3):
                for d in ((1, 2) if s == 1 else (1,)):
                    for padding in ("valid", "same"):
                        where = f"n={n} k={k} s={s} d={d} {padding}"
                        expected = conv_output_length(n, k, s, padding, d)
                        x = rng.standard_normal((1, n, n, 1)).astype(np.float32)
                        kernel = rng.standard_normal((k, k, 1, 1)).astype(np.float32)
                        if expected <= 0:
                            with pytest.raises(ValueError):
                                reference.conv2d_forward(x, kernel, None, s, padding, d)
                            continue
                        y = tf.nn.convolution(x, kernel, strides=s, padding=padding.upper(), dilations=d)
                        assert y.shape[1:3] == (expected, expected), where
                        if padding == "same":   # the split itself: values of a conv built on same_padding
                            out, _ = reference.conv2d_forward(x, kernel, None, s, padding, d)
                            np.testing.assert_allclose(out, y, atol=tol.FORWARD_ATOL, err_msg=where)
                            before, after = same_padding(n, k, s, d)
                            assert after - before in (0, 1), where
                        if d == 1:   # pooling uses the same formulas
                            pooled = tf.nn.max_pool2d(x, k, s, padding.upper())
                            assert pooled.shape[1:3] == (expected, expected), where + " (pool)"


# ----------------------------------------------------------------------------- AveragePooling2D / global pooling
@BACKENDS
@pytest.mark.parametrize("x_shape, pool_size, strides, padding", [
    ((2, 8, 8, 3), (2, 2), None, "valid"),
    ((2, 7, 7, 2), (2, 2), None, "same"),        # odd size: the last window holds 2 (or 1) cells
    ((1, 5, 6, 2), (3, 3), (1, 1), "same"),      # overlapping, corners divide by 4
    ((2, 7, 6, 1), (3, 2), (2, 1), "valid"),
    ((1, 2, 2, 1), (3, 3), (2, 2), "same"),      # a window larger than the image
])
def test_avgpool2d_matches_tensorflow(ops, x_shape, pool_size, strides, padding):
    x = np.random.default_rng(4).standard_normal(x_shape).astype(np.float32)
    compare_pool2d("avg", ops, x, pool_size, strides, padding)


@BACKENDS
@pytest.mark.parametrize("values", ["normal", "ties"])
def test_global_pooling_matches_tensorflow(ops, values):
    """tf.reduce_mean / tf.reduce_max over (1, 2), what Keras's global poolings call (ops.mean,
    ops.max); reduce_max's gradient shares each output's gradient among tied maxima."""
    rng = np.random.default_rng(7)
    shape = (3, 5, 4, 6)
    x = (rng.standard_normal(shape) if values == "normal" else rng.integers(0, 2, shape)).astype(np.float32)
    x_t = tf.constant(x)
    upstream = rng.standard_normal((3, 6)).astype(np.float32)
    for forward, backward, tf_op in (
            (ops.global_avgpool2d_forward, lambda g, out: ops.global_avgpool2d_backward(g, x.shape), tf.reduce_mean),
            (ops.global_maxpool2d_forward, lambda g, out: ops.global_maxpool2d_backward(g, x, out), tf.reduce_max)):
        with tf.GradientTape() as tape:
            tape.watch(x_t)
            y_t = tf_op(x_t, axis=(1, 2))
        grad_t = tape.gradient(y_t, x_t, output_gradients=tf.constant(upstream))
        out = forward(x)
        assert_close(out, y_t, tol.FORWARD_ATOL, tol.FORWARD_RTOL, f"{tf_op.__name__} forward")
        assert_close(backward(upstream, out), grad_t, tol.GRAD_ATOL, tol.GRAD_RTOL, f"{tf_op.__name__} grad_x")
