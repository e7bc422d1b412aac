"""The gpu backend's ops: the functions of :mod:`scratch.ops.reference`, same names, signatures
and cache keys, computed by the CUDA kernels of ``scratch/engine/gpu/kernels/``. Read the
reference for the maths; this file only moves arrays and launches kernels.

Two ways in, one rule: an op returns what it was handed.

- NumPy arrays in (what the layers pass today): the inputs are copied to the GPU, the kernels run,
  and the results come back as NumPy float32 arrays (caches too), so every layer, loss, optimizer
  and model of the kit runs unchanged under ``set_backend("gpu")``, one transfer each way per op.
- Device arrays in (``numba.cuda`` arrays, when the first argument is one): nothing leaves the
  GPU; results and caches are device arrays, for code that keeps its data there.

The gpu backend computes in float32 (Keras's default); float64 inputs are computed in float32.
Where an op is off the tutorials' hot path (Keras's full ``relu`` options, the augmentation
resampling, image resizing) it runs the reference on the host (:func:`_on_host`): the same
numbers, a copy each way. Matrix products use the shared-memory tiled kernel on a GPU and the
one-thread-per-cell kernel in Numba's simulator, where every ``syncthreads`` of the tiled one is
a barrier of Python threads (both kernels are tested against NumPy; README.md beside this file).

Example (in the simulator, ``NUMBA_ENABLE_CUDASIM=1``, or on a GPU)::

    >>> import numpy as np
    >>> from scratch.engine.gpu import ops
    >>> ops.relu_forward(np.array([-1.0, 2.0], np.float32))
    array([0., 2.], dtype=float32)
"""
import math

import numpy as np

from scratch.engine.gpu import device
from scratch.engine.gpu.kernels import convolution, elementwise, matmul, optimizers, pooling, reduction, softmax
from scratch.ops import reference
from scratch.ops.padding import normalize_tuple as _pair
from scratch.ops.reference import EPSILON, spatial_padding

F32 = np.float32
_no_bias = None   # a 1-element device array standing for "no bias" (kernels need an array argument)


def _flat(a):
    """A 1-D view of the C-contiguous device array ``a``."""
    return a.reshape(a.size)


def _elementwise(kernel, on_device, *arrays):
    """Launch an element-wise ``kernel(*arrays, out)`` over arrays of one shape; the result as handed."""
    arrays = [device.to_device(a) for a in arrays]
    out = device.empty(arrays[0].shape)
    device.launch(kernel, out.size, *[_flat(a) for a in arrays], _flat(out))
    return device.returned(out, on_device)


def _product(a, b, bias, out, inner, transpose_a=False, transpose_b=False):
    """``out = op(a) @ op(b) (+ bias)`` on the device (kernels/matmul.py)."""
    global _no_bias
    if bias is None:
        if _no_bias is None:
            _no_bias = device.zeros(1)
        bias_array, has_bias = _no_bias, False
    else:
        bias_array, has_bias = bias, True
    rows, cols = out.shape
    args = (a, b, bias_array, out, inner, transpose_a, transpose_b, has_bias)
    if device.SIMULATOR:
        device.launch(matmul.matmul_simple, rows * cols, *args)
    else:
        grid = ((cols + matmul.TILE - 1) // matmul.TILE, (rows + matmul.TILE - 1) // matmul.TILE)
        device.launch_grid(matmul.matmul_tiled, grid, (matmul.TILE, matmul.TILE), *args)


def _column_sums(x):
    """``Σ_rows x`` of a (R, C) device array -> (C,) device array."""
    out = device.empty(x.shape[1])
    device.launch(reduction.column_sums, x.shape[1], x, out)
    return out


def total(x):
    """``Σ x`` of a device array as a (1,) device array: per-block partial sums, then one block
    sums those (two launches of kernels/reduction.py's tree reduction)."""
    x = _flat(device.to_device(x))
    threads = reduction.REDUCE_THREADS
    blocks = max(1, min(device.MAX_BLOCKS, (x.size + threads - 1) // threads))
    partial = device.empty(blocks)
    device.launch_grid(reduction.block_sums, blocks, threads, x, partial)
    result = device.empty(1)
    device.launch_grid(reduction.block_sums, 1, threads, partial, result)
    return result


def _on_host(function, *args, **kwargs):
    """``function`` (a reference op) on host copies of the arrays in ``args``; the result goes
    back to the device when the first argument came from there."""
    on_device = device.is_device_array(args[0])
    host_args = [device.to_host(a) for a in args]
    result = function(*host_args, **kwargs)
    return device.to_device(result, result.dtype) if on_device else result


# ----------------------------------------------------------------------------- Dense
def dense_forward(x, kernel, bias):
    """Same as :func:`scratch.ops.reference.dense_forward`: ``y = x @ kernel + bias``, one launch
    (the bias is added as each output cell is written). x: (B, D) -> (B, U)."""
    on_device = device.is_device_array(x)
    x, kernel = device.to_device(x), device.to_device(kernel)
    out = device.empty((x.shape[0], kernel.shape[1]))
    _product(x, kernel, None if bias is None else device.to_device(bias), out, x.shape[1])
    return device.returned(out, on_device)


def dense_backward(grad_y, x, kernel, use_bias=True, compute_grad_x=True):
    """Same as :func:`scratch.ops.reference.dense_backward`: ``dx = dy @ kernelᵀ``,
    ``dkernel = xᵀ @ dy`` (the transposes read in place), ``dbias = Σ_batch dy``."""
    on_device = device.is_device_array(grad_y)
    grad_y, x, kernel = device.to_device(grad_y), device.to_device(x), device.to_device(kernel)
    grad_x = None
    if compute_grad_x:
        grad_x = device.empty(x.shape)
        _product(grad_y, kernel, None, grad_x, kernel.shape[1], transpose_b=True)
    grad_kernel = device.empty(kernel.shape)
    _product(x, grad_y, None, grad_kernel, x.shape[0], transpose_a=True)
    grad_bias = _column_sums(grad_y) if use_bias else None
    return tuple(device.returned(a, on_device) for a in (grad_x, grad_kernel, grad_bias))


# ----------------------------------------------------------------------------- activations
def relu_forward(x):
    """Same as :func:`scratch.ops.reference.relu_forward`."""
    return _elementwise(elementwise.relu_forward, device.is_device_array(x), x)


def relu_backward(grad_y, y):
    """Same as :func:`scratch.ops.reference.relu_backward`."""
    return _elementwise(elementwise.relu_backward, device.is_device_array(grad_y), grad_y, y)


def sigmoid_forward(x):
    """Same as :func:`scratch.ops.reference.sigmoid_forward`."""
    return _elementwise(elementwise.sigmoid_forward, device.is_device_array(x), x)


def sigmoid_backward(grad_y, y):
    """Same as :func:`scratch.ops.reference.sigmoid_backward`."""
    return _elementwise(elementwise.sigmoid_backward, device.is_device_array(grad_y), grad_y, y)


def tanh_forward(x):
    """Same as :func:`scratch.ops.reference.tanh_forward`."""
    return _elementwise(elementwise.tanh_forward, device.is_device_array(x), x)


def tanh_backward(grad_y, y):
    """Same as :func:`scratch.ops.reference.tanh_backward`."""
    return _elementwise(elementwise.tanh_backward, device.is_device_array(grad_y), grad_y, y)


def linear_forward(x):
    """The identity (nothing to launch)."""
    return x


def linear_backward(grad_y, y):
    """Gradient of the identity (nothing to launch)."""
    return grad_y


def relu_general_forward(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Same as :func:`scratch.ops.reference.relu_general_forward`, run on the host (off the hot path)."""
    return _on_host(reference.relu_general_forward, _host_f32(x), negative_slope, max_value, threshold)


def relu_general_backward(grad_y, x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Same as :func:`scratch.ops.reference.relu_general_backward`, run on the host."""
    return _on_host(reference.relu_general_backward, _host_f32(grad_y), _host_f32(x), negative_slope,
                    max_value, threshold)


def _host_f32(a):
    """``a`` as float32: a device array as it is (already float32), a host array converted."""
    return a if device.is_device_array(a) else np.asarray(a, F32)


def _axis_view(a, axis):
    """``a`` (C-contiguous, on the device) viewed as (outer, n, inner) with ``axis`` in the middle."""
    axis = axis % len(a.shape)
    outer = math.prod(a.shape[:axis])
    inner = math.prod(a.shape[axis + 1:])
    return a.reshape(outer, a.shape[axis], inner)


def softmax_forward(z, axis=-1):
    """Same as :func:`scratch.ops.reference.softmax_forward`, one thread per row along ``axis``
    (a tuple of axes, as Keras's Softmax layer allows, runs the reference on the host)."""
    if not isinstance(axis, (int, np.integer)):
        return _on_host(reference.softmax_forward, _host_f32(z), axis)
    on_device = device.is_device_array(z)
    z = device.to_device(z)
    p = device.empty(z.shape)
    z3, p3 = _axis_view(z, axis), _axis_view(p, axis)
    device.launch(softmax.softmax_forward, z3.shape[0] * z3.shape[2], z3, p3)
    return device.returned(p, on_device)


def softmax_backward(grad_p, p, axis=-1):
    """Same as :func:`scratch.ops.reference.softmax_backward`: ``dz = p · (dp − Σ dp·p)``."""
    if not isinstance(axis, (int, np.integer)):
        return _on_host(reference.softmax_backward, _host_f32(grad_p), _host_f32(p), axis)
    on_device = device.is_device_array(grad_p)
    grad_p, p = device.to_device(grad_p), device.to_device(p)
    grad_z = device.empty(p.shape)
    views = [_axis_view(a, axis) for a in (grad_p, p, grad_z)]
    device.launch(softmax.softmax_backward, views[1].shape[0] * views[1].shape[2], *views)
    return device.returned(grad_z, on_device)


# ----------------------------------------------------------------------------- losses
def _crossentropy(kernel, scores, targets, target_dtype, *constants):
    """Launch a fused crossentropy ``kernel(scores, targets, *constants, loss, grad)``, one thread per sample."""
    on_device = device.is_device_array(scores)
    scores, targets = device.to_device(scores), device.to_device(targets, target_dtype)
    loss, grad = device.empty(scores.shape[0]), device.empty(scores.shape)
    device.launch(kernel, scores.shape[0], scores, targets, *constants, loss, grad)
    return device.returned(loss, on_device), device.returned(grad, on_device)


def sparse_crossentropy_from_logits(logits, labels):
    """Same as :func:`scratch.ops.reference.sparse_crossentropy_from_logits`: softmax, loss and
    gradient in one launch. logits: (B, C), labels: (B,) -> (loss (B,), grad (B, C))."""
    return _crossentropy(softmax.sparse_crossentropy_from_logits, logits, labels, np.int64)


def sparse_crossentropy_from_probs(probs, labels, epsilon=EPSILON):
    """Same as :func:`scratch.ops.reference.sparse_crossentropy_from_probs`, one launch."""
    return _crossentropy(softmax.sparse_crossentropy_from_probs, probs, labels, np.int64, F32(epsilon))


def categorical_crossentropy_from_logits(logits, targets):
    """Same as :func:`scratch.ops.reference.categorical_crossentropy_from_logits`, one launch."""
    return _crossentropy(softmax.categorical_crossentropy_from_logits, logits, targets, F32)


def categorical_crossentropy_from_probs(probs, targets, epsilon=EPSILON):
    """Same as :func:`scratch.ops.reference.categorical_crossentropy_from_probs`, one launch."""
    return _crossentropy(softmax.categorical_crossentropy_from_probs, probs, targets, F32, F32(epsilon))


# ----------------------------------------------------------------------------- Conv2D
def conv2d_forward(x, kernel, bias, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """Same as :func:`scratch.ops.reference.conv2d_forward` (arguments, output, cache keys and
    values: ``cols`` is ``[cols | 1]`` with a bias): an im2col launch, then one product with the
    bias added as it is written. x: (B, H, W, C), kernel: (kh, kw, C, F) -> (B, OH, OW, F)."""
    strides, dilation = _pair(strides, "strides"), _pair(dilation, "dilation_rate")
    on_device = device.is_device_array(x)
    x, dev_kernel = device.to_device(x), device.to_device(kernel)
    batch, height, width, channels = x.shape
    kh, kw, _, filters = dev_kernel.shape
    (oh, ow), pads = spatial_padding(height, width, (kh, kw), strides, padding, dilation)
    taps, has_bias = kh * kw * channels, bias is not None
    cols = device.empty((batch * oh * ow, taps + has_bias))
    device.launch(convolution.im2col, cols.size, x, kh, kw, strides[0], strides[1], dilation[0],
                  dilation[1], pads[0][0], pads[1][0], oh, ow, cols)
    out = device.empty((batch * oh * ow, filters))
    _product(cols, dev_kernel.reshape(taps, filters), device.to_device(bias) if has_bias else None, out, taps)
    cache = dict(method="im2col", cols=device.returned(cols, on_device),
                 kernel=dev_kernel if on_device else kernel, has_bias=has_bias,
                 x_shape=tuple(x.shape), strides=strides, dilation=dilation, pads=pads, out_size=(oh, ow))
    return device.returned(out.reshape(batch, oh, ow, filters), on_device), cache


def conv2d_backward(grad_out, cache, compute_grad_x=True):
    """Same as :func:`scratch.ops.reference.conv2d_backward`: ``dK = colsᵀ @ G`` (one product),
    ``dbias = Σ_rows G``, ``dx = col2im(G @ Kᵀ)`` (a product and a gather launch).
    grad_out: (B, OH, OW, F) -> (grad_x or None, grad_kernel (kh, kw, C, F), grad_bias or None)."""
    on_device = device.is_device_array(grad_out)
    cols, kernel = device.to_device(cache["cols"]), device.to_device(cache["kernel"])
    kh, kw, channels, filters = kernel.shape
    taps = kh * kw * channels
    g = device.to_device(grad_out).reshape(cols.shape[0], filters)
    kernel_2d = kernel.reshape(taps, filters)
    grad_kernel = device.empty((taps, filters))
    _product(cols, g, None, grad_kernel, cols.shape[0], transpose_a=True)
    grad_bias = _column_sums(g) if cache["has_bias"] else None
    grad_x = None
    if compute_grad_x:
        grad_cols = device.empty((cols.shape[0], taps))
        _product(g, kernel_2d, None, grad_cols, filters, transpose_b=True)
        grad_x = device.empty(cache["x_shape"])
        (sh, sw), (dh, dw), (oh, ow) = cache["strides"], cache["dilation"], cache["out_size"]
        device.launch(convolution.col2im, grad_x.size, grad_cols, kh, kw, sh, sw, dh, dw,
                      cache["pads"][0][0], cache["pads"][1][0], oh, ow, grad_x)
    grad_kernel = grad_kernel.reshape(kh, kw, channels, filters)
    return tuple(device.returned(a, on_device) for a in (grad_x, grad_kernel, grad_bias))


# ----------------------------------------------------------------------------- pooling
def _pool_geometry(x, pool_size, strides, padding):
    pool_size = _pair(pool_size, "pool_size")
    strides = pool_size if strides is None else _pair(strides, "strides")
    out_size, pads = spatial_padding(x.shape[1], x.shape[2], pool_size, strides, padding)
    return pool_size, strides, out_size, pads


def maxpool2d_forward(x, pool_size=(2, 2), strides=None, padding="valid"):
    """Same as :func:`scratch.ops.reference.maxpool2d_forward` (cache: argmax ``y·W + x`` of each
    window's first maximum, as int32; x_shape). x: (B, H, W, C) -> (B, OH, OW, C)."""
    on_device = device.is_device_array(x)
    x = device.to_device(x)
    (ph, pw), (sh, sw), (oh, ow), pads = _pool_geometry(x, pool_size, strides, padding)
    out = device.empty((x.shape[0], oh, ow, x.shape[3]))
    argmax = device.empty(out.shape, np.int32)
    device.launch(pooling.maxpool_forward, out.size, x, ph, pw, sh, sw, pads[0][0], pads[1][0], out, argmax)
    return device.returned(out, on_device), dict(argmax=device.returned(argmax, on_device),
                                                 x_shape=tuple(x.shape))


def maxpool2d_backward(grad_out, cache):
    """Same as :func:`scratch.ops.reference.maxpool2d_backward`: zeros, then each output's
    gradient added at its window's argmax (two launches)."""
    on_device = device.is_device_array(grad_out)
    grad_out = device.to_device(grad_out)
    grad_x = device.empty(cache["x_shape"])
    device.launch(elementwise.fill, grad_x.size, _flat(grad_x), F32(0))
    device.launch(pooling.maxpool_backward, grad_out.size, grad_out,
                  device.to_device(cache["argmax"], np.int32), grad_x)
    return device.returned(grad_x, on_device)


def avgpool2d_forward(x, pool_size=(2, 2), strides=None, padding="valid"):
    """Same as :func:`scratch.ops.reference.avgpool2d_forward` (output and cache)."""
    on_device = device.is_device_array(x)
    x = device.to_device(x)
    pool_size, strides, out_size, pads = _pool_geometry(x, pool_size, strides, padding)
    out = device.empty((x.shape[0],) + out_size + (x.shape[3],))
    device.launch(pooling.avgpool_forward, out.size, x, *pool_size, *strides, pads[0][0], pads[1][0], out)
    return device.returned(out, on_device), dict(x_shape=tuple(x.shape), pool_size=pool_size,
                                                 strides=strides, pads=pads, out_size=out_size)


def avgpool2d_backward(grad_out, cache):
    """Same as :func:`scratch.ops.reference.avgpool2d_backward`, one gather launch."""
    on_device = device.is_device_array(grad_out)
    grad_out = device.to_device(grad_out)
    grad_x = device.empty(cache["x_shape"])
    device.launch(pooling.avgpool_backward, grad_x.size, grad_out, *cache["pool_size"], *cache["strides"],
                  cache["pads"][0][0], cache["pads"][1][0], grad_x)
    return device.returned(grad_x, on_device)


def _global_pool_forward(kernel, x):
    """``out[n, c]`` = ``kernel``'s pooling of ``x[n, :, :, c]`` over the whole image: one launch,
    one thread per output cell. x: (B, H, W, C) -> out: (B, C), on the device if ``x`` was."""
    on_device = device.is_device_array(x)
    x = device.to_device(x)
    out = device.empty((x.shape[0], x.shape[3]))
    device.launch(kernel, out.size, x, out)
    return device.returned(out, on_device)


def global_avgpool2d_forward(x):
    """Same as :func:`scratch.ops.reference.global_avgpool2d_forward`. (B, H, W, C) -> (B, C)."""
    return _global_pool_forward(pooling.global_avgpool_forward, x)


def global_avgpool2d_backward(grad_out, x_shape):
    """Same as :func:`scratch.ops.reference.global_avgpool2d_backward`. (B, C) -> x_shape."""
    on_device = device.is_device_array(grad_out)
    grad_x = device.empty(tuple(x_shape))
    device.launch(pooling.global_avgpool_backward, grad_x.size, device.to_device(grad_out), grad_x)
    return device.returned(grad_x, on_device)


def global_maxpool2d_forward(x):
    """Same as :func:`scratch.ops.reference.global_maxpool2d_forward`. (B, H, W, C) -> (B, C)."""
    return _global_pool_forward(pooling.global_maxpool_forward, x)


def global_maxpool2d_backward(grad_out, x, out):
    """Same as :func:`scratch.ops.reference.global_maxpool2d_backward` (ties share the gradient)."""
    on_device = device.is_device_array(grad_out)
    x = device.to_device(x)
    grad_x = device.empty(x.shape)
    device.launch(pooling.global_maxpool_backward, x.shape[0] * x.shape[3], device.to_device(grad_out), x,
                  device.to_device(out), grad_x)
    return device.returned(grad_x, on_device)


# ----------------------------------------------------------------------------- Dropout / Rescaling
def dropout_forward(x, keep_mask, scale):
    """Same as :func:`scratch.ops.reference.dropout_forward`: ``y = where(keep, x · scale, 0)``. A
    host mask may broadcast (a ``noise_shape``); a device mask must have ``x``'s shape."""
    return _masked_scale(x, keep_mask, scale)


def dropout_backward(grad_y, keep_mask, scale):
    """Same as :func:`scratch.ops.reference.dropout_backward` (the same kernel, on ``dy``)."""
    return _masked_scale(grad_y, keep_mask, scale)


def _masked_scale(x, keep_mask, scale):
    on_device = device.is_device_array(x)
    x = device.to_device(x)
    if not device.is_device_array(keep_mask):
        keep_mask = np.broadcast_to(keep_mask, x.shape)
    keep = device.to_device(keep_mask, np.bool_)
    out = device.empty(x.shape)
    device.launch(elementwise.masked_scale, out.size, _flat(x), _flat(keep), F32(scale), _flat(out))
    return device.returned(out, on_device)


def rescaling_forward(x, scale, offset):
    """Same as :func:`scratch.ops.reference.rescaling_forward`: ``y = float32(x)·scale + offset``
    (integer input is copied as it is and converted on the GPU); scale/offset scalars or one per
    channel (other broadcasts run the reference on the host)."""
    scale, offset = np.asarray(scale, F32).reshape(-1), np.asarray(offset, F32).reshape(-1)
    channels = x.shape[-1] if len(x.shape) else 1
    if scale.size not in (1, channels) or offset.size not in (1, channels):
        return _on_host(reference.rescaling_forward, _host_f32(x), scale, offset)
    on_device = device.is_device_array(x)
    x = device.to_device(x, x.dtype if np.issubdtype(x.dtype, np.integer) else F32)
    out = device.empty(x.shape)
    device.launch(elementwise.scale_and_shift, out.size, _flat(x), device.to_device(scale),
                  device.to_device(offset), _flat(out))
    return device.returned(out, on_device)


def rescaling_backward(grad_y, scale):
    """Same as :func:`scratch.ops.reference.rescaling_backward`: ``dx = dy · scale``."""
    return rescaling_forward(grad_y, scale, 0.0)


# ----------------------------------------------------------------------------- optimizers
def adam_update(variable, grad, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2, epsilon):
    """``scratch.optimizers.Adam.update_step``'s arithmetic in one launch, in place (as
    ``scratch.engine.cpu.adam_update``). Host arrays are copied in, updated on the GPU and copied
    back into the same arrays; device arrays are updated where they are.
    variable, grad, m, v (and v_hat with AMSGrad, else None): one shape; the rest float32 scalars."""
    constants = (F32(alpha), F32(one_minus_beta_1), F32(one_minus_beta_2), F32(epsilon))
    slots = [variable, m, v] + ([] if v_hat is None else [v_hat])
    on_device = [device.to_device(a) for a in slots]
    flat = [_flat(a) for a in on_device]
    g = _flat(device.to_device(grad))
    if v_hat is None:
        device.launch(optimizers.adam, g.size, flat[0], g, flat[1], flat[2], *constants)
    else:
        device.launch(optimizers.adam_amsgrad, g.size, flat[0], g, flat[1], flat[2], flat[3], *constants)
    for host, dev in zip(slots, on_device):
        if not device.is_device_array(host):
            host[...] = dev.copy_to_host().reshape(host.shape)


# ----------------------------------------------------------------------------- augmentation, resizing
def affine_transform(images, transforms, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """Same as :func:`scratch.ops.reference.affine_transform`, run on the host (augmentation)."""
    return _on_host(reference.affine_transform, _host_f32(images), transforms, interpolation, fill_mode,
                    fill_value)


def adjust_contrast_forward(images, factors, value_range):
    """Same as :func:`scratch.ops.reference.adjust_contrast_forward`, run on the host."""
    return _on_host(reference.adjust_contrast_forward, _host_f32(images), factors, value_range)


def adjust_contrast_backward(grad_y, images, factors, value_range):
    """Same as :func:`scratch.ops.reference.adjust_contrast_backward`, run on the host."""
    return _on_host(reference.adjust_contrast_backward, _host_f32(grad_y), _host_f32(images), factors,
                    value_range)


resize_bilinear = reference.resize_bilinear   # image loading: NumPy in, NumPy out, on the host
resize_nearest = reference.resize_nearest
resize_weighted = reference.resize_weighted
