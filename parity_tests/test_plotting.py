"""scratch.plotting: each function writes one PNG atomically, returns its path, leaves no figure
open and no temporary file behind, and refuses bad input with a ValueError naming the argument."""
import os
import re
from types import SimpleNamespace

import numpy as np
import pytest

from scratch import plotting

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
])
def test_bad_input_raises_value_error_naming_the_argument_and_writes_nothing(sample, tmp_path,
                                                                            call, argument):
    with pytest.raises(ValueError, match=f"^{re.escape(argument)}:"):
        call(sample, tmp_path / "plot.png")
    assert os.listdir(tmp_path) == []


def test_confusion_matrix_counts_rows_true_columns_predicted():
    counts = plotting.confusion_matrix([0, 1, 1, 2], [0, 1, 0, 2], 3)
    assert counts.tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
