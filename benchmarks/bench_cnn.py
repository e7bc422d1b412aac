"""Benchmark: one training epoch of the seed CNN (Conv2D(32) → MaxPool → Conv2D(64) → MaxPool → Flatten →
Dense(100) → Dropout(0.4) → Dense(10, softmax),
batch 32, Adam) on all 60,000 Fashion-MNIST images, scratch (cpu backend) vs Keras/TensorFlow,
measured in the same run on the same machine.

    python benchmarks/bench_cnn.py [--epochs 2] [--samples 60000]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.harness import compare, print_table, save  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=60000)
    args = parser.parse_args()
    summary = compare("cnn", args.epochs, args.samples, batch_size=32)
    print_table(summary)
    print("wrote", *save(summary, "cnn_cpu"))
