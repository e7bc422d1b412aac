"""``Dropout``: inverted dropout, active in training only (``fit``), identity in ``predict``/``evaluate``."""
import numbers

import numpy as np

from scratch import backend
from scratch.layers.base import Layer
from scratch.layers.input_checks import as_float_input


class Dropout(Layer):
    """Keras's ``Dropout(rate, noise_shape=None, seed=None)``.

    Training (``forward(x, training=True)``, as inside ``fit``): each element is kept with
    probability ``1 − rate`` and kept elements are multiplied by ``float32(1 / (1 − rate))``
    (inverted dropout, so the expected output equals the input), exactly as TensorFlow computes
    it: ``y = where(keep, x · scale, 0)``. Inference (``training=False``: ``predict``,
    ``evaluate``, validation, a plain ``layer(x)``): identity.

    ``rate`` must lie in ``[0, 1)``. Keras also accepts ``rate=1.0`` (every unit dropped, and the
    ``1/(1 − rate)`` scale divides by zero): a layer that passes nothing on trains nothing, so
    this kit refuses it with a ``ValueError``.

    The keep mask is drawn from ``scratch.backend.rng()`` (seeded by ``scratch.set_random_seed``)
    when ``seed=None``, or from this layer's own ``np.random.default_rng(seed)`` when a seed is
    given; ``noise_shape`` (``None`` entries = the input's size, 1 = shared along that axis)
    broadcasts one mask over axes, as in Keras. TensorFlow's masks come from its own generator
    and cannot be reproduced in NumPy: to compare with Keras, set ``mask_fn`` (a callable
    ``shape -> boolean keep mask``) and hand the same masks to the Keras side. After a training
    forward, ``mask`` holds the keep mask that was used.

    Example::

        >>> import numpy as np
        >>> layer = Dropout(0.5, seed=0)
        >>> y = layer(np.ones((2, 4), np.float32), training=True)
        >>> sorted(set(y.ravel().tolist()))          # dropped, or scaled by 1/(1 − 0.5)
        [0.0, 2.0]
        >>> layer(np.ones((1, 4), np.float32)).tolist()  # inference: identity
        [[1.0, 1.0, 1.0, 1.0]]
    """

    built_at_init = True   # no weights: built on construction, as in Keras
    elementwise = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        # Every check comes before Layer.__init__, so a refused layer consumes no name.
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
            raise TypeError(f"rate: expected a float in [0, 1), received {rate!r}")
        if not 0 <= rate < 1:
            note = (" (Keras accepts 1.0, but it drops every unit and its 1/(1 - rate) scaling divides "
                    "by zero: nothing would pass or train)") if rate == 1 else ""
            raise ValueError(f"rate: expected a float in [0, 1), received {rate!r}{note}")
        noise_shape = _check_noise_shape(noise_shape)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"seed: expected None or a non-negative int, received {seed!r}")
        if seed is not None and seed < 0:
            raise ValueError(f"seed: expected None or a non-negative int, received {seed!r}")
        super().__init__(**kwargs)
        self.rate = rate  # kept as given: TF computes 1/(1 − rate) in the rate's own precision
        self.scale = np.float32(1 / (1 - rate))
        self.noise_shape = noise_shape
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(seed)
        self.mask_fn = None
        self.mask = None

    def validate_input_shape(self, input_shape):
        if self.noise_shape is None:
            return
        if len(self.noise_shape) != len(input_shape):
            raise ValueError(
                f"noise_shape: {self.name} expected {len(input_shape)} entries, one per axis of its "
                f"input {tuple(input_shape)}, received noise_shape={self.noise_shape}")
        self.mask_shape(input_shape)  # entries that neither match nor broadcast are refused now

    def generator(self):
        """The NumPy ``Generator`` the next mask comes from (the layer's own one when seeded)."""
        return self._generator if self._generator is not None else backend.rng()

    def mask_shape(self, x_shape):
        """The keep mask's shape for an input of ``x_shape``: ``noise_shape`` with ``None`` filled in."""
        if self.noise_shape is None:
            return tuple(x_shape)
        shape = tuple(n if d is None else d for d, n in zip(self.noise_shape, x_shape))
        if any(n is not None and d not in (1, n) for d, n in zip(shape, x_shape)):
            raise ValueError(
                f"noise_shape: {self.name} expected each entry to be None, 1 or the input's size "
                f"(input shape {tuple(x_shape)}), received noise_shape={self.noise_shape}")
        return shape

    def draw_random(self, input_shape):
        """The keep mask for a training forward on an input of ``input_shape`` (None at rate 0):
        from ``mask_fn`` when set, else TensorFlow's rule, keep where a uniform [0, 1) draw is
        >= rate."""
        if self.rate == 0:
            return None
        shape = self.mask_shape(input_shape)
        if self.mask_fn is None:
            return self.generator().random(shape, dtype=np.float32) >= np.float32(self.rate)
        mask = np.asarray(self.mask_fn(shape))
        if mask.shape != shape or mask.dtype != bool:
            raise ValueError(f"mask_fn: expected a boolean mask of shape {shape}, received "
                             f"{mask.dtype} of shape {mask.shape}")
        return mask

    def forward(self, x, training=False):
        x = as_float_input(x)
        if not training or self.rate == 0:
            self.mask = None
            return x
        mask, self.preset_random = self.preset_random, None
        self.mask = self.draw_random(x.shape) if mask is None else mask
        return backend.ops.dropout_forward(x, self.mask, self.scale)

    def backward(self, grad_output):
        if self.mask is None:
            return grad_output
        return backend.ops.dropout_backward(grad_output, self.mask, self.scale)


def _check_noise_shape(noise_shape):
    if noise_shape is None:
        return None
    if isinstance(noise_shape, (str, bytes)) or not hasattr(noise_shape, "__iter__"):
        raise ValueError(f"noise_shape: expected None or a tuple of ints/None, received {noise_shape!r}")
    noise_shape = tuple(noise_shape)
    for d in noise_shape:
        if d is None:
            continue
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise ValueError(f"noise_shape: expected None or a tuple of ints/None, received {noise_shape!r}")
        if d <= 0:
            raise ValueError(f"noise_shape: expected positive ints or None, received {noise_shape!r}")
    return tuple(None if d is None else int(d) for d in noise_shape)
