"""Crossentropy losses with Keras's formulas, clipping and reduction (``keras/src/losses/``).

Each loss gives per-sample values and the gradient of the *reduced* batch loss. One rule of
Keras's TensorFlow backend (``keras/src/backend/tensorflow/nn.py``, ``_get_logits``) matters for
training: when the model's output comes out of a softmax, the loss is computed from the logits
that produced it (no 1e-7 clipping, gradient ``(softmax − onehot)/B``).
:class:`scratch.Sequential` passes those logits as ``logits=``.

The functions :func:`sparse_categorical_crossentropy` and :func:`categorical_crossentropy`
give the unreduced per-sample values, as Keras's functions of the same names.

Example::

    >>> import numpy as np
    >>> loss = SparseCategoricalCrossentropy()
    >>> round(float(loss(np.array([0]), np.array([[0.5, 0.5]]))), 4)
    0.6931
"""
import numpy as np

from scratch import backend, function_inputs

REDUCTIONS = ("sum_over_batch_size", "sum", "none", None)


class Loss:
    """Base: ``__call__(y_true, y_pred)`` -> reduced loss (float32), like a Keras loss object."""

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction: expected one of {list(REDUCTIONS)}, received {reduction!r}")
        self.from_logits = bool(from_logits)
        self.reduction = reduction
        self.name = name or self.default_name

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss; ``sample_weight`` (a scalar, or one weight per sample) weighs each
        sample's loss first, as Keras's ``reduce_weighted_values``."""
        y_pred = np.asarray(y_pred, dtype=backend.FLOATX)
        per_sample, _ = self.per_sample(np.asarray(y_true), y_pred)
        return self.reduce(per_sample, sample_weight)

    def per_sample(self, y_true, y_pred, logits=None):
        """(per-sample losses (B,), gradient of each with respect to ``y_pred`` or, when given or
        ``from_logits``, the logits). ``logits`` are the pre-softmax values of a softmax output.

        Any rank, classes on the last axis, as Keras (``axis=-1``): ``y_pred`` (B, H, W, C) with
        labels (B, H, W) (segmentation) gives one loss per position, (B, H, W), which
        ``sum_over_batch_size`` averages over all B·H·W of them. So that ``gradient_scale(B)``
        still turns the gradient into that of the reduced loss, the gradient returned for such
        an input is already divided by the H·W positions of a sample (under that reduction)."""
        source = logits if logits is not None else y_pred
        compute = self._from_logits if (logits is not None or self.from_logits) else self._from_probs
        y_true = self._targets_for(np.asarray(y_true), source.shape)
        if source.ndim <= 2:
            return compute(y_true, source)
        classes = source.shape[-1]
        values, grad = compute(y_true.reshape((-1,) + y_true.shape[source.ndim - 1:]),
                               source.reshape(-1, classes))
        values, grad = values.reshape(source.shape[:-1]), grad.reshape(source.shape)
        if self.reduction == "sum_over_batch_size":
            grad = grad / grad.dtype.type(values.size // max(source.shape[0], 1))
        return values, grad

    def _targets_for(self, y_true, pred_shape):
        """``y_true`` checked against predictions of ``pred_shape`` (subclasses)."""
        return y_true

    def reduce(self, per_sample, sample_weight=None):
        """``sum_over_batch_size``: ``Σℓ / B`` (float32); ``sum``: ``Σℓ``; ``none``: the values.

        With ``sample_weight`` each value is ``w·ℓ`` first, and ``sum_over_batch_size`` is still
        ``Σ w·ℓ / B`` — divided by the number of values, *not* by ``Σ w`` (Keras's
        ``reduce_values``; only its ``"mean_with_sample_weight"`` divides by ``Σ w``)."""
        if sample_weight is not None:
            weighted = per_sample * broadcast_weights(sample_weight, per_sample.shape)
            # Keras's squeeze_or_expand_to_same_rank: (B, 1) weights make (B, 1) values
            per_sample = weighted[..., None] if np.ndim(sample_weight) == per_sample.ndim + 1 else weighted
        if self.reduction in ("none", None):
            return per_sample
        total = per_sample.sum(dtype=per_sample.dtype)
        if self.reduction == "sum":
            return total
        return total / per_sample.dtype.type(max(per_sample.size, 1))

    def gradient_scale(self, batch_size):
        """Factor from per-sample gradients to the gradient of the reduced loss. An unreduced
        (``"none"``) loss is differentiated as its sum, as Keras's ``fit`` does (its tape takes
        the gradient of the per-sample vector)."""
        return 1.0 if self.reduction in ("sum", "none", None) else 1.0 / batch_size

    def __repr__(self):
        return f"{type(self).__name__}(from_logits={self.from_logits})"


def broadcast_weights(sample_weight, shape, argument="sample_weight"):
    """Float32 weights of ``shape`` (the per-sample loss values, (B,) or (B, H, W)) from a scalar
    or one weight per sample, (B,) or (B, 1), spread over a sample's positions, as Keras's
    ``squeeze_or_expand_to_same_rank`` and broadcasting do; else a ``ValueError``."""
    weights = np.asarray(sample_weight, dtype=backend.FLOATX)
    if weights.ndim == len(shape) + 1 and weights.shape[-1] == 1:
        weights = weights[..., 0]
    if 0 < weights.ndim < len(shape):
        weights = weights.reshape(weights.shape + (1,) * (len(shape) - weights.ndim))
    try:
        return np.broadcast_to(weights, shape)
    except ValueError:
        raise ValueError(f"{argument}: expected a scalar or one weight per sample, shape {tuple(shape[:1])}, "
                         f"for loss values of shape {tuple(shape)}, received shape {np.shape(sample_weight)}") from None


class SparseCategoricalCrossentropy(Loss):
    """Integer labels ``(B,)`` (or ``(B, 1)``) against ``(B, C)`` predictions.

    ``from_logits=False``: ``ℓ = −log clip(p_y) + log Σ_j clip(p_j)`` (TensorFlow's form, which
    renormalises); ``from_logits=True``: ``ℓ = logsumexp(z) − z_y``.
    """

    default_name = "sparse_categorical_crossentropy"

    def _labels(self, y_true):
        y = np.asarray(y_true)
        if y.ndim == 2 and y.shape[-1] == 1:
            y = y[:, 0]
        return y.astype(np.int64)

    def _targets_for(self, y_true, pred_shape):
        """Labels of shape ``y_pred.shape[:-1]`` (or with a trailing 1), else a ``ValueError``."""
        if y_true.shape == tuple(pred_shape[:-1]) + (1,):
            y_true = y_true[..., 0]
        if y_true.shape != tuple(pred_shape[:-1]):
            raise ValueError(f"y_true: expected integer labels of shape {tuple(pred_shape[:-1])} for predictions "
                             f"of shape {tuple(pred_shape)} (classes last), received shape {y_true.shape}")
        return y_true

    def _from_logits(self, y_true, logits):
        return backend.ops.sparse_crossentropy_from_logits(logits, self._labels(y_true))

    def _from_probs(self, y_true, probs):
        return backend.ops.sparse_crossentropy_from_probs(probs, self._labels(y_true))


class CategoricalCrossentropy(Loss):
    """One-hot (or soft) targets ``(B, C)`` against ``(B, C)`` predictions.

    ``from_logits=False``: ``p ← p/Σp``, then ``ℓ = −Σ_j Y_j log clip(p_j)``;
    ``from_logits=True``: ``ℓ = −Σ_j Y_j (z_j − logsumexp(z))``.
    """

    default_name = "categorical_crossentropy"

    def _targets_for(self, y_true, pred_shape):
        """Targets of the predictions' shape, else a ``ValueError`` (as Keras: "Arguments
        `target` and `output` must have the same shape")."""
        if y_true.shape != tuple(pred_shape):
            raise ValueError(f"y_true: expected targets of the shape of y_pred, {tuple(pred_shape)}, "
                             f"received shape {y_true.shape}")
        return y_true

    def _from_logits(self, y_true, logits):
        return backend.ops.categorical_crossentropy_from_logits(logits, np.asarray(y_true, logits.dtype))

    def _from_probs(self, y_true, probs):
        return backend.ops.categorical_crossentropy_from_probs(probs, np.asarray(y_true, probs.dtype))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-sample crossentropy of integer labels, as ``keras.losses.sparse_categorical_crossentropy``:
    float32 values of shape ``y_pred.shape`` without ``axis`` (no reduction).

    >>> sparse_categorical_crossentropy([0, 1], [[0.5, 0.5], [0.2, 0.8]]).round(4)
    array([0.6931, 0.2231], dtype=float32)
    """
    if ignore_class is not None:
        raise ValueError(f"ignore_class: expected None (scratch ignores no class), received {ignore_class!r}")
    y_pred, restore = function_inputs.as_class_last(y_pred, axis)
    labels = function_inputs.as_sparse_labels(y_true, y_pred.shape)
    loss = SparseCategoricalCrossentropy(from_logits=function_inputs.check_bool(from_logits, "from_logits"))
    values, _ = loss.per_sample(labels.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]))
    return restore(values)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample crossentropy of one-hot (or soft) targets, as
    ``keras.losses.categorical_crossentropy``: float32 values of shape ``y_pred.shape`` without
    ``axis``; ``label_smoothing`` ``s`` first makes the targets ``y·(1 − s) + s / C``.

    >>> categorical_crossentropy([[1, 0]], [[0.5, 0.5]]).round(4)
    array([0.6931], dtype=float32)
    """
    y_pred, restore = function_inputs.as_class_last(y_pred, axis)
    targets, _ = function_inputs.as_class_last(y_true, axis, argument="y_true")
    if targets.shape != y_pred.shape:
        raise ValueError(f"y_true: expected targets of the shape of y_pred, {y_pred.shape} (classes last), "
                         f"received shape {targets.shape}")
    smoothing = function_inputs.check_fraction(label_smoothing, "label_smoothing")
    if smoothing:
        targets = targets * backend.FLOATX(1 - smoothing) + backend.FLOATX(smoothing / targets.shape[-1])
    loss = CategoricalCrossentropy(from_logits=function_inputs.check_bool(from_logits, "from_logits"))
    classes = y_pred.shape[-1]
    values, _ = loss.per_sample(targets.reshape(-1, classes), y_pred.reshape(-1, classes))
    return restore(values)


_LOSSES = {
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
}
_FUNCTIONS = {sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
              categorical_crossentropy: CategoricalCrossentropy}


def get(identifier):
    """A loss object from a name (``"sparse_categorical_crossentropy"``, or the class's name
    ``"SparseCategoricalCrossentropy"``), a function of this module, a :class:`Loss` class or
    object, as ``keras.losses.get`` (a function gives the class's object: same numbers and
    name, and ``fit`` knows its labels)."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss) and identifier is not Loss:
        return identifier()
    classes = {**_LOSSES, **{cls.__name__: cls for cls in _LOSSES.values()}}
    if isinstance(identifier, str) and identifier in classes:
        return classes[identifier]()
    if callable(identifier) and identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]()
    raise ValueError(f"loss: expected one of {sorted(classes)}, a scratch.losses function or a scratch.losses.Loss, "
                     f"received {identifier!r}")
