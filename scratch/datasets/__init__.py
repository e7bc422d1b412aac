"""Datasets as NumPy arrays, shaped like ``keras.datasets``' (KERAS_SEMANTICS §9).

Example::

    >>> from scratch.datasets import fashion_mnist
    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()   # doctest: +SKIP
"""
from scratch.datasets import fashion_mnist

__all__ = ["fashion_mnist"]
