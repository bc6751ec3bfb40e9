"""Theano's convolutions with faster unfolding, swapped in by a graph rewrite.

Theano computes a convolution (CorrMM, and CorrMM_gradWeights and CorrMM_gradInputs for
its gradients) by unfolding each image into a matrix (im2col) and multiplying it with the
filters, one matrix product per image; the images' gradient folds the product back onto
the image (col2im). Its im2col and col2im test every element against the image's border,
which keeps the compiler from vectorizing them: they took about a third of the
convolutions' time in the convnet. These ops are Theano's own (the same inputs, outputs,
checks and C entry code), with one change in their C function (harness/c/corr_mm.c): each
row of a window position is copied, or added back, as one run between the borders.

Everything else is Theano's: the images split over the threads as its static schedule
splits them, the same matrix products with the same arguments, the threads' sums of the
filters' gradient added in Theano's order, the images' gradient folded in Theano's
order. So the results are Theano's, bit for bit (tests/test_fast_convolutions.py).

Switched off with THEANO_FLAGS=optimizer_excluding=fast_convolutions, or with the other
fast ops by optimizer_excluding=fast_ops.
"""
from theano import gof
from theano.tensor.nnet.corr import CorrMM, CorrMM_gradInputs, CorrMM_gradWeights
from theano.tensor.opt import register_specialize_device

from harness.c_files import CFile
from harness.fast_ops import register, with_stack_trace

CORR_MM_C = CFile("corr_mm.c")


def _macros(dtype, op):
    """The macros harness/c/corr_mm.c needs, as Theano's CorrMM fills in its corr_gemm.c."""
    single = dtype == "float32"
    macros = {"FLOAT_TYPE": "npy_float" if single else "npy_double", "C_FLOAT_TYPE": "float" if single else "double",
              "FLOAT_TYPENUM": "NPY_FLOAT" if single else "NPY_DOUBLE", "GEMM": "sgemm_" if single else "dgemm_",
              "OPENMP": int(bool(op.openmp)), "BLAS_GET_NUM_THREADS": "0", "BLAS_SET_NUM_THREADS(n)": ""}
    # Theano's static split of the images over the threads; no more threads than images
    # (nor than scratch buffers), as none of Theano's gets any then either. Each thread's
    # matrix product runs on one BLAS thread, as in Theano's.
    if op.openmp and op.blas_type == "openblas":
        macros.update({"BLAS_GET_NUM_THREADS": "openblas_get_num_threads()",
                       "BLAS_SET_NUM_THREADS(n)": "openblas_set_num_threads(n)"})
    elif op.openmp and op.blas_type == "mkl":
        macros.update({"BLAS_GET_NUM_THREADS": "mkl_get_max_threads()", "BLAS_SET_NUM_THREADS(n)": "mkl_set_num_threads(n)"})
    return macros


class _FastUnfolding:
    """Theano's CorrMM op, whose C function corrMM (harness/c/corr_mm.c) unfolds and folds
    images faster."""

    def c_support_code_apply(self, node, nodename):
        return CORR_MM_C.code(_macros(node.inputs[0].dtype, self))

    def c_code_helper(self, *args, **kwargs):
        # Theano fills a new output with zeros first; corrMM writes all of it anyway
        return super().c_code_helper(*args, **kwargs).replace("PyArray_ZEROS(odim,", "PyArray_EMPTY(odim,")

    def c_code_cache_version(self):
        return CORR_MM_C.version + super().c_code_cache_version()


class FastCorrMM(_FastUnfolding, CorrMM):
    """The correlation of images with filters, stride 1 (a convolution with flipped
    filters): Theano's CorrMM (theano.tensor.nnet.corr), the same output, bit for bit."""


class FastCorrMMGradWeights(_FastUnfolding, CorrMM_gradWeights):
    """The filters' gradient of that correlation: Theano's CorrMM_gradWeights, the same
    output, bit for bit."""


class FastCorrMMGradInputs(_FastUnfolding, CorrMM_gradInputs):
    """The images' gradient of that correlation: Theano's CorrMM_gradInputs, the same
    output, bit for bit."""


FAST = {CorrMM: FastCorrMM, CorrMM_gradWeights: FastCorrMMGradWeights, CorrMM_gradInputs: FastCorrMMGradInputs}


@gof.local_optimizer(list(FAST))
def fast_convolutions(node):
    op = node.op
    fast = FAST.get(type(op))
    if (fast is None or op.subsample != (1, 1) or op.filter_dilation != (1, 1) or op.num_groups != 1
            or op.unshared or node.inputs[0].dtype not in ("float32", "float64")):
        return False
    new_op = fast(op.border_mode, op.subsample, op.filter_dilation, op.num_groups, op.unshared, openmp=op.openmp)
    # the same inputs and output types: Theano's make_node has checked them already
    new_node = gof.Apply(new_op, list(node.inputs), [output.type() for output in node.outputs])
    return with_stack_trace(node, new_node.outputs)


def install():
    """Register the rewrite (unless THEANO_FLAGS's optimizer_excluding names it)."""
    # CorrMM appears in 'specialize_device', where Theano turns abstract convolutions into it
    register(fast_convolutions, "fast_convolutions", register_specialize_device)
