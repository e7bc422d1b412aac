"""``.weights.h5`` files in Keras 3's layout, so Keras's ``load_weights`` reads ours and back.

Layout (``keras/src/saving/saving_lib.py``, ``_save_container_state`` and ``H5IOStore``):
``layers/<key>/vars/<i>`` datasets (kernel, bias, …), where ``<key>`` is the snake_case class name
made unique *within the model* in layer order (``flatten``, ``dense``, ``dense_1``), not the
layer's own name; each ``vars`` group carries the attribute ``name`` = the layer's name; a root
``vars`` group names the model.
Files are written to a temporary name and renamed: an interrupted save never leaves a
half-written file in place of a good one.
"""
import os

import h5py
import numpy as np

from scratch import naming
from scratch.atomic import atomic_path

SUFFIX = ".weights.h5"


def layer_keys(layers):
    """Keras's per-model keys: ``['flatten', 'dense', 'dense_1']`` for Flatten, Dense, Dense."""
    seen = {}
    keys = []
    for layer in layers:
        base = naming.to_snake_case(type(layer).__name__)
        count = seen.get(base, 0)
        seen[base] = count + 1
        keys.append(base if count == 0 else f"{base}_{count}")
    return keys


def check_suffix(path, argument="filepath"):
    path = os.fspath(path)
    if not path.endswith(SUFFIX):
        raise ValueError(f"{argument}: expected a file name ending in '{SUFFIX}', received {path!r}")
    return path


def save_weights(model, path):
    """Write every layer's weights to ``path`` (must end in ``.weights.h5``), atomically."""
    path = check_suffix(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        layers_group = f.create_group("layers")
        for key, layer in zip(layer_keys(model.layers), model.layers):
            group = layers_group.create_group(key).create_group("vars")
            group.attrs["name"] = layer.name
            for i, variable in enumerate(layer.weights):
                group.create_dataset(str(i), data=variable.value)
        f.create_group("vars").attrs["name"] = model.name


def read_weights(model, path):
    """Read the arrays for ``model`` from a Keras-layout file: one list per layer.

    Raises ``ValueError`` naming the first missing or mis-shaped entry; nothing is assigned here.
    """
    path = check_suffix(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"filepath: no such weights file: {path!r}")
    arrays = []
    with h5py.File(path, "r") as f:
        if "layers" not in f:
            raise ValueError(f"filepath: {path!r} has no 'layers' group; not a Keras .weights.h5 file")
        stored = f["layers"]
        keys = layer_keys(model.layers)
        extra = sorted(set(stored) - set(keys))
        if extra:
            raise ValueError(f"filepath: {path!r} holds layers {extra} that this model does not have "
                             f"(model layers: {keys})")
        for key, layer in zip(keys, model.layers):
            group = stored[key]["vars"] if key in stored and "vars" in stored[key] else {}
            if len(group) != len(layer.weights):
                raise ValueError(
                    f"filepath: layer '{key}' of {path!r} holds {len(group)} arrays, "
                    f"the model's layer '{layer.name}' expects {len(layer.weights)}")
            values = [np.asarray(group[str(i)]) for i in range(len(layer.weights))]
            for variable, value in zip(layer.weights, values):
                if value.shape != variable.shape:
                    raise ValueError(
                        f"filepath: '{key}/vars' of {path!r} has shape {value.shape} where "
                        f"{variable.path} expects {variable.shape}")
            arrays.append(values)
    return arrays
