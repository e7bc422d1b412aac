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
    keras = common.import_keras(args)           # None when Keras is not wanted or not installed

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
    models = {"keras": keras_model} if keras else {}
    models["scratch"] = scratch_model
    for stack, model in models.items():
        hidden1 = model.layers[1]
        weights, biases = hidden1.get_weights()
        print(f"{common.STACK_LABELS[stack]:8} model.layers[1] is '{hidden1.name}': "
              f"weights {weights.shape}, biases {biases.shape}, "
              f"weights[0, :3] = {np.round(weights[0, :3], 4)}")
    if not common.wants(args, "scratch"):
        del models["scratch"]        # --only keras: the scratch model only lent its weights

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
    # From here on the code is the same for both stacks: the scratch API is Keras's.
    common.section(f"4. Train: {args.epochs} epochs, validating on the {n_valid:,} held-out images")
    callback_base = {"keras": keras.callbacks.Callback if keras else None,
                     "scratch": scratch.callbacks.Callback}
    results = common.Results(args, train_images=len(X_train), test_images=len(X_test))
    histories, epoch_seconds = {}, {}
    for stack, model in models.items():
        print(f"\n{common.STACK_LABELS[stack]}:")
        timer = common.epoch_timer(callback_base[stack])   # only for the comparison table
        histories[stack] = model.fit(X_train, y_train, epochs=args.epochs,
                                     validation_data=(X_valid, y_valid), verbose=1,
                                     callbacks=[timer])
        epoch_seconds[stack] = timer.seconds

    # ------------------------------------------------------------------------------------------
    common.section("5. Evaluate on the test set")
    for stack, model in models.items():
        print(f"{common.STACK_LABELS[stack]}:")
        test_loss, test_accuracy = model.evaluate(X_test, y_test, verbose=1)
        results.add(stack, histories[stack], test_loss, test_accuracy, epoch_seconds[stack])

    # ------------------------------------------------------------------------------------------
    common.section("6. Predict three new images")
    X_new, y_new = X_test[:3], y_test[:3]
    print(f"true classes: {np.array(class_names)[y_new]}")
    probabilities = {}
    for stack, model in models.items():
        probabilities[stack] = model.predict(X_test, verbose=0)       # (N, 10), used for plots
        y_proba = model.predict(X_new, verbose=0)
        y_pred = np.argmax(y_proba, axis=-1)       # the book's old predict_classes(X_new)
        print(f"{common.STACK_LABELS[stack]}:\n{y_proba.round(2)}\n"
              f"  predicted classes {y_pred} = {np.array(class_names)[y_pred]}")

    # ------------------------------------------------------------------------------------------
    common.section("7. Compare")
    results.print_table()

    # Solid lines = scratch, dashed = Keras (the order of this dict).
    curves = {common.STACK_LABELS[s]: histories[s] for s in ("scratch", "keras") if s in histories}
    plots.append(plotting.plot_history(
        curves, out("training_curves.png"),
        title=f"Lesson 02 — SGD, {args.epochs} epochs"))
    for stack in models:
        label = common.STACK_LABELS[stack]
        accuracy = results.stacks[stack]["test_accuracy"]
        plots.append(plotting.plot_predictions(
            X_test, y_test, probabilities[stack], class_names, out(f"predictions_{stack}.png"),
            title=f"{label}: the first 15 test images"))
        plots.append(plotting.plot_confusion_matrix(
            y_test, probabilities[stack], class_names, out(f"confusion_matrix_{stack}.png"),
            title=f"{label}: test set, accuracy {accuracy:.1%}"))

    common.finish(args, plots, results.save(plots))


if __name__ == "__main__":
    main()
