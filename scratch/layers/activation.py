"""Activation layers: ``ReLU``, ``Softmax`` and ``Activation(name)`` — no weights, same maths as
``Dense(activation=...)``."""
from scratch import activations
from scratch.layers.base import Layer


class Activation(Layer):
    """Applies a named activation: ``Activation("relu")``, ``Activation("softmax")``, …

    Example::

        >>> import numpy as np
        >>> Activation("relu")(np.array([[-1.0, 2.0]]))
        array([[0., 2.]])
    """

    def __init__(self, activation, **kwargs):
        self.activation = activations.get(activation)
        super().__init__(**kwargs)

    def forward(self, x, training=False):
        # Kept only before a softmax, for the softmax-crossentropy shortcut (Sequential.compute_loss).
        self.logits = x if self.activation is activations.softmax else None
        self._y = self.activation.forward(x)
        return self._y

    def backward(self, grad_output):
        return self.activation.backward(grad_output, self._y)

    def backward_from_logits(self, grad_z):
        """The input *is* the logits: the softmax-crossentropy shortcut passes the gradient through."""
        return grad_z


class ReLU(Activation):
    """``max(x, 0)`` (Keras's defaults: no ``max_value``, slope 0, threshold 0)."""

    def __init__(self, **kwargs):
        super().__init__("relu", **kwargs)


class Softmax(Activation):
    """``softmax(x)`` along the last axis (Keras's default ``axis=-1``, the only one supported)."""

    def __init__(self, axis=-1, **kwargs):
        if axis != -1:
            raise ValueError(f"axis: only axis=-1 is supported, received {axis!r}")
        super().__init__("softmax", **kwargs)
