"""The fast convolutions (harness/fast_convolutions.py) against Theano's CorrMM ops, bit for bit.

They unfold and fold the images faster and leave everything else as Theano has it, so
each output, filters' gradient and images' gradient must have Theano's bits: on this
process's threads, and on one and three threads (Theano's filters' gradient depends on
how its threads split the batch, and theirs must split it the same way). Those
comparisons are the second tier's: they compile Theano's own ops, which no program runs;
the first tier keeps the off switch and the stack traces."""
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from test_fast_ops import assert_traced, modes, op_names, same_bits, theano  # noqa: F401  (theano: a fixture)
from test_scripts import assert_clean_exit

FAST = {"FastCorrMM", "FastCorrMMGradWeights", "FastCorrMMGradInputs"}
THEANOS = {"CorrMM", "CorrMM_gradWeights", "CorrMM_gradInputs"}

# (batch, channels, rows, columns, filters, kernel rows, kernel columns, border_mode)
CASES = [
    (128, 1, 28, 28, 32, 3, 3, "full"), (128, 32, 15, 15, 64, 3, 3, "valid"),  # the convnet's three
    (128, 64, 7, 7, 128, 3, 3, "valid"),
    (127, 32, 15, 15, 64, 3, 3, "valid"), (1, 64, 7, 7, 128, 3, 3, "valid"), (1, 1, 28, 28, 32, 3, 3, "full"),
    (300, 32, 15, 15, 64, 3, 3, "valid"),  # a large batch, as in the test evaluation
    (3, 2, 7, 4, 5, 2, 3, "valid"), (2, 3, 5, 5, 4, 5, 5, "full"), (5, 2, 6, 9, 3, 3, 2, (1, 2)),
    (4, 1, 3, 3, 2, 3, 3, "valid"),  # one output pixel
]


def convolution_and_gradients(theano, border_mode, mode):
    """f(images, filters, upstream) -> [output, gradient of the filters, gradient of the images]."""
    from theano import tensor as T
    from theano.tensor.nnet import conv2d
    images, filters, upstream = T.ftensor4(), T.ftensor4(), T.ftensor4()
    output = conv2d(images, filters, border_mode=border_mode)
    gradients = theano.grad(None, [filters, images], known_grads={output: upstream})
    return theano.function([images, filters, upstream], [output] + gradients, mode=mode)


def case_arrays(case, rng):
    batch, channels, rows, columns, filters, kernel_rows, kernel_columns, border_mode = case
    pad = {"valid": (0, 0), "full": (kernel_rows - 1, kernel_columns - 1)}.get(border_mode, border_mode)
    out_rows, out_columns = rows + 2 * pad[0] - kernel_rows + 1, columns + 2 * pad[1] - kernel_columns + 1
    images = rng.randn(batch, channels, rows, columns).astype(np.float32)
    weights = rng.randn(filters, channels, kernel_rows, kernel_columns).astype(np.float32)
    upstream = rng.randn(batch, filters, out_rows, out_columns).astype(np.float32)
    upstream.flat[::11] = -0.0  # the folding adds onto zeros: 0 + -0 is +0, as in Theano's
    return images, weights, upstream


@pytest.mark.slow
@pytest.mark.parametrize("border_mode", ["valid", "full", (1, 2)])
def test_the_convolution_and_its_gradients_are_theanos(theano, border_mode):
    fast, own = (convolution_and_gradients(theano, border_mode, mode) for mode in modes(theano))
    assert FAST <= op_names(fast) and not THEANOS & op_names(fast)
    assert THEANOS <= op_names(own) and not FAST & op_names(own)
    rng = np.random.RandomState(1)
    for case in [case for case in CASES if case[-1] == border_mode]:
        arrays = case_arrays(case, rng)
        for name, mine, theirs in zip(("output", "filters' gradient", "images' gradient"), fast(*arrays),
                                      own(*arrays)):
            assert same_bits(mine, theirs), (case, name)
            assert np.abs(theirs).max() > 0, (case, name)  # not zeros only


THREADS_RUN = """
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import harness, theano
from test_fast_convolutions import CASES, case_arrays, convolution_and_gradients
fast = theano.compile.mode.get_mode("FAST_RUN")
for case in CASES[:5]:
    arrays = case_arrays(case, np.random.RandomState(7))
    mine, theirs = (convolution_and_gradients(theano, case[-1], mode)(*arrays)
                    for mode in (fast, fast.excluding("fast_convolutions")))
    print(all(a.tobytes() == b.tobytes() for a, b in zip(mine, theirs)))
"""


@pytest.mark.slow
@pytest.mark.parametrize("threads", ["1", "3"])
def test_the_threads_split_the_batch_as_theanos_do(threads):
    """On 3 threads a batch of 128 or 127 splits unevenly; each thread's sum of the
    filters' gradient must hold the same images as the Theano thread's."""
    result = subprocess.run([sys.executable, "-c", THREADS_RUN, os.path.join(REPO, "tests")], cwd=REPO,
                            capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": threads})
    assert_clean_exit(result)
    assert result.stdout.split() == ["True"] * 5


def test_the_rewrite_is_switched_off_by_its_name(theano):
    fast = modes(theano)[0]
    ops = op_names(convolution_and_gradients(theano, "valid", fast.excluding("fast_convolutions")))
    assert THEANOS <= ops and not FAST & ops


def test_the_fast_convolutions_keep_the_stack_trace_of_the_line_that_built_the_graph(theano):
    assert_traced(convolution_and_gradients(theano, "valid", modes(theano)[0]), FAST, __file__)
