#pragma once
// Float exp, expm1 and log that stay inside a loop, so that the compiler vectorises it: libm's
// are scalar calls, and a loop that calls them runs one element at a time. All are within a
// few ulp of libm over the whole float range, with libm's answers at the edges
// (0, negatives, infinities, NaN, denormals). `fast_exp<T>` and `fast_log<T>` pick them for
// float and fall back to libm for double, where soma's tests want libm's accuracy.
//
// Their selects become blends only under -fno-trapping-math, which the build sets
// (cmake/SomaOptions.cmake).

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace soma::backend::cpu {

// The reduction exp_f and expm1_f share, of an x already clamped to [-87, 88]: x = n ln2 + r
// with |r| <= ln2/2; `scale` is 2^n built in the exponent bits, and `q` (e^r - 1) / r by its
// Taylor polynomial to r^6 (truncation below float epsilon for such r).
struct ExpParts {
    float r, q, scale;
};
inline ExpParts exp_parts(float x) {
    // Adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits: n as a float
    // without a call, and as an int without a float-to-int conversion (undefined for NaN).
    const float shifted = x * 1.44269504088896341f + 12582912.0f;
    const float n = shifted - 12582912.0f;
    const std::int32_t ni = std::bit_cast<std::int32_t>(shifted) - 0x4B400000;
    const float r = x - n * 0.693145751953125f - n * 1.428606765330187045e-06f;
    float q = 1.0f / 5040;
    q = q * r + 1.0f / 720;
    q = q * r + 1.0f / 120;
    q = q * r + 1.0f / 24;
    q = q * r + 1.0f / 6;
    q = q * r + 0.5f;
    q = q * r + 1.0f;
    return {r, q, std::bit_cast<float>((ni + 127) << 23)};
}

// e^x = 2^n e^r. Below -87.34 the result would be denormal: 0 instead (a masked softmax entry
// comes out exactly 0); above 88 the clamp gives 1.65e38 rather than inf.
inline float exp_f(float x) {
    const bool underflow = x < -87.33f;
    const ExpParts e = exp_parts(std::min(std::max(x, -87.0f), 88.0f));  // NaN stays NaN
    const float value = (e.q * e.r + 1.0f) * e.scale;
    return underflow ? 0.0f : value;
}

// e^x - 1 with the relative accuracy of exp everywhere, also near 0 where exp(x) - 1 cancels:
// 2^n (e^r - 1) + (2^n - 1). Multiplying by 2^n is exact, so the sum rounds once; for n = 0 it
// is the polynomial alone. Below -87 the result is -1.
inline float expm1_f(float x) {
    const ExpParts e = exp_parts(std::min(std::max(x, -87.0f), 88.0f));  // NaN stays NaN
    return e.scale * (e.q * e.r) + (e.scale - 1.0f);
}

// tanh |x| = -expm1(-2|x|) / (2 + expm1(-2|x|)): expm1 keeps the relative accuracy near 0,
// where 1 - 2 / (1 + e^2x) would cancel, so no second formula is needed there. ±inf give ±1,
// NaN stays NaN, -0 stays -0.
inline float tanh_f(float x) {
    const float e = expm1_f(-2.0f * std::abs(x));
    return std::copysign(-e / (2.0f + e), x);
}

// x = m 2^e with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <=
// 0.172, by its odd series up to s^9 (the next term is below float epsilon). Denormals are
// scaled into the normal range first.
inline float log_f(float x) {
    const bool tiny = x < std::numeric_limits<float>::min();
    const float xs = tiny ? x * 8388608.0f : x;  // 2^23
    // Unsigned arithmetic: for negative x the bits are above INT_MAX, and the subtraction must
    // wrap (the result is discarded below) rather than overflow.
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(xs);
    // Subtracting sqrt(1/2)'s bits makes the exponent field count from there (floor by >>).
    const std::int32_t e = static_cast<std::int32_t>(bits - 0x3F3504F3u) >> 23;
    const float m = std::bit_cast<float>(bits - (static_cast<std::uint32_t>(e) << 23));
    const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
    const float series = s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9))));
    const float n = static_cast<float>(e) - (tiny ? 23.0f : 0.0f);
    const float r =
        n * 0.693145751953125f + (2.0f * s + (2.0f * s * series + n * 1.428606765330187045e-06f));
    const float inf = std::numeric_limits<float>::infinity();
    // log 0 = -inf, log of a negative = NaN (NaN stays NaN), log inf = inf.
    return x > 0 ? (x == inf ? inf : r) : (x == 0 ? -inf : std::numeric_limits<float>::quiet_NaN());
}

template <class T>
inline T fast_exp(T x) {
    if constexpr (std::is_same_v<T, float>)
        return exp_f(x);
    else
        return std::exp(x);
}

template <class T>
inline T fast_tanh(T x) {
    if constexpr (std::is_same_v<T, float>)
        return tanh_f(x);
    else
        return std::tanh(x);
}

template <class T>
inline T fast_log(T x) {
    if constexpr (std::is_same_v<T, float>)
        return log_f(x);
    else
        return std::log(x);
}

}  // namespace soma::backend::cpu
