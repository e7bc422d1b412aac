"""The three CPU stacks the benchmarks compare, and what every worker needs from them.

* ``scratch``: this kit on its cpu backend (NumPy + Numba);
* ``keras-tensorflow``: Keras 3 on TensorFlow (the ``keras`` extra);
* ``keras-jax``: the same Keras on JAX (the ``bench`` extra: ``pip install -e '.[bench]'``).

Keras reads its backend from the ``KERAS_BACKEND`` environment variable when it is first
imported, so a worker process serves one stack only: :func:`load` sets the variable and then
imports. A stack's model is built from the same layer list (``keras_ref/seed_models.py``),
spelled alike in scratch and Keras.

Example::

    >>> library, versions = load("scratch")      # doctest: +SKIP
    >>> model = build_model(library, "mlp", width=256)   # doctest: +SKIP
"""
import os
import time

STACKS = ("scratch", "keras-tensorflow", "keras-jax")
KERAS_BACKENDS = {"keras-tensorflow": "tensorflow", "keras-jax": "jax"}


def load(stack):
    """Import the library of ``stack``: ``(module, versions)``, with ``module`` scratch or keras
    and ``versions`` the library versions that matter for the figures."""
    if stack == "scratch":
        import numba
        import numpy
        import scratch
        return scratch, {"numpy": numpy.__version__, "numba": numba.__version__}
    if stack not in KERAS_BACKENDS:
        raise ValueError(f"stack: expected one of {STACKS}, received {stack!r}")
    os.environ["KERAS_BACKEND"] = KERAS_BACKENDS[stack]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    if keras.backend.backend() != KERAS_BACKENDS[stack]:
        raise RuntimeError(f"Keras runs on {keras.backend.backend()}, expected {KERAS_BACKENDS[stack]} "
                           "(was keras imported before KERAS_BACKEND was set?)")
    versions = {"keras": keras.__version__}
    if stack == "keras-jax":
        import jax
        versions["jax"] = jax.__version__
    else:
        import tensorflow
        versions["tensorflow"] = tensorflow.__version__
    return keras, versions


def load_data(model, samples):
    """The first ``samples`` Fashion-MNIST training images scaled to [0, 1] (float64, as a
    tutorial's ``x / 255.0`` gives them; each stack casts its batches) and their labels;
    ``(N, 28, 28)`` for the MLP, ``(N, 28, 28, 1)`` for the CNN."""
    from scratch.datasets import fashion_mnist   # pure NumPy loader, used by every stack
    (x, y), _ = fashion_mnist.load_data()
    x, y = x[:samples] / 255.0, y[:samples]
    return (x[..., None] if model == "cnn" else x), y


def build_model(library, model, width=128):
    """The seed ``model`` ("mlp" or "cnn") in ``library``, compiled with Adam and sparse
    categorical crossentropy; ``width`` is the MLP's hidden units (the seed's is 128)."""
    from keras_ref.seed_models import INPUT_SHAPES, seed_layers
    layers = seed_layers("scratch" if library.__name__ == "scratch" else "keras", model)
    if model == "mlp" and width != 128:
        layers[1] = library.layers.Dense(width, activation="relu")
    built = library.Sequential([library.Input(INPUT_SHAPES[model])] + layers)
    built.compile(optimizer=library.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return built


def epoch_timer(library):
    """A callback of ``library`` that keeps each epoch's wall-clock seconds in ``.seconds``."""
    class EpochTimer(library.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)

    return EpochTimer()


def timed(call):
    """``(seconds, result)`` of ``call()``."""
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result
