"""``plot_model``: a picture of a model's layers, with ``keras.utils.plot_model``'s arguments
(``keras/src/utils/model_visualization.py``), drawn with Matplotlib alone (Keras's needs pydot
and Graphviz).

One box per layer in ``model.layers`` (no box for the input, as Keras draws a ``Sequential``),
joined by arrows: the header is ``name (Class)`` with ``show_layer_names=True``, else the class
alone; ``show_shapes`` adds input and output shapes, ``show_dtype`` the output dtype,
``show_trainable`` "Trainable"/"Non-trainable" for layers with weights,
``show_layer_activations`` the activation. Headers are blue for layers with weights, grey
otherwise, as in :func:`scratch.plotting.plot_model_diagram` (whose colours and shape helpers
it reuses; that function draws the fixed, fully annotated version for the lessons).

Returns what a notebook shows: an ``IPython.display.Image`` of the file when IPython can be
imported and the file is not a PDF, as Keras does; otherwise the path written (Keras returns
None there).

Example::

    >>> import scratch
    >>> model = scratch.Sequential([scratch.layers.Dense(3, input_shape=(4,))])
    >>> scratch.utils.plot_model(model, "model.png", show_shapes=True)   # doctest: +SKIP
    'model.png'
"""
import numbers
import os

from scratch.atomic import atomic_path, check_path
from scratch.summary import format_shape

RANKDIRS = ("TB", "BT", "LR", "RL")
HEADER_HEIGHT = 0.36    # inches, as plot_model_diagram's
ROW_HEIGHT = 0.32
GAP = 0.42              # room for an arrow
MARGIN = 0.3
CHARACTER_WIDTH = 0.085  # inches per character at the fonts below


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               splines="ortho", **kwargs):
    """Draw ``model`` into ``to_file`` (its extension picks the format: png, pdf, svg, jpg, …;
    none means png, as Keras). ``rankdir``: ``"TB"`` top to bottom, ``"LR"`` left to right
    (``"BT"``, ``"RL"`` reversed). ``expand_nested`` draws a nested model's layers in its place.
    ``splines`` is accepted and ignored: the arrows are straight. Keras's defaults; note
    ``show_layer_names=False``, as in Keras 3.15.

    Example::

        >>> plot_model(model, to_file="model.png", show_shapes=True)    # doctest: +SKIP
    """
    from matplotlib.figure import Figure   # here: Matplotlib loads only when a model is drawn

    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    flags = dict(show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                 expand_nested=expand_nested, show_layer_activations=show_layer_activations,
                 show_trainable=show_trainable)
    for argument, value in flags.items():
        if not isinstance(value, bool):
            raise TypeError(f"{argument}: expected True or False, received {value!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir: expected one of {list(RANKDIRS)}, received {rankdir!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real) or not dpi > 0:
        raise ValueError(f"dpi: expected a positive number, received {dpi!r}")
    to_file = check_path(to_file, "to_file")
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    supported = Figure().canvas.get_supported_filetypes()
    if extension not in supported:
        raise ValueError(f"to_file: expected a file name ending in one of {sorted(supported)}, received {to_file!r}")
    layers = _layers(model, expand_nested)
    boxes = [_box(layer, **flags) for layer in layers]
    figure = _draw(boxes, rankdir)
    try:
        with atomic_path(to_file, "to_file") as temporary:
            figure.savefig(temporary, format=extension, dpi=dpi)
    finally:
        figure.clear()
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return to_file
        return display.Image(filename=to_file)
    return to_file


def _layers(model, expand_nested):
    """The layers to draw, a nested model's own in its place when ``expand_nested``; Keras's
    ``ValueError`` for a model that is not built."""
    layers = getattr(model, "layers", None)
    if not isinstance(layers, (list, tuple)):
        raise TypeError(f"model: expected a scratch model with .layers, received {type(model).__name__}")
    if not layers or not getattr(model, "built", False):
        raise ValueError("This model has not yet been built. Build the model first by calling `build()` or by "
                         "calling the model on a batch of data. (model: expected a built model with layers, "
                         f"received '{getattr(model, 'name', model)}' with {len(layers)} layers, "
                         f"built={getattr(model, 'built', False)})")
    drawn = []
    for layer in layers:
        if expand_nested and isinstance(getattr(layer, "layers", None), list):
            drawn += _layers(layer, expand_nested)
        else:
            drawn.append(layer)
    return drawn


def _box(layer, show_shapes, show_dtype, show_layer_names, expand_nested, show_layer_activations,
         show_trainable):
    """``(header, lines, has weights)`` for one layer, the texts Keras's ``make_layer_label`` writes."""
    from scratch import plotting

    class_name = type(layer).__name__
    header = f"{layer.name} ({class_name})" if show_layer_names else class_name
    lines = []
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        lines.append(f"Activation: {getattr(activation, 'name', activation)}")
    cells = []
    if show_shapes:
        cells += [f"Input shape: {format_shape(plotting._layer_shape(layer, 'input'))}",
                  f"Output shape: {format_shape(plotting._layer_shape(layer, 'output'))}"]
    if show_dtype:
        cells.append("Output dtype: float32")
    if show_trainable and layer.weights:
        cells.append("Trainable" if layer.trainable else "Non-trainable")
    if cells:
        lines.append("   ".join(cells))
    return header, lines, bool(layer.weights)


def _draw(boxes, rankdir):
    """A figure of equal boxes along ``rankdir``, each joined to the next by an arrow."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    from scratch import plotting

    width = max(2.0, CHARACTER_WIDTH * max(len(text) for header, lines, _ in boxes for text in [header] + lines))
    height = HEADER_HEIGHT + ROW_HEIGHT * max(len(lines) for _, lines, _ in boxes)
    vertical = rankdir in ("TB", "BT")
    count = len(boxes)
    along = count * (height if vertical else width) + (count - 1) * GAP
    figure_width = 2 * MARGIN + (width if vertical else along)
    figure_height = 2 * MARGIN + (along if vertical else height)
    figure = Figure(figsize=(figure_width, figure_height))
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, figure_width)
    ax.set_ylim(0, figure_height)
    ax.axis("off")
    corners = []
    for index in range(count):
        step = index if rankdir in ("TB", "LR") else count - 1 - index
        if vertical:
            corners.append((MARGIN, figure_height - MARGIN - height - step * (height + GAP)))
        else:
            corners.append((MARGIN + step * (width + GAP), MARGIN))
    for (left, bottom), (header, lines, has_weights) in zip(corners, boxes):
        fill = plotting.DIAGRAM_COLORS["weights" if has_weights else "no weights"]
        edge = plotting.DIAGRAM_COLORS["edge"]
        ax.add_patch(FancyBboxPatch((left, bottom), width, height, boxstyle="round,pad=0,rounding_size=0.06",
                                    facecolor="white", edgecolor=edge, linewidth=1.2))
        ax.add_patch(FancyBboxPatch((left, bottom + height - HEADER_HEIGHT), width, HEADER_HEIGHT,
                                    boxstyle="round,pad=0,rounding_size=0.06", facecolor=fill, edgecolor=edge,
                                    linewidth=1.2))
        ax.text(left + width / 2, bottom + height - HEADER_HEIGHT / 2, header, ha="center", va="center",
                fontsize=11, fontweight="bold")
        for row, text in enumerate(lines):
            ax.text(left + width / 2, bottom + height - HEADER_HEIGHT - ROW_HEIGHT * (row + 0.5), text,
                    ha="center", va="center", fontsize=9, family="monospace")
    for (a_left, a_bottom), (b_left, b_bottom) in zip(corners, corners[1:]):
        if vertical:
            start = (a_left + width / 2, a_bottom if rankdir == "TB" else a_bottom + height)
            end = (b_left + width / 2, b_bottom + height if rankdir == "TB" else b_bottom)
        else:
            start = (a_left + width if rankdir == "LR" else a_left, a_bottom + height / 2)
            end = (b_left if rankdir == "LR" else b_left + width, b_bottom + height / 2)
        ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", color=plotting.DIAGRAM_COLORS["edge"],
                                                              lw=1.5, shrinkA=2, shrinkB=2, mutation_scale=16))
    return figure
