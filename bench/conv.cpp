// Convolution on the fmnist-cnn workload's layers (batch 64): the im2col + GEMM kernels
// against the naive direct convolution, forward and both backward passes, with 1 and 2
// threads; then a whole conv + ReLU + max-pool block through the ops, with autograd.
//   conv1: 1 -> 32, 3x3, padding 1, on 28x28      conv2: 32 -> 64, 3x3, padding 1, on 14x14
// Reports the median and the minimum milliseconds per call (on shared cores a parallel region
// that waits for a descheduled thread costs a whole time slice: the minimum is what an idle
// machine gives) and GFLOP/s of the multiply-adds at the median.

#include "backend/cpu/conv.h"

#include <soma/soma.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

using namespace soma;
using Clock = std::chrono::steady_clock;

namespace {

bool quick() { return std::getenv("SOMA_BENCH_QUICK") != nullptr; }

void run(const char* layer, const char* kernel, const char* pass, double flop, int reps,
         const std::function<void()>& f) {
    f();  // warm-up (also grows the reused buffers)
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
        auto t0 = Clock::now();
        f();
        t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    const double median = t[t.size() / 2];
    std::printf(
        "{\"bench\":\"conv\",\"layer\":\"%s\",\"kernel\":\"%s\",\"pass\":\"%s\",\"threads\":%d,"
        "\"ms\":%.3f,\"min_ms\":%.3f,\"gflops\":%.2f}\n",
        layer, kernel, pass, get_num_threads(), median, t[0], flop / median / 1e6);
}

struct Layer {
    const char* name;
    std::int64_t c, oc, hw;
};

}  // namespace

int main() {
    namespace cpu = backend::cpu;
    const int reps = quick() ? 5 : 31;
    const std::int64_t N = 64;
    for (int threads : {1, 2}) {
        set_num_threads(threads);
        for (Layer l : {Layer{"conv1", 1, 32, 28}, Layer{"conv2", 32, 64, 14}}) {
            cpu::ConvGeometry g;
            g.batch = N, g.in_channels = l.c, g.out_channels = l.oc;
            g.win.in = g.win.out = {1, l.hw, l.hw};
            g.win.kernel = {1, 3, 3};
            g.win.pad = {0, 1, 1};
            Shape xs{N, l.c, l.hw, l.hw}, ws{l.oc, l.c, 3, 3}, ys{N, l.oc, l.hw, l.hw};
            Tensor x = randn(xs), w = randn(ws), b = randn({l.oc}), gy = randn(ys);
            const double flop = 2.0 * N * l.oc * l.c * 9 * l.hw * l.hw;
            run(l.name, "im2col", "forward", flop, reps,
                [&] { cpu::conv_forward(x, w, b, g, ys); });
            run(l.name, "im2col", "input_grad", flop, reps,
                [&] { cpu::conv_backward_input(gy, w, g, xs); });
            run(l.name, "im2col", "weight_grad", flop, reps,
                [&] { cpu::conv_backward_weight(x, gy, g, ws); });
            if (threads == 1)  // single-threaded, and slow: one timed call
                run(l.name, "naive", "forward", flop, 1,
                    [&] { cpu::conv_forward_naive(x, w, b, g, ys); });
        }
        Tensor x = randn({N, 32, 14, 14}), w = randn({64, 32, 3, 3}).requires_grad_();
        Tensor b = randn({64}).requires_grad_();
        run("conv2_relu_pool", "ops", "forward+backward", 3 * 2.0 * N * 64 * 32 * 9 * 14 * 14, reps,
            [&] { sum(max_pool2d(relu(conv2d(x, w, b, 1, 1)), 2)).backward(); });
    }
    return 0;
}
