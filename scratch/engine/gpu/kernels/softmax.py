"""Softmax and the crossentropies, fused: one thread per row does the whole row in registers.

A row of class scores is short (10 classes for the tutorials), so each thread owns one row
(one sample) and makes three passes over it — the maximum, the exponentials and their sum, the
outputs — instead of one kernel launch per NumPy step. The crossentropy kernels compute the
loss AND its gradient in the same pass, as ``scratch.ops.reference`` defines them (read the
formulas there; the comments here only map them onto the loops).

Softmax works along any axis: the ops view a C-contiguous array as ``(outer, n, inner)`` with
the softmax axis in the middle, and thread ``r`` takes the row ``(r // inner, :, r % inner)``.

Every row's maximum (subtracted before ``exp``, so no exponential overflows) is :func:`_row_max`,
written as ``if v > m: m = v``: Numba 0.68's built-in CUDA target refuses Python's ``max(a, b)``
inside a kernel. A kernel hands it one row as a view (``z[o, :, q]``, ``logits[b]``): no copy.
"""
import math

from numba import cuda, float32


@cuda.jit(device=True)
def _clip(v, low, high):
    """``v`` clipped to [low, high] (the reference's ``np.clip``)."""
    if v < low:
        return low
    if v > high:
        return high
    return v


@cuda.jit(device=True)
def _row_max(row):
    """``max_j row[j]``: the largest score of one row. row: (n,), n ≥ 1 (a view into a kernel's array)."""
    best = row[0]
    for j in range(1, row.shape[0]):
        if row[j] > best:
            best = row[j]
    return best


@cuda.jit
def softmax_forward(z, p):
    """``p = exp(z − max z) / Σ exp(z − max z)`` along axis 1. z, p: (outer, n, inner)."""
    outer, n, inner = z.shape
    for r in range(cuda.grid(1), outer * inner, cuda.gridsize(1)):
        o, q = r // inner, r % inner
        row_max = _row_max(z[o, :, q])
        total = float32(0)
        for j in range(n):
            p[o, j, q] = math.exp(z[o, j, q] - row_max)
            total += p[o, j, q]
        for j in range(n):
            p[o, j, q] = p[o, j, q] / total


@cuda.jit
def softmax_backward(grad_p, p, grad_z):
    """``dz = p · (dp − Σ_j dp_j p_j)`` along axis 1. (outer, n, inner) each."""
    outer, n, inner = p.shape
    for r in range(cuda.grid(1), outer * inner, cuda.gridsize(1)):
        o, q = r // inner, r % inner
        dot = float32(0)
        for j in range(n):
            dot += grad_p[o, j, q] * p[o, j, q]
        for j in range(n):
            grad_z[o, j, q] = p[o, j, q] * (grad_p[o, j, q] - dot)


@cuda.jit
def sparse_crossentropy_from_logits(logits, labels, loss, grad):
    """``ℓ = logsumexp(z) − z[y]``, ``dz = softmax(z) − onehot(y)``.
    logits, grad: (B, C); labels: (B,) int; loss: (B,)."""
    batch, classes = logits.shape
    for b in range(cuda.grid(1), batch, cuda.gridsize(1)):
        row_max = _row_max(logits[b])
        total = float32(0)
        for j in range(classes):
            grad[b, j] = math.exp(logits[b, j] - row_max)
            total += grad[b, j]
        y = labels[b]
        loss[b] = math.log(total) - (logits[b, y] - row_max)
        for j in range(classes):
            grad[b, j] = grad[b, j] / total
        grad[b, y] -= float32(1)


@cuda.jit
def sparse_crossentropy_from_probs(probs, labels, epsilon, loss, grad):
    """``q = clip(p, ε, 1 − ε)``, ``ℓ = log Σq − log q[y]``,
    ``dp_j = [ε ≤ p_j ≤ 1 − ε]·(1/Σq − [j = y]/q[y])``. probs, grad: (B, C); labels, loss: (B,)."""
    batch, classes = probs.shape
    low, high = epsilon, float32(1) - epsilon
    for b in range(cuda.grid(1), batch, cuda.gridsize(1)):
        total = float32(0)
        for j in range(classes):
            total += _clip(probs[b, j], low, high)
        y = labels[b]
        q_y = _clip(probs[b, y], low, high)
        loss[b] = math.log(total) - math.log(q_y)
        for j in range(classes):
            g = float32(1) / total
            if j == y:
                g -= float32(1) / q_y
            grad[b, j] = g if low <= probs[b, j] <= high else float32(0)


@cuda.jit
def categorical_crossentropy_from_logits(logits, targets, loss, grad):
    """``ℓ = −Σ_j Y_j (z_j − logsumexp(z))``, ``dz = softmax(z)·Σ_j Y_j − Y``. (B, C) each; loss (B,)."""
    batch, classes = logits.shape
    for b in range(cuda.grid(1), batch, cuda.gridsize(1)):
        row_max = _row_max(logits[b])
        total = float32(0)
        target_sum = float32(0)
        for j in range(classes):
            grad[b, j] = math.exp(logits[b, j] - row_max)
            total += grad[b, j]
            target_sum += targets[b, j]
        log_total = math.log(total)
        acc = float32(0)
        for j in range(classes):
            acc -= targets[b, j] * (logits[b, j] - row_max - log_total)
            grad[b, j] = grad[b, j] / total * target_sum - targets[b, j]
        loss[b] = acc


@cuda.jit
def categorical_crossentropy_from_probs(probs, targets, epsilon, loss, grad):
    """``s = Σp``, ``r = p/s``, ``q = clip(r, ε, 1 − ε)``, ``ℓ = −Σ Y log q``;
    ``a_j = −[ε ≤ r_j ≤ 1 − ε]·Y_j/q_j``, ``dp_k = a_k/s − (Σ_j a_j r_j)/s``. (B, C) each; loss (B,)."""
    batch, classes = probs.shape
    low, high = epsilon, float32(1) - epsilon
    for b in range(cuda.grid(1), batch, cuda.gridsize(1)):
        s = float32(0)
        for j in range(classes):
            s += probs[b, j]
        acc = float32(0)
        a_dot_r = float32(0)
        for j in range(classes):
            r = probs[b, j] / s
            q = _clip(r, low, high)
            acc -= targets[b, j] * math.log(q)
            a = -targets[b, j] / q if low <= r <= high else float32(0)
            grad[b, j] = a                       # a_j for now; scaled below
            a_dot_r += a * r
        loss[b] = acc
        for j in range(classes):
            grad[b, j] = grad[b, j] / s - a_dot_r / s
