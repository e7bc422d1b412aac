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


@pytest.fixture
def force_replicas(monkeypatch):
    """``force_replicas(cores)``: fit/evaluate/predict on the cpu backend then split each batch
    over up to ``cores`` replicas, whatever the model's size and the machine's core count (see
    scratch.engine.data_parallel.replica_count). The floor of samples per replica is not patched:
    it is the module's own ``MIN_SAMPLES_PER_REPLICA`` (8), so only batches of 16+ samples split."""
    from scratch.engine import data_parallel

    def force(cores):
        monkeypatch.setattr(data_parallel, "available_cores", lambda: cores)
        monkeypatch.setattr(data_parallel, "MIN_MULTIPLY_ADDS_PER_SAMPLE", 0)
    return force
