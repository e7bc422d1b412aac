"""Numerical gradient checking: centred differences in float64 (CS231n style).

The second oracle of the kit, independent of Keras: an analytic backward pass is right when it
matches ``(f(x + h) − f(x − h)) / 2h`` for every input element.

Example::

    >>> import numpy as np
    >>> x = np.array([1.0, -2.0, 3.0])
    >>> g = numerical_gradient(lambda x: float((x ** 2).sum()), x)
    >>> np.allclose(g, 2 * x)
    True
"""
import numpy as np


def numerical_gradient(f, x, h=1e-6):
    """Centred-difference gradient of the scalar function ``f`` at ``x`` (float64, any shape).

    ``x`` is perturbed in place and restored, one element at a time.
    """
    if x.dtype != np.float64:
        raise TypeError(f"x: expected a float64 array for gradient checking, received {x.dtype}")
    grad = np.zeros_like(x)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + h
        plus = f(x)
        flat_x[i] = old - h
        minus = f(x)
        flat_x[i] = old
        flat_grad[i] = (plus - minus) / (2 * h)
    return grad


def relative_error(a, b):
    """Largest elementwise ``|a − b| / max(1e-8, |a| + |b|)`` (CS231n's measure)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


def check_gradient(f, x, analytic_grad, h=1e-6):
    """Return the relative error between ``analytic_grad`` and the numerical gradient of ``f``."""
    return relative_error(analytic_grad, numerical_gradient(f, x, h))
