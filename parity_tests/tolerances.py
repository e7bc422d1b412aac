"""Every tolerance of the parity suite, in one place, with the reason for its size.

float32 matrix products differ from Keras/TensorFlow in summation order (Eigen/oneDNN blocked
GEMMs), about 5e-7 for unit-scale values (a few steps of float32 rounding, whose machine epsilon
is 1.2e-7); elementwise maths (optimizer
updates, ReLU, Rescaling) is bit-identical. Tolerances sit a little above the measured noise so
that a formula mistake (e.g. the textbook Adam, 2e-3 in 8 steps) fails them.
"""
# scratch vs Keras, float32
FORWARD_ATOL = 2e-5      # layer/model outputs on shared weights
FORWARD_RTOL = 1e-5
GRAD_ATOL = 2e-5         # input and weight gradients vs tf.GradientTape
GRAD_RTOL = 1e-4
OPTIMIZER_ATOL = 1e-6    # optimizer trajectories on one gradient stream (elementwise maths)
TRAINING_ATOL = 1e-5     # weights after whole fit() runs: GEMM noise accumulated over the steps
                         # (at most 5e-7 after the seed MLP's two epochs with Adam), with room for
                         # other CPUs; a wrong update formula or batch order is off by ~1e-3
HISTORY_ATOL = 1e-5      # History loss/accuracy values after fit()

# reference vs cpu backend, float32
BACKEND_ATOL = 1e-5
BACKEND_RTOL = 1e-5
# gpu vs cpu backend after whole fit() runs (weights and History): the GPU kernels sum in another
# order than BLAS (1e-7 per product); a wrong kernel index or update is off by far more than 1e-4
GPU_TRAINING_ATOL = 1e-4

# float64 numerical gradient check (CS231n: < 1e-7 is right, > 1e-2 is wrong)
GRADCHECK_RTOL = 1e-6
