// The logistic sigmoid of a float32 array, 8 values at a time: the C code of
// harness/fast_sigmoid.py's VectorSigmoid, for arrays Theano's Elemwise finds contiguous.
// The same bits as Theano's ScalarSigmoid, whose line (THEANO_SIGMOID, given by the op as
// Theano writes it) computes 1 / (1 + expf(-x)), saturating below -88 and above 15.
//
// glibc (2.27 on) computes expf(y) in double: y * 32/ln2 = k + r (k the nearest integer),
// 2^(k/32) from a table of 32 powers of two, 2^(r/32) by a cubic, the product rounded once
// to float. On a CPU with FMA and AVX2 it runs its FMA variant, whose four fused
// multiply-adds (and one fused multiply-subtract) the lanes below make in the same order,
// on the same constants, so each lane rounds where expf rounds. Where that cannot be so
// (another C library, no FMA), or where the first call's check against Theano's line
// finds a difference, only Theano's line runs.
//
// Macros the op defines: THEANO_SIGMOID

#include <immintrin.h>
#include <stdint.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 27)) && defined(__FMA__) \
    && defined(__AVX2__)
#define SIGMOID_LANES 1
#endif

// Theano's own line, for the values the lanes leave (NaN, the last few of the array).
static inline float sigmoid_as_theano(float x)
{
    float z;
    THEANO_SIGMOID(z, x);
    return z;
}

#ifdef SIGMOID_LANES
// 2^(i/32), correctly rounded to double, less i << 47 (adding k << 47 then puts the whole
// part of k/32 into the exponent)
alignas(64) static const uint64_t SIGMOID_EXP2_TABLE[32] = {
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
    0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
    0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
    0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
    0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
    0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
    0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
};
static const double SIGMOID_INV_LN2_N = 0x1.71547652b82fep+5;  // 32 / ln 2
static const double SIGMOID_SHIFT = 0x1.8p52;                 // adding it rounds to an integer
static const double SIGMOID_C0 = 0x1.c6af84b912394p-20;        // the cubic's coefficients
static const double SIGMOID_C1 = 0x1.ebfce50fac4f3p-13;
static const double SIGMOID_C2 = 0x1.62e42ff0c52d6p-6;

// 4 values: expf of each of y (in double), rounded to float; the table's entries gathered
static inline __m128 sigmoid_expf4(__m256d y)
{
    const __m256d shift = _mm256_set1_pd(SIGMOID_SHIFT), inv_ln2_n = _mm256_set1_pd(SIGMOID_INV_LN2_N);
    __m256d kd = _mm256_fmadd_pd(inv_ln2_n, y, shift);
    __m256i ki = _mm256_castpd_si256(kd);
    kd = _mm256_sub_pd(kd, shift);
    __m256d r = _mm256_fmsub_pd(inv_ln2_n, y, kd);
    __m256i t = _mm256_i64gather_epi64((const long long *)SIGMOID_EXP2_TABLE,
                                       _mm256_and_si256(ki, _mm256_set1_epi64x(31)), 8);
    __m256d s = _mm256_castsi256_pd(_mm256_add_epi64(t, _mm256_slli_epi64(ki, 47)));
    __m256d z = _mm256_fmadd_pd(_mm256_set1_pd(SIGMOID_C0), r, _mm256_set1_pd(SIGMOID_C1));
    __m256d r2 = _mm256_mul_pd(r, r);
    __m256d p = _mm256_fmadd_pd(_mm256_set1_pd(SIGMOID_C2), r, _mm256_set1_pd(1.0));
    p = _mm256_fmadd_pd(z, r2, p);
    return _mm256_cvtpd_ps(_mm256_mul_pd(p, s));
}

// 8 values of Theano's line; NaN where x is NaN (which the caller hands to Theano's line)
static inline __m256 sigmoid8(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 minus_x = _mm256_xor_ps(x, _mm256_set1_ps(-0.0f));
    __m128 low = sigmoid_expf4(_mm256_cvtps_pd(_mm256_castps256_ps128(minus_x)));
    __m128 high = sigmoid_expf4(_mm256_cvtps_pd(_mm256_extractf128_ps(minus_x, 1)));
    __m256 e = _mm256_insertf128_ps(_mm256_castps128_ps256(low), high, 1);
    __m256 z = _mm256_div_ps(one, _mm256_add_ps(one, e));
    z = _mm256_blendv_ps(z, one, _mm256_cmp_ps(x, _mm256_set1_ps(15.0f), _CMP_GT_OQ));
    return _mm256_blendv_ps(z, _mm256_setzero_ps(), _mm256_cmp_ps(x, _mm256_set1_ps(-88.0f), _CMP_LT_OQ));
}

// 8 values from x into z (which may be x); NaN lanes by Theano's line
static inline void sigmoid_block(const float *x, float *z)
{
    __m256 v = _mm256_loadu_ps(x);
    __m256 s = sigmoid8(v);
    int nan = _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    float values[8];
    if (nan)
        _mm256_storeu_ps(values, v);
    _mm256_storeu_ps(z, s);
    for (int i = 0; nan && i < 8; i++)
        if (nan & (1 << i))
            z[i] = sigmoid_as_theano(values[i]);
}

// Whether the lanes give Theano's line's bits on this machine, checked once: on the
// 28,160 floats k/256 in [-90, 20], both limits among them
static int sigmoid_lanes_agree(void)
{
    static int agree = -1;
    if (agree < 0) {
        float x[8], z[8];
        int same = 1, n = 0;
        for (float v = -90.0f; v <= 20.0f && same; v += 0.00390625f) {
            x[n++] = v;
            if (n == 8) {
                sigmoid_block(x, z);
                for (int i = 0; i < 8; i++)
                    same = same && z[i] == sigmoid_as_theano(x[i]);
                n = 0;
            }
        }
        agree = same;
    }
    return agree;
}
#endif

// z[i] = Theano's sigmoid of x[i], for i < n; z may be x.
static void fast_sigmoid_f32(const float *x, float *z, npy_intp n)
{
    npy_intp i = 0;
#ifdef SIGMOID_LANES
    if (sigmoid_lanes_agree())
        for (; i + 8 <= n; i += 8)
            sigmoid_block(x + i, z + i);
#endif
    for (; i < n; i++)
        z[i] = sigmoid_as_theano(x[i]);
}
