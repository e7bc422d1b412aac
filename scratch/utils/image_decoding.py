"""Image files to pixel arrays, as Keras's loaders see them: libjpeg-turbo (through the
``simplejpeg`` package) decodes JPEGs, Pillow the other formats, and the colour conversions follow TensorFlow's ``tf.image.decode_image(contents, channels, expand_animations=False)``
(which ``keras.utils.image_dataset_from_directory`` calls) wherever TensorFlow decodes the file.

What TensorFlow does, measured against ``tf.image.decode_image`` (TF 2.21), and how it is matched:

- PNG, BMP and GIF: the same pixels, bit for bit. A GIF gives its first frame; its transparent
  pixels are black (0, 0, 0), as TensorFlow fills them. 16-bit PNGs keep the high byte.
- ``"grayscale"`` from a colour image: libpng's conversion as TensorFlow configures it,
  ``Y = (9797·R + 19234·G + 3737·B) >> 15`` (truncated; Pillow's own ``convert("L")`` rounds with
  other weights and differs by 1 on about half the pixels). A colour JPEG gives the luma channel
  its decoder reconstructs (Pillow's "draft" mode), as libjpeg does for TensorFlow.
- JPEG: TensorFlow decodes with libjpeg-turbo, its default ``dct_method=""`` meaning the fast
  integer IDCT (``JDCT_IFAST``, the scaled AAN algorithm of Arai, Agui and Nakajima) with fancy
  (triangle-filter) chroma upsampling. ``simplejpeg.decode_jpeg(data, fastdct=True,
  fastupsample=False)`` runs the same library with the same two settings: the same pixels, bit for
  bit (baseline and progressive, 4:4:4, 4:2:2 and 4:2:0, colour and grey). Pillow would use the
  accurate IDCT (TensorFlow's ``dct_method="INTEGER_ACCURATE"``), a few levels away (up to ~10 of
  255 at quality 95 on noisy pictures); it decodes what ``simplejpeg`` refuses, and every JPEG
  when ``simplejpeg`` is not installed. A CMYK JPEG (rare in datasets) is converted to RGB by
  each library its own way: measured within 2 levels of TensorFlow's.

Where TensorFlow refuses or misreads a file, this module decodes it all the same (departures):
``"grayscale"`` of a GIF or BMP and ``"rgba"`` of a JPEG or GIF (TensorFlow raises
InvalidArgumentError), the colour table of an 8-bit BMP (TensorFlow reads the indices as grey
levels), and the alpha of 32-bit BMPs without an alpha mask (TensorFlow takes the 4th byte as
alpha; Pillow, as the BMP format says, ignores it and ``"rgba"`` gives alpha 255).

Example::

    >>> image = load_image("flowers/roses/1.jpg", "rgb")    # doctest: +SKIP
    >>> image.shape, image.dtype                             # doctest: +SKIP
    ((240, 320, 3), dtype('uint8'))
"""
import struct

import numpy as np
from PIL import Image, UnidentifiedImageError

try:
    import simplejpeg
except ImportError:             # optional speed-and-parity path; Pillow decodes JPEGs without it
    simplejpeg = None

CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
# libpng's rgb-to-gray coefficients as TensorFlow sets them, in units of 1/32768.
GRAY_WEIGHTS = (9797, 19234, 3737)


def rgb_to_gray(rgb):
    """``Y = (9797·R + 19234·G + 3737·B) >> 15``: libpng's integer luma (TensorFlow's PNG
    grayscale). rgb: (H, W, 3) uint8 -> (H, W) uint8; a grey pixel (R = G = B) keeps its value."""
    r, g, b = (rgb[..., k].astype(np.uint32) for k in range(3))
    red, green, blue = GRAY_WEIGHTS
    return ((red * r + green * g + blue * b) >> 15).astype(np.uint8)


def _decode(image, color_mode):
    """Pixels of an opened Pillow image in ``color_mode``: (H, W, C) uint8."""
    if image.format == "JPEG" and color_mode == "grayscale":
        image.draft("L", image.size)            # the decoder's own luma, as libjpeg gives TF
    image.load()
    if image.mode.startswith("I;16") or image.mode == "I":     # 16-bit grey PNG: the high byte
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).astype(np.uint8))
    if color_mode == "rgba":
        return np.asarray(image.convert("RGBA"))
    if image.mode in ("L", "LA", "1"):          # grey already: no weights involved
        gray = np.asarray(image.convert("L"))
        pixels = gray[..., None] if color_mode == "grayscale" else np.repeat(gray[..., None], 3, -1)
    else:
        rgb = np.asarray(image.convert("RGB"))
        pixels = rgb_to_gray(rgb)[..., None] if color_mode == "grayscale" else rgb
    transparency = image.info.get("transparency")
    if image.format == "GIF" and image.mode in ("P", "L") and isinstance(transparency, int):
        pixels = np.where((np.asarray(image) == transparency)[..., None], 0, pixels)  # TF: black
    return pixels


JPEG_START = b"\xff\xd8\xff"        # start-of-image marker, then the first segment's marker
JPEG_COLORSPACES = {"grayscale": "GRAY", "rgb": "RGB", "rgba": "RGBA"}


def decode_jpeg_fast(data, color_mode):
    """The JPEG bytes ``data`` as TensorFlow's default ``decode_jpeg`` gives them: (H, W, C) uint8
    from libjpeg-turbo's fast integer IDCT with fancy upsampling; None when ``simplejpeg`` is not
    installed or cannot decode ``data`` (the caller then decodes with Pillow, which also reports
    damaged files)."""
    if simplejpeg is None:
        return None
    try:
        pixels = simplejpeg.decode_jpeg(data, colorspace=JPEG_COLORSPACES[color_mode],
                                        fastdct=True, fastupsample=False)
    except ValueError:          # unsupported or damaged: Pillow decides
        return None
    return pixels.reshape(pixels.shape[0], pixels.shape[1], -1)


def load_image(path, color_mode="rgb"):
    """Decode the image file ``path`` (JPEG, PNG, BMP, GIF: its first frame) into a uint8 array
    of shape (H, W, C), C = 1, 3 or 4 for ``color_mode`` "grayscale", "rgb" or "rgba".

    A file that is not an image, or is truncated or corrupt, raises ValueError naming it (Keras
    fails on it at the same moment, when a batch reaches it, with TensorFlow's
    InvalidArgumentError "Unknown image file format", which does not name the file).
    """
    if color_mode not in CHANNELS:
        raise ValueError(f"color_mode: expected one of {sorted(CHANNELS)}, received {color_mode!r}")
    try:
        pixels = None
        with open(path, "rb") as file:         # a JPEG is read whole; other files only peeked at
            if simplejpeg is not None and file.read(len(JPEG_START)) == JPEG_START:
                pixels = decode_jpeg_fast(JPEG_START + file.read(), color_mode)
        if pixels is None:
            with Image.open(path) as image:
                pixels = _decode(image, color_mode)
    except (UnidentifiedImageError, OSError, EOFError, SyntaxError, ValueError,
            struct.error) as error:
        raise ValueError(f"could not decode the image file {str(path)!r} (expected a readable "
                         f"JPEG, PNG, BMP or GIF image): {error}") from error
    return np.ascontiguousarray(pixels, dtype=np.uint8)
