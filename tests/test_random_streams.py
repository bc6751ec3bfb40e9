"""harness/random_streams.py: dropout's random streams start from the states Theano's own
MRG_RandomStreams gives them, set up in NumPy, without Theano's compiled function."""
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def streams():
    import harness  # noqa: F401  installs the NumPy set-up
    from harness import random_streams
    return random_streams


@pytest.mark.parametrize("seed", [1, 1234, 2 ** 30 + 7])
@pytest.mark.parametrize("n_streams", [1, 2, 3, 5, 64, 1000, 15360])  # 15360: Theano's guess for a symbolic size
def test_the_streams_and_the_next_samples_start_are_theanos(streams, seed, n_streams):
    from theano.sandbox.rng_mrg import MRG_RandomStreams
    theanos_streams, theanos_next = streams.THEANOS
    theirs, ours = MRG_RandomStreams(seed=seed), MRG_RandomStreams(seed=seed)
    for inc_rstate in (True, False, True):  # a second sample starts from the state the first moved on
        expected = theanos_streams(theirs, n_streams, "float32", inc_rstate)
        states = streams.get_substream_rstates(ours, n_streams, "float32", inc_rstate)
        assert states.dtype == expected.dtype == np.int32 and states.shape == (n_streams, 6)
        assert np.array_equal(states, expected)
        assert ours.rstate.dtype == np.int32 and np.array_equal(ours.rstate, theirs.rstate)
    theanos_next(theirs)
    streams.inc_rstate(ours)
    assert np.array_equal(ours.rstate, theirs.rstate)


def test_a_dropout_mask_compiles_no_function_to_set_up_its_streams():
    program = ("import harness\n"
               "from theano import tensor as T\n"
               "from theano.sandbox.rng_mrg import MRG_RandomStreams, multMatVect\n"
               "mask = MRG_RandomStreams(seed=1).binomial(T.fmatrix().shape, p=0.8, dtype='float32')\n"
               "print(multMatVect.dot_modulo is None)")
    run = subprocess.run([sys.executable, "-c", program], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True"]
