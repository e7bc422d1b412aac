"""How much memory do ``predict``, ``evaluate`` and ``fit`` take beyond the data itself?

Each measurement runs in a fresh process: load Fashion-MNIST as uint8 (tiled to the sample count
asked for), build the seed MLP, then reset the kernel's peak-RSS counter (``/proc/self/clear_refs``)
and run one call; the figure is the peak resident memory during the call minus the resident
memory just before it. Memory that grows with the data (a float32 copy of a uint8 input is 4x
its size) shows up as a figure that grows with the sample count; per-batch work does not.

    python benchmarks/memory.py [--samples 60000 600000] [--calls predict evaluate fit]

Linux only (it reads ``/proc/self/status``). Results: ``benchmarks/results/memory.json``.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)


def status_kib(field):
    """A ``/proc/self/status`` figure (``VmRSS``, ``VmHWM``) in KiB."""
    with open("/proc/self/status") as stream:
        for line in stream:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def measure(call, samples):
    """In this process: MB of peak memory that ``call`` adds on ``samples`` uint8 images."""
    import numpy as np
    from keras_ref.seed_models import build
    from scratch.datasets import fashion_mnist

    (x, y), _ = fashion_mnist.load_data()
    reps = -(-samples // len(x))
    x, y = np.concatenate([x] * reps)[:samples], np.concatenate([y] * reps)[:samples]
    model = build("scratch", "mlp")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.predict(x[:64], verbose=0)                # compile the kernels before measuring
    before = status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as stream:
        stream.write("5")                           # VmHWM := VmRSS
    if call == "predict":
        model.predict(x, verbose=0)
    elif call == "evaluate":
        model.evaluate(x, y, verbose=0)
    else:
        model.fit(x, y, epochs=1, verbose=0)
    return (status_kib("VmHWM") - before) / 1024, x.nbytes / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, nargs="+", default=[60000, 600000])
    parser.add_argument("--calls", nargs="+", default=["predict", "evaluate", "fit"],
                        choices=["predict", "evaluate", "fit"])
    parser.add_argument("--worker", nargs=2, metavar=("CALL", "SAMPLES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        extra_mb, data_mb = measure(args.worker[0], int(args.worker[1]))
        print(json.dumps({"extra_peak_mb": extra_mb, "data_mb": data_mb}))
        return

    from scratch.atomic import atomic_path
    results = []
    print(f"{'call':<10}{'samples':>9}{'uint8 data (MB)':>17}{'extra peak (MB)':>17}")
    for samples in args.samples:
        for call in args.calls:
            done = subprocess.run([sys.executable, __file__, "--worker", call, str(samples)],
                                  capture_output=True, text=True, check=True)
            row = {"call": call, "samples": samples, **json.loads(done.stdout.strip().splitlines()[-1])}
            results.append(row)
            print(f"{call:<10}{samples:>9}{row['data_mb']:>17.1f}{row['extra_peak_mb']:>17.1f}")
    path = os.path.join(HERE, "results", "memory.json")
    with atomic_path(path) as temporary:
        with open(temporary, "w") as stream:
            json.dump({"model": "seed MLP", "rows": results}, stream, indent=1)
    print(f"wrote {os.path.relpath(path, REPO)}")


if __name__ == "__main__":
    main()
