// Views against the PyTorch fixtures, storage sharing, and errors.

#include <gtest/gtest.h>

#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_error;
using Inputs = std::vector<Tensor>;

Shape shape_of(const json& j) { return Shape(j.get<std::vector<std::int64_t>>()); }

TEST(Views, Fixtures) {
    test::run_op_group(
        "views",
        {
            {"reshape",
             [](const Inputs& x, const json& a) { return x[0].reshape(shape_of(a["shape"])); }},
            {"view",
             [](const Inputs& x, const json& a) { return x[0].view(shape_of(a["shape"])); }},
            {"transpose",
             [](const Inputs& x, const json& a) { return transpose(x[0], a["dim0"], a["dim1"]); }},
            {"permute",
             [](const Inputs& x, const json& a) { return permute(x[0], shape_of(a["dims"])); }},
            {"narrow",
             [](const Inputs& x, const json& a) {
                 return narrow(x[0], a["dim"], a["start"], a["length"]);
             }},
            {"slice",
             [](const Inputs& x, const json& a) {
                 return x[0].slice(a["dim"], a["start"], a["end"], a["step"]);
             }},
            {"select",
             [](const Inputs& x, const json& a) { return x[0].select(a["dim"], a["index"]); }},
            {"expand",
             [](const Inputs& x, const json& a) { return expand(x[0], shape_of(a["shape"])); }},
            {"squeeze",
             [](const Inputs& x, const json& a) {
                 return a.contains("dim") ? squeeze(x[0], a["dim"]) : x[0].squeeze();
             }},
            {"unsqueeze", [](const Inputs& x, const json& a) { return unsqueeze(x[0], a["dim"]); }},
            {"flatten",
             [](const Inputs& x, const json& a) {
                 return flatten(x[0], a.value("start_dim", 0), a.value("end_dim", -1));
             }},
            {"t", [](const Inputs& x, const json&) { return x[0].t(); }},
            {"transpose_contiguous",
             [](const Inputs& x, const json&) { return x[0].t().contiguous(); }},
            {"chain",
             [](const Inputs& x, const json&) {
                 return x[0].permute({2, 0, 1}).slice(0, 1, 3).reshape({2, 6}).t();
             }},
        });
}

TEST(Views, ShareStorage) {
    Tensor base = arange(12).reshape({3, 4});
    std::vector<Tensor> views = {base.view({4, 3}),
                                 base.t(),
                                 base.narrow(1, 1, 2),
                                 base.select(0, 1),
                                 base.slice(1, 0, 4, 2),
                                 base.unsqueeze(0),
                                 base.flatten(),
                                 base.permute({1, 0}),
                                 base.select(0, 0).expand({5, 4})};
    for (const Tensor& v : views) EXPECT_TRUE(v.shares_storage(base)) << v.shape();
    // Writes through a view are visible in the base.
    base.select(0, 1).fill_(-1);
    base.t().narrow(0, 3, 1).fill_(7);  // the last column
    EXPECT_EQ(base.to_vector(), (std::vector<float>{0, 1, 2, 7, -1, -1, -1, 7, 8, 9, 10, 7}));
    EXPECT_EQ(base.slice(1, 1, 4, 2).to_vector(), (std::vector<float>{1, 7, -1, 7, 9, 7}));
}

TEST(Views, ReshapeCopiesOnlyWhenNeeded) {
    Tensor x = arange(6).reshape({2, 3});
    EXPECT_TRUE(x.reshape({3, 2}).shares_storage(x));
    Tensor t = x.t();
    Tensor r = t.reshape({6});  // transposed data cannot be flattened without a copy
    EXPECT_FALSE(r.shares_storage(x));
    EXPECT_EQ(r.to_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
    // Splitting a dim of a transposed view is still a view.
    EXPECT_TRUE(t.reshape({3, 2, 1}).shares_storage(x));
}

TEST(Views, Contiguity) {
    Tensor x = arange(12).reshape({3, 4});
    EXPECT_TRUE(x.is_contiguous());
    EXPECT_FALSE(x.t().is_contiguous());
    EXPECT_FALSE(x.narrow(1, 0, 2).is_contiguous());
    EXPECT_TRUE(x.narrow(0, 1, 2).is_contiguous());
    EXPECT_TRUE(x.contiguous().same(x));  // already contiguous: the same handle
    Tensor c = x.t().contiguous();
    EXPECT_TRUE(c.is_contiguous());
    EXPECT_FALSE(c.shares_storage(x));
    EXPECT_EQ(c.to_vector(), x.t().to_vector());
    EXPECT_EQ(c.strides(), (Shape{3, 1}));
}

TEST(Views, Errors) {
    Tensor x = zeros({3, 4});
    expect_error(
        [&] {
            x.view({5, -1});
        },
        "view: shape (5, -1) is invalid for a tensor of 12 elements");
    expect_error(
        [&] {
            x.reshape({5, 2});
        },
        "reshape: shape (5, 2) is invalid for a tensor of 12 elements");
    expect_error([&] { x.view({-1, -1}); }, "view: only one dimension can be -1");
    expect_error([&] { x.reshape({-2, 6}); }, "reshape: invalid size -2");
    expect_error([&] { x.t().view({12}); }, "without copying (use reshape)");
    expect_error([&] { x.transpose(0, 2); },
                 "transpose: dimension 2 out of range for a tensor with 2 dimensions");
    expect_error([&] { x.permute({0}); }, "permute: got 1 dimensions");
    expect_error([&] { x.permute({1, 1}); }, "permute: dimension 1 repeated");
    expect_error([&] { x.narrow(1, 2, 3); },
                 "narrow: range [2, 5) out of bounds for dimension 1 of size 4");
    expect_error([&] { x.narrow(2, 0, 1); }, "narrow: dimension 2 out of range");
    expect_error([&] { x.slice(0, 0, 2, 0); }, "slice: step must be positive, got 0");
    expect_error([&] { x.select(0, 3); }, "select: index 3 out of range for dimension 0 of size 3");
    expect_error([&] { x.select(1, -5); }, "select: index -5 out of range");
    expect_error(
        [&] {
            x.expand({2, 4});
        },
        "expand: the expanded size 2 must match the existing size 3 at dimension 0");
    expect_error([&] { x.expand({4}); },
                 "expand: the number of sizes 1 must be at least the tensor's dimensions 2");
    expect_error(
        [&] {
            x.expand({-1, 3, 4});
        },
        "expand: size -1 is not allowed in a new leading dimension");
    expect_error([&] { x.squeeze(2); }, "squeeze: dimension 2 out of range");
    expect_error([&] { x.unsqueeze(3); },
                 "unsqueeze: dimension 3 out of range for a tensor with 3 dimensions");
    expect_error([&] { x.flatten(1, 0); }, "flatten: start_dim 1 comes after end_dim 0");
    expect_error(
        [&] {
            zeros({2, 3, 4}).t();
        },
        "t: expects a tensor with at most 2 dimensions, got (2, 3, 4)");
    expect_error([&] { scalar_tensor(1).narrow(0, 0, 1); },
                 "narrow: cannot narrow a 0-dimensional tensor");
    expect_error([&] { scalar_tensor(1).select(0, 0); },
                 "select: cannot select from a 0-dimensional tensor");
    expect_error([&] { Tensor().reshape({2}); }, "undefined tensor");
    expect_error([&] { Tensor().t(); }, "undefined tensor");
}

}  // namespace
}  // namespace soma
