"""Activation functions by name, each a forward op and its backward op.

``Dense(activation="relu")``, ``Activation("relu")`` and ``ReLU()`` all use the same ops. Every
backward here needs only the activation's *output* ``y`` (``relu``: ``y > 0`` iff ``x > 0``).

Example::

    >>> import numpy as np
    >>> get("relu").forward(np.array([-1.0, 2.0]))
    array([0., 2.])
"""
from scratch import backend


class ActivationFunction:
    """A named activation: ``forward(x) -> y`` and ``backward(grad_y, y) -> grad_x``."""

    def __init__(self, name):
        self.name = name
        self._forward = f"{name}_forward"
        self._backward = f"{name}_backward"

    def forward(self, x):
        return getattr(backend.ops, self._forward)(x)

    def backward(self, grad_y, y):
        return getattr(backend.ops, self._backward)(grad_y, y)

    @property
    def is_softmax(self):
        return self.name == "softmax"

    def __repr__(self):
        return f"<activation {self.name}>"


NAMES = ("linear", "relu", "sigmoid", "softmax", "tanh")


def get(identifier):
    """``None`` or a name from :data:`NAMES` (or an :class:`ActivationFunction`) -> ActivationFunction."""
    if identifier is None:
        return ActivationFunction("linear")
    if isinstance(identifier, ActivationFunction):
        return identifier
    if isinstance(identifier, str) and identifier in NAMES:
        return ActivationFunction(identifier)
    if callable(identifier):
        raise TypeError(
            f"activation: a plain callable has no backward pass here; expected one of {list(NAMES)}, "
            f"received {identifier!r}"
        )
    raise ValueError(f"activation: expected one of {list(NAMES)} or None, received {identifier!r}")
