"""CNN layer parity: Conv2D, MaxPooling2D, Dropout and Rescaling against the same Keras layers.

Conv2D and MaxPooling2D: one table of configurations each. The same constructor arguments build
our layer and Keras's, whose configs must agree (defaults such as ``strides=None`` → pool size);
then the MLP suite's helper (``assert_layer_matches_keras``) checks, on both backends, the output
shape vs the Keras layer's, parameter
count, forward output, and the gradients of ``Σ output · upstream`` with respect to the input
and every weight (``tf.GradientTape`` on the Keras side, ``layer.backward`` on ours), weights
shared. Dropout: TensorFlow's masks come from its own RNG (keras/src/backend/tensorflow/random.py,
``dropout``: ``tf.nn.experimental.stateless_dropout`` seeded by the layer's SeedGenerator), so the
statistics are checked against the real Keras layer and a training step is compared bit for bit
with a test-only Keras layer that runs TensorFlow's own dropout code on the mask our layer drew.
Rescaling: bit for bit against Keras on uint8 input.
"""
import numpy as np
import pytest

from parity_tests.keras_available import keras, tf
from parity_tests.compare import assert_close
from parity_tests.test_mlp_layers import assert_layer_matches_keras, keras_forward_and_grads
from parity_tests.tolerances import FORWARD_ATOL, FORWARD_RTOL, GRAD_ATOL, GRAD_RTOL, GRADCHECK_RTOL
import keras_ref
import scratch
from keras_ref.bridge import LAYER_MAP
from keras_ref.seed_models import seed_cnn
from scratch import backend, layers
from scratch.gradcheck import check_gradient
from tensorflow.python.ops import nn_ops  # TF's own dropout arithmetic, for the shared-mask layer

# (id, positional arguments, keyword arguments, input shape with batch); the same arguments build
# our layer and, independently of the bridge, Keras's (their configs must agree).
CONV_CASES = [
    ("k1", (3, 1), {}, (2, 5, 5, 2)),
    ("k2-same-even-kernel", (4, 2), dict(padding="same"), (2, 6, 6, 3)),
    ("k2-same-odd-input", (2, 2), dict(padding="same"), (2, 5, 7, 1)),
    ("k3-valid", (4, 3), {}, (2, 7, 7, 1)),
    ("k3-same-relu", (5, 3), dict(padding="same", activation="relu"), (2, 8, 8, 3)),
    ("k3-SAME-uppercase", (3, 3), dict(padding="SAME"), (1, 5, 6, 2)),
    ("k2x3-valid", (3, (2, 3)), {}, (2, 7, 6, 2)),
    ("k3x1-same-relu", (3, (3, 1)), dict(padding="same", activation="relu"), (2, 5, 4, 2)),
    ("k4-s2-same-even", (2, 4), dict(strides=2, padding="same"), (1, 8, 8, 2)),
    ("k3-s2-same-odd", (4, 3), dict(strides=2, padding="same"), (2, 7, 7, 2)),
    ("k3-s2-same-even", (4, 3), dict(strides=2, padding="same"), (2, 8, 8, 2)),
    ("k3-s2-valid-positional", (3, 3, 2, "valid"), {}, (2, 8, 9, 2)),
    ("k3x2-s2x1-same", (3, (3, 2)), dict(strides=(2, 1), padding="same"), (2, 7, 6, 3)),
    ("k2-s1x3-valid-relu", (2, 2), dict(strides=(1, 3), activation="relu"), (2, 6, 8, 2)),
    ("k2-s3-valid", (2, 2), dict(strides=3), (2, 8, 8, 2)),
    ("k3-d2-valid", (3, 3), dict(dilation_rate=2), (2, 9, 8, 2)),
    ("k3-d2-same-relu", (3, 3), dict(dilation_rate=2, padding="same", activation="relu"), (2, 7, 8, 2)),
    ("k2-d2x1-same", (2, 2), dict(dilation_rate=(2, 1), padding="same"), (2, 6, 5, 3)),
    ("k3-same-8ch", (8, 3), dict(padding="same"), (2, 6, 6, 8)),
    ("k3-valid-5ch-relu", (6, 3), dict(activation="relu"), (2, 6, 7, 5)),
    ("k5-whole-input", (2, 5), {}, (2, 5, 5, 1)),
    ("k3-nobias", (4, 3), dict(padding="same", use_bias=False), (2, 5, 5, 2)),
    ("k3-nobias-relu-s2", (3, 3), dict(strides=2, use_bias=False, activation="relu"), (2, 7, 6, 4)),
    ("k3-softmax", (4, 3), dict(padding="same", activation="softmax"), (2, 4, 4, 2)),
    ("k3-tanh", (3, 3), dict(activation="tanh"), (2, 5, 5, 2)),
    ("k3-same-16ch-winograd-relu", (5, 3), dict(padding="same", activation="relu"), (2, 7, 6, 16)),
    ("k3-valid-32ch-winograd-nobias", (4, 3), dict(use_bias=False), (2, 8, 9, 32)),
]

POOL_CASES = [
    ("p2-default", (), {}, (2, 8, 8, 3)),
    ("p2-odd-valid", (2,), {}, (2, 7, 7, 2)),
    ("p2-odd-same", (2,), dict(padding="same"), (2, 7, 5, 2)),
    ("p2-s1-same", (2,), dict(strides=1, padding="same"), (2, 5, 6, 2)),
    ("p3-s1-valid-overlap", (3,), dict(strides=1), (2, 6, 5, 2)),
    ("p3-s2-same-positional", (3, 2, "same"), {}, (2, 8, 7, 3)),
    ("p2x3-s1x2", ((2, 3),), dict(strides=(1, 2)), (2, 6, 7, 2)),
    ("p3x2-default-strides", ((3, 2),), {}, (2, 7, 6, 1)),
    ("p3x2-s3x1-same", ((3, 2),), dict(strides=(3, 1), padding="same"), (2, 7, 6, 1)),
    ("p1", (1,), {}, (1, 3, 4, 2)),
    ("p2-5ch-s2x1-VALID", (2,), dict(strides=(2, 1), padding="VALID"), (2, 6, 6, 5)),
]


def assert_config_matches_keras(layer, keras_class, args, kwargs):
    """The bridge's twin of our layer has the config Keras itself gives to the same arguments:
    our defaults and normalisation (strides=None, ints to tuples, "SAME") are Keras's."""
    direct = keras_class(*args, **kwargs).get_config()
    twin = LAYER_MAP[type(layer).__name__][0](layer).get_config()
    direct.pop("name"), twin.pop("name")
    direct["padding"] = direct["padding"].lower()  # Keras's pooling keeps "VALID" as given (its op lower-cases)
    assert twin == direct


def random_conv_weights(layer, seed=2):
    """Random kernel and bias (a zero bias would hide a missing or misplaced bias term)."""
    rng = np.random.default_rng(seed)
    fan_in = np.prod(layer.kernel.shape[:3])
    layer.set_weights([(rng.standard_normal(w.shape) / np.sqrt(fan_in)).astype(np.float32)
                       for w in layer.get_weights()])


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("args,kwargs,shape", [c[1:] for c in CONV_CASES], ids=[c[0] for c in CONV_CASES])
def test_conv2d_matches_keras(args, kwargs, shape, backend_name):
    backend.set_backend(backend_name)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    layer = layers.Conv2D(*args, **kwargs)
    assert_config_matches_keras(layer, keras.layers.Conv2D, args, kwargs)
    layer.build((None,) + shape[1:])
    assert layer.kernel.shape == layer.kernel_size + (shape[-1], layer.filters)
    random_conv_weights(layer)
    assert_layer_matches_keras(layer, x)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("args,kwargs,shape", [c[1:] for c in POOL_CASES], ids=[c[0] for c in POOL_CASES])
def test_maxpooling2d_matches_keras(args, kwargs, shape, backend_name):
    backend.set_backend(backend_name)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    layer = layers.MaxPooling2D(*args, **kwargs)
    assert_config_matches_keras(layer, keras.layers.MaxPooling2D, args, kwargs)
    assert_layer_matches_keras(layer, x)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("make_layer", [lambda: layers.MaxPooling2D(2),
                                        lambda: layers.MaxPooling2D(3, strides=1, padding="same")],
                         ids=["p2", "p3-s1-same-overlap"])
def test_maxpooling2d_ties_route_like_keras(make_layer, backend_name):
    """Many equal values per window: the gradient goes to the first maximum in row-major order, as
    TensorFlow's MaxPoolGrad does for ``tf.nn.max_pool`` (which Keras's MaxPooling2D calls)."""
    backend.set_backend(backend_name)
    x = np.random.default_rng(3).integers(0, 2, size=(2, 6, 6, 2)).astype(np.float32)
    assert_layer_matches_keras(make_layer(), x)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
def test_conv2d_skips_the_input_gradient_when_told(backend_name):
    """``compute_grad_x = False`` (the model's first weighted layer): no input gradient, same weight gradients."""
    backend.set_backend(backend_name)
    x = np.random.default_rng(4).standard_normal((2, 6, 6, 2)).astype(np.float32)
    layer = layers.Conv2D(3, 3, padding="same", activation="relu")
    layer.build((None, 6, 6, 2))
    random_conv_weights(layer)
    upstream = np.random.default_rng(5).standard_normal((2, 6, 6, 3)).astype(np.float32)
    layer.forward(x, training=True)
    full = layer.backward(upstream)
    grads = [v.grad.copy() for v in layer.weights]
    layer.compute_grad_x = False
    layer.forward(x, training=True)
    assert full is not None and layer.backward(upstream) is None
    for variable, grad in zip(layer.weights, grads):
        np.testing.assert_array_equal(variable.grad, grad)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
def test_conv2d_backward_from_logits_is_the_linear_part(backend_name):
    """As for Dense: ``backward_from_logits(g)`` is the gradient of ``Σ (conv(x) + bias)·g``."""
    backend.set_backend(backend_name)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 5, 5, 2)).astype(np.float32)
    layer = layers.Conv2D(3, 3, padding="same", activation="softmax")
    layer.build((None, 5, 5, 2))
    random_conv_weights(layer)
    layer.forward(x, training=True)
    grad_z = rng.standard_normal((2, 5, 5, 3)).astype(np.float32)
    grad_x = layer.backward_from_logits(grad_z)
    linear = keras.layers.Conv2D(3, 3, padding="same")
    linear.build((None, 5, 5, 2))
    linear.set_weights(layer.get_weights())
    theirs_out, theirs = keras_forward_and_grads(linear, x, grad_z)
    assert_close(layer.logits, theirs_out, FORWARD_ATOL, FORWARD_RTOL, what="logits")
    for ours, (what, their) in zip([grad_x, layer.kernel.grad, layer.bias.grad],
                                   zip(["input", "kernel", "bias"], theirs)):
        assert_close(ours, their, GRAD_ATOL, GRAD_RTOL, what=f"{what} gradient", check_dtype=True)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
def test_uint8_images_are_cast_to_float32_like_keras(backend_name):
    """uint8 pixels straight into a layer come out as the float32 result on float32(x), as a Keras
    model's input conversion does (the fast conv op would otherwise compute in uint8)."""
    backend.set_backend(backend_name)
    x = np.random.default_rng(7).integers(0, 256, (2, 6, 6, 1), dtype=np.uint8)
    conv = layers.Conv2D(2, 3, padding="same")
    conv.build((None, 6, 6, 1))
    random_conv_weights(conv)
    for ours in (conv, layers.MaxPooling2D(), layers.Dropout(0.5)):
        theirs = LAYER_MAP[type(ours).__name__][0](ours)
        theirs.build((None, 6, 6, 1))
        theirs.set_weights(ours.get_weights())
        out = ours(x)
        assert out.dtype == np.float32
        assert_close(out, theirs(x.astype(np.float32)).numpy(), FORWARD_ATOL * 255, FORWARD_RTOL,
                     what=type(ours).__name__, check_dtype=True)


def test_bridge_round_trip_keeps_every_config():
    ours = scratch.Sequential([
        layers.Rescaling(1 / 127.5, offset=-1.0, input_shape=(9, 8, 3)),
        layers.Conv2D(4, (3, 2), strides=(2, 1), padding="same", activation="relu", use_bias=False),
        layers.Conv2D(3, 2, dilation_rate=(2, 1)),
        layers.MaxPooling2D((2, 1), strides=(1, 2), padding="same"),
        layers.Dropout(0.25, noise_shape=(None, 1, 1, 3), seed=7),
    ])
    theirs = keras_ref.to_keras(ours)
    back = keras_ref.from_keras(theirs)
    keys = {"Conv2D": ["filters", "kernel_size", "strides", "padding", "dilation_rate", "use_bias"],
            "MaxPooling2D": ["pool_size", "strides", "padding"],
            "Dropout": ["rate", "noise_shape", "seed"], "Rescaling": ["scale", "offset"]}
    for a, k, b in zip(ours.layers, theirs.layers, back.layers):
        assert type(a).__name__ == type(k).__name__ == type(b).__name__
        assert a.name == k.name == b.name
        for key in keys[type(a).__name__]:
            assert getattr(a, key) == getattr(k, key) == getattr(b, key), key
        if isinstance(a, layers.Conv2D):
            assert a.activation.name == keras.activations.serialize(k.activation) == b.activation.name
        assert a.output_shape == tuple(k.output.shape) == b.output_shape
    for w_ours, w_keras, w_back in zip(ours.get_weights(), theirs.get_weights(), back.get_weights()):
        np.testing.assert_array_equal(w_ours, w_keras)
        np.testing.assert_array_equal(w_ours, w_back)
    with pytest.raises(ValueError, match="^data_format:.*channels_first"):
        keras_ref.from_keras(keras.Sequential([keras.Input((3, 6, 6)),
                                               keras.layers.Conv2D(2, 3, data_format="channels_first")]))


# ----------------------------------------------------------------------------- Dropout
class SharedMaskDropout(keras.layers.Layer):
    """Test-only Keras layer: TensorFlow's own dropout code (``nn_ops._dropout``, which Keras's
    Dropout reaches through ``stateless_dropout``) with its uniform draw replaced by the keep mask
    our layer drew: the draw is 1.0 where kept and 0.0 where dropped, so TF's ``draw >= rate``
    test reproduces the mask and everything else (the scaling) is TF's arithmetic.

    ``masks`` is a list consumed in order, one mask per training call (it may be filled later)."""

    def __init__(self, rate, masks, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.next_mask = lambda: masks.pop(0)  # not the list itself: Keras would track a copy of it

    def call(self, inputs, training=False):
        if not training:
            return inputs
        mask = self.next_mask()
        return nn_ops._dropout(inputs, self.rate, mask.shape,
                               uniform_sampler=lambda shape, dtype: tf.cast(tf.constant(mask), dtype),
                               dummy_rng_step=lambda: None, name=None, default_name="dropout")


def recording_dropout(rate, masks, seed):
    """Our Dropout with its keep masks drawn from a generator seeded ``seed`` and appended to
    ``masks``, the list a :class:`SharedMaskDropout` then replays in Keras's twin."""
    draw = np.random.default_rng(seed)

    def record(shape):
        masks.append(draw.random(shape, dtype=np.float32) >= np.float32(rate))
        return masks[-1]

    dropout = layers.Dropout(rate)
    dropout.mask_fn = record
    return dropout


def test_dropout_is_the_identity_in_inference():
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    layer = layers.Dropout(0.5)
    assert layer(x) is x                               # a plain call: training=False, as Keras
    assert layer.forward(x, training=False) is x
    assert layer.backward(x) is x
    np.testing.assert_array_equal(keras.layers.Dropout(0.5)(x).numpy(), x)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.4, 0.5, 0.75, np.float32(0.3)])
def test_dropout_keep_fraction_and_exact_scale_like_keras(rate):
    """Keep fraction ≈ 1 − rate on 10⁶ elements; kept values are exactly ``x · float32(1/(1 − rate))``
    — in our layer and in the real Keras Dropout — and not ``x / (1 − rate)``, which rounds differently."""
    x = np.random.default_rng(1).standard_normal((1000, 1000)).astype(np.float32) + 3.0  # no zeros
    scale = np.float32(1 / (1 - rate))
    layer = layers.Dropout(rate)
    assert layer.scale == scale and layer.scale.dtype == np.float32
    ours = layer(x, training=True)
    theirs = keras.layers.Dropout(rate)(x, training=True).numpy()
    for what, y in (("ours", ours), ("Keras", theirs)):
        kept = y != 0
        assert abs(kept.mean() - (1 - rate)) < 3e-3, f"{what}: keep fraction {kept.mean()}"
        np.testing.assert_array_equal(y[kept], x[kept] * scale, err_msg=f"{what}: scale")
    np.testing.assert_array_equal(ours != 0, layer.mask)
    if np.frexp(scale)[0] != 0.5:  # unless the scale is a power of two (rate 0.5, 0.75)
        assert np.any(x * scale != x / np.float32(1 - rate)), "the division form must differ somewhere"


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("rate,shape,noise_shape", [(0.3, (6, 7), None), (0.5, (3, 4, 4, 2), None),
                                                    (0.4, (3, 4, 4, 2), (None, 1, 1, 2))],
                         ids=["dense", "feature-map", "noise-shape"])
def test_dropout_training_step_matches_tensorflow_on_a_shared_mask(rate, shape, noise_shape, backend_name):
    """Forward and input gradient bit for bit against TF's dropout code fed with our mask."""
    backend.set_backend(backend_name)
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(np.float32)
    upstream = rng.standard_normal(shape).astype(np.float32)
    layer = layers.Dropout(rate, noise_shape=noise_shape, seed=3)
    out = layer.forward(x, training=True)
    grad_x = layer.backward(upstream)
    if noise_shape is not None:
        assert layer.mask.shape == (shape[0], 1, 1, shape[3])      # one draw per sample and channel
    theirs_out, theirs_grads = keras_forward_and_grads(SharedMaskDropout(rate, [layer.mask]), x, upstream)
    assert_close(out, theirs_out, 0.0, what="dropout forward", check_dtype=True)
    assert_close(grad_x, theirs_grads[0], 0.0, what="dropout input gradient", check_dtype=True)


def test_dropout_masks_follow_the_seeds():
    """``seed=None``: drawn from the kit's generator (``scratch.set_random_seed`` repeats them);
    a given seed: the layer's own generator, whatever the global seed."""
    x = np.ones((50, 20), np.float32)

    def masks(seed, global_seed):
        scratch.set_random_seed(global_seed)
        layer = layers.Dropout(0.5, seed=seed)
        return [layer(x, training=True) != 0 for _ in range(2)]

    first, second = masks(None, 1)
    assert not np.array_equal(first, second)                 # a new mask every step
    np.testing.assert_array_equal(masks(None, 1)[0], first)  # same global seed, same masks
    assert not np.array_equal(masks(None, 2)[0], first)
    np.testing.assert_array_equal(masks(9, 1)[0], masks(9, 2)[0])
    assert np.array_equal(layers.Dropout(0.0)(x, training=True), x)


def test_dropout_in_the_seed_cnn_leaves_predict_deterministic():
    """Dropout(0.4) is inactive in predict/evaluate: repeated calls agree, and agree with Keras."""
    ours = seed_cnn()
    theirs = keras_ref.to_keras(ours)
    x = np.random.default_rng(3).random((6, 28, 28, 1), dtype=np.float32)
    first = ours.predict(x, verbose=0)
    np.testing.assert_array_equal(ours.predict(x, verbose=0), first)
    assert_close(first, theirs.predict(x, verbose=0), FORWARD_ATOL, FORWARD_RTOL, what="predict")
    ours.compile("adam", "sparse_categorical_crossentropy")
    y = np.arange(6) % 10
    assert ours.evaluate(x, y, verbose=0) == ours.evaluate(x, y, verbose=0)
    # while training mode does drop units
    dropout = ours.layers[6]
    assert isinstance(dropout, layers.Dropout)
    hidden = np.ones((6, 100), np.float32)
    assert not np.array_equal(dropout(hidden, training=True), hidden)


# ----------------------------------------------------------------------------- Rescaling
@pytest.mark.parametrize("scale,offset", [(1 / 255, 0.0), (1 / 127.5, -1.0), (0.5, 0.25),
                                          (np.array([1 / 255, 2 / 255, 1 / 3]), np.array([0.0, -1.0, 0.5]))],
                         ids=["1/255", "to-minus1-1", "half-plus-quarter", "per-channel"])
def test_rescaling_is_bit_exact_with_keras_on_uint8(scale, offset):
    x = np.arange(256, dtype=np.uint8)[::-1].reshape(1, 16, 16, 1).repeat(3, axis=-1)
    x = np.concatenate([x, np.random.default_rng(0).integers(0, 256, (1, 16, 16, 3), dtype=np.uint8)])
    layer = layers.Rescaling(scale, offset=offset)
    ours = layer(x)
    theirs = LAYER_MAP["Rescaling"][0](layer)(x).numpy()
    assert layer.output_shape == (None, 16, 16, 3) and layer.count_params() == 0
    assert_close(ours, theirs, 0.0, what="rescaling", check_dtype=True)
    assert ours.dtype == np.float32
    if isinstance(scale, float) and scale == 1 / 255:
        assert np.any(ours != x.astype(np.float32) / 255), "x / 255 would not be bit-exact"


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
def test_rescaling_gradient_matches_keras(backend_name):
    backend.set_backend(backend_name)
    x = np.random.default_rng(1).random((2, 4, 4, 3), dtype=np.float32) * 255
    assert_layer_matches_keras(layers.Rescaling(1 / 127.5, offset=-1.0), x)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
def test_dropout_and_rescaling_ops_pass_a_numerical_gradient_check(backend_name):
    """Second oracle, independent of Keras: float64 centred differences."""
    backend.set_backend(backend_name)
    ops = backend.ops
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 5))
    upstream = rng.standard_normal((3, 5))
    keep = rng.random((3, 5)) >= 0.4
    scale = np.float32(1 / 0.6)
    check = check_gradient(lambda v: float((ops.dropout_forward(v, keep, scale) * upstream).sum()), x,
                           ops.dropout_backward(upstream, keep, scale))
    assert check < GRADCHECK_RTOL
    check = check_gradient(lambda v: float((ops.rescaling_forward(v, 1 / 255, 0.5) * upstream).sum()), x,
                           ops.rescaling_backward(upstream, 1 / 255))
    assert check < GRADCHECK_RTOL


# ----------------------------------------------------------------------------- AveragePooling2D / global pooling
@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("args,kwargs,shape", [c[1:] if c[1] else ((2,),) + c[2:] for c in POOL_CASES],
                         ids=[c[0] for c in POOL_CASES])   # Keras's AveragePooling2D has no default pool_size
def test_averagepooling2d_matches_keras(args, kwargs, shape, backend_name):
    backend.set_backend(backend_name)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    layer = layers.AveragePooling2D(*args, **kwargs)
    assert_config_matches_keras(layer, keras.layers.AveragePooling2D, args, kwargs)
    assert_layer_matches_keras(layer, x)


@pytest.mark.parametrize("backend_name", backend.BACKENDS)
@pytest.mark.parametrize("name", ["GlobalAveragePooling2D", "GlobalMaxPooling2D"])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("values", ["normal", "ties"])
def test_global_pooling_matches_keras(name, keepdims, values, backend_name):
    backend.set_backend(backend_name)
    rng = np.random.default_rng(1)
    shape = (2, 5, 6, 3)
    x = (rng.standard_normal(shape) if values == "normal" else rng.integers(0, 2, shape)).astype(np.float32)
    layer = getattr(layers, name)(keepdims=keepdims)
    direct = getattr(keras.layers, name)(keepdims=keepdims).get_config()
    twin = LAYER_MAP[name][0](layer).get_config()
    direct.pop("name"), twin.pop("name")
    assert twin == direct
    assert_layer_matches_keras(layer, x)


def test_pooling_layers_in_a_model_summary_and_bridge_round_trip():
    model = scratch.Sequential([scratch.Input((8, 8, 3)), layers.AveragePooling2D(padding="same"),
                                layers.GlobalMaxPooling2D(keepdims=True), layers.GlobalAveragePooling2D()])
    keras_model = keras_ref.to_keras(model)
    assert [l.output_shape for l in model.layers] == [(None, 4, 4, 3), (None, 1, 1, 3), (None, 3)]
    assert [tuple(l.output.shape) for l in keras_model.layers] == [l.output_shape for l in model.layers]
    back = keras_ref.from_keras(keras_model)
    assert [type(l).__name__ for l in back.layers] == ["AveragePooling2D", "GlobalMaxPooling2D",
                                                       "GlobalAveragePooling2D"]
    assert back.layers[0].padding == "same" and back.layers[1].keepdims and not back.layers[2].keepdims
    x = np.random.default_rng(2).standard_normal((2, 8, 8, 3)).astype(np.float32)
    assert_close(model.predict(x, verbose=0), keras_model.predict(x, verbose=0), FORWARD_ATOL, FORWARD_RTOL,
                 what="predict")
