"""Speed-only changes inside the cpu engine's ops, each against an independent truth: the Dense
forward's in-place bias add against the reference, bit for bit and dtype for dtype (the batch
gathering has its own file, test_engine_batches.py)."""
import numpy as np
import pytest

from scratch.engine import cpu
from scratch.ops import reference


@pytest.mark.parametrize("x_dtype, bias_dtype", [(np.float32, np.float32), (np.float64, np.float64),
                                                 (np.float32, np.float64), (np.float64, np.float32)])
def test_dense_forward_in_place_bias_keeps_the_reference_values_and_dtype(x_dtype, bias_dtype):
    rng = np.random.default_rng(2)
    x, kernel = rng.standard_normal((5, 7)).astype(x_dtype), rng.standard_normal((7, 3)).astype(x_dtype)
    bias = rng.standard_normal(3).astype(bias_dtype)
    ours, theirs = cpu.dense_forward(x, kernel, bias), reference.dense_forward(x, kernel, bias)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
