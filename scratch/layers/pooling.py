"""Pooling layers (channels_last): ``MaxPooling2D`` and ``AveragePooling2D`` (a window slid over
the image), ``GlobalMaxPooling2D`` and ``GlobalAveragePooling2D`` (one value per channel)."""
from scratch import backend
from scratch.layers.base import Layer, check_flag
from scratch.layers.input_checks import (as_float_input, check_data_format, check_image_input,
                                         check_window_fits, output_length, window_tuple)
from scratch.ops.padding import normalize_padding


class _Pooling2D(Layer):
    """What the windowed poolings share: arguments, checks, output size."""

    built_at_init = True   # no weights: built on construction, as in Keras

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        # Every check comes before Layer.__init__, so a refused layer consumes no name.
        pool_size = window_tuple(pool_size, "pool_size")
        strides = pool_size if strides is None else window_tuple(strides, "strides")
        padding = normalize_padding(padding)
        check_data_format(data_format)
        super().__init__(**kwargs)
        self.pool_size = pool_size
        self.strides = strides
        self.padding = padding
        self.data_format = "channels_last"

    def validate_input_shape(self, input_shape):
        check_image_input(self.name, input_shape)
        check_window_fits(self.name, input_shape, self.pool_size, self.strides, self.padding, (1, 1),
                          "pool_size")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch,
                output_length(height, self.pool_size[0], self.strides[0], self.padding),
                output_length(width, self.pool_size[1], self.strides[1], self.padding),
                channels)


class MaxPooling2D(_Pooling2D):
    """Max over each ``pool_size`` window, channel by channel, as Keras's ``MaxPooling2D``.

    ``strides=None`` means ``strides = pool_size`` (non-overlapping windows). ``valid``:
    ``floor((n − p)/s) + 1`` outputs per axis (an odd 7 pooled by 2 gives 3: the last row is
    dropped); ``same``: ``ceil(n/s)``, padded like Conv2D (extra cell bottom/right) with cells
    that are never the maximum. Backward: each output's gradient goes to the first maximum of
    its window (row-major), overlapping windows add up. No weights.

    Example::

        >>> import numpy as np
        >>> MaxPooling2D()(np.zeros((2, 28, 28, 32))).shape
        (2, 14, 14, 32)
        >>> MaxPooling2D(pool_size=2)(np.zeros((1, 7, 7, 1))).shape
        (1, 3, 3, 1)
    """

    def forward(self, x, training=False):
        x = as_float_input(x)
        out, self._cache = backend.ops.maxpool2d_forward(x, self.pool_size, self.strides, self.padding)
        return out

    def backward(self, grad_output):
        return backend.ops.maxpool2d_backward(grad_output, self._cache)


class AveragePooling2D(_Pooling2D):
    """Mean over each ``pool_size`` window, channel by channel, as Keras's ``AveragePooling2D``
    (TensorFlow's ``avg_pool``).

    Sizes and ``strides=None`` as :class:`MaxPooling2D`. ``same``: a window reaching past the
    border averages only the cells inside the input (a 3x3 window over a corner with 4 real cells
    divides by 4), never the zeros of the padding. Backward: each output's gradient is shared
    equally by the cells of its window. No weights.

    Example::

        >>> import numpy as np
        >>> AveragePooling2D()(np.ones((2, 28, 28, 32))).shape
        (2, 14, 14, 32)
    """

    def forward(self, x, training=False):
        x = as_float_input(x)
        out, self._cache = backend.ops.avgpool2d_forward(x, self.pool_size, self.strides, self.padding)
        return out

    def backward(self, grad_output):
        return backend.ops.avgpool2d_backward(grad_output, self._cache)


class _GlobalPooling2D(Layer):
    """``(B, H, W, C) → (B, C)`` (``keepdims=True``: ``(B, 1, 1, C)``)."""

    built_at_init = True

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        check_data_format(data_format)
        keepdims = check_flag(keepdims, "keepdims")
        super().__init__(**kwargs)
        self.data_format = "channels_last"
        self.keepdims = keepdims

    def validate_input_shape(self, input_shape):
        check_image_input(self.name, input_shape)

    def compute_output_shape(self, input_shape):
        batch, channels = input_shape[0], input_shape[-1]
        return (batch, 1, 1, channels) if self.keepdims else (batch, channels)

    def _shaped(self, out):
        return out[:, None, None, :] if self.keepdims else out

    def _flat(self, grad_output):
        return grad_output.reshape(grad_output.shape[0], grad_output.shape[-1])


class GlobalAveragePooling2D(_GlobalPooling2D):
    """Mean over height and width, per channel, as Keras's ``GlobalAveragePooling2D``:
    ``out[n, c] = Σ_{y,x} x[n, y, x, c] / (H·W)``; backward shares the gradient equally.

    Example::

        >>> import numpy as np
        >>> GlobalAveragePooling2D()(np.ones((2, 7, 7, 64))).shape
        (2, 64)
    """

    def forward(self, x, training=False):
        x = as_float_input(x)
        self._x_shape = x.shape
        return self._shaped(backend.ops.global_avgpool2d_forward(x))

    def backward(self, grad_output):
        return backend.ops.global_avgpool2d_backward(self._flat(grad_output), self._x_shape)


class GlobalMaxPooling2D(_GlobalPooling2D):
    """Max over height and width, per channel, as Keras's ``GlobalMaxPooling2D`` (``ops.max``):
    backward shares each gradient equally among the cells equal to the maximum, as TensorFlow's
    ``reduce_max`` gradient does (MaxPooling2D instead routes it to the first maximum).

    Example::

        >>> import numpy as np
        >>> GlobalMaxPooling2D(keepdims=True)(np.ones((2, 7, 7, 64))).shape
        (2, 1, 1, 64)
    """

    def forward(self, x, training=False):
        x = as_float_input(x)
        self._x, self._out = x, backend.ops.global_maxpool2d_forward(x)
        return self._shaped(self._out)

    def backward(self, grad_output):
        return backend.ops.global_maxpool2d_backward(self._flat(grad_output), self._x, self._out)
