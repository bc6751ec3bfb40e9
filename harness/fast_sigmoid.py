"""The sigmoid of a float32 array, several values at a time, swapped in by a graph rewrite.

Theano's ScalarSigmoid calls expf once per value, in a loop the compiler cannot vectorize:
after the matrix products, the largest part of the sigmoid net's step (Theano's profiler,
benchmarks/profile_benchmark.py). VectorSigmoid is that op with C code (harness/c/sigmoid.c) for the arrays
Elemwise finds contiguous: expf as glibc computes it, in 8 lanes, the same bits as
Theano's line (checked on every float32 by tests/test_fast_sigmoid.py's second tier);
everything else, and any machine where that cannot hold, runs Theano's line itself.

Switched off with THEANO_FLAGS=optimizer_excluding=fast_sigmoid, or with the other fast
ops by optimizer_excluding=fast_ops.
"""
import theano
from theano import gof, scalar, tensor
from theano.tensor.nnet.sigm import ScalarSigmoid

from harness.c_files import CFile
from harness.fast_ops import EXCLUDED, TAG, with_stack_trace

SIGMOID_C = CFile("sigmoid.c")
NAME = "fast_sigmoid"


class VectorSigmoid(ScalarSigmoid):
    """Theano's ScalarSigmoid (theano.tensor.nnet.sigm; the same line of C per value, the same
    Python code and gradient) whose Elemwise loop over a contiguous float32 array computes
    8 values at a time (harness/c/sigmoid.c). The same bits as ScalarSigmoid's."""

    def c_support_code(self):
        line = ScalarSigmoid.c_code(self, gof.Apply(self, [scalar.float32()], [scalar.float32()]), "sigmoid",
                                    ["(x)"], ["(z)"], {})
        return SIGMOID_C.code({"THEANO_SIGMOID(z, x)": line})

    def c_code_contiguous(self, node, name, inputs, outputs, sub):
        if not node.inputs[0].dtype == node.outputs[0].dtype == "float32":
            raise gof.utils.MethodNotDefined()
        (x,), (z,) = inputs, outputs
        return f"fast_sigmoid_f32((const float *)PyArray_DATA({x}), (float *)PyArray_DATA({z}), PyArray_SIZE({z}));"

    def c_code_cache_version(self):
        return SIGMOID_C.version + super().c_code_cache_version()


@gof.local_optimizer([tensor.Elemwise])
def fast_sigmoid(node):
    """Elemwise{ScalarSigmoid} of float32 -> Elemwise{VectorSigmoid}, in-place as it was."""
    op = node.op
    if (type(op) is tensor.Elemwise and type(op.scalar_op) is ScalarSigmoid
            and node.inputs[0].dtype == node.outputs[0].dtype == "float32"):
        vector = VectorSigmoid(op.scalar_op.output_types_preference)
        return with_stack_trace(node, tensor.Elemwise(vector, op.inplace_pattern)(*node.inputs, return_list=True))
    return False


def install():
    """Register the rewrite (unless THEANO_FLAGS's optimizer_excluding names it or TAG): after
    the fusions of elementwise loops (Theano's at 49, fast_elemwise's at 49.2), so that only a
    sigmoid left in a loop of its own changes, before the in-place rewrites (49.5 on)."""
    if not {NAME, TAG} & EXCLUDED:
        theano.compile.optdb.register(NAME, gof.opt.in2out(fast_sigmoid, name=NAME), 49.3, "fast_run", TAG,
                                      "cxx_only")
