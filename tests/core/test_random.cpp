// Generator determinism and the random tensor functions' ranges and moments.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using test::expect_error;

struct Moments {
    double mean, var, lo, hi;
};

Moments moments(const Tensor& t) {
    std::vector<double> v = t.to_vector<double>();
    double mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size(), var = 0;
    for (double x : v) var += (x - mean) * (x - mean);
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return {mean, var / (v.size() - 1), *lo, *hi};
}

TEST(Random, SameSeedSameNumbers) {
    Generator a(42), b(42), c(43);
    std::vector<std::uint64_t> va, vb, vc;
    for (int i = 0; i < 16; ++i)
        va.push_back(a.next_u64()), vb.push_back(b.next_u64()), vc.push_back(c.next_u64());
    EXPECT_EQ(va, vb);
    EXPECT_NE(va, vc);
    Generator g1(7), g2(7);
    EXPECT_EQ(randn({50}, &g1).to_vector(), randn({50}, &g2).to_vector());
    EXPECT_EQ(rand({50}, &g1, kFloat64).to_vector<double>(),
              rand({50}, &g2, kFloat64).to_vector<double>());
    g1.seed(7);
    Generator fresh(7);
    EXPECT_EQ(g1.next_u64(), fresh.next_u64());
}

TEST(Random, StateSaveRestore) {
    Generator g(5);
    g.normal();  // leaves a cached second normal in the state
    Generator::State st = g.state();
    std::vector<double> first;
    for (int i = 0; i < 5; ++i) first.push_back(g.normal());
    g.set_state(st);
    std::vector<double> again;
    for (int i = 0; i < 5; ++i) again.push_back(g.normal());
    EXPECT_EQ(first, again);
    Generator other(999);
    other.set_state(st);
    EXPECT_EQ(other.normal(), first[0]);
}

TEST(Random, DefaultGeneratorFollowsManualSeed) {
    manual_seed(123);
    Tensor a = rand({20});
    manual_seed(123);
    Tensor b = rand({20});
    EXPECT_EQ(a.to_vector(), b.to_vector());
    Generator g(123);
    EXPECT_EQ(a.to_vector(), rand({20}, &g).to_vector());
    EXPECT_NE(rand({20}).to_vector(), a.to_vector());  // the default generator moved on
}

TEST(Random, RangesAndMoments) {
    Generator g(2024);
    const std::int64_t n = 20000;
    for (DType dt : {kFloat32, kFloat64}) {
        Moments u = moments(rand({n}, &g, dt));
        EXPECT_GE(u.lo, 0.0);
        EXPECT_LT(u.hi, 1.0);
        EXPECT_NEAR(u.mean, 0.5, 0.01);
        EXPECT_NEAR(u.var, 1.0 / 12, 0.005);
        Moments z = moments(randn({n}, &g, dt));
        EXPECT_NEAR(z.mean, 0.0, 0.03);
        EXPECT_NEAR(z.var, 1.0, 0.04);
    }
    Moments u = moments(uniform({n}, -3, 5, &g));
    EXPECT_GE(u.lo, -3.0);
    EXPECT_LT(u.hi, 5.0);
    EXPECT_NEAR(u.mean, 1.0, 0.1);
    Moments z = moments(normal({n}, 10, 0.5, &g, kFloat64));
    EXPECT_NEAR(z.mean, 10.0, 0.02);
    EXPECT_NEAR(std::sqrt(z.var), 0.5, 0.02);

    Tensor r = randint(-2, 3, {n}, &g);
    EXPECT_EQ(r.dtype(), kInt64);
    std::vector<int> counts(5);
    for (std::int64_t v : r.to_vector<std::int64_t>()) {
        ASSERT_TRUE(v >= -2 && v < 3) << v;
        ++counts[v + 2];
    }
    for (int c : counts) EXPECT_NEAR(c, n / 5, n / 50);
    EXPECT_EQ(randint(0, 4, {3}, &g, kFloat32).dtype(), kFloat32);

    Tensor b = bernoulli({n}, 0.3, &g);
    std::vector<float> bv = b.to_vector();
    EXPECT_TRUE(std::all_of(bv.begin(), bv.end(), [](float v) { return v == 0 || v == 1; }));
    EXPECT_NEAR(moments(b).mean, 0.3, 0.015);
    EXPECT_EQ(moments(bernoulli({100}, 0, &g)).hi, 0.0);
    EXPECT_EQ(moments(bernoulli({100}, 1, &g)).lo, 1.0);

    std::vector<std::int64_t> p = randperm(50, &g), sorted = p;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::int64_t> iota(50);
    std::iota(iota.begin(), iota.end(), 0);
    EXPECT_EQ(sorted, iota);
    EXPECT_NE(p, iota);
}

TEST(Random, Errors) {
    expect_error([] { rand({2}, nullptr, kInt64); }, "rand: dtype must be floating, got int64");
    expect_error([] { randn({2}, nullptr, kInt64); }, "randn: dtype must be floating");
    expect_error([] { randint(3, 3, {2}); }, "randint: empty range [3, 3)");
    expect_error([] { bernoulli({2}, 1.5); }, "bernoulli: probability must be in [0, 1], got 1.5");
    expect_error([] { normal({2}, 0, -1); },
                 "normal: standard deviation must be non-negative, got -1");
    expect_error([] { uniform({2}, 1, 0); }, "uniform: low 1 > high 0");
    expect_error([] { randperm(-1); }, "randperm: n must be non-negative, got -1");
}

}  // namespace
}  // namespace soma
