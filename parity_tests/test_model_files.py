"""Whole-model files (``model.save`` / ``scratch.models.load_model``) against Keras, both ways:
``.keras`` zips and legacy ``.h5`` files of the seed MLP, the seed CNN and a model with a nested
augmentation model; predictions within 1e-6, the compile state and the optimizer's variables
restored, training resumed like Keras's reloaded model; bad files named in the errors;
``ModelCheckpoint`` saving whole models.
"""
import json
import os
import zipfile

import numpy as np
import pytest

from parity_tests.keras_available import keras
from parity_tests.tolerances import TRAINING_ATOL
import scratch
from keras_ref.seed_models import build

PREDICT_ATOL = 1e-6
FORMATS = ["keras", "h5"]


def augmented(stack):
    lib = scratch if stack == "scratch" else keras
    l = lib.layers
    augmentation = lib.Sequential([l.RandomFlip("horizontal", seed=1), l.RandomRotation(0.1, seed=2),
                                   l.RandomZoom(0.1, seed=3), l.RandomTranslation(0.1, 0.1, seed=4),
                                   l.RandomContrast(0.2, seed=5)], name="augmentation")
    return lib.Sequential([lib.Input((12, 12, 1)), augmentation, l.Rescaling(1 / 255),
                           l.Conv2D(4, 3, activation="relu"), l.MaxPooling2D(), l.Flatten(),
                           l.Dense(10, activation="softmax")])


def make(stack, name):
    return augmented(stack) if name == "augmented" else build(stack, name)


def data(model, n=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n,) + tuple(model.input_shape[1:])).astype("float32")
    if model.layers and type(model.layers[0]).__name__ == "Sequential":   # the augmented model rescales
        x *= 255
    return x, rng.integers(0, 10, n)


def trained(stack, name, optimizer="adam"):
    model = make(stack, name)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data(model)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    return model, x


def optimizer_values(model):
    if hasattr(model.optimizer, "_learning_rate") and not hasattr(model.optimizer.variables[0], "numpy"):
        return [np.asarray(v.value) for v in model.optimizer.variables]
    return [np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in model.optimizer.variables]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["mlp", "cnn", "augmented"])
def test_scratch_file_opens_in_keras_with_the_same_predictions_and_optimizer(tmp_path, name, fmt):
    ours, x = trained("scratch", name)
    path = str(tmp_path / f"model.{fmt}")
    ours.save(path)
    assert os.listdir(tmp_path) == [f"model.{fmt}"]   # no temporary left
    theirs = keras.models.load_model(path)
    np.testing.assert_allclose(theirs.predict(x, verbose=0), ours.predict(x, verbose=0), atol=PREDICT_ATOL)
    assert [l.name for l in theirs.layers] == [l.name for l in ours.layers]
    loss_name = getattr(theirs.loss, "__name__", theirs.loss)   # the legacy loader gives the function
    assert type(theirs.optimizer).__name__ == "Adam" and loss_name == "sparse_categorical_crossentropy"
    ours_values = optimizer_values(ours)
    if fmt == "h5":   # Keras's legacy loader restores iteration and learning_rate, not the slots
        ours_values = ours_values[:2]
    for a, b in zip(optimizer_values(theirs), ours_values, strict=True):
        np.testing.assert_allclose(a, b, atol=0)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["mlp", "cnn", "augmented"])
def test_keras_file_opens_in_scratch_with_the_same_predictions_and_optimizer(tmp_path, name, fmt):
    theirs, x = trained("keras", name)
    path = str(tmp_path / f"model.{fmt}")
    theirs.save(path)
    ours = scratch.models.load_model(path)
    assert isinstance(ours, scratch.Sequential)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=PREDICT_ATOL)
    assert [l.name for l in ours.layers] == [l.name for l in theirs.layers]
    assert ours.count_params() == theirs.count_params()
    assert type(ours.optimizer).__name__ == "Adam" and ours.metrics_names == ["loss", "compile_metrics"]
    assert ours.optimizer.iterations == int(theirs.optimizer.iterations.numpy())
    for a, b in zip(optimizer_values(ours), optimizer_values(theirs), strict=True):
        np.testing.assert_allclose(a, b, atol=0)


@pytest.mark.parametrize("fmt", ["keras"])   # Keras's model reloaded from a legacy .h5 cannot train on
@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])   # ("Unknown variable": its optimizer is unbuilt)
def test_training_resumes_like_kerass_reloaded_model(tmp_path, fmt, optimizer):
    theirs, _ = trained("keras", "mlp", optimizer)
    path = str(tmp_path / f"model.{fmt}")
    theirs.save(path)
    k_model, s_model = keras.models.load_model(path), scratch.models.load_model(path)
    x, y = data(k_model, n=32, seed=1)
    k_history = k_model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False).history
    s_history = s_model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False).history
    for a, b in zip(s_model.get_weights(), k_model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=TRAINING_ATOL)
    np.testing.assert_allclose(s_history["loss"], k_history["loss"], atol=TRAINING_ATOL)
    assert s_model.optimizer.iterations == int(k_model.optimizer.iterations.numpy()) == 6


def test_the_keras_file_has_kerass_entries_and_compile_config(tmp_path):
    ours, _ = trained("scratch", "mlp")
    path = tmp_path / "m.keras"
    ours.save(path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(archive.read("config.json"))
    compiled = config["compile_config"]
    assert compiled["optimizer"]["class_name"] == "Adam" and compiled["metrics"] == ["accuracy"]
    assert [layer["class_name"] for layer in config["config"]["layers"]] == ["InputLayer", "Flatten", "Dense", "Dense"]


def test_an_uncompiled_model_and_compile_false(tmp_path):
    model = build("scratch", "mlp")
    path = str(tmp_path / "m.keras")
    model.save(path)
    theirs = keras.models.load_model(path)
    x, _ = data(model)
    np.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), atol=PREDICT_ATOL)
    trained_model, _ = trained("scratch", "mlp")
    trained_model.save(path)
    assert scratch.models.load_model(path, compile=False).optimizer is None


# ----------------------------------------------------------------------------- bad input
def test_missing_and_weights_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match="none.keras"):
        scratch.models.load_model(str(tmp_path / "none.keras"))
    with pytest.raises(FileNotFoundError, match="filepath.*none.h5"):
        scratch.models.load_model(str(tmp_path / "none.h5"))
    weights = str(tmp_path / "m.weights.h5")
    build("scratch", "mlp").save_weights(weights)
    with pytest.raises(ValueError, match="load_weights"):
        scratch.models.load_model(weights)


@pytest.mark.parametrize("fmt,content", [("keras", b"PK\x03\x04 not a zip"), ("h5", b"\x89HDF garbage"),
                                         ("keras", b"")])
def test_corrupt_files_are_value_errors_naming_the_file(tmp_path, fmt, content):
    path = tmp_path / f"broken.{fmt}"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"filepath: .*broken.{fmt}"):
        scratch.models.load_model(str(path))


def test_a_truncated_keras_file_is_a_value_error(tmp_path):
    model, _ = trained("scratch", "mlp")
    path = tmp_path / "m.keras"
    model.save(path)
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(ValueError, match="filepath: .*m.keras"):
        scratch.models.load_model(str(path))


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unsupported_layer_class_is_named(tmp_path, fmt):
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
                               keras.layers.BatchNormalization(name="norm")])
    path = str(tmp_path / f"m.{fmt}")
    theirs.save(path)
    with pytest.raises(ValueError, match=r"filepath: .*'norm' of class BatchNormalization.*supported"):
        scratch.models.load_model(path)


def test_saving_an_unsupported_layer_writes_nothing(tmp_path):
    class Custom(scratch.layers.ReLU):
        pass

    model = scratch.Sequential([scratch.Input((3,)), Custom()])
    with pytest.raises(TypeError, match="Custom"):
        model.save(str(tmp_path / "m.keras"))
    assert os.listdir(tmp_path) == []


def test_a_failed_save_leaves_the_previous_file(tmp_path, monkeypatch):
    model, _ = trained("scratch", "mlp")
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()
    from scratch.saving import keras_file

    def failing(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keras_file, "write_bytes", failing)
    with pytest.raises(OSError):
        model.save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.keras"]


def test_save_refuses_other_suffixes(tmp_path):
    model = build("scratch", "mlp")
    for name in ["m.weights.h5", "m.txt"]:
        with pytest.raises(ValueError, match="filepath"):
            model.save(str(tmp_path / name))
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------------------- ModelCheckpoint
@pytest.mark.parametrize("fmt", FORMATS)
def test_model_checkpoint_saves_the_whole_model(tmp_path, fmt):
    model = build("scratch", "mlp")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data(model, n=32)
    path = str(tmp_path / f"best.{fmt}")
    checkpoint = scratch.callbacks.ModelCheckpoint(path, monitor="loss", save_best_only=True)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[checkpoint])
    assert os.listdir(tmp_path) == [f"best.{fmt}"]
    for loaded in (keras.models.load_model(path), scratch.models.load_model(path)):
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=PREDICT_ATOL)


def test_model_checkpoint_still_checks_the_folder_at_fit_start(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    model = build("scratch", "mlp")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = data(model)
    checkpoint = scratch.callbacks.ModelCheckpoint(str(blocker / "ck.keras"))
    with pytest.raises(OSError, match="filepath"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])
    assert checkpoint._estimated_file_size() > scratch.weights_io.estimated_file_size(model)


@pytest.mark.parametrize("fmt", [".keras", ".h5"])
def test_relu_options_and_the_new_pooling_layers_travel_both_ways(tmp_path, fmt):
    """ReLU's max_value/negative_slope/threshold, AveragePooling2D, GlobalAveragePooling2D and
    GlobalMaxPooling2D in a file: Keras reads scratch's, scratch reads Keras's, same numbers."""
    layers = scratch.layers
    ours = scratch.Sequential([scratch.Input((8, 8, 3)), layers.Conv2D(4, 3, padding="same"),
                               layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
                               layers.AveragePooling2D(2, padding="same"), layers.Conv2D(5, 1),
                               layers.GlobalAveragePooling2D(keepdims=True), layers.GlobalMaxPooling2D(),
                               layers.Dense(3)])
    x = np.random.default_rng(0).random((2, 8, 8, 3)).astype(np.float32)
    path, keras_path = str(tmp_path / f"ours{fmt}"), str(tmp_path / f"theirs{fmt}")
    ours.save(path)
    theirs = keras.models.load_model(path)
    relu = theirs.layers[1]
    assert (relu.max_value, relu.negative_slope, relu.threshold) == (6.0, 0.1, 0.5)
    assert [type(l).__name__ for l in theirs.layers][3:6] == ["Conv2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D"]
    np.testing.assert_allclose(theirs.predict(x, verbose=0), ours.predict(x, verbose=0), atol=1e-6)
    theirs.save(keras_path)
    back = scratch.models.load_model(keras_path)
    np.testing.assert_array_equal(back.predict(x, verbose=0), ours.predict(x, verbose=0))
