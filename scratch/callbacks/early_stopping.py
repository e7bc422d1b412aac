"""``EarlyStopping``: stop ``fit`` when a logged quantity stops improving, as Keras 3's
``keras.callbacks.EarlyStopping`` (``keras/src/callbacks/early_stopping.py``, ``on_epoch_end``).

At the end of each epoch (0-based ``epoch``), when ``monitor`` is in the logs and
``epoch >= start_from_epoch``:

1. with ``restore_best_weights`` and no snapshot yet: snapshot the weights, ``best_epoch = epoch``;
2. ``wait += 1``;
3. improved (see :mod:`scratch.monitor_callback`)? → ``best``, ``best_epoch`` and the snapshot
   follow this epoch; ``wait`` goes back to 0 only if there is no ``baseline`` or the value also
   beats it; and that is all for this epoch — an improving epoch never stops training;
4. otherwise, when ``wait >= patience`` and ``epoch > 0``: ``stopped_epoch = epoch`` and
   ``model.stop_training = True``.

As in Keras 3, ``best`` starts at ``None`` even with a ``baseline``: a metric that improves
every epoch but never beats the baseline never stops training. With ``restore_best_weights`` the
best snapshot is put back at the end of training whether or not training stopped early.

Departure from Keras: a negative ``patience`` or ``start_from_epoch`` is a ``ValueError`` here
(Keras accepts ``patience=-1`` and treats it like 0).

Example::

    >>> import scratch
    >>> stop = scratch.callbacks.EarlyStopping(monitor="val_loss", patience=2,
    ...                                        restore_best_weights=True)
    >>> history = model.fit(x, y, validation_split=0.2, epochs=50, callbacks=[stop])  # doctest: +SKIP
"""
import numbers
import warnings

from scratch.callbacks.monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Attributes after ``fit``: ``stopped_epoch`` (0-based epoch that stopped training, 0 if none),
    ``best`` (best monitored value), ``best_epoch`` (its 0-based epoch), ``wait`` (epochs since
    the last improvement), ``best_weights`` (the snapshot, with ``restore_best_weights``).
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = _non_negative_int(patience, "patience")
        self.start_from_epoch = _non_negative_int(start_from_epoch, "start_from_epoch")
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        # The same callback object can be given to several fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        self.resolve_direction()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch

        self.wait += 1
        if self.is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self.is_improvement(current, self.baseline):
                self.wait = 0
            return

        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """``logs[monitor]``, or ``None`` with a warning (Keras's text) when it is missing."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}", stacklevel=3)
        return value


def _non_negative_int(value, argument):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{argument}: expected an integer >= 0, received {value!r}")
    return int(value)
