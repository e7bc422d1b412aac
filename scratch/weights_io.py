"""``.weights.h5`` files in Keras 3's layout, so Keras's ``load_weights`` reads ours and back.

Layout (``keras/src/saving/saving_lib.py``, ``_save_container_state`` and ``H5IOStore``):
``layers/<key>/vars/<i>`` datasets (kernel, bias, …), where ``<key>`` is the snake_case class name
made unique *within the model* in layer order (``flatten``, ``dense``, ``dense_1``), not the
layer's own name; each ``vars`` group carries the attribute ``name`` = the layer's name; a root
``vars`` group names the model. A nested model is a layer whose group holds its own ``layers``
group in the same layout, and an empty ``vars`` (``layers/sequential/layers/dense/vars/0``).
Files are written to a temporary name and renamed: an interrupted save never leaves a
half-written file in place of a good one.
"""
import os

import h5py
import numpy as np

from scratch import naming
from scratch.atomic import atomic_path, check_path

SUFFIX = ".weights.h5"
REAL_KINDS = "biuf"  # NumPy dtype kinds that are real numbers: bool, int, unsigned int, float


def _is_model(layer):
    return isinstance(getattr(layer, "layers", None), list)


def _own_weights(layer):
    """The weights a layer's ``vars`` group holds: none for a nested model (its layers hold them)."""
    return [] if _is_model(layer) else layer.weights


def _all_layers(layers):
    """Every layer, nested models' layers included (each model before its layers)."""
    for layer in layers:
        yield layer
        if _is_model(layer):
            yield from _all_layers(layer.layers)


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
    """``path`` as a ``str``; ``TypeError`` unless a path, ``ValueError`` unless it ends in ``.weights.h5``."""
    path = check_path(path, argument)
    if not path.endswith(SUFFIX):
        raise ValueError(f"{argument}: expected a file name ending in '{SUFFIX}', received {path!r}")
    return path


def save_weights(model, path):
    """Write every layer's weights to ``path`` (must end in ``.weights.h5``), atomically.

    The HDF5 image is built in memory (the ``core`` driver, no backing file) and then written as
    plain bytes: HDF5 writing straight to a nearly full disk crashed the interpreter (a
    segmentation fault in its file close after ENOSPC). Now a full disk is an ``OSError`` (errno
    28) naming ``filepath``; the previous file stays intact and no temporary is left
    (:mod:`scratch.atomic`). The bytes are exactly those h5py writes to a file.
    """
    path = check_suffix(path)
    with atomic_path(path, "filepath") as temporary:
        image = _hdf5_image(model, temporary)
        with open(temporary, "wb") as f:
            f.write(image)


def _hdf5_image(model, name):
    """The bytes of the weights file, built in memory; ``name`` only labels it (nothing is
    read from or written to it)."""
    with h5py.File(name, "w", driver="core", backing_store=False) as f:
        _write_layers(f, model.layers)
        f.create_group("vars").attrs["name"] = model.name
        f.flush()
        return f.id.get_file_image()


def _write_layers(parent, layers):
    """``parent/layers/<key>/vars/<i>`` for each layer; a nested model's layers inside its group."""
    layers_group = parent.create_group("layers")
    for key, layer in zip(layer_keys(layers), layers):
        layer_group = layers_group.create_group(key)
        if _is_model(layer):
            _write_layers(layer_group, layer.layers)
        group = layer_group.create_group("vars")
        group.attrs["name"] = layer.name
        for i, variable in enumerate(_own_weights(layer)):
            group.create_dataset(str(i), data=variable.value)


# HDF5's bytes beyond the arrays' own, measured with h5py 3.14 / HDF5 1.14 by saving Dense stacks
# of 0 to 120 layers (1 to 784 inputs), Conv2D/MaxPooling2D/Flatten models and long layer names:
# 6,728 bytes for an empty model; per layer, 2,160 without weights and 2,800 to 3,700 with a
# kernel and a bias (the per-layer figure falls as the ``layers`` group's index grows); names add
# their own length. The bound below, 8 KiB + 2.5 KiB per layer + 1 KiB per array + the names,
# is above every measurement and at most 1.65 times the real overhead (120 Dense layers).
FILE_OVERHEAD = 8192
LAYER_OVERHEAD = 2560
ARRAY_OVERHEAD = 1024


def estimated_file_size(model):
    """Bytes a ``save_weights`` of ``model`` will need at most: the arrays' bytes plus a safe
    bound on HDF5's overhead (see the constants above); ``ModelCheckpoint`` checks the free
    space against it before training."""
    layers = list(_all_layers(model.layers))   # a nested model counts as a layer (a group) too
    arrays = [variable for layer in layers for variable in _own_weights(layer)]
    data = sum(int(np.prod(variable.shape)) * np.dtype(variable.value.dtype).itemsize for variable in arrays)
    names = sum(len(str(layer.name).encode()) for layer in layers) + len(str(model.name).encode())
    return (data + names + FILE_OVERHEAD + LAYER_OVERHEAD * len(layers)
            + ARRAY_OVERHEAD * len(arrays))


def conversion_problem(value):
    """Why ``value`` (an array) cannot become float32 weights without losing what it is, or None.

    Real numbers (bool, int, float) pass, NaN and inf included; strings, bytes, complex and
    object arrays do not (NumPy would parse numeric strings and drop imaginary parts), nor
    finite floats beyond float32's range (they would become inf).
    """
    if value.dtype.kind not in REAL_KINDS:
        return f"dtype {value.dtype}"
    if value.dtype.kind == "f" and value.dtype.itemsize > 4 and value.size:
        finite = value[np.isfinite(value)]
        too_big = finite[np.abs(finite) > np.finfo(np.float32).max]
        if too_big.size:
            return f"dtype {value.dtype} holding {float(too_big[0])!r}, beyond float32's range"
    return None


def read_weights(model, path):
    """Read the arrays for ``model`` from a Keras-layout file: one list per layer.

    Everything is checked before returning (nothing is assigned here), so a caller that assigns
    only on success loads all or nothing. Raises, each naming ``filepath``:
    ``TypeError`` (not a path), ``FileNotFoundError`` (missing), ``OSError`` (the file system
    refuses to read it: permissions, a folder), ``ValueError`` (not a readable HDF5 weights file,
    e.g. truncated or random bytes; or an entry missing, mis-shaped, or not real numbers).
    """
    path = check_suffix(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"filepath: no such weights file: {path!r}")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise type(error)(f"filepath: cannot read {path!r}: {error.strerror or error}") from error
    try:
        with h5py.File(path, "r") as f:
            return _read_arrays(model, path, f)
    except OSError as error:  # h5py: "file signature not found", "truncated file", bad object headers
        raise ValueError(f"filepath: {path!r} is not a readable weights file (expected an HDF5 "
                         f"'{SUFFIX}' file as save_weights writes; h5py says: {error})") from error


def _read_arrays(model, path, f):
    if "layers" not in f:
        raise ValueError(f"filepath: {path!r} has no 'layers' group; not a Keras .weights.h5 file")
    datasets = _find_datasets(f["layers"], "layers", model.layers, path)   # all checked before any is read
    arrays = []
    for found in datasets:
        values = []
        for entry, variable, dataset in found:
            value = np.asarray(dataset[()])
            problem = conversion_problem(value)
            if problem:
                raise ValueError(f"filepath: '{entry}' of {path!r} holds {problem} where {variable.path} "
                                 "expects real numbers that fit float32")
            values.append(value)
        arrays.append(values)
    return arrays


def _find_datasets(stored, prefix, layers, path):
    """Per layer of ``layers``, its ``(entry, variable, dataset)`` triples from the group
    ``stored`` (at ``prefix`` in the file), shapes and dtypes checked; a nested model's are its
    layers' in order (its ``layers.weights`` order), found in its group's own ``layers``."""
    keys = layer_keys(layers)
    extra = sorted(set(stored) - set(keys))
    if extra:
        raise ValueError(f"filepath: {path!r} holds layers {extra} under '{prefix}' that this model does "
                         f"not have (model layers: {keys})")
    datasets = []
    for key, layer in zip(keys, layers):
        if _is_model(layer):
            inner = stored[key].get("layers") if key in stored else None
            if not isinstance(inner, h5py.Group):
                raise ValueError(f"filepath: {path!r} has no group '{prefix}/{key}/layers' where the nested "
                                 f"model '{layer.name}' expects its layers' weights")
            datasets.append([triple for found in _find_datasets(inner, f"{prefix}/{key}/layers", layer.layers, path)
                             for triple in found])
            continue
        group = stored[key]["vars"] if key in stored and "vars" in stored[key] else {}
        if len(group) != len(layer.weights):
            raise ValueError(
                f"filepath: layer '{prefix}/{key}' of {path!r} holds {len(group)} arrays, "
                f"the model's layer '{layer.name}' expects {len(layer.weights)}")
        found = []
        for i, variable in enumerate(layer.weights):
            entry = f"{prefix}/{key}/vars/{i}"
            dataset = group.get(str(i))
            if not isinstance(dataset, h5py.Dataset):
                raise ValueError(f"filepath: {path!r} has no dataset '{entry}' where {variable.path} "
                                 f"expects an array of shape {variable.shape}")
            if dataset.shape != variable.shape:
                raise ValueError(
                    f"filepath: '{prefix}/{key}/vars' of {path!r} has shape {dataset.shape} where "
                    f"{variable.path} expects {variable.shape}")
            if dataset.dtype.kind not in REAL_KINDS:  # before reading: a string dataset is not parsed
                raise ValueError(f"filepath: '{entry}' of {path!r} holds dtype {dataset.dtype} where "
                                 f"{variable.path} expects real numbers (bool, int or float)")
            found.append((entry, variable, dataset))
        datasets.append(found)
    return datasets
