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
    # This is the tutorial's earlier version: a softmax output and SparseCategoricalCrossentropy()
    # (from_logits=False). Even so, Keras's TensorFlow backend computes the loss from the logits
    # that fed the softmax, for numerical stability: `softmax` keeps its input as
    # `output._keras_logits`, and `sparse_categorical_crossentropy` takes it back through
    # `_get_logits` (keras/src/backend/tensorflow/nn.py). scratch does the same. (Today's
    # tutorial ends in Dense(10) logits with from_logits=True and appends a Softmax layer for
    # probabilities: the same numbers.)
    if keras:
        keras_model.compile(optimizer="adam",
                            loss=keras.losses.SparseCategoricalCrossentropy(),
                            metrics=["accuracy"])
    scratch_model.compile(optimizer="adam",
                          loss=scratch.losses.SparseCategoricalCrossentropy(),
                          metrics=["accuracy"])
    print("optimizer='adam', loss=SparseCategoricalCrossentropy(), metrics=['accuracy'] on both")

    # ------------------------------------------------------------------------------------------
    common.section(f"4. Train: {args.epochs} epochs, the last 25% of the training images "
                   "held out for validation")
    # The timers only measure seconds per epoch for the comparison table.
    if keras:
        print("Keras:")
        keras_timer = common.epoch_timer(keras.callbacks.Callback)
        keras_history = keras_model.fit(train_images, train_labels, epochs=args.epochs,
                                        validation_split=0.25, callbacks=[keras_timer])
    if train_scratch:
        print("scratch:")
        scratch_timer = common.epoch_timer(scratch.callbacks.Callback)
        scratch_history = scratch_model.fit(train_images, train_labels, epochs=args.epochs,
                                            validation_split=0.25, callbacks=[scratch_timer])

    # ------------------------------------------------------------------------------------------
    common.section("5. Evaluate on the test set")
    if keras:
        print("Keras:")
        keras_test_loss, keras_test_acc = keras_model.evaluate(test_images, test_labels,
                                                               verbose=2)
    if train_scratch:
        print("scratch:")
        scratch_test_loss, scratch_test_acc = scratch_model.evaluate(test_images, test_labels,
                                                                     verbose=2)

    # ------------------------------------------------------------------------------------------
    common.section("6. Predict")
    # predict gives each image the softmax's 10 probabilities, one per class: an (N, 10) array.
    print("The first test image:")
    if keras:
        keras_predictions = keras_model.predict(test_images, verbose=0)
        common.print_prediction("keras", keras_predictions[0], test_labels[0], class_names)
    if train_scratch:
        scratch_predictions = scratch_model.predict(test_images, verbose=0)
        common.print_prediction("scratch", scratch_predictions[0], test_labels[0], class_names)

    # One image: models work on batches, so make it a batch of one, shape (1, 28, 28).
    img = np.expand_dims(test_images[1], 0)
    print(f"\nTest image 1 alone, as a batch of shape {img.shape}:")
    if keras:
        keras_predictions_single = keras_model.predict(img, verbose=0)
        common.print_prediction("keras", keras_predictions_single[0], test_labels[1], class_names)
        plots.append(common.plot_single_prediction(args, "keras", keras_predictions_single,
                                                   test_labels[1], class_names, image_index=1))
    if train_scratch:
        scratch_predictions_single = scratch_model.predict(img, verbose=0)
        common.print_prediction("scratch", scratch_predictions_single[0], test_labels[1],
                                class_names)
        plots.append(common.plot_single_prediction(args, "scratch", scratch_predictions_single,
                                                   test_labels[1], class_names, image_index=1))

    # ------------------------------------------------------------------------------------------
    common.section("7. Compare")
    results = common.Results(args, train_images=len(train_images), test_images=len(test_images))
    if keras:
        results.add("keras", keras_history, keras_test_loss, keras_test_acc,
                    keras_timer.seconds, keras_predictions)
    if train_scratch:
        results.add("scratch", scratch_history, scratch_test_loss, scratch_test_acc,
                    scratch_timer.seconds, scratch_predictions)
    results.print_table()
    plots += results.plot(test_images, test_labels, class_names,
                          title=f"Lesson 01 — Adam, {args.epochs} epochs")
    common.finish(results, plots)


if __name__ == "__main__":
    main()
