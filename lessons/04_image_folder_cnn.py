"""Lesson 04 — a CNN on a folder of pictures, with and without data augmentation, twice: with
Keras and with its from-scratch twin.

This follows TensorFlow's tutorial "Image classification"
(https://www.tensorflow.org/tutorials/images/classification), written in Keras 3's spelling: a
folder of pictures with one sub-folder per class becomes a dataset with
``image_dataset_from_directory`` (80% training, 20% validation, seed 123), ``cache``, ``shuffle``
and ``prefetch`` keep it fast; Rescaling(1/255) → three Conv2D + MaxPooling2D blocks (16, 32, 64
filters) → Flatten → Dense(128, relu) → Dense(classes) logits, Adam and
SparseCategoricalCrossentropy(from_logits=True). The training curves show it overfitting; then
RandomFlip, RandomRotation and RandomZoom (a Sequential used as the model's first layer) and
Dropout(0.2) narrow the gap between training and validation accuracy; finally one new picture,
its logits turned into probabilities by a softmax.

What the default run shows (measured, 2 cores): both stacks reach about 96% test accuracy
(guessing: 20%) within half a point of each other; training accuracy climbs to 99% while
validation accuracy stays near 96-97%. Augmentation and dropout bring the training accuracy
down towards the validation accuracy (the gap, averaged over the last 3 epochs, shrinks from
2-3 points to 1.2-1.5 over --seed 42, 1, 7), but on these pictures they also cost 1-3 points
of test accuracy: Fashion-MNIST's pictures are all upright
and centred, so turning them by up to 36 degrees teaches the model little that the test
pictures need. Photos taken from every angle, as the tutorial's flowers, are where these
changes are meant to help.

The data. ``--data-dir DIR`` takes any folder of class sub-folders (the tutorial's
``flower_photos``: 3,670 photos of 5 flowers). Without it the lesson writes a small real image
folder into its output folder (``data/``, reused by later runs) with ``lessons/image_folder.py``:
Fashion-MNIST pictures of 5 classes that look unlike each other (t-shirt, trouser, sneaker, bag,
ankle boot), 300 a class, PNG and JPEG files of sizes 40 to 96 pixels, plus a test folder of 200
a class from Fashion-MNIST's test images and one new picture, none of them in the training folder.

Run it from the repository root:

    python lessons/04_image_folder_cnn.py              # the default folder, 64x64, 10 + 15 epochs
                                                       # (about a minute on 2 cores)
    python lessons/04_image_folder_cnn.py --quick      # a small folder, 2 + 2 epochs (seconds)
    python lessons/04_image_folder_cnn.py --only scratch --epochs 3 --out /tmp/lesson04

The tutorial's full setting (its flower photos, 180x180 pixels, 10 epochs, then 15 with
augmentation; its new picture is the "Red_sunflower" it downloads):

    python lessons/04_image_folder_cnn.py --data-dir ~/.keras/datasets/flower_photos \\
        --image-size 180 --epochs 10 --augmented-epochs 15 --image Red_sunflower.jpg

At 180x180 the model holds 3,989,285 weights and an epoch on 2,936 pictures takes roughly
10 s (Keras) and 20-25 s (scratch) on 2 cores, about twice that with augmentation (measured on
a Fashion-MNIST folder of the flowers' size, on a busy machine): 20-25 minutes in all.

The plots (sample grid, augmentation grid, both runs' training curves, the prediction) and a
results.json land in lessons_out/04_image_folder_cnn/ unless --out says else.
"""
import os
import warnings

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

import common  # first: it puts the repository root on the import path
import image_folder
import scratch
from scratch import plotting
from scratch.atomic import atomic_path
from scratch.datasets import fashion_mnist
from scratch.utils.image_decoding import load_image
from scratch.utils.image_resizing import resize_image

# The tutorial's settings.
BATCH_SIZE = 32
VALIDATION_SPLIT = 0.2
SPLIT_SEED = 123          # image_dataset_from_directory's seed: the same split on both stacks
# This lesson's defaults, measured on 2 cores: both stacks, both runs in about a minute. 64x64
# pixels are plenty for pictures drawn from 28x28 ones; 300 pictures a class (1,200 to train on,
# 300 to validate on) overfit visibly within the tutorial's 10 epochs (fewer make the validation
# numbers noisy; 600 overfit less), and a 1,000-picture test set tells the stacks apart to about
# a point.
IMAGE_SIZE = 64
PER_CLASS = 300           # pictures a class in the default training folder
TEST_PER_CLASS = 200      # pictures a class in the default test folder
EPOCHS, AUGMENTED_EPOCHS = 10, 15
QUICK = {"image_size": 64, "per_class": 60, "test_per_class": 40}     # --quick: 2 + 2 epochs
GAP_EPOCHS = 3            # the train/validation gap: its mean over the last 3 epochs
NEW_IMAGE_INDEX = 0       # Fashion-MNIST's first test image (an ankle boot) is the "new" picture
NEW_IMAGE_SIDE = 90


def add_arguments(parser):
    parser.add_argument("--augmented-epochs", type=common.positive_int, default=None,
                        help=f"epochs of the second run, with augmentation and dropout (default: "
                             f"{AUGMENTED_EPOCHS}; 1.5 times --epochs when --epochs is given, as "
                             "the tutorial's 10 and 15; --epochs with --quick)")
    parser.add_argument("--data-dir", default=None,
                        help="a folder of class sub-folders of pictures (e.g. the tutorial's "
                             "flower_photos); default: a Fashion-MNIST picture folder written into "
                             "--out/data")
    parser.add_argument("--test-dir", default=None,
                        help="a folder with the same class sub-folders, to test on (default: the "
                             "Fashion-MNIST test pictures with the default folder, none with "
                             "--data-dir)")
    parser.add_argument("--image", default=None,
                        help="the new picture to classify at the end (default: a Fashion-MNIST "
                             "test picture with the default folder, the first validation picture "
                             "with --data-dir)")
    parser.add_argument("--image-size", type=common.positive_int, default=None,
                        help=f"side in pixels every picture is resized to (default: {IMAGE_SIZE}; "
                             "the tutorial: 180)")
    parser.add_argument("--per-class", type=common.positive_int, default=None,
                        help=f"pictures a class in the default folder (default: {PER_CLASS}, "
                             f"{QUICK['per_class']} with --quick)")


def main():
    args = common.parse_args(
        __file__, epochs=EPOCHS, add_arguments=add_arguments,
        quick_help=f"a small run for CI: {QUICK['per_class']} pictures a class in the default "
                   f"folder, {common.QUICK_EPOCHS} + {common.QUICK_EPOCHS} epochs")
    settings(args)
    # Each step below is a Keras line, then its scratch twin. The Keras lines run only when
    # `keras` is not None: --only scratch never imports TensorFlow, and without TensorFlow
    # installed the lesson says so and trains the scratch side alone.
    keras = common.import_keras(args)
    train_scratch = common.wants(args, "scratch")   # False with --only keras
    if keras:
        import tensorflow as tf   # for tf.data.AUTOTUNE: Keras 3 has no name of its own for it
        # fit's shuffle argument defaults to True, and Keras 3.15 warns on every tf.data dataset
        # that it ignores it: a dataset shuffles itself (.shuffle(1000) below).
        warnings.filterwarnings("ignore", message="`shuffle=True` was passed")

    def out(name):
        return os.path.join(args.out, name)

    # Seed the scratch side: its initial weights (which Keras will copy), the shuffle of its
    # batches, its augmentations and dropout masks repeat from run to run. Keras is left
    # unseeded, as in the other lessons (see lesson 01).
    scratch.set_random_seed(args.seed)

    # ------------------------------------------------------------------------------------------
    common.section("1. The data: a folder of pictures, one sub-folder per class")
    data = find_data(args)
    data_dir = data["directory"]
    img_height = img_width = args.image_size
    batch_size = BATCH_SIZE

    # 80% of the files train, 20% validate. The split is drawn from `seed`, so the two calls
    # (subset="training", then "validation") cut the same shuffled list in two, without overlap.
    # Both loaders, given the same seed, put the very same files in each subset.
    if keras:
        print("Keras:")
        keras_train_ds = keras.utils.image_dataset_from_directory(
            data_dir, validation_split=VALIDATION_SPLIT, subset="training", seed=SPLIT_SEED,
            image_size=(img_height, img_width), batch_size=batch_size)
        keras_val_ds = keras.utils.image_dataset_from_directory(
            data_dir, validation_split=VALIDATION_SPLIT, subset="validation", seed=SPLIT_SEED,
            image_size=(img_height, img_width), batch_size=batch_size)
    print("scratch:")
    scratch_train_ds = scratch.utils.image_dataset_from_directory(
        data_dir, validation_split=VALIDATION_SPLIT, subset="training", seed=SPLIT_SEED,
        image_size=(img_height, img_width), batch_size=batch_size)
    scratch_val_ds = scratch.utils.image_dataset_from_directory(
        data_dir, validation_split=VALIDATION_SPLIT, subset="validation", seed=SPLIT_SEED,
        image_size=(img_height, img_width), batch_size=batch_size)

    # The class names are the sub-folders' names, in alphabetical order: label 0 is the first.
    class_names = scratch_train_ds.class_names
    print(f"class_names: {class_names}")
    if keras:
        same = (keras_train_ds.class_names == class_names
                and list(keras_train_ds.file_paths) == list(scratch_train_ds.file_paths)
                and list(keras_val_ds.file_paths) == list(scratch_val_ds.file_paths))
        print("(Keras's are the same, and so are the files of each subset.)" if same else
              "(Keras's class names or files DIFFER from scratch's: the stacks see other data.)")
    num_classes = len(class_names)
    if data["new_image"] is None:                 # --data-dir without --image
        data["new_image"] = scratch_val_ds.file_paths[0]
        data["image_class"] = class_names[int(scratch_val_ds.labels[0])]

    # The images come in batches: (32, height, width, 3) float32 pixels in [0, 255], (32,) int32.
    for image_batch, labels_batch in scratch_train_ds:
        print(f"a batch: images {image_batch.shape} {image_batch.dtype}, "
              f"labels {labels_batch.shape} {labels_batch.dtype}")
        break
    # The tutorial's 3x3 grid of the first batch's first 9 pictures, each with its class name
    # (as uint8, the way plt.imshow shows 0..255 pixels).
    for images, labels in scratch_train_ds.take(1):
        plots = [plotting.plot_sample_grid(images[:9].astype("uint8"), labels[:9], class_names,
                                           out("sample_grid.png"), n=9)]

    # Keep the decoded pictures in memory after the first epoch (cache), shuffle the batches
    # through a buffer of 1000 each epoch, and let tf.data read ahead while the model trains
    # (prefetch; scratch accepts it and reads nothing ahead).
    test_ds = {}
    if keras:
        AUTOTUNE = tf.data.AUTOTUNE
        keras_train_ds = keras_train_ds.cache().shuffle(1000).prefetch(buffer_size=AUTOTUNE)
        keras_val_ds = keras_val_ds.cache().prefetch(buffer_size=AUTOTUNE)
    AUTOTUNE = scratch.utils.AUTOTUNE
    scratch_train_ds = scratch_train_ds.cache().shuffle(1000).prefetch(buffer_size=AUTOTUNE)
    scratch_val_ds = scratch_val_ds.cache().prefetch(buffer_size=AUTOTUNE)

    # Standardize: the pixels are 0..255, a network wants small numbers. A Rescaling layer can
    # map the dataset ...
    if keras:
        normalization_layer = keras.layers.Rescaling(1. / 255)
        normalized_ds = keras_train_ds.map(lambda x, y: (normalization_layer(x), y))
        image_batch, labels_batch = next(iter(normalized_ds))
        first_image = np.asarray(image_batch[0])
        print(f"Keras:   pixels of a mapped picture: {np.min(first_image):.3f} to "
              f"{np.max(first_image):.3f}")
    normalization_layer = scratch.layers.Rescaling(1. / 255)
    normalized_ds = scratch_train_ds.map(lambda x, y: (normalization_layer(x), y))
    image_batch, labels_batch = next(iter(normalized_ds))
    first_image = image_batch[0]
    print(f"scratch: pixels of a mapped picture: {np.min(first_image):.3f} to "
          f"{np.max(first_image):.3f}")
    # ... but, as the tutorial does, the models below start with the Rescaling layer instead.

    # A test set the model never sees while training (the tutorial has none: it stops at the
    # validation set). Unshuffled: evaluate reads it once.
    if data["test_directory"]:
        if keras:
            print("Keras:   test folder")
            test_ds["keras"] = keras.utils.image_dataset_from_directory(
                data["test_directory"], image_size=(img_height, img_width), batch_size=batch_size,
                shuffle=False).cache()
        print("scratch: test folder")
        test_ds["scratch"] = scratch.utils.image_dataset_from_directory(
            data["test_directory"], image_size=(img_height, img_width), batch_size=batch_size,
            shuffle=False)
        check_test_classes(test_ds["scratch"].class_names, class_names)
    data.update(class_names=class_names, image_size=[img_height, img_width],
                train_images=scratch_train_ds.num_samples(),
                validation_images=scratch_val_ds.num_samples(),
                test_images=test_ds["scratch"].num_samples() if test_ds else None)

    # ------------------------------------------------------------------------------------------
    common.section("2. Build the model: Keras, then its scratch twin")
    if keras:
        keras_model = keras.Sequential([
            keras.layers.Rescaling(1. / 255, input_shape=(img_height, img_width, 3)),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(num_classes),
        ])
    scratch_model = scratch.Sequential([
        scratch.layers.Rescaling(1. / 255, input_shape=(img_height, img_width, 3)),
        scratch.layers.Conv2D(16, 3, padding="same", activation="relu"),
        scratch.layers.MaxPooling2D(),
        scratch.layers.Conv2D(32, 3, padding="same", activation="relu"),
        scratch.layers.MaxPooling2D(),
        scratch.layers.Conv2D(64, 3, padding="same", activation="relu"),
        scratch.layers.MaxPooling2D(),
        scratch.layers.Flatten(),
        scratch.layers.Dense(128, activation="relu"),
        scratch.layers.Dense(num_classes),
    ])
    # The last layer has no activation: it gives logits, one score a class; a softmax would turn
    # them into probabilities, and the loss below applies it itself (from_logits=True).
    if keras:
        # Same architecture, same weight layouts: copy the scratch initial weights into Keras,
        # so both stacks start from identical numbers. (keras_ref.to_keras(scratch_model) builds
        # the same Keras model from the scratch one, weights included.)
        keras_model.set_weights(scratch_model.get_weights())
        print("Both built; Keras holds the scratch model's initial weights.")
    else:
        print("scratch model built.")

    # ------------------------------------------------------------------------------------------
    common.section("3. Compile and look at the model")
    # from_logits=True: the loss takes the raw scores and computes log-softmax inside, which is
    # more accurate than a softmax layer followed by a logarithm.
    if keras:
        keras_model.compile(optimizer="adam",
                            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                            metrics=["accuracy"])
        print("Keras:")
        keras_model.summary()
    scratch_model.compile(optimizer="adam",
                          loss=scratch.losses.SparseCategoricalCrossentropy(from_logits=True),
                          metrics=["accuracy"])
    print("scratch:")
    scratch_model.summary()
    flat = (img_height // 8) * (img_width // 8) * 64
    print(f"Three poolings halve {img_height}x{img_width} three times: Flatten gives "
          f"{img_height // 8}*{img_width // 8}*64 = {flat:,} numbers, and Dense(128) holds "
          f"{flat:,}*128 + 128 = {flat * 128 + 128:,} of the {scratch_model.count_params():,} "
          "weights.")

    # ------------------------------------------------------------------------------------------
    epochs = args.epochs
    common.section(f"4. Train: {epochs} epochs on {data['train_images']:,} pictures, validating "
                   f"on {data['validation_images']:,}")
    runs = {}
    if keras:
        print("Keras:")
        keras_timer = common.epoch_timer(keras.callbacks.Callback)
        keras_history = keras_model.fit(keras_train_ds, validation_data=keras_val_ds,
                                        epochs=epochs, callbacks=[keras_timer])
    if train_scratch:
        print("scratch:")
        scratch_timer = common.epoch_timer(scratch.callbacks.Callback)
        scratch_history = scratch_model.fit(scratch_train_ds, validation_data=scratch_val_ds,
                                            epochs=epochs, callbacks=[scratch_timer])

    common.section("5. Evaluate, and the training curves: overfitting")
    # evaluate runs the model in inference mode. On the training pictures it says how well the
    # model fits what it learned from; on the test pictures, how well it does on new ones.
    if keras:
        runs.setdefault("keras", {})["without_augmentation"] = evaluate_run(
            keras_model, keras_history, keras_timer, keras_train_ds, test_ds.get("keras"))
    if train_scratch:
        runs.setdefault("scratch", {})["without_augmentation"] = evaluate_run(
            scratch_model, scratch_history, scratch_timer, scratch_train_ds, test_ds.get("scratch"))
    print_runs(runs, "without_augmentation")
    curves = {}
    if train_scratch:
        curves["scratch"] = scratch_history        # solid lines
    if keras:
        curves["Keras"] = keras_history            # dashed lines
    plots.append(plotting.plot_history(
        curves, out("training_curves.png"),
        title=f"Lesson 04 — without augmentation, {epochs} epochs: training accuracy climbs, "
              "validation accuracy stalls"))

    # ------------------------------------------------------------------------------------------
    common.section("6. Data augmentation: random flips, rotations and zooms")
    # Layers that change every training picture a little, a new way each epoch: the model never
    # sees the same picture twice, which makes memorising the training set harder. They are
    # layers of a model: they augment in fit and when called directly, and do nothing in
    # evaluate and predict.
    # RandomRotation(0.1) turns by up to 0.1 of a full turn (36 degrees) either way;
    # RandomZoom(0.1) zooms in or out by up to 10%.
    if keras:
        keras_data_augmentation = keras.Sequential([
            keras.layers.RandomFlip("horizontal", input_shape=(img_height, img_width, 3)),
            keras.layers.RandomRotation(0.1),
            keras.layers.RandomZoom(0.1),
        ])
    scratch_data_augmentation = scratch.Sequential([
        scratch.layers.RandomFlip("horizontal", input_shape=(img_height, img_width, 3)),
        scratch.layers.RandomRotation(0.1),
        scratch.layers.RandomZoom(0.1),
    ])
    # The tutorial's grid: the first picture of a batch, augmented 9 times. Called directly
    # (without training=...), the layers augment, as Keras's do.
    for images, labels in scratch_train_ds.take(1):
        augmented = [scratch_data_augmentation(images)[0] for _ in range(9)]
        augmented = np.clip(np.stack(augmented), 0, 255).astype("uint8")
        plots.append(plotting.plot_sample_grid(augmented, np.repeat(labels[:1], 9), class_names,
                                               out("augmentation_grid.png"), n=9))
    print("augmentation_grid.png: one training picture, augmented 9 times by scratch's layers")

    # The same model with data_augmentation as its first layer (a model used as a layer), and
    # Dropout(0.2): in training, a random 20% of the numbers reaching Flatten are set to zero
    # (the others scaled by 1/0.8), another way to keep the model from memorising.
    if keras:
        keras_model = keras.Sequential([
            keras_data_augmentation,
            keras.layers.Rescaling(1. / 255),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Dropout(0.2),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(num_classes, name="outputs"),
        ])
    scratch_model = scratch.Sequential([
        scratch_data_augmentation,
        scratch.layers.Rescaling(1. / 255),
        scratch.layers.Conv2D(16, 3, padding="same", activation="relu"),
        scratch.layers.MaxPooling2D(),
        scratch.layers.Conv2D(32, 3, padding="same", activation="relu"),
        scratch.layers.MaxPooling2D(),
        scratch.layers.Conv2D(64, 3, padding="same", activation="relu"),
        scratch.layers.MaxPooling2D(),
        scratch.layers.Dropout(0.2),
        scratch.layers.Flatten(),
        scratch.layers.Dense(128, activation="relu"),
        scratch.layers.Dense(num_classes, name="outputs"),
    ])
    if keras:
        keras_model.set_weights(scratch_model.get_weights())     # the same new start again
        keras_model.compile(optimizer="adam",
                            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                            metrics=["accuracy"])
        print("Keras:")
        keras_model.summary()
    scratch_model.compile(optimizer="adam",
                          loss=scratch.losses.SparseCategoricalCrossentropy(from_logits=True),
                          metrics=["accuracy"])
    print("scratch:")
    scratch_model.summary()

    # ------------------------------------------------------------------------------------------
    epochs = args.augmented_epochs
    common.section(f"7. Train again, with augmentation and dropout: {epochs} epochs")
    if keras:
        print("Keras:")
        keras_timer = common.epoch_timer(keras.callbacks.Callback)
        keras_history = keras_model.fit(keras_train_ds, validation_data=keras_val_ds,
                                        epochs=epochs, callbacks=[keras_timer])
    if train_scratch:
        print("scratch:")
        scratch_timer = common.epoch_timer(scratch.callbacks.Callback)
        scratch_history = scratch_model.fit(scratch_train_ds, validation_data=scratch_val_ds,
                                            epochs=epochs, callbacks=[scratch_timer])

    common.section("8. Evaluate, and the new training curves")
    if keras:
        runs["keras"]["with_augmentation"] = evaluate_run(
            keras_model, keras_history, keras_timer, keras_train_ds, test_ds.get("keras"))
    if train_scratch:
        runs["scratch"]["with_augmentation"] = evaluate_run(
            scratch_model, scratch_history, scratch_timer, scratch_train_ds, test_ds.get("scratch"))
    print_runs(runs, "with_augmentation")
    curves = {}
    if train_scratch:
        curves["scratch"] = scratch_history
    if keras:
        curves["Keras"] = keras_history
    plots.append(plotting.plot_history(
        curves, out("training_curves_augmented.png"),
        title=f"Lesson 04 — with augmentation and dropout, {epochs} epochs: training and "
              "validation stay closer"))

    # ------------------------------------------------------------------------------------------
    common.section("9. Predict on a new picture")
    print(data["image_note"])
    # The tutorial: img = keras.utils.load_img(path, target_size=(img_height, img_width))
    #               img_array = keras.ops.expand_dims(keras.utils.img_to_array(img), 0)
    # load_img decodes with Pillow and resizes with its nearest-neighbour by default, not as the
    # folder loader does. Here load_image decodes the file and resize_image resizes it the
    # loader's way (TensorFlow's JPEG pixels, tf.image.resize bilinear), so the model sees the
    # picture as it saw its training pictures, and both stacks get this one array.
    img = load_image(data["new_image"], "rgb")                  # uint8 (height, width, 3)
    img_array = resize_image(img, (img_height, img_width))       # float32, 0..255
    img_array = np.expand_dims(img_array, 0)                     # a batch of one
    print(f"{os.path.basename(data['new_image'])}: {img.shape[1]}x{img.shape[0]} pixels, "
          f"resized to a batch of shape {img_array.shape}")
    scores = {}
    if keras:
        keras_predictions = keras_model.predict(img_array, verbose=0)    # logits, (1, classes)
        scores["keras"] = keras.ops.convert_to_numpy(keras.ops.softmax(keras_predictions[0]))
    if train_scratch:
        scratch_predictions = scratch_model.predict(img_array, verbose=0)
        scores["scratch"] = scratch.activations.softmax(scratch_predictions[0])
    prediction = {"image": data["new_image"], "true_class": data["image_class"]}
    for stack, score in scores.items():
        print(f"{common.STACK_LABELS[stack] + ':':8} This image most likely belongs to "
              f"{class_names[np.argmax(score)]} with a {100 * np.max(score):.2f} percent "
              f"confidence.  (probabilities {np.round(score, 3)})")
        prediction[stack] = {"class": class_names[int(np.argmax(score))],
                             "confidence": float(np.max(score)),
                             "probabilities": [round(float(p), 6) for p in score]}
    if data["image_class"] is not None:
        print(f"{'':8} (its true class: {data['image_class']})")
    plots.append(plot_prediction(out("prediction.png"), img_array[0], scores, class_names,
                                 data["image_class"], os.path.basename(data["new_image"])))

    # ------------------------------------------------------------------------------------------
    common.section("10. Compare")
    print_runs(runs, "without_augmentation", "with_augmentation")
    results_path = common.save_results(args, {
        "augmented_epochs": args.augmented_epochs,
        "data": {key: value for key, value in data.items() if key != "image_note"},
        "stacks": runs,
        "train_val_gap_points": {stack: {run: numbers["train_val_gap_points"]
                                         for run, numbers in stack_runs.items()}
                                 for stack, stack_runs in runs.items()},
        "test_accuracy_gap_points": test_accuracy_gaps(runs),
        "prediction": prediction,
    }, plots)
    common.print_output(args, plots + [results_path])


# ---------------------------------------------------------------------------------- plumbing
def settings(args):
    """Fill in the defaults that depend on --quick and --epochs."""
    if args.image_size is None:
        args.image_size = QUICK["image_size"] if args.quick else IMAGE_SIZE
    if args.per_class is None:
        args.per_class = QUICK["per_class"] if args.quick else PER_CLASS
    args.test_per_class = QUICK["test_per_class"] if args.quick else TEST_PER_CLASS
    if args.augmented_epochs is None:
        if args.quick:
            args.augmented_epochs = args.epochs
        elif args.epochs == EPOCHS:
            args.augmented_epochs = AUGMENTED_EPOCHS
        else:                       # the tutorial's 10 -> 15
            args.augmented_epochs = max(1, round(1.5 * args.epochs))


def find_data(args):
    """The folders and the new picture this run uses, and what they are, as a dict."""
    if args.data_dir:
        if not os.path.isdir(args.data_dir):
            raise SystemExit(f"--data-dir: {args.data_dir!r} is not a folder (expected a folder "
                             "of class sub-folders of pictures)")
        data = {"source": "--data-dir", "directory": os.path.abspath(args.data_dir),
                "test_directory": None, "new_image": None, "image_class": None}
        print(f"Using the folder {data['directory']} (--data-dir).")
    else:
        data = write_default_folders(args)
    if args.test_dir:
        if not os.path.isdir(args.test_dir):
            raise SystemExit(f"--test-dir: {args.test_dir!r} is not a folder")
        data["test_directory"] = os.path.abspath(args.test_dir)
    if args.image:
        if not os.path.isfile(args.image):
            raise SystemExit(f"--image: {args.image!r} is not a file")
        folder = os.path.basename(os.path.dirname(os.path.abspath(args.image)))
        data.update(new_image=os.path.abspath(args.image),
                    image_class=folder if os.path.isdir(os.path.join(data["directory"], folder))
                    else None,
                    image_note=f"The picture given with --image: {args.image}")
    elif data["new_image"] is None:
        data["image_note"] = ("No --image given: the first validation picture stands in for a new "
                              "one (the model has not trained on it, but it is from the folder).")
    if data["test_directory"] is None:
        print("No test folder (--test-dir): the numbers below stop at the validation set, as the "
              "tutorial does.")
    else:
        print(f"Test pictures: {data['test_directory']}")
    return data


def write_default_folders(args):
    """The default data, written into --out/data (or reused from an earlier run): a training
    folder of Fashion-MNIST training pictures, a test folder of test pictures and one new
    picture (Fashion-MNIST's first test image), none of them in the training folder."""
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    root = os.path.join(args.out, "data")
    os.makedirs(root, exist_ok=True)
    directory = image_folder.write_image_folder(os.path.join(root, "pictures"), x_train, y_train,
                                                per_class=args.per_class)
    keep = np.arange(len(x_test)) != NEW_IMAGE_INDEX          # the new picture is not a test one
    test_directory = image_folder.write_image_folder(
        os.path.join(root, "test_pictures"), x_test[keep], y_test[keep],
        per_class=args.test_per_class, seed=1)
    image_class = image_folder.CLASSES[int(y_test[NEW_IMAGE_INDEX])]
    new_image = os.path.join(root, f"new_picture_{image_class}.jpg")
    if not os.path.isfile(new_image):
        picture = Image.fromarray(x_test[NEW_IMAGE_INDEX]).convert("RGB")
        picture.resize((NEW_IMAGE_SIDE, NEW_IMAGE_SIDE), Image.BILINEAR).save(new_image)
    print(f"No --data-dir: using Fashion-MNIST pictures written by lessons/image_folder.py into "
          f"{root}:\n  pictures/ ({args.per_class} a class, {len(image_folder.CLASSES)} classes, "
          f"PNG and JPEG, {image_folder.SIZES[0]} to {image_folder.SIZES[1]} pixels a side), "
          f"test_pictures/ ({args.test_per_class} a class, from the test images), "
          f"{os.path.basename(new_image)}")
    return {"source": "Fashion-MNIST pictures (lessons/image_folder.py)", "directory": directory,
            "test_directory": test_directory, "new_image": new_image, "image_class": image_class,
            "image_note": f"A new picture: Fashion-MNIST's test image {NEW_IMAGE_INDEX}, written "
                          f"as {os.path.basename(new_image)} ({NEW_IMAGE_SIDE}x{NEW_IMAGE_SIDE}); "
                          "it is in neither folder."}


def check_test_classes(test_class_names, class_names):
    if test_class_names != class_names:
        raise SystemExit(f"--test-dir: expected the class sub-folders {class_names}, found "
                         f"{test_class_names}")


def evaluate_run(model, history, timer, train_ds, test_ds):
    """One stack's run as numbers: its History's last epoch, evaluate on the training pictures
    (inference mode: no augmentation, no dropout) and on the test pictures, the epoch times.
    The gap is training minus validation accuracy in points, as the curves show it: its mean over
    the last GAP_EPOCHS epochs (one epoch's validation accuracy moves by a point or two from
    epoch to epoch), and the last epoch's."""
    record = history.history
    gaps = 100 * (np.asarray(record["accuracy"]) - np.asarray(record["val_accuracy"]))
    _, train_accuracy = model.evaluate(train_ds, verbose=0)
    numbers = common.run_numbers(history, timer.seconds)
    numbers.update({
        "train_val_gap_points": float(np.mean(gaps[-GAP_EPOCHS:])),
        "final_train_val_gap_points": float(gaps[-1]),
        "train_accuracy_evaluated": float(train_accuracy),
        "test_loss": None,
        "test_accuracy": None,
        "history": {key: [round(float(v), 5) for v in record[key]]
                    for key in ("loss", "accuracy", "val_loss", "val_accuracy")},
    })
    if test_ds is not None:
        test_loss, test_accuracy = model.evaluate(test_ds, verbose=0)
        numbers.update(test_loss=float(test_loss), test_accuracy=float(test_accuracy))
    return numbers


ROWS = [("final train accuracy", "train_accuracy", "{:.4f}"),
        ("final val accuracy", "val_accuracy", "{:.4f}"),
        ("gap train - val, last epoch", "final_train_val_gap_points", "{:.2f}"),
        (f"  mean of last {GAP_EPOCHS} epochs", "train_val_gap_points", "{:.2f}"),
        ("train accuracy, evaluate", "train_accuracy_evaluated", "{:.4f}"),
        ("test accuracy", "test_accuracy", "{:.4f}"),
        ("final val loss", "val_loss", "{:.4f}"),
        ("seconds per epoch (median)", "median_seconds_per_epoch", "{:.2f}")]
RUN_LABELS = {"without_augmentation": "", "with_augmentation": " +aug"}


def print_runs(runs, *run_names):
    """The side-by-side table: a column per stack and run."""
    columns = [(stack, run) for run in run_names for stack in ("keras", "scratch")
               if run in runs.get(stack, {})]
    print(f"{'':28}" + "".join(f"{common.STACK_LABELS[s] + RUN_LABELS[r]:>14}"
                               for s, r in columns))
    for label, key, form in ROWS:
        cells = [runs[s][r][key] for s, r in columns]
        print(f"{label:28}" + "".join(f"{'-' if v is None else form.format(v):>14}"
                                      for v in cells))
    gaps = test_accuracy_gaps(runs)
    for run in run_names:
        if gaps.get(run) is not None:
            print(f"The stacks' test accuracies{RUN_LABELS[run] and ' with augmentation'} are "
                  f"{gaps[run]:.2f} points apart (same initial weights, different batch orders"
                  f"{' and random draws' if run == 'with_augmentation' else ''}).")
    print("The gap is the training accuracy (on augmented pictures with dropout, in the second "
          "run) minus the validation accuracy, in points;\n'train accuracy, evaluate' is measured "
          "after training, without augmentation or dropout.")


def test_accuracy_gaps(runs):
    """|scratch − Keras| test accuracy in points, per run (None without both stacks or a test
    set)."""
    gaps = {}
    for run in RUN_LABELS:
        values = [runs.get(stack, {}).get(run, {}).get("test_accuracy")
                  for stack in ("scratch", "keras")]
        gaps[run] = None if None in values else 100 * abs(values[0] - values[1])
    return gaps


def plot_prediction(path, picture, scores, class_names, image_class, image_name):
    """prediction.png: the new picture as the model saw it (resized) and each stack's softmax
    probabilities, side by side bars, the predicted class and its probability in the legend."""
    fig = Figure(figsize=(11, 4.4), dpi=plotting.DPI)
    grid = fig.add_gridspec(1, 2, width_ratios=[1, 2.2])
    image_ax = fig.add_subplot(grid[0])
    image_ax.imshow(np.clip(np.round(picture), 0, 255).astype("uint8"))
    image_ax.set_xticks([])
    image_ax.set_yticks([])
    true_text = "unknown" if image_class is None else image_class
    image_ax.set_xlabel(f"{image_name}\n(true class: {true_text})", fontsize=10)
    bar_ax = fig.add_subplot(grid[1])
    positions = np.arange(len(class_names))
    width = 0.8 / max(1, len(scores))
    colors = {"scratch": "tab:blue", "keras": "tab:orange"}
    scores = {stack: scores[stack] for stack in ("scratch", "keras") if stack in scores}
    for i, (stack, score) in enumerate(scores.items()):
        best = int(np.argmax(score))
        bars = bar_ax.bar(positions + (i - (len(scores) - 1) / 2) * width, score, width,
                          color=colors[stack],
                          label=f"{common.STACK_LABELS[stack]}: {class_names[best]}, "
                                f"{100 * score[best]:.1f}%")
        for bar, value in zip(bars, score):
            bar_ax.annotate(f"{100 * value:.0f}%", (bar.get_x() + bar.get_width() / 2, value),
                            xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                            fontsize=8)
    bar_ax.set_xticks(positions)
    bar_ax.set_xticklabels(class_names, rotation=30, ha="right", rotation_mode="anchor")
    bar_ax.set_ylim(0, 1.25)
    bar_ax.set_yticks(np.linspace(0, 1, 6))
    bar_ax.set_ylabel("probability (softmax of the logits)")
    bar_ax.legend(loc="upper right", fontsize=9)
    fig.suptitle("Lesson 04 — a new picture, classified by the model trained with augmentation")
    fig.tight_layout()
    with atomic_path(path) as temporary:
        fig.savefig(temporary, format="png", dpi=plotting.DPI)
    return path


if __name__ == "__main__":
    main()
