"""The names a published Keras tutorial reaches for, after ``import scratch as keras``: each one is
there (one table) and behaves as Keras 3.15's for what the kit supports — same numbers, same
History keys, same exception classes where Keras's are deterministic.

``datasets`` · ``models`` (Sequential, load_model) · ``utils`` (to_categorical, plot_model,
set_random_seed, clear_session) · ``backend.clear_session`` · ``layers.InputLayer`` ·
``Sequential.get_layer`` · ``trainable_weights``/``non_trainable_weights`` · ``optimizer.variables``
· the loss, metric and activation functions · the accuracy metric classes.
"""
import io
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from parity_tests.keras_available import keras
from parity_tests.compare import assert_close
from parity_tests.tolerances import FORWARD_ATOL, FORWARD_RTOL, HISTORY_ATOL, TRAINING_ATOL
import keras_ref
import scratch
from scratch import layers

F32 = np.float32
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ----------------------------------------------------------------------------- the table
NAMES = [
    "datasets.fashion_mnist.load_data", "models.Sequential", "models.load_model",
    "utils.to_categorical", "utils.plot_model", "utils.set_random_seed", "utils.clear_session",
    "backend.clear_session", "layers.InputLayer", "Sequential.get_layer",
    "layers.Dense.trainable_weights", "layers.Dense.non_trainable_weights",
    "Sequential.trainable_weights", "Sequential.non_trainable_weights", "optimizers.Adam.variables",
    "losses.sparse_categorical_crossentropy", "losses.categorical_crossentropy",
    "metrics.sparse_categorical_accuracy", "metrics.categorical_accuracy",
    "metrics.Accuracy", "metrics.SparseCategoricalAccuracy", "metrics.CategoricalAccuracy",
    "metrics.BinaryAccuracy",
    "activations.relu", "activations.softmax", "activations.sigmoid", "activations.tanh", "activations.linear",
]


def resolve(module, dotted):
    value = module
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize("name", NAMES)
def test_import_scratch_as_keras_exposes_the_name(name):
    import scratch as keras_like
    assert resolve(keras_like, name) is not None
    assert resolve(keras, name) is not None     # the name really is Keras's


def test_the_aliases_are_the_same_objects():
    assert scratch.models.Sequential is scratch.Sequential
    assert scratch.utils.set_random_seed is scratch.set_random_seed is scratch.backend.set_random_seed
    assert scratch.utils.clear_session is scratch.clear_session is scratch.backend.clear_session


def test_datasets_come_with_import_scratch_alone():
    code = "import scratch as keras; print(callable(keras.datasets.fashion_mnist.load_data))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr[-2000:]


# ----------------------------------------------------------------------------- to_categorical
CATEGORICAL_CASES = {
    "list": ([0, 1, 2, 3], None), "given-classes": ([0, 2], 5), "column": (np.array([[1], [0], [2]]), None),
    "matrix": (np.array([[0, 1], [2, 0]]), None), "scalar": (3, 5), "whole-floats": (np.array([2.0, 0.0]), 4),
    "uint8": (np.array([9, 0], np.uint8), 10), "bool": (np.array([True, False]), None),
    "zero-classes-infers": ([0, 3], 0), "empty-with-classes": (np.zeros(0, int), 3),
}


@pytest.mark.parametrize("case", list(CATEGORICAL_CASES))
def test_to_categorical_matches_keras(case):
    x, num_classes = CATEGORICAL_CASES[case]
    ours = scratch.utils.to_categorical(x, num_classes)
    theirs = keras.utils.to_categorical(x, num_classes)
    assert_close(ours, theirs, 0.0, what="one-hot", check_dtype=True)   # float64, as Keras's NumPy path


CATEGORICAL_ERRORS = [
    ("label-too-large", ([0, 5], 3), IndexError), ("empty-no-classes", ([], None), ValueError),
    ("float-classes", ([0, 1], 2.0), TypeError), ("strings", (["a"], None), ValueError),
    ("ragged", ([[0, 1], [1]], None), ValueError),
]


@pytest.mark.parametrize("case,args,error", CATEGORICAL_ERRORS, ids=[c[0] for c in CATEGORICAL_ERRORS])
def test_to_categorical_errors_match_keras(case, args, error):
    with pytest.raises(error):
        keras.utils.to_categorical(*args)
    with pytest.raises(error) as info:
        scratch.utils.to_categorical(*args)
    assert isinstance(info.value, (ValueError, TypeError))     # the kit's rule, also for the IndexError
    assert str(info.value).startswith(("x:", "num_classes:")) and "expected" in str(info.value)


@pytest.mark.parametrize("x", [[-1, 1], [0.5, 1.7]], ids=["negative", "fraction"])
def test_to_categorical_refuses_what_keras_silently_changes(x):
    keras.utils.to_categorical(x, 3)      # Keras: -1 marks the last class, 1.7 becomes 1
    with pytest.raises(ValueError, match=r"^x: expected"):
        scratch.utils.to_categorical(x, 3)


# ----------------------------------------------------------------------------- clear_session
def test_clear_session_restarts_the_names_as_keras():
    def names(lib):
        lib.backend.clear_session()
        made = [lib.layers.Dense(2), lib.layers.Dense(2)]
        lib.backend.clear_session()
        made += [lib.layers.Dense(2), lib.layers.InputLayer(shape=(3,)), lib.layers.InputLayer(shape=(3,)),
                 lib.Sequential(), lib.layers.Flatten()]
        lib.utils.clear_session()
        made.append(lib.layers.Dense(2))
        return [layer.name for layer in made]

    assert names(scratch) == names(keras) == ["dense", "dense_1", "dense", "input_layer", "input_layer_1",
                                              "sequential", "flatten", "dense"]


# ----------------------------------------------------------------------------- InputLayer
def summary_text(model):
    buffer = io.StringIO()
    model.summary(print_fn=buffer.write)
    return buffer.getvalue()


def hands_on_ml(lib, **input_kwargs):
    """Hands-On ML's classifier, starting with ``InputLayer(shape=[28, 28])``."""
    lib.backend.clear_session()
    return lib.Sequential([lib.layers.InputLayer(shape=[28, 28], **input_kwargs), lib.layers.Flatten(),
                           lib.layers.Dense(300, activation="relu"), lib.layers.Dense(100, activation="relu"),
                           lib.layers.Dense(10, activation="softmax")])


@pytest.mark.parametrize("input_kwargs", [{}, {"batch_size": 32}], ids=["shape", "batch_size"])
def test_input_layer_model_summary_matches_keras(input_kwargs, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    ours, theirs = hands_on_ml(scratch, **input_kwargs), hands_on_ml(keras, **input_kwargs)
    assert [l.name for l in ours.layers] == [l.name for l in theirs.layers]   # no InputLayer among them
    assert summary_text(ours) == summary_text(theirs)                         # and no row for it
    assert ours.count_params() == theirs.count_params() == 266_610


def test_input_layer_arguments_match_keras():
    for lib in (scratch, keras):
        lib.backend.clear_session()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = scratch.layers.InputLayer(input_shape=(28, 28))
        theirs = keras.layers.InputLayer(input_shape=(28, 28))
    assert [str(w.message) for w in caught] == ["Argument `input_shape` is deprecated. Use `shape` instead."] * 2
    assert ours.name == theirs.name and ours.batch_shape == theirs.batch_shape == (None, 28, 28)
    assert isinstance(ours, scratch.layers.Layer) and isinstance(theirs, keras.layers.Layer)
    assert scratch.layers.InputLayer(batch_shape=(8, 3)).batch_shape == keras.layers.InputLayer(
        batch_shape=(8, 3)).batch_shape
    for kwargs in [{}, {"shape": (3,), "batch_shape": (None, 3)}, {"batch_size": 2, "batch_shape": (2, 3)}]:
        with pytest.raises(ValueError) as theirs:
            keras.layers.InputLayer(**kwargs)
        with pytest.raises(ValueError) as ours:
            scratch.layers.InputLayer(**kwargs)
        assert str(ours.value).startswith(str(theirs.value))    # Keras's words, then what was received


def test_a_second_input_layer_is_refused_as_keras():
    for lib in (scratch, keras):
        with pytest.raises(ValueError):
            lib.Sequential([lib.layers.InputLayer(shape=(3,)), lib.layers.InputLayer(shape=(3,))])


# ----------------------------------------------------------------------------- get_layer
GET_LAYER_CASES = [{"name": "dense"}, {"index": 0}, {"index": -1}, {}, {"name": "nope"}, {"index": 7},
                   {"name": "dense", "index": 0}, {"name": 3}]


@pytest.mark.parametrize("kwargs", GET_LAYER_CASES, ids=[str(c) for c in GET_LAYER_CASES])
def test_get_layer_matches_keras(kwargs):
    ours, theirs = hands_on_ml(scratch), hands_on_ml(keras)
    try:
        expected = theirs.get_layer(**kwargs).name
    except ValueError as error:
        with pytest.raises(ValueError) as info:
            ours.get_layer(**kwargs)
        assert str(info.value) == str(error)      # Keras's very words
        return
    assert ours.get_layer(**kwargs).name == expected
    assert ours.get_layer(**kwargs) is ours.layers[[l.name for l in ours.layers].index(expected)]


def test_get_layer_float_index_is_a_type_error_as_keras():
    for lib in (scratch, keras):
        with pytest.raises(TypeError):
            hands_on_ml(lib).get_layer(index=1.0)


# ----------------------------------------------------------------------------- trainable weights
def weight_paths(variables):
    return [v.path.split("/", 1)[-1] if v.path.count("/") > 1 else v.path for v in variables]


@pytest.mark.parametrize("freeze", ["none", "layer", "model", "layer-then-unfreeze"])
def test_trainable_and_non_trainable_weights_match_keras(freeze):
    ours = hands_on_ml(scratch)
    theirs = keras_ref.to_keras(ours)
    for model in (ours, theirs):
        if freeze in ("layer", "layer-then-unfreeze"):
            model.layers[1].trainable = False
        if freeze == "layer-then-unfreeze":
            model.layers[1].trainable = True
        if freeze == "model":
            model.trainable = False
    for ours_of, theirs_of in [(ours, theirs), (ours.layers[1], theirs.layers[1]), (ours.layers[2], theirs.layers[2])]:
        if freeze == "model" and ours_of is not ours:
            continue    # Keras also freezes each layer; scratch's model flag governs the model's lists
        for kind in ("trainable_weights", "non_trainable_weights"):
            mine, keras_list = getattr(ours_of, kind), getattr(theirs_of, kind)
            assert [v.shape for v in mine] == [tuple(v.shape) for v in keras_list], kind
            assert [p.split("/")[-2:] for p in weight_paths(mine)] == [v.path.split("/")[-2:] for v in keras_list]


# ----------------------------------------------------------------------------- optimizer.variables
OPTIMIZERS = [("SGD", {}), ("SGD", {"momentum": 0.9}), ("SGD", {"momentum": 0.9, "nesterov": True}), ("Adam", {}),
              ("Adam", {"amsgrad": True}), ("RMSprop", {}), ("RMSprop", {"momentum": 0.5, "centered": True})]


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[f"{n}{k}" for n, k in OPTIMIZERS])
def test_optimizer_variables_match_keras_after_one_step(name, kwargs):
    scratch.backend.clear_session()
    ours = scratch.Sequential([scratch.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(2)])
    theirs = keras_ref.to_keras(ours)
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((6, 4)).astype(F32), rng.integers(0, 2, 6)
    our_optimizer = getattr(scratch.optimizers, name)(**kwargs)
    their_optimizer = getattr(keras.optimizers, name)(**kwargs)
    assert len(our_optimizer.variables) == len(their_optimizer.variables) == 2     # before the first step
    for model, optimizer in ((ours, our_optimizer), (theirs, their_optimizer)):
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=6, epochs=1, shuffle=False, verbose=0)
    mine, keras_list = our_optimizer.variables, their_optimizer.variables
    assert len(mine) == len(keras_list)
    for our_variable, their_variable in zip(mine, keras_list):
        assert their_variable.name.endswith(our_variable.name), (our_variable.name, their_variable.name)
        assert our_variable.value.dtype == np.dtype(their_variable.dtype)
        assert_close(our_variable.value, np.asarray(their_variable), TRAINING_ATOL, what=their_variable.name)


# ----------------------------------------------------------------------------- loss and metric functions
rng = np.random.default_rng(21)
LOGITS = (rng.standard_normal((6, 4)) * 2).astype(F32)
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
LABELS = np.array([0, 3, 1, 1, 2, 0])
ONE_HOT = np.eye(4, dtype=F32)[LABELS]
SEQUENCE_PROBS = PROBS.reshape(2, 3, 4)
SEQUENCE_LABELS = LABELS.reshape(2, 3)

LOSS_FUNCTION_CASES = [
    ("sparse", "sparse_categorical_crossentropy", (LABELS, PROBS), {}),
    ("sparse-column", "sparse_categorical_crossentropy", (LABELS[:, None], PROBS), {}),
    ("sparse-logits", "sparse_categorical_crossentropy", (LABELS, LOGITS), {"from_logits": True}),
    ("sparse-sequence", "sparse_categorical_crossentropy", (SEQUENCE_LABELS, SEQUENCE_PROBS), {}),
    ("onehot", "categorical_crossentropy", (ONE_HOT, PROBS), {}),
    ("onehot-logits", "categorical_crossentropy", (ONE_HOT, LOGITS), {"from_logits": True}),
    ("onehot-smoothing", "categorical_crossentropy", (ONE_HOT, PROBS), {"label_smoothing": 0.1}),
    ("onehot-axis-0", "categorical_crossentropy", (ONE_HOT.T, PROBS.T), {"axis": 0}),
    ("onehot-sequence", "categorical_crossentropy", (ONE_HOT.reshape(2, 3, 4), SEQUENCE_PROBS), {}),
]


@pytest.mark.parametrize("case,name,args,kwargs", LOSS_FUNCTION_CASES, ids=[c[0] for c in LOSS_FUNCTION_CASES])
def test_loss_functions_give_keras_per_sample_values(case, name, args, kwargs):
    ours = getattr(scratch.losses, name)(*args, **kwargs)
    theirs = getattr(keras.losses, name)(*args, **kwargs).numpy()
    assert_close(ours, theirs, FORWARD_ATOL, FORWARD_RTOL, what=name, check_dtype=True)


METRIC_FUNCTION_CASES = [
    ("sparse", "sparse_categorical_accuracy", (LABELS, PROBS)),
    ("sparse-column", "sparse_categorical_accuracy", (LABELS[:, None], PROBS)),
    ("sparse-float-labels", "sparse_categorical_accuracy", (LABELS.astype(F32), PROBS)),
    ("sparse-sequence", "sparse_categorical_accuracy", (SEQUENCE_LABELS, SEQUENCE_PROBS)),
    ("onehot", "categorical_accuracy", (ONE_HOT, PROBS)),
    ("onehot-sequence", "categorical_accuracy", (ONE_HOT.reshape(2, 3, 4), SEQUENCE_PROBS)),
]


@pytest.mark.parametrize("case,name,args", METRIC_FUNCTION_CASES, ids=[c[0] for c in METRIC_FUNCTION_CASES])
def test_metric_functions_give_keras_per_sample_values(case, name, args):
    ours = getattr(scratch.metrics, name)(*args)
    theirs = getattr(keras.metrics, name)(*args).numpy()
    assert_close(ours, theirs, 0.0, what=name, check_dtype=True)
    assert set(np.unique(ours)) <= {0.0, 1.0} and 0 < ours.mean() < 1


# ----------------------------------------------------------------------------- metric classes
BINARY_TRUE = np.array([[1], [1], [0], [0]], F32)
BINARY_PRED = np.array([[0.98], [1], [0], [0.6]], F32)
METRIC_CLASS_CASES = [
    ("Accuracy", {}, np.array([[1], [2], [3], [4]]), np.array([[0], [2], [3], [4]])),   # Keras's doc: 0.75
    ("Accuracy", {}, np.array([1, 2, 3, 4]), np.array([[1], [2], [3], [5]])),           # ranks differ by one
    ("SparseCategoricalAccuracy", {}, LABELS, PROBS),
    ("CategoricalAccuracy", {}, ONE_HOT, PROBS),
    ("BinaryAccuracy", {}, BINARY_TRUE, BINARY_PRED),
    ("BinaryAccuracy", {"threshold": 0.7}, BINARY_TRUE, BINARY_PRED),
    ("BinaryAccuracy", {}, BINARY_TRUE[:, 0], BINARY_PRED),
]


@pytest.mark.parametrize("name,kwargs,y_true,y_pred", METRIC_CLASS_CASES,
                         ids=[f"{c[0]}{c[1] or ''}-{i}" for i, c in enumerate(METRIC_CLASS_CASES)])
def test_metric_classes_match_keras(name, kwargs, y_true, y_pred):
    ours, theirs = getattr(scratch.metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    assert ours.name == theirs.name
    for batch in (slice(0, 2), slice(2, None)):    # a running mean over two batches
        ours.update_state(y_true[batch], y_pred[batch])
        theirs.update_state(y_true[batch], y_pred[batch])
    assert ours.result() == float(theirs.result())
    ours.reset_state()
    assert ours.result() == 0.0


def test_accuracy_class_is_exact_match_while_the_string_resolves():
    ours = scratch.metrics.Accuracy()
    ours.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert ours.result() == 0.75          # the string "accuracy" would have read these as classes
    with pytest.raises(ValueError, match=r"^y_true: expected"):
        scratch.metrics.Accuracy().update_state(LABELS, PROBS)   # Keras: InvalidArgumentError (no broadcast)


# ----------------------------------------------------------------------------- compile with them
def twin_models(units=4):
    scratch.backend.clear_session()
    ours = scratch.Sequential([scratch.Input((5,)), layers.Dense(units, activation="softmax")])
    ours.set_weights([np.random.default_rng(2).standard_normal((5, units)).astype(F32), np.zeros(units, F32)])
    return ours, keras_ref.to_keras(ours)


def fit_logs(model, loss, metrics, y):
    x = np.random.default_rng(4).standard_normal((12, 5)).astype(F32)
    model.compile(optimizer=model.optimizer_for_test, loss=loss, metrics=metrics)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, validation_split=0.25, verbose=0).history
    return history, model.evaluate(x, y, verbose=0, return_dict=True)


COMPILE_CASES = {
    "sparse-functions": ("sparse_categorical_crossentropy", ["sparse_categorical_accuracy"], "sparse"),
    "sparse-classes": ("SparseCategoricalCrossentropy",
                       ["SparseCategoricalAccuracy()", "SparseCategoricalAccuracy", "'SparseCategoricalAccuracy'",
                        "'acc'"], "sparse"),
    "categorical-functions": ("categorical_crossentropy", ["categorical_accuracy", "CategoricalAccuracy()",
                                                           "categorical_accuracy"], "onehot"),
    "binary-accuracy-class": ("categorical_crossentropy", ["BinaryAccuracy()", "Accuracy()"], "onehot"),
}


def resolve_metric(lib, text):
    """A metric spelled in the table: a function, a class, ``Class()`` or a quoted string."""
    if text.startswith("'"):
        return text.strip("'")
    if text.endswith("()"):
        return getattr(lib.metrics, text[:-2])()
    return getattr(lib.metrics, text)


@pytest.mark.parametrize("case", list(COMPILE_CASES))
def test_compile_with_functions_and_classes_names_history_as_keras(case):
    loss_name, metric_texts, labels = COMPILE_CASES[case]
    y = np.arange(12) % 4
    if labels == "onehot":
        y = np.eye(4, dtype=F32)[y]
    results = []
    for lib, model in zip((scratch, keras), twin_models()):
        model.optimizer_for_test = lib.optimizers.SGD(learning_rate=0.1)
        loss = getattr(lib.losses, loss_name)
        results.append(fit_logs(model, loss, [resolve_metric(lib, t) for t in metric_texts], y))
    (our_history, our_evaluation), (their_history, their_evaluation) = results
    assert list(our_history) == list(their_history)
    assert list(our_evaluation) == list(their_evaluation)
    for key in their_history:
        assert_close(our_history[key], their_history[key], HISTORY_ATOL, FORWARD_RTOL, what=f"History {key}")
    for key in their_evaluation:
        assert_close(our_evaluation[key], their_evaluation[key], HISTORY_ATOL, FORWARD_RTOL, what=f"evaluate {key}")


@pytest.mark.parametrize("metric", ["function", "class", "string"])
def test_early_stopping_direction_of_each_metric_form_as_keras(metric):
    """Keras gives a metric function no direction: mode="auto" cannot watch it (ValueError)."""
    outcomes = []
    for lib, model in zip((scratch, keras), twin_models()):
        form = {"function": lib.metrics.sparse_categorical_accuracy, "class": lib.metrics.SparseCategoricalAccuracy(),
                "string": "sparse_categorical_accuracy"}[metric]
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=[form])
        stop = lib.callbacks.EarlyStopping(monitor="val_sparse_categorical_accuracy")
        x = np.zeros((8, 5), F32)
        try:
            model.fit(x, np.arange(8) % 4, epochs=1, validation_split=0.25, callbacks=[stop], verbose=0)
            outcomes.append("ran")
        except ValueError as error:
            assert "mode='max'" in str(error)
            outcomes.append("ValueError")
    assert outcomes[0] == outcomes[1] == ("ValueError" if metric == "function" else "ran")


# ----------------------------------------------------------------------------- activations
ACTIVATION_INPUTS = {
    "float32-matrix": np.array([[-1.5, 0.0, 0.5, 3.0], [2.0, -0.25, 1.0, -4.0]], F32),
    "float64": np.array([-1.0, 0.5, 2.0]),
    "list": [-1.0, 0.5, 2.0],
}


# Keras's softmax fails on a list ('list' object has no attribute 'shape'): no case for it
ACTIVATION_CASES = [(name, case) for name in ("relu", "softmax", "sigmoid", "tanh") for case in ACTIVATION_INPUTS
                    if (name, case) != ("softmax", "list")]


@pytest.mark.parametrize("name,case", ACTIVATION_CASES, ids=[f"{n}-{c}" for n, c in ACTIVATION_CASES])
def test_activation_functions_return_keras_values(name, case):
    x = ACTIVATION_INPUTS[case]
    ours = getattr(scratch.activations, name)(x)
    theirs = np.asarray(getattr(keras.activations, name)(x))
    assert isinstance(ours, np.ndarray)
    assert_close(ours, theirs, FORWARD_ATOL, FORWARD_RTOL, what=name, check_dtype=True)


def test_linear_and_softmax_axis_as_keras():
    x = ACTIVATION_INPUTS["float32-matrix"]
    assert_close(scratch.activations.linear(x), keras.activations.linear(x), 0.0, check_dtype=True)
    assert_close(scratch.activations.softmax(x, axis=0), keras.activations.softmax(x, axis=0),
                 FORWARD_ATOL, FORWARD_RTOL, what="softmax axis=0", check_dtype=True)
    assert scratch.activations.relu.__name__ == keras.activations.relu.__name__ == "relu"


def test_activation_functions_as_activation_arguments():
    """``Dense(activation=keras.activations.relu)`` is ``Dense(activation="relu")``: same summary,
    same Keras twin, same outputs."""
    def model(lib, relu, softmax):
        lib.backend.clear_session()
        return lib.Sequential([lib.Input((6,)), lib.layers.Dense(5, activation=relu),
                               lib.layers.Dense(3, activation=softmax)])

    by_function = model(scratch, scratch.activations.relu, scratch.activations.softmax)
    by_name = model(scratch, "relu", "softmax")
    theirs = model(keras, keras.activations.relu, keras.activations.softmax)
    assert summary_text(by_function) == summary_text(by_name) == summary_text(theirs)
    twin = keras_ref.to_keras(by_function)
    assert [l.activation.__name__ for l in twin.layers] == ["relu", "softmax"]
    x = np.random.default_rng(5).standard_normal((4, 6)).astype(F32)
    assert_close(by_function.predict(x, verbose=0), twin.predict(x, verbose=0), FORWARD_ATOL, FORWARD_RTOL)


# ----------------------------------------------------------------------------- models.load_model
def test_load_model_errors(tmp_path):
    model = scratch.Sequential([scratch.Input((3,)), layers.Dense(2)])
    weights = str(tmp_path / "model.weights.h5")
    model.save_weights(weights)
    cases = [(weights, ValueError), (str(tmp_path / "none.keras"), ValueError),
             (str(tmp_path / "model.txt"), ValueError), (str(tmp_path / "none.h5"), FileNotFoundError)]
    for path, error in cases:
        with pytest.raises(error):
            keras.models.load_model(path)
        with pytest.raises(error) as info:
            scratch.models.load_model(path)
        if path == weights:
            assert "is a weights file, not a model file" in str(info.value) and "load_weights" in str(info.value)
    existing = tmp_path / "model.keras"
    existing.write_bytes(b"PK")   # not a zip: scratch names the file (parity_tests/test_model_files.py)
    with pytest.raises(ValueError, match="filepath.*model.keras"):
        scratch.models.load_model(str(existing))


# ----------------------------------------------------------------------------- utils.plot_model
def png_size(path):
    with open(path, "rb") as stream:
        header = stream.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def test_plot_model_draws_with_matplotlib(tmp_path):
    model = hands_on_ml(scratch)
    path = str(tmp_path / "model.png")
    assert scratch.utils.plot_model(model, to_file=path, show_shapes=True) == path   # no IPython: the path
    sharp = png_size(path)                                                               # (Keras returns None)
    scratch.utils.plot_model(model, to_file=path, show_shapes=True, dpi=100)
    top_down = png_size(path)
    assert abs(sharp[0] - 2 * top_down[0]) <= 2 and abs(sharp[1] - 2 * top_down[1]) <= 2   # dpi=200 by default
    scratch.utils.plot_model(model, to_file=path, show_shapes=True, dpi=100, rankdir="LR", show_layer_names=True,
                             show_trainable=True, show_layer_activations=True)
    left_right = png_size(path)
    assert left_right[0] > top_down[0] and left_right[1] < top_down[1]
    scratch.utils.plot_model(model, to_file=str(tmp_path / "model.pdf"))
    assert (tmp_path / "model.pdf").read_bytes()[:4] == b"%PDF"


def test_plot_model_refusals():
    for lib in (scratch, keras):
        with pytest.raises(ValueError, match="not yet been built"):
            lib.utils.plot_model(lib.Sequential([lib.layers.Dense(2)]))
    model = hands_on_ml(scratch)
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        scratch.utils.plot_model(model, show_shape=True)
    with pytest.raises(ValueError, match=r"^rankdir: expected"):
        scratch.utils.plot_model(model, rankdir="XY")
    with pytest.raises(ValueError, match=r"^to_file: expected"):
        scratch.utils.plot_model(model, to_file="model.docx")



# ----------------------------------------------------------------------------- bad input
BAD_INPUT = [
    ("loss-labels-shape", lambda: scratch.losses.sparse_categorical_crossentropy(LABELS[:4], PROBS), ValueError,
     "y_true", "(4,)"),
    ("loss-label-range", lambda: scratch.losses.sparse_categorical_crossentropy(LABELS + 1, PROBS), ValueError,
     "y_true", "4"),
    ("loss-targets-shape", lambda: scratch.losses.categorical_crossentropy(ONE_HOT[:, :3], PROBS), ValueError,
     "y_true", "(6, 3)"),
    ("loss-axis", lambda: scratch.losses.categorical_crossentropy(ONE_HOT, PROBS, axis=2), ValueError, "axis", "2"),
    ("loss-from-logits", lambda: scratch.losses.categorical_crossentropy(ONE_HOT, PROBS, from_logits="yes"),
     TypeError, "from_logits", "'yes'"),
    ("loss-smoothing", lambda: scratch.losses.categorical_crossentropy(ONE_HOT, PROBS, label_smoothing=2),
     ValueError, "label_smoothing", "2"),
    ("loss-ignore-class", lambda: scratch.losses.sparse_categorical_crossentropy(LABELS, PROBS, ignore_class=0),
     ValueError, "ignore_class", "0"),
    ("loss-strings", lambda: scratch.losses.categorical_crossentropy(ONE_HOT, [["a"] * 4] * 6), TypeError,
     "y_pred", "<U1"),
    ("metric-labels-shape", lambda: scratch.metrics.sparse_categorical_accuracy(LABELS[:5], PROBS), ValueError,
     "y_true", "(5,)"),
    ("metric-targets-shape", lambda: scratch.metrics.categorical_accuracy(LABELS, PROBS), ValueError,
     "y_true", "(6,)"),
    ("binary-threshold", lambda: scratch.metrics.BinaryAccuracy(threshold="0.5"), TypeError, "threshold", "'0.5'"),
    ("metric-none", lambda: scratch.metrics.get(None), ValueError, "metrics", "None"),
    ("metric-number", lambda: scratch.metrics.get(3), ValueError, "metrics", "3"),
    ("input-batch-size", lambda: scratch.layers.InputLayer(shape=(3,), batch_size=0), ValueError, "batch_size", "0"),
    ("input-dtype", lambda: scratch.layers.InputLayer(shape=(3,), dtype="float64"), ValueError, "dtype",
     "'float64'"),
    ("input-sparse", lambda: scratch.layers.InputLayer(shape=(3,), sparse=True), ValueError, "sparse", "True"),
    ("input-unknown", lambda: scratch.layers.InputLayer(shape=(3,), tensor=1), ValueError, "kwargs", "tensor"),
    ("input-shape", lambda: scratch.layers.InputLayer(shape=(3, 0)), ValueError, "shape", "(3, 0)"),
    ("softmax-scalar", lambda: scratch.activations.softmax(3.0), ValueError, "x", "scalar"),
    ("softmax-axis", lambda: scratch.activations.softmax(PROBS, axis=2), ValueError, "axis", "2"),
    ("activation-strings", lambda: scratch.activations.tanh(["a"]), TypeError, "x", "<U1"),
    ("get-layer-index", lambda: hands_on_ml(scratch).get_layer(index=-9), ValueError, "index", "-9"),
    ("clear-session-flag", lambda: scratch.backend.clear_session(free_memory="no"), TypeError, "free_memory",
     "'no'"),
    ("plot-flag", lambda: scratch.utils.plot_model(hands_on_ml(scratch), show_shapes="yes"), TypeError,
     "show_shapes", "'yes'"),
    ("plot-dpi", lambda: scratch.utils.plot_model(hands_on_ml(scratch), dpi=0), ValueError, "dpi", "0"),
    ("load-model-path", lambda: scratch.models.load_model(3), TypeError, "filepath", "3"),
    ("to-categorical-classes", lambda: scratch.utils.to_categorical([0], num_classes=-2), ValueError,
     "num_classes", "-2"),
]


@pytest.mark.parametrize("case,call,error,argument,received", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_names_the_argument(case, call, error, argument, received):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{argument}:") and received in message and "expected" in message, message


@pytest.mark.parametrize("make", [lambda m: m.layers.Dense(3), lambda m: m.layers.Conv2D(3, 1)], ids=["Dense", "Conv2D"])
def test_an_activation_set_after_construction_is_used_as_keras_uses_it(make):
    """``layer.activation = ...`` after the layer is made (a name, a function or None) changes
    its output as in Keras; None means linear."""
    x = np.random.default_rng(1).standard_normal((2, 4, 4, 2)).astype(np.float32)
    ours, theirs = make(scratch), make(keras)
    ours.build((None, 4, 4, 2))
    theirs.build((None, 4, 4, 2))
    theirs.set_weights(ours.get_weights())
    for value, keras_value in ((scratch.activations.softmax, keras.activations.softmax), ("relu", keras.activations.relu),
                               (None, None)):
        ours.activation, theirs.activation = value, keras_value
        np.testing.assert_allclose(ours(x), np.asarray(theirs(x)), atol=1e-6)
    assert ours.activation is scratch.activations.linear
