"""Activation layers: ``ReLU``, ``Softmax`` and ``Activation(name)`` — no weights, same maths as
``Dense(activation=...)``; built on construction and elementwise (any input shape), as in Keras."""
import numbers

import numpy as np

from scratch import activations, backend
from scratch.layers.base import Layer


class Activation(Layer):
    """Applies a named activation: ``Activation("relu")``, ``Activation("softmax")``, …

    Example::

        >>> import numpy as np
        >>> Activation("relu")(np.array([[-1.0, 2.0]]))
        array([[0., 2.]])
    """

    built_at_init = True
    elementwise = True

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


def _real(value, argument, allow_none=False):
    """A real number (not a bool) or, where allowed, None; else a ``TypeError``."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument}: expected a number{' or None' if allow_none else ''}, received {value!r}")
    return float(value)


class ReLU(Activation):
    """Keras's ``ReLU(max_value=None, negative_slope=0.0, threshold=0.0)``::

        f(x) = max_value                   for x >= max_value
        f(x) = x                           for threshold < x < max_value
        f(x) = negative_slope·(x − threshold)   otherwise

    with Keras's exact float32 steps and TensorFlow's gradients at the kinks
    (``scratch.ops.reference.relu_general_forward``). The defaults run the plain ``relu``.

    Example::

        >>> import numpy as np
        >>> ReLU(max_value=6.0, negative_slope=0.1)(np.array([[-1.0, 2.0, 9.0]], np.float32))
        array([[-0.1,  2. ,  6. ]], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        # Keras's checks (keras/src/layers/activations/relu.py), with the kit's wording
        max_value = _real(max_value, "max_value", allow_none=True)
        negative_slope = _real(negative_slope, "negative_slope", allow_none=True) \
            if negative_slope is not None else None
        threshold = _real(threshold, "threshold", allow_none=True) if threshold is not None else None
        if max_value is not None and max_value < 0.0:
            raise ValueError(f"max_value: expected None or a number >= 0, received {max_value!r}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(f"negative_slope: expected a number >= 0, received {negative_slope!r}")
        if threshold is None or threshold < 0.0:
            raise ValueError(f"threshold: expected a number >= 0, received {threshold!r}")
        super().__init__("relu", **kwargs)
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold
        self.plain = max_value is None and negative_slope == 0.0 and threshold == 0.0

    def forward(self, x, training=False):
        self.logits = None
        if self.plain:
            self._y = self.activation.forward(x)
            return self._y
        self._x = x
        return backend.ops.relu_general_forward(x, self.negative_slope, self.max_value, self.threshold)

    def backward(self, grad_output):
        if self.plain:
            return self.activation.backward(grad_output, self._y)
        return backend.ops.relu_general_backward(grad_output, self._x, self.negative_slope, self.max_value,
                                                 self.threshold)


def _check_axis(axis):
    """An int or a non-empty list/tuple of ints (Keras's Softmax ``axis``)."""
    items = axis if isinstance(axis, (list, tuple)) else [axis]
    if not items or any(isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)) for a in items):
        raise TypeError(f"axis: expected an int or a list of ints, received {axis!r}")
    return tuple(int(a) for a in items) if isinstance(axis, (list, tuple)) else int(axis)


class Softmax(Activation):
    """``softmax(x)`` along ``axis`` (an int, or a list of ints normalised together), as Keras's
    ``Softmax``. Only ``axis=-1`` keeps the softmax-crossentropy shortcut of an output layer
    (the loss's classes are the last axis).

    Example::

        >>> import numpy as np
        >>> Softmax(axis=1)(np.zeros((1, 2, 3))).sum(axis=1)
        array([[1., 1., 1.]])
    """

    def __init__(self, axis=-1, **kwargs):
        axis = _check_axis(axis)
        super().__init__("softmax", **kwargs)
        self.axis = list(axis) if isinstance(axis, tuple) else axis
        self._op_axis = axis[0] if isinstance(axis, tuple) and len(axis) == 1 else axis
        if self._op_axis != -1:
            self.activation = None   # not the plain softmax: no logits shortcut

    def validate_input_shape(self, input_shape):
        rank = len(input_shape)
        for a in (self._op_axis if isinstance(self._op_axis, tuple) else (self._op_axis,)):
            if not -rank <= a < rank:
                raise ValueError(f"axis: {self.name} expected axes from {-rank} to {rank - 1} for an input "
                                 f"of shape {tuple(input_shape)}, received axis={self.axis!r}")

    def forward(self, x, training=False):
        if self._op_axis == -1:
            return super().forward(x, training)
        self.logits = None
        self._y = backend.ops.softmax_forward(x, self._op_axis)
        return self._y

    def backward(self, grad_output):
        if self._op_axis == -1:
            return super().backward(grad_output)
        return backend.ops.softmax_backward(grad_output, self._y, self._op_axis)
