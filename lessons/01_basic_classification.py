"""Lesson 01 — basic image classification, twice: with Keras and with its from-scratch twin.

This follows the TensorFlow tutorial "Basic classification: Classify images of clothing"
(https://www.tensorflow.org/tutorials/keras/classification): Fashion-MNIST, a Flatten → Dense(128,
relu) → Dense(10, softmax) network, Adam, 25 epochs holding out a quarter of the training images
for validation, then the test set, predictions, and the plots.

Run it from the repository root:

    python lessons/01_basic_classification.py             # the full lesson (a few minutes)
    python lessons/01_basic_classification.py --quick     # a small subset, 2 epochs (seconds)
    python lessons/01_basic_classification.py --only scratch --epochs 5 --out /tmp/lesson01

The plots and a results.json land in lessons_out/01_basic_classification/ unless --out says else.
"""
import os

import numpy as np

import common  # first: it puts the repository root on the import path
import scratch
from scratch import plotting
from scratch.datasets.fashion_mnist import CLASS_NAMES


def main():
    args = common.parse_args(__file__, epochs=25)
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
    # Keras: (train_images, train_labels), (test_images, test_labels) =
    #            keras.datasets.fashion_mnist.load_data()
    # scratch: scratch.datasets.fashion_mnist.load_data() returns the very same uint8 arrays.
    (train_images, train_labels), (test_images, test_labels) = common.load_data(args)
    class_names = CLASS_NAMES      # label 0..9 -> 'T-shirt/top', 'Trouser', ..., 'Ankle boot'
    print(f"train_images {train_images.shape} {train_images.dtype}, labels {train_labels[:10]} ...")

    # Scale the pixels from 0..255 to 0..1 (the same arrays feed both stacks).
    train_images = train_images / 255.0
    test_images = test_images / 255.0

    plots = [plotting.plot_sample_grid(train_images, train_labels, class_names,
                                       out("sample_grid.png"))]

    # ------------------------------------------------------------------------------------------
    common.section("2. Build the model: Keras, then its scratch twin")
    if keras:
        keras_model = keras.Sequential([
            keras.layers.Flatten(input_shape=(28, 28)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ])
    scratch_model = scratch.Sequential([
        scratch.layers.Flatten(input_shape=(28, 28)),
        scratch.layers.Dense(128, activation="relu"),
        scratch.layers.Dense(10, activation="softmax"),
    ])
    if keras:
        # Same architecture, same weight layouts: copy the scratch initial weights into Keras,
        # so both stacks start from identical numbers.
        keras_model.set_weights(scratch_model.get_weights())
        print("Keras:")
        keras_model.summary()
    print("scratch:")
    scratch_model.summary()

    # ------------------------------------------------------------------------------------------
    common.section("3. Compile")
    # The version of the tutorial: a softmax output and SparseCategoricalCrossentropy()
    # (from_logits=False). Even so, Keras's TensorFlow backend computes the loss from the logits
    # that fed the softmax, for numerical stability (KERAS_SEMANTICS.md §3.3), and scratch does
    # the same. (Today's TF tutorial ends in Dense(10) logits with from_logits=True and appends a
    # Softmax layer for probabilities: the same numbers.)
    if keras:
        keras_model.compile(optimizer="adam",
                            loss=keras.losses.SparseCategoricalCrossentropy(),
                            metrics=["accuracy"])
    scratch_model.compile(optimizer="adam",
                          loss=scratch.losses.SparseCategoricalCrossentropy(),
                          metrics=["accuracy"])
    print("optimizer='adam', loss=SparseCategoricalCrossentropy(), metrics=['accuracy'] on both")

    # From here on the code is the same for both stacks: the scratch API is Keras's.
    models = {}
    if keras:
        models["keras"] = keras_model
    if common.wants(args, "scratch"):
        models["scratch"] = scratch_model
    callback_base = {"keras": keras.callbacks.Callback if keras else None,
                     "scratch": scratch.callbacks.Callback}

    # ------------------------------------------------------------------------------------------
    common.section(f"4. Train: {args.epochs} epochs, the last 25% of the training images "
                   "held out for validation")
    results = common.Results(args, train_images=len(train_images), test_images=len(test_images))
    histories, epoch_seconds = {}, {}
    for stack, model in models.items():
        print(f"\n{common.STACK_LABELS[stack]}:")
        timer = common.epoch_timer(callback_base[stack])   # only for the comparison table
        histories[stack] = model.fit(train_images, train_labels, epochs=args.epochs,
                                     validation_split=0.25, verbose=1, callbacks=[timer])
        epoch_seconds[stack] = timer.seconds

    # ------------------------------------------------------------------------------------------
    common.section("5. Evaluate on the test set")
    for stack, model in models.items():
        print(f"{common.STACK_LABELS[stack]}:")
        test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
        print(f"  Test accuracy: {test_acc:.4f}")
        results.add(stack, histories[stack], test_loss, test_acc, epoch_seconds[stack])

    # ------------------------------------------------------------------------------------------
    common.section("6. Predict")
    predictions = {}
    for stack, model in models.items():
        label = common.STACK_LABELS[stack]
        predictions[stack] = model.predict(test_images, verbose=0)   # (N, 10) probabilities
        first = predictions[stack][0]
        print(f"{label}: first test image -> {np.round(first, 2)}\n"
              f"    predicted {np.argmax(first)} ({class_names[np.argmax(first)]}), "
              f"true {test_labels[0]} ({class_names[test_labels[0]]})")

        # One image: models work on batches, so make it a batch of one, shape (1, 28, 28).
        img = np.expand_dims(test_images[1], 0)
        predictions_single = model.predict(img, verbose=0)
        print(f"    one image {img.shape} -> predicted class {np.argmax(predictions_single[0])} "
              f"({class_names[np.argmax(predictions_single[0])]}), true "
              f"{test_labels[1]} ({class_names[test_labels[1]]})")
        plots.append(plotting.plot_prediction_bars(
            predictions_single, class_names, out(f"single_prediction_{stack}.png"),
            true_label=test_labels[1],
            title=f"{label}: test image 1, given as a batch of one"))

    # ------------------------------------------------------------------------------------------
    common.section("7. Compare")
    results.print_table()

    # Solid lines = scratch, dashed = Keras (the order of this dict).
    curves = {common.STACK_LABELS[s]: histories[s] for s in ("scratch", "keras") if s in histories}
    plots.append(plotting.plot_history(
        curves, out("training_curves.png"),
        title=f"Lesson 01 — Adam, {args.epochs} epochs"))
    for stack in models:
        label = common.STACK_LABELS[stack]
        accuracy = results.stacks[stack]["test_accuracy"]
        plots.append(plotting.plot_predictions(
            test_images, test_labels, predictions[stack], class_names,
            out(f"predictions_{stack}.png"), title=f"{label}: the first 15 test images"))
        plots.append(plotting.plot_confusion_matrix(
            test_labels, predictions[stack], class_names, out(f"confusion_matrix_{stack}.png"),
            title=f"{label}: test set, accuracy {accuracy:.1%}"))

    common.finish(args, plots, results.save(plots))


if __name__ == "__main__":
    main()
