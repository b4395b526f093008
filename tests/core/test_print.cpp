// Tensors print like PyTorch's repr (expected strings taken from torch 1.13), except that the
// dtype suffix names soma's dtype (dtype=float64, not dtype=torch.float64).

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "soma/ops.h"

namespace soma {
namespace {

TEST(Print, Values) {
    EXPECT_EQ(arange(4).reshape({2, 2}).str(), "tensor([[0., 1.],\n        [2., 3.]])");
    EXPECT_EQ(tensor({1.5, -2.25, 3.0}).str(), "tensor([ 1.5000, -2.2500,  3.0000])");
    EXPECT_EQ(tensor({0.1, 0.25}).str(), "tensor([0.1000, 0.2500])");
    EXPECT_EQ(tensor({-1, 2}).str(), "tensor([-1.,  2.])");
    EXPECT_EQ(scalar_tensor(3.5).str(), "tensor(3.5000)");
    EXPECT_EQ(
        arange(8).reshape({2, 2, 2}).str(),
        "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])");
    EXPECT_EQ(arange(4).reshape({2, 2}).t().str(), "tensor([[0., 2.],\n        [1., 3.]])");
}

TEST(Print, ScientificAndSpecial) {
    EXPECT_EQ(tensor({1e-5, 1.0}).str(), "tensor([1.0000e-05, 1.0000e+00])");
    EXPECT_EQ(tensor({1e9, 1.0}).str(), "tensor([1.0000e+09, 1.0000e+00])");
    EXPECT_EQ(tensor({0.001, 1000.0}).str(), "tensor([1.0000e-03, 1.0000e+03])");
    EXPECT_EQ(tensor({1.0, NAN, INFINITY}).str(), "tensor([1., nan, inf])");
}

TEST(Print, EmptyAndOtherDtypes) {
    EXPECT_EQ(zeros({0}).str(), "tensor([])");
    EXPECT_EQ(zeros({2, 0}).str(), "tensor([], size=(2, 0))");
    EXPECT_EQ(tensor({1, 2}, kFloat64).str(), "tensor([1., 2.], dtype=float64)");
    EXPECT_EQ(arange(3, kInt64).str(), "tensor([0, 1, 2], dtype=int64)");
    EXPECT_EQ(Tensor().str(), "tensor(undefined)");
}

TEST(Print, Autograd) {
    Tensor x = tensor({1, 2}).requires_grad_();
    EXPECT_EQ(x.str(), "tensor([1., 2.], requires_grad=True)");
    EXPECT_EQ((x * 2.0).str(), "tensor([2., 4.], grad_fn=<MulBackward>)");
    Tensor d = tensor({{1, 2}, {3, 4}}, kFloat64).requires_grad_();
    EXPECT_EQ((d * 2.0).str(),
              "tensor([[2., 4.],\n        [6., 8.]], dtype=float64, grad_fn=<MulBackward>)");
    EXPECT_EQ(x.detach().str(), "tensor([1., 2.])");
}

TEST(Print, StreamOperator) {
    std::ostringstream os;
    os << tensor({1, 2});
    EXPECT_EQ(os.str(), "tensor([1., 2.])");
}

TEST(Print, WrapsAtEightyColumns) {
    EXPECT_EQ((arange(12, kFloat64) / 8.0).str(),
              "tensor([0.0000, 0.1250, 0.2500, 0.3750, 0.5000, 0.6250, 0.7500, 0.8750, 1.0000,\n"
              "        1.1250, 1.2500, 1.3750], dtype=float64)");
    EXPECT_EQ(arange(30, kInt64).str(),
              "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
              "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dtype=int64)");
    EXPECT_EQ(tensor({1.0, NAN, -INFINITY}).str(), "tensor([1., nan, -inf])");
}

TEST(Print, Summarised) {
    // Above 1000 elements only three items per edge are shown.
    EXPECT_EQ(arange(2000).str(),
              "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
              "        1.9990e+03])");
    std::string row =
        "[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n"
        "         4.9000e+01]";
    std::string m = arange(2000).reshape({40, 50}).str();
    EXPECT_EQ(m.rfind("tensor([" + row + ",\n        [5.0000e+01", 0), 0u) << m;
    EXPECT_NE(m.find("],\n        ...,\n        [1.8500e+03"), std::string::npos) << m;
    const std::string tail = "1.9980e+03,\n         1.9990e+03]])";
    EXPECT_EQ(m.substr(m.size() - tail.size()), tail);
}

}  // namespace
}  // namespace soma
