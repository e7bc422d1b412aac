"""Fast ops: the same functions and signatures as :mod:`scratch.ops.reference`.

Where NumPy's BLAS-backed code is already the fastest form (matrix products), the reference
function is reused as is; Numba kernels replace the rest where a measurement showed a gain.
Every function here is tested against its reference twin.
"""
import numpy as np
import numba

from scratch.ops import reference
from scratch.ops.reference import EPSILON  # noqa: F401  (same constant as the reference)

# Matrix products: NumPy calls BLAS directly; nothing to gain from Numba.
dense_forward = reference.dense_forward
_SMALL_BATCH = 32


def dense_backward(grad_y, x, kernel, use_bias=True, compute_grad_x=True):
    """Same as :func:`scratch.ops.reference.dense_backward`. For batches of up to 32 rows ``dx``
    is computed as ``(kernel @ dyᵀ)ᵀ``: OpenBLAS runs that shape faster (one thread, measured:
    16 rows, 3136→100 units 0.28 → 0.16 ms; 32 rows, 784→128 0.12 → 0.09 ms; but 128 rows
    slower, so larger batches keep the reference form)."""
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
categorical_crossentropy_from_logits = reference.categorical_crossentropy_from_logits
categorical_crossentropy_from_probs = reference.categorical_crossentropy_from_probs
sparse_crossentropy_from_probs = reference.sparse_crossentropy_from_probs
sgd_update = reference.sgd_update
sgd_momentum_update = reference.sgd_momentum_update
rmsprop_update = reference.rmsprop_update


# ReLU on conv feature maps (800,000 values per batch in the seed CNN): np.maximum and
# grad * (y > 0) take 0.43 and 0.35 ms there; one Numba pass each takes 0.09 and 0.14 ms.
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
# makes one. Same float32 operations in the same order as the reference (bit-identical results).
# error_model="numpy" drops Python's ZeroDivisionError checks, which lets LLVM vectorise the loop
# (measured 0.85 → 0.10 ms per step for the seed CNN's 333,526 weights); IEEE division and sqrt
# are exact either way.
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


def adam_update(variable, grad, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2, epsilon):
    """Same as :func:`scratch.ops.reference.adam_update`, fused into one Numba loop."""
    flat = (variable.reshape(-1), np.ascontiguousarray(grad).reshape(-1), m.reshape(-1), v.reshape(-1))
    constants = (alpha, one_minus_beta_1, one_minus_beta_2, epsilon)
    if v_hat is None:
        _adam_kernel(*flat, *constants)
    else:
        _adam_amsgrad_kernel(*flat, v_hat.reshape(-1), *constants)


# ----------------------------------------------------------------------------- Conv2D / MaxPooling2D
# Conv2D = im2col (a serial Numba kernel) + BLAS matrix products (np.dot, float32 sgemm), the
# bias riding inside the forward product as a column of ones in `cols` (CS231n's "bias trick":
# the same product then also yields grad_bias as its last row); 3x3 stride-1 kernels on 16+
# channels take Winograd's F(2x2, 3x3) instead (scratch/ops/winograd.py). Measured by
# benchmarks/conv_kernels.py on the 2-core machine (AMD EPYC, OpenBLAS 0.3.31), seed CNN,
# batch 32, 2-thread BLAS, ms per batch forward + backward (medians; conv1's backward without
# grad_x). Candidates of the first round (im2col only):
#            im2col  bias added apart  parallel=True  direct loops  reference  TensorFlow
#   conv1    0.88        1.56             8.50          2.08         1.61       1.23
#   conv2    6.71        6.73            19.93         22.07        10.57       4.46
#   pool1    0.28        0.33             0.27          0.28        12.48       0.76
#   pool2    0.13        0.17             0.14          0.13         5.22       0.57
# Second round, same run: conv2 with Winograd 4.95, with im2col 6.70, TensorFlow 4.21; all four
# layers 6.13 / 8.10 / 6.30. conv2 is GEMM-bound: OpenBLAS sgemm reaches ~80-90 GFLOP/s per
# core on these shapes; Winograd needs 2.25x fewer multiplications; direct Numba loops are
# far slower than either. The Numba kernels stay serial: parallel=True was slower in the full
# forward/backward (OpenBLAS's worker thread keeps spinning after each product and fights the
# Numba threads for the 2 cores); fit uses the cores through data parallelism instead
# (scratch/data_parallel.py), which is why every kernel here releases the GIL (nogil=True).
# Where the innermost index is computed (im2col/col2im's flat
# offsets) it is unsigned (_u64) on purpose: Numba then skips its negative-index wraparound
# check, which otherwise blocks vectorisation (measured 5-10x slower); an innermost index that
# comes straight from range() (the pooling kernel) needs no such care.
from numba import uint64 as _u64  # noqa: E402

from scratch.ops import winograd  # noqa: E402
from scratch.ops.padding import normalize_tuple as _pair  # noqa: E402

_FEW_CHANNELS = 4   # below this many input channels, im2col writes the transposed layout
# 3x3 stride-1 convolutions with this many input channels or more take Winograd's F(2x2, 3x3)
# (scratch/ops/winograd.py). One thread, batch 16, ms forward / backward, im2col vs Winograd:
# C=32→64 at 14x14 (the seed CNN's conv2) 1.52/3.37 vs 0.98/2.12; C=16→32 at 28x28 2.54/4.60 vs
# 1.96/3.33; C=8→16 0.59/1.77 vs 0.68/1.83 (no gain: the 16 products get too thin).
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
    """Fast twin of :func:`scratch.ops.reference.conv2d_forward` (same arguments and output).

    ``out = [cols | 1] @ [K ; bias]``: one GEMM with the bias as an extra row of the kernel;
    3x3 stride-1 kernels on 16+ channels go through :mod:`scratch.ops.winograd` instead.
    x: (B, H, W, C), kernel: (kh, kw, C, F), bias: (F,) or None -> out: (B, OH, OW, F);
    cache: dict(cols (B·OH·OW, kh·kw·C [+1 with bias]; for C < 4 a transposed view of a
    C-contiguous array), kernel, has_bias, x_shape, strides, dilation, pads, out_size), or
    Winograd's own cache (no ``cols``).
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
    cache = dict(cols=cols, kernel=kernel, has_bias=has_bias, x_shape=x.shape, strides=strides,
                 dilation=dilation, pads=pads, out_size=out_size)
    return out.reshape(batch, oh, ow, filters), cache


def conv2d_backward(grad_out, cache, compute_grad_x=True):
    """Fast twin of :func:`scratch.ops.reference.conv2d_backward` (same arguments and outputs).

    ``[dK ; dbias] = [cols | 1]ᵀ @ G`` (one GEMM), ``dx = col2im(G @ Kᵀ)`` (GEMM + Numba scatter).
    grad_out: (B, OH, OW, F) -> (grad_x (B, H, W, C) or None, grad_kernel, grad_bias or None).
    """
    if "cols" not in cache:
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
                    # 2x faster than the general loop below (measured)
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


# ----------------------------------------------------------------------------- Dropout / Rescaling
# One elementwise NumPy pass each on small arrays (Dense-sized activations): the reference is the
# fast form already.
dropout_forward = reference.dropout_forward
dropout_backward = reference.dropout_backward
rescaling_forward = reference.rescaling_forward
rescaling_backward = reference.rescaling_backward
