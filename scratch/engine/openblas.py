"""NumPy's bundled OpenBLAS, reached through ``ctypes``: its thread count, and a restart of its
worker threads. With another BLAS (or none found) every function here does nothing and
:data:`available` is False; callers then keep NumPy's defaults.

Example::

    >>> from scratch.engine import openblas
    >>> with openblas.single_threaded():
    ...     pass     # matrix products here run on the calling thread only
"""
import contextlib
import ctypes
import glob
import os

import numpy as np

# The exported names differ between NumPy's builds (64-bit-integer "scipy_openblas" since 2.0).
_PREFIXES = ("scipy_openblas_", "openblas_")
_SUFFIXES = ("64_", "")


def _load():
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(folder, "*openblas*.so*"))):
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def _symbol(library, name):
    for prefix in _PREFIXES:
        for suffix in _SUFFIXES:
            fn = getattr(library, f"{prefix}{name}{suffix}", None)
            if fn is not None:
                return fn
    return None


_library = _load()
_get = _symbol(_library, "get_num_threads") if _library else None
_set = _symbol(_library, "set_num_threads") if _library else None
_shutdown = getattr(_library, "blas_thread_shutdown_", None) if _library else None
available = _get is not None and _set is not None


def get_num_threads():
    """Threads OpenBLAS uses for one product (None when OpenBLAS is not reachable)."""
    return int(_get()) if available else None


def set_num_threads(count):
    """Use ``count`` threads per product from now on (no effect when OpenBLAS is not reachable)."""
    if available:
        _set(ctypes.c_int(int(count)))


@contextlib.contextmanager
def single_threaded():
    """Within the block each product runs on the thread that calls it (several Python threads
    may then multiply at once, each on its own core); the thread count is restored afterwards."""
    before = get_num_threads()
    set_num_threads(1)
    try:
        yield
    finally:
        if before is not None:
            set_num_threads(before)


def restart_threads():
    """Stop OpenBLAS's worker threads; its next product starts them again, and new threads
    inherit the floating-point mode (MXCSR) of the thread that creates them."""
    if _shutdown is not None:
        _shutdown()
