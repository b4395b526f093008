// matmul 1024 x 1024 x 1024 through soma against calling BLAS (cblas_sgemm) directly:
// soma's matmul should reach the BLAS library's own rate (within a few percent).

#include <cblas.h>
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

double median_seconds(const std::function<void()>& f, int reps) {
    f();  // warm-up
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
        auto t0 = Clock::now();
        f();
        t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

}  // namespace

int main() {
    const int n = 1024;
    const int reps = std::getenv("SOMA_BENCH_QUICK") ? 5 : 21;
    const double flop = 2.0 * n * n * n;
    for (int threads : {1, 2}) {
        set_num_threads(threads);
        Tensor a = soma::rand({n, n}), b = soma::rand({n, n});
        Tensor c = Tensor::empty({n, n});
        // soma keeps BLAS on one thread and splits GEMMs itself; the reference is BLAS's own
        // threading at the same count.
        openblas_set_num_threads(threads);
        double blas = median_seconds(
            [&] {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                            a.data<float>(), n, b.data<float>(), n, 0.0f, c.data<float>(), n);
            },
            reps);
        openblas_set_num_threads(1);
        NoGrad ng;
        double soma_s = median_seconds([&] { Tensor d = matmul(a, b); }, reps);
        double soma_t = median_seconds([&] { Tensor d = matmul(a.t(), b.t()); }, reps);
        std::printf(
            "{\"bench\":\"gemm\",\"threads\":%d,\"blas_gflops\":%.1f,\"soma_gflops\":%.1f,"
            "\"soma_transposed_gflops\":%.1f}\n",
            threads, flop / blas / 1e9, flop / soma_s / 1e9, flop / soma_t / 1e9);
    }
    return 0;
}
