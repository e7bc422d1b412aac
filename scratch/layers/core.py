"""``Flatten`` and ``Dense``: the layers of the MLP tutorials."""
import math

import numpy as np

from scratch import activations, backend
from scratch.layers.base import Layer, check_flag


class Flatten(Layer):
    """``(batch, d1, …, dk) → (batch, d1·…·dk)`` in row-major (C) order of the channels_last tensor,
    as Keras does: element ``(h, w, c)`` of a feature map lands at ``(h·W + w)·C + c``.

    Example::

        >>> Flatten()(np.zeros((2, 28, 28))).shape
        (2, 784)
    """

    def compute_output_shape(self, input_shape):
        return (input_shape[0], math.prod(input_shape[1:]))

    def forward(self, x, training=False):
        self._input_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_output):
        return grad_output.reshape(self._input_shape)


class Dense(Layer):
    """Fully connected layer: ``y = activation(x @ kernel + bias)``; kernel ``(in, units)``, bias ``(units,)``.

    Acts on the last axis of any input of rank ≥ 2, as Keras's Dense.

    Example::

        >>> layer = Dense(4, activation="relu")
        >>> layer(np.ones((2, 3))).shape
        (2, 4)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)):
            raise ValueError(f"units: expected a positive int, received {units!r}")
        if units <= 0:
            raise ValueError(f"units: expected a positive int, received {units}")
        self.activation = activation
        use_bias = check_flag(use_bias, "use_bias")   # "no" would be truthy: a bias after all
        super().__init__(**kwargs)
        self.units = int(units)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer

    activation = activations.layer_attribute()   # a name, an activation or None

    def validate_input_shape(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"{self.name}: expected an input of rank >= 2 (batch, features), received {input_shape}")
        if self.built and input_shape[-1] != self.kernel.shape[0]:
            raise ValueError(
                f"input_shape: {self.name} was built for {self.kernel.shape[0]} input features, "
                f"expected inputs with last dimension {self.kernel.shape[0]}, received shape {input_shape}"
            )

    def build_weights(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer)
        self.bias = self.add_weight("bias", (self.units,), self.bias_initializer) if self.use_bias else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def multiply_adds(self):
        """``inputs × units`` per sample (per position along any middle axes)."""
        return math.prod(self.input_shape[1:]) * self.units

    def forward(self, x, training=False):
        self._x_shape = x.shape
        self._x = x.reshape(-1, x.shape[-1])  # rank > 2: Dense acts on the last axis
        bias = self.bias.value if self.use_bias else None
        z = backend.ops.dense_forward(self._x, self.kernel.value, bias)
        # Kept only before a softmax, for the softmax-crossentropy shortcut (Sequential.compute_loss).
        self.logits = z if self.activation is activations.softmax else None
        self._y = self.activation.forward(z)
        return self._y.reshape(self._x_shape[:-1] + (self.units,))

    def backward(self, grad_output):
        grad_z = self.activation.backward(grad_output.reshape(self._y.shape), self._y)
        return self.backward_from_logits(grad_z)

    def backward_from_logits(self, grad_z):
        """Backward pass from the gradient with respect to the pre-activation ``z = x @ kernel + bias``
        (the softmax-crossentropy shortcut of Keras's TensorFlow backend starts here)."""
        grad_z = grad_z.reshape(-1, self.units)
        grad_x, grad_kernel, grad_bias = backend.ops.dense_backward(
            grad_z, self._x, self.kernel.value, self.use_bias, self.compute_grad_x)
        self.kernel.grad = grad_kernel
        if self.use_bias:
            self.bias.grad = grad_bias
        return grad_x.reshape(self._x_shape) if self.compute_grad_x else None
