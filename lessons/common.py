"""Plumbing shared by the lessons, kept out of them so that each lesson script reads as the
tutorial: the Keras line, then its scratch twin.

What is here: the command line (``--epochs``, ``--quick``, ``--only``, ``--seed``, ``--out``), loading
Fashion-MNIST once, importing Keras only when it is wanted (and going on without it when
TensorFlow is not installed, with its start-up logs muted), timing each epoch, printing a
prediction or a checkpoint check in a few words, the side-by-side comparison table, the plots
that compare the stacks and the ``results.json`` of a run. What a lesson is about (building,
compiling, fitting with callbacks, evaluating and predicting) stays in the lesson, one Keras line
next to its scratch twin.

Example (inside a lesson)::

    args = common.parse_args(__file__, epochs=25)
    keras = common.import_keras(args)                 # None: skip every Keras line
    train_scratch = common.wants(args, "scratch")     # False with --only keras
    (x_train, y_train), (x_test, y_test) = common.load_data(args)
"""
import argparse
import json
import os
import platform
import sys
import time
import warnings

# TensorFlow reads this when it is imported: it hides most of its C++ start-up log lines.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    # `python lessons/01_basic_classification.py` puts lessons/ on the path, not the repo root;
    # this lets a plain checkout import scratch and keras_ref without `pip install -e .`.
    sys.path.insert(0, REPO_ROOT)

import numpy as np  # noqa: E402

from scratch import plotting  # noqa: E402
from scratch.atomic import atomic_path  # noqa: E402
from scratch.datasets import fashion_mnist  # noqa: E402

SEED = 42                       # default --seed: scratch's initial weights and batch order
QUICK_TRAIN_IMAGES = 3000       # --quick: a small subset, so CI can run every lesson
QUICK_TEST_IMAGES = 1000
QUICK_EPOCHS = 2
INSTALL_HINT = "pip install -e '.[keras]'"
STACK_LABELS = {"scratch": "scratch", "keras": "Keras"}


# ---------------------------------------------------------------------------- command line
def parse_args(lesson_file, epochs, argv=None, quick_help=None, add_arguments=None):
    """Parse the lesson's command line; ``args.lesson`` is the script's name without ``.py``.

    ``--out`` defaults to ``lessons_out/<lesson name>`` in the repository root (git-ignored).
    A lesson with a data set of its own says what ``--quick`` means there with ``quick_help``,
    and adds its own options with ``add_arguments(parser)``.
    """
    lesson = os.path.splitext(os.path.basename(lesson_file))[0]
    parser = argparse.ArgumentParser(
        prog=os.path.basename(lesson_file),
        description=f"Lesson {lesson}: train the Keras model and its from-scratch twin side by side.")
    parser.add_argument("--epochs", type=_positive_int, default=None,
                        help=f"training epochs (default: {epochs}, or {QUICK_EPOCHS} with --quick)")
    if quick_help is None:
        quick_help = (f"a small run for CI: the first {QUICK_TRAIN_IMAGES:,} training and "
                      f"{QUICK_TEST_IMAGES:,} test images, {QUICK_EPOCHS} epochs")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--only", choices=["scratch", "keras"],
                        help="train only one of the two stacks")
    parser.add_argument("--seed", type=int, default=SEED,
                        help=f"seed of the initial weights (shared by both stacks) and of scratch's "
                             f"batch order (default: {SEED}); change it to see how much runs differ")
    default_out = os.path.join(REPO_ROOT, "lessons_out", lesson)
    parser.add_argument("--out", default=default_out,
                        help=f"folder for the plots and results.json (default: lessons_out/{lesson} "
                             "in the repository root)")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = QUICK_EPOCHS if args.quick else epochs
    args.lesson = lesson
    return args


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of epochs, received {text}")
    return value


def positive_int(text):
    """argparse type: an int >= 1 (a count of images, pixels, ...)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, received {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, received {text}")
    return value


def wants(args, stack):
    """True if ``stack`` ("scratch" or "keras") is to be trained in this run."""
    return args.only in (None, stack)


# ---------------------------------------------------------------------------- Keras, optional
def import_keras(args):
    """``keras`` if this run trains the Keras side and TensorFlow is installed, else ``None``."""
    if not wants(args, "keras"):
        return None
    try:
        _import_tensorflow_quietly()
        import keras
    except ImportError as err:
        message = (f"TensorFlow/Keras is not installed ({err}), so the Keras side is skipped.\n"
                   f"To run it too: {INSTALL_HINT}")
        if args.only == "keras":
            sys.exit(f"{message}\n(--only keras leaves nothing to run.)")
        print(f"{message}\nContinuing with the scratch side.\n")
        return None
    # The tutorials write Flatten(input_shape=...); Keras 3 accepts it but warns every time.
    warnings.filterwarnings("ignore", message="Do not pass an `input_shape`")
    return keras


def _import_tensorflow_quietly():
    """Import TensorFlow with stderr muted: TF 2.21 prints absl INFO lines at import ("oneDNN
    custom operations are on", "Could not find cuda drivers") that TF_CPP_MIN_LOG_LEVEL does not
    reach. Python errors are raised after stderr is back, so nothing useful is hidden."""
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.close(devnull)


# ---------------------------------------------------------------------------- data
def load_data(args):
    """``fashion_mnist.load_data()`` (the arrays ``keras.datasets.fashion_mnist.load_data()``
    returns), cut to the first images with ``--quick``."""
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    source = fashion_mnist.find_data_dir()
    if args.quick:
        x_train, y_train = x_train[:QUICK_TRAIN_IMAGES], y_train[:QUICK_TRAIN_IMAGES]
        x_test, y_test = x_test[:QUICK_TEST_IMAGES], y_test[:QUICK_TEST_IMAGES]
    print(f"Fashion-MNIST from {source}: {len(x_train):,} training and {len(x_test):,} test "
          f"images of {x_train.shape[1]}x{x_train.shape[2]} pixels"
          f"{' (--quick subset)' if args.quick else ''}")
    return (x_train, y_train), (x_test, y_test)


# ---------------------------------------------------------------------------- output helpers
def section(title):
    """Print a heading, so the lesson's output reads in the same steps as its code."""
    print(f"\n{'=' * 8} {title} {'=' * max(4, 70 - len(title))}")


def epoch_timer(callback_base):
    """A callback recording each epoch's wall-clock seconds in ``.seconds`` (validation included).

    Pass the stack's callback class: ``epoch_timer(keras.callbacks.Callback)`` or
    ``epoch_timer(scratch.callbacks.Callback)``. The first epoch also pays for compilation
    (Numba's kernels, TensorFlow's graph), as it does for any user.
    """
    class EpochTimer(callback_base):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()


# ---------------------------------------------------------------------------- printing
def print_prediction(stack, probabilities, true_label, class_names):
    """One image's 10 class probabilities, the predicted class and the true one, on two lines."""
    predicted = int(np.argmax(probabilities))
    print(f"{STACK_LABELS[stack] + ':':8} {np.round(probabilities, 2)}\n"
          f"{'':8} predicted {predicted} ({class_names[predicted]}), "
          f"true {true_label} ({class_names[true_label]})")


def print_early_stopping(stack, history, early_stopping):
    """How many epochs ran, whether EarlyStopping ended the run, and the epoch it restored."""
    epochs_run = len(history.history["loss"])
    stopped = early_stopping.stopped_epoch > 0
    print(f"{STACK_LABELS[stack]}: {_plural(epochs_run, 'epoch')}, "
          f"{'stopped early' if stopped else 'no early stop'}; best val_loss "
          f"{min(history.history['val_loss']):.4f} at epoch {early_stopping.best_epoch + 1}, "
          "whose weights are restored")


def print_same_weights(stack, checkpoint, loaded_model, model):
    """Whether a model loaded from ``checkpoint`` holds exactly the weights of ``model``."""
    loaded, current = loaded_model.get_weights(), model.get_weights()
    same = len(loaded) == len(current) and all(
        np.array_equal(a, b) for a, b in zip(loaded, current))
    print(f"{STACK_LABELS[stack]:8} {checkpoint}: {len(loaded)} arrays, "
          f"{'identical to' if same else 'DIFFERENT from'} the restored model's weights")


def _plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


# ---------------------------------------------------------------------------- results
def run_numbers(history, epoch_seconds):
    """A run's History as results.json keeps it: the epoch count, the last epoch's loss and
    accuracy (training and validation), and the epoch times (mean, median, each)."""
    record = history.history
    return {
        "epochs": len(record["loss"]),
        "train_loss": float(record["loss"][-1]),
        "train_accuracy": float(record["accuracy"][-1]),
        "val_loss": float(record["val_loss"][-1]),
        "val_accuracy": float(record["val_accuracy"][-1]),
        "seconds_per_epoch": float(np.mean(epoch_seconds)),
        # The median ignores the first epoch's compiling (and decoding) and any epoch slowed by
        # other work.
        "median_seconds_per_epoch": float(np.median(epoch_seconds)),
        "epoch_seconds": [round(float(s), 3) for s in epoch_seconds],
    }


class Results:
    """The numbers of one run for each stack: the comparison table, the comparison plots and
    ``results.json``.

    Example (the end of a lesson)::

        results = common.Results(args, train_images=len(x_train), test_images=len(x_test))
        results.add("keras", keras_history, keras_test_loss, keras_test_accuracy,
                    keras_timer.seconds, keras_predictions)
        results.add("scratch", ...)
        results.print_table()
        plots += results.plot(x_test, y_test, class_names, title="Lesson 01")
        common.finish(results, plots)          # writes results.json
    """

    ROWS = [("final train loss", "train_loss", "{:.4f}"),
            ("final train accuracy", "train_accuracy", "{:.4f}"),
            ("final val loss", "val_loss", "{:.4f}"),
            ("final val accuracy", "val_accuracy", "{:.4f}"),
            ("test loss", "test_loss", "{:.4f}"),
            ("test accuracy", "test_accuracy", "{:.4f}"),
            ("seconds per epoch (median)", "median_seconds_per_epoch", "{:.2f}")]

    def __init__(self, args, train_images, test_images):
        self.args = args
        self.train_images = int(train_images)
        self.test_images = int(test_images)
        self.stacks = {}          # what results.json keeps, per stack
        self.histories = {}       # for the training curves
        self.predictions = {}     # (N, 10) test-set probabilities, for the plots

    def add(self, stack, history, test_loss, test_accuracy, epoch_seconds, predictions,
            early_stopping=None, checkpoint=None, restored_val=None):
        """Record one stack's run: its History, its ``evaluate`` on the test set, its epoch times
        and its test-set ``predict``. With EarlyStopping (lesson 03) also the best epoch, the
        checkpoint file and ``restored_val``, the (loss, accuracy) of the restored weights on the
        validation set."""
        numbers = run_numbers(history, epoch_seconds)
        numbers.update(test_loss=float(test_loss), test_accuracy=float(test_accuracy))
        if early_stopping is not None:
            numbers.update({
                "best_epoch": early_stopping.best_epoch + 1,     # 1-based, as the progress bar
                "stopped_early": bool(early_stopping.stopped_epoch > 0),
                "best_val_loss": float(restored_val[0]),         # evaluate of the restored weights
                "best_val_accuracy": float(restored_val[1]),
                "checkpoint": checkpoint,
            })
        self.stacks[stack] = numbers
        self.histories[stack] = history
        self.predictions[stack] = predictions

    def accuracy_gap_points(self):
        """Test accuracy difference between the stacks in percentage points (None with one)."""
        if len(self.stacks) != 2:
            return None
        scratch_run, keras_run = self.stacks["scratch"], self.stacks["keras"]
        return 100 * abs(scratch_run["test_accuracy"] - keras_run["test_accuracy"])

    def print_table(self, gap_note=None):
        """The side-by-side table: one column per stack trained in this run. ``gap_note``
        replaces the default words under it about how far apart the stacks usually end."""
        stacks = list(self.stacks)
        print(f"{'':28}" + "".join(f"{STACK_LABELS[s]:>12}" for s in stacks))
        for label, key, form in self.ROWS:
            print(f"{label:28}" + "".join(f"{form.format(self.stacks[s][key]):>12}" for s in stacks))
        gap = self.accuracy_gap_points()
        if gap is not None:
            if gap_note is None:
                gap_note = ("They start from the same weights but shuffle the batches differently, "
                            "so they differ a little:\nwithin about half a point after the full "
                            "lessons (measured 0.1–0.5), more after a short --quick run.")
            print(f"\nThe two stacks' test accuracies are {gap:.2f} percentage points apart.\n"
                  f"{gap_note}")
        if any("best_epoch" in numbers for numbers in self.stacks.values()):
            print()
            for stack, numbers in self.stacks.items():
                print(f"{STACK_LABELS[stack]:8} ran {_plural(numbers['epochs'], 'epoch')}, best "
                      f"at epoch {numbers['best_epoch']}; the restored weights score val loss "
                      f"{numbers['best_val_loss']:.4f}, val accuracy "
                      f"{numbers['best_val_accuracy']:.4f}")
            print('(The "final" rows above are from the last epoch; evaluate used the restored '
                  'best.)')

    def plot(self, images, labels, class_names, title):
        """Draw training_curves.png (solid lines scratch, dashed Keras), and for each stack
        predictions_<stack>.png (the first 15 test images) and confusion_matrix_<stack>.png.
        Returns their paths."""
        curves = {STACK_LABELS[s]: self.histories[s]
                  for s in ("scratch", "keras") if s in self.histories}   # solid lines first
        paths = [plotting.plot_history(curves, _out(self.args, "training_curves.png"),
                                       title=title)]
        for stack, probabilities in self.predictions.items():
            label = STACK_LABELS[stack]
            accuracy = self.stacks[stack]["test_accuracy"]
            paths.append(plotting.plot_predictions(
                images, labels, probabilities, class_names,
                _out(self.args, f"predictions_{stack}.png"),
                title=f"{label}: the first 15 test images"))
            paths.append(plotting.plot_confusion_matrix(
                labels, probabilities, class_names, _out(self.args, f"confusion_matrix_{stack}.png"),
                title=f"{label}: test set, accuracy {accuracy:.1%}"))
        return paths

    def save(self, plots):
        """Write ``results.json`` into ``args.out`` (atomically) and return its path."""
        return save_results(self.args, {
            "train_images": self.train_images,
            "test_images": self.test_images,
            "stacks": self.stacks,
            "test_accuracy_gap_points": self.accuracy_gap_points(),
        }, plots)


def save_results(args, fields, plots):
    """Write ``results.json`` into ``args.out`` (atomically) and return its path: the lesson, the
    run's settings, the lesson's ``fields``, the plots' names and the library versions."""
    results = {
        "lesson": args.lesson,
        "quick": args.quick,
        "epochs": args.epochs,
        "seed": args.seed,             # initial weights (both stacks), scratch's batch order
        **fields,
        "plots": [os.path.basename(p) for p in plots],
        "versions": _versions(),
    }
    path = _out(args, "results.json")
    with atomic_path(path) as temporary, open(temporary, "w") as stream:
        json.dump(results, stream, indent=2)
        stream.write("\n")
    return path


def plot_single_prediction(args, stack, probabilities, true_label, class_names, image_index):
    """single_prediction_<stack>.png: the bar chart of one image's 10 class probabilities."""
    return plotting.plot_prediction_bars(
        probabilities, class_names, _out(args, f"single_prediction_{stack}.png"),
        true_label=true_label,
        title=f"{STACK_LABELS[stack]}: test image {image_index}, given as a batch of one")


def _out(args, name):
    return os.path.join(args.out, name)


def _versions():
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for name in ("numba", "tensorflow", "keras"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = module.__version__
    return versions


def finish(results, plots):
    """Write ``results.json`` and tell the learner where the output went."""
    results_path = results.save(plots)
    print_output(results.args, list(plots) + [results_path])
    checkpoints = [n["checkpoint"] for n in results.stacks.values() if "checkpoint" in n]
    if checkpoints:
        print("Best models:")
        for name in checkpoints:
            print(f"  {name}")


def print_output(args, paths):
    """The closing section: the output folder and the files written into it."""
    section("Output")
    print(f"Plots and numbers are in {os.path.abspath(args.out)}:")
    for path in paths:
        print(f"  {os.path.basename(path)}")
