"""Benchmark: training epochs of the seed MLP (keras_ref/seed_models.py: Flatten → Dense(128, relu)
→ Dense(10, softmax)), batch 32, Adam, on all 60,000 Fashion-MNIST images — scratch (cpu
backend), Keras/TensorFlow and Keras/JAX, each in its own process, alternating, next to the
floor of the step's matrix products; then predict and evaluate on the same images.

    python benchmarks/bench_mlp.py [--epochs 4] [--samples 60000] [--repeats 3]

About 3 minutes on the 2-core machine with the defaults. Four epochs a run: Keras/JAX's
second epoch is still ~1.6x slower than its third and later ones, so the median needs them.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.harness import main  # noqa: E402

if __name__ == "__main__":
    main("mlp", default_epochs=4, default_samples=60000, default_repeats=3, description=__doc__)
