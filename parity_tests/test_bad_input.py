"""Bad input: every case raises ``ValueError``/``TypeError`` (``FileNotFoundError``/``FileExistsError``
for files) whose message starts with the argument's name, says what was expected and shows what
came; and where state could change, nothing changed (weights, optimizer iterations and slots,
History, files). No TensorFlow needed: the truth here is that contract, and Keras's behaviour as
its source shows it, cited at the tests that rely on it (where the kit is stricter, it says so).
"""
import os
import re

import h5py
import numpy as np
import pytest

import scratch
from scratch import backend, layers, losses, naming, optimizers

F32 = np.float32
X = np.random.default_rng(0).standard_normal((6, 4)).astype(F32)
Y = np.array([0, 1, 2, 0, 1, 2])
KERNEL = np.random.default_rng(1).standard_normal((4, 3)).astype(F32)
BIAS = np.array([0.1, -0.2, 0.3], F32)


def assert_rejects(call, exception, argument, received, expects=True):
    """The one helper: ``call()`` raises ``exception`` whose message starts with ``argument:``,
    contains ``received`` (what came) and, unless ``expects=False``, says what was expected."""
    pattern = rf"^{re.escape(argument)}:(?s:.*){re.escape(received)}"
    with pytest.raises(exception, match=pattern) as info:
        call()
    if expects:
        assert "expect" in str(info.value), f"message does not say what was expected: {info.value}"
    return info.value


def with_nonfinite(array, value, index=(0, 0), dtype=F32):
    array = np.array(array, dtype=dtype)
    array[index] = value
    return array


def make_model(units=3, compile_model=True):
    model = scratch.Sequential([scratch.Input((4,)), layers.Dense(units, activation="softmax")])
    model.set_weights([KERNEL[:, :units], BIAS[:units]])
    if compile_model:
        model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def snapshot(model):
    optimizer = model.optimizer
    return (model.get_weights(), optimizer and optimizer.iterations, optimizer and optimizer.built,
            model.history)


def assert_unchanged(model, before):
    weights, iterations, built, history = before
    now = snapshot(model)
    assert len(now[0]) == len(weights)
    for a, b in zip(now[0], weights):
        np.testing.assert_array_equal(a, b)
    assert now[1:] == (iterations, built, history), "optimizer state or History changed"


# ----------------------------------------------------------------------------- fit / evaluate / predict
# (id, method, arguments, exception, argument named, received value shown[, says "expected"])
CALL_CASES = [
    ("predict-wrong-shape", "predict", dict(x=np.zeros((6, 5))), ValueError, "x", "(6, 5)"),
    ("fit-wrong-shape", "fit", dict(x=np.zeros((6, 5)), y=Y), ValueError, "x", "(6, 5)"),
    ("evaluate-wrong-shape", "evaluate", dict(x=np.zeros((6, 5)), y=Y), ValueError, "x", "(6, 5)"),
    ("fit-wrong-rank", "fit", dict(x=np.zeros((6, 2, 2)), y=Y), ValueError, "x", "(6, 2, 2)"),
    ("predict-wrong-rank", "predict", dict(x=np.zeros(4)), ValueError, "x", "(4,)"),
    ("fit-length-mismatch", "fit", dict(x=X, y=Y[:5]), ValueError, "x and y", "6 inputs and 5 targets"),
    ("evaluate-length-mismatch", "evaluate", dict(x=X[:4], y=Y), ValueError, "x and y", "4 inputs and 6 targets"),
    ("fit-label-negative", "fit", dict(x=X, y=np.r_[Y[:5], -1]), ValueError, "y", "label -1"),
    ("fit-label-too-large", "fit", dict(x=X, y=np.r_[3, Y[1:]]), ValueError, "y", "label 3"),
    ("evaluate-label-too-large", "evaluate", dict(x=X, y=np.r_[Y[:5], 10]), ValueError, "y", "label 10"),
    ("fit-label-column-too-large", "fit", dict(x=X, y=np.r_[3, Y[1:]][:, None]), ValueError, "y", "label 3"),
    ("fit-labels-scaled-by-255", "fit", dict(x=X, y=Y / 255.0), ValueError, "y", "0.00392156862745098"),
    ("evaluate-labels-scaled-by-255", "evaluate", dict(x=X, y=Y / 255.0), ValueError, "y", "0.0039215686"),
    ("fit-nan-input", "fit", dict(x=with_nonfinite(X, np.nan), y=Y), ValueError, "x", "1 non-finite"),
    ("fit-inf-input", "fit", dict(x=with_nonfinite(X, np.inf, (2, 3)), y=Y), ValueError, "x", "1 non-finite"),
    ("evaluate-nan-input", "evaluate", dict(x=with_nonfinite(X, np.nan), y=Y), ValueError, "x", "non-finite"),
    ("predict-inf-input", "predict", dict(x=with_nonfinite(X, -np.inf)), ValueError, "x", "non-finite"),
    ("fit-nan-label", "fit", dict(x=X, y=with_nonfinite(Y, np.nan, 0)), ValueError, "y", "non-finite labels"),
    ("fit-inf-label", "fit", dict(x=X, y=with_nonfinite(Y, np.inf, 3)), ValueError, "y", "non-finite labels"),
    ("fit-labels-2d", "fit", dict(x=X, y=np.zeros((6, 3))), ValueError, "y", "(6, 3)"),
    ("fit-labels-strings", "fit", dict(x=X, y=np.array(list("abcabc"))), TypeError, "y", "<U1"),
    ("fit-x-none", "fit", dict(x=None, y=Y), ValueError, "x", "None"),
    ("fit-y-none", "fit", dict(x=X, y=None), ValueError, "y", "None"),
    ("predict-x-strings", "predict", dict(x=np.full((2, 4), "a")), TypeError, "x", "<U1"),
    ("predict-x-scalar", "predict", dict(x=3.0), ValueError, "x", "scalar"),
    ("fit-validation-split-negative", "fit", dict(x=X, y=Y, validation_split=-0.1), ValueError,
     "validation_split", "-0.1"),
    ("fit-validation-split-one", "fit", dict(x=X, y=Y, validation_split=1.0), ValueError, "validation_split", "1.0"),
    ("fit-validation-split-above-one", "fit", dict(x=X, y=Y, validation_split=1.5), ValueError,
     "validation_split", "1.5"),
    ("fit-validation-split-string", "fit", dict(x=X, y=Y, validation_split="0.2"), TypeError,
     "validation_split", "'0.2'"),
    # split_at = floor(n·(1 − split)) of 0 or n leaves one side empty: Keras raises too
    # (keras/src/trainers/data_adapters/array_slicing.py, train_validation_split)
    ("fit-validation-split-no-training-data", "fit", dict(x=X[:1], y=Y[:1], validation_split=0.5), ValueError,
     "validation_split", "no training", False),
    ("fit-validation-split-no-training-data-3", "fit", dict(x=X[:3], y=Y[:3], validation_split=0.9), ValueError,
     "validation_split", "no training", False),
    ("fit-validation-split-no-validation-data", "fit", dict(x=X, y=Y, validation_split=1e-17), ValueError,
     "validation_split", "no validation", False),
    ("fit-batch-size-zero", "fit", dict(x=X, y=Y, batch_size=0), ValueError, "batch_size", "0"),
    ("fit-batch-size-negative", "fit", dict(x=X, y=Y, batch_size=-1), ValueError, "batch_size", "-1"),
    ("fit-batch-size-float", "fit", dict(x=X, y=Y, batch_size=2.5), TypeError, "batch_size", "2.5"),
    ("fit-epochs-zero", "fit", dict(x=X, y=Y, epochs=0), ValueError, "epochs", "0"),
    ("fit-epochs-negative", "fit", dict(x=X, y=Y, epochs=-1), ValueError, "epochs", "-1"),
    ("fit-epochs-float", "fit", dict(x=X, y=Y, epochs=2.5), TypeError, "epochs", "2.5"),
    ("evaluate-batch-size-zero", "evaluate", dict(x=X, y=Y, batch_size=0), ValueError, "batch_size", "0"),
    ("evaluate-batch-size-float", "evaluate", dict(x=X, y=Y, batch_size=2.5), TypeError, "batch_size", "2.5"),
    ("predict-batch-size-negative", "predict", dict(x=X, batch_size=-1), ValueError, "batch_size", "-1"),
    ("predict-batch-size-float", "predict", dict(x=X, batch_size=2.5), TypeError, "batch_size", "2.5"),
    ("fit-verbose-3", "fit", dict(x=X, y=Y, verbose=3), ValueError, "verbose", "3"),
    ("predict-verbose-string", "predict", dict(x=X, verbose="yes"), ValueError, "verbose", "'yes'"),
    ("fit-shuffle-string", "fit", dict(x=X, y=Y, shuffle="yes"), TypeError, "shuffle", "'yes'"),
    ("fit-validation-data-array", "fit", dict(x=X, y=Y, validation_data=X), ValueError, "validation_data",
     "ndarray"),
    ("fit-validation-data-bad-shape", "fit", dict(x=X, y=Y, validation_data=(np.zeros((2, 5)), Y[:2])),
     ValueError, "validation_data[0]", "(2, 5)"),
    ("fit-validation-data-bad-label", "fit", dict(x=X, y=Y, validation_data=(X[:2], np.array([0, 7]))),
     ValueError, "validation_data[1]", "label 7"),
    ("fit-validation-data-nan", "fit", dict(x=X, y=Y, validation_data=(with_nonfinite(X[:2], np.nan), Y[:2])),
     ValueError, "validation_data[0]", "non-finite"),
    ("fit-callbacks-not-callbacks", "fit", dict(x=X, y=Y, callbacks=["early_stopping"]), TypeError, "callbacks",
     "'early_stopping'"),
    # (x, y, sample_weight) is accepted, as in Keras; four elements are not
    ("fit-validation-data-four-elements", "fit", dict(x=X, y=Y, validation_data=(X, Y, np.ones(6), None)),
     ValueError, "validation_data", "4 elements"),
    # a huge float label was cast to int64 first and reported as -9223372036854775808
    ("fit-label-1e20", "fit", dict(x=X, y=np.r_[Y[:5], 1e20]), ValueError, "y", "label 1e+20"),
    ("fit-label-uint64-above-int64", "fit", dict(x=X, y=np.array([*Y[:5], 2 ** 63 + 5], np.uint64)), ValueError,
     "y", "label 9223372036854775813"),
    # finite float64 values beyond float32's range: they overflow in the cast, they are not "non-finite"
    ("fit-x-overflows-float32", "fit", dict(x=with_nonfinite(X, 1e39, dtype=np.float64), y=Y),
     ValueError, "x", "1e+39"),
    ("predict-x-overflows-float32", "predict", dict(x=-1e39 * np.ones((2, 4))), ValueError, "x", "-1e+39"),
    # ragged samples: NumPy's "inhomogeneous shape" error did not name x
    ("predict-ragged-list", "predict", dict(x=[X[0], X[1][:2]]), ValueError, "x", "(4,) and sample 1 of shape (2,)"),
    ("fit-ragged-list", "fit", dict(x=[list(X[0]), list(X[1]), [1.0]], y=Y[:3]), ValueError, "x",
     "sample 2 of shape (1,)"),
    ("fit-validation-data-ragged", "fit", dict(x=X, y=Y, validation_data=([X[0], X[1][:3]], Y[:2])), ValueError,
     "validation_data[0]", "(3,)"),
    # complex inputs lost their imaginary part silently (as in Keras)
    ("predict-complex-x", "predict", dict(x=X + 1j), TypeError, "x", "complex64"),
    ("fit-complex-x", "fit", dict(x=X.astype(np.complex64), y=Y), TypeError, "x", "complex64"),
    ("fit-complex-labels", "fit", dict(x=X, y=Y + 0j), TypeError, "y", "complex128"),
    # 0 samples: Keras warns "Your input ran out of data" and returns empty logs; scratch refuses
    ("fit-no-samples", "fit", dict(x=X[:0], y=Y[:0]), ValueError, "x", "0 samples"),
    ("evaluate-no-samples", "evaluate", dict(x=X[:0], y=Y[:0]), ValueError, "x", "0 samples"),
    ("fit-validation-data-no-samples", "fit", dict(x=X, y=Y, validation_data=(X[:0], Y[:0])), ValueError,
     "validation_data", "0 samples"),
]


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("case", CALL_CASES, ids=[c[0] for c in CALL_CASES])
def test_bad_call_is_rejected_before_any_change(case, backend_name):
    backend.set_backend(backend_name)
    _, method, kwargs, exception, argument, received, *expects = case
    model = make_model()
    before = snapshot(model)
    assert_rejects(lambda: getattr(model, method)(**kwargs, **({"verbose": 0} if "verbose" not in kwargs else {})),
                   exception, argument, received, *expects)
    assert_unchanged(model, before)


def test_bad_targets_for_categorical_crossentropy():
    model = make_model()
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    before = snapshot(model)
    # sparse labels given to the one-hot loss
    assert_rejects(lambda: model.fit(X, Y, verbose=0), ValueError, "y", "(6,)")
    assert_rejects(lambda: model.fit(X, np.eye(4)[Y], verbose=0), ValueError, "y", "(6, 4)")
    assert_rejects(lambda: model.evaluate(X, with_nonfinite(np.eye(3)[Y], np.nan, (1, 1)), verbose=0), ValueError,
                   "y", "non-finite targets")
    assert_rejects(lambda: model.fit(X, np.eye(3)[Y] * 1e39, verbose=0), ValueError, "y", "1e+39")
    assert_rejects(lambda: model.fit(X, np.eye(3)[Y] * 1j, verbose=0), TypeError, "y", "complex128")
    assert_rejects(lambda: model.fit(X, np.array([list("abc")] * 6), verbose=0), TypeError, "y", "<U1")
    assert_unchanged(model, before)


# ----------------------------------------------------------------------------- an unbuilt model stays unbuilt
def unbuilt_model():
    model = scratch.Sequential([layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


# (id, method, arguments, exception, argument named, received value shown): every argument is
# checked before the model is built from x, so a refused call leaves it unbuilt and weightless
UNBUILT_CASES = [
    ("fit-bad-label", "fit", dict(x=X, y=np.r_[Y[:5], 3]), ValueError, "y", "label 3"),
    ("fit-y-none", "fit", dict(x=X, y=None), ValueError, "y", "None"),
    ("fit-length-mismatch", "fit", dict(x=X, y=Y[:5]), ValueError, "x and y", "6 inputs and 5 targets"),
    ("fit-bad-callback", "fit", dict(x=X, y=Y, callbacks=["early_stopping"]), TypeError, "callbacks",
     "'early_stopping'"),
    ("fit-validation-data-wrong-shape", "fit", dict(x=X, y=Y, validation_data=(np.zeros((2, 5)), Y[:2])),
     ValueError, "validation_data[0]", "(2, 5)"),
    ("fit-validation-data-bad-label", "fit", dict(x=X, y=Y, validation_data=(X[:2], np.array([0, 7]))),
     ValueError, "validation_data[1]", "label 7"),
    ("fit-validation-data-weights-wrong-length", "fit", dict(x=X, y=Y, validation_data=(X, Y, np.ones(5))),
     ValueError, "validation_data[2]", "received 5"),
    ("fit-sample-weight-negative", "fit", dict(x=X, y=Y, sample_weight=-np.ones(6)), ValueError, "sample_weight",
     "-1.0"),
    ("fit-class-weight-unknown-class", "fit", dict(x=X, y=Y, class_weight={9: 2.0}), ValueError, "class_weight",
     "key 9"),
    ("fit-validation-split-no-validation-data", "fit", dict(x=X, y=Y, validation_split=1e-17), ValueError,
     "validation_split", "no validation"),
    ("fit-no-samples", "fit", dict(x=X[:0], y=Y[:0]), ValueError, "x", "0 samples"),
    ("evaluate-bad-label", "evaluate", dict(x=X, y=np.r_[Y[:5], -1]), ValueError, "y", "label -1"),
    ("evaluate-no-samples", "evaluate", dict(x=X[:0], y=Y[:0]), ValueError, "x", "0 samples"),
    ("predict-complex", "predict", dict(x=X + 1j), TypeError, "x", "complex64"),
]


@pytest.mark.parametrize("case", UNBUILT_CASES, ids=[c[0] for c in UNBUILT_CASES])
def test_a_refused_call_leaves_an_unbuilt_model_unbuilt(case):
    _, method, kwargs, exception, argument, received = case
    model = unbuilt_model()
    expects = argument != "validation_split"  # "leaves no validation samples" says what is wrong, not "expected"
    assert_rejects(lambda: getattr(model, method)(**kwargs, verbose=0), exception, argument, received, expects)
    layer = model.layers[0]
    assert not model.built and model.input_shape is None
    assert (layer.built, layer.weights, layer.input_shape) == (False, [], None)
    assert model.optimizer.iterations == 0 and not model.optimizer.built and model.history is None
    model.fit(X, Y, verbose=0)  # the same model still trains once given good arguments
    assert model.built and layer.kernel.shape == (4, 3)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_a_model_without_layers_is_refused_by_name(method):
    """``Sequential([]).fit(...)`` raised an ``IndexError``; Keras: "Sequential model … cannot be
    built because it has no layers"."""
    model = scratch.Sequential([], name="empty")
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    arguments = (X,) if method == "predict" else (X, Y)
    assert_rejects(lambda: getattr(model, method)(*arguments, verbose=0), ValueError, "layers", "no layers")
    assert model.input_shape is None and model.layers == []


def test_the_data_errors_are_clean_after_a_good_fit():
    """A rejected call after training leaves the trained weights and the optimizer's step count."""
    model = make_model()
    model.fit(X, Y, batch_size=3, epochs=1, shuffle=False, verbose=0)
    before = snapshot(model)
    assert before[1] == 2 and before[2]
    assert_rejects(lambda: model.fit(X, np.r_[Y[:5], 3], verbose=0), ValueError, "y", "label 3")
    assert_rejects(lambda: model.fit(X, Y, epochs=0, verbose=0), ValueError, "epochs", "0")
    assert_unchanged(model, before)


# ----------------------------------------------------------------------------- unknown names
VALID_OPTIMIZERS = ["adam", "rmsprop", "sgd"]
VALID_LOSSES = ["categorical_crossentropy", "sparse_categorical_crossentropy"]
VALID_METRICS = ["accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy"]
VALID_ACTIVATIONS = ["linear", "relu", "sigmoid", "softmax", "tanh"]
UNKNOWN_NAME_CASES = [
    ("optimizer", lambda m: m.compile(optimizer="sgdd", loss="sparse_categorical_crossentropy"), "'sgdd'",
     VALID_OPTIMIZERS),
    ("optimizer", lambda m: m.compile(optimizer="adamw", loss="sparse_categorical_crossentropy"), "'adamw'",
     VALID_OPTIMIZERS),
    ("loss", lambda m: m.compile(optimizer="sgd", loss="mse"), "'mse'", VALID_LOSSES),
    ("loss", lambda m: m.compile(optimizer="sgd", loss="sparse_categorical_crossentropyy"),
     "'sparse_categorical_crossentropyy'", VALID_LOSSES),
    ("metrics", lambda m: m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["precision"]),
     "'precision'", VALID_METRICS),
    ("metrics", lambda m: m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                                    metrics=["accuracy", "accuarcy"]), "'accuarcy'", VALID_METRICS),
    ("activation", lambda m: layers.Dense(3, activation="gelu"), "'gelu'", VALID_ACTIVATIONS),
    ("activation", lambda m: layers.Activation("swish"), "'swish'", VALID_ACTIVATIONS),
    ("activation", lambda m: layers.Dense(3, activation="Relu"), "'Relu'", VALID_ACTIVATIONS),
]


@pytest.mark.parametrize("argument,call,bad,valid", UNKNOWN_NAME_CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in UNKNOWN_NAME_CASES])
def test_unknown_names_list_the_valid_ones(argument, call, bad, valid):
    model = make_model()
    optimizer, loss, compiled = model.optimizer, model.loss, model.compiled_metrics
    before = snapshot(model)
    error = assert_rejects(lambda: call(model), ValueError, argument, bad)
    for name in valid:
        assert repr(name) in str(error), f"{name!r} missing from the list of valid names: {error}"
    assert (model.optimizer, model.loss, model.compiled_metrics) == (optimizer, loss, compiled)
    assert_unchanged(model, before)


def test_metrics_as_a_bare_string():
    model = make_model(compile_model=False)
    assert_rejects(lambda: model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics="accuracy"),
                   TypeError, "metrics", "'accuracy'")
    assert model.optimizer is None and model.loss is None


# ----------------------------------------------------------------------------- constructors
CONSTRUCTOR_CASES = [
    ("dense-units-zero", lambda: layers.Dense(0), ValueError, "units", "0"),
    ("dense-units-negative", lambda: layers.Dense(-3), ValueError, "units", "-3"),
    ("dense-units-string", lambda: layers.Dense("8"), ValueError, "units", "'8'"),
    ("dense-units-float", lambda: layers.Dense(2.5), ValueError, "units", "2.5"),
    ("dense-units-bool", lambda: layers.Dense(True), ValueError, "units", "True"),
    ("dense-activation-callable", lambda: layers.Dense(3, activation=np.tanh), TypeError, "activation", "tanh"),
    ("softmax-axis", lambda: layers.Softmax(axis=1.5), TypeError, "axis", "1.5", False),  # any int axis is supported
    ("flatten-input-shape-zero", lambda: layers.Flatten(input_shape=(0, 3)), ValueError, "input_shape", "(0, 3)"),
    ("flatten-input-shape-string", lambda: layers.Flatten(input_shape="28x28"), ValueError, "input_shape", "'28x28'"),
    # a string of digits was read digit by digit: "28" became (2, 8)
    ("flatten-input-shape-digits", lambda: layers.Flatten(input_shape="28"), ValueError, "input_shape", "'28'"),
    # 28.5 silently became 28 (Keras refuses any float; scratch accepts 28.0, see the test below)
    ("flatten-input-shape-fraction", lambda: layers.Flatten(input_shape=(28.5,)), ValueError, "input_shape",
     "(28.5,)"),
    ("input-shape-fraction", lambda: scratch.Input((28, 27.5)), ValueError, "shape", "27.5"),
    ("input-shape-bool", lambda: scratch.Input((True, 3)), ValueError, "shape", "(True, 3)"),
    # non-bool flags: use_bias="no" kept the bias, trainable="no" trained (Keras: ValueError for trainable)
    ("dense-use-bias-string", lambda: layers.Dense(3, use_bias="no"), TypeError, "use_bias", "'no'"),
    ("dense-use-bias-int", lambda: layers.Dense(3, use_bias=0), TypeError, "use_bias", "0"),
    ("dense-trainable-string", lambda: layers.Dense(3, trainable="no"), ValueError, "trainable", "'no'"),
    ("flatten-trainable-none", lambda: layers.Flatten(trainable=None), ValueError, "trainable", "None"),
    ("input-shape-negative", lambda: scratch.Input((28, -1)), ValueError, "shape", "(28, -1)"),
    ("layer-name-empty", lambda: layers.ReLU(name=""), ValueError, "name", "''"),
    ("loss-reduction", lambda: losses.SparseCategoricalCrossentropy(reduction="average"), ValueError, "reduction",
     "'average'"),
    ("sgd-learning-rate-negative", lambda: optimizers.SGD(learning_rate=-0.1), ValueError, "learning_rate", "-0.1"),
    ("sgd-learning-rate-string", lambda: optimizers.SGD(learning_rate="0.1"), ValueError, "learning_rate", "'0.1'"),
    ("sgd-momentum-above-one", lambda: optimizers.SGD(momentum=1.5), ValueError, "momentum", "1.5"),
    ("adam-beta-1-one", lambda: optimizers.Adam(beta_1=1.0), ValueError, "beta_1", "1.0"),
    ("rmsprop-rho-negative", lambda: optimizers.RMSprop(rho=-0.5), ValueError, "rho", "-0.5"),
    ("backend-unknown", lambda: backend.set_backend("tpu"), ValueError, "backend", "'tpu'"),
    ("seed-string", lambda: scratch.set_random_seed("42"), TypeError, "seed", "'42'"),
]


@pytest.mark.parametrize("case", CONSTRUCTOR_CASES, ids=[c[0] for c in CONSTRUCTOR_CASES])
def test_bad_constructor_arguments(case):
    _, call, exception, argument, received, *expects = case
    counters = dict(naming._counters)
    assert_rejects(call, exception, argument, received, *expects)
    assert dict(naming._counters) == counters, "a refused constructor consumed an automatic name"


def test_whole_float_and_numpy_dimensions_are_accepted():
    """28.0 and np.int64(28) are 28 (Keras refuses the float); only a fraction is refused."""
    assert layers.Flatten(input_shape=(28.0, np.int64(28))).declared_input_shape == (None, 28, 28)
    assert scratch.Input(np.float32(4)).shape == (None, 4)
    assert layers.Dense(3, use_bias=np.bool_(False), trainable=np.bool_(True)).use_bias is False


def test_sequential_add_rejects_non_layers_and_duplicate_names():
    model = scratch.Sequential([scratch.Input((4,)), layers.Dense(3, name="head")])
    assert_rejects(lambda: model.add("dense"), TypeError, "layer", "'dense'")
    assert_rejects(lambda: model.add(layers.Dense(2, name="head")), ValueError, "layer", "'head'", expects=False)
    assert [layer.name for layer in model.layers] == ["head"]


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
def test_layer_call_with_the_wrong_input_shape(backend_name):
    backend.set_backend(backend_name)
    layer = layers.Dense(3)
    layer(np.ones((2, 4), F32))
    kernel = layer.kernel.value.copy()
    assert_rejects(lambda: layer(np.ones((2, 5), F32)), ValueError, layer.name, "(2, 5)")
    np.testing.assert_array_equal(layer.kernel.value, kernel)


# ----------------------------------------------------------------------------- set_weights
def two_layer_model(second_units=2):
    return scratch.Sequential([scratch.Input((4,)), layers.Dense(3, activation="relu"),
                               layers.Dense(second_units, activation="softmax")])


SET_WEIGHTS_CASES = [
    ("too-few", lambda w: w[:3], ValueError, "weights", "received 3"),
    ("too-many", lambda w: w + [np.zeros(2, F32)], ValueError, "weights", "received 5"),
    ("first-kernel-shape", lambda w: [np.zeros((5, 3), F32)] + w[1:], ValueError, "weights", "(5, 3)"),
    ("only-last-bias-shape", lambda w: [x + 1 for x in w[:3]] + [np.zeros(3, F32)], ValueError, "weights", "(3,)"),
    ("not-a-list", lambda w: w[0], TypeError, "weights", "ndarray"),
]


@pytest.mark.parametrize("case", SET_WEIGHTS_CASES, ids=[c[0] for c in SET_WEIGHTS_CASES])
def test_set_weights_is_atomic(case):
    """Count and every shape are checked before anything is assigned — stricter than Keras, which
    assigns one by one (keras/src/layers/layer.py, ``Layer.set_weights``: each shape is checked
    just before its assignment): a bad LAST array leaves the first layers untouched."""
    _, change, exception, argument, received = case
    model = two_layer_model()
    good = model.get_weights()
    before = snapshot(model)
    assert_rejects(lambda: model.set_weights(change([w.copy() for w in good])), exception, argument, received)
    assert_unchanged(model, before)


def test_layer_set_weights_is_atomic():
    layer = layers.Dense(3)
    layer.build((None, 4))
    before = layer.get_weights()
    assert_rejects(lambda: layer.set_weights([before[0] + 1, np.zeros(4, F32)]), ValueError, "weights", "(4,)")
    assert_rejects(lambda: layer.set_weights([before[0] + 1]), ValueError, "weights", "received 1")
    for a, b in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- weight files
def test_load_weights_from_a_different_model_leaves_weights_untouched(tmp_path):
    """Only the SECOND Dense differs (2 vs 6 units): the first layer, which fits, must not be loaded
    either (Keras would have loaded it: keras/src/saving/saving_lib.py, ``load_weights_only`` →
    ``_load_state`` loads layer after layer and raises the failures at the end; the kit is atomic)."""
    path = str(tmp_path / "other.weights.h5")
    other = two_layer_model(second_units=6)
    other.set_weights([w + 5 for w in other.get_weights()])
    other.save_weights(path)
    model = two_layer_model()
    before = snapshot(model)
    assert_rejects(lambda: model.load_weights(path), ValueError, "filepath", "(3, 6)")
    assert_unchanged(model, before)


def test_load_weights_with_extra_layers_leaves_weights_untouched(tmp_path):
    path = str(tmp_path / "deeper.weights.h5")
    deeper = scratch.Sequential([scratch.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(2),
                                 layers.Dense(2, activation="softmax")])
    deeper.save_weights(path)
    model = two_layer_model()
    before = snapshot(model)
    assert_rejects(lambda: model.load_weights(path), ValueError, "filepath", "'dense_2'", expects=False)
    assert_unchanged(model, before)


def test_load_weights_of_a_file_without_layers(tmp_path):
    path = str(tmp_path / "empty.weights.h5")
    with h5py.File(path, "w") as f:
        f.create_group("something_else")
    model = two_layer_model()
    before = snapshot(model)
    assert_rejects(lambda: model.load_weights(path), ValueError, "filepath", "'layers'", expects=False)
    assert_unchanged(model, before)


def test_load_weights_missing_file_and_wrong_suffix(tmp_path):
    model = two_layer_model()
    before = snapshot(model)
    missing = str(tmp_path / "missing.weights.h5")
    assert_rejects(lambda: model.load_weights(missing), FileNotFoundError, "filepath", repr(missing), expects=False)
    wrong = str(tmp_path / "model.h5")
    with h5py.File(wrong, "w"):
        pass
    assert_rejects(lambda: model.load_weights(wrong), ValueError, "filepath", repr(wrong))
    assert ".weights.h5" in str(pytest.raises(ValueError, model.load_weights, wrong).value)
    assert_unchanged(model, before)


def test_load_weights_before_build(tmp_path):
    path = str(tmp_path / "w.weights.h5")
    two_layer_model().save_weights(path)
    unbuilt = scratch.Sequential([layers.Dense(3), layers.Dense(2)])
    assert_rejects(lambda: unbuilt.load_weights(path), ValueError, "load_weights", "build", expects=False)


@pytest.mark.parametrize("name", ["model.h5", "model.keras", "model.weights", "model.weights.h5.tmp"])
def test_save_weights_with_a_wrong_suffix_writes_nothing(tmp_path, name):
    model = two_layer_model()
    path = str(tmp_path / name)
    assert_rejects(lambda: model.save_weights(path), ValueError, "filepath", repr(path))
    assert os.listdir(tmp_path) == []


def test_save_weights_without_overwrite_keeps_the_file(tmp_path):
    path = str(tmp_path / "keep.weights.h5")
    first = two_layer_model()
    first.save_weights(path)
    content = open(path, "rb").read()
    second = two_layer_model()
    assert_rejects(lambda: second.save_weights(path, overwrite=False), FileExistsError, "filepath", repr(path),
                   expects=False)
    assert open(path, "rb").read() == content
    assert os.listdir(tmp_path) == ["keep.weights.h5"]  # no temporary file left behind


# ----------------------------------------------------------------------------- compile
@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_fit_and_evaluate_need_compile(method):
    """Keras: ``ValueError("You must call `compile()` before using the model.")``
    (keras/src/trainers/trainer.py, ``Trainer._assert_compile_called``)."""
    model = make_model(compile_model=False)
    before = snapshot(model)
    assert_rejects(lambda: getattr(model, method)(X, Y, verbose=0), ValueError, method, "compile(", expects=False)
    assert_unchanged(model, before)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
def test_predict_works_without_compile(backend_name):
    """As in Keras, ``predict`` needs no ``compile``; the truth is the closed form softmax(x·K + b)."""
    backend.set_backend(backend_name)
    model = make_model(compile_model=False)
    z = X.astype(np.float64) @ KERNEL.astype(np.float64) + BIAS
    expected = np.exp(z - z.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- weight dtypes and weight-file faults
# Every value must be real numbers (bool, int or float) that fit float32; anything else is refused
# before ANY weight is assigned. Keras assigns one by one (keras/src/layers/layer.py,
# ``Layer.set_weights``), and NumPy's cast would drop a complex value's imaginary part or read
# numeric strings as numbers.
DTYPE_CASES = [
    ("last-bias-strings", lambda w: w[:3] + [np.array(["a", "b"])], "<U1"),
    ("last-bias-numeric-strings", lambda w: w[:3] + [np.array(["1", "2"])], "<U1"),
    ("last-bias-bytes", lambda w: w[:3] + [np.array([b"1", b"2"])], "|S1"),
    ("last-bias-complex", lambda w: w[:3] + [np.array([1 + 2j, 3j])], "complex128"),
    ("first-kernel-object", lambda w: [w[0].astype(object)] + w[1:], "object"),
    ("last-bias-overflows-float32", lambda w: w[:3] + [np.array([1e39, 0.0])], "1e+39"),
]


@pytest.mark.parametrize("case", DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_set_weights_checks_every_dtype_before_assigning(case):
    _, change, received = case
    model = two_layer_model()
    good = model.get_weights()
    before = snapshot(model)
    error = assert_rejects(lambda: model.set_weights(change([w + 1 for w in good])), ValueError, "weights", received)
    assert "dense" in str(error)  # names the weight
    assert_unchanged(model, before)


def test_layer_set_weights_checks_dtypes():
    layer = layers.Dense(3)
    layer.build((None, 4))
    before = layer.get_weights()
    assert_rejects(lambda: layer.set_weights([before[0] + 1, np.array(["x", "y", "z"])]), ValueError, "weights",
                   "<U1")
    assert_rejects(lambda: layer.set_weights([before[0] + 1, before[1] + 1j]), ValueError, "weights", "complex")
    for a, b in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_set_weights_takes_bools_ints_and_non_finite_floats_as_they_are():
    model = two_layer_model()
    kernel, bias, kernel_1, bias_1 = model.get_weights()
    values = [np.ones(kernel.shape, np.int64), np.array([True, False, True]),
              with_nonfinite(kernel_1, np.nan, dtype=np.float64), np.array([np.inf, -np.inf])]
    model.set_weights(values)
    for got, value in zip(model.get_weights(), values):
        assert got.dtype == F32
        np.testing.assert_array_equal(got, np.asarray(value, F32))


FILE_DTYPE_CASES = [
    ("bytes", np.array([b"1", b"2"]), "|S1"),
    ("variable-length-strings", np.array(["1", "2"], dtype=h5py.string_dtype()), "object"),
    ("complex", np.array([1 + 2j, 3j]), "complex128"),
    ("float64-overflows-float32", np.array([1e39, 0.0]), "1e+39"),
]


@pytest.mark.parametrize("case", FILE_DTYPE_CASES, ids=[c[0] for c in FILE_DTYPE_CASES])
def test_load_weights_checks_every_dtype_before_assigning(tmp_path, case):
    """The LAST dataset is bad: nothing may be loaded (the first layer would have been)."""
    _, data, received = case
    path = str(tmp_path / "bad.weights.h5")
    source = two_layer_model()
    source.set_weights([w + 1 for w in source.get_weights()])
    source.save_weights(path)
    with h5py.File(path, "a") as f:
        del f["layers/dense_1/vars/1"]
        f["layers/dense_1/vars"].create_dataset("1", data=data)
    model = two_layer_model()
    before = snapshot(model)
    error = assert_rejects(lambda: model.load_weights(path), ValueError, "filepath", received)
    assert "layers/dense_1/vars/1" in str(error) and repr(path) in str(error)
    assert_unchanged(model, before)


@pytest.mark.parametrize("damage", ["truncated", "random-bytes", "empty"])
def test_load_weights_of_a_damaged_file_names_it(tmp_path, damage):
    """h5py's own error ("file signature not found", "truncated file") named no file: now a
    ``ValueError`` naming it and saying it is not a readable weights file."""
    path = str(tmp_path / "damaged.weights.h5")
    two_layer_model().save_weights(path)
    content = open(path, "rb").read()
    damaged = {"truncated": content[:len(content) // 2], "random-bytes": np.random.default_rng(0).bytes(4096),
               "empty": b""}[damage]
    with open(path, "wb") as f:
        f.write(damaged)
    model = two_layer_model()
    before = snapshot(model)
    error = assert_rejects(lambda: model.load_weights(path), ValueError, "filepath", repr(path))
    assert "not a readable weights file" in str(error)
    assert_unchanged(model, before)


@pytest.mark.parametrize("bad", [None, 3, ["w.weights.h5"]])
def test_save_and_load_weights_with_a_path_of_the_wrong_type(tmp_path, bad):
    model = two_layer_model()
    before = snapshot(model)
    assert_rejects(lambda: model.save_weights(bad), TypeError, "filepath", repr(bad))
    assert_rejects(lambda: model.load_weights(bad), TypeError, "filepath", repr(bad))
    assert_unchanged(model, before)
    assert os.listdir(tmp_path) == []


def test_save_weights_under_a_regular_file(tmp_path):
    """A path through a regular file (``somefile.txt/x.weights.h5``): an ``OSError`` naming
    filepath, the file left as it was, nothing else created."""
    (tmp_path / "somefile.txt").write_text("keep me")
    path = str(tmp_path / "somefile.txt" / "x.weights.h5")
    assert_rejects(lambda: two_layer_model().save_weights(path), OSError, "filepath", repr(path))
    assert (tmp_path / "somefile.txt").read_text() == "keep me"
    assert os.listdir(tmp_path) == ["somefile.txt"]


@pytest.mark.parametrize("bad", [None, 3])
def test_model_checkpoint_with_a_filepath_of_the_wrong_type(bad):
    """Keras 3.15.1 fails with ``AttributeError: 'NoneType' object has no attribute 'endswith'``
    (keras/src/callbacks/model_checkpoint.py, ``__init__``); the kit names the argument."""
    assert_rejects(lambda: scratch.callbacks.ModelCheckpoint(bad, save_weights_only=True), TypeError, "filepath",
                   repr(bad))
