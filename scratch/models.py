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
    """Read a whole model (architecture, weights, compile state and optimizer variables) from a
    ``.keras`` file (Keras 3's or scratch's) or a legacy ``.h5`` file written by Keras's
    ``model.save("m.h5")``, for the layers scratch has (:mod:`scratch.saving`).

    Raises ``ValueError`` for a ``.weights.h5`` file (weights only, no model in it: Keras's
    ``ValueError`` too, "No model config found"), for a missing ``.keras`` file, a corrupt file,
    an unsupported layer class (named) and other formats; ``FileNotFoundError`` for a missing
    ``.h5``, as Keras. ``custom_objects`` and ``safe_mode`` are accepted for Keras's signature
    (scratch deserializes no code, so nothing is unsafe).

    Example::

        >>> model = load_model("best-cnn-model.h5")      # doctest: +SKIP
    """
    from scratch import saving

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
        return saving.load_model(filepath, compile=compile)
    raise ValueError(f"File format not supported: filepath={filepath}. Keras 3 only supports V3 `.keras` files "
                     "and legacy H5 format files (`.h5` extension); weights go through model.load_weights")
