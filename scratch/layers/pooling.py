"""``MaxPooling2D``: the 2-D max pooling layer of the CNN tutorials (channels_last)."""
from scratch import backend
from scratch.layers.base import Layer
from scratch.layers.input_checks import (as_float_input, check_data_format, check_image_input,
                                         check_window_fits, output_length)
from scratch.ops.padding import normalize_padding, normalize_tuple


class MaxPooling2D(Layer):
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

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        # Every check comes before Layer.__init__, so a refused layer consumes no name.
        pool_size = normalize_tuple(pool_size, "pool_size")
        strides = pool_size if strides is None else normalize_tuple(strides, "strides")
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

    def forward(self, x, training=False):
        x = as_float_input(x)
        out, self._cache = backend.ops.maxpool2d_forward(x, self.pool_size, self.strides, self.padding)
        return out

    def backward(self, grad_output):
        return backend.ops.maxpool2d_backward(grad_output, self._cache)
