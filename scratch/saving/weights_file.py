"""``model.weights.h5`` inside a ``.keras`` file: the layers in Keras's layout (as
:mod:`scratch.weights_io` writes them) plus, for a compiled model, the ``optimizer/vars/<i>``
group Keras writes (``iteration``, ``learning_rate``, the slots). Built and read in memory.
"""
import io

import h5py
import numpy as np

from scratch import weights_io
from scratch.saving import compile_state


def weights_image(model, include_optimizer=True):
    """The bytes of the weights file for ``model``."""
    with h5py.File(io.BytesIO(), "w") as f:   # in memory: nothing touches the disk
        _write_layers(f, model.layers)
        if include_optimizer and model.optimizer is not None:
            group = f.create_group("optimizer").create_group("vars")
            group.attrs["name"] = model.optimizer.name
            for i, array in enumerate(compile_state.optimizer_arrays(model)):
                group.create_dataset(str(i), data=array)
        f.create_group("vars").attrs["name"] = model.name
        f.flush()
        return f.id.get_file_image()


def _write_layers(parent, layers):
    group = parent.create_group("layers")
    for key, layer in zip(weights_io.layer_keys(layers), layers):
        layer_group = group.create_group(key)
        nested = isinstance(getattr(layer, "layers", None), list)
        if nested:
            _write_layers(layer_group, layer.layers)
        variables = layer_group.create_group("vars")
        variables.attrs["name"] = layer.name
        for i, variable in enumerate([] if nested else layer.weights):
            variables.create_dataset(str(i), data=variable.value)


def read_weights_image(model, data, where):
    """Assign the layer weights (and return the optimizer arrays, or None) from the bytes
    ``data`` of a Keras-layout weights file; everything is checked before anything is assigned."""
    try:
        f = h5py.File(io.BytesIO(data), "r")
    except OSError as error:
        raise ValueError(f"filepath: {where} holds a model.weights.h5 that is not readable HDF5 "
                         f"(h5py says: {error})") from error
    with f:
        if "layers" not in f:
            raise ValueError(f"filepath: {where}: model.weights.h5 has no 'layers' group")
        found = weights_io._find_datasets(f["layers"], "layers", model.layers, where)
        values = [[np.asarray(dataset[()]) for _, _, dataset in per_layer] for per_layer in found]
        optimizer = None
        if "optimizer" in f and "vars" in f["optimizer"]:
            group = f["optimizer"]["vars"]
            optimizer = [np.asarray(group[str(i)][()]) for i in range(len(group))]
    for layer, arrays in zip(model.layers, values):
        for variable, value in zip(layer.weights, arrays):
            variable.value[...] = value
    return optimizer
