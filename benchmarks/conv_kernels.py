"""Micro-benchmark behind the choice of Conv2D / MaxPooling2D kernels in scratch/engine/cpu.py.

Times, in ms per batch of 32, the seed CNN's conv and pool layers, forward and backward, for
several candidate implementations and for TensorFlow (tf.nn.conv2d / max_pool2d under a
GradientTape, inside a tf.function, as Keras runs them):

    conv1  (32, 28, 28, 1)  -> 32 filters 3x3 same   (backward without grad_x: first layer)
    conv2  (32, 14, 14, 32) -> 64 filters 3x3 same
    pool1  (32, 28, 28, 32) -> 2x2 valid
    pool2  (32, 14, 14, 64) -> 2x2 valid

Each candidate runs in its own subprocess (so Numba's and OpenBLAS's thread pools, and
TensorFlow's, never share a process). The machine may be shared: the candidates run in
alternation for a few rounds and the table shows, per cell, the best round's median and minimum.
TF's backward is its forward+backward minus its forward (TF prunes an unused forward).

    python benchmarks/conv_kernels.py [--repeat 50] [--rounds 3] [--only cpu,im2col,tf]

Each op runs on the whole batch with NumPy's default (2-thread) BLAS: the data parallelism of
``fit`` (scratch/engine/data_parallel.py) is not part of these timings.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numba
import numpy as np

BATCH = 32
CONVS = {  # name: (H, W, C, filters, need grad_x)
    "conv1": (28, 28, 1, 32, False),
    "conv2": (14, 14, 32, 64, True),
}
POOLS = {"pool1": (28, 28, 32), "pool2": (14, 14, 64)}
CANDIDATES = {
    "cpu": "scratch.engine.cpu as shipped: Winograd F(2x2,3x3) for conv2 (32 channels), im2col for conv1",
    "im2col": "scratch.engine.cpu with Winograd off: serial Numba im2col + BLAS GEMM, bias as a ones column",
    "bias-add": "same kernels, bias added after the GEMM and summed separately",
    "parallel": "as cpu, but im2col/col2im/pool kernels with parallel=True (prange over batch)",
    "direct": "direct Numba loops (no im2col, no BLAS), prange over batch, fastmath",
    "reference": "scratch.ops.reference: NumPy im2col (strided copies) + matmul, pool loops",
    "tf": "TensorFlow tf.nn.conv2d / max_pool2d + GradientTape in a tf.function",
}


def timeit(fn, repeat):
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3), float(np.min(times) * 1e3)


def inputs(seed=0):
    rng = np.random.default_rng(seed)
    data = {}
    for name, (h, w, c, f, _) in CONVS.items():
        data[name] = (rng.standard_normal((BATCH, h, w, c), dtype=np.float32),
                      rng.standard_normal((3, 3, c, f), dtype=np.float32) * 0.1,
                      rng.standard_normal(f, dtype=np.float32),
                      rng.standard_normal((BATCH, h, w, f), dtype=np.float32))
    for name, (h, w, c) in POOLS.items():
        data[name] = (rng.standard_normal((BATCH, h, w, c), dtype=np.float32),
                      rng.standard_normal((BATCH, h // 2, w // 2, c), dtype=np.float32))
    return data


# ----------------------------------------------------------------------------- candidates
def ops_candidate(ops):
    """fwd / bwd closures for an op module with the scratch signatures."""
    def conv(x, k, b, g, need_dx):
        fwd = lambda: ops.conv2d_forward(x, k, b, (1, 1), "same", (1, 1))  # noqa: E731
        cache = fwd()[1]
        bwd = lambda: ops.conv2d_backward(g, cache, compute_grad_x=need_dx)  # noqa: E731
        return fwd, bwd

    def pool(x, g):
        fwd = lambda: ops.maxpool2d_forward(x, (2, 2), None, "valid")  # noqa: E731
        cache = fwd()[1]
        return fwd, lambda: ops.maxpool2d_backward(g, cache)

    return conv, pool


def bias_add_candidate():
    """The cpu kernels with the bias applied after the GEMM (out += bias, grad_bias = Σ rows)."""
    from scratch.engine import cpu

    def conv(x, k, b, g, need_dx):
        def fwd():
            bsz, h, w, c = x.shape
            if c < cpu._FEW_CHANNELS:   # the same two im2col layouts as cpu
                cols = np.empty((9 * c, bsz * h * w), np.float32).T
                cpu._im2col_transposed_kernel(x, 3, 3, 1, 1, 1, 1, 1, 1, h, w, cols.T)
            else:
                cols = np.empty((bsz * h * w, 9 * c), np.float32)
                cpu._im2col_kernel(x, 3, 3, 1, 1, 1, 1, 1, 1, h, w, cols)
            out = np.dot(cols, k.reshape(-1, k.shape[-1]))
            out += b
            return out, cols

        cols = fwd()[1]

        def bwd():
            g2 = g.reshape(-1, k.shape[-1])
            grad_k = np.dot(cols.T, g2)
            grad_b = g2.sum(axis=0)
            if need_dx:
                grad_x = np.empty_like(x)
                cpu._col2im_kernel(np.dot(g2, k.reshape(-1, k.shape[-1]).T), 3, 3, 1, 1, 1, 1, 1, 1,
                                   x.shape[1], x.shape[2], grad_x)
            return grad_k, grad_b

        return fwd, bwd

    return conv, ops_candidate(cpu)[1]


def parallel_candidate():
    """The cpu kernels re-jitted with parallel=True and a prange over the batch."""
    from scratch.engine import cpu

    im2col_p = numba.njit(parallel=True)(_prange_im2col)
    col2im_p = numba.njit(parallel=True)(_prange_col2im)
    pool_fwd_p = numba.njit(parallel=True)(_prange_pool_fwd)

    def conv(x, k, b, g, need_dx):
        kf = k.reshape(-1, k.shape[-1])
        weights = np.concatenate([kf, b[None]])

        def fwd():
            bsz, h, w, c = x.shape
            cols = np.empty((bsz * h * w, 9 * c + 1), np.float32)
            im2col_p(x, 3, 3, 1, 1, cols)
            return np.dot(cols, weights), cols

        cols = fwd()[1]

        def bwd():
            g2 = g.reshape(-1, k.shape[-1])
            grad_w = np.dot(cols.T, g2)
            if need_dx:
                grad_x = np.empty_like(x)
                col2im_p(np.dot(g2, kf.T), 3, 3, 1, 1, grad_x)
            return grad_w

        return fwd, bwd

    def pool(x, g):
        def fwd():
            out = np.empty((x.shape[0], x.shape[1] // 2, x.shape[2] // 2, x.shape[3]), np.float32)
            argmax = np.empty(out.shape, np.int32)
            pool_fwd_p(x, out, argmax)
            return out, argmax

        argmax = fwd()[1]

        def bwd():
            grad_x = np.empty_like(x)
            cpu._maxpool_backward_kernel(g, argmax, grad_x)
            return grad_x

        return fwd, bwd

    return conv, pool


def _prange_im2col(x, kh, kw, top, left, cols):  # stride 1, dilation 1, bias column
    batch, height, width, channels = x.shape
    ncols = cols.shape[1]
    for n in numba.prange(batch):
        for i in range(height):
            for j in range(width):
                row = (n * height + i) * width + j
                for a in range(kh):
                    y = i + a - top
                    for b in range(kw):
                        xx = j + b - left
                        base = (a * kw + b) * channels
                        inside = 0 <= y < height and 0 <= xx < width
                        for c in range(channels):
                            cols[row, base + c] = x[n, y, xx, c] if inside else 0
                cols[row, ncols - 1] = 1


def _prange_col2im(cols, kh, kw, top, left, grad_x):
    batch, height, width, channels = grad_x.shape
    for n in numba.prange(batch):
        grad_x[n] = 0
        for i in range(height):
            for j in range(width):
                row = (n * height + i) * width + j
                for a in range(kh):
                    y = i + a - top
                    if 0 <= y < height:
                        for b in range(kw):
                            xx = j + b - left
                            if 0 <= xx < width:
                                for c in range(channels):
                                    grad_x[n, y, xx, c] += cols[row, (a * kw + b) * channels + c]


def _prange_pool_fwd(x, out, argmax):  # 2x2 valid
    batch, height, width, channels = x.shape
    for n in numba.prange(batch):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                for c in range(channels):
                    best, where = x[n, 2 * i, 2 * j, c], ((n * height + 2 * i) * width + 2 * j) * channels + c
                    for a in range(2):
                        for b in range(2):
                            v = x[n, 2 * i + a, 2 * j + b, c]
                            if v > best:
                                best, where = v, ((n * height + 2 * i + a) * width + 2 * j + b) * channels + c
                    out[n, i, j, c] = best
                    argmax[n, i, j, c] = where


def direct_candidate():
    """Direct convolution loops in Numba: no im2col, no BLAS (stride 1, 3x3 same)."""
    from numba import uint64 as u64

    @numba.njit(parallel=True, fastmath=True)
    def fwd_kernel(x, k, bias, out):
        batch, height, width, channels = x.shape
        filters = k.shape[3]
        xf, kf, of = x.reshape(-1), k.reshape(-1), out.reshape(-1)
        for n in numba.prange(batch):
            for i in range(height):
                for j in range(width):
                    o = u64(((n * height + i) * width + j) * filters)
                    for f in range(u64(filters)):
                        of[o + f] = bias[f]
                    for a in range(3):
                        y = i + a - 1
                        if y < 0 or y >= height:
                            continue
                        for b in range(3):
                            xx = j + b - 1
                            if xx < 0 or xx >= width:
                                continue
                            xs = u64(((n * height + y) * width + xx) * channels)
                            ks = u64((a * 3 + b) * channels * filters)
                            for c in range(u64(channels)):
                                v = xf[xs + c]
                                kc = ks + c * u64(filters)
                                for f in range(u64(filters)):
                                    of[o + f] += v * kf[kc + f]

    @numba.njit(parallel=True, fastmath=True)
    def bwd_kernel(x, k, g, need_dx, grad_x, grad_k_parts):
        batch, height, width, channels = x.shape
        filters = k.shape[3]
        parts = grad_k_parts.shape[0]
        xf, kf, gf, gxf = x.reshape(-1), k.reshape(-1), g.reshape(-1), grad_x.reshape(-1)
        for p in numba.prange(parts):
            gk = grad_k_parts[p].reshape(-1)
            gk[:] = 0
            for n in range(p, batch, parts):
                if need_dx:
                    grad_x[n] = 0
                for i in range(height):
                    for j in range(width):
                        o = u64(((n * height + i) * width + j) * filters)
                        for a in range(3):
                            y = i + a - 1
                            if y < 0 or y >= height:
                                continue
                            for b in range(3):
                                xx = j + b - 1
                                if xx < 0 or xx >= width:
                                    continue
                                xs = u64(((n * height + y) * width + xx) * channels)
                                ks = u64((a * 3 + b) * channels * filters)
                                for c in range(u64(channels)):
                                    v = xf[xs + c]
                                    kc = ks + c * u64(filters)
                                    s = np.float32(0)
                                    for f in range(u64(filters)):
                                        gk[kc + f] += v * gf[o + f]
                                        s += gf[o + f] * kf[kc + f]
                                    if need_dx:
                                        gxf[xs + c] += s

    def conv(x, k, b, g, need_dx):
        out = np.empty(g.shape, np.float32)
        grad_x = np.empty_like(x)
        parts = np.empty((2,) + k.shape, np.float32)

        def bwd():
            bwd_kernel(x, k, g, need_dx, grad_x, parts)
            return parts.sum(axis=0), g.reshape(-1, g.shape[-1]).sum(axis=0)

        return (lambda: fwd_kernel(x, k, b, out)), bwd

    from scratch.engine import cpu
    return conv, ops_candidate(cpu)[1]


def tf_candidate():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    def conv(x, k, b, g, need_dx):
        x, k, b, g = (tf.constant(v) for v in (x, k, b, g))

        @tf.function
        def fwd():
            return tf.nn.conv2d(x, k, 1, "SAME") + b

        @tf.function
        def fwd_bwd():
            with tf.GradientTape() as tape:
                tape.watch([x, k, b] if need_dx else [k, b])
                y = tf.nn.conv2d(x, k, 1, "SAME") + b
            return y, tape.gradient(y, [x, k, b] if need_dx else [k, b], output_gradients=g)

        return fwd, fwd_bwd

    def pool(x, g):
        x, g = tf.constant(x), tf.constant(g)

        @tf.function
        def fwd():
            return tf.nn.max_pool2d(x, 2, 2, "VALID")

        @tf.function
        def fwd_bwd():
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.nn.max_pool2d(x, 2, 2, "VALID")
            return y, tape.gradient(y, x, output_gradients=g)

        return fwd, fwd_bwd

    return conv, pool


def run_one(name, repeat):
    """Time one candidate in this process; TF's second closure is forward+backward together."""
    if name in ("cpu", "reference"):
        import importlib
        conv, pool = ops_candidate(importlib.import_module(f"scratch.ops.{name}"))
    elif name == "im2col":
        from scratch.engine import cpu
        cpu._WINOGRAD_MIN_CHANNELS = 10**9
        conv, pool = ops_candidate(cpu)
    else:
        conv, pool = {"bias-add": bias_add_candidate, "parallel": parallel_candidate,
                      "direct": direct_candidate, "tf": tf_candidate}[name]()
    data, result = inputs(), {}
    for layer, args in data.items():
        first, second = conv(*args, CONVS[layer][4]) if layer in CONVS else pool(*args)
        reps = max(3, repeat // 10) if name == "reference" else repeat
        fwd, bwd = timeit(first, reps), timeit(second, reps)
        if name == "tf":  # TF prunes an unused forward, so backward is timed with it
            fwd_bwd = bwd
            bwd = (fwd_bwd[0] - fwd[0], fwd_bwd[1] - fwd[1])
        else:
            fwd_bwd = (fwd[0] + bwd[0], fwd[1] + bwd[1])
        result[layer] = dict(fwd=fwd, bwd=bwd, total=fwd_bwd)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(CANDIDATES))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.repeat)))
        return
    names = args.only.split(",")
    results = {}
    for _ in range(args.rounds):   # candidates alternate, so a busy spell hits them all alike
        for name in names:
            proc = subprocess.run([sys.executable, __file__, "--one", name, "--repeat", str(args.repeat)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"{name}: failed: {proc.stderr.strip().splitlines()[-1:]}")
                continue
            new = json.loads(proc.stdout.strip().splitlines()[-1])
            best = results.setdefault(name, new)
            for layer, parts in new.items():   # keep each cell's best round
                for part, (median, minimum) in parts.items():
                    best[layer][part] = [min(best[layer][part][0], median), min(best[layer][part][1], minimum)]
    print(f"ms per batch of {BATCH}: median (min) over {args.repeat} runs, best of {args.rounds} rounds, "
          f"{os.cpu_count()} CPUs; conv1 backward without grad_x (first layer)")
    print(f"{'layer':<6} {'part':<6}" + "".join(f"{name:>16}" for name in results))
    for layer in list(CONVS) + list(POOLS):
        for part in ("fwd", "bwd", "total"):
            print(f"{layer:<6} {part:<6}" + "".join(
                f"{r[layer][part][0]:8.2f} ({r[layer][part][1]:5.2f})" for r in results.values()))
    print(f"{'all':<6} {'total':<6}" + "".join(
        f"{sum(v['total'][0] for v in r.values()):8.2f} ({sum(v['total'][1] for v in r.values()):5.2f})"
        for r in results.values()))
    print()
    for name in results:
        print(f"  {name:<10} {CANDIDATES[name]}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
