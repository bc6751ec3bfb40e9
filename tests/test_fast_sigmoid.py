"""The sigmoid's 8 lanes (harness/fast_sigmoid.py, harness/c/sigmoid.c) against Theano's own
line, bit for bit: in compiled functions (the rewrite on, and excluded), and the C file on
its own (where the lanes must run, not Theano's line in their place): every 4099th float32
(NaN, infinities, subnormals among them) in matrices and their views, and every float32.
These comparisons are the second tier's: they compile Theano's own sigmoid, which no
program runs; the first tier keeps 3_net's graph and the off switch."""
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from test_scripts import assert_clean_exit
from test_fast_ops import modes, same_bits, theano  # noqa: F401  the fixture

EVERY_FLOAT = 1  # the stride through the 2**32 bit patterns: every one
SPREAD = 4099    # every 4099th: 1,047,809 patterns, an odd number, so the last lanes are partial


def floats(stride, start=0, stop=2**32):
    """The float32 values of every stride-th bit pattern from start to stop."""
    return np.arange(start, stop, stride, dtype=np.uint64).astype(np.uint32).view(np.float32)


def scalar_ops(function):
    return {type(node.op.scalar_op).__name__ for node in function.maker.fgraph.toposort()
            if hasattr(node.op, "scalar_op")}


def vector_sigmoids(function):
    return [node for node in function.maker.fgraph.toposort()
            if type(getattr(node.op, "scalar_op", None)).__name__ == "VectorSigmoid"]


def compiled_both_ways(theano, inputs, outputs):
    fast, _ = modes(theano)
    return [theano.function(inputs, outputs, mode=mode) for mode in (fast, fast.excluding("fast_sigmoid"))]


@pytest.mark.slow
def test_the_sigmoid_is_theanos_on_float32_values_and_views(theano):
    from theano import tensor as T
    x = T.fmatrix()
    mine, theirs = compiled_both_ways(theano, [x], T.nnet.sigmoid(x))
    assert "VectorSigmoid" in scalar_ops(mine) and "VectorSigmoid" not in scalar_ops(theirs)
    assert "ScalarSigmoid" in scalar_ops(theirs)
    # the limits, the three floats either side of each, and both zeros
    limits = np.concatenate([floats(1, bits - 3, bits + 4) for bits in np.float32([-88, 15]).view(np.uint32)]
                            + [np.float32([0, -0.0])])
    for values in (floats(SPREAD).reshape(1, -1), limits.reshape(2, -1),
                   np.random.RandomState(0).standard_normal((128, 625)).astype(np.float32) * 10):
        assert same_bits(mine(values), theirs(values))
        for view in (values[:, ::3], values.T, values[::-1]):  # strided: Theano's own loop; transposed: lanes
            assert same_bits(mine(view), theirs(view))


def test_the_sigmoid_net_computes_its_sigmoid_in_place_as_theano_does(theano):
    """3_net.py's graph: sigmoid(dot(X, w_h)) written over the product, and the gradients."""
    from theano import tensor as T
    rng = np.random.RandomState(1)
    X, Y = T.fmatrix(), T.fmatrix()
    w_h, w_o = (theano.shared((rng.standard_normal(shape) * 0.01).astype(np.float32)) for shape in [(784, 625), (625, 10)])
    h = T.nnet.sigmoid(T.dot(X, w_h))
    cost = T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(T.dot(h, w_o)), Y))
    outputs = [h, cost] + T.grad(cost, [w_h, w_o])
    mine, theirs = compiled_both_ways(theano, [X, Y], outputs)
    [node] = vector_sigmoids(mine)
    assert node.op.destroy_map == {0: [0]}  # in place, as Theano's own is
    images = rng.uniform(size=(128, 784)).astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[rng.randint(10, size=128)]
    assert all(same_bits(a, b) for a, b in zip(mine(images, labels), theirs(images, labels)))


OFF = """
import harness, theano
from theano import tensor as T
x = T.fmatrix()
for mode in (None, "FAST_RUN", theano.Mode(optimizer="fast_run")):
    function = theano.function([x], T.nnet.sigmoid(x), mode=mode)
    print(sorted(type(n.op.scalar_op).__name__ for n in function.maker.fgraph.apply_nodes))
"""


@pytest.mark.parametrize("excluded", ["fast_sigmoid", "fast_ops"])
def test_the_rewrite_is_switched_off_by_its_name_and_keeps_the_stack_trace(theano, excluded):
    from theano import tensor as T
    x = T.fmatrix()
    mine, _ = compiled_both_ways(theano, [x], T.dot(T.nnet.sigmoid(x), x.T))
    nodes = vector_sigmoids(mine)
    traced = {frame[0] for output in nodes[0].outputs for trace in getattr(output.tag, "trace", []) for frame in trace}
    assert __file__ in traced
    result = subprocess.run([sys.executable, "-c", OFF], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "THEANO_FLAGS": f"optimizer_excluding={excluded}"})
    assert_clean_exit(result)
    assert result.stdout.split("\n")[:3] == ["['ScalarSigmoid']"] * 3, result.stdout


DRIVER = r"""
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef long npy_intp;
%s
int main(int argc, char **argv)
{
    const unsigned long stride = strtoul(argv[1], NULL, 10), chunk = 1 << 20;
    float *x = (float *)malloc(chunk * sizeof(float)), *z = (float *)malloc(chunk * sizeof(float));
    unsigned long checked = 0, different = 0;
    for (unsigned long start = 0; start < (1UL << 32); start += chunk * stride) {
        npy_intp n = 0;
        for (unsigned long bits = start; bits < (1UL << 32) && n < (npy_intp)chunk; bits += stride, n++) {
            unsigned int b = (unsigned int)bits;
            memcpy(&x[n], &b, 4);
        }
        fast_sigmoid_f32(x, z, n);
        for (npy_intp i = 0; i < n; i++) {
            float theirs = sigmoid_as_theano(x[i]);
            different += memcmp(&z[i], &theirs, 4) != 0;
        }
        checked += n;
    }
#ifdef SIGMOID_LANES
    printf("lanes %%d %%lu %%lu\n", sigmoid_lanes_agree(), checked, different);
#else
    printf("none 0 %%lu %%lu\n", checked, different);
#endif
    return 0;
}
"""


def lanes_against_theanos_line(theano, tmp_path, stride):
    """[whether the lanes were compiled, whether their first-call check passed, values
    checked, values whose bits differ from Theano's line], from harness/c/sigmoid.c compiled
    as Theano compiles it for this CPU (-O3 -march=native)."""
    from harness.fast_sigmoid import VectorSigmoid
    source = tmp_path / "driver.cpp"
    source.write_text(DRIVER % VectorSigmoid(None).c_support_code())
    program = tmp_path / "driver"
    compiled = subprocess.run(["g++", "-O3", "-march=native", str(source), "-o", str(program)],
                              capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    said = subprocess.run([str(program), str(stride)], capture_output=True, text=True, check=True).stdout.split()
    return said[0], int(said[1]), int(said[2]), int(said[3])


def cpu_has(*flags):
    said = subprocess.run(["g++", "-march=native", "-Q", "--help=target"], capture_output=True, text=True).stdout
    return all(f"{flag} [enabled]" in " ".join(said.split()) for flag in flags)


@pytest.mark.slow
@pytest.mark.skipif(not cpu_has("-mavx2", "-mfma"), reason="this CPU has no AVX2 and FMA: Theano's line runs alone")
def test_the_lanes_run_and_give_theanos_bits(theano, tmp_path):
    assert lanes_against_theanos_line(theano, tmp_path, SPREAD) == ("lanes", 1, 1047809, 0)


@pytest.mark.slow
def test_the_compiled_sigmoid_is_theanos_on_every_float32(theano):
    """Compiled by Theano as for the scripts: the lanes where this CPU has AVX2 and FMA."""
    from theano import tensor as T
    x = T.fvector()
    mine, theirs = compiled_both_ways(theano, [x], T.nnet.sigmoid(x))
    chunk = 2**24
    for start in range(0, 2**32, chunk):
        values = floats(EVERY_FLOAT, start, start + chunk)
        assert same_bits(mine(values), theirs(values)), hex(start)
