"""The engine: everything that exists only for speed (read ``README.md`` beside this file).
A learner can skip this folder: ``scratch/ops/reference.py`` computes the same numbers."""
