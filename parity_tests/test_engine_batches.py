"""The cpu engine's one-pass batch gathering (scratch.engine.batches.gather_rows) against NumPy's
two passes, ``np.asarray(x[index], float32)``: the values must be identical, bit for bit, for
every dtype and layout fit may be handed (the fast path and the fallbacks alike), and a shuffled
fit must deal exactly the batches NumPy's gather deals."""
import numpy as np
import pytest

import scratch
from scratch import model as model_module
from scratch.engine.batches import gather_rows


def numpy_gather(x, index):
    """The readable twin: gather, then cast."""
    return np.asarray(x[index], dtype=np.float32)


def cases():
    rng = np.random.default_rng(3)
    images = rng.random((50, 7, 5))
    yield "float64 images", images
    yield "float64 with values float32 must round", images * (1 + 1e-9) + 1e-12
    yield "float32", images.astype(np.float32)
    yield "uint8", rng.integers(0, 256, (50, 7, 5), dtype=np.uint8)
    yield "rank 1", rng.random(50)
    yield "rank 4", rng.random((50, 3, 4, 2))
    yield "int64 (fallback)", rng.integers(-1000, 1000, (50, 6))
    yield "bool (fallback)", rng.random((50, 6)) > 0.5
    yield "not contiguous (fallback)", images[:, ::2, :]
    yield "Fortran order (fallback)", np.asfortranarray(images)
    yield "float16 (fallback)", images.astype(np.float16)
    yield "huge and tiny float64", np.array([[1e300, -1e-300, np.inf, -np.inf, np.nan, 3.4e38]] * 50)


@pytest.mark.parametrize("name,x", list(cases()), ids=[name for name, _ in cases()])
def test_gather_rows_equals_numpy(name, x):
    rng = np.random.default_rng(0)
    for index in (rng.permutation(len(x))[:32], np.array([49, 0, 0, 7]), rng.permutation(len(x))[:1]):
        ours, theirs = gather_rows(x, index), numpy_gather(x, index)
        assert ours.dtype == np.float32 and ours.shape == theirs.shape, name
        np.testing.assert_array_equal(ours, theirs, err_msg=name)
        assert ours.flags.c_contiguous or not x.flags.c_contiguous   # NumPy's layout in the fallback


def test_gather_rows_empty_cases():
    x = np.zeros((5, 0))
    assert gather_rows(x, np.array([1, 2])).shape == (2, 0)
    assert gather_rows(np.ones((5, 3)), np.array([], dtype=np.int64)).shape == (0, 3)


def test_shuffled_batches_equal_numpy_gather():
    """fit's batches (scratch.model._batches, shuffled) are the rows NumPy's gather would give."""
    x = np.random.default_rng(1).random((70, 4, 3))
    y = np.arange(70)
    scratch.set_random_seed(5)
    batches = list(model_module._batches(x, y, 32, shuffle=True))
    assert [len(b[0]) for b in batches] == [32, 32, 6]
    for x_batch, y_batch in batches:
        np.testing.assert_array_equal(x_batch, numpy_gather(x, y_batch))
