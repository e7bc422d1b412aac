"""im2col and its adjoint col2im: Conv2D as one matrix product (the reference's method).

``im2col`` unfolds every receptive field of the (implicitly zero-padded) input into one row,
``cols[(n, i, j), (a, b, c)] = x[n, i·sh + a·dh − top, j·sw + b·dw − left, c]`` (0 in the
padding), so the convolution is ``cols @ kernel.reshape(kh·kw·C, F)`` (``kernels/matmul.py``).
A last column of ones follows when the layer has a bias (the reference's ``[cols | 1]``).
One thread per cell of ``cols``: the padding is never materialised, the index arithmetic
decides whether a cell reads ``x`` or is 0.

``col2im`` is the adjoint, ``dx[n, y, x, c] = Σ grad_cols[(n, i, j), (a, b, c)]`` over the
windows ``(i, j)`` and taps ``(a, b)`` that read input cell ``(y, x)``. The reference scatters
each row back (``+=`` onto overlapping fields); on a GPU many threads would then add onto the
same cell at once (a race, or slow atomics). Here each thread *gathers* instead: it owns one
input cell and walks the taps ``(a, b)``, keeping those where ``i = (y + top − a·dh) / sh`` and
``j = (x + left − b·dw) / sw`` are whole numbers inside the output (:func:`_window_reading`, one
axis at a time). No two threads write the same cell, and the sum is in a fixed order
(deterministic). ``fused.conv_input_gradient`` walks the taps the same way.
Shapes: x, grad_x: (B, H, W, C); cols: (B·OH·OW, kh·kw·C [+ 1]); grad_cols: (B·OH·OW, kh·kw·C).
"""
from numba import cuda, float32


@cuda.jit(device=True)
def _window_reading(pixel, tap, pad, dilation, stride, out_size):
    """Along one axis, the output position ``i`` whose window reads input cell ``pixel`` with tap
    ``tap``: im2col reads ``pixel = i·stride + tap·dilation − pad``, so
    ``i = (pixel + pad − tap·dilation) / stride`` when that is a whole number in ``[0, out_size)``;
    ``-1`` when no window reads ``pixel`` with this tap (it falls in the padding or between strides)."""
    i_stride = pixel + pad - tap * dilation        # = i·stride
    if i_stride < 0 or i_stride % stride != 0 or i_stride // stride >= out_size:
        return -1
    return i_stride // stride


@cuda.jit
def im2col(x, kh, kw, sh, sw, dh, dw, top, left, oh, ow, cols):
    """Fill ``cols`` from ``x`` (module docstring); columns past kh·kw·C are set to 1."""
    batch, height, width, channels = x.shape
    rows, ncols = cols.shape
    taps = kh * kw * channels
    for cell in range(cuda.grid(1), rows * ncols, cuda.gridsize(1)):
        row, col = cell // ncols, cell % ncols
        if col >= taps:
            cols[row, col] = float32(1)
            continue
        n, ij = row // (oh * ow), row % (oh * ow)
        i, j = ij // ow, ij % ow
        a, bc = col // (kw * channels), col % (kw * channels)
        b, c = bc // channels, bc % channels
        y = i * sh + a * dh - top
        xx = j * sw + b * dw - left
        if 0 <= y < height and 0 <= xx < width:
            cols[row, col] = x[n, y, xx, c]
        else:
            cols[row, col] = float32(0)


@cuda.jit
def col2im(grad_cols, kh, kw, sh, sw, dh, dw, top, left, oh, ow, grad_x):
    """``grad_x[n, y, x, c] = Σ_{a, b} grad_cols[(n, i, j), (a, b, c)]`` over the taps whose
    window (i, j) exists (module docstring): one thread gathers one input cell."""
    batch, height, width, channels = grad_x.shape
    for cell in range(cuda.grid(1), grad_x.size, cuda.gridsize(1)):
        c = cell % channels
        rest = cell // channels
        xx = rest % width
        rest //= width
        y = rest % height
        n = rest // height
        acc = float32(0)
        for a in range(kh):
            i = _window_reading(y, a, top, dh, sh, oh)        # the window row that reads y with tap a
            if i < 0:
                continue
            for b in range(kw):
                j = _window_reading(xx, b, left, dw, sw, ow)
                if j < 0:
                    continue
                acc += grad_cols[(n * oh + i) * ow + j, (a * kw + b) * channels + c]
        grad_x[n, y, xx, c] = acc
