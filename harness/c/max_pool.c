// Max-pooling in windows that do not overlap (stride == window, no padding), and its
// gradient: the C code of harness/fast_ops.py's MaxPool, MaxPoolGradient and
// MaskedMaxPoolGradient. Each op's C entry code calls one of the two templates below with
// its window (WH x WW), its ignore_border and its arrays' element types; both return 0,
// or -1 with a Python exception set. The same results as Theano's Pool and MaxPoolGrad,
// bit for bit (tests/test_fast_ops.py).

// The shapes of a pooling of x (any ndim >= 2, pooled over its last two axes in windows of
// wh x ww; a partial window at the border is kept unless ignore_border).
struct FastPoolShape {
    int nd;
    npy_intp h, w;    // the input's last two dimensions
    npy_intp oh, ow;  // the pooled output's
    npy_intp planes;  // the product of the other dimensions
    npy_intp pooled_dims[NPY_MAXDIMS];
};

static FastPoolShape fast_pool_shape(PyArrayObject *x, int wh, int ww, bool ignore_border)
{
    FastPoolShape s;
    s.nd = PyArray_NDIM(x);
    s.h = PyArray_DIMS(x)[s.nd - 2];
    s.w = PyArray_DIMS(x)[s.nd - 1];
    s.oh = ignore_border ? s.h / wh : (s.h + wh - 1) / wh;
    s.ow = ignore_border ? s.w / ww : (s.w + ww - 1) / ww;
    s.planes = 1;
    for (int d = 0; d < s.nd - 2; d++) {
        s.planes *= PyArray_DIMS(x)[d];
        s.pooled_dims[d] = PyArray_DIMS(x)[d];
    }
    s.pooled_dims[s.nd - 2] = s.oh;
    s.pooled_dims[s.nd - 1] = s.ow;
    return s;
}

// Points *out at a C-contiguous array of the given dims and type, reusing the one it
// holds if it fits; -1 if none could be made.
static int fast_pool_output(PyArrayObject **out, int nd, npy_intp *dims, int typenum)
{
    if (!*out || PyArray_NDIM(*out) != nd || !PyArray_IS_C_CONTIGUOUS(*out)
        || !PyArray_CompareLists(PyArray_DIMS(*out), dims, nd)) {
        Py_XDECREF(*out);
        *out = (PyArrayObject *)PyArray_EMPTY(nd, dims, typenum, 0);
        if (!*out)
            return -1;
    }
    return 0;
}

// *z = the maxima of x's windows. T: the element type of x and z.
template <typename T, int WH, int WW, bool IGNORE_BORDER>
static int fast_max_pool(PyArrayObject *x, PyArrayObject **z)
{
    FastPoolShape s = fast_pool_shape(x, WH, WW, IGNORE_BORDER);
    const npy_intp h = s.h, w = s.w, oh = s.oh, ow = s.ow, planes = s.planes;
    if (fast_pool_output(z, s.nd, s.pooled_dims, PyArray_TYPE(x)) != 0)
        return -1;
    PyArrayObject *x_c = PyArray_GETCONTIGUOUS(x);
    if (!x_c)
        return -1;
    if (PyArray_SIZE(*z) > 0) {
        const T *X = (const T *)PyArray_DATA(x_c);
        T *Z = (T *)PyArray_DATA(*z);
        npy_intp whole = w / WW < ow ? w / WW : ow;  // windows with all WW columns
        #pragma omp parallel for schedule(static) if (planes * h * w >= 65536)
        for (npy_intp p = 0; p < planes; p++) {
            const T *xp = X + p * h * w;
            T *zp = Z + p * oh * ow;
            for (npy_intp i = 0; i < oh; i++) {
                T *zr = zp + i * ow;
                npy_intp r0 = i * WH, r1 = r0 + WH < h ? r0 + WH : h;
                // Theano's order in a window: rows, then columns, starting from its first
                // value; a later value replaces the maximum only if greater (so the first of
                // equal maxima stays, and a NaN only if first). Row by row here, each row
                // over all windows of the row, so that the loops over windows vectorize.
                for (npy_intp r = r0; r < r1; r++) {
                    const T *xr = xp + r * w;
                    if (r == r0)
                        for (npy_intp j = 0; j < whole; j++) {
                            T m = xr[j * WW];
                            for (int c = 1; c < WW; c++)
                                m = xr[j * WW + c] > m ? xr[j * WW + c] : m;
                            zr[j] = m;
                        }
                    else
                        for (npy_intp j = 0; j < whole; j++) {
                            T m = zr[j];
                            for (int c = 0; c < WW; c++)
                                m = xr[j * WW + c] > m ? xr[j * WW + c] : m;
                            zr[j] = m;
                        }
                    if (whole < ow) {  // the partial window at the right border
                        T m = r == r0 ? xr[whole * WW] : zr[whole];
                        for (npy_intp c = whole * WW; c < w; c++)
                            m = xr[c] > m ? xr[c] : m;
                        zr[whole] = m;
                    }
                }
            }
        }
    }
    Py_DECREF(x_c);
    return 0;
}

// *gx = the gradient of the max-pooling of x (its output maxout, whose gradient is gz):
// every position of a window that equals the window's maximum gets the window's gradient
// (all of them, when several do), as Theano's MaxPoolGrad. MASKED: times Theano's
// mul(EQ(a, b), ...) in the same pass, a and b of x's shape and type (else NULL).
// TX: the element type of x (and a, b, gx); TM: of maxout; TG: of gz.
template <typename TX, typename TM, typename TG, int WH, int WW, bool IGNORE_BORDER, bool MASKED>
static int fast_max_pool_grad(PyArrayObject *x, PyArrayObject *maxout, PyArrayObject *gz,
                              PyArrayObject *a, PyArrayObject *b, PyArrayObject **gx)
{
    FastPoolShape s = fast_pool_shape(x, WH, WW, IGNORE_BORDER);
    const int nd = s.nd;
    const npy_intp h = s.h, w = s.w, oh = s.oh, ow = s.ow, planes = s.planes;
    if (PyArray_NDIM(maxout) != nd || PyArray_NDIM(gz) != nd
        || !PyArray_CompareLists(PyArray_DIMS(maxout), s.pooled_dims, nd)
        || !PyArray_CompareLists(PyArray_DIMS(gz), s.pooled_dims, nd)) {
        PyErr_SetString(PyExc_ValueError, "max-pooling gradient: the pooled output and its gradient "
                        "must have the pooled shape of the input");
        return -1;
    }
    PyArrayObject *masks[2] = {a, b};
    for (int k = 0; k < (MASKED ? 2 : 0); k++)
        if (PyArray_NDIM(masks[k]) != nd || !PyArray_CompareLists(PyArray_DIMS(masks[k]), PyArray_DIMS(x), nd)) {
            PyErr_SetString(PyExc_ValueError, "masked max-pooling gradient: the mask's arrays must have the input's shape");
            return -1;
        }
    if (fast_pool_output(gx, nd, PyArray_DIMS(x), PyArray_TYPE(x)) != 0)
        return -1;
    PyArrayObject *x_c = PyArray_GETCONTIGUOUS(x);
    if (!x_c)
        return -1;
    PyArrayObject *m_c = PyArray_GETCONTIGUOUS(maxout);
    if (!m_c)
        return -1;
    PyArrayObject *g_c = PyArray_GETCONTIGUOUS(gz);
    if (!g_c)
        return -1;
    PyArrayObject *a_c = NULL, *b_c = NULL;
    if (MASKED) {
        a_c = PyArray_GETCONTIGUOUS(a);
        if (!a_c)
            return -1;
        b_c = PyArray_GETCONTIGUOUS(b);
        if (!b_c)
            return -1;
    }
    int status = 0;
    if (PyArray_SIZE(*gx) > 0) {
        const TX *X = (const TX *)PyArray_DATA(x_c);
        const TM *M = (const TM *)PyArray_DATA(m_c);
        const TG *G = (const TG *)PyArray_DATA(g_c);
        TX *GX = (TX *)PyArray_DATA(*gx);
        npy_intp covered = ow * WW < w ? ow * WW : w;  // columns some window covers
        npy_intp plane = h * w, pooled_plane = oh * ow;
        // Planes go in groups of about 2048 values, so that the loop over a group is long
        // enough to vectorize even for 5 x 5 images. Each thread first spreads the group's
        // maxima and gradients over the positions of their windows, in scratch that stays
        // in cache, then takes one pass over the group's contiguous memory.
        npy_intp group = (2048 + plane - 1) / plane < planes ? (2048 + plane - 1) / plane : planes;
        npy_intp groups = (planes + group - 1) / group;
        int threads = 1;
        #ifdef _OPENMP
        threads = omp_get_max_threads();
        #endif
        TX *scratch = (TX *)malloc(sizeof(TX) * 2 * group * plane * threads);
        if (!scratch) {
            PyErr_NoMemory();
            status = -1;
        } else {
            #pragma omp parallel for schedule(static) if (planes * plane >= 65536)
            for (npy_intp k = 0; k < groups; k++) {
                int thread = 0;
                #ifdef _OPENMP
                thread = omp_get_thread_num();
                #endif
                TX *maxima = scratch + 2 * group * plane * thread, *gradients = maxima + group * plane;
                npy_intp first = k * group, count = planes - first < group ? planes - first : group;
                for (npy_intp p = 0; p < count; p++)
                    for (npy_intp r = 0; r < h; r++) {
                        npy_intp i = r / WH;
                        TX *mr = maxima + p * plane + r * w, *gr = gradients + p * plane + r * w;
                        if (i >= oh) {  // a row no window covers, with ignore_border only: gradient 0
                            for (npy_intp c = 0; c < w; c++)
                                mr[c] = gr[c] = 0;
                            continue;
                        }
                        if (r % WH != 0) {  // the window's rows below its first: the same values
                            for (npy_intp c = 0; c < w; c++) {
                                mr[c] = mr[c - w];
                                gr[c] = gr[c - w];
                            }
                            continue;
                        }
                        const TM *mp = M + (first + p) * pooled_plane + i * ow;
                        const TG *gp = G + (first + p) * pooled_plane + i * ow;
                        // window by window, each value stored WW times: a loop that vectorizes
                        npy_intp whole = covered / WW;
                        for (npy_intp j = 0; j < whole; j++) {
                            TX m = mp[j];
                            // Theano adds the gradient to a zero: 0 + g, which turns -0 into +0
                            TX g = (TX)0 + gp[j];
                            for (int c = 0; c < WW; c++) {
                                mr[j * WW + c] = m;
                                gr[j * WW + c] = g;
                            }
                        }
                        for (npy_intp c = whole * WW; c < covered; c++) {  // a partial window
                            mr[c] = mp[c / WW];
                            gr[c] = (TX)0 + gp[c / WW];
                        }
                        for (npy_intp c = covered; c < w; c++)  // with ignore_border only
                            mr[c] = gr[c] = 0;
                    }
                npy_intp offset = first * plane, n = count * plane;
                const TX *xr = X + offset;
                TX *gxr = GX + offset;
                if (MASKED) {  // Theano's mul(EQ(a, b), g): the comparison as 0 or 1, times the gradient
                    const TX *ar = (const TX *)PyArray_DATA(a_c) + offset;
                    const TX *br = (const TX *)PyArray_DATA(b_c) + offset;
                    for (npy_intp c = 0; c < n; c++)
                        gxr[c] = (TX)(ar[c] == br[c]) * (xr[c] == maxima[c] ? gradients[c] : (TX)0);
                } else
                    for (npy_intp c = 0; c < n; c++)
                        gxr[c] = xr[c] == maxima[c] ? gradients[c] : (TX)0;
            }
            free(scratch);
        }
    }
    Py_DECREF(x_c);
    Py_DECREF(m_c);
    Py_DECREF(g_c);
    Py_XDECREF(a_c);
    Py_XDECREF(b_c);
    return status;
}
