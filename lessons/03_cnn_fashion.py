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
PATIENCE = 2             # EarlyStopping: epochs without a better val_loss before stopping
# The best-model files ModelCheckpoint writes into --out (section 4 says why they differ).
CHECKPOINTS = {"keras": "best_model.keras", "scratch": "best_model.weights.h5"}


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
    """Its scratch twin: the same lines with ``scratch`` for ``keras``."""
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
    keras = common.import_keras(args)           # None when Keras is not wanted or not installed

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
    scratch_model = scratch_cnn()
    if keras:
        keras_model = keras_cnn(keras)
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

    # ------------------------------------------------------------------------------------------
    common.section("3. Compile")
    # "adam" is Adam(learning_rate=0.001) on both sides. With a softmax output and
    # from_logits=False, Keras's TensorFlow backend still computes the loss from the logits under
    # the softmax (KERAS_SEMANTICS.md §3.3), and scratch does the same.
    if keras:
        keras_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                            metrics=["accuracy"])
    scratch_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"])
    print("optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'] on both")

    models = {}
    if keras:
        models["keras"] = keras_model
    if common.wants(args, "scratch"):
        models["scratch"] = scratch_model

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
    # restore_best_weights=True puts the best epoch's weights back at the end (in Keras 3 even
    # when training was not stopped early, KERAS_SEMANTICS.md §7.1). So afterwards the model in
    # memory and the checkpoint on disk hold the same weights.
    callbacks = {}
    if keras:
        callbacks["keras"] = [
            keras.callbacks.ModelCheckpoint(out(CHECKPOINTS["keras"]), save_best_only=True),
            keras.callbacks.EarlyStopping(patience=PATIENCE, restore_best_weights=True),
            common.epoch_timer(keras.callbacks.Callback),    # only for the comparison table
        ]
    callbacks["scratch"] = [
        scratch.callbacks.ModelCheckpoint(out(CHECKPOINTS["scratch"]), save_weights_only=True,
                                          save_best_only=True),
        scratch.callbacks.EarlyStopping(patience=PATIENCE, restore_best_weights=True),
        common.epoch_timer(scratch.callbacks.Callback),
    ]
    print(f"Keras:   ModelCheckpoint('{CHECKPOINTS['keras']}', save_best_only=True), "
          f"EarlyStopping(patience={PATIENCE}, restore_best_weights=True)\n"
          f"scratch: ModelCheckpoint('{CHECKPOINTS['scratch']}', save_weights_only=True, "
          f"save_best_only=True), the same EarlyStopping")

    # ------------------------------------------------------------------------------------------
    # From here on the code is the same for both stacks: the scratch API is Keras's.
    common.section(f"5. Train: up to {args.epochs} epochs, validating on the {len(x_val):,} "
                   "held-out images")
    results = common.Results(args, train_images=len(x_train), test_images=len(x_test))
    histories, epoch_seconds = {}, {}
    for stack, model in models.items():
        print(f"\n{common.STACK_LABELS[stack]}:")
        _, early_stopping, timer = callbacks[stack]
        histories[stack] = model.fit(x_train, y_train, epochs=args.epochs,
                                     validation_data=(x_val, y_val), verbose=1,
                                     callbacks=callbacks[stack])
        epoch_seconds[stack] = timer.seconds
        epochs_run = len(histories[stack].history["loss"])
        best_epoch = early_stopping.best_epoch + 1          # the callbacks count from 0
        stopped = early_stopping.stopped_epoch > 0
        print(f"{plural(epochs_run, 'epoch')}, {'stopped early' if stopped else 'no early stop'}; "
              f"best val_loss {min(histories[stack].history['val_loss']):.4f} at epoch "
              f"{best_epoch}, whose weights are restored")

    # ------------------------------------------------------------------------------------------
    common.section("6. The best checkpoint, loaded back")
    for stack, model in models.items():
        if stack == "keras":
            best = keras.models.load_model(out(CHECKPOINTS["keras"]))   # architecture: the file
        else:
            best = scratch_cnn()                                       # architecture: code
            best.load_weights(out(CHECKPOINTS["scratch"]))
        same = all(np.array_equal(a, b) for a, b in zip(best.get_weights(), model.get_weights()))
        print(f"{common.STACK_LABELS[stack]:8} {CHECKPOINTS[stack]}: "
              f"{len(best.get_weights())} arrays, "
              f"{'identical to' if same else 'DIFFERENT from'} the restored model's weights")

    # ------------------------------------------------------------------------------------------
    common.section("7. Evaluate on the validation and the test set")
    for stack, model in models.items():
        print(f"{common.STACK_LABELS[stack]}:")
        val_loss, val_accuracy = model.evaluate(x_val, y_val, verbose=0)
        test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=2)
        print(f"  validation accuracy {val_accuracy:.4f}, test accuracy {test_accuracy:.4f}")
        results.add(stack, histories[stack], test_loss, test_accuracy, epoch_seconds[stack])
        early_stopping = callbacks[stack][1]
        results.stacks[stack].update({
            "best_epoch": early_stopping.best_epoch + 1,          # 1-based, as the progress bar
            "stopped_early": bool(early_stopping.stopped_epoch > 0),
            "best_val_loss": float(val_loss),                    # evaluate of the restored weights
            "best_val_accuracy": float(val_accuracy),
            "checkpoint": CHECKPOINTS[stack],
        })

    # ------------------------------------------------------------------------------------------
    common.section("8. Predict")
    predictions = {}
    for stack, model in models.items():
        label = common.STACK_LABELS[stack]
        predictions[stack] = model.predict(x_test, verbose=0)    # (N, 10) probabilities
        # One image: models work on batches, so make it a batch of one, shape (1, 28, 28, 1).
        image = np.expand_dims(x_test[0], 0)
        single = model.predict(image, verbose=0)
        print(f"{label}: test image 0 {image.shape} -> {np.round(single[0], 2)}\n"
              f"    predicted {np.argmax(single)} ({class_names[np.argmax(single)]}), "
              f"true {y_test[0]} ({class_names[y_test[0]]})")
        plots.append(plotting.plot_prediction_bars(
            single, class_names, out(f"single_prediction_{stack}.png"), true_label=y_test[0],
            title=f"{label}: test image 0, given as a batch of one"))

    # ------------------------------------------------------------------------------------------
    common.section("9. Compare")
    results.print_table()
    print()
    for stack in models:
        numbers = results.stacks[stack]
        print(f"{common.STACK_LABELS[stack]:8} ran {plural(numbers['epochs'], 'epoch')}, "
              f"best at epoch {numbers['best_epoch']}; the restored weights score val loss "
              f"{numbers['best_val_loss']:.4f}, val accuracy {numbers['best_val_accuracy']:.4f}")
    print('(The "final" rows above are from the last epoch; evaluate used the restored best.)')

    # Solid lines = scratch, dashed = Keras (the order of this dict).
    curves = {common.STACK_LABELS[s]: histories[s] for s in ("scratch", "keras") if s in histories}
    plots.append(plotting.plot_history(
        curves, out("training_curves.png"),
        title=f"Lesson 03 — CNN, Adam, up to {args.epochs} epochs with EarlyStopping"))
    for stack in models:
        label = common.STACK_LABELS[stack]
        accuracy = results.stacks[stack]["test_accuracy"]
        plots.append(plotting.plot_predictions(
            x_test, y_test, predictions[stack], class_names, out(f"predictions_{stack}.png"),
            title=f"{label}: the first 15 test images"))
        plots.append(plotting.plot_confusion_matrix(
            y_test, predictions[stack], class_names, out(f"confusion_matrix_{stack}.png"),
            title=f"{label}: test set, accuracy {accuracy:.1%}"))

    common.finish(args, plots, results.save(plots))
    print("Best models:")
    for stack in models:
        print(f"  {CHECKPOINTS[stack]}")


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


if __name__ == "__main__":
    main()
