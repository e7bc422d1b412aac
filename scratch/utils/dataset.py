"""``Dataset``: what ``fit``, ``evaluate`` and ``predict`` accept in place of arrays — an iterable
of batches, as a ``tf.data.Dataset`` of ``(images, labels)`` batches is for Keras.

A subclass yields ``(x_batch, y_batch)`` pairs (NumPy arrays, batch axis first; ``y_batch`` may
be None for unlabelled data) from ``__iter__`` — a new pass, in a new order if it shuffles, each
time it is iterated — and says how many batches a pass holds with ``__len__``.

Example::

    >>> class Batches(Dataset):                        # doctest: +SKIP
    ...     def __iter__(self):
    ...         yield x[:32], y[:32]
    ...     def __len__(self):
    ...         return 1
"""


class Dataset:
    """Base class of the kit's datasets: iterate for ``(x_batch, y_batch)`` pairs; ``len()`` is
    the number of batches in one pass."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError
