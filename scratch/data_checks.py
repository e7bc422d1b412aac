"""Checks on the arrays given to ``fit``/``evaluate``/``predict``: clear errors before any state
changes, naming the argument, what was expected and what came (where Keras would fail late or
silently train on NaN)."""
import numbers

import numpy as np

from scratch.backend import FLOATX


def check_positive_int(value, argument):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{argument}: expected a positive int, received {value!r}")
    if value < 1:
        raise ValueError(f"{argument}: expected a positive int (>= 1), received {value!r}")
    return int(value)


def check_verbose(verbose):
    if verbose not in ("auto", 0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"verbose: expected 'auto', 0, 1 or 2, received {verbose!r}")
    return 1 if verbose == "auto" else verbose


def _batch_shape(shape):
    """``(None, 28, 28)`` -> ``"(N, 28, 28)"``: a model shape as the array shape it expects."""
    return "(N, " + ", ".join(str(d) for d in shape[1:]) + ")"


def as_inputs(x, input_shape, argument="x"):
    """``x`` as a float32 array of shape ``(N,) + input_shape[1:]`` (when the model is built).

    Integer images (uint8) become float32 of the same values; float64 is cast once, as Keras's
    data adapter does. Non-finite values are refused.
    """
    if x is None:
        raise ValueError(f"{argument}: expected an array of inputs, received None")
    array = np.asarray(x)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{argument}: expected a numeric array, received dtype {array.dtype}")
    if array.ndim == 0:
        raise ValueError(f"{argument}: expected an array with a batch axis, received a scalar")
    if input_shape is not None and array.shape[1:] != tuple(input_shape[1:]):
        hint = ""
        if input_shape[-1] == 1 and array.shape[1:] == tuple(input_shape[1:-1]):
            hint = f"; add the channel axis, e.g. {argument}[..., None]"
        raise ValueError(
            f"{argument}: expected an array of shape {_batch_shape(input_shape)} for this model (input "
            f"shape {tuple(input_shape)}), received shape {array.shape}{hint}")
    array = np.asarray(array, dtype=FLOATX)
    if not np.isfinite(array).all():
        bad = int(np.size(array) - np.isfinite(array).sum())
        raise ValueError(
            f"{argument}: expected finite values, found {bad} non-finite values (NaN or inf); Keras "
            "would silently produce a NaN loss from them. Clean or impute the data first")
    return array


def check_same_length(x, y, x_argument="x", y_argument="y"):
    if len(x) != len(y):
        raise ValueError(
            f"{x_argument} and {y_argument}: expected the same number of samples, received "
            f"{len(x)} inputs and {len(y)} targets")


def as_sparse_labels(y, num_classes, argument="y"):
    """Integer class indices in ``[0, num_classes)``, shape ``(N,)`` (a ``(N, 1)`` column is squeezed)."""
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(
            f"{argument}: expected integer class labels of shape (N,) or (N, 1) for a sparse "
            f"crossentropy loss, received shape {np.shape(y)}")
    if not (np.issubdtype(labels.dtype, np.number) or labels.dtype == bool):
        raise TypeError(f"{argument}: expected integer class labels, received dtype {labels.dtype}")
    if np.issubdtype(labels.dtype, np.floating):
        if not np.isfinite(labels).all():
            raise ValueError(f"{argument}: expected finite class labels, found non-finite labels (NaN or inf)")
        if not np.all(labels == np.round(labels)):
            example = labels[labels != np.round(labels)][0]
            raise ValueError(
                f"{argument}: expected integer class labels in [0, {num_classes}), received "
                f"non-integer values such as {float(example)!r} (were the labels scaled, e.g. divided by 255?)")
    labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise ValueError(
            f"{argument}: expected class labels in [0, {num_classes}) for a model with "
            f"{num_classes} outputs, received the label {bad}")
    return labels


def as_dense_targets(y, output_shape, argument="y"):
    """Float32 targets of the model's output shape ``(N, C)`` (one-hot for categorical crossentropy)."""
    targets = np.asarray(y)
    if targets.shape[1:] != tuple(output_shape[1:]):
        raise ValueError(
            f"{argument}: expected targets of shape {_batch_shape(output_shape)} (one-hot) for this "
            f"loss, received shape {targets.shape}")
    targets = np.asarray(targets, dtype=FLOATX)
    if not np.isfinite(targets).all():
        raise ValueError(f"{argument}: expected finite targets, found non-finite targets (NaN or inf)")
    return targets


def check_validation_split(validation_split):
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real):
        raise TypeError(f"validation_split: expected a float in [0, 1), received {validation_split!r}")
    if not 0 <= validation_split < 1:
        raise ValueError(f"validation_split: expected a float in [0, 1), received {validation_split!r}")
    return float(validation_split)


def split_at(n, validation_split):
    """Keras's split point: the *last* ``n − split_at`` samples are the validation data."""
    at = int(n * (1.0 - validation_split))
    if at == 0 or at == n:
        raise ValueError(
            f"validation_split: {validation_split} of {n} samples leaves "
            f"{'no training' if at == 0 else 'no validation'} samples; use a different split")
    return at
