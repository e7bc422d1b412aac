"""Lesson 02 — an MLP built with the Sequential API and trained with plain SGD, twice: with Keras
and with its from-scratch twin.

This follows "Building an Image Classifier Using the Sequential API" in Aurélien Géron's
"Hands-On Machine Learning with Scikit-Learn, Keras and TensorFlow", chapter 10: Fashion-MNIST,
the first 5,000 training images kept for validation, Flatten → Dense(300, relu) → Dense(100, relu)
→ Dense(10, softmax), optimizer="sgd" (learning rate 0.01), 30 epochs.

Run it from the repository root:

    python lessons/02_sequential_api_sgd.py              # the full lesson (several minutes)
    python lessons/02_sequential_api_sgd.py --quick      # a small subset, 2 epochs (seconds)
    python lessons/02_sequential_api_sgd.py --only scratch --epochs 5 --out /tmp/lesson02

The plots and a results.json land in lessons_out/02_sequential_api_sgd/ unless --out says else.
"""
import os

import numpy as np

import common  # first: it puts the repository root on the import path
import scratch
from scratch import plotting
from scratch.datasets import fashion_mnist


def main():
    args = common.parse_args(__file__, epochs=30)
    # Each step below is a Keras line, then its scratch twin. The Keras lines run only when
    # `keras` is not None: --only scratch never imports TensorFlow, and without TensorFlow
    # installed the lesson says so and trains the scratch side alone.
    keras = common.import_keras(args)
    train_scratch = common.wants(args, "scratch")   # False with --only keras

    def out(name):
        return os.path.join(args.out, name)

    # Seed the scratch side: its initial weights (which Keras will copy) and its batch order
    # repeat from run to run. Keras is left unseeded on purpose: after keras.utils.set_random_seed,
    # Keras 3.15's fit(shuffle=True) deals the batches in the same order every epoch (measured),
    # which trains differently — on lesson 01 it cost Keras about 1.3 points of test accuracy.
    scratch.set_random_seed(args.seed)

    # ------------------------------------------------------------------------------------------
    common.section("1. The data")
    # Keras: (X_train_full, y_train_full), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
    # scratch: scratch.datasets.fashion_mnist.load_data() returns the very same uint8 arrays.
    (X_train_full, y_train_full), (X_test, y_test) = common.load_data(args)

    # The first 5,000 training images become the validation set (1,000 of the 3,000 with --quick),
    # and the pixels are scaled from 0..255 to 0..1.
    n_valid = 1000 if args.quick else 5000
    X_valid, X_train = X_train_full[:n_valid] / 255.0, X_train_full[n_valid:] / 255.0
    # Only the images are divided by 255, not the labels. A popular transcription of this
    # tutorial writes `y_valid, y_train = y_train_full[:5000] / 255.0, y_train_full[5000:] / 255.0`.
    # The scratch fit refuses such labels before training starts:
    #     ValueError: y: expected integer class labels in [0, 10), received non-integer values
    #     such as np.float64(0.03529411764705882) (were the labels scaled, e.g. divided by 255?)
    # Keras casts them to integers without a word: 9/255 = 0.035 becomes class 0, every label
    # is 0, the loss falls fast (0.04 after 3 epochs on 2,000 images) while the model learns to
    # answer "T-shirt/top" for everything (accuracy 0.097, less than guessing).
    y_valid, y_train = y_train_full[:n_valid], y_train_full[n_valid:]
    X_test = X_test / 255.0
    print(f"X_train {X_train.shape}, X_valid {X_valid.shape}, X_test {X_test.shape}")

    # Ten names, one per label 0..9. Mind the commas: the same transcription writes
    # `"Sandal" "Shirt"`, which Python joins into the single string "SandalShirt" — a list of 9
    # names, so every class after Sandal gets its neighbour's name and class 9 has none.
    class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    assert class_names == fashion_mnist.CLASS_NAMES and len(class_names) == 10

    plots = [plotting.plot_sample_grid(X_train, y_train, class_names, out("sample_grid.png"))]

    # ------------------------------------------------------------------------------------------
    common.section("2. Build the model with the Sequential API: Keras, then its scratch twin")
    if keras:
        keras_model = keras.models.Sequential()
        keras_model.add(keras.layers.Flatten(input_shape=[28, 28]))
        keras_model.add(keras.layers.Dense(300, activation="relu"))
        keras_model.add(keras.layers.Dense(100, activation="relu"))
        keras_model.add(keras.layers.Dense(10, activation="softmax"))
    scratch_model = scratch.Sequential()
    scratch_model.add(scratch.layers.Flatten(input_shape=[28, 28]))
    scratch_model.add(scratch.layers.Dense(300, activation="relu"))
    scratch_model.add(scratch.layers.Dense(100, activation="relu"))
    scratch_model.add(scratch.layers.Dense(10, activation="softmax"))
    if keras:
        # Same architecture, same weight layouts: copy the scratch initial weights into Keras,
        # so both stacks start from identical numbers.
        keras_model.set_weights(scratch_model.get_weights())
        print("Keras:")
        keras_model.summary()
    print("scratch:")
    scratch_model.summary()

    # A layer's weights, Keras's layout on both sides: kernel (inputs, units), then bias (units,).
    # The kernel starts Glorot-uniform random (breaking the symmetry), the bias at zero.
    print()
    if keras:
        keras_hidden1 = keras_model.layers[1]
        keras_weights, keras_biases = keras_hidden1.get_weights()
        print(f"Keras    model.layers[1] is '{keras_hidden1.name}': weights {keras_weights.shape}, "
              f"biases {keras_biases.shape}, weights[0, :3] = {np.round(keras_weights[0, :3], 4)}")
    scratch_hidden1 = scratch_model.layers[1]
    scratch_weights, scratch_biases = scratch_hidden1.get_weights()
    print(f"scratch  model.layers[1] is '{scratch_hidden1.name}': weights {scratch_weights.shape}, "
          f"biases {scratch_biases.shape}, weights[0, :3] = {np.round(scratch_weights[0, :3], 4)}")
    if keras:
        same = (np.array_equal(keras_weights, scratch_weights)
                and np.array_equal(keras_biases, scratch_biases))
        print(f"The two layers' weights and biases are {'identical' if same else 'DIFFERENT'}.")

    # ------------------------------------------------------------------------------------------
    common.section("3. Compile")
    # "sgd" is SGD(learning_rate=0.01), no momentum, on both sides.
    if keras:
        keras_model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd",
                            metrics=["accuracy"])
    scratch_model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd",
                          metrics=["accuracy"])
    print("loss='sparse_categorical_crossentropy', optimizer='sgd', metrics=['accuracy'] on both")

    # ------------------------------------------------------------------------------------------
    common.section(f"4. Train: {args.epochs} epochs, validating on the {n_valid:,} held-out images")
    # The timers only measure seconds per epoch for the comparison table.
    if keras:
        print("Keras:")
        keras_timer = common.epoch_timer(keras.callbacks.Callback)
        keras_history = keras_model.fit(X_train, y_train, epochs=args.epochs,
                                        validation_data=(X_valid, y_valid),
                                        callbacks=[keras_timer])
    if train_scratch:
        print("scratch:")
        scratch_timer = common.epoch_timer(scratch.callbacks.Callback)
        scratch_history = scratch_model.fit(X_train, y_train, epochs=args.epochs,
                                            validation_data=(X_valid, y_valid),
                                            callbacks=[scratch_timer])

    # ------------------------------------------------------------------------------------------
    common.section("5. Evaluate on the test set")
    if keras:
        print("Keras:")
        keras_test_loss, keras_test_accuracy = keras_model.evaluate(X_test, y_test)
    if train_scratch:
        print("scratch:")
        scratch_test_loss, scratch_test_accuracy = scratch_model.evaluate(X_test, y_test)

    # ------------------------------------------------------------------------------------------
    common.section("6. Predict three new images")
    X_new, y_new = X_test[:3], y_test[:3]
    print(f"true classes: {np.array(class_names)[y_new]}")
    if keras:
        keras_y_proba = keras_model.predict(X_new, verbose=0)
        keras_y_pred = np.argmax(keras_y_proba, axis=-1)     # the book's old predict_classes(X_new)
        print(f"Keras:\n{keras_y_proba.round(2)}\n"
              f"  predicted classes {keras_y_pred} = {np.array(class_names)[keras_y_pred]}")
        keras_test_proba = keras_model.predict(X_test, verbose=0)   # every test image, for plots
    if train_scratch:
        scratch_y_proba = scratch_model.predict(X_new, verbose=0)
        scratch_y_pred = np.argmax(scratch_y_proba, axis=-1)
        print(f"scratch:\n{scratch_y_proba.round(2)}\n"
              f"  predicted classes {scratch_y_pred} = {np.array(class_names)[scratch_y_pred]}")
        scratch_test_proba = scratch_model.predict(X_test, verbose=0)

    # ------------------------------------------------------------------------------------------
    common.section("7. Compare")
    results = common.Results(args, train_images=len(X_train), test_images=len(X_test))
    if keras:
        results.add("keras", keras_history, keras_test_loss, keras_test_accuracy,
                    keras_timer.seconds, keras_test_proba)
    if train_scratch:
        results.add("scratch", scratch_history, scratch_test_loss, scratch_test_accuracy,
                    scratch_timer.seconds, scratch_test_proba)
    results.print_table()
    plots += results.plot(X_test, y_test, class_names,
                          title=f"Lesson 02 — SGD, {args.epochs} epochs")
    common.finish(results, plots)


if __name__ == "__main__":
    main()
