"""``fit`` with everything on the GPU: the training set, the weights, the gradients, the optimizer's
slots and the running loss and accuracy sums. ``Sequential.fit`` hands its loop here on the gpu
backend when the model is one this trainer knows (:func:`device_fit`): Dense, Conv2D and
MaxPooling2D layers with Flatten and Dropout between them and leading Rescaling layers
(``blocks.py`` says which exactly), a softmax Dense last, sparse categorical crossentropy,
accuracy metrics, SGD or Adam — the seed MLP and the seed CNN of the tutorials. Any other model
trains through ``Sequential.fit``'s own loop, one gpu op at a time (``ops.py``).

What stays where::

    once per fit    x, labels (and the validation set) ─▶ device, leading Rescaling layers applied
                    there; weights, slots ─▶ flat buffers
    every epoch     the shuffled order (the kit's seeded permutation, as the cpu backend draws it)
                    and the epoch's Dropout keep masks (drawn on the host in the cpu loop's order,
                    :class:`DropoutMasks`) ─▶ device; after the epoch: 2 sums ─▶ host (the
                    epoch's logs), weights and slots ─▶ host (callbacks read them) and back
                    (callbacks may change them)
    every step      kernel launches only, no transfer, no wait for the GPU (the Dropout masks
                    are copied per step only above MAX_EPOCH_MASK_BYTES an epoch)

A step is the blocks' launches (``blocks.py``'s table) and three or four more::

    gather_batch                          1   the batch's rows through the epoch's order
    each block's forward                      Dense 1, Conv2D 2 (im2col, product), MaxPooling2D 1
    fill (only when a weight gradient     1   zero the gradient buffer: split sums add up into it
          is split, blocks.splits)
    softmax_crossentropy                  1   loss, gradient /B, loss sum, correct count
    each block's backward, last first         weight gradient 1, input gradient 1 (not the first
                                              weighted block's), MaxPooling2D's gather 1
    adam (or sgd)                         1   every weight of the model: one flat buffer

That is ``3·L + 2`` for ``L`` Dense layers (8 for the seed MLP) and 20 for the seed CNN (Conv2D,
pooling, Conv2D, pooling, Dense + Dropout, Dense: forward 1 + 2 + 1 + 2 + 1 + 1 + 1 + 1, backward
2 + 2 + 1 + 2 + 1 + 1, and the update), 21 when its Conv2D weight gradients are split (batch 32
of 28x28 images: 25,088 and 6,272 rows).

The per-step logs that callbacks receive read the device's sums only when a value is looked at
(:class:`StepLogs`): with ``verbose=0`` or ``2`` nothing waits for the GPU inside an epoch; the
progress bar of ``verbose=1`` reads them at every step, as it prints them.
"""
from collections.abc import Mapping

import numpy as np

from scratch import losses, metrics, optimizers
from scratch.backend import rng
from scratch.callbacks import Callback, CallbackList, History, ModelCheckpoint, ProgbarLogger, TerminateOnNaN
from scratch.engine.gpu import device
from scratch.engine.gpu.blocks import build_blocks, splits
from scratch.engine.gpu.kernels import elementwise, fused, optimizers as optimizer_kernels

F32 = np.float32
# Sequential's methods that fit's loop runs: a subclass overriding one of them keeps the host loop
STEP_METHODS = ("train_step", "compute_gradients", "compute_loss", "compute_metrics", "test_step",
                "forward", "backward", "backward_from_logits", "__call__")
# an epoch's Dropout masks above this many bytes are drawn and uploaded step by step instead
MAX_EPOCH_MASK_BYTES = 1 << 28


def device_fit(model, x, y, validation, batch_size, epochs, shuffle, callbacks, verbose, sample_weight=None):
    """Train ``model`` as ``Sequential.fit`` would, on the device; ``None`` when this trainer does
    not know the model or the data (``fit``'s own loop then runs). ``validation``: None or
    ``(x_val, y_val, weights_val)``; the other arguments as ``fit`` has checked them."""
    from scratch.model import Sequential

    if sample_weight is not None or (validation is not None and validation[2] is not None):
        return None
    if not all(_reads_no_weights_per_batch(callback) for callback in callbacks):
        return None
    if any(getattr(type(model), name) is not getattr(Sequential, name) for name in STEP_METHODS):
        return None
    built = device_blocks(model)
    if built is None:
        return None
    rescalings, blocks = built
    classes = blocks[-1].units
    if not _labels_fit(y, classes) or (validation is not None and not _labels_fit(validation[1], classes)):
        return None
    trainer = DeviceTrainer(model, rescalings, blocks, x, y, batch_size, validation)
    return trainer.fit(epochs, shuffle, callbacks, verbose)


def device_blocks(model):
    """``(rescalings, blocks)`` (``blocks.build_blocks``) when the model's layers, loss, metrics
    and optimizer are ones this trainer knows: sparse categorical crossentropy (mean over the
    batch), accuracy metrics, SGD or Adam, every trainable weight in a block; else None."""
    if type(model.loss) is not losses.SparseCategoricalCrossentropy or model.loss.reduction != "sum_over_batch_size":
        return None
    if any(type(metric) not in (metrics.ShapeResolvedAccuracy, metrics.SparseCategoricalAccuracy)
           for metric in model.compiled_metrics):
        return None
    if type(model.optimizer) not in (optimizers.SGD, optimizers.Adam):
        return None
    built = build_blocks(model.layers)
    if built is None:
        return None
    rescalings, blocks = built
    channels = model.input_shape[-1]
    for layer in rescalings:
        if any(np.size(value) not in (1, channels) or any(d != 1 for d in np.shape(value)[:-1])
               for value in (layer.scale, layer.offset)):
            return None   # one value, or one per channel: what elementwise.scale_and_shift takes
    block_variables = [v for block in blocks if block.size for v in block.variables()]
    if [id(v) for v in model.trainable_variables] != [id(v) for v in block_variables]:
        return None   # a frozen layer trains nothing: fit's own loop knows
    return rescalings, blocks


def _reads_no_weights_per_batch(callback):
    """True when ``callback`` does nothing with the model between two batches (the weights are on
    the device then): no batch hook of its own, or one that only reads the logs (TerminateOnNaN),
    or a ModelCheckpoint that saves at epoch ends."""
    if type(callback).on_train_batch_end is Callback.on_train_batch_end and "on_train_batch_end" not in vars(callback):
        return True
    if type(callback) is TerminateOnNaN:
        return True
    return type(callback) is ModelCheckpoint and callback.save_freq == "epoch"


def _labels_fit(y, classes):
    """True for integer labels (N,) in [0, classes) (anything else goes to fit's loop, which
    reports what is wrong with it)."""
    y = np.asarray(y)
    return y.ndim == 1 and y.dtype.kind in "iu" and (y.size == 0 or (y.min() >= 0 and y.max() < classes))


class StepLogs(Mapping):
    """A step's logs whose values are read from the device when first looked at."""

    def __init__(self, trainer):
        self._trainer = trainer
        self._values = None

    def _read(self):
        if self._values is None:
            self._values = self._trainer.training_logs()
        return self._values

    def __getitem__(self, key):
        return self._read()[key]

    def __iter__(self):
        return iter(self._trainer.log_names)

    def __len__(self):
        return len(self._trainer.log_names)

    def copy(self):
        """A plain dict of the values (as the host loop's logs, a dict, would give)."""
        return dict(self.items())


class DropoutMasks:
    """The Dropout layers' keep masks, drawn as ``fit``'s own loop draws them and sent to the device.

    On the cpu backend each training step's forward draws, layer after layer, one mask per
    Dropout, ``layer.draw_random((size,) + shape)`` (uniforms from ``scratch.backend.rng()``, or
    from the layer's own seeded generator, or its ``mask_fn``), right after the epoch's
    permutation. Here :meth:`draw_epoch` makes the same calls in the same order at the start of
    the epoch, step by step, and uploads each Dropout's masks for the whole epoch as one
    (N, features) array — one copy per epoch; a step reads its rows ``[start, start + size)``.
    When an epoch's masks would exceed ``MAX_EPOCH_MASK_BYTES`` they are drawn and copied step by
    step instead (:meth:`for_step`: one copy per step and Dropout). A ``noise_shape`` mask is
    broadcast to the full shape first. When training stops inside an epoch, :meth:`stopped_after`
    puts the generators back where the cpu loop would have left them (a ``mask_fn`` cannot be
    put back)."""

    def __init__(self, blocks, count, batch_size):
        self.blocks = [block for block in blocks if block.dropout is not None]
        self.batch_size = batch_size
        self.per_epoch = count * sum(block.features for block in self.blocks) <= MAX_EPOCH_MASK_BYTES
        if not self.per_epoch:
            for block in self.blocks:
                block.step_keep = device.empty((batch_size, block.features), np.bool_)
        self.states = []

    def _draw(self, block, size):
        """One step's mask of ``block``'s Dropout, as its forward draws it: (size, features) bool."""
        shape = (size,) + tuple(block.dropout.input_shape[1:])   # after a Flatten: the flat shape
        mask = np.broadcast_to(block.dropout.draw_random(shape), shape)   # a noise_shape mask broadcast
        return np.ascontiguousarray(mask.reshape(size, block.features))

    def draw_epoch(self, count):
        """Draw the epoch's masks (per-epoch mode) and upload them; call right after the permutation."""
        if not self.blocks or not self.per_epoch:
            return
        generators = list({id(g): g for g in (block.dropout.generator() for block in self.blocks)}.values())
        host = {block: np.empty((count, block.features), np.bool_) for block in self.blocks}
        self.states = []
        for start in range(0, count, self.batch_size):
            size = min(self.batch_size, count - start)
            for block in self.blocks:
                host[block][start:start + size] = self._draw(block, size)
            self.states.append([(g, g.bit_generator.state) for g in generators])
        for block in self.blocks:
            block.epoch_keep = device.to_device(host[block], np.bool_)

    def for_step(self, start, size):
        """Point each Dropout block's ``keep`` at this step's mask (drawn now in per-step mode)."""
        for block in self.blocks:
            if self.per_epoch:
                block.keep = block.epoch_keep[start:start + size]
            else:
                block.step_keep[:size].copy_to_device(self._draw(block, size))
                block.keep = block.step_keep[:size]

    def stopped_after(self, step):
        """Training stopped after ``step``: the generators as the cpu loop leaves them then."""
        if self.per_epoch and self.states:
            for generator, state in self.states[step]:
                generator.bit_generator.state = state


class DeviceTrainer:
    """The device's copy of one ``fit``: data, flat buffers, the blocks' arrays, and the loop
    (``Sequential.fit``'s, with its callbacks, on these)."""

    def __init__(self, model, rescalings, blocks, x, y, batch_size, validation):
        self.model, self.blocks, self.batch_size = model, blocks, batch_size
        self.rescalings = rescalings
        self.optimizer = model.optimizer
        self.variables = [v for block in blocks if block.size for v in block.variables()]
        self.optimizer.build(self.variables)
        self.slot_names = list(self.optimizer.active_slot_names())
        self.x, self.labels = self._to_device(x, y)
        self.validation = None if validation is None else self._to_device(validation[0], validation[1])
        size = sum(block.size for block in blocks)
        self.params = device.empty(size)
        self.grads = device.empty(size)
        self.slots = {name: device.empty(size) for name in self.slot_names}
        offset = 0
        for block in blocks:
            offset = block.bind(self.params, self.grads, offset)
            block.allocate(batch_size)
        self.upload_weights()
        self.x_batch = device.empty((batch_size, self.x.shape[1]))
        self.label_batch = device.empty(batch_size, np.int32)
        self.masks = DropoutMasks(blocks, len(self.labels), batch_size)
        self.sums = device.empty(2)            # [Σ loss, Σ correct] of the running epoch
        self.samples = 0                       # samples behind self.sums (known on the host)
        self.log_names = list(model.get_metrics_result())
        self.launches_per_step = None

    def _to_device(self, x, y):
        """``x`` as (N, features) float32 on the device, the leading Rescaling layers applied there
        (``y = x · scale[c] + offset[c]``, the reference's formula, once per fit), and ``y`` as int32."""
        x = np.asarray(x)
        x_device = device.to_device(np.asarray(x, F32).reshape(len(x), -1))
        flat = x_device.reshape(x_device.size)
        for layer in self.rescalings:
            scale, offset = (device.to_device(np.asarray(v, F32).reshape(-1)) for v in (layer.scale, layer.offset))
            device.launch(elementwise.scale_and_shift, flat.size, flat, scale, offset, flat)
        return x_device, device.to_device(np.asarray(y), np.int32)

    # ------------------------------------------------------------------ host <-> device, per epoch
    def _host_arrays(self):
        """(flat device buffer, the host arrays it holds in order): the weights, then each slot."""
        pairs = [(self.params, [v.value for v in self.variables])]
        pairs += [(self.slots[name], [self.optimizer._slots[id(v)][name] for v in self.variables])
                  for name in self.slot_names]
        return pairs

    def upload_weights(self):
        """Weights and slots from the host (the Variables and the optimizer's slots) to the device."""
        for flat, arrays in self._host_arrays():
            flat.copy_to_device(np.concatenate([np.asarray(a, F32).reshape(-1) for a in arrays]))

    def download_weights(self):
        """Weights and slots from the device into the host arrays, in place."""
        for flat, arrays in self._host_arrays():
            host, start = flat.copy_to_host(), 0
            for target in arrays:
                target[...] = host[start:start + target.size].reshape(target.shape)
                start += target.size

    def _set_metric_states(self, loss_sum, correct, samples):
        """The model's running loss and accuracies as the host loop would have them."""
        self.model.loss_tracker.total, self.model.loss_tracker.count = F32(loss_sum), F32(samples)
        for metric in self.model.compiled_metrics:
            metric.total, metric.count = F32(correct), F32(samples)

    def training_logs(self):
        """The running epoch's logs (waits for the device: two numbers come back)."""
        loss_sum, correct = self.sums.copy_to_host()
        self._set_metric_states(loss_sum, correct, self.samples)
        return self.model.get_metrics_result()

    # ------------------------------------------------------------------ one step
    def _forward(self, x, size, training):
        """Every block's forward on ``x`` (size, features); returns the logits' (size, C) view."""
        for block in self.blocks:
            x = block.forward(x, size, training)
        return x

    def step(self, order, start, size):
        """One step on the ``size`` samples at ``order[start:]``: launches only."""
        before = device.launches
        self.masks.for_step(start, size)
        device.launch(fused.gather_batch, size * self.x.shape[1], self.x, self.labels, order, start,
                      self.x_batch[:size], self.label_batch[:size])
        logits = self._forward(self.x_batch[:size], size, training=True)
        if any(splits(block.gradient_rows(size)) for block in self.blocks):
            device.launch(elementwise.fill, self.grads.size, self.grads, F32(0))   # split sums add up
        device.launch(fused.softmax_crossentropy, size, logits, self.label_batch[:size],
                      F32(self.model.loss.gradient_scale(size)), self.blocks[-1].grad_z[:size], self.sums, True)
        for block in reversed(self.blocks):
            block.backward(size)
        self._update()
        self.samples += size
        self.launches_per_step = device.launches - before

    def _update(self):
        """The optimizer's rule over the whole flat buffer, one launch; then ``iterations += 1``."""
        opt, n = self.optimizer, self.params.size
        if type(opt) is optimizers.Adam:
            constants = (opt.alpha(), F32(1 - opt.beta_1), F32(1 - opt.beta_2), F32(opt.epsilon))
            if opt.amsgrad:
                device.launch(optimizer_kernels.adam_amsgrad, n, self.params, self.grads, self.slots["momentum"],
                              self.slots["velocity"], self.slots["velocity_hat"], *constants)
            else:
                device.launch(optimizer_kernels.adam, n, self.params, self.grads, self.slots["momentum"],
                              self.slots["velocity"], *constants)
        elif opt.momentum == 0:
            device.launch(optimizer_kernels.sgd, n, self.params, self.grads, opt._learning_rate)
        else:
            device.launch(optimizer_kernels.sgd_momentum, n, self.params, self.grads, self.slots["momentum"],
                          opt._learning_rate, F32(opt.momentum), opt.nesterov)
        opt.iterations += 1

    def validation_logs(self):
        """Loss and accuracies on the validation set (forward only, in batches, no shuffle)."""
        x, labels = self.validation
        device.launch(elementwise.fill, 2, self.sums, F32(0))
        for start in range(0, len(labels), self.batch_size):
            size = min(self.batch_size, len(labels) - start)
            logits = self._forward(x[start:start + size], size, training=False)
            device.launch(fused.softmax_crossentropy, size, logits, labels[start:start + size], F32(0),
                          self.blocks[-1].grad_z[:size], self.sums, False)
        loss_sum, correct = self.sums.copy_to_host()
        self._set_metric_states(loss_sum, correct, len(labels))
        return self.model.get_metrics_result()

    # ------------------------------------------------------------------ the loop of Sequential.fit
    def fit(self, epochs, shuffle, callbacks, verbose):
        model, count = self.model, len(self.labels)
        steps = -(-count // self.batch_size)
        history = History()
        chain = [history] + callbacks + ([ProgbarLogger()] if verbose else [])
        callback_list = CallbackList(chain, model, {"verbose": verbose, "epochs": epochs, "steps": steps})
        model.stop_training = False
        callback_list.on_train_begin()
        for epoch in range(epochs):
            callback_list.on_epoch_begin(epoch)
            model.reset_metrics()
            order = rng().permutation(count) if shuffle else np.arange(count)   # the cpu loop's draw
            order = device.to_device(order, np.int32)
            self.masks.draw_epoch(count)
            device.launch(elementwise.fill, 2, self.sums, F32(0))
            self.samples = 0
            for step, start in enumerate(range(0, count, self.batch_size)):
                self.step(order, start, min(self.batch_size, count - start))
                callback_list.on_train_batch_end(step, StepLogs(self))
                if model.stop_training:
                    self.masks.stopped_after(step)
                    break
            logs = self.training_logs()
            if self.validation is not None:
                logs.update({f"val_{key}": value for key, value in self.validation_logs().items()})
            self.download_weights()
            callback_list.on_epoch_end(epoch, logs)
            self.upload_weights()
            if model.stop_training:
                break
        callback_list.on_train_end()
        history.params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        model.history = history
        return history
