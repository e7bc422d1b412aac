"""Issue "Drop-in": (1) the exception class of a bad constructor argument, Keras 3.15.1 against
scratch, for every class in ``scratch.layers.__all__`` and the optimizer, loss and callback
constructors; (2) a clear ``AttributeError`` for Keras features the kit leaves out.

Each row: (case, constructor, args, kwargs, Keras's class or None where Keras accepts it, scratch's
class). Where the two differ the row is a deliberate departure, explained in ``DEPARTURES``
(scratch refuses what Keras accepts, or Keras's class is an accident of its code). Scratch keeps
its own message: ``argument: expected ..., received ...``. The scratch side needs no TensorFlow;
``test_keras_raises_the_recorded_class`` re-checks the Keras column when Keras is installed.
"""
import importlib.util
import os
import warnings

import pytest

import scratch

ROWS = [
    ('Dense units float', 'layers.Dense', (2.5,), {}, 'ValueError', 'ValueError'),
    ('Dense units str', 'layers.Dense', ('2',), {}, 'ValueError', 'ValueError'),
    ('Dense units 0', 'layers.Dense', (0,), {}, 'ValueError', 'ValueError'),
    ('Dense units -1', 'layers.Dense', (-1,), {}, 'ValueError', 'ValueError'),
    ('Dense units None', 'layers.Dense', (None,), {}, 'ValueError', 'ValueError'),
    ('Dense activation bad', 'layers.Dense', (2,), {'activation': 'nope'}, 'ValueError', 'ValueError'),
    ('Dense initializer bad', 'layers.Dense', (2,), {'kernel_initializer': 'nope'}, 'ValueError', None),
    ('Dense name int', 'layers.Dense', (2,), {'name': 3}, 'ValueError', 'ValueError'),
    ('Dense unknown kwarg', 'layers.Dense', (2,), {'foo': 1}, 'ValueError', 'ValueError'),
    ('Dropout rate str', 'layers.Dropout', ('0.5',), {}, 'TypeError', 'TypeError'),
    ('Dropout rate 1', 'layers.Dropout', (1.0,), {}, None, 'ValueError'),
    ('Dropout rate -0.1', 'layers.Dropout', (-0.1,), {}, 'ValueError', 'ValueError'),
    ('Dropout rate None', 'layers.Dropout', (None,), {}, 'TypeError', 'TypeError'),
    ('Dropout noise_shape float', 'layers.Dropout', (0.5,), {'noise_shape': (1, 2.5)}, 'ValueError', 'ValueError'),
    ('Dropout noise_shape int', 'layers.Dropout', (0.5,), {'noise_shape': 3}, 'ValueError', 'ValueError'),
    ('Dropout noise_shape 0', 'layers.Dropout', (0.5,), {'noise_shape': (1, 0)}, 'ValueError', 'ValueError'),
    ('Dropout seed str', 'layers.Dropout', (0.5,), {'seed': 'a'}, 'ValueError', 'ValueError'),
    ('Dropout seed -1', 'layers.Dropout', (0.5,), {'seed': -1}, None, 'ValueError'),
    ('Flatten data_format', 'layers.Flatten', (), {'data_format': 'nope'}, 'ValueError', 'ValueError'),
    ('Flatten unknown kwarg', 'layers.Flatten', (), {'foo': 1}, 'ValueError', 'ValueError'),
    ('Activation bad', 'layers.Activation', ('nope',), {}, 'ValueError', 'ValueError'),
    ('Activation int', 'layers.Activation', (3,), {}, 'ValueError', 'ValueError'),
    ('ReLU max_value -1', 'layers.ReLU', (), {'max_value': -1}, 'ValueError', 'ValueError'),
    ('ReLU max_value str', 'layers.ReLU', (), {'max_value': 'a'}, 'TypeError', 'TypeError'),
    ('ReLU negative_slope -1', 'layers.ReLU', (), {'negative_slope': -1}, 'ValueError', 'ValueError'),
    ('ReLU negative_slope str', 'layers.ReLU', (), {'negative_slope': 'a'}, 'TypeError', 'TypeError'),
    ('ReLU threshold -1', 'layers.ReLU', (), {'threshold': -1}, 'ValueError', 'ValueError'),
    ('ReLU threshold None', 'layers.ReLU', (), {'threshold': None}, 'ValueError', 'ValueError'),
    ('Softmax axis str', 'layers.Softmax', (), {'axis': 'a'}, None, 'TypeError'),
    ('Softmax axis float', 'layers.Softmax', (), {'axis': 1.5}, None, 'TypeError'),
    ('Conv2D filters float', 'layers.Conv2D', (2.5, 3), {}, 'ValueError', 'ValueError'),
    ('Conv2D filters 0', 'layers.Conv2D', (0, 3), {}, 'ValueError', 'ValueError'),
    ('Conv2D filters str', 'layers.Conv2D', ('2', 3), {}, 'TypeError', 'TypeError'),
    ('Conv2D kernel_size 0', 'layers.Conv2D', (2, 0), {}, 'ValueError', 'ValueError'),
    ('Conv2D kernel_size float', 'layers.Conv2D', (2, 2.5), {}, 'ValueError', 'ValueError'),
    ('Conv2D kernel_size str', 'layers.Conv2D', (2, '3'), {}, 'ValueError', 'ValueError'),
    ('Conv2D kernel_size 3-tuple', 'layers.Conv2D', (2, (3, 3, 3)), {}, 'ValueError', 'ValueError'),
    ('Conv2D strides 0', 'layers.Conv2D', (2, 3), {'strides': 0}, 'ValueError', 'ValueError'),
    ('Conv2D strides float', 'layers.Conv2D', (2, 3), {'strides': 1.5}, 'ValueError', 'ValueError'),
    ('Conv2D padding bad', 'layers.Conv2D', (2, 3), {'padding': 'nope'}, 'ValueError', 'ValueError'),
    ('Conv2D padding causal', 'layers.Conv2D', (2, 3), {'padding': 'causal'}, 'ValueError', 'ValueError'),
    ('Conv2D data_format bad', 'layers.Conv2D', (2, 3), {'data_format': 'nope'}, 'ValueError', 'ValueError'),
    ('Conv2D dilation 0', 'layers.Conv2D', (2, 3), {'dilation_rate': 0}, 'ValueError', 'ValueError'),
    ('Conv2D groups 0', 'layers.Conv2D', (2, 3), {'groups': 0}, 'ValueError', 'ValueError'),
    ('Conv2D groups 3', 'layers.Conv2D', (2, 3), {'groups': 3}, 'ValueError', 'ValueError'),
    ('Conv2D activation bad', 'layers.Conv2D', (2, 3), {'activation': 'nope'}, 'ValueError', 'ValueError'),
    ('Conv2D initializer bad', 'layers.Conv2D', (2, 3), {'kernel_initializer': 'nope'}, 'ValueError', 'ValueError'),
    ('MaxPooling2D pool_size 0', 'layers.MaxPooling2D', (0,), {}, 'ValueError', 'ValueError'),
    ('MaxPooling2D pool_size float', 'layers.MaxPooling2D', (2.5,), {}, 'ValueError', 'ValueError'),
    ('MaxPooling2D pool_size str', 'layers.MaxPooling2D', ('2',), {}, 'ValueError', 'ValueError'),
    ('MaxPooling2D strides 0', 'layers.MaxPooling2D', (2,), {'strides': 0}, None, 'ValueError'),
    ('MaxPooling2D padding bad', 'layers.MaxPooling2D', (2,), {'padding': 'nope'}, None, 'ValueError'),
    ('MaxPooling2D data_format bad', 'layers.MaxPooling2D', (2,), {'data_format': 'nope'}, 'ValueError', 'ValueError'),
    ('AveragePooling2D pool_size 0', 'layers.AveragePooling2D', (0,), {}, 'ValueError', 'ValueError'),
    ('AveragePooling2D pool_size float', 'layers.AveragePooling2D', (2.5,), {}, 'ValueError', 'ValueError'),
    ('AveragePooling2D padding bad', 'layers.AveragePooling2D', (2,), {'padding': 'nope'}, None, 'ValueError'),
    ('GlobalAveragePooling2D data_format bad', 'layers.GlobalAveragePooling2D', (), {'data_format': 'nope'}, 'ValueError', 'ValueError'),
    ('GlobalMaxPooling2D data_format bad', 'layers.GlobalMaxPooling2D', (), {'data_format': 'nope'}, 'ValueError', 'ValueError'),
    ('GlobalMaxPooling2D keepdims str', 'layers.GlobalMaxPooling2D', (), {'keepdims': 'yes'}, None, 'TypeError'),
    ('Rescaling scale str', 'layers.Rescaling', ('a',), {}, None, 'TypeError'),
    ('Rescaling scale None', 'layers.Rescaling', (None,), {}, None, 'TypeError'),
    ('Rescaling offset str', 'layers.Rescaling', (1.0,), {'offset': 'a'}, None, 'TypeError'),
    ('InputLayer shape float', 'layers.InputLayer', (), {'shape': (2.5,)}, 'ValueError', 'ValueError'),
    ('InputLayer shape 0', 'layers.InputLayer', (), {'shape': (0,)}, None, 'ValueError'),
    ('InputLayer shape str', 'layers.InputLayer', (), {'shape': 'a'}, 'ValueError', 'ValueError'),
    ('InputLayer batch_size float', 'layers.InputLayer', (), {'shape': (2,), 'batch_size': 2.5}, 'ValueError', 'ValueError'),
    ('InputLayer batch_size 0', 'layers.InputLayer', (), {'shape': (2,), 'batch_size': 0}, None, 'ValueError'),
    ('InputLayer dtype bad', 'layers.InputLayer', (), {'shape': (2,), 'dtype': 'nope'}, 'ValueError', 'ValueError'),
    ('InputLayer both shapes', 'layers.InputLayer', (), {'shape': (2,), 'batch_shape': (None, 2)}, 'ValueError', 'ValueError'),
    ('InputLayer unknown kwarg', 'layers.InputLayer', (), {'shape': (2,), 'foo': 1}, None, 'ValueError'),
    ('Input shape float', 'layers.Input', ((2.5,),), {}, 'ValueError', 'ValueError'),
    ('Input shape 0', 'layers.Input', ((0,),), {}, None, 'ValueError'),
    ('Input shape str', 'layers.Input', ('a',), {}, 'ValueError', 'ValueError'),
    ('Input shape None', 'layers.Input', (None,), {}, 'ValueError', 'ValueError'),
    ('Input name int', 'layers.Input', ((2,),), {'name': 3}, 'ValueError', 'ValueError'),
    ('Layer name int', 'layers.Layer', (), {'name': 3}, 'ValueError', 'ValueError'),
    ('Layer unknown kwarg', 'layers.Layer', (), {'foo': 1}, 'ValueError', 'ValueError'),
    ('Layer trainable str', 'layers.Layer', (), {'trainable': 'yes'}, 'ValueError', 'ValueError'),
    ('RandomFlip mode bad', 'layers.RandomFlip', ('nope',), {}, None, 'ValueError'),
    ('RandomFlip mode int', 'layers.RandomFlip', (3,), {}, None, 'ValueError'),
    ('RandomFlip seed str', 'layers.RandomFlip', (), {'seed': 'a'}, 'ValueError', 'ValueError'),
    ('RandomFlip seed -1', 'layers.RandomFlip', (), {'seed': -1}, None, 'ValueError'),
    ('RandomRotation factor str', 'layers.RandomRotation', ('a',), {}, 'ValueError', 'ValueError'),
    ('RandomRotation factor 3-tuple', 'layers.RandomRotation', ((0.1, 0.2, 0.3),), {}, 'ValueError', 'ValueError'),
    ('RandomRotation fill_mode bad', 'layers.RandomRotation', (0.1,), {'fill_mode': 'nope'}, 'NotImplementedError', 'ValueError'),
    ('RandomRotation interpolation bad', 'layers.RandomRotation', (0.1,), {'interpolation': 'nope'}, 'NotImplementedError', 'ValueError'),
    ('RandomRotation fill_value str', 'layers.RandomRotation', (0.1,), {'fill_value': 'a'}, None, 'TypeError'),
    ('RandomRotation data_format bad', 'layers.RandomRotation', (0.1,), {'data_format': 'nope'}, 'ValueError', 'ValueError'),
    ('RandomZoom factor str', 'layers.RandomZoom', ('a',), {}, 'ValueError', 'ValueError'),
    ('RandomZoom factor -2', 'layers.RandomZoom', (-2.0,), {}, 'ValueError', 'ValueError'),
    ('RandomZoom width str', 'layers.RandomZoom', (0.1,), {'width_factor': 'a'}, 'ValueError', 'ValueError'),
    ('RandomZoom fill_mode bad', 'layers.RandomZoom', (0.1,), {'fill_mode': 'nope'}, 'NotImplementedError', 'ValueError'),
    ('RandomTranslation factor str', 'layers.RandomTranslation', ('a', 0.1), {}, 'ValueError', 'ValueError'),
    ('RandomTranslation factor 2', 'layers.RandomTranslation', (2.0, 0.1), {}, 'ValueError', 'ValueError'),
    ('RandomTranslation width 2', 'layers.RandomTranslation', (0.1, 2.0), {}, 'ValueError', 'ValueError'),
    ('RandomTranslation interpolation bad', 'layers.RandomTranslation', (0.1, 0.1), {'interpolation': 'nope'}, 'NotImplementedError', 'ValueError'),
    ('RandomContrast factor str', 'layers.RandomContrast', ('a',), {}, 'ValueError', 'ValueError'),
    ('RandomContrast factor -1', 'layers.RandomContrast', (-1.0,), {}, 'ValueError', 'ValueError'),
    ('RandomContrast factor 2', 'layers.RandomContrast', (2.0,), {}, 'ValueError', 'ValueError'),
    ('RandomContrast value_range str', 'layers.RandomContrast', (0.5,), {'value_range': 'a'}, None, 'TypeError'),
    ('RandomContrast value_range reversed', 'layers.RandomContrast', (0.5,), {'value_range': (255, 0)}, None, 'ValueError'),
    ('SGD learning_rate str', 'optimizers.SGD', (), {'learning_rate': 'a'}, 'ValueError', 'ValueError'),
    ('SGD learning_rate -1', 'optimizers.SGD', (), {'learning_rate': -1.0}, None, 'ValueError'),
    ('SGD momentum str', 'optimizers.SGD', (), {'momentum': 'a'}, 'ValueError', 'ValueError'),
    ('SGD momentum -1', 'optimizers.SGD', (), {'momentum': -1.0}, 'ValueError', 'ValueError'),
    ('SGD momentum 2', 'optimizers.SGD', (), {'momentum': 2.0}, 'ValueError', 'ValueError'),
    ('SGD unknown kwarg', 'optimizers.SGD', (), {'foo': 1}, 'ValueError', 'ValueError'),
    ('Adam learning_rate str', 'optimizers.Adam', (), {'learning_rate': 'a'}, 'ValueError', 'ValueError'),
    ('Adam learning_rate None', 'optimizers.Adam', (), {'learning_rate': None}, 'ValueError', 'ValueError'),
    ('Adam beta_1 2', 'optimizers.Adam', (), {'beta_1': 2.0}, None, 'ValueError'),
    ('Adam beta_1 str', 'optimizers.Adam', (), {'beta_1': 'a'}, None, 'ValueError'),
    ('Adam beta_2 -1', 'optimizers.Adam', (), {'beta_2': -1.0}, None, 'ValueError'),
    ('Adam epsilon -1', 'optimizers.Adam', (), {'epsilon': -1.0}, None, 'ValueError'),
    ('Adam epsilon str', 'optimizers.Adam', (), {'epsilon': 'a'}, None, 'ValueError'),
    ('RMSprop rho 2', 'optimizers.RMSprop', (), {'rho': 2.0}, None, 'ValueError'),
    ('RMSprop rho str', 'optimizers.RMSprop', (), {'rho': 'a'}, None, 'ValueError'),
    ('RMSprop momentum -1', 'optimizers.RMSprop', (), {'momentum': -1.0}, None, 'ValueError'),
    ('RMSprop epsilon str', 'optimizers.RMSprop', (), {'epsilon': 'a'}, None, 'ValueError'),
    ('SparseCCE reduction bad', 'losses.SparseCategoricalCrossentropy', (), {'reduction': 'nope'}, 'ValueError', 'ValueError'),
    ('SparseCCE ignore_class str', 'losses.SparseCategoricalCrossentropy', (), {'ignore_class': 'a'}, None, 'TypeError'),
    ('SparseCCE unknown kwarg', 'losses.SparseCategoricalCrossentropy', (), {'foo': 1}, 'TypeError', 'TypeError'),
    ('CCE reduction bad', 'losses.CategoricalCrossentropy', (), {'reduction': 'nope'}, 'ValueError', 'ValueError'),
    ('CCE label_smoothing str', 'losses.CategoricalCrossentropy', (), {'label_smoothing': 'a'}, None, 'TypeError'),
    ('CCE label_smoothing 2', 'losses.CategoricalCrossentropy', (), {'label_smoothing': 2.0}, None, 'TypeError'),
    ('CCE axis str', 'losses.CategoricalCrossentropy', (), {'axis': 'a'}, None, 'TypeError'),
    ('EarlyStopping patience -1', 'callbacks.EarlyStopping', (), {'patience': -1}, None, 'ValueError'),
    ('EarlyStopping patience float', 'callbacks.EarlyStopping', (), {'patience': 1.5}, None, 'ValueError'),
    ('EarlyStopping patience str', 'callbacks.EarlyStopping', (), {'patience': 'a'}, None, 'ValueError'),
    ('EarlyStopping min_delta str', 'callbacks.EarlyStopping', (), {'min_delta': 'a'}, 'TypeError', 'TypeError'),
    ('EarlyStopping start_from_epoch -1', 'callbacks.EarlyStopping', (), {'start_from_epoch': -1}, None, 'ValueError'),
    ('ModelCheckpoint no suffix', 'callbacks.ModelCheckpoint', ('checkpoint',), {}, 'ValueError', 'ValueError'),
    ('ModelCheckpoint filepath int', 'callbacks.ModelCheckpoint', (3,), {}, 'AttributeError', 'TypeError'),
    ('ModelCheckpoint save_freq bad', 'callbacks.ModelCheckpoint', ('checkpoint.keras',), {'save_freq': 'nope'}, 'ValueError', 'ValueError'),
    ('ModelCheckpoint save_freq 0', 'callbacks.ModelCheckpoint', ('checkpoint.keras',), {'save_freq': 0}, None, 'ValueError'),
    ('ModelCheckpoint weights_only suffix', 'callbacks.ModelCheckpoint', ('checkpoint.keras',), {'save_weights_only': True}, 'ValueError', 'ValueError'),
    ('TerminateOnNaN raise_error str', 'callbacks.TerminateOnNaN', (), {'raise_error': 'yes'}, None, 'TypeError'),
    ('History arg', 'callbacks.History', (1,), {}, 'TypeError', 'TypeError'),
    ('ProgbarLogger arg', 'callbacks.ProgbarLogger', (1, 2, 3), {}, 'TypeError', 'TypeError'),
    ('Callback arg', 'callbacks.Callback', (1,), {}, 'TypeError', 'TypeError'),
]

# Rows where scratch's class differs from Keras's, and why.
DEPARTURES = {
    "RandomRotation fill_mode bad": "Keras raises NotImplementedError for an unknown value; a bad value is a ValueError",
    "RandomRotation interpolation bad": "as above",
    "RandomZoom fill_mode bad": "as above",
    "RandomTranslation interpolation bad": "as above",
    "ModelCheckpoint filepath int": "Keras fails on 'int'.endswith (AttributeError); scratch names the argument",
    "Dense initializer bad": "scratch refuses an unknown initializer when the layer is built (ValueError)",
}
ACCEPTED_BY_KERAS = [row[0] for row in ROWS if row[4] is None]   # scratch stricter: departures too


def _constructor(module, path):
    obj = module
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _outcome(module, path, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _constructor(module, path)(*args, **kwargs)
        except Exception as error:   # noqa: BLE001 - the class is what is compared
            return type(error).__name__, str(error)
    return None, ""


def test_every_layer_class_has_a_row():
    covered = {row[1].split(".", 1)[1] for row in ROWS if row[1].startswith("layers.")}
    assert set(scratch.layers.__all__) <= covered


def test_every_difference_is_a_declared_departure():
    for case, _, _, _, keras_class, scratch_class in ROWS:
        if keras_class is not None and keras_class != scratch_class:
            assert case in DEPARTURES, case


@pytest.mark.parametrize("case, path, args, kwargs, keras_class, scratch_class", ROWS, ids=[r[0] for r in ROWS])
def test_scratch_raises_the_recorded_class(case, path, args, kwargs, keras_class, scratch_class):
    name, message = _outcome(scratch, path, args, kwargs)
    assert name == scratch_class, (case, name, message)


@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="Keras is not installed")
@pytest.mark.parametrize("case, path, args, kwargs, keras_class, scratch_class", ROWS, ids=[r[0] for r in ROWS])
def test_keras_raises_the_recorded_class(case, path, args, kwargs, keras_class, scratch_class):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    name, message = _outcome(keras, path, args, kwargs)
    assert name == keras_class, (case, name, message)


# ----------------------------------------------------------------------------- missing features
@pytest.mark.parametrize("module, name, advice", [
    (scratch, "Model", "use scratch.Sequential"),
    (scratch.layers, "BatchNormalization", "no normalization layer"),
    (scratch.layers, "LSTM", "the layers implemented are"),
    (scratch.layers, "GRU", "Dense"),
    (scratch.layers, "Embedding", "Dense"),
    (scratch.layers, "Conv1D", "Conv2D is the one convolution layer"),
    (scratch.layers, "Conv3D", "Conv2D"),
    (scratch.layers, "LayerNormalization", "no normalization layer"),
    (scratch.layers, "SomethingNew", "the layers implemented are"),
    (scratch.optimizers, "Adagrad", "the optimizers implemented are Adam, RMSprop, SGD"),
    (scratch.optimizers, "AdamW", "use Adam"),
    (scratch.optimizers, "Nadam", "use Adam"),
    (scratch.datasets, "mnist", "Fashion-MNIST loader only"),
    (scratch.datasets, "cifar10", "fashion_mnist.load_data()"),
    (scratch.datasets, "imdb", "Fashion-MNIST"),
    (scratch, "regularizers", "not implemented"),
])
def test_missing_keras_feature_is_a_clear_attribute_error(module, name, advice):
    with pytest.raises(AttributeError) as info:
        getattr(module, name)
    message = str(info.value)
    assert message.startswith(f"{module.__name__}.{name}: scratch is a from-scratch")
    assert "not implemented" in message and advice in message
    assert not hasattr(module, name)


def test_present_names_and_dunders_are_unaffected():
    assert scratch.layers.Dense and scratch.optimizers.Adam and scratch.datasets.fashion_mnist
    assert hasattr(scratch, "Sequential")
    for module in (scratch, scratch.layers, scratch.optimizers, scratch.datasets):
        assert not hasattr(module, "__wrapped__")
        with pytest.raises(AttributeError, match="has no attribute"):
            getattr(module, "__missing_dunder__")


def test_missing_feature_lookup_never_imports_keras():
    import sys
    before = "keras" in sys.modules
    for module, name in ((scratch, "Model"), (scratch.layers, "LSTM"), (scratch.datasets, "mnist")):
        assert not hasattr(module, name)
    assert ("keras" in sys.modules) == before
