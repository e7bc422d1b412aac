"""flush_denormals: float results below float32's smallest normal number become 0 inside the
block — in NumPy's own loops and in OpenBLAS's worker threads — and the old mode comes back after."""
import platform

import numpy as np
import pytest

from scratch.engine.denormals import flush_denormals, get_mxcsr

pytestmark = pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                                reason="flush-to-zero is set through the x86 MXCSR register")
TINY = np.float32(1e-20)  # TINY² = 1e-40 is denormal in float32


def test_elementwise_and_matrix_products_flush_inside_and_not_after():
    a = np.full((256, 256), TINY, np.float32)  # big enough for OpenBLAS to use its threads
    assert np.multiply(TINY, TINY) > 0 and (a @ a).min() > 0
    before = get_mxcsr()
    with flush_denormals():
        assert np.multiply(TINY, TINY) == 0
        assert np.all(a @ a == 0)
    assert get_mxcsr() & 0x8040 == before & 0x8040
    assert np.multiply(TINY, TINY) > 0 and (a @ a).min() > 0


def test_mode_is_restored_after_an_exception():
    before = get_mxcsr() & 0x8040
    with pytest.raises(RuntimeError):
        with flush_denormals():
            raise RuntimeError("boom")
    assert get_mxcsr() & 0x8040 == before
