"""Pooling: max (with its argmax), average, and the global ones. NHWC throughout.

Forward kernels give one thread per output cell ``(n, i, j, c)``, which scans its window cut to
the input (``"same"`` padding is never the maximum and never averaged in, as the reference
says). Average pooling's backward gives one thread per *input* cell, which gathers from the
windows that contain it (rows ``i`` with ``i·sh − top ≤ y < i·sh − top + ph``, columns
likewise): as in ``convolution.col2im``, no two threads write one cell, so no atomics, and the
sum runs over ``(i, j)`` in the reference's order.

Max pooling records, per output cell, ``y·W + x`` of its window's FIRST maximum in row-major
order (a strict ``>`` keeps the first), the reference's ``argmax`` cache. Its backward sends each
output's gradient to that one cell: a scatter from the output cells (the cache holds no window
geometry to gather with), with ``cuda.atomic.add`` where windows overlap.
"""
from numba import cuda, float32


@cuda.jit(device=True)
def _unravel(cell, shape):
    """Flat C-order index -> (n, i, j, c) of a 4-D ``shape``."""
    c = cell % shape[3]
    rest = cell // shape[3]
    j = rest % shape[2]
    rest //= shape[2]
    return rest // shape[1], rest % shape[1], j, c


@cuda.jit(device=True)
def _window_range(i, stride, top, pool, size):
    """[lo, hi): the input cells of window ``i`` along one axis, cut to ``[0, size)``."""
    lo, hi = i * stride - top, i * stride - top + pool
    return (lo if lo > 0 else 0), (hi if hi < size else size)


@cuda.jit(device=True)
def _windows_holding(y, stride, top, pool, out_size):
    """[lo, hi): the windows along one axis that contain input cell ``y``."""
    lo = (y + top - pool + stride) // stride      # ceil((y + top − pool + 1) / stride)
    hi = (y + top) // stride + 1
    return (lo if lo > 0 else 0), (hi if hi < out_size else out_size)


@cuda.jit
def maxpool_forward(x, ph, pw, sh, sw, top, left, out, argmax):
    """out[n, i, j, c] = max of window (i, j); argmax = y·W + x of its first maximum."""
    height, width = x.shape[1], x.shape[2]
    for cell in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        n, i, j, c = _unravel(cell, out.shape)
        y_lo, y_hi = _window_range(i, sh, top, ph, height)
        x_lo, x_hi = _window_range(j, sw, left, pw, width)
        best, where = x[n, y_lo, x_lo, c], y_lo * width + x_lo
        for y in range(y_lo, y_hi):
            for xx in range(x_lo, x_hi):
                if x[n, y, xx, c] > best:
                    best, where = x[n, y, xx, c], y * width + xx
        out[n, i, j, c] = best
        argmax[n, i, j, c] = where


@cuda.jit
def maxpool_backward(grad_out, argmax, grad_x):
    """grad_x[n, y, x, c] += grad_out[n, i, j, c] at (y, x) = argmax of window (i, j); grad_x must
    hold zeros. One thread per OUTPUT cell scatters its gradient: overlapping windows (strides
    smaller than the pool) may send two gradients to one cell, so the add is atomic."""
    width, channels = grad_x.shape[2], grad_x.shape[3]
    for cell in range(cuda.grid(1), grad_out.size, cuda.gridsize(1)):
        n, i, j, c = _unravel(cell, grad_out.shape)
        where = argmax[n, i, j, c]
        cuda.atomic.add(grad_x, (n, where // width, where % width, c), grad_out[n, i, j, c])


@cuda.jit
def avgpool_forward(x, ph, pw, sh, sw, top, left, out):
    """out[n, i, j, c] = mean of window (i, j) cut to the input."""
    height, width = x.shape[1], x.shape[2]
    for cell in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        n, i, j, c = _unravel(cell, out.shape)
        y_lo, y_hi = _window_range(i, sh, top, ph, height)
        x_lo, x_hi = _window_range(j, sw, left, pw, width)
        acc = float32(0)
        for y in range(y_lo, y_hi):
            for xx in range(x_lo, x_hi):
                acc += x[n, y, xx, c]
        out[n, i, j, c] = acc / float32((y_hi - y_lo) * (x_hi - x_lo))


@cuda.jit
def avgpool_backward(grad_out, ph, pw, sh, sw, top, left, grad_x):
    """grad_x[n, y, x, c] = Σ grad_out[n, i, j, c] / |window (i, j)| over the windows holding (y, x)."""
    _, oh, ow, _ = grad_out.shape
    height, width = grad_x.shape[1], grad_x.shape[2]
    for cell in range(cuda.grid(1), grad_x.size, cuda.gridsize(1)):
        n, y, xx, c = _unravel(cell, grad_x.shape)
        i_lo, i_hi = _windows_holding(y, sh, top, ph, oh)
        j_lo, j_hi = _windows_holding(xx, sw, left, pw, ow)
        acc = float32(0)
        for i in range(i_lo, i_hi):
            y_lo, y_hi = _window_range(i, sh, top, ph, height)
            for j in range(j_lo, j_hi):
                x_lo, x_hi = _window_range(j, sw, left, pw, width)
                acc += grad_out[n, i, j, c] / float32((y_hi - y_lo) * (x_hi - x_lo))
        grad_x[n, y, xx, c] = acc


@cuda.jit
def global_avgpool_forward(x, out):
    """out[n, c] = Σ_{y,x} x[n, y, x, c] / (H·W). x: (B, H, W, C), out: (B, C)."""
    batch, height, width, channels = x.shape
    for cell in range(cuda.grid(1), batch * channels, cuda.gridsize(1)):
        n, c = cell // channels, cell % channels
        acc = float32(0)
        for y in range(height):
            for xx in range(width):
                acc += x[n, y, xx, c]
        out[n, c] = acc / float32(height * width)


@cuda.jit
def global_avgpool_backward(grad_out, grad_x):
    """grad_x[n, y, x, c] = grad_out[n, c] / (H·W)."""
    count = float32(grad_x.shape[1] * grad_x.shape[2])
    for cell in range(cuda.grid(1), grad_x.size, cuda.gridsize(1)):
        n, y, xx, c = _unravel(cell, grad_x.shape)
        grad_x[n, y, xx, c] = grad_out[n, c] / count


@cuda.jit
def global_maxpool_forward(x, out):
    """out[n, c] = max_{y,x} x[n, y, x, c]."""
    batch, height, width, channels = x.shape
    for cell in range(cuda.grid(1), batch * channels, cuda.gridsize(1)):
        n, c = cell // channels, cell % channels
        best = x[n, 0, 0, c]
        for y in range(height):
            for xx in range(width):
                if x[n, y, xx, c] > best:
                    best = x[n, y, xx, c]
        out[n, c] = best


@cuda.jit
def global_maxpool_backward(grad_out, x, out, grad_x):
    """grad_x = grad_out · [x = max] / #ties (the gradient shared by every cell equal to the max)."""
    batch, height, width, channels = x.shape
    for cell in range(cuda.grid(1), batch * channels, cuda.gridsize(1)):
        n, c = cell // channels, cell % channels
        ties = float32(0)
        for y in range(height):
            for xx in range(width):
                if x[n, y, xx, c] == out[n, c]:
                    ties += float32(1)
        for y in range(height):
            for xx in range(width):
                hit = float32(1) if x[n, y, xx, c] == out[n, c] else float32(0)
                grad_x[n, y, xx, c] = hit / ties * grad_out[n, c]
