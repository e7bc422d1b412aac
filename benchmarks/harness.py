"""Run the three stacks' workers (benchmarks/stacks.py) one after the other in the same run, on
the same machine, next to the floor of the step (benchmarks/floor.py), and write the comparison
as JSON and a PNG bar chart under ``benchmarks/results/``.

Headline figure: the median seconds per epoch over every run's epochs after the first (which
also pays Numba's compile, TensorFlow's graph tracing or XLA's compile); the first epoch is
reported too. The jobs alternate (scratch, Keras/TensorFlow, Keras/JAX, floor, scratch, …) so
that a slow spell of a shared machine does not fall on one stack only; every epoch time is kept
in the JSON. ``predict`` and ``evaluate`` are timed after ``fit`` on the same images (the
second call of each, which pays no tracing), at the batch sizes of ``--inference-batch-sizes``.
"""
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
sys.path.insert(0, os.path.dirname(HERE))

from benchmarks.stacks import STACKS  # noqa: E402
from scratch.atomic import atomic_path  # noqa: E402

COLOURS = {"scratch": "tab:blue", "keras-tensorflow": "tab:orange", "keras-jax": "tab:green"}


def machine():
    """The processor's model name and the cores this process may use, e.g. ``AMD EPYC, 2 cores``."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as stream:
            name = next(line.split(":", 1)[1].strip() for line in stream if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{name} ({platform.machine()}), {cores} cores"


def run_json(script, *arguments):
    """Run ``benchmarks/<script>`` in a fresh process; its last stdout line, parsed as JSON."""
    command = [sys.executable, os.path.join(HERE, script), *map(str, arguments)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_worker(stack, model, epochs, samples, batch_size, inference_batch_sizes=()):
    """One training run of ``model`` on ``stack`` (benchmarks/train_one.py): its JSON."""
    return run_json("train_one.py", "--stack", stack, "--model", model, "--epochs", epochs,
                    "--samples", samples, "--batch-size", batch_size,
                    "--inference-batch-sizes", *inference_batch_sizes)


def steady_seconds(epoch_seconds_per_run):
    """Median epoch time over all runs, leaving out each run's first epoch (Numba compiling,
    TensorFlow tracing its graph) unless a run has only one epoch."""
    later = [t for run in epoch_seconds_per_run for t in (run[1:] or run)]
    return statistics.median(later)


def summarise_stack(stack_runs, batch_size):
    """One stack's figures from its runs' JSON lines."""
    per_run = [r["epoch_seconds"] for r in stack_runs]
    samples = stack_runs[-1]["samples"]
    steady = steady_seconds(per_run)
    summary = {
        "first_epoch_seconds": statistics.median(run[0] for run in per_run),
        "steady_epoch_seconds": steady,
        "steady_step_ms": 1e3 * steady / -(-samples // batch_size),
        "epoch_seconds_per_run": per_run,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in stack_runs),
        "final_accuracy": stack_runs[-1]["final_accuracy"],
        "final_loss": stack_runs[-1]["final_loss"],
        "versions": stack_runs[-1]["versions"],
        "inference_seconds": {},
    }
    for size in stack_runs[-1]["inference_seconds"]:
        summary["inference_seconds"][size] = {
            call: statistics.median(r["inference_seconds"][size][call][-1] for r in stack_runs)
            for call in ("predict", "evaluate")}
    return summary


def compare(model, epochs, samples, batch_size, repeats=2, stacks=STACKS, inference_batch_sizes=(32,)):
    """Train ``model`` on each stack in its own process, ``repeats`` times, alternating stacks,
    with a floor measurement in each round; return the results."""
    runs = {stack: [] for stack in stacks}
    floors = []
    for _ in range(repeats):
        for stack in stacks:
            runs[stack].append(run_worker(stack, model, epochs, samples, batch_size, inference_batch_sizes))
        floors.append(run_json("floor.py", "--model", model, "--batch-size", batch_size))
    results = {stack: summarise_stack(stack_runs, batch_size) for stack, stack_runs in runs.items()}
    steps = -(-samples // batch_size)
    floor = min(floors, key=lambda f: f["step_seconds"])   # the least disturbed round
    floor["epoch_seconds"] = floor["step_seconds"] * steps
    if "kernel_step_seconds" in floor:
        floor["kernel_epoch_seconds"] = min(f["kernel_step_seconds"] for f in floors) * steps
    floor["step_seconds_per_round"] = [f["step_seconds"] for f in floors]
    for r in results.values():
        r["times_floor"] = r["steady_epoch_seconds"] / floor["epoch_seconds"]
        r["gflops_per_second"] = floor["step_flops"] * steps / r["steady_epoch_seconds"] / 1e9
    summary = {"model": model, "epochs": epochs, "samples": samples, "batch_size": batch_size,
               "repeats": repeats, "machine": machine(), "results": results, "floor": floor}
    if "scratch" in results:
        summary["peer_over_scratch_steady"] = {
            stack: r["steady_epoch_seconds"] / results["scratch"]["steady_epoch_seconds"]
            for stack, r in results.items() if stack != "scratch"}
    return summary


def print_table(summary):
    floor = summary["floor"]
    print(f"\n{summary['model'].upper()}: {summary['samples']} images, batch {summary['batch_size']}, "
          f"Adam, {summary['repeats']} runs of {summary['epochs']} epochs per stack, {summary['machine']}")
    print(f"{'stack':<18}{'epoch 1 (s)':>12}{'median epoch (s)':>18}{'x floor':>9}{'GFLOP/s':>9}"
          f"{'peak RSS (MB)':>15}{'final acc':>11}")
    for stack, r in summary["results"].items():
        print(f"{stack:<18}{r['first_epoch_seconds']:>12.2f}{r['steady_epoch_seconds']:>18.3f}"
              f"{r['times_floor']:>9.2f}{r['gflops_per_second']:>9.1f}{r['peak_rss_mb']:>15.0f}"
              f"{r['final_accuracy']:>11.4f}")
    print(f"{'floor (products)':<18}{'':>12}{floor['epoch_seconds']:>18.3f}{1:>9.2f}"
          f"{floor['step_gflops_per_second']:>9.1f}   ({floor['step_flops'] / 1e6:.1f} MFLOP a step; "
          f"a 2048³ product runs at {floor['large_product_gflops_per_second']:.0f} GFLOP/s)")
    if "kernel_epoch_seconds" in floor:
        print(f"{'kernels alone':<18}{'':>12}{floor['kernel_epoch_seconds']:>18.3f}"
              f"{floor['kernel_epoch_seconds'] / floor['epoch_seconds']:>9.2f}   (scratch's cpu kernels called "
              "back to back, no layers, model or callbacks: floor.mlp_kernel_step)")
    for stack, ratio in summary.get("peer_over_scratch_steady", {}).items():
        verdict = f"{ratio:.2f}x faster than" if ratio >= 1 else f"{1 / ratio:.2f}x slower than"
        print(f"scratch is {verdict} {stack} per epoch (median of the epochs after the first)")
    sizes = list(summary["results"]["scratch"]["inference_seconds"]) if "scratch" in summary["results"] else []
    for size in sizes:
        for call in ("predict", "evaluate"):
            figures = {s: r["inference_seconds"][size][call] for s, r in summary["results"].items()}
            ratios = ", ".join(f"{s} {t:.2f} s ({t / figures['scratch']:.1f}x)" for s, t in figures.items()
                               if s != "scratch")
            print(f"{call} on {summary['samples']} images, batch {size}: scratch {figures['scratch']:.2f} s; {ratios}")


def save(summary, name):
    """Write ``results/<name>.json`` and ``results/<name>.png`` atomically."""
    path = os.path.join(RESULTS, f"{name}.json")
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        json.dump(summary, f, indent=2)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    stacks = list(summary["results"])
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    seconds = [summary["results"][s]["steady_epoch_seconds"] for s in stacks]
    bars = axes[0].bar(stacks, seconds, color=[COLOURS.get(s, "tab:gray") for s in stacks])
    axes[0].bar_label(bars, fmt="%.2f")
    axes[0].axhline(summary["floor"]["epoch_seconds"], color="black", linestyle="--", linewidth=1,
                    label=f"floor: the step's matrix products alone ({summary['floor']['epoch_seconds']:.2f} s)")
    if "kernel_epoch_seconds" in summary["floor"]:
        axes[0].axhline(summary["floor"]["kernel_epoch_seconds"], color="black", linestyle=":", linewidth=1,
                        label=f"scratch's kernels alone ({summary['floor']['kernel_epoch_seconds']:.2f} s)")
    axes[0].set_ylim(0, 1.45 * max(seconds))   # room for the legend above the bars
    axes[0].legend(loc="upper left", fontsize=8)
    axes[0].set_title("seconds per epoch (median)")
    memory = [summary["results"][s]["peak_rss_mb"] for s in stacks]
    bars = axes[1].bar(stacks, memory, color=[COLOURS.get(s, "tab:gray") for s in stacks])
    axes[1].bar_label(bars, fmt="%.0f")
    axes[1].set_title("peak resident memory (MB)")
    axes[1].margins(y=0.2)
    for ax in axes:
        ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(f"{summary['model'].upper()} on {summary['samples']} Fashion-MNIST images, batch "
                 f"{summary['batch_size']}, {summary['machine']}", fontsize=10)
    fig.tight_layout()
    png = os.path.join(RESULTS, f"{name}.png")
    with atomic_path(png) as tmp_png:
        fig.savefig(tmp_png, dpi=110)
    plt.close(fig)
    return path, png


def main(model, default_epochs, default_samples, default_repeats, description):
    """Command line of ``bench_mlp.py`` / ``bench_cnn.py``: run, print, save ``results/<model>_cpu.*``."""
    import argparse
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=default_epochs)
    parser.add_argument("--samples", type=int, default=default_samples)
    parser.add_argument("--repeats", type=int, default=default_repeats, help="runs per stack, alternating stacks")
    parser.add_argument("--stacks", nargs="+", choices=STACKS, default=list(STACKS))
    parser.add_argument("--inference-batch-sizes", type=int, nargs="*", default=[32],
                        help="batch sizes at which predict and evaluate are timed (Keras's default is 32)")
    args = parser.parse_args()
    summary = compare(model, args.epochs, args.samples, batch_size=32, repeats=args.repeats,
                      stacks=tuple(args.stacks), inference_batch_sizes=args.inference_batch_sizes)
    print_table(summary)
    print("wrote", *save(summary, f"{model}_cpu"))
