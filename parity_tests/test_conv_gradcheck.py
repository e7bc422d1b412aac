"""Conv2D / MaxPooling2D ops without Keras: float64 numerical gradients, cpu vs reference, padding helpers.

These oracles do not import TensorFlow, so they run on a bare NumPy + Numba install.
"""
import numpy as np
import pytest

from parity_tests import tolerances as tol
from scratch.gradcheck import check_gradient
from scratch.engine import cpu
from scratch.ops import reference
from scratch.ops.padding import conv_output_length, normalize_tuple, same_padding

# Conv and max-pool are piecewise linear in every input, so centred differences have no
# truncation error: a larger step than gradcheck's default only cuts the rounding noise.
STEP = 1e-5


# ----------------------------------------------------------------------------- numerical gradients
# (x shape (B, H, W, C), kernel (kh, kw), filters, strides, padding, dilation)
CONV_GRADCHECK_CASES = [
    ((2, 5, 4, 2), (3, 2), 3, (1, 1), "valid", (1, 1)),
    ((2, 5, 4, 2), (3, 2), 3, (1, 1), "same", (1, 1)),
    ((1, 6, 5, 2), (3, 3), 2, (2, 1), "same", (1, 1)),
    ((1, 6, 6, 1), (2, 2), 2, (2, 2), "valid", (1, 1)),
    ((1, 6, 5, 2), (2, 3), 2, (1, 1), "same", (2, 2)),
]


@pytest.mark.parametrize("x_shape, kernel_size, filters, strides, padding, dilation", CONV_GRADCHECK_CASES)
def test_conv2d_reference_numerical_gradients(x_shape, kernel_size, filters, strides, padding, dilation):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape)
    kernel = rng.standard_normal(kernel_size + (x_shape[3], filters))
    bias = rng.standard_normal(filters)
    out, cache = reference.conv2d_forward(x, kernel, bias, strides, padding, dilation)
    upstream = rng.standard_normal(out.shape)
    grad_x, grad_kernel, grad_bias = reference.conv2d_backward(upstream, cache)

    def loss(_):  # the perturbed array is modified in place, so every closure sees it
        return float((reference.conv2d_forward(x, kernel, bias, strides, padding, dilation)[0] * upstream).sum())

    for name, value, analytic in (("x", x, grad_x), ("kernel", kernel, grad_kernel), ("bias", bias, grad_bias)):
        error = check_gradient(loss, value, analytic, h=STEP)
        assert error < tol.GRADCHECK_RTOL, f"grad_{name}: relative error {error:.2e}"


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv2d_winograd_numerical_gradients(padding):
    """The cpu backend's Winograd path (3x3, stride 1, 16+ channels) against float64 centred
    differences of its own forward pass: its backward is the exact adjoint."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 5, 4, 16))
    kernel, bias = rng.standard_normal((3, 3, 16, 2)), rng.standard_normal(2)
    out, cache = cpu.conv2d_forward(x, kernel, bias, 1, padding)
    assert "cols" not in cache, "expected the Winograd path"
    upstream = rng.standard_normal(out.shape)
    grad_x, grad_kernel, grad_bias = cpu.conv2d_backward(upstream, cache)

    def loss(_):
        return float((cpu.conv2d_forward(x, kernel, bias, 1, padding)[0] * upstream).sum())

    for name, value, analytic in (("x", x, grad_x), ("kernel", kernel, grad_kernel), ("bias", bias, grad_bias)):
        error = check_gradient(loss, value, analytic, h=STEP)
        assert error < tol.GRADCHECK_RTOL, f"grad_{name}: relative error {error:.2e}"


# (x shape, pool_size, strides, padding)
POOL_GRADCHECK_CASES = [
    ((2, 4, 5, 2), (2, 2), None, "valid"),
    ((1, 5, 5, 2), (3, 3), (1, 1), "same"),      # overlapping windows: gradients add up
    ((1, 7, 6, 1), (2, 3), (3, 1), "same"),
]


@pytest.mark.parametrize("x_shape, pool_size, strides, padding", POOL_GRADCHECK_CASES)
def test_maxpool2d_reference_numerical_gradients(x_shape, pool_size, strides, padding):
    rng = np.random.default_rng(2)
    # distinct values 0.01 apart: a perturbation of STEP never changes which cell is the max
    x = rng.permutation(np.prod(x_shape)).reshape(x_shape) * 0.01
    out, cache = reference.maxpool2d_forward(x, pool_size, strides, padding)
    upstream = rng.standard_normal(out.shape)
    grad_x = reference.maxpool2d_backward(upstream, cache)

    def loss(_):
        return float((reference.maxpool2d_forward(x, pool_size, strides, padding)[0] * upstream).sum())

    error = check_gradient(loss, x, grad_x, h=STEP)
    assert error < tol.GRADCHECK_RTOL, f"grad_x: relative error {error:.2e}"


# ----------------------------------------------------------------------------- cpu vs reference
def assert_backends_match(fast, slow, what):
    """cpu output ``fast`` against reference output ``slow``: same shape, dtype, values."""
    if slow is None:
        assert fast is None, f"{what}: expected None"
        return
    assert fast.shape == slow.shape, f"{what}: shape {fast.shape} != {slow.shape}"
    assert fast.dtype == slow.dtype, f"{what}: dtype {fast.dtype} != {slow.dtype}"
    # float32 sums of many terms (784 positions for a kernel gradient here) differ by rounding in
    # proportion to the array's scale, not to each element's own size: atol follows the scale
    atol = tol.BACKEND_ATOL * max(1.0, float(np.abs(slow).max()))
    np.testing.assert_allclose(fast, slow, atol=atol, rtol=tol.BACKEND_RTOL, err_msg=what)


# (x shape, kernel, filters, strides, padding, dilation, use_bias, dtype)
CONV_BACKEND_CASES = [
    ((4, 28, 28, 1), (3, 3), 8, (1, 1), "same", (1, 1), True, np.float32),    # seed conv1, smaller batch
    ((4, 14, 14, 8), (3, 3), 16, (1, 1), "same", (1, 1), True, np.float32),  # seed conv2-like
    ((3, 9, 8, 3), (2, 3), 5, (2, 1), "same", (1, 1), False, np.float32),
    ((3, 9, 8, 3), (3, 3), 4, (2, 2), "valid", (1, 1), True, np.float32),
    ((2, 10, 9, 4), (3, 2), 3, (1, 1), "same", (2, 3), True, np.float32),
    ((2, 7, 7, 2), (3, 3), 3, (1, 1), "same", (1, 1), True, np.float64),     # the fast path also runs float64
    # 3x3 stride 1 on 16+ channels: the cpu backend's Winograd F(2x2, 3x3)
    ((4, 14, 14, 32), (3, 3), 64, (1, 1), "same", (1, 1), True, np.float32),  # the seed CNN's conv2
    ((2, 7, 6, 16), (3, 3), 5, (1, 1), "same", (1, 1), False, np.float32),   # odd height: a half tile
    ((2, 8, 9, 20), (3, 3), 3, (1, 1), "valid", (1, 1), True, np.float64),
]


@pytest.mark.parametrize("x_shape, kernel_size, filters, strides, padding, dilation, use_bias, dtype",
                         CONV_BACKEND_CASES)
def test_conv2d_cpu_matches_reference(x_shape, kernel_size, filters, strides, padding, dilation, use_bias, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(x_shape).astype(dtype)
    # a kernel scaled like Keras's initialisers keeps outputs unit-scale, the scale the
    # tolerances are set for (summation-order noise grows with the output's magnitude)
    fan_in = np.prod(kernel_size) * x_shape[3]
    kernel = (rng.standard_normal(kernel_size + (x_shape[3], filters)) / np.sqrt(fan_in)).astype(dtype)
    bias = rng.standard_normal(filters).astype(dtype) if use_bias else None
    results = {}
    for ops in (reference, cpu):
        out, cache = ops.conv2d_forward(x, kernel, bias, strides, padding, dilation)
        upstream = np.random.default_rng(4).standard_normal(out.shape).astype(dtype)
        results[ops] = (out,) + ops.conv2d_backward(upstream, cache)
        # the first layer needs no input gradient: same weight gradients without it
        grad_x, grad_kernel, grad_bias = ops.conv2d_backward(upstream, cache, compute_grad_x=False)
        assert grad_x is None
        np.testing.assert_array_equal(grad_kernel, results[ops][2])
    for what, fast, slow in zip(("out", "grad_x", "grad_kernel", "grad_bias"), results[cpu], results[reference]):
        assert_backends_match(fast, slow, what)


# (x shape, pool_size, strides, padding)
POOL_BACKEND_CASES = [
    ((4, 28, 28, 8), (2, 2), None, "valid"),    # seed pool1, smaller batch
    ((3, 7, 7, 5), (2, 2), None, "same"),
    ((3, 7, 8, 3), (3, 3), (1, 1), "same"),
    ((2, 9, 8, 3), (2, 3), (3, 1), "valid"),
]


@pytest.mark.parametrize("x_shape, pool_size, strides, padding", POOL_BACKEND_CASES)
@pytest.mark.parametrize("values", ["normal", "ties"])
def test_maxpool2d_cpu_matches_reference(x_shape, pool_size, strides, padding, values):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(x_shape) if values == "normal" else rng.integers(0, 3, x_shape)).astype(np.float32)
    outs = {}
    for ops in (reference, cpu):
        out, cache = ops.maxpool2d_forward(x, pool_size, strides, padding)
        upstream = np.random.default_rng(6).standard_normal(out.shape).astype(np.float32)
        outs[ops] = (out, ops.maxpool2d_backward(upstream, cache))
    # routing is discrete: a wrong cell is an O(1) error, never a rounding difference
    for what, fast, slow in zip(("out", "grad_x"), outs[cpu], outs[reference]):
        assert_backends_match(fast, slow, what)


# ----------------------------------------------------------------------------- padding helpers
def test_same_padding_puts_the_odd_cell_at_the_bottom_right():
    assert same_padding(28, 3, 2) == (0, 1)          # TF's SAME: (14 − 1)·2 + 3 − 28 = 1, at the end
    assert same_padding(8, 2, 1) == (0, 1)           # even kernel, stride 1
    assert same_padding(7, 3, 2) == (1, 1)
    assert same_padding(6, 3, 1, dilation=2) == (2, 2)
    assert same_padding(5, 1, 2) == (0, 0)           # never negative
    assert conv_output_length(7, 3, 2, "same") == 4 and conv_output_length(7, 3, 2, "valid") == 3
    assert conv_output_length(7, 3, 1, "valid", dilation=2) == 3


def test_normalize_tuple_and_its_errors():
    assert normalize_tuple(3, "kernel_size") == (3, 3)
    assert normalize_tuple([2, 1], "strides") == (2, 1)
    assert normalize_tuple(np.int64(2), "pool_size") == (2, 2)
    with pytest.raises(ValueError, match=r"strides: expected positive integers, received \(2, 0\)"):
        normalize_tuple((2, 0), "strides")
    with pytest.raises(ValueError, match="kernel_size.*received -1"):
        normalize_tuple(-1, "kernel_size")
    for bad in (2.0, "2", (1, 2, 3), (1.5, 2), True, None):
        with pytest.raises(TypeError, match="pool_size: expected an int or a tuple of 2 ints, received"):
            normalize_tuple(bad, "pool_size")


@pytest.mark.parametrize("ops", [reference, cpu], ids=["reference", "cpu"])
def test_window_larger_than_input_is_a_clear_error(ops):
    x = np.zeros((1, 2, 2, 1), np.float32)
    with pytest.raises(ValueError, match="output size would be"):
        ops.conv2d_forward(x, np.zeros((3, 3, 1, 1), np.float32), None, (1, 1), "valid", (1, 1))
    with pytest.raises(ValueError, match="output size would be"):
        ops.maxpool2d_forward(x, (3, 3), None, "valid")
    with pytest.raises(ValueError, match="padding: expected one of"):
        ops.maxpool2d_forward(x, (2, 2), None, "full")


# ----------------------------------------------------------------------------- AveragePooling2D / global pooling
@pytest.mark.parametrize("x_shape, pool_size, strides, padding", POOL_GRADCHECK_CASES + [((1, 2, 3, 2), (3, 3), (2, 2), "same")])
def test_avgpool2d_reference_numerical_gradients(x_shape, pool_size, strides, padding):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(x_shape)
    out, cache = reference.avgpool2d_forward(x, pool_size, strides, padding)
    upstream = rng.standard_normal(out.shape)
    grad_x = reference.avgpool2d_backward(upstream, cache)
    assert grad_x.dtype == np.float64

    def loss(_):
        return float((reference.avgpool2d_forward(x, pool_size, strides, padding)[0] * upstream).sum())

    error = check_gradient(loss, x, grad_x, h=STEP)
    assert error < tol.GRADCHECK_RTOL, f"grad_x: relative error {error:.2e}"


def test_global_pooling_reference_numerical_gradients():
    rng = np.random.default_rng(4)
    x = rng.permutation(2 * 4 * 5 * 3).reshape(2, 4, 5, 3) * 0.01    # distinct: one maximum each
    upstream = rng.standard_normal((2, 3))
    grad_avg = reference.global_avgpool2d_backward(upstream, x.shape)
    out = reference.global_maxpool2d_forward(x)
    grad_max = reference.global_maxpool2d_backward(upstream, x, out)
    for name, forward, analytic in (("avg", reference.global_avgpool2d_forward, grad_avg),
                                    ("max", reference.global_maxpool2d_forward, grad_max)):
        error = check_gradient(lambda _: float((forward(x) * upstream).sum()), x, analytic, h=STEP)
        assert error < tol.GRADCHECK_RTOL, f"global {name} grad_x: relative error {error:.2e}"


@pytest.mark.parametrize("x_shape, pool_size, strides, padding", POOL_BACKEND_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avgpool2d_cpu_matches_reference(x_shape, pool_size, strides, padding, dtype):
    x = np.random.default_rng(5).standard_normal(x_shape).astype(dtype)
    outs = {}
    for ops in (reference, cpu):
        out, cache = ops.avgpool2d_forward(x, pool_size, strides, padding)
        upstream = np.random.default_rng(6).standard_normal(out.shape).astype(dtype)
        outs[ops] = (out, ops.avgpool2d_backward(upstream, cache))
    for what, fast, slow in zip(("out", "grad_x"), outs[cpu], outs[reference]):
        assert_backends_match(fast, slow, what)
