"""Metrics: running means over the samples seen, in float32, as Keras's ``Mean``-based metrics.

The string ``"accuracy"`` (or ``"acc"``) is resolved at first use from the shapes, as Keras does
(``keras/src/trainers/compile_utils.py``, ``get_metric``): integer labels → sparse categorical
accuracy, one-hot labels → categorical, a single output unit → binary; the metric keeps the name
it was given.

Example::

    >>> import numpy as np
    >>> m = get("accuracy")
    >>> m.update_state(np.array([1, 0]), np.array([[0.2, 0.8], [0.3, 0.7]]))
    >>> m.result()
    0.5
"""
import numpy as np

F32 = np.float32


class Mean:
    """Weighted running mean: ``total += Σ values·w``, ``count += Σ w``, ``result = total / count``."""

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


class MeanMetricWrapper(Mean):
    """A metric whose per-sample values come from ``fn(y_true, y_pred)``."""

    def __init__(self, fn, name):
        super().__init__(name)
        self.fn = fn

    def update_state(self, y_true, y_pred):
        self.update_values(self.fn(y_true, y_pred))


class Accuracy(MeanMetricWrapper):
    """``"accuracy"``/``"acc"``: picks sparse, categorical or binary accuracy from the shapes on first use."""

    def __init__(self, name="accuracy"):
        super().__init__(None, name)

    def update_state(self, y_true, y_pred):
        if self.fn is None:
            self.fn = resolve_accuracy(np.shape(y_true), np.shape(y_pred))
        super().update_state(y_true, y_pred)


def resolve_accuracy(true_shape, pred_shape):
    """Keras's rule (``is_binary_or_sparse_categorical``) for which accuracy ``"accuracy"`` means."""
    if pred_shape[-1] == 1:
        return binary_matches
    if len(true_shape) < len(pred_shape) or (true_shape[-1] == 1 and pred_shape[-1] > 1):
        return sparse_categorical_matches
    return categorical_matches


_METRICS = {
    "sparse_categorical_accuracy": sparse_categorical_matches,
    "categorical_accuracy": categorical_matches,
    "binary_accuracy": binary_matches,
}


def get(identifier):
    """A metric object from a name (``"accuracy"``, ``"sparse_categorical_accuracy"``, …) or a metric."""
    if isinstance(identifier, Mean):
        return identifier
    if identifier in ("accuracy", "acc"):
        return Accuracy(name=identifier)
    if isinstance(identifier, str) and identifier in _METRICS:
        return MeanMetricWrapper(_METRICS[identifier], identifier)
    valid = ["accuracy", "acc"] + sorted(_METRICS)
    raise ValueError(f"metrics: expected names from {valid} or scratch.metrics objects, received {identifier!r}")
