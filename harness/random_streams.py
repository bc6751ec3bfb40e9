"""Dropout's random streams set up in NumPy: the same states as Theano's, without a
compiled function per stream.

Each dropout asks MRG_RandomStreams for a sample of random numbers, which it draws from
thousands of streams, each starting 2**72 steps after the one before. Theano 1.0.5 takes
those jumps one stream at a time, calling a small compiled Theano function per stream
(and compiling it at the first): some 20 ms for each dropout a script builds. Here the
jumps are taken by doubling: the streams made so far jump all at once as far as their
number, a power of the jump matrix that is squared at each turn. Every number is an
integer below 2**31 and each product is taken modulo the generator's modulus before the
sums, as in Theano's C code: exact arithmetic, so the same states.
"""
import numpy as np
from theano.sandbox import rng_mrg

JUMPS_2P72 = [(rng_mrg.A1p72, int(rng_mrg.M1)), (rng_mrg.A2p72, int(rng_mrg.M2))]  # one stream to the next
JUMPS_2P134 = [(rng_mrg.A1p134, int(rng_mrg.M1)), (rng_mrg.A2p134, int(rng_mrg.M2))]  # one sample to the next
HALVES = (slice(0, 3), slice(3, 6))  # a state: the first component's three numbers, then the second's
THEANOS = (rng_mrg.MRG_RandomStreams.get_substream_rstates, rng_mrg.MRG_RandomStreams.inc_rstate)


def _jumped(states, matrix, modulus):
    """Each row of `states` (int64, below the modulus) times `matrix`, modulo `modulus`."""
    return ((states[:, None, :] * matrix[None, :, :]) % modulus).sum(axis=-1) % modulus


def _squared(matrix, modulus):
    return ((matrix[:, :, None] * matrix[None, :, :]) % modulus).sum(axis=1) % modulus


def get_substream_rstates(self, n_streams, dtype, inc_rstate=True):
    """Theano's MRG_RandomStreams.get_substream_rstates: `n_streams` states (int32, 6 each), the
    first this generator's, each after it 2**72 steps after the one before."""
    assert 0 < n_streams < 2 ** 72
    states = np.zeros((n_streams, 6), dtype=np.int64)
    states[0] = self.rstate
    jumps, done = JUMPS_2P72, 1
    while done < n_streams:  # states[:done] are made; jumps take a state `done` streams on
        more = min(done, n_streams - done)
        for half, (matrix, modulus) in zip(HALVES, jumps):
            states[done:done + more, half] = _jumped(states[:more, half], matrix, modulus)
        jumps, done = [(_squared(matrix, modulus), modulus) for matrix, modulus in jumps], done + more
    if inc_rstate:
        self.inc_rstate()
    return states.astype(np.int32)


def inc_rstate(self):
    """Theano's MRG_RandomStreams.inc_rstate: the next sample's streams start 2**134 steps on."""
    state = np.asarray(self.rstate, dtype=np.int64)[None]
    self.rstate = np.concatenate([_jumped(state[:, half], matrix, modulus) for half, (matrix, modulus)
                                  in zip(HALVES, JUMPS_2P134)], axis=1)[0].astype(np.int32)


def install():
    rng_mrg.MRG_RandomStreams.get_substream_rstates = get_substream_rstates
    rng_mrg.MRG_RandomStreams.inc_rstate = inc_rstate
