"""``fit``, ``evaluate`` and ``predict`` run the model's ``train_step``, ``test_step`` and
``predict_step`` once per batch, so a subclass that overrides them changes what they do (as in
Keras's guide "Customizing what happens in fit()"); the data-parallel engine runs the model's own
``compute_gradients`` on each replica. The truths: the stock optimizer, evaluate's loss, and the
numbers of batches."""
import numpy as np

from parity_tests.compare import assert_close
from parity_tests.keras_available import keras
from parity_tests.test_data_parallel import image_data, small_cnn
from parity_tests.tolerances import HISTORY_ATOL, TRAINING_ATOL
import keras_ref
import scratch
from scratch import layers

LEARNING_RATE = np.float32(0.1)


def small_mlp():
    scratch.set_random_seed(5)
    return scratch.Sequential([layers.Flatten(input_shape=(8, 8, 1)), layers.Dense(16, activation="relu"),
                               layers.Dense(10, activation="softmax")])


class HandWrittenSGD(scratch.Sequential):
    """Gradient descent written out in train_step, with no optimizer step: w ← w − lr·dw."""

    def __init__(self, layers):
        super().__init__(layers)
        self.batches_seen = []

    def train_step(self, data):
        x, y = data
        self.batches_seen.append(len(x))
        y_pred, loss = self.compute_gradients(x, y)
        for variable in self.trainable_variables:
            variable.value -= variable.grad * LEARNING_RATE
        return self.compute_metrics(y, y_pred, loss)


def test_an_overridden_train_step_is_what_fit_runs():
    x, y = image_data(70)
    stock = small_mlp()
    stock.compile(scratch.optimizers.SGD(learning_rate=float(LEARNING_RATE)), "sparse_categorical_crossentropy")
    custom = HandWrittenSGD(small_mlp().layers)
    custom.compile(scratch.optimizers.SGD(learning_rate=123.0), "sparse_categorical_crossentropy")  # never used
    fit_args = dict(batch_size=32, epochs=2, shuffle=False, verbose=0)
    stock_history, custom_history = stock.fit(x, y, **fit_args), custom.fit(x, y, **fit_args)
    assert custom.batches_seen == [32, 32, 6] * 2               # once per batch, as Keras
    assert custom.optimizer.iterations == 0                     # the stock step never ran
    for a, b in zip(custom.get_weights(), stock.get_weights()):  # SGD's update, by hand: the same bits
        np.testing.assert_array_equal(a, b)
    assert custom_history.history == stock_history.history


class Frozen(scratch.Sequential):
    """Measures and never updates: fit's loss is then evaluate's loss on the same batches."""

    def train_step(self, data):
        return self.test_step(data)


def test_a_train_step_that_does_not_update_leaves_the_weights():
    x, y = image_data(64)
    model = Frozen(small_mlp().layers)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.get_weights()
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    loss, accuracy = model.evaluate(x, y, batch_size=16, verbose=0)
    assert history.history["loss"] == [loss, loss] and history.history["accuracy"] == [accuracy, accuracy]


class Doubled(scratch.Sequential):
    def test_step(self, data):
        logs = super().test_step(data)
        return {"doubled_loss": 2 * logs["loss"]}

    def predict_step(self, x):
        return super().predict_step(x) * 2


def test_overridden_test_and_predict_steps_are_what_evaluate_and_predict_run():
    """With names of its own, the last step's logs are evaluate's result (with the running
    metrics' names, the running metrics would be, as Keras's _get_metrics_result_or_logs)."""
    x, y = image_data(40)
    plain = small_mlp()
    doubled = Doubled(plain.layers)
    for model in (plain, doubled):
        model.compile("sgd", "sparse_categorical_crossentropy")
    assert_close(doubled.predict(x, verbose=0), 2 * plain.predict(x, verbose=0), 0.0, what="predict")
    loss = plain.evaluate(x, y, batch_size=40, verbose=0)
    assert doubled.evaluate(x, y, batch_size=40, verbose=0, return_dict=True) == {"doubled_loss": 2 * loss}
    assert doubled.evaluate(x, y, batch_size=40, verbose=0) == 2 * loss


class RecordsGradientCalls(scratch.Sequential):
    def __init__(self, layers, log):
        super().__init__(layers)
        self.log = log

    def compute_gradients(self, x, y, sample_weight=None):
        self.log.append((self.data_parallel is None, len(x)))
        return super().compute_gradients(x, y, sample_weight)


def test_each_replica_runs_the_models_own_compute_gradients(force_replicas):
    """On 2 replicas a batch of 32 is two calls of 16, each on a replica without an engine; the
    model's own call is the one that hands the batch to the engine."""
    force_replicas(2)
    log = []
    x, y = image_data(32)
    model = RecordsGradientCalls(small_cnn(dropout_seed=1).layers, log)
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert sorted(log) == [(False, 32), (True, 16), (True, 16)]
    assert model.data_parallel is None      # the engine is gone after fit


# ----------------------------------------------------------------------------- against Keras
def keras_twin(model, cls):
    """A ``cls`` (a keras.Sequential subclass) on the Keras twin of ``model``'s layers and weights."""
    twin = keras_ref.to_keras(model)
    return cls([keras.Input(model.input_shape[1:])] + twin.layers)


def test_custom_step_logs_and_evaluate_results_follow_keras():
    class KerasDoubled(keras.Sequential):
        def test_step(self, data):
            logs = super().test_step(data)
            return {"doubled_loss": 2 * logs["loss"]}

    x, y = image_data(40)
    ours = Doubled(small_mlp().layers)
    theirs = keras_twin(ours, KerasDoubled)
    ours.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    theirs.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    for return_dict in (True, False):
        our_result = ours.evaluate(x, y, batch_size=16, verbose=0, return_dict=return_dict)
        their_result = theirs.evaluate(x, y, batch_size=16, verbose=0, return_dict=return_dict)
        if return_dict:
            assert our_result.keys() == their_result.keys() == {"doubled_loss"}
            our_result, their_result = our_result["doubled_loss"], their_result["doubled_loss"]
        assert_close(our_result, their_result, 1e-6, what=f"evaluate, return_dict={return_dict}")


class StopAfterTwoBatches(scratch.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 1:
            self.model.stop_training = True


def test_stop_training_inside_an_epoch_stops_at_that_batch_like_keras():
    x, y = image_data(160)
    ours = small_mlp()
    theirs = keras_ref.to_keras(ours)
    ours.compile(scratch.optimizers.SGD(learning_rate=0.1), "sparse_categorical_crossentropy")
    theirs.compile(keras.optimizers.SGD(learning_rate=0.1), "sparse_categorical_crossentropy")
    keras_stop = type("KerasStop", (keras.callbacks.Callback,),
                      {"on_train_batch_end": StopAfterTwoBatches.on_train_batch_end})()
    fit_args = dict(batch_size=16, epochs=3, shuffle=False, verbose=0)
    our_history = ours.fit(x, y, callbacks=[StopAfterTwoBatches()], **fit_args)
    their_history = theirs.fit(x, y, callbacks=[keras_stop], **fit_args)
    assert our_history.epoch == their_history.epoch == [0]
    assert_close(our_history.history["loss"], their_history.history["loss"], HISTORY_ATOL, what="loss")
    for i, (a, b) in enumerate(zip(ours.get_weights(), theirs.get_weights())):   # two SGD steps, not ten
        assert_close(a, b, TRAINING_ATOL, what=f"weight {i}")
