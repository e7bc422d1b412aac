"""``fit``/``evaluate``/``predict`` on a ``scratch.utils.Dataset`` of ``(x_batch, y_batch)``
batches, as Keras on a ``tf.data.Dataset``: the same numbers as the arrays batch for batch
(exactly), Keras's numbers on ``tf.data.Dataset.from_tensor_slices(...).batch(n)``, Keras's
refusals, and the checks applied to each batch as it comes."""
import math
import re

import numpy as np
import pytest

from parity_tests.compare import assert_close
from parity_tests.keras_available import keras, tf
from parity_tests.tolerances import FORWARD_ATOL, FORWARD_RTOL, HISTORY_ATOL, TRAINING_ATOL
import keras_ref
import scratch
from scratch import layers
from scratch.utils import Dataset

# Keras warns on every fit of a tf.data.Dataset with the default shuffle=True (scratch stays quiet)
pytestmark = pytest.mark.filterwarnings("ignore:`shuffle=True` was passed")


class ArrayBatches(Dataset):
    """Batches of ``batch_size`` over arrays, in order; ``y=None`` yields unlabelled batches."""

    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.passes = 0

    def __iter__(self):
        self.passes += 1
        for start in range(0, len(self.x), self.batch_size):
            end = start + self.batch_size
            yield self.x[start:end], None if self.y is None else self.y[start:end]

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)


class Batches(Dataset):
    """Exactly the given batches (any content), with a ``len`` that may be told to lie."""

    def __init__(self, batches, length=None):
        self.batches, self.length = batches, len(batches) if length is None else length

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return self.length


def data(n=50, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4, 5)).astype(np.float32)
    y = np.argmax(x.reshape(n, -1) @ rng.standard_normal((20, 3)), axis=1)
    return x, y


def mlp(input_shape=(4, 5)):
    first = [scratch.Input(input_shape)] if input_shape else []
    model = scratch.Sequential(first + [layers.Flatten(), layers.Dense(16, activation="relu"),
                                        layers.Dense(3, activation="softmax")])
    return model


def compiled(model, stack=scratch):
    model.compile(stack.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def keras_message(call):
    with pytest.raises(ValueError) as error:
        call()
    return str(error.value)


# ----------------------------------------------------------------------------- the same numbers
def test_fit_evaluate_predict_on_a_dataset_equal_the_arrays_exactly():
    x, y = data()
    x_val, y_val = data(20, seed=1)
    start = mlp().get_weights()
    on_arrays, on_dataset = compiled(mlp()), compiled(mlp())
    on_arrays.set_weights(start)
    on_dataset.set_weights(start)
    array_history = on_arrays.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                                  validation_data=(x_val, y_val))
    dataset_history = on_dataset.fit(ArrayBatches(x, y, 8), epochs=2, verbose=0,
                                     validation_data=ArrayBatches(x_val, y_val, 8))
    assert dataset_history.history == array_history.history
    assert dataset_history.params == array_history.params == {"verbose": 0, "epochs": 2, "steps": 7}
    for a, b in zip(on_dataset.get_weights(), on_arrays.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert on_dataset.evaluate(ArrayBatches(x_val, y_val, 8), verbose=0) == \
        on_arrays.evaluate(x_val, y_val, batch_size=8, verbose=0)
    np.testing.assert_array_equal(on_dataset.predict(ArrayBatches(x_val, None, 8), verbose=0),
                                  on_arrays.predict(x_val, batch_size=8, verbose=0))


def test_one_train_step_per_yielded_batch_and_shuffle_is_the_datasets_business():
    class Counting(scratch.Sequential):
        steps = 0

        def train_step(self, data):
            Counting.steps += 1
            return super().train_step(data)

    x, y = data(20)
    model = compiled(Counting([scratch.Input((4, 5)), layers.Flatten(), layers.Dense(3, activation="softmax")]))
    start = model.get_weights()
    dataset = ArrayBatches(x, y, 6)
    model.fit(dataset, epochs=3, verbose=0, shuffle=True)
    assert Counting.steps == 3 * len(dataset) == 12 and dataset.passes == 3
    shuffled = model.get_weights()
    model.set_weights(start)
    model.optimizer = scratch.optimizers.Adam(0.01)
    model.fit(dataset, epochs=3, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), shuffled):
        np.testing.assert_array_equal(a, b)


def test_progress_bar_and_history_count_len_dataset_steps(capsys):
    def printed():
        return re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)   # without the colours

    x, y = data(20)
    model = compiled(mlp())
    history = model.fit(ArrayBatches(x, y, 6), epochs=1, verbose=1)
    assert history.params["steps"] == 4
    assert "4/4 " in printed()
    model.evaluate(ArrayBatches(x, y, 7), verbose=1)
    assert "3/3 " in printed()


def test_training_on_a_dataset_matches_keras_on_a_tf_dataset():
    x, y = data(60, seed=2)
    x_val, y_val = data(25, seed=3)
    ours = compiled(mlp())
    theirs = compiled(keras_ref.to_keras(ours), keras)
    batch = 16
    our_history = ours.fit(ArrayBatches(x, y, batch), epochs=2, verbose=0,
                           validation_data=ArrayBatches(x_val, y_val, batch))
    their_history = theirs.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(batch), epochs=2, verbose=0,
                               validation_data=tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(batch))
    assert our_history.params == their_history.params
    assert list(our_history.history) == list(their_history.history)
    for key, values in their_history.history.items():
        assert_close(our_history.history[key], values, HISTORY_ATOL, what=key)
    for i, (a, b) in enumerate(zip(ours.get_weights(), theirs.get_weights())):
        assert_close(a, b, TRAINING_ATOL, what=f"weight {i}")
    assert_close(ours.evaluate(ArrayBatches(x_val, y_val, 10), verbose=0),
                 theirs.evaluate(tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(10), verbose=0),
                 HISTORY_ATOL, what="evaluate")
    assert_close(ours.predict(ArrayBatches(x_val, y_val, 10), verbose=0),
                 theirs.predict(tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(10), verbose=0),
                 FORWARD_ATOL, FORWARD_RTOL, what="predict")


def test_array_validation_data_with_a_dataset_uses_batches_of_32_like_keras():
    x, y = data(40, seed=4)
    x_val, y_val = data(70, seed=5)
    ours = compiled(mlp())
    theirs = compiled(keras_ref.to_keras(ours), keras)
    our_history = ours.fit(ArrayBatches(x, y, 10), validation_data=(x_val, y_val), verbose=0)
    their_history = theirs.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(10),
                               validation_data=(x_val, y_val), verbose=0)
    for key, values in their_history.history.items():
        assert_close(our_history.history[key], values, HISTORY_ATOL, what=key)


def test_an_unbuilt_model_builds_from_the_first_batch():
    x, y = data(20)
    model = compiled(mlp(input_shape=None))
    assert not model.built
    model.fit(ArrayBatches(x, y, 8), verbose=0)
    assert model.built and model.input_shape == (None, 4, 5)
    fresh = mlp(input_shape=None)
    assert fresh.predict(ArrayBatches(x, None, 8), verbose=0).shape == (20, 3)
    assert fresh.input_shape == (None, 4, 5)


# ----------------------------------------------------------------------------- Keras's refusals
def test_y_with_a_dataset_is_refused_with_kerass_error():
    x, y = data(12)
    theirs = compiled(keras_ref.to_keras(mlp()), keras)
    tf_dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    expected = keras_message(lambda: theirs.fit(tf_dataset, y, verbose=0)).replace(
        "tf.data.Dataset", "scratch.utils.Dataset")
    assert expected == keras_message(lambda: theirs.evaluate(tf_dataset, y, verbose=0)).replace(
        "tf.data.Dataset", "scratch.utils.Dataset")
    ours = compiled(mlp(input_shape=None))
    for call in (lambda: ours.fit(ArrayBatches(x, y, 4), y, verbose=0),
                 lambda: ours.evaluate(ArrayBatches(x, y, 4), y, verbose=0)):
        with pytest.raises(ValueError) as error:
            call()
        assert str(error.value).startswith(expected)
        assert "y: expected None, received ndarray" in str(error.value)
    assert not ours.built


def test_batch_size_with_a_dataset_is_refused():
    """Keras 3.15.1 ignores ``batch_size`` with a tf.data.Dataset without a word (its docs: "Do
    not specify the batch_size"); scratch refuses it, in the words of Keras's ``y`` error."""
    x, y = data(12)
    theirs = compiled(keras_ref.to_keras(mlp()), keras)
    assert theirs.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(4), batch_size=5,
                      verbose=0).params["steps"] == 3
    ours = compiled(mlp(input_shape=None))
    for call in (lambda: ours.fit(ArrayBatches(x, y, 4), batch_size=5, verbose=0),
                 lambda: ours.evaluate(ArrayBatches(x, y, 4), batch_size=5, verbose=0),
                 lambda: ours.predict(ArrayBatches(x, y, 4), batch_size=5, verbose=0)):
        with pytest.raises(ValueError, match=r"When providing `x` as a scratch.utils.Dataset, `batch_size` "
                                             r"should not be passed.*batch_size: expected None, received 5"):
            call()
    assert not ours.built


def test_validation_split_with_a_dataset_is_refused_like_keras():
    x, y = data(12)
    theirs = compiled(keras_ref.to_keras(mlp()), keras)
    tf_dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    expected = keras_message(lambda: theirs.fit(tf_dataset, validation_split=0.25, verbose=0))
    ours = compiled(mlp(input_shape=None))
    dataset = ArrayBatches(x, y, 4)
    with pytest.raises(ValueError) as error:
        ours.fit(dataset, validation_split=0.25, verbose=0)
    prefix = "Argument `validation_split` is only supported for tensors or NumPy arrays.Found incompatible type"
    assert expected.startswith(prefix) and str(error.value).startswith(prefix)
    assert str(error.value).endswith(f"[{type(dataset)}]")
    assert not ours.built and dataset.passes == 0
    # with validation_data as well, both take the validation data and say nothing
    theirs.fit(tf_dataset, validation_split=0.25, validation_data=(x, y), verbose=0)
    assert "val_loss" in ours.fit(dataset, validation_split=0.25, validation_data=(x, y), verbose=0).history


# ----------------------------------------------------------------------------- checks, batch by batch
def test_a_bad_batch_late_in_the_epoch_raises_when_it_is_reached():
    """A dataset is read lazily: batches 0 and 1 train before batch 2's NaN is found (the one
    exception to "checked before any state changes")."""
    x, y = data(24)
    bad = x.copy()
    bad[17, 0, 0] = np.nan
    model = compiled(mlp())
    start = model.get_weights()
    with pytest.raises(ValueError, match=r"x \(batch 2\) inputs: expected finite values, found 1 non-finite"):
        model.fit(ArrayBatches(bad, y, 8), verbose=0)
    assert model.optimizer.iterations == 2
    assert not np.array_equal(model.get_weights()[0], start[0])


@pytest.mark.parametrize("batch,message", [
    ((np.zeros((4, 4, 6)), np.zeros(4)), r"x \(batch 1\) inputs: expected an array of shape \(N, 4, 5\)"),
    ((np.zeros((4, 4, 5)), np.full(4, 3)), r"x \(batch 1\) targets: expected class labels in \[0, 3\).*label 3"),
    ((np.zeros((4, 4, 5)), np.zeros(3)), r"x \(batch 1\) inputs and x \(batch 1\) targets: expected the same "
                                         r"number of samples, received 4 inputs and 3 targets"),
    ((np.zeros((4, 4, 5)), None), r"x \(batch 1\) targets: expected targets, received None"),
    ((np.zeros((0, 4, 5)), np.zeros(0)), r"x \(batch 1\) inputs: expected at least 1 sample"),
    (np.zeros((4, 4, 5)), r"x \(batch 1\): expected a pair \(x_batch, y_batch\), received ndarray"),
    ((np.zeros((4, 4, 5)),), r"x \(batch 1\): expected a pair \(x_batch, y_batch\), received tuple of 1 "),
], ids=["shape", "label", "lengths", "no_targets", "empty", "not_a_pair", "one_element"])
def test_each_batch_is_checked_like_arrays(batch, message):
    x, y = data(4)
    model = compiled(mlp())
    with pytest.raises(ValueError, match=message):
        model.fit(Batches([(x, y), batch]), verbose=0)


def test_validation_and_evaluation_batches_are_checked_too():
    x, y = data(8)
    model = compiled(mlp())
    with pytest.raises(ValueError, match=r"validation_data \(batch 0\) targets: expected class labels in "):
        model.fit(ArrayBatches(x, y, 4), validation_data=Batches([(x, y + 3)]), verbose=0)
    with pytest.raises(ValueError, match=r"x \(batch 0\) inputs: expected an array of shape \(N, 4, 5\)"):
        model.evaluate(Batches([(x[:, :2], y)]), verbose=0)
    with pytest.raises(ValueError, match=r"x \(batch 0\) inputs: expected finite values"):
        model.predict(Batches([(x * np.inf, None)]), verbose=0)


def test_empty_and_length_less_datasets_are_refused_before_anything_changes():
    x, y = data(8)
    model = compiled(mlp(input_shape=None))
    with pytest.raises(ValueError, match="x: expected a Dataset of at least 1 batch, received one of len 0"):
        model.fit(Batches([]), verbose=0)
    with pytest.raises(ValueError, match="validation_data: expected a Dataset of at least 1 batch"):
        model.fit(ArrayBatches(x, y, 4), validation_data=Batches([]), verbose=0)
    with pytest.raises(TypeError, match="x: expected a Dataset whose len.. is its number of batches per pass, "
                                        "received Dataset, whose len.. fails"):
        model.evaluate(Dataset(), verbose=0)
    with pytest.raises(ValueError, match="x: expected a Dataset that yields at least 1 batch, received one that "
                                         "yielded none"):
        model.predict(Batches([], length=2), verbose=0)
    assert not model.built
