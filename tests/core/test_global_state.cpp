// Process-wide state: the default generator may be drawn from by several threads at once, and
// loading soma leaves the host program's BLAS settings alone until soma itself multiplies.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <thread>
#include <vector>

#include "soma/ops.h"
#include "soma/tensor.h"

extern "C" int openblas_get_num_threads(void);
extern "C" int openblas_get_num_procs(void);

namespace soma {
namespace {

// Each rand() call holds the default generator for its whole tensor, so concurrent calls must
// return exactly the chunks a sequential run returns, in some order. Without the lock the
// xoshiro state races: values repeat or come from torn states.
TEST(DefaultGenerator, ConcurrentDrawsAreWholeChunksOfTheSequence) {
    constexpr int kThreads = 4, kCalls = 200, kLen = 64;
    manual_seed(77);
    std::vector<std::vector<std::vector<float>>> got(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&got, t] {
            for (int c = 0; c < kCalls; ++c) got[t].push_back(rand({kLen}).to_vector<float>());
        });
    for (auto& th : threads) th.join();

    manual_seed(77);
    std::multiset<std::vector<float>> expected;
    for (int c = 0; c < kThreads * kCalls; ++c) expected.insert(rand({kLen}).to_vector<float>());
    std::multiset<std::vector<float>> actual;
    for (auto& per_thread : got) actual.insert(per_thread.begin(), per_thread.end());
    EXPECT_TRUE(actual == expected);

    // randperm and manual_seed take the same lock.
    threads.clear();
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([t] {
            for (int c = 0; c < 50; ++c) {
                if (t == 0) manual_seed(c);
                std::vector<std::int64_t> p = randperm(100);
                std::set<std::int64_t> s(p.begin(), p.end());
                EXPECT_EQ(s.size(), 100u);
            }
        });
    for (auto& th : threads) th.join();
}

// Run in a fresh process (a threadsafe death test re-executes the binary), where no GEMM has
// run yet: OpenBLAS still has its own thread count, and the first product sets it to one.
TEST(Blas, ThreadCountIsSetOnFirstProductNotAtLoad) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            const int before = openblas_get_num_threads();
            matmul(ones({64, 64}), ones({64, 64}));
            const int after = openblas_get_num_threads();
            // OpenBLAS's default is one thread per core unless the environment says otherwise.
            const bool env = std::getenv("OPENBLAS_NUM_THREADS") ||
                             std::getenv("GOTO_NUM_THREADS") || std::getenv("OMP_NUM_THREADS");
            const int expected_before = env ? before : openblas_get_num_procs();
            std::fprintf(stderr, "before=%d (expected %d) after=%d\n", before, expected_before,
                         after);
            std::exit(before == expected_before && after == 1 ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "before=");
}

}  // namespace
}  // namespace soma
