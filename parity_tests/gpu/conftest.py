"""The GPU section of the parity suite: the gpu backend (``scratch/engine/gpu/``) against the
reference ops and the cpu backend.

It runs only when named on the command line, in its own pytest invocation, so the main run
keeps real Numba and its speed::

    NUMBA_ENABLE_CUDASIM=1 python -m pytest -q parity_tests/gpu     # no GPU: Numba's CUDA simulator
    python -m pytest -q parity_tests/gpu                            # on a machine with an NVIDIA GPU

``make test`` runs both invocations. A plain ``pytest`` leaves this folder out (it is not
collected: no test here is reported as passed or skipped). Named without a GPU and without the
simulator, every test fails with the backend's error saying what is missing.
"""
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _named_on_command_line(config):
    """True when an argument of this pytest run is this folder or a file inside it."""
    for arg in config.args:
        path = os.path.abspath(os.path.join(config.invocation_params.dir, arg.split("::")[0]))
        if path == HERE or path.startswith(HERE + os.sep):
            return True
    return False


def pytest_ignore_collect(collection_path, config):
    if str(collection_path).startswith(HERE + os.sep) and not _named_on_command_line(config):
        return True
    return None


@pytest.fixture(autouse=True)
def gpu_backend():
    """Every test starts on the gpu backend (the suite's own fixture restores the backend after)."""
    from scratch import backend

    backend.set_backend("gpu")
    yield
