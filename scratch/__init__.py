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
