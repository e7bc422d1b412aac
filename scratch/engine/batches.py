"""A shuffled batch gathered and cast to float32 in one pass.

``fit`` deals each epoch's samples in a random order: batch ``b`` is ``x[order[b·B:(b+1)·B]]``
cast to float32. NumPy does that in two passes — the fancy-index gather into a new array of
``x``'s own dtype (float64 for a tutorial's ``x / 255.0``: twice the bytes), then the cast —
:func:`gather_rows` reads each picked row once and writes float32 directly. Same values: the
cast rounds to nearest as NumPy's does (exact for uint8 and float32 inputs).

Example::

    >>> import numpy as np
    >>> x = np.arange(12.0).reshape(4, 3)
    >>> gather_rows(x, np.array([2, 0]))
    array([[6., 7., 8.],
           [0., 1., 2.]], dtype=float32)
"""
import numba
import numpy as np

from scratch.backend import FLOATX

# dtypes the kernel is compiled for (one compiled version each); others take NumPy's two passes
_FAST_DTYPES = (np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.uint8))


@numba.njit(cache=True, nogil=True)
def _gather_rows_kernel(rows, index, out):
    """out[r, :] = rows[index[r], :] (cast to out's dtype). rows (N, D), index (B,), out (B, D)."""
    for r in range(index.size):
        source = rows[index[r]]
        target = out[r]
        for j in range(source.size):
            target[j] = source[j]


def gather_rows(x, index):
    """``np.asarray(x[index], dtype=float32)`` for an int array ``index`` of valid, non-negative
    row numbers: x (N, ...) -> (len(index), ...) float32, in one pass where x is a plain
    C-contiguous float64, float32 or uint8 array (NumPy's gather and cast otherwise)."""
    if (type(x) is not np.ndarray or not x.flags.c_contiguous or x.dtype not in _FAST_DTYPES
            or x.ndim < 1 or x.size == 0 or len(index) == 0):
        return np.asarray(x[index], dtype=FLOATX)
    out = np.empty((len(index),) + x.shape[1:], dtype=FLOATX)
    _gather_rows_kernel(x.reshape(len(x), -1), np.ascontiguousarray(index, dtype=np.int64),
                        out.reshape(len(index), -1))
    return out
