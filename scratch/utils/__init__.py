"""Utilities with ``keras.utils``'s names: ``to_categorical``, ``plot_model`` (Matplotlib, no
Graphviz), ``set_random_seed``, ``clear_session``; datasets of batches (``Dataset``), and image
folders as datasets (``image_dataset_from_directory``) with tf.data's chainable methods
(``Pipeline``: take, cache, shuffle, prefetch, batch, unbatch, map).

Example::

    >>> from scratch.utils import to_categorical
    >>> to_categorical([1, 0]).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    >>> from scratch.utils import image_dataset_from_directory, AUTOTUNE
    >>> train = image_dataset_from_directory("flowers", seed=1)        # doctest: +SKIP
    >>> train = train.cache().prefetch(AUTOTUNE)                        # doctest: +SKIP
"""
from scratch.backend import clear_session, set_random_seed
from scratch.utils.dataset import Dataset
from scratch.utils.image_dataset import ImageDataset, image_dataset_from_directory
from scratch.utils.model_plot import plot_model
from scratch.utils.numerical import to_categorical
from scratch.utils.pipeline import AUTOTUNE, Pipeline

__all__ = ["AUTOTUNE", "Dataset", "ImageDataset", "Pipeline", "clear_session", "image_dataset_from_directory",
           "plot_model", "set_random_seed", "to_categorical"]
