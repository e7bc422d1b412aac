"""Promises kept under faults, against what Keras 3 does on the same call (run here):

1. no samples: ``fit``/``evaluate`` on 0 samples and an empty ``validation_data`` — Keras warns
   "Your input ran out of data" and returns empty logs (``val_`` metrics left out, so
   EarlyStopping only warns); scratch refuses with a ``ValueError`` naming the argument;
   ``predict`` on 0 samples returns a ``(0, outputs)`` array (Keras fails with an internal
   ``UnboundLocalError``);
2. inputs Keras takes silently or fails on late (complex ``x``,
   float64 values beyond float32's range, labels of 1e20, ``use_bias="no"``, ``input_shape=(28.5,)``):
   Keras's behaviour is shown, scratch's error is asserted;
3. a layer reused in a second model: Keras keeps each model's own shapes; a scratch layer holds
   one input shape, so it refuses another and the first model's summary stays as it was.
"""
import warnings

import numpy as np
import pytest

from parity_tests.keras_available import keras
from parity_tests.test_bad_input import assert_rejects
import scratch
from scratch import layers

F32 = np.float32
X = np.random.default_rng(0).standard_normal((6, 4)).astype(F32)
Y = np.array([0, 1, 2, 0, 1, 2])
RAN_OUT = "Your input ran out of data"


def twins(stack):
    """The same compiled one-layer classifier on either stack."""
    module = scratch if stack == "scratch" else keras
    model = module.Sequential([module.Input((4,)), module.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def keras_call(call):
    """``(result, warning messages)`` of a Keras call."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [str(w.message) for w in caught]


# ---------------------------------------------------------------------------- 1. no samples
def test_fit_on_no_samples_keras_returns_empty_logs_scratch_refuses():
    history, messages = keras_call(lambda: twins("keras").fit(X[:0], Y[:0], epochs=2, verbose=0))
    assert history.history == {} and any(RAN_OUT in m for m in messages)
    model = twins("scratch")
    before = model.get_weights()
    error = assert_rejects(lambda: model.fit(X[:0], Y[:0], epochs=2, verbose=0), ValueError, "x", "0 samples")
    assert "(0, 4)" in str(error)
    assert model.optimizer.iterations == 0 and model.history is None
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_evaluate_on_no_samples_keras_returns_nothing_scratch_refuses():
    logs, messages = keras_call(lambda: twins("keras").evaluate(X[:0], Y[:0], verbose=0, return_dict=True))
    assert logs == {} and any(RAN_OUT in m for m in messages)
    values, _ = keras_call(lambda: twins("keras").evaluate(X[:0], Y[:0], verbose=0))
    assert values == []                                  # not a loss of 0.0: nothing at all
    assert_rejects(lambda: twins("scratch").evaluate(X[:0], Y[:0], verbose=0), ValueError, "x", "0 samples")
    assert_rejects(lambda: twins("scratch").evaluate(X[:0], Y[:0], verbose=0, return_dict=True), ValueError, "x",
                   "0 samples")


def test_empty_validation_data_keras_drops_val_metrics_scratch_refuses():
    """Keras trains, leaves ``val_loss`` out and EarlyStopping(monitor="val_loss") warns every epoch
    and never stops; scratch refuses the empty set as it refuses a split that leaves one (as Keras does)."""
    stop = keras.callbacks.EarlyStopping(patience=0)
    history, messages = keras_call(lambda: twins("keras").fit(X, Y, epochs=3, verbose=0, callbacks=[stop],
                                                              validation_data=(X[:0], Y[:0])))
    assert sorted(history.history) == ["accuracy", "loss"] and len(history.epoch) == 3
    assert any("`val_loss` which is not available" in m for m in messages)
    model = twins("scratch")
    assert_rejects(lambda: model.fit(X, Y, epochs=3, verbose=0, validation_data=(X[:0], Y[:0]),
                                     callbacks=[scratch.callbacks.EarlyStopping(patience=0)]),
                   ValueError, "validation_data", "0 samples")
    assert model.optimizer.iterations == 0
    with pytest.raises(ValueError, match="validation_split"):  # Keras too refuses an empty split
        keras_call(lambda: twins("keras").fit(X[:1], Y[:1], validation_split=0.5, verbose=0))


def test_predict_on_no_samples_returns_an_empty_array():
    """Keras 3.15 fails inside its predict loop (``UnboundLocalError``: no batch ran); an empty
    prediction is well defined and reports no score, so scratch returns one."""
    with pytest.raises(UnboundLocalError):
        keras_call(lambda: twins("keras").predict(X[:0], verbose=0))
    out = twins("scratch").predict(X[:0], verbose=0)
    assert out.shape == (0, 3) and out.dtype == F32


# ---------------------------------------------------------------------------- 2. inputs Keras lets through
def test_complex_inputs_keras_drops_the_imaginary_part_scratch_refuses():
    model = twins("keras")
    assert np.array_equal(model.predict(X + 1j, verbose=0), model.predict(X, verbose=0))
    assert_rejects(lambda: twins("scratch").predict(X + 1j, verbose=0), TypeError, "x", "complex64")


def test_validation_data_with_sample_weights_accepted_as_in_keras():
    weights = np.linspace(0.0, 2.0, 6)
    ours_model, theirs_model = twins("scratch"), twins("keras")
    ours_model.build((None, 4))
    theirs_model.set_weights(ours_model.get_weights())
    theirs = theirs_model.fit(X, Y, validation_data=(X, Y, weights), verbose=0, shuffle=False).history
    ours = ours_model.fit(X, Y, validation_data=(X, Y, weights), verbose=0, shuffle=False).history
    assert sorted(ours) == sorted(theirs)
    assert abs(ours["val_loss"][0] - theirs["val_loss"][0]) < 1e-5


def test_inputs_beyond_float32_keras_trains_to_nan_scratch_names_the_overflow():
    big = X.astype(np.float64)
    big[2, 1] = 1e39
    history, messages = keras_call(lambda: twins("keras").fit(big, Y, verbose=0))
    assert np.isnan(history.history["loss"][0]) and any("overflow" in m for m in messages)
    error = assert_rejects(lambda: twins("scratch").fit(big, Y, verbose=0), ValueError, "x", "1e+39")
    assert "float32" in str(error) and "non-finite" not in str(error)


def test_huge_labels_are_reported_as_they_are():
    with pytest.raises(Exception, match="Received a label value of"):   # Keras: inside the graph
        keras_call(lambda: twins("keras").fit(X, np.r_[Y[:5], 1e20], verbose=0))
    error = assert_rejects(lambda: twins("scratch").fit(X, np.r_[Y[:5], 1e20], verbose=0), ValueError, "y",
                           "1e+20")
    assert "-9223372036854775808" not in str(error)


def test_non_bool_flags_and_fractional_shapes():
    keras_layer = keras.layers.Dense(3, use_bias="no")                # truthy: Keras keeps the bias
    keras_layer.build((None, 4))
    assert len(keras_layer.weights) == 2
    with pytest.raises(ValueError, match="trainable"):
        keras.layers.Dense(3, trainable="no")
    with pytest.raises(ValueError, match="28.5"):
        keras.Input((28.5,))
    assert_rejects(lambda: layers.Dense(3, use_bias="no"), TypeError, "use_bias", "'no'")
    assert_rejects(lambda: layers.Dense(3, trainable="no"), ValueError, "trainable", "'no'")
    assert_rejects(lambda: layers.Flatten(input_shape=(28.5,)), ValueError, "input_shape", "28.5")


# ---------------------------------------------------------------------------- 3. a layer in two models
def test_a_layer_reused_with_another_shape_is_refused_and_the_first_model_keeps_its_summary(capsys):
    """Keras: each model keeps its own shapes. Scratch's layer holds one input and output shape
    (the summary reads them), so a second model with another input shape is refused."""
    shared = keras.layers.Flatten()
    first = keras.Sequential([keras.Input((2, 3)), shared])
    keras.Sequential([keras.Input((4, 5)), shared])
    assert first.output_shape == (None, 6)

    flatten = layers.Flatten(name="shared_flatten")
    model = scratch.Sequential([scratch.Input((2, 3)), flatten])
    model.summary()
    summary = capsys.readouterr().out
    error = assert_rejects(lambda: scratch.Sequential([scratch.Input((4, 5)), flatten]), ValueError, "input_shape",
                           "(None, 4, 5)")
    assert "shared_flatten" in str(error) and "(None, 2, 3)" in str(error)
    model.summary()
    assert capsys.readouterr().out == summary
    assert (flatten.input_shape, flatten.output_shape, model.output_shape) == ((None, 2, 3), (None, 6), (None, 6))
    second = scratch.Sequential([scratch.Input((2, 3)), flatten])    # the same shape: still fine
    assert second.output_shape == (None, 6)
    flatten.build((32, 2, 3))                                        # the batch axis is free
    assert flatten.input_shape == (32, 2, 3)


@pytest.mark.parametrize("make,shape,other", [
    (lambda: layers.Dense(3), (None, 4), (None, 5, 4)),               # Keras's Dense would take this
    (lambda: layers.Conv2D(2, 3), (None, 6, 6, 1), (None, 8, 8, 1)),  # and Conv2D this
    (lambda: layers.MaxPooling2D(), (None, 4, 4, 2), (None, 6, 6, 2)),
    (lambda: layers.Dropout(0.5), (None, 4), (None, 7)),
    (lambda: layers.ReLU(), (None, 4), (None, 3, 4)),
])
def test_every_built_layer_refuses_another_input_shape(make, shape, other):
    layer = make()
    layer.build(shape)
    weights, output_shape = layer.get_weights(), layer.output_shape
    assert_rejects(lambda: layer.build(other), ValueError, "input_shape", str(other))
    assert (layer.input_shape, layer.output_shape) == (shape, output_shape)
    for a, b in zip(layer.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    layer.build(shape)
    assert layer.output_shape == output_shape


def test_an_unbuilt_model_holding_a_built_layer_refuses_data_of_another_shape_before_building():
    dense = layers.Dense(3)
    dense.build((None, 5))
    head = layers.Dense(2, activation="softmax")
    model = scratch.Sequential([layers.Flatten(), dense, head])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert_rejects(lambda: model.fit(np.zeros((4, 2, 3), F32), np.zeros(4), verbose=0), ValueError, "input_shape",
                   "(None, 6)")
    assert not model.built and not head.built and not model.layers[0].built
    model.fit(np.zeros((4, 5), F32), np.zeros(4), verbose=0)
    assert model.built and model.output_shape == (None, 2)
