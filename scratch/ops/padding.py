"""Spatial arithmetic shared by the convolution and pooling ops and layers (Keras's rules).

Per spatial dimension, with input size ``n``, kernel (or pool) size ``k``, stride ``s`` and
dilation ``d``, the *effective* kernel is ``ke = (k − 1)·d + 1`` (a dilated 3-kernel with d=2
spans 5 cells) and:

- ``valid``: ``out = floor((n − ke) / s) + 1`` (no padding; trailing cells that do not fill a
  whole window are dropped);
- ``same``:  ``out = ceil(n / s)``, padded with ``total = max((out − 1)·s + ke − n, 0)`` cells,
  ``before = total // 2`` at the top/left and ``after = total − before`` at the bottom/right —
  when ``total`` is odd the extra cell goes at the bottom/right (TensorFlow's "SAME").

Example::

    >>> conv_output_length(28, 3, 2, "same"), same_padding(28, 3, 2)
    (14, (0, 1))
"""
import numbers

PADDINGS = ("valid", "same")


def normalize_tuple(value, name, length=2):
    """Expand an int to a ``length``-tuple of positive ints, or validate a tuple/list of them.

    ``name`` is the argument's name, used in the error message (Keras's ``standardize_tuple``).

    >>> normalize_tuple(3, "kernel_size"), normalize_tuple((2, 1), "strides")
    ((3, 3), (2, 1))
    """
    if _is_int(value):
        values = (int(value),) * length
    elif isinstance(value, (tuple, list)):
        if len(value) != length or not all(_is_int(v) for v in value):
            raise TypeError(
                f"{name}: expected an int or a tuple of {length} ints, received {value!r}"
            )
        values = tuple(int(v) for v in value)
    else:
        raise TypeError(f"{name}: expected an int or a tuple of {length} ints, received {value!r}")
    if any(v <= 0 for v in values):
        raise ValueError(f"{name}: expected positive integers, received {value!r}")
    return values


def normalize_padding(padding):
    """``"valid"`` or ``"same"`` (any case, as Keras accepts ``"SAME"``) -> lower-case string.

    >>> normalize_padding("SAME")
    'same'
    """
    if not isinstance(padding, str) or padding.lower() not in PADDINGS:
        raise ValueError(f"padding: expected one of {list(PADDINGS)}, received {padding!r}")
    return padding.lower()


def conv_output_length(n, kernel, stride, padding, dilation=1):
    """Output size along one spatial dimension (Keras's ``compute_conv_output_shape``).

    ``valid``: ``floor((n − ke)/s) + 1`` with ``ke = (k − 1)·d + 1``; ``same``: ``ceil(n/s)``.
    Can be ≤ 0 for ``valid`` when the window is larger than the input: callers (the layers)
    turn that into Keras's "Computed output size would be zero or negative" ``ValueError``.

    >>> conv_output_length(7, 2, 2, "valid"), conv_output_length(7, 2, 2, "same")
    (3, 4)
    """
    padding = normalize_padding(padding)
    effective = (kernel - 1) * dilation + 1
    if padding == "same":
        return (n + stride - 1) // stride
    return (n - effective) // stride + 1


def same_padding(n, kernel, stride, dilation=1):
    """``(before, after)`` padding of one spatial dimension for ``"same"`` (TensorFlow's split).

    ``out = ceil(n/s)``, ``total = max((out − 1)·s + ke − n, 0)``, ``before = total // 2``,
    ``after = total − before`` (the extra cell of an odd total goes after: bottom/right).

    >>> same_padding(8, 2, 1), same_padding(7, 3, 2), same_padding(6, 3, 1, dilation=2)
    ((0, 1), (1, 1), (2, 2))
    """
    effective = (kernel - 1) * dilation + 1
    out = (n + stride - 1) // stride
    total = max((out - 1) * stride + effective - n, 0)
    return total // 2, total - total // 2


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
