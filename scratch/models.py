"""``scratch.models``, as ``keras.models``: :class:`Sequential` and :func:`load_model`.

Example::

    >>> from scratch import models, layers
    >>> model = models.Sequential([layers.Dense(3, input_shape=(4,))])
"""
import os

from scratch.atomic import check_path
from scratch.model import Sequential

__all__ = ["Sequential", "load_model"]


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Keras's ``load_model`` reads a whole model (architecture, weights, optimizer) from a
    ``.keras`` or ``.h5`` file; scratch cannot yet, and says so. What it can do: build the same
    model in code, then ``model.load_weights("….weights.h5")`` (files of either stack).

    Raises ``ValueError`` for a ``.weights.h5`` file (weights only, no model in it: Keras's
    ``ValueError`` too, "No model config found"), for a missing ``.keras`` file and for other
    formats (Keras's words); ``FileNotFoundError`` for a missing ``.h5``, as Keras;
    ``NotImplementedError`` for an existing ``.keras``/``.h5`` file.

    Example::

        >>> load_model("model.weights.h5")      # doctest: +SKIP
        ValueError: filepath: 'model.weights.h5' is a weights file, not a model file ...
    """
    filepath = check_path(filepath, "filepath")
    if filepath.endswith(".weights.h5"):
        raise ValueError(f"filepath: {filepath!r} is a weights file, not a model file: it holds no model to "
                         "build (Keras: \"No model config found in the file\"). Build the same model in code, "
                         "then call model.load_weights(filepath)")
    if filepath.endswith(".keras") and not os.path.exists(filepath):
        raise ValueError(f"File not found: filepath={filepath}. Please ensure the file is an accessible `.keras` "
                         "zip file.")
    if filepath.endswith((".h5", ".hdf5")) and not os.path.exists(filepath):
        raise FileNotFoundError(f"filepath: no file at {filepath!r} (Keras: FileNotFoundError too)")
    if filepath.endswith((".keras", ".h5", ".hdf5")):
        raise NotImplementedError(
            f"filepath: scratch cannot load whole-model files yet (received {filepath!r}); supported for now: "
            "build the model in code and call model.load_weights on a .weights.h5 file")
    raise ValueError(f"File format not supported: filepath={filepath}. Keras 3 only supports V3 `.keras` files, "
                     "legacy H5 format files (`.h5` extension); scratch reads neither yet, only `.weights.h5` "
                     "weights through model.load_weights")
