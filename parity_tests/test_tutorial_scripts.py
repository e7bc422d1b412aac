"""Published Keras tutorials, replayed on scratch with only the import line changed.

Each test below is a short script of our own that makes the same sequence of calls as one
well-known tutorial, with ``import scratch as keras`` (or ``from scratch import datasets,
layers, models``) in place of the Keras import, on a few hundred Fashion-MNIST samples and
one or two epochs, inside a temporary folder. They check that every call runs to the end and
that the numbers it gives back are real (probabilities sum to 1, a reloaded model predicts
what the saved one did, accuracy above chance where training is long enough).

Tutorials followed:
1. TensorFlow "Basic classification: Classify images of clothing".
2. Hands-On Machine Learning, ch. 10, "Building an Image Classifier Using the Sequential API".
3. Keras code example "Simple MNIST convnet".
4. TensorFlow "Convolutional Neural Network (CNN)" (CIFAR-10).
5. A CNN write-up that draws the model and trains with ModelCheckpoint / EarlyStopping.

MNIST and CIFAR-10 cannot be downloaded here: Fashion-MNIST arrays of the same shapes stand
in for them (see each test).
"""
import importlib.util

import numpy as np
import pytest

N_TRAIN = 600
N_TEST = 200


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    import matplotlib
    matplotlib.use("Agg")


def _fashion(n_train=N_TRAIN, n_test=N_TEST):
    import scratch as keras
    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    return (x_train[:n_train], y_train[:n_train]), (x_test[:n_test], y_test[:n_test])


def test_basic_classification():
    import scratch as keras

    (train_images, train_labels), (test_images, test_labels) = _fashion()
    assert train_images.shape == (N_TRAIN, 28, 28) and train_labels.shape == (N_TRAIN,)
    train_images = train_images / 255.0
    test_images = test_images / 255.0

    model = keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(train_images, train_labels, epochs=2)   # default verbose: the progress bar
    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
    assert np.isfinite(test_loss) and test_acc > 0.3   # chance is 0.1

    probability_model = keras.Sequential([model, keras.layers.Softmax()])
    predictions = probability_model.predict(test_images, verbose=0)
    assert predictions.shape == (N_TEST, 10)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
    logits = model.predict(test_images, verbose=0)
    np.testing.assert_array_equal(np.argmax(predictions, axis=1), np.argmax(logits, axis=1))
    assert 0 <= int(np.argmax(predictions[0])) < 10

    # a single image: add the batch axis, as the tutorial does
    img = np.expand_dims(test_images[1], 0)
    single = probability_model.predict(img, verbose=0)
    assert single.shape == (1, 10)
    np.testing.assert_allclose(single[0], predictions[1], rtol=1e-5, atol=1e-6)


def test_handson_ml_sequential_api(tmp_path):
    import scratch as keras

    (x_train_full, y_train_full), (x_test, y_test) = _fashion()
    x_train, y_train = x_train_full[:-100] / 255.0, y_train_full[:-100]
    x_valid, y_valid = x_train_full[-100:] / 255.0, y_train_full[-100:]
    x_test = x_test / 255.0

    keras.utils.set_random_seed(42)
    keras.backend.clear_session()
    model = keras.models.Sequential()
    model.add(keras.layers.Input(shape=[28, 28]))     # the 3rd edition's form
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(300, activation="relu"))
    assert model.layers[-1].name == "dense"

    keras.backend.clear_session()
    model = keras.models.Sequential()
    model.add(keras.layers.InputLayer(shape=[28, 28]))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(300, activation="relu"))
    model.add(keras.layers.Dense(100, activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))

    # the same model, built from a list
    keras.backend.clear_session()
    model = keras.models.Sequential([
        keras.layers.InputLayer(shape=[28, 28]),
        keras.layers.Flatten(),
        keras.layers.Dense(300, activation="relu"),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.summary(print_fn=lambda *a, **k: None)
    assert len(model.layers) == 4
    hidden1 = model.layers[1]
    assert hidden1.name == "dense"
    assert model.get_layer("dense") is hidden1
    weights, biases = hidden1.get_weights()
    assert weights.shape == (784, 300) and biases.shape == (300,)
    assert np.all(biases == 0) and weights.std() > 0

    # the function forms of the loss and metric: the metric is logged under the function's name
    model.compile(loss=keras.losses.sparse_categorical_crossentropy,
                  optimizer=keras.optimizers.SGD(),
                  metrics=[keras.metrics.sparse_categorical_accuracy])
    logs = model.evaluate(x_valid, y_valid, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "sparse_categorical_accuracy"}
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])

    history = model.fit(x_train, y_train, epochs=2, validation_data=(x_valid, y_valid), verbose=0)
    assert history.params["epochs"] == 2
    assert history.epoch == [0, 1]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert len(history.history[key]) == 2 and np.all(np.isfinite(history.history[key]))
    if importlib.util.find_spec("pandas") is not None:
        import pandas as pd
        frame = pd.DataFrame(history.history)
        assert frame.shape == (2, 4)
    # plot the learning curves with matplotlib alone
    import matplotlib.pyplot as plt
    for key, values in history.history.items():
        plt.plot(history.epoch, values, label=key)
    plt.legend()
    plt.savefig("curves.png")
    plt.close("all")

    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    assert np.isfinite(loss) and 0.0 <= acc <= 1.0
    x_new = x_test[:3]
    y_proba = model.predict(x_new, verbose=0)
    np.testing.assert_allclose(y_proba.sum(axis=1), 1.0, rtol=1e-5)
    y_pred = y_proba.argmax(axis=-1)
    assert y_pred.shape == (3,)

    keras.utils.plot_model(model, "my_fashion_mnist_model.png", show_shapes=True)
    assert (tmp_path / "my_fashion_mnist_model.png").stat().st_size > 0

    model.save("my_keras_model.keras")
    loaded = keras.models.load_model("my_keras_model.keras")
    np.testing.assert_array_equal(loaded.predict(x_new, verbose=0), y_proba)


def test_simple_mnist_convnet():
    import scratch as keras
    from scratch import layers

    num_classes = 10
    input_shape = (28, 28, 1)
    # MNIST cannot be downloaded here: Fashion-MNIST has the same shapes and dtypes.
    (x_train, y_train), (x_test, y_test) = _fashion(n_train=400, n_test=100)
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    assert x_train.shape == (400, 28, 28, 1)
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)
    assert y_train.shape == (400, 10)

    model = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ])
    model.summary(print_fn=lambda *a, **k: None)
    assert model.count_params() == 34826    # the tutorial's summary
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=128, epochs=2, validation_split=0.1, verbose=0)
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    score = model.evaluate(x_test, y_test, verbose=0)
    assert len(score) == 2 and np.isfinite(score[0]) and 0.0 <= score[1] <= 1.0


def _cifar_shaped(x):
    """Fashion-MNIST (n, 28, 28) uint8 -> CIFAR-10's (n, 32, 32, 3): pad by 2 pixels each side,
    then repeat the grey channel three times (CIFAR-10 cannot be downloaded here)."""
    x = np.pad(x, ((0, 0), (2, 2), (2, 2)))
    return np.repeat(x[..., None], 3, axis=-1)


def test_tensorflow_cnn_tutorial():
    from scratch import datasets, layers, models
    import matplotlib.pyplot as plt

    (train_images, train_labels), (test_images, test_labels) = datasets.fashion_mnist.load_data()
    train_images, train_labels = _cifar_shaped(train_images[:300]), train_labels[:300, None]
    test_images, test_labels = _cifar_shaped(test_images[:100]), test_labels[:100, None]
    assert train_images.shape == (300, 32, 32, 3) and train_labels.shape == (300, 1)   # CIFAR's shapes
    train_images, test_images = train_images / 255.0, test_images / 255.0

    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation='relu'))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation='relu'))
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation='relu'))
    model.add(layers.Dense(10))
    model.summary(print_fn=lambda *a, **k: None)
    assert model.count_params() == 122570    # the tutorial's summary

    from scratch import losses
    model.compile(optimizer='adam',
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=['accuracy'])
    history = model.fit(train_images, train_labels, epochs=1,
                        validation_data=(test_images, test_labels), verbose=0)

    plt.plot(history.history['accuracy'], label='accuracy')
    plt.plot(history.history['val_accuracy'], label='val_accuracy')
    plt.xlabel('Epoch')
    plt.ylabel('Accuracy')
    plt.ylim([0.0, 1])
    plt.legend(loc='lower right')
    plt.savefig("history.png")
    plt.close("all")

    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
    assert np.isfinite(test_loss) and 0.0 <= test_acc <= 1.0
    np.testing.assert_allclose(test_acc, history.history['val_accuracy'][-1], rtol=1e-5)


@pytest.mark.parametrize("checkpoint", ["best-cnn-model.keras", "best-cnn-model.h5"])
def test_cnn_with_checkpoints(tmp_path, checkpoint):
    import scratch as keras

    (x_train, y_train), (x_test, y_test) = _fashion(n_train=400, n_test=100)
    x_train = x_train.reshape(-1, 28, 28, 1) / 255.0
    x_test = x_test.reshape(-1, 28, 28, 1) / 255.0
    x_train, x_val = x_train[:300], x_train[300:]
    y_train, y_val = y_train[:300], y_train[300:]

    model = keras.Sequential()
    model.add(keras.layers.Conv2D(32, kernel_size=3, activation='relu', padding='same',
                                  input_shape=(28, 28, 1)))
    model.add(keras.layers.MaxPooling2D(2))
    model.add(keras.layers.Conv2D(64, kernel_size=3, activation='relu', padding='same'))
    model.add(keras.layers.MaxPooling2D(2))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(100, activation='relu'))
    model.add(keras.layers.Dropout(0.4))
    model.add(keras.layers.Dense(10, activation='softmax'))
    model.summary()
    assert model.count_params() == 333526    # the write-up's summary

    keras.utils.plot_model(model)
    assert (tmp_path / "model.png").stat().st_size > 0
    keras.utils.plot_model(model, show_shapes=True, to_file='cnn-architecture.png', dpi=300)
    assert (tmp_path / "cnn-architecture.png").stat().st_size > 0

    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    checkpoint_cb = keras.callbacks.ModelCheckpoint(checkpoint, save_best_only=True)
    early_stopping_cb = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    history = model.fit(x_train, y_train, epochs=2, validation_data=(x_val, y_val),
                        callbacks=[checkpoint_cb, early_stopping_cb], verbose=0)
    assert len(history.history['val_loss']) == 2
    assert early_stopping_cb.stopped_epoch == 0     # two epochs: patience 2 never runs out
    assert (tmp_path / checkpoint).stat().st_size > 0

    import matplotlib.pyplot as plt
    plt.plot(history.history['loss'])
    plt.plot(history.history['val_loss'])
    plt.legend(['train', 'val'])
    plt.savefig("loss.png")
    plt.close("all")

    loss, acc = model.evaluate(x_val, y_val, verbose=0)
    assert np.isfinite(loss) and 0.0 <= acc <= 1.0
    preds = model.predict(x_val[0:1], verbose=0)
    assert preds.shape == (1, 10) and 0 <= int(np.argmax(preds)) < 10

    best = keras.models.load_model(checkpoint)
    # the checkpoint holds the epoch of lowest val_loss
    best_loss, _ = best.evaluate(x_val, y_val, verbose=0)
    np.testing.assert_allclose(best_loss, min(history.history['val_loss']), rtol=1e-5)
    if np.argmin(history.history['val_loss']) == 1:   # the last epoch was the best: same weights
        np.testing.assert_allclose(best.predict(x_test, verbose=0), model.predict(x_test, verbose=0),
                                   rtol=1e-6, atol=1e-7)
    best.evaluate(x_test, y_test, verbose=0)

    # the follow-up chapter reads the reloaded model's first kernel
    conv = best.layers[0]
    assert conv.weights[0].shape == (3, 3, 1, 32)
    conv_weights = conv.weights[0].numpy()
    assert conv_weights.shape == (3, 3, 1, 32) and np.isfinite(conv_weights.mean())
