"""Layer classes with Keras's names and constructor arguments."""
from scratch.layers.activation import Activation, ReLU, Softmax
from scratch.layers.base import Input, Layer
from scratch.layers.core import Dense, Flatten

__all__ = ["Activation", "Dense", "Flatten", "Input", "Layer", "ReLU", "Softmax"]
