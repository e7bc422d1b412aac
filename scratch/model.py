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
produced it (``keras/src/backend/tensorflow/nn.py``, ``_get_logits``); so does this model: the
loss starts its backward pass at the last layer's pre-softmax values (``backward_from_logits``).

A ``Sequential`` is itself a layer (as in Keras, where a model is a layer), so a model can be a
layer of another: ``keras.Sequential([model, keras.layers.Softmax()])``. It plays the part through
the layer's few methods: ``build`` builds its layers, ``forward`` runs them in order (passing
``training`` down), ``backward`` runs theirs in reverse, ``weights`` lists theirs — the very
variables, so training the outer model trains the inner one.

``fit``, ``evaluate`` and ``predict`` take arrays or a :class:`scratch.utils.Dataset` of
``(x_batch, y_batch)`` batches, as Keras takes a ``tf.data.Dataset``.

Example::

    >>> import scratch
    >>> model = scratch.Sequential([
    ...     scratch.layers.Flatten(input_shape=(28, 28)),
    ...     scratch.layers.Dense(128, activation="relu"),
    ...     scratch.layers.Dense(10, activation="softmax")])
    >>> model.count_params()
    101770
"""
import itertools
import math
import os
import warnings

import numpy as np

from scratch import activations, data_checks, losses, metrics as metrics_module, naming, optimizers, weights_io
from scratch.backend import FLOATX, rng
from scratch.callbacks import CallbackList, History, ProgbarLogger
from scratch.engine.batches import gather_rows
from scratch.engine.data_parallel import DataParallel
from scratch.engine.denormals import flush_denormals
from scratch.layers.base import Input, Layer, check_weight_list
from scratch.layers.input_layer import InputLayer
from scratch.summary import format_shape, format_summary, print_summary
from scratch.utils.dataset import Dataset


class Sequential(Layer):
    """A linear stack of layers, as ``keras.Sequential``; also a layer of another model.

    As a layer: ``build(input_shape)``, ``forward(x, training)`` (B, ...) -> (B, ...) and
    ``backward(grad_output)`` -> d loss / d x go through ``self.layers``; ``weights`` are theirs.
    """

    def __init__(self, layers=None, name=None):
        # Layer.__init__ is not called: a model's built, weights and output shape are its layers'.
        self.name = name or naming.unique_name("sequential")
        self.trainable = True
        self.preset_random = None   # unused: the engine hands draws to the layers inside
        self._compute_grad_x = True
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
        """Append a layer (or set the input with ``scratch.Input(shape)`` or
        ``scratch.layers.InputLayer(shape=…)`` first; neither becomes one of ``self.layers``)."""
        if isinstance(layer, (Input, InputLayer)):
            if self.layers or self.input_shape is not None:
                raise ValueError(f"layer: an {type(layer).__name__} can only be the first element of a "
                                 f"Sequential model; model '{self.name}' already has "
                                 + (f"{len(self.layers)} layers" if self.layers else
                                    f"the input shape {self.input_shape}"))
            self.input_shape = layer.shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"layer: expected a scratch layer instance, received {layer!r}")
        if isinstance(layer, Sequential):
            if layer.contains(self):
                raise ValueError(f"layer: expected a layer or another model, received model '{layer.name}', "
                                 f"which is (or contains) model '{self.name}' itself")
            if not layer.layers:
                raise ValueError(f"layer: a model used as a layer needs at least one layer, received "
                                 f"model '{layer.name}' with none")
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

    def check_input_shape(self, input_shape):
        """Raise the ``ValueError`` :meth:`build` would raise for ``input_shape``, building nothing."""
        self._output_shape_for(input_shape)

    def compute_output_shape(self, input_shape):
        return self._output_shape_for(input_shape)

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
    def declared_input_shape(self):
        """The input shape given to the model (``Input`` or its first layer's), if any: a model
        used as the first layer of another gives it its input shape, as a layer would."""
        return self.input_shape

    def get_layer(self, name=None, index=None):
        """The layer called ``name``, or at ``index`` in ``self.layers``, with Keras's errors
        (``ValueError`` for both, neither, an unknown name or an index past the end).

        Example::

            >>> model.get_layer("dense").name        # doctest: +SKIP
            'dense'
        """
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index. Received: "
                             f"index={index}, name={name}.")
        if index is not None:
            if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
                raise TypeError(f"index: expected an int, received {index!r}")
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(self.layers)} layers.")
            if index < -len(self.layers):
                raise ValueError(f"index: expected an int from {-len(self.layers)} to {len(self.layers) - 1}, "
                                 f"received {index}")
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: "
                             f"{list(layer.name for layer in self.layers)}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def contains(self, model):
        """True when ``model`` is this model or one nested in it, at any depth."""
        return model is self or any(isinstance(layer, Sequential) and layer.contains(model)
                                    for layer in self.layers)

    @property
    def output_shape(self):
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @property
    def weights(self):
        return [variable for layer in self.layers for variable in layer.weights]

    @property
    def trainable_variables(self):
        if not self.trainable:
            return []
        return [variable for layer in self.layers for variable in layer.trainable_variables]

    @property
    def output_layer(self):
        """The layer that computes the model's output: the last layer, or a nested model's own."""
        last = self.layers[-1]
        return last.output_layer if isinstance(last, Sequential) else last

    @property
    def compute_grad_x(self):
        """Whether :meth:`backward` returns d loss / d x (fit turns it off: no one needs it)."""
        return self._compute_grad_x

    @compute_grad_x.setter
    def compute_grad_x(self, value):
        # Off: the first layer with trainable weights stops the backward pass (nothing below it learns).
        self._compute_grad_x = value
        first = next((i for i, layer in enumerate(self.layers) if layer.trainable_variables), None)
        for i, layer in enumerate(self.layers):
            layer.compute_grad_x = value or i != first

    def multiply_adds(self):
        """Multiply-adds per sample of all the layers (the engine's measure of a model's size)."""
        return sum(layer.multiply_adds() for layer in self.layers)

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
        """Set the optimizer, loss and metrics: names, objects, classes or the functions of
        ``scratch.losses``/``scratch.metrics``, as in Keras. The logs name a metric by its
        ``name`` (a function's own name, e.g. ``sparse_categorical_accuracy``); a name used twice
        gets ``_1``, ``_2``, … in the logs, as Keras's ``CompileMetrics.result``.

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
        if not isinstance(metrics, (list, tuple)):
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

    def _dataset_batches(self, dataset, argument, labelled=True):
        """One pass over ``dataset``: each ``(x_batch, y_batch)`` checked as it comes (the checks
        of arrays: shape, finite values, labels) and ``x_batch`` cast to float32; only
        ``x_batch`` when not ``labelled`` (predict). A dataset is read lazily, so a bad batch
        raises when it is reached — mid-epoch, after training has begun — not before."""
        count = 0
        for count, batch in enumerate(dataset, start=1):
            where = f"{argument} (batch {count - 1})"
            if not isinstance(batch, (tuple, list)) or len(batch) != 2:
                raise ValueError(f"{where}: expected a pair (x_batch, y_batch), received "
                                 f"{type(batch).__name__}" + (f" of {len(batch)} elements"
                                                              if isinstance(batch, (tuple, list)) else ""))
            if labelled:
                x_batch, y_batch = self._check_data(batch[0], batch[1], None, f"{where} inputs",
                                                    f"{where} targets")
            else:
                x_batch, y_batch = data_checks.as_inputs(batch[0], self.input_shape, f"{where} inputs"), None
            data_checks.check_not_empty(x_batch, f"{where} inputs", "compute on")
            yield np.asarray(x_batch, dtype=FLOATX), y_batch
        if count == 0:
            raise ValueError(f"{argument}: expected a Dataset that yields at least 1 batch, received one "
                             "that yielded none")

    def _first_dataset_pass(self, dataset, argument, labelled=True):
        """``(batches, x_first)``: a checked pass over ``dataset`` (see :meth:`_dataset_batches`)
        and its first batch's inputs, already read, from which an unbuilt model builds."""
        batches = self._dataset_batches(dataset, argument, labelled)
        first = next(batches)
        return itertools.chain([first], batches), first[0]

    def _loss_from_logits(self):
        """True when the loss must start from the output layer's logits: a crossentropy on a
        softmax output, also one inside a nested model (``keras/src/backend/tensorflow/nn.py``,
        ``_get_logits``, reads the logits the softmax left on its output tensor)."""
        return (getattr(self.output_layer, "activation", None) is activations.softmax
                and isinstance(self.loss, (losses.SparseCategoricalCrossentropy, losses.CategoricalCrossentropy)))

    # ------------------------------------------------------------------ one step
    def train_step(self, data):
        """One step of gradient descent on the batch ``data = (x, y)`` or, with sample weights,
        ``(x, y, sample_weight)``; returns the logs (the epoch's running loss and metrics).
        ``fit`` calls it once per batch: override it in a subclass to change what ``fit`` does
        (Keras's guide "Customizing what happens in fit()").

        Example::

            >>> class Frozen(scratch.Sequential):          # doctest: +SKIP
            ...     def train_step(self, data):            # measure, never update
            ...         return self.test_step(data)
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)        # sample_weight: None if not given
        y_pred, loss = self.compute_gradients(x, y, sample_weight)  # forward, loss, backward: .grad filled
        self.optimizer.apply(self.trainable_variables)              # w ← update(w, w.grad) for every w
        return self.compute_metrics(y, y_pred, loss)

    def compute_gradients(self, x, y, sample_weight=None):
        """Forward, loss and backward on a batch (each sample's loss weighted by
        ``sample_weight``, (B,), when given): leaves d loss / d w in every trainable
        variable's ``.grad``; returns ``(y_pred, loss)``. Inside ``fit``, when the engine splits
        batches over the cores (``self.data_parallel``), each replica of the model runs this
        same method on its share and the engine sums their gradients."""
        if self.data_parallel is not None:
            return self.data_parallel.compute_gradients(x, y, sample_weight)
        y_pred = self(x, training=True)              # 1. forward through the layers
        loss, grad = self.compute_loss(y, y_pred, sample_weight)   # 2. the batch loss, its gradient:
        if self._loss_from_logits():                 # 3. backward through the layers, in reverse,
            self.backward_from_logits(grad)          #    from d loss / d logits (softmax shortcut)
        else:
            self.backward(grad)                      #    or from d loss / d y_pred
        return y_pred, loss

    def __call__(self, x, training=None):
        """Forward pass on ``x`` (B, ...) -> (B, ...) outputs, cast to float32 and shape-checked
        first. Builds the model on its first input."""
        out = np.asarray(x, dtype=FLOATX)
        if not self.built:
            self.build((None,) + out.shape[1:])
        elif out.shape[1:] != tuple(self.input_shape[1:]):
            raise ValueError(f"{self.name}: expected input of shape {self.input_shape}, received shape {out.shape}")
        return self.forward(out, training=training)

    def forward(self, x, training=None):
        """``x`` through every layer in order; each keeps what its backward needs. ``training``
        reaches every layer (Dropout, also inside a nested model, is active only in training;
        None, not given, leaves it to each layer: augmentation layers then augment)."""
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def compute_loss(self, y, y_pred, sample_weight=None):
        """The batch loss and its gradient: ``(loss, grad)`` with ``grad = d loss / d y_pred``,
        or ``d loss / d logits`` of the output layer when the output is a softmax and the loss a
        crossentropy (Keras's TensorFlow backend computes it from the logits; then pass ``grad``
        to :meth:`backward_from_logits`). loss: float32 (per-sample (B,) with ``reduction="none"``).
        ``sample_weight`` (B,) multiplies each sample's loss and so its gradient; the mean is
        still over the B samples (``Σ w·ℓ / B``, Keras's ``sum_over_batch_size``)."""
        logits = self.output_layer.logits if self._loss_from_logits() else None
        per_sample, grad = self.loss.per_sample(y, y_pred, logits=logits)
        if sample_weight is not None:   # d (w·ℓ) / d y_pred = w · d ℓ / d y_pred
            grad = grad * losses.broadcast_weights(sample_weight, per_sample.shape)[..., None]
        loss = self.loss.reduce(per_sample, sample_weight)
        return loss, grad * FLOATX(self.loss.gradient_scale(len(y)))

    def backward(self, grad):
        """Backward pass from ``grad`` = d loss / d y_pred (B, ...): each layer, last to first,
        fills its variables' ``.grad`` and returns the gradient with respect to its input, which
        the layer below takes. Returns d loss / d x (B, ...), or None inside ``fit``, which stops
        at the first layer with weights (nothing below it learns)."""
        return _backward_through(self.layers[::-1], grad)

    def backward_from_logits(self, grad):
        """As :meth:`backward`, from ``grad`` = d loss / d logits of the output layer (the
        softmax-crossentropy shortcut; that layer's ``backward_from_logits`` starts there)."""
        return _backward_through(self.layers[-2::-1], self.layers[-1].backward_from_logits(grad))

    def compute_metrics(self, y, y_pred, loss):
        """Add the batch to the running loss and metrics; returns the logs (sorted by name). As
        in Keras, the running loss weighs each batch's (weighted) loss by its number of samples,
        and the compiled metrics are unweighted (Keras weighs only its ``weighted_metrics``)."""
        self.loss_tracker.update_state(loss, weight=len(y))
        for metric in self.compiled_metrics:
            metric.update_state(y, y_pred)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """``{"loss": …, "<metric>": …}``: the running means since :meth:`reset_metrics`."""
        logs = {name: metric.result() for name, metric in zip(self._metric_log_names(), self.compiled_metrics)}
        logs["loss"] = self.loss_tracker.result()
        return dict(sorted(logs.items()))

    def _metric_log_names(self):
        """Each compiled metric's key in the logs: its name, with ``_1``, ``_2``, … for a name
        already taken (Keras's ``CompileMetrics.result``)."""
        names, seen = [], {}
        for metric in self.compiled_metrics:
            count = seen.get(metric.name, 0)
            seen[metric.name] = count + 1
            names.append(metric.name if count == 0 else f"{metric.name}_{count}")
        return names

    def reset_metrics(self):
        """Start the running loss and metrics afresh (``fit`` does at each epoch)."""
        self.loss_tracker.reset_state()
        for metric in self.compiled_metrics:
            metric.reset_state()

    def test_step(self, data):
        """Loss and metrics on the batch ``data = (x, y)`` or ``(x, y, sample_weight)``,
        inference mode; returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self.predict_step(x)
        loss, _ = self.compute_loss(y, y_pred, sample_weight)
        return self.compute_metrics(y, y_pred, loss)

    def predict_step(self, x):
        """The model's outputs for the batch ``x``, inference mode (split over the cores by the
        engine when ``self.data_parallel`` is set)."""
        if self.data_parallel is not None:
            return self.data_parallel.predict(x)
        return self(x, training=False)

    # ------------------------------------------------------------------ loops
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None):
        """Train for ``epochs`` epochs of mini-batches, one :meth:`train_step` per batch; returns
        a :class:`History` whose ``history`` holds the per-epoch loss and metrics (``val_`` ones
        with validation data).

        ``x`` is an array of inputs with targets ``y``, or a :class:`scratch.utils.Dataset` of
        ``(x_batch, y_batch)`` batches (as Keras takes a ``tf.data.Dataset``): then one step per
        batch it yields, ``len(x)`` steps per epoch, no ``y`` or ``batch_size`` (Keras's error
        for ``y``; Keras silently ignores ``batch_size`` there), ``shuffle`` ignored (the dataset
        orders its own batches; Keras warns), no ``validation_split`` (as Keras).
        ``validation_data`` is ``(x_val, y_val)``, ``(x_val, y_val, sample_weight_val)`` or a ``Dataset``.

        ``sample_weight`` (N,) weighs each sample's loss (``Σ w·ℓ / B`` per batch, as Keras);
        ``class_weight`` ``{class: weight}`` gives each sample its class's weight (1.0 for a class
        not named), as Keras's ``class_weight_to_sample_weights``; not both (Keras's error), and
        neither with a ``Dataset``. ``validation_split`` splits the weights with the samples.
        Departures: negative or non-finite weights, and ``class_weight`` keys that are no class,
        are a ``ValueError`` (Keras trains on them, or ignores the key).

        ``validation_split`` takes the *last* samples, before any shuffling, as Keras does.
        Every argument is checked before anything changes: a refused call leaves an unbuilt
        model unbuilt. The one exception is a ``Dataset``, read lazily: each batch is checked as
        it comes (the model builds from the first), so a bad batch late in an epoch raises then.
        Departures from Keras: 0 samples to train on, or an empty ``validation_data``, is a
        ``ValueError`` (Keras warns "Your input ran out of data" and returns empty logs, leaving
        the ``val_`` metrics out, so EarlyStopping only warns).
        """
        self._require_compiled("fit")
        self._require_layers()
        from_dataset = isinstance(x, Dataset)
        if from_dataset:
            steps = _check_dataset_call(x, y, batch_size)
        batch_size = data_checks.check_positive_int(32 if batch_size is None else batch_size, "batch_size")
        epochs = data_checks.check_positive_int(epochs, "epochs")
        verbose = data_checks.check_verbose(verbose)
        validation_split = data_checks.check_validation_split(validation_split)
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle: expected True or False, received {shuffle!r}")
        callbacks = _check_callbacks(callbacks)
        if from_dataset and validation_split and validation_data is None:
            # Keras's words (keras/src/trainers/data_adapters/array_slicing.py, train_validation_split)
            raise ValueError("Argument `validation_split` is only supported for tensors or NumPy arrays."
                             f"Found incompatible type in the input: [{type(x)}]")
        if isinstance(validation_data, Dataset):
            _dataset_length(validation_data, "validation_data")
        _check_weight_arguments(from_dataset, sample_weight, class_weight)
        if from_dataset:
            first_pass, x_first = self._first_dataset_pass(x, "x")
        else:
            x, y = self._check_data(x, y)
            data_checks.check_not_empty(x, "x", "train on")
            x_first = x
            if sample_weight is not None:
                sample_weight = data_checks.as_sample_weights(sample_weight, len(x))
        if validation_data is None and validation_split:
            at = data_checks.split_at(len(x), validation_split)
            x, x_val, y, y_val = x[:at], x[at:], y[:at], y[at:]
            weights_val = None if sample_weight is None else sample_weight[at:]
            sample_weight = None if sample_weight is None else sample_weight[:at]
        elif validation_data is not None and not isinstance(validation_data, Dataset):
            x_val, y_val, weights_val = data_checks.unpack_validation_data(validation_data)
            x_val, y_val = self._check_data(x_val, y_val, (None,) + x_first.shape[1:], "validation_data[0]",
                                            "validation_data[1]")
            data_checks.check_not_empty(x_val, "validation_data", "validate on")
            if weights_val is not None:
                weights_val = data_checks.as_sample_weights(weights_val, len(x_val), "validation_data[2]")
        if class_weight is not None:   # after the split, as Keras: the validation samples keep weight 1
            sample_weight = data_checks.class_weights_to_sample_weights(
                class_weight, y, self._output_shape_for((None,) + x.shape[1:])[-1])
        self._build_for(x_first)

        def training_batches(epoch):
            if from_dataset:
                return first_pass if epoch == 0 else self._dataset_batches(x, "x")
            return _batches(x, y, batch_size, shuffle, sample_weight)

        def validation_batches():
            if isinstance(validation_data, Dataset):
                return self._dataset_batches(validation_data, "validation_data")
            return _batches(x_val, y_val, batch_size, shuffle=False, sample_weight=weights_val)

        validate = validation_data is not None or validation_split
        if not from_dataset and not isinstance(validation_data, Dataset):
            # gpu backend: data, weights and sums stay on the device (scratch/engine/gpu/trainer.py)
            history = _device_fit(self, x, y, (x_val, y_val, weights_val) if validate else None, batch_size,
                                  epochs, shuffle, callbacks, verbose, sample_weight)
            if history is not None:
                return history
        if not from_dataset:
            steps = math.ceil(len(x) / batch_size)
        history = History()
        chain = [history] + callbacks + ([ProgbarLogger()] if verbose else [])
        callback_list = CallbackList(chain, self, {"verbose": verbose, "epochs": epochs, "steps": steps})
        self.compute_grad_x = False   # no one needs d loss / d x: backward stops at the first weights
        self.stop_training = False
        callback_list.on_train_begin()
        # as TensorFlow does: denormal floats are slow and carry nothing
        with flush_denormals(), DataParallel(self, len(x_first) if from_dataset else batch_size):
            for epoch in range(epochs):
                callback_list.on_epoch_begin(epoch)
                self.reset_metrics()
                logs = {}
                for step, batch in enumerate(training_batches(epoch)):
                    logs = self.train_step(batch)   # (x, y) or (x, y, sample_weight)
                    callback_list.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
                logs = self._metrics_result_or(logs)
                if validate:
                    val_logs = self._test_loop(validation_batches(), CallbackList([], self, {}))
                    logs.update({f"val_{key}": value for key, value in val_logs.items()})
                callback_list.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        self.compute_grad_x = True    # a direct backward() after fit gives the input gradient again
        callback_list.on_train_end()
        history.params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        self.history = history
        return history

    def _metrics_result_or(self, logs):
        """The running metrics when the last step's ``logs`` have their names, else ``logs`` (a
        custom step's own numbers), as Keras's ``Trainer._get_metrics_result_or_logs``."""
        result = self.get_metrics_result()
        return result if set(logs) == set(result) else dict(logs)

    def _test_loop(self, batches, callback_list):
        """One :meth:`test_step` per ``(x_batch, y_batch[, sample_weight])`` of ``batches``; the final logs."""
        self.reset_metrics()
        callback_list.on_test_begin()
        logs = {}
        for step, batch in enumerate(batches):
            logs = self.test_step(batch)
            callback_list.on_test_batch_end(step, logs)
        logs = self._metrics_result_or(logs)
        callback_list.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, return_dict=False):
        """Loss and metrics on ``(x, y)`` — or on a :class:`scratch.utils.Dataset` ``x`` of
        ``(x_batch, y_batch)`` batches (no ``y``, no ``batch_size``; see :meth:`fit`) — in
        inference mode: ``loss`` alone when there are no metrics, else ``[loss, metric1, …]`` (or
        a dict with ``return_dict=True``), as Keras. 0 samples is a ``ValueError`` (Keras warns
        and returns ``[]``/``{}``). ``sample_weight`` (N,) weighs the loss as in :meth:`fit`."""
        self._require_compiled("evaluate")
        self._require_layers()
        from_dataset = isinstance(x, Dataset)
        if from_dataset:
            steps = _check_dataset_call(x, y, batch_size)
        batch_size = data_checks.check_positive_int(32 if batch_size is None else batch_size, "batch_size")
        verbose = data_checks.check_verbose(verbose)
        _check_weight_arguments(from_dataset, sample_weight, None)
        if from_dataset:
            batches, x_first = self._first_dataset_pass(x, "x")
        else:
            x, y = self._check_data(x, y)
            data_checks.check_not_empty(x, "x", "evaluate on")
            if sample_weight is not None:
                sample_weight = data_checks.as_sample_weights(sample_weight, len(x))
            batches, x_first = _batches(x, y, batch_size, shuffle=False, sample_weight=sample_weight), x
            steps = math.ceil(len(x) / batch_size)
        self._build_for(x_first)
        chain = [ProgbarLogger()] if verbose else []
        with DataParallel(self, len(x_first) if from_dataset else batch_size):
            logs = self._test_loop(batches, CallbackList(chain, self, {"verbose": verbose, "steps": steps}))
        if return_dict:
            return logs
        # as Keras's Trainer._flatten_metrics_in_order: the loss, the compiled metrics, then any other
        names = ["loss"] + self._metric_log_names()
        values = [logs[name] for name in names if name in logs]
        values += [logs[key] for key in sorted(logs) if key not in names]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto"):
        """Outputs for ``x`` in inference mode, one :meth:`predict_step` per batch, as one float32
        array. ``x`` may be a :class:`scratch.utils.Dataset` (its ``y_batch`` ignored, may be
        None; no ``batch_size``). 0 samples give a ``(0, …)`` array (Keras 3.15 fails there with
        an ``UnboundLocalError``)."""
        self._require_layers()
        from_dataset = isinstance(x, Dataset)
        if from_dataset:
            steps = _check_dataset_call(x, None, batch_size)
        batch_size = data_checks.check_positive_int(32 if batch_size is None else batch_size, "batch_size")
        verbose = data_checks.check_verbose(verbose)
        if from_dataset:
            batches, x_first = self._first_dataset_pass(x, "x", labelled=False)
        else:
            x = data_checks.as_inputs(x, self.input_shape)
            batches, x_first = _batches(x, None, batch_size, shuffle=False), x
            steps = math.ceil(len(x) / batch_size)
        self._build_for(x_first)
        chain = [ProgbarLogger()] if verbose else []
        callback_list = CallbackList(chain, self, {"verbose": verbose, "steps": steps})
        callback_list.on_predict_begin()
        outputs = []
        with DataParallel(self, len(x_first) if from_dataset else batch_size):
            for step, (x_batch, _) in enumerate(batches):
                outputs.append(self.predict_step(x_batch))
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

    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Write the whole model (architecture, weights, compile state, optimizer variables) to a
        ``.keras`` file that ``keras.models.load_model`` opens (or a legacy ``.h5``), atomically
        (:mod:`scratch.saving`)."""
        from scratch import saving
        saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

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


def _backward_through(layers, grad):
    """``grad`` through ``layers`` (given last to first): each takes the gradient with respect
    to its output and returns the one with respect to its input; stops at a layer that
    returns None (fit's first layer with weights: nothing below it learns)."""
    for layer in layers:
        if grad is None:
            break
        grad = layer.backward(grad)
    return grad


def _batches(x, y, batch_size, shuffle, sample_weight=None):
    """``(x_batch, y_batch)`` pairs of ``batch_size`` samples (the last one may be smaller), in a
    new random order when ``shuffle`` (from the kit's seeded generator); ``x_batch`` in float32,
    cast here, one batch at a time (``x`` itself stays as the caller gave it). With
    ``sample_weight``, triples ``(x_batch, y_batch, weight_batch)``."""
    order = rng().permutation(len(x)) if shuffle else None
    for start in range(0, len(x), batch_size):
        if order is None:   # a slice is a view: the cast is the one pass
            index = slice(start, start + batch_size)
            x_batch = np.asarray(x[index], dtype=FLOATX)
        else:               # the shuffled rows gathered and cast in one pass (same values)
            index = order[start:start + batch_size]
            x_batch = gather_rows(x, index)
        batch = (x_batch, None if y is None else y[index])
        yield batch if sample_weight is None else batch + (sample_weight[index],)


def _device_fit(model, *fit_arguments):
    """On the gpu backend, ``fit`` on the device by :func:`scratch.engine.gpu.trainer.device_fit`
    when it knows the model (the History), else None: ``fit``'s own loop runs. Imported here, so
    that the other backends never load ``numba.cuda``."""
    from scratch.backend import get_backend

    if get_backend() != "gpu":
        return None
    from scratch.engine.gpu.trainer import device_fit
    return device_fit(model, *fit_arguments)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``,
    the missing ones None, as Keras's ``keras.utils.unpack_x_y_sample_weight``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) in (1, 2, 3):
        return data + (None,) * (3 - len(data))
    raise ValueError("data: expected a batch x, (x,), (x, y) or (x, y, sample_weight), received a tuple of "
                     f"{len(data)} elements")


def _check_weight_arguments(from_dataset, sample_weight, class_weight):
    """Keras's refusals: ``class_weight`` with ``sample_weight``, and either with a Dataset ``x``
    (scratch's Datasets yield ``(x_batch, y_batch)``; Keras takes ``sample_weight`` in the
    dataset's batches instead, and ``class_weight`` only there in scratch's departure)."""
    if sample_weight is not None and class_weight is not None:
        raise ValueError("You cannot `class_weight` and `sample_weight` at the same time. (class_weight and "
                         "sample_weight: expected at most one of them)")
    if from_dataset and sample_weight is not None:
        raise ValueError("sample_weight: expected None when x is a scratch.utils.Dataset (Keras: sample "
                         f"weights go in the dataset's batches), received {type(sample_weight).__name__}")
    if from_dataset and class_weight is not None:
        raise ValueError("class_weight: expected None when x is a scratch.utils.Dataset (not supported "
                         f"there by scratch), received {type(class_weight).__name__}")


def _dataset_length(dataset, argument):
    """``len(dataset)``, the batches in one pass: a positive int, else a clear error."""
    try:
        length = len(dataset)
    except (NotImplementedError, TypeError) as error:
        raise TypeError(f"{argument}: expected a Dataset whose len() is its number of batches per pass, "
                        f"received {type(dataset).__name__}, whose len() fails ({error!r})") from None
    if length < 1:
        raise ValueError(f"{argument}: expected a Dataset of at least 1 batch, received one of len {length}")
    return length


def _check_dataset_call(dataset, y, batch_size):
    """Refuse what a Dataset ``x`` already holds (``y``: Keras's ``ValueError`` and words, from
    ``keras/src/trainers/data_adapters/__init__.py``; ``batch_size``: Keras ignores it silently,
    its docs say "do not specify"); returns ``len(dataset)``, the steps per pass."""
    if y is not None:
        raise ValueError("When providing `x` as a scratch.utils.Dataset, `y` should not be passed. Instead, "
                         "the targets should be included as part of the scratch.utils.Dataset. (y: expected "
                         f"None, received {type(y).__name__})")
    if batch_size is not None:
        raise ValueError("When providing `x` as a scratch.utils.Dataset, `batch_size` should not be passed: "
                         "the Dataset yields its own batches. (batch_size: expected None, received "
                         f"{batch_size!r})")
    return _dataset_length(dataset, "x")


def _warn_from_logits_on_softmax(model):
    """Keras warns when ``from_logits=True`` meets a softmax output; the logits are used anyway."""
    if model.loss is not None and model.loss.from_logits and model._loss_from_logits():
        warnings.warn("loss received from_logits=True, but the output was produced by a softmax "
                      "activation; the logits that produced it are used", stacklevel=3)
