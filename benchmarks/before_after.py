"""Did a change slow scratch down? Train a seed model with scratch as it was at a git revision
(``--before``) and as it is in this working tree, in the same run, alternating, each in a fresh
process (benchmarks/train_one.py of each tree), and compare the median epoch times.

    python benchmarks/before_after.py --before HEAD~3 --model cnn --samples 12000 --repeats 3

The ``--before`` tree is checked out with ``git worktree`` into a temporary folder and removed
afterwards. Results: ``benchmarks/results/before_after_<model>.json`` (every epoch time kept).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)

from benchmarks.harness import steady_seconds  # noqa: E402
from scratch.atomic import atomic_path  # noqa: E402


def run_tree(tree, model, epochs, samples, batch_size):
    """One scratch training run with the scratch of ``tree``; its worker's JSON line."""
    command = [sys.executable, os.path.join(tree, "benchmarks", "train_one.py"), "--stack", "scratch",
               "--model", model, "--epochs", str(epochs), "--samples", str(samples),
               "--batch-size", str(batch_size)]
    env = dict(os.environ, PYTHONPATH=tree)
    done = subprocess.run(command, capture_output=True, text=True, cwd=tree, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"worker of {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="git revision to compare against")
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    revision = subprocess.run(["git", "rev-parse", "--short", args.before], capture_output=True,
                              text=True, cwd=REPO, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as folder:
        before_tree = os.path.join(folder, "before")
        subprocess.run(["git", "worktree", "add", "--detach", before_tree, revision], cwd=REPO,
                       check=True, capture_output=True)
        try:
            trees = {"before": before_tree, "after": REPO}
            runs = {name: [] for name in trees}
            for _ in range(args.repeats):
                for name, tree in trees.items():
                    runs[name].append(run_tree(tree, args.model, args.epochs, args.samples, args.batch_size))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", before_tree], cwd=REPO, check=False)

    summary = {"model": args.model, "samples": args.samples, "batch_size": args.batch_size,
               "epochs": args.epochs, "repeats": args.repeats, "before": revision, "after": "working tree"}
    for name, name_runs in runs.items():
        per_run = [r["epoch_seconds"] for r in name_runs]
        summary[name] = {"steady_epoch_seconds": steady_seconds(per_run), "epoch_seconds_per_run": per_run,
                         "final_loss": [r["final_loss"] for r in name_runs]}
    ratio = summary["after"]["steady_epoch_seconds"] / summary["before"]["steady_epoch_seconds"]
    summary["after_over_before"] = ratio
    print(f"{args.model}: before ({revision}) {summary['before']['steady_epoch_seconds']:.3f} s/epoch, "
          f"after {summary['after']['steady_epoch_seconds']:.3f} s/epoch: after/before = {ratio:.3f} "
          f"(median epoch after the first, {args.repeats} alternating runs each)")
    all_epochs = {name: statistics.median(t for run in summary[name]["epoch_seconds_per_run"] for t in run)
                  for name in runs}
    print(f"  all epochs' medians: before {all_epochs['before']:.3f}, after {all_epochs['after']:.3f}")
    path = os.path.join(HERE, "results", f"before_after_{args.model}.json")
    with atomic_path(path) as temporary:
        with open(temporary, "w") as stream:
            json.dump(summary, stream, indent=1)
    print(f"wrote {os.path.relpath(path, REPO)}")


if __name__ == "__main__":
    main()
