"""``History``: the callback ``fit`` always adds first; it records every epoch's logs and is
what ``fit`` returns (``keras/src/callbacks/history.py``)."""
from scratch.callbacks.callback import Callback


class History(Callback):
    """Records the epoch logs: ``history.history`` is a dict of lists (keys sorted, train then
    ``val_``), ``history.epoch`` the 0-based epoch indices, ``history.params`` the fit parameters.

    Example::

        >>> history = model.fit(x, y, epochs=2, verbose=0)   # doctest: +SKIP
        >>> sorted(history.history)                          # doctest: +SKIP
        ['accuracy', 'loss']
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self
