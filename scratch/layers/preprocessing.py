"""``Rescaling``: the preprocessing layer that turns uint8 pixels into floats inside the model."""
import numbers

import numpy as np

from scratch import backend
from scratch.layers.base import Layer


class Rescaling(Layer):
    """``y = float32(x) · float32(scale) + float32(offset)``, Keras's ``Rescaling(scale, offset=0.0)``.

    A multiplication, as Keras does: ``Rescaling(1/255)`` gives ``x · float32(1/255)``, which is
    *not* bit-equal to ``x / 255``. The output is float32 even for uint8 input. ``scale`` and
    ``offset`` are numbers or per-channel arrays (broadcast over the last axis). No weights;
    backward ``dx = dy · scale``.

    Example::

        >>> import numpy as np
        >>> Rescaling(1 / 255)(np.array([[0, 255]], np.uint8))
        array([[0., 1.]], dtype=float32)
        >>> Rescaling(1 / 127.5, offset=-1)(np.array([[0, 255]], np.uint8))   # to [-1, 1]
        array([[-1.,  1.]], dtype=float32)
    """

    elementwise = True     # any input shape on a call (built on its first call, as in Keras)

    def __init__(self, scale, offset=0.0, **kwargs):
        # Every check comes before Layer.__init__, so a refused layer consumes no name.
        _check_factor(scale, "scale")
        _check_factor(offset, "offset")
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset

    def validate_input_shape(self, input_shape):
        for argument, value in (("scale", self.scale), ("offset", self.offset)):
            shape = np.shape(value)
            try:
                fits = np.broadcast_shapes(tuple(input_shape[1:]), shape) == tuple(input_shape[1:])
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(
                    f"{argument}: {self.name} expected a number or an array broadcastable to the "
                    f"input's {tuple(input_shape[1:])} (e.g. one value per channel), received shape {shape}")

    def forward(self, x, training=False):
        return backend.ops.rescaling_forward(x, self.scale, self.offset)

    def backward(self, grad_output):
        return backend.ops.rescaling_backward(grad_output, self.scale)


def _check_factor(value, argument):
    if isinstance(value, bool) or (not isinstance(value, numbers.Real)
                                   and not (isinstance(value, (list, tuple, np.ndarray))
                                            and np.asarray(value).dtype.kind in "iuf")):
        raise TypeError(f"{argument}: expected a number (or an array of numbers), received {value!r}")
    if not np.all(np.isfinite(np.asarray(value, dtype=np.float64))):
        raise ValueError(f"{argument}: expected a finite number, received {value!r}")
