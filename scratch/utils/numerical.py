"""``to_categorical``: class labels as one-hot rows, as ``keras.utils.to_categorical``
(``keras/src/utils/numerical_utils.py``).

Example::

    >>> to_categorical([0, 2], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
"""
import numbers

import numpy as np


class LabelIndexError(ValueError, IndexError):
    """A label outside ``[0, num_classes)``: a ``ValueError`` (the kit's rule for bad input) that
    is also the ``IndexError`` Keras raises for a label ≥ ``num_classes``."""


def to_categorical(x, num_classes=None):
    """One-hot float64 rows (Keras's dtype) for the integer labels ``x``, the class axis last:
    shape ``x.shape + (num_classes,)``, a trailing axis of 1 dropped first (``(N, 1)`` labels give
    ``(N, num_classes)``). ``num_classes`` None (or 0, as in Keras) means ``max(x) + 1``.

    Departures, where Keras goes on silently: a negative label (Keras marks the last class for
    -1) and a fractional one (Keras truncates 1.7 to 1) are ``ValueError``s naming the label.

    Example::

        >>> to_categorical([[1], [0]]).shape
        (2, 2)
    """
    num_classes = _check_num_classes(num_classes)
    labels = _as_labels(x)
    shape = labels.shape[:-1] if labels.ndim > 1 and labels.shape[-1] == 1 else labels.shape
    flat = labels.reshape(-1)
    if not num_classes:
        if flat.size == 0:
            raise ValueError("x: expected at least one label to infer num_classes from, received an empty "
                             "array (pass num_classes)")
        num_classes = int(flat.max()) + 1
    too_large = flat >= num_classes
    if too_large.any():
        raise LabelIndexError(f"x: expected labels in [0, {num_classes}) for num_classes={num_classes}, "
                              f"received the label {flat[too_large][0]}")
    categorical = np.zeros((flat.size, num_classes))
    categorical[np.arange(flat.size), flat] = 1
    return categorical.reshape(shape + (num_classes,))


def _check_num_classes(num_classes):
    if num_classes is None:
        return None
    if isinstance(num_classes, (bool, np.bool_)) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(f"num_classes: expected None or a positive int, received {num_classes!r}")
    if num_classes < 0:
        raise ValueError(f"num_classes: expected None or a positive int, received {num_classes!r}")
    return int(num_classes)


def _as_labels(x):
    """``x`` as int64 labels ≥ 0; whole floats (``3.0``) and booleans count, as Keras casts them."""
    try:
        array = np.asarray(x)
    except ValueError as error:   # ragged nested lists
        raise ValueError(f"x: expected an array of integer labels, received a ragged sequence ({error})") from None
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_) or np.iscomplexobj(array):
        raise ValueError(f"x: expected integer class labels, received an array of dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.floating):
        bad = ~np.isfinite(array) | (array != np.round(array))
        if bad.any():
            raise ValueError(f"x: expected integer class labels, received {array[bad].reshape(-1)[0]!r} (Keras "
                             "would truncate it silently)")
    if (array < 0).any():
        raise LabelIndexError(f"x: expected labels ≥ 0, received the label {array[array < 0].reshape(-1)[0]} "
                              "(Keras would silently count it from the last class)")
    return array.astype(np.int64)
