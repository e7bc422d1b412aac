"""Worker: on one stack, in one fresh process, train the MLP at several (batch size, width)
points, a new model for each, and print one JSON line with every epoch's seconds.

    python benchmarks/sweep_one.py --stack scratch --samples 10000 --epochs 3 --points 32:128 1024:128 32:2048
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import stacks  # noqa: E402


def point(text):
    """``"batch:width"`` -> (batch, width)."""
    batch, width = text.split(":")
    return int(batch), int(width)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", choices=stacks.STACKS, required=True)
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--points", type=point, nargs="+", required=True, help="batch:width pairs")
    args = parser.parse_args()

    library, versions = stacks.load(args.stack)
    x, y = stacks.load_data("mlp", args.samples)
    figures = []
    for batch, width in args.points:
        model = stacks.build_model(library, "mlp", width)
        timer = stacks.epoch_timer(library)
        model.fit(x, y, batch_size=batch, epochs=args.epochs, verbose=0, callbacks=[timer])
        figures.append({"batch_size": batch, "width": width, "epoch_seconds": timer.seconds})
    print(json.dumps({"stack": args.stack, "samples": len(x), "versions": versions, "points": figures}))


if __name__ == "__main__":
    main()
