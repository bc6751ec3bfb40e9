"""The convolutions as fewer, larger matrix products, swapped in by a graph rewrite.

Theano computes a convolution (CorrMM, and CorrMM_gradWeights and CorrMM_gradInputs for
its gradients) by unfolding each image into a matrix (im2col) and multiplying it with the
filters: one small matrix product per image, e.g. 64 x 288 times 288 x 169 for the
convnet's second layer, each packing the filters afresh. These ops are
Theano's own (the same inputs, outputs, checks and C entry code), with one change in
their C function: each thread unfolds a chunk of images side by side into one matrix, so
that one product covers the whole chunk (288 x 2704 for 16 images).

Each output element is the same sum as Theano's, of the same products; OpenBLAS adds
them in another order when a product has more columns, and the weight gradient sums a
chunk in one product where Theano adds one image at a time. So the results equal
Theano's within float32 rounding, not bit for bit (tests/test_fast_convolutions.py bounds
the difference). The chunks are cut by the shapes alone, so the results do not depend on
the number of threads (Theano's weight gradient depends on how its threads split the
batch).

Switched off with THEANO_FLAGS=optimizer_excluding=fast_convolutions, or with the other
fast ops by optimizer_excluding=fast_ops.
"""
from theano import gof
from theano.tensor.nnet.corr import CorrMM, CorrMM_gradInputs, CorrMM_gradWeights
from theano.tensor.opt import register_specialize_device

from harness.fast_ops import TAG

# About this many columns (output pixels of all images of a chunk) in one product: wide
# enough that OpenBLAS runs near its peak, narrow enough that a chunk (3.1 MB for the
# convnet's second layer: 16 images) stays in the L3 cache.
COLUMNS = 4096
# At least this many chunks in a batch, so that up to this many cores share it.
MIN_CHUNKS = 8

CHUNKED_CORR_C = r"""
// Theano's corrMM (corr_gemm.c), with its signature, for stride 1, no dilation, one group
// and shared weights (what the rewrite admits), a chunk of images per matrix product.

// Unfolds image im (C x H x W) into the first oh * ow columns of the C * kH * kW rows of
// col, which are ld apart: the values Theano's im2col writes, in the same places. Each
// row of a window position copies a run of the image's row (a loop the compiler
// vectorizes), with zeros where the window hangs over the border.
static void chunk_im2col(const %(float_type)s *im, int C, int H, int W, int kH, int kW,
                         int pad_top, int pad_left, int oh, int ow, %(float_type)s *col, npy_intp ld)
{
    for (int c = 0; c < C * kH * kW; ++c) {
        int kw = c %% kW, kh = (c / kW) %% kH, channel = c / kH / kW, shift = kw - pad_left;
        int w_lo = shift < 0 ? -shift : 0, w_hi = W - shift < ow ? W - shift : ow;  // where 0 <= w + shift < W
        for (int h = 0; h < oh; ++h) {
            int y = h - pad_top + kh;
            %(float_type)s *out = col + c * ld + (npy_intp)h * ow;
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

// Adds the unfolded columns back onto image im, in Theano's col2im order: the same sums.
static void chunk_col2im(const %(float_type)s *col, npy_intp ld, int C, int H, int W, int kH, int kW,
                         int pad_top, int pad_left, int oh, int ow, %(float_type)s *im)
{
    for (int c = 0; c < C * kH * kW; ++c) {
        int kw = c %% kW, kh = (c / kW) %% kH, channel = c / kH / kW, shift = kw - pad_left;
        int w_lo = shift < 0 ? -shift : 0, w_hi = W - shift < ow ? W - shift : ow;
        for (int h = 0; h < oh; ++h) {
            int y = h - pad_top + kh;
            if (y < 0 || y >= H)
                continue;
            const %(float_type)s *in = col + c * ld + (npy_intp)h * ow;
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
        PyErr_SetString(PyExc_ValueError, "chunked CorrMM: stride 1, no dilation, one group, shared weights only");
        return NULL;
    }
    if (PyArray_NDIM(bottom) != 4 || PyArray_NDIM(weight) != 4 || PyArray_NDIM(top) != 4
        || PyArray_TYPE(bottom) != %(float_typenum)s || PyArray_TYPE(weight) != %(float_typenum)s
        || PyArray_TYPE(top) != %(float_typenum)s) {
        PyErr_SetString(PyExc_ValueError, "chunked CorrMM: bottom, weight and top must be 4D arrays of its dtype");
        return NULL;
    }
    const int B = PyArray_DIMS(bottom)[0], C = PyArray_DIMS(bottom)[1];
    const int H = PyArray_DIMS(bottom)[2], W = PyArray_DIMS(bottom)[3];
    const int F = PyArray_DIMS(weight)[0], kH = PyArray_DIMS(weight)[2], kW = PyArray_DIMS(weight)[3];
    const int oh = H + padH_l + padH_r - kH + 1, ow = W + padW_l + padW_r - kW + 1;
    if (PyArray_DIMS(weight)[1] != C || PyArray_DIMS(top)[0] != B || PyArray_DIMS(top)[1] != F
        || PyArray_DIMS(top)[2] != oh || PyArray_DIMS(top)[3] != ow) {
        PyErr_Format(PyExc_ValueError, "chunked CorrMM shape inconsistency: bottom %%d x %%d x %%d x %%d, "
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
    const %(float_type)s *filters = (%(float_type)s *)PyArray_DATA(weight);
    %(float_type)s *images = (%(float_type)s *)PyArray_DATA(bottom);
    %(float_type)s *outputs = (%(float_type)s *)PyArray_DATA(top);

    // Chunks of S images, about COLUMNS columns each, and at least MIN_CHUNKS of them (a
    // batch then keeps that many cores busy). S depends on the shapes only, not on the
    // number of threads, and so do the results.
    const int M = F, K = C * kH * kW, N = oh * ow;
    int S = %(columns)d / N;
    const int most = (B + %(min_chunks)d - 1) / %(min_chunks)d;
    S = S < 1 ? 1 : S > most ? most : S;
    const int chunks = (B + S - 1) / S, ld = S * N;
    int threads = %(omp_get_max_threads)s;
    threads = threads < chunks ? threads : chunks;
    // each thread's scratch: a chunk unfolded (K x ld) and its outputs side by side
    // (M x ld); for the weight gradient, each chunk's sum (M x K), added up in chunk order
    const npy_intp scratch = ((npy_intp)K + M) * ld, sums = direction == 1 ? (npy_intp)chunks * M * K : 0;
    const npy_intp bytes = sizeof(%(float_type)s) * (scratch * threads + sums);
    %(float_type)s *buffers = (%(float_type)s *)malloc(bytes);
    if (!buffers) {
        PyErr_Format(PyExc_MemoryError, "chunked CorrMM could not allocate %%lld bytes of working memory",
                     (long long)bytes);
        Py_DECREF(bottom);
        Py_DECREF(weight);
        Py_DECREF(top);
        return NULL;
    }
    %(float_type)s *chunk_sums = buffers + scratch * threads;
    if (direction == 2)
        PyArray_FILLWBYTE(bottom, 0);  // col2im adds onto it

    const %(c_float_type)s one = 1, zero = 0;
    char NTrans = 'N', Trans = 'T';
    int blas_threads_saved = %(blas_get_num_threads)s;
    %(blas_set_num_threads)s(1);  // the chunks take the cores, one product each
    %(omp_flags)s
    for (int chunk = 0; chunk < chunks; ++chunk) {
        %(float_type)s *col = buffers + scratch * %(omp_get_thread_num)s, *rows = col + (npy_intp)K * ld;
        const int first = chunk * S, n = B - first < S ? B - first : S, columns = n * N;
        if (direction != 2)
            for (int i = 0; i < n; ++i)
                chunk_im2col(images + (npy_intp)(first + i) * C * H * W, C, H, W, kH, kW, padH_l, padW_l,
                             oh, ow, col + (npy_intp)i * N, ld);
        if (direction != 0)  // the chunk's output gradients, side by side: M x columns
            for (int i = 0; i < n; ++i)
                for (int m = 0; m < M; ++m)
                    memcpy(rows + (npy_intp)m * ld + (npy_intp)i * N,
                           outputs + ((npy_intp)(first + i) * M + m) * N, sizeof(%(float_type)s) * N);
        if (direction == 0) {
            // as Theano's, column-major: top (columns x M) = col (columns x K) . weight (K x M)
            %(gemm)s(&NTrans, &NTrans, &columns, &M, &K, &one, col, &ld, filters, &K, &zero, rows, &ld);
            for (int i = 0; i < n; ++i)
                for (int m = 0; m < M; ++m)
                    memcpy(outputs + ((npy_intp)(first + i) * M + m) * N,
                           rows + (npy_intp)m * ld + (npy_intp)i * N, sizeof(%(float_type)s) * N);
        }
        else if (direction == 1) {
            // the chunk's sum (K x M) = col^T (K x columns) . top (columns x M)
            %(gemm)s(&Trans, &NTrans, &K, &M, &columns, &one, col, &ld, rows, &ld, &zero,
                     chunk_sums + (npy_intp)chunk * M * K, &K);
        }
        else {
            // col (columns x K) = top (columns x M) . weight^T (M x K), then back onto the images
            %(gemm)s(&NTrans, &Trans, &columns, &K, &M, &one, rows, &ld, filters, &K, &zero, col, &ld);
            for (int i = 0; i < n; ++i)
                chunk_col2im(col + (npy_intp)i * N, ld, C, H, W, kH, kW, padH_l, padW_l, oh, ow,
                             images + (npy_intp)(first + i) * C * H * W);
        }
    }
    %(blas_set_num_threads)s(blas_threads_saved);
    if (direction == 1) {
        %(float_type)s *gradient = (%(float_type)s *)PyArray_DATA(weight);
        memcpy(gradient, chunk_sums, sizeof(%(float_type)s) * M * K);
        for (int chunk = 1; chunk < chunks; ++chunk)
            for (npy_intp j = 0; j < (npy_intp)M * K; ++j)
                gradient[j] += chunk_sums[(npy_intp)chunk * M * K + j];
    }
    free(buffers);
    Py_DECREF(bottom);
    Py_DECREF(weight);
    Py_DECREF(top);
    return output;
}
"""


def _substitutions(dtype, op):
    """The names CHUNKED_CORR_C leaves open, as Theano's CorrMM fills them in."""
    single = dtype == "float32"
    names = dict(gemm="sgemm_" if single else "dgemm_", float_type="npy_float" if single else "npy_double",
                 float_typenum="NPY_FLOAT" if single else "NPY_DOUBLE", c_float_type="float" if single else "double",
                 columns=COLUMNS, min_chunks=MIN_CHUNKS, omp_flags="", omp_get_max_threads="1",
                 omp_get_thread_num="0", blas_get_num_threads="0", blas_set_num_threads="")
    if op.openmp:
        # no more threads than there are scratch buffers
        names.update(omp_flags="#pragma omp parallel for schedule(static) num_threads(threads)",
                     omp_get_max_threads="omp_get_max_threads()",
                     omp_get_thread_num="omp_get_thread_num()")
        if op.blas_type == "openblas":
            names.update(blas_set_num_threads="openblas_set_num_threads",
                         blas_get_num_threads="openblas_get_num_threads()")
        elif op.blas_type == "mkl":
            names.update(blas_set_num_threads="mkl_set_num_threads", blas_get_num_threads="mkl_get_max_threads()")
    return names


class _Chunked:
    """Theano's CorrMM op, whose C function corrMM takes a chunk of images per product."""

    def c_support_code_apply(self, node, nodename):
        return CHUNKED_CORR_C % _substitutions(node.inputs[0].dtype, self)

    def c_code_helper(self, *args, **kwargs):
        # Theano fills a new output with zeros first; this corrMM writes all of it anyway
        return super().c_code_helper(*args, **kwargs).replace("PyArray_ZEROS(odim,", "PyArray_EMPTY(odim,")

    def c_code_cache_version(self):
        return (3, COLUMNS, MIN_CHUNKS) + super().c_code_cache_version()


class ChunkedCorrMM(_Chunked, CorrMM):
    pass


class ChunkedCorrMMGradWeights(_Chunked, CorrMM_gradWeights):
    pass


class ChunkedCorrMMGradInputs(_Chunked, CorrMM_gradInputs):
    pass


CHUNKED = {CorrMM: ChunkedCorrMM, CorrMM_gradWeights: ChunkedCorrMMGradWeights,
           CorrMM_gradInputs: ChunkedCorrMMGradInputs}


@gof.local_optimizer(list(CHUNKED))
def fast_convolutions(node):
    op = node.op
    chunked = CHUNKED.get(type(op))
    if (chunked is None or op.subsample != (1, 1) or op.filter_dilation != (1, 1) or op.num_groups != 1
            or op.unshared or node.inputs[0].dtype not in ("float32", "float64")):
        return False
    new_op = chunked(op.border_mode, op.subsample, op.filter_dilation, op.num_groups, op.unshared, openmp=op.openmp)
    # the same inputs and output types: Theano's make_node has checked them already
    return gof.Apply(new_op, list(node.inputs), [output.type() for output in node.outputs]).outputs


# CorrMM appears in 'specialize_device', where Theano turns abstract convolutions into it
register_specialize_device(fast_convolutions, TAG, "cxx_only", name="fast_convolutions")
