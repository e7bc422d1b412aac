"""``InputLayer``: a model's input declared as a layer, as ``keras.layers.InputLayer``
(``keras/src/layers/core/input_layer.py``).

As the first element of a ``Sequential`` it gives the model its input shape and is then not one
of ``model.layers`` (nor a row of the summary), as in Keras. ``shape`` excludes the batch axis;
``batch_size`` fixes it (the summary then prints ``(32, 784)``, not ``(None, 784)``).

Example::

    >>> import scratch
    >>> model = scratch.Sequential([scratch.layers.InputLayer(shape=[28, 28]),
    ...                             scratch.layers.Flatten()])
    >>> model.output_shape
    (None, 784)
"""
import numbers
import warnings

import numpy as np

from scratch.layers.base import Layer, _shape_tuple


class InputLayer(Layer):
    """The input of a model: ``InputLayer(shape=(28, 28))`` or ``InputLayer(batch_shape=(32, 28, 28))``.

    ``input_shape=`` is taken for ``shape`` with Keras's deprecation warning; ``dtype`` may only
    be float32 (the kit computes in float32); ``sparse``/``ragged`` inputs do not exist here.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
                 name=None, **kwargs):
        if "input_shape" in kwargs:
            warnings.warn("Argument `input_shape` is deprecated. Use `shape` instead.", stacklevel=2)
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        if kwargs:
            raise ValueError(f"kwargs: expected none of {sorted(kwargs)} (InputLayer takes shape, batch_size, "
                             f"batch_shape, dtype, name), received {kwargs!r}")
        super().__init__(name=name)
        # Keras's three errors (input_layer.py), each naming what was given
        if shape is not None and batch_shape is not None:
            raise ValueError(f"You cannot pass both `shape` and `batch_shape` at the same time. (shape: "
                             f"expected None next to batch_shape={batch_shape!r}, received {shape!r})")
        if batch_size is not None and batch_shape is not None:
            raise ValueError(f"You cannot pass both `batch_size` and `batch_shape` at the same time. "
                             f"(batch_size: expected None next to batch_shape={batch_shape!r}, "
                             f"received {batch_size!r})")
        if shape is None and batch_shape is None:
            raise ValueError("You must pass a `shape` argument. (shape: expected a tuple of positive ints "
                             "such as (28, 28), received None)")
        if batch_shape is not None:
            batch_shape = tuple(batch_shape) if hasattr(batch_shape, "__iter__") else batch_shape
            if not isinstance(batch_shape, tuple) or len(batch_shape) < 2:
                raise ValueError(f"batch_shape: expected (batch_size or None, *shape), received {batch_shape!r}")
            batch_size, shape = batch_shape[0], batch_shape[1:]
        self.batch_shape = (_check_batch_size(batch_size),) + _shape_tuple(shape, "shape")
        self.dtype = _check_dtype(dtype)
        for flag, value in (("sparse", sparse), ("ragged", ragged)):
            if value:
                raise ValueError(f"{flag}: scratch has only dense float32 inputs; expected None or False, "
                                 f"received {value!r}")
        self.input_shape = self.output_shape = self.batch_shape
        self.built = True

    @property
    def shape(self):
        """The batch shape, batch axis first (``(None, 28, 28)``), as ``scratch.Input(...).shape``."""
        return self.batch_shape

    def forward(self, x, training=False):
        return x

    def backward(self, grad_output):
        return grad_output

    def get_config(self):
        """Keras's ``get_config`` keys for what scratch has."""
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "sparse": False, "ragged": False,
                "name": self.name}


def _check_batch_size(batch_size):
    """None, or a positive int."""
    if batch_size is None:
        return None
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, numbers.Integral):
        raise ValueError(f"batch_size: expected None or a positive int, received {batch_size!r}")
    if batch_size <= 0:
        raise ValueError(f"batch_size: expected None or a positive int, received {batch_size!r}")
    return int(batch_size)


def _check_dtype(dtype):
    """``"float32"`` (also for None): the only dtype the kit computes in."""
    if dtype is None:
        return "float32"
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name != "float32":
        raise ValueError(f"dtype: scratch computes in float32; expected None or 'float32', received {dtype!r}")
    return name
