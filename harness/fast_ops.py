"""Faster C code for the ops that dominate a convnet step, swapped in by graph rewrites.

Theano's own ops stay in the scripts' graphs; when a function is compiled (mode FAST_RUN,
the default), local optimizers registered here replace them by these ops, which compute
bit for bit the same results, keep the replaced node's stack trace, and are instances of
the Theano op they stand in for (but the masked gradient, which computes more):
- fast_mrg_uniform: dropout's random numbers (MRG_RandomStreams) on all cores. Each of
  the generator's streams is an independent MRG31k3p generator with its own state row;
  Theano's C code steps them one number at a time, these run whole blocks of streams
  side by side in vector registers, blocks spread over the cores.
- fast_max_pool, fast_max_pool_grad: max-pooling with windows that do not overlap
  (the talk's 2x2), and its gradient, in one pass over contiguous memory on all cores.
- fast_masked_max_pool_grad: that gradient times the rectifier's before it (Theano's
  mul(EQ(a, b), g)), in the same pass.
Their C code is C, in harness/c/mrg_uniform.c and harness/c/max_pool.c (harness/c_files.py
hands it to Theano).

Each is on by default and off with a Theano flag, for A/B runs, in every mode a function
is compiled in (Theano's own optimizer names reach only its default mode):
    THEANO_FLAGS=optimizer_excluding=fast_mrg_uniform      one of them (names above)
    THEANO_FLAGS=optimizer_excluding=fast_ops              all of them
"""
import numpy as np
import theano
from theano import gof, scalar, tensor
from theano.gof.op import OpenMPOp
from theano.gof.opt import copy_stack_trace
from theano.sandbox.rng_mrg import mrg_uniform
from theano.tensor.opt import register_specialize
from theano.tensor.signal.pool import MaxPoolGrad, Pool

from harness.c_files import CFile, c_type, checked_call

TAG = "fast_ops"
# Theano applies THEANO_FLAGS's optimizer_excluding to its default mode only (a function
# compiled with mode='FAST_RUN' or a Mode object ignores it); the rewrites it names, or
# TAG, are not registered at all, so that no mode has them. The flag cannot change later.
EXCLUDED = set(theano.config.optimizer_excluding.split(":"))


def register(rewrite, name, register_in):
    """Registers a rewrite in a Theano optimizer database (register_specialize and the
    like) under its name and TAG, unless THEANO_FLAGS's optimizer_excluding names either."""
    if not {name, TAG} & EXCLUDED:
        # 'cxx_only': Theano skips the rewrite without a compiler (their C code is the point)
        register_in(rewrite, TAG, "cxx_only", name=name)


def with_stack_trace(node, new_outputs):
    """new_outputs, in place of node's, with its stack trace (where the script built it)."""
    copy_stack_trace(node.outputs, new_outputs)
    return new_outputs


# --- dropout's random numbers -------------------------------------------------------------

MRG_UNIFORM_C = CFile("mrg_uniform.c")


class ParallelMRGUniform(mrg_uniform):
    """Uniform random numbers in [0, 1) from MRG31k3p streams, as dropout draws them: Theano's
    mrg_uniform (theano.sandbox.rng_mrg; the same inputs, outputs, checks and C entry code),
    whose generator loop (harness/c/mrg_uniform.c) steps many streams at once, on all cores.
    The same numbers and new states as mrg_uniform's, bit for bit."""

    def c_support_code(self):
        return MRG_UNIFORM_C.text()

    def c_compile_args(self):
        return ["-fopenmp"] if theano.config.openmp else []

    def c_headers(self):
        return ["omp.h"] if theano.config.openmp else []

    def c_code_cache_version(self):
        return MRG_UNIFORM_C.version + (theano.config.openmp,) + super().c_code_cache_version()


@gof.local_optimizer([mrg_uniform])
def fast_mrg_uniform(node):
    op = node.op
    if type(op) is mrg_uniform and op.output_type.dtype in ("float32", "float64"):
        return with_stack_trace(node, ParallelMRGUniform(op.output_type, op.inplace).make_node(*node.inputs).outputs)
    return False


# --- max-pooling ----------------------------------------------------------------------------

MAX_POOL_C = CFile("max_pool.c")


def _non_overlapping_windows(node, first_parameter):
    """The window (rows, columns) of a 2D max-pooling node if its windows do not overlap
    and it pads nothing; None otherwise."""
    op = node.op
    if op.mode != "max" or op.ndim != 2 or node.inputs[0].dtype not in ("float32", "float64"):
        return None
    parameters = node.inputs[first_parameter:first_parameter + 3]  # ws, stride, pad
    if not all(isinstance(p, theano.Constant) for p in parameters):
        return None
    ws, stride, pad = (tuple(int(v) for v in np.asarray(p.data)) for p in parameters)
    if ws != stride or any(pad) or min(ws) < 1:
        return None
    return ws


def _check_windows(node, first_parameter):
    """node, if its window parameters are its op's windows ws; a ValueError otherwise."""
    if _non_overlapping_windows(node, first_parameter) != node.op.ws:
        raise ValueError(f"{type(node.op).__name__} pools in windows {node.op.ws} (stride the same, no padding) "
                         "only, in float32 or float64")
    return node


class MaxPool(Pool):
    """The maxima of an image's windows ws, which do not overlap (stride == ws, no padding),
    over its last two axes: Theano's Pool(mode='max', ndim=2) (theano.tensor.signal.pool;
    the same inputs, output, shape, gradient and Python code), with C code for these
    windows (harness/c/max_pool.c). The same output as Pool's, bit for bit (the first of
    equal maxima, as Theano's `a > max` keeps)."""

    __props__ = Pool.__props__ + ("ws",)

    def __init__(self, ws, ignore_border, openmp=None):
        super().__init__(ignore_border, mode="max", ndim=2, openmp=openmp)
        self.ws = tuple(int(size) for size in ws)

    def make_node(self, x, ws, stride=None, pad=None):
        return _check_windows(super().make_node(x, ws, stride, pad), 1)

    def c_support_code(self):
        return MAX_POOL_C.text()

    def c_code_cache_version(self):
        return MAX_POOL_C.version + (self.openmp,)

    def c_code(self, node, name, inputs, outputs, sub):
        (wh, ww), ignore_border = self.ws, str(self.ignore_border).lower()
        call = f"fast_max_pool<{c_type(node.inputs[0])}, {wh}, {ww}, {ignore_border}>({inputs[0]}, &{outputs[0]})"
        return checked_call(call, sub)


def _pool_gradient_call(op, node, inputs, masks, output):
    """The call of harness/c/max_pool.c's fast_max_pool_grad for op's windows and node's types."""
    (wh, ww), ignore_border = op.ws, str(op.ignore_border).lower()
    x, maxout, gz = inputs[:3]
    types = ", ".join(c_type(variable) for variable in node.inputs[:3])
    arrays = ", ".join([x, maxout, gz] + (list(masks) or ["NULL", "NULL"]) + [f"&{output}"])
    return f"fast_max_pool_grad<{types}, {wh}, {ww}, {ignore_border}, {str(bool(masks)).lower()}>({arrays})"


class MaxPoolGradient(MaxPoolGrad):
    """The gradient of max-pooling in windows ws that do not overlap (stride == ws, no
    padding): every position of a window that equals the window's maximum gets the
    window's gradient (all of them, when several do). Theano's MaxPoolGrad(ndim=2)
    (theano.tensor.signal.pool; the same inputs, output, shape, gradient and Python code),
    with C code for these windows (harness/c/max_pool.c). The same output as
    MaxPoolGrad's, bit for bit."""

    __props__ = MaxPoolGrad.__props__ + ("ws",)

    def __init__(self, ws, ignore_border, openmp=None):
        super().__init__(ignore_border, ndim=2, openmp=openmp)
        self.ws = tuple(int(size) for size in ws)

    def make_node(self, x, maxout, gz, ws, stride=None, pad=None):
        return _check_windows(super().make_node(x, maxout, gz, ws, stride, pad), 3)

    def c_support_code(self):
        return MAX_POOL_C.text()

    def c_code_cache_version(self):
        return MAX_POOL_C.version + (self.openmp,)

    def c_code(self, node, name, inputs, outputs, sub):
        return checked_call(_pool_gradient_call(self, node, inputs, [], outputs[0]), sub)


class MaskedMaxPoolGradient(OpenMPOp):
    """mul(EQ(a, b), MaxPoolGrad(x, maxout, gz)) in one pass, for windows ws that do not
    overlap: a rectifier's gradient (a its output, b its input) times the gradient of the
    max-pooling after it, with C code in harness/c/max_pool.c. The same bits as Theano's
    two ops (Elemwise{mul} of Elemwise{EQ} and MaxPoolGrad), without writing and reading
    back the pooling's gradient in between."""

    __props__ = ("ws", "ignore_border")

    def __init__(self, ws, ignore_border, openmp=None):
        super().__init__(openmp=openmp)
        self.ws = tuple(int(size) for size in ws)
        self.ignore_border = bool(ignore_border)

    def make_node(self, x, maxout, gz, a, b):
        x, maxout, gz, a, b = map(tensor.as_tensor_variable, (x, maxout, gz, a, b))
        assert x.ndim == maxout.ndim == gz.ndim >= 2 and x.dtype == maxout.dtype == gz.dtype
        assert a.type == b.type == x.type
        return gof.Apply(self, [x, maxout, gz, a, b], [x.type()])

    def infer_shape(self, node, shapes):
        return [shapes[0]]

    def c_support_code(self):
        return MAX_POOL_C.text()

    def c_code_cache_version(self):
        return MAX_POOL_C.version + (self.openmp,)

    def c_code(self, node, name, inputs, outputs, sub):
        return checked_call(_pool_gradient_call(self, node, inputs, inputs[3:], outputs[0]), sub)


@gof.local_optimizer([tensor.Elemwise])
def fast_masked_max_pool_grad(node):
    """Elemwise{mul}(Elemwise{EQ}(a, b), MaxPoolGradient(x, ...)) -> MaskedMaxPoolGradient,
    where a, b and x have the same type (no broadcasting) and the product is of that type."""
    if not (isinstance(node.op, tensor.Elemwise) and isinstance(node.op.scalar_op, scalar.Mul)
            and len(node.inputs) == 2):
        return False
    for mask, pooled in (node.inputs, node.inputs[::-1]):
        if (mask.owner and pooled.owner and type(pooled.owner.op) is MaxPoolGradient
                and isinstance(mask.owner.op, tensor.Elemwise) and isinstance(mask.owner.op.scalar_op, scalar.EQ)):
            a, b = mask.owner.inputs
            x = pooled.owner.inputs[0]
            if a.type == b.type == x.type == node.outputs[0].type:
                op = pooled.owner.op
                masked = MaskedMaxPoolGradient(op.ws, op.ignore_border)(*pooled.owner.inputs[:3], a, b)
                return with_stack_trace(node, [masked])
    return False


def _rewrite_pooling(theano_op, fast_op, arrays):
    """A local optimizer putting fast_op in place of theano_op where the windows allow;
    both ops take `arrays` arrays, then the windows' ws, stride and pad."""
    @gof.local_optimizer([theano_op])
    def rewrite(node):
        if type(node.op) is theano_op:
            ws = _non_overlapping_windows(node, arrays)
            if ws:
                return with_stack_trace(node, [fast_op(ws, node.op.ignore_border)(*node.inputs)])
        return False
    return rewrite


REWRITES = {
    "fast_mrg_uniform": fast_mrg_uniform,
    "fast_max_pool": _rewrite_pooling(Pool, MaxPool, 1),
    "fast_max_pool_grad": _rewrite_pooling(MaxPoolGrad, MaxPoolGradient, 3),
    "fast_masked_max_pool_grad": fast_masked_max_pool_grad,
}


def install():
    """Register the rewrites (but those THEANO_FLAGS's optimizer_excluding names)."""
    for name, rewrite in REWRITES.items():
        register(rewrite, name, register_specialize)
