// 28: the tricks slide's GPUs. soma has no GPU backend (yet): it runs on the CPU, and this entry
// shows how close its matrix product, the kernel deep learning spends its time in, comes to the
// arithmetic ceiling of the processor it runs on — the FMA peak measured by the benchmarks'
// bench_fma_peak loop — on one thread and on all. A GPU line joins the figure when a GPU
// backend lands.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ostream>
#include <vector>

#include "bench/fma_peak.h"
#include "entries.h"
#include "soma/autograd.h"
#include "soma/ops.h"
#include "soma/plot/svg.h"
#include "soma/random.h"
#include "soma/threading.h"

namespace soma::gallery {

namespace {

// GFLOP/s of soma's (n, n) x (n, n) product: the best of a few timed runs.
double matmul_gflops(std::int64_t n, int reps) {
    NoGrad no_grad;
    Generator gen(n);
    const Tensor a = randn({n, n}, &gen), b = randn({n, n}, &gen);
    double best = INFINITY;
    for (int r = 0; r < reps + 1; ++r) {  // the first run warms the caches and the packing
        const auto t0 = std::chrono::steady_clock::now();
        const Tensor c = matmul(a, b);
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (r > 0) best = std::min(best, s);
    }
    return 2.0 * double(n) * double(n) * double(n) / best / 1e9;
}

// The largest difference between soma's product and a plain triple loop in double precision.
double matmul_error(std::int64_t n) {
    NoGrad no_grad;
    Generator gen(1);
    const Tensor a = randn({n, n}, &gen), b = randn({n, n}, &gen);
    const std::vector<float> c = matmul(a, b).to_vector<float>(), x = a.to_vector<float>(),
                             y = b.to_vector<float>();
    double worst = 0;
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            double s = 0;
            for (std::int64_t k = 0; k < n; ++k) s += double(x[i * n + k]) * y[k * n + j];
            worst = std::max(worst, std::abs(s - c[i * n + j]));
        }
    return worst;
}

Result run_gpus(Context& ctx) {
    std::ostream& out = ctx.out();
    const int all = std::max(1, get_num_threads());
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const std::vector<std::int64_t> sizes =
        ctx.quick ? std::vector<std::int64_t>{64, 128, 256, 512}
                  : std::vector<std::int64_t>{64, 128, 256, 512, 1024};
    const int reps = ctx.quick ? 2 : 5;
    const std::vector<int> thread_counts = all > 1 ? std::vector<int>{1, all} : std::vector<int>{1};
    Result result;
    auto& m = result.metrics;
    std::vector<double> nx;
    std::vector<plot::Tick> ticks;
    for (std::int64_t n : sizes) {
        nx.push_back(std::log2(double(n)));
        ticks.push_back({nx.back(), std::to_string(n)});
    }
    plot::Figure fig(
        {.title = "soma on this machine's CPU: the matrix product against the FMA peak",
         .width = 800,
         .height = 460},
        {{.title = "(n, n) x (n, n) in float32",
          .xlabel = "n",
          .ylabel = "GFLOP/s",
          .legend = plot::Legend::BottomRight,
          .xticks = ticks}});
    out << strf("%8s %8s %12s %10s\n", "threads", "n", "GFLOP/s", "% peak");
    std::string summary;
    for (int t : thread_counts) {
        set_num_threads(t);
        const double peak =
            avx2 ? soma_bench::fma_peak(t, ctx.quick ? 0.05 : 0.2, 2).wall_gflops : 0;
        std::vector<double> rate;
        for (std::int64_t n : sizes) {
            rate.push_back(matmul_gflops(n, reps));
            out << strf("%8d %8lld %12.1f %9.0f%%\n", t, static_cast<long long>(n), rate.back(),
                        peak > 0 ? 100 * rate.back() / peak : 0.0);
        }
        const std::string key = std::to_string(t) + (t == 1 ? "_thread" : "_threads");
        m["fma_peak_gflops_" + key] = peak;
        m["matmul_gflops_largest_" + key] = rate.back();
        fig.axes(0).line(nx, rate, strf("soma matmul, %d thread%s", t, t == 1 ? "" : "s"));
        if (peak > 0)
            fig.axes(0).line({nx.front(), nx.back()}, {peak, peak},
                             strf("AVX2 FMA peak, %d thread%s", t, t == 1 ? "" : "s"),
                             {.color = t == 1 ? "#888" : "#444", .width = 1.5, .dashed = true});
        summary += strf(
            "%s%d thread%s: %.0f GFLOP/s at n = %lld (%.0f%% of the %.0f GFLOP/s FMA peak)",
            summary.empty() ? "" : "; ", t, t == 1 ? "" : "s", rate.back(),
            static_cast<long long>(sizes.back()), peak > 0 ? 100 * rate.back() / peak : 0.0, peak);
    }
    set_num_threads(all);
    m["matmul_max_error_64"] = matmul_error(64);
    result.figures.push_back(ctx.path("28_gpus.svg"));
    fig.save(result.figures.back());
    // What the entry claims: soma computes on the CPU, correctly (the product agrees with a plain
    // loop), at a measured fraction of the processor's ceiling. No GPU backend exists.
    result.ok = m["matmul_max_error_64"] < 1e-3 && m["matmul_gflops_largest_1_thread"] > 0;
    result.summary = "no GPU backend: soma runs on the CPU; " + summary +
                     (avx2 ? "" : " (no AVX2/FMA: the peak was not measured)");
    out << result.summary << "\n";
    return result;
}

}  // namespace

Entry gpus_entry() {
    return {.name = "28_gpus",
            .slide = "Recent innovations and tricks: GPUs",
            .caption =
                "\"GPUs: run your neural net on graphics cards.\" soma has no GPU backend yet: "
                "everything in this gallery ran on the CPU. Deep learning spends its time in "
                "matrix products (a linear layer is one, a convolution becomes one), and GPUs "
                "win because they do thousands of multiply-adds at once. The figure shows what "
                "the CPU gives: soma's float32 matrix product (checked against a plain loop) in "
                "GFLOP/s against the size n, on one thread and on all, next to the processor's "
                "arithmetic ceiling measured here with the benchmarks' loop of AVX2 fused "
                "multiply-adds (bench_fma_peak). Small products are dominated by overhead; large "
                "ones approach the peak. The numbers are this machine's, at this moment; a GPU "
                "line will join them when a GPU backend lands.",
            .run = run_gpus};
}

}  // namespace soma::gallery
