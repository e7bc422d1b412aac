"""Datasets as NumPy arrays, shaped like ``keras.datasets``' (``keras/src/datasets/``).

Example::

    >>> from scratch.datasets import fashion_mnist
    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()   # doctest: +SKIP
"""
from scratch.datasets import fashion_mnist

__all__ = ["fashion_mnist"]


def __getattr__(name):
    from scratch import _missing_feature
    raise _missing_feature("scratch.datasets", name, {},
                          "Keras's loaders download their data; the kit ships the Fashion-MNIST loader only: "
                          "scratch.datasets.fashion_mnist.load_data()")
