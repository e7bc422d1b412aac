"""``ProgbarLogger``: the callback ``fit``, ``evaluate`` and ``predict`` add last when
``verbose`` is on; it draws Keras's progress bar (``keras/src/callbacks/progbar_logger.py``)."""
from scratch.callbacks.callback import Callback
from scratch.progbar import Progbar, epoch_header


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
        header = epoch_header(epoch, self.epochs)
        if self.verbose and header:
            print(header, flush=True)

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
