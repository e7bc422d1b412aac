"""Fused kernels for a whole training step on the GPU (``scratch/engine/gpu/trainer.py`` and
``blocks.py``).

Launching a kernel from Python costs several microseconds, more than a batch of 32 takes to
compute; so a step is written as few launches, each doing several of the reference's ops at once:

- :func:`gather_batch` — the batch's rows, picked through the epoch's order (the index array:
  the shuffle), from the training set that sits on the device;
- :func:`dense_forward` — ``y = drop(act(x @ w[:D] + w[D]))``: product, bias, ReLU and the
  Dropout layer that follows, in one pass. Conv2D uses it too, on im2col's rows
  (``kernels/convolution.py``): a convolution *is* that product;
- :func:`softmax_crossentropy` — softmax, the per-sample loss, its gradient (already divided by
  the batch size) and the running loss sum and correct-prediction count, in one pass;
- :func:`dense_weight_gradient` — ``[dkernel ; dbias] = [x | 1]ᵀ @ dz``: the bias gradient is the
  product's last row (the reference's "bias trick" of Conv2D), because the trainer keeps each
  layer's kernel and bias as one (D + 1, U) block of its flat parameter buffer; Conv2D's is the
  same product on im2col's rows;
  :func:`dense_weight_gradient_split` is the same sum split over chunks of rows, for Conv2D's
  many rows (``B·OH·OW``), added up atomically;
- :func:`dense_input_gradient` — ``dz below = (dz @ w[:D]ᵀ) ·`` the layer below's way back;
- :func:`conv_input_gradient` — Conv2D's input gradient in one pass: the product with the kernel
  and col2im's gather fused (no ``grad_cols`` buffer), then the layer below's way back;
- :func:`maxpool_backward` — each window's gradient to its argmax, as a gather (one thread per
  input cell, no atomics, no zero fill), then the layer below's way back.

"The layer below's way back" (:func:`_back_through`): the block below ends in a ReLU and maybe a
Dropout; its output ``y`` and keep mask are at hand, so the kernel that computes ``d loss / d y``
multiplies at once by ``keep · scale`` and ``[y > 0]`` and writes ``d loss / d z`` of the block
below — the reference's ``dropout_backward`` and ``relu_backward`` without launches of their own.

A layer's weights ``w`` are one (D + 1, U) block: ``w[:D]`` the kernel (Conv2D's reshaped to
(kh·kw·C, F), im2col's column order), ``w[D]`` the bias. The ``*_simple`` form of each product is
one thread per output cell (what the simulator runs); :func:`dense_forward_tiled` and
:func:`dense_weight_gradient_tiled` are ``kernels/matmul.py``'s shared-memory tiling with the same
epilogues, what a GPU runs for the two products that grow with the images.

Keep masks and the outputs of the block below are passed as (B, features) — one row per sample,
whatever the layer's shape — and indexed by a cell's offset inside its sample; without a Dropout
the kernels get a (1, 1) stand-in and ``dropout=False`` (Numba types every argument, read or not).
"""
import math

from numba import cuda, float32

from scratch.engine.gpu.kernels.convolution import _window_reading
from scratch.engine.gpu.kernels.matmul import TILE, _multiply_tiles
from scratch.engine.gpu.kernels.pooling import _unravel, _windows_holding
from scratch.engine.gpu.kernels.softmax import _row_max


@cuda.jit(device=True)
def _dot(u, v):
    """``Σ_k u[k]·v[k]``, summed in order of ``k`` from a float32 0: one cell of a product, the row
    and column handed in as views (``x[i]``, ``w[:D, j]``). u, v: (K,)."""
    acc = float32(0)
    for k in range(u.shape[0]):
        acc += u[k] * v[k]
    return acc


@cuda.jit(device=True)
def _back_through(g, y, kept, scale, relu, dropout):
    """``g = d loss / d y`` of the block below, taken back through its Dropout (``× keep·scale``)
    and its ReLU (``× [y > 0]``): ``d loss / d z`` there. A kept ``y`` is ``relu(z)·scale``, so
    ``y > 0`` exactly where ``z > 0``; a dropped one has no gradient."""
    if dropout:
        if not kept:
            return float32(0)
        g = g * scale
    if relu and not y > 0:
        return float32(0)
    return g


@cuda.jit(device=True)
def _activate(acc, relu, kept, scale, dropout):
    """``drop(act(acc))``: the forward epilogue (ReLU, then the Dropout that follows)."""
    if relu and not acc > 0:
        acc = float32(0)
    if dropout:
        acc = acc * scale if kept else float32(0)
    return acc


@cuda.jit
def gather_batch(x, labels, order, start, x_batch, label_batch):
    """``x_batch[r] = x[order[start + r]]``, ``label_batch[r] = labels[order[start + r]]``.
    x: (N, D); labels, order: (N,); x_batch: (B, D); label_batch: (B,)."""
    rows, features = x_batch.shape
    for cell in range(cuda.grid(1), rows * features, cuda.gridsize(1)):
        r, k = cell // features, cell % features
        source = order[start + r]
        x_batch[r, k] = x[source, k]
        if k == 0:
            label_batch[r] = labels[source]


@cuda.jit
def dense_forward(x, w, y, relu, keep, scale, dropout):
    """``y = x @ w[:D] + w[D]``, then ``max(y, 0)`` when ``relu``, then ``where(keep, y·scale, 0)``
    when ``dropout``. x: (R, D), w: (D + 1, U), y and keep: (R, U) (keep (1, 1) without dropout)."""
    rows, units = y.shape
    inner = x.shape[1]
    for cell in range(cuda.grid(1), rows * units, cuda.gridsize(1)):
        i, j = cell // units, cell % units
        acc = _dot(x[i], w[:inner, j]) + w[inner, j]
        y[i, j] = _activate(acc, relu, keep[i, j] if dropout else False, scale, dropout)


@cuda.jit
def dense_forward_tiled(x, w, y, relu, keep, scale, dropout):
    """:func:`dense_forward` by shared-memory tiles (``kernels/matmul.py`` draws the tiling).
    Block (TILE, TILE); grid (ceil(U / TILE), ceil(R / TILE))."""
    tile_x = cuda.shared.array((TILE, TILE), float32)
    tile_w = cuda.shared.array((TILE, TILE), float32)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    i = cuda.blockIdx.y * TILE + ty
    j = cuda.blockIdx.x * TILE + tx
    rows, units = y.shape
    inner = x.shape[1]
    acc = float32(0)
    for t in range((inner + TILE - 1) // TILE):
        k = t * TILE + tx
        tile_x[ty, tx] = x[i, k] if i < rows and k < inner else float32(0)
        k = t * TILE + ty
        tile_w[ty, tx] = w[k, j] if k < inner and j < units else float32(0)
        acc = _multiply_tiles(acc, tile_x, tile_w)
    if i < rows and j < units:
        y[i, j] = _activate(acc + w[inner, j], relu, keep[i, j] if dropout else False, scale, dropout)


@cuda.jit
def softmax_crossentropy(logits, labels, scale, grad, sums, with_gradient):
    """Per sample ``b``: ``ℓ_b = logsumexp(z_b) − z_b[y_b]`` and, when ``with_gradient``,
    ``grad_b = (softmax(z_b) − onehot(y_b)) · scale``; ``sums[0] += ℓ_b``, ``sums[1] += 1`` when
    the first largest probability is at ``y_b`` (accuracy). logits, grad: (B, C); labels: (B,);
    sums: (2,), added to atomically (every sample's thread adds its own)."""
    batch, classes = logits.shape
    for b in range(cuda.grid(1), batch, cuda.gridsize(1)):
        row_max = _row_max(logits[b])
        total = float32(0)
        for j in range(classes):
            total += math.exp(logits[b, j] - row_max)
        y = labels[b]
        best, best_j = float32(-1), 0
        for j in range(classes):
            p = math.exp(logits[b, j] - row_max) / total
            if p > best:
                best, best_j = p, j
            if with_gradient:
                grad[b, j] = (p - float32(1) if j == y else p) * scale
        cuda.atomic.add(sums, 0, math.log(total) - (logits[b, y] - row_max))
        if best_j == y:
            cuda.atomic.add(sums, 1, float32(1))


@cuda.jit
def dense_weight_gradient(x, grad_z, grad_w):
    """``grad_w[:D] = xᵀ @ dz`` and ``grad_w[D] = Σ_rows dz``. x: (R, D), grad_z: (R, U),
    grad_w: (D + 1, U)."""
    rows_w, units = grad_w.shape
    batch, inner = x.shape
    for cell in range(cuda.grid(1), rows_w * units, cuda.gridsize(1)):
        k, j = cell // units, cell % units
        acc = float32(0)
        for i in range(batch):
            acc += (x[i, k] if k < inner else float32(1)) * grad_z[i, j]
        grad_w[k, j] = acc


@cuda.jit
def dense_weight_gradient_tiled(x, grad_z, grad_w):
    """:func:`dense_weight_gradient` by shared-memory tiles along the R rows (``[x | 1]ᵀ`` read
    in place). Block (TILE, TILE); grid (ceil(U / TILE), ceil((D + 1) / TILE))."""
    tile_x = cuda.shared.array((TILE, TILE), float32)
    tile_g = cuda.shared.array((TILE, TILE), float32)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    k = cuda.blockIdx.y * TILE + ty            # this thread's row of grad_w
    j = cuda.blockIdx.x * TILE + tx            # and column
    rows_w, units = grad_w.shape
    batch, inner = x.shape
    acc = float32(0)
    for t in range((batch + TILE - 1) // TILE):
        i = t * TILE + tx                      # tile_x[ty, tx] = [x | 1][i, k]
        if i < batch and k < rows_w:
            tile_x[ty, tx] = x[i, k] if k < inner else float32(1)
        else:
            tile_x[ty, tx] = float32(0)
        i = t * TILE + ty
        tile_g[ty, tx] = grad_z[i, j] if i < batch and j < units else float32(0)
        acc = _multiply_tiles(acc, tile_x, tile_g)
    if k < rows_w and j < units:
        grad_w[k, j] = acc


@cuda.jit
def dense_weight_gradient_split(x, grad_z, grad_w, chunk_rows):
    """:func:`dense_weight_gradient` for many rows (Conv2D's ``B·OH·OW``), split along them:
    thread ``(chunk, k, j)`` sums ``[x | 1][i, k] · dz[i, j]`` over its chunk of ``chunk_rows``
    rows and adds that to ``grad_w[k, j]`` atomically — ``ceil(R / chunk_rows)`` times more
    threads than cells, each with a short loop, where one thread per cell would walk all R rows.
    grad_w must hold zeros (the trainer fills the gradient buffer first); the chunks add up in
    whatever order they finish, so the last bits may differ from run to run.
    x: (R, D), grad_z: (R, U), grad_w: (D + 1, U)."""
    rows_w, units = grad_w.shape
    batch, inner = x.shape
    cells = rows_w * units
    chunks = (batch + chunk_rows - 1) // chunk_rows
    for t in range(cuda.grid(1), chunks * cells, cuda.gridsize(1)):
        chunk, cell = t // cells, t % cells
        k, j = cell // units, cell % units
        start = chunk * chunk_rows
        stop = start + chunk_rows
        if stop > batch:
            stop = batch
        acc = float32(0)
        for i in range(start, stop):
            acc += (x[i, k] if k < inner else float32(1)) * grad_z[i, j]
        cuda.atomic.add(grad_w, (k, j), acc)


@cuda.jit
def dense_input_gradient(grad_z, w, y_below, keep, scale, relu, dropout, grad_below):
    """``grad_below = dz @ w[:D]ᵀ`` taken back through the block below (:func:`_back_through`).
    grad_z: (B, U), w: (D + 1, U), y_below, grad_below: (B, D); keep: (B, D) or (1, 1)."""
    batch, inner = grad_below.shape
    for cell in range(cuda.grid(1), batch * inner, cuda.gridsize(1)):
        i, k = cell // inner, cell % inner
        acc = _dot(grad_z[i], w[k])                # (dz @ w[:D]ᵀ)[i, k]: row k of w is column k of w[:D]ᵀ
        grad_below[i, k] = _back_through(acc, y_below[i, k], keep[i, k] if dropout else False, scale,
                                         relu, dropout)


@cuda.jit
def conv_input_gradient(grad_z, w, kh, kw, sh, sw, dh, dw, top, left, y_below, keep, scale, relu, dropout,
                        grad_below):
    """Conv2D's ``dx = col2im(dz @ w[:D]ᵀ)`` in one pass, then back through the block below:
    ``dx[n, y, x, c] = Σ_{a, b} Σ_f dz[n, i, j, f] · w[(a·kw + b)·C + c, f]`` over the taps whose
    window ``(i, j) = ((y + top − a·dh) / sh, (x + left − b·dw) / sw)`` is whole and inside the
    output (``convolution._window_reading``; ``kernels/convolution.py``'s col2im, with the product
    done in place).
    grad_z: (B, OH, OW, F); w: (kh·kw·C + 1, F); grad_below: (B, H, W, C); y_below, keep: (B, H·W·C)."""
    batch, height, width, channels = grad_below.shape
    _, oh, ow, filters = grad_z.shape
    per_sample = height * width * channels
    for cell in range(cuda.grid(1), grad_below.size, cuda.gridsize(1)):
        n, y, xx, c = _unravel(cell, grad_below.shape)
        acc = float32(0)
        for a in range(kh):
            i = _window_reading(y, a, top, dh, sh, oh)        # the window row that reads y with tap a
            if i < 0:
                continue
            for b in range(kw):
                j = _window_reading(xx, b, left, dw, sw, ow)
                if j < 0:
                    continue
                row = (a * kw + b) * channels + c
                for f in range(filters):
                    acc += grad_z[n, i, j, f] * w[row, f]
        offset = cell % per_sample
        grad_below[n, y, xx, c] = _back_through(acc, y_below[n, offset], keep[n, offset] if dropout else False,
                                                scale, relu, dropout)


@cuda.jit
def maxpool_backward(grad_out, argmax, ph, pw, sh, sw, top, left, y_below, keep, scale, relu, dropout,
                     grad_below):
    """``dx[n, y, x, c] = Σ grad_out[n, i, j, c]`` over the windows ``(i, j)`` that hold ``(y, x)``
    and whose argmax (``y·W + x``, from ``pooling.maxpool_forward``) is this cell; then back through
    the block below. One thread per input cell gathers: no two threads write one cell.
    grad_out, argmax: (B, OH, OW, C); grad_below: (B, H, W, C); y_below, keep: (B, H·W·C)."""
    batch, height, width, channels = grad_below.shape
    _, oh, ow, _ = grad_out.shape
    per_sample = height * width * channels
    for cell in range(cuda.grid(1), grad_below.size, cuda.gridsize(1)):
        n, y, xx, c = _unravel(cell, grad_below.shape)
        here = y * width + xx
        i_lo, i_hi = _windows_holding(y, sh, top, ph, oh)
        j_lo, j_hi = _windows_holding(xx, sw, left, pw, ow)
        acc = float32(0)
        for i in range(i_lo, i_hi):
            for j in range(j_lo, j_hi):
                if argmax[n, i, j, c] == here:
                    acc += grad_out[n, i, j, c]
        offset = cell % per_sample
        grad_below[n, y, xx, c] = _back_through(acc, y_below[n, offset], keep[n, offset] if dropout else False,
                                                scale, relu, dropout)
