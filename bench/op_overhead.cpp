// Per-op overhead: how long the framework takes around tiny tensors, where the arithmetic itself
// is nothing. Reports nanoseconds per op, median of repeated timed blocks.
//   - add / mul of two 8-element tensors, without autograd (NoGrad) and with (inputs require grad)
//   - a whole tiny training step written with raw ops: a 2 -> 8 -> 1 MLP (sigmoid hidden layer)
//     on the four XOR points, forward + MSE + backward.

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

// Median time per call of f, in nanoseconds.
double time_ns(const std::function<void()>& f, int calls_per_block) {
    int blocks = quick() ? 5 : 21;
    for (int i = 0; i < calls_per_block; ++i) f();  // warm-up
    std::vector<double> per_call;
    for (int b = 0; b < blocks; ++b) {
        auto t0 = Clock::now();
        for (int i = 0; i < calls_per_block; ++i) f();
        auto t1 = Clock::now();
        per_call.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / calls_per_block);
    }
    std::sort(per_call.begin(), per_call.end());
    return per_call[per_call.size() / 2];
}

void report(const char* name, double ns) {
    std::printf("{\"bench\":\"op_overhead\",\"case\":\"%s\",\"threads\":%d,\"ns\":%.1f}\n", name,
                get_num_threads(), ns);
}

}  // namespace

int main() {
    const int n = quick() ? 2000 : 20000;
    Tensor a = randn({8}), b = randn({8});
    {
        NoGrad ng;
        report("add8_nograd", time_ns([&] { Tensor c = add(a, b); }, n));
        report("mul8_nograd", time_ns([&] { Tensor c = mul(a, b); }, n));
    }
    Tensor ga = randn({8}).requires_grad_(), gb = randn({8}).requires_grad_();
    report("add8_record", time_ns([&] { Tensor c = add(ga, gb); }, n));
    report("mul8_record", time_ns([&] { Tensor c = mul(ga, gb); }, n));
    report("mul8_forward_backward", time_ns([&] {
               Tensor c = sum(mul(ga, gb));
               c.backward();
           }, n / 4));

    // 2 -> 8 -> 1 MLP on XOR with raw ops.
    Tensor x = tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
    Tensor y = tensor({{0}, {1}, {1}, {0}});
    Tensor w1 = (randn({2, 8}) * 0.5).requires_grad_(), b1 = zeros({8}).requires_grad_();
    Tensor w2 = (randn({8, 1}) * 0.5).requires_grad_(), b2 = zeros({1}).requires_grad_();
    report("xor_mlp_step_raw_ops", time_ns([&] {
               Tensor h = sigmoid(matmul(x, w1) + b1);
               Tensor out = matmul(h, w2) + b2;
               Tensor diff = out - y;
               Tensor loss = mean(diff * diff);
               loss.backward();
               NoGrad ng;
               for (Tensor* p : {&w1, &b1, &w2, &b2}) {
                   p->add_(p->grad(), -0.5);
                   p->grad().zero_();
               }
           }, n / 20));
    return 0;
}
