// Dropout's random numbers on all cores: the C code of harness/fast_ops.py's
// ParallelMRGUniform, in place of Theano's mrg_uniform's own (theano/sandbox/rng_mrg.py)
// behind the same two functions its C entry code calls. The same numbers and the same
// final states as Theano's, bit for bit (tests/test_fast_ops.py).
//
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
