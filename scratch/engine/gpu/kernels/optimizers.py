"""Optimizer updates, element-wise over flat buffers, in place.

The rules are Keras 3's, in the same float32 operations and order as
``scratch.optimizers.SGD.update_step`` / ``Adam.update_step`` (``keras/src/optimizers/sgd.py``,
``adam.py``). Element-wise means the buffers can hold ONE variable or ALL of a model's variables
laid end to end: with every weight, gradient and slot in one flat buffer, a whole step's update
is a single launch (``scratch/engine/gpu/trainer.py``).
"""
import math

from numba import cuda


@cuda.jit
def adam(w, g, m, v, alpha, one_minus_beta_1, one_minus_beta_2, epsilon):
    """``m ← m + (g − m)(1 − β₁)``, ``v ← v + (g² − v)(1 − β₂)``, ``w ← w − (m·α)/(√v + ε)``
    with ``α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)``. w, g, m, v: (N,); the rest float32 scalars."""
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        m_i = m[i] + (g[i] - m[i]) * one_minus_beta_1
        v_i = v[i] + (g[i] * g[i] - v[i]) * one_minus_beta_2
        m[i] = m_i
        v[i] = v_i
        w[i] -= (m_i * alpha) / (math.sqrt(v_i) + epsilon)


@cuda.jit
def adam_amsgrad(w, g, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2, epsilon):
    """Adam with AMSGrad: ``v̂ ← max(v̂, v)`` takes ``v``'s place in the step."""
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        m_i = m[i] + (g[i] - m[i]) * one_minus_beta_1
        v_i = v[i] + (g[i] * g[i] - v[i]) * one_minus_beta_2
        m[i] = m_i
        v[i] = v_i
        if v_i > v_hat[i]:
            v_hat[i] = v_i
        w[i] -= (m_i * alpha) / (math.sqrt(v_hat[i]) + epsilon)


@cuda.jit
def sgd(w, g, learning_rate):
    """``w ← w − g·lr``. w, g: (N,)."""
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        w[i] -= g[i] * learning_rate


@cuda.jit
def sgd_momentum(w, g, m, learning_rate, momentum, nesterov):
    """``m ← m·μ − g·lr``; ``w ← w + m``, or with Nesterov ``w ← w + (m·μ − g·lr)``."""
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        m_i = m[i] * momentum - g[i] * learning_rate
        m[i] = m_i
        if nesterov:
            w[i] += m_i * momentum - g[i] * learning_rate
        else:
            w[i] += m_i
