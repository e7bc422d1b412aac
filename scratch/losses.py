"""Crossentropy losses with Keras's formulas, clipping and reduction (``keras/src/losses/``).

Each loss gives per-sample values and the gradient of the *reduced* batch loss. One rule of
Keras's TensorFlow backend (``keras/src/backend/tensorflow/nn.py``, ``_get_logits``) matters for
training: when the model's output comes out of a softmax, the loss is computed from the logits
that produced it (no 1e-7 clipping, gradient ``(softmax − onehot)/B``).
:class:`scratch.Sequential` passes those logits as ``logits=``.

Example::

    >>> import numpy as np
    >>> loss = SparseCategoricalCrossentropy()
    >>> round(float(loss(np.array([0]), np.array([[0.5, 0.5]]))), 4)
    0.6931
"""
import numpy as np

from scratch import backend

REDUCTIONS = ("sum_over_batch_size", "sum", "none", None)


class Loss:
    """Base: ``__call__(y_true, y_pred)`` -> reduced loss (float32), like a Keras loss object."""

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction: expected one of {list(REDUCTIONS)}, received {reduction!r}")
        self.from_logits = bool(from_logits)
        self.reduction = reduction
        self.name = name or self.default_name

    def __call__(self, y_true, y_pred):
        y_pred = np.asarray(y_pred, dtype=backend.FLOATX)
        per_sample, _ = self.per_sample(np.asarray(y_true), y_pred)
        return self.reduce(per_sample)

    def per_sample(self, y_true, y_pred, logits=None):
        """(per-sample losses (B,), gradient of each with respect to ``y_pred`` or, when given or
        ``from_logits``, the logits). ``logits`` are the pre-softmax values of a softmax output."""
        if logits is not None:
            return self._from_logits(y_true, logits)
        if self.from_logits:
            return self._from_logits(y_true, y_pred)
        return self._from_probs(y_true, y_pred)

    def reduce(self, per_sample):
        """``sum_over_batch_size``: ``Σℓ / B`` (float32); ``sum``: ``Σℓ``; ``none``: the values."""
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

    def _from_logits(self, y_true, logits):
        return backend.ops.categorical_crossentropy_from_logits(logits, np.asarray(y_true, logits.dtype))

    def _from_probs(self, y_true, probs):
        return backend.ops.categorical_crossentropy_from_probs(probs, np.asarray(y_true, probs.dtype))


_LOSSES = {
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
}


def get(identifier):
    """A loss object from a name (``"sparse_categorical_crossentropy"``, …) or a :class:`Loss`."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str) and identifier in _LOSSES:
        return _LOSSES[identifier]()
    raise ValueError(f"loss: expected one of {sorted(_LOSSES)} or a scratch.losses.Loss, received {identifier!r}")
