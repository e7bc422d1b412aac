"""Loss and metric parity with Keras 3 (TF backend): keras/src/losses/losses.py, whose
crossentropies run keras/src/backend/tensorflow/nn.py (``categorical_crossentropy``,
``sparse_categorical_crossentropy``, ``_get_logits``), and keras/src/metrics.

1. Loss objects on NumPy arrays (no cached logits, so Keras clips to [ε, 1 − ε]) — values for every
   reduction and the gradient of the reduced loss with respect to the predictions
   (``tf.GradientTape`` on the Keras loss), plus the closed forms log 3 and −log ε.
2. The softmax-output rule at model level (``_get_logits``: a tensor made by Keras's softmax
   carries its logits, ``_keras_logits``, and the loss starts from them): ``evaluate`` and one
   SGD step of ``fit`` on a saturated softmax output follow the *logits* path, for the three
   forms of softmax output layer and both crossentropies; a loss applied to a NumPy copy of the
   predictions clips.
3. Metrics: ``"accuracy"`` resolved from the shapes as Keras does (keras/src/trainers/compile_utils.py,
   ``get_metric``), names kept (``acc``), History
   and ``evaluate`` keys and values.
"""
import functools

import numpy as np
import pytest

from parity_tests.keras_available import keras, tf
from parity_tests.compare import assert_close
from parity_tests.tolerances import (FORWARD_ATOL, FORWARD_RTOL, GRAD_ATOL, GRAD_RTOL, HISTORY_ATOL,
                                     TRAINING_ATOL)
import keras_ref
import scratch
from scratch import backend, layers, losses, metrics, optimizers

EPS = 1e-7  # keras.config.epsilon()
F32 = np.float32

# ----------------------------------------------------------------------------- loss objects
# Rows: unnormalised [0.2, 0.2, 0.2] (→ log 3 with the renormalising TF form), an exact 0 for the
# true class (→ −log ε = 16.1181), a saturated correct row (clipped at 1 − ε), two ordinary rows.
PROBS = np.array([[0.2, 0.2, 0.2],
                  [0.0, 0.7, 0.3],
                  [0.0, 1.0, 0.0],
                  [0.1, 0.8, 0.1],
                  [0.5, 0.25, 0.25]], F32)
LABELS = np.array([0, 0, 1, 1, 2])
LOGITS = (np.random.default_rng(4).standard_normal((5, 3)) * 3).astype(F32)


def label_form(form):
    if form == "sparse":
        return LABELS
    if form == "sparse-column":
        return LABELS[:, None]
    if form == "onehot":
        return np.eye(3, dtype=F32)[LABELS]
    soft = np.random.default_rng(8).uniform(0, 1, (5, 3))
    return (soft / soft.sum(1, keepdims=True)).astype(F32)  # soft targets (rows sum to 1)


LOSS_CASES = [(name, form, from_logits, reduction)
              for name, forms in [("SparseCategoricalCrossentropy", ["sparse", "sparse-column"]),
                                  ("CategoricalCrossentropy", ["onehot", "soft"])]
              for form in forms
              for from_logits in [False, True]
              for reduction in ["sum_over_batch_size", "sum", "none"]]


def keras_loss_and_gradient(keras_loss, y, y_pred):
    """Keras's loss on plain arrays and the gradient of its (summed if unreduced) value."""
    pred = tf.constant(y_pred)
    with tf.GradientTape() as tape:
        tape.watch(pred)
        value = keras_loss(tf.constant(y), pred)
        objective = tf.reduce_sum(value)
    return value.numpy(), tape.gradient(objective, pred).numpy()


def our_loss_and_gradient(loss, y, y_pred):
    """Our reduced loss and the gradient of the same objective (Σ of the values when unreduced)."""
    value = loss(y, y_pred)
    _, grad = loss.per_sample(np.asarray(y), y_pred)
    scale = 1.0 if loss.reduction in ("none", None) else loss.gradient_scale(len(y_pred))
    return value, grad * F32(scale)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("name,form,from_logits,reduction", LOSS_CASES,
                         ids=["-".join(map(str, c)) for c in LOSS_CASES])
def test_loss_matches_keras(name, form, from_logits, reduction, backend_name):
    backend.set_backend(backend_name)
    y = label_form(form)
    y_pred = LOGITS if from_logits else PROBS
    ours = getattr(losses, name)(from_logits=from_logits, reduction=reduction)
    theirs = getattr(keras.losses, name)(from_logits=from_logits, reduction=reduction)
    our_value, our_grad = our_loss_and_gradient(ours, y, y_pred)
    their_value, their_grad = keras_loss_and_gradient(theirs, y, y_pred)
    assert_close(our_value, their_value, FORWARD_ATOL, FORWARD_RTOL, what="loss", check_dtype=True)
    assert_close(our_grad, their_grad, GRAD_ATOL, GRAD_RTOL, what="loss gradient", check_dtype=True)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
def test_clipped_crossentropy_closed_forms(backend_name):
    """[0.2, 0.2, 0.2] → log 3 (renormalised), an exact 0 for the true class → −log ε + log(1 + ε)
    = 16.1181 (both crossentropies clip to [ε, 1 − ε]; keras/src/backend/tensorflow/nn.py)."""
    backend.set_backend(backend_name)
    expected = [np.log(3), np.log(1 + EPS) - np.log(EPS)]
    for loss in [losses.SparseCategoricalCrossentropy(reduction="none"),
                 losses.CategoricalCrossentropy(reduction="none")]:
        y = LABELS[:2] if isinstance(loss, losses.SparseCategoricalCrossentropy) else np.eye(3, dtype=F32)[LABELS[:2]]
        values = loss(y, PROBS[:2])
        np.testing.assert_allclose(values, expected, rtol=1e-6)
        np.testing.assert_allclose(values[1], 16.1181, atol=1e-4)


def test_unnormalised_soft_targets_from_logits_departs_from_tf_gradient():
    """Targets whose rows do not sum to 1 with ``from_logits=True``: the loss values agree, but TF's
    fused ``softmax_cross_entropy_with_logits`` returns ``softmax(z) − Y`` as its gradient, which is
    the derivative only when ``Σ_j Y_j = 1``. Ours is the true derivative ``softmax(z)·Σ_j Y_j − Y``
    (checked against a numerical gradient in test_op_gradcheck.py), so the two differ by exactly
    ``softmax(z)·(Σ_j Y_j − 1)``."""
    y = np.random.default_rng(8).uniform(0, 1, (5, 3)).astype(F32)
    ours = losses.CategoricalCrossentropy(from_logits=True, reduction="sum")
    theirs = keras.losses.CategoricalCrossentropy(from_logits=True, reduction="sum")
    our_value, our_grad = our_loss_and_gradient(ours, y, LOGITS)
    their_value, their_grad = keras_loss_and_gradient(theirs, y, LOGITS)
    assert_close(our_value, their_value, FORWARD_ATOL, FORWARD_RTOL, what="loss")
    softmax = np.exp(LOGITS - LOGITS.max(1, keepdims=True))
    softmax /= softmax.sum(1, keepdims=True)
    assert_close(our_grad - their_grad, softmax * (y.sum(1, keepdims=True) - 1), GRAD_ATOL, GRAD_RTOL,
                 what="gradient difference")


# ----------------------------------------------------------------------------- softmax outputs in a model
# x = identity rows, so the logits are the kernel rows: sample 0 → [0, 40, 0] (true class 0,
# saturated), sample 1 → [0.63, 0, 0] (an ordinary sample, loss ≈ 0.725 either way).
KERNEL = np.array([[0.0, 40.0, 0.0], [0.63, 0.0, 0.0]], F32)
BIAS = np.zeros(3, F32)
X = np.eye(2, dtype=F32)
Y_SPARSE = np.array([0, 0])
SOFTMAX_FORMS = ["dense-softmax", "softmax-layer", "activation-softmax"]
LOSS_NAMES = ["sparse_categorical_crossentropy", "categorical_crossentropy"]
KERAS_LOSS_CLASS = {"sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
                    "categorical_crossentropy": "CategoricalCrossentropy"}


def closed_form_losses():
    """(logits path, clipped path) mean losses over the two samples, in float64."""
    z = KERNEL.astype(np.float64)
    lse = np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) + z.max(1)
    logits_path = lse - z[[0, 1], Y_SPARSE]
    q = np.clip(np.exp(z - lse[:, None]), EPS, 1 - EPS)
    clipped_path = np.log(q.sum(1)) - np.log(q[[0, 1], Y_SPARSE])
    return logits_path.mean(), clipped_path.mean()


def softmax_model(form):
    if form == "dense-softmax":
        body = [layers.Dense(3, activation="softmax")]
    elif form == "softmax-layer":
        body = [layers.Dense(3), layers.Softmax()]
    else:
        body = [layers.Dense(3), layers.Activation("softmax")]
    model = scratch.Sequential([scratch.Input((2,))] + body)
    model.set_weights([KERNEL, BIAS])
    return model


def targets(loss_name, y_sparse):
    return y_sparse if loss_name.startswith("sparse") else np.eye(3, dtype=F32)[y_sparse]


@functools.lru_cache(maxsize=None)
def keras_softmax_results(form, loss_name):
    """Keras's evaluate on both samples, predict, and weights/loss after one SGD(1.0) step on sample 0."""
    keras_model = keras_ref.to_keras(softmax_model(form))
    keras_model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss=loss_name)
    y = targets(loss_name, Y_SPARSE)
    evaluated = keras_model.evaluate(X, y, verbose=0)
    predicted = keras_model.predict(X, verbose=0)
    history = keras_model.fit(X[:1], y[:1], batch_size=1, epochs=1, shuffle=False, verbose=0)
    return evaluated, predicted, keras_model.get_weights(), history.history["loss"][0]


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("loss_name", LOSS_NAMES)
@pytest.mark.parametrize("form", SOFTMAX_FORMS)
def test_softmax_output_evaluate_uses_logits(form, loss_name, backend_name):
    backend.set_backend(backend_name)
    model = softmax_model(form)
    model.compile(optimizer=optimizers.SGD(learning_rate=1.0), loss=loss_name)
    their_loss, _, _, _ = keras_softmax_results(form, loss_name)
    logits_path, clipped_path = closed_form_losses()
    ours = model.evaluate(X, targets(loss_name, Y_SPARSE), verbose=0)
    assert_close(ours, their_loss, FORWARD_ATOL, FORWARD_RTOL, what="evaluate vs Keras")
    assert_close(ours, logits_path, FORWARD_ATOL, FORWARD_RTOL, what="evaluate vs logits closed form")
    assert abs(their_loss - 20.36) < 0.01 and abs(clipped_path - 8.42) < 0.01  # closed forms: logits vs clipped path
    assert abs(ours - clipped_path) > 10


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("loss_name", LOSS_NAMES)
@pytest.mark.parametrize("form", SOFTMAX_FORMS)
def test_loss_on_numpy_predictions_clips(form, loss_name, backend_name):
    """The same loss on a NumPy copy of the predictions has no logits: both sides clip (8.42)."""
    backend.set_backend(backend_name)
    model = softmax_model(form)
    _, their_pred, _, _ = keras_softmax_results(form, loss_name)
    our_pred = model.predict(X, verbose=0)
    assert_close(our_pred, their_pred, FORWARD_ATOL, FORWARD_RTOL, what="predict", check_dtype=True)
    y = targets(loss_name, Y_SPARSE)
    class_name = KERAS_LOSS_CLASS[loss_name]
    ours = getattr(losses, class_name)()(y, our_pred)
    theirs = getattr(keras.losses, class_name)()(y, their_pred).numpy()
    assert_close(ours, theirs, FORWARD_ATOL, FORWARD_RTOL, what="clipped loss")
    assert_close(ours, closed_form_losses()[1], FORWARD_ATOL, FORWARD_RTOL, what="clipped closed form")


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("loss_name", LOSS_NAMES)
@pytest.mark.parametrize("form", SOFTMAX_FORMS)
def test_softmax_output_sgd_step_uses_logits(form, loss_name, backend_name):
    """One SGD(1.0) step on the saturated sample: kernel row 0 moves by −(softmax − onehot), exactly
    as Keras's (the clipped formula would give a zero gradient and no move at all)."""
    backend.set_backend(backend_name)
    model = softmax_model(form)
    model.compile(optimizer=optimizers.SGD(learning_rate=1.0), loss=loss_name)
    y = targets(loss_name, Y_SPARSE)
    history = model.fit(X[:1], y[:1], batch_size=1, epochs=1, shuffle=False, verbose=0)
    _, _, their_weights, their_loss = keras_softmax_results(form, loss_name)
    for ours, theirs, what in zip(model.get_weights(), their_weights, ["kernel", "bias"]):
        assert_close(ours, theirs, TRAINING_ATOL, what=what, check_dtype=True)
    step = -(np.array([0.0, 1.0, 0.0]) - np.array([1.0, 0.0, 0.0]))  # −(softmax([0, 40, 0]) − onehot(0))
    assert_close(model.get_weights()[0], KERNEL + np.outer([1.0, 0.0], step), TRAINING_ATOL, what="closed form")
    assert_close(history.history["loss"][0], their_loss, HISTORY_ATOL, FORWARD_RTOL, what="History loss")


def metric_model(units, activation, seed=9):
    rng = np.random.default_rng(seed)
    model = scratch.Sequential([scratch.Input((4,)), layers.Dense(units, activation=activation)])
    model.set_weights([rng.standard_normal((4, units)).astype(F32), rng.standard_normal(units).astype(F32)])
    return model


def reduction_run(model, optimizer, loss):
    rng = np.random.default_rng(16)
    x = rng.standard_normal((5, 4)).astype(F32)
    y = np.array([2, 0, 1, 1, 0])
    model.compile(optimizer=optimizer, loss=loss)
    history = model.fit(x, y, batch_size=3, epochs=1, shuffle=False, verbose=0).history
    return model.get_weights(), history["loss"][0], model.evaluate(x, y, batch_size=3, verbose=0)


@functools.lru_cache(maxsize=None)
def keras_reduction_run(reduction):
    return reduction_run(keras_ref.to_keras(metric_model(3, "softmax", seed=6)),
                         keras.optimizers.SGD(learning_rate=0.5),
                         keras.losses.SparseCategoricalCrossentropy(reduction=reduction))


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
def test_fit_with_each_reduction(reduction, backend_name):
    """Two SGD steps (batches of 3 and 2) with a loss object of each reduction, against Keras's
    fit and evaluate. Keras's quirk with ``"none"``: the tape differentiates the per-sample vector
    (its sum, like ``"sum"``), while the loss tracker shows the mean over the samples."""
    backend.set_backend(backend_name)
    our_weights, our_loss, our_eval = reduction_run(metric_model(3, "softmax", seed=6),
                                                    optimizers.SGD(learning_rate=0.5),
                                                    losses.SparseCategoricalCrossentropy(reduction=reduction))
    their_weights, their_loss, their_eval = keras_reduction_run(reduction)
    for a, b in zip(our_weights, their_weights):
        assert_close(a, b, TRAINING_ATOL, what=f"weights after two steps ({reduction})")
    assert_close(our_loss, their_loss, HISTORY_ATOL, FORWARD_RTOL, what="History loss")
    assert_close(our_eval, their_eval, HISTORY_ATOL, FORWARD_RTOL, what="evaluate")


# ----------------------------------------------------------------------------- metrics
# Predictions with a tie in row 1 (argmax takes the first index) and labels of every form.
PRED = np.array([[0.1, 0.7, 0.2], [0.4, 0.4, 0.2], [0.3, 0.3, 0.4], [0.6, 0.1, 0.3], [0.2, 0.5, 0.3]], F32)
TRUE = np.array([1, 1, 2, 2, 1])
BINARY_PRED = np.array([[0.9], [0.5], [0.2], [0.51], [0.49]], F32)  # 0.5 is not > 0.5
BINARY_TRUE = np.array([[1.0], [1.0], [0.0], [0.0], [0.0]], F32)
ACCURACY_CASES = {
    "sparse": (TRUE, PRED),
    "sparse-column": (TRUE[:, None], PRED),
    "onehot": (np.eye(3, dtype=F32)[TRUE], PRED),
    "binary": (BINARY_TRUE, BINARY_PRED),
    "binary-flat-labels": (BINARY_TRUE[:, 0], BINARY_PRED),
}
KERAS_CLASS = {"sparse": "SparseCategoricalAccuracy", "sparse-column": "SparseCategoricalAccuracy",
               "onehot": "CategoricalAccuracy", "binary": "BinaryAccuracy", "binary-flat-labels": "BinaryAccuracy"}


@pytest.mark.parametrize("name", ["accuracy", "acc"])
@pytest.mark.parametrize("case", list(ACCURACY_CASES))
def test_accuracy_resolution_matches_keras(case, name):
    y_true, y_pred = ACCURACY_CASES[case]
    from keras.src.trainers import compile_utils  # Keras's own resolver (pinned version)
    theirs = compile_utils.get_metric(name, y_true, y_pred)
    assert type(theirs).__name__ == KERAS_CLASS[case]
    ours = metrics.get(name)
    for batch in (slice(0, 3), slice(3, 5)):  # two batches: the running mean over all samples seen
        theirs.update_state(y_true[batch], y_pred[batch])
        ours.update_state(y_true[batch], y_pred[batch])
    assert ours.name == theirs.name == name
    assert ours.result() == float(theirs.result().numpy())  # same float32 value, as a Python float


@pytest.mark.parametrize("name", ["sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy"])
def test_named_accuracies_match_keras(name):
    case = {"sparse_categorical_accuracy": "sparse", "categorical_accuracy": "onehot",
            "binary_accuracy": "binary"}[name]
    y_true, y_pred = ACCURACY_CASES[case]
    ours, theirs = metrics.get(name), keras.metrics.get(name)
    ours.update_state(y_true, y_pred)
    assert_close(ours.result(), np.mean(theirs(y_true, y_pred).numpy()), 0.0, what=name)


EVALUATE_CASES = [
    ("sparse", 3, "softmax", "sparse_categorical_crossentropy"),
    ("sparse-column", 3, "softmax", "sparse_categorical_crossentropy"),
    ("onehot", 3, "softmax", "categorical_crossentropy"),
    ("binary", 1, "sigmoid", "categorical_crossentropy"),
]


def metric_data(case, units):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((10, 4)).astype(F32)
    labels = rng.integers(0, units if units > 1 else 2, 10)
    y = {"sparse": labels, "sparse-column": labels[:, None], "onehot": np.eye(3, dtype=F32)[labels],
         "binary": labels[:, None].astype(F32)}[case]
    return x, y


FIT_ARGS = dict(batch_size=4, epochs=2, shuffle=False, validation_split=0.2, verbose=0)


def fit_and_evaluate(model, optimizer, case, units, loss_name, metric_name):
    """History, evaluate's list, evaluate's dict and metrics_names of a model (ours or Keras's)."""
    x, y = metric_data(case, units)
    model.compile(optimizer=optimizer, loss=loss_name, metrics=[metric_name])
    history = model.fit(x, y, **FIT_ARGS).history
    return (history, model.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0, return_dict=True),
            model.metrics_names)


@functools.lru_cache(maxsize=None)
def keras_metric_run(case, units, activation, loss_name, metric_name):
    keras_model = keras_ref.to_keras(metric_model(units, activation))
    return fit_and_evaluate(keras_model, keras.optimizers.SGD(learning_rate=0.1), case, units, loss_name,
                            metric_name)


@pytest.mark.filterwarnings("ignore:In loss categorical_crossentropy, expected y_pred.shape")
@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("metric_name", ["accuracy", "acc"])
@pytest.mark.parametrize("case,units,activation,loss_name", EVALUATE_CASES, ids=[c[0] for c in EVALUATE_CASES])
def test_fit_and_evaluate_metric_names_and_values(case, units, activation, loss_name, metric_name, backend_name):
    """History keys (sorted, ``val_`` after), evaluate's list and dict, metrics_names — vs Keras."""
    backend.set_backend(backend_name)
    ours = fit_and_evaluate(metric_model(units, activation), optimizers.SGD(learning_rate=0.1), case, units,
                            loss_name, metric_name)
    theirs = keras_metric_run(case, units, activation, loss_name, metric_name)
    (our_history, our_list, our_dict, our_names), (their_history, their_list, their_dict, their_names) = ours, theirs
    assert list(our_history) == list(their_history) == [metric_name, "loss", f"val_{metric_name}", "val_loss"]
    for key in their_history:
        assert_close(our_history[key], their_history[key], HISTORY_ATOL, FORWARD_RTOL, what=f"History {key}")
    assert_close(our_list, their_list, HISTORY_ATOL, FORWARD_RTOL, what="evaluate [loss, metric]")
    assert list(our_dict) == list(their_dict) == [metric_name, "loss"]
    assert_close([our_dict[k] for k in their_dict], [their_dict[k] for k in their_dict], HISTORY_ATOL,
                 FORWARD_RTOL, what="evaluate dict")
    assert our_names == their_names


def test_evaluate_without_metrics_returns_a_single_float():
    model = metric_model(3, "softmax")
    keras_model = keras_ref.to_keras(model)
    x, y = np.random.default_rng(1).standard_normal((6, 4)).astype(F32), np.array([0, 1, 2, 0, 1, 2])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    keras_model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    ours, theirs = model.evaluate(x, y, verbose=0), keras_model.evaluate(x, y, verbose=0)
    assert isinstance(ours, float) and isinstance(theirs, float)
    assert_close(ours, theirs, FORWARD_ATOL, FORWARD_RTOL, what="evaluate")
    assert model.metrics_names == keras_model.metrics_names
