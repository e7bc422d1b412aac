"""scratch: a from-scratch deep-learning kit (NumPy + Numba) with a Keras-shaped API.

Example::

    >>> import scratch
    >>> model = scratch.Sequential([
    ...     scratch.layers.Flatten(input_shape=(28, 28)),
    ...     scratch.layers.Dense(128, activation="relu"),
    ...     scratch.layers.Dense(10, activation="softmax")])
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
"""
from scratch import activations, backend, callbacks, initializers, layers, losses, metrics, optimizers
from scratch.backend import set_random_seed
from scratch.layers import Input
from scratch.model import Sequential
from scratch.naming import clear_session
from scratch.variable import Variable

__all__ = [
    "Input", "Sequential", "Variable", "activations", "backend", "callbacks", "clear_session",
    "initializers", "layers", "losses", "metrics", "optimizers", "set_random_seed",
]
