"""Activation functions, each an object with a ``forward`` and a ``backward``.

``Dense(activation="relu")``, ``Activation("relu")`` and ``ReLU()`` all use :data:`relu` below.
Every backward needs only the activation's *output* ``y`` (``relu``: ``y > 0`` iff ``x > 0``), so
a layer keeps ``y`` and not its input. The formulas are in :mod:`scratch.ops.reference`, under the
names each method calls. An activation object can also be called like Keras's function:
``scratch.activations.relu(x)``.

Example::

    >>> import numpy as np
    >>> relu.forward(np.array([-1.0, 2.0]))
    array([0., 2.])
    >>> get("relu") is relu
    True
"""
from scratch import backend


class ActivationFunction:
    """Base: ``forward(x) -> y``, ``backward(grad_y, y) -> grad_x``; ``name`` as Keras serialises it."""

    name = None

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_y, y):
        raise NotImplementedError

    def __call__(self, x):
        return self.forward(x)

    def __repr__(self):
        return f"<activation {self.name}>"


class Linear(ActivationFunction):
    """``y = x`` (Keras's ``"linear"``, also what ``activation=None`` means)."""

    name = "linear"

    def forward(self, x):
        return backend.ops.linear_forward(x)

    def backward(self, grad_y, y):
        return backend.ops.linear_backward(grad_y, y)


class Relu(ActivationFunction):
    """``y = max(x, 0)``; ``dx = dy · [y > 0]``."""

    name = "relu"

    def forward(self, x):
        return backend.ops.relu_forward(x)

    def backward(self, grad_y, y):
        return backend.ops.relu_backward(grad_y, y)


class Sigmoid(ActivationFunction):
    """``y = 1 / (1 + exp(−x))``; ``dx = dy · y · (1 − y)``."""

    name = "sigmoid"

    def forward(self, x):
        return backend.ops.sigmoid_forward(x)

    def backward(self, grad_y, y):
        return backend.ops.sigmoid_backward(grad_y, y)


class Softmax(ActivationFunction):
    """``y = exp(x − max x) / Σ exp(x − max x)`` on the last axis; ``dx = y · (dy − Σ dy·y)``.

    A model whose output comes out of a softmax hands a crossentropy loss the logits ``x``
    instead (see ``Sequential.compute_loss``)."""

    name = "softmax"

    def forward(self, x):
        return backend.ops.softmax_forward(x)

    def backward(self, grad_y, y):
        return backend.ops.softmax_backward(grad_y, y)


class Tanh(ActivationFunction):
    """``y = tanh(x)``; ``dx = dy · (1 − y²)``."""

    name = "tanh"

    def forward(self, x):
        return backend.ops.tanh_forward(x)

    def backward(self, grad_y, y):
        return backend.ops.tanh_backward(grad_y, y)


linear, relu, sigmoid, softmax, tanh = Linear(), Relu(), Sigmoid(), Softmax(), Tanh()
ALL = {f.name: f for f in (linear, relu, sigmoid, softmax, tanh)}
NAMES = tuple(ALL)


def get(identifier):
    """``None`` (linear), a name from :data:`NAMES` or an :class:`ActivationFunction` -> that object."""
    if identifier is None:
        return linear
    if isinstance(identifier, ActivationFunction):
        return identifier
    if isinstance(identifier, str) and identifier in ALL:
        return ALL[identifier]
    if callable(identifier):
        raise TypeError(
            f"activation: a plain callable has no backward pass here; expected one of {list(NAMES)}, "
            f"received {identifier!r}"
        )
    raise ValueError(f"activation: expected one of {list(NAMES)} or None, received {identifier!r}")
