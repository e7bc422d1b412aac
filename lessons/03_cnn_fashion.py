"""Lesson 03 — a convolutional network (CNN) for Fashion-MNIST, twice: with Keras and with its
from-scratch twin.

This follows the classic "CNN image classification" tutorial on Fashion-MNIST: the images get a
channel axis, (28, 28) → (28, 28, 1), and pixels in [0, 1]; 20% of the training images are
held out for validation; Conv2D(32) → MaxPooling → Conv2D(64) → MaxPooling → Flatten →
Dense(100) → Dropout(0.4) → Dense(10, softmax), trained with Adam for up to 20 epochs while
ModelCheckpoint keeps the best model on disk and EarlyStopping ends the run when the validation
loss stops improving; then the loss curves, evaluate, one prediction as a bar chart, and a
diagram of the model.

Run it from the repository root:

    python lessons/03_cnn_fashion.py              # the full lesson (~6 minutes on 2 cores)
    python lessons/03_cnn_fashion.py --quick      # a small subset, 2 epochs (well under a minute)
    python lessons/03_cnn_fashion.py --only scratch --epochs 3 --out /tmp/lesson03

The plots, the two best-model checkpoints and a results.json land in lessons_out/03_cnn_fashion/
unless --out says else.
"""
import os

import numpy as np

import common  # first: it puts the repository root on the import path
import scratch
from scratch import plotting
from scratch.datasets.fashion_mnist import CLASS_NAMES

SPLIT_SEED = 42          # the train/validation split: the same for both stacks and every --seed
VALIDATION_FRACTION = 0.2
# The best-model files ModelCheckpoint writes into --out (section 4 says why they differ).
KERAS_CHECKPOINT = "best_model.keras"
SCRATCH_CHECKPOINT = "best_model.weights.h5"


def keras_cnn(keras):
    """The tutorial's CNN in Keras."""
    return keras.Sequential([
        keras.layers.Conv2D(32, 3, activation="relu", padding="same", input_shape=(28, 28, 1)),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu", padding="same"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dropout(0.4),
        keras.layers.Dense(10, activation="softmax"),
    ])


def scratch_cnn():
    """Its scratch twin: the same lines with ``scratch`` for ``keras``. A function, because
    section 6 builds it a second time to load the best weights into."""
    return scratch.Sequential([
        scratch.layers.Conv2D(32, 3, activation="relu", padding="same", input_shape=(28, 28, 1)),
        scratch.layers.MaxPooling2D(2),
        scratch.layers.Conv2D(64, 3, activation="relu", padding="same"),
        scratch.layers.MaxPooling2D(2),
        scratch.layers.Flatten(),
        scratch.layers.Dense(100, activation="relu"),
        scratch.layers.Dropout(0.4),
        scratch.layers.Dense(10, activation="softmax"),
    ])


def main():
    args = common.parse_args(__file__, epochs=20)
    # Each step below is a Keras line, then its scratch twin. The Keras lines run only when
    # `keras` is not None: --only scratch never imports TensorFlow, and without TensorFlow
    # installed the lesson says so and trains the scratch side alone.
    keras = common.import_keras(args)
    train_scratch = common.wants(args, "scratch")   # False with --only keras

    def out(name):
        return os.path.join(args.out, name)

    # Seed the scratch side: its initial weights (which Keras will copy), its batch order and its
    # dropout masks repeat from run to run. Keras is left unseeded on purpose: after
    # keras.utils.set_random_seed, Keras 3.15's fit(shuffle=True) deals the batches in the same
    # order every epoch (measured), which trains differently — on lesson 01 it cost Keras about
    # 1.3 points of test accuracy.
    scratch.set_random_seed(args.seed)

    # ------------------------------------------------------------------------------------------
    common.section("1. The data: a channel axis, pixels in [0, 1], 20% held out for validation")
    # Keras: (x_train_full, y_train_full), (x_test, y_test) = \
    #            keras.datasets.fashion_mnist.load_data()
    # scratch: scratch.datasets.fashion_mnist.load_data() returns the very same uint8 arrays.
    (x_train_full, y_train_full), (x_test, y_test) = common.load_data(args)

    # Conv2D wants images with a channel axis, (height, width, channels): grayscale has one.
    # float32 is what both stacks compute in; dividing a float32 array by 255.0 stays float32 and
    # takes half the memory of the float64 that `x / 255.0` on uint8 would make.
    x_train_full = x_train_full.reshape(-1, 28, 28, 1).astype("float32") / 255.0
    x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255.0

    # An 80/20 split in a shuffled order (what scikit-learn's train_test_split(test_size=0.2,
    # random_state=42) does, with a NumPy permutation instead): both stacks get the same split.
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x_train_full))
    n_val = int(round(VALIDATION_FRACTION * len(x_train_full)))
    val_index, train_index = order[:n_val], order[n_val:]
    x_train, y_train = x_train_full[train_index], y_train_full[train_index]
    x_val, y_val = x_train_full[val_index], y_train_full[val_index]
    del x_train_full
    print(f"x_train {x_train.shape} {x_train.dtype}, x_val {x_val.shape}, x_test {x_test.shape}; "
          f"pixels in [{x_train.min():.0f}, {x_train.max():.0f}]")
    print(f"validation classes: {np.bincount(y_val, minlength=10)} (a shuffled split keeps them "
          "about even)")

    class_names = CLASS_NAMES      # label 0..9 -> 'T-shirt/top', 'Trouser', ..., 'Ankle boot'
    plots = [plotting.plot_sample_grid(x_train, y_train, class_names, out("sample_grid.png"))]

    # ------------------------------------------------------------------------------------------
    common.section("2. Build the CNN: Keras, then its scratch twin")
    if keras:
        keras_model = keras_cnn(keras)
    scratch_model = scratch_cnn()
    if keras:
        # Same architecture, same weight layouts (Conv2D kernels (3, 3, in, out), Dense (in, out)):
        # copy the scratch initial weights into Keras, so both stacks start from identical numbers.
        keras_model.set_weights(scratch_model.get_weights())
        print("Keras:")
        keras_model.summary()
    print("scratch:")
    scratch_model.summary()

    # Keras draws the model with keras.utils.plot_model(model, "model.png", show_shapes=True),
    # which needs the pydot package and the Graphviz program. scratch's plot_model_diagram draws
    # the same boxes (name, input and output shapes, parameter count) with matplotlib alone.
    plots.append(plotting.plot_model_diagram(scratch_model, out("model_diagram.png"),
                                             title="Lesson 03 — the CNN, layer by layer"))
    print("Conv2D(32, 3) has 3*3*1*32 + 32 = 320 weights; Conv2D(64, 3) has 3*3*32*64 + 64 = "
          "18,496; after two poolings Flatten gives 7*7*64 = 3,136 numbers per image.")
    # What computes the convolutions: the maths to read is conv2d_forward in
    # scratch/ops/reference.py (im2col and one matrix product). On the default "cpu" backend the
    # engine (scratch/engine/) computes the same numbers faster: a Numba im2col for the first
    # Conv2D (1 input channel) and Winograd's F(2x2, 3x3) for the second (32 channels), with each
    # batch split over the cores. scratch.backend.set_backend("reference") runs the readable one.

    # ------------------------------------------------------------------------------------------
    common.section("3. Compile")
    # "adam" is Adam(learning_rate=0.001) on both sides. With a softmax output and
    # from_logits=False, Keras's TensorFlow backend still computes the loss from the logits under
    # the softmax: `softmax` keeps its input as `output._keras_logits`, and
    # `sparse_categorical_crossentropy` takes it back through `_get_logits`
    # (keras/src/backend/tensorflow/nn.py). scratch does the same.
    if keras:
        keras_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                            metrics=["accuracy"])
    scratch_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"])
    print("optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'] on both")

    # ------------------------------------------------------------------------------------------
    common.section("4. Callbacks: keep the best model, stop when val_loss stops improving")
    # ModelCheckpoint(save_best_only=True) writes a file each time val_loss reaches a new best.
    # The two files differ:
    #   Keras:   best_model.keras — a zip of the model's config (its architecture as JSON), its
    #            weights and the optimizer's state: keras.models.load_model() rebuilds the model
    #            from the file alone, without this script's code.
    #   scratch: best_model.weights.h5 (save_weights_only=True) — the weights only, in the layout
    #            of Keras's model.save_weights() (keras_cnn(keras).load_weights() reads it too).
    #            scratch models have no serialised config, so to use the file you build the
    #            architecture in code again and call load_weights().
    # EarlyStopping(patience=2) ends training after 2 epochs without a better val_loss, and
    # restore_best_weights=True puts the best epoch's weights back at the end — in Keras 3 even
    # when training was not stopped early: EarlyStopping.on_train_end restores whenever it holds
    # best weights (keras/src/callbacks/early_stopping.py). So afterwards the model in memory and
    # the checkpoint on disk hold the same weights.
    if keras:
        keras_checkpoint = keras.callbacks.ModelCheckpoint(out(KERAS_CHECKPOINT),
                                                           save_best_only=True)
        keras_early_stopping = keras.callbacks.EarlyStopping(patience=2,
                                                             restore_best_weights=True)
        print(f"Keras:   ModelCheckpoint('{KERAS_CHECKPOINT}', save_best_only=True), "
              "EarlyStopping(patience=2, restore_best_weights=True)")
    scratch_checkpoint = scratch.callbacks.ModelCheckpoint(out(SCRATCH_CHECKPOINT),
                                                           save_weights_only=True,
                                                           save_best_only=True)
    scratch_early_stopping = scratch.callbacks.EarlyStopping(patience=2,
                                                             restore_best_weights=True)
    print(f"scratch: ModelCheckpoint('{SCRATCH_CHECKPOINT}', save_weights_only=True, "
          "save_best_only=True), EarlyStopping(patience=2, restore_best_weights=True)")

    # ------------------------------------------------------------------------------------------
    common.section(f"5. Train: up to {args.epochs} epochs, validating on the {len(x_val):,} "
                   "held-out images")
    # The timers only measure seconds per epoch for the comparison table.
    if keras:
        print("Keras:")
        keras_timer = common.epoch_timer(keras.callbacks.Callback)
        keras_history = keras_model.fit(
            x_train, y_train, epochs=args.epochs, validation_data=(x_val, y_val),
            callbacks=[keras_checkpoint, keras_early_stopping, keras_timer])
        common.print_early_stopping("keras", keras_history, keras_early_stopping)
    if train_scratch:
        print("scratch:")
        scratch_timer = common.epoch_timer(scratch.callbacks.Callback)
        scratch_history = scratch_model.fit(
            x_train, y_train, epochs=args.epochs, validation_data=(x_val, y_val),
            callbacks=[scratch_checkpoint, scratch_early_stopping, scratch_timer])
        common.print_early_stopping("scratch", scratch_history, scratch_early_stopping)

    # ------------------------------------------------------------------------------------------
    common.section("6. The best checkpoint, loaded back")
    if keras:
        keras_best = keras.models.load_model(out(KERAS_CHECKPOINT))   # architecture: the file
        common.print_same_weights("keras", KERAS_CHECKPOINT, keras_best, keras_model)
    if train_scratch:
        scratch_best = scratch_cnn()                                  # architecture: code
        scratch_best.load_weights(out(SCRATCH_CHECKPOINT))
        common.print_same_weights("scratch", SCRATCH_CHECKPOINT, scratch_best, scratch_model)

    # ------------------------------------------------------------------------------------------
    common.section("7. Evaluate on the validation and the test set")
    if keras:
        print("Keras:")
        keras_val_loss, keras_val_accuracy = keras_model.evaluate(x_val, y_val, verbose=0)
        keras_test_loss, keras_test_accuracy = keras_model.evaluate(x_test, y_test, verbose=2)
        print(f"  validation accuracy {keras_val_accuracy:.4f}, "
              f"test accuracy {keras_test_accuracy:.4f}")
    if train_scratch:
        print("scratch:")
        scratch_val_loss, scratch_val_accuracy = scratch_model.evaluate(x_val, y_val, verbose=0)
        scratch_test_loss, scratch_test_accuracy = scratch_model.evaluate(x_test, y_test,
                                                                          verbose=2)
        print(f"  validation accuracy {scratch_val_accuracy:.4f}, "
              f"test accuracy {scratch_test_accuracy:.4f}")

    # ------------------------------------------------------------------------------------------
    common.section("8. Predict")
    # One image: models work on batches, so make it a batch of one, shape (1, 28, 28, 1).
    image = np.expand_dims(x_test[0], 0)
    print(f"Test image 0 alone, as a batch of shape {image.shape}:")
    if keras:
        keras_single = keras_model.predict(image, verbose=0)
        common.print_prediction("keras", keras_single[0], y_test[0], class_names)
        plots.append(common.plot_single_prediction(args, "keras", keras_single, y_test[0],
                                                   class_names, image_index=0))
        keras_predictions = keras_model.predict(x_test, verbose=0)   # every test image, for plots
    if train_scratch:
        scratch_single = scratch_model.predict(image, verbose=0)
        common.print_prediction("scratch", scratch_single[0], y_test[0], class_names)
        plots.append(common.plot_single_prediction(args, "scratch", scratch_single, y_test[0],
                                                   class_names, image_index=0))
        scratch_predictions = scratch_model.predict(x_test, verbose=0)

    # ------------------------------------------------------------------------------------------
    common.section("9. Compare")
    results = common.Results(args, train_images=len(x_train), test_images=len(x_test))
    if keras:
        results.add("keras", keras_history, keras_test_loss, keras_test_accuracy,
                    keras_timer.seconds, keras_predictions,
                    early_stopping=keras_early_stopping, checkpoint=KERAS_CHECKPOINT,
                    restored_val=(keras_val_loss, keras_val_accuracy))
    if train_scratch:
        results.add("scratch", scratch_history, scratch_test_loss, scratch_test_accuracy,
                    scratch_timer.seconds, scratch_predictions,
                    early_stopping=scratch_early_stopping, checkpoint=SCRATCH_CHECKPOINT,
                    restored_val=(scratch_val_loss, scratch_val_accuracy))
    results.print_table()
    plots += results.plot(x_test, y_test, class_names,
                          title=f"Lesson 03 — CNN, Adam, up to {args.epochs} epochs "
                                "with EarlyStopping")
    common.finish(results, plots)


if __name__ == "__main__":
    main()
