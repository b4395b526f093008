// The parallel code paths (OpenMP above kParallelGrain elements) give the same numbers as the
// serial ones. The test binary runs with SOMA_NUM_THREADS=1, so this test switches threads on.

#include <gtest/gtest.h>

#include <functional>

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

TEST(Threads, SetNumThreadsRejectsZero) {
    EXPECT_THROW(set_num_threads(0), Error);
    EXPECT_GE(get_num_threads(), 1);
}
