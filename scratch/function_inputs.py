"""The arrays that the function forms of losses and metrics take (``sparse_categorical_crossentropy
(y_true, y_pred)``, ``categorical_accuracy(y_true, y_pred)``, …): checked, in float32, classes last.

Example::

    >>> y_pred, restore = as_class_last([[0.2, 0.8]], axis=-1)
    >>> y_pred.dtype, restore(y_pred[..., 0]).shape
    (dtype('float32'), (1,))
"""
import numbers

import numpy as np

from scratch import data_checks
from scratch.backend import FLOATX


def as_float_array(values, argument):
    """``values`` as a float32 array; ``TypeError`` naming ``argument`` for what is not real
    numbers, ``ValueError`` for a ragged list (the checks ``fit`` applies to its inputs)."""
    array = data_checks.as_array(values, argument)
    data_checks.check_real(array, argument, "an array of real numbers")
    return array.astype(FLOATX, copy=False)


def as_class_last(y_pred, axis, argument="y_pred"):
    """``(array with the class axis last, restore)``: ``restore(values)`` puts per-sample values
    (the shape without the class axis) back as the caller's shape; ``axis`` is the class axis."""
    array = as_float_array(y_pred, argument)
    if array.ndim == 0:
        raise ValueError(f"{argument}: expected an array with a class axis, received a scalar")
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis: expected an int, received {axis!r}")
    if not -array.ndim <= axis < array.ndim:
        raise ValueError(f"axis: expected an int from {-array.ndim} to {array.ndim - 1} for {argument} of "
                         f"shape {array.shape}, received {axis}")
    moved = np.moveaxis(array, axis, -1)
    return np.ascontiguousarray(moved), lambda values: np.asarray(values, FLOATX).reshape(moved.shape[:-1])


def as_sparse_labels(y_true, pred_shape, argument="y_true"):
    """Integer labels of shape ``pred_shape[:-1]`` (a trailing axis of 1 is dropped), each in
    ``[0, classes)``; ``ValueError`` naming ``argument`` otherwise."""
    labels = np.asarray(y_true)
    if labels.ndim == len(pred_shape) and labels.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != tuple(pred_shape[:-1]):
        raise ValueError(f"{argument}: expected integer labels of shape {tuple(pred_shape[:-1])} (or with a "
                         f"trailing axis of 1) for y_pred of shape {tuple(pred_shape)}, received shape "
                         f"{np.shape(y_true)}")
    return data_checks.as_sparse_labels(labels.reshape(-1), pred_shape[-1], argument).reshape(labels.shape)


def check_bool(value, argument):
    """``value`` if it is True or False, else ``TypeError`` naming ``argument``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argument}: expected True or False, received {value!r}")
    return bool(value)


def check_fraction(value, argument):
    """A number in [0, 1] as a float; ``TypeError``/``ValueError`` naming ``argument`` otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument}: expected a number in [0, 1], received {value!r}")
    if not 0 <= value <= 1:
        raise ValueError(f"{argument}: expected a number in [0, 1], received {value!r}")
    return float(value)
