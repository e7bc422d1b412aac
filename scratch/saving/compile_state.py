"""The compile state ↔ Keras's ``compile_config`` (``.keras``) / ``training_config`` (legacy
``.h5``), and the optimizer's variables as Keras stores them (``iteration``, ``learning_rate``,
then the slots in Keras's build order).

Written: the optimizer's class and hyperparameters (Keras's config keys, Keras's defaults for
the features scratch lacks: no weight decay, clipping, EMA, loss scaling or gradient
accumulation), the loss (its name, or Keras's serialized object when ``from_logits=True``),
the metrics by name. Read: the same; a file using one of the features scratch lacks (or a
learning-rate schedule) is refused naming it.
"""
import numpy as np

from scratch import losses, metrics as metrics_module, optimizers

KERAS_OPTIMIZERS = {"SGD": optimizers.SGD, "Adam": optimizers.Adam, "RMSprop": optimizers.RMSprop}
_HYPER = {"SGD": ("momentum", "nesterov"), "Adam": ("beta_1", "beta_2", "epsilon", "amsgrad"),
          "RMSprop": ("rho", "momentum", "epsilon", "centered")}
# Keras's base-optimizer options scratch does not implement, with the value that means "off"
_UNSUPPORTED_OFF = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                    "use_ema": False, "loss_scale_factor": None, "gradient_accumulation_steps": None}


def optimizer_config(optimizer):
    kind = type(optimizer).__name__
    if kind not in KERAS_OPTIMIZERS:
        raise TypeError(f"optimizer: {kind} cannot be saved to a Keras model file; supported: "
                        f"{sorted(KERAS_OPTIMIZERS)}")
    config = {"name": optimizer.name, "learning_rate": float(optimizer._learning_rate),
              **_UNSUPPORTED_OFF, "ema_momentum": 0.99, "ema_overwrite_frequency": None}
    config.update({key: getattr(optimizer, key) for key in _HYPER[kind]})
    return {"module": "keras.optimizers", "class_name": kind, "config": config, "registered_name": None}


def loss_config(loss):
    if not loss.from_logits and loss.name == loss.default_name and loss.reduction == "sum_over_batch_size":
        return loss.default_name
    config = {"name": loss.name, "reduction": loss.reduction, "dtype": None, "from_logits": loss.from_logits}
    if type(loss).__name__ == "SparseCategoricalCrossentropy":
        config["ignore_class"] = None
    else:
        config.update({"label_smoothing": 0.0, "axis": -1})
    return {"module": "keras.losses", "class_name": type(loss).__name__, "config": config, "registered_name": None}


def compile_config(model):
    """Keras's ``compile_config`` of ``model`` (None when it is not compiled)."""
    if model.optimizer is None:
        return None
    return {"optimizer": optimizer_config(model.optimizer),
            "loss": None if model.loss is None else loss_config(model.loss),
            "loss_weights": None, "metrics": [m.name for m in model.compiled_metrics] or None,
            "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


# ----------------------------------------------------------------------------- reading
def optimizer_from_config(entry, where):
    if isinstance(entry, str):
        return optimizers.get(entry)
    kind = entry.get("class_name") if isinstance(entry, dict) else None
    if kind not in KERAS_OPTIMIZERS:
        raise ValueError(f"filepath: {where} is compiled with optimizer {kind}, which scratch does not support; "
                         f"supported: {sorted(KERAS_OPTIMIZERS)} (pass compile=False to skip the compile state)")
    config = entry.get("config") or {}
    for key, off in _UNSUPPORTED_OFF.items():
        if config.get(key, off) != off:
            raise ValueError(f"filepath: {where}: the optimizer uses {key}={config[key]!r}, which scratch does "
                             "not support (pass compile=False to skip the compile state)")
    rate = config.get("learning_rate", 0.001)
    if isinstance(rate, dict):
        raise ValueError(f"filepath: {where}: the optimizer's learning rate is a schedule "
                         f"({rate.get('class_name')}), which scratch does not support (pass compile=False)")
    hyper = {key: config[key] for key in _HYPER[kind] if key in config}
    return KERAS_OPTIMIZERS[kind](learning_rate=rate, name=config.get("name", kind.lower()), **hyper)


def loss_from_config(entry, where):
    if entry is None or isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        config = entry.get("config") or {}
        try:
            return losses.get(entry.get("class_name")).__class__(
                from_logits=config.get("from_logits", False), name=config.get("name"))
        except (ValueError, TypeError) as error:
            raise ValueError(f"filepath: {where}: loss {entry.get('class_name')} is not supported: {error}") from error
    raise ValueError(f"filepath: {where}: cannot restore the loss {entry!r}")


def metrics_from_config(entries, where):
    result = []
    for entry in entries or []:
        if isinstance(entry, dict):
            entry = entry.get("class_name")
        if not isinstance(entry, str):
            raise ValueError(f"filepath: {where}: cannot restore the metric {entry!r}")
        result.append(entry)
    return result


def compile_from_config(model, config, where):
    """``model.compile(...)`` as the file's compile state says."""
    optimizer = optimizer_from_config(config.get("optimizer") or config.get("optimizer_config"), where)
    loss = loss_from_config(config.get("loss"), where)
    if config.get("loss_weights") is not None or config.get("weighted_metrics"):
        raise ValueError(f"filepath: {where}: loss_weights and weighted_metrics are not supported "
                         "(pass compile=False to skip the compile state)")
    try:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics_from_config(config.get("metrics"), where))
    except (ValueError, TypeError) as error:
        raise ValueError(f"filepath: {where}: cannot restore the compile state: {error}") from error


# ----------------------------------------------------------------------------- optimizer variables
def optimizer_arrays(model):
    """The optimizer's variables as Keras stores them, built or not: ``iteration`` (int64),
    ``learning_rate`` (float32), then each slot (zeros before the first step, as Keras's
    freshly built optimizer holds)."""
    optimizer = model.optimizer
    if optimizer.built:
        return [np.asarray(variable.value) for variable in optimizer.variables]
    arrays = [np.array(0, dtype=np.int64), np.array(optimizer._learning_rate, dtype=np.float32)]
    active = optimizer.active_slot_names()
    for group in optimizer.slot_groups:
        for variable in model.trainable_variables:
            arrays += [np.zeros_like(variable.value) for name in group if name in active]
    return arrays


def expected_optimizer_shapes(model):
    return [np.shape(a) for a in optimizer_arrays(model)]


def restore_optimizer(model, arrays, where):
    """Build the optimizer on the model's trainable variables and set ``iteration``,
    ``learning_rate`` and the slots from ``arrays`` (checked first: all or nothing)."""
    optimizer = model.optimizer
    if len(arrays) == 2:   # saved before the first step (Keras's optimizer was not built yet)
        optimizer.iterations = int(np.asarray(arrays[0]))
        optimizer.learning_rate = float(np.asarray(arrays[1]))
        return
    expected = expected_optimizer_shapes(model)
    shapes = [np.shape(a) for a in arrays]
    if shapes != expected:
        raise ValueError(f"filepath: {where}: the optimizer state holds {len(arrays)} arrays of shapes {shapes}, "
                         f"the compiled optimizer expects {len(expected)}: {expected}")
    optimizer.build(model.trainable_variables)
    optimizer.iterations = int(np.asarray(arrays[0]))
    optimizer.learning_rate = float(np.asarray(arrays[1]))
    for variable, value in zip(optimizer.variables[2:], arrays[2:]):
        variable.value[...] = value
