"""Whole-model files in Keras's formats: ``.keras`` (Keras 3's zip) and legacy ``.h5``.

* :mod:`scratch.saving.config` — layers and models ↔ Keras's serialized config dicts;
* :mod:`scratch.saving.compile_state` — optimizer, loss, metrics ↔ ``compile_config``, and the
  optimizer's variables;
* :mod:`scratch.saving.weights_file` — ``model.weights.h5`` inside a ``.keras`` zip;
* :mod:`scratch.saving.keras_file` and :mod:`scratch.saving.legacy_h5` — the two file formats.

Example::

    >>> from scratch.saving import save_model, load_model
    >>> save_model(model, "m.keras"); load_model("m.keras")   # doctest: +SKIP
"""
from scratch.atomic import check_path
from scratch.saving import keras_file, legacy_h5


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` to a ``.keras`` or legacy ``.h5`` file, atomically."""
    import os

    filepath = check_path(filepath, "filepath")
    if filepath.endswith(".weights.h5"):
        raise ValueError(f"filepath: {filepath!r} ends in '.weights.h5', a weights file: call "
                         "model.save_weights(filepath), or save the whole model to a '.keras' file")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"filepath: {filepath!r} exists and overwrite=False")
    if filepath.endswith(".keras"):
        return keras_file.save_model(model, filepath, include_optimizer)
    if filepath.endswith((".h5", ".hdf5")):
        return legacy_h5.save_model(model, filepath, include_optimizer)
    raise ValueError(f"filepath: expected a name ending in '.keras' (or the legacy '.h5'), received {filepath!r}")


def load_model(filepath, compile=True):
    """Read a ``.keras`` or legacy ``.h5`` model file (see :func:`scratch.models.load_model`)."""
    if filepath.endswith(".keras"):
        return keras_file.load_model(filepath, compile)
    return legacy_h5.load_model(filepath, compile)
