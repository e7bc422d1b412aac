"""Keras's legacy whole-model ``.h5`` file (``keras/src/legacy/saving/legacy_h5_format.py``):
root attributes ``model_config`` and ``training_config`` (JSON), ``model_weights/<layer name>``
groups listing their arrays in the attribute ``weight_names`` (a nested model's group holds all
of its layers' arrays), and ``optimizer_weights`` (``iteration``, ``learning_rate``, the slots).
Written in memory, then atomically; read for the supported layers.
"""
import io
import json

import h5py
import numpy as np

from scratch.atomic import write_bytes
from scratch.saving import compile_state, config as config_module
from scratch.saving.keras_file import KERAS_VERSION


def h5_bytes(model, include_optimizer=True):
    if not model.built:
        raise ValueError(f"model: '{model.name}' must be built (give it an input shape) before it is saved")
    with h5py.File(io.BytesIO(), "w") as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["model_config"] = json.dumps(config_module.model_config(model)).encode("utf8")
        compiled = compile_state.compile_config(model) if include_optimizer else None
        if compiled is not None:
            optimizer = compiled.pop("optimizer")
            compiled["optimizer_config"] = {"class_name": optimizer["class_name"], "config": optimizer["config"]}
            f.attrs["training_config"] = json.dumps(compiled).encode("utf8")
        weights = f.create_group("model_weights")
        weights.attrs["backend"] = "tensorflow"
        weights.attrs["keras_version"] = KERAS_VERSION
        weights.attrs["layer_names"] = np.array([layer.name.encode("utf8") for layer in model.layers])
        for layer in model.layers:
            _write_arrays(weights.create_group(layer.name),
                          [(f"{model.name}/{layer.name}/{i}", v.value) for i, v in enumerate(layer.weights)])
        _write_arrays(weights.create_group("top_level_model_weights"), [])
        if compiled is not None:
            name = model.optimizer.name
            _write_arrays(f.create_group("optimizer_weights"),
                          [(f"{name}/{i}", a) for i, a in enumerate(compile_state.optimizer_arrays(model))])
        f.flush()
        return f.id.get_file_image()


def _write_arrays(group, named):
    group.attrs["weight_names"] = np.array([name.encode("utf8") for name, _ in named])
    for name, value in named:
        group.create_dataset(name, data=value)


def save_model(model, filepath, include_optimizer=True):
    write_bytes(filepath, h5_bytes(model, include_optimizer), "filepath")


def _names(group, attribute):
    values = group.attrs.get(attribute, [])
    return [n.decode("utf8") if hasattr(n, "decode") else str(n) for n in values]


def _json_attribute(f, key, where):
    value = f.attrs.get(key)
    if value is None:
        return None
    try:
        return json.loads(value.decode("utf8") if hasattr(value, "decode") else value)
    except ValueError as error:
        raise ValueError(f"filepath: {where}: the attribute {key!r} is not valid JSON: {error}") from error


def load_model(filepath, compile=True):
    where = repr(filepath)
    try:
        f = h5py.File(filepath, "r")
    except OSError as error:
        raise ValueError(f"filepath: {where} is not a readable HDF5 model file (h5py says: {error})") from error
    with f:
        entry = _json_attribute(f, "model_config", where)
        if entry is None:
            raise ValueError(f"filepath: {where}: no model config found in the file (a weights-only file? "
                             "then build the model in code and call model.load_weights)")
        model = config_module.model_from_config(entry, where)
        if not model.built:
            raise ValueError(f"filepath: {where}: the model has no input shape, so its weights cannot be restored")
        if "model_weights" not in f:
            raise ValueError(f"filepath: {where} has no 'model_weights' group")
        values = _layer_values(f["model_weights"], model, where)
        training = _json_attribute(f, "training_config", where) if compile else None
        optimizer = None
        if training:
            compile_state.compile_from_config(model, training, where)
            if "optimizer_weights" in f:
                group = f["optimizer_weights"]
                optimizer = [np.asarray(group[name][()]) for name in _names(group, "weight_names")]
    for layer, arrays in zip([l for l in model.layers if l.weights], values):
        for variable, value in zip(layer.weights, arrays):
            variable.value[...] = value
    if optimizer is not None:
        compile_state.restore_optimizer(model, optimizer, where)
    return model


def _layer_values(group, model, where):
    """Per layer with weights, its arrays in order (all checked before any is assigned)."""
    saved = [name for name in _names(group, "layer_names")
             if name in group and _names(group[name], "weight_names")]
    layers = [layer for layer in model.layers if layer.weights]
    if len(saved) != len(layers):
        raise ValueError(f"filepath: {where} holds weights for {len(saved)} layers ({saved}), the model has "
                         f"{len(layers)} layers with weights")
    values = []
    for name, layer in zip(saved, layers):
        names = _names(group[name], "weight_names")
        if len(names) != len(layer.weights):
            raise ValueError(f"filepath: {where}: layer '{name}' holds {len(names)} arrays, layer "
                             f"'{layer.name}' expects {len(layer.weights)}")
        arrays = []
        for weight_name, variable in zip(names, layer.weights):
            array = np.asarray(group[name][weight_name][()])
            if array.shape != variable.shape:
                raise ValueError(f"filepath: {where}: '{name}/{weight_name}' has shape {array.shape} where "
                                 f"{variable.path} expects {variable.shape}")
            arrays.append(array)
        values.append(arrays)
    return values
