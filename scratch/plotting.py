"""Plots for the lessons: sample grids, training curves, prediction grids, confusion matrices,
prediction bars and a model diagram.

They work with either stack: a "history" is anything with a ``.history`` dict of per-epoch lists
(``scratch``'s and Keras's ``History``) or that dict itself.

Every function draws on its own ``matplotlib.figure.Figure`` (rendered by Agg, never registered
with ``pyplot``), so no window opens, nothing needs ``plt.show()`` and no global figure is left
open whatever backend the caller uses. Each one writes one PNG atomically — to a temporary name
in the target folder, then ``os.replace`` — creating the folder if needed, and returns the path.
Bad input raises ``ValueError`` naming the argument, before any file is touched.

Example::

    >>> from scratch import plotting
    >>> from scratch.datasets import fashion_mnist
    >>> (x_train, y_train), _ = fashion_mnist.load_data()                       # doctest: +SKIP
    >>> plotting.plot_sample_grid(x_train, y_train, fashion_mnist.CLASS_NAMES,
    ...                           "out/samples.png")                             # doctest: +SKIP
    'out/samples.png'
"""
import math
import numbers
import os

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch

from scratch.atomic import atomic_path
from scratch.summary import format_shape

DPI = 100
# Colours of the TensorFlow tutorial's plot_image / plot_value_array.
RIGHT_COLOR = "blue"
WRONG_COLOR = "red"
OTHER_BAR_COLOR = "#777777"
# One line style per stack in plot_history (solid = the first stack, dashed = the second, ...);
# one colour per split.
STACK_LINESTYLES = ("-", "--", ":", "-.")
SPLIT_COLORS = {"train": "tab:blue", "validation": "tab:orange"}
# plot_model_diagram's layout, in inches (the axes' data units are inches, so these are sizes
# on the page): 12 layers make a picture about 7 x 16 inches, 700 x 1600 pixels.
DIAGRAM_WIDTH = 7.0
DIAGRAM_BOX_WIDTH = 6.2
DIAGRAM_BOX_HEIGHT = 0.95
DIAGRAM_HEADER_HEIGHT = 0.36
DIAGRAM_GAP = 0.42              # room for the arrow between two boxes
DIAGRAM_TOP = 0.75              # title
DIAGRAM_BOTTOM = 0.75           # total parameter count and the colour key
DIAGRAM_COLORS = {"weights": "#cfe2f3", "no weights": "#e6e6e6", "edge": "#555555"}


# ---------------------------------------------------------------------------- public functions
def plot_sample_grid(images, labels, class_names, path, n=25):
    """The tutorial's grid of the first ``n`` images (5x5 for 25), each with its class name.

    Args:
        images: ``(N, H, W)`` grayscale or ``(N, H, W, C)`` with C in 1, 3, 4; uint8 0–255 or
            floats (each image is scaled to its own range, as ``plt.imshow`` does).
        labels: ``(N,)`` integer class indices into ``class_names``.
        class_names: sequence of the class names.
        path: the PNG to write.
        n: how many images to show (the grid is ``ceil(sqrt(n))`` wide); at most ``N``.

    Returns:
        ``path``.

    Example::

        >>> plot_sample_grid(x_train, y_train, CLASS_NAMES, "out/samples.png")   # doctest: +SKIP
        'out/samples.png'
    """
    images = _as_images(images, "images")
    class_names = _as_class_names(class_names)
    labels = _as_labels(labels, len(class_names), "labels")
    _check_same_length(images, "images", labels, "labels")
    n = _check_positive_int(n, "n")
    n = min(n, len(images))
    if n == 0:
        raise ValueError("images: expected at least one image, received 0")
    side = math.ceil(math.sqrt(n))
    rows = math.ceil(n / side)

    fig = Figure(figsize=(2 * side, 2 * rows + 0.2), dpi=DPI)
    for i in range(n):
        ax = fig.add_subplot(rows, side, i + 1)
        _show_image(ax, images[i])
        ax.set_xlabel(class_names[labels[i]], fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def plot_history(histories, path, title=None):
    """Training curves of several runs overlaid: loss on the left, accuracy on the right.

    Each run gets a line style (solid for the first, dashed for the second, …) and each split a
    colour (train blue, validation orange); the legend names both, e.g. "scratch train",
    "Keras validation". Keys read from each history: ``loss``, ``val_loss``, ``accuracy``,
    ``val_accuracy`` (those present; a missing accuracy leaves its panel without that run).

    Args:
        histories: ``{"scratch": history, "Keras": keras_history}``; a history is an object
            with a ``.history`` dict (both stacks' ``History``) or such a dict of lists.
        path: the PNG to write.
        title: optional figure title.

    Returns:
        ``path``.

    Example::

        >>> plot_history({"scratch": h1, "Keras": h2}, "out/curves.png")   # doctest: +SKIP
        'out/curves.png'
    """
    if not isinstance(histories, dict) or not histories:
        raise ValueError("histories: expected a non-empty dict {name: History}, received "
                         f"{type(histories).__name__}{'' if histories else ' (empty)'}")
    if len(histories) > len(STACK_LINESTYLES):
        raise ValueError(f"histories: at most {len(STACK_LINESTYLES)} runs can be told apart, "
                         f"received {len(histories)}")
    records = {str(name): _history_dict(history, f"histories[{name!r}]")
               for name, history in histories.items()}

    fig = Figure(figsize=(12, 4.6), dpi=DPI)
    panels = [("loss", "Loss"), ("accuracy", "Accuracy")]
    for index, (metric, label) in enumerate(panels):
        ax = fig.add_subplot(1, 2, index + 1)
        for linestyle, (name, record) in zip(STACK_LINESTYLES, records.items()):
            for split, key in (("train", metric), ("validation", f"val_{metric}")):
                values = record.get(key)
                if values:
                    epochs = np.arange(1, len(values) + 1)
                    ax.plot(epochs, values, linestyle=linestyle, color=SPLIT_COLORS[split],
                            marker="o" if len(values) < 3 else None, label=f"{name} {split}")
        ax.set_title(label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label.lower())
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(True, alpha=0.3)
        if ax.lines:
            ax.legend(loc="upper right" if metric == "loss" else "lower right", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_predictions(images, labels, probabilities, class_names, path, rows=5, cols=3,
                     title=None):
    """The tutorials' ``plot_image`` + ``plot_value_array`` for the first ``rows * cols`` images.

    Each image is labelled "Sneaker 87% (Sneaker)" — predicted class, its probability, (true
    class) — in blue when right and red when wrong; beside it, the 10-bar probability chart with
    the predicted bar red and the true bar blue (so a right prediction shows one blue bar).

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, C)``.
        labels: ``(N,)`` true class indices.
        probabilities: ``(N, num_classes)`` model outputs (e.g. ``model.predict(images)``).
        class_names: the ``num_classes`` names.
        path: the PNG to write.
        rows, cols: grid size; ``rows * cols`` images are shown (fewer if ``N`` is smaller).
        title: optional figure title.

    Returns:
        ``path``.

    Example::

        >>> probabilities = model.predict(x_test)                                    # doctest: +SKIP
        >>> plot_predictions(x_test, y_test, probabilities, CLASS_NAMES, "out/p.png")  # doctest: +SKIP
        'out/p.png'
    """
    images = _as_images(images, "images")
    class_names = _as_class_names(class_names)
    labels = _as_labels(labels, len(class_names), "labels")
    probabilities = _as_probabilities(probabilities, len(class_names), "probabilities")
    _check_same_length(images, "images", labels, "labels")
    _check_same_length(images, "images", probabilities, "probabilities")
    rows = _check_positive_int(rows, "rows")
    cols = _check_positive_int(cols, "cols")
    count = min(rows * cols, len(images))
    if count == 0:
        raise ValueError("images: expected at least one image, received 0")
    rows = math.ceil(count / cols)

    fig = Figure(figsize=(4.4 * cols, 2.3 * rows + 0.6), dpi=DPI)
    for i in range(count):
        predicted = int(np.argmax(probabilities[i]))
        color = RIGHT_COLOR if predicted == labels[i] else WRONG_COLOR
        image_ax = fig.add_subplot(rows, 2 * cols, 2 * i + 1)
        _show_image(image_ax, images[i])
        image_ax.set_xlabel(f"{class_names[predicted]} {100 * probabilities[i, predicted]:2.0f}% "
                            f"({class_names[labels[i]]})", color=color, fontsize=10)
        bar_ax = fig.add_subplot(rows, 2 * cols, 2 * i + 2)
        _draw_probability_bars(bar_ax, probabilities[i], predicted, labels[i])
        bar_ax.set_xticks(range(len(class_names)))
        bar_ax.tick_params(axis="x", labelsize=8)
        bar_ax.set_yticks([])
    key = (f"bars: probability of each class 0–{len(class_names) - 1}; red = predicted class, "
           "blue = true class")
    fig.suptitle(f"{title}\n{key}" if title else key, fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def plot_confusion_matrix(labels, predicted, class_names, path, title="Confusion matrix"):
    """Counts of (true class, predicted class) pairs, each cell annotated with its count.

    Args:
        labels: ``(N,)`` true class indices.
        predicted: ``(N,)`` predicted class indices, or ``(N, num_classes)`` probabilities
            (their argmax is taken).
        class_names: the ``num_classes`` names (tick labels; the x ones are rotated).
        path: the PNG to write.
        title: figure title.

    Returns:
        ``path``.

    Example::

        >>> plot_confusion_matrix(y_test, model.predict(x_test), CLASS_NAMES, "out/cm.png")  # doctest: +SKIP
        'out/cm.png'
    """
    class_names = _as_class_names(class_names)
    num_classes = len(class_names)
    labels = _as_labels(labels, num_classes, "labels")
    if np.ndim(predicted) == 2:
        predicted = np.argmax(_as_probabilities(predicted, num_classes, "predicted"), axis=1)
    predicted = _as_labels(predicted, num_classes, "predicted")
    _check_same_length(labels, "labels", predicted, "predicted")
    counts = confusion_matrix(labels, predicted, num_classes)

    fig = Figure(figsize=(8.5, 7.5), dpi=DPI)
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    threshold = counts.max() / 2 if counts.size else 0
    for true_class in range(num_classes):
        for predicted_class in range(num_classes):
            value = counts[true_class, predicted_class]
            ax.text(predicted_class, true_class, str(value), ha="center", va="center", fontsize=9,
                    color="white" if value > threshold else "black")
    ax.set_xticks(range(num_classes))
    ax.set_xticklabels(class_names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(num_classes))
    ax.set_yticklabels(class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    fig.tight_layout()
    return _save(fig, path)


def plot_prediction_bars(probabilities, class_names, path, title=None, true_label=None):
    """Bar chart of one prediction: one bar per class, the predicted one red (blue when it is
    also ``true_label``), the true one blue, each bar's probability written above it.

    Args:
        probabilities: ``(num_classes,)`` or ``(1, num_classes)`` — e.g. ``model.predict`` of
            one image given as a batch of one (``np.expand_dims(image, 0)``).
        class_names: the ``num_classes`` names.
        path: the PNG to write.
        title: optional first title line; a second line always names the predicted class
            (and the true one when given).
        true_label: optional true class index, drawn blue.

    Returns:
        ``path``.

    Example::

        >>> single = model.predict(np.expand_dims(x_test[1], 0))                  # doctest: +SKIP
        >>> plot_prediction_bars(single, CLASS_NAMES, "out/one.png", true_label=y_test[1])  # doctest: +SKIP
        'out/one.png'
    """
    class_names = _as_class_names(class_names)
    array = np.asarray(probabilities)
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 1:
        raise ValueError(f"probabilities: expected shape ({len(class_names)},) or "
                         f"(1, {len(class_names)}), received shape {np.shape(probabilities)}")
    array = _as_probabilities(array[None, :], len(class_names), "probabilities")[0]
    if true_label is not None:
        true_label = int(_as_labels([true_label], len(class_names), "true_label")[0])
    predicted = int(np.argmax(array))

    fig = Figure(figsize=(8, 4.2), dpi=DPI)
    ax = fig.add_subplot(1, 1, 1)
    bars = _draw_probability_bars(ax, array, predicted, true_label)
    for bar, value in zip(bars, array):
        ax.annotate(f"{100 * value:.0f}%", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=8)
    # Head room above the 100% line: the labels of full bars, then the legend in one row above
    # them, so a confident prediction of the last class is not hidden under the legend.
    ax.set_ylim(0, 1.32)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("probability")
    ax.set_xticks(range(len(class_names)))
    ax.set_xticklabels(class_names, rotation=45, ha="right", rotation_mode="anchor")
    verdict = f"predicted: {class_names[predicted]} ({100 * array[predicted]:.0f}%)"
    if true_label is not None:
        verdict += f", true class: {class_names[true_label]}"
    ax.set_title(f"{title}\n{verdict}" if title else verdict)
    if true_label == predicted:
        key = [Patch(color=RIGHT_COLOR, label="predicted = true class")]
    else:
        key = [Patch(color=WRONG_COLOR, label="predicted class")]
        if true_label is not None:
            key.append(Patch(color=RIGHT_COLOR, label="true class"))
    ax.legend(handles=key, loc="upper right", ncol=len(key), fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def plot_model_diagram(model, path, title=None):
    """A drawing of a Sequential model's layers, like ``keras.utils.plot_model(model,
    show_shapes=True)`` but with matplotlib alone (Keras's needs pydot and Graphviz).

    One box per layer, top to bottom, joined by arrows: a header ``name (ClassName)`` and below
    it the input shape, the output shape and the parameter count; layers with weights are blue,
    the others grey. The total parameter count is written under the last box.

    Args:
        model: a built model with ``.layers`` — a ``scratch.Sequential`` (reads each layer's
            ``input_shape``, ``output_shape`` and ``count_params()``) or a built Keras model
            (whose layers give ``layer.input.shape`` / ``layer.output.shape`` instead).
        path: the PNG to write.
        title: optional title above the boxes (default: the model's name).

    Returns:
        ``path``.

    Example::

        >>> model = scratch.Sequential([scratch.layers.Dense(10, input_shape=(4,))])  # doctest: +SKIP
        >>> plot_model_diagram(model, "out/model.png")                                 # doctest: +SKIP
        'out/model.png'
    """
    rows = _diagram_rows(model)
    if title is None:
        title = str(getattr(model, "name", "") or "")

    count = len(rows)
    height = DIAGRAM_TOP + count * DIAGRAM_BOX_HEIGHT + (count - 1) * DIAGRAM_GAP + DIAGRAM_BOTTOM
    fig = Figure(figsize=(DIAGRAM_WIDTH, height), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, DIAGRAM_WIDTH)
    ax.set_ylim(0, height)
    ax.axis("off")
    left = (DIAGRAM_WIDTH - DIAGRAM_BOX_WIDTH) / 2
    center = DIAGRAM_WIDTH / 2
    columns = [left + DIAGRAM_BOX_WIDTH * f for f in (0.2, 0.56, 0.87)]   # x of the 3 cells
    if title:
        ax.text(center, height - DIAGRAM_TOP / 2, title, ha="center", va="center", fontsize=13)

    top = height - DIAGRAM_TOP
    for index, (header, input_shape, output_shape, params) in enumerate(rows):
        bottom = top - DIAGRAM_BOX_HEIGHT
        fill = DIAGRAM_COLORS["weights" if params else "no weights"]
        ax.add_patch(FancyBboxPatch((left, bottom), DIAGRAM_BOX_WIDTH, DIAGRAM_BOX_HEIGHT,
                                    boxstyle="round,pad=0,rounding_size=0.06", facecolor="white",
                                    edgecolor=DIAGRAM_COLORS["edge"], linewidth=1.2))
        header_bottom = top - DIAGRAM_HEADER_HEIGHT
        ax.add_patch(FancyBboxPatch((left, header_bottom), DIAGRAM_BOX_WIDTH, DIAGRAM_HEADER_HEIGHT,
                                    boxstyle="round,pad=0,rounding_size=0.06", facecolor=fill,
                                    edgecolor=DIAGRAM_COLORS["edge"], linewidth=1.2))
        ax.text(center, header_bottom + DIAGRAM_HEADER_HEIGHT / 2, header, ha="center",
                va="center", fontsize=11, fontweight="bold")
        body_middle = (bottom + header_bottom) / 2
        for x, caption, value in zip(columns, ("Input shape", "Output shape", "Param #"),
                                     (input_shape, output_shape, f"{params:,}")):
            ax.text(x, body_middle + 0.11, caption, ha="center", va="center", fontsize=8,
                    color="#555555")
            ax.text(x, body_middle - 0.12, value, ha="center", va="center", fontsize=10,
                    family="monospace")
        if index + 1 < count:
            ax.annotate("", xy=(center, bottom - DIAGRAM_GAP), xytext=(center, bottom),
                        arrowprops=dict(arrowstyle="-|>", color=DIAGRAM_COLORS["edge"], lw=1.5,
                                        shrinkA=2, shrinkB=2, mutation_scale=16))
        top = bottom - DIAGRAM_GAP
    total = sum(row[3] for row in rows)
    ax.text(center, DIAGRAM_BOTTOM * 0.6, f"Total params: {total:,}", ha="center", va="center",
            fontsize=10)
    ax.text(center, DIAGRAM_BOTTOM * 0.25, "blue header: a layer with weights; grey: none",
            ha="center", va="center", fontsize=8, color="#555555")
    return _save(fig, path)


def confusion_matrix(labels, predicted, num_classes):
    """``(num_classes, num_classes)`` int64 counts; row = true class, column = predicted class.

    Example::

        >>> confusion_matrix([0, 1, 1], [0, 1, 0], 2).tolist()
        [[1, 0], [1, 1]]
    """
    labels = np.asarray(labels, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    flat = np.bincount(labels * num_classes + predicted, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


# ---------------------------------------------------------------------------- drawing helpers
def _show_image(ax, image):
    """One image the way the tutorial shows it: ``binary`` colour map, no ticks, no grid."""
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        ax.imshow(image, cmap="binary")
    else:
        ax.imshow(image if np.issubdtype(image.dtype, np.integer) else np.clip(image, 0, 1))
    ax.set_xticks([])
    ax.set_yticks([])


def _draw_probability_bars(ax, probabilities, predicted, true_label):
    bars = ax.bar(range(len(probabilities)), probabilities, color=OTHER_BAR_COLOR)
    ax.set_ylim(0, 1)
    bars[predicted].set_color(WRONG_COLOR)
    if true_label is not None:
        bars[true_label].set_color(RIGHT_COLOR)
    return bars


def _diagram_rows(model):
    """``[(header, input shape text, output shape text, param count)]`` per layer, or a
    ``ValueError`` naming ``model`` when it has no layers or is not built."""
    layers = getattr(model, "layers", None)
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError(f"model: expected a model with a non-empty .layers list, received "
                         f"{type(model).__name__}" + ("" if layers is None else " with no layers"))
    rows = []
    for layer in layers:
        shapes = [_layer_shape(layer, "input"), _layer_shape(layer, "output")]
        if None in shapes:
            raise ValueError(f"model: expected a built model, but layer {layer.name!r} has no "
                             "input/output shape yet; give the first layer input_shape=... or "
                             "call the model on data first")
        rows.append((f"{layer.name} ({type(layer).__name__})", format_shape(shapes[0]),
                     format_shape(shapes[1]), int(layer.count_params())))
    return rows


def _layer_shape(layer, which):
    """``layer.input_shape`` / ``layer.output_shape`` (scratch), else ``layer.input.shape`` /
    ``layer.output.shape`` (Keras 3 layers have no ``*_shape`` attributes); None if unknown."""
    shape = getattr(layer, f"{which}_shape", None)
    if shape is None:
        try:
            shape = getattr(layer, which).shape
        except (AttributeError, ValueError):   # Keras raises when the layer was never called
            return None
    return None if shape is None else tuple(shape)


# ---------------------------------------------------------------------------- file writing
def _save(fig, path):
    """Write ``fig`` to ``path`` as a PNG via a temporary file in the same folder, then rename."""
    path = os.fspath(path)
    try:
        with atomic_path(path) as temporary:
            fig.savefig(temporary, format="png", dpi=DPI)
    finally:
        fig.clear()     # release the artists now; the figure was never registered with pyplot
    return path


# ---------------------------------------------------------------------------- input checks
def _check_positive_int(value, argument):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{argument}: expected a positive int, received {value!r}")
    return int(value)


def _check_same_length(a, a_name, b, b_name):
    if len(a) != len(b):
        raise ValueError(f"{a_name} and {b_name}: expected the same length, received "
                         f"{len(a)} {a_name} and {len(b)} {b_name}")


def _as_images(images, argument):
    array = np.asarray(images)
    ok_channels = array.ndim == 4 and array.shape[-1] in (1, 3, 4)
    if not (array.ndim == 3 or ok_channels) or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{argument}: expected numeric images of shape (N, H, W) or (N, H, W, C) "
                         f"with C in 1, 3, 4, received shape {array.shape} dtype {array.dtype}")
    return array


def _as_class_names(class_names):
    if isinstance(class_names, str) or not hasattr(class_names, "__len__") or len(class_names) < 1:
        raise ValueError(f"class_names: expected a non-empty list of names, received {class_names!r}")
    return [str(name) for name in class_names]


def _as_labels(labels, num_classes, argument):
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or not (np.issubdtype(array.dtype, np.integer)
                               or (np.issubdtype(array.dtype, np.floating)
                                   and np.all(array == np.round(array)))):
        raise ValueError(f"{argument}: expected integer class indices of shape (N,), received "
                         f"shape {array.shape} dtype {array.dtype}")
    array = array.astype(np.int64)
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(f"{argument}: expected class indices in [0, {num_classes}) "
                         f"({num_classes} class_names), received values from {array.min()} "
                         f"to {array.max()}")
    return array


def _as_probabilities(probabilities, num_classes, argument):
    array = np.asarray(probabilities)
    if array.ndim != 2 or array.shape[1] != num_classes or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{argument}: expected numeric shape (N, {num_classes}) for "
                         f"{num_classes} class_names, received shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{argument}: found non-finite values (NaN or inf)")
    return array.astype(np.float64)


def _history_dict(history, argument):
    record = getattr(history, "history", history)
    if not isinstance(record, dict):
        raise ValueError(f"{argument}: expected a History (with a .history dict) or a dict of "
                         f"lists, received {type(history).__name__}")
    if not record.get("loss"):
        raise ValueError(f"{argument}: expected a 'loss' entry with at least one epoch, "
                         f"received keys {sorted(record)}")
    return record
