"""resize_bilinear / resize_nearest / resize_weighted (reference and cpu) against
``tf.image.resize``, the op Keras's image loaders call (every method, no antialiasing).

Both backends compute the sampling positions in float32 with TensorFlow's formula and interpolate
in TensorFlow's order of operations; measured on TF 2.21 the results are bit-identical for uint8
and float32 input. The tolerance leaves room for a TensorFlow build that fuses multiply-adds,
and stays far below a wrong formula (align-corners or a half-pixel slip moves values by tens
of levels on 0–255 pixels).
"""
import numpy as np
import pytest

from parity_tests.keras_available import tf
from scratch.engine import cpu
from scratch.ops import reference

BACKENDS = pytest.mark.parametrize("ops", [reference, cpu], ids=["reference", "cpu"])
PIXEL_ATOL = 1e-3        # on the 0–255 scale; measured difference: 0 (float32 and uint8 input)
# resize_weighted sums with weight matrices in another order than TensorFlow's loops: measured up
# to 1.4e-4 (bicubic, Lanczos, Gaussian, Mitchell) and 1.6e-3 (area, upsampling) on 0–255.
WEIGHTED_ATOL = {"area": 5e-3}
WEIGHTED_METHODS = ["bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic"]
FLOAT64_ATOL = 1e-4      # float64 input: TensorFlow answers in float32, these ops in float64 (4e-5 measured)

# (input height, width) -> (output height, width): up, down (by more than 2x: skipped pixels),
# mixed, non-square, identity, and single pixels both ways.
SIZES = [((9, 14), (23, 31)), ((64, 48), (10, 7)), ((31, 17), (12, 40)), ((5, 5), (5, 5)),
         ((1, 1), (4, 3)), ((6, 9), (1, 1)), ((2, 50), (30, 3))]


def pixels(rng, shape, dtype):
    if dtype == np.uint8:
        return rng.integers(0, 256, shape).astype(np.uint8)
    return (rng.random(shape) * 255).astype(dtype)


@BACKENDS
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
@pytest.mark.parametrize("shapes", SIZES, ids=[f"{a[0]}x{a[1]}-to-{b[0]}x{b[1]}" for a, b in SIZES])
def test_resize_matches_tf_image_resize(ops, dtype, shapes):
    (h, w), size = shapes
    rng = np.random.default_rng(h * 100 + w)
    batch = pixels(rng, (2, h, w, 3), dtype)
    for method, resize in [("bilinear", ops.resize_bilinear), ("nearest", ops.resize_nearest)]:
        expected = tf.image.resize(batch, size, method=method).numpy()
        for images, truth in [(batch, expected), (batch[1], expected[1])]:          # 4-D and 3-D
            out = resize(images, size)
            assert out.shape == truth.shape and out.dtype == truth.dtype, \
                f"{method}: {out.shape} {out.dtype}, TensorFlow {truth.shape} {truth.dtype}"
            worst = np.abs(out.astype(np.float64) - truth).max()
            assert worst <= PIXEL_ATOL, f"{method} {shapes}: max |difference| {worst:.3g}"


@BACKENDS
@pytest.mark.parametrize("method", WEIGHTED_METHODS)
@pytest.mark.parametrize("shapes", SIZES, ids=[f"{a[0]}x{a[1]}-to-{b[0]}x{b[1]}" for a, b in SIZES])
def test_resize_weighted_matches_tf_image_resize(ops, method, shapes):
    (h, w), size = shapes
    rng = np.random.default_rng(h * 100 + w)
    batch = pixels(rng, (2, h, w, 3), np.uint8)
    expected = tf.image.resize(batch, size, method=method).numpy()
    for images, truth in [(batch, expected), (batch[1], expected[1])]:
        out = ops.resize_weighted(images, size, method)
        assert out.shape == truth.shape and out.dtype == truth.dtype == np.float32
        worst = np.abs(out.astype(np.float64) - truth).max()
        assert worst <= WEIGHTED_ATOL.get(method, PIXEL_ATOL), f"{method} {shapes}: {worst:.3g}"


def test_weighted_methods_are_told_apart():
    """The test above can fail: on one 1-D step edge each method gives its own profile (so a
    method mixed up with another, or a kernel with a wrong radius, shows), and cubic and Lanczos
    overshoot the input range where Gaussian and area do not."""
    step = np.array([0.0, 0.0, 0.0, 100.0, 100.0, 100.0], np.float32).reshape(1, 6, 1)
    profiles = {m: reference.resize_weighted(step, (1, 15), m)[0, :, 0] for m in WEIGHTED_METHODS}
    for m, profile in profiles.items():
        np.testing.assert_allclose(profile, tf.image.resize(step, (1, 15), method=m).numpy()[0, :, 0],
                                   atol=1e-3, err_msg=m)
    names = list(profiles)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert np.abs(profiles[a] - profiles[b]).max() > 0.5, (a, b)
    for m in ["bicubic", "lanczos3", "lanczos5"]:
        assert profiles[m].min() < -0.5 and profiles[m].max() > 100.5, m
    for m in ["gaussian", "area"]:
        assert profiles[m].min() >= -1e-3 and profiles[m].max() <= 100 + 1e-3, m


def test_resize_weighted_refuses_an_unknown_method():
    with pytest.raises(ValueError, match=r"method must be one of \['area', 'bicubic', .*received 'cubic'"):
        reference.resize_weighted(np.zeros((4, 4, 1)), (2, 2), "cubic")


@BACKENDS
def test_resize_bilinear_float64_input(ops):
    """float64 stays float64 (the reference ops run in float64 for checks); TensorFlow returns
    float32 for the same input, so the values agree to float32 rounding."""
    x = np.random.default_rng(3).random((1, 13, 8, 2)) * 255
    out = ops.resize_bilinear(x, (5, 19))
    assert out.dtype == np.float64
    truth = tf.image.resize(x, (5, 19)).numpy()
    np.testing.assert_allclose(out, truth, atol=FLOAT64_ATOL, rtol=0)
    assert ops.resize_nearest(x, (5, 19)).dtype == np.float64


def test_bilinear_is_not_align_corners_nor_antialiased():
    """The test above can fail: a 1-D ramp 0..30 shrunk to 4 samples. Half-pixel centres give
    (i + ½)·31/4 − ½ = 3.375, 11.125, 18.875, 26.625; align_corners would give 0, 10, 20, 30 and an
    antialiased resize the averages of 7.75-pixel windows."""
    ramp = np.arange(31, dtype=np.float32).reshape(1, 31, 1)
    out = reference.resize_bilinear(ramp, (1, 4))[0, :, 0]
    np.testing.assert_allclose(out, [3.375, 11.125, 18.875, 26.625], atol=1e-5)
    np.testing.assert_allclose(out, tf.image.resize(ramp, (1, 4)).numpy()[0, :, 0], atol=1e-5)
    assert not np.allclose(out, tf.image.resize(ramp, (1, 4), antialias=True).numpy()[0, :, 0], atol=0.05)


@BACKENDS
@pytest.mark.parametrize("op", ["resize_bilinear", "resize_nearest", "resize_weighted"])
@pytest.mark.parametrize("images,size,error,words", [
    ([[[1.0]]], (2, 2), TypeError, "images must be a NumPy array, received list"),
    (np.zeros((4, 4)), (2, 2), ValueError, "received shape (4, 4)"),
    (np.zeros((4, 4, 1), complex), (2, 2), ValueError, "dtype complex128"),
    (np.zeros((0, 4, 1)), (2, 2), ValueError, "at least 1x1"),
    (np.zeros((4, 4, 1)), (2, 0), ValueError, "two positive ints, received (2, 0)"),
    (np.zeros((4, 4, 1)), 3, ValueError, "received 3"),
    (np.zeros((4, 4, 1)), (2.0, 2), ValueError, "received (2.0, 2)"),
], ids=["list", "2-D", "complex", "empty", "zero-size", "int-size", "float-size"])
def test_resize_bad_input(ops, op, images, size, error, words):
    with pytest.raises(error) as raised:
        getattr(ops, op)(images, size, *(["bicubic"] if op == "resize_weighted" else []))
    assert op in str(raised.value) and words in str(raised.value)
