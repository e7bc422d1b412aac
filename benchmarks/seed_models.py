"""The tutorials' seed models, built on either stack (imports are lazy so a Keras worker process
never loads scratch/Numba and a scratch worker never loads TensorFlow)."""


def build(stack, name):
    """``build("scratch" | "keras", "mlp" | "cnn")`` -> an uncompiled model taking (28, 28) or (28, 28, 1)."""
    if stack == "scratch":
        import scratch as lib
        layers, first = lib.layers, []
    elif stack == "keras":
        import keras as lib
        layers = lib.layers
    else:
        raise ValueError(f"stack: expected 'scratch' or 'keras', received {stack!r}")
    if name == "mlp":
        first = [lib.Input((28, 28)), layers.Flatten()]
        rest = [layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax")]
    elif name == "cnn":
        first = [lib.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu", padding="same")]
        rest = [layers.MaxPooling2D(2), layers.Conv2D(64, 3, activation="relu", padding="same"),
                layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(100, activation="relu"),
                layers.Dropout(0.4), layers.Dense(10, activation="softmax")]
    else:
        raise ValueError(f"name: expected 'mlp' or 'cnn', received {name!r}")
    return lib.Sequential(first + rest)
