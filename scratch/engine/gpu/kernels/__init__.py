"""The CUDA kernels of the gpu backend, one file per kind of maths, each to read next to its
reference op in ``scratch/ops/reference.py``: ``elementwise`` (activations, dropout, rescaling),
``reduction`` (column sums, a tree reduction), ``matmul`` (simple and shared-memory tiled),
``softmax`` (softmax and the fused crossentropies), ``convolution`` (im2col / col2im),
``pooling`` (max with argmax, average, global), ``optimizers`` (SGD and Adam over flat buffers),
``fused`` (a training step's kernels, several ops each). ``scratch/engine/gpu/ops.py`` and
``trainer.py`` launch them."""
