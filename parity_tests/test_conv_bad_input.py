"""Bad input to the CNN layers (Conv2D, MaxPooling2D, Dropout, Rescaling): every case raises
``ValueError``/``TypeError`` whose message starts with the argument's name, says what was
expected and shows what came — and nothing changed: a refused constructor consumes no automatic
name (the counter behind ``conv2d``, ``conv2d_1``, … did not advance), a refused build leaves the
layer unbuilt and weightless, a refused model ``add`` leaves the model as it was. No TensorFlow
needed: the truth is that contract and Keras's own checks, as its source has them:
keras/src/layers/convolutional/base_conv.py (``BaseConv.__init__``: positive filters, no 0 in
kernel_size or strides, no strides > 1 together with dilation_rate > 1),
keras/src/utils/argument_validation.py (``standardize_padding``: "valid"/"same", any case),
keras/src/layers/regularization/dropout.py (``Dropout.__init__``: 0 ≤ rate ≤ 1), and "same"
padding that pads up to the window (output ceil(n / s), checked against TensorFlow in
test_conv_ops.py).
"""
import numpy as np
import pytest

import scratch
from parity_tests.test_bad_input import assert_rejects
from scratch import backend, layers, naming

C, P, D, R = layers.Conv2D, layers.MaxPooling2D, layers.Dropout, layers.Rescaling


def _id(case):
    return case.values[0][0] if hasattr(case, "values") else case[0]


def counters():
    return dict(naming._counters)


# ----------------------------------------------------------------------------- constructors
# (id, call, exception, argument named, received value shown)
CONSTRUCTOR_CASES = [
    ("conv-filters-zero", lambda: C(0, 3), ValueError, "filters", "0"),
    ("conv-filters-negative", lambda: C(-4, 3), ValueError, "filters", "-4"),
    ("conv-filters-float", lambda: C(2.5, 3), ValueError, "filters", "2.5"),
    ("conv-filters-string", lambda: C("32", 3), TypeError, "filters", "'32'"),
    ("conv-kernel-zero", lambda: C(4, 0), ValueError, "kernel_size", "0"),
    ("conv-kernel-negative-entry", lambda: C(4, (3, -1)), ValueError, "kernel_size", "(3, -1)"),
    ("conv-kernel-three-entries", lambda: C(4, (3, 3, 3)), ValueError, "kernel_size", "(3, 3, 3)"),
    ("conv-kernel-float", lambda: C(4, 2.5), ValueError, "kernel_size", "2.5"),
    ("conv-strides-zero", lambda: C(4, 3, strides=0), ValueError, "strides", "0"),
    ("conv-strides-negative", lambda: C(4, 3, strides=(1, -2)), ValueError, "strides", "(1, -2)"),
    ("conv-dilation-zero", lambda: C(4, 3, dilation_rate=0), ValueError, "dilation_rate", "0"),
    ("conv-strides-and-dilation", lambda: C(4, 3, strides=2, dilation_rate=2), ValueError, "strides",
     "strides=(2, 2) and dilation_rate=(2, 2)"),
    ("conv-strides-and-dilation-mixed", lambda: C(4, 3, strides=(1, 2), dilation_rate=(2, 1)), ValueError,
     "strides", "strides=(1, 2) and dilation_rate=(2, 1)"),
    ("conv-padding-unknown", lambda: C(4, 3, padding="full"), ValueError, "padding", "'full'"),
    ("conv-padding-causal", lambda: C(4, 3, padding="causal"), ValueError, "padding", "'causal'"),
    ("conv-padding-int", lambda: C(4, 3, padding=1), ValueError, "padding", "1"),
    ("conv-activation-unknown", lambda: C(4, 3, activation="swish"), ValueError, "activation", "'swish'"),
    ("conv-data-format", lambda: C(4, 3, data_format="channels_first"), ValueError, "data_format",
     "'channels_first'"),
    ("conv-groups", lambda: C(4, 3, groups=2), ValueError, "groups", "2"),
    ("conv-use-bias-string", lambda: C(4, 3, use_bias="yes"), TypeError, "use_bias", "'yes'"),
    ("conv-kernel-initializer", lambda: C(4, 3, kernel_initializer="he_nrmal"), ValueError,
     "kernel_initializer", "'he_nrmal'"),
    ("conv-input-shape-zero", lambda: C(4, 3, input_shape=(0, 28, 1)), ValueError, "input_shape",
     "(0, 28, 1)"),
    ("pool-size-zero", lambda: P(0), ValueError, "pool_size", "0"),
    ("pool-size-negative-entry", lambda: P((2, -1)), ValueError, "pool_size", "(2, -1)"),
    ("pool-size-float", lambda: P(2.5), ValueError, "pool_size", "2.5"),
    ("pool-strides-zero", lambda: P(2, strides=0), ValueError, "strides", "0"),
    ("pool-strides-negative", lambda: P(2, strides=-1), ValueError, "strides", "-1"),
    ("pool-padding-unknown", lambda: P(2, padding="full"), ValueError, "padding", "'full'"),
    ("pool-data-format", lambda: P(2, data_format="channels_first"), ValueError, "data_format", "'channels_first'"),
    ("dropout-rate-one", lambda: D(1.0), ValueError, "rate", "1.0"),
    ("dropout-rate-negative", lambda: D(-0.1), ValueError, "rate", "-0.1"),
    ("dropout-rate-above-one", lambda: D(1.5), ValueError, "rate", "1.5"),
    ("dropout-rate-nan", lambda: D(float("nan")), ValueError, "rate", "nan"),
    ("dropout-rate-string", lambda: D("0.5"), TypeError, "rate", "'0.5'"),
    ("dropout-rate-bool", lambda: D(True), TypeError, "rate", "True"),
    ("dropout-seed-negative", lambda: D(0.5, seed=-1), ValueError, "seed", "-1"),
    ("dropout-seed-float", lambda: D(0.5, seed=1.5), ValueError, "seed", "1.5"),
    ("dropout-noise-shape-string", lambda: D(0.5, noise_shape="batch"), ValueError, "noise_shape", "'batch'"),
    ("dropout-noise-shape-zero", lambda: D(0.5, noise_shape=(None, 0)), ValueError, "noise_shape", "(None, 0)"),
    ("rescaling-scale-string", lambda: R("1/255"), TypeError, "scale", "'1/255'"),
    ("rescaling-scale-nan", lambda: R(float("nan")), ValueError, "scale", "nan"),
    ("rescaling-offset-none", lambda: R(1 / 255, offset=None), TypeError, "offset", "None"),
]


@pytest.mark.parametrize("case", CONSTRUCTOR_CASES, ids=[_id(c) for c in CONSTRUCTOR_CASES])
def test_bad_constructor_arguments_consume_no_name(case):
    _, call, exception, argument, received = case
    before = counters()
    assert_rejects(call, exception, argument, received)
    assert counters() == before, "a refused layer must not advance the automatic-name counter"


def test_dropout_rate_one_says_why_keras_differs():
    error = assert_rejects(lambda: D(1.0), ValueError, "rate", "1.0")
    assert "Keras accepts 1.0" in str(error) and "divides by zero" in str(error)


@pytest.mark.parametrize("padding", ["SAME", "Same", "VALID", "valid"])
def test_padding_is_case_insensitive_like_keras(padding):
    assert C(2, 3, padding=padding).padding == padding.lower()
    assert P(2, padding=padding).padding == padding.lower()


# ----------------------------------------------------------------------------- build
# (id, layer, input shape, exception, argument named, received value shown, further text)
BUILD_CASES = [
    ("conv-3d-images-without-channel", lambda: C(4, 3), (None, 28, 28), ValueError, "input_shape",
     "(None, 28, 28)", "x[..., None]"),
    ("conv-2d-input", lambda: C(4, 3), (None, 784), ValueError, "input_shape", "(None, 784)",
     "(batch, height, width, channels)"),
    ("conv-5d-input", lambda: C(4, 3), (None, 2, 8, 8, 1), ValueError, "input_shape", "(None, 2, 8, 8, 1)",
     "channels_last"),
    ("conv-kernel-larger-than-input", lambda: C(4, 5), (None, 4, 4, 1), ValueError, "kernel_size", "(5, 5)",
     "zero or negative"),
    ("conv-kernel-wider-than-input", lambda: C(4, (1, 5)), (None, 8, 4, 2), ValueError, "kernel_size", "(1, 5)",
     "zero or negative"),
    ("conv-dilated-kernel-larger", lambda: C(4, 3, dilation_rate=3), (None, 6, 6, 1), ValueError, "kernel_size",
     "(3, 3)", "dilated to (7, 7)"),
    ("pool-3d-input", lambda: P(), (None, 28, 28), ValueError, "input_shape", "(None, 28, 28)", "x[..., None]"),
    ("pool-larger-than-input", lambda: P(3), (None, 2, 2, 1), ValueError, "pool_size", "(3, 3)", "zero or negative"),
    ("dropout-noise-shape-rank", lambda: D(0.5, noise_shape=(None, 1)), (None, 4, 3), ValueError, "noise_shape",
     "(None, 1)", "3 entries"),
    ("dropout-noise-shape-size", lambda: D(0.5, noise_shape=(None, 2)), (None, 3), ValueError, "noise_shape",
     "(None, 2)", "None, 1 or the input's size"),
    ("rescaling-scale-per-channel", lambda: R([1.0, 2.0]), (None, 4, 4, 3), ValueError, "scale", "(2,)",
     "broadcastable"),
]


@pytest.mark.parametrize("case", BUILD_CASES, ids=[c[0] for c in BUILD_CASES])
def test_bad_input_shape_at_build_leaves_the_layer_unbuilt(case):
    _, make, shape, exception, argument, received, text = case
    layer = make()
    before = counters()
    error = assert_rejects(lambda: layer.build(shape), exception, argument, received)
    assert text in str(error)
    assert layer.name in str(error), "the message names the layer"
    # untouched: unbuilt, or built on construction (a layer without weights, as in Keras) and shapeless
    assert (layer.built, layer.weights, layer.input_shape, layer.output_shape) == (
        type(layer).built_at_init, [], None, None)
    assert counters() == before


def test_same_padding_never_refuses_a_small_input():
    """``same`` pads up to the window: Keras builds it (output ceil(n/s)), so must we."""
    layer = C(2, 5, padding="same")
    layer.build((None, 3, 2, 1))
    assert layer.output_shape == (None, 3, 2, 2)
    pool = P(3, padding="same")
    pool.build((None, 2, 2, 1))
    assert pool.output_shape == (None, 1, 1, 1)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
def test_conv_rebuilt_or_called_with_other_channels_keeps_its_weights(backend_name):
    backend.set_backend(backend_name)
    layer = C(3, 3)
    layer(np.ones((2, 5, 5, 2), np.float32))
    before = layer.get_weights()
    assert_rejects(lambda: layer.build((None, 5, 5, 3)), ValueError, "input_shape", "(None, 5, 5, 3)")
    assert_rejects(lambda: layer(np.ones((2, 5, 5, 3), np.float32)), ValueError, layer.name, "(2, 5, 5, 3)",
                   expects=True)
    for a, b in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert layer.input_shape == (None, 5, 5, 2) and layer.output_shape == (None, 3, 3, 3)


def test_model_add_refuses_images_without_a_channel_axis():
    model = scratch.Sequential([scratch.Input((28, 28))])
    conv = C(32, 3, activation="relu")
    error = assert_rejects(lambda: model.add(conv), ValueError, "input_shape", "(None, 28, 28)")
    assert "x[..., None]" in str(error)
    assert model.layers == [] and not conv.built
    before = counters()
    assert_rejects(lambda: scratch.Sequential([C(8, 3, input_shape=(28, 28))]), ValueError, "input_shape",
                   "(None, 28, 28)")
    assert counters()["sequential"] == before["sequential"] + 1  # the model's name was taken first, as in Keras


def test_fit_of_an_unbuilt_cnn_on_images_without_channels_changes_nothing():
    model = scratch.Sequential([C(4, 3), P(), layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = np.zeros((6, 8, 8), np.float32), np.arange(6) % 3
    error = assert_rejects(lambda: model.fit(x, y, verbose=0), ValueError, "input_shape", "(None, 8, 8)")
    assert "x[..., None]" in str(error)
    assert not model.built and model.weights == [] and model.optimizer.iterations == 0
    model.fit(x[..., None], y, verbose=0)  # the suggested fix works
    assert model.built and model.layers[0].kernel.shape == (3, 3, 1, 4)


def test_predict_of_a_built_cnn_on_images_without_channels_names_x():
    model = scratch.Sequential([C(4, 3, input_shape=(8, 8, 1)), layers.Flatten(), layers.Dense(2)])
    before = model.get_weights()
    assert_rejects(lambda: model.predict(np.zeros((5, 8, 8)), verbose=0), ValueError, "x", "(5, 8, 8)")
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- Dropout at run time
def test_dropout_mask_fn_of_the_wrong_shape_is_refused():
    layer = D(0.5)
    layer.mask_fn = lambda shape: np.ones((2, 2), bool)
    assert_rejects(lambda: layer(np.ones((3, 4), np.float32), training=True), ValueError, "mask_fn", "(2, 2)")
    layer.mask_fn = lambda shape: np.ones(shape)  # floats, not a boolean mask
    assert_rejects(lambda: layer(np.ones((3, 4), np.float32), training=True), ValueError, "mask_fn", "float64")
    assert layer.mask is None


def test_dropout_noise_shape_batch_entry_must_fit_at_run_time():
    layer = D(0.5, noise_shape=(2, 1))
    layer.build((None, 4))  # the batch size is only known at run time
    assert_rejects(lambda: layer(np.ones((3, 4), np.float32), training=True), ValueError, "noise_shape", "(2, 1)")
    assert layer(np.ones((2, 4), np.float32), training=True).shape == (2, 4)


def test_predict_on_images_without_channel_axis_suggests_adding_it():
    model = scratch.Sequential([scratch.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"x: expected an array of shape \(N, 8, 8, 1\).*received shape "
                                         r"\(4, 8, 8\); add the channel axis, e\.g\. x\[\.\.\., None\]"):
        model.predict(np.zeros((4, 8, 8), np.float32), verbose=0)
