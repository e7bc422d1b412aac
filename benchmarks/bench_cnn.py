"""Benchmark: one training epoch of the seed CNN (keras_ref/seed_models.py: Conv2D(32) → MaxPool → Conv2D(64)
→ MaxPool → Flatten → Dense(100) → Dropout(0.4) → Dense(10, softmax)),
batch 32, Adam, on all 60,000 Fashion-MNIST images — scratch (cpu backend) vs Keras/TensorFlow,
each in its own process, in the same run on the same machine.

    python benchmarks/bench_cnn.py [--epochs 2] [--samples 60000]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.harness import main  # noqa: E402

if __name__ == "__main__":
    main("cnn", default_epochs=2, description=__doc__)
