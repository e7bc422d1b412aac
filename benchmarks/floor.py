"""The floor under a training step: its matrix products alone, timed on this machine in the same
run as the stacks, and its arithmetic (FLOP) count.

A dense training step of the seed models is, arithmetic-wise, a handful of matrix products
(a convolution counted in its im2col form, the one every stack could use); everything else a
step does (activations, pooling, the loss, Adam, Python) is cheap in FLOPs but not in time.
So the time of those products, each run hot in a loop at the step's own shapes with NumPy's
OpenBLAS (on all its threads or on one, whichever is faster), is what a step cannot go below
without doing less arithmetic (Winograd does: its figure can beat this floor for the CNN).
``GFLOP/s`` of a stack is the step's FLOPs over its time per step: "x % of the machine"
compares it with the large-product rate measured here too.

Products per step for a batch of B, ``(m, k, n)`` meaning (m, k) @ (k, n); the first layer with
weights needs no input gradient (every stack skips it):

* Dense D→U: forward (B, D, U); kernel gradient (D, B, U); input gradient (B, U, D).
* Conv2D 3x3, C→F channels on H×W ("same"): forward (B·H·W, 9C, F); kernel gradient
  (9C, B·H·W, F); input gradient (B·H·W, F, 9C).

For the MLP a second, higher floor is measured too: **the kit's own kernels alone** — one
training step made of the cpu backend's ops called back to back on fixed arrays (batch gather,
forward, loss, backward, Adam, accuracy; :func:`mlp_kernel_step`), with no layers, model, loss
object, optimizer object or callbacks around them. It is what any Python code built on these
kernels pays a step, so ``fit`` cannot beat it without faster kernels; the gap between it and
``fit``'s step is the framework's own cost.

    python benchmarks/floor.py --model mlp --batch-size 32 [--width 128]
    python benchmarks/floor.py --model mlp --points 32:128 1024:128 32:2048
"""
import argparse
import itertools
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def layer_products(model, batch, width=128):
    """``[(name, m, k, n), ...]``: the matrix products of one training step of the seed
    ``model`` ("mlp" or "cnn", the MLP with ``width`` hidden units) on ``batch`` samples."""
    if model == "mlp":
        dense = [("dense", 784, width), ("dense_1", width, 10)]
        convs = []
    elif model == "cnn":
        convs = [("conv2d", 28, 28, 1, 32), ("conv2d_1", 14, 14, 32, 64)]
        dense = [("dense", 7 * 7 * 64, 100), ("dense_1", 100, 10)]
    else:
        raise ValueError(f"model: expected 'mlp' or 'cnn', received {model!r}")
    products = []
    for i, (name, h, w, c, f) in enumerate(convs):
        rows, depth = batch * h * w, 9 * c
        products += [(f"{name} forward", rows, depth, f), (f"{name} kernel gradient", depth, rows, f)]
        if i > 0:
            products.append((f"{name} input gradient", rows, f, depth))
    for i, (name, d, u) in enumerate(dense):
        products += [(f"{name} forward", batch, d, u), (f"{name} kernel gradient", d, batch, u)]
        if i > 0 or convs:
            products.append((f"{name} input gradient", batch, u, d))
    return products


def step_flops(model, batch, width=128):
    """Floating-point operations of one training step's products (2 per multiply-add)."""
    return sum(2 * m * k * n for _, m, k, n in layer_products(model, batch, width))


def hot_seconds(call, min_seconds=0.2):
    """Seconds of one ``call()``, run hot in a loop: the fastest of 7 rounds of at least
    ``min_seconds / 7`` each (on a shared machine the fastest round is the one least disturbed
    by other work)."""
    call()
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < min_seconds / 7:
        call()
        calls += 1
    rounds = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        rounds.append((time.perf_counter() - start) / calls)
    return min(rounds)


def product_seconds(m, k, n, min_seconds=0.2):
    """Seconds of one float32 (m, k) @ (k, n) product into a reused output array, run hot."""
    rng = np.random.default_rng(0)
    a = rng.random((m, k), dtype=np.float32)
    b = rng.random((k, n), dtype=np.float32)
    out = np.empty((m, n), dtype=np.float32)
    return hot_seconds(lambda: np.dot(a, b, out=out), min_seconds)


def best_product_seconds(m, k, n, min_seconds=0.2):
    """``(seconds, threads)``: the faster of OpenBLAS on all its threads and on one thread."""
    from scratch.engine import openblas
    threads = openblas.get_num_threads()
    figures = {threads: product_seconds(m, k, n, min_seconds)}
    if threads not in (None, 1):
        with openblas.single_threaded():
            figures[1] = product_seconds(m, k, n, min_seconds)
    best = min(figures, key=figures.get)
    return figures[best], best


def mlp_step_kernels(x, y, weights, moments, adam):
    """One training step of the seed MLP (Dense ReLU → Dense softmax, sparse crossentropy from
    the logits, Adam) as the cpu backend's kernels called one after another — what ``fit``
    computes, without the layers, model and objects that organise it. x: (B, 784) float32, y:
    (B,) labels; ``weights`` [kernel_1, bias_1, kernel_2, bias_2] and ``moments`` [(m, v), …]
    updated in place; ``adam``: (alpha, 1 − β₁, 1 − β₂, ε) float32. Returns the batch accuracy."""
    from scratch.engine import cpu
    kernel_1, bias_1, kernel_2, bias_2 = weights
    hidden = cpu.relu_forward(cpu.dense_forward(x, kernel_1, bias_1))
    logits = cpu.dense_forward(hidden, kernel_2, bias_2)
    cpu.softmax_forward(logits)                              # the model's output (y_pred)
    _, grad = cpu.sparse_crossentropy_from_logits(logits, y)
    grad *= np.float32(1 / len(x))                           # d mean loss / d logits
    grad_hidden, grad_kernel_2, grad_bias_2 = cpu.dense_backward(grad, hidden, kernel_2)
    grad_z = cpu.relu_backward(grad_hidden, hidden)
    _, grad_kernel_1, grad_bias_1 = cpu.dense_backward(grad_z, x, kernel_1, compute_grad_x=False)
    for w, g, (m, v) in zip(weights, (grad_kernel_1, grad_bias_1, grad_kernel_2, grad_bias_2), moments):
        cpu.adam_update(w, g, m, v, None, *adam)
    return np.mean(np.argmax(logits, axis=1) == y)


def mlp_kernel_step(batch, width=128, samples=60000):
    """A function that runs :func:`mlp_step_kernels` on the next ``batch`` shuffled rows of a
    float64 (``samples``, 784) array, gathered and cast as ``fit`` does (784 → ``width`` → 10)."""
    from scratch.engine.batches import gather_rows
    rng = np.random.default_rng(0)
    images = rng.random((samples, 784))                       # a tutorial's x / 255.0
    labels = rng.integers(0, 10, samples)
    weights = [(rng.standard_normal((784, width)) * 0.05).astype(np.float32), np.zeros(width, np.float32),
               (rng.standard_normal((width, 10)) * 0.1).astype(np.float32), np.zeros(10, np.float32)]
    moments = [(np.zeros_like(w), np.zeros_like(w)) for w in weights]
    adam = tuple(np.float32(c) for c in (1e-3 * np.sqrt(0.001) / 0.1, 0.1, 0.001, 1e-7))   # step 1's alpha
    order = rng.permutation(samples)                          # one epoch's shuffled order
    starts = itertools.cycle(range(0, samples - batch + 1, batch))

    def step():
        start = next(starts)
        index = order[start:start + batch]
        return mlp_step_kernels(gather_rows(images, index), labels[index], weights, moments, adam)

    return step


def kernel_step_seconds(batch, width=128, min_seconds=0.5):
    """Seconds of :func:`mlp_kernel_step`, run hot with denormals flushed as inside ``fit``."""
    from scratch.engine.denormals import flush_denormals
    step = mlp_kernel_step(batch, width)
    with flush_denormals():
        return hot_seconds(step, min_seconds)


def measure(model, batch, width=128, large_product=True):
    """The floor of one training step: each product's time, their sum and FLOPs, and (unless not
    ``large_product``) the rate of a large (2048³) product for comparison and, for the MLP, the
    step of the kit's kernels alone (``kernel_step_seconds``)."""
    products = []
    for name, m, k, n in layer_products(model, batch, width):
        seconds, threads = best_product_seconds(m, k, n)
        products.append({"name": name, "m": m, "k": k, "n": n, "seconds": seconds, "blas_threads": threads})
    step_seconds = sum(p["seconds"] for p in products)
    flops = step_flops(model, batch, width)
    figures = {"model": model, "batch_size": batch, "width": width, "products": products,
               "step_seconds": step_seconds, "step_flops": flops, "step_gflops_per_second": flops / step_seconds / 1e9}
    if large_product and model == "mlp":
        figures["kernel_step_seconds"] = kernel_step_seconds(batch, width)
    if large_product:
        large, _ = best_product_seconds(2048, 2048, 2048, min_seconds=1.0)
        figures["large_product_gflops_per_second"] = 2 * 2048 ** 3 / large / 1e9
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["mlp", "cnn"], required=True)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--points", nargs="*", default=None,
                        help="batch:width pairs of the MLP instead (one JSON list, no large product)")
    args = parser.parse_args()
    if args.points is not None:
        pairs = [tuple(int(v) for v in text.split(":")) for text in args.points]
        print(json.dumps([measure("mlp", batch, width, large_product=False) for batch, width in pairs]))
    else:
        print(json.dumps(measure(args.model, args.batch_size, args.width)))


if __name__ == "__main__":
    main()
