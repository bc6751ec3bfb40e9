"""Theano's convolutions with faster unfolding, swapped in by a graph rewrite.

Theano computes a convolution (CorrMM, and CorrMM_gradWeights and CorrMM_gradInputs for
its gradients) by unfolding each image into a matrix (im2col) and multiplying it with the
filters, one matrix product per image; the images' gradient folds the product back onto
the image (col2im). Its im2col and col2im test every element against the image's border,
which keeps the compiler from vectorizing them: they took about a third of the
convolutions' time in the convnet. These ops are Theano's own (the same inputs, outputs,
checks and C entry code), with one change in their C function: each row of a window
position is copied, or added back, as one run between the borders.

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

from harness.fast_ops import register, with_stack_trace

FAST_CORR_C = r"""
// Theano's corrMM (corr_gemm.c), with its signature, for stride 1, no dilation, one group
// and shared weights (what the rewrite admits), with faster im2col (unfold) and col2im (fold).

// Unfolds image im (C x H x W) into col (C * kH * kW rows of oh * ow): the values Theano's
// im2col writes, in the same places. Each row of a window position copies a run of the
// image's row (a loop the compiler vectorizes), with zeros where the window hangs over
// the border.
static void unfold(const %(float_type)s *im, int C, int H, int W, int kH, int kW,
                   int pad_top, int pad_left, int oh, int ow, %(float_type)s *col)
{
    for (int c = 0; c < C * kH * kW; ++c) {
        int kw = c %% kW, kh = (c / kW) %% kH, channel = c / kH / kW, shift = kw - pad_left;
        int w_lo = shift < 0 ? -shift : 0, w_hi = W - shift < ow ? W - shift : ow;  // where 0 <= w + shift < W
        for (int h = 0; h < oh; ++h) {
            int y = h - pad_top + kh;
            %(float_type)s *out = col + ((npy_intp)c * oh + h) * ow;
            if (y < 0 || y >= H) {
                for (int w = 0; w < ow; ++w)
                    out[w] = 0;
                continue;
            }
            const %(float_type)s *in = im + ((npy_intp)channel * H + y) * W + shift;
            for (int w = 0; w < w_lo; ++w)
                out[w] = 0;
            for (int w = w_lo; w < w_hi; ++w)
                out[w] = in[w];
            for (int w = w_hi > w_lo ? w_hi : w_lo; w < ow; ++w)
                out[w] = 0;
        }
    }
}

// Adds the unfolded columns back onto image im in Theano's col2im order (window position
// by window position), so each pixel's sum adds the same terms in the same order.
static void fold(const %(float_type)s *col, int C, int H, int W, int kH, int kW,
                 int pad_top, int pad_left, int oh, int ow, %(float_type)s *im)
{
    for (int c = 0; c < C * kH * kW; ++c) {
        int kw = c %% kW, kh = (c / kW) %% kH, channel = c / kH / kW, shift = kw - pad_left;
        int w_lo = shift < 0 ? -shift : 0, w_hi = W - shift < ow ? W - shift : ow;
        for (int h = 0; h < oh; ++h) {
            int y = h - pad_top + kh;
            if (y < 0 || y >= H)
                continue;
            const %(float_type)s *in = col + ((npy_intp)c * oh + h) * ow;
            %(float_type)s *out = im + ((npy_intp)channel * H + y) * W + shift;
            for (int w = w_lo; w < w_hi; ++w)
                out[w] += in[w];
        }
    }
}

PyArrayObject* corrMM(PyArrayObject* bottom, PyArrayObject* weight, PyArrayObject* top,
                      const int direction, const int dH, const int dW, const int dilH, const int dilW,
                      const int padH_l, const int padH_r, const int padW_l, const int padW_r,
                      const int numgroups, const int unshared)
{
    if (dH != 1 || dW != 1 || dilH != 1 || dilW != 1 || numgroups != 1 || unshared) {
        PyErr_SetString(PyExc_ValueError, "fast CorrMM: stride 1, no dilation, one group, shared weights only");
        return NULL;
    }
    if (PyArray_NDIM(bottom) != 4 || PyArray_NDIM(weight) != 4 || PyArray_NDIM(top) != 4
        || PyArray_TYPE(bottom) != %(float_typenum)s || PyArray_TYPE(weight) != %(float_typenum)s
        || PyArray_TYPE(top) != %(float_typenum)s) {
        PyErr_SetString(PyExc_ValueError, "fast CorrMM: bottom, weight and top must be 4D arrays of its dtype");
        return NULL;
    }
    const int B = PyArray_DIMS(bottom)[0], C = PyArray_DIMS(bottom)[1];
    const int H = PyArray_DIMS(bottom)[2], W = PyArray_DIMS(bottom)[3];
    const int F = PyArray_DIMS(weight)[0], kH = PyArray_DIMS(weight)[2], kW = PyArray_DIMS(weight)[3];
    const int oh = H + padH_l + padH_r - kH + 1, ow = W + padW_l + padW_r - kW + 1;
    if (PyArray_DIMS(weight)[1] != C || PyArray_DIMS(top)[0] != B || PyArray_DIMS(top)[1] != F
        || PyArray_DIMS(top)[2] != oh || PyArray_DIMS(top)[3] != ow) {
        PyErr_Format(PyExc_ValueError, "fast CorrMM shape inconsistency: bottom %%d x %%d x %%d x %%d, "
                     "weight %%d x %%ld x %%d x %%d, top %%ld x %%ld x %%ld x %%ld (expected %%d x %%d x %%d x %%d)",
                     B, C, H, W, F, (long)PyArray_DIMS(weight)[1], kH, kW, (long)PyArray_DIMS(top)[0],
                     (long)PyArray_DIMS(top)[1], (long)PyArray_DIMS(top)[2], (long)PyArray_DIMS(top)[3], B, F, oh, ow);
        return NULL;
    }
    PyArrayObject *output = direction == 0 ? top : direction == 1 ? weight : bottom;
    if (B == 0 || C == 0 || F == 0) {
        PyArray_FILLWBYTE(output, 0);
        return output;
    }
    // the inputs may be views (the flipped filters are); the output is C-contiguous
    bottom = PyArray_GETCONTIGUOUS(bottom);
    weight = PyArray_GETCONTIGUOUS(weight);
    top = PyArray_GETCONTIGUOUS(top);
    %(float_type)s *filters = (%(float_type)s *)PyArray_DATA(weight);
    %(float_type)s *images = (%(float_type)s *)PyArray_DATA(bottom);
    %(float_type)s *outputs = (%(float_type)s *)PyArray_DATA(top);

    // Theano's scratch: one unfolded image (K x N) per thread, and for the filters'
    // gradient one sum (M x K) per thread, starting from zeros
    int M = F, K = C * kH * kW, N = oh * ow;
    int threads = %(omp_get_max_threads)s;
    threads = threads < B ? threads : B;
    const npy_intp columns = (npy_intp)K * N * threads, sums = direction == 1 ? (npy_intp)M * K * threads : 0;
    %(float_type)s *col = (%(float_type)s *)malloc(sizeof(%(float_type)s) * columns);
    %(float_type)s *thread_sums = (%(float_type)s *)calloc(sums ? sums : 1, sizeof(%(float_type)s));
    if (!col || !thread_sums) {
        PyErr_Format(PyExc_MemoryError, "fast CorrMM could not allocate %%lld bytes of working memory",
                     (long long)(sizeof(%(float_type)s) * (columns + sums)));
        free(col);
        free(thread_sums);
        Py_DECREF(bottom);
        Py_DECREF(weight);
        Py_DECREF(top);
        return NULL;
    }
    if (direction == 2)
        PyArray_FILLWBYTE(bottom, 0);  // col2im adds onto it

    // Theano's loop: the images split over the threads as its static schedule splits them,
    // one matrix product per image, with the same arguments, so the same sums
    const %(c_float_type)s one = 1, zero = 0;
    char NTrans = 'N', Trans = 'T';
    int blas_threads_saved = %(blas_get_num_threads)s;
    %(blas_set_num_threads)s(1);
    %(omp_flags)s
    for (int n = 0; n < B; ++n) {
        int tid = %(omp_get_thread_num)s;
        %(float_type)s *unfolded = col + (npy_intp)tid * K * N;
        %(float_type)s *image = images + (npy_intp)n * C * H * W, *out = outputs + (npy_intp)n * M * N;
        if (direction != 2)
            unfold(image, C, H, W, kH, kW, padH_l, padW_l, oh, ow, unfolded);
        if (direction == 0)  // top (N x M, column-major) = col (N x K) . weight (K x M)
            %(gemm)s(&NTrans, &NTrans, &N, &M, &K, &one, unfolded, &N, filters, &K, &zero, out, &N);
        else if (direction == 1)  // the thread's sum (K x M) += col^T (K x N) . top (N x M)
            %(gemm)s(&Trans, &NTrans, &K, &M, &N, &one, unfolded, &N, out, &N, n == 0 ? &zero : &one,
                     thread_sums + (npy_intp)tid * M * K, &K);
        else {  // col (N x K) = top (N x M) . weight^T (M x K), then back onto the image
            %(gemm)s(&NTrans, &Trans, &N, &K, &M, &one, out, &N, filters, &K, &zero, unfolded, &N);
            fold(unfolded, C, H, W, kH, kW, padH_l, padW_l, oh, ow, image);
        }
    }
    %(blas_set_num_threads)s(blas_threads_saved);
    if (direction == 1) {  // Theano's sum over the threads: 0, plus each thread's in order
        %(float_type)s *gradient = (%(float_type)s *)PyArray_DATA(weight);
        const npy_intp size = (npy_intp)M * K;
        %(omp_flags)s
        for (npy_intp j = 0; j < size; ++j) {
            %(float_type)s total = 0;
            for (int t = 0; t < threads; ++t)
                total += thread_sums[t * size + j];
            gradient[j] = total;
        }
    }
    free(col);
    free(thread_sums);
    Py_DECREF(bottom);
    Py_DECREF(weight);
    Py_DECREF(top);
    return output;
}
"""


def _substitutions(dtype, op):
    """The names FAST_CORR_C leaves open, as Theano's CorrMM fills them in."""
    single = dtype == "float32"
    names = dict(gemm="sgemm_" if single else "dgemm_", float_type="npy_float" if single else "npy_double",
                 float_typenum="NPY_FLOAT" if single else "NPY_DOUBLE", c_float_type="float" if single else "double",
                 omp_flags="", omp_get_max_threads="1",
                 omp_get_thread_num="0", blas_get_num_threads="0", blas_set_num_threads="")
    if op.openmp:
        # Theano's static split of the images over the threads; no more threads than images
        # (nor than scratch buffers), as none of Theano's gets any then either
        names.update(omp_flags="#pragma omp parallel for schedule(static) num_threads(threads)",
                     omp_get_max_threads="omp_get_max_threads()",
                     omp_get_thread_num="omp_get_thread_num()")
        if op.blas_type == "openblas":
            names.update(blas_set_num_threads="openblas_set_num_threads",
                         blas_get_num_threads="openblas_get_num_threads()")
        elif op.blas_type == "mkl":
            names.update(blas_set_num_threads="mkl_set_num_threads", blas_get_num_threads="mkl_get_max_threads()")
    return names


class _FastUnfolding:
    """Theano's CorrMM op, whose C function corrMM unfolds and folds images faster."""

    def c_support_code_apply(self, node, nodename):
        return FAST_CORR_C % _substitutions(node.inputs[0].dtype, self)

    def c_code_helper(self, *args, **kwargs):
        # Theano fills a new output with zeros first; corrMM writes all of it anyway
        return super().c_code_helper(*args, **kwargs).replace("PyArray_ZEROS(odim,", "PyArray_EMPTY(odim,")

    def c_code_cache_version(self):
        return (4,) + super().c_code_cache_version()


class FastCorrMM(_FastUnfolding, CorrMM):
    pass


class FastCorrMMGradWeights(_FastUnfolding, CorrMM_gradWeights):
    pass


class FastCorrMMGradInputs(_FastUnfolding, CorrMM_gradInputs):
    pass


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


# CorrMM appears in 'specialize_device', where Theano turns abstract convolutions into it
register(fast_convolutions, "fast_convolutions", register_specialize_device)
