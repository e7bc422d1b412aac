"""scratch: a from-scratch deep-learning kit (NumPy + Numba) with a Keras-shaped API.

Example::

    >>> import scratch
    >>> model = scratch.Sequential([
    ...     scratch.layers.Flatten(input_shape=(28, 28)),
    ...     scratch.layers.Dense(128, activation="relu"),
    ...     scratch.layers.Dense(10, activation="softmax")])
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

``import scratch as keras`` then reads as Keras: ``keras.datasets.fashion_mnist.load_data()``,
``keras.models.Sequential``, ``keras.utils.to_categorical``, ``keras.backend.clear_session()``, …
"""
from scratch import (activations, backend, callbacks, datasets, initializers, layers, losses, metrics, models,
                     optimizers, utils)
from scratch.backend import clear_session, set_random_seed
from scratch.layers import Input
from scratch.model import Sequential
from scratch.variable import Variable

__all__ = [
    "Input", "Sequential", "Variable", "activations", "backend", "callbacks", "clear_session", "datasets",
    "initializers", "layers", "losses", "metrics", "models", "optimizers", "set_random_seed", "utils",
]

_WHAT = "scratch is a from-scratch teaching kit with a Keras-shaped API, not Keras"
_MISSING = {
    "Model": "the functional API and model subclassing (Model with call) are not implemented; "
             "use scratch.Sequential",
    "saving": "use model.save(...) and scratch.models.load_model(...)",
    "regularizers": "weight regularizers are not implemented",
    "constraints": "weight constraints are not implemented",
    "mixed_precision": "scratch computes in float32 only",
    "applications": "pretrained applications are not implemented; build the model with scratch.Sequential",
    "preprocessing": "use the preprocessing layers in scratch.layers (Rescaling, Random*)",
}


def _missing_feature(module, name, table, fallback):
    """The ``AttributeError`` for a Keras name the kit leaves out (``hasattr`` still answers False);
    Python's own plain one for a dunder name (``__path__``, ``__wrapped__``: probes, not users)."""
    if name.startswith("__"):
        return AttributeError(f"module {module!r} has no attribute {name!r}")
    advice = table.get(name) or fallback
    return AttributeError(f"{module}.{name}: {_WHAT}; this Keras feature is not implemented"
                          f"{'' if not advice else ' (' + advice + ')'}")


def __getattr__(name):
    raise _missing_feature("scratch", name, _MISSING, "see scratch.__all__ for what the kit provides")
