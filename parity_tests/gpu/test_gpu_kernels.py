"""The kernels no op test reaches on every machine, launched directly: the shared-memory tiled
matrix product (the ops use it on a GPU, the simple kernel in the simulator), the tree
reduction, and the SGD updates over flat buffers (``scratch/engine/gpu/trainer.py`` uses them).
Truths: NumPy's product and sum, and ``scratch.optimizers.SGD``'s own update rule.
"""
import numpy as np
import pytest
from numba import cuda

from parity_tests import tolerances as tol
from scratch import optimizers
from scratch.engine.gpu import device, ops
from scratch.engine.gpu.kernels import matmul, optimizers as optimizer_kernels
from scratch.variable import Variable


def normal(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# (M, inner, N, transpose_a, transpose_b, bias): out (M, N); the shapes cross tile edges
PRODUCT_CASES = [(5, 7, 3, False, False, True), (3, 33, 2, False, True, False),
                 (17, 4, 3, True, False, True), (2, 5, 18, True, True, False)]


@pytest.mark.parametrize("kernel", ["matmul_tiled", "matmul_simple"])
@pytest.mark.parametrize("m, inner, n, transpose_a, transpose_b, use_bias", PRODUCT_CASES)
def test_matrix_product_kernels_match_numpy(kernel, m, inner, n, transpose_a, transpose_b, use_bias):
    a = normal(inner, m) if transpose_a else normal(m, inner)
    b = normal(n, inner, seed=1) if transpose_b else normal(inner, n, seed=1)
    bias = normal(n, seed=2) if use_bias else np.zeros(1, np.float32)
    expected = (a.T if transpose_a else a) @ (b.T if transpose_b else b) + (bias if use_bias else 0)
    out = cuda.device_array((m, n), np.float32)
    args = (cuda.to_device(a), cuda.to_device(b), cuda.to_device(bias), out, inner, transpose_a, transpose_b,
            use_bias)
    if kernel == "matmul_tiled":
        grid = ((n + matmul.TILE - 1) // matmul.TILE, (m + matmul.TILE - 1) // matmul.TILE)
        matmul.matmul_tiled[grid, (matmul.TILE, matmul.TILE)](*args)
    else:
        matmul.matmul_simple[device.grid_1d(m * n)](*args)
    np.testing.assert_allclose(out.copy_to_host(), expected, atol=tol.BACKEND_ATOL, rtol=tol.BACKEND_RTOL)


@pytest.mark.parametrize("size", [1, 7, 300])
def test_tree_reduction_sums_every_element_once(size):
    x = normal(size)
    np.testing.assert_allclose(ops.total(x).copy_to_host()[0], x.sum(dtype=np.float64), atol=tol.BACKEND_ATOL,
                               rtol=tol.BACKEND_RTOL)


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_kernels_follow_the_optimizer_rule(momentum, nesterov):
    """Three steps over one flat buffer against ``SGD.update_step`` on the same gradients."""
    reference_optimizer = optimizers.SGD(learning_rate=0.1, momentum=momentum, nesterov=nesterov)
    variable = Variable(normal(12))
    w, m = cuda.to_device(variable.value.copy()), cuda.to_device(np.zeros(12, np.float32))
    for step in range(3):
        grad = normal(12, seed=step + 1)
        reference_optimizer.apply_gradients([(grad, variable)])
        g = cuda.to_device(grad)
        if momentum == 0:
            optimizer_kernels.sgd[device.grid_1d(12)](w, g, np.float32(0.1))
        else:
            optimizer_kernels.sgd_momentum[device.grid_1d(12)](w, g, m, np.float32(0.1), np.float32(momentum),
                                                               nesterov)
    np.testing.assert_allclose(w.copy_to_host(), variable.value, atol=tol.OPTIMIZER_ATOL, rtol=0)


def test_launches_are_counted():
    """One element-wise op is one launch; Dense's backward with a bias is three (two products,
    one column sum): the counter the trainer's launch count is read from."""
    before = device.launches
    ops.relu_forward(normal(4))
    assert device.launches - before == 1
    before = device.launches
    ops.dense_backward(normal(4, 3), normal(4, 5, seed=1), normal(5, 3, seed=2))
    assert device.launches - before == 3
