// The arrays of harness/fast_elemwise.py's FusedElemwise: its inputs as C-contiguous arrays
// of one shape, and its outputs of that shape. The loop itself is the op's: each Theano
// Elemwise it runs gets its own pass over a block of elements, its own scalar C code.

// Points *c at x, or at a C-contiguous copy of it; checks that x has the fused loop's
// shape (nd, dims). 0, or -1 with a Python exception set.
static int fused_input(PyArrayObject *x, int nd, const npy_intp *dims, PyArrayObject **c)
{
    if (PyArray_NDIM(x) != nd || !PyArray_CompareLists(PyArray_DIMS(x), dims, nd)) {
        PyErr_SetString(PyExc_ValueError, "FusedElemwise: input dimension mis-match (its loops take arrays of "
                                          "one shape)");
        return -1;
    }
    *c = PyArray_GETCONTIGUOUS(x);
    return *c ? 0 : -1;
}

// Whether the memory x's elements span, first to last byte, overlaps y's.
static bool fused_overlap(PyArrayObject *x, PyArrayObject *y)
{
    char *bounds[2][2];
    PyArrayObject *arrays[2] = {x, y};
    for (int a = 0; a < 2; a++) {
        char *low = PyArray_BYTES(arrays[a]), *high = low;
        for (int d = 0; d < PyArray_NDIM(arrays[a]); d++) {
            npy_intp reach = (PyArray_DIMS(arrays[a])[d] - 1) * PyArray_STRIDES(arrays[a])[d];
            if (PyArray_DIMS(arrays[a])[d] == 0)
                return false;
            if (reach < 0) low += reach; else high += reach;
        }
        bounds[a][0] = low;
        bounds[a][1] = high + PyArray_ITEMSIZE(arrays[a]);
    }
    return bounds[0][0] < bounds[1][1] && bounds[1][0] < bounds[0][1];
}

// Points *out at a C-contiguous array of the shape and type that shares no memory with the
// inputs (it may be one of their updates' earlier arrays); keeps the one it holds if it
// does. 0, or -1 with a Python exception set.
static int fused_output(PyArrayObject **out, int nd, const npy_intp *dims, int typenum,
                        PyArrayObject **inputs, int ninputs)
{
    bool fits = *out && PyArray_NDIM(*out) == nd && PyArray_TYPE(*out) == typenum
                && PyArray_IS_C_CONTIGUOUS(*out) && PyArray_CompareLists(PyArray_DIMS(*out), dims, nd);
    for (int k = 0; fits && k < ninputs; k++)
        fits = !fused_overlap(*out, inputs[k]);
    if (!fits) {
        Py_XDECREF(*out);
        *out = (PyArrayObject *)PyArray_EMPTY(nd, (npy_intp *)dims, typenum, 0);
        if (!*out)
            return -1;
    }
    return 0;
}
