"""``fit``, ``evaluate`` and ``predict`` take extra memory in proportion to a batch, not to the
data: no float32 copy of a uint8 input, no full-size mask of its values. The truth is the size
such a copy would have; the measure is NumPy's allocations seen by ``tracemalloc`` during the
call. (benchmarks/memory.py measures the process's peak memory on up to 600,000 images.)"""
import tracemalloc

import numpy as np
import pytest

import scratch
from scratch import data_checks, layers

SAMPLES = 20_000


def uint8_images(n=SAMPLES, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=n)


def small_mlp():
    model = scratch.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(16, activation="relu"),
                                layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def peak_bytes(call):
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("call", ["predict", "evaluate", "fit"])
def test_extra_memory_is_far_below_a_float32_copy_of_the_data(call):
    x, y = uint8_images()
    model = small_mlp()
    model.predict(x[:64], verbose=0)                     # built, kernels compiled
    float32_copy = x.size * 4                            # 62.7 MB: what a whole-data cast would take
    runs = {"predict": lambda: model.predict(x, batch_size=256, verbose=0),
            "evaluate": lambda: model.evaluate(x, y, batch_size=256, verbose=0),
            "fit": lambda: model.fit(x, y, batch_size=256, epochs=1, verbose=0)}
    peak = peak_bytes(runs[call])
    # predict's own output is (N, 10) float32, kept per batch and joined: 2 x 0.8 MB
    assert peak < float32_copy / 10, f"{call} allocated {peak / 2**20:.1f} MiB at its peak"


def test_the_chunked_checks_see_every_chunk():
    """A NaN or an overflowing value in the very last sample is still found (the checks walk
    the data a chunk at a time), and the message counts every bad value."""
    x = np.zeros((3 * data_checks.CHECK_CHUNK_VALUES // 784 + 5, 784), dtype=np.float64)
    x[-1, -1], x[-2, 0] = np.nan, np.inf
    with pytest.raises(ValueError, match="found 2 non-finite values"):
        data_checks.as_inputs(x, None)
    x[-1, -1] = x[-2, 0] = 0
    x[-1, 3], x[0, 0] = -1e39, 5e38
    with pytest.raises(ValueError, match=r"received 2 finite values that overflow float32 when cast \(the largest: -1e\+39\)"):
        data_checks.as_inputs(x, None)


def test_batches_are_float32_and_equal_to_a_whole_cast():
    """Casting per batch gives the numbers the old whole-array cast gave: predict on float64 and
    on uint8 inputs equals predict on their float32 cast, bit for bit."""
    x, _ = uint8_images(300)
    model = small_mlp()
    expected = model.predict(x.astype(np.float32), verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
    scaled = x / 255.0                                   # float64, as tutorials write it
    np.testing.assert_array_equal(model.predict(scaled, verbose=0),
                                  model.predict(scaled.astype(np.float32), verbose=0))
