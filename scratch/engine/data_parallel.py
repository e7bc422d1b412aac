"""Data-parallel steps: each core runs the model's own ``compute_gradients`` on its share of the batch.

TensorFlow spreads one batch over the cores inside every op; split that way, small matrix
products scale poorly, and the Numba kernels between them run on one core. For models big
enough, ``fit``, ``evaluate`` and ``predict`` on the cpu backend split the batch instead, as
``tf.distribute.MirroredStrategy`` splits it over devices::

    batch x[0:B] ─┬─ replica 0 (this thread):   model.compute_gradients(x[0:B/2], …) ─┐
                  └─ replica 1 (worker thread): replica.compute_gradients(x[B/2:B], …) ─┴─▶
    variable.grad = Σ replica gradients (each scaled for the whole batch) ─▶ optimizer.apply (once)

A replica is a shallow copy of the model whose layers are shallow copies too (a nested model's
layers as well, at any depth): they read the model's weight arrays (the optimizer updates them
in place) through :class:`_MirroredVariable` and keep their own forward caches and gradients. The replicas' gradients add up to the whole
batch's: the same numbers as one pass, up to float32 rounding. Random layers' draws (Dropout's
masks) are made for the whole batch in the main thread first, in layer order, so a seed gives
the same draws with any replica count. NumPy's BLAS calls and the Numba kernels release the GIL; BLAS runs on one
thread per replica (:func:`scratch.engine.openblas.single_threaded`). ``evaluate`` and
``predict`` split their batches the same way (forward only). Why and when it pays:
benchmarks/ENGINE_NOTES.md.

Example::

    >>> import scratch
    >>> from scratch.engine.data_parallel import replica_count
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
from scratch.engine import openblas

# When to split (the measurements: benchmarks/ENGINE_NOTES.md): models of 1M+ multiply-adds per
# sample (the CNNs, not the MLPs, whose BLAS-bound steps 2 BLAS threads share well already),
# into replicas of 8+ samples.
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
    but not the forward caches or the gradients; a nested model's copy gets copies of its layers."""
    from scratch.model import Sequential   # here: scratch.model imports this module

    twins = []
    for layer in layers:
        twin = copy.copy(layer)
        if isinstance(layer, Sequential):   # its weights are its layers': replicate those
            twin.layers = replicate(layer.layers)
            twins.append(twin)
            continue
        mirrors = {id(v): _MirroredVariable(v) for v in layer.weights}
        for name, value in vars(layer).items():
            if id(value) in mirrors:
                setattr(twin, name, mirrors[id(value)])
        twin.weights = [mirrors[id(v)] for v in layer.weights]
        twins.append(twin)
    return twins


def leaf_layers(layers):
    """``layers`` with each nested model replaced by its own layers, recursively, in order."""
    from scratch.model import Sequential

    leaves = []
    for layer in layers:
        leaves += leaf_layers(layer.layers) if isinstance(layer, Sequential) else [layer]
    return leaves


def replicate_model(model, layers, engine):
    """A shallow copy of ``model`` on ``layers``, without an engine of its own (so that its
    ``compute_gradients`` runs the plain forward, loss and backward), whose loss scales its
    gradient for ``engine``'s whole batch, not for its share: the replicas' gradients then
    simply add up to the batch's (as the same products in one pass would)."""
    twin = copy.copy(model)
    twin.layers = layers
    twin.data_parallel = None
    if model.loss is not None:
        twin.loss = copy.copy(model.loss)
        twin.loss.gradient_scale = lambda share_size: model.loss.gradient_scale(engine.batch_size)
    return twin


class DataParallel:
    """Context manager for ``fit``/``evaluate``/``predict``: with batches of up to
    ``batch_size`` that pay to split (:func:`replica_count`, or ``count`` replicas), it sets
    ``model.data_parallel`` to itself inside the block, so that ``model.compute_gradients`` and
    ``model.predict_step`` hand their batches to it; otherwise it does nothing. Replica 0 is the
    model itself, run on the calling thread; the others run on worker threads, started from the
    calling thread, whose floating-point mode they inherit (denormal flushing inside ``fit``,
    see :mod:`scratch.engine.denormals`). Inside, BLAS is single-threaded."""

    def __init__(self, model, batch_size, count=None):
        self.model = model
        count = replica_count(model.layers, batch_size) if count is None else count
        self.batch_size = batch_size   # of the batch being split
        self.replicas = [replicate_model(model, model.layers, self)]   # replica 0: the model's own layers
        self.replicas += [replicate_model(model, replicate(model.layers), self) for _ in range(count - 1)]
        self._variables = [replica.trainable_variables for replica in self.replicas]
        self._stack = None
        self._pool = None

    def __enter__(self):
        self._stack = contextlib.ExitStack()
        if len(self.replicas) > 1:
            self._stack.enter_context(openblas.single_threaded())
            self._pool = self._stack.enter_context(ThreadPoolExecutor(len(self.replicas) - 1))
            self.model.data_parallel = self
        return self

    def __exit__(self, *exc_info):
        self.model.data_parallel = None
        self._stack.close()
        self._pool = None
        for replica in self.replicas:   # draws left by a step that failed half-way
            for layer in leaf_layers(replica.layers):
                layer.preset_random = None
        return False

    def compute_gradients(self, x, y, sample_weight=None):
        """``model.compute_gradients(x, y, sample_weight)`` split over the replicas: each runs it
        on its share (of the weights too), and the whole batch's gradient lands in each model
        variable's ``.grad``. Returns (y_pred (B, ...), the whole batch's loss).

        With weights each replica's loss is ``Σ_share w·ℓ / share`` and its gradient is scaled
        for the whole batch: the shares add up to ``Σ w·ℓ / B``, the weighted loss of one pass."""
        self.batch_size = len(x)
        shares = self._shares(len(x))
        self._preset_random_draws(len(x), shares)
        results = self._map(lambda replica, share: replica.compute_gradients(
            x[share], y[share], None if sample_weight is None else sample_weight[share]), shares)
        for mirrors in zip(*self._variables[:len(shares)]):   # one model variable, as each replica sees it
            total = mirrors[0].grad
            for mirror in mirrors[1:]:
                total = total + mirror.grad
            mirrors[0].grad = total
        losses = [loss_value for _, loss_value in results]
        if np.ndim(losses[0]):               # reduction="none": the per-sample values
            whole_loss = np.concatenate(losses)
        else:   # each replica's loss is its share's: weigh them as one pass over the batch would
            loss = self.model.loss
            whole_loss = FLOATX(0)
            for value, share in zip(losses, shares):
                whole_loss += FLOATX(value) * FLOATX(loss.gradient_scale(len(x)) / loss.gradient_scale(share.stop - share.start))
        return np.concatenate([y_pred for y_pred, _ in results]), whole_loss

    def predict(self, x):
        """``model(x)`` split over the replicas; the output layer's ``logits`` (kept before a
        softmax) are gathered on the model's, as after one pass."""
        shares = self._shares(len(x))
        outputs = self._map(lambda replica, share: replica(x[share], training=False), shares)
        if len(shares) > 1 and getattr(self.model.output_layer, "logits", None) is not None:
            self.model.output_layer.logits = np.concatenate(
                [replica.output_layer.logits for replica in self.replicas[:len(shares)]])
        return np.concatenate(outputs)

    def _shares(self, batch):
        """Contiguous slices of the batch, one per replica in use (each >= MIN_SAMPLES_PER_REPLICA)."""
        count = _split_count(batch, len(self.replicas))
        bounds = [round(i * batch / count) for i in range(count + 1)]
        return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]

    def _map(self, job, shares):
        """``job(replica, share)`` for each share (the first on this thread), in order."""
        pending = [self._pool.submit(job, replica, share)
                   for replica, share in zip(self.replicas[1:], shares[1:])]
        return [job(self.replicas[0], shares[0])] + [future.result() for future in pending]

    def _preset_random_draws(self, batch, shares):
        """Make each random layer's draws (``Layer.draw_random``) for the whole batch, in layer
        order as one pass would (into nested models too), and hand each replica its rows (all of
        them when the draws are shared along the batch, as a Dropout ``noise_shape`` with 1 there)."""
        if len(shares) == 1:
            return
        replica_leaves = [leaf_layers(replica.layers) for replica in self.replicas]
        for i, layer in enumerate(leaf_layers(self.model.layers)):
            draws = layer.draw_random((batch,) + tuple(layer.input_shape[1:]))
            if draws is None:
                continue
            for leaves, share in zip(replica_leaves, shares):
                leaves[i].preset_random = draws if draws.shape[0] == 1 else draws[share]
