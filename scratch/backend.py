"""Backend switch, float32 policy and the kit's seeded random generator.

Layers never do array maths themselves: they call ``backend.ops.<name>``, where ``ops`` is the
module of the active backend:

- ``"reference"``: :mod:`scratch.ops.reference`, plain readable NumPy (the maths to read);
- ``"cpu"`` (default): :mod:`scratch.engine.cpu`, the fast path (NumPy + Numba kernels);
- ``"gpu"``: :mod:`scratch.engine.gpu.ops`, CUDA kernels written with Numba (``numba-cuda``:
  ``pip install -e '.[gpu]'``); it needs an NVIDIA GPU, or Numba's CUDA simulator
  (``NUMBA_ENABLE_CUDASIM=1``, for tests). ``numba.cuda`` is imported only when it is selected.

All three modules have the same functions with the same signatures and cache keys, so tests can
run them side by side and a reader can always read the reference for what an op computes. The
environment variable ``SCRATCH_BACKEND`` (``reference``, ``cpu`` or ``gpu``), read at import,
picks the backend a script starts with.

Example::

    >>> from scratch import backend
    >>> backend.set_backend("reference")
    >>> backend.get_backend()
    'reference'

It also holds ``clear_session`` (the automatic layer names start afresh), as ``keras.backend``.
"""
import gc
import os
import random

import numpy as np

from scratch import naming

FLOATX = np.float32
BACKENDS = ("reference", "cpu")   # the backends that run on every machine (the suite runs each)
OPTIONAL_BACKENDS = ("gpu",)      # needs an NVIDIA GPU, or Numba's CUDA simulator


def _ops_module(name):
    """The op module of backend ``name``; for ``"gpu"`` a ``RuntimeError`` saying what is missing
    when there is no GPU (and no simulator) or no ``numba.cuda``."""
    if name == "reference":
        from scratch.ops import reference
        return reference
    if name == "gpu":
        try:
            from scratch.engine.gpu import device
        except Exception as error:   # ImportError without numba.cuda; a bad NUMBA_CUDA_DRIVER raises ValueError
            raise RuntimeError(f"backend 'gpu': Numba's CUDA target cannot be loaded ({type(error).__name__}: "
                               f"{error}); the gpu backend needs numba-cuda (pip install -e '.[gpu]') and a "
                               "CUDA driver") from error
        device.require_cuda()
        from scratch.engine.gpu import ops as gpu_ops
        return gpu_ops
    from scratch.engine import cpu
    return cpu


def _initial_backend():
    """The backend named by the environment variable ``SCRATCH_BACKEND``, ``"cpu"`` when unset."""
    name = os.environ.get("SCRATCH_BACKEND", "") or "cpu"
    if name not in BACKENDS + OPTIONAL_BACKENDS:
        raise ValueError(f"SCRATCH_BACKEND: expected one of {list(BACKENDS + OPTIONAL_BACKENDS)}, "
                         f"received {name!r}")
    return name


_active_name = _initial_backend()
ops = _ops_module(_active_name)
_rng = np.random.default_rng()


def set_backend(name):
    """Select the op module every layer uses: ``"reference"``, ``"cpu"`` or ``"gpu"``. Nothing
    changes when it fails (a bad name: ``ValueError``; no GPU for ``"gpu"``: ``RuntimeError``)."""
    global _active_name, ops
    if name not in BACKENDS + OPTIONAL_BACKENDS:
        raise ValueError(f"backend: expected one of {list(BACKENDS + OPTIONAL_BACKENDS)}, received {name!r}")
    ops = _ops_module(name)
    _active_name = name


def get_backend():
    """Name of the active backend."""
    return _active_name


def floatx():
    """The default float dtype, ``float32`` as in Keras."""
    return FLOATX


def set_random_seed(seed):
    """Seed Python's ``random``, NumPy's global RNG and the kit's own generator (like
    ``keras.utils.set_random_seed``). Initial weights, shuffling and dropout masks then repeat.

    Example::

        >>> import scratch
        >>> scratch.set_random_seed(42)
    """
    global _rng
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed: expected an int, received {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    _rng = np.random.default_rng(int(seed))


def rng():
    """The kit's NumPy ``Generator`` (seeded by :func:`set_random_seed`)."""
    return _rng


def clear_session(free_memory=True):
    """Forget the automatic names, as ``keras.backend.clear_session()``: the next ``Dense()`` is
    ``dense`` again (Keras drops its global state, whose ``object_name_uids`` count the names;
    scratch has no other global state to drop: the backend and the seeded generator stay).
    ``free_memory=True`` runs Python's garbage collector, as Keras does.

    Example::

        >>> import scratch
        >>> scratch.backend.clear_session()
        >>> scratch.layers.Dense(3).name
        'dense'
    """
    if not isinstance(free_memory, (bool, np.bool_)):
        raise TypeError(f"free_memory: expected True or False, received {free_memory!r}")
    naming.reset_counters()
    if free_memory:
        gc.collect()
