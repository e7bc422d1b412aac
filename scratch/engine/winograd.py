"""Winograd's minimal filtering F(2x2, 3x3): a 3x3, stride-1 convolution with 2.25x fewer
multiplications than im2col (Lavin & Gray, "Fast Algorithms for Convolutional Neural
Networks", 2015; cuDNN and oneDNN use it too). Used by :mod:`scratch.engine.cpu` for Conv2D layers
with 3x3 kernels, stride 1, no dilation and enough input channels; the reference backend keeps
the plain im2col form.

The output is cut into 2x2 tiles; tile ``t`` reads the 4x4 input patch ``d`` around it. With a
3x3 kernel slice ``g`` (one input channel, one filter)::

    y (2x2) = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A          (cross-correlation, as Keras's Conv2D)

    Bᵀ = [[1, 0,-1, 0],     G = [[ 1,   0,   0 ],     Aᵀ = [[1, 1, 1, 0],
          [0, 1, 1, 0],          [1/2, 1/2, 1/2],           [0, 1,-1,-1]]
          [0,-1, 1, 0],          [1/2,-1/2, 1/2],
          [0, 1, 0,-1]]          [ 0,   0,   1 ]]

The sum over input channels happens inside the ⊙: for each of the 16 positions ξ of the 4x4
"Winograd domain", ``M[ξ] = V[ξ] @ U[ξ]`` with ``V[ξ]`` (tiles, C) the transformed input and
``U[ξ]`` (C, F) the transformed kernel — 16 small matrix products of 16·T·C·F multiply-adds in
all, against 36·T·C·F for im2col (T tiles of 4 outputs: 9 per output). The backward pass is the
exact adjoint of each linear step: ``M̄ = A ȳ Aᵀ``, ``V̄[ξ] = M̄[ξ] @ U[ξ]ᵀ`` then
``dx += B V̄ Bᵀ`` (overlapping patches add up), ``Ū[ξ] = V[ξ]ᵀ @ M̄[ξ]`` then ``dg = Gᵀ Ū G``.
Only additions and halvings are added, so float32 results match im2col to rounding.

Shapes: x (B, H, W, C), kernel (3, 3, C, F), output (B, OH, OW, F); th, tw = ceil(OH/2),
ceil(OW/2) tiles per image; T = B·th·tw.
"""
import numba
import numpy as np

G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def kernel_transform(kernel):
    """``U[ξ] = G g Gᵀ`` for every (channel, filter): (3, 3, C, F) -> (16, C, F)."""
    g = G.astype(kernel.dtype)
    u = np.tensordot(g, np.tensordot(g, kernel, axes=([1], [1])), axes=([1], [1]))  # (4, 4, C, F)
    return np.ascontiguousarray(u.reshape(16, *kernel.shape[2:]))


def kernel_gradient(grad_u):
    """Adjoint of :func:`kernel_transform`: ``dg = Gᵀ Ū G``: (16, C, F) -> (3, 3, C, F)."""
    g = G.astype(grad_u.dtype)
    u = grad_u.reshape(4, 4, *grad_u.shape[1:])
    return np.tensordot(g, np.tensordot(g, u, axes=([0], [1])), axes=([0], [1]))


@numba.njit(cache=True, nogil=True)
def input_transform(x, top, left, th, tw, v):
    """``V[ξ, t, c] = (Bᵀ d B)[ξ]`` for the 4x4 patch ``d`` of each tile (cells outside x are 0).
    x: (B, H, W, C) -> v: (16, B·th·tw, C). The channel loop is innermost: contiguous, vectorised."""
    batch, height, width, channels = x.shape
    d = np.zeros((4, 4, channels), dtype=x.dtype)
    for n in range(batch):
        for i in range(th):
            for j in range(tw):
                t = (n * th + i) * tw + j
                for a in range(4):
                    for b in range(4):
                        y, xx = 2 * i - top + a, 2 * j - left + b
                        if 0 <= y < height and 0 <= xx < width:
                            for c in range(channels):
                                d[a, b, c] = x[n, y, xx, c]
                        else:
                            for c in range(channels):
                                d[a, b, c] = 0
                for b in range(4):          # rows: Bᵀ d
                    for c in range(channels):
                        d0, d1, d2, d3 = d[0, b, c], d[1, b, c], d[2, b, c], d[3, b, c]
                        d[0, b, c] = d0 - d2
                        d[1, b, c] = d1 + d2
                        d[2, b, c] = d2 - d1
                        d[3, b, c] = d1 - d3
                for a in range(4):          # columns: (Bᵀ d) B
                    for c in range(channels):
                        e0, e1, e2, e3 = d[a, 0, c], d[a, 1, c], d[a, 2, c], d[a, 3, c]
                        v[4 * a, t, c] = e0 - e2
                        v[4 * a + 1, t, c] = e1 + e2
                        v[4 * a + 2, t, c] = e2 - e1
                        v[4 * a + 3, t, c] = e1 - e3


@numba.njit(cache=True, nogil=True)
def output_transform(m, bias, th, tw, out):
    """``y = Aᵀ M A`` per tile (+ bias), cropped to the output. m: (16, T, F) -> out: (B, OH, OW, F)."""
    batch, oh, ow, filters = out.shape
    p = np.empty((2, 4, filters), dtype=out.dtype)
    for n in range(batch):
        for i in range(th):
            for j in range(tw):
                t = (n * th + i) * tw + j
                for b in range(4):          # rows: Aᵀ M
                    for f in range(filters):
                        m0, m1, m2, m3 = m[b, t, f], m[4 + b, t, f], m[8 + b, t, f], m[12 + b, t, f]
                        p[0, b, f] = m0 + m1 + m2
                        p[1, b, f] = m1 - m2 - m3
                for a in range(2):          # columns: (Aᵀ M) A
                    y = 2 * i + a
                    if y >= oh:
                        continue
                    for f in range(filters):
                        out[n, y, 2 * j, f] = p[a, 0, f] + p[a, 1, f] + p[a, 2, f] + bias[f]
                    if 2 * j + 1 < ow:
                        for f in range(filters):
                            out[n, y, 2 * j + 1, f] = p[a, 1, f] - p[a, 2, f] - p[a, 3, f] + bias[f]


@numba.njit(cache=True, nogil=True)
def output_adjoint(grad_out, th, tw, m_bar):
    """``M̄ = A ȳ Aᵀ`` per tile (ȳ is 0 past the output's edge). grad_out: (B, OH, OW, F) ->
    m_bar: (16, T, F)."""
    batch, oh, ow, filters = grad_out.shape
    q = np.zeros((4, 2, filters), dtype=grad_out.dtype)
    ybar = np.zeros((2, 2, filters), dtype=grad_out.dtype)
    for n in range(batch):
        for i in range(th):
            for j in range(tw):
                t = (n * th + i) * tw + j
                for a in range(2):
                    for b in range(2):
                        y, xx = 2 * i + a, 2 * j + b
                        if y < oh and xx < ow:
                            for f in range(filters):
                                ybar[a, b, f] = grad_out[n, y, xx, f]
                        else:
                            for f in range(filters):
                                ybar[a, b, f] = 0
                for b in range(2):          # rows: A ȳ
                    for f in range(filters):
                        y0, y1 = ybar[0, b, f], ybar[1, b, f]
                        q[0, b, f] = y0
                        q[1, b, f] = y0 + y1
                        q[2, b, f] = y0 - y1
                        q[3, b, f] = -y1
                for a in range(4):          # columns: (A ȳ) Aᵀ
                    for f in range(filters):
                        q0, q1 = q[a, 0, f], q[a, 1, f]
                        m_bar[4 * a, t, f] = q0
                        m_bar[4 * a + 1, t, f] = q0 + q1
                        m_bar[4 * a + 2, t, f] = q0 - q1
                        m_bar[4 * a + 3, t, f] = -q1


@numba.njit(cache=True, nogil=True)
def input_adjoint(v_bar, top, left, th, tw, grad_x):
    """``dx += B V̄ Bᵀ`` per tile, overlapping patches adding up, cells outside x dropped.
    v_bar: (16, T, C) -> grad_x: (B, H, W, C) (overwritten)."""
    batch, height, width, channels = grad_x.shape
    grad_x[:] = 0
    r = np.empty((4, 4, channels), dtype=grad_x.dtype)
    for n in range(batch):
        for i in range(th):
            for j in range(tw):
                t = (n * th + i) * tw + j
                for b in range(4):          # rows: B V̄
                    for c in range(channels):
                        v0, v1, v2, v3 = v_bar[b, t, c], v_bar[4 + b, t, c], v_bar[8 + b, t, c], v_bar[12 + b, t, c]
                        r[0, b, c] = v0
                        r[1, b, c] = v1 - v2 + v3
                        r[2, b, c] = v2 + v1 - v0
                        r[3, b, c] = -v3
                for a in range(4):          # columns: (B V̄) Bᵀ, scattered into dx
                    y = 2 * i - top + a
                    if y < 0 or y >= height:
                        continue
                    for b in range(4):
                        xx = 2 * j - left + b
                        if xx < 0 or xx >= width:
                            continue
                        if b == 0:
                            for c in range(channels):
                                grad_x[n, y, xx, c] += r[a, 0, c]
                        elif b == 1:
                            for c in range(channels):
                                grad_x[n, y, xx, c] += r[a, 1, c] - r[a, 2, c] + r[a, 3, c]
                        elif b == 2:
                            for c in range(channels):
                                grad_x[n, y, xx, c] += r[a, 2, c] + r[a, 1, c] - r[a, 0, c]
                        else:
                            for c in range(channels):
                                grad_x[n, y, xx, c] -= r[a, 3, c]


def conv2d_forward(x, kernel, bias, out_size, pads):
    """3x3 stride-1 convolution of x (B, H, W, C) -> (out (B, OH, OW, F), cache). The cache has
    the keys of :func:`scratch.ops.reference.conv2d_forward`'s, with ``method="winograd"`` and the
    transformed input ``v`` (16, T, C) and kernel ``u`` (16, C, F) (and the tile counts th, tw) in
    place of ``cols``."""
    batch, _, _, channels = x.shape
    filters = kernel.shape[3]
    (oh, ow), (top, left) = out_size, (pads[0][0], pads[1][0])
    th, tw = (oh + 1) // 2, (ow + 1) // 2
    v = np.empty((16, batch * th * tw, channels), dtype=x.dtype)
    input_transform(x, top, left, th, tw, v)
    u = kernel_transform(kernel)
    m = np.matmul(v, u)
    out = np.empty((batch, oh, ow, filters), dtype=x.dtype)
    output_transform(m, np.zeros(filters, x.dtype) if bias is None else bias, th, tw, out)
    cache = dict(method="winograd", v=v, u=u, th=th, tw=tw, kernel=kernel, has_bias=bias is not None,
                 x_shape=x.shape, strides=(1, 1), dilation=(1, 1), pads=pads, out_size=out_size)
    return out, cache


def conv2d_backward(grad_out, cache, compute_grad_x=True):
    """Adjoint of :func:`conv2d_forward`: (grad_x or None, grad_kernel, grad_bias or None)."""
    v, u, th, tw = cache["v"], cache["u"], cache["th"], cache["tw"]
    grad_out = np.ascontiguousarray(grad_out, dtype=v.dtype)
    m_bar = np.empty((16, v.shape[1], u.shape[2]), dtype=v.dtype)
    output_adjoint(grad_out, th, tw, m_bar)
    grad_kernel = kernel_gradient(np.matmul(v.transpose(0, 2, 1), m_bar))
    grad_bias = grad_out.reshape(-1, grad_out.shape[-1]).sum(axis=0) if cache["has_bias"] else None
    grad_x = None
    if compute_grad_x:
        v_bar = np.matmul(m_bar, u.transpose(0, 2, 1))
        grad_x = np.empty(cache["x_shape"], dtype=v.dtype)
        (top, _), (left, _) = cache["pads"]
        input_adjoint(v_bar, top, left, th, tw, grad_x)
    return grad_x, grad_kernel, grad_bias
