// BatchNorm1d/2d: parity with PyTorch (training steps, running statistics, eval), the fused
// kernel against the composed reference, gradient checks (double backward too), train vs eval
// behaviour, state and errors.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "soma/nn/norm.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace {

using namespace soma;
using nlohmann::json;
using test::expect_close;
using test::expect_error;
using test::tensor_from_json;

json load_cases() {
    std::ifstream f(SOMA_FIXTURE_DIR "/nn_norm.json");
    EXPECT_TRUE(f) << "missing fixture nn_norm.json";
    return json::parse(f).at("cases");
}

std::unique_ptr<nn::BatchNorm> make_module(const json& c) {
    nn::BatchNormOptions o{.num_features = c.at("num_features"),
                           .eps = c.at("eps"),
                           .momentum = c.at("momentum").is_null()
                                           ? std::nullopt
                                           : std::optional<double>(c.at("momentum")),
                           .affine = c.at("affine"),
                           .track_running_stats = c.at("track_running_stats")};
    if (c.at("module") == "BatchNorm1d") return std::make_unique<nn::BatchNorm1d>(o);
    return std::make_unique<nn::BatchNorm2d>(o);
}

// The module's state in `dtype`, with the fixture's weight and bias.
void set_state(nn::BatchNorm& bn, const json& c, DType dtype) {
    if (c.at("affine")) {
        bn.weight = tensor_from_json(c.at("weight")).to(dtype).requires_grad_();
        bn.bias = tensor_from_json(c.at("bias")).to(dtype).requires_grad_();
    }
    if (c.at("track_running_stats")) {
        bn.running_mean = bn.running_mean.to(dtype);
        bn.running_var = bn.running_var.to(dtype);
    }
}

void check_step(nn::BatchNorm& bn, const json& s, DType dtype, double tol,
                const std::string& what) {
    bn.zero_grad();
    Tensor x = tensor_from_json(s.at("x")).to(dtype).requires_grad_();
    Tensor y = bn(x);
    sum(y * tensor_from_json(s.at("upstream")).to(dtype)).backward();
    auto expect = [&](const Tensor& got, const char* key) {
        expect_close(got, tensor_from_json(s.at(key)).to(dtype), tol, tol, what + " " + key);
    };
    expect(y, "y");
    expect(x.grad(), "grad_x");
    if (s.contains("grad_weight")) {
        expect(bn.weight.grad(), "grad_weight");
        expect(bn.bias.grad(), "grad_bias");
    }
    if (s.contains("running_mean")) {
        expect(bn.running_mean, "running_mean");
        expect(bn.running_var, "running_var");
        EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(),
                  s.at("num_batches_tracked").get<int>())
            << what;
    }
}

TEST(BatchNorm, MatchesPyTorch) {
    for (const json& c : load_cases()) {
        for (DType dtype : {kFloat64, kFloat32}) {
            const double tol = dtype == kFloat64 ? 1e-10 : 2e-5;
            const std::string name = c.at("name").get<std::string>() + " " + dtype_name(dtype);
            auto bn = make_module(c);
            set_state(*bn, c, dtype);
            bn->train();
            check_step(*bn, c.at("train")[0], dtype, tol, name + " train step 1");
            check_step(*bn, c.at("train")[1], dtype, tol, name + " train step 2");
            bn->eval();
            check_step(*bn, c.at("eval"), dtype, tol, name + " eval");
        }
    }
}

// Runs batch_norm or batch_norm_reference on fresh copies of everything; returns the output,
// the gradients (x, weight, bias) and the running statistics afterwards.
struct BnRun {
    Tensor y, gx, gw, gb, rm, rv;
};

BnRun run_bn(bool fused, const Tensor& x0, const Tensor& w0, const Tensor& b0, bool training,
             bool running, const Tensor& up) {
    Tensor x = x0.detach().clone().requires_grad_();
    Tensor w = w0.defined() ? w0.clone().requires_grad_() : Tensor();
    Tensor b = b0.defined() ? b0.clone().requires_grad_() : Tensor();
    const std::int64_t c = x0.size(1);
    Tensor rm = running ? full({c}, 0.25, x0.dtype()) : Tensor();
    Tensor rv = running ? full({c}, 2.0, x0.dtype()) : Tensor();
    Tensor y = fused ? nn::batch_norm(x, rm, rv, w, b, training, 0.2, 1e-3)
                     : nn::batch_norm_reference(x, rm, rv, w, b, training, 0.2, 1e-3);
    sum(y * up).backward();
    return {y,  x.grad(), w.defined() ? w.grad() : Tensor(), b.defined() ? b.grad() : Tensor(),
            rm, rv};
}

TEST(BatchNorm, FusedKernelMatchesComposedReference) {
    Generator gen(7);
    for (Shape shape : {Shape{8, 5}, Shape{4, 3, 7}, Shape{3, 4, 5, 6}, Shape{2, 1, 3, 3}}) {
        for (DType dtype : {kFloat64, kFloat32}) {
            const double tol = dtype == kFloat64 ? 1e-11 : 1e-5;
            const std::int64_t c = shape[1];
            Tensor x = uniform(shape, -1, 3, &gen, dtype);
            Tensor w = uniform({c}, 0.5, 1.5, &gen, dtype), b = uniform({c}, -1, 1, &gen, dtype);
            Tensor up = uniform(shape, -1, 1, &gen, dtype);
            for (bool training : {true, false})
                for (bool affine : {true, false}) {
                    std::ostringstream what;
                    what << shape << " " << dtype << (training ? " train" : " eval")
                         << (affine ? " affine" : "");
                    Tensor wa = affine ? w : Tensor(), ba = affine ? b : Tensor();
                    BnRun f = run_bn(true, x, wa, ba, training, true, up);
                    BnRun r = run_bn(false, x, wa, ba, training, true, up);
                    expect_close(f.y, r.y, tol, tol, what.str() + " y");
                    expect_close(f.gx, r.gx, tol, tol, what.str() + " grad x");
                    expect_close(f.rm, r.rm, tol, tol, what.str() + " running_mean");
                    expect_close(f.rv, r.rv, tol, tol, what.str() + " running_var");
                    if (affine) {
                        expect_close(f.gw, r.gw, tol, tol, what.str() + " grad weight");
                        expect_close(f.gb, r.gb, tol, tol, what.str() + " grad bias");
                    }
                }
        }
    }
}

TEST(BatchNorm, NonContiguousInput) {
    Generator gen(3);
    Tensor base = uniform({5, 4, 6}, -2, 2, &gen, kFloat64);
    Tensor x = base.transpose(0, 2).transpose(1, 2);  // (6, 5, 4), strided
    ASSERT_FALSE(x.is_contiguous());
    Tensor up = uniform(x.shape(), -1, 1, &gen, kFloat64);
    BnRun f = run_bn(true, x, Tensor(), Tensor(), true, false, up);
    BnRun r = run_bn(true, x.contiguous(), Tensor(), Tensor(), true, false, up);
    expect_close(f.y, r.y, 0, 0, "y");
    expect_close(f.gx, r.gx, 0, 0, "grad x");
}

TEST(BatchNorm, LargeOffsetKeepsFloatPrecision) {
    // |mean| >> std: the kernel centres before scaling, so float32 stays close to float64 on
    // the same (float32) values.
    Generator gen(9);
    Tensor x = (uniform({64, 3, 4}, -1, 1, &gen) + 1000.0).to(kFloat32);
    Tensor up = uniform({64, 3, 4}, -1, 1, &gen);
    BnRun f32 = run_bn(true, x, Tensor(), Tensor(), true, false, up);
    BnRun f64 = run_bn(true, x.to(kFloat64), Tensor(), Tensor(), true, false, up.to(kFloat64));
    expect_close(f32.y.to(kFloat64), f64.y, 0, 1e-4, "y");
    expect_close(f32.gx.to(kFloat64), f64.gx, 0, 1e-4, "grad x");
}

TEST(BatchNorm, GradCheck) {
    Generator gen(11);
    Tensor x = uniform({3, 2, 2, 3}, -1, 2, &gen, kFloat64);
    Tensor w = uniform({2}, 0.5, 1.5, &gen, kFloat64), b = uniform({2}, -1, 1, &gen, kFloat64);
    Tensor rm = tensor({0.3, -0.2}, kFloat64), rv = tensor({1.5, 0.7}, kFloat64);
    for (bool training : {true, false}) {
        auto r = autograd::grad_check(
            [&](const std::vector<Tensor>& in) {
                // Copies, so the update of the running statistics does not accumulate.
                return nn::batch_norm(in[0], rm.clone(), rv.clone(), in[1], in[2], training);
            },
            {x, w, b});
        EXPECT_TRUE(r.ok) << (training ? "train: " : "eval: ") << r.message;
    }
}

TEST(BatchNorm, DoubleBackward) {
    // The backward closure switches to composed ops under create_graph; check both that its
    // first-order values equal the fused kernel's and that its own gradient is right.
    Generator gen(5);
    Tensor x = uniform({4, 3, 2}, -1, 2, &gen, kFloat64).requires_grad_();
    Tensor w = uniform({3}, 0.5, 1.5, &gen, kFloat64).requires_grad_();
    Tensor b = uniform({3}, -1, 1, &gen, kFloat64).requires_grad_();
    Tensor up = uniform({4, 3, 2}, -1, 1, &gen, kFloat64);
    Tensor loss = sum(nn::batch_norm(x, {}, {}, w, b, true) * up);
    auto fused = autograd::grad({loss}, {x, w, b}, {}, true, false);
    auto composed = autograd::grad({loss}, {x, w, b}, {}, false, true);
    const char* names[] = {"x", "weight", "bias"};
    for (int i = 0; i < 3; ++i) expect_close(composed[i], fused[i], 1e-12, 1e-12, names[i]);
    auto r = autograd::grad_check(
        [&](const std::vector<Tensor>& in) {
            autograd::EnableGrad enable;  // grad_check evaluates f under NoGrad for differences
            Tensor l = sum(nn::batch_norm(in[0], {}, {}, in[1], in[2], true) * up);
            auto g = autograd::grad({l}, {in[0], in[1]}, {}, true, true);
            return sum(g[0] * g[0]) + sum(g[1] * in[1]);
        },
        {x.detach(), w.detach(), b.detach()});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(BatchNorm, TrainUsesBatchStatsEvalUsesRunningStats) {
    nn::BatchNorm1d bn({.num_features = 2});
    Tensor x = tensor({{1, 10}, {3, 20}, {5, 60}});
    // Training: each column normalised by its own statistics -> mean 0, biased variance ~1.
    Tensor y = bn(x);
    expect_close(mean(y, {0}), zeros({2}), 0, 1e-6, "train mean");
    expect_close(var(y, {0}, false, 0), ones({2}), 1e-4, 0, "train variance");
    // Running stats moved 10% towards the batch's mean and unbiased variance.
    expect_close(bn.running_mean, tensor({0.3, 3.0}), 1e-6, 1e-6, "running_mean");
    expect_close(bn.running_var, tensor({0.9 + 0.1 * 4.0, 0.9 + 0.1 * 700.0}), 1e-6, 1e-6,
                 "running_var");
    EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 1);
    // Eval: (x - running_mean) / sqrt(running_var + eps); the statistics stay put.
    bn.eval();
    Tensor rm = bn.running_mean.clone(), rv = bn.running_var.clone();
    Tensor ye = bn(x);
    expect_close(ye, (x - rm) / sqrt(rv + 1e-5), 1e-6, 1e-6, "eval output");
    EXPECT_TRUE(allclose(bn.running_mean, rm, 0, 0));
    EXPECT_EQ(bn.num_batches_tracked.item<std::int64_t>(), 1);
    // A single sample is fine in eval mode, not in training.
    EXPECT_EQ(bn(tensor({{1, 2}})).shape(), (Shape{1, 2}));
    bn.train();
    expect_error([&] { bn(tensor({{1, 2}})); }, "expected more than 1 value per channel");
}

TEST(BatchNorm, WithoutRunningStatsEvalUsesBatchStats) {
    nn::BatchNorm2d bn({.num_features = 3, .track_running_stats = false});
    EXPECT_FALSE(bn.running_mean.defined());
    Generator gen(2);
    Tensor x = uniform({2, 3, 2, 2}, 0, 4, &gen);
    Tensor yt = bn(x);
    bn.eval();
    EXPECT_TRUE(allclose(bn(x), yt, 0, 0));
}

TEST(BatchNorm, StateNamesAndPrinting) {
    nn::BatchNorm2d bn({.num_features = 4});
    std::vector<std::string> names;
    for (const auto& [n, t] : bn.state_dict().items()) names.push_back(n);
    EXPECT_EQ(names, (std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                               "num_batches_tracked"}));
    EXPECT_EQ(bn.parameters().size(), 2u);
    EXPECT_EQ(bn.named_buffers().size(), 3u);
    EXPECT_EQ(bn.num_batches_tracked.dtype(), kInt64);
    EXPECT_EQ(bn.num_batches_tracked.dim(), 0);
    EXPECT_TRUE(allclose(bn.weight, ones({4})) && allclose(bn.running_var, ones({4})));
    EXPECT_EQ(bn.extra_repr(), "4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True");
    nn::BatchNorm1d plain({.num_features = 3, .momentum = std::nullopt, .affine = false});
    EXPECT_EQ(plain.parameters().size(), 0u);
    EXPECT_EQ(plain.extra_repr(),
              "3, eps=1e-05, momentum=None, affine=False, track_running_stats=True");
    // Buffers survive a state-dict round trip, the counter included.
    bn(uniform({2, 4, 3, 3}, -1, 1));
    nn::BatchNorm2d copy({.num_features = 4});
    copy.load_state_dict(bn.state_dict());
    EXPECT_TRUE(allclose(copy.running_mean, bn.running_mean, 0, 0));
    EXPECT_EQ(copy.num_batches_tracked.item<std::int64_t>(), 1);
}

TEST(BatchNorm, Errors) {
    nn::BatchNorm2d bn2({.num_features = 3});
    nn::BatchNorm1d bn1({.num_features = 3});
    expect_error(
        [&] {
            bn2(zeros({4, 3}));
        },
        "BatchNorm2d: expected a 4-D input (N, C, H, W), got (4, 3)");
    expect_error([&] { bn1(zeros({4, 3, 2, 2})); }, "BatchNorm1d: expected a 2-D (N, C) or 3-D");
    expect_error(
        [&] {
            bn1(zeros({4, 5}));
        },
        "has 5 channels (dimension 1), expected num_features=3");
    expect_error(
        [&] {
            bn1(zeros({4, 3}, kFloat64));
        },
        "running_mean is float32 but the input is float64");
    expect_error([] { nn::BatchNorm1d({.num_features = 0}); }, "num_features must be positive");
    expect_error(
        [] {
            nn::batch_norm(zeros({2, 3}), {}, {}, {}, {}, false);
        },
        "eval mode (training = false) needs running_mean and running_var");
    expect_error(
        [] {
            nn::batch_norm(zeros({2, 3}), zeros({2}), ones({2}), {}, {}, true);
        },
        "running_mean of shape (2,) does not match the 3 channels");
}

}  // namespace
