"""Datasets as NumPy arrays, shaped like ``keras.datasets``' (``keras/src/datasets/``).

Example::

    >>> from scratch.datasets import fashion_mnist
    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()   # doctest: +SKIP
"""
from scratch.datasets import fashion_mnist

__all__ = ["fashion_mnist"]
