#pragma once
// The machine's arithmetic ceiling: GFLOP/s of a loop that does nothing but AVX2 fused
// multiply-adds, on 1..T threads at once. Percent-of-peak figures in the benchmarks divide by
// this measured rate rather than a datasheet number, because the clock under load (turbo, the
// other core busy) is what the workloads actually get.

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>
#include <vector>

namespace soma_bench {

// FLOPs done by one call of fma_chains(iters): 12 accumulators x 8 lanes x 2 (mul + add).
inline double fma_chain_flops(long iters) { return 12.0 * 8 * 2 * static_cast<double>(iters); }

// FMA latency is 4-5 cycles with two FMA pipes, so at least ~10 independent chains are needed to
// keep both pipes busy; 12 accumulators plus the two constants still fit in 16 ymm registers.
// acc = acc * a + b with a < 1 converges to b / (1 - a): no overflow and no denormals.
__attribute__((target("avx2,fma"))) inline float fma_chains(long iters) {
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
    // Named registers, not an array: GCC keeps an array of vectors in memory.
    __m256 r0 = a, r1 = b, r2 = a, r3 = b, r4 = a, r5 = b, r6 = a, r7 = b, r8 = a, r9 = b, r10 = a,
           r11 = b;
    for (long n = 0; n < iters; ++n) {
        r0 = _mm256_fmadd_ps(r0, a, b), r1 = _mm256_fmadd_ps(r1, a, b);
        r2 = _mm256_fmadd_ps(r2, a, b), r3 = _mm256_fmadd_ps(r3, a, b);
        r4 = _mm256_fmadd_ps(r4, a, b), r5 = _mm256_fmadd_ps(r5, a, b);
        r6 = _mm256_fmadd_ps(r6, a, b), r7 = _mm256_fmadd_ps(r7, a, b);
        r8 = _mm256_fmadd_ps(r8, a, b), r9 = _mm256_fmadd_ps(r9, a, b);
        r10 = _mm256_fmadd_ps(r10, a, b), r11 = _mm256_fmadd_ps(r11, a, b);
        // The empty asm keeps the compiler from merging, hoisting or vectorising the chains away.
        asm volatile("" : "+x"(r0), "+x"(r1), "+x"(r2), "+x"(r3), "+x"(r4), "+x"(r5));
        asm volatile("" : "+x"(r6), "+x"(r7), "+x"(r8), "+x"(r9), "+x"(r10), "+x"(r11));
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(r0, r1), _mm256_add_ps(r2, r3)),
                             _mm256_add_ps(_mm256_add_ps(r4, r5), _mm256_add_ps(r6, r7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(r8, r9), _mm256_add_ps(r10, r11)));
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];
}

inline double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct FmaPeak {
    double gflops;       // summed over threads, each thread's FLOPs over its own CPU time
    double wall_gflops;  // all threads' FLOPs over the elapsed time
};

// `threads` threads each run the FMA loop for about `seconds`; the best of a few rounds. The
// rate per CPU second is the ceiling of a core while it runs, which a busy machine (other
// processes time-sharing the cores) lowers far less than the elapsed-time rate.
inline FmaPeak fma_peak(int threads, double seconds = 0.2, int rounds = 3) {
    using Clock = std::chrono::steady_clock;
    long iters = 1 << 20;
    for (;;) {  // size the loop to `seconds` of CPU time on one thread
        const double c0 = thread_cpu_seconds();
        volatile float sink = fma_chains(iters);
        (void)sink;
        if (thread_cpu_seconds() - c0 > seconds / 4) break;
        iters *= 2;
    }
    iters *= 4;
    FmaPeak best{0, 0};
    for (int r = 0; r < rounds; ++r) {
        std::vector<std::thread> pool;
        std::vector<double> cpu(threads);
        const auto t0 = Clock::now();
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                const double c0 = thread_cpu_seconds();
                volatile float sink = fma_chains(iters);
                (void)sink;
                cpu[t] = thread_cpu_seconds() - c0;
            });
        for (auto& th : pool) th.join();
        const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
        double per_cpu = 0;
        for (double c : cpu) per_cpu += fma_chain_flops(iters) / c / 1e9;
        best.gflops = std::max(best.gflops, per_cpu);
        best.wall_gflops =
            std::max(best.wall_gflops, threads * fma_chain_flops(iters) / wall / 1e9);
    }
    return best;
}

}  // namespace soma_bench
