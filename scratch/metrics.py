"""Metrics: running means over the samples seen, in float32, as Keras's ``Mean``-based metrics.

The string ``"accuracy"`` (or ``"acc"``) is resolved at first use from the shapes, as Keras does
(``keras/src/trainers/compile_utils.py``, ``get_metric``): integer labels → sparse categorical
accuracy, one-hot labels → categorical, a single output unit → binary; the metric keeps the name
it was given. The classes (:class:`Accuracy` — exact match —, :class:`SparseCategoricalAccuracy`,
:class:`CategoricalAccuracy`, :class:`BinaryAccuracy`) and functions
(:func:`sparse_categorical_accuracy`, :func:`categorical_accuracy`, …) are Keras's.

Example::

    >>> import numpy as np
    >>> m = get("accuracy")
    >>> m.update_state(np.array([1, 0]), np.array([[0.2, 0.8], [0.3, 0.7]]))
    >>> m.result()
    0.5
"""
import numbers

import numpy as np

from scratch import function_inputs, losses
from scratch.naming import to_snake_case

F32 = np.float32


class Mean:
    """Weighted running mean: ``total += Σ values·w``, ``count += Σ w``, ``result = total / count``.

    ``direction``: ``"up"`` when larger is better (accuracies), ``"down"`` when smaller is, None
    when unknown (Keras's ``_direction``; ``EarlyStopping(mode="auto")`` reads it)."""

    direction = None

    def __init__(self, name="mean"):
        self.name = name
        self.reset_state()

    def reset_state(self):
        self.total = F32(0)
        self.count = F32(0)

    def update_state(self, value, weight=1.0):
        """Add ``value`` with ``weight``. An array ``value`` (per-sample values of an unreduced
        loss) counts as its mean, as in Keras's ``Mean`` with a scalar ``sample_weight``."""
        value = np.asarray(value, F32)
        if value.ndim:
            value = value.mean(dtype=F32)
        self.total = F32(self.total + value * F32(weight))
        self.count = F32(self.count + F32(weight))

    def update_values(self, values):
        """Add every element of ``values`` with weight 1."""
        self.total = F32(self.total + values.sum(dtype=F32))
        self.count = F32(self.count + values.size)

    def update_weighted(self, values, sample_weight):
        """Add ``values`` (one or more per sample), every element with weight 1 when
        ``sample_weight`` is None; else as Keras's ``reduce_to_samplewise_values``: each sample's
        values averaged to one, times its weight, and the weights counted."""
        values = np.asarray(values, F32)
        if sample_weight is None:
            return self.update_values(values)
        weights = np.asarray(sample_weight, F32)
        if weights.ndim == values.ndim + 1 and weights.shape[-1] == 1:
            weights = weights[..., 0]
        elif values.ndim == weights.ndim + 1 and values.shape[-1] == 1:
            values = values[..., 0]
        if values.ndim > weights.ndim:
            values = values.mean(axis=tuple(range(weights.ndim, values.ndim)), dtype=F32)
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise ValueError(f"sample_weight: expected a scalar or one weight per sample, shape {values.shape}, "
                             f"received shape {np.shape(sample_weight)}") from None
        self.total = F32(self.total + (values * weights).sum(dtype=F32))
        self.count = F32(self.count + weights.sum(dtype=F32))

    def result(self):
        """Python float of the float32 mean (0.0 before any update, like ``divide_no_nan``)."""
        return float(self.total / self.count) if self.count else 0.0


def sparse_categorical_matches(y_true, y_pred):
    """``1.0`` where ``argmax(y_pred) == y_true`` (first index on ties), else ``0.0``."""
    y = np.asarray(y_true).reshape(-1)
    return (np.argmax(y_pred, axis=-1).reshape(-1) == y).astype(F32)


def categorical_matches(y_true, y_pred):
    """``1.0`` where ``argmax(y_pred) == argmax(y_true)``."""
    return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(F32).reshape(-1)


def binary_matches(y_true, y_pred, threshold=0.5):
    """``1.0`` where ``(y_pred > threshold) == y_true``. Labels ``(B,)`` against outputs ``(B, 1)``
    get the unit axis first, as Keras's ``squeeze_or_expand_to_same_rank`` (no ``(B, B)`` broadcast)."""
    y_true, y_pred = np.asarray(y_true, F32), np.asarray(y_pred)
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    return (y_true == (y_pred > threshold).astype(F32)).astype(F32).reshape(-1)


def sparse_categorical_accuracy(y_true, y_pred):
    """Per-sample ``1.0``/``0.0``: does ``argmax(y_pred)`` equal the integer label? As
    ``keras.metrics.sparse_categorical_accuracy`` (shape ``y_pred.shape[:-1]``, float32).

    >>> sparse_categorical_accuracy([1, 0], [[0.2, 0.8], [0.3, 0.7]])
    array([1., 0.], dtype=float32)
    """
    y_pred, restore = function_inputs.as_class_last(y_pred, -1)
    labels = np.asarray(y_true)
    if labels.ndim == y_pred.ndim and labels.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError(f"y_true: expected labels of shape {y_pred.shape[:-1]} (or with a trailing axis of 1) "
                         f"for y_pred of shape {y_pred.shape}, received shape {np.shape(y_true)}")
    labels = function_inputs.as_float_array(labels, "y_true")
    return restore(np.argmax(y_pred, axis=-1).astype(F32) == labels)


def categorical_accuracy(y_true, y_pred):
    """Per-sample ``1.0``/``0.0``: does ``argmax(y_pred)`` equal ``argmax(y_true)``? As
    ``keras.metrics.categorical_accuracy`` (shape ``y_pred.shape[:-1]``, float32).

    >>> categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    array([1., 0.], dtype=float32)
    """
    y_pred, restore = function_inputs.as_class_last(y_pred, -1)
    targets = function_inputs.as_float_array(y_true, "y_true")
    if targets.shape != y_pred.shape:
        raise ValueError(f"y_true: expected one-hot targets of the shape of y_pred, {y_pred.shape}, received "
                         f"shape {targets.shape}")
    return restore(np.argmax(targets, axis=-1) == np.argmax(y_pred, axis=-1))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per-element ``1.0``/``0.0``: does ``y_pred > threshold`` equal ``y_true``? As
    ``keras.metrics.binary_accuracy`` (labels ``(B,)`` against ``(B, 1)`` get the unit axis).

    >>> binary_accuracy([[1], [0]], [[0.9], [0.6]])
    array([[1.],
           [0.]], dtype=float32)
    """
    y_true, y_pred = _same_rank(function_inputs.as_float_array(y_true, "y_true"),
                                function_inputs.as_float_array(y_pred, "y_pred"))
    _check_broadcast(y_true, y_pred)
    return (y_true == (y_pred > F32(threshold)).astype(F32)).astype(F32)


def accuracy(y_true, y_pred):
    """Per-element ``1.0``/``0.0``: is ``y_pred`` exactly ``y_true``? (what :class:`Accuracy` averages).

    >>> accuracy([1, 2, 3, 4], [0, 2, 3, 4])
    array([0., 1., 1., 1.], dtype=float32)
    """
    y_true, y_pred = _same_rank(function_inputs.as_float_array(y_true, "y_true"),
                                function_inputs.as_float_array(y_pred, "y_pred"))
    _check_broadcast(y_true, y_pred)
    return (y_true == y_pred).astype(F32)


def _same_rank(y_true, y_pred):
    """Keras's ``squeeze_or_expand_to_same_rank``: when the ranks differ by one and the longer
    has a unit last axis, expand a rank-1 shorter one, else squeeze the unit axis."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return (y_true, y_pred[..., None]) if y_pred.ndim == 1 else (y_true[..., 0], y_pred)
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        return (y_true[..., None], y_pred) if y_true.ndim == 1 else (y_true, y_pred[..., 0])
    return y_true, y_pred


def _check_broadcast(y_true, y_pred):
    """Refuse shapes TensorFlow's ``Equal`` would not broadcast together (Keras: InvalidArgumentError)."""
    try:
        np.broadcast_shapes(y_true.shape, y_pred.shape)
    except ValueError:
        raise ValueError(f"y_true: expected a shape that matches y_pred's {y_pred.shape}, received shape "
                         f"{y_true.shape}") from None


class MeanMetricWrapper(Mean):
    """A metric whose per-sample values come from ``fn(y_true, y_pred, **kwargs)``, averaged over
    every value seen; named ``name`` or the function's name, as Keras's ``MeanMetricWrapper``."""

    def __init__(self, fn, name=None, **kwargs):
        super().__init__(name or _function_name(fn))
        self.fn = fn
        self.fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's values, each sample weighted by ``sample_weight`` when given (Keras's
        weighted ``Mean``: ``total += Σ w·v``, ``count += Σ w``)."""
        self.update_weighted(np.asarray(self.fn(y_true, y_pred, **self.fn_kwargs), F32), sample_weight)


class Accuracy(MeanMetricWrapper):
    """How often ``y_pred`` equals ``y_true`` exactly, as ``keras.metrics.Accuracy`` (for class
    labels against their predictions, not probabilities: use ``"accuracy"`` for those).

    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> m.result()
    0.75
    """

    direction = "up"

    def __init__(self, name="accuracy"):
        super().__init__(accuracy, name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` is the integer label, as ``keras.metrics.SparseCategoricalAccuracy``."""

    direction = "up"

    def __init__(self, name="sparse_categorical_accuracy"):
        super().__init__(sparse_categorical_accuracy, name)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` is ``argmax(y_true)``, as ``keras.metrics.CategoricalAccuracy``."""

    direction = "up"

    def __init__(self, name="categorical_accuracy"):
        super().__init__(categorical_accuracy, name)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the 0/1 label, as ``keras.metrics.BinaryAccuracy``."""

    direction = "up"

    def __init__(self, name="binary_accuracy", threshold=0.5):
        if isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, numbers.Real):
            raise TypeError(f"threshold: expected a number, received {threshold!r}")
        super().__init__(binary_accuracy, name, threshold=threshold)
        self.threshold = threshold


class ShapeResolvedAccuracy(MeanMetricWrapper):
    """What the strings ``"accuracy"``/``"acc"`` mean in ``compile``: binary, sparse or categorical
    accuracy, picked from the shapes on first use (Keras picks the class the same way)."""

    direction = "up"

    def __init__(self, name="accuracy"):
        super().__init__(None, name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.fn is None:
            self.fn = resolve_accuracy(np.shape(y_true), np.shape(y_pred))
        self.update_weighted(self.fn(y_true, y_pred), sample_weight)


def resolve_accuracy(true_shape, pred_shape):
    """Keras's rule (``is_binary_or_sparse_categorical``) for which accuracy ``"accuracy"`` means."""
    if pred_shape[-1] == 1:
        return binary_matches
    if len(true_shape) < len(pred_shape) or (true_shape[-1] == 1 and pred_shape[-1] > 1):
        return sparse_categorical_matches
    return categorical_matches


_LOSS_FUNCTIONS = (losses.sparse_categorical_crossentropy, losses.categorical_crossentropy)
_CLASSES = {"accuracy": Accuracy, "sparse_categorical_accuracy": SparseCategoricalAccuracy,
            "categorical_accuracy": CategoricalAccuracy, "binary_accuracy": BinaryAccuracy}
_NAMES = {**{name: cls for name, cls in _CLASSES.items() if name != "accuracy"},
          **{cls.__name__: cls for cls in _CLASSES.values()}}


def get(identifier):
    """A metric object for ``compile(metrics=[…])``, resolved as Keras's ``get_metric``:

    - ``"accuracy"``/``"acc"`` (any case): :class:`ShapeResolvedAccuracy`, named as written;
    - a name (``"sparse_categorical_accuracy"``, ``"SparseCategoricalAccuracy"``): that class's
      metric, named as written;
    - a metric object (kept), a metric class (made with its default name);
    - a function ``fn(y_true, y_pred)`` (``scratch.metrics.categorical_accuracy``, or your own
      giving per-sample values): averaged, named by the function's name. As in Keras, such a
      metric has no direction: ``EarlyStopping(mode="auto")`` cannot watch it.
    """
    if isinstance(identifier, Mean):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        return ShapeResolvedAccuracy(name=identifier)
    if isinstance(identifier, str) and identifier in _NAMES:
        metric = _NAMES[identifier]()
        metric.name = identifier
        return metric
    if isinstance(identifier, type) and issubclass(identifier, Mean):
        return identifier()
    if callable(identifier) and not isinstance(identifier, type):
        metric = MeanMetricWrapper(identifier)
        if identifier in _LOSS_FUNCTIONS or isinstance(identifier, losses.Loss):
            metric.direction = "down"   # a loss as a metric goes down, as Keras says
        return metric
    valid = ["accuracy", "acc"] + sorted(_NAMES)
    raise ValueError(f"metrics: expected names from {valid}, scratch.metrics objects or functions "
                     f"fn(y_true, y_pred), received {identifier!r}")


def _function_name(fn):
    """Keras's name for a metric function: its ``__name__`` in snake_case (``<lambda>`` → ``lambda``)."""
    name = getattr(fn, "name", None)
    if isinstance(name, str) and name:   # a loss or metric object (Keras's get_object_name)
        return name
    return to_snake_case(getattr(fn, "__name__", None) or type(fn).__name__)
