"""Utilities with ``keras.utils``'s names: datasets of batches (``Dataset``), and image folders
as datasets (``image_dataset_from_directory``) with tf.data's chainable methods (``Pipeline``:
take, cache, shuffle, prefetch, batch, unbatch, map).

Example::

    >>> from scratch.utils import image_dataset_from_directory, AUTOTUNE
    >>> train = image_dataset_from_directory("flowers", seed=1)        # doctest: +SKIP
    >>> train = train.cache().prefetch(AUTOTUNE)                        # doctest: +SKIP
"""
from scratch.utils.dataset import Dataset
from scratch.utils.image_dataset import ImageDataset, image_dataset_from_directory
from scratch.utils.pipeline import AUTOTUNE, Pipeline

__all__ = ["AUTOTUNE", "Dataset", "ImageDataset", "Pipeline", "image_dataset_from_directory"]
