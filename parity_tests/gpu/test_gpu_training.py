"""Whole training runs: ``fit`` on the gpu backend gives the cpu backend's weights and History.

The seed MLP's layers (``keras_ref.seed_models``: Flatten → Dense(128, relu) → Dense(10,
softmax)) on 8x8 inputs, and a small CNN with every layer kind of the seed CNN (Conv2D,
MaxPooling2D, Flatten, Dense, Dropout, softmax), each trained two epochs with
``shuffle=False`` on a tiny random subset, then ``predict`` and ``evaluate``. All three train in
the device-resident trainer (``scratch/engine/gpu/trainer.py``); ``test_gpu_trainer.py`` runs
models it does not know through ``fit``'s own loop, one gpu op at a time. Small enough for
Numba's CUDA simulator; on a GPU the products are the tiled kernels.
"""
import numpy as np
import pytest

import scratch
from keras_ref.seed_models import seed_layers
from parity_tests import tolerances as tol
from scratch import backend, layers


def small_cnn():
    return [layers.Conv2D(4, 3, activation="relu", padding="same"), layers.MaxPooling2D(2),
            layers.Conv2D(4, 3, activation="relu", padding="same"), layers.MaxPooling2D(2),
            layers.Flatten(), layers.Dense(8, activation="relu"), layers.Dropout(0.4),
            layers.Dense(10, activation="softmax")]


# (id, input shape, layers, optimizer, samples)
CASES = [
    ("seed-mlp-adam", (8, 8), lambda: seed_layers("scratch", "mlp"), lambda: scratch.optimizers.Adam(), 64),
    ("seed-mlp-sgd-nesterov", (8, 8), lambda: seed_layers("scratch", "mlp"),
     lambda: scratch.optimizers.SGD(0.05, momentum=0.9, nesterov=True), 32),
    ("small-cnn-adam", (8, 8, 1), small_cnn, lambda: scratch.optimizers.Adam(), 32),
]


def train(backend_name, input_shape, make_layers, make_optimizer, samples):
    """A seeded model trained 2 epochs on ``backend_name``: (weights, History, predictions, evaluation)."""
    backend.set_backend(backend_name)
    scratch.set_random_seed(0)
    backend.clear_session()
    model = scratch.Sequential([scratch.Input(input_shape)] + make_layers())
    model.compile(optimizer=make_optimizer(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    data = np.random.default_rng(1)
    x = data.random((samples,) + input_shape).astype(np.float32)
    y = data.integers(0, 10, samples)
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, validation_data=(x[:8], y[:8]))
    predictions = model.predict(x[:5], verbose=0)
    evaluation = model.evaluate(x[:8], y[:8], verbose=0)
    return model.get_weights(), history.history, predictions, evaluation


@pytest.mark.parametrize("input_shape, make_layers, make_optimizer, samples", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_two_epochs_on_gpu_give_the_cpu_results(input_shape, make_layers, make_optimizer, samples):
    weights, history, predictions, evaluation = train("gpu", input_shape, make_layers, make_optimizer, samples)
    cpu_weights, cpu_history, cpu_predictions, cpu_evaluation = train("cpu", input_shape, make_layers,
                                                                      make_optimizer, samples)
    assert len(weights) == len(cpu_weights)
    for i, (w, cpu_w) in enumerate(zip(weights, cpu_weights)):
        np.testing.assert_allclose(w, cpu_w, atol=tol.GPU_TRAINING_ATOL, rtol=0, err_msg=f"weight {i}")
    assert sorted(history) == sorted(cpu_history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for key in cpu_history:
        np.testing.assert_allclose(history[key], cpu_history[key], atol=tol.GPU_TRAINING_ATOL, rtol=0, err_msg=key)
    assert isinstance(predictions, np.ndarray) and predictions.dtype == np.float32
    np.testing.assert_allclose(predictions, cpu_predictions, atol=tol.GPU_TRAINING_ATOL, rtol=0)
    assert all(type(value) is float for value in evaluation)
    np.testing.assert_allclose(evaluation, cpu_evaluation, atol=tol.GPU_TRAINING_ATOL, rtol=0)
