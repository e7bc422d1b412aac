"""How an epoch's cost grows with the work: the MLP (Flatten → Dense(width, relu) → Dense(10,
softmax), Adam) on the first 10,000 Fashion-MNIST images, seconds per epoch against the batch size
(32 to 1024, width 128) and against the hidden width (128 to 2048 units, batch 32), for scratch,
Keras/TensorFlow and Keras/JAX, next to the floor of each point's matrix products.

Each stack runs all its points in one fresh process (benchmarks/sweep_one.py: a new model per
point, 3 epochs, the first left out of the figure); the stacks alternate over the repeats, and
each round ends with the floor (benchmarks/floor.py, in its own process), of which each point
keeps its fastest round. Results:
``benchmarks/results/scaling_cpu.json`` and ``.png`` (log-log axes).

    python benchmarks/bench_scaling.py [--samples 10000] [--repeats 2]

About 2.5 minutes on the 2-core machine with the defaults.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from benchmarks.harness import COLOURS, RESULTS, machine, run_json, steady_seconds  # noqa: E402
from benchmarks.stacks import STACKS  # noqa: E402
from scratch.atomic import atomic_path  # noqa: E402

BATCH_SIZES = (32, 64, 128, 256, 512, 1024)
WIDTHS = (128, 256, 512, 1024, 2048)
SWEEPS = {"batch_size": [(b, 128) for b in BATCH_SIZES], "width": [(32, w) for w in WIDTHS]}


def sweep_points():
    """Every (batch, width) point of both sweeps, once each (batch 32, width 128 is in both)."""
    return list(dict.fromkeys(SWEEPS["batch_size"] + SWEEPS["width"]))


def run(samples, repeats, epochs, stacks):
    """``{stack: {(batch, width): steady epoch seconds}}``, the floors and the raw runs."""
    points = [f"{b}:{w}" for b, w in sweep_points()]
    raw = {stack: [] for stack in stacks}
    floor_rounds = []
    for _ in range(repeats):
        for stack in stacks:
            raw[stack].append(run_json("sweep_one.py", "--stack", stack, "--samples", samples,
                                       "--epochs", epochs, "--points", *points))
        floor_rounds.append(run_json("floor.py", "--model", "mlp", "--points", *points))
    # each point's least disturbed round
    floors = [min(per_round, key=lambda f: f["step_seconds"]) for per_round in zip(*floor_rounds)]
    steps = {(b, w): -(-samples // b) for b, w in sweep_points()}
    figures = {}
    for stack, runs in raw.items():
        figures[stack] = {}
        for i, (b, w) in enumerate(sweep_points()):
            figures[stack][f"{b}:{w}"] = steady_seconds([r["points"][i]["epoch_seconds"] for r in runs])
    floor = {f"{f['batch_size']}:{f['width']}": f["step_seconds"] * steps[(f["batch_size"], f["width"])]
             for f in floors}
    return figures, floor, floors, raw


def plot(summary, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, (sweep, pairs) in zip(axes, SWEEPS.items()):
        xs = [b if sweep == "batch_size" else w for b, w in pairs]
        keys = [f"{b}:{w}" for b, w in pairs]
        for stack, figures in summary["epoch_seconds"].items():
            ax.plot(xs, [figures[k] for k in keys], marker="o", label=stack, color=COLOURS.get(stack))
        ax.plot(xs, [summary["floor_epoch_seconds"][k] for k in keys], linestyle="--", color="black",
                label="floor: matrix products alone")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.set_xlabel("batch size (width 128)" if sweep == "batch_size" else "hidden units (batch 32)")
        ax.set_ylabel("seconds per epoch (median)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"MLP on {summary['samples']} Fashion-MNIST images, Adam, {summary['machine']}", fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def print_table(summary):
    print(f"\nMLP scaling: {summary['samples']} images, {summary['repeats']} runs of {summary['epochs']} epochs "
          f"per stack and point (median epoch after the first), {summary['machine']}")
    stacks = list(summary["epoch_seconds"])
    print(f"{'batch':>6}{'width':>7}" + "".join(f"{s:>18}" for s in stacks) + f"{'floor':>10}")
    for b, w in sweep_points():
        key = f"{b}:{w}"
        print(f"{b:>6}{w:>7}" + "".join(f"{summary['epoch_seconds'][s][key]:>18.3f}" for s in stacks)
              + f"{summary['floor_epoch_seconds'][key]:>10.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--stacks", nargs="+", choices=STACKS, default=list(STACKS))
    args = parser.parse_args()
    figures, floor, floors, raw = run(args.samples, args.repeats, args.epochs, args.stacks)
    summary = {"samples": args.samples, "repeats": args.repeats, "epochs": args.epochs, "machine": machine(),
               "versions": {stack: runs[-1]["versions"] for stack, runs in raw.items()},
               "epoch_seconds": figures, "floor_epoch_seconds": floor, "floor_detail": floors,
               "epoch_seconds_per_run": {stack: [r["points"] for r in runs] for stack, runs in raw.items()}}
    print_table(summary)
    path = os.path.join(RESULTS, "scaling_cpu.json")
    with atomic_path(path) as tmp, open(tmp, "w") as stream:
        json.dump(summary, stream, indent=1)
    png = os.path.join(RESULTS, "scaling_cpu.png")
    plot(summary, png)
    print("wrote", path, png)


if __name__ == "__main__":
    main()
