"""The chunked convolutions (harness/fast_convolutions.py) against Theano's CorrMM ops.

They add the same terms in another order, so the test is float32 rounding, made exact:
each output element is a sum of n products, and two float32 computations of it differ
by at most 2 n u times the sum of the products' magnitudes (u = 2^-24, the unit
roundoff), which Theano's own op computes from the inputs' absolute values. A wrong
index or a lost chunk errs by about the values themselves, thousands of times more."""
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from test_fast_ops import modes, op_names, theano  # noqa: F401  (theano: a fixture)
from test_scripts import assert_clean_exit

UNIT_ROUNDOFF = 2.0 ** -24
CHUNKED = {"ChunkedCorrMM", "ChunkedCorrMMGradWeights", "ChunkedCorrMMGradInputs"}
THEANOS = {"CorrMM", "CorrMM_gradWeights", "CorrMM_gradInputs"}

# (batch, channels, rows, columns, filters, kernel rows, kernel columns, border_mode)
CASES = [
    (128, 1, 28, 28, 32, 3, 3, "full"), (128, 32, 15, 15, 64, 3, 3, "valid"),  # the convnet's three
    (128, 64, 7, 7, 128, 3, 3, "valid"),
    (127, 32, 15, 15, 64, 3, 3, "valid"), (1, 64, 7, 7, 128, 3, 3, "valid"), (1, 1, 28, 28, 32, 3, 3, "full"),
    (300, 32, 15, 15, 64, 3, 3, "valid"),  # many chunks, as in the test evaluation
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
    # terms in each sum: of the output, of a filter's gradient, of an image's gradient
    terms = [channels * kernel_rows * kernel_columns, batch * out_rows * out_columns,
             filters * kernel_rows * kernel_columns]
    return (images, weights, upstream), terms


@pytest.mark.parametrize("border_mode", ["valid", "full", (1, 2)])
def test_the_convolution_and_its_gradients_are_theanos_within_float32_rounding(theano, border_mode):
    fast, own = (convolution_and_gradients(theano, border_mode, mode) for mode in modes(theano))
    assert CHUNKED <= op_names(fast) and not THEANOS & op_names(fast)
    assert THEANOS <= op_names(own) and not CHUNKED & op_names(own)
    rng = np.random.RandomState(1)
    for case in [case for case in CASES if case[-1] == border_mode]:
        arrays, terms = case_arrays(case, rng)
        magnitudes = own(*[np.abs(a) for a in arrays])
        for name, mine, theirs, size, n in zip(("output", "filters' gradient", "images' gradient"),
                                               fast(*arrays), own(*arrays), magnitudes, terms):
            assert mine.shape == theirs.shape and mine.dtype == theirs.dtype == np.float32, (case, name)
            bound = 2 * n * UNIT_ROUNDOFF * size
            worst = np.max(np.abs(mine - theirs) / np.maximum(bound, np.finfo(np.float32).tiny))
            assert worst <= 1, f"{case} {name}: {worst:.3g} times the rounding bound"
            assert np.abs(theirs).max() > 0, (case, name)  # the bound is not about zeros only


THREADS_RUN = """
import hashlib, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import harness, theano
from test_fast_convolutions import CASES, case_arrays, convolution_and_gradients
for case in CASES[:3]:
    arrays, _ = case_arrays(case, np.random.RandomState(7))
    outputs = convolution_and_gradients(theano, case[-1], theano.compile.mode.get_mode("FAST_RUN"))(*arrays)
    print(hashlib.sha256(b"".join(o.tobytes() for o in outputs)).hexdigest())
"""


def test_the_results_do_not_depend_on_the_number_of_threads():
    """The chunks are cut by the shapes alone, and the filters' gradient adds them in chunk
    order: one thread or three give the same bits, as a 2-core and an 8-core machine would."""
    digests = []
    for threads in ("1", "3"):
        result = subprocess.run([sys.executable, "-c", THREADS_RUN, os.path.join(REPO, "tests")], cwd=REPO,
                                capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": threads})
        assert_clean_exit(result)
        digests.append(result.stdout.split())
    assert len(digests[0]) == 3 and digests[0] == digests[1]


def test_the_rewrite_is_switched_off_by_its_name(theano):
    fast = modes(theano)[0]
    ops = op_names(convolution_and_gradients(theano, "valid", fast.excluding("fast_convolutions")))
    assert THEANOS <= ops and not CHUNKED & ops
