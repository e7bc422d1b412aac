"""The device trainer's fused kernels (``scratch/engine/gpu/kernels/fused.py``) launched directly,
against the reference ops they stand for: each one's product, then the ReLU and Dropout epilogue
it folds in. The shared-memory tiled forms (what a GPU runs; the simulator runs the simple ones
in training) are checked here on shapes that cross tile edges. Training parity
(``test_gpu_trainer.py``) covers them again inside whole steps.
"""
import numpy as np
import pytest
from numba import cuda

from parity_tests import tolerances as tol
from scratch.engine.gpu import device
from scratch.engine.gpu.kernels import fused
from scratch.engine.gpu.kernels.matmul import TILE
from scratch.ops import reference
from scratch.ops.reference import spatial_padding

F32 = np.float32


def normal(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(F32)


def keep_mask(shape, seed=9):
    return np.random.default_rng(seed).random(shape) >= 0.4


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, atol=tol.BACKEND_ATOL, rtol=tol.BACKEND_RTOL)


FORWARDS = {"simple": fused.dense_forward, "tiled": fused.dense_forward_tiled}
WEIGHT_GRADIENTS = {"simple": fused.dense_weight_gradient, "tiled": fused.dense_weight_gradient_tiled}


def run_product(form, kernels, out_shape, *args):
    rows, cols = out_shape
    if form == "tiled":
        kernels[form][((cols + TILE - 1) // TILE, (rows + TILE - 1) // TILE), (TILE, TILE)](*args)
    else:
        kernels[form][device.grid_1d(rows * cols)](*args)


@pytest.mark.parametrize("form", ["simple", "tiled"])
@pytest.mark.parametrize("relu, dropout", [(True, True), (False, False)])
def test_dense_forward_is_product_bias_relu_and_dropout(form, relu, dropout):
    rows, inner, units = 18, 20, 3           # crosses a 16-wide tile edge in rows and inner
    x, kernel, bias = normal(rows, inner), normal(inner, units, seed=1), normal(units, seed=2)
    keep, scale = keep_mask((rows, units)), F32(1 / 0.6)
    z = reference.dense_forward(x, kernel, bias)
    expected = reference.relu_forward(z) if relu else z
    if dropout:
        expected = reference.dropout_forward(expected, keep, scale)
    y = cuda.device_array((rows, units), F32)
    mask = cuda.to_device(keep) if dropout else cuda.to_device(np.zeros((1, 1), np.bool_))
    run_product(form, FORWARDS, (rows, units), cuda.to_device(x), cuda.to_device(np.vstack([kernel, bias])), y,
                relu, mask, scale, dropout)
    close(y.copy_to_host(), expected)


@pytest.mark.parametrize("form", ["simple", "tiled"])
def test_weight_gradient_is_kernel_and_bias_gradient_in_one_product(form):
    rows, inner, units = 19, 4, 17
    x, grad_z = normal(rows, inner), normal(rows, units, seed=1)
    _, grad_kernel, grad_bias = reference.dense_backward(grad_z, x, normal(inner, units, seed=2))
    grad_w = cuda.device_array((inner + 1, units), F32)
    run_product(form, WEIGHT_GRADIENTS, (inner + 1, units), cuda.to_device(x), cuda.to_device(grad_z), grad_w)
    close(grad_w.copy_to_host(), np.vstack([grad_kernel, grad_bias]))


def test_split_weight_gradient_adds_chunks_of_rows_up_to_the_same_gradient():
    rows, inner, units = 40, 3, 5              # chunks of 16 rows: 16, 16, 8
    x, grad_z = normal(rows, inner), normal(rows, units, seed=1)
    _, grad_kernel, grad_bias = reference.dense_backward(grad_z, x, normal(inner, units, seed=2))
    grad_w = cuda.to_device(np.zeros((inner + 1, units), F32))
    fused.dense_weight_gradient_split[device.grid_1d(3 * grad_w.size)](cuda.to_device(x), cuda.to_device(grad_z),
                                                                        grad_w, 16)
    close(grad_w.copy_to_host(), np.vstack([grad_kernel, grad_bias]))


def back_through(grad, y_below, keep, scale):
    """The reference's way back through a ReLU then a Dropout (what ``fused._back_through`` does)."""
    return reference.relu_backward(reference.dropout_backward(grad, keep, scale), y_below)


def test_dense_input_gradient_goes_back_through_the_dropout_and_relu_below():
    batch, inner, units = 5, 7, 3
    grad_z, kernel = normal(batch, units), normal(inner, units, seed=1)
    keep, scale = keep_mask((batch, inner)), F32(1 / 0.6)
    y_below = reference.dropout_forward(reference.relu_forward(normal(batch, inner, seed=3)), keep, scale)
    grad_x, _, _ = reference.dense_backward(grad_z, normal(batch, inner), kernel)
    out = cuda.device_array((batch, inner), F32)
    fused.dense_input_gradient[device.grid_1d(out.size)](
        cuda.to_device(grad_z), cuda.to_device(np.vstack([kernel, normal(1, units)])), cuda.to_device(y_below),
        cuda.to_device(keep), scale, True, True, out)
    close(out.copy_to_host(), back_through(grad_x, y_below, keep, scale))


# (input (B, H, W, C), kernel size, filters, strides, padding, dilation)
CONV_CASES = [((2, 5, 5, 2), 3, 3, 1, "same", 1), ((1, 7, 6, 2), 3, 2, 2, "valid", 1),
              ((1, 6, 6, 1), 2, 2, 1, "same", 2)]


@pytest.mark.parametrize("x_shape, size, filters, strides, padding, dilation", CONV_CASES)
def test_conv_input_gradient_is_col2im_of_the_product_back_through_below(x_shape, size, filters, strides, padding,
                                                                          dilation):
    x, kernel = normal(*x_shape), normal(size, size, x_shape[3], filters, seed=1)
    z, cache = reference.conv2d_forward(x, kernel, None, (strides,) * 2, padding, (dilation,) * 2)
    grad_z = normal(*z.shape, seed=2)
    grad_x, _, _ = reference.conv2d_backward(grad_z, cache)
    keep, scale = keep_mask((x_shape[0], int(np.prod(x_shape[1:])))), F32(2.0)
    y_below = reference.dropout_forward(reference.relu_forward(x.reshape(len(x), -1)), keep, scale)
    (_, _), pads = spatial_padding(x_shape[1], x_shape[2], (size, size), (strides,) * 2, padding, (dilation,) * 2)
    w = np.vstack([kernel.reshape(-1, filters), normal(1, filters)])
    out = cuda.device_array(x_shape, F32)
    fused.conv_input_gradient[device.grid_1d(out.size)](
        cuda.to_device(grad_z), cuda.to_device(w), size, size, strides, strides, dilation, dilation, pads[0][0],
        pads[1][0], cuda.to_device(y_below), cuda.to_device(keep), scale, True, True, out)
    close(out.copy_to_host(), back_through(grad_x.reshape(len(x), -1), y_below, keep, scale).reshape(x_shape))


@pytest.mark.parametrize("pool, strides, padding", [(2, 2, "valid"), (3, 2, "same")])
def test_maxpool_backward_gathers_to_the_argmax_back_through_the_relu_below(pool, strides, padding):
    x = reference.relu_forward(normal(2, 5, 5, 2))     # ReLU zeros: ties, the first one wins
    out, cache = reference.maxpool2d_forward(x, (pool,) * 2, (strides,) * 2, padding)
    grad_out = normal(*out.shape, seed=1)
    grad_x = reference.maxpool2d_backward(grad_out, cache)
    (_, _), pads = spatial_padding(5, 5, (pool,) * 2, (strides,) * 2, padding)
    result = cuda.device_array(x.shape, F32)
    fused.maxpool_backward[device.grid_1d(result.size)](
        cuda.to_device(grad_out), cuda.to_device(cache["argmax"].astype(np.int32)), pool, pool, strides, strides,
        pads[0][0], pads[1][0], cuda.to_device(x.reshape(2, -1)), cuda.to_device(np.zeros((1, 1), np.bool_)),
        F32(1), True, False, result)
    close(result.copy_to_host(), reference.relu_backward(grad_x, x))
