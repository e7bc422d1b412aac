"""MLP layer parity: Flatten, Dense, ReLU, Softmax and Activation against the same Keras layers.

One table of cases, one helper. For every case and both backends the helper checks, against the
Keras layer built with the same configuration (through ``keras_ref``'s mapping) and the same
weights: output shape, parameter count, forward output, and the gradients of
``Σ output · upstream`` (random ``upstream``) with respect to the input and every weight, taken
by ``tf.GradientTape`` on the Keras side and by ``layer.backward`` on ours.
"""
import numpy as np
import pytest

from parity_tests.keras_available import keras, tf
from parity_tests.compare import assert_close
from parity_tests.tolerances import FORWARD_ATOL, FORWARD_RTOL, GRAD_ATOL, GRAD_RTOL
from keras_ref.bridge import LAYER_MAP
from scratch import backend, layers

# Keras warns about a softmax over a single unit (always 1) — the case is kept on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1")

ACTIVATIONS = ["linear", "relu", "softmax", "sigmoid", "tanh"]

# (id, constructor of our layer, input shape with batch, input scale)
CASES = (
    [("flatten-2d", lambda: layers.Flatten(), (3, 5), 1.0),
     ("flatten-3d", lambda: layers.Flatten(), (4, 6, 5), 1.0),
     ("flatten-nhwc", lambda: layers.Flatten(), (2, 3, 4, 2), 1.0)]
    + [(f"dense-{act}-bias", lambda act=act: layers.Dense(7, activation=act), (5, 6), 1.0)
       for act in ACTIVATIONS]
    + [(f"dense-{act}-nobias", lambda act=act: layers.Dense(4, activation=act, use_bias=False), (3, 9), 1.0)
       for act in ACTIVATIONS]
    + [(f"dense-{act}-rank3", lambda act=act: layers.Dense(5, activation=act), (2, 3, 4), 1.0)
       for act in ACTIVATIONS]
    + [("dense-relu-wide", lambda: layers.Dense(33, activation="relu"), (16, 50), 1.0),
       ("dense-softmax-1unit", lambda: layers.Dense(1, activation="softmax"), (4, 3), 1.0),
       ("dense-sigmoid-1unit", lambda: layers.Dense(1, activation="sigmoid"), (4, 3), 1.0),
       ("dense-relu-rank4-nobias", lambda: layers.Dense(3, activation="relu", use_bias=False), (2, 2, 3, 4), 1.0),
       ("dense-softmax-big", lambda: layers.Dense(6, activation="softmax"), (4, 5), 30.0),
       ("relu", lambda: layers.ReLU(), (6, 7), 1.0),
       ("relu-rank4", lambda: layers.ReLU(), (2, 3, 3, 2), 1.0),
       ("softmax", lambda: layers.Softmax(), (5, 4), 1.0),
       ("softmax-rank3", lambda: layers.Softmax(), (2, 3, 6), 1.0),
       ("softmax-big-logits", lambda: layers.Softmax(), (4, 5), 300.0)]
    + [(f"activation-{act}", lambda act=act: layers.Activation(act), (4, 6), 1.0) for act in ACTIVATIONS]
    + [("activation-tanh-rank3", lambda: layers.Activation("tanh"), (2, 3, 4), 1.0)]
)


def keras_twin(layer):
    """The Keras layer with the same configuration, through the bridge's mapping."""
    return LAYER_MAP[type(layer).__name__][0](layer)


def keras_forward_and_grads(keras_layer, x, upstream):
    """Keras output and the gradients of Σ output·upstream w.r.t. the input and the weights."""
    x_tensor = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tensor)
        out = keras_layer(x_tensor, training=True)
        objective = tf.reduce_sum(out * tf.constant(upstream))
    grads = tape.gradient(objective, [x_tensor] + list(keras_layer.trainable_weights))
    return out.numpy(), [g.numpy() for g in grads]


def assert_layer_matches_keras(layer, x, upstream_seed=1):
    """The one helper: shape, parameter count, forward values and every gradient vs Keras."""
    layer.build((None,) + x.shape[1:])
    keras_layer = keras_twin(layer)
    keras_layer.build((None,) + x.shape[1:])
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in keras_layer.get_weights()]
    keras_layer.set_weights(layer.get_weights())

    assert layer.output_shape == tuple(keras_layer.compute_output_shape((None,) + x.shape[1:]))
    assert layer.count_params() == keras_layer.count_params()

    out = layer.forward(x, training=True)
    upstream = np.random.default_rng(upstream_seed).standard_normal(out.shape).astype(np.float32)
    grad_x = layer.backward(upstream)
    theirs_out, theirs_grads = keras_forward_and_grads(keras_layer, x, upstream)

    assert out.shape == (x.shape[0],) + layer.output_shape[1:]
    assert_close(out, theirs_out, FORWARD_ATOL, FORWARD_RTOL, what="forward", check_dtype=True)
    assert_close(grad_x, theirs_grads[0], GRAD_ATOL, GRAD_RTOL, what="input gradient", check_dtype=True)
    assert len(layer.trainable_variables) == len(theirs_grads) - 1
    for variable, theirs in zip(layer.trainable_variables, theirs_grads[1:]):
        assert_close(variable.grad, theirs, GRAD_ATOL, GRAD_RTOL, what=f"{variable.name} gradient",
                     check_dtype=True)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("make_layer,shape,scale", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_layer_matches_keras(make_layer, shape, scale, backend_name):
    backend.set_backend(backend_name)
    x = (np.random.default_rng(0).standard_normal(shape) * scale).astype(np.float32)
    layer = make_layer()
    if isinstance(layer, layers.Dense):
        layer.build((None,) + shape[1:])
        # random weights, bias included (a zero bias would hide a missing or misplaced bias term)
        weight_rng = np.random.default_rng(2)
        layer.set_weights([(weight_rng.standard_normal(w.shape) / np.sqrt(w.shape[0])).astype(np.float32)
                           for w in layer.get_weights()])
    assert_layer_matches_keras(layer, x)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("make_layer", [lambda: layers.ReLU(), lambda: layers.Activation("relu"),
                                        lambda: layers.Dense(3, activation="relu", use_bias=False)],
                         ids=["ReLU", "Activation-relu", "Dense-relu"])
def test_relu_gradient_at_exact_zero_is_zero(make_layer, backend_name):
    """TF's ReluGrad kernel (the gradient of ``tf.nn.relu``) uses x > 0: exact zeros get no gradient."""
    backend.set_backend(backend_name)
    x = np.array([[0.0, -1.0, 2.0], [0.0, 0.0, 3.0]], np.float32)
    layer = make_layer()
    if hasattr(layer, "units"):
        layer.build((None, 3))
        layer.set_weights([np.eye(3, dtype=np.float32)])  # pre-activations are exactly x
    assert_layer_matches_keras(layer, x)
    out = layer.forward(x, training=True)
    grad = layer.backward(np.ones_like(out))
    np.testing.assert_array_equal(grad, (x > 0).astype(np.float32))  # closed form


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
def test_flatten_order_is_keras_channels_last(backend_name):
    """Element (h, w, c) lands at (h·W + w)·C + c (keras/src/layers/reshaping/flatten.py,
    ``Flatten.call``: a row-major reshape of channels_last data), not in NCHW order."""
    backend.set_backend(backend_name)
    x = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    ours = layers.Flatten()(x)
    theirs = keras.layers.Flatten()(x).numpy()
    assert_close(ours, theirs, 0.0, what="flatten", check_dtype=True)
    np.testing.assert_array_equal(ours, np.arange(24, dtype=np.float32)[None])
    flatten = layers.Flatten()
    flatten.build((None, 2, 3, 4))
    assert flatten.output_shape == tuple(keras.layers.Flatten().compute_output_shape((None, 2, 3, 4))) == (None, 24)
    grad = np.arange(24, dtype=np.float32)[None] * 2
    flatten = layers.Flatten()
    flatten.forward(x)
    np.testing.assert_array_equal(flatten.backward(grad), x * 2)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("activation", ["softmax", "relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("shape", [(5, 6), (2, 3, 6)], ids=["rank2", "rank3"])
def test_backward_from_logits_is_the_linear_part(activation, shape, backend_name):
    """``Dense.backward_from_logits(g)`` = the gradient of ``Σ (x @ kernel + bias)·g``, whatever the
    activation (the softmax-crossentropy shortcut starts there): Keras's linear Dense is the truth."""
    backend.set_backend(backend_name)
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(np.float32)
    layer = layers.Dense(4, activation=activation)
    layer.build((None,) + shape[1:])
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()]
    layer.set_weights(weights)
    layer.forward(x, training=True)
    grad_z = rng.standard_normal(shape[:-1] + (4,)).astype(np.float32)
    grad_x = layer.backward_from_logits(grad_z)

    linear = keras.layers.Dense(4)
    linear.build((None,) + shape[1:])
    linear.set_weights(weights)
    _, theirs = keras_forward_and_grads(linear, x, grad_z)
    if activation == "softmax":   # kept for the softmax-crossentropy shortcut, and only there
        assert_close(layer.logits.reshape(grad_z.shape), linear(x).numpy(), FORWARD_ATOL, FORWARD_RTOL,
                     what="logits")
    else:
        assert layer.logits is None
    assert_close(grad_x, theirs[0], GRAD_ATOL, GRAD_RTOL, what="input gradient", check_dtype=True)
    assert_close(layer.kernel.grad, theirs[1], GRAD_ATOL, GRAD_RTOL, what="kernel gradient")
    assert_close(layer.bias.grad, theirs[2], GRAD_ATOL, GRAD_RTOL, what="bias gradient")


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
def test_softmax_of_big_logits_is_stable(backend_name):
    """[1000, 1000, −1000] → [0.5, 0.5, 0] as ``tf.nn.softmax`` gives (it subtracts the row maximum),
    no overflow to NaN."""
    backend.set_backend(backend_name)
    x = np.array([[1000.0, 1000.0, -1000.0]], np.float32)
    ours = layers.Softmax()(x)
    assert_close(ours, keras.layers.Softmax()(x).numpy(), FORWARD_ATOL, what="softmax", check_dtype=True)
    assert_close(ours, [[0.5, 0.5, 0.0]], 0.0, what="softmax closed form")
