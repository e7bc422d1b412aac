"""scratch.summary draws the same text as Keras's ``model.summary(print_fn=...)``
(keras/src/utils/summary_utils.py, ``print_summary``).

The rows (names, shapes, counts) are read off real Keras models here; what is tested is the
layout: widths, box characters, wrapping, totals, the optimizer line, title and line breaks.
"""
import math
import re

import numpy as np
import pytest

from keras_ref.seed_models import build
from scratch.summary import format_bytes, format_shape, format_summary, print_summary

try:  # the Keras-free tests below still run without TensorFlow
    import tensorflow  # noqa: F401
    import keras
    from keras import layers
except ImportError:
    keras = None
needs_keras = pytest.mark.skipif(keras is None, reason="TensorFlow is not installed: pip install -e '.[keras]'")


def _mlp():
    return build("keras", "mlp")


def _deep_mlp():
    return keras.Sequential(
        [keras.Input((28, 28)), layers.Flatten(), layers.Dense(300, activation="relu"),
         layers.Dense(100, activation="relu"), layers.Dense(10, activation="softmax")]
    )


def _cnn():
    return build("keras", "cnn")


def _unbuilt():
    return keras.Sequential([layers.Flatten(), layers.Dense(10)])


def _long_names():
    return keras.Sequential(
        [keras.Input((4,)),
         layers.Dense(3, name="a_very_long_layer_name_that_will_never_fit_in_any_column_at_all"),
         layers.Dense(2, name="short words that wrap nicely across several continuation lines")],
        name="a_model_whose_name_is_long_enough_to_wrap_the_title_line_when_the_terminal_is_narrow",
    )


def _trained(optimizer, builder):
    model = builder()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    x = np.zeros((8,) + tuple(model.input_shape[1:]), "float32")
    model.fit(x, np.zeros(8, "int32"), batch_size=8, epochs=1, verbose=0)  # one step builds it
    return model


def _toy():
    return keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"), layers.Dense(3)])


def _compiled_not_fit():
    model = _toy()
    model.compile(optimizer="adam", loss="mse")  # optimizer not built yet: no optimizer line
    return model


BUILDERS = {
    "mlp": _mlp,
    "deep_mlp": _deep_mlp,
    "cnn": _cnn,
    "unbuilt": _unbuilt,
    "long_names": _long_names,
    "adam_after_fit": lambda: _trained("adam", _mlp),
    "sgd_after_fit": lambda: _trained("sgd", _toy),
    "compiled_not_fit": _compiled_not_fit,
    "empty": lambda: keras.Sequential(name="empty"),
}


@pytest.fixture(scope="module")
def models():
    return {name: build() for name, build in BUILDERS.items()}


def _count(variables):
    return int(sum(math.prod(v.shape) for v in variables))


def _rows(model):
    rows = []
    for layer in model.layers:
        has_shape = layer._inbound_nodes or layer._build_shapes_dict
        shape = format_shape(tuple(layer.output.shape) if has_shape else None)
        count = layer.count_params() if layer.built else None
        rows.append((f"{layer.name} ({type(layer).__name__})", shape, count))
    return rows


def scratch_text(model, line_length=None):
    """Our summary text from the facts of a Keras model."""
    optimizer_count = optimizer_bytes = None
    if model.compiled and model.optimizer is not None and model.optimizer.built:
        variables = model.optimizer.variables
        optimizer_count = _count(variables)
        optimizer_bytes = sum(math.prod(v.shape) * np.dtype(v.dtype).itemsize for v in variables)
    return format_summary(
        model.name, _rows(model), _count(model.trainable_weights), _count(model.non_trainable_weights),
        optimizer_count, optimizer_bytes, line_length=line_length,
    )


def keras_text(model, line_length=None):
    calls = []
    model.summary(line_length=line_length, print_fn=lambda *args, **kwargs: calls.append((args, kwargs)))
    assert len(calls) == 1 and calls[0][1] == {}, "Keras calls print_fn once, with the whole text"
    return calls[0][0][0]


WIDTHS = [  # (COLUMNS, line_length)
    ("80", None),   # non-TTY default: L = 76
    ("120", None),  # L = min(88, 116) = 88
    ("80", 60),
]


@needs_keras
@pytest.mark.parametrize("columns,line_length", WIDTHS, ids=["cols80", "cols120", "len60"])
@pytest.mark.parametrize("name", list(BUILDERS))
def test_summary_text_matches_keras(models, monkeypatch, name, columns, line_length):
    monkeypatch.setenv("COLUMNS", columns)
    model = models[name]
    assert scratch_text(model, line_length) == keras_text(model, line_length)


@needs_keras
@pytest.mark.parametrize(
    "columns,line_length",
    [("30", None), ("80", 100), ("200", 150), ("46", 25)],
    ids=["narrow_terminal_wraps_totals", "table_cropped_at_terminal", "wide_line_length", "smallest"],
)
@pytest.mark.parametrize("name", ["mlp", "long_names", "adam_after_fit"])
def test_summary_edge_widths(models, monkeypatch, name, columns, line_length):
    monkeypatch.setenv("COLUMNS", columns)
    model = models[name]
    assert scratch_text(model, line_length) == keras_text(model, line_length)


@needs_keras
def test_too_narrow_raises_like_keras(models, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(ValueError, match="Insufficient console width"):
        keras_text(models["mlp"], 15)
    with pytest.raises(ValueError, match="Insufficient console width"):
        scratch_text(models["mlp"], 15)


def test_seed_mlp_text_as_documented(monkeypatch):
    """The exact text Keras 3.15.1 prints for the seed MLP at 80 columns, spelled out; runs without
    TensorFlow too."""
    monkeypatch.setenv("COLUMNS", "80")
    rows = [("flatten (Flatten)", "(None, 784)", 0), ("dense (Dense)", "(None, 128)", 100480),
            ("dense_1 (Dense)", "(None, 10)", 1290)]
    assert format_summary("sequential", rows, 101770) == (
        'Model: "sequential"\n'
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓\n"
        "┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃\n"
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩\n"
        "│ flatten (Flatten)               │ (None, 784)            │             0 │\n"
        "├─────────────────────────────────┼────────────────────────┼───────────────┤\n"
        "│ dense (Dense)                   │ (None, 128)            │       100,480 │\n"
        "├─────────────────────────────────┼────────────────────────┼───────────────┤\n"
        "│ dense_1 (Dense)                 │ (None, 10)             │         1,290 │\n"
        "└─────────────────────────────────┴────────────────────────┴───────────────┘\n"
        " Total params: 101,770 (397.54 KB)\n"
        " Trainable params: 101,770 (397.54 KB)\n"
        " Non-trainable params: 0 (0.00 B)\n"
    )


def test_print_summary_calls_print_fn_once_with_whole_text(capsys):
    calls = []
    print_summary("a\nb\n", print_fn=calls.append)
    assert calls == ["a\nb\n"]
    print_summary("a\nb\n")
    assert capsys.readouterr().out == "a\nb\n"


@needs_keras
@pytest.mark.parametrize("n", [0, 1, 12, 1023, 1024, 1536, 407080, 1334104, 1024**3 * 3.5, 1024**6 * 2])
def test_format_bytes_matches_keras(n):
    from keras.src.utils.summary_utils import readable_memory_size

    assert format_bytes(n) == readable_memory_size(n)


def test_format_bytes_documented_values():
    assert format_bytes(407080) == "397.54 KB"
    assert format_bytes(333526 * 4) == "1.27 MB"
    assert format_bytes(0) == "0.00 B"


@needs_keras
def test_format_shape_matches_keras(models):
    from keras.src.utils.summary_utils import format_layer_shape

    def plain(markup):
        return re.sub(r"\[color\(\d+\)\]|\[/\]", "", markup)

    for name in ["cnn", "unbuilt"]:
        for row, layer in zip(_rows(models[name]), models[name].layers):
            assert row[1] == plain(format_layer_shape(layer))


def test_format_shape_documented_values():
    assert format_shape((None, 28, 28, 32)) == "(None, 28, 28, 32)"
    assert format_shape(None) == "?"
    assert format_shape([(None, 3), (None, 4)]) == "[(None, 3), (None, 4)]"
