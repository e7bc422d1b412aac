"""A model inside a model: a ``Sequential`` as a layer of another, against Keras on shared weights.

TensorFlow's tutorials do it twice: ``data_augmentation = keras.Sequential([...])`` first in the
image-classification model, and ``probability_model = keras.Sequential([model, Softmax()])`` in
basic classification. Checked here: shared weights (training the outer trains the inner),
the summary row, ``training`` passed down (Dropout), gradients vs ``tf.GradientTape``, the
softmax-crossentropy shortcut through a nested output, ``get_weights`` order, the bridge,
``.weights.h5`` files both ways, and data-parallel replicas of a nested model.
"""
import io
import threading
import time

import h5py
import numpy as np
import pytest

from parity_tests.compare import assert_close
from parity_tests.keras_available import keras, tf
from parity_tests.test_conv_layers import SharedMaskDropout, recording_dropout
from parity_tests.tolerances import (FORWARD_ATOL, FORWARD_RTOL, GRAD_ATOL, GRAD_RTOL, HISTORY_ATOL,
                                     TRAINING_ATOL)
import keras_ref
import scratch
from scratch import layers
from scratch.engine.data_parallel import DataParallel
from scratch.layers.base import Layer

SPLIT_ATOL = 1e-6   # one pass vs replicas: the same maths, summed in another order


def summary_text(model):
    buffer = io.StringIO()
    model.summary(print_fn=buffer.write)
    return buffer.getvalue()


def fresh_names():
    scratch.clear_session()
    keras.backend.clear_session()


def nested_mlp(dropout=None):
    """``Input(5) → Dense(6, relu) → [Dense(8, relu) → (Dropout) → Dense(3, softmax)] → Softmax``-free:
    the inner model is the output layer, ending in a softmax."""
    inner = scratch.Sequential([layers.Dense(8, activation="relu")] + ([dropout] if dropout else [])
                               + [layers.Dense(3, activation="softmax")])
    return scratch.Sequential([scratch.Input((5,)), layers.Dense(6, activation="relu"), inner]), inner


def teacher(n=40, seed=0, features=5, classes=3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    y = np.argmax(x @ rng.standard_normal((features, classes)), axis=1)
    return x, y


# ----------------------------------------------------------------------------- structure and summary
def test_summary_rows_match_keras_character_for_character(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    fresh_names()
    inner = scratch.Sequential([layers.Dense(4, activation="relu"), layers.Dense(3)])
    ours = scratch.Sequential([scratch.Input((5,)), layers.Dense(5), inner, layers.Softmax()])
    k_inner = keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(3)])
    theirs = keras.Sequential([keras.Input((5,)), keras.layers.Dense(5), k_inner, keras.layers.Softmax()])
    text = summary_text(ours)
    assert "│ sequential (Sequential)         │ (None, 3)              │            39 │" in text
    assert text == summary_text(theirs)
    assert ours.count_params() == theirs.count_params() == 69
    assert [l.name for l in inner.layers] == [l.name for l in k_inner.layers]


def test_unbuilt_and_frozen_nested_models_summarise_like_keras(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    fresh_names()
    ours = scratch.Sequential([scratch.Sequential([layers.Dense(4)]), layers.Dense(2)])
    theirs = keras.Sequential([keras.Sequential([keras.layers.Dense(4)]), keras.layers.Dense(2)])
    assert summary_text(ours) == summary_text(theirs)   # "?" and "0 (unbuilt)"
    ours.build((None, 3))
    theirs.build((None, 3))
    ours.layers[0].trainable = False
    theirs.layers[0].trainable = False
    text = summary_text(ours)
    assert "Non-trainable params: 16" in text and text == summary_text(theirs)
    assert len(ours.trainable_variables) == len(theirs.trainable_weights) == 2


def test_summary_after_fit_shows_the_optimizer_like_keras(monkeypatch):
    monkeypatch.setenv("COLUMNS", "90")
    ours, _ = nested_mlp()
    theirs = keras_ref.to_keras(ours)
    x, y = teacher(8)
    for model, optimizer in ((ours, scratch.optimizers.Adam()), (theirs, keras.optimizers.Adam())):
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=8, verbose=0)
    text = summary_text(ours)
    assert "Optimizer params" in text and text == summary_text(theirs)


def test_count_params_and_get_weights_order_match_keras():
    ours, inner = nested_mlp()
    theirs = keras.Sequential([keras.Input((5,)), keras.layers.Dense(6, activation="relu"), keras.Sequential(
        [keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3, activation="softmax")])])
    assert ours.count_params() == theirs.count_params() == (5 * 6 + 6) + (6 * 8 + 8) + (8 * 3 + 3) == 119
    assert inner.count_params() == theirs.layers[1].count_params()
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert [v.shape for v in ours.weights] == [tuple(v.shape) for v in theirs.weights]
    # the outer's list holds the inner's very variables, in place
    assert ours.weights[2:] == inner.weights
    theirs.set_weights(ours.get_weights())
    x, _ = teacher(30)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), FORWARD_ATOL, FORWARD_RTOL,
                 what="predict through a nested model")


def test_the_outer_model_takes_the_inner_models_input_shape_as_keras():
    inner = scratch.Sequential([scratch.Input((6,)), layers.Dense(6)], name="aug")
    outer = scratch.Sequential([inner, layers.Dense(2)])
    k_inner = keras.Sequential([keras.Input((6,)), keras.layers.Dense(6)], name="aug")
    k_outer = keras.Sequential([k_inner, keras.layers.Dense(2)])
    assert outer.built and outer.input_shape == k_outer.input_shape == (None, 6)
    assert outer.output_shape == tuple(k_outer.output_shape) == (None, 2)


def test_a_nested_model_is_refused_where_it_does_not_fit():
    inner = scratch.Sequential([scratch.Input((6,)), layers.Dense(4)])
    outer = scratch.Sequential([scratch.Input((5,))])
    with pytest.raises(ValueError, match=r"input_shape: .* built for 6 input features.*received shape \(None, 5\)"):
        outer.add(inner)
    assert outer.layers == [] and inner.input_shape == (None, 6)
    with pytest.raises(ValueError, match="layer: expected a layer or another model, received model"):
        inner.add(inner)
    holder = scratch.Sequential([inner])
    with pytest.raises(ValueError, match=f"received model '{holder.name}', which is \\(or contains\\) "
                                         f"model '{inner.name}' itself"):
        inner.add(holder)
    with pytest.raises(ValueError, match="needs at least one layer, received model 'empty' with none"):
        outer.add(scratch.Sequential(name="empty"))
    assert len(inner.layers) == 1


# ----------------------------------------------------------------------------- computing
def test_backward_through_a_nested_model_matches_gradient_tape():
    rng = np.random.default_rng(3)
    inner = scratch.Sequential([layers.Dense(7, activation="relu"), layers.Flatten(), layers.Dense(4)])
    ours = scratch.Sequential([scratch.Input((3, 5)), layers.Dense(6, activation="relu"), inner,
                               layers.Dense(2, activation="softmax")])
    theirs = keras_ref.to_keras(ours)
    assert isinstance(theirs.layers[1], keras.Sequential)
    x = rng.standard_normal((9, 3, 5)).astype(np.float32)
    upstream = rng.standard_normal((9, 2)).astype(np.float32)
    out = ours(x, training=True)
    grad_x = ours.backward(upstream)
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        their_out = theirs(x_tf, training=True)
        total = tf.reduce_sum(their_out * upstream)
    their_grads = tape.gradient(total, [x_tf] + theirs.trainable_weights)
    assert_close(out, their_out.numpy(), FORWARD_ATOL, FORWARD_RTOL, what="forward")
    assert_close(grad_x, their_grads[0].numpy(), GRAD_ATOL, GRAD_RTOL, what="d/dx")
    assert len(ours.trainable_variables) == len(their_grads) - 1 == 8
    for variable, theirs_grad in zip(ours.trainable_variables, their_grads[1:]):
        assert_close(variable.grad, theirs_grad.numpy(), GRAD_ATOL, GRAD_RTOL, what=variable.path)


@pytest.mark.parametrize("softmax_as_layer", [False, True], ids=["dense_softmax", "softmax_layer"])
def test_crossentropy_on_a_nested_softmax_uses_the_logits_like_keras(softmax_as_layer):
    """Keras's TF backend reads ``_keras_logits`` off the nested model's softmax output, so the
    loss of a sample whose class has probability e^-60 is 60, not -log(1e-7) ≈ 16.1 (clipped)."""
    dense = layers.Dense(3, activation=None if softmax_as_layer else "softmax")
    inner = scratch.Sequential([dense] + ([layers.Softmax()] if softmax_as_layer else []))
    ours = scratch.Sequential([scratch.Input((2,)), inner])
    dense.set_weights([np.array([[30, 0, -30], [0, 0, 0]], np.float32), np.zeros(3, np.float32)])
    theirs = keras_ref.to_keras(ours)
    x, y = np.array([[1, 0], [0.2, 0.1]], np.float32), np.array([2, 0])
    for model in (ours, theirs):
        model.compile("sgd", "sparse_categorical_crossentropy")
    their_loss = theirs.evaluate(x, y, verbose=0)
    assert their_loss > 25   # Keras took the logits
    assert_close(ours.evaluate(x, y, verbose=0), their_loss, FORWARD_ATOL, FORWARD_RTOL, what="loss")
    # and the gradient of the training step, from the logits
    ours.compute_gradients(x, y)
    with tf.GradientTape() as tape:
        loss = theirs.compute_loss(x=x, y=y, y_pred=theirs(x, training=True))
    for variable, theirs_grad in zip(ours.trainable_variables, tape.gradient(loss, theirs.trainable_weights)):
        assert_close(variable.grad, theirs_grad.numpy(), GRAD_ATOL, GRAD_RTOL, what=variable.path)


def test_a_compiled_inner_model_keeps_its_own_loss_out_of_the_outer_backward():
    """The inner model's own crossentropy (it was trained alone first) plays no part when it is a
    layer: the outer's loss decides, and here it does not end in the inner model."""
    ours, inner = nested_mlp()
    inner.compile("sgd", "sparse_categorical_crossentropy")
    outer = scratch.Sequential([ours, layers.Dense(2, activation="softmax")])
    theirs = keras_ref.to_keras(outer)
    x, y = teacher(12, classes=2)
    outer.compile("sgd", "sparse_categorical_crossentropy")
    theirs.compile("sgd", "sparse_categorical_crossentropy")
    outer.compute_gradients(x, y)
    with tf.GradientTape() as tape:
        loss = theirs.compute_loss(x=x, y=y, y_pred=theirs(x, training=True))
    for variable, theirs_grad in zip(outer.trainable_variables, tape.gradient(loss, theirs.trainable_weights)):
        assert_close(variable.grad, theirs_grad.numpy(), GRAD_ATOL, GRAD_RTOL, what=variable.path)


def test_probability_model_predicts_kerass_numbers(monkeypatch):
    """The basic-classification tutorial: ``probability_model = Sequential([model, Softmax()])``."""
    monkeypatch.setenv("COLUMNS", "80")
    fresh_names()
    model = scratch.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(128, activation="relu"),
                                layers.Dense(10)])
    model.compile("adam", scratch.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    x = np.random.default_rng(0).random((64, 28, 28), dtype=np.float32)
    model.fit(x, np.arange(64) % 10, epochs=1, verbose=0)
    probability_model = scratch.Sequential([model, layers.Softmax()])
    theirs = keras_ref.to_keras(probability_model)
    their_model = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)),
                                    keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)])
    their_probability_model = keras.Sequential([their_model, keras.layers.Softmax()])
    assert summary_text(probability_model) == summary_text(their_probability_model)
    predictions = probability_model.predict(x, verbose=0)
    assert_close(predictions, theirs.predict(x, verbose=0), FORWARD_ATOL, FORWARD_RTOL, what="probabilities")
    assert_close(predictions.sum(axis=1), np.ones(64), 1e-6, what="rows sum to 1")
    assert probability_model.get_weights()[0] is not model.weights[0].value   # copies, as Keras
    np.testing.assert_array_equal(probability_model.get_weights()[0], model.weights[0].value)


# ----------------------------------------------------------------------------- training
def test_training_the_outer_model_trains_the_inner_like_keras():
    ours, inner = nested_mlp()
    theirs = keras_ref.to_keras(ours)
    before = inner.get_weights()
    x, y = teacher(40)
    ours.compile(scratch.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    theirs.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    fit_args = dict(batch_size=8, epochs=2, shuffle=False, verbose=0, validation_split=0.25)
    our_history, their_history = ours.fit(x, y, **fit_args), theirs.fit(x, y, **fit_args)
    for key, values in their_history.history.items():
        assert_close(our_history.history[key], values, HISTORY_ATOL, what=key)
    for i, (a, b) in enumerate(zip(ours.get_weights(), theirs.get_weights())):
        assert_close(a, b, TRAINING_ATOL, what=f"weight {i}")
    after = inner.get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(before, after)), "the inner model trained"
    for a, b in zip(after, theirs.layers[1].get_weights()):
        assert_close(a, b, TRAINING_ATOL, what="inner.get_weights() after the outer's fit")


def test_dropout_in_a_nested_model_is_active_in_fit_and_the_identity_in_predict():
    """Our Dropout draws a mask per step (``mask_fn``); the Keras twin replays them in TF's own
    dropout code inside its nested model, run eagerly: ``training`` reaches the inner layers."""
    rate, masks = 0.3, []
    dropout = recording_dropout(rate, masks, seed=5)
    ours, _ = nested_mlp(dropout)
    twin = keras_ref.to_keras(ours)
    replay = []
    theirs = keras.Sequential([keras.Input((5,)), twin.layers[0], keras.Sequential(
        [SharedMaskDropout(rate, replay, name=l.name) if isinstance(l, keras.layers.Dropout) else l
         for l in twin.layers[1].layers], name=twin.layers[1].name)])
    x, y = teacher(40, seed=2)
    ours.compile(scratch.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    theirs.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"],
                   run_eagerly=True)
    fit_args = dict(batch_size=8, epochs=2, shuffle=False, verbose=0)
    our_history = ours.fit(x, y, **fit_args)
    assert len(masks) == 10 and not all(mask.all() for mask in masks)
    replay.extend(masks)
    their_history = theirs.fit(x, y, **fit_args)
    assert replay == [], "Keras took one mask per training step"
    for key, values in their_history.history.items():
        assert_close(our_history.history[key], values, HISTORY_ATOL, what=key)
    for i, (a, b) in enumerate(zip(ours.get_weights(), theirs.get_weights())):
        assert_close(a, b, TRAINING_ATOL, what=f"weight {i}")
    # inference: no mask drawn, the same numbers as Keras's
    predictions = ours.predict(x, verbose=0)
    assert len(masks) == 10
    assert_close(predictions, theirs.predict(x, verbose=0), FORWARD_ATOL, FORWARD_RTOL, what="predict")


# ----------------------------------------------------------------------------- bridge and files
def test_from_keras_rebuilds_a_nested_model():
    k_inner = keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dropout(0.2)],
                               name="block")
    theirs = keras.Sequential([keras.Input((3,)), k_inner, keras.layers.Dense(2, activation="softmax")])
    ours = keras_ref.from_keras(theirs)
    assert isinstance(ours.layers[0], scratch.Sequential) and ours.layers[0].name == "block"
    assert [l.name for l in ours.layers[0].layers] == [l.name for l in k_inner.layers]
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), FORWARD_ATOL, FORWARD_RTOL)
    back = keras_ref.to_keras(ours)
    assert isinstance(back.layers[0], keras.Sequential)
    for a, b in zip(back.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


def _file_entries(path):
    entries = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, item: entries.__setitem__(
            name, (dict(item.attrs), item.shape if isinstance(item, h5py.Dataset) else None)))
        entries["/"] = dict(f["vars"].attrs)
    return entries


def test_weight_files_of_nested_models_have_kerass_layout_and_load_both_ways(tmp_path):
    inner_inner = scratch.Sequential([layers.Dense(3)])
    inner = scratch.Sequential([layers.Dense(4, activation="relu"), inner_inner, layers.Dense(3)])
    ours = scratch.Sequential([scratch.Input((5,)), layers.Dense(5), inner, layers.Softmax()])
    theirs = keras_ref.to_keras(ours)
    our_path, their_path = str(tmp_path / "ours.weights.h5"), str(tmp_path / "theirs.weights.h5")
    ours.save_weights(our_path)
    theirs.save_weights(their_path)
    assert "layers/sequential/layers/sequential/layers/dense/vars/0" in _file_entries(our_path)
    assert _file_entries(our_path) == _file_entries(their_path)

    # scratch -> Keras: a fresh Keras twin reads our file
    fresh = keras_ref.to_keras(ours)
    fresh.set_weights([np.zeros_like(w) for w in fresh.get_weights()])
    fresh.load_weights(our_path)
    for a, b in zip(fresh.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(a, b)
    # Keras -> scratch: new Keras weights land in the inner models' variables
    theirs.set_weights([np.full_like(w, i) for i, w in enumerate(theirs.get_weights())])
    theirs.save_weights(their_path)
    ours.load_weights(their_path)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(inner_inner.get_weights()[0], theirs.get_weights()[4])


def test_a_weight_file_that_does_not_fit_the_nested_model_changes_nothing(tmp_path):
    ours, _ = nested_mlp()
    path = str(tmp_path / "other.weights.h5")
    other = scratch.Sequential([scratch.Input((5,)), layers.Dense(6),
                                scratch.Sequential([layers.Dense(8), layers.Dense(4)])])
    other.save_weights(path)
    before = ours.get_weights()
    with pytest.raises(ValueError, match=r"'layers/sequential/layers/dense_1/vars' of .* has shape \(8, 4\) "
                                         r"where dense_.*/kernel expects \(8, 3\)"):
        ours.load_weights(path)
    with h5py.File(path, "a") as f:
        del f["layers/sequential/layers"]
    with pytest.raises(ValueError, match="no group 'layers/sequential/layers' where the nested model"):
        ours.load_weights(path)
    for a, b in zip(ours.get_weights(), before):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- data parallelism
class ThreadLog(Layer):
    """Identity layer that notes the thread of each training forward (and waits a little, so
    that a worker is still busy when the next share is handed out: each share gets a thread)."""

    def __init__(self, log, **kwargs):
        super().__init__(**kwargs)
        self.log = log

    def forward(self, x, training=False):
        if training:
            self.log.append(threading.get_ident())
            time.sleep(0.01)
        return x

    def backward(self, grad_output):
        return grad_output


def _nested_with_dropout(log):
    inner = scratch.Sequential([layers.Dense(16, activation="relu"), ThreadLog(log),
                                layers.Dropout(0.3, seed=7), layers.Dense(3, activation="softmax")])
    model = scratch.Sequential([scratch.Input((5,)), layers.Dense(8, activation="relu"), inner])
    model.set_weights([np.random.default_rng(i).standard_normal(w.shape).astype(np.float32) * 0.3
                       for i, w in enumerate(model.get_weights())])
    return model


def test_replicas_copy_a_nested_models_layers_and_share_its_weights():
    model = _nested_with_dropout([])
    engine = DataParallel(model, batch_size=48, count=3)
    inner = model.layers[1]
    for replica in engine.replicas[1:]:
        twin = replica.layers[1]
        assert twin is not inner and isinstance(twin, scratch.Sequential)
        assert all(a is not b for a, b in zip(twin.layers, inner.layers))   # own caches
        assert [v.value for v in twin.weights] == [v.value for v in inner.weights]   # the same arrays
        assert all(v.value is w.value for v, w in zip(twin.weights, inner.weights))
    assert engine.replicas[0].layers[1] is inner   # replica 0 runs the model's own layers


def test_a_split_fit_of_a_nested_model_trains_like_one_pass(force_replicas):
    """48 samples at batch 24 over 3 replicas (8 each, 3 threads), Dropout inside the nested
    model drawn once per batch: weights and History after 2 epochs match the one-pass run."""
    x, y = teacher(60, seed=4)
    results = []
    for cores in (3, 1):
        force_replicas(cores)
        scratch.set_random_seed(1234)   # the same shuffles in both runs
        log = []
        model = _nested_with_dropout(log)
        model.compile(scratch.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=24, epochs=2, validation_split=0.2, verbose=0)
        results.append((model, history, log))
    (split, split_history, split_log), (one, one_history, one_log) = results
    assert len(set(split_log)) == 3 and len(set(one_log)) == 1
    for key, values in one_history.history.items():
        assert_close(split_history.history[key], values, SPLIT_ATOL, what=key)
    for i, (a, b) in enumerate(zip(split.get_weights(), one.get_weights())):
        assert_close(a, b, SPLIT_ATOL, what=f"weight {i}")
    start = _nested_with_dropout([]).get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(one.get_weights(), start)), "it trained"
    assert_close(split.predict(x, verbose=0), one.predict(x, verbose=0), SPLIT_ATOL, what="predict")
