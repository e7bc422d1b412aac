"""``ModelCheckpoint``: save the model or its weights during ``fit``, every epoch, every N batches, or only
when a logged quantity improves, as Keras 3's ``keras.callbacks.ModelCheckpoint``
(``keras/src/callbacks/model_checkpoint.py``).

* ``filepath`` may hold placeholders filled with ``filepath.format(epoch=epoch + 1, **logs)``
  (and ``batch=batch + 1`` with an integer ``save_freq``): ``"ckpt/{epoch:02d}-{val_loss:.2f}.weights.h5"``.
* ``save_best_only=True`` saves only when ``monitor`` improves (the test of
  :mod:`scratch.monitor_callback` with ``min_delta=0``); ``best`` starts at
  ``initial_value_threshold`` (``None``: the first epoch always saves) and, as in Keras, is *not*
  reset between ``fit`` calls. A missing ``monitor`` key warns and saves anyway.
* ``save_freq="epoch"`` or an integer N: save after every N training batches.

* ``save_weights_only=True``: a path ending in ``.weights.h5`` (the file Keras's
  ``load_weights`` reads). ``save_weights_only=False`` (the default): the whole model —
  architecture, weights, compile state, optimizer variables — to a ``.keras`` zip or a legacy
  ``.h5`` file that ``keras.models.load_model`` opens (:mod:`scratch.saving`); a ``.weights.h5``
  name is refused there (Keras would write a legacy whole-model file under a weights name).

Deliberate departures from Keras:

* Atomic files: each checkpoint is written to a temporary name in the same folder and then
  renamed over the old one (``Sequential.save_weights``/``save`` → ``scratch.atomic``), so a crash
  mid-write leaves the previous good checkpoint in place, never a half-written file; a disk
  that fills up mid-save is an ``OSError`` (errno ENOSPC) naming the path (:mod:`scratch.atomic`).
* Checked at ``fit`` start (``on_train_begin``), before any training step: the folder is
  created if missing (Keras creates it at the first save) and must be writable, a
  placeholder-free ``filepath`` must not be an existing folder, and the file system must have
  room for one checkpoint (the weights' bytes plus HDF5's overhead); otherwise an ``OSError``
  naming ``filepath`` (errno ENOSPC for the room, with the bytes missing). Keras only fails at
  the first save, after a whole epoch of training.
* ``save_freq`` must be ``"epoch"`` or a positive integer (Keras takes 0 or negatives and then
  saves after every batch); and ``save_best_only`` works with an integer ``save_freq`` (Keras
  3.15.1 raises ``TypeError: 'NoneType' object is not callable`` there, because it decides the
  direction only at the first epoch end).

Example::

    >>> import scratch
    >>> checkpoint = scratch.callbacks.ModelCheckpoint(
    ...     "ckpt/best.weights.h5", save_weights_only=True, save_best_only=True)
    >>> history = model.fit(x, y, validation_split=0.2, epochs=5, callbacks=[checkpoint])  # doctest: +SKIP
"""
import errno
import numbers
import os
import tempfile
import warnings

import numpy as np

from scratch import weights_io
from scratch.atomic import check_path
from scratch.callbacks.monitor_callback import MonitorCallback

WEIGHTS_SUFFIX = ".weights.h5"
MODEL_SUFFIXES = (".keras", ".h5")
# a whole-model file beyond its weights: the config JSON and the zip/HDF5 entries (a safe bound)
MODEL_FILE_OVERHEAD = 65536


class ModelCheckpoint(MonitorCallback):
    """Save the model (or its weights) to ``filepath`` during training (see the module docstring)."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode, initial_best=initial_value_threshold)
        self.filepath = check_path(filepath, "filepath")  # Keras: AttributeError on None
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0

        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, numbers.Integral)
                                     or save_freq < 1):
            raise ValueError(f"save_freq: expected 'epoch' or a positive integer (a number of batches), "
                             f"received {save_freq!r}")
        if not save_weights_only:
            if self.filepath.endswith(WEIGHTS_SUFFIX) or not self.filepath.endswith(MODEL_SUFFIXES):
                raise ValueError(
                    "filepath: with save_weights_only=False the whole model is saved, so the filepath must "
                    "end in '.keras' (Keras model format) or the legacy '.h5'; for weights only pass "
                    f"save_weights_only=True and a filepath ending in '{WEIGHTS_SUFFIX}'. "
                    f"Received: filepath={self.filepath}")
        elif not self.filepath.endswith(WEIGHTS_SUFFIX):
            raise ValueError(
                f"filepath: when using save_weights_only=True in ModelCheckpoint, the filepath must "
                f"end in '{WEIGHTS_SUFFIX}' (Keras weights format). Received: filepath={self.filepath}")

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._check_writable()

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self.resolve_direction()  # as Keras: even without save_best_only, an unknown monitor fails here
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    # ------------------------------------------------------------------ decisions
    def _should_save_on_batch(self, batch):
        """Count batches across epochs (``batch`` restarts at 0 each epoch); True every ``save_freq``."""
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch, logs, filepath):
        logs = logs or {}
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=4)
            return True
        if np.ndim(current) > 0:
            warnings.warn(f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                          "Falling back to `save_best_only=False`.", stacklevel=4)
            return True
        self.resolve_direction()
        best_text = "None" if self.best is None else f"{self.best:.5f}"
        if self.is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_text} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_text}")
        return False

    # ------------------------------------------------------------------ files
    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        folder = os.path.dirname(filepath)
        if folder and not os.path.exists(folder):
            os.makedirs(folder)  # a placeholder in the folder name gives a new folder per save
        if os.path.isdir(filepath):
            raise IsADirectoryError("Please specify a non-directory filepath for ModelCheckpoint. "
                                    f"Filepath used is an existing directory: {filepath}")
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)  # atomic: scratch.weights_io
        else:
            self.model.save(filepath, overwrite=True)  # atomic: built in memory, scratch.atomic
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs):
        logs = logs or {}
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as error:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {error}") from error

    def _check_writable(self):
        """Fail before training, naming ``filepath``, when no checkpoint could be written."""
        folder = _fixed_folder(self.filepath)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as error:
            raise OSError(f"filepath: cannot create the checkpoint folder {folder!r} for "
                          f"filepath={self.filepath!r}: {error}") from error
        try:
            handle, probe = tempfile.mkstemp(prefix=".tmp-write-check-", dir=folder)
            os.close(handle)
            os.remove(probe)
        except OSError as error:
            raise OSError(f"filepath: the checkpoint folder {folder!r} is not writable, so "
                          f"filepath={self.filepath!r} cannot be saved: {error}") from error
        if "{" not in self.filepath and os.path.isdir(self.filepath):
            raise IsADirectoryError("filepath: please specify a non-directory filepath for "
                                    f"ModelCheckpoint. Filepath used is an existing directory: {self.filepath}")
        self._check_free_space(folder)

    def _check_free_space(self, folder):
        """Fail before training when the first checkpoint cannot fit: the empty probe file above
        needs no space. Needed: :func:`scratch.weights_io.estimated_file_size` (the arrays plus a
        safe bound on HDF5's overhead), rounded up to whole blocks; the old file counts for
        nothing, as the new one is written beside it before the rename."""
        if not hasattr(os, "statvfs") or self.model is None:
            return
        try:
            info = os.statvfs(folder)
        except OSError:
            return  # no figure to check against; the save itself reports a full disk
        block = info.f_frsize or info.f_bsize or 1
        needed = -(-self._estimated_file_size() // block) * block
        # root may also use the blocks a file system reserves for it
        free_blocks = info.f_bfree if hasattr(os, "geteuid") and os.geteuid() == 0 else info.f_bavail
        free = free_blocks * block
        if free < needed:
            error = OSError(f"filepath: the checkpoint folder {folder!r} has {free} bytes free, but a "
                            f"checkpoint of this model needs about {needed} bytes ({needed - free} bytes "
                            f"missing), so filepath={self.filepath!r} cannot be saved")
            error.errno = errno.ENOSPC
            raise error


    def _estimated_file_size(self):
        """The weights file's bound; a whole model adds its optimizer's arrays (counted as many
        as the optimizer will hold: Keras's slots per variable) and a bound on the config."""
        size = weights_io.estimated_file_size(self.model)
        if self.save_weights_only:
            return size
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            slots = len(optimizer.active_slot_names())
            size += slots * sum(int(np.prod(v.shape)) * 4 + weights_io.ARRAY_OVERHEAD
                                for v in self.model.trainable_variables)
        return size + MODEL_FILE_OVERHEAD


def _fixed_folder(filepath):
    """The part of ``filepath``'s folder before any ``{placeholder}`` (``"."`` when empty)."""
    parts = []
    for part in os.path.dirname(filepath).split(os.sep):
        if "{" in part:
            break
        parts.append(part)
    folder = os.sep.join(parts)
    if not folder and os.path.isabs(filepath):
        folder = os.sep
    return folder or "."
