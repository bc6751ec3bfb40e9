"""The fast ops (harness/fast_ops.py) against Theano's own, bit for bit, and in the convnet's graph.

Each case compiles the same graph twice, in FAST_RUN with the fast ops and with them
excluded (Theano's own ops), and compares the results' bits. The shapes are the
convnet's, at batches 128, 127 and 1, and odd ones. Those comparisons are the second
tier's: they compile Theano's own ops, which no program runs; the first tier keeps the
off switches, the stack traces and the ops' classes."""
import ast
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from test_scripts import assert_clean_exit


@pytest.fixture(scope="module")
def theano():
    """Theano with this project's defaults and the fast ops registered, as the scripts have it;
    the environment the tests' subprocesses inherit stays as it was."""
    saved, hook = dict(os.environ), sys.excepthook
    import harness  # noqa: F401
    import theano
    os.environ.clear()
    os.environ.update(saved)
    sys.excepthook = hook
    return theano


def modes(theano):
    fast = theano.compile.mode.get_mode("FAST_RUN")
    return fast, fast.excluding("fast_ops")


def op_names(function):
    return {type(node.op).__name__ for node in function.maker.fgraph.toposort()}


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# (streams, sizes drawn from them): the convnet's dropout leaves the number of streams
# to MRG_RandomStreams, which takes 60 * 256 when the shape is symbolic; odd numbers of
# streams leave a partial block of 16; fewer numbers than streams leave some unused.
MRG_CASES = [
    (60 * 256, [(128, 32, 15, 15), (127, 64, 7, 7), (1, 32, 15, 15)]),
    (60 * 256, [(128, 1152), (1, 625)]),
    (37, [(5, 7), (1, 1), (127, 13)]),
    (16, [(3, 17), (2, 8)]),
    (1, [(11,)]),
]


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("streams, sizes", MRG_CASES)
def test_random_numbers_and_states_are_theanos(theano, streams, sizes, dtype):
    from theano import tensor as T
    from theano.sandbox.rng_mrg import MRG_RandomStreams
    size = T.lvector()
    functions, states = [], []
    for mode in modes(theano):
        random = MRG_RandomStreams(seed=1234)
        sample = random.uniform(size, ndim=len(sizes[0]), nstreams=streams, dtype=dtype)
        functions.append(theano.function([size], sample, mode=mode))  # the states update by default
        states.append(random.state_updates[0][0])
    fast, own = functions
    assert "ParallelMRGUniform" in op_names(fast) and "mrg_uniform" not in op_names(fast)
    assert "mrg_uniform" in op_names(own) and "ParallelMRGUniform" not in op_names(own)
    for shape in sizes * 2:  # each size twice: the second call starts from the updated states
        assert same_bits(fast(shape), own(shape)), shape
        assert same_bits(states[0].get_value(), states[1].get_value()), shape


POOL_SHAPES = [
    (128, 32, 30, 30), (128, 64, 13, 13), (128, 128, 5, 5),  # the convnet's three poolings
    (127, 32, 30, 30), (1, 64, 13, 13), (1, 128, 5, 5),
    (3, 2, 7, 4), (2, 3, 1, 1), (1, 1, 2, 9), (0, 2, 5, 5),
]


def pool_input(shape, rng):
    """Rectified values (many ties at 0), some rows rounded (more ties), some -0 and NaN."""
    x = np.maximum(rng.randn(*shape), 0).astype(np.float32)
    x[..., ::3, :] = np.round(x[..., ::3, :])
    x.flat[::7] = -0.0
    x.flat[5::101] = np.nan
    return x


@pytest.mark.slow
@pytest.mark.parametrize("ws", [(2, 2), (3, 2)])
@pytest.mark.parametrize("ignore_border", [False, True])
def test_max_pool_and_its_gradient_are_theanos(theano, ws, ignore_border):
    from theano import tensor as T
    from theano.tensor.signal.pool import pool_2d
    x, gradient = T.ftensor4(), T.ftensor4()
    pooled = pool_2d(x, ws, ignore_border=ignore_border)
    outputs = [pooled, theano.grad(None, x, known_grads={pooled: gradient})]
    fast, own = (theano.function([x, gradient], outputs, mode=mode) for mode in modes(theano))
    assert {"MaxPool", "MaxPoolGradient"} <= op_names(fast) and not {"Pool", "MaxPoolGrad"} & op_names(fast)
    assert {"Pool", "MaxPoolGrad"} <= op_names(own) and not {"MaxPool", "MaxPoolGradient"} & op_names(own)
    rng = np.random.RandomState(1)
    for shape in POOL_SHAPES:
        if ignore_border and (shape[2] < ws[0] or shape[3] < ws[1]):
            continue  # nothing left to pool
        images = pool_input(shape, rng)
        rows = -(-shape[2] // ws[0]) if not ignore_border else shape[2] // ws[0]
        columns = -(-shape[3] // ws[1]) if not ignore_border else shape[3] // ws[1]
        upstream = rng.randn(shape[0], shape[1], rows, columns).astype(np.float32)
        upstream.flat[::5] = -0.0  # Theano's 0 + g turns these into +0
        for mine, theirs in zip(fast(images, upstream), own(images, upstream)):
            assert same_bits(mine, theirs), shape


@pytest.mark.slow
@pytest.mark.parametrize("ignore_border", [False, True])
def test_the_rectifier_and_pooling_gradient_in_one_pass_is_theanos(theano, ignore_border):
    """rectify -> max-pool, as in each of the convnet's blocks: the rectifier's gradient
    (EQ(its output, its input) * the pooling's gradient) and the pooling's, in one op."""
    from theano import tensor as T
    from theano.tensor.signal.pool import pool_2d
    x, gradient = T.ftensor4(), T.ftensor4()
    pooled = pool_2d(T.maximum(x, 0.), (2, 2), ignore_border=ignore_border)
    outputs = [pooled, theano.grad(None, x, known_grads={pooled: gradient})]
    fast, own = (theano.function([x, gradient], outputs, mode=mode) for mode in modes(theano))
    assert "MaskedMaxPoolGradient" in op_names(fast) and "MaxPoolGradient" not in op_names(fast)
    assert "MaskedMaxPoolGradient" not in op_names(own)
    rng = np.random.RandomState(2)
    for shape in POOL_SHAPES:
        images = rng.randn(*shape).astype(np.float32)
        images.flat[::7] = -0.0  # the rectifier's ties: -0 and +0
        images.flat[1::7] = 0.0
        images.flat[5::101] = np.nan
        rows, columns = ((-(-n // 2) if not ignore_border else n // 2) for n in shape[2:])
        upstream = rng.randn(shape[0], shape[1], rows, columns).astype(np.float32)
        upstream.flat[::5] = -0.0
        upstream.flat[3::97] = np.inf  # 0 * inf is NaN: the mask multiplies, as Theano's does
        for mine, theirs in zip(fast(images, upstream), own(images, upstream)):
            assert same_bits(mine, theirs), shape


def test_each_rewrite_is_switched_off_by_its_name(theano):
    from theano import tensor as T
    from theano.tensor.signal.pool import pool_2d
    x = T.ftensor4()
    pooled = pool_2d(x, (2, 2), ignore_border=False)
    gradient = theano.grad(pooled.sum(), x)
    fast = modes(theano)[0]
    assert op_names(theano.function([x], gradient, mode=fast.excluding("fast_max_pool_grad"))) >= {
        "MaxPool", "MaxPoolGrad"}
    assert op_names(theano.function([x], gradient, mode=fast.excluding("fast_max_pool"))) >= {
        "Pool", "MaxPoolGradient"}
    rectified = theano.grad(pool_2d(T.maximum(x, 0.), (2, 2), ignore_border=False).sum(), x)
    assert "MaskedMaxPoolGradient" in op_names(theano.function([x], rectified, mode=fast))
    assert op_names(theano.function([x], rectified, mode=fast.excluding("fast_masked_max_pool_grad"))) >= {
        "MaxPoolGradient"}


def assert_traced(function, names, built_by):
    """The compiled function has nodes of each op named in `names`, and their outputs carry a
    stack trace (what Theano's check_stack_trace checks); a trace of a node the test itself
    built names the file `built_by` (a gradient's names theano/gradient.py, as Theano's own do)."""
    nodes = [node for node in function.maker.fgraph.apply_nodes if type(node.op).__name__ in names]
    assert {type(node.op).__name__ for node in nodes} == set(names)
    for node in nodes:
        for output in node.outputs:
            files = {frame[0] for trace in getattr(output.tag, "trace", []) for frame in trace}
            assert files, node
            assert built_by in files or "Grad" in type(node.op).__name__, (node, files)


def test_the_fast_ops_keep_the_stack_trace_of_the_line_that_built_the_graph(theano):
    from theano import tensor as T
    from theano.sandbox.rng_mrg import MRG_RandomStreams
    from theano.tensor.signal.pool import pool_2d
    x, gradient = T.ftensor4(), T.ftensor4()
    dropped = x * MRG_RandomStreams(seed=1).uniform(x.shape)
    pooled = pool_2d(dropped, (2, 2), ignore_border=False)
    rectified = pool_2d(T.maximum(x, 0.), (2, 2), ignore_border=False)
    outputs = [pooled, theano.grad((pooled * gradient).sum() + (rectified * gradient).sum(), x)]
    # without the inplace rewrites: Theano's own that makes the random numbers' op inplace
    # drops the stack trace, with the fast ops on or off
    fast = theano.function([x, gradient], outputs, mode=modes(theano)[0].excluding("inplace"))
    assert_traced(fast, {"ParallelMRGUniform", "MaxPool", "MaxPoolGradient", "MaskedMaxPoolGradient"}, __file__)


def test_the_pooling_ops_are_theanos_pooling_ops(theano):
    """Theano's own tests, and its other rewrites, look for Pool and MaxPoolGrad nodes;
    the masked gradient computes more than MaxPoolGrad, so it is none."""
    from theano.tensor.signal.pool import MaxPoolGrad, Pool
    from harness.fast_ops import MaskedMaxPoolGradient, MaxPool, MaxPoolGradient
    assert issubclass(MaxPool, Pool) and issubclass(MaxPoolGradient, MaxPoolGrad)
    assert not issubclass(MaskedMaxPoolGradient, MaxPoolGrad)


# images with no rows or no columns, an empty batch, images smaller than a window
EMPTY_SHAPES = [(2, 3, 0, 4), (2, 3, 4, 0), (2, 3, 0, 0), (0, 3, 4, 4), (2, 3, 1, 1)]


@pytest.mark.slow
@pytest.mark.parametrize("ignore_border", [False, True])
def test_empty_images_pool_to_empty_results(theano, ignore_border):
    """The pooled shape is Theano's Pool.out_shape, and with ignore_border Theano's C
    code returns the same; without it, images with no rows or no columns are where
    Theano's C code returns one row or column read from outside the images (its C
    division rounds (0 - 1) / 2 toward 0), and its Python code refuses them."""
    from theano import tensor as T
    from theano.tensor.signal.pool import Pool, pool_2d
    x, gradient = T.ftensor4(), T.ftensor4()
    pooled = pool_2d(x, (2, 2), ignore_border=ignore_border)
    rectified = pool_2d(T.maximum(x, 0.), (2, 2), ignore_border=ignore_border)
    outputs = [pooled, theano.grad(None, x, known_grads={pooled: gradient}),
               theano.grad(None, x, known_grads={rectified: gradient})]
    fast, own = (theano.function([x, gradient], outputs, mode=mode) for mode in modes(theano))
    assert {"MaxPool", "MaxPoolGradient", "MaskedMaxPoolGradient"} <= op_names(fast)
    for shape in EMPTY_SHAPES:
        images = np.ones(shape, np.float32)
        upstream = np.ones(Pool.out_shape(shape, (2, 2), ignore_border), np.float32)
        results = fast(images, upstream)
        assert [r.shape for r in results] == [upstream.shape, shape, shape], shape
        if ignore_border or 0 not in shape[2:]:
            assert all(same_bits(mine, theirs) for mine, theirs in zip(results, own(images, upstream))), shape


OFF_SWITCH = """
import harness, theano
from theano import tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams
from theano.tensor.nnet import conv2d
from theano.tensor.signal.pool import pool_2d
x, filters = T.ftensor4(), T.ftensor4()
pooled = pool_2d(T.maximum(conv2d(x, filters), 0.), (2, 2), ignore_border=False)
dropped = pooled * MRG_RandomStreams(seed=1).uniform(pooled.shape)
outputs = [dropped] + theano.grad(dropped.sum(), [x, filters])
for mode in (None, "FAST_RUN", theano.config.mode, theano.Mode(optimizer="fast_run"),
             theano.compile.mode.get_mode("FAST_RUN")):
    function = theano.function([x, filters], outputs, mode=mode)
    print(sorted({type(node.op).__name__ for node in function.maker.fgraph.apply_nodes}))
"""
FAST = {"ParallelMRGUniform", "MaxPool", "MaskedMaxPoolGradient", "FastCorrMM", "FastCorrMMGradWeights",
        "FastCorrMMGradInputs"}


@pytest.mark.parametrize("flags, absent", [
    ("optimizer_excluding=fast_ops", FAST),
    ("optimizer_excluding=fast_max_pool:fast_convolutions",
     {"MaxPool", "FastCorrMM", "FastCorrMMGradWeights", "FastCorrMMGradInputs"}),
])
def test_the_flag_switches_fast_ops_off_in_every_mode(flags, absent):
    """Theano applies optimizer_excluding to functions compiled in its default mode only;
    the fast ops are off in every mode a function is compiled in (the default, 'FAST_RUN',
    theano.config.mode, a Mode object), and the others stay on."""
    result = subprocess.run([sys.executable, "-c", OFF_SWITCH], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "THEANO_FLAGS": flags})
    assert_clean_exit(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 5, result.stdout  # one a mode
    for line in lines:
        ops = set(ast.literal_eval(line))
        assert not absent & ops and FAST - absent <= ops, ops


CONVNET_OPS = ("import runpy, sys; sys.argv = ['5_convolutional_net.py', '--epochs', '0', '--ntrain', '256', "
               "'--ntest', '10', '--data-dir', sys.argv[1]]; done = runpy.run_path(sys.argv[0]); "
               "print(sorted({type(n.op).__name__ for f in (done['train'], done['predict']) "
               "for n in f.maker.fgraph.toposort()}))")


# two more convnet compiles, one without the fast ops: the second tier
@pytest.mark.slow
@pytest.mark.parametrize("flags, present, absent", [
    ("", {"ParallelMRGUniform", "MaxPool", "MaskedMaxPoolGradient", "FastCorrMM", "FastCorrMMGradWeights",
          "FastCorrMMGradInputs"}, {"mrg_uniform", "Pool", "MaxPoolGrad", "CorrMM", "CorrMM_gradWeights"}),
    ("optimizer_excluding=fast_ops", {"mrg_uniform", "Pool", "MaxPoolGrad", "CorrMM", "CorrMM_gradWeights",
                                      "CorrMM_gradInputs"},
     {"ParallelMRGUniform", "MaxPool", "MaxPoolGradient", "MaskedMaxPoolGradient", "FastCorrMM",
      "FastCorrMMGradWeights"}),
])
def test_the_convnet_runs_the_fast_ops_unless_switched_off(synthetic_mnist, flags, present, absent):
    result = subprocess.run([sys.executable, "-c", CONVNET_OPS, synthetic_mnist],
                            cwd=REPO, capture_output=True, text=True, env={**os.environ, "THEANO_FLAGS": flags})
    assert_clean_exit(result)
    ops = set(ast.literal_eval(result.stdout.strip().splitlines()[-1]))
    assert present <= ops and not absent & ops, ops


# two runs of each script, one with Theano's own ops: the second tier
@pytest.mark.slow
@pytest.mark.parametrize("script", ["3_net.py", "4_modern_net.py", "5_convolutional_net.py"])
def test_a_script_prints_and_learns_the_same_with_the_fast_ops_off(synthetic_mnist, tmp_path, script):
    """Every fast op computes Theano's bits, so a run prints the same numbers and saves
    the same weights with them as without: 16 steps of dropout, pooling, convolutions and
    fused elementwise loops."""
    epochs, weights = [], []
    for flags in ("", "optimizer_excluding=fast_ops"):
        model = tmp_path / f"model{len(weights)}.npz"
        result = subprocess.run([sys.executable, script, "--epochs", "2", "--ntrain", "1024", "--ntest", "200",
                                 "--data-dir", synthetic_mnist, "--save-model", str(model)],
                                cwd=REPO, capture_output=True, text=True, env={**os.environ, "THEANO_FLAGS": flags})
        assert_clean_exit(result)
        # each epoch's line without its seconds
        epochs.append([line.rsplit(None, 2)[0] for line in result.stdout.splitlines() if line.startswith("epoch")])
        with np.load(model) as saved:
            weights.append([saved[name] for name in sorted(saved.files)])
    assert len(epochs[0]) == 2 and epochs[0] == epochs[1]
    assert len(weights[0]) == len(weights[1]) >= 2
    differing = [i for i, (mine, theirs) in enumerate(zip(*weights)) if not same_bits(mine, theirs)]
    assert not differing, f"saved arrays {differing} differ with the fast ops off"
