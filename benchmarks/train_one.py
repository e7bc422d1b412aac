"""Worker: train one seed model on one stack in a fresh process and print one JSON line.

A fresh process per stack keeps the comparison honest: each pays its own imports and start-up,
neither warms the other's caches, and the peak resident memory (``ru_maxrss``) is its own.

    python benchmarks/train_one.py --stack scratch --model mlp --epochs 3
"""
import argparse
import json
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_ref.seed_models import build  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", choices=["scratch", "keras"], required=True)
    parser.add_argument("--model", choices=["mlp", "cnn"], required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    from scratch.datasets import fashion_mnist  # pure NumPy loader, used by both stacks
    (x, y), _ = fashion_mnist.load_data()
    x, y = x[:args.samples] / 255.0, y[:args.samples]
    if args.model == "cnn":
        x = x[..., None]
    if args.stack == "keras":
        import keras
        callback_base = keras.callbacks.Callback
        optimizer = keras.optimizers.Adam()
    else:
        import scratch
        callback_base = scratch.callbacks.Callback
        optimizer = scratch.optimizers.Adam()

    class EpochTimer(callback_base):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)

    model = build(args.stack, args.model)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0, callbacks=[timer])
    versions = {}
    if args.stack == "keras":
        import tensorflow as tf
        versions = {"versions": {"tensorflow": tf.__version__, "keras": keras.__version__}}
    print(json.dumps({**versions,
        "stack": args.stack, "model": args.model, "samples": len(x), "batch_size": args.batch_size,
        "epoch_seconds": timer.seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "final_loss": history.history["loss"][-1], "final_accuracy": history.history["accuracy"][-1],
    }))


if __name__ == "__main__":
    main()
