"""Data parallelism on the cpu backend (scratch.engine.data_parallel): a batch split over replicas in
threads must train exactly like one pass (up to float32 summation order), and like Keras; the
replica policy, the work estimate it rests on, and the thread hygiene (BLAS thread count,
float mode, errors) are checked against closed forms and one-pass runs."""
import threading
import time

import numpy as np
import pytest

from parity_tests.compare import assert_close
from parity_tests.keras_available import keras
from parity_tests.test_training import teacher_data
from parity_tests.tolerances import HISTORY_ATOL, TRAINING_ATOL
import keras_ref
from keras_ref.seed_models import seed_cnn, seed_mlp
import scratch
from scratch import backend, layers
from scratch.engine.data_parallel import DataParallel, replica_count
from scratch.layers.base import Layer
from scratch.engine import openblas
from scratch.engine.denormals import float_mode

SPLIT_ATOL = 1e-6   # one pass vs replicas: the same maths, summed in another order


class Recorder(Layer):
    """Identity layer that notes, per training forward, the thread, the rows and the float mode."""

    def __init__(self, log, **kwargs):
        super().__init__(**kwargs)
        self.log = log

    def forward(self, x, training=False):
        if training:
            self.log.append((threading.get_ident(), len(x), float_mode()))
            # long enough that a worker is still busy when the next share is handed out (the
            # thread pool would otherwise reuse an idle worker, and fewer threads would show)
            time.sleep(0.01)
        return x

    def backward(self, grad_output):
        return grad_output


def small_cnn(log=None, dropout_seed=7):
    stack = [layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)), layers.MaxPooling2D(),
             layers.Flatten()]
    stack += [Recorder(log)] if log is not None else []
    return scratch.Sequential(stack + [layers.Dropout(0.3, seed=dropout_seed), layers.Dense(10, activation="softmax")])


def image_data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 8, 8, 1), dtype=np.float32)
    y = np.argmax((x.reshape(n, -1) - 0.5) @ rng.standard_normal((64, 10)), axis=1)
    return x, y


# ----------------------------------------------------------------------------- the work estimate
def test_multiply_adds_match_closed_forms():
    model = scratch.Sequential([
        layers.Conv2D(5, 3, strides=2, input_shape=(9, 9, 3)),   # 4x4 outputs, 27 taps each
        layers.Conv2D(6, (2, 3), padding="same"),                 # 4x4 outputs, 2·3·5 taps
        layers.Flatten(), layers.Dense(7)])
    model.build()
    assert [l.multiply_adds() for l in model.layers] == [4 * 4 * 27 * 5, 4 * 4 * 30 * 6, 0, 96 * 7]
    dense_on_sequences = scratch.Sequential([layers.Dense(3, input_shape=(5, 8))])
    dense_on_sequences.build()
    assert dense_on_sequences.layers[0].multiply_adds() == 5 * 8 * 3


def test_replica_count_policy():
    cnn, mlp = seed_cnn(), seed_mlp()
    cnn.build(), mlp.build()
    assert sum(l.multiply_adds() for l in cnn.layers) == 4_153_064   # 225,792 + 3,612,672 + 313,600 + 1,000
    assert replica_count(cnn.layers, 32, cores=2) == 2
    assert replica_count(cnn.layers, 32, cores=8) == 4        # at least 8 samples a replica
    assert replica_count(cnn.layers, 64, cores=8) == 8
    assert replica_count(cnn.layers, 15, cores=2) == 1
    assert replica_count(cnn.layers, 32, cores=1) == 1
    assert replica_count(mlp.layers, 512, cores=2) == 1       # 0.1M multiply-adds a sample: BLAS's threads win
    backend.set_backend("reference")
    assert replica_count(cnn.layers, 32, cores=2) == 1        # the readable backend stays one pass


def test_no_split_without_control_of_blas_threads(monkeypatch):
    cnn = seed_cnn()
    cnn.build()
    monkeypatch.setattr(openblas, "available", False)
    assert replica_count(cnn.layers, 32, cores=2) == 1


# ----------------------------------------------------------------------------- training
def fit_small_cnn(force_replicas, cores, log=None, epochs=2):
    force_replicas(cores)
    scratch.set_random_seed(3)
    x, y = image_data(100)
    model = small_cnn(log)
    model.compile(scratch.optimizers.Adam(learning_rate=0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=40, epochs=epochs, validation_split=0.2, verbose=0)
    return model, history


def test_replicas_train_like_one_pass(force_replicas):
    """80 training samples at batch 40 over 3 replicas: shares of 13/13/14, three threads; the
    weights and History after 2 epochs (Dropout included) match the one-pass run."""
    log = []
    split, split_history = fit_small_cnn(force_replicas, cores=3, log=log)
    one, one_history = fit_small_cnn(force_replicas, cores=1)
    assert sorted(rows for _, rows, _ in log[:3]) == [13, 13, 14] and len(log) == 3 * 4
    assert len({thread for thread, _, _ in log}) == 3
    assert split_history.history.keys() == one_history.history.keys()
    for key, values in one_history.history.items():
        assert_close(split_history.history[key], values, atol=SPLIT_ATOL, what=key)
    for i, (a, b) in enumerate(zip(split.get_weights(), one.get_weights())):
        assert_close(a, b, atol=SPLIT_ATOL, what=f"weight {i}")
    assert one_history.history["loss"][1] < one_history.history["loss"][0]  # it trained


def test_worker_threads_flush_denormals_like_the_main_thread(force_replicas):
    log = []
    fit_small_cnn(force_replicas, cores=2, log=log, epochs=1)
    modes = {mode for _, _, mode in log}
    assert len({thread for thread, _, _ in log}) == 2
    if modes != {None}:   # x86: FTZ (bit 15) and DAZ (bit 6) set in both threads
        assert all(mode & 0x8040 == 0x8040 for mode in modes), [hex(m) for m in modes]


def test_blas_threads_restored_after_a_failed_fit(force_replicas):
    before = openblas.get_num_threads()

    class Boom(scratch.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if openblas.available:
                assert openblas.get_num_threads() == 1   # one BLAS thread per replica inside fit
            raise RuntimeError("boom")

    force_replicas(2)
    x, y = image_data(64)
    model = small_cnn()
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(x, y, batch_size=32, verbose=0, callbacks=[Boom()])
    assert openblas.get_num_threads() == before


class FailsInThread(Layer):
    """Identity, except that a training forward on the thread ``which`` raises."""

    def __init__(self, which, **kwargs):
        super().__init__(**kwargs)
        self.which = which

    def forward(self, x, training=False):
        on_main = threading.current_thread() is threading.main_thread()
        if training and on_main == (self.which == "main"):
            raise FloatingPointError(f"failed on the {self.which} thread")
        return x

    def backward(self, grad_output):
        return grad_output


@pytest.mark.parametrize("which", ["main", "worker"])
def test_an_error_in_a_replica_reaches_the_caller_and_leaves_no_noise(which, force_replicas):
    force_replicas(2)
    x, y = image_data(30)
    model = scratch.Sequential(small_cnn().layers[:3] + [FailsInThread(which), layers.Dropout(0.5),
                                                          layers.Dense(10)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(FloatingPointError, match=f"on the {which} thread"):
        model.fit(x, y, batch_size=20, shuffle=False, verbose=0)   # 20 -> 10 + 10
    # the whole batch's mask was drawn before the failure; none of it is left for a later forward
    assert model.layers[4].preset_random is None


def test_replicas_see_weights_the_model_rebinds():
    model = small_cnn()
    model.build()
    with DataParallel(model, batch_size=32, count=2) as parallel:
        twin = parallel.replicas[1].layers[0]
        model.layers[0].kernel.value = np.zeros_like(model.layers[0].kernel.value)
        assert twin.kernel.value is model.layers[0].kernel.value
        assert twin.kernel.grad is None and twin.weights[0] is twin.kernel


# ----------------------------------------------------------------------------- inference
def test_split_predict_and_evaluate_match_one_pass(force_replicas):
    x, y = image_data(70, seed=4)
    model = small_cnn()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.build((None, 8, 8, 1))
    force_replicas(1)
    expected, expected_eval = model.predict(x, verbose=0), model.evaluate(x, y, verbose=0)
    force_replicas(3)
    assert_close(model.predict(x, batch_size=30, verbose=0), expected, atol=SPLIT_ATOL, what="predict")
    assert_close(model.evaluate(x, y, batch_size=30, verbose=0), expected_eval, atol=SPLIT_ATOL,
                 what="evaluate [loss, accuracy]")


# ----------------------------------------------------------------------------- against Keras
def test_mlp_on_three_replicas_matches_keras(force_replicas):
    force_replicas(3)
    x, y = teacher_data()
    ours = seed_mlp()
    theirs = keras_ref.to_keras(ours)
    ours.compile(scratch.optimizers.Adam(), "sparse_categorical_crossentropy", metrics=["accuracy"])
    theirs.compile(keras.optimizers.Adam(), "sparse_categorical_crossentropy", metrics=["accuracy"])
    fit_args = dict(batch_size=48, epochs=2, shuffle=False, verbose=0, validation_split=0.2)
    our_history, their_history = ours.fit(x, y, **fit_args), theirs.fit(x, y, **fit_args)
    for key in their_history.history:
        assert_close(our_history.history[key], their_history.history[key], atol=HISTORY_ATOL, what=key)
    for i, (a, b) in enumerate(zip(ours.get_weights(), theirs.get_weights())):
        assert_close(a, b, atol=TRAINING_ATOL, what=f"weight {i} after 2 epochs on 3 replicas")
    assert their_history.history["loss"][1] < their_history.history["loss"][0]
