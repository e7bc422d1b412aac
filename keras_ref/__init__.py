"""Everything that touches Keras, kept out of ``scratch``:

* :mod:`keras_ref.bridge`: ``to_keras(model)`` / ``from_keras(keras_model)`` build the same
  architecture on the other stack with the same layer names and weights (``supported_layers()``
  lists the layers it maps);
* :mod:`keras_ref.seed_models`: the tutorials' seed MLP and seed CNN, defined once and built on
  either stack (``build("scratch" | "keras", "mlp" | "cnn")``, ``seed_mlp()``, ``seed_cnn()``).

Only this package, the parity tests, the lessons and the benchmarks import Keras/TensorFlow;
``scratch`` itself never does. Importing ``keras_ref`` alone loads neither: the bridge (and so
Keras) is imported on first use of ``keras_ref.to_keras`` / ``from_keras`` / ``supported_layers``,
so that ``keras_ref.seed_models`` serves a scratch-only process without TensorFlow.
"""
_BRIDGE_NAMES = ("from_keras", "supported_layers", "to_keras")

__all__ = list(_BRIDGE_NAMES)


def __getattr__(name):
    if name in _BRIDGE_NAMES:
        from keras_ref import bridge
        return getattr(bridge, name)
    raise AttributeError(f"module 'keras_ref' has no attribute {name!r}")
