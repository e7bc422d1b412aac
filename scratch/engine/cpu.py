"""The cpu backend's ops: the functions of :mod:`scratch.ops.reference`, same signatures and
cache keys, made fast. Read the reference for the maths; this file is only about speed.

Where NumPy's BLAS-backed code is already the fastest form (matrix products, one-pass
elementwise ops), the reference function is reused as is; Numba kernels replace the rest where
a measurement showed a gain (the measurements: benchmarks/ENGINE_NOTES.md). Every kernel
releases the GIL (``nogil=True``) so data-parallel replicas (:mod:`scratch.engine.data_parallel`)
run them on several cores at once. Every function here is tested against its reference twin.
Also here: :func:`adam_update`, Adam's update fused into one pass (the rule itself is
``scratch.optimizers.Adam.update_step``).
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numba

from scratch.engine import denormals, winograd
from scratch.ops import reference
from scratch.ops.padding import normalize_tuple as _pair
from scratch.ops.reference import EPSILON  # noqa: F401  (same constant as the reference)

# Matrix products: NumPy calls BLAS directly; nothing to gain from Numba.
_SMALL_BATCH = 32


def dense_forward(x, kernel, bias):
    """Same as :func:`scratch.ops.reference.dense_forward`; the bias is added in place (one
    temporary (B, U) array fewer, the same float sums)."""
    y = x @ kernel
    if bias is None:
        return y
    if getattr(bias, "dtype", None) != y.dtype:   # y + bias would promote: keep the reference's rule
        return y + bias
    y += bias
    return y


def dense_backward(grad_y, x, kernel, use_bias=True, compute_grad_x=True):
    """Same as :func:`scratch.ops.reference.dense_backward`. For batches of up to 32 rows ``dx``
    is computed as ``(kernel @ dyᵀ)ᵀ``, a shape OpenBLAS runs faster there (slower for larger
    batches, which keep the reference form)."""
    if not compute_grad_x or len(grad_y) > _SMALL_BATCH:
        return reference.dense_backward(grad_y, x, kernel, use_bias, compute_grad_x)
    _, grad_kernel, grad_bias = reference.dense_backward(grad_y, x, kernel, use_bias, compute_grad_x=False)
    return np.ascontiguousarray((kernel @ grad_y.T).T), grad_kernel, grad_bias


# Elementwise ops that are one NumPy pass already, and ops off the hot path of the tutorials.
linear_forward = reference.linear_forward
linear_backward = reference.linear_backward
sigmoid_forward = reference.sigmoid_forward
sigmoid_backward = reference.sigmoid_backward
tanh_forward = reference.tanh_forward
tanh_backward = reference.tanh_backward
softmax_backward = reference.softmax_backward
relu_general_forward = reference.relu_general_forward     # ReLU with Keras's options: off the hot path
relu_general_backward = reference.relu_general_backward
categorical_crossentropy_from_logits = reference.categorical_crossentropy_from_logits
categorical_crossentropy_from_probs = reference.categorical_crossentropy_from_probs
sparse_crossentropy_from_probs = reference.sparse_crossentropy_from_probs


# ReLU on conv feature maps: one Numba pass each way instead of NumPy's two.
@numba.njit(cache=True, nogil=True, error_model="numpy")
def _relu_forward_kernel(x, out):
    zero = x.dtype.type(0)
    for i in range(x.size):
        out[i] = x[i] if x[i] > zero else zero


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _relu_backward_kernel(grad_y, y, out):
    zero = grad_y.dtype.type(0)
    for i in range(y.size):
        out[i] = grad_y[i] if y[i] > 0 else zero


def relu_forward(x):
    """Same as :func:`scratch.ops.reference.relu_forward`, one Numba pass."""
    x = np.ascontiguousarray(x)
    out = np.empty_like(x)
    _relu_forward_kernel(x.reshape(-1), out.reshape(-1))
    return out


def relu_backward(grad_y, y):
    """Same as :func:`scratch.ops.reference.relu_backward`, one Numba pass."""
    grad_y = np.ascontiguousarray(grad_y)
    out = np.empty_like(grad_y)
    _relu_backward_kernel(grad_y.reshape(-1), np.ascontiguousarray(y).reshape(-1), out.reshape(-1))
    return out


# Small per-step ops on (B, C) arrays: NumPy's per-call overhead (a dozen temporaries) dominates,
# one Numba loop does it in a single pass.
@numba.njit(cache=True, nogil=True, error_model="numpy")
def _softmax_rows(z, out):
    for i in range(z.shape[0]):
        row_max = z[i, 0]
        for j in range(1, z.shape[1]):
            row_max = max(row_max, z[i, j])
        total = z.dtype.type(0)
        for j in range(z.shape[1]):
            out[i, j] = np.exp(z[i, j] - row_max)
            total += out[i, j]
        for j in range(z.shape[1]):
            out[i, j] /= total


def softmax_forward(z, axis=-1):
    """Same as :func:`scratch.ops.reference.softmax_forward`; a Numba loop for (B, C) rows."""
    if z.ndim != 2 or axis not in (-1, 1):
        return reference.softmax_forward(z, axis)
    out = np.empty_like(z)
    _softmax_rows(np.ascontiguousarray(z), out)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _sparse_ce_logits(z, labels, loss, grad):
    for i in range(z.shape[0]):
        row_max = z[i, 0]
        for j in range(1, z.shape[1]):
            row_max = max(row_max, z[i, j])
        total = z.dtype.type(0)
        for j in range(z.shape[1]):
            grad[i, j] = np.exp(z[i, j] - row_max)
            total += grad[i, j]
        loss[i] = np.log(total) - (z[i, labels[i]] - row_max)
        for j in range(z.shape[1]):
            grad[i, j] /= total
        grad[i, labels[i]] -= 1


def sparse_crossentropy_from_logits(logits, labels):
    """Same as :func:`scratch.ops.reference.sparse_crossentropy_from_logits`, one Numba pass."""
    loss = np.empty(logits.shape[0], dtype=logits.dtype)
    grad = np.empty_like(logits)
    _sparse_ce_logits(np.ascontiguousarray(logits), np.ascontiguousarray(labels, dtype=np.int64), loss, grad)
    return loss, grad


# Adam: NumPy makes ~10 passes with temporaries over every weight array per step; the fused loop
# makes one, with the same float32 operations in the same order as Adam.update_step (bit-identical
# results). error_model="numpy" drops Python's ZeroDivisionError checks, which lets LLVM vectorise
# the loop; IEEE division and sqrt are exact either way.
@numba.njit(cache=True, nogil=True, error_model="numpy")
def _adam_kernel(w, g, m, v, alpha, one_minus_beta_1, one_minus_beta_2, epsilon):
    for i in range(w.size):
        m_i = m[i] + (g[i] - m[i]) * one_minus_beta_1
        v_i = v[i] + (g[i] * g[i] - v[i]) * one_minus_beta_2
        m[i] = m_i
        v[i] = v_i
        w[i] -= (m_i * alpha) / (np.sqrt(v_i) + epsilon)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _adam_amsgrad_kernel(w, g, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2, epsilon):
    for i in range(w.size):
        m_i = m[i] + (g[i] - m[i]) * one_minus_beta_1
        v_i = v[i] + (g[i] * g[i] - v[i]) * one_minus_beta_2
        m[i] = m_i
        v[i] = v_i
        v_hat[i] = max(v_hat[i], v_i)
        w[i] -= (m_i * alpha) / (np.sqrt(v_hat[i]) + epsilon)


# Adam is memory-bound (7 float32 reads and writes per weight): over a large variable one core
# cannot keep up with the matrix products. From ADAM_SPLIT_MIN weights on, the calling thread
# updates the first half while a helper thread updates the second — each weight's arithmetic is
# unchanged, so are the results. Measured on the MLP of width 2048 (1.6M weights, 10,000 images,
# batch 32): Adam 0.33 → 0.19 s an epoch, the epoch 0.92–1.09 → 0.87–1.01 s (3 alternating runs);
# width 1024: 0.49–0.50 → 0.46–0.51 s; at width 512 (400k weights) no gain showed, hence the
# threshold. The helper runs in the caller's floating-point mode (denormal flushing inside fit,
# scratch/engine/denormals.py).
ADAM_SPLIT_MIN = 1 << 19
_adam_helper = None


def _helper_thread():
    """The one worker thread that takes the second half of a split update (made on first use)."""
    global _adam_helper
    if _adam_helper is None:
        _adam_helper = ThreadPoolExecutor(1, thread_name_prefix="scratch-adam")
    return _adam_helper


def _cores():
    from scratch.engine.data_parallel import available_cores   # here: data_parallel imports the backend
    return available_cores()


def _run_in_mode(mode, kernel, *arguments):
    """``kernel(*arguments)`` with this thread's floating-point mode set to ``mode`` (x86 MXCSR;
    None: leave it), restored afterwards."""
    if mode is None:
        kernel(*arguments)
        return
    before = denormals.get_mxcsr()
    denormals.set_mxcsr(mode)
    try:
        kernel(*arguments)
    finally:
        denormals.set_mxcsr(before)


def adam_update(variable, grad, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2, epsilon):
    """``scratch.optimizers.Adam.update_step``'s arithmetic in one Numba loop, in place (in two
    halves on two threads from ``ADAM_SPLIT_MIN`` weights on). variable, grad, m, v (and v_hat
    with AMSGrad, else None): arrays of one shape; alpha (``lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)``), ``1 − β₁``,
    ``1 − β₂``, ε: float32 scalars."""
    arrays = [variable.reshape(-1), np.ascontiguousarray(grad).reshape(-1), m.reshape(-1), v.reshape(-1)]
    kernel = _adam_kernel
    if v_hat is not None:
        arrays.append(v_hat.reshape(-1))
        kernel = _adam_amsgrad_kernel
    constants = (alpha, one_minus_beta_1, one_minus_beta_2, epsilon)
    if arrays[0].size < ADAM_SPLIT_MIN or _cores() < 2:
        kernel(*arrays, *constants)
        return
    half = arrays[0].size // 2
    upper = _helper_thread().submit(_run_in_mode, denormals.float_mode(), kernel,
                                    *[a[half:] for a in arrays], *constants)
    kernel(*[a[:half] for a in arrays], *constants)
    upper.result()


# ----------------------------------------------------------------------------- Conv2D / MaxPooling2D
# Conv2D = im2col (a serial Numba kernel) + one BLAS matrix product with the bias riding inside
# it, as in the reference; 3x3 stride-1 kernels on 16+ input channels take Winograd's F(2x2, 3x3)
# instead (scratch/engine/winograd.py: 2.25x fewer multiplications; thinner channel counts make its
# 16 products too thin to pay). The kernels are serial: fit uses the cores through data
# parallelism, which is why each releases the GIL. Where the innermost index is computed
# (im2col/col2im's flat offsets) it is unsigned (_u64) on purpose: Numba then skips its
# negative-index wraparound check, which otherwise blocks vectorisation; an innermost index
# that comes straight from range() (the pooling kernel) needs no such care.
from numba import uint64 as _u64  # noqa: E402

_FEW_CHANNELS = 4   # below this many input channels, im2col writes the transposed layout
_WINOGRAD_MIN_CHANNELS = 16


@numba.njit(cache=True, nogil=True)
def _im2col_kernel(x, kh, kw, sh, sw, dh, dw, top, left, oh, ow, cols):
    """cols[(n, i, j), (a, b, c)] = x[n, i·sh + a·dh − top, j·sw + b·dw − left, c] (0 outside x);
    columns past kh·kw·C (the bias column) are set to 1. x and cols C-contiguous."""
    batch, height, width, channels = x.shape
    ncols = cols.shape[1]
    nk = kh * kw * channels
    seg = _u64(kw * channels)
    ch = _u64(channels)
    xf = x.reshape(-1)
    cf = cols.reshape(-1)
    for n in range(batch):
        for i in range(oh):
            for j in range(ow):
                row = ((n * oh + i) * ow + j) * ncols
                x0 = j * sw - left
                # whole kernel row inside x and undilated: one contiguous kw·C copy
                inner = dw == 1 and x0 >= 0 and x0 + kw <= width
                for a in range(kh):
                    y = i * sh + a * dh - top
                    dst = _u64(row + a * kw * channels)
                    if y < 0 or y >= height:
                        for t in range(seg):
                            cf[dst + t] = 0
                    elif inner:
                        src = _u64(((n * height + y) * width + x0) * channels)
                        for t in range(seg):
                            cf[dst + t] = xf[src + t]
                    else:
                        for b in range(kw):
                            xx = x0 + b * dw
                            dst_b = dst + _u64(b * channels)
                            if 0 <= xx < width:
                                src = _u64(((n * height + y) * width + xx) * channels)
                                for c in range(ch):
                                    cf[dst_b + c] = xf[src + c]
                            else:
                                for c in range(ch):
                                    cf[dst_b + c] = 0
                for t in range(nk, ncols):
                    cf[row + t] = 1


@numba.njit(cache=True, nogil=True)
def _im2col_transposed_kernel(x, kh, kw, sh, sw, dh, dw, top, left, oh, ow, cols_t):
    """The same matrix, transposed: cols_t[(a, b, c), (n, i, j)] (rows past kh·kw·C set to 1).
    For few channels (the first layer: C = 1 or 3) each row is a run of image rows, copied
    contiguously, instead of the (M, K) layout's copies of only kw·C floats. cols_t C-contiguous."""
    batch, height, width, channels = x.shape
    nk = kh * kw * channels
    for a in range(kh):
        for b in range(kw):
            offset = b * dw - left
            # output columns j whose input column j·sw + offset lies inside x
            j_lo = min(max((sw - 1 - offset) // sw, 0), ow)
            j_hi = max(min((width - offset + sw - 1) // sw, ow), j_lo)
            for c in range(channels):
                row = cols_t[(a * kw + b) * channels + c]
                for n in range(batch):
                    for i in range(oh):
                        y = i * sh + a * dh - top
                        base = _u64((n * oh + i) * ow)
                        if y < 0 or y >= height:
                            for j in range(_u64(ow)):
                                row[base + j] = 0
                            continue
                        for j in range(_u64(j_lo)):
                            row[base + j] = 0
                        for j in range(_u64(j_hi), _u64(ow)):
                            row[base + j] = 0
                        source = x[n, y, :, c]
                        for j in range(j_lo, j_hi):
                            row[base + _u64(j)] = source[_u64(j * sw + offset)]
    for t in range(nk, cols_t.shape[0]):
        cols_t[t, :] = 1


@numba.njit(cache=True, nogil=True)
def _col2im_kernel(cols, kh, kw, sh, sw, dh, dw, top, left, oh, ow, grad_x):
    """grad_x = 0; grad_x[n, i·sh + a·dh − top, j·sw + b·dw − left, c] += cols[(n, i, j), (a, b, c)]
    for the cells inside x (padding is dropped). cols and grad_x C-contiguous."""
    batch, height, width, channels = grad_x.shape
    ncols = cols.shape[1]
    seg = _u64(kw * channels)
    ch = _u64(channels)
    gf = grad_x.reshape(-1)
    cf = cols.reshape(-1)
    gf[:] = 0
    for n in range(batch):
        for i in range(oh):
            for j in range(ow):
                row = ((n * oh + i) * ow + j) * ncols
                x0 = j * sw - left
                inner = dw == 1 and x0 >= 0 and x0 + kw <= width
                for a in range(kh):
                    y = i * sh + a * dh - top
                    if y < 0 or y >= height:
                        continue
                    src = _u64(row + a * kw * channels)
                    if inner:
                        dst = _u64(((n * height + y) * width + x0) * channels)
                        for t in range(seg):
                            gf[dst + t] += cf[src + t]
                    else:
                        for b in range(kw):
                            xx = x0 + b * dw
                            if 0 <= xx < width:
                                dst = _u64(((n * height + y) * width + xx) * channels)
                                src_b = src + _u64(b * channels)
                                for c in range(ch):
                                    gf[dst + c] += cf[src_b + c]


def conv2d_forward(x, kernel, bias, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """Fast twin of :func:`scratch.ops.reference.conv2d_forward` (same arguments, output and
    cache; for C < 4 ``cols`` is a transposed view of a C-contiguous array, the same matrix).
    3x3 stride-1 kernels on 16+ channels go through :mod:`scratch.engine.winograd` instead
    (cache ``method="winograd"``, its tiles in place of ``cols``).
    """
    strides, dilation = _pair(strides, "strides"), _pair(dilation, "dilation_rate")
    x = np.ascontiguousarray(x)
    batch, height, width, channels = x.shape
    kh, kw, _, filters = kernel.shape
    out_size, pads = reference.spatial_padding(height, width, (kh, kw), strides, padding, dilation)
    if (kh, kw) == (3, 3) and strides == dilation == (1, 1) and channels >= _WINOGRAD_MIN_CHANNELS:
        return winograd.conv2d_forward(x, kernel, bias, out_size, pads)
    (oh, ow), (top, left) = out_size, (pads[0][0], pads[1][0])
    k = kh * kw * channels
    has_bias = bias is not None
    geometry = (kh, kw, strides[0], strides[1], dilation[0], dilation[1], top, left, oh, ow)
    if channels < _FEW_CHANNELS:   # cols is then a transposed view of a C-contiguous (K, M) array
        cols = np.empty((k + has_bias, batch * oh * ow), dtype=x.dtype).T
        _im2col_transposed_kernel(x, *geometry, cols.T)
    else:
        cols = np.empty((batch * oh * ow, k + has_bias), dtype=x.dtype)
        _im2col_kernel(x, *geometry, cols)
    weights = np.empty((k + has_bias, filters), dtype=x.dtype)
    weights[:k] = kernel.reshape(k, filters)
    if has_bias:
        weights[k] = bias
    out = np.dot(cols, weights)
    cache = dict(method="im2col", cols=cols, kernel=kernel, has_bias=has_bias, x_shape=x.shape,
                 strides=strides, dilation=dilation, pads=pads, out_size=out_size)
    return out.reshape(batch, oh, ow, filters), cache


def conv2d_backward(grad_out, cache, compute_grad_x=True):
    """Fast twin of :func:`scratch.ops.reference.conv2d_backward` (same arguments and outputs).

    ``[dK ; dbias] = [cols | 1]ᵀ @ G`` (one GEMM), ``dx = col2im(G @ Kᵀ)`` (GEMM + Numba scatter).
    grad_out: (B, OH, OW, F) -> (grad_x (B, H, W, C) or None, grad_kernel, grad_bias or None).
    """
    if cache["method"] == "winograd":
        return winograd.conv2d_backward(grad_out, cache, compute_grad_x)
    cols, kernel = cache["cols"], cache["kernel"]
    kh, kw, channels, filters = kernel.shape
    k = kh * kw * channels
    g = np.ascontiguousarray(grad_out, dtype=cols.dtype).reshape(-1, filters)
    grad_weights = np.dot(cols.T, g)
    grad_kernel = grad_weights[:k].reshape(kernel.shape)
    grad_bias = grad_weights[k] if cache["has_bias"] else None
    grad_x = None
    if compute_grad_x:
        grad_cols = np.dot(g, np.asarray(kernel, dtype=cols.dtype).reshape(k, filters).T)
        grad_x = np.empty(cache["x_shape"], dtype=cols.dtype)
        (sh, sw), (dh, dw), (oh, ow) = cache["strides"], cache["dilation"], cache["out_size"]
        top, left = cache["pads"][0][0], cache["pads"][1][0]
        _col2im_kernel(grad_cols, kh, kw, sh, sw, dh, dw, top, left, oh, ow, grad_x)
    return grad_x, grad_kernel, grad_bias


@numba.njit(cache=True, nogil=True)
def _maxpool_forward_kernel(x, ph, pw, sh, sw, top, left, out, argmax):
    """out = max over the in-bounds cells of each window (padding is simply skipped, i.e. −∞);
    argmax = flat index into x of the FIRST maximum in row-major order (strict '>' keeps it).
    The channel loop is innermost: contiguous in NHWC, so it vectorises."""
    batch, height, width, channels = x.shape
    _, oh, ow, _ = out.shape
    for n in range(batch):
        for i in range(oh):
            y_lo = max(i * sh - top, 0)
            y_hi = min(i * sh - top + ph, height)
            for j in range(ow):
                x_lo = max(j * sw - left, 0)
                x_hi = min(j * sw - left + pw, width)
                first = ((n * height + y_lo) * width + x_lo) * channels
                if y_hi - y_lo == 2 and x_hi - x_lo == 2:
                    # a whole 2x2 window (Keras's default): four named cells kept in registers,
                    # faster than the general loop below
                    right, down = channels, width * channels
                    for c in range(channels):
                        best, where = x[n, y_lo, x_lo, c], first + c
                        v = x[n, y_lo, x_lo + 1, c]
                        if v > best:
                            best, where = v, first + right + c
                        v = x[n, y_lo + 1, x_lo, c]
                        if v > best:
                            best, where = v, first + down + c
                        v = x[n, y_lo + 1, x_lo + 1, c]
                        if v > best:
                            best, where = v, first + down + right + c
                        out[n, i, j, c] = best
                        argmax[n, i, j, c] = where
                    continue
                for c in range(channels):
                    out[n, i, j, c] = x[n, y_lo, x_lo, c]
                    argmax[n, i, j, c] = first + c
                for y in range(y_lo, y_hi):
                    for xx in range(x_lo, x_hi):
                        cell = ((n * height + y) * width + xx) * channels
                        for c in range(channels):
                            v = x[n, y, xx, c]
                            if v > out[n, i, j, c]:
                                out[n, i, j, c] = v
                                argmax[n, i, j, c] = cell + c


@numba.njit(cache=True, nogil=True)
def _maxpool_backward_kernel(grad_out, argmax, grad_x):
    """grad_x = 0; grad_x.flat[argmax[k]] += grad_out.flat[k] (overlapping windows add up)."""
    gf = grad_x.reshape(-1)
    go = grad_out.reshape(-1)
    af = argmax.reshape(-1)
    gf[:] = 0
    for k in range(go.size):
        gf[af[k]] += go[k]


def maxpool2d_forward(x, pool_size=(2, 2), strides=None, padding="valid"):
    """Fast twin of :func:`scratch.ops.reference.maxpool2d_forward` (same arguments and output).

    x: (B, H, W, C) -> out: (B, OH, OW, C); cache: dict(argmax (B, OH, OW, C): flat index into x
    of each window's first maximum (int32, int64 for huge x), x_shape).
    """
    pool_size = _pair(pool_size, "pool_size")
    strides = pool_size if strides is None else _pair(strides, "strides")
    x = np.ascontiguousarray(x)
    batch, height, width, channels = x.shape
    (oh, ow), pads = reference.spatial_padding(height, width, pool_size, strides, padding)
    out = np.empty((batch, oh, ow, channels), dtype=x.dtype)
    argmax = np.empty(out.shape, dtype=np.int32 if x.size < 2**31 else np.int64)
    _maxpool_forward_kernel(x, pool_size[0], pool_size[1], strides[0], strides[1],
                            pads[0][0], pads[1][0], out, argmax)
    return out, dict(argmax=argmax, x_shape=x.shape)


def maxpool2d_backward(grad_out, cache):
    """Fast twin of :func:`scratch.ops.reference.maxpool2d_backward`: a scatter-add through the
    recorded argmax. grad_out: (B, OH, OW, C) -> grad_x: (B, H, W, C)."""
    grad_out = np.ascontiguousarray(grad_out)
    grad_x = np.empty(cache["x_shape"], dtype=grad_out.dtype)
    _maxpool_backward_kernel(grad_out, cache["argmax"], grad_x)
    return grad_x


# ----------------------------------------------------------------------------- AveragePooling2D / global pooling
# Average pooling: one serial Numba pass each way, channels innermost (contiguous in NHWC), like
# the max-pooling kernels; each window is cut to the input and divided by its own cell count.
# The global poolings are one NumPy reduction each: the reference is the fast form already.
global_avgpool2d_forward = reference.global_avgpool2d_forward
global_avgpool2d_backward = reference.global_avgpool2d_backward
global_maxpool2d_forward = reference.global_maxpool2d_forward
global_maxpool2d_backward = reference.global_maxpool2d_backward


@numba.njit(cache=True, nogil=True)
def _avgpool_forward_kernel(x, ph, pw, sh, sw, top, left, out):
    batch, height, width, channels = x.shape
    _, oh, ow, _ = out.shape
    for n in range(batch):
        for i in range(oh):
            y_lo, y_hi = max(i * sh - top, 0), min(i * sh - top + ph, height)
            for j in range(ow):
                x_lo, x_hi = max(j * sw - left, 0), min(j * sw - left + pw, width)
                count = x.dtype.type((y_hi - y_lo) * (x_hi - x_lo))
                for c in range(channels):
                    out[n, i, j, c] = 0
                for y in range(y_lo, y_hi):
                    for xx in range(x_lo, x_hi):
                        for c in range(channels):
                            out[n, i, j, c] += x[n, y, xx, c]
                for c in range(channels):
                    out[n, i, j, c] /= count


@numba.njit(cache=True, nogil=True)
def _avgpool_backward_kernel(grad_out, ph, pw, sh, sw, top, left, grad_x):
    batch, height, width, channels = grad_x.shape
    _, oh, ow, _ = grad_out.shape
    grad_x[:] = 0
    for n in range(batch):
        for i in range(oh):
            y_lo, y_hi = max(i * sh - top, 0), min(i * sh - top + ph, height)
            for j in range(ow):
                x_lo, x_hi = max(j * sw - left, 0), min(j * sw - left + pw, width)
                count = grad_out.dtype.type((y_hi - y_lo) * (x_hi - x_lo))
                for y in range(y_lo, y_hi):
                    for xx in range(x_lo, x_hi):
                        for c in range(channels):
                            grad_x[n, y, xx, c] += grad_out[n, i, j, c] / count


def avgpool2d_forward(x, pool_size=(2, 2), strides=None, padding="valid"):
    """Fast twin of :func:`scratch.ops.reference.avgpool2d_forward` (same arguments, output, cache)."""
    pool_size = _pair(pool_size, "pool_size")
    strides = pool_size if strides is None else _pair(strides, "strides")
    x = np.ascontiguousarray(x)
    batch, height, width, channels = x.shape
    (oh, ow), pads = reference.spatial_padding(height, width, pool_size, strides, padding)
    out = np.empty((batch, oh, ow, channels), dtype=x.dtype)
    _avgpool_forward_kernel(x, pool_size[0], pool_size[1], strides[0], strides[1], pads[0][0], pads[1][0], out)
    return out, dict(x_shape=x.shape, pool_size=pool_size, strides=strides, pads=pads, out_size=(oh, ow))


def avgpool2d_backward(grad_out, cache):
    """Fast twin of :func:`scratch.ops.reference.avgpool2d_backward`. grad_out: (B, OH, OW, C) -> (B, H, W, C)."""
    grad_out = np.ascontiguousarray(grad_out)
    grad_x = np.empty(cache["x_shape"], dtype=grad_out.dtype)
    (ph, pw), (sh, sw) = cache["pool_size"], cache["strides"]
    _avgpool_backward_kernel(grad_out, ph, pw, sh, sw, cache["pads"][0][0], cache["pads"][1][0], grad_x)
    return grad_x


# ----------------------------------------------------------------------------- Dropout / Rescaling
# One elementwise NumPy pass each on small arrays (Dense-sized activations): the reference is the
# fast form already.
dropout_forward = reference.dropout_forward
dropout_backward = reference.dropout_backward
rescaling_forward = reference.rescaling_forward
rescaling_backward = reference.rescaling_backward


# ----------------------------------------------------------------------------- image augmentation
# affine_transform: one Numba pass, each output pixel's source point computed once for all its
# channels (the reference builds a dozen (B, H, W, C) temporaries). The same float32 arithmetic
# as the reference, in the same order: every literal and integer is made float32 explicitly,
# since Numba would otherwise promote to float64. RandomContrast's op is two NumPy reductions and
# one elementwise pass: the reference is the fast form already.
_FILL_MODE_CODES = {"reflect": 0, "wrap": 1, "constant": 2, "nearest": 3}
adjust_contrast_forward = reference.adjust_contrast_forward
adjust_contrast_backward = reference.adjust_contrast_backward


@numba.njit(cache=True, nogil=True)
def _fold_coordinate(c, n, mode):
    """:func:`scratch.ops.reference._fold_coordinate` for one float32 point (mode: reflect 0,
    wrap 1, constant 2, nearest 3)."""
    if mode == 2:
        return c
    one = np.float32(1.0)
    if c < 0:
        if n <= 1:
            c = np.float32(0.0)
        elif mode == 0:
            period = np.float32(2 * n)
            c = c + period * np.float32(int(-c / period))
            c = c + period if c < np.float32(-n) else -c - one
        elif mode == 1:
            c = c + np.float32(n) * (np.float32(int(-c / np.float32(n - 1))) + one)
    elif c > np.float32(n - 1):
        if n <= 1:
            c = np.float32(0.0)
        elif mode == 0:
            period = np.float32(2 * n)
            c = c - period * np.float32(int(c / period))
            if c >= np.float32(n):
                c = period - c - one
        elif mode == 1:
            c = c - np.float32(n) * np.float32(int(c / np.float32(n - 1)))
    return min(max(c, np.float32(0.0)), np.float32(n - 1))


@numba.njit(cache=True, nogil=True)
def _pixel_index(c, n):
    """A whole-number float point as an index, clipped to [-1, n] (-1 and n read the fill)."""
    return int(min(max(c, np.float32(-1.0)), np.float32(n)))


@numba.njit(cache=True, nogil=True)
def _affine_kernel(images, t, bilinear, mode, fill, out):
    batch, height, width, channels = images.shape
    one, zero, half = np.float32(1.0), np.float32(0.0), np.float32(0.5)
    for b in range(batch):
        a0, a1, a2, b0, b1, b2, c0, c1 = t[b, 0], t[b, 1], t[b, 2], t[b, 3], t[b, 4], t[b, 5], t[b, 6], t[b, 7]
        for i in range(height):
            yf = np.float32(i)
            for j in range(width):
                xf = np.float32(j)
                k = c0 * xf + c1 * yf + one
                if k == zero:
                    for ch in range(channels):
                        out[b, i, j, ch] = fill
                    continue
                x = _fold_coordinate((a0 * xf + a1 * yf + a2) / k, width, mode)
                y = _fold_coordinate((b0 * xf + b1 * yf + b2) / k, height, mode)
                if not bilinear:    # round halves away from zero, as std::round
                    rx, ry = np.floor(np.abs(x)), np.floor(np.abs(y))
                    rx = rx + one if np.abs(x) - rx >= half else rx
                    ry = ry + one if np.abs(y) - ry >= half else ry
                    col = _pixel_index(rx if x >= zero else -rx, width)
                    row = _pixel_index(ry if y >= zero else -ry, height)
                    inside = 0 <= row < height and 0 <= col < width
                    for ch in range(channels):
                        out[b, i, j, ch] = images[b, row, col, ch] if inside else fill
                    continue
                x0, y0 = np.floor(x), np.floor(y)
                x1, y1 = x0 + one, y0 + one
                wx0, wx1, wy0, wy1 = x1 - x, x - x0, y1 - y, y - y0
                col0, col1 = _pixel_index(x0, width), _pixel_index(x1, width)
                row0, row1 = _pixel_index(y0, height), _pixel_index(y1, height)
                in_c0, in_c1 = 0 <= col0 < width, 0 <= col1 < width
                in_r0, in_r1 = 0 <= row0 < height, 0 <= row1 < height
                for ch in range(channels):
                    p00 = images[b, row0, col0, ch] if in_r0 and in_c0 else fill
                    p01 = images[b, row0, col1, ch] if in_r0 and in_c1 else fill
                    p10 = images[b, row1, col0, ch] if in_r1 and in_c0 else fill
                    p11 = images[b, row1, col1, ch] if in_r1 and in_c1 else fill
                    top = wx0 * p00 + wx1 * p01
                    bottom = wx0 * p10 + wx1 * p11
                    out[b, i, j, ch] = wy0 * top + wy1 * bottom


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """Same as :func:`scratch.ops.reference.affine_transform`, one Numba pass."""
    reference._check_affine_arguments(interpolation, fill_mode)
    images = np.ascontiguousarray(images)
    t = np.ascontiguousarray(np.broadcast_to(np.asarray(transforms, np.float32).reshape(-1, 8), (len(images), 8)))
    out = np.empty_like(images)
    _affine_kernel(images, t, interpolation == "bilinear", _FILL_MODE_CODES[fill_mode],
                   images.dtype.type(fill_value), out)
    return out


# ----------------------------------------------------------------------------- Image resizing
# Nearest neighbour is one fancy-indexing gather: the reference is the fast form. Bilinear in
# NumPy builds four gathered (…, OH, OW, C) temporaries; the kernel reads the four taps per output
# value directly (the taps themselves come from the reference: O(OH + OW) work). Pixels are read
# through a 4-slot buffer of the output dtype, so uint8 input is interpolated in float32 exactly
# as the reference (and TensorFlow) interpolate it. Measured on a 1600x1200 uint8 photo to
# 256x256: 0.8 ms against the reference's 7.6 ms (300x400: 0.8 ms against 2.1 ms).
resize_nearest = reference.resize_nearest
resize_weighted = reference.resize_weighted    # weight matrices: BLAS already does the work


@numba.njit(cache=True, nogil=True)
def _resize_bilinear_kernel(x, y0, y1, wy, x0, x1, wx, taps, out):
    """out[n, i, j, c] = top + (bottom − top)·wy[i], top/bottom the rows y0[i]/y1[i] interpolated
    between columns x0[j] and x1[j] with weight wx[j]. x: (B, H, W, C); out: (B, OH, OW, C)."""
    batch, out_h, out_w, channels = out.shape
    for n in range(batch):
        for i in range(out_h):
            for j in range(out_w):
                for c in range(channels):
                    taps[0] = x[n, y0[i], x0[j], c]
                    taps[1] = x[n, y0[i], x1[j], c]
                    taps[2] = x[n, y1[i], x0[j], c]
                    taps[3] = x[n, y1[i], x1[j], c]
                    top = taps[0] + (taps[1] - taps[0]) * wx[j]
                    bottom = taps[2] + (taps[3] - taps[2]) * wx[j]
                    out[n, i, j, c] = top + (bottom - top) * wy[i]


def resize_bilinear(images, size):
    """Fast twin of :func:`scratch.ops.reference.resize_bilinear` (``tf.image.resize``, bilinear,
    half-pixel centres). images: (H, W, C) or (B, H, W, C) -> (…, OH, OW, C), float32 (float64
    for float64 input)."""
    out_h, out_w = reference._check_resize_args(images, size, "resize_bilinear")
    dtype = np.float64 if images.dtype == np.float64 else np.float32
    y0, y1, wy = reference._bilinear_taps(images.shape[-3], out_h)
    x0, x1, wx = reference._bilinear_taps(images.shape[-2], out_w)
    batch = images if images.ndim == 4 else images[None]
    out = np.empty((batch.shape[0], out_h, out_w, batch.shape[3]), dtype=dtype)
    _resize_bilinear_kernel(batch, y0, y1, wy.astype(dtype), x0, x1, wx.astype(dtype),
                            np.empty(4, dtype), out)
    return out if images.ndim == 4 else out[0]
