"""scratch.plotting: each function writes one PNG atomically, returns its path, leaves no figure
open and no temporary file behind, and refuses bad input with a ValueError naming the argument.
The model diagram shows every layer's name, shapes and parameter count, with nothing clipped or
overlapping."""
import itertools
import os
import re
import struct
from types import SimpleNamespace

import numpy as np
import pytest

import scratch
from keras_ref.seed_models import seed_layers
from scratch import plotting
from scratch.summary import format_shape

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CLASS_NAMES = [f"class {i}" for i in range(10)]


@pytest.fixture
def sample(rng):
    """Six small images with labels and softmax-like probabilities (2 right, the rest anything)."""
    images = rng.integers(0, 256, size=(6, 8, 8), dtype=np.uint8)
    labels = np.array([0, 1, 2, 3, 4, 9])
    probabilities = rng.dirichlet(np.ones(10), size=6).astype(np.float32)
    return images, labels, probabilities


def _history(epochs, offset=0.0):
    loss = list(np.linspace(1.0, 0.4, epochs) + offset)
    accuracy = list(np.linspace(0.6, 0.9, epochs) - offset)
    return {"loss": loss, "val_loss": loss, "accuracy": accuracy, "val_accuracy": accuracy}


def _cnn(extra_layers=()):
    """A built scratch CNN: the seed CNN's layers (lesson 03's model) after a Rescaling and
    ``extra_layers``."""
    return scratch.Sequential([scratch.layers.Rescaling(1 / 255, input_shape=(28, 28, 1)),
                               *extra_layers, *seed_layers("scratch", "cnn")])


def _assert_only_png(folder, name):
    assert sorted(os.listdir(folder)) == [name], "a temporary file was left behind"
    with open(os.path.join(folder, name), "rb") as stream:
        assert stream.read(8) == PNG_MAGIC


def _all_plots(sample, folder):
    """Call every plotting function once; returns {file name: returned path}."""
    images, labels, probabilities = sample
    calls = {
        "grid.png": lambda p: plotting.plot_sample_grid(images, labels, CLASS_NAMES, p, n=4),
        "history.png": lambda p: plotting.plot_history(
            {"scratch": SimpleNamespace(history=_history(3)), "Keras": _history(3, 0.02)}, p),
        "predictions.png": lambda p: plotting.plot_predictions(
            images, labels, probabilities, CLASS_NAMES, p, rows=2, cols=2),
        "confusion.png": lambda p: plotting.plot_confusion_matrix(labels, probabilities, CLASS_NAMES, p),
        "bars.png": lambda p: plotting.plot_prediction_bars(probabilities[:1], CLASS_NAMES, p,
                                                            true_label=labels[0]),
        "diagram.png": lambda p: plotting.plot_model_diagram(_cnn(), p),
    }
    return {name: call(os.path.join(folder, name, "nested", name)) for name, call in calls.items()}


def test_every_function_writes_one_png_in_a_new_folder_and_returns_its_path(sample, tmp_path):
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    written = _all_plots(sample, tmp_path)
    for name, path in written.items():
        assert path == os.path.join(tmp_path, name, "nested", name)
        _assert_only_png(os.path.dirname(path), name)
    assert plt.get_fignums() == open_before, "a figure was left open in pyplot"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(sample, tmp_path, monkeypatch):
    images, labels, _ = sample
    path = tmp_path / "grid.png"
    path.write_bytes(b"old")

    def broken_savefig(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(plotting.Figure, "savefig", broken_savefig)
    with pytest.raises(OSError, match="disk full"):
        plotting.plot_sample_grid(images, labels, CLASS_NAMES, path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["grid.png"]


@pytest.mark.parametrize("call, argument", [
    (lambda s, p: plotting.plot_sample_grid(s[0], s[1][:5], CLASS_NAMES, p), "images and labels"),
    (lambda s, p: plotting.plot_sample_grid(s[0][0], s[1], CLASS_NAMES, p), "images"),
    (lambda s, p: plotting.plot_sample_grid(s[0], s[1], CLASS_NAMES, p, n=0), "n"),
    (lambda s, p: plotting.plot_sample_grid(s[0], s[1] + 5, CLASS_NAMES, p), "labels"),
    (lambda s, p: plotting.plot_sample_grid(s[0], s[1], "abc", p), "class_names"),
    (lambda s, p: plotting.plot_predictions(s[0], s[1], s[2][:, :9], CLASS_NAMES, p), "probabilities"),
    (lambda s, p: plotting.plot_predictions(s[0], s[1], s[2][:4], CLASS_NAMES, p),
     "images and probabilities"),
    (lambda s, p: plotting.plot_confusion_matrix(s[1], s[1][:3], CLASS_NAMES, p), "labels and predicted"),
    (lambda s, p: plotting.plot_confusion_matrix(s[1] / 255.0, s[1], CLASS_NAMES, p), "labels"),
    (lambda s, p: plotting.plot_prediction_bars(s[2], CLASS_NAMES, p), "probabilities"),
    (lambda s, p: plotting.plot_prediction_bars(s[2][0], CLASS_NAMES, p, true_label=10), "true_label"),
    (lambda s, p: plotting.plot_history({}, p), "histories"),
    (lambda s, p: plotting.plot_history({"scratch": {"accuracy": [0.5]}}, p), "histories['scratch']"),
    (lambda s, p: plotting.plot_history({"scratch": [0.5]}, p), "histories['scratch']"),
    (lambda s, p: plotting.plot_model_diagram(scratch.Sequential([scratch.layers.Dense(3)]), p),
     "model"),
    (lambda s, p: plotting.plot_model_diagram(scratch.Sequential(), p), "model"),
    (lambda s, p: plotting.plot_model_diagram([scratch.layers.Dense(3)], p), "model"),
])
def test_bad_input_raises_value_error_naming_the_argument_and_writes_nothing(sample, tmp_path,
                                                                            call, argument):
    with pytest.raises(ValueError, match=f"^{re.escape(argument)}:"):
        call(sample, tmp_path / "plot.png")
    assert os.listdir(tmp_path) == []


def test_confusion_matrix_counts_rows_true_columns_predicted():
    counts = plotting.confusion_matrix([0, 1, 1, 2], [0, 1, 0, 2], 3)
    assert counts.tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]


def _drawn_diagram(model, path, monkeypatch):
    """Draw ``model``'s diagram; return its visible texts with their pixel boxes, its arrow count,
    its layer boxes (pixels) and the written PNG's (width, height)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.patches import FancyBboxPatch
    from matplotlib.text import Annotation, Text

    seen = {}
    save = plotting._save

    def inspecting_save(fig, target):
        renderer = FigureCanvasAgg(fig).get_renderer()
        seen["figure"] = fig.bbox.frozen()
        seen["texts"] = [(t.get_text(), t.get_window_extent(renderer).frozen())
                         for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
        seen["arrows"] = sum(a.arrow_patch is not None for a in fig.findobj(Annotation))
        seen["boxes"] = [patch.get_window_extent(renderer).frozen()
                         for patch in fig.findobj(FancyBboxPatch)]
        return save(fig, target)

    monkeypatch.setattr(plotting, "_save", inspecting_save)
    plotting.plot_model_diagram(model, path, title="a model")
    with open(path, "rb") as stream:
        header = stream.read(24)
    return seen, struct.unpack(">II", header[16:24])


def test_model_diagram_shows_every_layer_with_nothing_clipped_or_overlapping(tmp_path, monkeypatch):
    # 12 layers (the most a lesson draws), one with a long name: the readability limit.
    model = _cnn([scratch.layers.Dropout(0.1, name="a_rather_long_layer_name_for_a_dropout"),
                  scratch.layers.Dropout(0.1), scratch.layers.Dropout(0.1)])
    assert len(model.layers) == 12
    seen, (width, height) = _drawn_diagram(model, tmp_path / "diagram.png", monkeypatch)
    texts = [text for text, _ in seen["texts"]]
    for layer in model.layers:
        assert f"{layer.name} ({type(layer).__name__})" in texts
        assert format_shape(layer.input_shape) in texts
        assert format_shape(layer.output_shape) in texts
        assert f"{layer.count_params():,}" in texts
    assert "(None, 7, 7, 64)" in texts and "313,700" in texts     # shapes as Keras prints them
    assert f"Total params: {model.count_params():,}" in texts and "a model" in texts
    assert seen["arrows"] == len(model.layers) - 1

    outside_boxes = ("a model", f"Total params: {model.count_params():,}")
    for text, box in seen["texts"]:
        assert _inside(box, seen["figure"]), f"{text!r} is clipped"
        if text not in outside_boxes and "header" not in text:
            assert any(_inside(box, layer_box) for layer_box in seen["boxes"]), \
                f"{text!r} spills out of its layer's box"
    for (text_a, a), (text_b, b) in itertools.combinations(seen["texts"], 2):
        assert not a.overlaps(b), f"{text_a!r} overlaps {text_b!r}"
    # About 130 pixels a layer: readable at 100 dpi without a picture taller than a screen or two.
    assert width == 700 and 100 * len(model.layers) <= height <= 1800


def _inside(inner, outer):
    return (outer.x0 <= inner.x0 and inner.x1 <= outer.x1
            and outer.y0 <= inner.y0 and inner.y1 <= outer.y1)


def test_model_diagram_of_a_keras_model_shows_the_same_shapes_and_counts(tmp_path, monkeypatch):
    pytest.importorskip("tensorflow", reason="TensorFlow is not installed")
    from keras_ref import to_keras

    model = _cnn()
    scratch_seen, _ = _drawn_diagram(model, tmp_path / "scratch.png", monkeypatch)
    keras_seen, _ = _drawn_diagram(to_keras(model), tmp_path / "keras.png", monkeypatch)

    def shapes_and_counts(seen):      # names differ (Keras counts its own layers)
        return [text for text, _ in seen["texts"]
                if text.startswith(("(", "Total")) or text[0].isdigit()]

    assert shapes_and_counts(keras_seen) == shapes_and_counts(scratch_seen)


@pytest.mark.parametrize("predicted, true_label", [(9, 9), (9, 0), (0, 9)])
def test_prediction_bars_legend_hides_no_bar_or_label(tmp_path, monkeypatch, predicted, true_label):
    # Found in lesson 03: a 100% "Ankle boot" (the last class) sat under the legend, its label too.
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    probabilities = np.zeros(10)
    probabilities[true_label] = 0.02
    probabilities[predicted] += 0.98        # a sure prediction: 100% when it is the true class
    seen = {}
    save = plotting._save

    def inspecting_save(fig, target):
        renderer = FigureCanvasAgg(fig).get_renderer()
        ax = fig.axes[0]
        seen["legend"] = ax.get_legend().get_window_extent(renderer)
        seen["others"] = [artist.get_window_extent(renderer)
                          for artist in list(ax.patches) + list(ax.texts)]
        return save(fig, target)

    monkeypatch.setattr(plotting, "_save", inspecting_save)
    plotting.plot_prediction_bars(probabilities, CLASS_NAMES, tmp_path / "bars.png",
                                  true_label=true_label, title="one prediction")
    assert seen["others"] and not any(seen["legend"].overlaps(box) for box in seen["others"])


def test_the_prediction_key_counts_the_classes_there_are(tmp_path, monkeypatch):
    """With 5 classes the caption says 0–4, not Fashion-MNIST's 0–9 (lesson 04 has 5)."""
    from matplotlib.figure import Figure
    titles = []
    original = Figure.suptitle
    monkeypatch.setattr(Figure, "suptitle", lambda fig, text, **kw: titles.append(text) or original(fig, text, **kw))
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(5), size=4).astype(np.float32)
    plotting.plot_predictions(rng.random((4, 8, 8)), np.arange(4), probabilities,
                              ["a", "b", "c", "d", "e"], str(tmp_path / "p.png"), rows=2, cols=2)
    assert titles and "each class 0–4;" in titles[-1]
