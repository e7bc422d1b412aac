"""scratch: a from-scratch deep-learning kit (NumPy + Numba) with a Keras-shaped API."""
from scratch import backend
from scratch.backend import set_random_seed

__all__ = ["backend", "set_random_seed"]
