"""Selecting the gpu backend: ``set_backend("gpu")`` and ``SCRATCH_BACKEND``, and the clear
error where there is no GPU. The no-GPU cases run in fresh interpreters without the simulator
and with every GPU hidden (``CUDA_VISIBLE_DEVICES=""``), so they hold on a GPU machine too.
"""
import os
import subprocess
import sys

import pytest

from scratch import backend

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_python(code, **environment):
    """Run ``code`` in a fresh interpreter without a usable GPU (no simulator, no visible device)."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("NUMBA_ENABLE_CUDASIM", "SCRATCH_BACKEND")}
    env["CUDA_VISIBLE_DEVICES"] = ""
    env.update(environment)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT,
                          env=env, timeout=120)


def test_without_a_gpu_set_backend_says_what_is_missing_and_changes_nothing():
    done = run_python(
        "import scratch\n"
        "from scratch import backend\n"
        "backend.set_backend('reference')\n"
        "try:\n"
        "    backend.set_backend('gpu')\n"
        "except RuntimeError as error:\n"
        "    print('ERROR', error)\n"
        "print('STILL', backend.get_backend(), backend.ops.__name__)\n")
    assert done.returncode == 0, done.stderr
    error = done.stdout.split("ERROR ", 1)[1]
    assert "backend 'gpu': no CUDA GPU is usable" in error and "numba-cuda" in error, error
    assert "NUMBA_ENABLE_CUDASIM=1" in error, error
    assert "STILL reference scratch.ops.reference" in done.stdout


def test_without_a_gpu_the_cpu_backend_trains_and_numba_cuda_is_never_imported():
    done = run_python(
        "import sys, numpy as np, scratch\n"
        "model = scratch.Sequential([scratch.layers.Dense(2, activation='softmax', input_shape=(3,))])\n"
        "model.compile('sgd', 'sparse_categorical_crossentropy')\n"
        "model.fit(np.ones((4, 3), np.float32), np.array([0, 1, 1, 0]), verbose=0)\n"
        "print(scratch.backend.get_backend(), 'numba.cuda' in sys.modules)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["cpu", "False"]


@pytest.mark.parametrize("name, ops_module", [("reference", "scratch.ops.reference"), ("cpu", "scratch.engine.cpu")])
def test_scratch_backend_variable_picks_the_starting_backend(name, ops_module):
    done = run_python("import scratch; print(scratch.backend.get_backend(), scratch.backend.ops.__name__)",
                      SCRATCH_BACKEND=name)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [name, ops_module]


def test_scratch_backend_variable_selects_the_gpu_in_the_simulator():
    done = run_python("import scratch; print(scratch.backend.get_backend(), scratch.backend.ops.__name__)",
                      SCRATCH_BACKEND="gpu", NUMBA_ENABLE_CUDASIM="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["gpu", "scratch.engine.gpu.ops"]


@pytest.mark.parametrize("value, error", [("tpu", "ValueError: SCRATCH_BACKEND: expected one of ['reference', "
                                                   "'cpu', 'gpu'], received 'tpu'"),
                                          ("gpu", "RuntimeError: backend 'gpu': ")])
def test_a_bad_scratch_backend_fails_the_import_with_its_reason(value, error):
    done = run_python("import scratch", SCRATCH_BACKEND=value)
    assert done.returncode != 0
    assert error in done.stderr, done.stderr[-1500:]


def test_an_unknown_backend_name_is_refused_before_anything_changes():
    with pytest.raises(ValueError, match=r"backend: expected one of \['reference', 'cpu', 'gpu'\], received 'tpu'"):
        backend.set_backend("tpu")
    assert backend.get_backend() == "gpu"
