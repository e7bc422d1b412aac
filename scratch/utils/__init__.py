"""Utilities with ``keras.utils``'s names: datasets of batches (``Dataset``)."""
from scratch.utils.dataset import Dataset

__all__ = ["Dataset"]
