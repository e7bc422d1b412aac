"""Random image augmentation: ``RandomFlip``, ``RandomRotation``, ``RandomZoom``,
``RandomTranslation``, ``RandomContrast`` — Keras 3's layers of the same names (channels_last).

Each layer augments in training (``fit``) and when called without ``training`` (``layer(images)``
or ``data_augmentation(images)``, to look at augmented images, as in Keras); it is the identity
with ``training=False`` (``predict``, ``evaluate``). Each training forward draws one set of random numbers per image
(:meth:`~scratch.layers.base.Layer.draw_random`: an array with one row per image, kept in
``layer.draws`` afterwards) and turns them into the images' changes:

============================  ======================================  ==========================
layer                          draws, one row per image                 the maths
============================  ======================================  ==========================
``RandomFlip``                 (B, 1) bool: flip this image?            slicing (``x[:, :, ::-1]``)
``RandomRotation``             (B, 1) angle in degrees                  ``ops.affine_transform``
``RandomZoom``                 (B, 2) zoom (height, width)              ``ops.affine_transform``
``RandomTranslation``          (B, 2) shift (height, width) as a        ``ops.affine_transform``
                               fraction of the image's size
``RandomContrast``             (B, 1) contrast factor                   ``ops.adjust_contrast_forward``
============================  ======================================  ==========================

Rotation, zoom and translation build each image's transform — 8 numbers mapping an OUTPUT pixel
to the INPUT point it reads, Keras's convention — with :func:`rotation_transforms`,
:func:`zoom_transforms` and :func:`translation_transforms`, in float32 and in the order Keras's
layers compute them, then resample with ``backend.ops.affine_transform`` (read
``scratch/ops/reference.py`` for the sampling and the fill modes).

The draws come from ``scratch.backend.rng()`` (seeded by ``scratch.set_random_seed``), or from
the layer's own ``np.random.default_rng(seed)`` when ``seed`` is given. TensorFlow's draws come
from its own generator and cannot be reproduced: set ``layer.preset_random`` to chosen draws
(e.g. those Keras's ``get_random_transformation`` made) and the next training forward uses them.

Input: a batch ``(batch, height, width, channels)``, or one image ``(height, width, channels)``
when the layer is called directly, as Keras takes it. No weights. Backward: in a model these
layers come before any weights, where ``fit`` never backpropagates; flips and contrast pass the
exact gradient all the same, rotation, zoom and translation raise a ``NotImplementedError``
(at inference, when the layer was the identity, every one passes the gradient through).

Departures from Keras 3.15.1, each deliberate:

- ``RandomFlip`` refuses an unknown ``mode`` (Keras accepts any string and then flips nothing).
- Factors: Keras refuses NumPy float32 scalars and takes ``True`` as 1 and NaN as valid; here any
  real number (NumPy's included) is a factor, bools are refused (``TypeError``), and so is NaN.
  An unknown ``fill_mode``/``interpolation`` is a ``ValueError`` (Keras: ``NotImplementedError``);
  a non-number ``fill_value`` is a ``TypeError`` (Keras takes anything until the first call).
- uint8 input gives float32 output in every mode (Keras's RandomContrast keeps uint8 at inference
  and fails on it in training).
"""
import math
import numbers

import numpy as np

from scratch import backend
from scratch.layers.base import Layer
from scratch.layers.input_checks import as_float_input, check_data_format, check_image_input

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")
FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")
F32 = np.float32


# ----------------------------------------------------------------------------- transforms
def rotation_transforms(angles, height, width):
    """Keras's rotation matrices (``_compute_affine_matrix`` with no shear, scale 1, about the
    image's centre): for an angle θ in degrees (positive = counter-clockwise) and centre
    ``(cx, cy) = ((W − 1)/2, (H − 1)/2)``, output pixel (x, y) reads the input at::

        x_in = cos θ·x − sin θ·y + (cx − cx·cos θ + cy·sin θ)
        y_in = sin θ·x + cos θ·y + (cy − cx·sin θ − cy·cos θ)

    angles: (B,) or (B, 1) degrees -> (B, 8) float32 transforms.
    """
    theta = np.asarray(angles, F32).reshape(-1) * F32(math.pi / 180.0)
    cos, sin = np.cos(theta), np.sin(theta)
    cx, cy = F32(0.5) * F32(width - 1), F32(0.5) * F32(height - 1)
    zero = np.zeros_like(cos)
    return np.stack([cos, -sin, cx - cx * cos - cy * -sin,
                     sin, cos, cy - cx * sin - cy * cos, zero, zero], axis=1)


def zoom_transforms(zooms, height, width):
    """Keras's zoom matrices: zoom ``(zy, zx)`` about the image's centre, ``x_in = zx·x +
    (W − 1)/2·(1 − zx)`` (likewise y). A zoom above 1 reads a larger region: the image shrinks
    (zoom out); below 1 it grows (zoom in).

    zooms: (B, 2) as (height zoom, width zoom) -> (B, 8) float32 transforms.
    """
    zooms = np.asarray(zooms, F32).reshape(-1, 2)
    zy, zx = zooms[:, 0], zooms[:, 1]
    x_offset = (F32(width) - F32(1)) / F32(2) * (F32(1) - zx)
    y_offset = (F32(height) - F32(1)) / F32(2) * (F32(1) - zy)
    zero = np.zeros_like(zx)
    return np.stack([zx, zero, x_offset, zero, zy, y_offset, zero, zero], axis=1)


def translation_transforms(shifts, height, width):
    """Keras's translation matrices: a shift of ``(dy, dx)`` fractions of the image's size moves
    the content ``dy·H`` pixels down and ``dx·W`` right: ``x_in = x − dx·W``, ``y_in = y − dy·H``.

    shifts: (B, 2) as (height fraction, width fraction) -> (B, 8) float32 transforms.
    """
    shifts = np.asarray(shifts, F32).reshape(-1, 2)
    dy, dx = shifts[:, 0] * F32(height), shifts[:, 1] * F32(width)
    one, zero = np.ones_like(dx), np.zeros_like(dx)
    return np.stack([one, zero, -dx, zero, one, -dy, zero, zero], axis=1)


def uniform(generator, size, low, high):
    """``size`` float32 draws in [low, high): ``u·(high − low) + low``, u uniform in [0, 1), in
    float32 as TensorFlow's ``random.uniform`` computes it."""
    low, high = F32(low), F32(high)
    return generator.random(size, dtype=F32) * (high - low) + low


# ----------------------------------------------------------------------------- the shared base
class RandomImageLayer(Layer):
    """What the five layers share: the seed, the input checks, the training/inference switch and
    the ``draw_random``/``preset_random`` protocol. A subclass sets ``DRAW_WIDTH`` (numbers per
    image) and fills in :meth:`draw` and :meth:`augment`."""

    DRAW_WIDTH = 1

    def __init__(self, seed=None, data_format=None, **kwargs):
        # Subclasses check their own arguments before calling this: a refused layer consumes no name.
        _check_seed(seed)
        check_data_format(data_format)
        super().__init__(**kwargs)
        self.seed = seed
        self.data_format = "channels_last"
        self._generator = None if seed is None else np.random.default_rng(seed)
        self.draws = None   # the draws of the last training forward (None after an inference one)

    def generator(self):
        """The NumPy ``Generator`` the next draws come from (the layer's own one when seeded)."""
        return self._generator if self._generator is not None else backend.rng()

    def validate_input_shape(self, input_shape):
        check_image_input(self.name, input_shape)

    def __call__(self, x, training=None):
        """On a batch (B, H, W, C), or on one image (H, W, C) as Keras takes it. Called directly,
        without ``training`` (or inside a model called so), the layer augments, as Keras's do:
        ``data_augmentation(images)`` shows augmented images; ``predict`` passes ``training=False``."""
        x = np.asarray(x)
        if x.ndim == 3:
            return super().__call__(x[None], training=training)[0]
        if x.ndim != 4:
            hint = (" — a grayscale image needs a channel axis: x[..., None]" if x.ndim == 2 else "")
            raise ValueError(f"images: {self.name} expected a batch (batch, height, width, channels) or one "
                             f"image (height, width, channels), received shape {x.shape}{hint}")
        return super().__call__(x, training=training)

    def draw_random(self, input_shape):
        """The per-image draws for a training forward on ``input_shape``: (B, DRAW_WIDTH)."""
        return self.draw(int(input_shape[0]), self.generator())

    def forward(self, x, training=None):
        x = as_float_input(x)
        if training is False:   # None (not given) augments, as Keras's preprocessing layers
            self.draws = None
            return x
        draws, self.preset_random = self.preset_random, None
        self.draws = self.draw_random(x.shape) if draws is None else self._check_preset(draws, len(x))
        return self.augment(x, self.draws)

    def _check_preset(self, draws, batch):
        draws = np.asarray(draws)
        if draws.ndim != 2 or draws.shape[1] != self.DRAW_WIDTH or draws.shape[0] not in (1, batch):
            raise ValueError(f"preset_random: {self.name} expected draws of shape ({batch}, {self.DRAW_WIDTH}) "
                             f"(one row per image), received shape {draws.shape}")
        return np.broadcast_to(draws, (batch, self.DRAW_WIDTH))

    def backward(self, grad_output):
        if self.draws is None:      # the last forward was the identity
            return grad_output
        return self.augment_backward(grad_output, self.draws)

    def augment_backward(self, grad_output, draws):
        raise NotImplementedError(
            f"{self.name}: {type(self).__name__} passes no gradient back from a training forward. "
            "Augmentation layers go before any weights, where fit never backpropagates (it stops at "
            "the first layer with weights); put this layer first in the model")

    def draw(self, batch, generator):
        raise NotImplementedError

    def augment(self, x, draws):
        raise NotImplementedError


class _AffineLayer(RandomImageLayer):
    """Rotation, zoom and translation: draws -> transforms -> ``ops.affine_transform``."""

    def __init__(self, fill_mode, interpolation, fill_value, seed, **kwargs):
        _check_choice(fill_mode, "fill_mode", FILL_MODES)
        _check_choice(interpolation, "interpolation", INTERPOLATIONS)
        if isinstance(fill_value, (bool, np.bool_)) or not isinstance(fill_value, numbers.Real):
            raise TypeError(f"fill_value: expected a number, received {fill_value!r}")
        super().__init__(seed=seed, **kwargs)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = float(fill_value)

    def transforms(self, draws, height, width):
        raise NotImplementedError

    def augment(self, x, draws):
        transforms = self.transforms(draws, x.shape[1], x.shape[2])
        return backend.ops.affine_transform(x, transforms, self.interpolation, self.fill_mode, self.fill_value)


# ----------------------------------------------------------------------------- the layers
class RandomFlip(RandomImageLayer):
    """Keras's ``RandomFlip(mode="horizontal_and_vertical", seed=None)``.

    Each image is flipped with probability 1/2 (a uniform [0, 1) draw <= 0.5, Keras's rule):
    ``"horizontal"`` left-right, ``"vertical"`` top-bottom. In ``"horizontal_and_vertical"`` mode
    Keras 3.15.1 uses ONE draw for both axes, so an image is either unchanged or flipped both ways
    (turned by 180°) — never flipped along one axis only; this layer does the same. Draws: (B, 1)
    bool. Backward: the gradient flipped back (a flip is its own inverse).

    Example::

        >>> import numpy as np
        >>> layer = RandomFlip("horizontal")
        >>> layer.preset_random = np.array([[True]])
        >>> layer(np.arange(3.0).reshape(1, 1, 3, 1), training=True).ravel().tolist()
        [2.0, 1.0, 0.0]
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        _check_choice(mode, "mode", FLIP_MODES)
        super().__init__(seed=seed, **kwargs)
        self.mode = mode

    def draw(self, batch, generator):
        return generator.random((batch, 1), dtype=F32) <= F32(0.5)

    def flip(self, x):
        """``x`` flipped along this layer's axes (every image)."""
        if self.mode == "horizontal":
            return x[:, :, ::-1]
        if self.mode == "vertical":
            return x[:, ::-1]
        return x[:, ::-1, ::-1]

    def augment(self, x, draws):
        return np.where(np.asarray(draws, bool).reshape(-1, 1, 1, 1), self.flip(x), x)

    def augment_backward(self, grad_output, draws):
        return self.augment(grad_output, draws)


class RandomRotation(_AffineLayer):
    """Keras's ``RandomRotation(factor, fill_mode="reflect", interpolation="bilinear", seed=None,
    fill_value=0.0)``: each image turned about its centre by a random angle.

    ``factor`` is a fraction of a full turn (2π): a number ``f`` means angles in
    ``[−|f|·360°, |f|·360°]`` (``f`` in [-1, 1]); a pair ``(a, b)`` means ``[min·360°, max·360°]``
    (Keras's rule: valid when ``a <= 1`` and ``b >= -1``, so ``(0.5, 2.0)`` is two turns);
    ``None`` means no rotation, as in Keras. Positive angles turn counter-clockwise. Draws: (B, 1)
    angles in degrees. ``fill_mode`` says what the corners the image left show (see
    ``ops.affine_transform``), ``fill_value`` is their value under ``"constant"``.

    Example::

        >>> import numpy as np
        >>> layer = RandomRotation(0.25, interpolation="nearest")
        >>> layer.preset_random = np.array([[90.0]])                       # a quarter turn
        >>> image = np.array([[0, 1], [0, 0]], np.float32)[None, :, :, None]    # top-right lit
        >>> layer(image, training=True)[0, :, :, 0]                         # now top-left
        array([[1., 0.],
               [0., 0.]], dtype=float32)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 **kwargs):
        lower, upper = _base_factor(0.0 if factor is None else factor, "factor", (-1, 1),
                                    "fractions of a full turn")
        super().__init__(fill_mode, interpolation, fill_value, seed, **kwargs)
        self.factor = factor
        self.lower, self.upper = lower, upper   # of the angle, in turns

    def draw(self, batch, generator):
        return uniform(generator, (batch, 1), self.lower * 360.0, self.upper * 360.0)

    def transforms(self, draws, height, width):
        return rotation_transforms(draws[:, 0], height, width)


class RandomZoom(_AffineLayer):
    """Keras's ``RandomZoom(height_factor, width_factor=None, fill_mode="reflect",
    interpolation="bilinear", seed=None, fill_value=0.0)``: each image zoomed about its centre.

    A factor ``f`` means zooms ``1 + [−|f|, |f|]``; a pair ``(a, b)`` means ``1 + [min, max]``.
    Every number must lie in (-1, 1] (Keras's rule; a zoom of 0 would read one point). A zoom
    above 1 (positive factor) zooms OUT — the image shrinks, ``fill_mode`` fills the border — and
    below 1 zooms in. ``width_factor=None``: the width zooms by the height's drawn zoom (aspect
    ratio kept). Draws: (B, 2) zooms (height, width).

    Example::

        >>> import numpy as np
        >>> layer = RandomZoom(0.5, interpolation="nearest", fill_mode="constant")
        >>> layer.preset_random = np.array([[1.0, 2.0]])          # height kept, width zoomed out 2x
        >>> layer(np.arange(1.0, 6.0).reshape(1, 1, 5, 1), training=True).ravel().tolist()
        [0.0, 1.0, 3.0, 5.0, 0.0]
    """

    DRAW_WIDTH = 2

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, **kwargs):
        check = lambda f, name: _elementwise_factor(f, name, lambda v: -1 < v <= 1, "(-1, 1]")  # noqa: E731
        height = check(height_factor, "height_factor")
        width = None if width_factor is None else check(width_factor, "width_factor")
        super().__init__(fill_mode, interpolation, fill_value, seed, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_lower, self.height_upper = height
        self.width_lower, self.width_upper = height if width is None else width

    def draw(self, batch, generator):
        height = uniform(generator, batch, 1.0 + self.height_lower, 1.0 + self.height_upper)
        width = (height if self.width_factor is None
                 else uniform(generator, batch, 1.0 + self.width_lower, 1.0 + self.width_upper))
        return np.stack([height, width], axis=1)

    def transforms(self, draws, height, width):
        return zoom_transforms(draws, height, width)


class RandomTranslation(_AffineLayer):
    """Keras's ``RandomTranslation(height_factor, width_factor, fill_mode="reflect",
    interpolation="bilinear", seed=None, fill_value=0.0)``: each image shifted.

    Factors are fractions of the image's height/width: a number ``f`` means shifts in
    ``[−|f|, |f|]``, a pair ``(a, b)`` means ``[min, max]``; every number in [-1, 1] (Keras's
    rule). A positive shift moves the content down (height) or right (width), by ``shift·H``
    (or ``·W``) pixels, fractions of a pixel interpolated. Draws: (B, 2) shifts (height, width)
    as fractions.

    Example::

        >>> import numpy as np
        >>> layer = RandomTranslation(0.0, 0.5, fill_mode="constant", fill_value=-1.0)
        >>> layer.preset_random = np.array([[0.0, 0.25]])         # a quarter of the width: 1 pixel
        >>> layer(np.arange(4.0).reshape(1, 1, 4, 1), training=True).ravel().tolist()
        [-1.0, 0.0, 1.0, 2.0]
    """

    DRAW_WIDTH = 2

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        check = lambda f, name: _elementwise_factor(f, name, lambda v: -1 <= v <= 1, "[-1, 1]")  # noqa: E731
        height, width = check(height_factor, "height_factor"), check(width_factor, "width_factor")
        super().__init__(fill_mode, interpolation, fill_value, seed, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_lower, self.height_upper = height
        self.width_lower, self.width_upper = width

    def draw(self, batch, generator):
        height = uniform(generator, batch, self.height_lower, self.height_upper)
        width = uniform(generator, batch, self.width_lower, self.width_upper)
        return np.stack([height, width], axis=1)

    def transforms(self, draws, height, width):
        return translation_transforms(draws, height, width)


class RandomContrast(RandomImageLayer):
    """Keras's ``RandomContrast(factor, value_range=(0, 255), seed=None)``.

    Per image and channel: ``y = clip((x − mean)·c + mean, *value_range)``, ``mean`` the
    channel's mean over the image, ``c`` the image's random contrast factor (one per image, all
    its channels). Keras 3.15.1's factor convention, checked against it:

    - a number ``f`` in [0, 1] gives ``c`` in ``[1, 1 + f]`` — contrast only ever RAISED (Keras
      stores it as ``(lower, upper) = (0, f)`` and draws in ``[1 − lower, 1 + upper]``);
    - a pair ``(a, b)``, sorted to ``lower <= upper``, gives ``c`` in ``[1 − lower, 1 + upper]``:
      ``(0.2, 0.5)`` -> [0.8, 1.5]; valid when ``a <= 1`` and ``b >= 0`` (Keras's rule).

    The output is clipped to ``value_range`` (Keras's default ``(0, 255)``: pass ``(0, 1)`` for
    images scaled to [0, 1], and mind that values below 0 are clipped). Draws: (B, 1) factors.
    Backward: exact (``ops.adjust_contrast_backward``).

    Example::

        >>> import numpy as np
        >>> layer = RandomContrast(0.5)
        >>> layer.preset_random = np.array([[1.5]])
        >>> layer(np.array([[[[100.0], [200.0]]]]), training=True).ravel().tolist()   # mean 150
        [75.0, 225.0]
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        lower, upper = _base_factor(factor, "factor", (0, 1), "contrast changes")
        value_range = _check_value_range(value_range)
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        self.lower, self.upper = lower, upper
        self.value_range = value_range
        self._x = None

    def draw(self, batch, generator):
        return uniform(generator, (batch, 1), 1.0 - self.lower, 1.0 + self.upper)

    def augment(self, x, draws):
        self._x = x
        return backend.ops.adjust_contrast_forward(x, draws[:, 0], self.value_range)

    def augment_backward(self, grad_output, draws):
        return backend.ops.adjust_contrast_backward(grad_output, self._x, draws[:, 0], self.value_range)


# ----------------------------------------------------------------------------- argument checks
def _check_seed(seed):
    if seed is not None and (isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"seed: expected None or a non-negative int, received {seed!r}")
    if seed is not None and seed < 0:
        raise ValueError(f"seed: expected None or a non-negative int, received {seed!r}")


def _check_choice(value, argument, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{argument}: expected one of {list(choices)}, received {value!r}")


def _real(value, argument, expected):
    """``value`` as a float: a real, finite number (bools refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{argument}: expected {expected}, received {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{argument}: expected {expected}, received {value!r}")
    return float(value)


def _pair(factor, argument, expected):
    """A list/tuple factor as two floats (in the given order), or None for a single number."""
    if isinstance(factor, (list, tuple)):
        if len(factor) != 2:
            raise ValueError(f"{argument}: expected {expected}, received {factor!r} ({len(factor)} numbers)")
        return tuple(_real(v, argument, expected) for v in factor)
    if isinstance(factor, np.ndarray):
        raise ValueError(f"{argument}: expected {expected}, received an array; pass a tuple (lower, upper)")
    return None


def _base_factor(factor, argument, bounds, meaning):
    """Keras's ``BaseImagePreprocessingLayer._set_factor`` (RandomRotation, RandomContrast): a
    number in [lo, hi] means ``(max(−|f|, lo), |f|)``; a pair ``(a, b)`` is valid when ``a <= hi``
    and ``b >= lo`` (nothing else is checked) and means ``(min, max)``."""
    lo, hi = bounds
    expected = (f"a number in [{lo}, {hi}] or a pair (lower, upper) with lower <= {hi} and upper >= {lo} "
                f"({meaning})")
    pair = _pair(factor, argument, expected)
    if pair is not None:
        if pair[0] > hi or pair[1] < lo:
            raise ValueError(f"{argument}: expected {expected}, received {factor!r}")
        return tuple(sorted(pair))
    value = _real(factor, argument, expected)
    if not lo <= value <= hi:
        raise ValueError(f"{argument}: expected {expected}, received {factor!r}")
    return max(-abs(value), lo), abs(value)


def _elementwise_factor(factor, argument, valid, interval):
    """RandomZoom's and RandomTranslation's rule: a number ``f`` (itself in ``interval``) means
    ``(−|f|, |f|)``; a pair means ``(min, max)``, each of its numbers in ``interval``."""
    expected = f"a number in {interval} or a pair (lower, upper) of numbers in {interval}"
    pair = _pair(factor, argument, expected)
    values = pair if pair is not None else (_real(factor, argument, expected),)
    if not all(valid(v) for v in values):
        raise ValueError(f"{argument}: expected {expected}, received {factor!r}")
    return tuple(sorted(pair)) if pair is not None else (-abs(values[0]), abs(values[0]))


def _check_value_range(value_range):
    expected = "a pair (low, high) of finite numbers with low < high"
    pair = _pair(value_range, "value_range", expected)
    if pair is None:
        raise TypeError(f"value_range: expected {expected}, received {value_range!r}")
    if not pair[0] < pair[1]:
        raise ValueError(f"value_range: expected {expected}, received {value_range!r}")
    return pair
