"""The maths of the kit, one function per operation, forward and backward.

- :mod:`scratch.ops.reference`: plain NumPy, the readable textbook version (formula in each
  docstring). Also runs in float64, which the numerical gradient checks use.
- :mod:`scratch.ops.padding`: the spatial arithmetic of convolutions and pooling.

The fast versions (same names, signatures and cache keys) live apart, in ``scratch/engine/``;
:func:`scratch.backend.set_backend` picks which one the layers call.
"""
