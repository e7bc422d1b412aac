"""Model-level parity for the seed MLPs: parameter counts, every summary row and the totals,
predict on shared weights, Keras's automatic layer names, and .weights.h5 files both ways."""
import io

import numpy as np
import pytest

from parity_tests.keras_available import keras
from parity_tests.compare import assert_close
from parity_tests.tolerances import FORWARD_ATOL, FORWARD_RTOL
import keras_ref
from keras_ref.seed_models import seed_mlp  # the basic-classification tutorial's model
import scratch
from scratch import layers


def hands_on_mlp():
    """Hands-On ML's Sequential-API classifier."""
    return scratch.Sequential([
        scratch.Input((28, 28)),
        layers.Flatten(),
        layers.Dense(300, activation="relu"),
        layers.Dense(100, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


SEED_MODELS = [(seed_mlp, 101_770), (hands_on_mlp, 266_610)]


def summary_text(model, **kwargs):
    buffer = io.StringIO()
    model.summary(print_fn=buffer.write, **kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize("make,params", SEED_MODELS, ids=["seed_mlp", "hands_on_mlp"])
def test_count_params_summary_and_predict(make, params, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    ours = make()
    theirs = keras_ref.to_keras(ours)
    assert ours.count_params() == theirs.count_params() == params
    assert [l.output_shape for l in ours.layers] == [tuple(l.output.shape) for l in theirs.layers]
    assert summary_text(ours) == summary_text(theirs)
    x = np.random.default_rng(0).random((70, 28, 28), dtype=np.float32)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                 atol=FORWARD_ATOL, rtol=FORWARD_RTOL, what="predict on shared weights")


def test_summary_after_fit_shows_optimizer_params_like_keras(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    ours = seed_mlp()
    theirs = keras_ref.to_keras(ours)
    x = np.zeros((8, 28, 28), np.float32)
    y = np.arange(8) % 10
    for model, optimizer in ((ours, scratch.optimizers.Adam()), (theirs, keras.optimizers.Adam())):
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        model.fit(x, y, verbose=0)
    text = summary_text(ours)
    assert "Optimizer params: 203,542" in text
    assert text == summary_text(theirs)


def test_summary_of_an_unbuilt_model_matches_keras(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    scratch.clear_session()
    keras.backend.clear_session()
    ours = scratch.Sequential([layers.Dense(4), layers.Dense(2)])
    theirs = keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(2)])
    assert summary_text(ours) == summary_text(theirs)


def test_auto_names_follow_keras_counters():
    """Names are process-global per base name: the second model gets dense_2, dense_3, ..."""
    scratch.clear_session()
    keras.backend.clear_session()
    ours, theirs = [], []
    for _ in range(2):
        ours.append(scratch.Sequential([layers.Flatten(input_shape=(4, 4)), layers.Dense(3),
                                        layers.ReLU(), layers.Dense(2), layers.Softmax()]))
        theirs.append(keras.Sequential([keras.Input((4, 4)), keras.layers.Flatten(), keras.layers.Dense(3),
                                        keras.layers.ReLU(), keras.layers.Dense(2), keras.layers.Softmax()]))
    for a, b in zip(ours, theirs):
        assert a.name == b.name
        assert [l.name for l in a.layers] == [l.name for l in b.layers]


@pytest.mark.parametrize("make", [seed_mlp, hands_on_mlp], ids=["seed_mlp", "hands_on_mlp"])
def test_get_weights_order_and_shapes_match_keras(make):
    ours = make()
    theirs = keras_ref.to_keras(ours)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_scratch_weight_file_loads_into_keras_and_back(tmp_path):
    ours = seed_mlp()
    path = str(tmp_path / "seed.weights.h5")
    ours.save_weights(path)
    theirs = keras_ref.to_keras(seed_mlp())  # different random weights, different layer names
    theirs.load_weights(path)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(1).random((16, 28, 28), dtype=np.float32)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                 atol=FORWARD_ATOL, rtol=FORWARD_RTOL, what="predict after loading our file into Keras")
    # Keras writes its own file; ours reads it.
    keras_path = str(tmp_path / "keras.weights.h5")
    theirs.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    theirs.fit(x, np.arange(16) % 10, verbose=0)  # the file then also holds optimizer state
    theirs.save_weights(keras_path)
    back = seed_mlp()
    back.load_weights(keras_path)
    for a, b in zip(back.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_from_keras_copies_architecture_names_and_weights():
    theirs = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="tanh"),
                               keras.layers.Activation("sigmoid"), keras.layers.Dense(3),
                               keras.layers.Softmax()])
    ours = keras_ref.from_keras(theirs)
    assert [type(l).__name__ for l in ours.layers] == [type(l).__name__ for l in theirs.layers]
    assert [l.name for l in ours.layers] == [l.name for l in theirs.layers]
    x = np.random.default_rng(2).standard_normal((9, 6)).astype(np.float32)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                 atol=FORWARD_ATOL, rtol=FORWARD_RTOL, what="from_keras predict")


def test_bridge_refuses_unknown_layers():
    class Custom(layers.Layer):
        def forward(self, x, training=False):
            return x

    with pytest.raises(TypeError, match="Custom.*supported layers"):
        keras_ref.to_keras(scratch.Sequential([scratch.Input((3,)), Custom()]))
    with pytest.raises(TypeError, match="GaussianNoise.*supported layers"):
        keras_ref.from_keras(keras.Sequential([keras.Input((3,)), keras.layers.GaussianNoise(0.1)]))


def test_calling_an_unbuilt_model_builds_it_and_computes_like_keras():
    """``model(x)`` on a model without an input shape builds it from ``x`` (as Keras), gives
    Keras's output on the same weights, and refuses a later input of another shape."""
    x = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    ours = scratch.Sequential([layers.Dense(5, activation="relu"), layers.Dense(2, activation="softmax")])
    out = ours(x)
    theirs = keras_ref.to_keras(ours)
    assert_close(out, theirs(x).numpy(), FORWARD_ATOL, FORWARD_RTOL, what="model(x)")
    with pytest.raises(ValueError, match=r"expected input of shape \(None, 3\), received shape \(4, 6\)"):
        ours(np.zeros((4, 6), np.float32))
