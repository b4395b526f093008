// Version counters: an in-place write to a tensor that a backward closure saved makes that
// backward throw (as in PyTorch) instead of computing gradients from the changed values.
// Writes to tensors nobody saved, and optimiser updates after backward, stay legal.

#include <gtest/gtest.h>

#include <string>

#include "soma/autograd.h"
#include "soma/nn/init.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/optim/sgd.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using test::expect_error;

std::uint64_t version_of(const Tensor& t) { return t.impl()->storage->version(); }

TEST(VersionCounter, InPlaceOpsBumpTheSharedStorageVersion) {
    Tensor t = zeros({2, 3});
    const std::uint64_t v0 = version_of(t);
    t.fill_(1.0);
    t.add_(ones({2, 3}));
    t.mul_(2.0);
    t.copy_(zeros({3}));
    t.zero_();
    EXPECT_EQ(version_of(t), v0 + 5);
    // A view and a detached alias share the storage, hence the counter.
    Tensor row = t.select(0, 1);
    row.fill_(3.0);
    EXPECT_EQ(version_of(t), v0 + 6);
    nn::init::constant_(t.detach(), 1.0);
    EXPECT_EQ(version_of(t), v0 + 7);
    // Out-of-place ops leave it alone; a failed in-place op does not count.
    Tensor u = t + 1.0;
    EXPECT_EQ(version_of(t), v0 + 7);
    EXPECT_THROW(t.add_(ones({2, 3}, kFloat64)), Error);
    EXPECT_EQ(version_of(t), v0 + 7);
}

// The example (y = x.sigmoid(); y.mul_(2); y.sum().backward()): sigmoid saves its output;
// doubling it in place corrupts the gradient.
TEST(VersionCounter, ModifiedSavedOutputMakesBackwardThrow) {
    Tensor x = tensor({0.5, -1.0, 2.0}).requires_grad_();
    Tensor y = sigmoid(x);
    // With grad mode on the in-place op itself is refused (y requires grad)...
    expect_error([&] { y.mul_(2); }, "mul_: in-place update of a tensor that requires grad");
    // ...under NoGrad it goes through, and backward then refuses to use the changed output.
    {
        NoGrad ng;
        y.mul_(2);
    }
    expect_error([&] { sum(y).backward(); },
                 "backward: a tensor needed for gradient computation has been modified by an "
                 "in-place operation: the output of SigmoidBackward (shape (3,), float32) is at "
                 "version 1, but was saved at version 0");
    EXPECT_FALSE(x.grad().defined());
}

// w * x keeps x for w's gradient; x does not require grad, so nothing stops the write itself.
TEST(VersionCounter, ModifiedSavedInputMakesBackwardThrow) {
    Tensor w = tensor({1.0, 2.0}).requires_grad_();
    Tensor x = tensor({3.0, 4.0});
    Tensor y = mul(w, x);
    x.add_(ones({2}));
    expect_error([&] { sum(y).backward(); },
                 "input 1 of MulBackward (shape (2,), float32) is at version 1, but was saved at "
                 "version 0");

    // A write through a view of the saved tensor counts too.
    Tensor a = tensor({{1.0, 2.0}, {3.0, 4.0}});
    Tensor z = matmul(w.unsqueeze(0), a);
    a.select(0, 0).fill_(0.0);
    expect_error([&] { sum(z).backward(); }, "input 1 of MatmulBackward (shape (2, 2)");

    // torch's message and ours agree on the remedy: clone before changing.
    Tensor b = tensor({3.0, 4.0});
    Tensor y2 = mul(w, b.clone());
    b.add_(ones({2}));
    sum(y2).backward();
    EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{3.0f, 4.0f}));
}

// add keeps neither operand: changing one before backward is fine, as in PyTorch.
TEST(VersionCounter, InPlaceOnATensorNotSavedStillWorks) {
    Tensor w = tensor({1.0, 2.0}).requires_grad_();
    Tensor x = tensor({3.0, 4.0});
    Tensor y = add(w, x) * 3.0;  // mul by a scalar keeps nothing either
    x.mul_(10.0);
    Tensor v = w.reshape({2, 1}).t();  // views keep nothing
    Tensor unrelated = zeros({2});
    Tensor s = sum(y) + sum(v);
    unrelated.fill_(5.0);
    s.backward();
    EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>{4.0f, 4.0f}));
}

// The graph is freed by backward, so the optimiser's in-place step afterwards is checked by
// nobody; the next forward saves the new versions. A few steps of SGD must fit a line.
TEST(VersionCounter, OptimizerLoopStillTrains) {
    manual_seed(3);
    nn::Linear fc({.in = 1, .out = 1});
    optim::SGD opt(fc.parameters(), {.lr = 0.1, .momentum = 0.9});
    Tensor x = linspace(-1, 1, 16).reshape({16, 1});
    Tensor target = x * 2.0 + 0.5;
    double first = 0, last = 0;
    for (int step = 0; step < 200; ++step) {
        opt.zero_grad();
        Tensor loss = nn::mse_loss(fc.forward(x), target);
        loss.backward();
        opt.step();
        (step == 0 ? first : last) = loss.item<double>();
    }
    EXPECT_LT(last, 1e-4 * first);
    EXPECT_NEAR(fc.weight.item<double>(), 2.0, 1e-2);

    // Updating a parameter in place while its graph is still held (retain_graph) is what
    // PyTorch refuses too: the second backward would use the new weight.
    Tensor loss = nn::mse_loss(fc.forward(x), target);
    loss.backward({}, /*retain_graph=*/true);
    {
        NoGrad ng;
        fc.weight.add_(fc.weight.grad(), -0.1);
    }
    expect_error([&] { loss.backward(); },
                 "has been modified by an in-place operation: input 1 of LinearBackward");

    // The same through an optimizer's step(), whose kernels write through the data pointer.
    Tensor again = nn::mse_loss(fc.forward(x), target);
    opt.zero_grad();
    again.backward({}, /*retain_graph=*/true);
    opt.step();
    expect_error([&] { again.backward(); },
                 "has been modified by an in-place operation: input 1 of LinearBackward");
}

}  // namespace
}  // namespace soma
