"""Model-level parity for the CNN tutorials: the seed CNN and the image-folder (flowers) CNN —
parameter counts, every summary row and the totals, weight shapes, predict on shared weights —
the Flatten-order porting bug, and two-epoch training runs of a small CNN against Keras (plain,
and with Dropout on masks shared with the Keras side)."""
import io

import numpy as np
import pytest

from parity_tests.keras_available import keras
from parity_tests.compare import assert_close
from parity_tests.test_conv_layers import SharedMaskDropout, recording_dropout
from parity_tests.tolerances import FORWARD_ATOL, FORWARD_RTOL, HISTORY_ATOL, TRAINING_ATOL
import keras_ref
from keras_ref.seed_models import seed_cnn  # the Conv2D/MaxPooling tutorial's model, 333,526 parameters
import scratch
from scratch import backend, layers


def flowers_cnn(num_classes=5):
    """The image-folder tutorial's model: uint8 180x180x3 images in, logits out."""
    return scratch.Sequential([
        layers.Rescaling(1 / 255, input_shape=(180, 180, 3)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(num_classes),
    ])


def summary_text(model):
    buffer = io.StringIO()
    model.summary(print_fn=buffer.write)
    return buffer.getvalue()


def assert_same_structure(ours, theirs, params):
    assert ours.count_params() == theirs.count_params() == params
    assert [l.output_shape for l in ours.layers] == [tuple(l.output.shape) for l in theirs.layers]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert summary_text(ours) == summary_text(theirs)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
def test_seed_cnn_summary_weights_and_predict(backend_name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    backend.set_backend(backend_name)
    ours = seed_cnn()
    theirs = keras_ref.to_keras(ours)
    assert_same_structure(ours, theirs, 333_526)
    text = summary_text(ours)
    for row in ("(None, 28, 28, 32)     │           320", "(None, 7, 7, 64)", "(None, 3136)",
                "313,700", "Total params: 333,526 (1.27 MB)"):
        assert row in text
    assert [w.shape for w in ours.get_weights()] == [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,),
                                                     (3136, 100), (100,), (100, 10), (10,)]
    x = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), FORWARD_ATOL, FORWARD_RTOL,
                 what="seed CNN predict on shared weights")


def test_flowers_cnn_params_summary_and_predict(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    ours = flowers_cnn()
    theirs = keras_ref.to_keras(ours)
    assert_same_structure(ours, theirs, 3_989_285)
    assert ours.layers[7].output_shape == (None, 30976)  # 45 // 2 = 22: 22·22·64
    x = np.random.default_rng(1).integers(0, 256, (2, 180, 180, 3), dtype=np.uint8)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), FORWARD_ATOL, FORWARD_RTOL,
                 what="flowers CNN logits on shared weights")


class NCHWFlatten(layers.Flatten):
    """PyTorch's order: channels first, then rows and columns — the classic porting bug."""

    def forward(self, x, training=False):
        self._input_shape = x.shape
        return x.transpose(0, 3, 1, 2).reshape(x.shape[0], -1)


def test_flatten_order_after_conv_matches_keras():
    """Dense weights copied across a Conv → Flatten → Dense model predict the same as Keras, because
    Flatten uses channels_last row-major order (keras/src/layers/reshaping/flatten.py, ``Flatten.call``:
    a plain reshape of (H, W, C) for channels_last data). An NCHW flatten with the
    same weights does NOT match — until the Dense kernel's rows are permuted to (c, h, w) order."""
    def model(flatten):
        return scratch.Sequential([layers.Conv2D(3, 3, activation="relu", input_shape=(7, 6, 2)),
                                   layers.MaxPooling2D(), flatten, layers.Dense(4, activation="softmax")])

    ours = model(layers.Flatten())
    theirs = keras_ref.to_keras(ours)
    x = np.random.default_rng(2).standard_normal((5, 7, 6, 2)).astype(np.float32)
    expected = theirs.predict(x, verbose=0)
    assert_close(ours.predict(x, verbose=0), expected, FORWARD_ATOL, FORWARD_RTOL, what="channels_last flatten")

    wrong = model(NCHWFlatten())
    wrong.set_weights(ours.get_weights())
    assert np.abs(wrong.predict(x, verbose=0) - expected).max() > 1e-2, "an NCHW flatten must not match"

    height, width, channels = ours.layers[1].output_shape[1:]            # (2, 2, 3)
    rows = np.arange(height * width * channels).reshape(height, width, channels).transpose(2, 0, 1).ravel()
    conv_kernel, conv_bias, kernel, bias = ours.get_weights()
    wrong.set_weights([conv_kernel, conv_bias, kernel[rows], bias])
    assert_close(wrong.predict(x, verbose=0), expected, FORWARD_ATOL, FORWARD_RTOL, what="NCHW with permuted rows")


# ----------------------------------------------------------------------------- training
N_SAMPLES = 200  # 7 steps per epoch at batch 32, the last one partial (8 samples)


def image_teacher_data(n=N_SAMPLES, seed=0):
    """8x8x1 'images' and labels from a fixed random linear teacher, so training makes progress."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 8, 8, 1), dtype=np.float32)
    y = np.argmax((x.reshape(n, -1) - 0.5) @ rng.standard_normal((64, 10)), axis=1)
    return x, y


def small_cnn(dropout=None):
    stack = [layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)), layers.MaxPooling2D(),
             layers.Flatten()]
    stack += [dropout] if dropout is not None else []
    return scratch.Sequential(stack + [layers.Dense(10, activation="softmax")])


def assert_same_training(ours, theirs, our_history, their_history, label):
    assert list(our_history.history) == list(their_history.history)
    assert our_history.params == their_history.params
    for key in their_history.history:
        assert_close(our_history.history[key], their_history.history[key], atol=HISTORY_ATOL, what=key)
    for i, (a, b) in enumerate(zip(ours.get_weights(), theirs.get_weights())):
        assert_close(a, b, atol=TRAINING_ATOL, what=f"weight {i} after 2 epochs ({label})")
    assert their_history.history["loss"][1] < their_history.history["loss"][0]  # it really trained


FIT_ARGS = dict(batch_size=32, epochs=2, shuffle=False, verbose=0)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
def test_small_cnn_two_epochs_match_keras(backend_name):
    backend.set_backend(backend_name)
    x, y = image_teacher_data()
    ours = small_cnn()
    theirs = keras_ref.to_keras(ours)
    ours.compile(scratch.optimizers.Adam(learning_rate=0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    theirs.compile(keras.optimizers.Adam(learning_rate=0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert_same_training(ours, theirs, ours.fit(x, y, **FIT_ARGS), theirs.fit(x, y, **FIT_ARGS), "small CNN")


@pytest.mark.parametrize("cores", [1, 3], ids=["one_pass", "three_replicas"])
def test_small_cnn_with_dropout_two_epochs_match_keras_on_shared_masks(cores, force_replicas):
    """Our Dropout draws a mask per step (recorded through ``mask_fn``); the Keras twin replays
    them in TF's own dropout code (``SharedMaskDropout``), run eagerly so each step takes the next.
    With three replicas each 32-sample batch is split 11/11/10 (data parallelism): the masks are
    still drawn once per step for the whole batch."""
    force_replicas(cores)
    x, y = image_teacher_data(seed=1)
    rate, masks = 0.3, []
    dropout = recording_dropout(rate, masks, seed=5)
    ours = small_cnn(dropout)
    twin = keras_ref.to_keras(ours)
    replay = []
    theirs = keras.Sequential([keras.Input((8, 8, 1))] + [
        SharedMaskDropout(rate, replay, name=l.name) if isinstance(l, keras.layers.Dropout) else l
        for l in twin.layers])
    ours.compile(scratch.optimizers.Adam(learning_rate=0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    theirs.compile(keras.optimizers.Adam(learning_rate=0.01), "sparse_categorical_crossentropy",
                   metrics=["accuracy"], run_eagerly=True)
    our_history = ours.fit(x, y, **FIT_ARGS)
    assert len(masks) == 14 and masks[-1].shape == (8, 36)
    replay.extend(masks)
    their_history = theirs.fit(x, y, **FIT_ARGS)
    assert replay == [], "Keras took one mask per training step"
    assert_same_training(ours, theirs, our_history, their_history, "small CNN + Dropout")
