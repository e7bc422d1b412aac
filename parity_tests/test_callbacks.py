"""EarlyStopping and ModelCheckpoint against Keras (keras/src/callbacks/early_stopping.py,
model_checkpoint.py and monitor_callback.py).

1. Streams: the same injected ``val_loss``/``val_accuracy`` values drive the scratch and the Keras
   callback through fit's calls (``on_train_begin``, ``on_epoch_begin``/``on_epoch_end``…,
   ``on_train_end``); each epoch the driver gives the model distinguishable weights (every value
   = epoch + 1), so the weights restored or saved tell which epoch they came from. Stop epoch,
   ``stopped_epoch``, ``best_epoch``, ``best``, ``wait``, final weights, files saved per epoch,
   printed messages and warnings must all be equal.
2. Real ``fit`` on both stacks from shared initial weights.
3. The kit's departures: atomic checkpoint files, unwritable paths caught at fit start.
"""
import os
import warnings

import h5py
import numpy as np
import pytest

from parity_tests.keras_available import keras
from parity_tests.compare import assert_close
from parity_tests.tolerances import HISTORY_ATOL, TRAINING_ATOL
import keras_ref
import scratch
from scratch import layers

# ---------------------------------------------------------------------------- twins and driver


def tiny_scratch_model():
    model = scratch.Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def tiny_keras_model():
    model = keras_ref.to_keras(tiny_scratch_model())
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # Keras knows its compiled metrics (so "accuracy" → max in auto mode) only once they are built.
    model.evaluate(np.zeros((2, 3), np.float32), np.zeros(2), verbose=0)
    return model


@pytest.fixture(scope="module")
def twins():
    return {"scratch": (tiny_scratch_model(), scratch.callbacks),
            "keras": (tiny_keras_model(), keras.callbacks)}


def mark_weights(model, epoch):
    """Every weight value = epoch + 1, so a restored or saved weight names its epoch."""
    model.set_weights([np.full(w.shape, epoch + 1, np.float32) for w in model.get_weights()])


def weights_epoch(weights):
    """The 0-based epoch whose marked weights these are."""
    return int(round(float(np.asarray(weights[0]).flat[0]))) - 1


def file_epoch(path):
    with h5py.File(path, "r") as f:
        return int(round(float(f["layers/dense/vars/0"][0, 0]))) - 1


def drive(callback, model, stream, folder=None):
    """Play ``fit``'s callback calls with injected logs; return what happened, stack-independent."""
    callback.set_model(model)
    model.stop_training = False
    saved = []
    callback.on_train_begin()
    epochs_run = 0
    for epoch, logs in enumerate(stream):
        mark_weights(model, epoch)
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, dict(logs))
        epochs_run = epoch + 1
        if folder is not None:
            saved.append(sorted(str(path.relative_to(folder)) for path in folder.rglob("*.weights.h5")
                                if file_epoch(path) == epoch))
        if model.stop_training:
            break
    callback.on_train_end()
    return {"epochs_run": epochs_run, "stop_training": model.stop_training, "saved": saved,
            "final_weights_epoch": weights_epoch(model.get_weights())}


def run_both(twins, name, kwargs, stream, capsys, tmp_path, monkeypatch, filepath=None):
    """The same callback, stream and (relative) checkpoint path on both stacks → two outcomes."""
    outcomes = {}
    for stack, (model, module) in twins.items():
        folder = tmp_path / stack
        folder.mkdir()
        monkeypatch.chdir(folder)  # relative paths: the printed messages are then identical
        args = (filepath,) if filepath else ()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            callback = getattr(module, name)(*args, **kwargs)
            outcome = drive(callback, model, stream, folder if filepath else None)
        outcome["warnings"] = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        outcome["printed"] = capsys.readouterr().out
        for attribute in ("stopped_epoch", "best_epoch", "best", "wait"):
            if hasattr(callback, attribute):
                outcome[attribute] = getattr(callback, attribute)
        outcomes[stack] = outcome
    return outcomes["scratch"], outcomes["keras"]


def val_loss(*values):
    return [{"loss": 1.0, "val_loss": v} for v in values]


def val_accuracy(*values):
    return [{"loss": 1.0, "val_accuracy": v, "val_loss": 1.0} for v in values]


DIP = val_loss(1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99)        # best at epoch 1, then worse
STEADY = val_loss(1.0, 0.99, 0.98, 0.97, 0.96, 0.95, 0.94)    # improves by 0.01 every epoch
BEST_MID = val_loss(1.0, 0.8, 0.7, 0.75, 0.72)                # best at epoch 2, no early stop
EDGE = val_loss(0.67, 0.57, 0.4)        # min_delta 0.1: 0.57 + 0.1 < 0.67 in float64, not in float32
ACCURACY = val_accuracy(0.5, 0.6, 0.58, 0.59, 0.61, 0.57, 0.56)
NO_VAL = [{"loss": 1.0 - 0.1 * e} for e in range(4)]          # monitor "val_loss" missing

# ---------------------------------------------------------------------------- 1. streams

EARLY_STOPPING_CASES = [
    ("patience_0", {}, DIP),                      # stops at the first non-improving epoch
    ("patience_2", {"patience": 2}, DIP),
    ("patience_0_rising", {}, val_loss(1.0, 1.1, 1.2)),  # never stops at epoch 0
    ("min_delta", {"min_delta": 0.05}, STEADY),   # steps of 0.01 are no improvement
    ("negative_min_delta", {"min_delta": -0.05}, STEADY),  # |min_delta|
    ("min_delta_float32_edge", {"min_delta": 0.1}, EDGE),
    ("float32_tie", {}, val_loss(0.5, 0.5 - 1e-9, 0.4)),  # equal in float32: no improvement
    ("mode_max", {"monitor": "val_accuracy", "mode": "max", "patience": 1}, ACCURACY),
    ("mode_auto_accuracy", {"monitor": "val_accuracy", "patience": 1}, ACCURACY),
    ("mode_min_on_accuracy", {"monitor": "val_accuracy", "mode": "min"}, ACCURACY),
    ("mode_auto_loss", {"monitor": "loss", "patience": 1}, [{"loss": v} for v in (3, 2, 2.5, 2.6)]),
    ("unknown_mode_warns", {"mode": "smallest"}, DIP),
    ("baseline_never_beaten", {"baseline": 0.5, "patience": 2}, STEADY),  # Keras 3: never stops
    ("baseline_then_worse", {"baseline": 0.5, "patience": 2}, DIP),
    ("baseline_beaten", {"baseline": 0.975, "patience": 1}, STEADY[:4] + val_loss(0.99, 0.99)),
    ("start_from_epoch", {"start_from_epoch": 2}, val_loss(1.0, 1.1, 1.2, 1.1, 1.3)),
    ("restore_best_stopped", {"patience": 2, "restore_best_weights": True, "verbose": 1}, DIP),
    ("restore_best_not_stopped", {"patience": 5, "restore_best_weights": True, "verbose": 1}, BEST_MID),
    ("restore_best_start_from", {"start_from_epoch": 3, "patience": 1, "restore_best_weights": True},
     BEST_MID),
    ("verbose_stop", {"patience": 1, "verbose": 1}, DIP),
    ("missing_monitor_warns", {"patience": 0}, NO_VAL),
]


@pytest.mark.parametrize("kwargs,stream", [c[1:] for c in EARLY_STOPPING_CASES],
                         ids=[c[0] for c in EARLY_STOPPING_CASES])
def test_early_stopping_matches_keras_on_injected_streams(twins, kwargs, stream, capsys, tmp_path, monkeypatch):
    ours, theirs = run_both(twins, "EarlyStopping", kwargs, stream, capsys, tmp_path, monkeypatch)
    assert ours == theirs


def test_early_stopping_cases_reach_the_documented_outcomes(twins, capsys, tmp_path, monkeypatch):
    """A few EarlyStopping effects spelled out (patience, min_delta, baseline), so the table above
    cannot pass by both sides doing nothing."""
    def outcome(case, kwargs, stream):
        (tmp_path / case).mkdir()
        return run_both(twins, "EarlyStopping", kwargs, stream, capsys, tmp_path / case, monkeypatch)[0]

    assert outcome("a", {"patience": 2}, DIP)["stopped_epoch"] == 3          # 4 epochs run
    assert outcome("b", {"min_delta": 0.05}, STEADY)["epochs_run"] == 2      # stops after epoch 1
    assert outcome("c", {"baseline": 0.5, "patience": 2}, STEADY)["stop_training"] is False
    assert outcome("d", {"min_delta": 0.1}, EDGE)["stopped_epoch"] == 1
    restored = outcome("e", {"patience": 5, "restore_best_weights": True, "verbose": 1}, BEST_MID)
    assert restored["final_weights_epoch"] == 2 and restored["stop_training"] is False
    assert restored["printed"] == "Restoring model weights from the end of the best epoch: 3.\n"


CHECKPOINT_CASES = [
    ("every_epoch", "ck.weights.h5", {}, DIP[:4]),
    ("best_only", "ck.weights.h5", {"save_best_only": True}, DIP[:4] + val_loss(0.5)),
    ("best_only_formatted", "{epoch:02d}-{val_loss:.2f}.weights.h5", {"save_best_only": True}, BEST_MID),
    ("best_only_auto_accuracy", "acc{epoch}.weights.h5", {"save_best_only": True, "monitor": "val_accuracy"},
     ACCURACY),
    ("best_only_mode_max", "ck.weights.h5", {"save_best_only": True, "monitor": "val_accuracy", "mode": "max"},
     ACCURACY),
    ("initial_value_threshold", "ck{epoch}.weights.h5",
     {"save_best_only": True, "initial_value_threshold": 0.93},
     DIP[:3] + val_loss(0.91, 0.89)),
    ("missing_monitor_saves", "ck{epoch}.weights.h5", {"save_best_only": True}, NO_VAL),
    ("verbose_best_only", "ck.weights.h5", {"save_best_only": True, "verbose": 1}, DIP[:3]),
    ("verbose_every_epoch", "sub/ck{epoch}.weights.h5", {"verbose": 1}, DIP[:2]),
]


@pytest.mark.parametrize("filepath,kwargs,stream", [c[1:] for c in CHECKPOINT_CASES],
                         ids=[c[0] for c in CHECKPOINT_CASES])
def test_model_checkpoint_matches_keras_on_injected_streams(twins, filepath, kwargs, stream, capsys, tmp_path,
                                                            monkeypatch):
    kwargs = {"save_weights_only": True, **kwargs}
    ours, theirs = run_both(twins, "ModelCheckpoint", kwargs, stream, capsys, tmp_path, monkeypatch,
                            filepath=filepath.replace("/", os.sep))  # "sub/": a missing folder
    assert ours == theirs
    assert any(ours["saved"]), "the case saved nothing"
    leftovers = [name for name in os.listdir(tmp_path / "scratch") if name.startswith(".tmp")]
    assert not leftovers


def test_formatted_checkpoint_names_match_keras_example(twins, capsys, tmp_path, monkeypatch):
    ours, _ = run_both(twins, "ModelCheckpoint", {"save_weights_only": True},
                       val_loss(1.0, 0.9), capsys, tmp_path, monkeypatch,
                       filepath="ep{epoch:02d}-{val_loss:.2f}.weights.h5")
    assert ours["saved"] == [["ep01-1.00.weights.h5"], ["ep02-0.90.weights.h5"]]


def test_unknown_monitor_in_auto_mode_fails_at_the_first_epoch_end_like_keras(twins):
    for _, (model, module) in twins.items():
        stop = module.EarlyStopping(monitor="val_mae")
        stop.set_model(model)
        stop.on_train_begin()  # not here: Keras decides the direction at the first epoch end
        with pytest.raises(ValueError, match="mode='max'"):
            stop.on_epoch_end(0, {"val_mae": 0.3})


# ---------------------------------------------------------------------------- 2. real fit


def overfitting_data():
    """Noisy training labels, clean validation labels: val_loss falls to a minimum at epoch 7
    (0.8154, then 0.8175), then rises — a margin far above float32 noise."""
    rng = np.random.default_rng(1)
    teacher = rng.standard_normal((6, 3))
    x = rng.standard_normal((48, 6)).astype(np.float32)
    y = np.argmax(x @ teacher, axis=1)
    flip = rng.random(48) < 0.3
    y[flip] = rng.integers(0, 3, flip.sum())
    x_val = rng.standard_normal((24, 6)).astype(np.float32)
    return x, y, (x_val, np.argmax(x_val @ teacher, axis=1))


def test_fit_with_early_stopping_and_checkpoints_matches_keras(tmp_path):
    x, y, validation = overfitting_data()
    scratch.set_random_seed(1)
    ours = scratch.Sequential([layers.Dense(32, activation="relu", input_shape=(6,)),
                               layers.Dense(3, activation="softmax")])
    theirs = keras_ref.to_keras(ours)
    runs = {}
    for stack, model, module in (("scratch", ours, scratch), ("keras", theirs, keras)):
        folder = tmp_path / stack
        model.compile(module.optimizers.SGD(0.3), "sparse_categorical_crossentropy", metrics=["accuracy"])
        callbacks = [
            module.callbacks.EarlyStopping(patience=2, restore_best_weights=True),
            module.callbacks.ModelCheckpoint(str(folder / "best" / "{epoch:02d}.weights.h5"),
                                             save_weights_only=True, save_best_only=True),
            module.callbacks.ModelCheckpoint(str(folder / "batches" / "e{epoch}-b{batch}.weights.h5"),
                                             save_weights_only=True, save_freq=2),
        ]
        history = model.fit(x, y, batch_size=16, epochs=15, shuffle=False, verbose=0,
                            validation_data=validation, callbacks=callbacks)
        runs[stack] = (history, callbacks[0], folder)

    our_history, our_stop, our_folder = runs["scratch"]
    their_history, their_stop, their_folder = runs["keras"]
    assert_close(our_history.history["val_loss"], their_history.history["val_loss"], atol=HISTORY_ATOL,
                 what="val_loss")
    assert our_history.epoch == their_history.epoch == list(range(10))  # stopped early
    assert (our_stop.stopped_epoch, our_stop.best_epoch) == (9, 7)
    assert (their_stop.stopped_epoch, their_stop.best_epoch) == (9, 7)
    for sub in ("best", "batches"):
        assert sorted(os.listdir(our_folder / sub)) == sorted(os.listdir(their_folder / sub)), sub
    assert sorted(os.listdir(our_folder / "best")) == [f"{e:02d}.weights.h5" for e in range(1, 9)]

    # Restored weights = the best epoch's checkpoint, and that scratch file loads into Keras.
    best_file = str(our_folder / "best" / "08.weights.h5")
    from_file = scratch.Sequential([layers.Dense(32, activation="relu", input_shape=(6,)),
                                    layers.Dense(3, activation="softmax")])
    from_file.load_weights(best_file)
    for a, b in zip(from_file.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(a, b)
    keras_twin = keras_ref.to_keras(from_file)
    keras_twin.load_weights(best_file)
    for i, (a, b) in enumerate(zip(keras_twin.get_weights(), theirs.get_weights())):
        assert_close(a, b, atol=TRAINING_ATOL, what=f"weight {i} restored from scratch checkpoint vs Keras")


# ---------------------------------------------------------------------------- 3. departures, bad input


def fit_tiny(model, callbacks, epochs=2):
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    return model.fit(x, np.arange(8) % 2, batch_size=4, epochs=epochs, shuffle=False, verbose=0,
                     validation_data=(x, np.arange(8) % 2), callbacks=callbacks)


def test_a_crash_mid_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    """Second save dies inside h5py after writing part of the file: the first file survives intact."""
    model = tiny_scratch_model()
    path = tmp_path / "ck.weights.h5"
    real_file = h5py.File
    writes = []

    def flaky_file(name, mode="r", *args, **kwargs):
        handle = real_file(name, mode, *args, **kwargs)
        if mode == "w":
            writes.append(name)
            if len(writes) == 2:
                handle.create_dataset("partial", data=np.zeros(3))
                handle.close()
                raise OSError("simulated crash mid-write")
        return handle

    first_epoch_weights = []

    class Record(scratch.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            first_epoch_weights.append(self.model.get_weights())

    monkeypatch.setattr(h5py, "File", flaky_file)
    checkpoint = scratch.callbacks.ModelCheckpoint(str(path), save_weights_only=True)
    with pytest.raises(OSError, match="simulated crash"):
        fit_tiny(model, [Record(), checkpoint], epochs=3)
    monkeypatch.undo()

    assert len(writes) == 2 and os.path.dirname(writes[1]) == str(tmp_path)  # the temp file was the victim
    assert os.listdir(tmp_path) == ["ck.weights.h5"]                       # no temporary file left
    fresh = tiny_scratch_model()
    fresh.load_weights(str(path))
    for a, b in zip(fresh.get_weights(), first_epoch_weights[0]):
        np.testing.assert_array_equal(a, b)
    keras_twin = keras_ref.to_keras(fresh)
    keras_twin.load_weights(str(path))


def test_unwritable_checkpoint_path_fails_at_fit_start_before_training(tmp_path):
    (tmp_path / "not_a_folder").write_text("a regular file")
    model = tiny_scratch_model()
    before = model.get_weights()
    checkpoint = scratch.callbacks.ModelCheckpoint(str(tmp_path / "not_a_folder" / "ck.weights.h5"),
                                                   save_weights_only=True)
    with pytest.raises(OSError, match="filepath.*not_a_folder"):
        fit_tiny(model, [checkpoint])
    assert model.optimizer.iterations == 0
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_existing_folder_as_filepath_fails_at_fit_start(tmp_path):
    (tmp_path / "ck.weights.h5").mkdir()
    model = tiny_scratch_model()
    checkpoint = scratch.callbacks.ModelCheckpoint(str(tmp_path / "ck.weights.h5"), save_weights_only=True)
    with pytest.raises(IsADirectoryError, match="non-directory filepath"):
        fit_tiny(model, [checkpoint])
    assert model.optimizer.iterations == 0


def test_missing_checkpoint_folder_is_created_at_fit_start(tmp_path):
    checkpoint = scratch.callbacks.ModelCheckpoint(str(tmp_path / "new" / "{epoch}" / "ck.weights.h5"),
                                                   save_weights_only=True)
    checkpoint.set_model(tiny_scratch_model())
    checkpoint.on_train_begin()
    assert os.listdir(tmp_path / "new") == []  # created (up to the placeholder), probe file removed
    fit_tiny(checkpoint.model, [checkpoint])
    assert sorted(os.listdir(tmp_path / "new")) == ["1", "2"]


@pytest.mark.parametrize("filepath,weights_only,keras_accepts", [
    ("ck.h5", True, False),
    ("ck.keras", True, False),
    ("ck.weights.h5", False, True),   # Keras would save a whole legacy .h5 under a weights name: scratch refuses
    ("ck.txt", False, False),
])
def test_wrong_checkpoint_suffix_is_a_value_error_naming_filepath(filepath, weights_only, keras_accepts):
    with pytest.raises(ValueError, match=f"filepath.*{filepath}"):
        scratch.callbacks.ModelCheckpoint(filepath, save_weights_only=weights_only)
    if not keras_accepts:
        with pytest.raises(ValueError, match=filepath):
            keras.callbacks.ModelCheckpoint(filepath, save_weights_only=weights_only)


def test_a_weights_name_for_a_whole_model_is_refused_with_a_hint():
    with pytest.raises(ValueError, match="save_weights_only=True"):
        scratch.callbacks.ModelCheckpoint("best.weights.h5")


@pytest.mark.parametrize("save_freq", [0, -1, True, "batch", 1.5])
def test_bad_save_freq_is_refused(save_freq):
    with pytest.raises(ValueError, match="save_freq"):
        scratch.callbacks.ModelCheckpoint("ck.weights.h5", save_weights_only=True, save_freq=save_freq)


class BatchRecorder(scratch.callbacks.Callback):
    """Notes, after every training batch, the checkpoint name it would get, the logged loss and the
    model's weights at that moment."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        name = f"e{self.epoch + 1}b{batch + 1}.weights.h5"
        self.seen.append((name, float(logs["loss"]), self.model.get_weights()))


def test_best_only_with_batch_frequency_saves_each_new_best_loss(tmp_path):
    """Keras 3.15.1 fails here (direction unknown before the first epoch end); scratch does not.
    With ``save_freq=1`` and ``save_best_only``, a batch's weights are saved exactly when its logged
    ``loss`` (the epoch's running mean so far) is below every value logged before it, across
    epochs; each file holds the model's weights at that batch."""
    checkpoint = scratch.callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}b{batch}.weights.h5"),
                                                   monitor="loss", save_weights_only=True,
                                                   save_best_only=True, save_freq=1)
    recorder = BatchRecorder()
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((24, 3)).astype(np.float32), rng.integers(0, 2, 24)
    model = tiny_scratch_model()
    model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0, callbacks=[recorder, checkpoint])

    best, expected = None, {}
    for name, loss, weights in recorder.seen:
        if best is None or np.float32(loss) < np.float32(best):  # the float32 test of monitor_callback
            best, expected[name] = loss, weights
    assert len(recorder.seen) == 18
    assert 1 < len(expected) < len(recorder.seen), "the loss sequence must both improve and not"
    assert sorted(os.listdir(tmp_path)) == sorted(expected)
    for name, weights in expected.items():
        reloaded = tiny_scratch_model()
        reloaded.load_weights(str(tmp_path / name))
        for a, b in zip(reloaded.get_weights(), weights, strict=True):
            np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("argument", ["patience", "start_from_epoch"])
def test_negative_patience_is_refused_although_keras_accepts_it(argument):
    keras.callbacks.EarlyStopping(**{argument: -1})  # Keras: patience=-1 acts like 0
    with pytest.raises(ValueError, match=f"{argument}: expected an integer >= 0"):
        scratch.callbacks.EarlyStopping(**{argument: -1})


def test_early_stopping_is_reusable_across_fits():
    model = tiny_scratch_model()
    stop = scratch.callbacks.EarlyStopping(monitor="val_loss", patience=0, restore_best_weights=True)
    for _ in range(2):
        fit_tiny(model, [stop], epochs=3)
        assert stop.best is not None and stop.best_weights is not None
    stop.on_train_begin()
    state = (stop.best, stop.best_weights, stop.wait, stop.stopped_epoch, stop.best_epoch)
    assert state == (None, None, 0, 0, 0)


# ---------------------------------------------------------------------------- 4. TerminateOnNaN


class LossRecorder:
    """A callback class for either stack that notes (epoch, batch, loss) after every training batch."""

    @staticmethod
    def make(module):
        class Recorder(module.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.seen = []

            def on_epoch_begin(self, epoch, logs=None):
                self.epoch = epoch

            def on_train_batch_end(self, batch, logs=None):
                self.seen.append((self.epoch, batch, float(logs["loss"])))
        return Recorder()


def diverging_run(stack, model, module, terminate, capsys):
    """Inputs ×1e30 with SGD(0.01): batch 0's loss is ~3e29, the update makes batch 1's logits
    overflow float32, so its loss (and every later one) is NaN — on both stacks."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((8, 3)) * 1e30).astype(np.float32)
    y = np.arange(8) % 2
    recorder = LossRecorder.make(module)
    callbacks = [recorder] + ([module.callbacks.TerminateOnNaN(**terminate)] if terminate is not None else [])
    model.compile(module.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # NumPy's "overflow encountered" on the way to NaN
        history = model.fit(x, y, batch_size=2, epochs=3, shuffle=False, verbose=0, callbacks=callbacks)
    return history, recorder.seen, capsys.readouterr().out


@pytest.fixture
def diverging_twins():
    scratch.set_random_seed(5)
    ours = scratch.Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
    return {"scratch": (ours, scratch), "keras": (keras_ref.to_keras(ours), keras)}


@pytest.mark.parametrize("backend_name", scratch.backend.BACKENDS)
def test_terminate_on_nan_stops_where_keras_stops_with_keras_message(diverging_twins, capsys, backend_name):
    scratch.backend.set_backend(backend_name)
    runs = {stack: diverging_run(stack, model, module, {}, capsys)
            for stack, (model, module) in diverging_twins.items()}
    (our_history, our_seen, our_out), (their_history, their_seen, their_out) = runs["scratch"], runs["keras"]
    assert [s[:2] for s in our_seen] == [s[:2] for s in their_seen] == [(0, 0), (0, 1)]
    assert_close(our_seen[0][2], their_seen[0][2], atol=abs(their_seen[0][2]) * 1e-5, what="batch 0 loss")
    assert np.isnan(our_seen[1][2]) and np.isnan(their_seen[1][2])
    assert our_out == their_out == "Batch 1: Invalid loss, terminating training\n"
    assert our_history.epoch == their_history.epoch == [0]
    assert np.isnan(our_history.history["loss"][0]) and np.isnan(their_history.history["loss"][0])


def test_without_terminate_on_nan_both_train_on_nan(diverging_twins, capsys):
    """The default, as in Keras: a NaN loss does not stop training (TerminateOnNaN is opt-in)."""
    for stack, (model, module) in diverging_twins.items():
        history, seen, out = diverging_run(stack, model, module, None, capsys)
        assert len(seen) == 12 and history.epoch == [0, 1, 2] and out == "", stack
        assert np.isnan(history.history["loss"]).all(), stack


def test_terminate_on_nan_raise_error_matches_keras(diverging_twins, capsys):
    errors = {}
    for stack, (model, module) in diverging_twins.items():
        with pytest.raises(RuntimeError) as info:
            diverging_run(stack, model, module, {"raise_error": True}, capsys)
        errors[stack] = str(info.value)
    expected = "NaN or Inf loss encountered at batch 1. Loss value: nan. Terminating training immediately."
    assert errors["scratch"] == errors["keras"] == expected


def test_terminate_on_nan_catches_inf_and_ignores_finite_losses(capsys):
    stop = scratch.callbacks.TerminateOnNaN()
    stop.set_model(tiny_scratch_model())
    stop.model.stop_training = False
    for batch, loss in enumerate([1.0, np.float32(3e38), None]):
        stop.on_train_batch_end(batch, {} if loss is None else {"loss": loss})
    stop.on_train_batch_end(7, None)
    assert not stop.model.stop_training and capsys.readouterr().out == ""
    stop.on_train_batch_end(3, {"loss": np.float32(np.inf)})
    assert stop.model.stop_training and capsys.readouterr().out == "Batch 3: Invalid loss, terminating training\n"
    with pytest.raises(TypeError, match="raise_error: expected True or False, received 'yes'"):
        scratch.callbacks.TerminateOnNaN(raise_error="yes")
