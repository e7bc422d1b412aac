"""Bring a decoded image to the dataset's ``image_size``, as Keras's loader does: resize it whole
(``tf.image.resize``), or with ``crop_to_aspect_ratio=True`` first cut the largest centred window
of the target's aspect ratio (``keras.preprocessing.image.smart_resize``) and resize that.

The resizing itself is the op ``resize_bilinear`` / ``resize_nearest`` of the active backend
(:mod:`scratch.ops.reference` for the maths). Keras also offers "bicubic", "area", "lanczos3",
"lanczos5", "gaussian" and "mitchellcubic"; this kit implements only the two methods above and
refuses the others with a ValueError that lists what is supported.

Example::

    >>> image = np.zeros((300, 500, 3), np.uint8)
    >>> center_crop_box(300, 500, (200, 200))            # (top, left, height, width)
    (0, 100, 300, 300)
    >>> resize_image(image, (200, 200), crop_to_aspect_ratio=True).shape
    (200, 200, 3)
"""
import numpy as np

from scratch import backend

INTERPOLATIONS = ("bilinear", "nearest")
KERAS_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                        "gaussian", "mitchellcubic")


def check_interpolation(interpolation):
    """The lower-cased ``interpolation`` if this kit implements it; ValueError otherwise."""
    name = interpolation.lower() if isinstance(interpolation, str) else interpolation
    if name in INTERPOLATIONS:
        return name
    if name in KERAS_INTERPOLATIONS:
        raise ValueError(f"interpolation: {interpolation!r} is a Keras method this kit does not "
                         f"implement; supported: {list(INTERPOLATIONS)}")
    raise ValueError(f"interpolation: expected one of {list(INTERPOLATIONS)}, received "
                     f"{interpolation!r}")


def center_crop_box(height, width, size):
    """The largest centred window of a ``height x width`` image with the aspect ratio of
    ``size = (target_height, target_width)``, as ``(top, left, crop_height, crop_width)``.

    ``crop_h = min(H, ⌊W·th / tw⌋)``, ``crop_w = min(W, ⌊H·tw / th⌋)`` (at least 1), the offsets
    ``⌊(H − crop_h) / 2⌋`` and ``⌊(W − crop_w) / 2⌋`` — in float32 then truncated, as Keras's
    TensorFlow graph computes them inside the dataset pipeline.
    """
    target_height, target_width = size
    crop_height = int(np.float32(width * target_height) / np.float32(target_width))
    crop_width = int(np.float32(height * target_width) / np.float32(target_height))
    crop_height = max(min(height, crop_height), 1)
    crop_width = max(min(width, crop_width), 1)
    top = int(np.float32(height - crop_height) / np.float32(2))
    left = int(np.float32(width - crop_width) / np.float32(2))
    return top, left, crop_height, crop_width


def resize_image(image, size, interpolation="bilinear", crop_to_aspect_ratio=False):
    """One decoded image (H, W, C) to ``size = (height, width)``: (height, width, C).

    "bilinear" gives float32 (``tf.image.resize``'s dtype); "nearest" keeps the input dtype
    (uint8 for decoded files, as Keras's datasets yield with ``interpolation="nearest"``).
    """
    method = check_interpolation(interpolation)
    if crop_to_aspect_ratio:
        top, left, crop_height, crop_width = center_crop_box(image.shape[0], image.shape[1], size)
        image = image[top:top + crop_height, left:left + crop_width]
    resize = backend.ops.resize_bilinear if method == "bilinear" else backend.ops.resize_nearest
    return resize(image, tuple(size))
