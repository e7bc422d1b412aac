"""The device-resident ``fit`` (``scratch/engine/gpu/trainer.py``, ``blocks.py``) against the cpu
backend's ``fit``: which models it takes, the launches of a step, when the host waits for the
device, and the numbers — weights, History, optimizer state, what callbacks see at each epoch's
end, ``predict`` after. The seed MLP, and CNNs with the seed CNN's layer kinds (Conv2D,
MaxPooling2D, Flatten, Dense, Dropout) on 8x8 images with few filters, for the simulator's speed.
"""
import numpy as np
import pytest

import scratch
from keras_ref.seed_models import seed_layers
from parity_tests import tolerances as tol
from scratch import backend, layers
from scratch.callbacks import Callback, TerminateOnNaN
from scratch.engine.gpu import blocks as blocks_module, trainer as trainer_module


@pytest.fixture
def trainers(monkeypatch):
    """The DeviceTrainers ``fit`` creates, recorded, with the number of times each one read its
    running sums back from the device."""
    made = []
    original_init, original_logs = trainer_module.DeviceTrainer.__init__, trainer_module.DeviceTrainer.training_logs

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.reads = 0
        made.append(self)

    def training_logs(self):
        self.reads += 1
        return original_logs(self)

    monkeypatch.setattr(trainer_module.DeviceTrainer, "__init__", init)
    monkeypatch.setattr(trainer_module.DeviceTrainer, "training_logs", training_logs)
    return made


class WeightsAtEpochEnd(Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(self.model.get_weights())


def seed_mlp(input_shape=(6, 6)):
    return scratch.Sequential([scratch.Input(input_shape)] + seed_layers("scratch", "mlp"))


def small_cnn():
    """The seed CNN's layers (``keras_ref.seed_models``) with 4 and 8 filters and 8 units."""
    return [layers.Conv2D(4, 3, activation="relu", padding="same"), layers.MaxPooling2D(2),
            layers.Conv2D(8, 3, activation="relu", padding="same"), layers.MaxPooling2D(2),
            layers.Flatten(), layers.Dense(8, activation="relu"), layers.Dropout(0.4),
            layers.Dense(10, activation="softmax")]


def fit_on(backend_name, optimizer, shuffle, verbose=0, model_class=None, callbacks_extra=(), input_shape=(6, 6),
           make_layers=None, samples=40, batch_size=16, **fit_kwargs):
    """A seeded model (the seed MLP unless ``make_layers``) trained 2 epochs on ``backend_name``:
    (model, History, weights at each epoch's end)."""
    backend.set_backend(backend_name)
    scratch.set_random_seed(5)
    backend.clear_session()
    stack = [scratch.Input(input_shape)] + make_layers() if make_layers else seed_mlp(input_shape).layers
    model = (model_class or scratch.Sequential)(stack)
    model.compile(optimizer=optimizer(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    data = np.random.default_rng(2)
    x, y = data.random((samples,) + input_shape).astype(np.float32), data.integers(0, 10, samples)
    watcher = WeightsAtEpochEnd()
    history = model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=shuffle, verbose=verbose,
                        callbacks=[watcher, *callbacks_extra], **fit_kwargs)
    return model, history.history, watcher.seen


def assert_same_training(gpu_run, cpu_run):
    (model, history, seen), (cpu_model, cpu_history, cpu_seen) = gpu_run, cpu_run
    x = np.random.default_rng(7).random((3,) + model.input_shape[1:]).astype(np.float32)
    predictions = model.predict(x, verbose=0)
    assert isinstance(predictions, np.ndarray) and predictions.dtype == np.float32
    np.testing.assert_allclose(predictions, cpu_model.predict(x, verbose=0), atol=tol.GPU_TRAINING_ATOL, rtol=0)
    for w, cpu_w in zip(model.get_weights(), cpu_model.get_weights()):
        np.testing.assert_allclose(w, cpu_w, atol=tol.GPU_TRAINING_ATOL, rtol=0)
    assert sorted(history) == sorted(cpu_history)
    for key in cpu_history:
        np.testing.assert_allclose(history[key], cpu_history[key], atol=tol.GPU_TRAINING_ATOL, rtol=0, err_msg=key)
    assert len(seen) == len(cpu_seen) == 2
    for epoch_weights, cpu_epoch_weights in zip(seen, cpu_seen):
        for w, cpu_w in zip(epoch_weights, cpu_epoch_weights):
            np.testing.assert_allclose(w, cpu_w, atol=tol.GPU_TRAINING_ATOL, rtol=0)


def test_the_seed_mlp_trains_on_the_device_in_eight_launches_a_step_without_waiting(trainers):
    gpu_run = fit_on("gpu", scratch.optimizers.Adam, shuffle=True, validation_split=0.25)
    cpu_run = fit_on("cpu", scratch.optimizers.Adam, shuffle=True, validation_split=0.25)
    assert len(trainers) == 1, "the device trainer did not run the seed MLP"
    assert trainers[0].launches_per_step == 3 * 2 + 2
    assert trainers[0].reads == 2, "the host read the running sums inside an epoch with verbose=0"
    assert_same_training(gpu_run, cpu_run)
    model, cpu_model = gpu_run[0], cpu_run[0]
    assert model.optimizer.iterations == cpu_model.optimizer.iterations == 4
    for v, cpu_v in zip(model.optimizer.variables, cpu_model.optimizer.variables):
        np.testing.assert_allclose(v.value, cpu_v.value, atol=tol.GPU_TRAINING_ATOL, rtol=0, err_msg=v.name)


def test_with_the_progress_bar_the_logs_are_read_when_printed(trainers, capsys):
    fit_on("gpu", scratch.optimizers.SGD, shuffle=False, verbose=1)
    assert "Epoch 2/2" in capsys.readouterr().out
    assert trainers[0].reads == 2 * (3 + 1)   # every step's bar update, and each epoch's end


def test_sgd_with_momentum_on_the_device_matches_cpu(trainers):
    def sgd():
        return scratch.optimizers.SGD(0.1, momentum=0.5)
    assert_same_training(fit_on("gpu", sgd, shuffle=False), fit_on("cpu", sgd, shuffle=False))
    assert len(trainers) == 1


def test_a_model_that_overrides_train_step_keeps_the_host_loop(trainers):
    class CountingSteps(scratch.Sequential):
        steps = 0

        def train_step(self, data):
            CountingSteps.steps += 1
            return super().train_step(data)

    gpu_run = fit_on("gpu", scratch.optimizers.Adam, shuffle=False, model_class=CountingSteps)
    assert trainers == [] and CountingSteps.steps == 6
    assert_same_training(gpu_run, fit_on("cpu", scratch.optimizers.Adam, shuffle=False))


def test_sample_weights_keep_the_host_loop(trainers):
    weights = np.linspace(0.5, 1.5, 40)
    gpu_run = fit_on("gpu", scratch.optimizers.Adam, shuffle=False, sample_weight=weights)
    assert trainers == []
    assert_same_training(gpu_run, fit_on("cpu", scratch.optimizers.Adam, shuffle=False, sample_weight=weights))


def test_a_callback_acting_between_batches_keeps_the_host_loop(trainers):
    class WeightsAfterEachBatch(Callback):
        def __init__(self):
            super().__init__()
            self.first_kernel_sums = []

        def on_train_batch_end(self, batch, logs=None):
            self.first_kernel_sums.append(float(self.model.get_weights()[0].sum()))

    runs = {}
    for backend_name in ("gpu", "cpu"):
        watcher = WeightsAfterEachBatch()
        runs[backend_name] = fit_on(backend_name, scratch.optimizers.Adam, shuffle=False, callbacks_extra=[watcher])
        runs[backend_name] += (watcher.first_kernel_sums,)
    assert trainers == []
    np.testing.assert_allclose(runs["gpu"][3], runs["cpu"][3], atol=1e-3, rtol=0)
    assert_same_training(runs["gpu"][:3], runs["cpu"][:3])


def test_step_logs_read_as_a_dict(trainers, monkeypatch):
    """TerminateOnNaN reads each step's logs and nothing else: the device trainer runs with it."""
    seen = []
    monkeypatch.setattr(TerminateOnNaN, "on_batch_end", lambda self, batch, logs=None: seen.append(logs.copy()))
    backend.set_backend("gpu")
    scratch.set_random_seed(5)
    model = seed_mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.ones((4, 6, 6), np.float32), np.array([1, 2, 3, 4]), batch_size=2, verbose=0,
              callbacks=[TerminateOnNaN()])
    assert len(trainers) == 1
    assert [sorted(logs) for logs in seen] == [["accuracy", "loss"]] * 2
    assert all(type(value) is float for logs in seen for value in logs.values())


def cnn_run(backend_name, shuffle, make_layers=small_cnn, input_shape=(8, 8, 1), optimizer=scratch.optimizers.Adam):
    return fit_on(backend_name, optimizer, shuffle, input_shape=input_shape, make_layers=make_layers, samples=12,
                  batch_size=8, validation_split=0.25)


@pytest.mark.parametrize("shuffle", [False, True])
def test_the_seed_cnn_trains_on_the_device_in_twenty_launches_a_step_without_waiting(trainers, shuffle):
    """Forward: gather 1, Conv2D 2 + 2 (im2col, product + bias + ReLU), MaxPooling2D 1 + 1, Dense
    (+ Dropout) 1 + 1, loss 1; backward: Dense 2 + 2, MaxPooling2D 1 + 1, the second Conv2D 2,
    the first 1 (no input gradient); Adam 1. The Dropout masks are the cpu loop's draws."""
    gpu_run = cnn_run("gpu", shuffle)
    generator_after_gpu = scratch.backend.rng().bit_generator.state
    cpu_run = cnn_run("cpu", shuffle)
    assert scratch.backend.rng().bit_generator.state == generator_after_gpu, "not the cpu loop's draws"
    assert len(trainers) == 1, "the device trainer did not run the CNN"
    assert trainers[0].launches_per_step == 20
    assert trainers[0].reads == 2, "the host read the running sums inside an epoch with verbose=0"
    assert_same_training(gpu_run, cpu_run)
    for v, cpu_v in zip(gpu_run[0].optimizer.variables, cpu_run[0].optimizer.variables):
        np.testing.assert_allclose(v.value, cpu_v.value, atol=tol.GPU_TRAINING_ATOL, rtol=0, err_msg=v.name)


def test_dropout_masks_drawn_step_by_step_give_the_same_training(trainers, monkeypatch):
    """Above ``MAX_EPOCH_MASK_BYTES`` the masks are drawn and copied each step: the same draws."""
    monkeypatch.setattr(trainer_module, "MAX_EPOCH_MASK_BYTES", 0)
    gpu_run = cnn_run("gpu", True)
    assert not trainers[0].masks.per_epoch
    assert_same_training(gpu_run, cnn_run("cpu", True))


def test_split_weight_gradients_give_the_same_training(trainers, monkeypatch):
    """Conv2D's weight gradients over more than ``SPLIT_ROWS`` rows (B·OH·OW) are summed in chunks
    added atomically, after one zero fill of the gradient buffer: one launch more a step."""
    monkeypatch.setattr(blocks_module, "SPLIT_ROWS", 32)   # the last step has 1 sample: 64 rows
    monkeypatch.setattr(blocks_module, "CHUNK_ROWS", 16)
    gpu_run = cnn_run("gpu", True)
    assert trainers[0].launches_per_step == 20 + 1
    assert_same_training(gpu_run, cnn_run("cpu", True))


def other_cnn():
    """Leading Rescaling, a strided valid linear Conv2D with a Dropout, a dilated one, an
    overlapping "same" MaxPooling2D, a seeded Dropout (its own generator) with a noise_shape behind
    a (no-op) Flatten."""
    return [layers.Rescaling(0.5, offset=-0.25), layers.Conv2D(4, 3, strides=2),
            layers.Dropout(0.3), layers.Conv2D(4, 2, padding="same", dilation_rate=2, activation="relu"),
            layers.MaxPooling2D(3, strides=2, padding="same"), layers.Flatten(),
            layers.Dense(6, activation="relu"), layers.Flatten(), layers.Dropout(0.5, noise_shape=(1, None), seed=3),
            layers.Dense(10, activation="softmax")]


def test_other_convolutions_train_on_the_device_as_on_the_cpu(trainers):
    def sgd():
        return scratch.optimizers.SGD(0.1, momentum=0.5)
    gpu_run = cnn_run("gpu", True, other_cnn, (9, 9, 2), sgd)
    assert len(trainers) == 1
    # gather 1, Conv2D 2 + 2, pool 1, Dense 1 + 1, loss 1; Dense 2 + 2, pool 1, Conv2D 2 + 1; SGD 1
    assert trainers[0].launches_per_step == 18
    assert_same_training(gpu_run, cnn_run("cpu", True, other_cnn, (9, 9, 2), sgd))


UNKNOWN_MODELS = [
    ("average-pooling", (8, 8, 1), lambda: [layers.Conv2D(2, 3), layers.AveragePooling2D(), layers.Flatten(),
                                             layers.Dense(10, activation="softmax")]),
    ("conv-without-bias", (8, 8, 1), lambda: [layers.Conv2D(2, 3, use_bias=False), layers.Flatten(),
                                               layers.Dense(10, activation="softmax")]),
    ("conv-sigmoid", (8, 8, 1), lambda: [layers.Conv2D(2, 3, activation="sigmoid"), layers.Flatten(),
                                          layers.Dense(10, activation="softmax")]),
    ("dropout-after-pooling", (8, 8, 1), lambda: [layers.Conv2D(2, 3), layers.MaxPooling2D(), layers.Dropout(0.5),
                                                   layers.Flatten(), layers.Dense(10, activation="softmax")]),
    ("dense-on-an-image", (4, 4, 2), lambda: [layers.Dense(3), layers.Flatten(),
                                               layers.Dense(10, activation="softmax")]),
    ("rescaling-after-a-conv", (8, 8, 1), lambda: [layers.Conv2D(2, 3), layers.Rescaling(0.5), layers.Flatten(),
                                                    layers.Dense(10, activation="softmax")]),
    ("softmax-conv-last", (3, 3, 1), lambda: [layers.Conv2D(10, 3, activation="softmax"), layers.Flatten()]),
]


@pytest.mark.parametrize("input_shape, make_layers", [case[1:] for case in UNKNOWN_MODELS],
                         ids=[case[0] for case in UNKNOWN_MODELS])
def test_models_the_trainer_does_not_know_are_left_to_fits_loop(input_shape, make_layers):
    model = scratch.Sequential([scratch.Input(input_shape)] + make_layers())
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert trainer_module.device_blocks(model) is None


def test_an_unknown_cnn_trains_through_fits_loop_as_on_the_cpu(trainers):
    gpu_run = cnn_run("gpu", True, UNKNOWN_MODELS[0][2])
    assert trainers == []
    assert_same_training(gpu_run, cnn_run("cpu", True, UNKNOWN_MODELS[0][2]))


def test_stopping_inside_an_epoch_leaves_the_generator_where_the_cpu_loop_would():
    """The epoch's masks are drawn at its start; a stop after step 0 rewinds the generator to
    just after step 0's draws (the permutation, then one mask)."""
    backend.set_backend("gpu")
    model = scratch.Sequential([scratch.Input((3,)), layers.Dense(4, activation="relu"), layers.Dropout(0.5),
                                layers.Dense(10, activation="softmax")])
    _, blocks = blocks_module.build_blocks(model.layers)
    masks = trainer_module.DropoutMasks(blocks, 10, 4)
    scratch.set_random_seed(1)
    scratch.backend.rng().permutation(10)
    masks.draw_epoch(10)
    masks.stopped_after(0)
    after_device = scratch.backend.rng().random(3)
    scratch.set_random_seed(1)
    scratch.backend.rng().permutation(10)
    first_mask = model.layers[1].draw_random((4, 4))
    np.testing.assert_array_equal(masks.blocks[0].epoch_keep.copy_to_host()[:4], first_mask)
    np.testing.assert_array_equal(after_device, scratch.backend.rng().random(3))
