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

_MISSING = {name: "" for name in (
    "LSTM", "GRU", "SimpleRNN", "Bidirectional", "TimeDistributed", "Embedding",
    "Conv2DTranspose", "SeparableConv2D", "DepthwiseConv2D", "MaxPooling1D", "AveragePooling1D",
    "GlobalAveragePooling1D", "MultiHeadAttention", "Attention", "Concatenate", "Add", "Multiply",
    "Permute", "RepeatVector", "Lambda", "ZeroPadding2D", "UpSampling2D", "Cropping2D",
    "SpatialDropout2D", "GaussianNoise", "PReLU", "ELU", "TextVectorization", "Normalization",
    "Resizing", "CenterCrop", "RandomCrop", "RandomBrightness")}
_MISSING.update({
    "BatchNormalization": "no normalization layer is implemented; Rescaling scales inputs",
    "LayerNormalization": "no normalization layer is implemented; Rescaling scales inputs",
    "GroupNormalization": "no normalization layer is implemented; Rescaling scales inputs",
    "Reshape": "Flatten is the one reshaping layer",
    "LeakyReLU": "use ReLU(negative_slope=...)",
    "Conv1D": "Conv2D is the one convolution layer",
    "Conv3D": "Conv2D is the one convolution layer",
})


def __getattr__(name):
    from scratch import _missing_feature
    raise _missing_feature("scratch.layers", name, _MISSING,
                          f"the layers implemented are {', '.join(sorted(__all__))}")
