"""The device trainer's model: a list of *blocks*, one per Dense, Conv2D or MaxPooling2D layer,
each with a ``forward`` and a ``backward`` that only launch kernels (``kernels/fused.py``).

What a block owns, for a batch of at most B samples (every array on the device)::

    outputs (B, features)   its output y, after its ReLU and the Dropout that follows it (fused)
    grad_z  (B, features)   d loss / d z, the gradient before that ReLU and Dropout
    keep    (B, features)   this step's keep mask of that Dropout (None without one)
    w, dw   (rows, units)   its [kernel ; bias] block of the flat parameter and gradient buffers

``forward(x, size, training)`` reads the block below's ``outputs`` (or the batch) viewed in its
layer's input shape and writes its own ``outputs``. ``backward(size)`` reads its ``grad_z``
(written by the block above, or by the loss kernel for the last block), writes its weight
gradient into ``dw`` and, when a block below has weights, that block's ``grad_z`` — taken back
through the block below's Dropout and ReLU in the same kernel (``fused._back_through``), so
neither costs a launch. Flatten is no block: every block reads its input as a reshape, and the
arrays are C-contiguous (NHWC), so a view is a Flatten. A Dropout is no block either: it rides on
the Dense or Conv2D block before it (the forward epilogue ``where(keep, y·scale, 0)``).

Launches per step of each block (``device.launches`` counts them)::

    block        forward                          backward
    Dense        1  product + bias + ReLU/Dropout 1  [dkernel ; dbias]    (+1 input gradient)
    Conv2D       2  im2col, product (as Dense)    1  [dkernel ; dbias]    (+1 input gradient, col2im fused)
    MaxPooling2D 1  max with argmax               0                       (+1 gather to the argmax)

"(+1 …)" only when a block below has weights: the first weighted layer computes no input
gradient, as ``fit``'s own loop (``compute_grad_x = False``). A weight gradient over more than
``SPLIT_ROWS`` rows (Conv2D's ``B·OH·OW``; a Dense's batch) is summed in chunks of ``CHUNK_ROWS``
rows added up atomically (:func:`weight_gradient`): still one launch, but the trainer then zeroes
the gradient buffer first, one launch more per step.
"""
import math

import numpy as np

from scratch.activations import linear, relu, softmax
from scratch.engine.gpu import device
from scratch.engine.gpu.kernels import convolution, fused, pooling
from scratch.engine.gpu.kernels.matmul import TILE
from scratch.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D, Rescaling
from scratch.ops.padding import normalize_tuple
from scratch.ops.reference import spatial_padding

F32 = np.float32
# a weight gradient over more rows than SPLIT_ROWS (Conv2D's B·OH·OW) is split into chunks of
# CHUNK_ROWS rows added up atomically (fused.dense_weight_gradient_split)
SPLIT_ROWS = 1024
CHUNK_ROWS = 256
_no_mask = None   # a (1, 1) device array standing for "no Dropout" (kernels need an array argument)


def no_mask():
    """The (1, 1) stand-in passed as ``keep`` when there is no Dropout."""
    global _no_mask
    if _no_mask is None:
        _no_mask = device.zeros((1, 1), np.bool_)
    return _no_mask


def product(simple, tiled, out, *args):
    """Launch a fused product writing ``out`` (M, N): ``simple`` (one thread per cell) in the
    simulator, ``tiled`` (TILE x TILE shared-memory tiles) on a GPU, with the same arguments."""
    rows, cols = out.shape
    if device.SIMULATOR:
        device.launch(simple, rows * cols, *args)
    else:
        grid = ((cols + TILE - 1) // TILE, (rows + TILE - 1) // TILE)
        device.launch_grid(tiled, grid, (TILE, TILE), *args)


def splits(rows):
    """True when a weight gradient over ``rows`` rows is split into chunks (the gradient buffer
    must then be zeroed first: the trainer does it, one launch for all the blocks)."""
    return rows > SPLIT_ROWS


def weight_gradient(x, grad_z, dw):
    """``dw = [x | 1]ᵀ @ dz`` (x: (R, D), grad_z: (R, U), dw: (D + 1, U)): one thread per cell (or
    tiles, on a GPU), or, for more than SPLIT_ROWS rows, chunks of rows added atomically."""
    rows = x.shape[0]
    if splits(rows):
        chunks = (rows + CHUNK_ROWS - 1) // CHUNK_ROWS
        device.launch(fused.dense_weight_gradient_split, chunks * dw.size, x, grad_z, dw, CHUNK_ROWS)
    else:
        product(fused.dense_weight_gradient, fused.dense_weight_gradient_tiled, dw, x, grad_z, dw)


class Block:
    """What every block shares: shapes, the arrays it owns, its epilogue, its flat-buffer slot."""

    size = 0              # parameters in the flat buffers (kernel and bias), 0 without weights
    relu = False          # the output went through a ReLU
    softmax = False       # the output is the model's softmax (the loss kernel takes its logits)

    def __init__(self, layer, below):
        self.layer, self.below = layer, below
        self.in_shape = tuple(layer.input_shape[1:])
        self.out_shape = tuple(layer.output_shape[1:])
        self.features = math.prod(self.out_shape)
        self.dropout = None       # the Dropout layer fused into this block's output
        self.keep = None          # this step's keep mask (B, features), or None
        self.needs_grad_below = below is not None and below.trains_below_or_here()
        self.inputs = None

    def gradient_rows(self, size):
        """Rows of this block's weight-gradient product for a batch of ``size`` (0 without weights)."""
        return 0

    def trains_below_or_here(self):
        """True when this block or one below it has weights (so gradients must reach it)."""
        return self.size > 0 or (self.below is not None and self.below.trains_below_or_here())

    def allocate(self, batch):
        """The per-batch arrays for up to ``batch`` samples."""
        self.outputs = device.empty((batch, self.features))
        self.grad_z = device.empty((batch, self.features))

    def bind(self, params, grads, offset):
        """Take this block's slot at ``offset`` of the flat buffers; returns the next offset."""
        return offset

    def epilogue(self, size):
        """The arguments a kernel above needs to go back through this block's Dropout and ReLU:
        ``(y (size, features), keep, scale, relu, dropout)``."""
        if self.keep is None:
            return self.outputs[:size], no_mask(), F32(1), self.relu, False
        return self.outputs[:size], self.keep[:size], self.dropout.scale, self.relu, True

    def _keep_for(self, size, shape, training):
        """``(keep viewed as shape, scale, dropout)`` for this forward's epilogue."""
        if not training or self.keep is None:
            return no_mask(), F32(1), False
        return self.keep[:size].reshape(shape), self.dropout.scale, True


class WeightedBlock(Block):
    """A block whose kernel and bias are one (rows, units) slot ``[kernel ; bias]`` of the flat
    buffers: ``w[:rows − 1]`` the kernel (as a matrix), ``w[rows − 1]`` the bias."""

    def __init__(self, layer, below, rows, units):
        super().__init__(layer, below)
        self.rows, self.units = rows, units
        self.size = rows * units
        self.relu = layer.activation is relu
        self.softmax = layer.activation is softmax

    def bind(self, params, grads, offset):
        self.w = params[offset:offset + self.size].reshape(self.rows, self.units)
        self.dw = grads[offset:offset + self.size].reshape(self.rows, self.units)
        return offset + self.size

    def variables(self):
        return [self.layer.kernel, self.layer.bias]

    def gradient_rows(self, size):
        return size


class DenseBlock(WeightedBlock):
    """Dense: ``y = drop(act(x @ kernel + bias))``; x (size, D) -> y (size, U).
    Backward: ``[dkernel ; dbias] = [x | 1]ᵀ @ dz``, ``dz below = (dz @ kernelᵀ)`` back through below."""

    def __init__(self, layer, below):
        inputs, units = layer.kernel.shape
        super().__init__(layer, below, inputs + 1, units)

    def forward(self, x, size, training):
        self.inputs = x.reshape(size, self.rows - 1)
        out = self.outputs[:size]
        product(fused.dense_forward, fused.dense_forward_tiled, out, self.inputs, self.w, out, self.relu,
                *self._keep_for(size, out.shape, training))
        return out

    def backward(self, size):
        grad_z = self.grad_z[:size]
        weight_gradient(self.inputs, grad_z, self.dw)
        if self.needs_grad_below:
            below = self.below
            device.launch(fused.dense_input_gradient, size * (self.rows - 1), grad_z, self.w,
                          *below.epilogue(size), below.grad_z[:size])


class Conv2DBlock(WeightedBlock):
    """Conv2D as im2col and Dense's product: ``cols[(n, i, j), (a, b, c)] = x[n, i·sh + a·dh − top,
    j·sw + b·dw − left, c]`` (0 in the padding), ``y = drop(act(cols @ kernel + bias))``.
    x (size, H, W, C) -> cols (size·OH·OW, kh·kw·C) -> y (size·OH·OW, F) = (size, OH, OW, F).
    Backward: ``[dkernel ; dbias] = [cols | 1]ᵀ @ dz``; ``dx = col2im(dz @ kernelᵀ)`` in one gather
    (``fused.conv_input_gradient``) back through the block below."""

    def __init__(self, layer, below):
        kh, kw, channels, filters = layer.kernel.shape
        super().__init__(layer, below, kh * kw * channels + 1, filters)
        height, width, _ = self.in_shape
        self.strides = normalize_tuple(layer.strides, "strides")
        self.dilation = normalize_tuple(layer.dilation_rate, "dilation_rate")
        (self.oh, self.ow), pads = spatial_padding(height, width, (kh, kw), self.strides, layer.padding,
                                                   self.dilation)
        self.kernel_size, self.top, self.left = (kh, kw), pads[0][0], pads[1][0]

    def allocate(self, batch):
        super().allocate(batch)
        self.cols = device.empty((batch * self.oh * self.ow, self.rows - 1))

    def gradient_rows(self, size):
        return size * self.oh * self.ow

    def _geometry(self):
        return (*self.kernel_size, *self.strides, *self.dilation, self.top, self.left)

    def forward(self, x, size, training):
        rows = size * self.oh * self.ow
        cols = self.cols[:rows]
        device.launch(convolution.im2col, cols.size, x.reshape((size,) + self.in_shape), *self._geometry(),
                      self.oh, self.ow, cols)
        self.inputs = cols
        out = self.outputs[:size].reshape(rows, self.units)
        product(fused.dense_forward, fused.dense_forward_tiled, out, cols, self.w, out, self.relu,
                *self._keep_for(size, out.shape, training))
        return self.outputs[:size]

    def backward(self, size):
        rows = size * self.oh * self.ow
        grad_z = self.grad_z[:size]
        weight_gradient(self.inputs, grad_z.reshape(rows, self.units), self.dw)
        if self.needs_grad_below:
            below = self.below
            grad_below = below.grad_z[:size].reshape((size,) + self.in_shape)
            device.launch(fused.conv_input_gradient, grad_below.size,
                          grad_z.reshape(size, self.oh, self.ow, self.units), self.w, *self._geometry(),
                          *below.epilogue(size), grad_below)


class MaxPooling2DBlock(Block):
    """MaxPooling2D: ``y[n, i, j, c]`` = the window's maximum, ``argmax`` = ``y·W + x`` of its first
    maximum (``pooling.maxpool_forward``). x (size, H, W, C) -> y (size, OH, OW, C).
    Backward: each input cell gathers the gradients of the windows whose argmax it is
    (``fused.maxpool_backward``), back through the block below."""

    def __init__(self, layer, below):
        super().__init__(layer, below)
        height, width, _ = self.in_shape
        self.pool = normalize_tuple(layer.pool_size, "pool_size")
        self.strides = self.pool if layer.strides is None else normalize_tuple(layer.strides, "strides")
        _, pads = spatial_padding(height, width, self.pool, self.strides, layer.padding)
        self.top, self.left = pads[0][0], pads[1][0]

    def allocate(self, batch):
        super().allocate(batch)
        self.argmax = device.empty((batch,) + self.out_shape, np.int32)

    def forward(self, x, size, training):
        out = self.outputs[:size].reshape((size,) + self.out_shape)
        device.launch(pooling.maxpool_forward, out.size, x.reshape((size,) + self.in_shape), *self.pool,
                      *self.strides, self.top, self.left, out, self.argmax[:size])
        return self.outputs[:size]

    def backward(self, size):
        if self.needs_grad_below:
            below = self.below
            grad_below = below.grad_z[:size].reshape((size,) + self.in_shape)
            device.launch(fused.maxpool_backward, grad_below.size,
                          self.grad_z[:size].reshape((size,) + self.out_shape), self.argmax[:size], *self.pool,
                          *self.strides, self.top, self.left, *below.epilogue(size), grad_below)


BLOCKS = {Dense: DenseBlock, Conv2D: Conv2DBlock, MaxPooling2D: MaxPooling2DBlock}


def build_blocks(layers):
    """``(rescalings, blocks)`` for the model's layers, or None when a layer is not one the
    trainer knows. ``rescalings``: the leading Rescaling layers, applied once to the uploaded
    data (they have no weights and nothing below them learns). Then Dense, Conv2D (with a bias,
    ReLU or linear; channels_last), MaxPooling2D and Flatten layers, each Dropout right after a
    Dense or Conv2D; the last layer a Dense with softmax."""
    layers = list(layers)
    rescalings = []
    while layers and type(layers[0]) is Rescaling:
        rescalings.append(layers.pop(0))
    blocks = []
    for layer in layers:
        kind = type(layer)
        if kind is Flatten:
            continue
        if kind is Dropout:
            if layer.rate == 0:
                continue          # the identity, and no draw (Dropout.draw_random)
            last = blocks[-1] if blocks else None
            if not isinstance(last, WeightedBlock) or last.dropout is not None or last.softmax:
                return None
            last.dropout = layer
            continue
        if kind not in BLOCKS:
            return None
        if kind in (Dense, Conv2D):
            if not layer.use_bias or layer.kernel.value.dtype != F32 or layer.activation not in (relu, linear, softmax):
                return None
            if kind is Dense and len(layer.input_shape) != 2:
                return None       # Dense on the last axis of an image: not a block here
        blocks.append(BLOCKS[kind](layer, blocks[-1] if blocks else None))
    if not blocks or not blocks[-1].softmax or type(blocks[-1]) is not DenseBlock:
        return None
    if any(block.softmax for block in blocks[:-1]):
        return None
    return rescalings, blocks
