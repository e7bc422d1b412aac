"""The maths of the kit, one function per operation, forward and backward.

- :mod:`scratch.ops.reference`: plain NumPy, the readable textbook version (formula in each
  docstring). Also runs in float64, which the numerical gradient checks use.
- :mod:`scratch.ops.cpu`: the fast path (same names and signatures), proven against the reference.

Pick one with :func:`scratch.backend.set_backend`.
"""
