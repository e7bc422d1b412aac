"""Weight initializers with Keras's formulas (``keras/src/initializers``).

Random draws come from the kit's generator (:func:`scratch.set_random_seed`), so they cannot
equal Keras's draws: parity tests copy weights across instead.
"""
import math

import numpy as np

from scratch import backend


def compute_fans(shape):
    """Keras's ``compute_fans``: ``(in, out)`` for a Dense kernel; a conv kernel
    ``(kh, kw, in, out)`` multiplies both by the receptive field ``kh·kw``.

    >>> compute_fans((3, 3, 1, 32))
    (9, 288)
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def glorot_uniform(shape):
    """``U[−limit, limit)`` with ``limit = sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio, 2010)."""
    fan_in, fan_out = compute_fans(shape)
    limit = math.sqrt(3.0 / max(1.0, (fan_in + fan_out) / 2.0))
    return backend.rng().uniform(-limit, limit, size=shape).astype(backend.FLOATX)


def zeros(shape):
    """All zeros."""
    return np.zeros(shape, dtype=backend.FLOATX)


_INITIALIZERS = {"glorot_uniform": glorot_uniform, "zeros": zeros}


def get(identifier):
    """Resolve an initializer name (or pass a callable ``shape -> array`` through)."""
    if callable(identifier):
        return identifier
    if identifier not in _INITIALIZERS:
        raise ValueError(
            f"initializer: expected one of {sorted(_INITIALIZERS)} or a callable, received {identifier!r}"
        )
    return _INITIALIZERS[identifier]
