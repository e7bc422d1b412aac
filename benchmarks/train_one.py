"""Worker: train one seed model on one stack in a fresh process and print one JSON line.

A fresh process per stack keeps the comparison honest: each pays its own imports and start-up,
neither warms the other's caches, Keras gets the backend the stack names (it reads
``KERAS_BACKEND`` once, on import), and the peak resident memory (``ru_maxrss``) is its own.
After ``fit``, ``--inference-batch-sizes`` times ``predict`` and ``evaluate`` on the same images
(each call twice: the first also pays tracing or compiling, the second is the figure).

    python benchmarks/train_one.py --stack keras-jax --model mlp --epochs 3 --inference-batch-sizes 32
"""
import argparse
import json
import os
import resource
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import stacks  # noqa: E402


def inference_seconds(model, x, y, batch_size):
    """Seconds of ``predict`` and ``evaluate`` on (x, y) at ``batch_size``: each call twice,
    ``[first, second]``."""
    figures = {"predict": [], "evaluate": []}
    for _ in range(2):
        figures["predict"].append(stacks.timed(lambda: model.predict(x, batch_size=batch_size, verbose=0))[0])
        figures["evaluate"].append(stacks.timed(lambda: model.evaluate(x, y, batch_size=batch_size, verbose=0))[0])
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", choices=stacks.STACKS, required=True)
    parser.add_argument("--model", choices=["mlp", "cnn"], required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=128, help="the MLP's hidden units (seed: 128)")
    parser.add_argument("--inference-batch-sizes", type=int, nargs="*", default=[],
                        help="also time predict and evaluate at these batch sizes")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]   # how busy the machine was (1-minute load average)
    library, versions = stacks.load(args.stack)
    x, y = stacks.load_data(args.model, args.samples)
    model = stacks.build_model(library, args.model, args.width)
    timer = stacks.epoch_timer(library)
    history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0, callbacks=[timer])
    inference = {str(b): inference_seconds(model, x, y, b) for b in args.inference_batch_sizes}
    print(json.dumps({
        "stack": args.stack, "model": args.model, "samples": len(x), "batch_size": args.batch_size,
        "width": args.width, "versions": versions, "epoch_seconds": timer.seconds,
        "inference_seconds": inference,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_average_before_after": [load_before, os.getloadavg()[0]],
        "final_loss": float(history.history["loss"][-1]),
        "final_accuracy": float(history.history["accuracy"][-1]),
    }))


if __name__ == "__main__":
    main()
