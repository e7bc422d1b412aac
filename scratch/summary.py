"""``model.summary()`` as plain text, laid out exactly like Keras's rich table
(``keras/src/utils/summary_utils.py``, ``print_summary``).

Keras builds a ``rich`` table and, when a ``print_fn`` is given, captures it without colour.
This module redraws the same characters with plain string code, so it knows nothing about
models: a caller hands over the rows already as text.

>>> text = format_summary("sequential", [("dense (Dense)", "(None, 10)", 7850)], 7850, line_length=60)
>>> print(text.splitlines()[4])
│ dense (Dense)            │ (None, 10)        │     7,850 │
"""
import re
import shutil
import sys

# Keras's Sequential layout: where each column ends, as a fraction of the line.
_POSITIONS = (0.45, 0.80, 1.0)
_HEADER = ("Layer (type)", "Output Shape", "Param #")
_JUSTIFY = ("left", "left", "right")
_DEFAULT_LINE_LENGTH = 88

# rich's HEAVY_HEAD box: (left, horizontal, between columns, right) for each kind of line.
_TOP = ("┏", "━", "┳", "┓")
_HEAD_ROW = ("┃", " ", "┃", "┃")
_HEAD_RULE = ("┡", "━", "╇", "┩")
_BODY_ROW = ("│", " ", "│", "│")
_ROW_RULE = ("├", "─", "┼", "┤")
_BOTTOM = ("└", "─", "┴", "┘")

_WORD = re.compile(r"\s*\S+\s*")  # a word and the spaces around it, as rich splits text


def format_bytes(n):
    """Keras's ``readable_memory_size``: divide by 1024 while it stays ≥ 1, two decimals.

    >>> format_bytes(407080), format_bytes(0), format_bytes(12)
    ('397.54 KB', '0.00 B', '12.00 B')
    """
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    for unit in units:
        if n / 1024 < 1:
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} {units[-1]}"


def format_shape(shape):
    """An output shape as Keras prints it: ``(None, 28, 28, 32)``; ``?`` when not built (None).

    A one-element shape prints without the tuple comma, ``(None)``, as Keras does. A list or
    tuple of shapes (several outputs) prints as their structure, ``[(None, 3), (None, 4)]``.

    >>> format_shape((None, 28, 28, 32)), format_shape(None)
    ('(None, 28, 28, 32)', '?')
    """
    if shape is None:
        return "?"
    if any(isinstance(dim, (tuple, list)) for dim in shape):
        # Keras prints str() of the nested structure of formatted shapes, without the quotes.
        return str(type(shape)(format_shape(s) for s in shape)).replace("'", "")
    return "(" + ", ".join(str(dim) for dim in shape) + ")"


def format_params(count):
    """The ``Param #`` cell: ``100,480``; ``0 (unbuilt)`` when the count is None."""
    return "0 (unbuilt)" if count is None else f"{count:,}"


def terminal_columns():
    """Width of the terminal (honours ``COLUMNS``; 80 when stdout is not a terminal)."""
    return shutil.get_terminal_size().columns


def column_widths(line_length):
    """Widths of the three segments between the bars, one space of padding each side included.

    Keras asks rich for ``w1 = int(0.45 L)``, ``w2 = int(0.80 L) - w1``, ``w3 = L - int(0.80 L)``
    content columns in a table ``L`` wide. With padding (2 per column) and borders (4) that is
    10 too many, and rich takes the surplus back evenly, rounding half to even: 3, 4, 3.

    >>> column_widths(76)
    [33, 24, 15]
    """
    requested, used = [], 0
    for position in _POSITIONS:
        width = int(position * line_length) - used
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        requested.append(width)
        used += width
    return [requested[0] - 1, requested[1] - 2, requested[2] - 1]


def _break_offsets(text, width, fold):
    """Where rich breaks ``text`` into lines of at most ``width`` (``rich._wrap.divide_line``)."""
    breaks, used = [], 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group(0)
        length = len(word.rstrip())
        if width - used >= length:
            used += len(word)
        elif length > width:
            # A word wider than any line: fold it into chunks, or leave it to be cut with "…".
            chunks = [word[i:i + width] for i in range(0, len(word), width)] if fold else [word]
            for chunk in chunks:
                if start:
                    breaks.append(start)
                start += len(chunk)
            used = len(chunks[-1])
        elif used and start:
            breaks.append(start)
            used = len(word)
    return breaks


def _truncate(line, width, overflow):
    if len(line) <= width:
        return line
    return line[:width - 1] + "…" if overflow == "ellipsis" else line[:width]


def wrap_text(text, width, justify="default", overflow="fold"):
    """Lines of ``text`` as rich renders it in ``width`` cells (``rich.text.Text.wrap``).

    Breaks at spaces; a word longer than ``width`` is cut with ``…`` (overflow "ellipsis", table
    cells) or folded onto the next lines ("fold", plain printed lines). ``left``/``right``
    justification pads every line to exactly ``width``; ``default`` does not pad.

    >>> wrap_text("a_long_name (Dense)", 8, "left", "ellipsis")
    ['a_long_…', '(Dense) ']
    """
    lines = []
    for paragraph in text.split("\n"):
        offsets = [0] + _break_offsets(paragraph, width, overflow == "fold") + [len(paragraph)]
        for start, end in zip(offsets, offsets[1:]):
            line = paragraph[start:end]
            if len(line) > width:  # spaces that ran past the edge go first
                spaces = len(line) - len(line.rstrip())
                line = line[:len(line) - min(spaces, len(line) - width)]
            if justify == "left":
                line = _truncate(line, width, overflow).ljust(width)
            elif justify == "right":
                line = _truncate(line.rstrip(), width, overflow).rjust(width)
            lines.append(_truncate(line, width, overflow))
    return lines


def _rule(chars, widths):
    left, fill, middle, right = chars
    return left + middle.join(fill * width for width in widths) + right


def _table_row(cells, widths, chars):
    """One table row, possibly several lines high: cells wrap and are padded to the tallest."""
    left, _, middle, right = chars
    wrapped = [
        wrap_text(cell, width - 2, justify, "ellipsis")
        for cell, width, justify in zip(cells, widths, _JUSTIFY)
    ]
    height = max(len(lines) for lines in wrapped)
    out = []
    for i in range(height):
        segments = [
            " " + (lines[i] if i < len(lines) else " " * (width - 2)) + " "
            for lines, width in zip(wrapped, widths)
        ]
        out.append(left + middle.join(segments) + right)
    return out


def format_table(rows, line_length):
    """The boxed table lines (no title, no totals) for rows of three strings."""
    widths = column_widths(line_length)
    lines = [_rule(_TOP, widths)]
    lines += _table_row(_HEADER, widths, _HEAD_ROW)
    lines.append(_rule(_HEAD_RULE, widths))
    for index, row in enumerate(rows):
        if index:
            lines.append(_rule(_ROW_RULE, widths))
        lines += _table_row(row, widths, _BODY_ROW)
    lines.append(_rule(_BOTTOM, widths))
    return lines


def format_summary(
    model_name,
    rows,
    trainable_count,
    non_trainable_count=0,
    optimizer_count=None,
    optimizer_bytes=None,
    line_length=None,
):
    """The text Keras hands to ``model.summary(print_fn=...)``, newline-terminated.

    Args:
        model_name: shown as ``Model: "<name>"``.
        rows: list of ``(layer_cell_text, output_shape_text, param_count)`` — e.g.
            ``("dense (Dense)", "(None, 128)", 100480)``; ``param_count=None`` means unbuilt
            (``0 (unbuilt)``; use ``format_shape(None)`` = ``?`` for its shape).
        trainable_count, non_trainable_count: weight counts (float32, 4 bytes each).
        optimizer_count, optimizer_bytes: once the optimizer is built, its variable count and
            bytes (not always 4 per count: Adam's iteration counter is int64). The extra
            ``Optimizer params`` line appears and Total includes it. Bytes default to 4·count.
        line_length: table width; default ``min(88, terminal columns - 4)``.

    Returns:
        One string, lines joined by ``\\n``, ending with ``\\n``. Lines wider than the terminal
        are cut (table) or wrapped (title, totals), as Keras's capturing console does.
    """
    columns = terminal_columns()
    line_length = line_length or min(_DEFAULT_LINE_LENGTH, columns - 4)

    trainable_bytes = 4 * trainable_count
    non_trainable_bytes = 4 * non_trainable_count
    total_count = trainable_count + non_trainable_count
    total_bytes = trainable_bytes + non_trainable_bytes
    if optimizer_count is not None:
        if optimizer_bytes is None:
            optimizer_bytes = 4 * optimizer_count
        total_count += optimizer_count
        total_bytes += optimizer_bytes

    def totals_line(label, count, size):
        return f" {label}: {count:,} ({format_bytes(size)})"

    totals = [
        totals_line("Total params", total_count, total_bytes),
        totals_line("Trainable params", trainable_count, trainable_bytes),
        totals_line("Non-trainable params", non_trainable_count, non_trainable_bytes),
    ]
    if optimizer_count is not None:
        totals.append(totals_line("Optimizer params", optimizer_count, optimizer_bytes))

    cells = [(name, shape, format_params(count)) for name, shape, count in rows]
    lines = wrap_text(f'Model: "{model_name}"', columns)
    # The capturing console is as wide as the terminal: a wider table loses its right edge.
    lines += [line[:columns] for line in format_table(cells, line_length)]
    for line in totals:
        lines += wrap_text(line, columns)
    return "\n".join(lines) + "\n"


def print_summary(text, print_fn=None):
    """Output summary text the way Keras does: one ``print_fn(text)`` call with the whole text
    (its final newline included), or a plain write to stdout when ``print_fn`` is None."""
    if print_fn is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        print_fn(text)
