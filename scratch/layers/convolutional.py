"""``Conv2D``: the 2-D convolution layer of the CNN tutorials (channels_last, Keras's layouts).

The maths lives in ``backend.ops.conv2d_forward`` / ``conv2d_backward`` (read
:mod:`scratch.ops.reference` for the formula); this layer holds the weights, checks its
arguments and input shape, applies the activation and keeps what the backward pass needs.
"""
import numbers

from scratch import activations, backend, initializers
from scratch.layers.base import Layer, check_flag
from scratch.layers.input_checks import (as_float_input, check_data_format, check_image_input,
                                         check_window_fits, output_length, window_tuple)
from scratch.ops.padding import normalize_padding


class Conv2D(Layer):
    """2-D convolution: ``y = activation(conv(x, kernel) + bias)``, Keras's ``Conv2D``.

    ``out[n, i, j, f] = Σ_{a,b,c} xpad[n, i·sh + a·dh, j·sw + b·dw, c] · kernel[a, b, c, f] + bias[f]``
    (cross-correlation, no kernel flip). Inputs ``(batch, height, width, channels)``
    (channels_last); kernel ``(kh, kw, channels, filters)``, bias ``(filters,)``; weights in
    that order, as in Keras. ``padding="same"`` pads like TensorFlow (an odd total puts the
    extra row/column at the bottom/right); ``"valid"`` does not pad. Output size per spatial
    axis: ``ceil(n/s)`` for ``same``, ``floor((n − ke)/s) + 1`` for ``valid``, with
    ``ke = (k − 1)·d + 1``. As in Keras, ``strides > 1`` and ``dilation_rate > 1`` do not mix.

    The constructor arguments are Keras's, in Keras's order; ``data_format`` must be
    ``None``/``"channels_last"`` and ``groups`` 1 (the only forms this kit implements).

    Example::

        >>> import numpy as np
        >>> layer = Conv2D(32, 3, padding="same", activation="relu")
        >>> layer(np.zeros((2, 28, 28, 1))).shape
        (2, 28, 28, 32)
        >>> layer.kernel.shape, layer.count_params()
        ((3, 3, 1, 32), 320)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        # Every check comes before Layer.__init__, so a refused layer consumes no name.
        if isinstance(filters, bool) or not isinstance(filters, numbers.Real):
            raise TypeError(f"filters: expected a positive int, received {filters!r}")
        if not isinstance(filters, numbers.Integral):   # Keras: a float is a ValueError, a string a TypeError
            raise ValueError(f"filters: expected a positive int, received {filters!r}")
        if filters <= 0:
            raise ValueError(f"filters: expected a positive int, received {filters!r}")
        kernel_size = window_tuple(kernel_size, "kernel_size")
        strides = window_tuple(strides, "strides")
        dilation_rate = window_tuple(dilation_rate, "dilation_rate")
        if max(strides) > 1 and max(dilation_rate) > 1:
            raise ValueError(
                f"strides: strides > 1 is not supported together with dilation_rate > 1 (Keras "
                f"refuses it too); expected strides=1 or dilation_rate=1, received "
                f"strides={strides} and dilation_rate={dilation_rate}")
        padding = normalize_padding(padding)
        check_data_format(data_format)
        if groups != 1 or isinstance(groups, bool):
            raise ValueError(f"groups: only groups=1 (an ordinary convolution) is implemented, "
                             f"expected 1, received {groups!r}")
        activation = activations.get(activation)
        use_bias = check_flag(use_bias, "use_bias")
        _check_initializer(kernel_initializer, "kernel_initializer")
        _check_initializer(bias_initializer, "bias_initializer")
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.data_format = "channels_last"
        self.dilation_rate = dilation_rate
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer

    activation = activations.layer_attribute()   # a name, an activation or None

    # ------------------------------------------------------------------ building
    def validate_input_shape(self, input_shape):
        check_image_input(self.name, input_shape)
        if self.built and input_shape[-1] != self.kernel.shape[2]:
            raise ValueError(
                f"input_shape: {self.name} was built for {self.kernel.shape[2]} input channels, "
                f"expected inputs (batch, height, width, {self.kernel.shape[2]}), received shape "
                f"{input_shape}")
        check_window_fits(self.name, input_shape, self.kernel_size, self.strides, self.padding,
                          self.dilation_rate, "kernel_size")

    def build_weights(self, input_shape):
        shape = self.kernel_size + (input_shape[-1], self.filters)
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer)
        self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer) if self.use_bias else None

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        return (batch,
                output_length(height, self.kernel_size[0], self.strides[0], self.padding, self.dilation_rate[0]),
                output_length(width, self.kernel_size[1], self.strides[1], self.padding, self.dilation_rate[1]),
                self.filters)

    def multiply_adds(self):
        """``OH · OW · kh · kw · C · filters`` per sample."""
        _, oh, ow, filters = self.output_shape
        return oh * ow * self.kernel_size[0] * self.kernel_size[1] * self.input_shape[-1] * filters

    # ------------------------------------------------------------------ computing
    def forward(self, x, training=False):
        x = as_float_input(x)
        bias = self.bias.value if self.use_bias else None
        z, self._cache = backend.ops.conv2d_forward(x, self.kernel.value, bias, self.strides,
                                                    self.padding, self.dilation_rate)
        # Kept only before a softmax, for the softmax-crossentropy shortcut (Sequential.compute_loss).
        self.logits = z if self.activation is activations.softmax else None
        self._y = self.activation.forward(z)
        return self._y

    def backward(self, grad_output):
        grad_z = self.activation.backward(grad_output, self._y)
        return self.backward_from_logits(grad_z)

    def backward_from_logits(self, grad_z):
        """Backward pass from the gradient with respect to the pre-activation ``z = conv(x) + bias``
        (the softmax-crossentropy shortcut starts here, as for Dense)."""
        grad_x, grad_kernel, grad_bias = backend.ops.conv2d_backward(grad_z, self._cache, self.compute_grad_x)
        self.kernel.grad = grad_kernel
        if self.use_bias:
            self.bias.grad = grad_bias
        return grad_x if self.compute_grad_x else None


def _check_initializer(identifier, argument):
    try:
        initializers.get(identifier)
    except ValueError as error:
        raise ValueError(f"{argument}: {str(error).split(': ', 1)[-1]}") from None
