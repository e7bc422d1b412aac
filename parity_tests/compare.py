"""The one comparison helper of the parity suite: shape, dtype and values under named tolerances."""
import numpy as np


def assert_close(ours, theirs, atol, rtol=0.0, what="values", check_dtype=False):
    """Assert ``ours`` matches ``theirs`` (shape, optionally dtype, then ``|a − b| ≤ atol + rtol·|b|``)."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != {theirs.shape}"
    if check_dtype:
        assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} != {theirs.dtype}"
    diff = np.abs(ours.astype(np.float64) - theirs.astype(np.float64))
    limit = atol + rtol * np.abs(theirs.astype(np.float64))
    worst = float(diff.max(initial=0.0))
    assert np.all(diff <= limit), f"{what}: max |difference| {worst:.3g} exceeds atol={atol}, rtol={rtol}"
