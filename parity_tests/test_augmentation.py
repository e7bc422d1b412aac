"""Augmentation layers (RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast)
and their ops (affine_transform, adjust_contrast_forward/backward) against Keras 3.15.1 / TF 2.21.

- The op: ``affine_transform`` on both backends vs ``keras.ops.image.affine_transform`` (TF's
  ImageProjectiveTransformV3), every fill mode x both interpolations, on transforms that reach
  several image widths outside (the folding rules), half-pixel shifts (nearest's rounding),
  projective ones (a pixel at infinity included) and one-pixel axes.
- The layers, for a FIXED transformation: Keras's layer draws (``get_random_transformation``),
  our layer takes the same numbers through ``preset_random``, and the outputs must agree with
  Keras's ``transform_images``; inference is the identity on both.
- The draws: 2,000 per layer from ours AND from Keras's, both checked against the range each
  factor documents (so the conventions, e.g. RandomContrast(0.3) raising contrast only, are
  Keras's, not read off our code).
- The data-parallel protocol, gradients (flip and contrast exact vs tf.GradientTape and float64
  differences), and bad input (Keras's rules for which factors are valid, checked against Keras).

Tolerance: 1e-4 of the images' value range (255), the brief's bound for interpolated pixels
(float32 coordinates, where a different operation order would move a bilinear sample by ~1e-5
of a pixel). Measured: 0 (bit-identical) for the op, every fill mode and interpolation, and for
flip, zoom, translation and contrast; rotation with bilinear sampling 1.5e-4 (6e-7 of the range:
TF's float32 sin/cos differ from NumPy's in the last bit), with nearest sampling 0.
"""
import numpy as np
import pytest

from parity_tests.keras_available import keras, tf
from parity_tests.compare import assert_close
from parity_tests.tolerances import GRADCHECK_RTOL
import scratch
from scratch import backend, layers, naming
from scratch.engine import cpu
from scratch.gradcheck import check_gradient
from scratch.layers.augmentation import rotation_transforms
from scratch.ops import reference as ref

VALUE_RANGE = 255.0
ATOL = 1e-4 * VALUE_RANGE      # 1e-4 of the value range
FILL_MODES = ["reflect", "wrap", "constant", "nearest"]
INTERPOLATIONS = ["nearest", "bilinear"]
OPS = {"reference": ref, "cpu": cpu}


def pixels(shape, seed=0):
    """float32 images in [0, 255) (the value range the tolerance is a fraction of)."""
    return (np.random.default_rng(seed).random(shape) * VALUE_RANGE).astype(np.float32)


def keras_affine(images, transforms, interpolation, fill_mode, fill_value=0.0):
    return np.asarray(keras.ops.image.affine_transform(images, transforms, interpolation, fill_mode, fill_value))


# ----------------------------------------------------------------------------- the op vs Keras
def general_transforms(rng, batch, shift):
    """Random rotation + anisotropic scale + shear + shift (``shift`` pixels at most)."""
    t = np.zeros((batch, 8), np.float32)
    angle = rng.uniform(-np.pi, np.pi, batch)
    scale = rng.uniform(0.4, 2.5, (2, batch))
    t[:, 0], t[:, 1] = scale[0] * np.cos(angle), -scale[1] * np.sin(angle) + rng.uniform(-0.3, 0.3, batch)
    t[:, 3], t[:, 4] = scale[0] * np.sin(angle), scale[1] * np.cos(angle)
    t[:, 2], t[:, 5] = rng.uniform(-shift, shift, (2, batch))
    return t


TRANSFORM_CASES = {
    # within about one image of the border: the usual augmentation range
    "affine-near": lambda rng: general_transforms(rng, 5, 6.0),
    # several images away: reflect's and wrap's periodic folding, TF's truncating divisions included
    "affine-far": lambda rng: general_transforms(rng, 5, 40.0),
    # half-pixel shifts: nearest rounds halves away from zero (std::round), not to even
    "half-pixel": lambda rng: np.array([[1, 0, s, 0, 1, -s, 0, 0] for s in (0.5, -0.5, 1.5, -2.5, 3.5)],
                                       np.float32),
    # projective rows (c0, c1 ≠ 0); c0 = -1/3 puts column 3 at infinity (k = 0: fill_value)
    "projective": lambda rng: np.c_[general_transforms(rng, 3, 3.0)[:, :6],
                                    np.array([[0.02, -0.03], [-1 / 3, 0.0], [0.1, 0.15]], np.float32)],
}


@pytest.mark.parametrize("ops_name", ["reference", "cpu"])
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("case", list(TRANSFORM_CASES))
def test_affine_transform_matches_keras(case, interpolation, fill_mode, ops_name):
    rng = np.random.default_rng(sum(map(ord, case)))
    transforms = TRANSFORM_CASES[case](rng)
    images = pixels((len(transforms), 7, 9, 3), seed=1)
    ours = OPS[ops_name].affine_transform(images, transforms, interpolation, fill_mode, 37.5)
    theirs = keras_affine(images, transforms, interpolation, fill_mode, 37.5)
    assert_close(ours, theirs, ATOL, what=f"{case} {interpolation} {fill_mode}", check_dtype=True)


@pytest.mark.parametrize("ops_name", ["reference", "cpu"])
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("shape", [(2, 1, 6, 2), (2, 5, 1, 1), (1, 1, 1, 3)],
                         ids=["one-row", "one-column", "one-pixel"])
def test_affine_transform_one_pixel_axes_match_keras(shape, interpolation, fill_mode, ops_name):
    transforms = general_transforms(np.random.default_rng(5), shape[0], 4.0)
    images = pixels(shape, seed=2)
    ours = OPS[ops_name].affine_transform(images, transforms, interpolation, fill_mode, 3.0)
    assert_close(ours, keras_affine(images, transforms, interpolation, fill_mode, 3.0), ATOL, check_dtype=True)


def test_affine_transform_hand_computed():
    """Independent of Keras: one row 0 1 2 3 read at x − 1.5 (a shift right by 1.5 pixels)."""
    row = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1)
    shift = np.array([1, 0, -1.5, 0, 1, 0, 0, 0], np.float32)

    def read(interpolation, fill_mode):
        return ref.affine_transform(row, shift, interpolation, fill_mode, 10.0).ravel()

    # points -1.5, -0.5, 0.5, 1.5; bilinear "constant" blends with the fill within a pixel of the border
    np.testing.assert_array_equal(read("bilinear", "constant"), [10, 5, 0.5, 1.5])
    np.testing.assert_array_equal(read("nearest", "constant"), [10, 10, 1, 2])     # round(-0.5) = -1
    # reflect (d c b a | a b c d): -1.5 -> 0.5, -0.5 -> clamped 0
    np.testing.assert_array_equal(read("bilinear", "reflect"), [0.5, 0, 0.5, 1.5])
    np.testing.assert_array_equal(read("bilinear", "nearest"), [0, 0, 0.5, 1.5])
    # wrap as TF computes it: -1.5 + 4·(trunc(1.5/3) + 1) = 2.5; -0.5 -> 3.5, clamped to 3
    np.testing.assert_array_equal(read("bilinear", "wrap"), [2.5, 3, 0.5, 1.5])


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_affine_transform_float64_and_shared_transform(interpolation, fill_mode):
    """A single (8,) transform applies to every image; float64 images stay float64, cpu == reference."""
    images = pixels((3, 6, 5, 2), seed=3).astype(np.float64)
    transform = general_transforms(np.random.default_rng(9), 1, 8.0)[0]
    ours = cpu.affine_transform(images, transform, interpolation, fill_mode, 1.0)
    assert ours.dtype == np.float64
    assert_close(ours, ref.affine_transform(images, transform, interpolation, fill_mode, 1.0), 1e-9)
    assert_close(ours, ref.affine_transform(images, np.tile(transform, (3, 1)), interpolation, fill_mode, 1.0), 0)


@pytest.mark.parametrize("ops_name", ["reference", "cpu"])
def test_affine_transform_refuses_unknown_modes(ops_name):
    images, t = np.zeros((1, 2, 2, 1), np.float32), np.eye(3, dtype=np.float32).ravel()[:8]
    with pytest.raises(ValueError, match="fill_mode.*'mirror'"):
        OPS[ops_name].affine_transform(images, t, "bilinear", "mirror")
    with pytest.raises(ValueError, match="interpolation.*'bicubic'"):
        OPS[ops_name].affine_transform(images, t, "bicubic", "reflect")


# ----------------------------------------------------------------------------- the layers vs Keras
def keras_layer(cls_name, *args, **kwargs):
    return getattr(keras.layers, cls_name)(*args, **kwargs)


def ours_and_keras(cls_name, *args, **kwargs):
    return getattr(layers, cls_name)(*args, **kwargs), keras_layer(cls_name, *args, **kwargs)


def keras_draws(cls_name, transformation):
    """Keras's drawn numbers as our layer's draws (one row per image)."""
    if cls_name == "RandomRotation":
        return np.asarray(transformation["angle"]).reshape(-1, 1)
    if cls_name == "RandomZoom":
        return np.c_[np.asarray(transformation["height_zoom"]), np.asarray(transformation["width_zoom"])]
    if cls_name == "RandomContrast":
        return np.asarray(transformation["contrast_factor"]).reshape(-1, 1)
    if cls_name == "RandomFlip":
        return np.asarray(transformation["flips"]).reshape(-1, 1)
    raise AssertionError(cls_name)


def compare_fixed_transformation(cls_name, args, kwargs, images):
    """Keras draws; ours replays the draws; both outputs compared. Returns the max difference."""
    ours, theirs = ours_and_keras(cls_name, *args, **kwargs)
    if cls_name == "RandomTranslation":   # Keras keeps pixels (fraction · size): build them from our draws
        draws = ours.draw_random(images.shape)
        height, width = images.shape[1:3]
        shifts = tf.constant(draws, tf.float32) * tf.constant([height, width], tf.float32)
        transformation = {"translations": tf.reverse(shifts, axis=[1])}      # Keras's order: (x, y)
    else:
        transformation = theirs.get_random_transformation(images, training=True)
        draws = keras_draws(cls_name, transformation)
    expected = np.asarray(theirs.transform_images(tf.constant(images), transformation, training=True))
    ours.preset_random = draws
    got = ours(images, training=True)
    assert_close(got, expected, ATOL, what=f"{cls_name}{args} {kwargs}", check_dtype=True)
    np.testing.assert_array_equal(ours.draws, draws)
    return float(np.abs(got - expected).max())


AFFINE_LAYER_CASES = [
    ("RandomRotation", (0.5,), {}),
    ("RandomRotation", ((-0.1, 0.3),), {}),
    ("RandomZoom", (0.5,), {}),                      # width follows the height's zoom
    ("RandomZoom", ((-0.6, -0.2), (0.1, 0.9)), {}),  # zoom in on the height, out on the width
    ("RandomTranslation", (0.6, 0.9), {}),           # shifts of most of the image: folding
    ("RandomTranslation", ((-0.2, 0.0), (0.1, 0.3)), {}),
]


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("case", AFFINE_LAYER_CASES, ids=lambda c: f"{c[0]}{c[1]}")
def test_affine_layers_match_keras_for_fixed_draws(case, interpolation, fill_mode):
    cls_name, args, kwargs = case
    kwargs = dict(kwargs, fill_mode=fill_mode, interpolation=interpolation, fill_value=12.0, seed=4)
    images = pixels((6, 7, 9, 3), seed=5)
    for name in backend.BACKENDS:
        backend.set_backend(name)
        compare_fixed_transformation(cls_name, args, kwargs, images)


@pytest.mark.parametrize("case", [("RandomFlip", (mode,), {}) for mode in
                                  ("horizontal", "vertical", "horizontal_and_vertical")]
                         + [("RandomContrast", (0.4,), {}), ("RandomContrast", ((0.5, 0.9),), {}),
                            ("RandomContrast", ((0.2, 0.5),), {"value_range": (40, 200)})],
                         ids=lambda c: f"{c[0]}{c[1]}{c[2] or ''}")
def test_flip_and_contrast_match_keras_for_fixed_draws(case):
    cls_name, args, kwargs = case
    images = pixels((16, 5, 6, 3), seed=6)
    for name in backend.BACKENDS:
        backend.set_backend(name)
        compare_fixed_transformation(cls_name, args, dict(kwargs, seed=8), images)


def test_flip_both_axes_uses_one_draw_like_keras():
    """Keras 3.15.1's horizontal_and_vertical mode flips both axes or neither (one draw)."""
    layer = layers.RandomFlip(seed=0)
    image = pixels((1, 4, 5, 1), seed=7)
    outputs = {layer(image, training=True).tobytes() for _ in range(40)}
    assert outputs == {image.tobytes(), image[:, ::-1, ::-1].tobytes()}


@pytest.mark.parametrize("cls_name,args", [("RandomRotation", (0.3,)), ("RandomZoom", (0.3,)),
                                           ("RandomFlip", ()), ("RandomContrast", (0.3,))])
def test_single_image_like_keras(cls_name, args):
    """A 3-D input is one image (height, width, channels), as Keras takes it."""
    ours, theirs = ours_and_keras(cls_name, *args, seed=1)
    image = pixels((7, 9, 3), seed=8)
    transformation = theirs.get_random_transformation(image, training=True)
    expected = np.asarray(theirs.transform_single_image(tf.constant(image), transformation, training=True))
    ours.preset_random = keras_draws(cls_name, transformation)
    got = ours(image, training=True)
    assert got.shape == image.shape
    assert_close(got, expected, ATOL)


@pytest.mark.parametrize("cls_name,args", [("RandomFlip", ()), ("RandomRotation", (0.4,)), ("RandomZoom", (0.4, 0.2)),
                                           ("RandomTranslation", (0.3, 0.3)), ("RandomContrast", (0.5,))])
def test_inference_is_the_identity_like_keras(cls_name, args):
    ours, theirs = ours_and_keras(cls_name, *args)
    images = pixels((4, 6, 5, 3), seed=9)
    np.testing.assert_array_equal(np.asarray(theirs(images, training=False)), images)
    out = ours(images, training=False)
    np.testing.assert_array_equal(out, images)
    assert out.dtype == np.float32
    assert ours(images.astype(np.uint8), training=False).dtype == np.float32   # uint8 pixels become float32
    model = scratch.Sequential([getattr(layers, cls_name)(*args, input_shape=(6, 5, 3))])
    np.testing.assert_array_equal(model.predict(images, verbose=0), images)


@pytest.mark.parametrize("cls_name,args", [("RandomFlip", ()), ("RandomRotation", (0.4,)), ("RandomZoom", (0.4, 0.2)),
                                           ("RandomTranslation", (0.3, 0.3)), ("RandomContrast", (0.5,))])
def test_called_without_training_it_augments_like_keras(cls_name, args):
    """The tutorial's ``data_augmentation(images)`` (a layer, or a model of them, called without
    ``training``) shows augmented images in Keras; so it does here. ``predict`` does not augment."""
    ours, theirs = ours_and_keras(cls_name, *args, seed=3)
    images = pixels((8, 6, 5, 3), seed=9)
    assert not np.array_equal(np.asarray(theirs(images)), images)
    assert not np.array_equal(ours(images), images)
    model = scratch.Sequential([getattr(layers, cls_name)(*args, seed=3, input_shape=(6, 5, 3))])
    keras_model = keras.Sequential([keras.Input((6, 5, 3)), keras_layer(cls_name, *args, seed=3)])
    assert not np.array_equal(np.asarray(keras_model(images)), images)
    assert not np.array_equal(model(images), images)
    np.testing.assert_array_equal(model.predict(images, verbose=0), images)


def test_training_changes_images():
    images = pixels((8, 6, 5, 3), seed=10)
    for layer in (layers.RandomFlip(seed=1), layers.RandomRotation(0.2, seed=1), layers.RandomZoom(0.3, seed=1),
                  layers.RandomTranslation(0.2, 0.2, seed=1), layers.RandomContrast(0.5, seed=1)):
        assert not np.allclose(layer(images, training=True), images), layer
        assert layer.draws.shape == (8, layer.DRAW_WIDTH)


def test_rotation_matrix_is_kerass():
    """Our transform from an angle vs Keras's ``_compute_affine_matrix`` (float32 both)."""
    theirs = keras.layers.RandomRotation(0.5)
    angles = np.array([-170.0, -33.3, 0.0, 12.5, 90.0, 179.9], np.float32)
    zeros, ones = np.zeros(6, np.float32), np.ones(6, np.float32)
    expected = theirs._compute_affine_matrix(0.5, 0.5, tf.constant(angles), zeros, zeros, ones, zeros, zeros,
                                             height=7, width=9)
    assert_close(rotation_transforms(angles, 7, 9), np.asarray(expected), 1e-5, check_dtype=True)


# ----------------------------------------------------------------------------- the draws
# (layer, args, the documented range of each drawn column); Keras's draws are held to it too.
DRAW_CASES = [
    ("RandomRotation", (0.2,), [(-72.0, 72.0)]),                  # fraction of 360°
    ("RandomRotation", ((-0.1, 0.3),), [(-36.0, 108.0)]),
    ("RandomRotation", ((0.3, -0.1),), [(-36.0, 108.0)]),         # a pair is sorted
    ("RandomZoom", (0.3,), [(0.7, 1.3), (0.7, 1.3)]),             # 1 + [-f, f]
    ("RandomZoom", ((0.1, 0.4), (-0.5, -0.2)), [(1.1, 1.4), (0.5, 0.8)]),
    ("RandomTranslation", (0.25, (-0.1, 0.3)), [(-0.25, 0.25), (-0.1, 0.3)]),
    ("RandomContrast", (0.3,), [(1.0, 1.3)]),                     # a number only raises contrast
    ("RandomContrast", ((0.2, 0.5),), [(0.8, 1.5)]),              # [1 - lower, 1 + upper]
]
N_DRAWS = 2000


def keras_draw_columns(cls_name, theirs, images):
    transformation = theirs.get_random_transformation(images, training=True)
    if cls_name == "RandomTranslation":
        height, width = images.shape[1:3]
        pixels_xy = np.asarray(transformation["translations"])
        return np.c_[pixels_xy[:, 1] / height, pixels_xy[:, 0] / width]
    return keras_draws(cls_name, transformation)


def assert_uniform_over(draws, ranges, what):
    for column, (low, high) in zip(draws.T, ranges):
        width = high - low
        assert low - 1e-6 <= column.min() < low + 0.01 * width, f"{what}: min {column.min()} vs {low}"
        assert high - 0.01 * width < column.max() <= high + 1e-6, f"{what}: max {column.max()} vs {high}"
        # the mean of 2,000 uniform draws: standard error width/155; 0.03·width is 4.6 of them
        assert abs(column.mean() - (low + high) / 2) < 0.03 * width, f"{what}: mean {column.mean()}"


@pytest.mark.parametrize("case", DRAW_CASES, ids=lambda c: f"{c[0]}{c[1]}")
def test_draws_cover_the_documented_range_like_kerass(case):
    cls_name, args, ranges = case
    ours, theirs = ours_and_keras(cls_name, *args, seed=11)
    images = np.zeros((N_DRAWS, 4, 5, 1), np.float32)
    draws = ours.draw_random(images.shape)
    assert draws.shape == (N_DRAWS, len(ranges)) and draws.dtype == np.float32
    assert_uniform_over(draws.astype(np.float64), ranges, "ours")
    assert_uniform_over(keras_draw_columns(cls_name, theirs, images).astype(np.float64), ranges, "Keras")


def test_zoom_without_width_factor_keeps_the_aspect_ratio():
    draws = layers.RandomZoom(0.4, seed=3).draw_random((50, 4, 4, 1))
    np.testing.assert_array_equal(draws[:, 0], draws[:, 1])


def test_flip_draws_are_fair_like_kerass():
    ours, theirs = ours_and_keras("RandomFlip", seed=12)
    images = np.zeros((N_DRAWS, 2, 2, 1), np.float32)
    draws = ours.draw_random(images.shape)
    assert draws.shape == (N_DRAWS, 1) and draws.dtype == bool
    keras_flips = keras_draws("RandomFlip", theirs.get_random_transformation(images))
    for flips in (draws, keras_flips):
        assert abs(flips.mean() - 0.5) < 0.04    # 3.6 standard errors


def test_seeds_and_the_global_generator():
    images = pixels((5, 6, 6, 2), seed=13)
    a, b = layers.RandomRotation(0.3, seed=21), layers.RandomRotation(0.3, seed=21)
    np.testing.assert_array_equal(a(images, training=True), b(images, training=True))
    scratch.set_random_seed(5)
    first = layers.RandomZoom(0.3)(images, training=True)
    scratch.set_random_seed(5)
    np.testing.assert_array_equal(layers.RandomZoom(0.3)(images, training=True), first)


# ----------------------------------------------------------------------------- data parallelism
@pytest.mark.parametrize("make", [
    lambda seed: layers.RandomFlip(seed=seed), lambda seed: layers.RandomRotation(0.3, seed=seed),
    lambda seed: layers.RandomZoom(0.3, (-0.2, 0.4), seed=seed),
    lambda seed: layers.RandomTranslation(0.3, 0.2, fill_mode="wrap", seed=seed),
    lambda seed: layers.RandomContrast((0.3, 0.6), seed=seed), lambda seed: layers.RandomRotation(0.3),
], ids=["flip", "rotation", "zoom", "translation", "contrast", "rotation-global-rng"])
def test_preset_draws_split_over_replicas_equal_one_pass(make):
    """draw_random for the whole batch + each share's rows through preset_random == one training forward."""
    images = pixels((10, 6, 7, 2), seed=14)
    scratch.set_random_seed(99)
    one_pass = make(17)(images, training=True)
    scratch.set_random_seed(99)
    main, replica = make(17), make(17)
    draws = main.draw_random(images.shape)
    main.preset_random, replica.preset_random = draws[:4], draws[4:]
    split = np.concatenate([main(images[:4], training=True), replica(images[4:], training=True)])
    np.testing.assert_array_equal(split, one_pass)
    assert main.preset_random is None and replica.preset_random is None   # used once


def test_fit_with_augmentation_on_two_replicas_equals_one_pass(force_replicas):
    def fit(cores):
        force_replicas(cores)
        scratch.set_random_seed(3)
        rng = np.random.default_rng(0)
        x = rng.random((48, 8, 8, 1), dtype=np.float32)
        y = rng.integers(0, 3, 48)
        model = scratch.Sequential([
            layers.RandomFlip("horizontal", input_shape=(8, 8, 1)), layers.RandomRotation(0.1),
            layers.RandomZoom(0.2, seed=5), layers.RandomTranslation(0.1, 0.1),
            layers.RandomContrast(0.3, value_range=(0, 1)),
            layers.Conv2D(4, 3, activation="relu"), layers.Flatten(), layers.Dense(3, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=24, epochs=2, verbose=0)
        return model
    split, one = fit(2), fit(1)
    assert [l.draws is None for l in one.layers[:5]] == [False] * 5   # they augmented
    for i, (a, b) in enumerate(zip(split.get_weights(), one.get_weights())):
        assert_close(a, b, atol=1e-5, what=f"weight {i}")


# ----------------------------------------------------------------------------- gradients
def test_flip_backward_is_the_adjoint():
    layer = layers.RandomFlip(seed=2)
    x = np.random.default_rng(0).standard_normal((6, 4, 5, 2))
    y = layer(x, training=True)
    g = np.random.default_rng(1).standard_normal(y.shape)
    np.testing.assert_allclose((y * g).sum(), (x * layer.backward(g)).sum(), rtol=1e-12)
    assert layer.draws.any() and not layer.draws.all()


@pytest.mark.parametrize("value_range", [(0, 255), (-1e9, 1e9)], ids=["clipping", "no-clipping"])
def test_contrast_gradient_matches_tf_and_differences(value_range):
    images = pixels((3, 4, 5, 2), seed=15)
    ours, theirs = ours_and_keras("RandomContrast", (0.6, 0.9), value_range=value_range, seed=3)
    transformation = theirs.get_random_transformation(images, training=True)
    ours.preset_random = keras_draws("RandomContrast", transformation)
    y = ours(images, training=True)
    upstream = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
    x_tf = tf.constant(images)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        out = theirs.transform_images(x_tf, transformation, training=True)
        total = tf.reduce_sum(out * upstream)
    assert_close(ours.backward(upstream), tape.gradient(total, x_tf).numpy(), 1e-5)
    if value_range == (0, 255):
        assert (y == 0).any() or (y == 255).any()    # some values were clipped
    # float64 differences on the reference op, away from the clipping points
    x64 = images.astype(np.float64)[:, :, :, :1]
    factors = np.array([1.7, 0.4, 1.2])
    mean = x64.mean(axis=(1, 2), keepdims=True)
    unclipped = (x64 - mean) * factors[:, None, None, None] + mean
    assert np.min(np.abs(unclipped - np.array(value_range)[:, None, None, None, None]), initial=1e9) > 1e-3
    g64 = upstream.astype(np.float64)[:, :, :, :1]
    analytic = ref.adjust_contrast_backward(g64, x64, factors, value_range)
    error = check_gradient(lambda v: float((ref.adjust_contrast_forward(v, factors, value_range) * g64).sum()),
                           x64, analytic, h=1e-5)
    assert error < GRADCHECK_RTOL


@pytest.mark.parametrize("make", [lambda: layers.RandomRotation(0.2), lambda: layers.RandomZoom(0.2),
                                  lambda: layers.RandomTranslation(0.2, 0.2)], ids=["rotation", "zoom", "translation"])
def test_affine_layers_refuse_backward_after_training_but_pass_it_at_inference(make):
    layer = make()
    images = pixels((2, 5, 5, 1))
    layer(images, training=True)
    with pytest.raises(NotImplementedError, match="before any weights.*fit never backpropagates"):
        layer.backward(np.ones_like(images))
    layer(images, training=False)
    g = np.ones_like(images)
    assert layer.backward(g) is g


# ----------------------------------------------------------------------------- bad input
def refused(call):
    try:
        call()
    except (ValueError, TypeError, NotImplementedError):
        return True
    return False


# (layer, positional args) whose acceptance must be Keras's: the same ones accepted and refused
VALIDITY_CASES = [
    ("RandomRotation", (0.0,)), ("RandomRotation", (-1.0,)), ("RandomRotation", (1.0,)), ("RandomRotation", (1.01,)),
    ("RandomRotation", (-1.5,)), ("RandomRotation", ((0.5, 2.0),)), ("RandomRotation", ((-3.0, 0.5),)),
    ("RandomRotation", ((1.5, 2.0),)), ("RandomRotation", ((-3.0, -1.5),)), ("RandomRotation", ((0.1, 0.2, 0.3),)),
    ("RandomRotation", ("0.2",)), ("RandomRotation", (None,)), ("RandomRotation", ([0.1, 0.2],)),
    ("RandomZoom", (1.0,)), ("RandomZoom", (-1.0,)), ("RandomZoom", (-0.99,)), ("RandomZoom", (1.2,)),
    ("RandomZoom", ((-1.0, 0.5),)), ("RandomZoom", ((0.5, 1.5),)), ("RandomZoom", ((0.2, -0.3),)),
    ("RandomZoom", (0.2, -1.0)), ("RandomZoom", (0.2, (0.1, 1.0))), ("RandomZoom", (None,)), ("RandomZoom", ((0.1,),)),
    ("RandomTranslation", (1.0, -1.0)), ("RandomTranslation", (1.1, 0.0)), ("RandomTranslation", (0.0, -1.01)),
    ("RandomTranslation", ((-1.0, 1.0), 0.2)), ("RandomTranslation", (0.2, (0.5, 2.0))),
    ("RandomTranslation", (0.2, None)),
    ("RandomContrast", (0.0,)), ("RandomContrast", (1.0,)), ("RandomContrast", (-0.1,)), ("RandomContrast", (1.1,)),
    ("RandomContrast", ((0.5, 2.0),)), ("RandomContrast", ((-3.0, 0.5),)), ("RandomContrast", ((1.5, 2.0),)),
    ("RandomContrast", ((0.3, -0.2),)), ("RandomContrast", (None,)), ("RandomContrast", ("a",)),
]


@pytest.mark.parametrize("case", VALIDITY_CASES, ids=lambda c: f"{c[0]}{c[1]!r}")
def test_factor_validity_is_kerass(case):
    cls_name, args = case
    keras_refuses = refused(lambda: keras_layer(cls_name, *args))
    assert refused(lambda: getattr(layers, cls_name)(*args)) == keras_refuses, (
        f"{cls_name}{args}: Keras {'refuses' if keras_refuses else 'accepts'} it")


def counters():
    return dict(naming._counters)


def assert_rejects(call, exception, argument, received):
    before = counters()
    with pytest.raises(exception) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{argument}:"), message
    assert received in message and "expected" in message, message
    assert counters() == before, "a refused layer must not advance the automatic-name counter"


BAD_ARGUMENTS = [
    ("rotation-too-far", lambda: layers.RandomRotation(1.5), ValueError, "factor", "1.5"),
    ("rotation-pair-above", lambda: layers.RandomRotation((1.5, 2.0)), ValueError, "factor", "(1.5, 2.0)"),
    ("rotation-three", lambda: layers.RandomRotation((0.1, 0.2, 0.3)), ValueError, "factor", "(0.1, 0.2, 0.3)"),
    ("rotation-string", lambda: layers.RandomRotation("0.2"), ValueError, "factor", "'0.2'"),
    ("rotation-bool", lambda: layers.RandomRotation(True), ValueError, "factor", "True"),
    ("rotation-nan", lambda: layers.RandomRotation(float("nan")), ValueError, "factor", "nan"),
    ("rotation-fill-mode", lambda: layers.RandomRotation(0.1, fill_mode="mirror"), ValueError, "fill_mode",
     "'mirror'"),
    ("rotation-interpolation", lambda: layers.RandomRotation(0.1, interpolation="bicubic"), ValueError,
     "interpolation", "'bicubic'"),
    ("rotation-fill-value", lambda: layers.RandomRotation(0.1, fill_value="black"), TypeError, "fill_value",
     "'black'"),
    ("rotation-seed", lambda: layers.RandomRotation(0.1, seed=-2), ValueError, "seed", "-2"),
    ("rotation-channels-first", lambda: layers.RandomRotation(0.1, data_format="channels_first"), ValueError,
     "data_format", "'channels_first'"),
    ("zoom-minus-one", lambda: layers.RandomZoom(-1.0), ValueError, "height_factor", "-1.0"),
    ("zoom-width", lambda: layers.RandomZoom(0.2, (0.1, 1.5)), ValueError, "width_factor", "(0.1, 1.5)"),
    ("zoom-none", lambda: layers.RandomZoom(None), ValueError, "height_factor", "None"),
    ("zoom-fill-mode", lambda: layers.RandomZoom(0.2, fill_mode="Reflect"), ValueError, "fill_mode", "'Reflect'"),
    ("translation-width", lambda: layers.RandomTranslation(0.1, 1.5), ValueError, "width_factor", "1.5"),
    ("translation-interpolation", lambda: layers.RandomTranslation(0.1, 0.1, interpolation="area"), ValueError,
     "interpolation", "'area'"),
    ("contrast-negative", lambda: layers.RandomContrast(-0.2), ValueError, "factor", "-0.2"),
    ("contrast-pair", lambda: layers.RandomContrast((0.3, -0.2)), ValueError, "factor", "(0.3, -0.2)"),
    ("contrast-value-range", lambda: layers.RandomContrast(0.2, value_range=(1, 0)), ValueError, "value_range",
     "(1, 0)"),
    ("contrast-value-range-number", lambda: layers.RandomContrast(0.2, value_range=255), TypeError, "value_range",
     "255"),
    ("flip-mode", lambda: layers.RandomFlip("diagonal"), ValueError, "mode", "'diagonal'"),
    ("flip-mode-case", lambda: layers.RandomFlip("HORIZONTAL"), ValueError, "mode", "'HORIZONTAL'"),
    ("flip-seed", lambda: layers.RandomFlip(seed=1.5), ValueError, "seed", "1.5"),
]


@pytest.mark.parametrize("case", BAD_ARGUMENTS, ids=[c[0] for c in BAD_ARGUMENTS])
def test_bad_arguments_are_named_and_consume_no_name(case):
    _, call, exception, argument, received = case
    assert_rejects(call, exception, argument, received)


def test_departures_from_keras_on_factors():
    """Keras refuses NumPy float32 factors and accepts bool and NaN ones, and any flip mode."""
    assert refused(lambda: keras.layers.RandomRotation(np.float32(0.2)))
    assert layers.RandomRotation(np.float32(0.2)).upper == pytest.approx(0.2)
    for call in (lambda m: m.RandomRotation(True), lambda m: m.RandomContrast(float("nan")),
                 lambda m: m.RandomFlip("diagonal")):
        assert not refused(lambda: call(keras.layers)) and refused(lambda: call(layers))


@pytest.mark.parametrize("shape", [(28, 28), (2, 3, 4, 5, 1), (5,)])
def test_input_of_the_wrong_rank(shape):
    layer = layers.RandomFlip()
    with pytest.raises(ValueError, match=r"images: random_flip\w* expected a batch .* or one image"):
        layer(np.zeros(shape, np.float32), training=True)
    assert refused(lambda: keras.layers.RandomFlip()(np.zeros(shape, np.float32), training=True))


def test_model_needs_image_input_shape():
    with pytest.raises(ValueError, match=r"4-D input.*channel axis"):
        scratch.Sequential([layers.RandomRotation(0.1, input_shape=(28, 28)), layers.Flatten(), layers.Dense(2)])


def test_preset_random_of_the_wrong_shape():
    layer = layers.RandomZoom(0.2)
    layer.preset_random = np.ones((3, 1), np.float32)
    with pytest.raises(ValueError, match=r"preset_random: .* expected draws of shape \(4, 2\).*\(3, 1\)"):
        layer(np.zeros((4, 5, 5, 1), np.float32), training=True)


def test_a_built_layer_refuses_another_image_size():
    layer = layers.RandomContrast(0.2)
    layer(np.zeros((2, 5, 5, 1), np.float32))
    with pytest.raises(ValueError, match="expected input of shape"):
        layer(np.zeros((2, 6, 5, 1), np.float32))


def test_the_bridge_carries_every_augmentation_layer_both_ways():
    """The tutorial's model: ``data_augmentation`` (a model of the five layers) first, then
    Rescaling and a convolution. ``to_keras`` gives Keras's layers with the same arguments,
    ``from_keras`` gives ours back, and both predict (augmentation off) the same numbers."""
    import keras_ref
    augmentation = scratch.Sequential([
        layers.RandomFlip("horizontal", seed=1), layers.RandomRotation(0.1, fill_mode="nearest", seed=2),
        layers.RandomZoom(0.1, (-0.2, 0.1), interpolation="nearest", seed=3),
        layers.RandomTranslation(0.1, 0.2, fill_mode="constant", fill_value=3.0, seed=4),
        layers.RandomContrast(0.2, seed=5)], name="data_augmentation")
    ours = scratch.Sequential([scratch.Input((12, 10, 3)), augmentation, layers.Rescaling(1 / 255),
                               layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(3)])
    theirs = keras_ref.to_keras(ours)
    back = keras_ref.from_keras(theirs)
    for model in (theirs, back):
        inner = model.layers[0]
        assert [type(l).__name__ for l in inner.layers] == [type(l).__name__ for l in augmentation.layers]
        flip, rotation, zoom, translation, contrast = inner.layers
        assert (flip.mode, flip.seed) == ("horizontal", 1)
        assert tuple(np.ravel(rotation.factor)) in ((0.1,), (-0.1, 0.1)) and rotation.fill_mode == "nearest"
        assert (zoom.height_factor, tuple(zoom.width_factor), zoom.interpolation) == (0.1, (-0.2, 0.1), "nearest")
        assert (translation.fill_mode, translation.fill_value) == ("constant", 3.0)
        assert tuple(contrast.value_range) == (0, 255) and contrast.seed == 5
    images = pixels((2, 12, 10, 3), seed=4)
    expected = ours.predict(images, verbose=0)
    assert_close(theirs.predict(images, verbose=0), expected, 1e-5)
    assert_close(back.predict(images, verbose=0), expected, 0.0)
