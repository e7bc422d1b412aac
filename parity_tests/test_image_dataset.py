"""scratch.utils.image_dataset_from_directory against keras.utils.image_dataset_from_directory on
the same folder: files of each subset, class names, printed lines, labels, pixels (exactly, JPEGs
included), errors; the tf.data-style methods against tf.data.

The folder (written once per module from a fixed generator): three classes of four images of
varied sizes and modes — PNG (RGB, grey, RGBA, palette, 16-bit grey), JPEG (colour and grey, one
with an upper-case extension), 24-bit BMP, GIF (one with a transparent colour, one in a nested
folder) — plus what both loaders must skip: a text file and a hidden folder.
"""
import os

import numpy as np
import pytest
from PIL import Image

from parity_tests.keras_available import keras, tf
from scratch.utils import AUTOTUNE, Dataset, ImageDataset, image_dataset_from_directory
from scratch.utils import image_dataset as image_dataset_module
from scratch.utils import image_decoding
from scratch.utils.image_decoding import load_image, rgb_to_gray

# Decoded pixels must equal TensorFlow's exactly for every format (JPEGs too: the same
# libjpeg-turbo settings, see scratch/utils/image_decoding.py); after a resize, to float32 rounding
# (measured: 0; the methods summed with weight matrices: up to 2e-3, see test_image_resize.py).
EXACT_ATOL = 5e-3
SIZE = (20, 24)


def pattern(rng, height, width, channels):
    """Smooth waves plus noise, uint8 (height, width, channels): photo-like for the JPEG coder."""
    y, x = np.mgrid[0:height, 0:width]
    waves = [127 + 100 * np.sin(x / 3 + k) * np.cos(y / 4 - k) for k in range(channels)]
    noisy = np.stack(waves, -1) + rng.normal(0, 12, (height, width, channels))
    return np.clip(noisy, 0, 255).astype(np.uint8)


def write_folder(root):
    rng = np.random.default_rng(2024)

    def picture(h, w, mode):
        channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
        data = pattern(rng, h, w, channels)
        return Image.fromarray(data[..., 0] if channels == 1 else data, mode)

    transparent = picture(12, 15, "RGB").quantize(16)
    files = {
        "cat/c0.png": picture(17, 23, "RGB"),
        "cat/c1.JPG": picture(31, 20, "RGB"),
        "cat/c2.gif": transparent,
        "cat/extra/c3.gif": picture(9, 30, "RGB").quantize(64),
        "dog/d0.png": picture(14, 19, "RGBA"),
        "dog/d1.bmp": picture(9, 14, "RGB"),
        "dog/d2.png": picture(22, 18, "RGB").quantize(32),
        "dog/d3.bmp": picture(40, 7, "RGB"),
        "fish/f0.png": picture(16, 30, "L"),
        "fish/f1.jpeg": picture(25, 25, "L"),
        "fish/f2.jpg": picture(8, 8, "RGB"),
        "fish/f3.png": Image.fromarray(rng.integers(0, 2**16, (21, 13)).astype(np.uint16)),
        ".hidden/h0.png": picture(5, 5, "RGB"),
    }
    for name, image in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        options = {"transparency": 3} if name == "cat/c2.gif" else {}
        image.save(path, **({"quality": 90} if name.lower().endswith(("jpg", "jpeg")) else options))
    with open(os.path.join(root, "fish", "notes.txt"), "w") as stream:
        stream.write("not an image")
    return str(root)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("images"))


def both(folder, capsys, **kwargs):
    """(ours, Keras's) datasets for the same arguments; also asserts the printed lines match."""
    ours = image_dataset_from_directory(folder, **kwargs)
    printed = capsys.readouterr().out
    theirs = keras.utils.image_dataset_from_directory(folder, **kwargs)
    assert printed == capsys.readouterr().out
    return ours, theirs


def batches(dataset):
    """All (images, labels) of one pass as NumPy arrays, Keras's tensors converted."""
    return [(np.asarray(x), None if y is None else np.asarray(y)) for x, y in dataset]


def assert_pixels_match(ours, theirs, file_paths):
    """Image by image: equal to float32 rounding."""
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, \
        f"{ours.shape} {ours.dtype}, Keras {theirs.shape} {theirs.dtype}"
    for path, a, b in zip(file_paths, ours.astype(np.float64), theirs.astype(np.float64)):
        difference = np.abs(a - b)
        assert difference.max() <= EXACT_ATOL, f"{path}: max |difference| {difference.max():.3g}"


# ----------------------------------------------------------------------------- files and labels
@pytest.mark.parametrize("kwargs", [
    dict(shuffle=False),
    dict(seed=7),
    dict(seed=7, validation_split=0.25, subset="training"),
    dict(seed=7, validation_split=0.25, subset="validation"),
    dict(seed=123, validation_split=0.4, subset="training"),
    dict(seed=123, validation_split=0.4, subset="validation"),
    dict(shuffle=False, validation_split=0.3, subset="validation"),
    dict(seed=5, labels=None),
    dict(seed=5, class_names=["fish", "cat"]),
], ids=["sorted", "shuffled", "train-7", "val-7", "train-123", "val-123", "val-sorted", "unlabelled",
        "class-names"])
def test_files_and_class_names_match_keras(folder, capsys, kwargs):
    ours, theirs = both(folder, capsys, image_size=SIZE, **kwargs)
    assert ours.file_paths == theirs.file_paths
    assert ours.class_names == theirs.class_names
    assert len(ours) == len(theirs)
    assert isinstance(ours, Dataset)


def test_subset_both_matches_keras(folder, capsys):
    (train, val), (k_train, k_val) = both(folder, capsys, image_size=SIZE, seed=11, validation_split=0.3,
                                          subset="both")
    assert train.file_paths == k_train.file_paths and val.file_paths == k_val.file_paths
    assert not set(train.file_paths) & set(val.file_paths) and len(train.file_paths) + len(val.file_paths) == 12
    # Keras does not shuffle the validation part: same order, same labels and pixels.
    for (x, y), (kx, ky) in zip(batches(val), batches(k_val)):
        np.testing.assert_array_equal(y, ky)
        assert_pixels_match(x, kx, val.file_paths)


def test_sorted_files_are_what_keras_walks(folder):
    """The independent truth for the test above: nested folders walked, hidden folder, text
    file skipped, upper-case extension kept."""
    ours = image_dataset_from_directory(folder, shuffle=False, image_size=SIZE)
    names = [os.path.relpath(p, folder) for p in ours.file_paths]
    assert names == ["cat/c0.png", "cat/c1.JPG", "cat/c2.gif", "cat/extra/c3.gif", "dog/d0.png", "dog/d1.bmp",
                     "dog/d2.png", "dog/d3.bmp", "fish/f0.png", "fish/f1.jpeg", "fish/f2.jpg", "fish/f3.png"]
    assert ours.class_names == ["cat", "dog", "fish"]


@pytest.mark.parametrize("follow_links", [False, True])
def test_symbolic_links_as_keras_follows_them(tmp_path, capsys, follow_links):
    """A linked class folder is a class either way; a linked folder inside a class is walked
    only with follow_links=True."""
    outside = tmp_path / "outside"
    outside.mkdir()
    Image.fromarray(np.zeros((3, 3, 3), np.uint8)).save(outside / "far.png")
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    Image.fromarray(np.zeros((3, 3, 3), np.uint8)).save(root / "a" / "near.png")
    (root / "a" / "linked").symlink_to(outside, target_is_directory=True)
    (root / "b").symlink_to(outside, target_is_directory=True)
    ours, theirs = both(str(root), capsys, shuffle=False, follow_links=follow_links)
    assert ours.file_paths == theirs.file_paths and ours.class_names == theirs.class_names == ["a", "b"]
    assert len(ours.file_paths) == (3 if follow_links else 2)


# ----------------------------------------------------------------------------- labels and pixels
@pytest.mark.parametrize("kwargs", [
    dict(label_mode="int"),
    dict(label_mode="categorical", batch_size=5),
    dict(label_mode=None, batch_size=7),
    dict(labels=[3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9], label_mode="int"),
    dict(labels=[3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9], label_mode="categorical"),
    dict(crop_to_aspect_ratio=True, batch_size=4),
    dict(interpolation="nearest"),
    dict(interpolation="NEAREST", crop_to_aspect_ratio=True, image_size=(7, 31)),
    dict(image_size=9),
    dict(pad_to_aspect_ratio=True, image_size=(16, 30)),
    dict(pad_to_aspect_ratio=True, interpolation="nearest", image_size=(30, 11)),
    *[dict(interpolation=m, image_size=(13, 41)) for m in
      ["bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic"]],
    dict(interpolation="lanczos3", crop_to_aspect_ratio=True),
], ids=["int", "categorical", "no-labels", "list-int", "list-categorical", "crop", "nearest",
        "nearest-crop", "square-int-size", "pad", "pad-nearest", "bicubic", "area", "lanczos3",
        "lanczos5", "gaussian", "mitchellcubic", "lanczos3-crop"])
def test_labels_and_pixels_match_keras(folder, capsys, kwargs):
    kwargs = {"image_size": SIZE, "batch_size": 32, **kwargs}
    ours, theirs = both(folder, capsys, shuffle=False, **kwargs)
    assert ours.class_names == theirs.class_names
    ours_batches = batches(ours)
    if kwargs.get("label_mode", "int") is None:          # Keras yields the images alone
        keras_batches = [(np.asarray(x), None) for x in theirs]
    else:
        keras_batches = batches(theirs)
    assert [len(x) for x, _ in ours_batches] == [len(x) for x, _ in keras_batches]
    images = np.concatenate([x for x, _ in ours_batches])
    keras_images = np.concatenate([x for x, _ in keras_batches])
    assert_pixels_match(images, keras_images, ours.file_paths)
    for (_, y), (_, ky) in zip(ours_batches, keras_batches):
        if ky is None:
            assert y is None
        else:
            assert y.dtype == ky.dtype and y.shape == ky.shape
            np.testing.assert_array_equal(y, ky)


def test_binary_labels_match_keras(folder, capsys):
    ours, theirs = both(folder, capsys, shuffle=False, image_size=(6, 6), label_mode="binary",
                        class_names=["dog", "cat"])
    (x, y), = batches(ours)
    (kx, ky), = batches(theirs)
    assert y.dtype == ky.dtype == np.float32 and y.shape == ky.shape == (8, 1)
    np.testing.assert_array_equal(y, ky)
    assert_pixels_match(x, kx, ours.file_paths)


@pytest.mark.parametrize("color_mode,classes", [("grayscale", ["fish"]), ("rgba", ["dog"])])
def test_color_modes_match_keras(folder, capsys, color_mode, classes):
    """Only where TensorFlow decodes the files in that mode: grayscale from PNG and JPEG, rgba from
    PNG and BMP (its refusals: test_decoding_where_tensorflow_refuses)."""
    ours, theirs = both(folder, capsys, shuffle=False, image_size=SIZE, color_mode=color_mode,
                        class_names=classes)
    (x, _), = batches(ours)
    (kx, _), = batches(theirs)
    assert x.shape[-1] == {"grayscale": 1, "rgba": 4}[color_mode]
    assert_pixels_match(x, kx, ours.file_paths)


def test_unbatched_matches_keras(folder, capsys):
    ours, theirs = both(folder, capsys, shuffle=False, image_size=SIZE, batch_size=None, label_mode="categorical")
    assert len(ours) == len(theirs) == 12
    for path, (x, y), (kx, ky) in zip(ours.file_paths, ours, theirs):
        assert x.shape == (20, 24, 3) and y.shape == (3,) and y.dtype == np.float32
        np.testing.assert_array_equal(y, ky.numpy())
        assert_pixels_match(x[None], kx.numpy()[None], [path])


# ----------------------------------------------------------------------------- decoding
@pytest.mark.parametrize("color_mode,channels", [("rgb", 3), ("grayscale", 1), ("rgba", 4)])
def test_decoding_matches_tensorflow(folder, color_mode, channels):
    """Raw pixels (no resize) against tf.image.decode_image wherever TensorFlow decodes the file
    in that mode: exact."""
    ours = image_dataset_from_directory(folder, shuffle=False, verbose=False)
    checked = 0
    for path in ours.file_paths:
        data = tf.io.read_file(path)
        try:
            truth = tf.image.decode_image(data, channels=channels, expand_animations=False).numpy()
        except tf.errors.InvalidArgumentError:
            continue                                      # TensorFlow refuses: see the next test
        pixels = load_image(path, color_mode)
        assert pixels.dtype == np.uint8 and pixels.shape == truth.shape, path
        np.testing.assert_array_equal(pixels, truth, err_msg=path)
        checked += 1
    assert checked >= {"rgb": 12, "grayscale": 6, "rgba": 7}[color_mode]


@pytest.mark.parametrize("subsampling", [0, 1, 2])       # Pillow's codes: 4:4:4, 4:2:2, 4:2:0
@pytest.mark.parametrize("quality,progressive", [(50, False), (95, False), (90, True)])
def test_jpeg_variants_decode_as_tensorflow(tmp_path, subsampling, quality, progressive):
    """Chroma subsampling, quality and progressive coding: colour and grey, odd sizes, exactly
    tf.image.decode_image's pixels (its default fast IDCT, which Pillow's accurate one misses)."""
    rng = np.random.default_rng(quality + subsampling)
    path = str(tmp_path / "picture.jpg")
    Image.fromarray(pattern(rng, 37, 29, 3)).save(path, quality=quality, subsampling=subsampling,
                                                  progressive=progressive)
    data = tf.io.read_file(path)
    for color_mode, channels in [("rgb", 3), ("grayscale", 1)]:
        truth = tf.image.decode_image(data, channels=channels, expand_animations=False).numpy()
        np.testing.assert_array_equal(load_image(path, color_mode), truth, err_msg=color_mode)


def test_jpeg_without_simplejpeg_is_pillows_accurate_decode(folder, monkeypatch):
    """The fallback when simplejpeg is missing: Pillow's pixels, which equal TensorFlow's
    decode_jpeg with dct_method="INTEGER_ACCURATE" (not its default)."""
    monkeypatch.setattr(image_decoding, "simplejpeg", None)
    path = os.path.join(folder, "cat", "c1.JPG")
    accurate = tf.io.decode_jpeg(tf.io.read_file(path), channels=3, dct_method="INTEGER_ACCURATE")
    pixels = load_image(path, "rgb")
    np.testing.assert_array_equal(pixels, accurate.numpy())
    assert not np.array_equal(pixels, tf.image.decode_image(tf.io.read_file(path), channels=3).numpy())


def test_decoding_where_tensorflow_refuses(folder):
    """Grayscale GIF/BMP and rgba JPEG/GIF: TensorFlow raises, this kit decodes (a departure):
    grey = libpng's weights on the rgb pixels, rgba = rgb plus Pillow's alpha."""
    for name, color_mode in [("cat/c2.gif", "grayscale"), ("dog/d1.bmp", "grayscale"),
                             ("cat/c1.JPG", "rgba"), ("cat/extra/c3.gif", "rgba")]:
        path = os.path.join(folder, name)
        with pytest.raises(tf.errors.InvalidArgumentError):
            tf.image.decode_image(tf.io.read_file(path), channels={"grayscale": 1, "rgba": 4}[color_mode],
                                  expand_animations=False)
        rgb = load_image(path, "rgb")
        pixels = load_image(path, color_mode)
        if color_mode == "grayscale":
            np.testing.assert_array_equal(pixels[..., 0], rgb_to_gray(rgb))
        else:
            assert pixels.shape[-1] == 4 and (pixels[..., 3] == 255).all()


def test_transparent_gif_pixels_are_black_as_in_tensorflow(folder):
    path = os.path.join(folder, "cat", "c2.gif")
    transparent = np.asarray(Image.open(path)) == 3
    assert transparent.any()
    pixels = load_image(path, "rgb")
    assert (pixels[transparent] == 0).all()
    assert (Image.open(path).convert("RGB").getpixel(tuple(np.argwhere(transparent)[0][::-1])) != (0, 0, 0))


# ----------------------------------------------------------------------------- bad input
def keras_raises(error, folder, **kwargs):
    with pytest.raises(error):
        dataset = keras.utils.image_dataset_from_directory(folder, **kwargs)
        for _ in dataset:
            pass


@pytest.mark.parametrize("kwargs,words", [
    (dict(validation_split=0.2), "received validation_split=0.2, subset=None"),
    (dict(subset="training"), "received validation_split=None, subset='training'"),
    (dict(validation_split=0.2, subset="training"), "received seed=None"),
    (dict(validation_split=1.5, subset="training", seed=1), "between 0 and 1, received 1.5"),
    (dict(validation_split=0.2, subset="test", seed=1), "received 'test'"),
    (dict(label_mode="sparse"), "label_mode: expected one of ['int', 'categorical', 'binary', None], "
                                "received 'sparse'"),
    (dict(color_mode="rgbx"), "color_mode: expected one of ['grayscale', 'rgb', 'rgba'], received 'rgbx'"),
    (dict(interpolation="cubic"), "interpolation: expected one of ['bilinear', 'nearest', 'bicubic', "
                                  "'area', 'lanczos3', 'lanczos5', 'gaussian', 'mitchellcubic'], received 'cubic'"),
    (dict(crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "only one of them can be True"),
    (dict(labels=[0, 1, 2]), "one label per image file, 13 in"),
    (dict(labels="folders"), "received 'folders'"),
    (dict(labels=[0] * 13, class_names=["cat"]), "only valid with labels=\"inferred\""),
    (dict(label_mode="binary"), "exactly 2 classes, found 3"),
    (dict(class_names=["cat", "cow"]), "received ['cat', 'cow']"),
    (dict(image_size=(20, 24, 3)), "received (20, 24, 3)"),
], ids=["split-no-subset", "subset-no-split", "no-seed", "split-range", "subset-name", "label-mode",
        "color-mode", "interpolation", "crop-and-pad", "labels-length", "labels-string", "labels-and-class-names",
        "binary-3-classes", "unknown-class", "image-size"])
def test_bad_arguments_are_refused_as_keras_refuses(folder, capsys, kwargs, words):
    keras_raises(ValueError, folder, **kwargs)
    with pytest.raises(ValueError) as raised:
        image_dataset_from_directory(folder, **kwargs)
    assert words in str(raised.value)


@pytest.mark.parametrize("kwargs,words", [
    (dict(data_format="channels_first"), "data_format: this kit keeps images channels-last"),
    (dict(format="grain"), "format: expected \"tf\""),
], ids=["channels-first", "grain"])
def test_arguments_keras_has_and_this_kit_refuses(folder, kwargs, words):
    """Keras accepts these (a departure): refused up front, naming what this kit does."""
    with pytest.raises(ValueError) as raised:
        image_dataset_from_directory(folder, **kwargs)
    assert words in str(raised.value)
    assert image_dataset_from_directory(folder, data_format="channels_last", format="tf",
                                        verbose=False).num_samples() == 12


def test_missing_directory(tmp_path):
    missing = str(tmp_path / "nowhere")
    keras_raises(FileNotFoundError, missing)
    with pytest.raises(FileNotFoundError, match="nowhere' does not exist"):
        image_dataset_from_directory(missing)


def test_directory_without_class_folders(tmp_path):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "loose.png")
    keras_raises(ValueError, str(tmp_path))
    with pytest.raises(ValueError, match="has no class sub-folders"):
        image_dataset_from_directory(str(tmp_path))
    assert len(image_dataset_from_directory(str(tmp_path), labels=None)) == 1   # unlabelled: fine


def test_directory_without_supported_images(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "picture.tiff").write_bytes(b"II*\x00")
    keras_raises(ValueError, str(tmp_path))
    with pytest.raises(ValueError) as raised:
        image_dataset_from_directory(str(tmp_path))
    assert str(tmp_path) in str(raised.value) and "('.bmp', '.gif', '.jpeg', '.jpg', '.png')" in str(raised.value)


@pytest.mark.parametrize("content", ["junk", "truncated"])
def test_unreadable_image_fails_when_its_batch_is_read(tmp_path, content):
    """Keras indexes the file and fails on it only when iterating (TensorFlow's
    InvalidArgumentError); so does this kit, with a ValueError that names the file."""
    (tmp_path / "a").mkdir()
    Image.fromarray(pattern(np.random.default_rng(0), 30, 30, 3)).save(tmp_path / "a" / "0.png")
    bad = tmp_path / "a" / "1.png"
    if content == "junk":
        bad.write_bytes(b"this is not an image")
    else:
        data = (tmp_path / "a" / "0.png").read_bytes()
        bad.write_bytes(data[:len(data) // 2])
    keras_dataset = keras.utils.image_dataset_from_directory(str(tmp_path), batch_size=1, shuffle=False)
    ours = image_dataset_from_directory(str(tmp_path), batch_size=1, shuffle=False)
    assert len(keras_dataset) == len(ours) == 2
    iterator, keras_iterator = iter(ours), iter(keras_dataset)
    next(iterator), next(keras_iterator)                   # the good file is read
    with pytest.raises(tf.errors.InvalidArgumentError):
        next(keras_iterator)
    with pytest.raises(ValueError, match=f"could not decode the image file '{bad}'"):
        next(iterator)


# ----------------------------------------------------------------------------- tf.data methods
def test_take_batch_unbatch_lengths_match_tf_data(folder, capsys):
    ours, theirs = both(folder, capsys, shuffle=False, image_size=(4, 4), batch_size=5)
    cases = [lambda d: d.take(2), lambda d: d.take(10), lambda d: d.unbatch().batch(3),
             lambda d: d.unbatch().batch(5, drop_remainder=True), lambda d: d.unbatch().take(7).batch(2),
             lambda d: d.take(2).unbatch(), lambda d: d.prefetch(AUTOTUNE).take(-1)]
    for case in cases:
        mine, keras_side = case(ours), case(theirs)
        mine_batches, keras_batches = batches(mine), batches(keras_side)
        # tf.data's cardinality is unknown (-2) after unbatch(); the batches counted are the truth
        assert len(mine) == len(mine_batches) == len(keras_batches)
        assert int(keras_side.cardinality()) in (len(keras_batches), -2)
        for (x, y), (kx, ky) in zip(mine_batches, keras_batches):
            assert x.shape == kx.shape
            np.testing.assert_array_equal(y, ky)


def test_cache_decodes_once(folder, monkeypatch):
    calls = []
    real = image_dataset_module.load_image
    monkeypatch.setattr(image_dataset_module, "load_image", lambda *a: calls.append(a[0]) or real(*a))
    dataset = image_dataset_from_directory(folder, shuffle=False, image_size=(4, 4), batch_size=5,
                                           verbose=False).cache()
    first, second = batches(dataset), batches(dataset)
    assert len(calls) == 12
    for (x, y), (x2, y2) in zip(first, second):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)
    dataset = image_dataset_from_directory(folder, shuffle=False, image_size=(4, 4), batch_size=5, verbose=False)
    batches(dataset.take(1)), batches(dataset.take(1))
    assert len(calls) == 12 + 10                           # take(1): only the first batch is decoded


def test_shuffle_reshuffles_each_epoch(folder):
    samples = image_dataset_from_directory(folder, shuffle=False, image_size=(4, 4), batch_size=None,
                                           verbose=False).cache()
    labelled = samples.map(lambda x, y: (x, y))
    shuffled, same_seed = labelled.shuffle(12, seed=3), labelled.shuffle(12, seed=3)
    orders = [[float(x.sum()) for x, _ in shuffled] for _ in range(3)]
    assert orders == [[float(x.sum()) for x, _ in same_seed] for _ in range(3)]   # a seed repeats them
    assert orders[0] != orders[1] != orders[2]            # a new order each epoch
    assert all(sorted(order) == sorted(orders[0]) for order in orders)
    fixed = labelled.shuffle(12, seed=3, reshuffle_each_iteration=False)
    assert [float(x.sum()) for x, _ in fixed] == [float(x.sum()) for x, _ in fixed]
    assert [float(x.sum()) for x, _ in labelled.shuffle(1)] == [float(x.sum()) for x, _ in samples]


def test_training_subset_reshuffles_its_files_each_epoch(folder):
    train = image_dataset_from_directory(folder, image_size=(4, 4), batch_size=3, seed=1, validation_split=0.25,
                                         subset="training", verbose=False)
    assert isinstance(train, ImageDataset) and train.prefetch(AUTOTUNE) is train
    first = [label for _, y in train for label in y]
    second = [label for _, y in train for label in y]
    assert sorted(first) == sorted(second) and len(first) == 9
