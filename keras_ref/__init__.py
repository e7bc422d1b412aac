"""Everything that touches Keras: the ``to_keras``/``from_keras`` bridge and the seed models.

Only this package, the parity tests, the lessons and the benchmarks import Keras/TensorFlow;
``scratch`` itself never does.
"""
from keras_ref.bridge import from_keras, supported_layers, to_keras

__all__ = ["from_keras", "supported_layers", "to_keras"]
