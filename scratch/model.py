"""``Sequential``: a stack of layers with Keras's ``summary``, ``compile``, ``fit``, ``evaluate``,
``predict`` and weight I/O.

One training step (:meth:`Sequential.train_step`; no autodiff engine — every layer owns its
backward pass)::

    x ─ layer.forward(training=True) ─▶ … ─▶ y_pred ─ compute_loss ─▶ loss, grad
    grad ─▶ layer.backward (fills each variable.grad) ─▶ … ;  optimizer.apply(variables)

``fit`` calls ``train_step`` once per batch, ``evaluate`` calls ``test_step`` and ``predict``
``predict_step``, as Keras's trainers do (``keras/src/trainers/trainer.py``): override them in a
subclass to change what ``fit`` does. On the cpu backend, models big enough have each batch
split over the cores by the engine (``scratch/engine/data_parallel.py``), which runs this file's
``compute_gradients`` on a replica of the model per core.

Keras's TensorFlow backend computes a crossentropy on a softmax output from the logits that
produced it (``keras/src/backend/tensorflow/nn.py``, ``sparse_categorical_crossentropy``); so does
this model: the loss starts its backward pass at the last layer's pre-softmax values
(``backward_from_logits``).

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

from scratch import activations, data_checks, losses, metrics as metrics_module, naming, optimizers, weights_io
from scratch.backend import FLOATX, rng
from scratch.callbacks import CallbackList, History, ProgbarLogger
from scratch.engine.data_parallel import DataParallel
from scratch.engine.denormals import flush_denormals
from scratch.layers.base import Input, Layer, check_weight_list
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
        self.loss_tracker = metrics_module.Mean("loss")
        self.stop_training = False
        self.history = None
        # None, or the engine that splits each batch over the cores inside fit/evaluate/predict
        self.data_parallel = None
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
        self._output_shape_for(shape)   # every layer accepts its input: nothing is built otherwise
        for layer in self.layers:
            layer.build(shape)
            shape = layer.output_shape
        self.input_shape = tuple(input_shape)

    def _output_shape_for(self, input_shape):
        """The model's output shape for inputs of ``input_shape``, found without building anything;
        raises the error the first layer that refuses its input would raise in :meth:`build`."""
        shape = tuple(input_shape)
        if self.built and shape[1:] == tuple(self.input_shape[1:]):
            return self.output_shape
        for layer in self.layers:
            layer.check_input_shape(shape)
            shape = tuple(layer.compute_output_shape(shape))
        return shape

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

    def _require_layers(self):
        """A model without layers has nothing to compute (Keras: "cannot be built because it has no layers")."""
        if not self.layers:
            raise ValueError(f"layers: model '{self.name}' has no layers; expected at least one, received "
                             "an empty list (add one with model.add(layer))")

    @property
    def metrics_names(self):
        return ["loss", "compile_metrics"] if self.compiled_metrics else ["loss"]

    # ------------------------------------------------------------------ data
    def _check_data(self, x, y, input_shape=None, argument_x="x", argument_y="y"):
        """Checked float32 inputs and targets, without building anything: ``x`` must fit the
        model's input shape (or ``input_shape``, the training data's, for validation data of an
        unbuilt model) and ``y`` the output shape the model has, or will have, for ``x``."""
        known = self.input_shape if input_shape is None else input_shape
        x = data_checks.as_inputs(x, known, argument_x)
        output_shape = self._output_shape_for((None,) + x.shape[1:])
        if y is None:
            raise ValueError(f"{argument_y}: expected targets, received None")
        data_checks.check_same_length(x, y, argument_x, argument_y)
        if isinstance(self.loss, losses.SparseCategoricalCrossentropy):
            y = data_checks.as_sparse_labels(y, output_shape[-1], argument_y)
        else:
            y = data_checks.as_dense_targets(y, output_shape, argument_y)
        return x, y

    def _build_for(self, x):
        """Build the model from checked inputs ``x``, once every argument has passed its checks."""
        if not self.built:
            self.build((None,) + x.shape[1:])

    def _loss_from_logits(self):
        """True when the loss must start from the last layer's logits: a crossentropy on a
        softmax output (``keras/src/backend/tensorflow/nn.py`` takes the logits there too)."""
        return (getattr(self.layers[-1], "activation", None) is activations.softmax
                and isinstance(self.loss, (losses.SparseCategoricalCrossentropy, losses.CategoricalCrossentropy)))

    # ------------------------------------------------------------------ one step
    def train_step(self, data):
        """One step of gradient descent on the batch ``data = (x, y)``; returns the logs (the
        epoch's running loss and metrics). ``fit`` calls it once per batch: override it in a
        subclass to change what ``fit`` does (Keras's guide "Customizing what happens in fit()").

        Example::

            >>> class Frozen(scratch.Sequential):          # doctest: +SKIP
            ...     def train_step(self, data):            # measure, never update
            ...         return self.test_step(data)
        """
        x, y = data
        y_pred, loss = self.compute_gradients(x, y)      # forward, loss, backward: every .grad filled
        self.optimizer.apply(self.trainable_variables)   # w ← update(w, w.grad) for every weight
        return self.compute_metrics(y, y_pred, loss)

    def compute_gradients(self, x, y):
        """Forward, loss and backward on a batch: leaves d loss / d w in every trainable
        variable's ``.grad``; returns ``(y_pred, loss)``. Inside ``fit``, when the engine splits
        batches over the cores (``self.data_parallel``), each replica of the model runs this
        same method on its share and the engine sums their gradients."""
        if self.data_parallel is not None:
            return self.data_parallel.compute_gradients(x, y)
        y_pred = self(x, training=True)              # 1. forward through the layers
        loss, grad = self.compute_loss(y, y_pred)    # 2. the batch loss and d loss / d y_pred
        self.backward(grad)                          # 3. backward through the layers, in reverse
        return y_pred, loss

    def __call__(self, x, training=False):
        """Forward pass: ``x`` through every layer in order; each keeps what its backward needs.
        x: (B, ...) -> (B, ...) outputs. Builds the model on its first input."""
        out = np.asarray(x, dtype=FLOATX)
        if not self.built:
            self.build((None,) + out.shape[1:])
        elif out.shape[1:] != tuple(self.input_shape[1:]):
            raise ValueError(f"{self.name}: expected input of shape {self.input_shape}, received shape {out.shape}")
        for layer in self.layers:
            out = layer.forward(out, training=training)
        return out

    def compute_loss(self, y, y_pred):
        """The batch loss and its gradient: ``(loss, grad)`` with ``grad = d loss / d y_pred``,
        or ``d loss / d logits`` of the last layer when the output is a softmax and the loss a
        crossentropy (Keras's TensorFlow backend computes it from the logits; :meth:`backward`
        starts there). loss: float32 (per-sample values (B,) with ``reduction="none"``)."""
        logits = self.layers[-1].logits if self._loss_from_logits() else None
        per_sample, grad = self.loss.per_sample(y, y_pred, logits=logits)
        return self.loss.reduce(per_sample), grad * FLOATX(self.loss.gradient_scale(len(y)))

    def backward(self, grad):
        """Backward pass: from ``grad`` (see :meth:`compute_loss`), each layer, last to first,
        fills its variables' ``.grad`` and returns the gradient with respect to its input, which
        the layer below takes. Returns d loss / d x, or None inside ``fit``, which stops at the
        first layer with weights (nothing below it learns)."""
        layers = self.layers[::-1]
        if self._loss_from_logits():   # the softmax-crossentropy shortcut: grad is d loss / d logits
            grad = layers.pop(0).backward_from_logits(grad)
        for layer in layers:
            if grad is None:           # the layer above was fit's first layer with weights
                break
            grad = layer.backward(grad)
        return grad

    def compute_metrics(self, y, y_pred, loss):
        """Add the batch to the running loss and metrics; returns the logs (sorted by name)."""
        self.loss_tracker.update_state(loss, weight=len(y))
        for metric in self.compiled_metrics:
            metric.update_state(y, y_pred)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """``{"loss": …, "<metric>": …}``: the running means since :meth:`reset_metrics`."""
        logs = {metric.name: metric.result() for metric in self.compiled_metrics}
        logs["loss"] = self.loss_tracker.result()
        return dict(sorted(logs.items()))

    def reset_metrics(self):
        """Start the running loss and metrics afresh (``fit`` does at each epoch)."""
        self.loss_tracker.reset_state()
        for metric in self.compiled_metrics:
            metric.reset_state()

    def test_step(self, data):
        """Loss and metrics on the batch ``data = (x, y)``, inference mode; returns the logs."""
        x, y = data
        y_pred = self.predict_step(x)
        loss, _ = self.compute_loss(y, y_pred)
        return self.compute_metrics(y, y_pred, loss)

    def predict_step(self, x):
        """The model's outputs for the batch ``x``, inference mode (split over the cores by the
        engine when ``self.data_parallel`` is set)."""
        if self.data_parallel is not None:
            return self.data_parallel.predict(x)
        return self(x)

    # ------------------------------------------------------------------ loops
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True):
        """Train for ``epochs`` epochs of mini-batches, one :meth:`train_step` per batch; returns
        a :class:`History` whose ``history`` holds the per-epoch loss and metrics (``val_`` ones
        with validation data).

        ``validation_split`` takes the *last* samples, before any shuffling, as Keras does.
        Every argument is checked before anything changes: a refused call leaves an unbuilt
        model unbuilt. Departures from Keras: 0 samples to train on, or an empty
        ``validation_data``, is a ``ValueError`` (Keras warns "Your input ran out of data" and
        returns empty logs, leaving the ``val_`` metrics out, so EarlyStopping only warns); and
        ``validation_data=(x, y, sample_weight)`` is refused (scratch has no sample weights).
        """
        self._require_compiled("fit")
        self._require_layers()
        batch_size = data_checks.check_positive_int(32 if batch_size is None else batch_size, "batch_size")
        epochs = data_checks.check_positive_int(epochs, "epochs")
        verbose = data_checks.check_verbose(verbose)
        validation_split = data_checks.check_validation_split(validation_split)
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle: expected True or False, received {shuffle!r}")
        callbacks = _check_callbacks(callbacks)
        x, y = self._check_data(x, y)
        data_checks.check_not_empty(x, "x", "train on")
        if validation_data is not None:
            x_val, y_val = data_checks.unpack_validation_data(validation_data)
            x_val, y_val = self._check_data(x_val, y_val, (None,) + x.shape[1:], "validation_data[0]",
                                            "validation_data[1]")
            data_checks.check_not_empty(x_val, "validation_data", "validate on")
        elif validation_split:
            at = data_checks.split_at(len(x), validation_split)
            x, x_val, y, y_val = x[:at], x[at:], y[:at], y[at:]
        else:
            x_val = y_val = None
        self._build_for(x)

        steps = math.ceil(len(x) / batch_size)
        history = History()
        chain = [history] + callbacks + ([ProgbarLogger()] if verbose else [])
        callback_list = CallbackList(chain, self, {"verbose": verbose, "epochs": epochs, "steps": steps})
        self._skip_input_gradient_below_weights()
        self.stop_training = False
        callback_list.on_train_begin()
        # as TensorFlow does: denormal floats are slow and carry nothing
        with flush_denormals(), DataParallel(self, batch_size):
            for epoch in range(epochs):
                callback_list.on_epoch_begin(epoch)
                self.reset_metrics()
                logs = {}
                for step, (x_batch, y_batch) in enumerate(_batches(x, y, batch_size, shuffle)):
                    logs = self.train_step((x_batch, y_batch))
                    callback_list.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
                logs = self._metrics_result_or(logs)
                if x_val is not None:
                    val_logs = self._test_loop(x_val, y_val, batch_size, CallbackList([], self, {}))
                    logs.update({f"val_{key}": value for key, value in val_logs.items()})
                callback_list.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        for layer in self.layers:  # a direct backward() after fit gives the input gradient again
            layer.compute_grad_x = True
        callback_list.on_train_end()
        history.params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        self.history = history
        return history

    def _skip_input_gradient_below_weights(self):
        """Tell the first layer with trainable weights that no one needs its input gradient:
        :meth:`backward` stops there (the layers below have nothing to learn)."""
        first = next((i for i, layer in enumerate(self.layers) if layer.trainable_variables), None)
        for i, layer in enumerate(self.layers):
            layer.compute_grad_x = i != first

    def _metrics_result_or(self, logs):
        """The running metrics when the last step's ``logs`` have their names, else ``logs`` (a
        custom step's own numbers), as Keras's ``Trainer._get_metrics_result_or_logs``."""
        result = self.get_metrics_result()
        return result if set(logs) == set(result) else dict(logs)

    def _test_loop(self, x, y, batch_size, callback_list):
        """One :meth:`test_step` per batch; the final logs."""
        self.reset_metrics()
        callback_list.on_test_begin()
        logs = {}
        for step, (x_batch, y_batch) in enumerate(_batches(x, y, batch_size, shuffle=False)):
            logs = self.test_step((x_batch, y_batch))
            callback_list.on_test_batch_end(step, logs)
        logs = self._metrics_result_or(logs)
        callback_list.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", return_dict=False):
        """Loss and metrics on ``(x, y)`` in inference mode: ``loss`` alone when there are no
        metrics, else ``[loss, metric1, …]`` (or a dict with ``return_dict=True``), as Keras.
        0 samples is a ``ValueError`` (Keras warns and returns ``[]``/``{}``)."""
        self._require_compiled("evaluate")
        self._require_layers()
        batch_size = data_checks.check_positive_int(32 if batch_size is None else batch_size, "batch_size")
        verbose = data_checks.check_verbose(verbose)
        x, y = self._check_data(x, y)
        data_checks.check_not_empty(x, "x", "evaluate on")
        self._build_for(x)
        steps = math.ceil(len(x) / batch_size)
        chain = [ProgbarLogger()] if verbose else []
        with DataParallel(self, batch_size):
            logs = self._test_loop(x, y, batch_size, CallbackList(chain, self, {"verbose": verbose, "steps": steps}))
        if return_dict:
            return logs
        # as Keras's Trainer._flatten_metrics_in_order: the loss, the compiled metrics, then any other
        names = ["loss"] + [m.name for m in self.compiled_metrics]
        values = [logs[name] for name in names if name in logs]
        values += [logs[key] for key in sorted(logs) if key not in names]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto"):
        """Outputs for ``x`` in inference mode, one :meth:`predict_step` per batch, as one float32
        array. 0 samples give a ``(0, …)`` array (Keras 3.15 fails there with an ``UnboundLocalError``)."""
        self._require_layers()
        batch_size = data_checks.check_positive_int(32 if batch_size is None else batch_size, "batch_size")
        verbose = data_checks.check_verbose(verbose)
        x = data_checks.as_inputs(x, self.input_shape)
        self._build_for(x)
        steps = math.ceil(len(x) / batch_size)
        chain = [ProgbarLogger()] if verbose else []
        callback_list = CallbackList(chain, self, {"verbose": verbose, "steps": steps})
        callback_list.on_predict_begin()
        outputs = []
        with DataParallel(self, batch_size):
            for step, start in enumerate(range(0, len(x), batch_size)):
                outputs.append(self.predict_step(np.asarray(x[start:start + batch_size], dtype=FLOATX)))
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


def _check_callbacks(callbacks):
    """``callbacks`` as a list of callback objects (a single one is taken as a list of one, as Keras does)."""
    if callbacks is None:
        return []
    if hasattr(callbacks, "on_epoch_end"):
        return [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks: expected a list of scratch.callbacks.Callback objects, received {callbacks!r}")
    for callback in callbacks:
        if not hasattr(callback, "on_epoch_end"):
            raise TypeError(f"callbacks: expected scratch.callbacks.Callback objects, received {callback!r}")
    return list(callbacks)


def _batches(x, y, batch_size, shuffle):
    """``(x_batch, y_batch)`` pairs of ``batch_size`` samples (the last one may be smaller), in a
    new random order when ``shuffle`` (from the kit's seeded generator); ``x_batch`` in float32,
    cast here, one batch at a time (``x`` itself stays as the caller gave it)."""
    order = rng().permutation(len(x)) if shuffle else None
    for start in range(0, len(x), batch_size):
        index = slice(start, start + batch_size) if order is None else order[start:start + batch_size]
        yield np.asarray(x[index], dtype=FLOATX), y[index]


def _warn_from_logits_on_softmax(model):
    """Keras warns when ``from_logits=True`` meets a softmax output; the logits are used anyway."""
    if model.loss is not None and model.loss.from_logits and model._loss_from_logits():
        warnings.warn("loss received from_logits=True, but the output was produced by a softmax "
                      "activation; the logits that produced it are used", stacklevel=3)
