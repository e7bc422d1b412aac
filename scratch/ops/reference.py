"""Reference ops: plain NumPy, written to be read — the maths of every layer and loss.

Every function is pure (arrays in, arrays out, no hidden state) and keeps the dtype of its
inputs, so the same code runs in float32 (like Keras) and in float64 (for gradient checks).
A forward that its backward needs something from returns ``(out, cache)``; the cache is a dict
whose keys mean the same on every backend. The fast backends (``scratch/engine/``) have the
same functions with the same signatures. Optimizer update rules live in their classes
(:mod:`scratch.optimizers`).
Shapes: ``B`` batch, ``D`` input features, ``U`` units, ``C`` classes.
"""
import numpy as np

EPSILON = 1e-7  # keras.config.epsilon(), used by crossentropy clipping


# ----------------------------------------------------------------------------- Dense
def dense_forward(x, kernel, bias):
    """Fully connected layer: ``y = x @ kernel + bias``.

    x: (B, D), kernel: (D, U), bias: (U,) or None -> y: (B, U).

    >>> dense_forward(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4)).shape
    (2, 4)
    """
    y = x @ kernel
    if bias is not None:
        y = y + bias
    return y


def dense_backward(grad_y, x, kernel, use_bias=True, compute_grad_x=True):
    """Gradients of ``y = x @ kernel + bias``.

    ``dx = dy @ kernelᵀ``, ``dkernel = xᵀ @ dy``, ``dbias = Σ_batch dy``.
    grad_y: (B, U), x: (B, D), kernel: (D, U) -> (dx (B, D), dkernel (D, U), dbias (U,) or None).
    ``compute_grad_x=False`` skips ``dx`` (None): the first layer of a model needs no input gradient.
    """
    grad_x = grad_y @ kernel.T if compute_grad_x else None
    grad_kernel = x.T @ grad_y
    grad_bias = grad_y.sum(axis=0) if use_bias else None
    return grad_x, grad_kernel, grad_bias


# ----------------------------------------------------------------------------- activations
def relu_forward(x):
    """``relu(x) = max(x, 0)``. Any shape."""
    return np.maximum(x, 0)


def relu_backward(grad_y, y):
    """``dx = dy · [x > 0]`` (the gradient at exactly 0 is 0, as TensorFlow's ReluGrad).

    ``y = relu(x)`` may stand in for ``x``: ``y > 0`` exactly where ``x > 0``.
    """
    return grad_y * (y > 0)


def relu_general_forward(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's full ``relu(x, negative_slope, max_value, threshold)``, step by step as
    ``keras/src/activations/activations.py`` computes it (every constant cast to ``x``'s dtype):

    - ``negative_slope ≠ 0``, no ``max_value``, ``threshold = 0``: leaky relu,
      ``y = x if x > 0 else negative_slope·x``;
    - otherwise ``y = where(x > threshold, x, 0)`` (``threshold ≠ 0``) or ``max(x, 0)``; then
      ``y = clip(y, 0, max_value)`` when given; then ``y −= negative_slope · max(threshold − x, 0)``.

    Any shape. Gradients at the kinks: :func:`relu_general_backward`.
    """
    dt = x.dtype.type
    if negative_slope != 0 and max_value is None and threshold == 0:
        return np.where(x > 0, x, x * dt(negative_slope))
    y = np.where(x > dt(threshold), x, dt(0)) if threshold != 0 else np.maximum(x, dt(0))
    if max_value is not None:
        y = np.clip(y, dt(0), dt(max_value))
    if negative_slope != 0:
        y = y - dt(negative_slope) * np.maximum(-x + dt(threshold), dt(0))
    return y


def relu_general_backward(grad_y, x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Gradient of :func:`relu_general_forward` as TensorFlow differentiates Keras's steps
    (the kinks decide by these strict/inclusive tests):

    - leaky relu: ``dx = dy if x > 0 else negative_slope·dy`` (LeakyReluGrad: slope at 0);
    - ``max_value = 6``, ``threshold = 0``: Keras calls relu6, ``dx = dy·[0 < x < 6]``;
    - else ``dx = dy·[x > threshold]`` (ReluGrad: 0 at the kink), times ``[y ≤ max_value]``
      with a ``max_value`` (clip_by_value passes its bounds: 1 at ``x = max_value``);
    - plus ``negative_slope·dy·[x < threshold]`` for the negative part.

    grad_y, x: same shape -> dx.
    """
    dt = x.dtype.type
    if negative_slope != 0 and max_value is None and threshold == 0:
        return np.where(x > 0, grad_y, grad_y * dt(negative_slope))
    if threshold == 0 and max_value == 6:
        passes = (x > 0) & (x < dt(6))
    else:
        passes = x > dt(threshold)
        if max_value is not None:
            y = np.where(passes, x, dt(0))
            passes = passes & (y >= 0) & (y <= dt(max_value))
    grad_x = np.where(passes, grad_y, dt(0))
    if negative_slope != 0:
        grad_x = grad_x + np.where(-x + dt(threshold) > 0, grad_y * dt(negative_slope), dt(0))
    return grad_x


def softmax_forward(z, axis=-1):
    """``softmax(z)_j = exp(z_j − max z) / Σ_k exp(z_k − max z)`` along ``axis``. Any shape."""
    shifted = z - z.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(grad_p, p, axis=-1):
    """Jacobian-vector product of softmax: ``dz = p · (dp − Σ_j dp_j p_j)``."""
    return p * (grad_p - (grad_p * p).sum(axis=axis, keepdims=True))


def linear_forward(x):
    """The identity activation (Keras's ``"linear"``)."""
    return x


def linear_backward(grad_y, y):
    """Gradient of the identity."""
    return grad_y


def sigmoid_forward(x):
    """``sigmoid(x) = 1 / (1 + exp(−x))``. Any shape."""
    return 1 / (1 + np.exp(-x))


def sigmoid_backward(grad_y, y):
    """``dx = dy · y · (1 − y)`` with ``y = sigmoid(x)``."""
    return grad_y * y * (1 - y)


def tanh_forward(x):
    """``tanh(x)``. Any shape."""
    return np.tanh(x)


def tanh_backward(grad_y, y):
    """``dx = dy · (1 − y²)`` with ``y = tanh(x)``."""
    return grad_y * (1 - y * y)


# ----------------------------------------------------------------------------- losses
def sparse_crossentropy_from_logits(logits, labels):
    """Per-sample sparse crossentropy on logits and its gradient (no clipping).

    ``ℓ_i = logsumexp(z_i) − z_i[y_i]``, ``∂ℓ_i/∂z_i = softmax(z_i) − onehot(y_i)``.
    logits: (B, C) float, labels: (B,) int -> (loss (B,), grad_logits (B, C)).
    """
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=-1, keepdims=True)
    rows = np.arange(len(labels))
    loss = np.log(sum_exp[:, 0]) - shifted[rows, labels]
    grad = exp / sum_exp
    grad[rows, labels] -= 1
    return loss, grad


def sparse_crossentropy_from_probs(probs, labels, epsilon=EPSILON):
    """Per-sample sparse crossentropy on probabilities, as the TensorFlow backend computes it.

    ``q = clip(p, ε, 1 − ε)``, ``ℓ_i = −log q_i[y_i] + log Σ_j q_ij`` (the log-probabilities go
    through a softmax-with-logits, which renormalises). Gradient
    ``∂ℓ/∂p_j = [ε ≤ p_j ≤ 1 − ε] · (1/Σq − [j = y]/q_y)`` (zero where clipping is active).
    probs: (B, C), labels: (B,) int -> (loss (B,), grad_probs (B, C)).
    """
    dtype = probs.dtype.type
    low, high = dtype(epsilon), dtype(1) - dtype(epsilon)
    q = np.clip(probs, low, high)
    rows = np.arange(len(labels))
    sum_q = q.sum(axis=-1, keepdims=True)
    loss = np.log(sum_q[:, 0]) - np.log(q[rows, labels])
    grad = np.broadcast_to(1 / sum_q, q.shape).copy()
    grad[rows, labels] -= 1 / q[rows, labels]
    grad *= (probs >= low) & (probs <= high)
    return loss, grad


def categorical_crossentropy_from_logits(logits, targets):
    """Per-sample categorical crossentropy on logits (no clipping).

    ``ℓ_i = −Σ_j Y_ij (z_ij − logsumexp(z_i))``, ``∂ℓ_i/∂z_i = softmax(z_i)·Σ_j Y_ij − Y_i``.
    logits, targets: (B, C) -> (loss (B,), grad_logits (B, C)).
    """
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=-1, keepdims=True)
    log_probs = shifted - np.log(sum_exp)
    loss = -(targets * log_probs).sum(axis=-1)
    grad = exp / sum_exp * targets.sum(axis=-1, keepdims=True) - targets
    return loss, grad


def categorical_crossentropy_from_probs(probs, targets, epsilon=EPSILON):
    """Per-sample categorical crossentropy on probabilities, as Keras computes it.

    ``r = p / Σp`` (renormalise), ``q = clip(r, ε, 1 − ε)``, ``ℓ = −Σ_j Y_j log q_j``.
    Gradient: ``a_j = −[ε ≤ r_j ≤ 1 − ε]·Y_j/q_j``, ``∂ℓ/∂p_k = a_k/s − (Σ_j a_j r_j)/s`` with ``s = Σp``.
    probs, targets: (B, C) -> (loss (B,), grad_probs (B, C)).
    """
    dtype = probs.dtype.type
    low, high = dtype(epsilon), dtype(1) - dtype(epsilon)
    s = probs.sum(axis=-1, keepdims=True)
    r = probs / s
    q = np.clip(r, low, high)
    loss = -(targets * np.log(q)).sum(axis=-1)
    a = -targets / q * ((r >= low) & (r <= high))
    grad = a / s - (a * r).sum(axis=-1, keepdims=True) / s
    return loss, grad


# ----------------------------------------------------------------------------- Conv2D / MaxPooling2D
# Layout NHWC (channels_last): x (B, H, W, C); kernel (kh, kw, C, F) as in Keras; strides,
# dilation and pool sizes are 2-tuples (rows, cols); padding "valid" | "same" (TensorFlow's
# split, the extra cell at the bottom/right: see scratch.ops.padding).
from scratch.ops.padding import conv_output_length, normalize_tuple, same_padding  # noqa: E402


def spatial_padding(height, width, window, strides, padding, dilation=(1, 1)):
    """Output size and padding of a 2-D window op.

    -> ``((OH, OW), ((top, bottom), (left, right)))``, all zero for ``"valid"``.

    >>> spatial_padding(28, 28, (3, 3), (2, 2), "same")
    ((14, 14), ((0, 1), (0, 1)))
    """
    out = (conv_output_length(height, window[0], strides[0], padding, dilation[0]),
           conv_output_length(width, window[1], strides[1], padding, dilation[1]))
    if padding.lower() == "same":
        pads = (same_padding(height, window[0], strides[0], dilation[0]),
                same_padding(width, window[1], strides[1], dilation[1]))
    else:
        pads = ((0, 0), (0, 0))
    if out[0] <= 0 or out[1] <= 0:
        raise ValueError(f"input: the {height}x{width} input is smaller than the window "
                         f"{window} (dilation {dilation}): the output size would be {out}")
    return out, pads


def im2col(xpad, kernel_size, strides, dilation, out_size):
    """Unfold every receptive field of a padded input into one row.

    ``cols[(n, i, j), (a, b, c)] = xpad[n, i·sh + a·dh, j·sw + b·dw, c]``
    xpad: (B, Hp, Wp, C) -> cols: (B·OH·OW, kh·kw·C); the column order ``(a, b, c)`` matches
    ``kernel.reshape(kh·kw·C, F)``, so a convolution is ``cols @ kernel.reshape(-1, F)``.
    """
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel_size, strides, dilation, out_size
    batch, channels = xpad.shape[0], xpad.shape[3]
    cols = np.empty((batch, oh, ow, kh, kw, channels), dtype=xpad.dtype)
    for a in range(kh):
        for b in range(kw):
            # all output positions at once: rows a·dh, a·dh + sh, …; cols b·dw, b·dw + sw, …
            cols[:, :, :, a, b, :] = xpad[:, a * dh: a * dh + (oh - 1) * sh + 1: sh,
                                          b * dw: b * dw + (ow - 1) * sw + 1: sw, :]
    return cols.reshape(batch * oh * ow, kh * kw * channels)


def col2im(cols, xpad_shape, kernel_size, strides, dilation, out_size):
    """Adjoint of :func:`im2col`: scatter-add every row back onto its receptive field.

    ``xpad[n, i·sh + a·dh, j·sw + b·dw, c] += cols[(n, i, j), (a, b, c)]`` (overlapping fields add up).
    cols: (B·OH·OW, kh·kw·C) -> (B, Hp, Wp, C).
    """
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel_size, strides, dilation, out_size
    batch, channels = xpad_shape[0], xpad_shape[3]
    cols = cols.reshape(batch, oh, ow, kh, kw, channels)
    xpad = np.zeros(xpad_shape, dtype=cols.dtype)
    for a in range(kh):
        for b in range(kw):
            xpad[:, a * dh: a * dh + (oh - 1) * sh + 1: sh,
                 b * dw: b * dw + (ow - 1) * sw + 1: sw, :] += cols[:, :, :, a, b, :]
    return xpad


def conv2d_forward(x, kernel, bias, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """2-D cross-correlation (Keras's Conv2D, no kernel flip), via im2col and one matrix product.

    ``out[n, i, j, f] = Σ_{a,b,c} xpad[n, i·sh + a·dh, j·sw + b·dw, c] · K[a, b, c, f] + bias[f]``
    As one product: ``out = [cols | 1] @ [K ; bias]``, with ``K`` as a (kh·kw·C, F) matrix; the
    bias rides along as a last row of the kernel matrix against a column of ones (CS231n's "bias
    trick"; without a bias, ``out = cols @ K``).
    x: (B, H, W, C), kernel: (kh, kw, C, F), bias: (F,) or None, strides/dilation: (rows, cols),
    padding: "valid" | "same" -> out: (B, OH, OW, F) (sizes: scratch.ops.padding).
    cache (the same keys on every backend): method ``"im2col"``; cols ``[cols | 1]``
    (B·OH·OW, kh·kw·C + 1 with a bias); kernel; has_bias; x_shape; strides; dilation;
    pads ((top, bottom), (left, right)); out_size (OH, OW). (The cpu engine's Winograd method
    keeps its transformed tiles in place of ``cols``: scratch/engine/winograd.py.)

    >>> out, _ = conv2d_forward(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 2)), None, (1, 1), "same", (1, 1))
    >>> out.shape, float(out[0, 2, 2, 0]), float(out[0, 0, 0, 0])   # centre: 9 ones; corner: 4
    ((1, 5, 5, 2), 9.0, 4.0)
    """
    strides, dilation = normalize_tuple(strides, "strides"), normalize_tuple(dilation, "dilation_rate")
    batch, height, width, _ = x.shape
    kh, kw, _, filters = kernel.shape
    out_size, pads = spatial_padding(height, width, (kh, kw), strides, padding, dilation)
    xpad = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    cols = im2col(xpad, (kh, kw), strides, dilation, out_size)
    weights = kernel.reshape(-1, filters)
    if bias is not None:
        cols = np.hstack([cols, np.ones((len(cols), 1), dtype=cols.dtype)])
        weights = np.vstack([weights, bias])
    out = cols @ weights
    cache = dict(method="im2col", cols=cols, kernel=kernel, has_bias=bias is not None,
                 x_shape=x.shape, strides=strides, dilation=dilation, pads=pads, out_size=out_size)
    return out.reshape(batch, out_size[0], out_size[1], filters), cache


def conv2d_backward(grad_out, cache, compute_grad_x=True):
    """Gradients of :func:`conv2d_forward`.

    With ``G = grad_out`` as (B·OH·OW, F) and ``cols`` the cached ``[cols | 1]``:
    ``[dK ; dbias] = colsᵀ @ G`` (its last row, with a bias, is ``dbias[f] = Σ_{n,i,j} G[n, i, j, f]``),
    ``dx = col2im(G @ Kᵀ)`` cropped to the unpadded input (every input cell collects
    ``Σ K[a, b, c, f]·G[n, i, j, f]`` over the windows it falls in).
    grad_out: (B, OH, OW, F) -> (grad_x (B, H, W, C) or None when ``compute_grad_x`` is False
    (the first layer needs none), grad_kernel (kh, kw, C, F), grad_bias (F,) or None without bias).
    """
    kernel = cache["kernel"]
    kh, kw, channels, filters = kernel.shape
    k = kh * kw * channels
    g = grad_out.reshape(-1, filters)
    grad_weights = cache["cols"].T @ g
    grad_kernel = grad_weights[:k].reshape(kernel.shape)
    grad_bias = grad_weights[k] if cache["has_bias"] else None
    grad_x = None
    if compute_grad_x:
        batch, height, width, _ = cache["x_shape"]
        (top, bottom), (left, right) = cache["pads"]
        xpad_shape = (batch, top + height + bottom, left + width + right, channels)
        grad_cols = g @ kernel.reshape(k, filters).T
        grad_xpad = col2im(grad_cols, xpad_shape, (kh, kw), cache["strides"], cache["dilation"],
                           cache["out_size"])
        grad_x = grad_xpad[:, top: top + height, left: left + width, :]
    return grad_x, grad_kernel, grad_bias


def maxpool2d_forward(x, pool_size=(2, 2), strides=None, padding="valid"):
    """2-D max pooling (Keras's MaxPooling2D), one explicit window per output position.

    ``out[n, i, j, c] = max_{0≤a<ph, 0≤b<pw} xpad[n, i·sh + a, j·sw + b, c]``, where ``xpad``
    is ``x`` padded with −∞ for ``"same"``: padding is never the maximum, so each window is
    simply cut to the cells inside ``x``. ``strides=None`` means ``strides = pool_size``.
    x: (B, H, W, C) -> out: (B, OH, OW, C);
    cache: dict(argmax (B, OH, OW, C): ``y·W + x`` position in ``x`` of the FIRST maximum of each
    window in row-major order, x_shape).

    >>> out, _ = maxpool2d_forward(np.arange(16.0).reshape(1, 4, 4, 1), (2, 2), None, "valid")
    >>> out[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    pool_size = normalize_tuple(pool_size, "pool_size")
    strides = pool_size if strides is None else normalize_tuple(strides, "strides")
    (ph, pw), (sh, sw) = pool_size, strides
    batch, height, width, channels = x.shape
    (oh, ow), ((top, _), (left, _)) = spatial_padding(height, width, pool_size, strides, padding)
    out = np.empty((batch, oh, ow, channels), dtype=x.dtype)
    argmax = np.empty((batch, oh, ow, channels), dtype=np.intp)
    for i in range(oh):
        for j in range(ow):
            y0, x0 = max(i * sh - top, 0), max(j * sw - left, 0)          # window cut to x
            y1, x1 = min(i * sh - top + ph, height), min(j * sw - left + pw, width)
            flat = x[:, y0:y1, x0:x1, :].reshape(batch, -1, channels)    # row-major (a, b) order
            first = flat.argmax(axis=1)                                   # the FIRST maximum
            out[:, i, j, :] = np.take_along_axis(flat, first[:, None, :], axis=1)[:, 0, :]
            rows, cols = np.divmod(first, x1 - x0)
            argmax[:, i, j, :] = (y0 + rows) * width + (x0 + cols)
    return out, dict(argmax=argmax, x_shape=x.shape)


def maxpool2d_backward(grad_out, cache):
    """Gradient of :func:`maxpool2d_forward`: each output's gradient goes to ONE input cell.

    ``dx[n, y*, x*, c] += grad_out[n, i, j, c]`` with ``(y*, x*)`` the first maximum (row-major)
    of window ``(i, j)``; overlapping windows add up; padding never receives anything.
    grad_out: (B, OH, OW, C) -> grad_x: (B, H, W, C).
    """
    batch, height, width, channels = cache["x_shape"]
    grad_x = np.zeros((batch, height * width, channels), dtype=grad_out.dtype)
    n, c = np.meshgrid(np.arange(batch), np.arange(channels), indexing="ij")   # (B, C) each
    for i in range(grad_out.shape[1]):
        for j in range(grad_out.shape[2]):
            # one cell per (n, c) for a given window: no repeated index, plain += is safe
            grad_x[n, cache["argmax"][:, i, j, :], c] += grad_out[:, i, j, :]
    return grad_x.reshape(batch, height, width, channels)


# ----------------------------------------------------------------------------- AveragePooling2D / global pooling
def avgpool2d_forward(x, pool_size=(2, 2), strides=None, padding="valid"):
    """2-D average pooling (Keras's AveragePooling2D, TensorFlow's ``avg_pool``).

    ``out[n, i, j, c] = (1 / |W_ij|) · Σ_{(y, x) ∈ W_ij} x[n, y, x, c]`` where ``W_ij`` is window
    ``(i, j)`` (rows ``i·sh − top … i·sh − top + ph − 1``, columns likewise) cut to the cells
    inside ``x``: for ``"same"`` the padding is not averaged in, so a corner window of 2x2 pooled
    by 3x3 divides by 4, not 9 (TensorFlow's rule). ``strides=None`` means ``strides = pool_size``.
    x: (B, H, W, C) -> out: (B, OH, OW, C);
    cache: dict(x_shape, pool_size, strides, pads ((top, bottom), (left, right)), out_size (OH, OW)).

    >>> out, _ = avgpool2d_forward(np.arange(16.0).reshape(1, 4, 4, 1), (2, 2), None, "valid")
    >>> out[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    pool_size = normalize_tuple(pool_size, "pool_size")
    strides = pool_size if strides is None else normalize_tuple(strides, "strides")
    (ph, pw), (sh, sw) = pool_size, strides
    batch, height, width, channels = x.shape
    (oh, ow), pads = spatial_padding(height, width, pool_size, strides, padding)
    (top, _), (left, _) = pads
    out = np.empty((batch, oh, ow, channels), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            y0, x0 = max(i * sh - top, 0), max(j * sw - left, 0)          # window cut to x
            y1, x1 = min(i * sh - top + ph, height), min(j * sw - left + pw, width)
            out[:, i, j, :] = x[:, y0:y1, x0:x1, :].sum(axis=(1, 2)) / x.dtype.type((y1 - y0) * (x1 - x0))
    return out, dict(x_shape=x.shape, pool_size=pool_size, strides=strides, pads=pads, out_size=(oh, ow))


def avgpool2d_backward(grad_out, cache):
    """Gradient of :func:`avgpool2d_forward`: each output's gradient is shared equally by the
    cells of its window, ``dx[n, y, x, c] += grad_out[n, i, j, c] / |W_ij|`` for every window
    ``W_ij`` holding ``(y, x)`` (overlapping windows add up; padding receives nothing).
    grad_out: (B, OH, OW, C) -> grad_x: (B, H, W, C).
    """
    batch, height, width, channels = cache["x_shape"]
    (ph, pw), (sh, sw) = cache["pool_size"], cache["strides"]
    (top, _), (left, _) = cache["pads"]
    grad_x = np.zeros(cache["x_shape"], dtype=grad_out.dtype)
    for i in range(cache["out_size"][0]):
        for j in range(cache["out_size"][1]):
            y0, x0 = max(i * sh - top, 0), max(j * sw - left, 0)
            y1, x1 = min(i * sh - top + ph, height), min(j * sw - left + pw, width)
            share = grad_out[:, i, j, :] / grad_out.dtype.type((y1 - y0) * (x1 - x0))
            grad_x[:, y0:y1, x0:x1, :] += share[:, None, None, :]
    return grad_x


def global_avgpool2d_forward(x):
    """Keras's GlobalAveragePooling2D: ``out[n, c] = (1 / HW) · Σ_{y,x} x[n, y, x, c]``.
    x: (B, H, W, C) -> (B, C) (the layer reshapes to (B, 1, 1, C) for ``keepdims``)."""
    return x.mean(axis=(1, 2), dtype=x.dtype)


def global_avgpool2d_backward(grad_out, x_shape):
    """Gradient of :func:`global_avgpool2d_forward`: ``dx[n, y, x, c] = grad_out[n, c] / HW``.
    grad_out: (B, C), x_shape (B, H, W, C) -> (B, H, W, C)."""
    count = grad_out.dtype.type(x_shape[1] * x_shape[2])
    return np.broadcast_to((grad_out / count)[:, None, None, :], x_shape).copy()


def global_maxpool2d_forward(x):
    """Keras's GlobalMaxPooling2D: ``out[n, c] = max_{y,x} x[n, y, x, c]``. x: (B, H, W, C) -> (B, C)."""
    return x.max(axis=(1, 2))


def global_maxpool2d_backward(grad_out, x, out):
    """Gradient of :func:`global_maxpool2d_forward` as TensorFlow's ``reduce_max`` gradient:
    the gradient is SHARED by all cells equal to the maximum (``dx = dy · [x = max] / #ties``),
    unlike MaxPooling2D's first-maximum routing. grad_out, out: (B, C), x: (B, H, W, C) -> (B, H, W, C)."""
    hit = (x == out[:, None, None, :]).astype(grad_out.dtype)
    ties = hit.sum(axis=(1, 2), keepdims=True)
    return hit / ties * grad_out[:, None, None, :]


# ----------------------------------------------------------------------------- Dropout / Rescaling
def dropout_forward(x, keep_mask, scale):
    """Inverted dropout (TensorFlow's ``stateless_dropout``): ``y = where(keep, x · scale, 0)``.

    ``scale = float32(1 / (1 − rate))`` (Python/float64 division rounded once to float32, as TF);
    the product ``x · scale`` is taken first, then dropped cells are set to 0 — bit for bit TF's
    order (``x · mask / (1 − rate)`` rounds differently).
    x: any shape; keep_mask: bool, ``x``'s shape or broadcastable to it (a ``noise_shape``) -> y.

    >>> dropout_forward(np.array([1.0, 2.0], np.float32), np.array([True, False]), np.float32(2.0))
    array([2., 0.], dtype=float32)
    """
    return np.where(keep_mask, x * x.dtype.type(scale), x.dtype.type(0))


def dropout_backward(grad_y, keep_mask, scale):
    """Gradient of :func:`dropout_forward`: ``dx = where(keep, dy · scale, 0)`` (the same mask)."""
    return np.where(keep_mask, grad_y * grad_y.dtype.type(scale), grad_y.dtype.type(0))


def rescaling_forward(x, scale, offset):
    """Keras's Rescaling: ``y = float32(x) · float32(scale) + float32(offset)`` (multiply, not divide:
    ``x · float32(1/255)`` is not bit-equal to ``x / 255``). Integer input (uint8) gives float32;
    a float64 input stays float64 (gradient checks). scale/offset: scalars or per-channel arrays.

    >>> rescaling_forward(np.array([255], np.uint8), 1 / 255, 0.0)
    array([1.], dtype=float32)
    """
    dtype = x.dtype if x.dtype == np.float64 else np.float32
    return x.astype(dtype, copy=False) * np.asarray(scale, dtype) + np.asarray(offset, dtype)


def rescaling_backward(grad_y, scale):
    """Gradient of :func:`rescaling_forward`: ``dx = dy · scale``."""
    return grad_y * np.asarray(scale, grad_y.dtype)


# ----------------------------------------------------------------------------- image augmentation
# RandomRotation / RandomZoom / RandomTranslation (one op: affine_transform) and RandomContrast.
# Layout NHWC; a transform is Keras's 8 numbers [a0, a1, a2, b0, b1, b2, c0, c1], which map an
# OUTPUT pixel (x = column, y = row) to the INPUT point it is read from (the inverse map).
# Coordinates and weights are float32, in TensorFlow's order (ImageProjectiveTransformV3, which
# keras.ops.image.affine_transform calls on the TensorFlow backend).
AFFINE_INTERPOLATIONS = ("nearest", "bilinear")
AFFINE_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """Resample each image at the points its transform maps the output grid to.

    For output pixel (x, y) of image b, with its 8 numbers [a0, a1, a2, b0, b1, b2, c0, c1]::

        k    = c0·x + c1·y + 1                       (1 for an affine map: c0 = c1 = 0)
        x_in = (a0·x + a1·y + a2) / k                the inverse map: where to read
        y_in = (b0·x + b1·y + b2) / k
        out  = sample(image, fold(y_in, H), fold(x_in, W))      (fill_value where k = 0)

    ``fold`` (:func:`_fold_coordinate`) brings a point outside the image back in by ``fill_mode``
    — "reflect" (d c b a | a b c d | d c b a), "wrap" (a b c d | a b c d), "nearest"
    (a a | a b c d | d d) — then clamps it to [0, n − 1]; "constant" leaves it where it is.
    ``sample`` reads pixels, any outside the image reading ``fill_value``:

    - "nearest": the pixel at (round(y), round(x)), halves rounded away from zero;
    - "bilinear": with x0 = floor(x), x1 = x0 + 1 (y0, y1 likewise), the two rows blended along
      x, then the rows along y: ``v(y0) = (x1 − x)·p[y0, x0] + (x − x0)·p[y0, x1]``, ``v(y1)``
      the same, ``out = (y1 − y)·v(y0) + (y − y0)·v(y1)``. Under "constant", points within one
      pixel of the border blend the image with ``fill_value``.

    images: (B, H, W, C) float; transforms: (B, 8), or (8,) for every image -> (B, H, W, C), the
    images' dtype.

    >>> image = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1)          # one row: 0 1 2 3
    >>> shift_right = np.array([1, 0, -1, 0, 1, 0, 0, 0], np.float32)       # x_in = x − 1
    >>> affine_transform(image, shift_right, "nearest", "constant", 9.0)[0, 0, :, 0]
    array([9., 0., 1., 2.], dtype=float32)
    >>> affine_transform(image, shift_right, "nearest", "reflect")[0, 0, :, 0]
    array([0., 0., 1., 2.], dtype=float32)
    """
    _check_affine_arguments(interpolation, fill_mode)
    batch, height, width, _ = images.shape
    f32 = np.float32
    t = np.broadcast_to(np.asarray(transforms, f32).reshape(-1, 8), (batch, 8))
    a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, i, None, None] for i in range(8))      # each (B, 1, 1)
    y, x = np.meshgrid(np.arange(height, dtype=f32), np.arange(width, dtype=f32), indexing="ij")
    k = c0 * x + c1 * y + f32(1)                                                  # (B, H, W)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_in = (a0 * x + a1 * y + a2) / k
        y_in = (b0 * x + b1 * y + b2) / k
    x_in = _fold_coordinate(np.where(k == 0, f32(-1), x_in), width, fill_mode)
    y_in = _fold_coordinate(np.where(k == 0, f32(-1), y_in), height, fill_mode)
    fill = images.dtype.type(fill_value)
    if interpolation == "nearest":
        out = _read_pixels(images, _round_half_away(y_in), _round_half_away(x_in), fill)
    else:
        y0, x0 = np.floor(y_in), np.floor(x_in)
        y1, x1 = y0 + f32(1), x0 + f32(1)
        wx0, wx1 = (x1 - x_in)[..., None], (x_in - x0)[..., None]                # (B, H, W, 1)
        wy0, wy1 = (y1 - y_in)[..., None], (y_in - y0)[..., None]
        row0 = wx0 * _read_pixels(images, y0, x0, fill) + wx1 * _read_pixels(images, y0, x1, fill)
        row1 = wx0 * _read_pixels(images, y1, x0, fill) + wx1 * _read_pixels(images, y1, x1, fill)
        out = wy0 * row0 + wy1 * row1
    out = np.where((k == 0)[..., None], fill, out)            # the point at infinity: fill_value
    return out.astype(images.dtype, copy=False)


def _check_affine_arguments(interpolation, fill_mode):
    if interpolation not in AFFINE_INTERPOLATIONS:
        raise ValueError(f"interpolation: expected one of {list(AFFINE_INTERPOLATIONS)}, received {interpolation!r}")
    if fill_mode not in AFFINE_FILL_MODES:
        raise ValueError(f"fill_mode: expected one of {list(AFFINE_FILL_MODES)}, received {fill_mode!r}")


def _fold_coordinate(c, n, fill_mode):
    """Points ``c`` (float32) along an axis of ``n`` pixels, brought inside [0, n − 1] by
    ``fill_mode``, exactly as TensorFlow's ``MapCoordinate`` does it (truncating divisions
    included, so "wrap" is only a true modulo within about one period of the image):

    - reflect: c < 0 -> c' = c + 2n·trunc(−c / 2n), then c' + 2n if c' < −n else −c' − 1;
      c > n − 1 -> c' = c − 2n·trunc(c / 2n), then 2n − c' − 1 if c' >= n;
    - wrap: c < 0 -> c + n·(trunc(−c / (n − 1)) + 1); c > n − 1 -> c − n·trunc(c / (n − 1));
    - nearest: unchanged (the clamp does it);
    then clamped to [0, n − 1] (any axis of one pixel maps to 0). "constant": ``c`` unchanged.
    """
    if fill_mode == "constant":
        return c
    f32 = np.float32
    low, high = c < 0, c > n - 1
    if n <= 1:
        folded = np.zeros_like(c)
    elif fill_mode == "reflect":
        period = f32(2 * n)
        below = c + period * np.trunc(-c / period)
        below = np.where(below < -n, below + period, -below - f32(1))
        above = c - period * np.trunc(c / period)
        above = np.where(above >= n, period - above - f32(1), above)
        folded = np.where(low, below, np.where(high, above, c))
    elif fill_mode == "wrap":
        below = c + f32(n) * (np.trunc(-c / f32(n - 1)) + f32(1))
        above = c - f32(n) * np.trunc(c / f32(n - 1))
        folded = np.where(low, below, np.where(high, above, c))
    else:  # "nearest"
        folded = c
    return np.clip(folded, f32(0), f32(n - 1))


def _round_half_away(c):
    """Round to the nearest integer, halves away from zero (C's ``std::round``; NumPy's
    ``np.round`` rounds halves to even). Exact: ``|c| − floor|c|`` has no rounding error."""
    magnitude = np.abs(c)
    whole = np.floor(magnitude)
    return np.copysign(whole + (magnitude - whole >= 0.5), c)


def _read_pixels(images, rows, cols, fill):
    """``images[b, rows, cols, :]`` for the (B, H, W) grids of whole-number ``rows``/``cols``;
    ``fill`` where a point lies outside the image -> (B, H, W, C)."""
    batch, height, width, _ = images.shape
    rows = np.clip(rows, -1, height).astype(np.int64)   # anything outside is outside: no overflow
    cols = np.clip(cols, -1, width).astype(np.int64)
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    b = np.arange(batch)[:, None, None]
    values = images[b, np.clip(rows, 0, height - 1), np.clip(cols, 0, width - 1)]
    return np.where(inside[..., None], values, fill)


def adjust_contrast_forward(images, factors, value_range):
    """Keras's RandomContrast: per image and channel, ``y = clip((x − m)·f + m, low, high)``
    with ``m`` the mean over the image's height then width, ``f`` the image's factor.

    images: (B, H, W, C); factors: (B,) (or (B, 1)); value_range: (low, high) -> y, images' dtype.

    >>> adjust_contrast_forward(np.array([[[[0.0], [10.0]]]], np.float32), np.array([2.0]), (0, 255))
    array([[[[ 0.],
             [15.]]]], dtype=float32)
    """
    dtype = images.dtype
    mean = images.mean(axis=1, keepdims=True, dtype=dtype).mean(axis=2, keepdims=True, dtype=dtype)
    f = np.asarray(factors, dtype).reshape(-1, 1, 1, 1)
    out = (images - mean) * f + mean
    return np.clip(out, dtype.type(value_range[0]), dtype.type(value_range[1]))


def adjust_contrast_backward(grad_y, images, factors, value_range):
    """Gradient of :func:`adjust_contrast_forward`. With ``g = dy`` where the unclipped value
    lies within [low, high] (0 where clipped) and ``HW`` pixels per channel:
    ``dx = f·g + (1 − f)·Σ_hw g / HW`` (every pixel moves the mean ``m`` by 1/HW)."""
    dtype = grad_y.dtype
    mean = images.mean(axis=1, keepdims=True, dtype=dtype).mean(axis=2, keepdims=True, dtype=dtype)
    f = np.asarray(factors, dtype).reshape(-1, 1, 1, 1)
    unclipped = (images - mean) * f + mean
    g = grad_y * ((unclipped >= value_range[0]) & (unclipped <= value_range[1]))
    return f * g + (1 - f) * g.mean(axis=(1, 2), keepdims=True)


# ----------------------------------------------------------------------------- Image resizing
# tf.image.resize's "bilinear" and "nearest" methods (what Keras's image loaders call), without
# antialiasing. Half-pixel centres: output pixel i, of OUT along an axis of IN input pixels, sits
# at input coordinate  s(i) = (i + ½)·(IN / OUT) − ½  (pixel k's centre being at k). TensorFlow
# computes these positions in float32; so do these ops, so that they pick the same input pixels
# with the same weights. Layout (…, H, W, C): one image (H, W, C) or a batch (B, H, W, C).
def _check_resize_args(images, size, op):
    """The image array (3-D or 4-D, real numbers) and ``size`` as two positive ints."""
    if not isinstance(images, np.ndarray):
        raise TypeError(f"{op}: images must be a NumPy array, received {type(images).__name__}")
    if images.ndim not in (3, 4) or images.dtype.kind not in "uif":
        raise ValueError(f"{op}: images must be (H, W, C) or (B, H, W, C) real numbers, received "
                         f"shape {images.shape} of dtype {images.dtype}")
    if images.shape[-3] < 1 or images.shape[-2] < 1:
        raise ValueError(f"{op}: images must be at least 1x1, received shape {images.shape}")
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0
                       for n in size)):
        raise ValueError(f"{op}: size must be (height, width), two positive ints, received {size!r}")
    return int(size[0]), int(size[1])


def _resize_scale(in_size, out_size):
    return np.float32(in_size) / np.float32(out_size)


def _bilinear_taps(in_size, out_size):
    """For each output index along one axis: the two input neighbours and the weight of the
    second, ``s = (i + ½)·scale − ½``, ``lower = max(⌊s⌋, 0)``, ``upper = min(⌈s⌉, IN − 1)``,
    ``lerp = s − ⌊s⌋`` (float32). Near the borders both neighbours are the edge pixel."""
    s = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * _resize_scale(in_size, out_size) \
        - np.float32(0.5)
    floor = np.floor(s)
    lower = np.maximum(floor, 0).astype(np.intp)
    upper = np.minimum(np.ceil(s), in_size - 1).astype(np.intp)
    return lower, upper, (s - floor).astype(np.float32)


def _nearest_taps(in_size, out_size):
    """For each output index along one axis, the input pixel whose cell holds the output centre:
    ``min(⌊(i + ½)·scale⌋, IN − 1)`` (float32, as TensorFlow)."""
    s = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * _resize_scale(in_size, out_size)
    return np.minimum(np.floor(s), in_size - 1).astype(np.intp)


def resize_bilinear(images, size):
    """Bilinear resize with half-pixel centres, no antialiasing: ``tf.image.resize(images, size)``.

    With the taps of :func:`_bilinear_taps` along rows (``y0, y1, wy``) and columns (``x0, x1, wx``):
    ``top = I[y0, x0] + (I[y0, x1] − I[y0, x0])·wx``, ``bottom`` the same on row ``y1``, and
    ``out = top + (bottom − top)·wy`` (TensorFlow's order of operations). Shrinking by more than
    2x therefore skips input pixels (no antialiasing), as Keras's loaders do.
    images: (H, W, C) or (B, H, W, C), any real dtype; size: (OH, OW) -> (…, OH, OW, C) in
    float32 (float64 for float64 input; uint8 input gives float32, as TensorFlow).

    >>> resize_bilinear(np.array([[[0], [10]]], np.uint8), (1, 4))[0, :, 0]
    array([ 0. ,  2.5,  7.5, 10. ], dtype=float32)
    """
    out_h, out_w = _check_resize_args(images, size, "resize_bilinear")
    dtype = np.float64 if images.dtype == np.float64 else np.float32
    y0, y1, wy = _bilinear_taps(images.shape[-3], out_h)
    x0, x1, wx = _bilinear_taps(images.shape[-2], out_w)
    x = images.astype(dtype, copy=False)
    wx = wx.astype(dtype)[:, None]                  # (OW, 1): broadcast over channels
    wy = wy.astype(dtype)[:, None, None]            # (OH, 1, 1): over columns and channels
    upper_rows, lower_rows = x[..., y0, :, :], x[..., y1, :, :]          # (…, OH, W, C)
    top = upper_rows[..., x0, :] + (upper_rows[..., x1, :] - upper_rows[..., x0, :]) * wx
    bottom = lower_rows[..., x0, :] + (lower_rows[..., x1, :] - lower_rows[..., x0, :]) * wx
    return top + (bottom - top) * wy


def resize_nearest(images, size):
    """Nearest-neighbour resize with half-pixel centres: ``tf.image.resize(images, size,
    "nearest")``: ``out[i, j] = I[min(⌊(i + ½)·H/OH⌋, H − 1), min(⌊(j + ½)·W/OW⌋, W − 1)]``.
    images: (H, W, C) or (B, H, W, C) -> (…, OH, OW, C), the same dtype (uint8 stays uint8, as
    in TensorFlow).

    >>> resize_nearest(np.arange(4, dtype=np.uint8).reshape(1, 4, 1), (1, 2))[0, :, 0]
    array([1, 3], dtype=uint8)
    """
    out_h, out_w = _check_resize_args(images, size, "resize_nearest")
    rows = _nearest_taps(images.shape[-3], out_h)
    cols = _nearest_taps(images.shape[-2], out_w)
    return images[..., rows, :, :][..., :, cols, :]


# tf.image.resize's other methods are separable too: each output pixel is a weighted sum of input
# pixels, one weight matrix per axis, out = Wy · I · Wxᵀ (per channel). Only the weights differ:
#   "bicubic"  Keys' cubic convolution (a = −½) on 4 taps around s(i), the weights read from
#              TensorFlow's 1024-entry table, taps outside the image dropped and the rest rescaled
#              to sum 1 (ResizeBicubic, half-pixel centres);
#   "area"     each output pixel averages the input cells its box [i·IN/OUT, (i+1)·IN/OUT)
#              covers, a cell cut by the box counting for the part inside (ResizeArea);
#   "lanczos3", "lanczos5", "gaussian", "mitchellcubic"
#              a kernel k centred at c(i) = (i + ½)·IN/OUT, weight k(k_pos + ½ − c(i)) for every
#              input pixel within its radius, normalised to sum 1 (ScaleAndTranslate, no
#              antialiasing): Lanczos  r·sin(πx)·sin(πx/r)/(πx)² (r = 3 or 5), Gaussian
#              exp(−x²/(2σ²)) with σ = ½ (radius 1.5), Mitchell–Netravali cubic with B = C = ⅓.
KEYS_TABLE_SIZE = 1024


def _keys_cubic_table(a=-0.5):
    """TensorFlow's tabulated Keys cubic: row t (x = t/1024) holds the weight of the near tap at
    distance x and of the far tap at distance 1 + x. (1025, 2) float32."""
    x = np.arange(KEYS_TABLE_SIZE + 1, dtype=np.float32).astype(np.float64) / KEYS_TABLE_SIZE
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
    return np.stack([near, far], axis=1).astype(np.float32)


def _bicubic_weights(in_size, out_size):
    """(OUT, IN) float32: for output i, taps ⌊s⌋−1 … ⌊s⌋+2 around s = (i + ½)·scale − ½ with the
    table's weights for δ = s − ⌊s⌋ (rounded to 1/1024); taps off the image weigh 0, the rest are
    divided by their sum."""
    table = _keys_cubic_table()
    weights = np.zeros((out_size, in_size), np.float32)
    s = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * _resize_scale(in_size, out_size) \
        - np.float32(0.5)
    for i, position in enumerate(s):
        start = int(np.floor(position))
        t = int(np.rint((position - np.float32(start)) * np.float32(KEYS_TABLE_SIZE)))
        taps = (table[t, 1], table[t, 0], table[KEYS_TABLE_SIZE - t, 0], table[KEYS_TABLE_SIZE - t, 1])
        inside = [(start - 1 + k, w) for k, w in enumerate(taps) if 0 <= start - 1 + k < in_size]
        total = np.float32(sum(w for _, w in inside))
        for k, w in inside:
            weights[i, k] += w / total
    return weights


def _area_weights(in_size, out_size):
    """(OUT, IN) float32: the length of input cell k = [k, k+1) inside output i's box
    [i·scale, (i+1)·scale), divided by the box length ``scale = IN/OUT``."""
    scale = _resize_scale(in_size, out_size)
    weights = np.zeros((out_size, in_size), np.float32)
    for i in range(out_size):
        low, high = np.float32(i) * scale, np.float32(i + 1) * scale
        for k in range(int(np.floor(low)), int(np.ceil(high))):
            overlap = min(np.float32(k + 1), high) - max(np.float32(k), low)
            weights[i, min(k, in_size - 1)] += overlap / scale
    return weights


def _lanczos(radius):
    def kernel(x):
        x = np.abs(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius) / (np.pi * x) ** 2
        return np.where(x > radius, 0.0, np.where(x <= 1e-3, 1.0, value))
    return kernel, float(radius)


def _gaussian(x, sigma=0.5, radius=1.5):
    x = np.abs(x)
    return np.where(x >= radius, 0.0, np.exp(-x * x / (2 * sigma * sigma)))


def _mitchell_cubic(x):
    x = np.abs(x)
    far = (((-7 / 18) * x + 2) * x - 10 / 3) * x + 16 / 9
    near = ((7 / 6) * x - 2) * x * x + 8 / 9
    return np.where(x >= 2, 0.0, np.where(x >= 1, far, near))


RESAMPLING_KERNELS = {"lanczos3": _lanczos(3), "lanczos5": _lanczos(5),
                      "gaussian": (_gaussian, 1.5), "mitchellcubic": (_mitchell_cubic, 2.0)}


def _kernel_weights(in_size, out_size, method):
    """(OUT, IN) float32: kernel weights around the centre c = (i + ½)/scale, over the input
    pixels k with ⌈c − r − ½⌉ ≤ k ≤ ⌊c + r − ½⌋ (clamped to the image), normalised to sum 1."""
    kernel, radius = RESAMPLING_KERNELS[method]
    inverse_scale = np.float32(1.0 / (np.float32(out_size) / np.float32(in_size)))
    weights = np.zeros((out_size, in_size), np.float32)
    for i in range(out_size):
        centre = (np.float32(i) + np.float32(0.5)) * inverse_scale
        first = min(max(int(np.ceil(centre - np.float32(radius) - np.float32(0.5))), 0), in_size - 1)
        last = min(max(int(np.floor(centre + np.float32(radius) - np.float32(0.5))), 0), in_size - 1)
        k = np.arange(first, last + 1)
        w = kernel((k.astype(np.float32) + np.float32(0.5) - centre)).astype(np.float32)
        weights[i, k] = w / np.float32(w.sum(dtype=np.float32))
    return weights


RESAMPLING_WEIGHTS = {"bicubic": _bicubic_weights, "area": _area_weights,
                      **{name: (lambda n, m, name=name: _kernel_weights(n, m, name))
                         for name in RESAMPLING_KERNELS}}


def resize_weighted(images, size, method):
    """``tf.image.resize(images, size, method)`` for method "bicubic", "area", "lanczos3",
    "lanczos5", "gaussian" or "mitchellcubic" (no antialiasing):
    ``out[…, i, j, c] = Σ_h Σ_w Wy[i, h]·Wx[j, w]·I[…, h, w, c]``, Wy and Wx the method's weight
    matrices (see above). Results may leave the input's range (cubic and Lanczos overshoot),
    as in TensorFlow. images: (H, W, C) or (B, H, W, C) -> (…, OH, OW, C) float32 (float64 for
    float64 input).

    >>> resize_weighted(np.array([[[0], [10], [20], [30]]], np.uint8), (1, 2), "area")[0, :, 0]
    array([ 5., 25.], dtype=float32)
    """
    out_h, out_w = _check_resize_args(images, size, "resize_weighted")
    if method not in RESAMPLING_WEIGHTS:
        raise ValueError(f"resize_weighted: method must be one of {sorted(RESAMPLING_WEIGHTS)}, "
                         f"received {method!r}")
    dtype = np.float64 if images.dtype == np.float64 else np.float32
    rows = RESAMPLING_WEIGHTS[method](images.shape[-3], out_h).astype(dtype)
    cols = RESAMPLING_WEIGHTS[method](images.shape[-2], out_w).astype(dtype)
    x = images.astype(dtype, copy=False)
    return np.einsum("jw,...iwc->...ijc", cols, np.einsum("ih,...hwc->...iwc", rows, x))
