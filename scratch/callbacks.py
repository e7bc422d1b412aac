"""Callbacks: hooks ``fit`` calls around epochs and batches, with Keras's names and order.

``History`` is always first and the progress bar (``ProgbarLogger``) last, as in Keras.
``EarlyStopping`` and ``ModelCheckpoint`` live in their own modules and are re-exported here.
"""
from scratch.progbar import Progbar


class Callback:
    """Base class: override the hooks you need. ``self.model`` is the model being trained and
    ``self.params`` is ``{"verbose", "epochs", "steps"}``."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass
    def on_predict_end(self, logs=None): pass


class CallbackList:
    """Calls one hook on every callback, in order."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call_all(*args, **kwargs):
            for callback in self.callbacks:
                getattr(callback, hook)(*args, **kwargs)
        return call_all


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


class ProgbarLogger(Callback):
    """Prints Keras's progress bar: ``Epoch e/E`` (when more than one epoch), then a bar per epoch
    (``verbose=1``) or one line per epoch (``verbose=2``)."""

    def __init__(self):
        super().__init__()
        self.progbar = None
        self.in_fit = False

    def set_params(self, params):
        super().set_params(params)
        self.verbose = 1 if params["verbose"] == "auto" else params["verbose"]
        self.epochs = params.get("epochs", 1)
        self.target = params["steps"]

    def _new_bar(self):
        self.progbar = Progbar(target=self.target, verbose=self.verbose, stateless_metrics=set(), unit_name="step")

    def _update(self, batch, logs):
        if self.progbar is None:
            self._new_bar()
        if self.verbose == 1:
            self.progbar.update(batch + 1, list((logs or {}).items()), finalize=False)

    def _finalize(self, logs):
        if self.progbar is None:
            self._new_bar()
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)
        self.progbar = None

    def on_train_begin(self, logs=None):
        self.in_fit = True

    def on_epoch_begin(self, epoch, logs=None):
        self._new_bar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self.in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self.in_fit:
            self._finalize(logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_predict_end(self, logs=None):
        self._finalize(None)


from scratch.early_stopping import EarlyStopping  # noqa: E402  (they subclass Callback above)
from scratch.model_checkpoint import ModelCheckpoint  # noqa: E402
