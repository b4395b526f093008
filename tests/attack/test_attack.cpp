// The attacks do what their definitions say: FGSM's step is exactly eps * sign of the input
// gradient, PGD stays inside the ball and the range, a targeted attack reaches its target,
// restarts keep the worst case, the model is left as it was; the margin loss; errors.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "soma/attack/fgsm.h"
#include "soma/attack/normalized.h"
#include "soma/attack/pgd.h"
#include "soma/autograd.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/dropout.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma::attack {
namespace {

using test::expect_error;

std::shared_ptr<nn::Sequential> mlp(std::int64_t in, std::int64_t hidden, std::int64_t out,
                                    double dropout = 0) {
    auto net = std::make_shared<nn::Sequential>();
    net->push_back(std::make_shared<nn::Linear>(nn::LinearOptions{.in = in, .out = hidden}));
    net->push_back(std::make_shared<nn::Tanh>());
    if (dropout > 0) net->push_back(std::make_shared<nn::Dropout>(dropout));
    net->push_back(std::make_shared<nn::Linear>(nn::LinearOptions{.in = hidden, .out = out}));
    return net;
}

// Per-example maximum |delta| and L2 norm of a - b, both (N, D).
std::vector<double> row_norms(const Tensor& a, const Tensor& b, Norm norm) {
    const Tensor d = (a - b).contiguous();
    const std::int64_t n = d.size(0), k = d.numel() / n;
    std::vector<double> out(n);
    for (std::int64_t i = 0; i < n; ++i) {
        double s = 0;
        for (std::int64_t j = 0; j < k; ++j) {
            const double v = d.data<float>()[i * k + j];
            s = norm == Norm::Linf ? std::max(s, std::abs(v)) : s + v * v;
        }
        out[i] = norm == Norm::Linf ? s : std::sqrt(s);
    }
    return out;
}

// (y + k) mod classes, the targets of a targeted attack.
Tensor shifted(const Tensor& y, std::int64_t k, std::int64_t classes) {
    Tensor t = y.contiguous().clone();
    for (std::int64_t i = 0; i < t.numel(); ++i)
        t.data<std::int64_t>()[i] = (t.data<std::int64_t>()[i] + k) % classes;
    return t;
}

// The model's classes for x, without a graph: labels every example starts "correct" with.
Tensor predicted(nn::Module& model, const Tensor& x) {
    autograd::NoGrad no_grad;
    return argmax(model(x), 1);
}

std::int64_t count(const std::vector<std::uint8_t>& v) {
    std::int64_t n = 0;
    for (auto b : v) n += b;
    return n;
}

TEST(Fgsm, StepIsEpsTimesTheSignOfTheInputGradient) {
    manual_seed(3);
    auto net = mlp(6, 16, 4);
    // Away from the range's edges, so clipping cannot interfere.
    const Tensor x = uniform({8, 6}, 0.3, 0.7);
    const Tensor y = randint(0, 4, {8});
    // The gradient of the summed cross-entropy, by hand.
    Tensor leaf = x.clone().requires_grad_();
    nn::cross_entropy((*net)(leaf), y, Reduction::Sum).backward();
    const Tensor expected = x + 0.1 * sign(leaf.grad());
    net->zero_grad();
    test::expect_close(fgsm(*net, x, y, 0.1), expected, 0, 1e-6, "fgsm");
}

TEST(Fgsm, ClipsToTheRangeAndTargetedLowersTheTargetsLoss) {
    manual_seed(4);
    auto net = mlp(10, 16, 3);
    const Tensor x = rand({32, 10});
    const Tensor y = randint(0, 3, {32});
    const Tensor xa = fgsm(*net, x, y, 0.3);
    EXPECT_GE(min(xa).item(), 0.0);
    EXPECT_LE(max(xa).item(), 1.0);
    for (double d : row_norms(xa, x, Norm::Linf)) EXPECT_LE(d, 0.3 + 1e-6);
    const Tensor target = shifted(y, 1, 3);
    const Tensor xt = fgsm(*net, x, target, 0.05, {.targeted = true});
    autograd::NoGrad no_grad;
    EXPECT_LT(nn::cross_entropy((*net)(xt), target).item(),
              nn::cross_entropy((*net)(x), target).item());
}

TEST(Pgd, StaysInsideTheBallAndTheRange) {
    manual_seed(5);
    auto net = mlp(12, 16, 5);
    const Tensor x = rand({40, 12});
    const Tensor y = randint(0, 5, {40});
    for (Norm norm : {Norm::Linf, Norm::L2}) {
        const double eps = norm == Norm::Linf ? 0.1 : 0.5;
        const Tensor xa = pgd(*net, x, y, {.eps = eps, .norm = norm, .steps = 10, .restarts = 2});
        EXPECT_GE(min(xa).item(), 0.0);
        EXPECT_LE(max(xa).item(), 1.0);
        for (double d : row_norms(xa, x, norm)) EXPECT_LE(d, eps * (1 + 1e-5) + 1e-6);
    }
    // The projection on its own.
    const Tensor big = full({2, 3}, 4.0);
    test::expect_close(project(big, Norm::Linf, 0.5), full({2, 3}, 0.5), 0, 1e-7, "linf");
    test::expect_close(project(big, Norm::L2, 1.0), full({2, 3}, 1 / std::sqrt(3.0)), 0, 1e-6,
                       "l2");
}

TEST(Pgd, IsStrongerThanFgsmAndATargetedAttackReachesItsTarget) {
    manual_seed(6);
    auto net = mlp(20, 32, 10);
    const Tensor x = rand({64, 20});
    const Tensor y = predicted(*net, x);  // every example starts classified "correctly"
    for (Loss loss : {Loss::CrossEntropy, Loss::Margin}) {
        const double eps = 0.03;
        const auto f = count(succeeded((*net)(fgsm(*net, x, y, eps, {.loss = loss})), y, false));
        const auto p = count(
            succeeded((*net)(pgd(*net, x, y, {.eps = eps, .steps = 20, .loss = loss})), y, false));
        EXPECT_GE(p, f) << to_string(loss);
        EXPECT_GT(p, 0) << to_string(loss);
    }
    // Targets that are reachable: the class the model gives another input of the batch (inside
    // the ball when eps covers the whole range); a linear model makes the target's margin
    // concave in x, so PGD finds it.
    auto linear = std::make_shared<nn::Linear>(nn::LinearOptions{.in = 20, .out = 10});
    const Tensor pred = predicted(*linear, x).contiguous();
    Tensor target = pred.clone();
    for (std::int64_t i = 0; i < 64; ++i)
        target.data<std::int64_t>()[i] = pred.data<std::int64_t>()[(i + 7) % 64];
    for (Loss loss : {Loss::CrossEntropy, Loss::Margin}) {
        const Tensor xt =
            pgd(*linear, x, target,
                {.eps = 1.0, .steps = 100, .step_size = 0.05, .loss = loss, .targeted = true});
        autograd::NoGrad no_grad;
        EXPECT_EQ(count(succeeded((*linear)(xt), target, true)), 64) << to_string(loss);
    }
}

TEST(Pgd, RestartsKeepTheWorstCase) {
    manual_seed(7);
    auto net = mlp(8, 16, 4);
    const Tensor x = rand({200, 8});
    const Tensor y = predicted(*net, x);
    const PgdOptions base{.eps = 0.04, .steps = 5, .restarts = 1};
    // One generator drawn by five single-restart attacks in turn gives the same random starts
    // as one attack with five restarts.
    Generator a(11), b(11);
    PgdOptions five = base;
    five.restarts = 5, five.generator = &a;
    const PgdResult r = pgd_detailed(*net, x, y, five);
    std::vector<std::uint8_t> any(200, 0);
    PgdOptions one = base;
    one.generator = &b;
    std::int64_t best_single = 0;
    for (int k = 0; k < 5; ++k) {
        const Tensor xa = pgd(*net, x, y, one);
        autograd::NoGrad no_grad;
        const auto ok = succeeded((*net)(xa), y, false);
        best_single = std::max(best_single, count(ok));
        for (std::size_t i = 0; i < ok.size(); ++i) any[i] |= ok[i];
    }
    autograd::NoGrad no_grad;
    const auto kept = succeeded((*net)(r.adversarial), y, false);
    EXPECT_EQ(kept, any);  // an example any restart broke stays broken
    ASSERT_EQ(r.successes_after_restart.size(), 5u);
    for (std::size_t k = 1; k < 5; ++k)
        EXPECT_GE(r.successes_after_restart[k], r.successes_after_restart[k - 1]);
    EXPECT_EQ(r.successes_after_restart.back(), count(kept));
    EXPECT_GE(count(kept), best_single);
}

TEST(Attack, LeavesTheModelAsItWas) {
    manual_seed(8);
    auto net = mlp(6, 16, 3, /*dropout=*/0.5);
    net->train();
    std::vector<Tensor> before;
    for (const Tensor& p : net->parameters()) before.push_back(p.detach().clone());
    const Tensor x = rand({16, 6});
    const Tensor y = randint(0, 3, {16});
    // Dropout is off during the attack (eval mode), so two runs agree.
    const Tensor a = fgsm(*net, x, y, 0.1), b = fgsm(*net, x, y, 0.1);
    test::expect_close(a, b, 0, 0, "fgsm twice");
    pgd(*net, x, y, {.eps = 0.1, .steps = 3});
    EXPECT_TRUE(net->is_training());
    const std::vector<Tensor> after = net->parameters();
    for (std::size_t i = 0; i < after.size(); ++i) {
        EXPECT_FALSE(after[i].grad().defined());
        EXPECT_TRUE(after[i].requires_grad());
        test::expect_close(after[i].detach(), before[i], 0, 0, "parameter");
    }
}

TEST(Attack, MarginLossAndSuccess) {
    const Tensor logits = from_vector(std::vector<float>{1, 4, 2, 3, 0, 5}, {2, 3});
    const Tensor y = from_vector(std::vector<std::int64_t>{0, 1}, {2});
    // margin: best other minus true; targeted negates.
    test::expect_close(attack_loss(logits, y, Loss::Margin, false),
                       from_vector(std::vector<float>{3, 5}, {2}), 0, 1e-6, "margin");
    test::expect_close(attack_loss(logits, y, Loss::Margin, true),
                       from_vector(std::vector<float>{-3, -5}, {2}), 0, 1e-6, "targeted margin");
    EXPECT_EQ(succeeded(logits, y, false), (std::vector<std::uint8_t>{1, 1}));
    EXPECT_EQ(succeeded(logits, from_vector(std::vector<std::int64_t>{1, 2}, {2}), true),
              (std::vector<std::uint8_t>{1, 1}));
}

// Rounds its input under NoGrad: the output does not depend on x in the graph's eyes, the way a
// quantising "defence" masks gradients.
class Rounding : public nn::Module {
public:
    Tensor forward(const Tensor& x) override {
        autograd::NoGrad no_grad;
        return x.detach() * 0;
    }
    std::string type_name() const override { return "Rounding"; }
};

TEST(Attack, MaskedGradientsGiveZeroGradientNotAnError) {
    manual_seed(9);
    auto net = std::make_shared<nn::Sequential>();
    net->push_back(std::make_shared<Rounding>());
    net->push_back(std::make_shared<nn::Linear>(nn::LinearOptions{.in = 4, .out = 2}));
    const Tensor x = rand({5, 4});
    const Tensor y = randint(0, 2, {5});
    test::expect_close(input_gradient(*net, x, y, Loss::CrossEntropy, false), zeros({5, 4}), 0, 0,
                       "gradient");
    test::expect_close(fgsm(*net, x, y, 0.2), x, 0, 0, "fgsm on masked gradients");
}

TEST(Attack, NormalizedModelInPixelsEqualsTheInnerInNormalisedUnits) {
    manual_seed(10);
    auto inner = mlp(9, 16, 3);
    Normalized pixels(inner, 0.3, 0.4);
    const Tensor x = rand({12, 9});
    const Tensor y = randint(0, 3, {12});
    {
        autograd::NoGrad no_grad;
        test::expect_close(pixels(x), (*inner)((x - 0.3) / 0.4), 0, 1e-6, "forward");
    }
    EXPECT_EQ(pixels.parameters().size(), inner->parameters().size());
    Generator g1(2), g2(2);
    const Tensor a =
        pgd(pixels, x, y, {.eps = 0.1, .steps = 5, .step_size = 0.03, .generator = &g1});
    const PgdOptions normalised = to_normalized_units(
        {.eps = 0.1, .steps = 5, .step_size = 0.03, .generator = &g2}, 0.3, 0.4);
    EXPECT_NEAR(normalised.eps, 0.25, 1e-12);
    EXPECT_NEAR(normalised.range.min, -0.75, 1e-12);
    const Tensor b = pgd(*inner, (x - 0.3) / 0.4, y, normalised);
    test::expect_close(b * 0.4 + 0.3, a, 0, 1e-5, "pixels vs normalised");
}

TEST(Attack, Errors) {
    auto net = mlp(4, 8, 2);
    const Tensor x = rand({3, 4});
    const Tensor y = from_vector(std::vector<std::int64_t>{0, 1, 0}, {3});
    expect_error([&] { fgsm(*net, x, y, -0.1); }, "eps must be finite and >= 0");
    expect_error([&] { fgsm(*net, x, y.to(kFloat32), 0.1); }, "labels must be int64");
    expect_error([&] { fgsm(*net, x, from_vector(std::vector<std::int64_t>{0}, {1}), 0.1); },
                 "labels must be (3)");
    expect_error([&] { fgsm(*net, x * 3 + 1, y, 0.1); }, "outside the valid range");
    expect_error([&] { pgd(*net, x, y, {.restarts = 0}); }, "restarts must be >= 1");
    expect_error([&] { pgd(*net, x, y, {.steps = -1}); }, "steps must be >= 0");
    expect_error([&] { parse_norm("l1"); }, "unknown norm 'l1'");
    expect_error([&] { parse_loss("hinge"); }, "unknown attack loss 'hinge'");
    expect_error([&] { fgsm(*net, rand({3, 2, 4}), y, 0.1); }, "must give (N, C) logits");
}

}  // namespace
}  // namespace soma::attack
