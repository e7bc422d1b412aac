"""``image_dataset_from_directory``: a folder of pictures, one sub-folder per class, as a dataset
of ``(images, labels)`` batches — ``keras.utils.image_dataset_from_directory`` with its arguments
and meaning.

    main_directory/
        class_a/  a_1.jpg  a_2.png ...
        class_b/  b_1.jpg ...

gives labels 0 for ``class_a`` and 1 for ``class_b``. For one ``seed`` each subset holds exactly the
files Keras's holds, in the same unshuffled order with ``shuffle=False``; the pixels equal
Keras's (decoding: :mod:`scratch.utils.image_decoding`, resizing: :mod:`scratch.utils.image_resizing`;
JPEGs included). What differs from Keras:

- the per-epoch shuffle (``shuffle=True``) has tf.data's meaning (a buffer of 8 batches) but not
  its random stream: the batches come in another order than Keras's;
- ``data_format`` is always "channels_last" and ``format`` always "tf" (this kit's dataset
  object, not a ``tf.data.Dataset``); other values are refused with a ValueError;
- elements are always ``(images, labels)`` pairs, ``labels`` None with ``label_mode=None`` (Keras
  yields the images alone), as every :class:`scratch.utils.Dataset` does;
- an unreadable file raises ValueError naming it (Keras: TensorFlow's InvalidArgumentError, when
  a batch reaches the file, without its name).

Example::

    >>> train, val = image_dataset_from_directory(                      # doctest: +SKIP
    ...     "flower_photos", validation_split=0.2, subset="both", seed=123,
    ...     image_size=(180, 180), batch_size=32)
    Found 3670 files belonging to 5 classes.
    Using 2936 files for training.
    Using 734 files for validation.
    >>> train.class_names                                               # doctest: +SKIP
    ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']
    >>> images, labels = next(iter(train))    # float32 (32, 180, 180, 3), int32 (32,)  # doctest: +SKIP
"""
import math

import numpy as np

from scratch.utils.directory_index import index_directory, shuffle_files, split_files
from scratch.utils.image_decoding import CHANNELS, load_image
from scratch.utils.image_resizing import check_aspect_options, check_interpolation, resize_image
from scratch.utils.pipeline import Pipeline, buffer_shuffle, stack

ALLOWED_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")   # Keras's ALLOWLIST_FORMATS
LABEL_MODES = ("int", "categorical", "binary", None)


def encode_labels(labels, label_mode, num_classes):
    """Labels as Keras's datasets yield them: "int" -> int32 (N,); "binary" -> float32 (N, 1);
    "categorical" -> float32 one-hot (N, num_classes) (a label outside [0, num_classes) gives a
    row of zeros, as ``tf.one_hot``)."""
    if label_mode == "int":
        return labels.astype(np.int32)
    if label_mode == "binary":
        return labels.astype(np.float32)[:, None]
    return (labels[:, None] == np.arange(num_classes)).astype(np.float32)


class ImageDataset(Pipeline):
    """Image files decoded and resized when a batch is asked for (``cache()`` keeps them).

    Yields ``(images, labels)``: images (batch, height, width, channels), float32 ("nearest":
    uint8, as Keras), labels as :func:`encode_labels` or None; single samples when
    ``batch_size`` is None. ``file_paths`` and ``class_names`` as Keras's dataset attributes.
    With ``shuffle`` the files pass through a shuffle buffer of ``shuffle_buffer_size`` in a new
    order each epoch, drawn from ``seed``.
    """

    def __init__(self, file_paths, labels, class_names, image_size, color_mode="rgb", batch_size=32,
                 interpolation="bilinear", crop_to_aspect_ratio=False, shuffle=False, seed=None,
                 shuffle_buffer_size=1024, pad_to_aspect_ratio=False):
        self.file_paths = list(file_paths)
        self.labels = labels
        self.class_names = class_names
        self.image_size = tuple(image_size)
        self.color_mode = color_mode
        self.batch_size = batch_size
        self.interpolation = check_interpolation(interpolation)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.shuffles_each_epoch = bool(shuffle)
        self.shuffle_buffer_size = shuffle_buffer_size
        self._rng = np.random.default_rng(seed)

    def load(self, index):
        """Sample ``index``: ``(image (height, width, channels), label or None)``."""
        image = load_image(self.file_paths[index], self.color_mode)
        image = resize_image(image, self.image_size, self.interpolation, self.crop_to_aspect_ratio,
                             self.pad_to_aspect_ratio)
        return image, (None if self.labels is None else self.labels[index])

    def __iter__(self):
        order = range(len(self.file_paths))
        if self.shuffles_each_epoch:
            order = buffer_shuffle(order, self.shuffle_buffer_size, self._rng)
        if self.batch_size is None:
            for index in order:
                yield self.load(index)
            return
        chunk = []
        for index in order:
            chunk.append(index)
            if len(chunk) == self.batch_size:
                yield stack([self.load(i) for i in chunk])
                chunk = []
        if chunk:
            yield stack([self.load(i) for i in chunk])

    def __len__(self):
        if self.batch_size is None:
            return len(self.file_paths)
        return math.ceil(len(self.file_paths) / self.batch_size)

    def num_samples(self):
        return len(self.file_paths)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_arguments(labels, label_mode, class_names, color_mode, batch_size, image_size,
                     validation_split, subset, shuffle, seed):
    """Keras's argument checks, in its order; returns ``image_size`` as (height, width)."""
    if not (isinstance(labels, str) and labels == "inferred") and labels is not None:
        if not isinstance(labels, (list, tuple)):
            raise ValueError(f'labels: expected "inferred", None or a list/tuple of int labels (one '
                             f"per image file, in sorted path order), received {labels!r}")
        if not all(_is_int(label) for label in labels):
            raise TypeError(f"labels: expected int labels, received {list(labels)[:10]!r}")
        if class_names:
            raise ValueError(f'class_names: only valid with labels="inferred", received '
                             f"labels={labels!r} and class_names={class_names!r}")
    if label_mode not in LABEL_MODES:
        raise ValueError(f"label_mode: expected one of {list(LABEL_MODES)}, received {label_mode!r}")
    if color_mode not in CHANNELS:
        raise ValueError(f"color_mode: expected one of {list(CHANNELS)}, received {color_mode!r}")
    if _is_int(image_size):
        image_size = (image_size, image_size)
    if (not isinstance(image_size, (list, tuple)) or len(image_size) != 2
            or not all(_is_int(n) and n > 0 for n in image_size)):
        raise ValueError(f"image_size: expected (height, width), two positive ints, received "
                         f"{image_size!r}")
    if batch_size is not None and not (_is_int(batch_size) and batch_size > 0):
        raise ValueError(f"batch_size: expected a positive int or None, received {batch_size!r}")
    # dataset_utils.check_validation_split_arg
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"validation_split: expected a float between 0 and 1, received "
                         f"{validation_split!r}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError(f"validation_split and subset: set both or neither, received "
                         f"validation_split={validation_split!r}, subset={subset!r}")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'subset: expected "training", "validation" or "both", received {subset!r}')
    if validation_split and shuffle and seed is None:
        raise ValueError("seed: validation_split with shuffle=True needs a seed, so that the training "
                         "and validation subsets do not overlap; received seed=None")
    return int(image_size[0]), int(image_size[1])


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256), shuffle=True,
                                 seed=None, validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf",
                                 verbose=True):
    """A dataset of the images in ``directory`` (``keras.utils.image_dataset_from_directory``).

    Args:
        directory: folder of the images; with ``labels="inferred"``, one sub-folder per class.
        labels: "inferred" (from the sub-folder names), None (no labels), or a list/tuple of int
            labels, one per image file in the sorted order of their paths (``os.walk``).
        label_mode: "int" (int32), "categorical" (float32 one-hot), "binary" (float32 (…, 1), two
            classes exactly), or None (no labels).
        class_names: with "inferred" labels, the sub-folders to use, in label order.
        color_mode: "rgb", "grayscale" or "rgba" (3, 1 or 4 channels).
        batch_size: images per batch (32); None yields single images.
        image_size: (height, width) every image is resized to, or one int for a square.
        shuffle: shuffle the files (once, with ``seed``, before the split) and every epoch;
            False keeps the sorted order.
        seed: seed of the shuffles; required with ``validation_split`` and ``shuffle``.
        validation_split, subset: the fraction of files held out for validation, and which part
            to return: "training", "validation" or "both" (a ``(training, validation)`` pair).
        interpolation: ``tf.image.resize``'s method: "bilinear", "nearest", "bicubic", "area",
            "lanczos3", "lanczos5", "gaussian" or "mitchellcubic".
        follow_links: walk into sub-folders that are symbolic links.
        crop_to_aspect_ratio: cut the largest centred window of ``image_size``'s aspect ratio
            before resizing, instead of stretching the image.
        pad_to_aspect_ratio: resize the image to fit inside ``image_size`` without changing its
            aspect ratio and pad the rest with black (zeros); not with ``crop_to_aspect_ratio``.
        data_format: None or "channels_last" (images (…, height, width, channels)).
        format: "tf", Keras's default (here: this kit's dataset object).
        verbose: print the "Found N files ..." line.

    Returns:
        :class:`ImageDataset` (or a pair of them for ``subset="both"``), with ``class_names`` and
        ``file_paths``, yielding ``(images, labels)``.
    """
    image_size = _check_arguments(labels, label_mode, class_names, color_mode, batch_size,
                                  image_size, validation_split, subset, shuffle, seed)
    interpolation = check_interpolation(interpolation)
    check_aspect_options(crop_to_aspect_ratio, pad_to_aspect_ratio)
    if data_format not in (None, "channels_last"):
        raise ValueError(f'data_format: this kit keeps images channels-last; expected None or '
                         f'"channels_last", received {data_format!r}')
    if format != "tf":
        raise ValueError(f'format: expected "tf" (this kit\'s dataset object stands in for '
                         f'tf.data), received {format!r}')
    if labels is None or label_mode is None:
        labels, label_mode = None, None
        if class_names is not None:
            raise ValueError(f"class_names: not allowed without labels (labels=None or "
                             f"label_mode=None), received {class_names!r}")
    if seed is None:
        seed = int(np.random.randint(1e6))        # as Keras draws it (NumPy's global generator)

    file_paths, labels, class_names = index_directory(directory, labels, class_names,
                                                      ALLOWED_FORMATS, follow_links, verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f'label_mode: "binary" needs exactly 2 classes, found {len(class_names)}: '
                         f"{class_names}")
    if class_names == []:
        raise ValueError(f"directory: {str(directory)!r} has no class sub-folders (with "
                         f'labels="inferred", each class is a sub-folder of images)')
    if not file_paths:
        where = "the class sub-folders of" if class_names is not None else "anywhere under"
        raise ValueError(f"directory: no images found in {where} {str(directory)!r}; looked for the "
                         f"extensions {ALLOWED_FORMATS} (any case)")
    if shuffle:
        file_paths, labels = shuffle_files(file_paths, labels, seed)
    if labels is not None:
        labels = encode_labels(labels, label_mode, len(class_names))

    def make(subset_name, shuffled):
        paths, part = split_files(file_paths, labels, validation_split, subset_name)
        if not paths:
            raise ValueError(f"validation_split: the {subset_name} subset of the {len(file_paths)} "
                             f"files in {str(directory)!r} is empty for "
                             f"validation_split={validation_split!r}")
        return ImageDataset(paths, part, class_names, image_size, color_mode, batch_size,
                            interpolation, crop_to_aspect_ratio, shuffled, seed,
                            shuffle_buffer_size=8 * batch_size if batch_size else 1024,
                            pad_to_aspect_ratio=pad_to_aspect_ratio)

    if subset == "both":
        return make("training", shuffle), make("validation", False)
    return make(subset, shuffle)
