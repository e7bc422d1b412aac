"""Checks on the arrays given to ``fit``/``evaluate``/``predict``: clear errors before any state
changes, naming the argument, what was expected and what came (where Keras would fail late or
silently train on NaN)."""
import math
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
    """``x`` as a checked array of shape ``(N,) + input_shape[1:]`` (when the model is built), in
    its own dtype: ``fit``, ``evaluate`` and ``predict`` cast each batch to float32 as they take
    it (uint8 images become float32 of the same values), so the extra memory is one batch's, not
    a float32 copy of the data. The checks, too, look at bounded chunks.

    Refused, where Keras would go on: non-finite values, float64 values beyond float32's range
    (the cast makes them inf), complex numbers (Keras drops the imaginary part) and ragged lists
    of samples of different shapes (named here, not NumPy's "inhomogeneous shape").
    """
    if x is None:
        raise ValueError(f"{argument}: expected an array of inputs, received None")
    array = as_array(x, argument)
    check_real(array, argument, "an array of real numbers")
    if array.ndim == 0:
        raise ValueError(f"{argument}: expected an array with a batch axis, received a scalar")
    if input_shape is not None and array.shape[1:] != tuple(input_shape[1:]):
        hint = ""
        if input_shape[-1] == 1 and array.shape[1:] == tuple(input_shape[1:-1]):
            hint = f"; add the channel axis, e.g. {argument}[..., None]"
        raise ValueError(
            f"{argument}: expected an array of shape {_batch_shape(input_shape)} for this model (input "
            f"shape {tuple(input_shape)}), received shape {array.shape}{hint}")
    _check_float32_values(array, argument, "values", "; Keras would silently produce a NaN loss from "
                          "them. Clean or impute the data first")
    return array


def as_array(x, argument):
    """``np.asarray(x)``, with a ragged list of samples reported by sample, naming ``argument``."""
    try:
        return np.asarray(x)
    except ValueError:
        if not isinstance(x, (list, tuple)):
            raise
        shapes = [_shape_or_none(sample) for sample in x]
        odd = next((i for i, shape in enumerate(shapes) if shape != shapes[0] or shape is None), None)
        if odd is None:
            detail = ""
        elif shapes[odd] is None:
            detail = f": sample {odd} is itself ragged"
        else:
            detail = f": sample 0 of shape {shapes[0]} and sample {odd} of shape {shapes[odd]}"
        raise ValueError(
            f"{argument}: expected an array, or a list of samples all of one shape, received a ragged "
            f"list of {len(x)} samples{detail}; pad or crop the samples to one shape") from None


def _shape_or_none(sample):
    try:
        return np.shape(sample)
    except ValueError:
        return None


def check_real(array, argument, expected):
    """``TypeError`` naming ``argument`` unless ``array`` holds real numbers (bool, int, float)."""
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{argument}: expected {expected}, received dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise TypeError(
            f"{argument}: expected {expected}, received dtype {array.dtype} (Keras would silently drop "
            f"the imaginary part; pass {argument}.real or abs({argument}) if that is what you mean)")


CHECK_CHUNK_VALUES = 1 << 20   # values cast and checked at a time: the checks' memory is O(chunk)


def _check_float32_values(array, argument, what, advice=""):
    """Refuse NaN/inf in ``array`` and finite values that overflow when cast to float32, a chunk
    of samples at a time. Booleans and integers pass at once: all finite, all within range."""
    if array.dtype.kind in "biu":
        return
    rows = max(1, CHECK_CHUNK_VALUES // max(1, math.prod(array.shape[1:])))
    non_finite = overflowing = 0
    largest = None
    for start in range(0, len(array), rows):
        chunk = array[start:start + rows]
        with np.errstate(over="ignore", invalid="ignore"):
            finite_after_cast = np.isfinite(chunk.astype(FLOATX))
        if finite_after_cast.all():
            continue
        finite_before = np.isfinite(chunk)
        non_finite += int(finite_before.size - np.count_nonzero(finite_before))
        too_large = finite_before & ~finite_after_cast
        if too_large.any():
            overflowing += int(np.count_nonzero(too_large))
            candidate = chunk[too_large][np.argmax(np.abs(chunk[too_large]))]
            largest = candidate if largest is None or abs(candidate) > abs(largest) else largest
    if non_finite:
        raise ValueError(
            f"{argument}: expected finite {what}, found {non_finite} non-finite {what} (NaN or inf){advice}")
    if overflowing:
        raise ValueError(
            f"{argument}: expected {what} within float32's range (magnitude at most "
            f"{float(np.finfo(FLOATX).max):.7g}), received {overflowing} finite {what} that overflow float32 "
            f"when cast (the largest: {float(largest)!r}); rescale the data")


def check_not_empty(x, argument, purpose):
    """Refuse 0 samples: Keras warns "Your input ran out of data" and returns empty logs."""
    if len(x) == 0:
        raise ValueError(
            f"{argument}: expected at least 1 sample to {purpose}, received 0 samples (shape "
            f"{tuple(np.shape(x))}); there is no loss or metric to report on nothing")


def unpack_validation_data(validation_data):
    """``(x_val, y_val, sample_weight_val)`` from ``validation_data``: ``(x_val, y_val)`` (the
    weights then None) or ``(x_val, y_val, sample_weight_val)``, as Keras takes it."""
    if not isinstance(validation_data, (tuple, list)):
        raise ValueError("validation_data: expected a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val), "
                         f"received {type(validation_data).__name__}")
    if len(validation_data) not in (2, 3):
        raise ValueError(
            f"validation_data: expected a tuple of 2 or 3 elements (x_val, y_val[, sample_weight_val]), "
            f"received a {type(validation_data).__name__} of {len(validation_data)} elements")
    x_val, y_val, *rest = validation_data
    return x_val, y_val, (rest[0] if rest else None)


def as_sample_weights(sample_weight, n, argument="sample_weight"):
    """Float32 weights of shape ``(n,)``, one per sample (a ``(n, 1)`` column is squeezed), as
    Keras's samplewise ``sample_weight``. Keras refuses another length; scratch also refuses
    negative and non-finite weights (Keras takes them and trains on a NaN or sign-flipped loss)."""
    weights = as_array(sample_weight, argument)
    if weights.ndim == 2 and weights.shape[1] == 1:
        weights = weights[:, 0]
    if weights.ndim != 1:
        raise ValueError(f"{argument}: expected one weight per sample, shape ({n},), received shape {weights.shape}")
    if len(weights) != n:
        raise ValueError(f"{argument}: expected one weight per sample, {n} weights, received {len(weights)} "
                         f"(Keras: \"Data cardinality is ambiguous\")")
    check_real(weights, argument, "numeric weights")
    _check_float32_values(weights, argument, "weights")
    if (weights < 0).any():
        raise ValueError(f"{argument}: expected weights >= 0, received {float(weights[weights < 0][0])!r} "
                         "(a negative weight would push the model away from that sample's label)")
    return weights.astype(FLOATX)


def class_weights_to_sample_weights(class_weight, y, num_classes, argument="class_weight"):
    """Per-sample float32 weights ``class_weight[label]`` (1.0 for a class not in the dict), as
    Keras's ``class_weight_to_sample_weights``: the label is ``y`` for integer labels, the argmax
    of a one-hot row. Keras ignores keys that are no class; scratch refuses them, and refuses
    negative and non-finite weights, as for ``sample_weight``."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"{argument}: expected a dict {{class index: weight}}, received {type(class_weight).__name__}")
    weights = {}
    for key, value in class_weight.items():
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, (numbers.Integral, np.integer)):
            raise TypeError(f"{argument}: expected int class indices as keys, received the key {key!r}")
        if not 0 <= key < num_classes:
            raise ValueError(f"{argument}: expected class indices in [0, {num_classes}) for a model with "
                             f"{num_classes} outputs, received the key {key}")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"{argument}: expected a number as the weight of class {key}, received {value!r}")
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{argument}: expected a finite weight >= 0 for class {key}, received {value!r}")
        weights[int(key)] = value
    labels = np.asarray(y)
    if labels.ndim == 2:
        labels = np.argmax(labels, axis=-1) if labels.shape[-1] != 1 else labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(f"{argument}: expected one class per sample (labels (N,) or one-hot (N, C)), "
                         f"received targets of shape {np.shape(y)}; pass sample_weight instead")
    table = np.ones(num_classes, dtype=FLOATX)
    for key, value in weights.items():
        table[key] = value
    index = np.round(labels).astype(np.int64)
    known = (index >= 0) & (index < num_classes)
    sample_weights = np.ones(len(index), dtype=FLOATX)
    sample_weights[known] = table[index[known]]
    return sample_weights


def check_same_length(x, y, x_argument="x", y_argument="y"):
    if len(x) != len(y):
        raise ValueError(
            f"{x_argument} and {y_argument}: expected the same number of samples, received "
            f"{len(x)} inputs and {len(y)} targets")


def as_sparse_labels(y, num_classes, argument="y"):
    """Integer class indices in ``[0, num_classes)``, shape ``(N,)`` (a ``(N, 1)`` column is squeezed).

    The range is checked before the cast to int64, so a label of 1e20 is reported as 1e+20."""
    labels = as_array(y, argument)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim not in (1,) and labels.ndim < 3:   # rank >= 3: one label per position
        raise ValueError(                            # (segmentation), checked by the loss
            f"{argument}: expected integer class labels of shape (N,) or (N, 1) for a sparse "
            f"crossentropy loss (or (N, H, W) per-position labels), received shape {labels.shape}")
    check_real(labels, argument, "integer class labels")
    if np.issubdtype(labels.dtype, np.floating):
        if not np.isfinite(labels).all():
            raise ValueError(f"{argument}: expected finite class labels, found non-finite labels (NaN or inf)")
        if not np.all(labels == np.round(labels)):
            example = labels[labels != np.round(labels)][0]
            raise ValueError(
                f"{argument}: expected integer class labels in [0, {num_classes}), received "
                f"non-integer values such as {float(example)!r} (were the labels scaled, e.g. divided by 255?)")
    outside = (labels < 0) | (labels >= num_classes)
    if outside.any():
        raise ValueError(
            f"{argument}: expected class labels in [0, {num_classes}) for a model with "
            f"{num_classes} outputs, received the label {_label_text(labels[outside][0])}")
    return labels.astype(np.int64)


def _label_text(label):
    """A label as written: ``3`` for 3 or 3.0, ``1e+20`` for a float too large to read as digits."""
    if isinstance(label, np.floating) and abs(label) >= 1e15:
        return repr(float(label))
    return str(int(label))


def as_dense_targets(y, output_shape, argument="y"):
    """Float32 targets of the model's output shape ``(N, C)`` (one-hot for categorical crossentropy)."""
    targets = as_array(y, argument)
    if targets.shape[1:] != tuple(output_shape[1:]):
        raise ValueError(
            f"{argument}: expected targets of shape {_batch_shape(output_shape)} (one-hot) for this "
            f"loss, received shape {targets.shape}")
    check_real(targets, argument, "numeric targets")
    _check_float32_values(targets, argument, "targets")
    return targets.astype(FLOATX)


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
