"""``Pipeline``: a :class:`~scratch.utils.Dataset` with the ``tf.data.Dataset`` methods that
tutorials chain after loading data — ``take``, ``cache``, ``shuffle``, ``prefetch``, ``batch``,
``unbatch``, ``map`` — each returning a new dataset that wraps the one it is called on.

Elements are ``(x, y)`` pairs (``y`` is None for unlabelled data). A dataset is either batched
(``batch_size`` = samples per element, only the last element may hold fewer) or yields single
samples (``batch_size`` None). Every pass is a fresh iteration; nothing is read ahead.

Example::

    >>> train = image_dataset_from_directory("flowers", seed=1)     # doctest: +SKIP
    >>> train = train.cache().shuffle(1000).prefetch(AUTOTUNE)      # doctest: +SKIP
    >>> for images, labels in train.take(1):                        # doctest: +SKIP
    ...     print(images.shape, labels.shape)                       # (32, 256, 256, 3) (32,)
"""
import itertools
import math

import numpy as np

from scratch import backend
from scratch.utils.dataset import Dataset

AUTOTUNE = -1   # tf.data.AUTOTUNE's value: prefetch accepts it (and any size), reads nothing ahead


def _check_count(value, name, minimum):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, received {value!r}")
    return int(value)


def buffer_shuffle(elements, buffer_size, rng):
    """tf.data's shuffle: keep a buffer of ``buffer_size`` elements, and each time it is full emit
    one of them picked uniformly at random, its slot refilled by the next element; at the end,
    emit the rest in random order. ``buffer_size`` ≥ the number of elements is a full shuffle;
    1 keeps the order."""
    buffer = []

    def pick():
        i = int(rng.integers(len(buffer)))
        buffer[i], buffer[-1] = buffer[-1], buffer[i]
        return buffer.pop()

    for element in elements:
        buffer.append(element)
        if len(buffer) == buffer_size:
            yield pick()
    while buffer:
        yield pick()


class Pipeline(Dataset):
    """Base of the chainable datasets. A subclass defines ``__iter__`` (one pass of ``(x, y)``
    elements), ``__len__`` (elements per pass), ``batch_size`` and ``num_samples()``."""

    batch_size = None

    def num_samples(self):
        """Samples in one pass (elements times their batch size, the last one possibly partial)."""
        raise NotImplementedError

    def take(self, count):
        """The first ``count`` elements (batches, if batched) of each pass; -1 takes them all."""
        return Take(self, count)

    def cache(self):
        """Keep the elements of the first complete pass in memory (decoded images, say) and replay
        them on the later passes instead of recomputing them."""
        return Cache(self)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        """Shuffle the elements through a buffer of ``buffer_size`` (see :func:`buffer_shuffle`),
        in a new order each pass unless ``reshuffle_each_iteration=False``. A ``seed`` makes the
        sequence of orders repeat; without one it comes from the kit's generator
        (:func:`scratch.set_random_seed`)."""
        return Shuffle(self, buffer_size, seed, reshuffle_each_iteration)

    def prefetch(self, buffer_size):
        """Accepted for tf.data's API (``buffer_size`` an int, or AUTOTUNE); returns this dataset
        unchanged: elements are produced when the loop asks for them."""
        _check_count(buffer_size, "buffer_size", AUTOTUNE)
        return self

    def batch(self, batch_size, drop_remainder=False):
        """Group consecutive samples into batches of ``batch_size`` (stacked along a new first
        axis); the last batch is smaller unless ``drop_remainder``."""
        return Batch(self, batch_size, drop_remainder)

    def unbatch(self):
        """Split every batch into its samples."""
        return Unbatch(self)

    def map(self, function):
        """Apply ``function(x, y) -> (x, y)`` to every element (y is None for unlabelled data);
        it must keep the number of samples per element."""
        return Map(self, function)


class _Wrapper(Pipeline):
    """A dataset computed from ``parent``, with the same element count and batch size."""

    def __init__(self, parent):
        if not isinstance(parent, Pipeline):
            raise TypeError(f"dataset: expected a scratch.utils Pipeline, received "
                            f"{type(parent).__name__}")
        self.parent = parent
        self.batch_size = parent.batch_size

    def __len__(self):
        return len(self.parent)

    def num_samples(self):
        return self.parent.num_samples()


class Take(_Wrapper):
    def __init__(self, parent, count):
        super().__init__(parent)
        self.count = _check_count(count, "count", -1)

    def __iter__(self):
        return itertools.islice(self.parent, len(self))

    def __len__(self):
        return len(self.parent) if self.count == -1 else min(self.count, len(self.parent))

    def num_samples(self):
        if len(self) == len(self.parent):
            return self.parent.num_samples()
        return len(self) * (self.batch_size or 1)      # only the parent's last element is partial


class Cache(_Wrapper):
    def __init__(self, parent):
        super().__init__(parent)
        self.elements = None          # filled at the end of the first complete pass

    def __iter__(self):
        if self.elements is not None:
            yield from self.elements
            return
        seen = []
        for element in self.parent:
            seen.append(element)
            yield element
        self.elements = seen          # a pass stopped early leaves the cache empty, as tf.data


class Shuffle(_Wrapper):
    def __init__(self, parent, buffer_size, seed=None, reshuffle_each_iteration=True):
        super().__init__(parent)
        self.buffer_size = _check_count(buffer_size, "buffer_size", 1)
        if seed is None:
            seed = int(backend.rng().integers(2**31))
        self.seed = _check_count(seed, "seed", 0)
        self.reshuffle_each_iteration = bool(reshuffle_each_iteration)
        self._rng = np.random.default_rng(self.seed)     # draws the order of every pass

    def __iter__(self):
        rng = self._rng if self.reshuffle_each_iteration else np.random.default_rng(self.seed)
        return buffer_shuffle(self.parent, self.buffer_size, rng)


class Map(_Wrapper):
    def __init__(self, parent, function):
        super().__init__(parent)
        if not callable(function):
            raise TypeError(f"function: expected a callable (x, y) -> (x, y), received {function!r}")
        self.function = function

    def __iter__(self):
        for x, y in self.parent:
            yield self.function(x, y)


def stack(elements):
    """One batch from a list of ``(x, y)`` samples: x stacked along a new first axis, y too
    (or None when the samples have no labels)."""
    xs, ys = zip(*elements)
    return np.stack(xs), (None if ys[0] is None else np.stack(ys))


class Batch(_Wrapper):
    def __init__(self, parent, batch_size, drop_remainder=False):
        super().__init__(parent)
        if parent.batch_size is not None:
            raise ValueError(f"batch: the dataset is batched already (batch_size={parent.batch_size}); "
                             f"call unbatch() first")
        self.batch_size = _check_count(batch_size, "batch_size", 1)
        self.drop_remainder = bool(drop_remainder)

    def __iter__(self):
        samples = iter(self.parent)
        while True:
            chunk = list(itertools.islice(samples, self.batch_size))
            if not chunk or (self.drop_remainder and len(chunk) < self.batch_size):
                return
            yield stack(chunk)

    def __len__(self):
        count = self.parent.num_samples() / self.batch_size
        return math.floor(count) if self.drop_remainder else math.ceil(count)

    def num_samples(self):
        total = self.parent.num_samples()
        return total - total % self.batch_size if self.drop_remainder else total


class Unbatch(_Wrapper):
    def __init__(self, parent):
        super().__init__(parent)
        if parent.batch_size is None:
            raise ValueError("unbatch: the dataset yields single samples already (it is not batched)")
        self.batch_size = None

    def __iter__(self):
        for x, y in self.parent:
            for i in range(len(x)):
                yield x[i], (None if y is None else y[i])

    def __len__(self):
        return self.parent.num_samples()
