// Theano's convolutions with faster unfolding: the C code of harness/fast_convolutions.py's
// FastCorrMM, FastCorrMMGradWeights and FastCorrMMGradInputs. It is Theano's corrMM
// (theano/tensor/nnet/c_code/corr_gemm.c), with its name and signature, for stride 1, no
// dilation, one group and shared weights (what the rewrite admits), with faster im2col
// (unfold) and col2im (fold): the same results as Theano's, bit for bit
// (tests/test_fast_convolutions.py).
//
// Macros the op defines: FLOAT_TYPE C_FLOAT_TYPE FLOAT_TYPENUM GEMM OPENMP BLAS_GET_NUM_THREADS BLAS_SET_NUM_THREADS
//   FLOAT_TYPE, C_FLOAT_TYPE, FLOAT_TYPENUM: npy_float, float and NPY_FLOAT, or npy_double,
//     double and NPY_DOUBLE: the type of the op's arrays
//   GEMM: the BLAS matrix product of that type, sgemm_ or dgemm_
//   OPENMP: 1 where the op spreads the images over threads (its openmp), else 0
//   BLAS_GET_NUM_THREADS, BLAS_SET_NUM_THREADS(n): how many threads the BLAS runs, and
//     setting it (OpenBLAS's or MKL's functions with OPENMP, else 0 and nothing), as
//     Theano's corrMM fills them in

// Unfolds image im (C x H x W) into col (C * kH * kW rows of oh * ow): the values Theano's
// im2col writes, in the same places. Each row of a window position copies a run of the
// image's row (a loop the compiler vectorizes), with zeros where the window hangs over
// the border.
static void unfold(const FLOAT_TYPE *im, int C, int H, int W, int kH, int kW,
                   int pad_top, int pad_left, int oh, int ow, FLOAT_TYPE *col)
{
    for (int c = 0; c < C * kH * kW; ++c) {
        int kw = c % kW, kh = (c / kW) % kH, channel = c / kH / kW, shift = kw - pad_left;
        int w_lo = shift < 0 ? -shift : 0, w_hi = W - shift < ow ? W - shift : ow;  // where 0 <= w + shift < W
        for (int h = 0; h < oh; ++h) {
            int y = h - pad_top + kh;
            FLOAT_TYPE *out = col + ((npy_intp)c * oh + h) * ow;
            if (y < 0 || y >= H) {
                for (int w = 0; w < ow; ++w)
                    out[w] = 0;
                continue;
            }
            const FLOAT_TYPE *in = im + ((npy_intp)channel * H + y) * W + shift;
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
static void fold(const FLOAT_TYPE *col, int C, int H, int W, int kH, int kW,
                 int pad_top, int pad_left, int oh, int ow, FLOAT_TYPE *im)
{
    for (int c = 0; c < C * kH * kW; ++c) {
        int kw = c % kW, kh = (c / kW) % kH, channel = c / kH / kW, shift = kw - pad_left;
        int w_lo = shift < 0 ? -shift : 0, w_hi = W - shift < ow ? W - shift : ow;
        for (int h = 0; h < oh; ++h) {
            int y = h - pad_top + kh;
            if (y < 0 || y >= H)
                continue;
            const FLOAT_TYPE *in = col + ((npy_intp)c * oh + h) * ow;
            FLOAT_TYPE *out = im + ((npy_intp)channel * H + y) * W + shift;
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
        || PyArray_TYPE(bottom) != FLOAT_TYPENUM || PyArray_TYPE(weight) != FLOAT_TYPENUM
        || PyArray_TYPE(top) != FLOAT_TYPENUM) {
        PyErr_SetString(PyExc_ValueError, "fast CorrMM: bottom, weight and top must be 4D arrays of its dtype");
        return NULL;
    }
    const int B = PyArray_DIMS(bottom)[0], C = PyArray_DIMS(bottom)[1];
    const int H = PyArray_DIMS(bottom)[2], W = PyArray_DIMS(bottom)[3];
    const int F = PyArray_DIMS(weight)[0], kH = PyArray_DIMS(weight)[2], kW = PyArray_DIMS(weight)[3];
    const int oh = H + padH_l + padH_r - kH + 1, ow = W + padW_l + padW_r - kW + 1;
    if (PyArray_DIMS(weight)[1] != C || PyArray_DIMS(top)[0] != B || PyArray_DIMS(top)[1] != F
        || PyArray_DIMS(top)[2] != oh || PyArray_DIMS(top)[3] != ow) {
        PyErr_Format(PyExc_ValueError, "fast CorrMM shape inconsistency: bottom %d x %d x %d x %d, "
                     "weight %d x %ld x %d x %d, top %ld x %ld x %ld x %ld (expected %d x %d x %d x %d)",
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
    FLOAT_TYPE *filters = (FLOAT_TYPE *)PyArray_DATA(weight);
    FLOAT_TYPE *images = (FLOAT_TYPE *)PyArray_DATA(bottom);
    FLOAT_TYPE *outputs = (FLOAT_TYPE *)PyArray_DATA(top);

    // Theano's scratch: one unfolded image (K x N) per thread, and for the filters'
    // gradient one sum (M x K) per thread, starting from zeros
    int M = F, K = C * kH * kW, N = oh * ow;
    int threads = 1;
#if OPENMP
    threads = omp_get_max_threads();
#endif
    threads = threads < B ? threads : B;
    const npy_intp columns = (npy_intp)K * N * threads, sums = direction == 1 ? (npy_intp)M * K * threads : 0;
    FLOAT_TYPE *col = (FLOAT_TYPE *)malloc(sizeof(FLOAT_TYPE) * columns);
    FLOAT_TYPE *thread_sums = (FLOAT_TYPE *)calloc(sums ? sums : 1, sizeof(FLOAT_TYPE));
    if (!col || !thread_sums) {
        PyErr_Format(PyExc_MemoryError, "fast CorrMM could not allocate %lld bytes of working memory",
                     (long long)(sizeof(FLOAT_TYPE) * (columns + sums)));
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
    const C_FLOAT_TYPE one = 1, zero = 0;
    char NTrans = 'N', Trans = 'T';
    int blas_threads_saved = BLAS_GET_NUM_THREADS;
    BLAS_SET_NUM_THREADS(1);
#if OPENMP
    #pragma omp parallel for schedule(static) num_threads(threads)
#endif
    for (int n = 0; n < B; ++n) {
        int tid = 0;
#if OPENMP
        tid = omp_get_thread_num();
#endif
        FLOAT_TYPE *unfolded = col + (npy_intp)tid * K * N;
        FLOAT_TYPE *image = images + (npy_intp)n * C * H * W, *out = outputs + (npy_intp)n * M * N;
        if (direction != 2)
            unfold(image, C, H, W, kH, kW, padH_l, padW_l, oh, ow, unfolded);
        if (direction == 0)  // top (N x M, column-major) = col (N x K) . weight (K x M)
            GEMM(&NTrans, &NTrans, &N, &M, &K, &one, unfolded, &N, filters, &K, &zero, out, &N);
        else if (direction == 1)  // the thread's sum (K x M) += col^T (K x N) . top (N x M)
            GEMM(&Trans, &NTrans, &K, &M, &N, &one, unfolded, &N, out, &N, n == 0 ? &zero : &one,
                 thread_sums + (npy_intp)tid * M * K, &K);
        else {  // col (N x K) = top (N x M) . weight^T (M x K), then back onto the image
            GEMM(&NTrans, &Trans, &N, &K, &M, &one, out, &N, filters, &K, &zero, unfolded, &N);
            fold(unfolded, C, H, W, kH, kW, padH_l, padW_l, oh, ow, image);
        }
    }
    BLAS_SET_NUM_THREADS(blas_threads_saved);
    if (direction == 1) {  // Theano's sum over the threads: 0, plus each thread's in order
        FLOAT_TYPE *gradient = (FLOAT_TYPE *)PyArray_DATA(weight);
        const npy_intp size = (npy_intp)M * K;
#if OPENMP
        #pragma omp parallel for schedule(static) num_threads(threads)
#endif
        for (npy_intp j = 0; j < size; ++j) {
            FLOAT_TYPE total = 0;
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
