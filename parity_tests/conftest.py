"""Shared pytest setup: fixed terminal width (summary tables) and a clean seed per test."""
import os

import numpy as np
import pytest

os.environ.setdefault("COLUMNS", "80")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def _seed_and_backend():
    import scratch
    from scratch import backend

    scratch.set_random_seed(1234)
    before = backend.get_backend()
    yield
    backend.set_backend(before)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
