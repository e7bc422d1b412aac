"""Optimizer parity: many-step trajectories of scratch's SGD/Adam/RMSprop against keras.optimizers
fed the same gradient stream, plus Keras's own golden values (closed-form truths)."""
import numpy as np
import pytest

from parity_tests.keras_available import keras
from parity_tests.compare import assert_close
from parity_tests.tolerances import OPTIMIZER_ATOL
from scratch import backend, optimizers
from scratch.engine import cpu
from scratch.variable import Variable

CASES = [
    ("SGD", dict(learning_rate=0.1)),
    ("SGD", dict(learning_rate=0.05, momentum=0.9)),
    ("SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict()),
    ("Adam", dict(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6)),
    ("Adam", dict(learning_rate=0.01, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(learning_rate=0.01, momentum=0.5, centered=True)),
]
STEPS = 40
SHAPES = [(5, 3), (3,)]


def gradient_stream(steps, scale):
    rng = np.random.default_rng(7)
    # Gradients of varied sizes, including tiny ones where a misplaced Adam epsilon shows most.
    return [[(rng.standard_normal(s) * scale * rng.uniform(0.1, 2.0)).astype(np.float32) for s in SHAPES]
            for _ in range(steps)]


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("scale", [1.0, 1e-6])
@pytest.mark.parametrize("name,config", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_matches_keras(name, config, scale, backend_name):
    backend.set_backend(backend_name)
    rng = np.random.default_rng(3)
    initial = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    ours = [Variable(w) for w in initial]
    theirs = [keras.Variable(w) for w in initial]
    our_opt = getattr(optimizers, name)(**config)
    keras_config = dict(config)
    if "momentum" in keras_config:  # Keras insists on a Python float
        keras_config["momentum"] = float(keras_config["momentum"])
    keras_opt = getattr(keras.optimizers, name)(**keras_config)
    for step, grads in enumerate(gradient_stream(STEPS, scale)):
        our_opt.apply_gradients(list(zip(grads, ours)))
        keras_opt.apply_gradients(list(zip(grads, theirs)))
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_close(a.value, b.numpy(), atol=OPTIMIZER_ATOL,
                         what=f"{name} step {step + 1} variable {i}")
    assert our_opt.iterations == int(keras_opt.iterations.numpy()) == STEPS


def test_textbook_adam_would_fail_the_tolerance():
    """The trajectory test can fail: the textbook form m̂/(√v̂ + ε) drifts from Keras's form."""
    grads = [g[0].astype(np.float64) for g in gradient_stream(8, 1e-6)]
    keras_w = keras.Variable(np.ones(SHAPES[0], np.float32))
    keras_opt = keras.optimizers.Adam()
    w, m, v = np.ones(SHAPES[0]), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        keras_opt.apply_gradients([(g.astype(np.float32), keras_w)])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w = w - 0.001 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-7)
    assert np.abs(w - keras_w.numpy()).max() > 100 * OPTIMIZER_ATOL


def test_adam_single_step_golden():
    """keras/src/optimizers/adam_test.py::test_single_step: lr 0.5, grads [1, 6, 7, 2] on [1, 2, 3, 4]."""
    w = Variable(np.array([1.0, 2.0, 3.0, 4.0]))
    optimizers.Adam(learning_rate=0.5).apply_gradients([(np.array([1.0, 6.0, 7.0, 2.0]), w)])
    np.testing.assert_allclose(w.value, [0.5, 1.5, 2.5, 3.5], rtol=1e-4, atol=1e-4)


def test_adam_amsgrad_golden():
    """keras/src/optimizers/adam_test.py::test_correctness_with_golden (amsgrad=True)."""
    w = Variable(np.ones(10))
    opt = optimizers.Adam(amsgrad=True)
    golden = [0.999, 0.9982, 0.9974, 0.9965, 0.9955]
    grads = [0.01] + [0.1 * k for k in range(1, 10)]
    for step in range(5):
        opt.apply_gradients([(np.full(10, grads[step], np.float32), w)])
        np.testing.assert_allclose(w.value, np.full(10, golden[step]), atol=5e-4)


def test_slots_are_created_on_first_apply_and_counted():
    w = Variable(np.ones((4, 3)))
    opt = optimizers.Adam()
    assert not opt.built
    opt.apply_gradients([(np.ones((4, 3)), w)])
    # Keras: iteration (int64, 8 B) + learning_rate (float32) + momentum + velocity
    assert opt.variable_count() == (2 + 24, 12 + 4 * 24)
    assert optimizers.SGD().variable_count() == (2, 12)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_fused_adam_kernel_equals_the_readable_update_bit_for_bit(amsgrad):
    """The cpu engine's one-pass ``adam_update`` against ``Adam.update_step``'s NumPy lines
    (run on the reference backend): the same float32 operations in the same order."""
    trajectories = {}
    for backend_name in backend.BACKENDS:
        backend.set_backend(backend_name)
        rng = np.random.default_rng(3)
        variables = [Variable(rng.standard_normal(s).astype(np.float32)) for s in SHAPES]
        opt = optimizers.Adam(learning_rate=0.01, amsgrad=amsgrad)
        for grads in gradient_stream(STEPS, 1.0):
            opt.apply_gradients(list(zip(grads, variables)))
        trajectories[backend_name] = [v.value for v in variables]
    for a, b in zip(trajectories["cpu"], trajectories["reference"]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_split_adam_update_equals_the_readable_update_bit_for_bit(amsgrad, monkeypatch):
    """A variable above ADAM_SPLIT_MIN is updated in two halves on two threads: the same numbers
    as the readable update (and the split really happens: the helper thread is made)."""
    monkeypatch.setattr(cpu, "ADAM_SPLIT_MIN", 1000)
    monkeypatch.setattr(cpu, "_adam_helper", None)
    monkeypatch.setattr(cpu, "_cores", lambda: 2)
    trajectories = {}
    for backend_name in backend.BACKENDS:
        backend.set_backend(backend_name)
        rng = np.random.default_rng(5)
        variable = Variable(rng.standard_normal((37, 61)).astype(np.float32))
        opt = optimizers.Adam(learning_rate=0.01, amsgrad=amsgrad)
        for _ in range(5):
            opt.apply_gradients([(rng.standard_normal((37, 61)).astype(np.float32), variable)])
        trajectories[backend_name] = variable.value
    assert cpu._adam_helper is not None
    np.testing.assert_array_equal(trajectories["cpu"], trajectories["reference"])
