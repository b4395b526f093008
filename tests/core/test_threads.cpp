// The parallel code paths (OpenMP above kParallelGrain elements) give the same numbers as the
// serial ones. The test binary runs with SOMA_NUM_THREADS=1, so this test switches threads on.

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <string>

#include "soma/soma.h"

using namespace soma;

namespace {

class WithThreads {
public:
    explicit WithThreads(int n) : saved_(get_num_threads()) { set_num_threads(n); }
    ~WithThreads() { set_num_threads(saved_); }

private:
    int saved_;
};

void expect_same_with_one_and_two_threads(const std::function<Tensor()>& f) {
    Tensor serial, parallel;
    {
        WithThreads t(1);
        serial = f();
    }
    {
        WithThreads t(2);
        parallel = f();
    }
    ASSERT_EQ(serial.shape(), parallel.shape());
    EXPECT_EQ(serial.to_vector<double>(), parallel.to_vector<double>());
}

}  // namespace

TEST(Threads, ParallelKernelsMatchSerialOnes) {
    Generator g(7);
    Tensor a = randn({300, 400}, &g), b = randn({300, 400}, &g), row = randn({400}, &g);
    expect_same_with_one_and_two_threads([&] { return add(a, b); });
    expect_same_with_one_and_two_threads([&] { return mul(a.t(), b.t()); });  // strided loop
    expect_same_with_one_and_two_threads([&] { return exp(a) + row; });       // broadcast
    expect_same_with_one_and_two_threads([&] { return sum(a, {1}); });
    expect_same_with_one_and_two_threads([&] { return sum(a, {0}); });
    expect_same_with_one_and_two_threads([&] { return softmax(a, 1); });
    expect_same_with_one_and_two_threads([&] { return a.t().contiguous(); });
    Tensor idx = randint(0, 300, {500}, &g);
    expect_same_with_one_and_two_threads([&] { return index_select(a, 0, idx); });
    expect_same_with_one_and_two_threads([&] {
        Tensor x = a.clone().requires_grad_();
        sum(tanh(x) * b).backward();
        return x.grad();
    });
}

// Large matrix products are split into column blocks (wide results) or row blocks (tall ones),
// one per thread, each a BLAS call on offset pointers: every transpose combination, lengths that
// are not multiples of the block alignment.
TEST(Threads, SplitMatrixProductsMatchOneThread) {
    Generator g(8);
    // A block is its own BLAS call, whose summation order may differ from the whole product's:
    // entries of size ~17 (sums of 300 products) differ by up to ~5e-5 in float. A block at a
    // wrong offset would be off by the entries themselves.
    auto close = [](const Tensor& x, const Tensor& y) {
        ASSERT_EQ(x.shape(), y.shape());
        EXPECT_TRUE(allclose(x, y, 1e-5, 1e-3));
    };
    for (auto [m, n, k] : {std::array<std::int64_t, 3>{70, 333, 300},     // by columns
                           std::array<std::int64_t, 3>{333, 70, 300}}) {  // by rows
        for (bool ta : {false, true})
            for (bool tb : {false, true}) {
                SCOPED_TRACE(std::to_string(m) + "x" + std::to_string(n) + (ta ? " a^T" : "") +
                             (tb ? " b^T" : ""));
                Tensor a = ta ? randn({k, m}, &g).t() : randn({m, k}, &g);
                Tensor b = tb ? randn({n, k}, &g).t() : randn({k, n}, &g);
                Tensor one, two;
                {
                    WithThreads t(1);
                    one = matmul(a, b);
                }
                {
                    WithThreads t(2);
                    two = matmul(a, b);
                }
                close(one, two);
            }
    }
    Tensor x = randn({256, 300}, &g), w = randn({200, 300}, &g), bias = randn({200}, &g);
    Tensor one, two;
    {
        WithThreads t(1);
        one = linear(x, w, bias);
    }
    {
        WithThreads t(2);
        two = linear(x, w, bias);
    }
    close(one, two);
}

TEST(Threads, SetNumThreadsRejectsZero) {
    EXPECT_THROW(set_num_threads(0), Error);
    EXPECT_GE(get_num_threads(), 1);
}
