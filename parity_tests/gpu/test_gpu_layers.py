"""Every layer under the gpu backend against the same layer under the cpu backend: the same
seed gives both the same weights and random draws, and the helper compares the forward output,
the input gradient and every weight gradient of ``Σ output · upstream`` (``layer.backward``).
The cpu backend is itself held to Keras by the main suite's layer tests.
"""
import numpy as np
import pytest

import scratch
from parity_tests import tolerances as tol
from scratch import backend, layers

# (id, constructor, input shape with batch); shapes tiny for the simulator. The resampling
# augmentations (rotation, zoom, translation) pass no gradient back: their forward is compared.
CASES = [
    ("dense-relu", lambda: layers.Dense(4, activation="relu"), (3, 5)),
    ("dense-softmax-nobias", lambda: layers.Dense(3, activation="softmax", use_bias=False), (3, 5)),
    ("dense-sigmoid-rank3", lambda: layers.Dense(2, activation="sigmoid"), (2, 3, 4)),
    ("dense-tanh", lambda: layers.Dense(3, activation="tanh"), (3, 2)),
    ("relu", lambda: layers.ReLU(), (3, 4)),
    ("relu-leaky-capped", lambda: layers.ReLU(max_value=1.0, negative_slope=0.1), (3, 4)),
    ("softmax-axis-1", lambda: layers.Softmax(axis=1), (2, 3, 4)),
    ("activation-linear", lambda: layers.Activation("linear"), (3, 4)),
    ("flatten", lambda: layers.Flatten(), (2, 3, 2, 2)),
    ("conv2d-same-relu", lambda: layers.Conv2D(3, 3, padding="same", activation="relu"), (2, 5, 5, 2)),
    ("conv2d-strided-nobias", lambda: layers.Conv2D(2, 2, strides=2, use_bias=False), (1, 6, 6, 2)),
    ("maxpool", lambda: layers.MaxPooling2D(2), (2, 4, 4, 2)),
    ("maxpool-overlapping-same", lambda: layers.MaxPooling2D(3, strides=2, padding="same"), (1, 5, 5, 2)),
    ("avgpool-same", lambda: layers.AveragePooling2D(2, padding="same"), (1, 5, 5, 2)),
    ("global-avgpool", lambda: layers.GlobalAveragePooling2D(), (2, 3, 3, 2)),
    ("global-maxpool-keepdims", lambda: layers.GlobalMaxPooling2D(keepdims=True), (2, 3, 3, 2)),
    ("dropout", lambda: layers.Dropout(0.4), (4, 6)),
    ("dropout-noise-shape", lambda: layers.Dropout(0.5, noise_shape=(None, 1, 3)), (2, 4, 3)),
    ("rescaling", lambda: layers.Rescaling(1 / 255, offset=-1.0), (2, 3, 3, 1)),
    ("random-flip", lambda: layers.RandomFlip(), (2, 4, 4, 1)),
    ("random-rotation", lambda: layers.RandomRotation(0.2), (2, 4, 4, 1)),
    ("random-zoom", lambda: layers.RandomZoom(0.2), (2, 4, 4, 1)),
    ("random-translation", lambda: layers.RandomTranslation(0.2, 0.2), (2, 4, 4, 1)),
    ("random-contrast", lambda: layers.RandomContrast(0.5), (2, 4, 4, 1)),
]


FORWARD_ONLY = {"random-rotation", "random-zoom", "random-translation"}


def run_layer(backend_name, make, input_shape, backward=True):
    """Output, input gradient and weight gradients of a fresh seeded layer on ``backend_name``
    (the output alone when not ``backward``)."""
    backend.set_backend(backend_name)
    scratch.set_random_seed(3)
    layer = make()
    layer.build((None,) + input_shape[1:])
    x = np.random.default_rng(1).standard_normal(input_shape).astype(np.float32) * 2
    out = layer.forward(x, training=True)
    if not backward:
        return out, None, []
    upstream = np.random.default_rng(2).standard_normal(out.shape).astype(np.float32)
    grad_x = layer.backward(upstream)
    return out, grad_x, [variable.grad for variable in layer.trainable_variables]


@pytest.mark.parametrize("name, make, input_shape", CASES, ids=[case[0] for case in CASES])
def test_layer_on_gpu_matches_cpu(name, make, input_shape):
    backward = name not in FORWARD_ONLY
    expected = run_layer("cpu", make, input_shape, backward)
    actual = run_layer("gpu", make, input_shape, backward)
    for what, a, e in zip(("output", "input gradient"), actual[:1 + backward], expected[:1 + backward]):
        assert isinstance(a, np.ndarray) and a.dtype == np.float32, f"{what}: {type(a).__name__} {a.dtype}"
        np.testing.assert_allclose(a, e, atol=tol.BACKEND_ATOL, rtol=tol.BACKEND_RTOL, err_msg=what)
    assert len(actual[2]) == len(expected[2])
    for i, (a, e) in enumerate(zip(actual[2], expected[2])):
        np.testing.assert_allclose(a, e, atol=tol.BACKEND_ATOL, rtol=tol.BACKEND_RTOL, err_msg=f"weight {i} gradient")
