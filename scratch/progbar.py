"""The training progress bar, byte for byte as ``keras.utils.Progbar`` writes it
(``keras/src/utils/progbar.py``, ``Progbar.update``).

``verbose=1`` redraws one line in place (``\\b`` × previous width, then ``\\r``), at most every
``interval`` seconds, and ends it with ``\\n`` on the final update; ``verbose=2`` prints only that
final line, without colour codes. Above each epoch's bar, ``fit``'s ``ProgbarLogger`` prints
the ``Epoch e/E`` line of :func:`epoch_header`.

>>> import io, contextlib
>>> clock = iter([0.0, 2.0]).__next__
>>> with contextlib.redirect_stdout(io.StringIO()) as out:
...     Progbar(4, verbose=2, time_fn=clock).update(4, [("loss", 0.5)])
>>> out.getvalue()
'4/4 - 2s - 500ms/step - loss: 0.5000\\n'
"""
import math
import os
import sys
import time

import numpy as np

_BOLD = "\x1b[1m"
_GREEN = "\x1b[32m"
_WHITE = "\x1b[37m"
_RESET = "\x1b[0m"
_BAR_CHAR = "━"


def epoch_header(epoch_index, epochs):
    """``Epoch 3/10`` before each epoch (``epoch_index`` counts from 0); None for one epoch.

    >>> epoch_header(0, 2), epoch_header(0, 1)
    ('Epoch 1/2', None)
    """
    return f"Epoch {epoch_index + 1}/{epochs}" if epochs > 1 else None


def count_text(current, target):
    """`` 7/12``: the step count right-aligned to the digits of the target."""
    digits = int(math.log10(target)) + 1
    return f"%{digits}d/%d" % (current, target)


def format_eta(seconds):
    """``45s``; ``m:ss`` above a minute; ``h:mm:ss`` above an hour (whole seconds, truncated)."""
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def format_time_per_unit(seconds, unit_name="step"):
    """`` 64ms/step``: whole seconds from 1 s (or exactly 0), else milliseconds, else microseconds."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1000.0:.0f}ms/{unit_name}"
    return f" {seconds * 1000000.0:.0f}us/{unit_name}"


def _write(message):
    """Write to the stdout of the moment (so redirections and pytest's capsys see it)."""
    try:
        sys.stdout.write(message)
    except UnicodeEncodeError:
        # Keras falls back to "=" bars on consoles that cannot encode "━".
        encoding = sys.stdout.encoding or "utf-8"
        sys.stdout.write(message.replace(_BAR_CHAR, "=").encode(encoding, errors="ignore").decode(encoding))
    sys.stdout.flush()


class Progbar:
    """A progress bar for ``target`` steps.

    Args:
        target: total number of steps, or None if unknown.
        width: bar width in characters.
        verbose: 0 silent, 1 live bar, 2 one line at the end.
        interval: minimum seconds between two redraws (``verbose=1``).
        stateful_metrics: names shown as given; every other metric is averaged over the steps
            (weighted by steps advanced) before display. Keras's default.
        stateless_metrics: the opposite selection: only these are averaged. ``fit`` passes an
            empty set — its values are already running epoch means — as Keras's ProgbarLogger does.
        unit_name: the unit of the time per step, ``step`` or ``sample``.
        time_fn: the clock; None means ``time.time`` looked up at each call, as Keras does.

    Example: ``bar = Progbar(100); bar.update(1, [("loss", 2.3)]); ...; bar.update(100, ...)``.
    """

    def __init__(
        self,
        target,
        width=20,
        verbose=1,
        interval=0.05,
        stateful_metrics=None,
        stateless_metrics=None,
        unit_name="step",
        time_fn=None,
    ):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Only one of `stateful_metrics` or `stateless_metrics` can be provided.")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self._time_fn = time_fn
        if stateless_metrics is not None:
            self.stateful_metrics = None
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set(stateful_metrics or ())
            self.stateless_metrics = None
        # Redraw in place wherever Keras does; on POSIX that is always, even into a file or pipe.
        self._dynamic_display = (
            (hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
            or "ipykernel" in sys.modules
            or "posix" in sys.modules
            or "PYCHARM_HOSTED" in os.environ
        )
        self._seen_so_far = 0
        self._values = {}  # name -> [sum of value × steps, steps]
        self._values_order = []
        self._start = self._now()
        self._last_update = 0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def _now(self):
        return self._time_fn() if self._time_fn is not None else time.time()

    def _is_stateless(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def _record(self, values, current, finalize):
        for name, value in values:
            if name not in self._values_order:
                self._values_order.append(name)
            if self._is_stateless(name) and not finalize:
                steps = max(current - self._seen_so_far, 1)
                if name not in self._values:
                    self._values[name] = [value * steps, steps]
                else:
                    self._values[name][0] += value * steps
                    self._values[name][1] += steps
            else:
                # Shown as given; Keras also does this for averaged metrics on the final update.
                self._values[name] = [value, 1]
        self._seen_so_far = current

    def _metric_text(self, small_test):
        text = ""
        for name in self._values_order:
            total, count = self._values[name]
            if not isinstance(total, float):
                total = np.mean(total)
            mean = total / max(1, count)
            text += f" - {name}: {mean:.4f}" if small_test(mean) else f" - {name}: {mean:.4e}"
        return text

    def update(self, current, values=None, finalize=None):
        """Record ``values`` (list of ``(name, value)``) at step ``current`` and maybe redraw.

        ``finalize`` defaults to ``current >= target``; the final update always draws.
        """
        if finalize is None:
            finalize = False if self.target is None else current >= self.target
        self._record(values or [], current, finalize)

        now = self._now()
        time_per_unit = self._estimate_step_duration(current, now)
        known_target = self.target is not None and self.target > 0

        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            message = "\b" * self._prev_total_width + "\r" if self._dynamic_display else "\n"
            invisible = 0  # characters of colour codes, which take no room on screen
            if known_target:
                bar = f"{_BOLD}{count_text(current, self.target)}{_RESET} "
                invisible += 8
                done = int(self.width * float(current) / self.target)
                if done > 0:
                    bar += f"{_GREEN}{_BAR_CHAR * done}{_RESET}"
                    invisible += 9
                bar += f"{_WHITE}{_BAR_CHAR * (self.width - done)}{_RESET}"
                invisible += 9
            else:
                bar = "%7d/Unknown" % current
            if known_target and not finalize:
                info = f" {_BOLD}{format_eta(time_per_unit * (self.target - current))}{_RESET}"
            else:
                info = f" {_BOLD}{now - self._start:.0f}s{_RESET}"
            invisible += 8
            info += format_time_per_unit(time_per_unit, self.unit_name)
            info += self._metric_text(lambda mean: abs(mean) > 1e-3)
            message += bar + info

            total_width = len(bar) + len(info) - invisible
            if self._prev_total_width > total_width:  # blank out the rest of the longer old line
                message += " " * (self._prev_total_width - total_width)
            if finalize:
                message += "\n"
            _write(message)
            self._prev_total_width = total_width

        elif self.verbose == 2:
            if finalize and known_target:
                line = f"{count_text(current, self.target)} - {now - self._start:.0f}s"
                line += " -" + format_time_per_unit(time_per_unit, self.unit_name)
                # Keras tests `mean > 1e-3` here, without abs(): negatives print as .4e.
                line += self._metric_text(lambda mean: mean > 1e-3)
                _write(line + "\n")

        self._last_update = now

    def add(self, n, values=None):
        """Advance by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    def _estimate_step_duration(self, current, now):
        """Seconds per step; once past step 1, the (slow, tracing) first step is left out."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit
