"""The tutorials' two seed models, defined once for the parity tests and the benchmarks.

* ``"mlp"`` (basic classification): ``Input((28, 28))`` → Flatten → Dense(128, relu) →
  Dense(10, softmax); 101,770 parameters.
* ``"cnn"`` (Conv2D / MaxPooling tutorial): ``Input((28, 28, 1))`` → Conv2D(32, 3, relu, same) →
  MaxPooling2D(2) → Conv2D(64, 3, relu, same) → MaxPooling2D(2) → Flatten → Dense(100, relu) →
  Dropout(0.4) → Dense(10, softmax); 333,526 parameters.

The same code builds either stack: ``scratch`` and ``keras`` spell these layers alike. Imports
are lazy, so a Keras benchmark worker never loads scratch/Numba and a scratch worker never loads
TensorFlow (``keras_ref/__init__.py`` imports the bridge, hence Keras, only on first use).

Example::

    >>> from keras_ref.seed_models import seed_mlp
    >>> seed_mlp().count_params()
    101770
"""
NAMES = ("mlp", "cnn")
INPUT_SHAPES = {"mlp": (28, 28), "cnn": (28, 28, 1)}


def _library(stack):
    if stack == "scratch":
        import scratch
        return scratch
    if stack == "keras":
        import keras
        return keras
    raise ValueError(f"stack: expected 'scratch' or 'keras', received {stack!r}")


def seed_layers(stack, name):
    """New layers of the seed model ``name`` after its input (no input shape given), so that a
    variant can put its own first layers in front of them."""
    layers = _library(stack).layers
    if name == "mlp":
        return [layers.Flatten(), layers.Dense(128, activation="relu"),
                layers.Dense(10, activation="softmax")]
    if name == "cnn":
        return [layers.Conv2D(32, 3, activation="relu", padding="same"), layers.MaxPooling2D(2),
                layers.Conv2D(64, 3, activation="relu", padding="same"), layers.MaxPooling2D(2),
                layers.Flatten(), layers.Dense(100, activation="relu"), layers.Dropout(0.4),
                layers.Dense(10, activation="softmax")]
    raise ValueError(f"name: expected one of {NAMES}, received {name!r}")


def build(stack, name):
    """``build("scratch" | "keras", "mlp" | "cnn")`` -> an uncompiled, built Sequential model taking
    (batch, 28, 28) or (batch, 28, 28, 1) inputs."""
    library = _library(stack)
    if name not in INPUT_SHAPES:
        raise ValueError(f"name: expected one of {NAMES}, received {name!r}")
    return library.Sequential([library.Input(INPUT_SHAPES[name])] + seed_layers(stack, name))


def seed_mlp():
    """The scratch seed MLP (fresh random weights, automatic layer names)."""
    return build("scratch", "mlp")


def seed_cnn():
    """The scratch seed CNN (fresh random weights, automatic layer names)."""
    return build("scratch", "cnn")
