// sum and mean against the PyTorch fixtures, plus their errors.

#include <gtest/gtest.h>

#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_error;
using Inputs = std::vector<Tensor>;

template <Tensor (*All)(const Tensor&),
          Tensor (*Dims)(const Tensor&, const std::vector<std::int64_t>&, bool)>
Tensor reduction(const Inputs& x, const json& a) {
    if (!a.contains("dims")) return All(x[0]);
    return Dims(x[0], a["dims"].get<std::vector<std::int64_t>>(), a.at("keepdim").get<bool>());
}

TEST(ReduceBasic, Fixtures) {
    test::run_op_group("reduce_basic", {
                                           {"sum", reduction<sum, sum>},
                                           {"mean", reduction<mean, mean>},
                                       });
}

TEST(ReduceBasic, LargeSumIsAccurateInFloat32) {
    // Accumulating in double keeps a float32 sum of many ones exact.
    Tensor x = ones({1 << 20});
    EXPECT_EQ(sum(x).item(), static_cast<double>(1 << 20));
    EXPECT_EQ(mean(x).item(), 1.0);
}

TEST(ReduceBasic, NonContiguousLargeInput) {
    // Above the parallel grain, on a transposed view.
    Tensor x = arange(0, 300 * 200, 1, kFloat64).reshape({300, 200}).t();
    Tensor s = sum(x, {1});
    ASSERT_EQ(s.shape(), (Shape{200}));
    for (std::int64_t j : {0, 7, 199}) {
        double expected = 0;
        for (std::int64_t i = 0; i < 300; ++i) expected += i * 200 + j;
        EXPECT_EQ(s.at<double>({j}), expected);
    }
}

TEST(ReduceBasic, Errors) {
    Tensor x = zeros({2, 3});
    expect_error([&] { sum(x, {2}); },
                 "sum: dimension 2 out of range for a tensor with 2 dimensions");
    expect_error([&] { sum(x, {-3}); }, "sum: dimension -3 out of range");
    expect_error([&] { mean(x, {5}, true); }, "mean: dimension 5 out of range");
    expect_error(
        [&] {
            mean(zeros({0, 3}));
        },
        "mean: cannot take the mean over an empty dimension");
    expect_error([&] { sum(x, {0, -2}); }, "sum: dimension -2 appears more than once");
    expect_error([&] { sum(Tensor()); }, "sum: undefined tensor");
    expect_error([&] { mean(Tensor()); }, "mean: undefined tensor");
    expect_error([&] { sum(zeros({3}, kInt64)); }, "int64");
    expect_error([&] { mean(zeros({3}, kInt64)); }, "int64");
}

}  // namespace
}  // namespace soma
