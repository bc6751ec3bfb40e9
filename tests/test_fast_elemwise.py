"""The fused elementwise loops (harness/fast_elemwise.py) against Theano's own, bit for bit.

Each case compiles the same graph twice, in FAST_RUN with the rewrite and with it excluded
(Theano's own Elemwise loops), and compares the results' bits: RMSprop's update of the
scripts' weights (and odd shapes) over several steps, and a rectifier whose output feeds
its dropout and its gradient. Those comparisons are the second tier's: they compile
Theano's own loops, which no program runs; the first tier keeps the rewrite's off switch."""
import numpy as np
import pytest

from test_fast_ops import assert_traced, modes, op_names, same_bits, theano  # noqa: F401  the fixture

# every weight of scripts 3-5, and odd shapes: one value, a partial block, a vector
SHAPES = [(784, 625), (625, 625), (625, 10), (32, 1, 3, 3), (64, 32, 3, 3), (128, 64, 3, 3), (1152, 625),
          (1, 1), (3, 7), (1025,), (2049, 3)]
RMSPROP_CASES = [pytest.param(shape, dtype, id=f"{'x'.join(map(str, shape))}-{dtype}")
                 for dtype in ("float32", "float64") for shape in SHAPES]


def compiled(theano, inputs, outputs, updates=(), fused=True):
    """A function compiled with the rewrite (fused) or without it."""
    fast, _ = modes(theano)
    return theano.function(inputs, outputs, updates=updates, mode=fast if fused else fast.excluding("fast_elemwise"))


def compiled_both_ways(theano, inputs, outputs):
    return [compiled(theano, inputs, outputs, fused=fused) for fused in (True, False)]


def rmsprop(theano, cost, params, lr=0.001, rho=0.9, epsilon=1e-6):
    """The scripts' RMSprop, as 4_modern_net.py writes it."""
    from theano import tensor as T
    updates = []
    for p, g in zip(params, T.grad(cost=cost, wrt=params)):
        acc = theano.shared(p.get_value() * 0.)
        acc_new = rho * acc + (1 - rho) * g ** 2
        g = g / T.sqrt(acc_new + epsilon)
        updates += [(acc, acc_new), (p, p - lr * g)]
    return updates


@pytest.mark.slow
@pytest.mark.parametrize("shape, dtype", RMSPROP_CASES)
def test_rmsprops_update_is_theanos(theano, shape, dtype):
    from theano import tensor as T
    rng = np.random.RandomState(len(shape))
    start = (rng.standard_normal(shape) * 0.01).astype(dtype)
    # targets down to the subnormal (acc's decay) and zero (no gradient)
    targets = [(rng.standard_normal(shape) * scale).astype(dtype) for scale in (1, 1e-3, 1e-20, 0, 1)]
    target = T.TensorType(dtype, (False,) * len(shape))()
    results = []
    for fused in (True, False):
        w = theano.shared(start.copy())
        cost = T.sum(T.sqr(w - target) * T.abs_(target))  # a gradient of its own at every weight
        step = compiled(theano, [target], cost, rmsprop(theano, cost, [w]), fused)
        assert ("FusedElemwise" in op_names(step)) == fused
        results.append([step(t) for t in targets] + [w.get_value()])
    assert all(same_bits(a, b) for a, b in zip(*results))


@pytest.mark.slow
@pytest.mark.parametrize("shape", [(128, 625), (127, 32, 15, 15), (1, 7)])
def test_a_rectifier_feeding_its_dropout_and_its_gradient_is_theanos(theano, shape):
    from theano import tensor as T
    x = T.TensorType("float32", (False,) * len(shape))()
    mask = T.TensorType("float32", (False,) * len(shape))()
    h = T.maximum(x, 0.)
    dropped = h * (mask < 0.5) / 0.5
    outputs = [dropped, T.grad(T.sum(T.sqr(dropped)) + T.sum(h), x)]
    fused, theirs = compiled_both_ways(theano, [x, mask], outputs)
    assert "FusedElemwise" in op_names(fused) and "FusedElemwise" not in op_names(theirs)
    rng = np.random.RandomState(0)
    args = [rng.standard_normal(shape).astype("float32"), rng.uniform(size=shape).astype("float32")]
    args[0].flat[::5] = 0  # the rectifier's kink
    assert all(same_bits(a, b) for a, b in zip(fused(*args), theirs(*args)))


@pytest.mark.slow
def test_strided_inputs_are_read_as_theano_reads_them(theano):
    from theano import tensor as T
    x = T.fmatrix()
    h = T.exp(x)
    fused, theirs = compiled_both_ways(theano, [x], [h * 2, h + 1])
    assert "FusedElemwise" in op_names(fused)
    values = np.random.RandomState(1).standard_normal((64, 90)).astype("float32")
    for view in (values[:, ::3], values.T, values[::-1]):
        assert all(same_bits(a, b) for a, b in zip(fused(view), theirs(view)))


def test_the_rewrite_is_switched_off_by_its_name_and_keeps_the_stack_trace(theano):
    from theano import tensor as T
    x = T.fmatrix()
    h = T.exp(x)
    outputs = [T.sqrt(h), T.tanh(h)]  # ops Theano's canonical forms keep, and their traces
    fused, theirs = compiled_both_ways(theano, [x], outputs)
    assert_traced(fused, {"FusedElemwise"}, __file__)
    assert "FusedElemwise" not in op_names(theirs)
    every_fast_op_off = theano.function([x], outputs, mode=modes(theano)[1])
    assert "FusedElemwise" not in op_names(every_fast_op_off)
