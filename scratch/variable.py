"""``Variable``: a trainable array and the gradient the backward pass leaves on it."""
import numpy as np

from scratch.backend import FLOATX


class Variable:
    """A weight array (``.value``) with its gradient (``.grad``, same shape, filled by ``backward``).

    Example::

        >>> v = Variable(np.zeros((3, 2)), name="kernel")
        >>> v.shape, v.value.dtype
        ((3, 2), dtype('float32'))
        >>> v.numpy().sum()
        np.float32(0.0)
    """

    def __init__(self, value, name="variable", trainable=True):
        self.value = np.array(value, dtype=FLOATX)
        self.grad = None
        self.name = name
        self.path = name
        self.trainable = trainable

    @property
    def shape(self):
        return self.value.shape

    def assign(self, value):
        """Copy ``value`` into the variable in place (shape must match)."""
        value = np.asarray(value)
        if value.shape != self.value.shape:
            raise ValueError(
                f"{self.path}: expected a value of shape {self.value.shape}, received shape {value.shape}"
            )
        self.value[...] = value

    def numpy(self):
        """A copy of the value as a NumPy array, as ``keras.Variable.numpy()`` gives
        (``layer.weights[0].numpy()``)."""
        return self.value.copy()

    def __repr__(self):
        return f"<Variable path={self.path} shape={self.shape}>"
