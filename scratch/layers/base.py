"""``Layer``: the base of every layer — name, lazy build from the input shape, weights, and the
``forward``/``backward`` pair a subclass fills in.

A layer's life: ``__init__`` stores the configuration; ``build(input_shape)`` (called by the model,
or by the first ``layer(x)``) creates the weights; ``forward(x, training)`` computes the output and
keeps what ``backward(grad_output)`` needs; ``backward`` fills each variable's ``.grad`` and returns
the gradient with respect to the input. Shapes always include the batch axis as ``None``.

A built layer has one input shape (batch axis aside): building it again for that shape is a
no-op, for another shape a ``ValueError`` — it holds ``input_shape``/``output_shape``, which a
model's summary reads, so a layer shared by two models must see the same shape in both. Keras
is looser (its Dense takes any input with the built last dimension, its Conv2D any image size).

Layers without weights, the rule in two parts:

- ``built_at_init``: ReLU, Softmax, Activation, Dropout and the pooling layers are ``built``
  as soon as they are made, as in Keras (Flatten and Rescaling, as in Keras, on their first
  call). Built means "ready to compute"; the shapes (``input_shape``, ``output_shape``) stay
  ``None`` until the first :meth:`build` — by a model, or by the first ``layer(x)``.
- ``elementwise`` (the output has the input's shape: ReLU, Softmax, Activation, Dropout,
  Rescaling): calling such a layer directly takes any input Keras takes (``ReLU()`` on a
  ``(2, 2)`` array, then on a ``(2, 3, 4)`` one); the call computes and changes none of the
  recorded shapes. Every other layer (Flatten, the poolings, Dense, Conv2D: the output shape
  depends on the input's) refuses, on a call as in :meth:`build`, a shape other than the one it
  was built for. :meth:`build` — what a model calls — refuses a different shape for every
  layer, so a model's summary never changes under it.
"""
import math
import numbers

import numpy as np

from scratch import initializers, naming
from scratch.variable import Variable


class Layer:
    """Base class. Subclasses override ``compute_output_shape``, ``build_weights`` (if they have
    weights), ``forward`` and ``backward``; ``validate_input_shape`` to refuse a bad input rank."""

    built_at_init = False   # a layer without weights, ready on construction (see the module docstring)
    elementwise = False     # output shape = input shape: a call takes any input shape

    def __init__(self, name=None, input_shape=None, trainable=True, **kwargs):
        # Keras raises ValueError for an unknown keyword, a non-string name, a non-bool trainable.
        if kwargs:
            raise ValueError(f"kwargs: {type(self).__name__} expected none of {sorted(kwargs)} (a layer takes "
                             f"name, input_shape, trainable and its own arguments), received {kwargs!r}")
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"name: expected a non-empty string, received {name!r}")
        declared = None if input_shape is None else (None,) + _shape_tuple(input_shape, "input_shape")
        if not isinstance(trainable, (bool, np.bool_)):
            raise ValueError(f"trainable: expected True or False, received {trainable!r}")
        trainable = bool(trainable)
        self.name = name or naming.unique_name(naming.to_snake_case(type(self).__name__))
        self.declared_input_shape = declared
        self.trainable = trainable
        self.built = self.built_at_init
        self.input_shape = None
        self.output_shape = None
        self.weights = []
        # fit turns this off for the model's first layer with weights: nothing below needs the
        # gradient with respect to that layer's input, so its backward returns None instead.
        self.compute_grad_x = True
        # Random draws handed in for the next training forward (see draw_random).
        self.preset_random = None

    # ------------------------------------------------------------------ building
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis included, as ``None``)."""
        input_shape = tuple(input_shape)
        self.check_input_shape(input_shape)
        self.input_shape = input_shape
        if not self.built:
            self.build_weights(input_shape)
        self.output_shape = self.compute_output_shape(input_shape)
        self.built = True

    def check_input_shape(self, input_shape):
        """Raise ``ValueError`` for an input shape :meth:`build` would refuse, changing nothing
        (a model checks its whole stack with it before building any layer)."""
        input_shape = tuple(input_shape)
        self.validate_input_shape(input_shape)
        if self.input_shape is not None and input_shape[1:] != tuple(self.input_shape[1:]):
            raise ValueError(
                f"input_shape: {self.name} was built for inputs of shape {self.input_shape}; a built "
                f"layer expects that shape (batch axis aside), received {input_shape} — a layer "
                "shared by two models needs the same input shape in both; use a new layer instead")

    def validate_input_shape(self, input_shape):
        """Raise ``ValueError`` for an input shape this layer cannot take (default: any)."""

    def build_weights(self, input_shape):
        """Create the weights with :meth:`add_weight` (default: none)."""

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def add_weight(self, name, shape, initializer):
        # the layer's own ``trainable`` decides (trainable_variables): unfreezing a layer built
        # frozen trains its weights again, as in Keras
        variable = Variable(initializers.get(initializer)(tuple(shape)), name=name)
        variable.path = f"{self.name}/{name}"
        self.weights.append(variable)
        return variable

    # ------------------------------------------------------------------ computing
    def __call__(self, x, training=None):
        """Build on first use, check the input's shape, then :meth:`forward`. ``training=None``
        (not given) leaves it to the layer, as Keras does: Dropout is then off, an augmentation
        layer on; ``fit`` passes True, ``predict`` and ``evaluate`` False."""
        x = np.asarray(x)
        if not self.built or self.input_shape is None:
            self.build((None,) + x.shape[1:])
        elif x.shape[1:] != tuple(self.input_shape[1:]):
            if self.elementwise:   # any shape; the recorded shapes (a model's) stay as they are
                self.validate_input_shape((None,) + x.shape[1:])
                return self.forward(x, training=training)
            raise ValueError(
                f"{self.name}: expected input of shape {self.input_shape}, received shape {x.shape}"
            )
        return self.forward(x, training=training)

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError

    def multiply_adds(self):
        """Multiply-adds of this layer's forward pass for one sample (0 by default: layers
        without matrix products); needs a built layer. The cpu engine uses it to judge whether
        a model's batches are worth splitting across cores (scratch/engine/data_parallel.py)."""
        return 0

    def draw_random(self, input_shape):
        """The random numbers a training forward on an input of ``input_shape`` would draw, as
        one array with the batch axis first (Dropout's keep mask; an augmentation layer's
        per-image transforms), or None for a layer that draws none (the default). A training
        forward uses ``preset_random`` instead of drawing when it is set: the data-parallel
        engine draws once for the whole batch and gives each replica its rows."""
        return None

    # ------------------------------------------------------------------ weights
    @property
    def trainable_variables(self):
        return [v for v in self.weights if v.trainable] if self.trainable else []

    @property
    def trainable_weights(self):
        """The weights training updates, as Keras's ``trainable_weights`` (none when frozen)."""
        return self.trainable_variables

    @property
    def non_trainable_weights(self):
        """The other weights, as Keras's ``non_trainable_weights`` (all of them when frozen)."""
        trainable = {id(v) for v in self.trainable_variables}
        return [v for v in self.weights if id(v) not in trainable]

    def count_params(self):
        """Number of scalars in this layer's weights (the summary's ``Param #``)."""
        if not self.built:
            raise ValueError(f"{self.name}: count_params() needs a built layer; call it on an input first")
        return sum(math.prod(v.shape) for v in self.weights)

    def get_weights(self):
        """Copies of the weight arrays, in creation order (``kernel``, ``bias``) as in Keras."""
        return [v.value.copy() for v in self.weights]

    def set_weights(self, weights):
        """Assign a list of arrays; counts and shapes are all checked before anything changes."""
        check_weight_list(self.weights, weights, owner=self.name)
        for variable, value in zip(self.weights, weights):
            variable.value[...] = value

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def check_weight_list(variables, values, owner):
    """Raise unless ``values`` has one array per variable, of its shape, of real numbers that fit
    float32 (bool/int/float, NaN and inf included; no strings, bytes, complex or objects): all
    checked before the caller assigns anything. ``TypeError`` for a non-list, else ``ValueError``."""
    from scratch.weights_io import conversion_problem  # here: weights_io is not a layer module

    if not isinstance(values, (list, tuple)):
        raise TypeError(f"weights: expected a list of arrays for {owner}, received {type(values).__name__}")
    if len(values) != len(variables):
        raise ValueError(
            f"weights: {owner} expects a list of {len(variables)} arrays "
            f"(shapes {[v.shape for v in variables]}), received {len(values)}"
        )
    for variable, value in zip(variables, values):
        try:
            array = np.asarray(value)
        except (ValueError, TypeError) as error:  # ragged nested lists
            raise ValueError(f"weights: {variable.path} expects an array of shape {variable.shape}, "
                             f"received {type(value).__name__} that is not one ({error})") from None
        if array.shape != variable.shape:
            raise ValueError(
                f"weights: {variable.path} expects shape {variable.shape}, received shape {array.shape}"
            )
        problem = conversion_problem(array)
        if problem:
            raise ValueError(f"weights: {variable.path} expects real numbers (bool, int or float) that fit "
                             f"float32, received {problem}")


def check_flag(value, argument):
    """``value`` as a bool; anything but True/False (``"no"``, 0, None) is a ``TypeError``, where a
    truthy string would silently mean True (Keras: ``ValueError`` for ``trainable``, and it takes
    any truthy ``use_bias``)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argument}: expected True or False, received {value!r}")
    return bool(value)


def _shape_tuple(shape, argument):
    """A tuple of positive ints. Whole floats (28.0) count, fractions (28.5) do not: Keras refuses
    any float; truncating 28.5 to 28 silently is what this guards against."""
    if isinstance(shape, (numbers.Number, np.generic)):
        shape = (shape,)
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise ValueError(f"{argument}: expected a tuple of positive ints, received {shape!r}")
    shape = tuple(shape)
    for d in shape:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, numbers.Real):
            raise ValueError(f"{argument}: expected a tuple of positive ints, received {shape!r}")
        if not float(d).is_integer():
            raise ValueError(f"{argument}: expected a tuple of positive ints, received {shape!r} "
                             f"({d!r} is not a whole number)")
    if not shape or any(d <= 0 for d in shape):
        raise ValueError(f"{argument}: expected a tuple of positive ints, received {shape!r}")
    return tuple(int(d) for d in shape)


class Input:
    """A model's input declaration, as ``keras.Input(shape=(28, 28))``: shape without the batch axis.

    Example::

        >>> Input((28, 28)).shape
        (None, 28, 28)
    """

    def __init__(self, shape, name=None):
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"name: expected a non-empty string, received {name!r}")
        self.shape = (None,) + _shape_tuple(shape, "shape")
        self.name = name or naming.unique_name("input_layer")

    def __repr__(self):
        return f"<Input shape={self.shape}>"
