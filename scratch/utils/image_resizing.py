"""Bring a decoded image to the dataset's ``image_size``, as Keras's loader does: resize it whole
(``tf.image.resize``); or with ``crop_to_aspect_ratio=True`` first cut the largest centred window
of the target's aspect ratio (``keras.preprocessing.image.smart_resize``) and resize that; or with
``pad_to_aspect_ratio=True`` resize it to fit inside the target keeping its aspect ratio and pad
the rest with zeros (``tf.image.resize_with_pad``).

The resizing itself is an op of the active backend (:mod:`scratch.ops.reference` for the maths):
``resize_bilinear``, ``resize_nearest``, or ``resize_weighted`` for Keras's other methods
("bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic").

Example::

    >>> image = np.zeros((300, 500, 3), np.uint8)
    >>> center_crop_box(300, 500, (200, 200))            # (top, left, height, width)
    (0, 100, 300, 300)
    >>> resize_image(image, (200, 200), crop_to_aspect_ratio=True).shape
    (200, 200, 3)
    >>> pad_box(300, 500, (200, 200))                     # (top, left, height, width)
    (40, 0, 120, 200)
"""
import numpy as np

from scratch import backend

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                  "mitchellcubic")                   # Keras's list, all implemented


def check_interpolation(interpolation):
    """The lower-cased ``interpolation`` if it is one of Keras's methods; ValueError otherwise."""
    name = interpolation.lower() if isinstance(interpolation, str) else interpolation
    if name not in INTERPOLATIONS:
        raise ValueError(f"interpolation: expected one of {list(INTERPOLATIONS)}, received "
                         f"{interpolation!r}")
    return name


def check_aspect_options(crop_to_aspect_ratio, pad_to_aspect_ratio):
    """ValueError when both ways of keeping the aspect ratio are asked for (Keras refuses too)."""
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("crop_to_aspect_ratio and pad_to_aspect_ratio: only one of them can be "
                         "True, received both True")


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


def pad_box(height, width, size):
    """Where ``tf.image.resize_with_pad`` puts a ``height x width`` image inside ``size =
    (target_height, target_width)``: ``(top, left, resized_height, resized_width)``.

    ``ratio = max(W / tw, H / th)``, the image resized to ``(⌊H / ratio⌋, ⌊W / ratio⌋)`` and
    placed at ``top = ⌊(th − H / ratio) / 2⌋``, ``left = ⌊(tw − W / ratio) / 2⌋`` (float32, as
    TensorFlow computes them).
    """
    target_height, target_width = (np.float32(n) for n in size)
    ratio = max(np.float32(width) / target_width, np.float32(height) / target_height)
    new_height, new_width = np.float32(height) / ratio, np.float32(width) / ratio
    top = max(0, int(np.floor((target_height - new_height) / np.float32(2))))
    left = max(0, int(np.floor((target_width - new_width) / np.float32(2))))
    return top, left, int(np.floor(new_height)), int(np.floor(new_width))


def resize(image, size, interpolation="bilinear"):
    """``tf.image.resize(image, size, interpolation)`` with the active backend's op."""
    method = check_interpolation(interpolation)
    if method == "bilinear":
        return backend.ops.resize_bilinear(image, tuple(size))
    if method == "nearest":
        return backend.ops.resize_nearest(image, tuple(size))
    return backend.ops.resize_weighted(image, tuple(size), method)


def resize_image(image, size, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False):
    """One decoded image (H, W, C) to ``size = (height, width)``: (height, width, C).

    "nearest" keeps the input dtype (uint8 for decoded files, as Keras's datasets yield with
    ``interpolation="nearest"``); the other methods give float32 (``tf.image.resize``'s dtype).
    """
    check_aspect_options(crop_to_aspect_ratio, pad_to_aspect_ratio)
    if crop_to_aspect_ratio:
        top, left, crop_height, crop_width = center_crop_box(image.shape[0], image.shape[1], size)
        image = image[top:top + crop_height, left:left + crop_width]
    if not pad_to_aspect_ratio:
        return resize(image, size, interpolation)
    top, left, height, width = pad_box(image.shape[0], image.shape[1], size)
    if height < 1 or width < 1:
        raise ValueError(f"pad_to_aspect_ratio: a {image.shape[0]}x{image.shape[1]} image fitted "
                         f"into {tuple(size)} would be {height}x{width} pixels; expected at least 1x1")
    resized = resize(image, (height, width), interpolation)
    padded = np.zeros((size[0], size[1], image.shape[2]), resized.dtype)
    padded[top:top + height, left:left + width] = resized
    return padded
