"""Keras 3's ``.keras`` file: a zip of ``metadata.json``, ``config.json`` (the serialized
``Sequential`` with its ``compile_config``) and ``model.weights.h5``
(``keras/src/saving/saving_lib.py``). The zip is built in memory and written atomically
(:mod:`scratch.atomic`): a failed save leaves the previous file intact.

Example::

    >>> save_model(model, "m.keras")            # doctest: +SKIP
    >>> load_model("m.keras").predict(x)        # doctest: +SKIP
"""
import datetime
import io
import json
import zipfile

from scratch.atomic import write_bytes
from scratch.saving import compile_state, config as config_module, weights_file

KERAS_VERSION = "3.15.1"   # the version whose files these are (and what Keras checks nothing against)
CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"


def keras_bytes(model, include_optimizer=True):
    """The bytes of the ``.keras`` zip of ``model``."""
    if not model.built:
        raise ValueError(f"model: '{model.name}' must be built (give it an input shape) before it is saved")
    entry = config_module.model_config(model)
    compiled = compile_state.compile_config(model) if include_optimizer else None
    if compiled is not None:
        entry["compile_config"] = compiled
    metadata = {"keras_version": KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(METADATA, json.dumps(metadata))
        archive.writestr(CONFIG, json.dumps(entry))
        archive.writestr(WEIGHTS, weights_file.weights_image(model, include_optimizer))
    return buffer.getvalue()


def save_model(model, filepath, include_optimizer=True):
    write_bytes(filepath, keras_bytes(model, include_optimizer), "filepath")


def load_model(filepath, compile=True):
    """A scratch ``Sequential`` from a ``.keras`` file (Keras's or scratch's): architecture,
    weights, and with ``compile=True`` the compile state and the optimizer's variables."""
    where = repr(filepath)
    try:
        with open(filepath, "rb") as stream:
            data = stream.read()
    except OSError as error:
        raise type(error)(f"filepath: cannot read {where}: {error.strerror or error}") from error
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            missing = [name for name in (CONFIG, WEIGHTS) if name not in names]
            if missing:
                raise ValueError(f"filepath: {where} is a zip without {missing}; not a Keras .keras model file")
            entry_text = archive.read(CONFIG)
            weights = archive.read(WEIGHTS)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as error:
        raise ValueError(f"filepath: {where} is not a readable .keras file (a zip archive): {error}") from error
    try:
        entry = json.loads(entry_text)
    except ValueError as error:
        raise ValueError(f"filepath: {where}: config.json is not valid JSON: {error}") from error
    model = config_module.model_from_config(entry, where)
    if not model.built:
        raise ValueError(f"filepath: {where}: the model has no input shape, so its weights cannot be restored")
    compiled = entry.get("compile_config") if compile else None
    if compiled:
        compile_state.compile_from_config(model, compiled, where)
    optimizer_arrays = weights_file.read_weights_image(model, weights, where)
    if compiled and optimizer_arrays is not None and model.optimizer is not None:
        compile_state.restore_optimizer(model, optimizer_arrays, where)
    return model
