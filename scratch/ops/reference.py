"""Reference ops: plain NumPy, written to be read.

Every function is pure (arrays in, arrays out, no hidden state) and keeps the dtype of its
inputs, so the same code runs in float32 (like Keras) and in float64 (for gradient checks).
Shapes: ``B`` batch, ``D`` input features, ``U`` units, ``C`` classes.
"""
import numpy as np

EPSILON = 1e-7  # keras.config.epsilon(), used by crossentropy clipping


# ----------------------------------------------------------------------------- Dense
def dense_forward(x, kernel, bias):
    """Fully connected layer: ``y = x @ kernel + bias``.

    x: (B, D), kernel: (D, U), bias: (U,) or None -> y: (B, U).

    >>> dense_forward(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4)).shape
    (2, 4)
    """
    y = x @ kernel
    if bias is not None:
        y = y + bias
    return y


def dense_backward(grad_y, x, kernel, use_bias=True):
    """Gradients of ``y = x @ kernel + bias``.

    ``dx = dy @ kernelᵀ``, ``dkernel = xᵀ @ dy``, ``dbias = Σ_batch dy``.
    grad_y: (B, U), x: (B, D), kernel: (D, U) -> (dx (B, D), dkernel (D, U), dbias (U,) or None).
    """
    grad_x = grad_y @ kernel.T
    grad_kernel = x.T @ grad_y
    grad_bias = grad_y.sum(axis=0) if use_bias else None
    return grad_x, grad_kernel, grad_bias


# ----------------------------------------------------------------------------- activations
def relu_forward(x):
    """``relu(x) = max(x, 0)``. Any shape."""
    return np.maximum(x, 0)


def relu_backward(grad_y, x):
    """``dx = dy · [x > 0]`` (the gradient at exactly 0 is 0, as TensorFlow's ReluGrad)."""
    return grad_y * (x > 0)


def softmax_forward(z, axis=-1):
    """``softmax(z)_j = exp(z_j − max z) / Σ_k exp(z_k − max z)`` along ``axis``. Any shape."""
    shifted = z - z.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(grad_p, p, axis=-1):
    """Jacobian-vector product of softmax: ``dz = p · (dp − Σ_j dp_j p_j)``."""
    return p * (grad_p - (grad_p * p).sum(axis=axis, keepdims=True))


def linear_forward(x):
    """The identity activation (Keras's ``"linear"``)."""
    return x


def linear_backward(grad_y, x):
    """Gradient of the identity."""
    return grad_y


# ----------------------------------------------------------------------------- losses
def sparse_crossentropy_from_logits(logits, labels):
    """Per-sample sparse crossentropy on logits and its gradient (no clipping).

    ``ℓ_i = logsumexp(z_i) − z_i[y_i]``, ``∂ℓ_i/∂z_i = softmax(z_i) − onehot(y_i)``.
    logits: (B, C) float, labels: (B,) int -> (loss (B,), grad_logits (B, C)).
    """
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=-1, keepdims=True)
    rows = np.arange(len(labels))
    loss = np.log(sum_exp[:, 0]) - shifted[rows, labels]
    grad = exp / sum_exp
    grad[rows, labels] -= 1
    return loss, grad


def sparse_crossentropy_from_probs(probs, labels, epsilon=EPSILON):
    """Per-sample sparse crossentropy on probabilities, as the TensorFlow backend computes it.

    ``q = clip(p, ε, 1 − ε)``, ``ℓ_i = −log q_i[y_i] + log Σ_j q_ij`` (the log-probabilities go
    through a softmax-with-logits, which renormalises). Gradient
    ``∂ℓ/∂p_j = [ε ≤ p_j ≤ 1 − ε] · (1/Σq − [j = y]/q_y)`` (zero where clipping is active).
    probs: (B, C), labels: (B,) int -> (loss (B,), grad_probs (B, C)).
    """
    dtype = probs.dtype.type
    low, high = dtype(epsilon), dtype(1) - dtype(epsilon)
    q = np.clip(probs, low, high)
    rows = np.arange(len(labels))
    sum_q = q.sum(axis=-1, keepdims=True)
    loss = np.log(sum_q[:, 0]) - np.log(q[rows, labels])
    grad = np.broadcast_to(1 / sum_q, q.shape).copy()
    grad[rows, labels] -= 1 / q[rows, labels]
    grad *= (probs >= low) & (probs <= high)
    return loss, grad


def categorical_crossentropy_from_logits(logits, targets):
    """Per-sample categorical crossentropy on logits (no clipping).

    ``ℓ_i = −Σ_j Y_ij (z_ij − logsumexp(z_i))``, ``∂ℓ_i/∂z_i = softmax(z_i)·Σ_j Y_ij − Y_i``.
    logits, targets: (B, C) -> (loss (B,), grad_logits (B, C)).
    """
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=-1, keepdims=True)
    log_probs = shifted - np.log(sum_exp)
    loss = -(targets * log_probs).sum(axis=-1)
    grad = exp / sum_exp * targets.sum(axis=-1, keepdims=True) - targets
    return loss, grad


def categorical_crossentropy_from_probs(probs, targets, epsilon=EPSILON):
    """Per-sample categorical crossentropy on probabilities, as Keras computes it.

    ``r = p / Σp`` (renormalise), ``q = clip(r, ε, 1 − ε)``, ``ℓ = −Σ_j Y_j log q_j``.
    Gradient: ``a_j = −[ε ≤ r_j ≤ 1 − ε]·Y_j/q_j``, ``∂ℓ/∂p_k = a_k/s − (Σ_j a_j r_j)/s`` with ``s = Σp``.
    probs, targets: (B, C) -> (loss (B,), grad_probs (B, C)).
    """
    dtype = probs.dtype.type
    low, high = dtype(epsilon), dtype(1) - dtype(epsilon)
    s = probs.sum(axis=-1, keepdims=True)
    r = probs / s
    q = np.clip(r, low, high)
    loss = -(targets * np.log(q)).sum(axis=-1)
    a = -targets / q * ((r >= low) & (r <= high))
    grad = a / s - (a * r).sum(axis=-1, keepdims=True) / s
    return loss, grad


# ----------------------------------------------------------------------------- optimizers
def sgd_update(variable, grad, learning_rate):
    """Plain SGD, in place: ``w ← w − g·lr``."""
    variable -= grad * learning_rate


def sgd_momentum_update(variable, grad, momentum_slot, learning_rate, momentum, nesterov):
    """SGD with momentum, in place (Keras 3 order of operations):

    ``m ← m·μ − g·lr``; plain: ``w ← w + m``; Nesterov: ``w ← w + (m·μ − g·lr)`` (new ``m``).
    """
    momentum_slot[...] = momentum_slot * momentum - grad * learning_rate
    if nesterov:
        variable += momentum_slot * momentum - grad * learning_rate
    else:
        variable += momentum_slot


def adam_update(variable, grad, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2, epsilon):
    """One Adam step, in place, in Keras 3's exact form (ε on the raw second moment):

    ``m ← m + (g − m)(1 − β₁)``, ``v ← v + (g² − v)(1 − β₂)``,
    AMSGrad: ``v̂ ← max(v̂, v)`` and ``v̂`` replaces ``v`` below,
    ``w ← w − (m·α) / (√v + ε)`` with ``α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)``.
    The caller computes ``α`` and the constants ``1 − β`` (in float64, then rounded to the
    variable's dtype, as Keras does). ``v_hat`` is None without AMSGrad.
    """
    m += (grad - m) * one_minus_beta_1
    v += (np.square(grad) - v) * one_minus_beta_2
    if v_hat is not None:
        np.maximum(v_hat, v, out=v_hat)
        v = v_hat
    variable -= (m * alpha) / (np.sqrt(v) + epsilon)
