"""The benchmarks' "kernels alone" floor (benchmarks/floor.py, ``mlp_step_kernels``) claims to
compute what ``fit`` computes in a step of the seed MLP, only without the framework around the
kernels: its step must move the weights exactly as ``Sequential.train_step`` does from the same
weights and batch, or the floor it reports is the floor of some other computation."""
import numpy as np
import pytest

import scratch
from benchmarks import floor


@pytest.fixture
def cpu_backend():
    before = scratch.backend.get_backend()
    scratch.backend.set_backend("cpu")
    yield
    scratch.backend.set_backend(before)


def seed_mlp(width):
    model = scratch.Sequential([scratch.Input((28, 28)), scratch.layers.Flatten(),
                                scratch.layers.Dense(width, activation="relu"),
                                scratch.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=scratch.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.compute_grad_x = False   # as inside fit: the first layer needs no input gradient
    return model


def test_kernel_step_moves_weights_as_train_step(cpu_backend):
    rng = np.random.default_rng(0)
    model = seed_mlp(width=24)
    x = rng.random((32, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    weights = [w.copy() for w in model.get_weights()]
    moments = [(np.zeros_like(w), np.zeros_like(w)) for w in weights]
    adam = model.optimizer
    constants = (adam.alpha(), np.float32(1 - adam.beta_1), np.float32(1 - adam.beta_2), np.float32(adam.epsilon))
    before = [w.copy() for w in weights]

    accuracy = floor.mlp_step_kernels(x.reshape(32, -1), y, weights, moments, constants)
    logs = model.train_step((x, y))

    for ours, theirs, start in zip(weights, model.get_weights(), before):
        assert not np.array_equal(ours, start)          # the step moved every variable
        np.testing.assert_array_equal(ours, theirs)     # exactly as train_step did
    assert accuracy == pytest.approx(logs["accuracy"])


def test_kernel_step_runs_on_its_own_data():
    step = floor.mlp_kernel_step(batch=16, width=8, samples=64)
    accuracies = [step() for _ in range(8)]   # twice through the 4 batches of the shuffled order
    assert all(0.0 <= a <= 1.0 for a in accuracies)
