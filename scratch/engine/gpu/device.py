"""The GPU's side of the kit in one place: is there a GPU, how arrays travel, how kernels launch.

Numba's CUDA target (``numba.cuda``; the ``numba-cuda`` package on current Numba) compiles the
kernels of ``scratch/engine/gpu/kernels/`` for an NVIDIA GPU. With ``NUMBA_ENABLE_CUDASIM=1``
the same kernels run in Numba's CUDA simulator instead: every CUDA thread is a Python thread on
the CPU, so the GPU code is tested on machines without a GPU (slowly: keep shapes small).

Launch shape. Every element-wise kernel is written as a *grid-stride loop*::

    for i in range(cuda.grid(1), n, cuda.gridsize(1)):   # thread t handles t, t + T, t + 2T, …
        out[i] = …

so it is correct for any number of threads ``T``. On a GPU :func:`grid_1d` starts one thread per
element (up to a cap); in the simulator it starts 2 blocks of 8 threads, because there each
thread costs a Python thread, and a loop iteration costs far less than a thread.

Example::

    >>> from scratch.engine.gpu import device
    >>> blocks, threads = device.grid_1d(1000)
    >>> blocks * threads >= 1 and threads >= 1
    True
"""
import numpy as np
from numba import config, cuda

SIMULATOR = bool(config.ENABLE_CUDASIM)
if SIMULATOR:
    from numba.cuda.simulator.cudadrv.devicearray import is_cuda_ndarray
else:
    from numba.cuda.cudadrv.devicearray import is_cuda_ndarray

THREADS_PER_BLOCK = 8 if SIMULATOR else 256
MAX_BLOCKS = 2 if SIMULATOR else 4096   # a grid-stride loop covers the rest


def missing_cuda_reason():
    """``None`` when kernels can run (a CUDA GPU, or the simulator); otherwise a sentence saying
    what is missing, for :func:`require_cuda`'s error."""
    if SIMULATOR:
        return None
    try:
        if cuda.is_available():
            return None
    except Exception as error:   # a broken driver install raises instead of answering False
        return f"numba.cuda could not talk to a CUDA driver ({type(error).__name__}: {error})"
    from numba.cuda.cudadrv import driver
    detail = str(getattr(driver.driver, "initialization_error", "") or "").strip()
    return ("no CUDA GPU is usable: numba.cuda.is_available() is False"
            + (f" ({' '.join(detail.split())})" if detail else " (no CUDA driver or no NVIDIA GPU found)"))


def require_cuda():
    """Raise ``RuntimeError`` naming what is missing when kernels cannot run."""
    reason = missing_cuda_reason()
    if reason is not None:
        raise RuntimeError(
            f"backend 'gpu': {reason}. The gpu backend needs an NVIDIA GPU with its CUDA driver and "
            "Numba's CUDA target (pip install -e '.[gpu]', which installs numba-cuda); without a GPU, "
            "NUMBA_ENABLE_CUDASIM=1 runs its kernels in Numba's CUDA simulator (slow, for tests).")


def grid_1d(n):
    """``(blocks, threads_per_block)`` for a grid-stride loop over ``n`` items."""
    blocks = max(1, min(MAX_BLOCKS, (n + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK))
    return blocks, THREADS_PER_BLOCK


launches = 0   # kernels launched through launch()/launch_grid() so far: read differences of it


def launch(kernel, n, *args):
    """``kernel[grid_1d(n)](*args)``: a grid-stride kernel over ``n`` items, counted in ``launches``."""
    global launches
    launches += 1
    blocks, threads = grid_1d(n)
    kernel[blocks, threads](*args)


def launch_grid(kernel, grid, block, *args):
    """``kernel[grid, block](*args)`` with an explicit 2-D grid and block, counted in ``launches``."""
    global launches
    launches += 1
    kernel[grid, block](*args)


# ----------------------------------------------------------------------------- arrays
def is_device_array(a):
    """True for a Numba CUDA device array (or the simulator's stand-in for one)."""
    return is_cuda_ndarray(a)


def to_device(a, dtype=np.float32):
    """A device array: ``a`` itself when it is one already, else a contiguous copy of the NumPy
    array ``a`` as ``dtype`` (float32: the gpu backend computes in float32, as Keras)."""
    if is_device_array(a):
        return a
    return cuda.to_device(np.ascontiguousarray(a, dtype=dtype))


def empty(shape, dtype=np.float32):
    """An uninitialised device array."""
    return cuda.device_array(shape, dtype=dtype)


def zeros(shape, dtype=np.float32):
    """A device array of zeros (copied from the host: one transfer, fine off the hot path)."""
    return cuda.to_device(np.zeros(shape, dtype=dtype))


def to_host(a):
    """A NumPy array: the copy back of device array ``a`` (``a`` itself if it is on the host)."""
    return a.copy_to_host() if is_device_array(a) else a


def returned(a, on_device):
    """An op's result as its caller handed the inputs: the device array when ``on_device``, else
    a NumPy copy (``None`` stays ``None``)."""
    if a is None or on_device:
        return a
    return to_host(a)
