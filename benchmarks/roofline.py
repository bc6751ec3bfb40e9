"""What a training step costs in floating-point operations, and what this machine can do at most.

FLOPs are counted from the layer shapes of each script, read from its text: 2 per multiply-add of the matrix
products and convolutions, forward and backward (each layer's weight gradient, and the
gradient of its input for every layer but the first). Elementwise work (rectifiers,
dropout, pooling, softmax, the optimiser) is left out: it is a few percent of the
multiply-adds. The machine's limit is its float32 matrix product (sgemm, 2048 x 2048, on
all cores) in the BLAS Theano's C code calls (the scipy-openblas32 wheel, else NumPy's),
timed where the benchmark runs.
"""
import ast
import ctypes
import os
import time

import numpy as np

from common import talk
from cpu import theano_openblas

SIDE = 28  # the images' side, in pixels


def _number(node):
    """A whole number the script writes as a constant or a product of constants (128 * 3 * 3)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return _number(node.left) * _number(node.right)
    return node.value


def layers(script):
    """The layers of `script`'s model in order, read from the script's text: one per weight it
    makes with init_weights, ("dense", inputs, outputs) for a matrix and ("conv", in_channels,
    out_channels, kernel_rows, kernel_columns, out_rows, out_columns) for a bank of filters,
    whose responses grow by the kernel less one with its conv2d's border_mode='full', shrink
    by as much without (valid), and are halved, the border kept, by its 2x2 pooling."""
    with open(os.path.join(talk.FOLDER, script)) as f:
        calls = sorted((node for node in ast.walk(ast.parse(f.read())) if isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Name)), key=lambda node: (node.lineno, node.col_offset))
    shapes = [tuple(map(_number, call.args[0].elts)) for call in calls if call.func.id == "init_weights"]
    borders = iter([next((k.value.value for k in call.keywords if k.arg == "border_mode"), "valid")
                    for call in calls if call.func.id == "conv2d"])
    found, side = [], SIDE
    for shape in shapes:
        if len(shape) == 2:
            found.append(("dense", *shape))
            continue
        outputs, inputs, rows, columns = shape
        side = side + rows - 1 if next(borders) == "full" else side - rows + 1
        found.append(("conv", inputs, outputs, rows, columns, side, side))
        side = -(-side // 2)
    return found


def multiply_adds(layer):
    """Multiply-adds of one layer's forward pass, for one image."""
    if layer[0] == "dense":
        return layer[1] * layer[2]
    _, inputs, outputs, rows, columns, out_rows, out_columns = layer
    return inputs * outputs * rows * columns * out_rows * out_columns


def forward_flops(script):
    """FLOPs to classify one image."""
    return 2 * sum(multiply_adds(layer) for layer in layers(script))


def training_flops(script, batch):
    """FLOPs of one training step on a batch: forward, weight gradients, and input
    gradients of all layers but the first."""
    model = layers(script)
    return 2 * batch * (3 * sum(map(multiply_adds, model)) - multiply_adds(model[0]))


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
