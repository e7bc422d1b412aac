"""Layers and models ↔ Keras 3's serialized config dicts (``config.json`` of a ``.keras`` file,
``model_config`` of a legacy ``.h5``), as ``keras.saving.serialize_keras_object`` writes them
(``keras/src/saving/serialization_lib.py``).

:data:`LAYER_CONFIGS` has one row per supported layer class: the constructor arguments read off
a scratch layer (what ``get_config`` gives beyond ``name``/``trainable``/``dtype``), and the
names Keras may write that scratch reads (anything else a file holds with a value other than
Keras's default is refused, naming the layer). A ``Sequential`` inside a ``Sequential`` is
written as Keras writes one, its layers inside. Initializers, regularizers and constraints are
not written: Keras uses its defaults for missing keys, and the weights come from the weights file.

Example::

    >>> config = model_config(model)                 # doctest: +SKIP
    >>> config["class_name"], config["config"]["layers"][0]["class_name"]   # doctest: +SKIP
    ('Sequential', 'InputLayer')
"""
from scratch import layers

FLOAT32_POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                  "registered_name": None}


def _fill(layer):
    return dict(fill_mode=layer.fill_mode, interpolation=layer.interpolation, seed=layer.seed,
                fill_value=layer.fill_value)


def _activation(layer):
    return layer.activation if isinstance(layer.activation, str) else layer.activation.name


# class name -> (scratch layer -> its constructor arguments, the scratch class, keys of Keras's
# config that are ignored when they hold these values (Keras's defaults, or nothing to restore))
LAYER_CONFIGS = {
    "Flatten": (lambda l: {"data_format": "channels_last"}, layers.Flatten, {}),
    "Dense": (lambda l: {"units": l.units, "activation": _activation(l), "use_bias": l.use_bias},
              layers.Dense, {"kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                             "kernel_constraint": None, "bias_constraint": None, "quantization_config": None,
                             "lora_rank": None, "lora_alpha": None}),
    "ReLU": (lambda l: {"max_value": l.max_value, "negative_slope": l.negative_slope, "threshold": l.threshold},
             layers.ReLU, {}),
    "Softmax": (lambda l: {"axis": getattr(l, "axis", -1)}, layers.Softmax, {}),
    "Activation": (lambda l: {"activation": _activation(l)}, layers.Activation, {}),
    "Conv2D": (lambda l: {"filters": l.filters, "kernel_size": list(l.kernel_size), "strides": list(l.strides),
                          "padding": l.padding, "data_format": "channels_last",
                          "dilation_rate": list(l.dilation_rate), "groups": 1, "activation": _activation(l),
                          "use_bias": l.use_bias},
               layers.Conv2D, {"kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                               "kernel_constraint": None, "bias_constraint": None, "lora_rank": None,
                               "lora_alpha": None}),
    "MaxPooling2D": (lambda l: {"pool_size": list(l.pool_size), "padding": l.padding, "strides": list(l.strides),
                                "data_format": "channels_last"}, layers.MaxPooling2D, {}),
    "AveragePooling2D": (lambda l: {"pool_size": list(l.pool_size), "padding": l.padding,
                                    "strides": list(l.strides), "data_format": "channels_last"},
                         layers.AveragePooling2D, {}),
    "GlobalAveragePooling2D": (lambda l: {"data_format": "channels_last", "keepdims": l.keepdims},
                               layers.GlobalAveragePooling2D, {}),
    "GlobalMaxPooling2D": (lambda l: {"data_format": "channels_last", "keepdims": l.keepdims},
                           layers.GlobalMaxPooling2D, {}),
    "Dropout": (lambda l: {"rate": l.rate, "seed": l.seed,
                           "noise_shape": None if l.noise_shape is None else list(l.noise_shape)},
                layers.Dropout, {}),
    "Rescaling": (lambda l: {"scale": l.scale, "offset": l.offset}, layers.Rescaling, {}),
    "RandomFlip": (lambda l: {"data_format": "channels_last", "seed": l.seed, "mode": l.mode}, layers.RandomFlip, {}),
    "RandomRotation": (lambda l: {"factor": l.factor, "data_format": "channels_last", **_fill(l)},
                       layers.RandomRotation, {}),
    "RandomZoom": (lambda l: {"height_factor": l.height_factor, "width_factor": l.width_factor,
                              "data_format": "channels_last", **_fill(l)}, layers.RandomZoom, {}),
    "RandomTranslation": (lambda l: {"height_factor": l.height_factor, "width_factor": l.width_factor,
                                     "data_format": "channels_last", **_fill(l)}, layers.RandomTranslation, {}),
    "RandomContrast": (lambda l: {"factor": l.factor, "value_range": list(l.value_range), "seed": l.seed,
                                  "data_format": "channels_last"}, layers.RandomContrast, {}),
}
# what Keras writes for every layer and scratch takes no argument for
_COMMON_IGNORED = {"dtype", "kernel_initializer", "bias_initializer", "autocast", "value_range_min"}
_NO_DATA_FORMAT = {"Flatten", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
                   "RandomContrast"}   # scratch's constructors take no data_format: channels_last only


def supported_layers():
    return sorted(LAYER_CONFIGS) + ["InputLayer", "Sequential"]


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return value.item()
    return value


def _is_model(layer):
    return isinstance(getattr(layer, "layers", None), list)


def layer_config(layer, input_shape=None):
    """Keras's serialized dict of one scratch layer (a nested model included)."""
    kind = type(layer).__name__
    if _is_model(layer):
        return model_config(layer, nested=True)
    if kind not in LAYER_CONFIGS:
        raise TypeError(f"model: layer '{layer.name}' of type {kind} cannot be saved to a Keras model file; "
                        f"supported layers: {supported_layers()}")
    arguments, _, _ = LAYER_CONFIGS[kind]
    config = {"name": layer.name, "trainable": bool(layer.trainable), "dtype": dict(FLOAT32_POLICY)}
    config.update({key: _jsonable(value) for key, value in arguments(layer).items()})
    entry = {"module": "keras.layers", "class_name": kind, "config": config, "registered_name": None}
    if input_shape is not None:
        entry["build_config"] = {"input_shape": list(input_shape)}
    return entry


def model_config(model, nested=False):
    """Keras's serialized ``Sequential``: an ``InputLayer`` first when the model has an input
    shape and is not nested, then each layer with its ``build_config``."""
    entries = []
    shape = model.input_shape
    if shape is not None and not nested:
        entries.append({"module": "keras.layers", "class_name": "InputLayer",
                        "config": {"batch_shape": list(shape), "dtype": "float32", "sparse": False,
                                   "ragged": False, "name": "input_layer", "optional": False},
                        "registered_name": None})
    for layer in model.layers:
        entries.append(layer_config(layer, shape))
        shape = layer.compute_output_shape(shape) if shape is not None else None
    config = {"name": model.name, "trainable": bool(model.trainable), "dtype": dict(FLOAT32_POLICY),
              "layers": entries}
    entry = {"module": "keras", "class_name": "Sequential", "config": config, "registered_name": None}
    if model.input_shape is not None:
        config["build_input_shape"] = list(model.input_shape)
        entry["build_config"] = {"input_shape": list(model.input_shape)}
    return entry


# ----------------------------------------------------------------------------- reading
def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def layer_from_config(entry, where):
    """A scratch layer (or nested model) from one of Keras's serialized layer dicts; ``where``
    names the file for errors."""
    kind = entry.get("class_name") if isinstance(entry, dict) else None
    config = dict(entry.get("config") or {}) if isinstance(entry, dict) else {}
    if kind == "Sequential":
        return model_from_config(entry, where)
    if kind not in LAYER_CONFIGS:
        name = config.get("name", "?")
        raise ValueError(f"filepath: {where} holds layer '{name}' of class {kind}, which scratch does not "
                         f"support; supported layers: {supported_layers()}")
    _, cls, ignored = LAYER_CONFIGS[kind]
    name = config.pop("name", None)
    trainable = config.pop("trainable", True)
    for key in list(config):
        if key in _COMMON_IGNORED or (key in ignored and config[key] == ignored[key]):
            config.pop(key)
    if config.get("data_format", "channels_last") != "channels_last":
        raise ValueError(f"filepath: {where}: layer '{name}' ({kind}) uses data_format="
                         f"{config['data_format']!r}; scratch supports channels_last only")
    if kind in _NO_DATA_FORMAT or kind in ("Conv2D", "MaxPooling2D"):
        config.pop("data_format", None)
    for key, value in list(config.items()):
        if not isinstance(value, (str, int, float, bool, list, type(None))):
            raise ValueError(f"filepath: {where}: layer '{name}' ({kind}) has {key}={value!r}, "
                             "which scratch cannot restore")
        config[key] = _tuples(value)
    try:
        layer = cls(name=name, **config)
    except TypeError as error:
        raise ValueError(f"filepath: {where}: layer '{name}' ({kind}) has arguments scratch does not "
                         f"support: {error}") from error
    layer.trainable = bool(trainable)
    return layer


def model_from_config(entry, where):
    """A scratch ``Sequential`` from Keras's serialized one (``InputLayer`` → its input shape)."""
    from scratch.layers.base import Input
    from scratch.model import Sequential

    if not isinstance(entry, dict) or entry.get("class_name") != "Sequential":
        kind = entry.get("class_name") if isinstance(entry, dict) else type(entry).__name__
        raise ValueError(f"filepath: {where} holds a {kind} model; scratch loads Sequential models only")
    config = entry.get("config") or {}
    items = []
    build_shape = config.get("build_input_shape") or (entry.get("build_config") or {}).get("input_shape")
    for layer_entry in config.get("layers", []):
        if isinstance(layer_entry, dict) and layer_entry.get("class_name") == "InputLayer":
            layer_config_ = layer_entry.get("config", {})
            shape = layer_config_.get("batch_shape") or layer_config_.get("batch_input_shape")
            items.append(Input(tuple(shape[1:])))
            continue
        items.append(layer_from_config(layer_entry, where))
    model = Sequential(items, name=config.get("name"))
    model.trainable = bool(config.get("trainable", True))
    if not model.built and build_shape:
        model.build(tuple(build_shape))
    return model
