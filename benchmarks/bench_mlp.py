"""Benchmark: one training epoch of the seed MLP (keras_ref/seed_models.py: Flatten → Dense(128, relu)
→ Dense(10, softmax)),
batch 32, Adam, on all 60,000 Fashion-MNIST images — scratch (cpu backend) vs Keras/TensorFlow,
each in its own process, in the same run on the same machine.

    python benchmarks/bench_mlp.py [--epochs 3] [--samples 60000]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.harness import main  # noqa: E402

if __name__ == "__main__":
    main("mlp", default_epochs=3, description=__doc__)
