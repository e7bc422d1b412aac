"""Sample weights against Keras: weighted losses (``sum_over_batch_size`` is ``Σ w·ℓ / B``, not
``Σ w·ℓ / Σ w``), weighted metrics (``Σ w·v / Σ w``), ``fit(sample_weight=…)``,
``fit(class_weight=…)``, ``evaluate(sample_weight=…)`` and ``validation_data=(x, y, w)`` on
shared weights, the same with the batch split over 3 replicas, and the refusals."""
import numpy as np
import pytest

from parity_tests.compare import assert_close
from parity_tests.keras_available import keras
from parity_tests.test_bad_input import assert_rejects
from parity_tests.test_training import teacher_data
from parity_tests.tolerances import FORWARD_ATOL, HISTORY_ATOL, TRAINING_ATOL
import keras_ref
from keras_ref.seed_models import seed_mlp
import scratch
from parity_tests.test_dataset_input import ArrayBatches

F32 = np.float32
RNG = np.random.default_rng(3)
PROBS = RNG.dirichlet(np.ones(4), size=5).astype(F32)
LOGITS = RNG.standard_normal((5, 4)).astype(F32)
LABELS = np.array([0, 3, 1, 1, 2])
ONE_HOT = np.eye(4, dtype=F32)[LABELS]
WEIGHTS = [np.array([0.0, 1.0, 2.5, 0.5, 3.0], F32), np.ones(5, F32), F32(2.0), np.array([[1.0], [0], [2], [1], [4]], F32)]


# ----------------------------------------------------------------------------- losses and metrics
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("weight_index", range(len(WEIGHTS)))
@pytest.mark.parametrize("name,y_true", [("SparseCategoricalCrossentropy", LABELS),
                                         ("CategoricalCrossentropy", ONE_HOT)])
@pytest.mark.parametrize("from_logits", [False, True])
def test_weighted_loss_table_matches_keras(name, y_true, from_logits, reduction, weight_index):
    weights = WEIGHTS[weight_index]
    y_pred = LOGITS if from_logits else PROBS
    ours = getattr(scratch.losses, name)(from_logits=from_logits, reduction=reduction)
    theirs = getattr(keras.losses, name)(from_logits=from_logits, reduction=reduction)
    expected = np.asarray(theirs(y_true, y_pred, sample_weight=weights))
    assert_close(ours(y_true, y_pred, sample_weight=weights), expected, atol=FORWARD_ATOL, what=f"{name} {reduction}")


def test_sum_over_batch_size_divides_by_the_batch_not_the_weights():
    loss = scratch.losses.SparseCategoricalCrossentropy()
    weights = np.array([0.0, 1.0, 2.5, 0.5, 3.0], F32)
    per_sample = scratch.losses.sparse_categorical_crossentropy(LABELS, PROBS)
    value = float(loss(LABELS, PROBS, sample_weight=weights))
    assert value == pytest.approx(float((weights * per_sample).sum() / 5), rel=1e-6)
    assert value != pytest.approx(float((weights * per_sample).sum() / weights.sum()), rel=1e-3)
    keras_value = float(keras.losses.SparseCategoricalCrossentropy()(LABELS, PROBS, sample_weight=weights))
    assert value == pytest.approx(keras_value, rel=1e-6)


@pytest.mark.parametrize("name,y_true,y_pred", [
    ("SparseCategoricalAccuracy", LABELS, PROBS),
    ("CategoricalAccuracy", ONE_HOT, PROBS),
    ("BinaryAccuracy", np.array([[1], [0], [1], [0], [1]], F32), PROBS[:, :1] * 2),
    ("Accuracy", np.array([1, 2, 3, 4, 5]), np.array([1, 0, 3, 4, 0])),
])
def test_weighted_metrics_match_keras(name, y_true, y_pred):
    ours, theirs = getattr(scratch.metrics, name)(), getattr(keras.metrics, name)()
    for weights in [WEIGHTS[0], None, WEIGHTS[2], WEIGHTS[3]]:   # running over several updates
        ours.update_state(y_true, y_pred, sample_weight=weights)
        theirs.update_state(y_true, y_pred, sample_weight=weights)
        assert_close(ours.result(), float(theirs.result()), atol=1e-6, what=name)


# ----------------------------------------------------------------------------- training
def twins(make_optimizer, n=320):
    x, y = teacher_data(n, seed=2)
    ours = seed_mlp()
    theirs = keras_ref.to_keras(ours)
    ours.compile(make_optimizer(scratch.optimizers), "sparse_categorical_crossentropy", metrics=["accuracy"])
    theirs.compile(make_optimizer(keras.optimizers), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return x, y, ours, theirs


def assert_same_run(ours, theirs, our_history, their_history, what):
    assert sorted(our_history.history) == sorted(their_history.history)
    for key in their_history.history:
        assert_close(our_history.history[key], their_history.history[key], atol=HISTORY_ATOL, what=f"{what} {key}")
    for i, (a, b) in enumerate(zip(ours.get_weights(), theirs.get_weights())):
        assert_close(a, b, atol=TRAINING_ATOL, what=f"{what}: weight {i}")


OPTIMIZERS = [("sgd", lambda m: m.SGD(learning_rate=0.05)), ("adam", lambda m: m.Adam(learning_rate=0.001))]
WEIGHTINGS = {
    "sample_weight": lambda x, y: dict(sample_weight=np.random.default_rng(5).uniform(0, 3, len(x))),
    "class_weight": lambda x, y: dict(class_weight={0: 0.2, 3: 4.0, 7: 2.0, 9: 0.0}),
}


@pytest.mark.parametrize("weighting", sorted(WEIGHTINGS))
@pytest.mark.parametrize("label,make_optimizer", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_two_weighted_epochs_match_keras(label, make_optimizer, weighting):
    x, y, ours, theirs = twins(make_optimizer)
    fit_args = dict(batch_size=32, epochs=2, shuffle=False, verbose=0, validation_split=0.25,
                    **WEIGHTINGS[weighting](x, y))
    assert_same_run(ours, theirs, ours.fit(x, y, **fit_args), theirs.fit(x, y, **fit_args), f"{weighting} {label}")
    x_test, y_test = teacher_data(100, seed=9)
    weights = np.random.default_rng(6).uniform(0, 2, 100)
    assert_close(ours.evaluate(x_test, y_test, sample_weight=weights, verbose=0),
                 theirs.evaluate(x_test, y_test, sample_weight=weights, verbose=0), atol=HISTORY_ATOL, what="evaluate")


def test_validation_data_with_weights_matches_keras():
    x, y, ours, theirs = twins(OPTIMIZERS[0][1])
    x_val, y_val = teacher_data(64, seed=4)
    validation_data = (x_val, y_val, np.random.default_rng(7).uniform(0, 2, 64))
    fit_args = dict(batch_size=32, epochs=2, shuffle=False, verbose=0, validation_data=validation_data)
    assert_same_run(ours, theirs, ours.fit(x, y, **fit_args), theirs.fit(x, y, **fit_args), "validation weights")


@pytest.mark.parametrize("weighting", sorted(WEIGHTINGS))
def test_three_replicas_train_like_one_pass_and_keras(weighting, force_replicas):
    runs = []
    for cores in (1, 3):
        force_replicas(cores)
        scratch.set_random_seed(1234)   # the same initial weights for both runs
        x, y, ours, theirs = twins(OPTIMIZERS[1][1])
        fit_args = dict(batch_size=48, epochs=2, shuffle=False, verbose=0, **WEIGHTINGS[weighting](x, y))
        runs.append((ours, ours.fit(x, y, **fit_args)))
    (one, one_history), (split, split_history) = runs
    for key in one_history.history:
        assert_close(split_history.history[key], one_history.history[key], atol=1e-6, what=key)
    for a, b in zip(split.get_weights(), one.get_weights()):
        assert_close(a, b, atol=1e-6, what="3 replicas vs one pass")
    assert_same_run(split, theirs, split_history, theirs.fit(x, y, **fit_args), f"3 replicas {weighting}")


def test_split_gradient_of_a_weighted_batch_is_the_one_pass_gradient(force_replicas):
    from scratch.engine.data_parallel import DataParallel
    x, y = teacher_data(48, seed=8)
    weights = np.random.default_rng(1).uniform(0, 3, 48).astype(F32)
    model = seed_mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    _, one_loss = model.compute_gradients(x, y, weights)
    one = [v.grad.copy() for v in model.trainable_variables]
    with DataParallel(model, batch_size=48, count=3):
        _, split_loss = model.compute_gradients(x, y, weights)
    assert_close(split_loss, one_loss, atol=1e-6, what="loss")
    for a, b in zip((v.grad for v in model.trainable_variables), one):
        assert_close(a, b, atol=1e-6, what="gradient")


# ----------------------------------------------------------------------------- refusals
X = np.random.default_rng(0).standard_normal((6, 4)).astype(F32)
Y = np.array([0, 1, 2, 0, 1, 2])


def small(stack):
    module = scratch if stack == "scratch" else keras
    model = module.Sequential([module.Input((4,)), module.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def test_both_weights_refused_with_keras_words():
    with pytest.raises(ValueError, match="You cannot `class_weight` and `sample_weight` at the same time"):
        small("keras").fit(X, Y, sample_weight=np.ones(6), class_weight={0: 1.0}, verbose=0)
    model = small("scratch")
    with pytest.raises(ValueError, match="You cannot `class_weight` and `sample_weight` at the same time"):
        model.fit(X, Y, sample_weight=np.ones(6), class_weight={0: 1.0}, verbose=0)
    assert model.optimizer.iterations == 0


def test_wrong_length_refused_as_keras_does():
    with pytest.raises(ValueError):
        small("keras").fit(X, Y, sample_weight=np.ones(5), verbose=0)
    assert_rejects(lambda: small("scratch").fit(X, Y, sample_weight=np.ones(5), verbose=0),
                   ValueError, "sample_weight", "received 5")
    assert_rejects(lambda: small("scratch").evaluate(X, Y, sample_weight=np.ones(7), verbose=0),
                   ValueError, "sample_weight", "received 7")


@pytest.mark.parametrize("call,argument,received", [
    (lambda m: m.fit(X, Y, sample_weight=np.r_[np.ones(5), -1.0], verbose=0), "sample_weight", "-1.0"),
    (lambda m: m.fit(X, Y, sample_weight=np.r_[np.ones(5), np.nan], verbose=0), "sample_weight", "non-finite"),
    (lambda m: m.evaluate(X, Y, sample_weight=np.r_[np.ones(5), np.inf], verbose=0), "sample_weight", "non-finite"),
    (lambda m: m.fit(X, Y, sample_weight=np.ones((6, 2)), verbose=0), "sample_weight", "(6, 2)"),
    (lambda m: m.fit(X, Y, sample_weight=np.array(["a"] * 6), verbose=0), "sample_weight", "dtype"),
    (lambda m: m.fit(X, Y, class_weight={3: 2.0}, verbose=0), "class_weight", "key 3"),
    (lambda m: m.fit(X, Y, class_weight={-1: 2.0}, verbose=0), "class_weight", "key -1"),
    (lambda m: m.fit(X, Y, class_weight={"cat": 2.0}, verbose=0), "class_weight", "'cat'"),
    (lambda m: m.fit(X, Y, class_weight={0: -2.0}, verbose=0), "class_weight", "-2.0"),
    (lambda m: m.fit(X, Y, class_weight=[1.0, 2.0, 3.0], verbose=0), "class_weight", "list"),
    (lambda m: m.fit(X, Y, validation_data=(X, Y, np.ones(6) * np.nan), verbose=0), "validation_data[2]",
     "non-finite"),
    (lambda m: m.fit(ArrayBatches(X, Y, 3), sample_weight=np.ones(6), verbose=0),
     "sample_weight", "Dataset"),
])
def test_bad_weights_refused_before_anything_changes(call, argument, received):
    model = small("scratch")
    before = model.get_weights()
    assert_rejects(lambda: call(model), (ValueError, TypeError), argument, received)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.optimizer.iterations == 0


def test_keras_takes_what_scratch_refuses():
    """The departures, shown: Keras trains on negative weights and ignores a class_weight key that is no class."""
    assert np.isfinite(small("keras").fit(X, Y, sample_weight=np.r_[np.ones(5), -1.0], verbose=0).history["loss"][0])
    assert np.isfinite(small("keras").fit(X, Y, class_weight={3: 2.0}, verbose=0).history["loss"][0])
