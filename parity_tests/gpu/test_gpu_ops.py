"""Every op of the gpu backend against its twin in ``scratch.ops.reference``: forward values,
gradients and caches, on NumPy inputs (what the layers pass) and on device arrays.

One helper compares a result with the reference's (type, dtype, shape, values within the
backends' float32 tolerance); the tables below are the cases. Shapes are tiny: under Numba's
CUDA simulator each GPU thread is a Python thread.
"""
import inspect

import numpy as np
import pytest
from numba import cuda

from parity_tests import tolerances as tol
from scratch.engine import cpu
from scratch.engine.gpu import device
from scratch.engine.gpu import ops as gpu
from scratch.engine.gpu.kernels import matmul
from scratch.ops import reference


def public_functions(module):
    return {name for name, value in vars(module).items()
            if inspect.isfunction(value) and not name.startswith("_")}


def test_every_op_of_the_cpu_backend_is_here_with_its_signature():
    """The backends' contract: the ops the layers may call (the reference's functions that the
    cpu backend has too) exist in the gpu backend under the same names and signatures."""
    for name in sorted(public_functions(cpu) & public_functions(reference)):
        assert hasattr(gpu, name), f"the gpu backend lacks the op {name}"
        assert inspect.signature(getattr(gpu, name)) == inspect.signature(getattr(reference, name)), name
    assert inspect.signature(gpu.adam_update) == inspect.signature(cpu.adam_update)


def assert_same(actual, expected, what):
    """A gpu result (NumPy, float32 for float results) against the reference's (or None)."""
    if expected is None:
        assert actual is None, f"{what}: expected None, received {type(actual).__name__}"
        return
    assert isinstance(actual, np.ndarray), f"{what}: expected a NumPy array, received {type(actual).__name__}"
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, reference {expected.shape}"
    if expected.dtype.kind == "f":
        assert actual.dtype == np.float32, f"{what}: dtype {actual.dtype}, expected float32"
    np.testing.assert_allclose(actual, expected, atol=tol.BACKEND_ATOL, rtol=tol.BACKEND_RTOL, err_msg=what)


def assert_same_cache(actual, expected, what):
    """The same keys, and each value the same (arrays by value, the rest by equality)."""
    assert sorted(actual) == sorted(expected), f"{what}: cache keys {sorted(actual)}, reference {sorted(expected)}"
    for key, value in expected.items():
        if isinstance(value, np.ndarray):
            assert_same(actual[key], value, f"{what} cache[{key!r}]")
        else:
            assert actual[key] == value, f"{what} cache[{key!r}]: {actual[key]!r}, reference {value!r}"


def normal(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def compare_pair(forward, backward_args, *args, **kwargs):
    """Forward ``forward(*args)`` and, when it returns ``(out, cache)``, the backward from a
    random upstream gradient through the cache, gpu against reference."""
    expected = getattr(reference, forward)(*args, **kwargs)
    actual = getattr(gpu, forward)(*args, **kwargs)
    if not isinstance(expected, tuple):
        assert_same(actual, expected, forward)
        return
    out, cache = expected
    assert_same(actual[0], out, forward)
    assert_same_cache(actual[1], cache, forward)
    upstream = normal(*out.shape, seed=1)
    backward = forward.replace("forward", "backward")
    expected_grads = getattr(reference, backward)(upstream, cache, *backward_args)
    actual_grads = getattr(gpu, backward)(upstream, actual[1], *backward_args)
    if not isinstance(expected_grads, tuple):
        expected_grads, actual_grads = (expected_grads,), (actual_grads,)
    for i, (a, e) in enumerate(zip(actual_grads, expected_grads)):
        assert_same(a, e, f"{backward} output {i}")


# ----------------------------------------------------------------------------- Dense
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("compute_grad_x", [True, False])
def test_dense_forward_and_backward(use_bias, compute_grad_x):
    x, kernel, bias, grad_y = normal(5, 7), normal(7, 3, seed=1), normal(3, seed=2), normal(5, 3, seed=3)
    bias = bias if use_bias else None
    assert_same(gpu.dense_forward(x, kernel, bias), reference.dense_forward(x, kernel, bias), "dense_forward")
    for i, (a, e) in enumerate(zip(gpu.dense_backward(grad_y, x, kernel, use_bias, compute_grad_x),
                                   reference.dense_backward(grad_y, x, kernel, use_bias, compute_grad_x))):
        assert_same(a, e, f"dense_backward output {i}")


# ----------------------------------------------------------------------------- activations
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "linear"])
def test_activation_forward_and_backward(name):
    x = normal(3, 4, 5)
    x[0, 0, :2] = 0.0                        # relu's kink: the gradient there is 0
    y = getattr(reference, f"{name}_forward")(x)
    assert_same(getattr(gpu, f"{name}_forward")(x), y, f"{name}_forward")
    upstream = normal(3, 4, 5, seed=1)
    assert_same(getattr(gpu, f"{name}_backward")(upstream, y), getattr(reference, f"{name}_backward")(upstream, y),
                f"{name}_backward")


@pytest.mark.parametrize("options", [dict(negative_slope=0.2), dict(max_value=6.0), dict(threshold=0.5, max_value=1.0)])
def test_relu_with_keras_options(options):
    x = normal(4, 6) * 4
    upstream = normal(4, 6, seed=1)
    assert_same(gpu.relu_general_forward(x, **options), reference.relu_general_forward(x, **options), "forward")
    assert_same(gpu.relu_general_backward(upstream, x, **options),
                reference.relu_general_backward(upstream, x, **options), "backward")


@pytest.mark.parametrize("shape, axis", [((4, 10), -1), ((2, 3, 4, 5), 1), ((2, 3, 4), 0), ((2, 3, 4), (1, 2))])
def test_softmax_forward_and_backward_along_any_axis(shape, axis):
    z = normal(*shape) * 3
    p = reference.softmax_forward(z, axis)
    assert_same(gpu.softmax_forward(z, axis), p, "softmax_forward")
    upstream = normal(*shape, seed=1)
    assert_same(gpu.softmax_backward(upstream, p, axis), reference.softmax_backward(upstream, p, axis),
                "softmax_backward")


# ----------------------------------------------------------------------------- losses
def test_sparse_crossentropies_give_the_loss_and_its_gradient():
    logits, labels = normal(6, 5) * 3, np.array([0, 4, 2, 2, 1, 3])
    probs = reference.softmax_forward(logits)
    probs[0, 0], probs[1, 1] = 1.0, 0.0       # clipping active: zero gradient there
    for name, scores in (("sparse_crossentropy_from_logits", logits), ("sparse_crossentropy_from_probs", probs)):
        for i, (a, e) in enumerate(zip(getattr(gpu, name)(scores, labels), getattr(reference, name)(scores, labels))):
            assert_same(a, e, f"{name} output {i}")


def test_categorical_crossentropies_give_the_loss_and_its_gradient():
    logits = normal(6, 5) * 3
    targets = np.eye(5, dtype=np.float32)[[0, 4, 2, 2, 1, 3]]
    targets[5] = [0.1, 0.2, 0.3, 0.0, 0.4]   # soft labels
    probs = reference.softmax_forward(logits) * np.float32(1.5)   # unnormalised: renormalised inside
    probs[0, 0] = 2.0
    for name, scores in (("categorical_crossentropy_from_logits", logits),
                         ("categorical_crossentropy_from_probs", probs)):
        for i, (a, e) in enumerate(zip(getattr(gpu, name)(scores, targets), getattr(reference, name)(scores, targets))):
            assert_same(a, e, f"{name} output {i}")


# ----------------------------------------------------------------------------- Conv2D
# (x shape, kernel (kh, kw, C, F), bias, strides, padding, dilation)
CONV_CASES = [
    ((2, 5, 5, 2), (3, 3, 2, 3), True, (1, 1), "same", (1, 1)),
    ((2, 5, 5, 2), (3, 3, 2, 3), False, (1, 1), "valid", (1, 1)),
    ((1, 6, 7, 2), (2, 3, 2, 2), True, (2, 1), "same", (1, 1)),    # uneven padding (0, 1)
    ((1, 7, 7, 1), (3, 3, 1, 2), True, (1, 1), "same", (2, 2)),    # dilation: taps 2 apart
]


@pytest.mark.parametrize("x_shape, kernel_shape, use_bias, strides, padding, dilation", CONV_CASES)
def test_conv2d_forward_cache_and_backward(x_shape, kernel_shape, use_bias, strides, padding, dilation):
    x, kernel = normal(*x_shape), normal(*kernel_shape, seed=1)
    bias = normal(kernel_shape[-1], seed=2) if use_bias else None
    compare_pair("conv2d_forward", (), x, kernel, bias, strides, padding, dilation)


def test_conv2d_backward_without_the_input_gradient():
    x, kernel = normal(1, 4, 4, 2), normal(3, 3, 2, 2, seed=1)
    _, cache = reference.conv2d_forward(x, kernel, None, (1, 1), "same")
    _, gpu_cache = gpu.conv2d_forward(x, kernel, None, (1, 1), "same")
    upstream = normal(1, 4, 4, 2, seed=2)
    for i, (a, e) in enumerate(zip(gpu.conv2d_backward(upstream, gpu_cache, compute_grad_x=False),
                                   reference.conv2d_backward(upstream, cache, compute_grad_x=False))):
        assert_same(a, e, f"conv2d_backward output {i}")


# ----------------------------------------------------------------------------- pooling
# (x shape, pool_size, strides, padding); (3, 3) pools with stride 2 overlap: atomic adds
POOL_CASES = [((2, 4, 4, 3), (2, 2), None, "valid"), ((1, 5, 5, 2), (3, 3), (2, 2), "same"),
              ((1, 5, 4, 1), (2, 3), (1, 2), "valid")]


@pytest.mark.parametrize("x_shape, pool_size, strides, padding", POOL_CASES)
@pytest.mark.parametrize("kind", ["maxpool2d", "avgpool2d"])
def test_pooling_forward_cache_and_backward(kind, x_shape, pool_size, strides, padding):
    x = np.round(normal(*x_shape) * 2)    # whole numbers: ties, where the FIRST maximum wins
    compare_pair(f"{kind}_forward", (), x, pool_size, strides, padding)


def test_global_pooling_forward_and_backward_with_ties():
    x = np.round(normal(2, 3, 4, 3))      # whole numbers: the maximum is often tied
    upstream = normal(2, 3, seed=1)
    assert_same(gpu.global_avgpool2d_forward(x), reference.global_avgpool2d_forward(x), "global avg forward")
    assert_same(gpu.global_avgpool2d_backward(upstream, x.shape),
                reference.global_avgpool2d_backward(upstream, x.shape), "global avg backward")
    out = reference.global_maxpool2d_forward(x)
    assert_same(gpu.global_maxpool2d_forward(x), out, "global max forward")
    assert_same(gpu.global_maxpool2d_backward(upstream, x, out),
                reference.global_maxpool2d_backward(upstream, x, out), "global max backward (ties share)")


# ----------------------------------------------------------------------------- Dropout, Rescaling
def test_dropout_with_a_full_and_a_broadcast_mask():
    x = normal(2, 3, 4)
    scale = np.float32(1 / 0.6)
    for mask in (normal(2, 3, 4, seed=1) > 0, normal(2, 1, 4, seed=2) > 0):
        assert_same(gpu.dropout_forward(x, mask, scale), reference.dropout_forward(x, mask, scale), "forward")
        assert_same(gpu.dropout_backward(x, mask, scale), reference.dropout_backward(x, mask, scale), "backward")


@pytest.mark.parametrize("x, scale, offset", [
    (np.arange(24, dtype=np.uint8).reshape(2, 4, 3), 1 / 255, 0.0),          # uint8 images -> float32
    (normal(2, 4, 3), np.array([0.5, 1.0, 2.0]), np.array([1.0, 0.0, -1.0])),  # one scale per channel
])
def test_rescaling_forward_and_backward(x, scale, offset):
    assert_same(gpu.rescaling_forward(x, scale, offset), reference.rescaling_forward(x, scale, offset), "forward")
    upstream = normal(*x.shape, seed=3)
    assert_same(gpu.rescaling_backward(upstream, scale), reference.rescaling_backward(upstream, scale), "backward")


# ----------------------------------------------------------------------------- host-run ops
def test_augmentation_and_resizing_ops_match_the_reference():
    images = normal(2, 5, 6, 2)
    transforms = np.array([[1, 0.2, -0.5, 0.1, 1, 0.3, 0, 0], [0.9, 0, 0.4, 0, 1.1, -0.2, 0.01, 0]], np.float32)
    for interpolation in ("nearest", "bilinear"):
        assert_same(gpu.affine_transform(images, transforms, interpolation, "reflect"),
                    reference.affine_transform(images, transforms, interpolation, "reflect"), interpolation)
    factors, value_range = np.array([0.5, 2.0], np.float32), (-1.0, 1.0)
    assert_same(gpu.adjust_contrast_forward(images, factors, value_range),
                reference.adjust_contrast_forward(images, factors, value_range), "contrast forward")
    upstream = normal(2, 5, 6, 2, seed=1)
    assert_same(gpu.adjust_contrast_backward(upstream, images, factors, value_range),
                reference.adjust_contrast_backward(upstream, images, factors, value_range), "contrast backward")
    assert_same(gpu.resize_bilinear(images, (3, 4)), reference.resize_bilinear(images, (3, 4)), "resize")
    assert_same(gpu.resize_weighted(images, (3, 4), "area"), reference.resize_weighted(images, (3, 4), "area"),
                "resize_weighted")


# ----------------------------------------------------------------------------- Adam
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_update_in_place_as_the_cpu_engine(amsgrad):
    """Three steps on host arrays, updated in place; the truth is the cpu engine's fused loop
    (itself checked against ``scratch.optimizers.Adam``'s NumPy rule in test_optimizers.py)."""
    w, m, v = normal(3, 4), normal(3, 4, seed=1), np.abs(normal(3, 4, seed=2))
    v_hat = np.abs(normal(3, 4, seed=3)) if amsgrad else None
    on_gpu = [w, m, v, v_hat]
    on_cpu = [None if a is None else a.copy() for a in on_gpu]
    constants = (np.float32(0.01), np.float32(0.1), np.float32(0.001), np.float32(1e-7))
    for step in range(3):
        grad = normal(3, 4, seed=10 + step)
        gpu.adam_update(on_gpu[0], grad, *on_gpu[1:], *constants)
        cpu.adam_update(on_cpu[0], grad, *on_cpu[1:], *constants)
    for name, gpu_array, cpu_array in zip(("w", "m", "v", "v_hat"), on_gpu, on_cpu):
        if cpu_array is not None:
            np.testing.assert_allclose(gpu_array, cpu_array, atol=tol.OPTIMIZER_ATOL, rtol=0, err_msg=name)


# ----------------------------------------------------------------------------- the device-resident path
def test_device_arrays_in_give_device_arrays_out_with_the_same_values():
    x, kernel, bias = normal(2, 5, 5, 2), normal(3, 3, 2, 3, seed=1), normal(3, seed=2)
    out, cache = gpu.conv2d_forward(cuda.to_device(x), cuda.to_device(kernel), cuda.to_device(bias), 1, "same")
    assert device.is_device_array(out) and device.is_device_array(cache["cols"])
    expected, expected_cache = reference.conv2d_forward(x, kernel, bias, (1, 1), "same")
    assert_same(out.copy_to_host(), expected, "conv2d_forward on device arrays")
    upstream = normal(*expected.shape, seed=3)
    grads = gpu.conv2d_backward(cuda.to_device(upstream), cache)
    assert all(device.is_device_array(g) for g in grads)
    for i, (a, e) in enumerate(zip(grads, reference.conv2d_backward(upstream, expected_cache))):
        assert_same(a.copy_to_host(), e, f"conv2d_backward output {i} on device arrays")
    logits, labels = normal(4, 10, seed=4), np.array([1, 0, 9, 3])
    loss, grad = gpu.sparse_crossentropy_from_logits(cuda.to_device(logits), cuda.to_device(labels))
    expected_loss, expected_grad = reference.sparse_crossentropy_from_logits(logits, labels)
    assert_same(loss.copy_to_host(), expected_loss, "loss on device arrays")
    assert_same(grad.copy_to_host(), expected_grad, "gradient on device arrays")


def test_the_ops_products_through_the_tiled_kernel_as_on_a_gpu(monkeypatch):
    """On a GPU the ops' matrix products run the shared-memory tiled kernel (in the simulator the
    one-thread-per-cell one): Dense and Conv2D both ways through the tiled one, small shapes."""
    monkeypatch.setattr(device, "SIMULATOR", False)
    monkeypatch.setattr(matmul, "matmul_simple", None)    # any use of it would fail
    x, kernel, bias, grad_y = normal(5, 7), normal(7, 3, seed=1), normal(3, seed=2), normal(5, 3, seed=3)
    assert_same(gpu.dense_forward(x, kernel, bias), reference.dense_forward(x, kernel, bias), "dense_forward")
    for i, (a, e) in enumerate(zip(gpu.dense_backward(grad_y, x, kernel), reference.dense_backward(grad_y, x, kernel))):
        assert_same(a, e, f"dense_backward output {i}")
    compare_pair("conv2d_forward", (), normal(1, 4, 4, 2), normal(3, 3, 2, 2, seed=1), normal(2, seed=2), (1, 1),
                 "same", (1, 1))
