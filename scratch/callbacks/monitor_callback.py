"""``MonitorCallback``: the "is this epoch better?" logic that ``EarlyStopping`` and
``ModelCheckpoint`` share, as Keras's ``MonitorCallback`` (``keras/src/callbacks/monitor_callback.py``).

* ``mode="min"`` / ``"max"``: smaller / larger is better.
* ``mode="auto"``: ``loss`` and ``val_loss`` go down; any other name is looked up (without its
  ``val_`` prefix) among the model's compiled metrics, and the metric decides (accuracy goes up).
  A name that is neither → ``ValueError`` asking for ``mode``. As in Keras, the direction is
  decided at the first ``on_epoch_end``, not at construction or at ``on_train_begin``.
* An unknown ``mode`` string warns and falls back to ``"auto"``.
* Improvement: min: ``current + |min_delta| < best``; max: ``current − |min_delta| > best``;
  nothing to compare with (``best is None``) always counts as an improvement. The shift is done
  in Python and the comparison in float32 for Python numbers (NumPy values keep their dtype),
  exactly as Keras's ``keras.ops.less``/``greater`` do: with ``min_delta=0.1``, 0.57 is *not* an
  improvement on 0.67 (``0.57 + 0.1 < 0.67`` holds in float64, not in float32).

Example::

    >>> import scratch
    >>> callback = scratch.callbacks.EarlyStopping(monitor="val_loss", min_delta=0.1)
    >>> callback.set_model(scratch.Sequential())
    >>> callback.resolve_direction()
    >>> callback.is_improvement(0.85, 1.0), callback.is_improvement(0.95, 1.0)
    (True, False)
"""
import warnings

import numpy as np

from scratch.callbacks.callback import Callback

MODES = ("auto", "min", "max")


def metric_direction(metric):
    """``"up"``, ``"down"`` or ``None`` for a compiled metric object: its ``direction``, as Keras
    reads the metric's ``_direction`` (the accuracy classes and ``"accuracy"`` go up; a bare
    function such as ``scratch.metrics.categorical_accuracy`` has none, as in Keras)."""
    return getattr(metric, "direction", None)


class MonitorCallback(Callback):
    """Base class for callbacks that watch one logged quantity (``monitor``) for improvements.

    ``best`` starts at ``initial_best`` (``None``: the first value always improves; Keras calls
    this argument ``baseline``, which ``EarlyStopping`` uses for another thing, a value to beat).
    Subclasses call :meth:`resolve_direction` once the model is set, then :meth:`is_improvement`.
    """

    def __init__(self, monitor="val_loss", mode="auto", initial_best=None, min_delta=0):
        super().__init__()
        if mode not in MODES:
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                          stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = initial_best
        self.min_delta = abs(min_delta)
        self.direction = None  # "min" or "max" once resolved

    def resolve_direction(self):
        """Decide ``min`` or ``max`` (once); ``ValueError`` when ``mode="auto"`` cannot tell."""
        if self.direction is not None:
            return
        if self.mode != "auto":
            self.direction = self.mode
            return
        name = self.monitor.removeprefix("val_")
        direction = "min" if name == "loss" else None
        for metric in getattr(self.model, "compiled_metrics", None) or []:
            if metric.name == name and metric_direction(metric) is not None:
                direction = "max" if metric_direction(metric) == "up" else "min"
        if direction is None:
            raise ValueError(
                f"{type(self).__name__} callback received monitor={self.monitor}, but it is not "
                "possible to tell automatically whether that quantity should be maximized or "
                "minimized (it is neither 'loss' nor a compiled metric with a known direction). "
                "Pass `mode='max'` in order to monitor based on the highest value, or pass "
                "`mode='min'` in order to use the lowest value.")
        self.direction = direction

    def is_improvement(self, current, reference):
        """True when ``current`` beats ``reference`` by more than ``min_delta`` (or there is no reference)."""
        if reference is None:
            return True
        if self.direction == "min":
            shifted, reference = _as_compared(current + self.min_delta, reference)
            return bool(shifted < reference)
        shifted, reference = _as_compared(current - self.min_delta, reference)
        return bool(shifted > reference)


def _as_compared(a, b):
    """Both values in the dtype ``keras.ops`` compares them in: float32 for Python numbers."""
    numpy_dtypes = [np.asarray(v).dtype for v in (a, b) if isinstance(v, (np.ndarray, np.generic))]
    dtype = np.result_type(*numpy_dtypes) if numpy_dtypes else np.float32
    return np.asarray(a, dtype), np.asarray(b, dtype)
