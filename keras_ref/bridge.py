"""``to_keras(model)`` / ``from_keras(keras_model)``: the same architecture on the other side, same
layer names, weights copied (Keras's layouts are the kit's layouts, so no transposes).

Each supported layer has one entry in :data:`LAYER_MAP`: a function building the Keras layer from
ours and one building ours from Keras's. A layer without an entry gets a clear ``TypeError``.
A model used as a layer (a ``Sequential`` inside a ``Sequential``) becomes one on the other side,
its layers converted the same way, at any depth.

Example::

    >>> import scratch, keras_ref
    >>> model = scratch.Sequential([scratch.layers.Dense(3, input_shape=(4,))])
    >>> keras_model = keras_ref.to_keras(model)          # doctest: +SKIP
    >>> keras_ref.from_keras(keras_model).count_params()  # doctest: +SKIP
    15
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

import scratch  # noqa: E402
from scratch import layers  # noqa: E402


def _activation_name(keras_layer):
    return keras.activations.serialize(keras_layer.activation)


def _conv2d_to_keras(l):
    return keras.layers.Conv2D(l.filters, l.kernel_size, strides=l.strides, padding=l.padding,
                               dilation_rate=l.dilation_rate, activation=l.activation.name,
                               use_bias=l.use_bias, name=l.name)


def _conv2d_from_keras(k):
    # data_format / groups go through so that our constructor refuses the forms it lacks
    return layers.Conv2D(k.filters, k.kernel_size, strides=k.strides, padding=k.padding,
                         data_format=k.data_format, dilation_rate=k.dilation_rate, groups=k.groups,
                         activation=_activation_name(k), use_bias=k.use_bias, name=k.name)


# scratch class name -> (to Keras, from Keras); the Keras class name is the same.
LAYER_MAP = {
    "Flatten": (lambda l: keras.layers.Flatten(name=l.name),
                lambda k: layers.Flatten(name=k.name)),
    "Dense": (lambda l: keras.layers.Dense(l.units, activation=l.activation.name, use_bias=l.use_bias, name=l.name),
              lambda k: layers.Dense(k.units, activation=_activation_name(k), use_bias=k.use_bias, name=k.name)),
    "ReLU": (lambda l: keras.layers.ReLU(l.max_value, l.negative_slope, l.threshold, name=l.name),
             lambda k: layers.ReLU(k.max_value, k.negative_slope, k.threshold, name=k.name)),
    "Softmax": (lambda l: keras.layers.Softmax(axis=l.axis, name=l.name),
                lambda k: layers.Softmax(axis=k.axis, name=k.name)),
    "Activation": (lambda l: keras.layers.Activation(l.activation.name, name=l.name),
                   lambda k: layers.Activation(_activation_name(k), name=k.name)),
    "Conv2D": (_conv2d_to_keras, _conv2d_from_keras),
    "MaxPooling2D": (lambda l: keras.layers.MaxPooling2D(l.pool_size, strides=l.strides, padding=l.padding,
                                                         name=l.name),
                     lambda k: layers.MaxPooling2D(k.pool_size, strides=k.strides, padding=k.padding,
                                                   data_format=k.data_format, name=k.name)),
    "AveragePooling2D": (lambda l: keras.layers.AveragePooling2D(l.pool_size, strides=l.strides, padding=l.padding,
                                                                 name=l.name),
                         lambda k: layers.AveragePooling2D(k.pool_size, strides=k.strides, padding=k.padding,
                                                           data_format=k.data_format, name=k.name)),
    "GlobalAveragePooling2D": (lambda l: keras.layers.GlobalAveragePooling2D(keepdims=l.keepdims, name=l.name),
                               lambda k: layers.GlobalAveragePooling2D(data_format=k.data_format,
                                                                       keepdims=k.keepdims, name=k.name)),
    "GlobalMaxPooling2D": (lambda l: keras.layers.GlobalMaxPooling2D(keepdims=l.keepdims, name=l.name),
                           lambda k: layers.GlobalMaxPooling2D(data_format=k.data_format, keepdims=k.keepdims,
                                                               name=k.name)),
    "Dropout": (lambda l: keras.layers.Dropout(l.rate, noise_shape=l.noise_shape, seed=l.seed, name=l.name),
                lambda k: layers.Dropout(k.rate, noise_shape=k.noise_shape, seed=k.seed, name=k.name)),
    "Rescaling": (lambda l: keras.layers.Rescaling(l.scale, offset=l.offset, name=l.name),
                  lambda k: layers.Rescaling(k.scale, offset=k.offset, name=k.name)),
    "RandomFlip": (lambda l: keras.layers.RandomFlip(l.mode, seed=l.seed, name=l.name),
                   lambda k: layers.RandomFlip(k.mode, seed=k.seed, name=k.name)),
    "RandomRotation": (lambda l: keras.layers.RandomRotation(l.factor, **_fill(l), name=l.name),
                       lambda k: layers.RandomRotation(k.factor, **_fill(k), name=k.name)),
    "RandomZoom": (lambda l: keras.layers.RandomZoom(l.height_factor, l.width_factor, **_fill(l), name=l.name),
                   lambda k: layers.RandomZoom(k.height_factor, k.width_factor, **_fill(k), name=k.name)),
    "RandomTranslation": (lambda l: keras.layers.RandomTranslation(l.height_factor, l.width_factor, **_fill(l),
                                                                   name=l.name),
                          lambda k: layers.RandomTranslation(k.height_factor, k.width_factor, **_fill(k),
                                                             name=k.name)),
    "RandomContrast": (lambda l: keras.layers.RandomContrast(l.factor, value_range=l.value_range, seed=l.seed,
                                                             name=l.name),
                       lambda k: layers.RandomContrast(k.factor, value_range=k.value_range, seed=k.seed,
                                                       name=k.name)),
}


def _fill(layer):
    """The sampling arguments the affine augmentation layers share, read off either side's layer."""
    return dict(fill_mode=layer.fill_mode, interpolation=layer.interpolation, seed=layer.seed,
                fill_value=layer.fill_value)


def supported_layers():
    """Names of the layer classes the bridge can map."""
    return sorted(LAYER_MAP)


def _lookup(kind, layer, direction):
    entry = LAYER_MAP.get(kind)
    if entry is None:
        raise TypeError(
            f"{direction}: no mapping for layer '{layer.name}' of type {kind}; supported layers: "
            f"{supported_layers()}")
    return entry[0 if direction == "to_keras" else 1]


def _layer_to_keras(layer):
    if isinstance(layer, scratch.Sequential):   # a nested model: its layers, without an Input
        return keras.Sequential([_layer_to_keras(inner) for inner in layer.layers], name=layer.name)
    return _lookup(type(layer).__name__, layer, "to_keras")(layer)


def _layer_from_keras(layer):
    if isinstance(layer, keras.Sequential):
        return scratch.Sequential([_layer_from_keras(inner) for inner in layer.layers], name=layer.name)
    return _lookup(type(layer).__name__, layer, "from_keras")(layer)


def to_keras(model):
    """A ``keras.Sequential`` equivalent to the scratch ``model``, with its weights and layer names."""
    if not model.built:
        raise ValueError("to_keras: the model must be built (give it an input shape) before conversion")
    keras_layers = [_layer_to_keras(layer) for layer in model.layers]
    keras_model = keras.Sequential([keras.Input(shape=model.input_shape[1:])] + keras_layers, name=model.name)
    keras_model.set_weights(model.get_weights())
    return keras_model


def from_keras(keras_model):
    """A scratch ``Sequential`` equivalent to the Keras ``keras_model``, with its weights and names."""
    if not isinstance(keras_model, keras.Sequential):
        raise TypeError(f"from_keras: expected a keras.Sequential model, received {type(keras_model).__name__}")
    ours = [_layer_from_keras(layer) for layer in keras_model.layers]
    model = scratch.Sequential([scratch.Input(keras_model.input_shape[1:])] + ours, name=keras_model.name)
    model.set_weights(keras_model.get_weights())
    return model
