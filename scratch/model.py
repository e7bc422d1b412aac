"""``Sequential``: a stack of layers with Keras's ``summary``, ``compile``, ``fit``, ``evaluate``,
``predict`` and weight I/O.

Data flow of one training step (no autodiff engine — every layer owns its backward pass)::

    x ─ layer.forward(training=True) ─▶ … ─▶ y_pred ─ loss ─▶ grad
    grad ─▶ layer.backward (fills variable.grad) ─▶ … ;  optimizer.apply(variables)

On the cpu backend a batch is split across the cores: each share runs that forward/backward on a
replica of the layers in its own thread, and the gradients are summed before the optimizer step
(:mod:`scratch.data_parallel`).

Keras's TensorFlow backend computes a crossentropy on a softmax output from the logits that
produced it (KERAS_SEMANTICS §3.3); so does this model: the loss starts its backward pass at the
last layer's pre-softmax values (``backward_from_logits``).

Example::

    >>> import scratch
    >>> model = scratch.Sequential([
    ...     scratch.layers.Flatten(input_shape=(28, 28)),
    ...     scratch.layers.Dense(128, activation="relu"),
    ...     scratch.layers.Dense(10, activation="softmax")])
    >>> model.count_params()
    101770
"""
import math
import os
import warnings

import numpy as np

from scratch import data_checks, losses, metrics as metrics_module, naming, optimizers, weights_io
from scratch.backend import FLOATX, rng
from scratch.callbacks import CallbackList, History, ProgbarLogger
from scratch.data_parallel import DataParallel
from scratch.layers.base import Input, Layer, check_weight_list
from scratch.ops.denormals import flush_denormals
from scratch.summary import format_shape, format_summary, print_summary


class Sequential:
    """A linear stack of layers, as ``keras.Sequential``."""

    def __init__(self, layers=None, name=None):
        self.name = name or naming.unique_name("sequential")
        self.layers = []
        self.input_shape = None
        self.optimizer = None
        self.loss = None
        self.compiled_metrics = []
        self.stop_training = False
        self.history = None
        for layer in layers or []:
            self.add(layer)

    # ------------------------------------------------------------------ structure
    def add(self, layer):
        """Append a layer (or set the input with ``scratch.Input(shape)`` first)."""
        if isinstance(layer, Input):
            if self.layers or self.input_shape is not None:
                raise ValueError("layer: an Input can only be the first element of a Sequential model")
            self.input_shape = layer.shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"layer: expected a scratch layer instance, received {layer!r}")
        if any(existing.name == layer.name for existing in self.layers):
            raise ValueError(f"layer: the name '{layer.name}' is already used in model '{self.name}'; "
                             "layer names must be unique")
        if not self.layers and self.input_shape is None and layer.declared_input_shape is not None:
            self.input_shape = layer.declared_input_shape
        if self.input_shape is not None:
            layer.build(self.layers[-1].output_shape if self.layers else self.input_shape)
        self.layers.append(layer)

    def pop(self):
        """Remove and return the last layer."""
        if not self.layers:
            raise ValueError("pop: the model has no layers")
        return self.layers.pop()

    def build(self, input_shape=None):
        """Build every layer for inputs of ``input_shape`` (batch axis included, e.g. ``(None, 28, 28)``)."""
        if input_shape is None:
            input_shape = self.input_shape
        if input_shape is None:
            raise ValueError("input_shape: the model has no input shape yet; pass build((None, …))")
        shape = tuple(input_shape)
        for layer in self.layers:
            layer.build(shape)
            shape = layer.output_shape
        self.input_shape = tuple(input_shape)

    @property
    def built(self):
        return self.input_shape is not None and all(layer.built for layer in self.layers)

    @property
    def output_shape(self):
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @property
    def weights(self):
        return [variable for layer in self.layers for variable in layer.weights]

    @property
    def trainable_variables(self):
        return [variable for layer in self.layers for variable in layer.trainable_variables]

    def count_params(self):
        """Number of scalars in all weights (``Total params`` of the summary without the optimizer)."""
        if not self.built:
            raise ValueError(f"{self.name}: count_params() needs a built model; give it an input shape first")
        return sum(layer.count_params() for layer in self.layers)

    # ------------------------------------------------------------------ summary
    def summary(self, line_length=None, print_fn=None):
        """Print Keras's summary table: one row per layer, output shapes, ``Param #`` and totals
        (plus ``Optimizer params`` once the optimizer holds state, as in Keras)."""
        rows = [(f"{layer.name} ({type(layer).__name__})",
                 format_shape(layer.output_shape) if layer.built else "?",
                 layer.count_params() if layer.built else None) for layer in self.layers]
        trainable = sum(math.prod(v.shape) for v in self.trainable_variables)
        non_trainable = sum(math.prod(v.shape) for v in self.weights) - trainable
        optimizer_count = optimizer_bytes = None
        if self.optimizer is not None and self.optimizer.built:
            optimizer_count, optimizer_bytes = self.optimizer.variable_count()
        text = format_summary(self.name, rows, trainable, non_trainable, optimizer_count,
                              optimizer_bytes, line_length=line_length)
        print_summary(text, print_fn)

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None):
        """Set the optimizer, loss and metrics (names or objects, as in Keras).

        The third positional argument is ``loss_weights``, as in Keras (only ``None`` for this
        single-output model): pass metrics by keyword, ``metrics=["accuracy"]``.
        """
        if loss_weights is not None:
            hint = f"; did you mean metrics={loss_weights!r}?" if isinstance(loss_weights, (list, tuple)) else ""
            raise ValueError(f"loss_weights: a single-output model takes None, received {loss_weights!r}{hint}")
        optimizer = optimizers.get(optimizer)
        loss = losses.get(loss) if loss is not None else None
        if metrics is None:
            metrics = []
        if isinstance(metrics, (str, metrics_module.Mean)):
            raise TypeError(f"metrics: expected a list, received {metrics!r} (write metrics=[{metrics!r}])")
        compiled = [metrics_module.get(m) for m in metrics]
        self.optimizer, self.loss, self.compiled_metrics = optimizer, loss, compiled
        if self.layers:
            _warn_from_logits_on_softmax(self)

    def _require_compiled(self, method):
        if self.optimizer is None or (self.loss is None and method != "predict"):
            raise ValueError(f"{method}: you must call compile(optimizer, loss) before using the model")

    @property
    def metrics_names(self):
        return ["loss", "compile_metrics"] if self.compiled_metrics else ["loss"]

    # ------------------------------------------------------------------ data
    def _prepare(self, x, y, argument_x="x", argument_y="y"):
        """Checked float32 inputs and targets; builds the model from ``x`` if needed."""
        x = data_checks.as_inputs(x, self.input_shape if self.built else None, argument_x)
        if not self.built:
            self.build((None,) + x.shape[1:])
        if y is None:
            raise ValueError(f"{argument_y}: expected targets, received None")
        data_checks.check_same_length(x, y, argument_x, argument_y)
        if isinstance(self.loss, losses.SparseCategoricalCrossentropy):
            y = data_checks.as_sparse_labels(y, self.output_shape[-1], argument_y)
        else:
            y = data_checks.as_dense_targets(y, self.output_shape, argument_y)
        return x, y

    def _uses_logits(self):
        """True when the loss must start from the last layer's logits (KERAS_SEMANTICS §3.3)."""
        last = self.layers[-1]
        is_softmax = getattr(getattr(last, "activation", None), "is_softmax", False)
        return is_softmax and isinstance(self.loss, (losses.SparseCategoricalCrossentropy,
                                                     losses.CategoricalCrossentropy))

    # ------------------------------------------------------------------ computing
    def __call__(self, x, training=False):
        """Forward pass of a batch (no checks beyond the layers' own)."""
        out = np.asarray(x, dtype=FLOATX)
        for layer in self.layers:
            out = layer(out, training=training)
        return out

    def _first_backward_layer(self):
        """Index of the first layer with trainable weights: a backward pass stops there, and that
        layer is told it need not compute its input gradient (nobody uses it)."""
        first = next((i for i, layer in enumerate(self.layers) if layer.trainable_variables), len(self.layers))
        for i, layer in enumerate(self.layers):
            layer.compute_grad_x = i != first
        return first

    def _train_step(self, x, y, use_logits, first, parallel, trackers):
        per_sample, y_pred = parallel.train_step(x, y, self.loss, use_logits, first)
        self.optimizer.apply(self.trainable_variables)
        self._track(trackers, self.loss.reduce(per_sample), y, y_pred)

    def _track(self, trackers, batch_loss, y, y_pred):
        loss_tracker, metric_objects = trackers
        loss_tracker.update_state(batch_loss, weight=len(y))
        for metric in metric_objects:
            metric.update_state(y, y_pred)

    def _new_trackers(self):
        for metric in self.compiled_metrics:
            metric.reset_state()
        return metrics_module.Mean("loss"), self.compiled_metrics

    @staticmethod
    def _logs(trackers):
        loss_tracker, metric_objects = trackers
        logs = {m.name: m.result() for m in metric_objects}
        logs["loss"] = loss_tracker.result()
        return dict(sorted(logs.items()))

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True):
        """Train for ``epochs`` epochs of mini-batches; returns a :class:`History` whose
        ``history`` holds the per-epoch loss and metrics (``val_`` ones with validation data).

        ``validation_split`` takes the *last* samples, before any shuffling, as Keras does.
        """
        self._require_compiled("fit")
        batch_size = data_checks.check_positive_int(32 if batch_size is None else batch_size, "batch_size")
        epochs = data_checks.check_positive_int(epochs, "epochs")
        verbose = data_checks.check_verbose(verbose)
        validation_split = data_checks.check_validation_split(validation_split)
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle: expected True or False, received {shuffle!r}")
        x, y = self._prepare(x, y)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data: expected a tuple (x_val, y_val), received "
                                 f"{type(validation_data).__name__}")
            x_val, y_val = self._prepare(*validation_data, "validation_data[0]", "validation_data[1]")
        elif validation_split:
            at = data_checks.split_at(len(x), validation_split)
            x, x_val, y, y_val = x[:at], x[at:], y[:at], y[at:]
        else:
            x_val = y_val = None
        callbacks = list(callbacks or [])
        for callback in callbacks:
            if not hasattr(callback, "on_epoch_end"):
                raise TypeError(f"callbacks: expected scratch.callbacks.Callback objects, received {callback!r}")

        steps = math.ceil(len(x) / batch_size)
        history = History()
        chain = [history] + callbacks + ([ProgbarLogger()] if verbose else [])
        callback_list = CallbackList(chain, self, {"verbose": verbose, "epochs": epochs, "steps": steps})
        use_logits = self._uses_logits()
        first = self._first_backward_layer()
        self.stop_training = False
        callback_list.on_train_begin()
        # as TensorFlow does: denormal floats are slow and carry nothing
        with flush_denormals(), DataParallel(self.layers, batch_size) as parallel:
            self._run_epochs(x, y, x_val, y_val, batch_size, epochs, steps, shuffle, use_logits,
                             first, parallel, callback_list)
        for layer in self.layers:  # a direct layer.backward() after fit gives the input gradient again
            layer.compute_grad_x = True
        callback_list.on_train_end()
        history.params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        self.history = history
        return history

    def _run_epochs(self, x, y, x_val, y_val, batch_size, epochs, steps, shuffle, use_logits,
                    first, parallel, callback_list):
        for epoch in range(epochs):
            callback_list.on_epoch_begin(epoch)
            trackers = self._new_trackers()
            order = rng().permutation(len(x)) if shuffle else None
            for step in range(steps):
                if order is None:
                    x_batch = x[step * batch_size:(step + 1) * batch_size]
                    y_batch = y[step * batch_size:(step + 1) * batch_size]
                else:
                    index = order[step * batch_size:(step + 1) * batch_size]
                    x_batch, y_batch = x[index], y[index]
                self._train_step(x_batch, y_batch, use_logits, first, parallel, trackers)
                callback_list.on_train_batch_end(step, self._logs(trackers))
            logs = self._logs(trackers)
            if x_val is not None:
                val_logs = self._evaluate_arrays(x_val, y_val, batch_size, CallbackList([], self, {}), parallel)
                logs.update({f"val_{key}": value for key, value in val_logs.items()})
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break

    def _evaluate_arrays(self, x, y, batch_size, callback_list, parallel):
        trackers = self._new_trackers()
        use_logits = self._uses_logits()
        callback_list.on_test_begin()
        for step, start in enumerate(range(0, len(x), batch_size)):
            x_batch, y_batch = x[start:start + batch_size], y[start:start + batch_size]
            y_pred, logits = parallel.predict_step(x_batch, use_logits)
            per_sample, _ = self.loss.per_sample(y_batch, y_pred, logits=logits)
            self._track(trackers, self.loss.reduce(per_sample), y_batch, y_pred)
            callback_list.on_test_batch_end(step, self._logs(trackers))
        logs = self._logs(trackers)
        callback_list.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", return_dict=False):
        """Loss and metrics on ``(x, y)`` in inference mode: ``loss`` alone when there are no
        metrics, else ``[loss, metric1, …]`` (or a dict with ``return_dict=True``), as Keras."""
        self._require_compiled("evaluate")
        batch_size = data_checks.check_positive_int(32 if batch_size is None else batch_size, "batch_size")
        verbose = data_checks.check_verbose(verbose)
        x, y = self._prepare(x, y)
        steps = math.ceil(len(x) / batch_size)
        chain = [ProgbarLogger()] if verbose else []
        with DataParallel(self.layers, batch_size) as parallel:
            logs = self._evaluate_arrays(x, y, batch_size,
                                         CallbackList(chain, self, {"verbose": verbose, "steps": steps}), parallel)
        if return_dict:
            return logs
        values = [logs["loss"]] + [logs[m.name] for m in self.compiled_metrics]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto"):
        """Outputs for ``x`` in inference mode, batch by batch, as one float32 array."""
        batch_size = data_checks.check_positive_int(32 if batch_size is None else batch_size, "batch_size")
        verbose = data_checks.check_verbose(verbose)
        x = data_checks.as_inputs(x, self.input_shape if self.built else None)
        if not self.built:
            self.build((None,) + x.shape[1:])
        steps = math.ceil(len(x) / batch_size)
        chain = [ProgbarLogger()] if verbose else []
        callback_list = CallbackList(chain, self, {"verbose": verbose, "steps": steps})
        callback_list.on_predict_begin()
        outputs = []
        with DataParallel(self.layers, batch_size) as parallel:
            for step, start in enumerate(range(0, len(x), batch_size)):
                outputs.append(parallel.predict_step(x[start:start + batch_size])[0])
                callback_list.on_predict_batch_end(step)
        callback_list.on_predict_end()
        if not outputs:
            return np.zeros((0,) + tuple(self.output_shape[1:]), dtype=FLOATX)
        return np.concatenate(outputs, axis=0)

    # ------------------------------------------------------------------ weights
    def get_weights(self):
        """Copies of all weights in Keras's order (layer by layer; kernel then bias)."""
        return [variable.value.copy() for variable in self.weights]

    def set_weights(self, weights):
        """Assign a list of arrays (Keras's order); count and every shape are checked first."""
        check_weight_list(self.weights, weights, owner=f"model '{self.name}'")
        for variable, value in zip(self.weights, weights):
            variable.value[...] = value

    def save_weights(self, filepath, overwrite=True):
        """Write the weights to a ``.weights.h5`` file that Keras's ``load_weights`` accepts."""
        weights_io.check_suffix(filepath)
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"filepath: {filepath!r} exists and overwrite=False")
        weights_io.save_weights(self, filepath)

    def load_weights(self, filepath):
        """Read a ``.weights.h5`` file (ours or Keras's). All of it is checked against the model
        before anything is assigned: a file that does not fit leaves the weights untouched."""
        if not self.built:
            raise ValueError("load_weights: build the model (give it an input shape) before loading weights")
        arrays = weights_io.read_weights(self, filepath)
        for layer, values in zip(self.layers, arrays):
            for variable, value in zip(layer.weights, values):
                variable.value[...] = value

    def __repr__(self):
        return f"<Sequential name={self.name}, {len(self.layers)} layers>"


def _warn_from_logits_on_softmax(model):
    """Keras warns when ``from_logits=True`` meets a softmax output; the logits are used anyway."""
    if model.loss is not None and model.loss.from_logits and model._uses_logits():
        warnings.warn("loss received from_logits=True, but the output was produced by a softmax "
                      "activation; the logits that produced it are used", stacklevel=3)
