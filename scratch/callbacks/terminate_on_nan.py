"""``TerminateOnNaN``: stop ``fit`` at the first batch whose logged loss is NaN or inf, as Keras's
``keras.callbacks.TerminateOnNaN`` (``keras/src/callbacks/terminate_on_nan.py``).

Opt-in, as in Keras: without it a model whose loss went to NaN (inputs ×1e30, a learning rate of
1e10) trains on. With it, after the first such batch it prints Keras's line
``Batch {batch}: Invalid loss, terminating training`` and sets ``model.stop_training``: ``fit``
ends that epoch (its logs, validation and ``on_epoch_end`` still run) and then stops, calling
``on_train_end`` as usual. With ``raise_error=True`` it raises Keras's ``RuntimeError`` instead,
so no other callback's ``on_train_end`` runs.

Example::

    >>> import scratch
    >>> stop = scratch.callbacks.TerminateOnNaN()
    >>> model.fit(x, y, callbacks=[stop])          # doctest: +SKIP
    Batch 1: Invalid loss, terminating training
"""
import numpy as np

from scratch.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stop training when a batch's ``logs["loss"]`` is NaN or inf (``raise_error``: raise instead)."""

    def __init__(self, raise_error=False):
        super().__init__()
        if not isinstance(raise_error, (bool, np.bool_)):
            raise TypeError(f"raise_error: expected True or False, received {raise_error!r}")
        self.raise_error = bool(raise_error)

    def on_train_batch_end(self, batch, logs=None):
        """Keras's base ``Callback`` routes this hook to ``on_batch_end``; so does this class."""
        self.on_batch_end(batch, logs)

    def on_batch_end(self, batch, logs=None):
        """Check the loss logged after batch ``batch`` (0-based, within the epoch)."""
        loss = (logs or {}).get("loss")
        if loss is None or np.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                               "Terminating training immediately.")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
