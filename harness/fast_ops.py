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

MRG_SUPPORT_CODE = r"""
// MRG31k3p, as in Theano's mrg_uniform: the same int32 arithmetic (two's complement,
// wrapping), written so that the compiler can step LANES streams at once. A reduction
// "if (y < 0 || y >= M) y -= M" on an int32 is "if ((uint32) y >= M) y -= M".
#define MRG_LANES 16
typedef npy_uint32 mrg_u32;

static inline mrg_u32 mrg_reduce(mrg_u32 y, mrg_u32 m) { return y >= m ? y - m : y; }

// Steps the state of one stream (six words), returns the int32 that becomes the sample.
static inline npy_int32 mrg_step(mrg_u32 &x11, mrg_u32 &x12, mrg_u32 &x13,
                                 mrg_u32 &x21, mrg_u32 &x22, mrg_u32 &x23)
{
    const mrg_u32 M1 = 2147483647u, M2 = 2147462579u;
    // >> on the int32 value, as Theano shifts it
    mrg_u32 y1 = ((x12 & 511u) << 22) + (mrg_u32)((npy_int32)x12 >> 9)
               + ((x13 & 16777215u) << 7) + (mrg_u32)((npy_int32)x13 >> 24);
    y1 = mrg_reduce(y1, M1);
    y1 = mrg_reduce(y1 + x13, M1);
    x13 = x12; x12 = x11; x11 = y1;
    mrg_u32 z1 = ((x21 & 65535u) << 15) + 21069u * (mrg_u32)((npy_int32)x21 >> 16);
    z1 = mrg_reduce(z1, M2);
    mrg_u32 z2 = ((x23 & 65535u) << 15) + 21069u * (mrg_u32)((npy_int32)x23 >> 16);
    z2 = mrg_reduce(z2, M2);
    z2 = mrg_reduce(z2 + x23, M2);
    z2 = mrg_reduce(z2 + z1, M2);
    x23 = x22; x22 = x21; x21 = z2;
    npy_int32 d = (npy_int32)(x11 - x21);
    return (npy_int32)x11 <= (npy_int32)x21 ? (npy_int32)((mrg_u32)d + M1) : d;
}

// Numbers of streams [first, first + lanes): stream j writes its k-th number to
// sample[j + k * n_streams], while that is below n_elements (Theano's order).
template <bool FULL, typename T>
static void mrg_streams(T *sample, npy_int32 *state, npy_int64 first, int lanes,
                        npy_int64 n_elements, npy_int64 n_streams, T norm)
{
    const int width = FULL ? MRG_LANES : lanes;  // a constant in a full block: vectorized
    mrg_u32 s[6][MRG_LANES];
    for (int l = 0; l < lanes; l++)
        for (int c = 0; c < 6; c++)
            s[c][l] = (mrg_u32)state[(first + l) * 6 + c];
    npy_int64 last = first + lanes - 1;  // the stream with the fewest numbers
    npy_int64 rounds = last < n_elements ? (n_elements - 1 - last) / n_streams + 1 : 0;
    for (npy_int64 k = 0; k < rounds; k++) {
        T *out = sample + k * n_streams + first;
        for (int l = 0; l < width; l++)
            out[l] = (T)mrg_step(s[0][l], s[1][l], s[2][l], s[3][l], s[4][l], s[5][l]) * norm;
    }
    for (int l = 0; l < lanes; l++) {  // the streams with one number more
        npy_int64 i = rounds * n_streams + first + l;
        if (i < n_elements)
            sample[i] = (T)mrg_step(s[0][l], s[1][l], s[2][l], s[3][l], s[4][l], s[5][l]) * norm;
    }
    for (int l = 0; l < lanes; l++)
        for (int c = 0; c < 6; c++)
            state[(first + l) * 6 + c] = (npy_int32)s[c][l];
}

template <typename T>
static void mrg_all_streams(PyArrayObject *o_sample, PyArrayObject *o_rstate,
                            npy_int64 n_elements, int n_streams, T norm)
{
    T *sample = (T *)PyArray_DATA(o_sample);
    npy_int32 *state = (npy_int32 *)PyArray_DATA(o_rstate);
    npy_int64 blocks = ((npy_int64)n_streams + MRG_LANES - 1) / MRG_LANES;
    #pragma omp parallel for schedule(static) if (n_elements >= 65536)
    for (npy_int64 b = 0; b < blocks; b++) {
        npy_int64 first = b * MRG_LANES;
        int lanes = (int)(n_streams - first < MRG_LANES ? n_streams - first : MRG_LANES);
        if (lanes == MRG_LANES)
            mrg_streams<true, T>(sample, state, first, lanes, n_elements, n_streams, norm);
        else  // the last, partial block: its lanes must not write past their streams
            mrg_streams<false, T>(sample, state, first, lanes, n_elements, n_streams, norm);
    }
}

// The names Theano's mrg_uniform.c_code calls.
void cpu_rng_mrg_uniform_npy_float32(PyArrayObject *o_sample, PyArrayObject *o_rstate,
                                     npy_int64 n_elements, int n_streams)
{
    mrg_all_streams<npy_float32>(o_sample, o_rstate, n_elements, n_streams, 4.6566126e-10f);
}

void cpu_rng_mrg_uniform_npy_float64(PyArrayObject *o_sample, PyArrayObject *o_rstate,
                                     npy_int64 n_elements, int n_streams)
{
    mrg_all_streams<npy_float64>(o_sample, o_rstate, n_elements, n_streams, 4.656612873077392578125e-10);
}
"""


class ParallelMRGUniform(mrg_uniform):
    """Theano's mrg_uniform (same inputs, outputs, checks and C entry code) whose
    generator loop steps many streams at once, on all cores."""

    def c_support_code(self):
        return MRG_SUPPORT_CODE

    def c_compile_args(self):
        return ["-fopenmp"] if theano.config.openmp else []

    def c_headers(self):
        return ["omp.h"] if theano.config.openmp else []

    def c_code_cache_version(self):
        return (1, theano.config.openmp) + super().c_code_cache_version()


@gof.local_optimizer([mrg_uniform])
def fast_mrg_uniform(node):
    op = node.op
    if type(op) is mrg_uniform and op.output_type.dtype in ("float32", "float64"):
        return with_stack_trace(node, ParallelMRGUniform(op.output_type, op.inplace).make_node(*node.inputs).outputs)
    return False


# --- max-pooling ----------------------------------------------------------------------------

POOL_SHAPES = """
    // %(x)s: any ndim >= 2, pooled over its last two axes in windows of WH x WW that
    // do not overlap; a partial window at the border is kept unless ignore_border.
    const int WH = %(wh)d, WW = %(ww)d;
    int nd = PyArray_NDIM(%(x)s);
    npy_intp h = PyArray_DIMS(%(x)s)[nd - 2], w = PyArray_DIMS(%(x)s)[nd - 1];
    npy_intp oh = %(ignore_border)d ? h / WH : (h + WH - 1) / WH;
    npy_intp ow = %(ignore_border)d ? w / WW : (w + WW - 1) / WW;
    npy_intp planes = 1;
    npy_intp pooled_dims[NPY_MAXDIMS];
    for (int d = 0; d < nd - 2; d++) {
        planes *= PyArray_DIMS(%(x)s)[d];
        pooled_dims[d] = PyArray_DIMS(%(x)s)[d];
    }
    pooled_dims[nd - 2] = oh;
    pooled_dims[nd - 1] = ow;
"""

# Gives %(name)s a C-contiguous array of the given dims, reusing the one it holds if it fits.
ALLOCATE = """
    if (!%(name)s || PyArray_NDIM(%(name)s) != nd || !PyArray_IS_C_CONTIGUOUS(%(name)s)
        || !PyArray_CompareLists(PyArray_DIMS(%(name)s), %(dims)s, nd)) {
        Py_XDECREF(%(name)s);
        %(name)s = (PyArrayObject *)PyArray_EMPTY(nd, %(dims)s, %(typenum)s, 0);
        if (!%(name)s) {
            %(fail)s
        }
    }
"""


def _contiguous(names, fail):
    """C that points each name_c at a C-contiguous version of the array name (a new reference)."""
    return "".join(f"""
    PyArrayObject *{c}_c = PyArray_GETCONTIGUOUS({name});
    if (!{c}_c) {{
        {fail}
    }}""" for c, name in names)


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
    """Theano's Pool(mode='max', ndim=2) (the same inputs, output, shape, gradient and
    Python code) with C code for its windows ws, which do not overlap (stride == ws, no
    padding): the same output, bit for bit (the first of equal maxima, as Theano's
    `a > max` keeps)."""

    __props__ = Pool.__props__ + ("ws",)

    def __init__(self, ws, ignore_border, openmp=None):
        super().__init__(ignore_border, mode="max", ndim=2, openmp=openmp)
        self.ws = tuple(int(size) for size in ws)

    def make_node(self, x, ws, stride=None, pad=None):
        return _check_windows(super().make_node(x, ws, stride, pad), 1)

    def c_code_cache_version(self):
        return (3, self.openmp)

    def c_code(self, node, name, inputs, outputs, sub):
        x = inputs[0]
        z, = outputs
        wh, ww = self.ws
        ignore_border = int(self.ignore_border)
        fail = sub["fail"]
        code = POOL_SHAPES % locals() + ALLOCATE % dict(name=z, dims="pooled_dims", typenum=f"PyArray_TYPE({x})",
                                                      fail=fail)
        code += _contiguous([("x", x)], fail)
        # in a block of its own: Theano's error label follows it in the same scope
        return "{" + code + """
    if (PyArray_SIZE(%(z)s) > 0) {
        const dtype_%(x)s *X = (const dtype_%(x)s *)PyArray_DATA(x_c);
        dtype_%(z)s *Z = (dtype_%(z)s *)PyArray_DATA(%(z)s);
        npy_intp whole = w / WW < ow ? w / WW : ow;  // windows with all WW columns
        #pragma omp parallel for schedule(static) if (planes * h * w >= 65536)
        for (npy_intp p = 0; p < planes; p++) {
            const dtype_%(x)s *xp = X + p * h * w;
            dtype_%(z)s *zp = Z + p * oh * ow;
            for (npy_intp i = 0; i < oh; i++) {
                dtype_%(z)s *zr = zp + i * ow;
                npy_intp r0 = i * WH, r1 = r0 + WH < h ? r0 + WH : h;
                // Theano's order in a window: rows, then columns, starting from its first
                // value; a later value replaces the maximum only if greater (so the first of
                // equal maxima stays, and a NaN only if first). Row by row here, each row
                // over all windows of the row, so that the loops over windows vectorize.
                for (npy_intp r = r0; r < r1; r++) {
                    const dtype_%(x)s *xr = xp + r * w;
                    if (r == r0)
                        for (npy_intp j = 0; j < whole; j++) {
                            dtype_%(x)s m = xr[j * WW];
                            for (int c = 1; c < WW; c++)
                                m = xr[j * WW + c] > m ? xr[j * WW + c] : m;
                            zr[j] = m;
                        }
                    else
                        for (npy_intp j = 0; j < whole; j++) {
                            dtype_%(x)s m = zr[j];
                            for (int c = 0; c < WW; c++)
                                m = xr[j * WW + c] > m ? xr[j * WW + c] : m;
                            zr[j] = m;
                        }
                    if (whole < ow) {  // the partial window at the right border
                        dtype_%(x)s m = r == r0 ? xr[whole * WW] : zr[whole];
                        for (npy_intp c = whole * WW; c < w; c++)
                            m = xr[c] > m ? xr[c] : m;
                        zr[whole] = m;
                    }
                }
            }
        }
    }
    Py_DECREF(x_c);
}""" % locals()


def _pool_gradient_code(ws, ignore_border, x, maxout, gz, masks, gx, fail):
    """C for MaxPoolGradient (masks: none) and MaskedMaxPoolGradient (masks: its a and b)."""
    wh, ww = ws
    ignore_border = int(ignore_border)
    code = POOL_SHAPES % locals() + """
    if (PyArray_NDIM(%(maxout)s) != nd || PyArray_NDIM(%(gz)s) != nd
        || !PyArray_CompareLists(PyArray_DIMS(%(maxout)s), pooled_dims, nd)
        || !PyArray_CompareLists(PyArray_DIMS(%(gz)s), pooled_dims, nd)) {
        PyErr_SetString(PyExc_ValueError, "max-pooling gradient: the pooled output and its gradient "
                        "must have the pooled shape of the input");
        %(fail)s
    }
""" % locals()
    for mask in masks:
        code += """
    if (PyArray_NDIM(%(mask)s) != nd || !PyArray_CompareLists(PyArray_DIMS(%(mask)s), PyArray_DIMS(%(x)s), nd)) {
        PyErr_SetString(PyExc_ValueError, "masked max-pooling gradient: the mask's arrays must have the input's shape");
        %(fail)s
    }
""" % locals()
    code += ALLOCATE % dict(name=gx, dims=f"PyArray_DIMS({x})", typenum=f"PyArray_TYPE({x})", fail=fail)
    code += _contiguous([("x", x), ("m", maxout), ("g", gz)] + list(zip("ab", masks)), fail)
    if masks:  # Theano's mul(EQ(a, b), g): the comparison as 0 or 1, times the gradient
        gradient = f"(dtype_{gx})(ar[c] == br[c]) * (xr[c] == maxima[c] ? gradients[c] : (dtype_{gx})0)"
        mask_rows = f"""
            const dtype_{x} *ar = (const dtype_{x} *)PyArray_DATA(a_c) + offset;
            const dtype_{x} *br = (const dtype_{x} *)PyArray_DATA(b_c) + offset;"""
        release = "\n    Py_DECREF(a_c);\n    Py_DECREF(b_c);"
    else:
        gradient, mask_rows, release = f"xr[c] == maxima[c] ? gradients[c] : (dtype_{gx})0", "", ""
    return "{" + code + """
    if (PyArray_SIZE(%(gx)s) > 0) {
        const dtype_%(x)s *X = (const dtype_%(x)s *)PyArray_DATA(x_c);
        const dtype_%(maxout)s *M = (const dtype_%(maxout)s *)PyArray_DATA(m_c);
        const dtype_%(gz)s *G = (const dtype_%(gz)s *)PyArray_DATA(g_c);
        dtype_%(gx)s *GX = (dtype_%(gx)s *)PyArray_DATA(%(gx)s);
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
        dtype_%(gx)s *scratch = (dtype_%(gx)s *)malloc(sizeof(dtype_%(gx)s) * 2 * group * plane * threads);
        if (!scratch) {
            PyErr_NoMemory();
            Py_DECREF(x_c);
            Py_DECREF(m_c);
            Py_DECREF(g_c);%(release)s
            %(fail)s
        }
        #pragma omp parallel for schedule(static) if (planes * plane >= 65536)
        for (npy_intp k = 0; k < groups; k++) {
            int thread = 0;
            #ifdef _OPENMP
            thread = omp_get_thread_num();
            #endif
            dtype_%(gx)s *maxima = scratch + 2 * group * plane * thread, *gradients = maxima + group * plane;
            npy_intp first = k * group, count = planes - first < group ? planes - first : group;
            for (npy_intp p = 0; p < count; p++)
                for (npy_intp r = 0; r < h; r++) {
                    npy_intp i = r / WH;
                    dtype_%(gx)s *mr = maxima + p * plane + r * w, *gr = gradients + p * plane + r * w;
                    if (i >= oh) {  // a row no window covers, with ignore_border only: gradient 0
                        for (npy_intp c = 0; c < w; c++)
                            mr[c] = gr[c] = 0;
                        continue;
                    }
                    const dtype_%(maxout)s *mp = M + (first + p) * pooled_plane + i * ow;
                    const dtype_%(gz)s *gp = G + (first + p) * pooled_plane + i * ow;
                    for (npy_intp c = 0; c < covered; c++) {
                        mr[c] = mp[c / WW];
                        // Theano adds the gradient to a zero: 0 + g, which turns -0 into +0
                        gr[c] = (dtype_%(gx)s)0 + gp[c / WW];
                    }
                    for (npy_intp c = covered; c < w; c++)  // with ignore_border only
                        mr[c] = gr[c] = 0;
                }
            npy_intp offset = first * plane, n = count * plane;
            const dtype_%(x)s *xr = X + offset;%(mask_rows)s
            dtype_%(gx)s *gxr = GX + offset;
            for (npy_intp c = 0; c < n; c++)
                gxr[c] = %(gradient)s;
        }
        free(scratch);
    }
    Py_DECREF(x_c);
    Py_DECREF(m_c);
    Py_DECREF(g_c);%(release)s
}""" % locals()


class MaxPoolGradient(MaxPoolGrad):
    """Theano's MaxPoolGrad(ndim=2) (the same inputs, output, shape, gradient and Python
    code) with C code for its windows ws, which do not overlap (stride == ws, no padding):
    the same output, bit for bit. As Theano's, every position of a window that equals the
    window's maximum gets the window's gradient (all of them, when several do)."""

    __props__ = MaxPoolGrad.__props__ + ("ws",)

    def __init__(self, ws, ignore_border, openmp=None):
        super().__init__(ignore_border, ndim=2, openmp=openmp)
        self.ws = tuple(int(size) for size in ws)

    def make_node(self, x, maxout, gz, ws, stride=None, pad=None):
        return _check_windows(super().make_node(x, maxout, gz, ws, stride, pad), 3)

    def c_code_cache_version(self):
        return (5, self.openmp)

    def c_code(self, node, name, inputs, outputs, sub):
        return _pool_gradient_code(self.ws, self.ignore_border, *inputs[:3], [], outputs[0], sub["fail"])


class MaskedMaxPoolGradient(OpenMPOp):
    """mul(EQ(a, b), MaxPoolGrad(x, maxout, gz)) in one pass, for windows ws that do not
    overlap: a rectifier's gradient (a its output, b its input) times the gradient of the
    max-pooling after it. The same bits as the two ops, without writing and reading back
    the pooling's gradient in between."""

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

    def c_code_cache_version(self):
        return (5, self.openmp)

    def c_code(self, node, name, inputs, outputs, sub):
        x, maxout, gz, a, b = inputs
        return _pool_gradient_code(self.ws, self.ignore_border, x, maxout, gz, [a, b], outputs[0], sub["fail"])


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
for _name, _rewrite in REWRITES.items():
    register(_rewrite, _name, register_specialize)
