"""Benchmark: training epochs of the seed CNN (keras_ref/seed_models.py: Conv2D(32) → MaxPool →
Conv2D(64) → MaxPool → Flatten → Dense(100) → Dropout(0.4) → Dense(10, softmax)), batch 32,
Adam, on the first 12,000 Fashion-MNIST images — scratch (cpu backend), Keras/TensorFlow and
Keras/JAX, each in its own process, alternating, next to the floor of the step's matrix
products (convolutions counted as im2col products); then predict and evaluate on the same images.

    python benchmarks/bench_cnn.py [--epochs 2] [--samples 12000] [--repeats 3]

About 3 minutes on the 2-core machine with the defaults (Keras/JAX is the slow one).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.harness import main  # noqa: E402

if __name__ == "__main__":
    main("cnn", default_epochs=2, default_samples=12000, default_repeats=3, description=__doc__)
