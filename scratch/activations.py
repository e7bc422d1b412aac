"""Activation functions, each an object with a ``forward`` and a ``backward``.

``Dense(activation="relu")``, ``Activation("relu")`` and ``ReLU()`` all use :data:`relu` below.
Every backward needs only the activation's *output* ``y`` (``relu``: ``y > 0`` iff ``x > 0``), so
a layer keeps ``y`` and not its input. The formulas are in :mod:`scratch.ops.reference`, under the
names each method calls. An activation object is also Keras's function: ``relu(x)`` returns
an array, ``Dense(activation=relu)`` uses it as ``activation="relu"`` does.

Example::

    >>> import numpy as np
    >>> relu.forward(np.array([-1.0, 2.0]))
    array([0., 2.])
    >>> get("relu") is relu
    True
"""
import numpy as np

from scratch import backend


class ActivationFunction:
    """Base: ``forward(x) -> y``, ``backward(grad_y, y) -> grad_x``; ``name`` as Keras serialises it."""

    name = None

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_y, y):
        raise NotImplementedError

    def __call__(self, x):
        """``keras.activations.<name>(x)``: the activation of ``x`` (an array, a list, a number)
        as a NumPy array — a float64 array stays float64, anything else becomes float32."""
        return self.forward(as_input(x))

    @property
    def __name__(self):
        """The function's name, as ``keras.activations.relu.__name__``: ``"relu"``."""
        return self.name

    def __repr__(self):
        return f"<activation {self.name}>"


def as_input(x):
    """``x`` as a float array: a float64 NumPy array stays float64, anything else (lists, Python
    numbers, integers) becomes float32 — TensorFlow's conversion."""
    array = np.asarray(x)
    if np.iscomplexobj(array) or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"x: expected an array of real numbers, received dtype {array.dtype}")
    keep = array.dtype == np.float32 or (array.dtype == np.float64 and isinstance(x, (np.ndarray, np.generic)))
    if not keep:
        array = array.astype(backend.FLOATX)
    return array


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

    def __call__(self, x, negative_slope=0.0, max_value=None, threshold=0.0):
        """``keras.activations.relu(x, negative_slope, max_value, threshold)``: leaky, capped or
        thresholded as Keras computes it (``scratch.ops.reference.relu_general_forward``)."""
        if negative_slope == 0.0 and max_value is None and threshold == 0.0:
            return super().__call__(x)
        return backend.ops.relu_general_forward(as_input(x), negative_slope, max_value, threshold)

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

    def __call__(self, x, axis=-1):
        """``keras.activations.softmax(x, axis=-1)``, along any ``axis`` of an array of rank ≥ 1."""
        x = as_input(x)
        if x.ndim == 0:
            raise ValueError("x: expected an array of rank 1 or more for softmax, received a scalar")
        if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"axis: expected an int, received {axis!r}")
        if not -x.ndim <= axis < x.ndim:
            raise ValueError(f"axis: expected an int from {-x.ndim} to {x.ndim - 1}, received {axis}")
        return backend.ops.softmax_forward(x, int(axis))

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


def layer_attribute():
    """The ``activation`` attribute of a layer (Dense, Conv2D): reads the activation object, and
    takes a name, an activation or None when set — at construction or later, as in Keras."""
    def read(layer):
        return layer._activation

    def write(layer, value):
        layer._activation = get(value)
    return property(read, write, doc=layer_attribute.__doc__)
