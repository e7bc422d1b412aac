"""Run the scratch and Keras workers one after the other in the same run, on the same machine,
and write the comparison as JSON and a PNG bar chart under ``benchmarks/results/``.

Headline figure: the median seconds per epoch over every run's epochs after the first (which
also pays Numba's compile or TensorFlow's graph tracing); the first epoch is reported too. The
stacks alternate (scratch, Keras, scratch, Keras, …) so that a slow spell of a shared machine
does not fall on one stack only; every epoch time is kept in the JSON.
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

from scratch.atomic import atomic_path  # noqa: E402


def run_worker(stack, model, epochs, samples, batch_size):
    command = [sys.executable, os.path.join(HERE, "train_one.py"), "--stack", stack, "--model", model,
               "--epochs", str(epochs), "--samples", str(samples), "--batch-size", str(batch_size)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{stack} worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def steady_seconds(epoch_seconds_per_run):
    """Median epoch time over all runs, leaving out each run's first epoch (Numba compiling,
    TensorFlow tracing its graph) unless a run has only one epoch."""
    later = [t for run in epoch_seconds_per_run for t in (run[1:] or run)]
    return statistics.median(later)


def compare(model, epochs, samples, batch_size, repeats=2, stacks=("scratch", "keras")):
    """Train ``model`` on each stack in its own process, ``repeats`` times, alternating stacks so
    that a slow spell of the machine does not fall on one stack only; return the results."""
    runs = {stack: [] for stack in stacks}
    for _ in range(repeats):
        for stack in stacks:
            runs[stack].append(run_worker(stack, model, epochs, samples, batch_size))
    results = {}
    for stack, stack_runs in runs.items():
        per_run = [r["epoch_seconds"] for r in stack_runs]
        results[stack] = {
            "first_epoch_seconds": statistics.median(run[0] for run in per_run),
            "steady_epoch_seconds": steady_seconds(per_run),
            "epoch_seconds_per_run": per_run,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in stack_runs),
            "final_accuracy": stack_runs[-1]["final_accuracy"],
            "final_loss": stack_runs[-1]["final_loss"],
        }
        if "versions" in stack_runs[-1]:
            results[stack]["versions"] = stack_runs[-1]["versions"]
    summary = {"model": model, "epochs": epochs, "samples": samples, "batch_size": batch_size,
               "repeats": repeats, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "results": results}
    if "keras" in results and "scratch" in results:
        summary["keras_over_scratch_steady"] = (results["keras"]["steady_epoch_seconds"]
                                                / results["scratch"]["steady_epoch_seconds"])
        summary["versions"] = results["keras"].pop("versions")
    return summary


def print_table(summary):
    print(f"\n{summary['model'].upper()}: {summary['samples']} images, batch {summary['batch_size']}, "
          f"Adam, {summary['repeats']} runs of {summary['epochs']} epochs per stack, {summary['machine']}")
    print(f"{'stack':<10}{'epoch 1 (s)':>13}{'median epoch (s)':>18}{'peak RSS (MB)':>15}{'final acc':>11}")
    for stack, r in summary["results"].items():
        print(f"{stack:<10}{r['first_epoch_seconds']:>13.2f}{r['steady_epoch_seconds']:>18.2f}"
              f"{r['peak_rss_mb']:>15.0f}{r['final_accuracy']:>11.4f}")
    if "keras_over_scratch_steady" in summary:
        ratio = summary["keras_over_scratch_steady"]
        verdict = f"{ratio:.2f}x faster than" if ratio >= 1 else f"{1 / ratio:.2f}x slower than"
        print(f"scratch is {verdict} Keras per epoch (median of the epochs after the first)")


def save(summary, name):
    """Write ``results/<name>.json`` and ``results/<name>.png`` atomically."""
    path = os.path.join(RESULTS, f"{name}.json")
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        json.dump(summary, f, indent=2)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    stacks = list(summary["results"])
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, key, label in ((axes[0], "steady_epoch_seconds", "seconds per epoch (median)"),
                           (axes[1], "peak_rss_mb", "peak resident memory (MB)")):
        values = [summary["results"][s][key] for s in stacks]
        bars = ax.bar(stacks, values, color=["tab:blue", "tab:orange"][:len(stacks)])
        ax.bar_label(bars, fmt="%.2f" if key.endswith("seconds") else "%.0f")
        ax.set_title(label)
        ax.margins(y=0.15)
    fig.suptitle(f"{summary['model'].upper()} on Fashion-MNIST, batch {summary['batch_size']}, "
                 f"{summary['machine']}")
    fig.tight_layout()
    png = os.path.join(RESULTS, f"{name}.png")
    with atomic_path(png) as tmp_png:
        fig.savefig(tmp_png, dpi=110)
    plt.close(fig)
    return path, png


def main(model, default_epochs, description):
    """Command line of ``bench_mlp.py`` / ``bench_cnn.py``: run, print, save ``results/<model>_cpu.*``."""
    import argparse
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--epochs", type=int, default=default_epochs)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=2, help="runs per stack, alternating stacks")
    args = parser.parse_args()
    summary = compare(model, args.epochs, args.samples, batch_size=32, repeats=args.repeats)
    print_table(summary)
    print("wrote", *save(summary, f"{model}_cpu"))
