"""The gpu backend: the ops of ``scratch/ops/reference.py`` as CUDA kernels written in Python with
Numba (read ``README.md`` beside this file). ``scratch.backend.set_backend("gpu")`` selects
:mod:`scratch.engine.gpu.ops`; ``device.py`` says whether a GPU (or Numba's CUDA simulator) is
there and launches the kernels of ``kernels/``. Nothing here is imported until the gpu backend
is selected, so ``import scratch`` never loads ``numba.cuda``."""
