"""ReLU with Keras's options, Softmax on any axis, and the rule for layers without weights
(built on construction; elementwise ones take any input shape on a call) against Keras.

ReLU: every branch of keras/src/activations/activations.py (leaky, relu6, clipped, thresholded,
mixed), on inputs that sit exactly on the kinks (0, the threshold, max_value, 6), forward and
input gradient vs ``tf.GradientTape`` on both backends; the op is also checked by a float64
numerical gradient away from the kinks (test_op_gradcheck.py holds the cpu-vs-reference case).
"""
import numpy as np
import pytest

from parity_tests.keras_available import keras
from parity_tests.test_mlp_layers import assert_layer_matches_keras
from parity_tests.tolerances import GRADCHECK_RTOL
import scratch
from scratch import backend, layers
from scratch.gradcheck import check_gradient
from scratch.ops import reference

RELU_OPTIONS = [
    dict(),
    dict(negative_slope=0.2),
    dict(max_value=6.0),
    dict(max_value=6),
    dict(max_value=6.0, negative_slope=0.1),
    dict(max_value=2.5),
    dict(max_value=2.5, negative_slope=0.3),
    dict(threshold=1.0),
    dict(threshold=1.0, negative_slope=0.25),
    dict(threshold=0.5, max_value=2.0, negative_slope=0.1),
    dict(max_value=0.0),
]
KINKS = np.array([[0.0, -0.0, 1.0, 0.5, 2.0, 2.5, 6.0, -1.0], [7.0, 3.0, -2.5, 0.25, 5.9, 6.1, 1.5, -0.5]],
                 np.float32)


def relu_input(shape=(3, 4, 8)):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32) * 4
    x[0, :2] = KINKS
    return x


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("options", RELU_OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_relu_options_match_keras_at_the_kinks(options, backend_name):
    backend.set_backend(backend_name)
    layer = layers.ReLU(**options)
    direct = keras.layers.ReLU(**options).get_config()
    twin = keras.layers.ReLU(layer.max_value, layer.negative_slope, layer.threshold).get_config()
    for key in ("max_value", "negative_slope", "threshold"):
        assert direct[key] == twin[key]
    assert_layer_matches_keras(layer, relu_input())
    theirs = keras.activations.relu(relu_input(), **options).numpy()
    np.testing.assert_array_equal(scratch.activations.relu(relu_input(), **options), theirs)


@pytest.mark.parametrize("options", RELU_OPTIONS[1:], ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_relu_general_numerical_gradients(options):
    rng = np.random.default_rng(1)
    x = rng.uniform(-8, 8, (4, 9))
    kinks = [0.0, options.get("threshold", 0.0)] + ([options["max_value"]] if "max_value" in options else [])
    for k in kinks:   # keep ±h away from every kink
        x = np.where(np.abs(x - k) < 0.05, x + 0.1, x)
    upstream = rng.standard_normal(x.shape)
    args = (options.get("negative_slope", 0.0), options.get("max_value"), options.get("threshold", 0.0))
    analytic = reference.relu_general_backward(upstream, x, *args)
    error = check_gradient(lambda _: float((reference.relu_general_forward(x, *args) * upstream).sum()), x, analytic)
    assert error < GRADCHECK_RTOL


@pytest.mark.parametrize("kwargs,error,words", [
    (dict(max_value=-1.0), ValueError, ["max_value", "-1.0"]),
    (dict(negative_slope=-0.1), ValueError, ["negative_slope", "-0.1"]),
    (dict(negative_slope=None), ValueError, ["negative_slope", "None"]),
    (dict(threshold=-1.0), ValueError, ["threshold", "-1.0"]),
    (dict(threshold=None), ValueError, ["threshold", "None"]),
    (dict(max_value="6"), TypeError, ["max_value", "'6'"]),
])
def test_relu_refuses_what_keras_refuses(kwargs, error, words):
    with pytest.raises(error):
        keras.layers.ReLU(**kwargs)
    with pytest.raises(error) as caught:
        layers.ReLU(**kwargs)
    assert all(w in str(caught.value) for w in words), str(caught.value)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("axis,shape", [(-1, (2, 3, 5)), (1, (2, 3, 5)), (0, (3, 4)), (-2, (2, 4, 3, 2)),
                                        ([1, 2], (2, 3, 4, 2)), ([2], (2, 3, 4))])
def test_softmax_on_any_axis_matches_keras(axis, shape, backend_name):
    backend.set_backend(backend_name)
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32) * 3
    assert_layer_matches_keras(layers.Softmax(axis=axis), x)
    if isinstance(axis, int):
        np.testing.assert_allclose(scratch.activations.softmax(x, axis=axis),
                                   keras.activations.softmax(x, axis=axis).numpy(), rtol=1e-6, atol=1e-7)


def test_softmax_on_another_axis_drops_the_logits_shortcut():
    model = scratch.Sequential([scratch.Input((3, 4)), layers.Softmax(axis=1)])
    model.compile(loss="categorical_crossentropy")
    assert not model._loss_from_logits()
    model = scratch.Sequential([scratch.Input((3, 4)), layers.Softmax()])
    model.compile(loss="categorical_crossentropy")
    assert model._loss_from_logits()


# ----------------------------------------------------------------------------- 3. weightless layers
@pytest.mark.parametrize("name", ["ReLU", "Softmax", "Dropout", "MaxPooling2D", "AveragePooling2D",
                                  "GlobalMaxPooling2D", "GlobalAveragePooling2D", "Flatten", "Rescaling"])
def test_built_on_construction_as_in_keras(name):
    args = {"Dropout": (0.5,), "Rescaling": (1.0,), "AveragePooling2D": (2,)}.get(name, ())
    ours, theirs = getattr(layers, name)(*args), getattr(keras.layers, name)(*args)
    assert ours.built == theirs.built
    assert ours.input_shape is None and ours.count_params() == 0 if ours.built else True


@pytest.mark.parametrize("make", [lambda: layers.ReLU(), lambda: layers.ReLU(max_value=1.0),
                                  lambda: layers.Softmax(), lambda: layers.Activation("tanh"),
                                  lambda: layers.Dropout(0.5), lambda: layers.Rescaling(2.0)],
                         ids=["ReLU", "ReLU-capped", "Softmax", "Activation", "Dropout", "Rescaling"])
def test_elementwise_layers_take_any_rank_on_a_call(make):
    layer = make()
    for shape in [(2, 2), (2, 3, 4), (1, 5)]:
        x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
        assert layer(x).shape == shape
    assert layer.input_shape == (None, 2)   # the first build's shape stays recorded


def test_a_model_keeps_its_shapes_when_its_elementwise_layer_is_called_on_another():
    relu = layers.ReLU()
    model = scratch.Sequential([scratch.Input((4,)), relu])
    assert relu(np.ones((2, 3, 5), np.float32)).shape == (2, 3, 5)
    assert (relu.input_shape, relu.output_shape, model.output_shape) == ((None, 4), (None, 4), (None, 4))
    with pytest.raises(ValueError, match="input_shape"):
        scratch.Sequential([scratch.Input((5,)), relu])   # build still refuses: the summary's shapes


@pytest.mark.parametrize("make,shape,other", [
    (lambda: layers.Flatten(), (2, 2, 3), (2, 4, 5)),
    (lambda: layers.MaxPooling2D(), (1, 4, 4, 2), (1, 6, 6, 2)),
    (lambda: layers.GlobalAveragePooling2D(), (1, 4, 4, 2), (1, 4, 4, 3)),
])
def test_shape_dependent_layers_keep_their_input_shape(make, shape, other):
    layer = make()
    layer(np.zeros(shape, np.float32))
    with pytest.raises(ValueError, match="expected input of shape"):
        layer(np.zeros(other, np.float32))
