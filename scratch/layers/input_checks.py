"""Input checks and shape arithmetic shared by the image layers (Conv2D, MaxPooling2D) and the
layers that cast their input (Dropout)."""
import numpy as np

from scratch import backend
from scratch.ops.padding import conv_output_length, normalize_tuple


def as_float_input(x):
    """uint8 images (or any non-float32/64 input) as float32, as Keras's layers cast their inputs;
    float64 stays float64, as Dense keeps it (float64 gradient checks)."""
    return x if x.dtype in (np.float32, np.float64) else x.astype(backend.FLOATX)


def check_image_input(layer_name, input_shape):
    """Refuse an input that is not ``(batch, height, width, channels)``, with the usual fix."""
    if len(input_shape) != 4:
        hint = ""
        if len(input_shape) == 3:
            height, width = input_shape[1:]
            hint = (f" — grayscale images of shape ({height}, {width}) need a channel axis: add one, "
                    f"e.g. x[..., None] (and input_shape=({height}, {width}, 1)); a single image "
                    "needs a batch axis instead, x[None]")
        raise ValueError(
            f"input_shape: {layer_name} expected a 4-D input (batch, height, width, channels) "
            f"(channels_last), received shape {tuple(input_shape)}{hint}")


def check_window_fits(layer_name, input_shape, window, strides, padding, dilation, argument):
    """Refuse a ``valid`` window larger than the input (Keras: "output size would be zero or negative")."""
    if padding != "valid":
        return
    size = tuple(output_length(n, k, s, padding, d)
                 for n, k, s, d in zip(input_shape[1:3], window, strides, dilation))
    if any(n is not None and n <= 0 for n in size):
        effective = tuple((k - 1) * d + 1 for k, d in zip(window, dilation))
        raise ValueError(
            f"{argument}: {layer_name} with padding='valid' expected a window of at most the input's "
            f"{input_shape[1]}x{input_shape[2]}, received {argument}={window}"
            + (f" (dilated to {effective})" if effective != tuple(window) else "")
            + f": the computed output size {size} would be zero or negative; use a smaller "
            "window or padding='same'")


def output_length(n, kernel, stride, padding, dilation=1):
    """``conv_output_length`` that lets an unknown size (``None``) through."""
    return None if n is None else conv_output_length(n, kernel, stride, padding, dilation)


def check_data_format(data_format):
    """Only channels_last (Keras's default ``image_data_format``) is implemented."""
    if data_format not in (None, "channels_last"):
        raise ValueError(f"data_format: only channels_last is implemented, expected None or "
                         f"'channels_last', received {data_format!r}")


def window_tuple(value, name):
    """``normalize_tuple`` for a layer's constructor: a wrong type or length is a ``ValueError``,
    as Keras's ``standardize_tuple`` raises (the ops keep ``TypeError`` for their own calls)."""
    try:
        return normalize_tuple(value, name)
    except TypeError as error:
        raise ValueError(str(error)) from None
