"""What a training step costs in floating-point operations, and what this machine can do at most.

FLOPs are counted from the layer shapes of each script: 2 per multiply-add of the matrix
products and convolutions, forward and backward (each layer's weight gradient, and the
gradient of its input for every layer but the first). Elementwise work (rectifiers,
dropout, pooling, softmax, the optimiser) is left out: it is a few percent of the
multiply-adds. The machine's limit is its float32 matrix product (sgemm, 2048 x 2048, on
all cores) in the BLAS Theano's C code calls (the scipy-openblas32 wheel, else NumPy's),
timed where the benchmark runs.
"""
import ctypes
import time

import numpy as np

from common import talk
from cpu import theano_openblas

# Per script, its layers in order: ("dense", inputs, outputs) or
# ("conv", in_channels, out_channels, kernel_rows, kernel_columns, out_rows, out_columns).
LAYERS = {
    "2_logistic_regression.py": [("dense", 784, 10)],
    "3_net.py": [("dense", 784, 625), ("dense", 625, 10)],
    "4_modern_net.py": [("dense", 784, 625), ("dense", 625, 625), ("dense", 625, 10)],
    "5_convolutional_net.py": [
        ("conv", 1, 32, 3, 3, 30, 30),  # 28x28, border_mode='full'
        ("conv", 32, 64, 3, 3, 13, 13),  # 15x15 after pooling
        ("conv", 64, 128, 3, 3, 5, 5),  # 7x7 after pooling
        ("dense", 128 * 3 * 3, 625),
        ("dense", 625, 10),
    ],
}


def multiply_adds(layer):
    """Multiply-adds of one layer's forward pass, for one image."""
    if layer[0] == "dense":
        return layer[1] * layer[2]
    _, inputs, outputs, rows, columns, out_rows, out_columns = layer
    return inputs * outputs * rows * columns * out_rows * out_columns


def forward_flops(script):
    """FLOPs to classify one image."""
    return 2 * sum(multiply_adds(layer) for layer in LAYERS[script])


def training_flops(script, batch):
    """FLOPs of one training step on a batch: forward, weight gradients, and input
    gradients of all layers but the first."""
    layers = LAYERS[script]
    return 2 * batch * (3 * sum(map(multiply_adds, layers)) - multiply_adds(layers[0]))


def epoch_flops(script, batch, ntrain, ntest):
    """FLOPs of an epoch as the scripts time it: the training steps (the last partial
    batch left out, as the scripts do), then the test set classified."""
    steps = len(talk.batches(ntrain, batch))
    return steps * training_flops(script, batch) + ntest * forward_flops(script)


def sgemm_gflops(size=2048, repeats=5):
    """GFLOP/s of a float32 matrix product of two size x size matrices, in Theano's BLAS:
    the median of repeats."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    c = np.empty((size, size), dtype=np.float32)
    library, prefix = theano_openblas()
    if library is None:
        def product():
            np.matmul(a, b, out=c)
    else:
        n, one, zero, no = ctypes.c_int(size), ctypes.c_float(1), ctypes.c_float(0), ctypes.c_char(b"N")
        pointer = ctypes.byref
        arguments = [pointer(no), pointer(no), pointer(n), pointer(n), pointer(n), pointer(one),
                     a.ctypes.data_as(ctypes.c_void_p), pointer(n), b.ctypes.data_as(ctypes.c_void_p), pointer(n),
                     pointer(zero), c.ctypes.data_as(ctypes.c_void_p), pointer(n)]

        def product():  # column-major, so this is b times a: the same work
            getattr(library, f"{prefix}sgemm_")(*arguments)
    product()  # threads started, memory touched
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        product()
        seconds.append(time.perf_counter() - start)
    return 2 * size ** 3 / np.median(seconds) / 1e9
