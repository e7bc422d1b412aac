"""Callbacks: objects whose hooks ``fit`` calls around epochs and batches, as ``keras.callbacks``.

One class a file, named as in ``keras/src/callbacks/``:

- ``callback.py``: ``Callback``, the base class (override the hooks you need);
- ``history.py``: ``History``, always first in ``fit``'s list; ``fit`` returns it;
- ``progbar_logger.py``: ``ProgbarLogger``, the progress bar, last in the list;
- ``monitor_callback.py``: "is this epoch better?", shared by the two below;
- ``early_stopping.py``: ``EarlyStopping``; ``model_checkpoint.py``: ``ModelCheckpoint``;
- ``terminate_on_nan.py``: ``TerminateOnNaN``, opt-in: stops at the first NaN/inf batch loss;
- ``callback_list.py``: ``CallbackList``, which calls one hook on all of them.
"""
from scratch.callbacks.callback import Callback
from scratch.callbacks.callback_list import CallbackList
from scratch.callbacks.early_stopping import EarlyStopping
from scratch.callbacks.history import History
from scratch.callbacks.model_checkpoint import ModelCheckpoint
from scratch.callbacks.progbar_logger import ProgbarLogger
from scratch.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "EarlyStopping", "History", "ModelCheckpoint", "ProgbarLogger",
           "TerminateOnNaN"]
