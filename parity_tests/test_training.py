"""Whole training runs against Keras: same initial weights, same batches (shuffle=False), two
epochs with SGD and with Adam → the same weights and the same History values."""
import numpy as np
import pytest

from parity_tests.keras_available import keras
from parity_tests.compare import assert_close
from parity_tests.tolerances import HISTORY_ATOL, TRAINING_ATOL
import keras_ref
from keras_ref.seed_models import seed_mlp
import scratch
from scratch import backend

N_SAMPLES = 1000  # 32 steps per epoch at batch 32, the last one partial (8 samples)


def teacher_data(n=N_SAMPLES, seed=0):
    """uint8 'images' and labels from a fixed random linear teacher, so training makes progress."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    teacher = rng.standard_normal((784, 10))
    y = np.argmax((x.reshape(n, -1) / 255.0 - 0.5) @ teacher, axis=1)
    return x.astype(np.float32) / 255.0, y


OPTIMIZERS = [
    ("sgd", lambda m: m.SGD(learning_rate=0.05)),
    ("sgd_momentum", lambda m: m.SGD(learning_rate=0.01, momentum=0.9)),
    ("adam", lambda m: m.Adam(learning_rate=0.001)),
]


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("label,make_optimizer", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_two_epochs_match_keras(label, make_optimizer, backend_name):
    backend.set_backend(backend_name)
    x, y = teacher_data()
    ours = seed_mlp()
    theirs = keras_ref.to_keras(ours)
    ours.compile(make_optimizer(scratch.optimizers), "sparse_categorical_crossentropy", metrics=["accuracy"])
    theirs.compile(make_optimizer(keras.optimizers), "sparse_categorical_crossentropy", metrics=["accuracy"])
    fit_args = dict(batch_size=32, epochs=2, shuffle=False, verbose=0, validation_split=0.2)
    our_history = ours.fit(x, y, **fit_args)
    their_history = theirs.fit(x, y, **fit_args)

    assert list(our_history.history) == list(their_history.history)
    assert our_history.epoch == their_history.epoch
    assert our_history.params == their_history.params
    for key in their_history.history:
        assert_close(our_history.history[key], their_history.history[key], atol=HISTORY_ATOL, what=key)
    for i, (a, b) in enumerate(zip(ours.get_weights(), theirs.get_weights())):
        assert_close(a, b, atol=TRAINING_ATOL, what=f"weight {i} after 2 epochs ({label})")
    assert ours.optimizer.iterations == int(theirs.optimizer.iterations.numpy())
    # Training really moved the weights (so equality above is not trivial).
    assert their_history.history["loss"][1] < their_history.history["loss"][0]


def test_evaluate_and_predict_after_training_match_keras():
    x, y = teacher_data(300, seed=1)
    ours = seed_mlp()
    theirs = keras_ref.to_keras(ours)
    for model, module in ((ours, scratch.optimizers), (theirs, keras.optimizers)):
        model.compile(module.Adam(), "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=1, shuffle=False, verbose=0)
    our_loss, our_acc = ours.evaluate(x, y, verbose=0)
    their_loss, their_acc = theirs.evaluate(x, y, verbose=0)
    assert_close(our_loss, their_loss, atol=HISTORY_ATOL, what="evaluate loss")
    assert_close(our_acc, their_acc, atol=HISTORY_ATOL, what="evaluate accuracy")
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=TRAINING_ATOL, what="predict")
    assert ours.evaluate(x, y, verbose=0, return_dict=True).keys() == \
        theirs.evaluate(x, y, verbose=0, return_dict=True).keys()


def test_loss_only_evaluate_returns_a_float_like_keras():
    x, y = teacher_data(64, seed=2)
    ours = seed_mlp()
    theirs = keras_ref.to_keras(ours)
    ours.compile("sgd", "sparse_categorical_crossentropy")
    theirs.compile("sgd", "sparse_categorical_crossentropy")
    our_value, their_value = ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0)
    assert isinstance(our_value, float) and isinstance(their_value, float)
    assert_close(our_value, their_value, atol=HISTORY_ATOL, what="loss-only evaluate")


def test_validation_split_takes_the_last_samples_like_keras():
    """n=10, split 0.3: Keras validates on samples 7, 8, 9 (split_at = int(10·0.7) = 7)."""
    x, y = teacher_data(10, seed=3)
    ours = seed_mlp()
    ours.compile("sgd", "sparse_categorical_crossentropy")
    history = ours.fit(x, y, epochs=1, validation_split=0.3, shuffle=False, verbose=0)
    reference = seed_mlp()
    reference.set_weights(ours.get_weights())
    reference.compile("sgd", "sparse_categorical_crossentropy")
    assert_close(history.history["val_loss"][0], reference.evaluate(x[7:], y[7:], verbose=0),
                 atol=1e-7, what="val_loss on the last 3 samples")


def test_shuffle_changes_batches_but_is_reproducible_with_a_seed():
    x, y = teacher_data(200, seed=4)

    def run(seed, shuffle):
        scratch.set_random_seed(seed)
        model = seed_mlp()
        model.compile("sgd", "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=1, shuffle=shuffle, verbose=0)
        return model.get_weights()[0]

    np.testing.assert_array_equal(run(5, True), run(5, True))
    assert np.abs(run(5, True) - run(5, False)).max() > 1e-6
