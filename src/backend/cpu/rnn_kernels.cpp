#include "backend/cpu/rnn_kernels.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "backend/cpu/fast_math.h"
#include "backend/cpu/loop.h"
#include "soma/error.h"

namespace soma::backend::cpu {
namespace {

inline float sigmoid_f(float x) { return 1.0f / (1.0f + exp_f(-x)); }

// 1 - 2 / (1 + e^2x) loses relative accuracy near 0, where the odd Taylor series takes over.
inline float tanh_f(float x) {
    float x2 = x * x;
    float series =
        x + x * x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315 + x2 * (62.0f / 2835))));
    float via_exp = 1.0f - 2.0f / (1.0f + exp_f(2.0f * x));
    return std::abs(x) < 0.25f ? series : via_exp;
}

template <class T>
inline T sig(T x) {
    if constexpr (std::is_same_v<T, float>)
        return sigmoid_f(x);
    else
        return T(1) / (T(1) + std::exp(-x));
}

template <class T>
inline T th(T x) {
    if constexpr (std::is_same_v<T, float>)
        return tanh_f(x);
    else
        return std::tanh(x);
}

// Rows per parallel chunk: the kernels cost a few dozen flops per gate element.
template <class F>
void over_rows(std::int64_t N, std::int64_t width, F&& f) {
    parallel_for(N, width * 16, [&](std::int64_t n0, std::int64_t n1) {
        for (std::int64_t n = n0; n < n1; ++n) f(n);
    });
}

}  // namespace

float fast_sigmoid(float x) { return sigmoid_f(x); }
float fast_tanh(float x) { return tanh_f(x); }

// The gate loops read and write several blocks of one row; without `omp simd` GCC wants a
// run-time overlap check per pair of them and gives up vectorising beyond ten. The blocks
// never overlap (where dgh is dgi, both stores write the same value).

template <class T>
void cell_forward(const CellForwardArgs<T>& a) {
    const std::int64_t H = a.H, SH = cell_state_width(a.kind) * H;
    const std::int64_t SV = cell_saved_width(a.kind) * H;
    over_rows(a.N, cell_gates(a.kind) * H, [&, H](std::int64_t n) {
        const T* gi = a.gi + n * a.ld_gi;
        const T* gh = a.gh + n * a.ld_gh;
        const T* bi = a.b_ih;
        const T* bh = a.b_hh;
        const T* sp = a.s_prev + n * a.ld_s;
        T* sn = a.s_next + n * a.ld_s;
        T* sv = a.saved + n * SV;
        if (a.valid && !a.valid[n]) {
            std::memmove(sn, sp, SH * sizeof(T));
            return;
        }
        // The pre-activation of gate k at unit j, both biases included.
        auto pre = [&](std::int64_t k, std::int64_t j) {
            return gi[k * H + j] + bi[k * H + j] + gh[k * H + j] + bh[k * H + j];
        };
        switch (a.kind) {
            case CellKind::RNNTanh:
#pragma omp simd
                for (std::int64_t j = 0; j < H; ++j) sn[j] = th<T>(pre(0, j));
                break;
            case CellKind::RNNReLU:
#pragma omp simd
                for (std::int64_t j = 0; j < H; ++j) sn[j] = std::max<T>(pre(0, j), T(0));
                break;
            case CellKind::GRU:
#pragma omp simd
                for (std::int64_t j = 0; j < H; ++j) {
                    T r = sig<T>(pre(0, j)), z = sig<T>(pre(1, j));
                    T ghn = gh[2 * H + j] + bh[2 * H + j];
                    T nv = th<T>(gi[2 * H + j] + bi[2 * H + j] + r * ghn);
                    sn[j] = (T(1) - z) * nv + z * sp[j];
                    sv[j] = r, sv[H + j] = z, sv[2 * H + j] = nv, sv[3 * H + j] = ghn;
                }
                break;
            case CellKind::LSTM:
#pragma omp simd
                for (std::int64_t j = 0; j < H; ++j) {
                    T i = sig<T>(pre(0, j)), f = sig<T>(pre(1, j));
                    T g = th<T>(pre(2, j)), o = sig<T>(pre(3, j));
                    T c = f * sp[H + j] + i * g;
                    T tc = th<T>(c);
                    sn[H + j] = c, sn[j] = o * tc;
                    sv[j] = i, sv[H + j] = f, sv[2 * H + j] = g, sv[3 * H + j] = o,
                    sv[4 * H + j] = tc;
                }
                break;
        }
    });
}

template <class T>
void cell_backward(const CellBackwardArgs<T>& a) {
    const std::int64_t H = a.H, SH = cell_state_width(a.kind) * H;
    const std::int64_t GH = cell_gates(a.kind) * H, SV = cell_saved_width(a.kind) * H;
    check(a.kind != CellKind::GRU || a.dgh != a.dgi, "GRU cell backward: dgh must not alias dgi");
    over_rows(a.N, GH, [&, H](std::int64_t n) {
        const T* ds = a.ds_next + n * a.ld_ds;
        const T* sp = a.s_prev + n * a.ld_s;
        const T* sn = a.s_next + n * a.ld_s;
        const T* sv = a.saved + n * SV;
        T* dgi = a.dgi + n * a.ld_dgi;
        T* dgh = a.dgh + n * a.ld_dgh;
        T* dsp = a.ds_prev + n * a.ld_dsp;
        if (a.valid && !a.valid[n]) {  // the state passed through unchanged
            std::memmove(dsp, ds, SH * sizeof(T));
            std::fill_n(dgi, GH, T(0));
            std::fill_n(dgh, GH, T(0));
            return;
        }
        switch (a.kind) {
            case CellKind::RNNTanh:
            case CellKind::RNNReLU: {
                const bool tanh_act = a.kind == CellKind::RNNTanh;
#pragma omp simd
                for (std::int64_t j = 0; j < H; ++j) {
                    T h = sn[j];
                    T d = ds[j] * (tanh_act ? T(1) - h * h : T(h > T(0)));
                    dgi[j] = d, dgh[j] = d, dsp[j] = T(0);
                }
                break;
            }
            case CellKind::GRU:
#pragma omp simd
                for (std::int64_t j = 0; j < H; ++j) {
                    T r = sv[j], z = sv[H + j], nv = sv[2 * H + j], ghn = sv[3 * H + j];
                    T dh = ds[j];
                    T dpn = dh * (T(1) - z) * (T(1) - nv * nv);
                    T dpz = dh * (sp[j] - nv) * z * (T(1) - z);
                    T dpr = dpn * ghn * r * (T(1) - r);
                    dgi[j] = dpr, dgi[H + j] = dpz, dgi[2 * H + j] = dpn;
                    dgh[j] = dpr, dgh[H + j] = dpz, dgh[2 * H + j] = dpn * r;
                    dsp[j] = dh * z;
                }
                break;
            case CellKind::LSTM:
#pragma omp simd
                for (std::int64_t j = 0; j < H; ++j) {
                    T i = sv[j], f = sv[H + j], g = sv[2 * H + j], o = sv[3 * H + j],
                      tc = sv[4 * H + j];
                    T dh = ds[j];
                    T dc = ds[H + j] + dh * o * (T(1) - tc * tc);
                    T dpi = dc * g * i * (T(1) - i);
                    T dpf = dc * sp[H + j] * f * (T(1) - f);
                    T dpg = dc * i * (T(1) - g * g);
                    T dpo = dh * tc * o * (T(1) - o);
                    dgi[j] = dpi, dgi[H + j] = dpf, dgi[2 * H + j] = dpg, dgi[3 * H + j] = dpo;
                    dgh[j] = dpi, dgh[H + j] = dpf, dgh[2 * H + j] = dpg, dgh[3 * H + j] = dpo;
                    dsp[j] = T(0), dsp[H + j] = dc * f;
                }
                break;
        }
    });
}

template void cell_forward<float>(const CellForwardArgs<float>&);
template void cell_backward<float>(const CellBackwardArgs<float>&);
template void cell_forward<double>(const CellForwardArgs<double>&);
template void cell_backward<double>(const CellBackwardArgs<double>&);

}  // namespace soma::backend::cpu
