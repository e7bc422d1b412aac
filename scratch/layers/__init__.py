"""Layer classes with Keras's names and constructor arguments, one family a file.

A layer holds its weights and configuration, checks its input, and calls ``backend.ops.<name>``
for the maths: read ``scratch/ops/reference.py`` under that name for the formula (the cpu
backend computes the same numbers faster, in ``scratch/engine/cpu.py``).
"""
from scratch.layers.activation import Activation, ReLU, Softmax
from scratch.layers.augmentation import (RandomContrast, RandomFlip, RandomRotation, RandomTranslation,
                                         RandomZoom)
from scratch.layers.base import Input, Layer
from scratch.layers.convolutional import Conv2D
from scratch.layers.core import Dense, Flatten
from scratch.layers.input_layer import InputLayer
from scratch.layers.pooling import AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D
from scratch.layers.preprocessing import Rescaling
from scratch.layers.regularization import Dropout

__all__ = ["Activation", "Conv2D", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "Layer", "MaxPooling2D",
           "ReLU", "Rescaling", "Softmax"]
__all__ += ["AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D"]
__all__ += ["RandomContrast", "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom"]
