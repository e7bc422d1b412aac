"""Data-parallel training steps: each core trains on its share of the batch.

TensorFlow spreads one batch over the cores inside every op. Split that way, the seed CNN's
small matrix products scale poorly: OpenBLAS on 2 threads runs its step 1.5x faster than on 1,
not 2x, and the Numba kernels between them run on one core. ``fit`` on the cpu backend splits
the batch instead, as ``tf.distribute.MirroredStrategy`` splits it over devices::

    batch x[0:B] ─┬─ replica 0 (this thread):   x[0:B/2]  forward, loss, backward ─┐
                  └─ replica 1 (worker thread): x[B/2:B]  forward, loss, backward ─┴─▶
    variable.grad = Σ replica gradients ─▶ optimizer.apply (once, on the shared weights)

A replica is a shallow copy of every layer: it reads the model's weight arrays (the optimizer
updates them in place) and keeps its own forward caches and gradients. Each per-sample gradient
is scaled by the loss's factor for the *whole* batch (1/B for a mean), so the replicas' sum is the
gradient of the whole batch: the same numbers as one pass, up to float32 summation order.
Random layers (Dropout) draw the whole batch's mask in the main thread first, in layer order, so a
seed gives the same masks with any replica count. NumPy's BLAS calls and the Numba kernels
release the GIL; BLAS runs on one thread per replica (:func:`scratch.ops.openblas.single_threaded`).
``evaluate`` and ``predict`` split their batches the same way (forward only).

Example::

    >>> import scratch
    >>> from scratch.data_parallel import replica_count
    >>> cnn = scratch.Sequential([scratch.layers.Conv2D(64, 3, input_shape=(28, 28, 32))])
    >>> cnn.build()
    >>> replica_count(cnn.layers, batch_size=32, cores=2), replica_count(cnn.layers, batch_size=8, cores=2)
    (2, 1)
"""
import contextlib
import copy
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from scratch import backend
from scratch.backend import FLOATX
from scratch.ops import openblas

# When to split (measured on the 2-core machine, im2col convolutions, ms per step): the seed CNN
# (4.2M multiply-adds per sample) at batch 32 took 9.4-10.2 as one pass with 2-thread BLAS and
# 8.1-8.3 on two replicas of 16; the seed MLP (0.1M per sample) ran slower on two replicas at
# every batch size from 32 to 2048 (batch 32: 0.40 vs 0.58; 512: 2.1 vs 3.4): its step is
# almost all BLAS, which 2 threads share well already. With Winograd, one thread, the CNN's
# step on 8 samples takes 0.5-0.7 of its step on 16, and batch 16 runs 1.2-2x faster on two
# replicas of 8 than as one pass: replicas of 8 samples still pay (more cores, more replicas).
MIN_SAMPLES_PER_REPLICA = 8
MIN_MULTIPLY_ADDS_PER_SAMPLE = 1_000_000


def available_cores():
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def replica_count(layers, batch_size, cores=None):
    """How many replicas ``fit``/``evaluate``/``predict`` use for batches of ``batch_size``
    through the built ``layers``: one per core, each with at least
    :data:`MIN_SAMPLES_PER_REPLICA` samples, for models of at least
    :data:`MIN_MULTIPLY_ADDS_PER_SAMPLE` multiply-adds per sample; otherwise 1 (plain steps),
    as also on the reference backend or when the BLAS thread count cannot be controlled."""
    if backend.get_backend() != "cpu" or not openblas.available:
        return 1
    if sum(layer.multiply_adds() for layer in layers) < MIN_MULTIPLY_ADDS_PER_SAMPLE:
        return 1
    return _split_count(batch_size, available_cores() if cores is None else cores)


def _split_count(batch_size, most):
    """At most ``most`` shares of ``batch_size`` samples, each of MIN_SAMPLES_PER_REPLICA or more."""
    return max(1, min(most, batch_size // MIN_SAMPLES_PER_REPLICA))


def forward(layers, x, use_logits=False, training=False):
    """Forward through ``layers``: (outputs, the last layer's logits or None)."""
    for layer in layers:
        x = layer.forward(x, training=training)
    return x, (layers[-1].logits if use_logits else None)


def forward_backward(layers, first, loss, x, y, use_logits, gradient_scale):
    """One replica's work: the training forward through ``layers``, per-sample losses, and the
    backward pass from the loss down to ``layers[first]`` (the first layer with weights), which
    fills each variable's ``.grad``. Returns (per-sample losses (B,), predictions)."""
    y_pred, logits = forward(layers, x, use_logits, training=True)
    per_sample, grad = loss.per_sample(y, y_pred, logits=logits)
    grad = grad * FLOATX(gradient_scale)
    trainable = layers[first:]
    if use_logits and trainable:   # the softmax-crossentropy shortcut (KERAS_SEMANTICS §3.3)
        grad = trainable[-1].backward_from_logits(grad)
        trainable = trainable[:-1]
    for layer in reversed(trainable):
        grad = layer.backward(grad)
    return per_sample, y_pred


class _MirroredVariable:
    """A replica's view of a model variable: reads its ``value`` (always the current array),
    keeps its own ``grad``."""

    def __init__(self, source):
        self.source = source
        self.grad = None

    def __getattr__(self, name):
        return getattr(self.source, name)


def replicate(layers):
    """Shallow copies of ``layers`` that share the weights (through :class:`_MirroredVariable`)
    but not the forward caches or the gradients."""
    twins = []
    for layer in layers:
        twin = copy.copy(layer)
        mirrors = {id(v): _MirroredVariable(v) for v in layer.weights}
        for name, value in vars(layer).items():
            if id(value) in mirrors:
                setattr(twin, name, mirrors[id(value)])
        twin.weights = [mirrors[id(v)] for v in layer.weights]
        twins.append(twin)
    return twins


class DataParallel:
    """Runs ``fit``'s training steps (and ``evaluate``/``predict``'s forward passes) on batches
    of up to ``batch_size`` over ``count`` replicas of ``layers`` (default:
    :func:`replica_count`). Replica 0 is the model's own layers, run on the calling thread; the
    others run on worker threads. Use as a context manager: inside, BLAS is single-threaded and
    the workers exist. They start at the first split step, from the calling thread, whose
    floating-point mode they inherit (denormal flushing inside ``fit``, see
    :mod:`scratch.ops.denormals`)."""

    def __init__(self, layers, batch_size, count=None):
        self.layers = list(layers)
        count = replica_count(self.layers, batch_size) if count is None else count
        self.replicas = [self.layers] + [replicate(self.layers) for _ in range(count - 1)]
        self._variables = [[v for layer in replica for v in layer.trainable_variables]
                           for replica in self.replicas]
        self._stack = None
        self._pool = None

    def __enter__(self):
        self._stack = contextlib.ExitStack()
        if len(self.replicas) > 1:
            self._stack.enter_context(openblas.single_threaded())
            self._pool = self._stack.enter_context(ThreadPoolExecutor(len(self.replicas) - 1))
        return self

    def __exit__(self, *exc_info):
        self._stack.close()
        self._pool = None
        for replica in self.replicas:   # noise left by a step that failed half-way
            for layer in replica:
                layer.preset_noise = None
        return False

    def train_step(self, x, y, loss, use_logits, first):
        """Forward and backward on the batch ``(x, y)``; leaves the whole batch's gradient in each
        variable's ``.grad``. ``first``: index of the first layer to run backward through.
        Returns (per-sample losses (B,), predictions (B, ...))."""
        shares = self._shares(len(x))
        scale = loss.gradient_scale(len(x))
        if len(shares) > 1:
            self._preset_noise(len(x), shares)
        results = self._map(lambda layers, share: forward_backward(
            layers, first, loss, x[share], y[share], use_logits, scale), shares)
        for i, variable in enumerate(self._variables[0]):
            for mirrors in self._variables[1:len(shares)]:
                variable.grad = variable.grad + mirrors[i].grad
        return np.concatenate([r[0] for r in results]), np.concatenate([r[1] for r in results])

    def predict_step(self, x, use_logits=False):
        """Inference forward on the batch ``x``: (predictions, the last layer's logits when
        ``use_logits``, else None)."""
        results = self._map(lambda layers, share: forward(layers, x[share], use_logits), self._shares(len(x)))
        logits = np.concatenate([r[1] for r in results]) if use_logits else None
        return np.concatenate([r[0] for r in results]), logits

    def _shares(self, batch):
        """Contiguous slices of the batch, one per replica in use (each >= MIN_SAMPLES_PER_REPLICA)."""
        count = 1 if self._pool is None else _split_count(batch, len(self.replicas))
        bounds = [round(i * batch / count) for i in range(count + 1)]
        return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]

    def _map(self, job, shares):
        """``job(replica_layers, share)`` for each share (the first on this thread), in order."""
        pending = [self._pool.submit(job, replica, share)
                   for replica, share in zip(self.replicas[1:], shares[1:])]
        return [job(self.layers, shares[0])] + [future.result() for future in pending]

    def _preset_noise(self, batch, shares):
        """Draw each random layer's noise for the whole batch (in layer order, as one pass would)
        and hand each replica its rows (all of it when the noise is shared along the batch)."""
        for i, layer in enumerate(self.layers):
            noise = layer.draw_noise((batch,) + tuple(layer.input_shape[1:]))
            if noise is None:
                continue
            for replica, share in zip(self.replicas, shares):
                replica[i].preset_noise = noise if noise.shape[0] == 1 else noise[share]
