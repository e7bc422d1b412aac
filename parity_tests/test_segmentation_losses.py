"""Crossentropies on labels of higher rank (segmentation: y_true (N, H, W), y_pred (N, H, W, C)),
against Keras: loss values, and a training step of a small per-pixel classifier (Conv2D 1x1 +
softmax) — loss, kernel and bias gradients, weights after one SGD step."""
import numpy as np
import pytest

from parity_tests.keras_available import keras, tf
from parity_tests.compare import assert_close
import keras_ref
import scratch
from scratch import backend, layers, losses

RNG = np.random.default_rng(0)


def probs(shape):
    p = RNG.uniform(0.01, 1, shape).astype(np.float32)
    return p / p.sum(-1, keepdims=True)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 7, 4), (2, 2, 3, 2, 3)])
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
def test_crossentropies_of_any_rank_match_keras(shape, from_logits, reduction):
    y_pred = (RNG.standard_normal(shape) * 3).astype(np.float32) if from_logits else probs(shape)
    labels = RNG.integers(0, shape[-1], shape[:-1])
    onehot = np.eye(shape[-1], dtype=np.float32)[labels]
    for ours, theirs, y in ((losses.SparseCategoricalCrossentropy, keras.losses.SparseCategoricalCrossentropy, labels),
                            (losses.CategoricalCrossentropy, keras.losses.CategoricalCrossentropy, onehot)):
        got = ours(from_logits=from_logits, reduction=reduction)(y, y_pred)
        want = theirs(from_logits=from_logits, reduction=reduction)(y, y_pred).numpy()
        assert np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)


def test_the_segmentation_case_of_the_issue_is_right():
    y_pred = probs((4, 8, 8, 3))
    labels = np.argmax(y_pred, -1)       # mostly confident and right: a small loss
    got = float(losses.SparseCategoricalCrossentropy()(labels, y_pred))
    assert got == pytest.approx(float(keras.losses.SparseCategoricalCrossentropy()(labels, y_pred)), rel=1e-6)


@pytest.mark.parametrize("y_true_shape,y_pred_shape", [((4, 3), (4, 5)), ((2, 3, 4, 4), (2, 3, 4, 5)),
                                                       ((2, 3, 5), (2, 3, 4, 5))])
def test_categorical_crossentropy_refuses_targets_of_another_shape(y_true_shape, y_pred_shape):
    y_true, y_pred = np.zeros(y_true_shape, np.float32), probs(y_pred_shape)
    with pytest.raises(ValueError):
        keras.losses.CategoricalCrossentropy()(y_true, y_pred)
    with pytest.raises(ValueError, match="y_true") as caught:
        losses.CategoricalCrossentropy()(y_true, y_pred)
    assert str(y_true_shape) in str(caught.value) and str(y_pred_shape) in str(caught.value)


def test_sparse_crossentropy_refuses_labels_of_another_shape():
    with pytest.raises(ValueError, match="y_true"):
        losses.SparseCategoricalCrossentropy()(np.zeros((2, 3, 5), int), probs((2, 3, 4, 5)))


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", "categorical_crossentropy"])
def test_a_training_step_of_a_per_pixel_classifier_matches_keras(loss, backend_name):
    backend.set_backend(backend_name)
    x = RNG.standard_normal((4, 5, 6, 3)).astype(np.float32)
    labels = RNG.integers(0, 4, (4, 5, 6))
    y = labels if loss.startswith("sparse") else np.eye(4, dtype=np.float32)[labels]
    model = scratch.Sequential([scratch.Input((5, 6, 3)), layers.Conv2D(4, 1, activation="softmax")])
    model.layers[0].set_weights([RNG.standard_normal((1, 1, 3, 4)).astype(np.float32),
                                 RNG.standard_normal(4).astype(np.float32) * 0.1])
    keras_model = keras_ref.to_keras(model)
    model.compile(optimizer=scratch.optimizers.SGD(0.1), loss=loss)
    keras_model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)

    _, ours = model.compute_gradients(x, y)
    keras_loss = keras.losses.get(loss)
    with tf.GradientTape() as tape:
        theirs = tf.reduce_mean(keras_loss(y, keras_model(x, training=True)))
    grads = tape.gradient(theirs, keras_model.trainable_weights)
    assert float(ours) == pytest.approx(float(theirs), rel=1e-5)
    for variable, grad in zip(model.trainable_variables, grads):
        assert_close(variable.grad, grad.numpy(), 1e-6, 1e-4, what=f"{variable.name} gradient")

    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    keras_history = keras_model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(keras_history.history["loss"][0], rel=1e-5)
    for ours_w, theirs_w in zip(model.get_weights(), keras_model.get_weights()):
        assert_close(ours_w, theirs_w, 1e-6, 1e-5, what="weights after one step")
