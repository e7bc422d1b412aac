"""Matrix products ``out = op(a) @ op(b) (+ bias)``, where ``op`` is the identity or a transpose.

Both kernels compute, for every output cell,

    out[i, j] = Σ_{k < inner} A[i, k] · B[k, j]  (+ bias[j] when has_bias)

with ``A[i, k] = a[k, i]`` if ``transpose_a`` else ``a[i, k]`` (``B`` likewise), so the backward
passes' ``xᵀ @ dy`` and ``dy @ kernelᵀ`` read ``x`` and ``kernel`` where they lie, without a
transposed copy. ``inner`` is passed rather than read off a shape: Conv2D's ``[cols | 1]`` has a
last column of ones that the product with the kernel skips (the bias is added instead).
a: (M, inner) or (inner, M); b: (inner, N) or (N, inner); bias: (N,) (any 1-element array when
``has_bias`` is False); out: (M, N).

:func:`matmul_simple` is the textbook kernel, one thread per output cell. Every thread reads a
whole row of ``A`` and a whole column of ``B`` from global memory: ``2·inner`` loads for
``inner`` multiply-adds, and the GPU's arithmetic units wait on memory.

:func:`matmul_tiled` is the classic shared-memory fix (Kirk & Hwu, *Programming Massively
Parallel Processors*, ch. 5; the CUDA C++ Programming Guide's "Shared Memory" matrix example).
A block of TILE x TILE threads computes one TILE x TILE tile of ``out``. It walks along
``inner`` in steps of TILE; at each step the block copies one TILE x TILE tile of ``A`` and one
of ``B`` into shared memory (each thread copies one value of each), waits until all are copied
(``syncthreads``), then every thread multiplies its row of the ``A`` tile by its column of the
``B`` tile out of shared memory, and waits again before the tiles are overwritten::

          B tiles  ──▶  k
        ┌──┬──┬──┐
        │  │  │  │     step t: every thread of block (bi, bj) loads A[bi·T + ty, t·T + tx]
        └──┴──┴──┘             and B[t·T + ty, bj·T + tx] into the shared tiles, then
    A   ┌──┬──┬──┐  out         acc += Σ_{kk<T} tileA[ty, kk] · tileB[kk, tx]
    ▼   │  │  │  │  ┌──┐
    k   └──┴──┴──┘  │▓▓│ ◀─ one block's tile of out
                    └──┘

Each value loaded from global memory is then used TILE times (once per thread of its row or
column of the block): global traffic drops by a factor of TILE. Cells past the edges load as 0,
so any shape works. Launch with ``grid = (ceil(N / TILE), ceil(M / TILE))``,
``block = (TILE, TILE)`` (x runs along columns: neighbouring threads read neighbouring
addresses of ``b`` and ``out``).
"""
from numba import cuda, float32

TILE = 16   # 16 x 16 = 256 threads per block, two 1 KiB float32 tiles of shared memory


@cuda.jit(device=True)
def _multiply_tiles(acc, tile_a, tile_b):
    """One step of a tiled product, for the thread at ``(ty, tx)`` of its block:
    ``acc + Σ_{kk<TILE} tile_a[ty, kk] · tile_b[kk, tx]``, added to ``acc`` one term at a time.
    It first waits until every thread of the block has copied its value into both shared
    tiles, and after reading waits again, so no thread overwrites a tile another still reads.
    Every thread of the block must call it (a barrier). tile_a, tile_b: (TILE, TILE) shared."""
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    cuda.syncthreads()                     # both tiles complete before anyone reads them
    for kk in range(TILE):
        acc += tile_a[ty, kk] * tile_b[kk, tx]
    cuda.syncthreads()                     # everyone done reading before the next load
    return acc


@cuda.jit
def matmul_simple(a, b, bias, out, inner, transpose_a, transpose_b, has_bias):
    """One thread per output cell (grid-stride over the M·N cells). Shapes: module docstring."""
    rows, cols = out.shape
    for cell in range(cuda.grid(1), rows * cols, cuda.gridsize(1)):
        i, j = cell // cols, cell % cols
        acc = float32(0)
        for k in range(inner):
            a_ik = a[k, i] if transpose_a else a[i, k]
            b_kj = b[j, k] if transpose_b else b[k, j]
            acc += a_ik * b_kj
        out[i, j] = acc + bias[j] if has_bias else acc


@cuda.jit
def matmul_tiled(a, b, bias, out, inner, transpose_a, transpose_b, has_bias):
    """Shared-memory tiled product (the module docstring draws it): each step loads one tile of
    ``A`` and one of ``B``, then :func:`_multiply_tiles`. Block (TILE, TILE)."""
    tile_a = cuda.shared.array((TILE, TILE), float32)
    tile_b = cuda.shared.array((TILE, TILE), float32)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    i = cuda.blockIdx.y * TILE + ty        # this thread's output row
    j = cuda.blockIdx.x * TILE + tx        # and column
    rows, cols = out.shape
    acc = float32(0)
    for t in range((inner + TILE - 1) // TILE):
        k = t * TILE + tx                  # this thread loads A[i, k] ...
        if i < rows and k < inner:
            tile_a[ty, tx] = a[k, i] if transpose_a else a[i, k]
        else:
            tile_a[ty, tx] = 0
        k = t * TILE + ty                  # ... and B[k, j]
        if k < inner and j < cols:
            tile_b[ty, tx] = b[j, k] if transpose_b else b[k, j]
        else:
            tile_b[ty, tx] = 0
        acc = _multiply_tiles(acc, tile_a, tile_b)
    if i < rows and j < cols:
        out[i, j] = acc + bias[j] if has_bias else acc
