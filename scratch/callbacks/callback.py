"""``Callback``: the base class of every callback — hooks ``fit``, ``evaluate`` and ``predict``
call around epochs and batches, with the names of ``keras/src/callbacks/callback.py``."""


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


