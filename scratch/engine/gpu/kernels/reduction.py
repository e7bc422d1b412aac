"""Sums: down the columns of a matrix, and of a whole vector (a tree reduction).

:func:`column_sums` — ``out[j] = Σ_i x[i, j]`` (Dense's ``dbias = Σ_batch dy``, Conv2D's over
``B·OH·OW`` rows). One thread per column, looping down the rows: neighbouring threads read
neighbouring addresses of each row (coalesced), and a batch of 32 rows is a short loop, so no
thread needs to cooperate with another.

:func:`block_sums` — the classic parallel reduction (Harris, "Optimizing Parallel Reduction in
CUDA", NVIDIA 2007): each block of ``REDUCE_THREADS`` threads first adds up a grid-stride share
of ``x`` each, into shared memory; then halves the number of active threads at every step,
thread ``t`` adding the value of thread ``t + stride``::

    step 1  [a b c d | e f g h]  → [a+e b+f c+g d+h]       stride 4
    step 2                       → [a+e+c+g  b+f+d+h]      stride 2
    step 3                       → [Σ]                      stride 1

``log2(REDUCE_THREADS)`` steps, a ``syncthreads`` between them. Thread 0 writes its block's sum
to ``partial[blockIdx]``; a second launch with one block sums the partials (see
``scratch.engine.gpu.ops.total``).
"""
from numba import cuda, float32

from scratch.engine.gpu.device import SIMULATOR

# a power of two (the halving steps need it); 8 in the simulator, where each thread is a Python thread
REDUCE_THREADS = 8 if SIMULATOR else 256


@cuda.jit
def column_sums(x, out):
    """``out[j] = Σ_i x[i, j]``. x: (R, C), out: (C,)."""
    rows, cols = x.shape
    for j in range(cuda.grid(1), cols, cuda.gridsize(1)):
        acc = float32(0)
        for i in range(rows):
            acc += x[i, j]
        out[j] = acc


@cuda.jit
def block_sums(x, partial):
    """``partial[b] = Σ`` of block ``b``'s grid-stride share of ``x``. x: (N,), partial: (blocks,).
    Block size REDUCE_THREADS."""
    shared = cuda.shared.array(REDUCE_THREADS, float32)
    t = cuda.threadIdx.x
    acc = float32(0)
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        acc += x[i]
    shared[t] = acc
    cuda.syncthreads()
    stride = REDUCE_THREADS // 2
    while stride > 0:
        if t < stride:
            shared[t] += shared[t + stride]
        cuda.syncthreads()
        stride //= 2
    if t == 0:
        partial[cuda.blockIdx.x] = shared[0]
