// The FMA peak of this machine in GFLOP/s, on 1 thread and on every core, as JSON lines:
// "gflops" per CPU second (the cores' ceiling, robust to other processes), "wall_gflops" per
// elapsed second. The workload benchmark reports its rate as a percentage of "gflops".

#include "fma_peak.h"

#include <cstdio>
#include <cstdlib>
#include <thread>

int main() {
    const bool quick = std::getenv("SOMA_BENCH_QUICK") != nullptr;
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    for (int threads = 1; threads <= cores;
         threads = threads == 1 && cores > 1 ? cores : cores + 1) {
        const soma_bench::FmaPeak p =
            soma_bench::fma_peak(threads, quick ? 0.1 : 0.4, quick ? 2 : 5);
        std::printf(
            "{\"bench\":\"fma_peak\",\"threads\":%d,\"gflops\":%.1f,\"wall_gflops\":%.1f}\n",
            threads, p.gflops, p.wall_gflops);
    }
    return 0;
}
