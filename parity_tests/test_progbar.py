"""scratch.progbar writes the same bytes as ``keras.utils.Progbar`` (keras/src/utils/progbar.py).

Both bars are driven by the same script of ``(time, current, values, finalize)`` updates on the
same fake clock (Keras's module sees it through a patched ``time``), and stdout is compared
byte for byte.
"""
import types

import numpy as np
import pytest

from scratch.progbar import Progbar, epoch_header, format_eta, format_time_per_unit

try:  # the Keras-free tests below still run without TensorFlow
    import tensorflow  # noqa: F401
    import keras
    from keras.src.utils import progbar as keras_progbar
except ImportError:
    keras = None
needs_keras = pytest.mark.skipif(keras is None, reason="TensorFlow is not installed: pip install -e '.[keras]'")


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _drive(bar_factory, clock, script, start):
    clock.now = start
    bar = bar_factory()
    for step in script:
        if step[0] == "add":
            _, clock.now, n, values = step
            bar.add(n, values)
        else:
            clock.now, current, values, finalize = step
            bar.update(current, values, finalize=finalize)


def assert_same_bytes(monkeypatch, capsys, script, start=100.0, **kwargs):
    """Run ``script`` through Keras's bar and ours; return the (identical) output."""
    clock = FakeClock()
    monkeypatch.setattr(keras_progbar, "time", types.SimpleNamespace(time=clock))
    capsys.readouterr()
    _drive(lambda: keras.utils.Progbar(**kwargs), clock, script, start)
    expected = capsys.readouterr().out
    _drive(lambda: Progbar(time_fn=clock, **kwargs), clock, script, start)
    got = capsys.readouterr().out
    assert got == expected
    return got


FIT_MODE = {"stateless_metrics": set()}  # what ProgbarLogger (and our fit) passes: values shown as-is


def _metrics(loss, accuracy):
    return [("accuracy", accuracy), ("loss", loss)]


# (time, current, values, finalize); the bar is created at t = 100.0
SCRIPTS = {
    # first step slow (tracing), a redraw inside the 0.05 s window skipped, ms per step
    "throttle_ms": (
        [(100.5, 1, _metrics(2.3, 0.1), False), (100.52, 2, _metrics(2.1, 0.2), False),
         (100.60, 3, _metrics(1.9, 0.3), False), (100.664, 4, _metrics(1.37105, 0.35), False),
         (100.692, 4, _metrics(1.37105, 0.35) + [("val_accuracy", 0.1), ("val_loss", 1.5073)], True)],
        dict(target=4, **FIT_MODE),
    ),
    # seconds per step and an ETA over a minute, then over an hour; the final line is shorter
    "eta_minutes_hours": (
        [(101.0, 1, _metrics(0.9, 0.5), None), (102.5, 2, _metrics(0.8, 0.6), None),
         (104.0, 3, _metrics(0.7, 0.6), None), (4000.0, 3000, _metrics(0.6, 0.7), None),
         (7000.0, 5000, _metrics(0.5, 0.8), None), (7002.0, 10000, _metrics(0.5, 0.8), True)],
        dict(target=10000, **FIT_MODE),
    ),
    # ETA in m:ss, then plain seconds; s/step then ms/step
    "eta_minutes": (
        [(101.0, 1, _metrics(0.9, 0.5), False), (102.5, 2, _metrics(0.8, 0.6), False),
         (130.0, 60, _metrics(0.7, 0.6), False), (150.0, 100, _metrics(0.6, 0.7), False),
         (150.1, 100, _metrics(0.6, 0.7), True)],
        dict(target=100, **FIT_MODE),
    ),
    # microseconds per step, a tiny metric switching to .4e, a long value then a short one
    "us_tiny_and_padding": (
        [(100.00001, 1, [("loss", 12345.6789), ("lr", 0.01)], None),
         (100.2, 20000, [("loss", 0.5), ("lr", 5e-4)], None),
         (100.4, 40000, [("loss", -0.5), ("lr", 0.0)], None),
         (100.5, 100000, [("loss", -0.25), ("lr", 1e-9)], None)],  # verbose=2: -2.5000e-01
        dict(target=100000, **FIT_MODE),
    ),
    # Keras's default: metrics averaged over steps (weighted by steps advanced), float32 values
    "default_averaging": (
        [(100.1, 1, [("loss", np.float32(1.0))], None), (100.2, 3, [("loss", np.float32(0.5))], None),
         (100.3, 4, [("loss", np.float32(0.25)), ("acc", 0.75)], None),
         (100.4, 6, [("loss", np.float32(0.2)), ("acc", 0.5)], None)],
        dict(target=6),
    ),
    "stateful_selection": (
        [(100.1, 1, [("loss", 1.0), ("acc", 0.5)], None), (100.2, 2, [("loss", 0.5), ("acc", 1.0)], None),
         (100.3, 3, [("loss", 0.1), ("acc", 0.0)], None)],
        dict(target=3, stateful_metrics=["acc"]),
    ),
    # predict-like bar with no metrics, the step count padded to the target's digits
    "no_metrics": (
        [(100.01, 1, None, None), (100.5, 57, None, None), (100.9, 123, None, None)],
        dict(target=123, **FIT_MODE),
    ),
    "unknown_target": (
        [(100.1, 1, [("loss", 1.0)], None), (100.2, 2, [("loss", 0.5)], None),
         (100.3, 3, [("loss", 0.25)], True)],
        dict(target=None, **FIT_MODE),
    ),
    "add_steps": (
        [("add", 100.1, 1, [("loss", 1.0)]), ("add", 100.3, 2, [("loss", 0.5)]),
         ("add", 100.6, 2, [("loss", 0.2)])],
        dict(target=5),
    ),
    # never shown step 1; zero elapsed time: "0s/step"
    "zero_time": (
        [(100.0, 2, [("loss", 1.0)], None), (100.0, 2, [("loss", 1.0)], True)],
        dict(target=2, **FIT_MODE),
    ),
    "custom_width_unit": (
        [(100.2, 10, [("loss", 1.0)], None), (100.4, 33, [("loss", 0.5)], None), (100.5, 64, [("loss", 0.3)], None)],
        dict(target=64, width=7, unit_name="sample", interval=0.1, **FIT_MODE),
    ),
}


@needs_keras
@pytest.mark.parametrize("verbose", [1, 2])
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_progbar_bytes_match_keras(monkeypatch, capsys, name, verbose):
    script, kwargs = SCRIPTS[name]
    out = assert_same_bytes(monkeypatch, capsys, script, verbose=verbose, **kwargs)
    silent = verbose == 2 and kwargs["target"] is None  # verbose=2 needs a target to print
    assert (out == "") == silent


def test_silent_bar_prints_nothing(capsys):
    bar = Progbar(3, verbose=0, time_fn=FakeClock())
    bar.update(3, [("loss", 1.0)])
    assert capsys.readouterr().out == ""


@needs_keras
def test_documented_final_line(monkeypatch, capsys):
    """The exact bytes ``Progbar.update`` (keras/src/utils/progbar.py) writes for this script,
    spelled out, and the padding/throttle rules."""
    out = assert_same_bytes(monkeypatch, capsys, SCRIPTS["throttle_ms"][0], verbose=1, target=4, **FIT_MODE)
    frames = out.split("\r")
    assert frames[0] == ""  # the first frame starts with just "\r"
    assert len(frames) == 5  # 4 draws: the update at 100.52 fell inside the 0.05 s window
    assert frames[-1] == (
        "\x1b[1m4/4\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m1s\x1b[0m 64ms/step"
        " - accuracy: 0.3500 - loss: 1.3711 - val_accuracy: 0.1000 - val_loss: 1.5073\n"
    )
    out2 = assert_same_bytes(monkeypatch, capsys, SCRIPTS["throttle_ms"][0], verbose=2, target=4, **FIT_MODE)
    assert out2 == "4/4 - 1s - 64ms/step - accuracy: 0.3500 - loss: 1.3711 - val_accuracy: 0.1000 - val_loss: 1.5073\n"


def test_time_formats():
    assert [format_eta(t) for t in (59.9, 61, 1497, 3601, 14985)] == ["59s", "1:01", "24:57", "1:00:01", "4:09:45"]
    assert format_time_per_unit(0) == " 0s/step"
    assert format_time_per_unit(2.4) == " 2s/step"
    assert format_time_per_unit(0.064) == " 64ms/step"
    assert format_time_per_unit(5e-6, "sample") == " 5us/sample"


def test_epoch_header():
    assert epoch_header(0, 3) == "Epoch 1/3"
    assert epoch_header(2, 3) == "Epoch 3/3"
    assert epoch_header(0, 1) is None
