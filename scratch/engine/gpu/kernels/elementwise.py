"""Element-wise kernels: one output value per input value, each the formula of its reference op.

Every kernel takes flat (1-D) arrays, so one kernel serves any shape (the ops reshape), and is a
grid-stride loop (``scratch/engine/gpu/device.py`` explains the launch shape)::

    i = cuda.grid(1)                  # this thread's global index: blockIdx.x·blockDim.x + threadIdx.x
    while i < n: …; i += cuda.gridsize(1)

Neighbouring threads touch neighbouring elements, so each warp's 32 reads fall in one or two
memory transactions ("coalesced" access) — the one rule of thumb element-wise kernels need.
Launch as ``kernel[blocks, threads](arrays…)`` with ``device.grid_1d(n)``.
"""
import math

from numba import cuda, float32


@cuda.jit
def relu_forward(x, y):
    """``y = max(x, 0)``. x, y: (N,)."""
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        y[i] = x[i] if x[i] > 0 else float32(0)


@cuda.jit
def relu_backward(grad_y, y, grad_x):
    """``dx = dy · [y > 0]``. grad_y, y, grad_x: (N,)."""
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        grad_x[i] = grad_y[i] if y[i] > 0 else float32(0)


@cuda.jit
def sigmoid_forward(x, y):
    """``y = 1 / (1 + exp(−x))``. x, y: (N,)."""
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        y[i] = float32(1) / (float32(1) + math.exp(-x[i]))


@cuda.jit
def sigmoid_backward(grad_y, y, grad_x):
    """``dx = dy · y · (1 − y)``. (N,) each."""
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        grad_x[i] = grad_y[i] * y[i] * (float32(1) - y[i])


@cuda.jit
def tanh_forward(x, y):
    """``y = tanh(x)``. x, y: (N,)."""
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        y[i] = math.tanh(x[i])


@cuda.jit
def tanh_backward(grad_y, y, grad_x):
    """``dx = dy · (1 − y²)``. (N,) each."""
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        grad_x[i] = grad_y[i] * (float32(1) - y[i] * y[i])


@cuda.jit
def masked_scale(x, keep, scale, y):
    """Dropout both ways: ``y = x · scale`` where ``keep`` else 0. x, keep (bool), y: (N,)."""
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        y[i] = x[i] * scale if keep[i] else float32(0)


@cuda.jit
def scale_and_shift(x, scale, offset, y):
    """Rescaling: ``y = float32(x) · scale[c] + offset[c]`` with ``c`` the channel (last axis):
    ``scale``/``offset`` hold one value (every channel) or one per channel. x (any real dtype), y: (N,)."""
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        y[i] = float32(x[i]) * scale[i % scale.size] + offset[i % offset.size]


@cuda.jit
def fill(x, value):
    """``x[:] = value``. x: (N,)."""
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        x[i] = value
